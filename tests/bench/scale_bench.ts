/**
 * `deno task bench scale`: how the server scales with the model. MLP bundles of 1, 10 and 50 MB
 * of weights (200 MB with `--big`) and a ResNet-18-shaped network (~47 MB), written in the
 * benchmark as `mlflow.onnx.save_model` writes them; per backend, `src/cli.ts serve` in its own
 * process:
 *
 * - cold start: process spawn to the first 200 from `/invocations` (1 row);
 * - resident memory (VmRSS) after load, per MB of weights, and its peak (VmHWM) under load;
 * - 1-row latency of sequential requests (p50, p99) and requests/s at 2 connections (wrk);
 * - for the MLPs of 10 MB and less: latency from 1 to 10,000 rows per request;
 * - in workerd (miniflare, the Worker build with a memory probe, bundle in R2), MLPs of
 *   `--workerd-sizes` MB (default 10,20,50): the first request after `new Miniflare` (model
 *   fetched from R2, session created), onnxruntime's wasm memory and the workerd process's
 *   resident memory above the idle Worker after 100 requests (the isolate's JS heap and wasm
 *   memories together, as Cloudflare's 128 MB limit counts them).
 *
 * Flags: `--big` (add the 200 MB MLP), `--sizes=1,10,50`, `--no-conv`, `--no-workerd`,
 * `--only-workerd`, `--workerd-store=r2|http` (where the Worker reads the bundle: miniflare's
 * local R2, the default, or a file server in the bench process, fetched over HTTP; both leave
 * memory of their own in the workerd process, see workerdRow), `--backends=web,native`,
 * `--duration=S` (wrk seconds, default 3), `--threads=N` (web backend wasm threads), `--keep`
 * (leave the bundles in the temp directory).
 *
 * @module
 */
import { Miniflare } from "../_deps/miniflare.ts";
import { buildWorker } from "../../examples/cloudflare-workers/build.ts";
import { listeningPid, readTree, vmRssMb } from "../runtimes/_workerd.ts";
import { type ScaleBundle, writeMlp, writeResnet } from "./_scale_models.ts";
import { loadAverage, wrk } from "./_wrk.ts";
import { type SpawnedServe, spawnServe } from "../server/_serve_process.ts";

/** VmRSS and VmHWM of a process in MB (Linux). */
async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

async function post(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/invocations`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

function start(bundle: ScaleBundle, backend: string, extra: string[]): Promise<SpawnedServe> {
  const one = bundle.body(1);
  return spawnServe(["-m", bundle.dir, "--backend", backend, ...extra], {
    env: { MLFLOW_EDGE_CACHE_DIR: "" },
    ready: async (url) => await post(url, one) === 200,
    timeoutMs: 180_000,
  });
}

/** Sequential requests for about `seconds` (at least 5): latencies in ms. */
async function latencies(url: string, body: string, seconds: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (out.length < 5 || (performance.now() < end && out.length < 2000)) {
    const t = performance.now();
    const status = await post(url, body);
    if (status !== 200) throw new Error(`status ${status}`);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

/** One Worker per workerd process, as in production; the bundle put in R2 before the request. */
async function workerdRow(
  bundle: ScaleBundle,
  build: { outDir: string; modules: { type: string; path: string }[] },
  source: "http" | "r2",
): Promise<string> {
  // "r2": miniflare's local R2 lives in the workerd process and keeps memory of its own after
  // serving the bundle (~18 MB for a 20 MB model: reading it once before the idle figure took
  // that much off). "http": a file server in this process; then workerd's HTTP client keeps
  // more (20 MB model: ~110 MB after 100 requests against ~85 from R2). Neither is the isolate
  // alone, which Cloudflare's limit counts.
  const files = source === "http" ? await readTree(bundle.dir) : [];
  const server = source === "http"
    ? Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const rel = decodeURIComponent(new URL(req.url).pathname.replace(/^\/model\//, ""));
      const hit = files.find(([r]) => r === rel);
      return hit ? new Response(hit[1]) : new Response("not found", { status: 404 });
    })
    : undefined;
  const t0 = performance.now();
  const mf = new Miniflare({
    modulesRoot: build.outDir,
    // deno-lint-ignore no-explicit-any
    modules: build.modules.map((m) => ({ type: m.type as any, path: m.path })),
    compatibilityDate: "2026-07-30",
    r2Buckets: ["MODELS"],
    bindings: {
      MODEL_URI: server ? `http://127.0.0.1:${server.addr.port}/model/` : "r2://MODELS/model",
    },
  });
  try {
    const url = await mf.ready;
    const ready = performance.now() - t0;
    if (!server) {
      const bucket = await mf.getR2Bucket("MODELS") as unknown as {
        put(key: string, value: Uint8Array): Promise<unknown>;
      };
      for (const [rel, bytes] of await readTree(bundle.dir)) {
        await bucket.put(`model/${rel}`, bytes);
      }
    }
    const pid = listeningPid(url)!;
    await new Promise((r) => setTimeout(r, 300));
    const idle = vmRssMb(pid);
    const body = bundle.body(1);
    const t1 = performance.now();
    const first = await post(url.origin, body);
    const firstMs = performance.now() - t1;
    if (first !== 200) throw new Error(`${bundle.name} in workerd: status ${first}`);
    const loaded = vmRssMb(pid);
    for (let i = 0; i < 99; i++) await post(url.origin, body);
    await new Promise((r) => setTimeout(r, 300));
    const after = vmRssMb(pid);
    const res = await fetch(`${url.origin}/__memory`);
    const ort = ((await res.json()) as { ortWasmBytes: number }).ortWasmBytes / 2 ** 20;
    const mb = bundle.weightBytes / 2 ** 20;
    return `| ${bundle.name} | ${f(mb)} | ${f(ready, 0)} | ${f(firstMs, 0)} | ${f(ort)} | ${
      f(loaded - idle)
    } | ${f(after - idle)} | ${after - idle < 128 ? "yes" : "no"} |`;
  } finally {
    await mf.dispose();
    await server?.shutdown();
  }
}

/** Runs the suite and prints markdown tables. */
export async function run(args: string[] = []): Promise<void> {
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  const duration = Number(flag("duration") ?? 3);
  const backends = (flag("backends") ?? "web,native").split(",");
  const onlyWorkerd = args.includes("--only-workerd");
  const sizes = onlyWorkerd ? [] : (flag("sizes") ?? "1,10,50").split(",").map(Number);
  if (args.includes("--big")) sizes.push(200);
  const threads = flag("threads");
  const extra = threads ? ["--threads", threads] : [];
  const tmp = await Deno.makeTempDir({ prefix: "mlflow-edge-scale-" });
  const bundles: ScaleBundle[] = [];
  for (const mb of sizes) bundles.push(await writeMlp(`${tmp}/mlp${mb}`, mb));
  if (!args.includes("--no-conv") && !onlyWorkerd) bundles.push(await writeResnet(`${tmp}/resnet`));
  console.log(
    `Load average before: ${await loadAverage()} (${navigator.hardwareConcurrency} cores)`,
  );
  console.log(
    "\nBundles written like `mlflow.onnx.save_model` (weights as external data), served by " +
      "`src/cli.ts serve` in its own process. Cold start: spawn to the first 200 (1 row). RSS " +
      `after load: VmRSS after the first answer and 1 s idle; peak: VmHWM after ${duration} s ` +
      "of wrk -c2 and the row sweep. 1-row latency: sequential requests, client in another " +
      `process.${threads ? ` Web backend with --threads ${threads}.` : ""}\n`,
  );
  const workerdSizes = (flag("workerd-sizes") ?? "10,20,50").split(",").map(Number);
  const workerdSource = flag("workerd-store") === "http" ? "http" : "r2";
  const main: string[] = [];
  const workerd: string[] = [];
  // RSS of the smallest model per backend: the server's own base, for RSS per MB above it.
  const base = new Map<string, { rss: number; mb: number }>();
  const sweep: string[] = [];
  try {
    for (const b of bundles) {
      const mb = b.weightBytes / 1024 / 1024;
      for (const backend of backends) {
        const p = await start(b, backend, backend === "web" ? extra : []);
        try {
          await new Promise((r) => setTimeout(r, 1000));
          const loaded = await memory(p.pid);
          const lat = await latencies(p.url, b.body(1), Math.min(3, duration));
          const { rps } = await wrk(`${p.url}/invocations`, b.body(1), { seconds: duration });
          if (mb <= 10) {
            for (const rows of [1, 10, 100, 1000, 10000]) {
              const body = b.body(rows);
              const l = await latencies(p.url, body, 1);
              sweep.push(
                `| ${b.name} | ${backend} | ${rows} | ${f(pct(l, 0.5), 2)} | ${
                  f(pct(l, 0.5) * 1000 / rows, 1)
                } |`,
              );
            }
          }
          const after = await memory(p.pid);
          const b0 = base.get(backend) ?? base.set(backend, { rss: loaded.rss, mb }).get(backend)!;
          const perMb = mb > b0.mb ? f((loaded.rss - b0.rss) / (mb - b0.mb), 2) : "(base)";
          main.push(
            `| ${b.name} | ${f(mb)} | ${backend} | ${f(p.coldStartMs, 0)} | ${
              f(loaded.rss, 0)
            } | ${perMb} | ${f(after.peak, 0)} | ${f(after.rss, 0)} | ${f(pct(lat, 0.5), 2)} | ${
              f(pct(lat, 0.99), 2)
            } | ${f(rps, 0)} |`,
          );
        } finally {
          await p.stop();
        }
      }
    }
    if (!args.includes("--no-workerd")) {
      const build = await buildWorker({
        entry: new URL("./_memory_worker.ts", import.meta.url).pathname,
        outDir: `${tmp}/worker`,
      });
      for (const mb of workerdSizes) {
        const b = bundles.find((x) => x.name === `MLP ${mb} MB`) ??
          await writeMlp(`${tmp}/mlp${mb}`, mb);
        workerd.push(await workerdRow(b, build, workerdSource));
      }
    }
  } finally {
    if (!args.includes("--keep")) await Deno.remove(tmp, { recursive: true });
    else console.log(`Bundles kept in ${tmp}`);
  }
  console.log(
    "| model | weights MB | backend | cold start ms | RSS after load MB | RSS MB per MB of weights above the first model | peak RSS MB | RSS after load test MB | 1 row p50 ms | 1 row p99 ms | req/s c=2 |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const l of main) console.log(l);
  if (sweep.length > 0) {
    console.log("\nRows per request (sequential requests, median):\n");
    console.log("| model | backend | rows | ms/request | µs/row |");
    console.log("|---|---|---|---|---|");
    for (const l of sweep) console.log(l);
  }
  if (workerd.length > 0) {
    console.log(
      `\nworkerd (miniflare; the Worker build with a memory probe; bundle ${
        workerdSource === "r2" ? "in R2" : "from a file server outside workerd"
      }). Ready: \`new ` +
        "Miniflare` to ready. First request: fetch to 200 with the model loaded on it. " +
        "Isolate memory: the workerd process's VmRSS above the idle Worker (JS heap and wasm " +
        "memories), after the first and after 100 requests.\n",
    );
    console.log(
      "| model | weights MB | ready ms | first request ms | ort wasm memory MB | isolate memory after first MB | after 100 requests MB | under 128 MB |",
    );
    console.log("|---|---|---|---|---|---|---|---|");
    for (const l of workerd) console.log(l);
  }
  console.log(`\nLoad average after: ${await loadAverage()}`);
}

if (import.meta.main) await run(Deno.args);
