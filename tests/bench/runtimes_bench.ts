/**
 * `deno task bench runtimes`: the same model server on Deno, Bun and workerd.
 *
 * - cold start: process (or workerd) start to the first successful iris prediction, model
 *   loading included; median of several fresh starts;
 * - warm latency: sequential requests to a warm server (iris one row, mnist one image), p50/p90;
 * - workerd memory: VmRSS of the workerd process (from /proc/<pid>/status), one Worker per
 *   process as in production (one model per Worker): loaded but idle, after the first
 *   prediction, after 500 more; a trivial Worker for comparison; and onnxruntime-web's wasm
 *   linear memory inside the isolate (read through a bench-only route, see _memory_worker.ts).
 *
 * Reports only: no assertion on timings. Every runtime is reached over HTTP on 127.0.0.1
 * (workerd at the address miniflare gives it; miniflare adds its entry Worker in front).
 *
 * @module
 */
import { Miniflare } from "../_deps/miniflare.ts";
import { buildWorker, type WorkerBuild } from "../../examples/cloudflare-workers/build.ts";
import { listeningPid, readTree, vmRssMb } from "../runtimes/_workerd.ts";
import { bundlePath, goldenCases, requestBody } from "../_golden.ts";
import { onPath, startServer } from "../runtimes/_process.ts";

const COLD_RUNS = 5;
const WARM_IRIS = 300;
const WARM_MNIST = 100;

interface Probe {
  contentType: string;
  body: string;
}

function probe(bundle: string, name: string): Probe {
  const c = goldenCases(bundle).find((x) => x.name === name)!;
  return { contentType: c.content_type, body: requestBody(c) };
}

const IRIS = probe("iris_mlp_onnx", "dataframe_split_1row");
const MNIST = probe("mnist_cnn_onnx", "inputs_1_image");

type Send = (p: Probe) => Promise<Response>;

async function predictOk(send: Send, p: Probe): Promise<void> {
  const res = await send(p);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`prediction failed: ${res.status} ${text}`);
}

function httpSend(url: string): Send {
  return (p) =>
    fetch(`${url}/invocations`, {
      method: "POST",
      headers: { "content-type": p.contentType },
      body: p.body,
    });
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));

async function warm(send: Send, p: Probe, n: number): Promise<number[]> {
  for (let i = 0; i < 10; i++) await predictOk(send, p);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await predictOk(send, p);
    times.push(performance.now() - t);
  }
  return times;
}

interface RuntimeRow {
  runtime: string;
  /** Start to the first iris prediction, ms. */
  cold: number[];
  /** Start to listening (process) or ready (workerd), ms. */
  listen: number[];
  iris: number[];
  mnist: number[];
  /** Server process VmRSS (MB) after the warm runs, per model; empty for workerd. */
  rss: Record<string, number>;
}

/** A server process: cold start per fresh process; warm latency on the last one. */
async function processRuntime(
  runtime: string,
  command: string,
  args: string[],
): Promise<RuntimeRow> {
  const cold: number[] = [];
  const listen: number[] = [];
  let iris: number[] = [];
  let mnist: number[] = [];
  const rss: Record<string, number> = {};
  for (let run = 0; run < COLD_RUNS; run++) {
    for (const [bundle, p] of [["iris_mlp_onnx", IRIS], ["mnist_cnn_onnx", MNIST]] as const) {
      const t0 = performance.now();
      const server = await startServer(command, args, {
        MODEL_URI: bundlePath(bundle),
        HOST: "127.0.0.1",
        PORT: "0",
      });
      const t1 = performance.now();
      try {
        const send = httpSend(server.url);
        await predictOk(send, p);
        if (bundle === "iris_mlp_onnx") {
          cold.push(performance.now() - t0);
          listen.push(t1 - t0);
        }
        if (run === COLD_RUNS - 1) {
          if (bundle === "iris_mlp_onnx") iris = await warm(send, p, WARM_IRIS);
          else mnist = await warm(send, p, WARM_MNIST);
          rss[bundle] = vmRssMb(server.pid);
        }
      } finally {
        await server.stop();
      }
    }
  }
  return { runtime, cold, listen, iris, mnist, rss };
}

/** Miniflare options for our Worker(s), R2 persisted in `persist` (seeded once, beforehand). */
function workerOptions(build: WorkerBuild, name: string, modelUri: string) {
  return {
    name,
    modulesRoot: build.outDir,
    modules: build.modules.map((m) => ({ type: m.type, path: m.path })),
    compatibilityDate: "2026-07-30",
    r2Buckets: ["MODELS"],
    bindings: { MODEL_URI: modelUri },
  };
}

async function seedR2(build: WorkerBuild, persist: string): Promise<void> {
  const mf = new Miniflare({
    ...workerOptions(build, "seed", "r2://MODELS/iris"),
    r2Persist: persist,
  });
  try {
    const bucket = await mf.getR2Bucket("MODELS") as unknown as {
      put(key: string, value: Uint8Array): Promise<unknown>;
    };
    for (const [prefix, bundle] of [["iris", "iris_mlp_onnx"], ["mnist", "mnist_cnn_onnx"]]) {
      for (const [rel, bytes] of await readTree(bundlePath(bundle))) {
        await bucket.put(`${prefix}/${rel}`, bytes);
      }
    }
  } finally {
    await mf.dispose();
  }
}

async function workerdRuntime(build: WorkerBuild, persist: string): Promise<RuntimeRow> {
  const cold: number[] = [];
  const listen: number[] = [];
  let iris: number[] = [];
  let mnist: number[] = [];
  for (let run = 0; run < COLD_RUNS; run++) {
    for (const [prefix, p] of [["iris", IRIS], ["mnist", MNIST]] as const) {
      const t0 = performance.now();
      const mf = new Miniflare({
        ...workerOptions(build, prefix, `r2://MODELS/${prefix}`),
        r2Persist: persist,
      });
      try {
        const send = httpSend((await mf.ready).origin);
        const t1 = performance.now();
        await predictOk(send, p);
        if (prefix === "iris") {
          cold.push(performance.now() - t0);
          listen.push(t1 - t0);
        }
        if (run === COLD_RUNS - 1) {
          if (prefix === "iris") iris = await warm(send, p, WARM_IRIS);
          else mnist = await warm(send, p, WARM_MNIST);
        }
      } finally {
        await mf.dispose();
      }
    }
  }
  return { runtime: "workerd (miniflare)", cold, listen, iris, mnist, rss: {} };
}

async function settledRss(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 300));
  return vmRssMb(pid);
}

interface MemoryRow {
  worker: string;
  idle: number;
  first: number;
  steady: number;
  ortWasm: number;
}

const STEADY_REQUESTS = 500;

/**
 * One Worker per workerd process, as in production (one model per Worker): VmRSS with the
 * Worker loaded but idle (its wasm modules compiled), after the first prediction (model fetched
 * from R2, session created), and after more predictions; plus ort's wasm memory in the isolate.
 */
async function workerdMemory(memoryBuild: WorkerBuild, persist: string): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  const cases: [string, Probe | null][] = [["trivial", null], ["iris", IRIS], ["mnist", MNIST]];
  for (const [name, p] of cases) {
    const mf = p === null
      ? new Miniflare({
        modules: true,
        script: "export default { async fetch(r) { await r.text(); return new Response('{}'); } };",
        compatibilityDate: "2026-07-30",
      })
      : new Miniflare({
        ...workerOptions(memoryBuild, name, `r2://MODELS/${name}`),
        r2Persist: persist,
      });
    try {
      const url = await mf.ready;
      const origin = url.origin;
      const pid = listeningPid(url)!;
      const idle = await settledRss(pid);
      const probe = p ?? { contentType: "application/json", body: IRIS.body };
      const send: Send = p === null
        ? (q) => fetch(`${origin}/`, { method: "POST", body: q.body })
        : httpSend(origin);
      await predictOk(send, probe);
      const first = await settledRss(pid);
      for (let i = 0; i < STEADY_REQUESTS; i++) await predictOk(send, probe);
      const steady = await settledRss(pid);
      let ortWasm = 0;
      if (p !== null) {
        const res = await fetch(`${origin}/__memory`);
        ortWasm = ((await res.json()) as { ortWasmBytes: number }).ortWasmBytes / 2 ** 20;
      }
      rows.push({
        worker: p === null ? "trivial Worker" : `${name} Worker`,
        idle,
        first,
        steady,
        ortWasm,
      });
    } finally {
      await mf.dispose();
    }
  }
  return rows;
}

/**
 * Runs the suite and prints markdown tables.
 *
 * @example
 * ```ts ignore
 * import { run } from "./runtimes_bench.ts";
 * await run();
 * ```
 */
export async function run(_args: string[] = []): Promise<void> {
  const outDir = await Deno.makeTempDir({ prefix: "bench_worker_" });
  const memoryDir = await Deno.makeTempDir({ prefix: "bench_memory_worker_" });
  const persist = await Deno.makeTempDir({ prefix: "bench_r2_" });
  try {
    const build = await buildWorker({ outDir });
    await seedR2(build, persist);
    const rows: RuntimeRow[] = [];
    rows.push(
      await processRuntime("Deno", Deno.execPath(), ["run", "-A", "examples/deno-deploy/main.ts"]),
    );
    if (await onPath("bun")) {
      rows.push(await processRuntime("Bun", "bun", ["run", "examples/bun/server.ts"]));
    } else {
      console.log("bun is not on PATH: Bun is left out.\n");
    }
    rows.push(await workerdRuntime(build, persist));

    console.log(
      `Cold start: process start (for workerd: \`new Miniflare\`, which starts workerd and ` +
        `compiles the Worker's wasm) to the first iris prediction, model fetch and ONNX ` +
        `session included; median of ${COLD_RUNS} fresh starts (min–max), split at the moment ` +
        `the server listens. Warm: ${WARM_IRIS} sequential iris \`dataframe_split\` 1-row ` +
        `requests and ${WARM_MNIST} mnist 1-image requests over HTTP. RSS: the server ` +
        `process after the warm requests.\n`,
    );
    console.log(
      "| runtime | cold start ms | of which: listening | then 1st prediction | iris p50 / p90 ms " +
        "| mnist p50 / p90 ms | RSS iris / mnist MB |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (const r of rows) {
      const first = r.cold.map((c, i) => c - r.listen[i]);
      const rss = r.rss.iris_mlp_onnx
        ? `${r.rss.iris_mlp_onnx.toFixed(0)} / ${r.rss.mnist_cnn_onnx.toFixed(0)}`
        : "see below";
      console.log(
        `| ${r.runtime} | ${ms(quantile(r.cold, 0.5))} (${ms(Math.min(...r.cold))}–` +
          `${ms(Math.max(...r.cold))}) | ${ms(quantile(r.listen, 0.5))} | ` +
          `${ms(quantile(first, 0.5))} | ${ms(quantile(r.iris, 0.5))} / ` +
          `${ms(quantile(r.iris, 0.9))} | ${ms(quantile(r.mnist, 0.5))} / ` +
          `${ms(quantile(r.mnist, 0.9))} | ${rss} |`,
      );
    }

    const memoryBuild = await buildWorker({
      entry: new URL("./_memory_worker.ts", import.meta.url).pathname,
      outDir: memoryDir,
    });
    const memory = await workerdMemory(memoryBuild, persist);
    console.log(
      `\nworkerd memory: VmRSS of the workerd process (MB), one Worker per process; ` +
        `"steady" is after ${STEADY_REQUESTS} more requests; ort wasm = onnxruntime-web's ` +
        `linear memory inside the isolate (MiB).\n`,
    );
    console.log("| Worker | idle | after 1st prediction | steady | Δ idle→steady | ort wasm |");
    console.log("|---|---|---|---|---|---|");
    for (const m of memory) {
      console.log(
        `| ${m.worker} | ${m.idle.toFixed(1)} | ${m.first.toFixed(1)} | ${m.steady.toFixed(1)} | ${
          (m.steady - m.idle).toFixed(1)
        } | ${m.ortWasm ? m.ortWasm.toFixed(1) : "–"} |`,
      );
    }
    const sizes = build.modules.map((m) => `${m.name} ${(m.bytes / 1e6).toFixed(2)} MB`);
    console.log(`\nWorker upload: ${sizes.join(", ")}.`);
  } finally {
    await Deno.remove(outDir, { recursive: true });
    await Deno.remove(memoryDir, { recursive: true });
    await Deno.remove(persist, { recursive: true });
  }
}

if (import.meta.main) await run(Deno.args);
