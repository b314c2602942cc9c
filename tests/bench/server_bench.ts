/**
 * `deno task bench server`: the scoring server under HTTP load (wrk), per backend.
 *
 * - wrk against `deno task serve`'s server (a separate process) on 127.0.0.1 with the iris
 *   bundle: 1-row and 100-row `dataframe_split` requests, 2 and 32 connections, requests/s, p50
 *   and p99, and the server process's CPU time per request (its JavaScript thread and V8's
 *   helper threads, e.g. garbage collection, apart), after a warm-up run;
 * - 1-row requests with adaptive batching (`--max-batch-size 32`, 2/32/128 connections), with
 *   two server threads (`--workers 2`), and with both;
 * - 1 row at 2 connections once more with a closed-loop client that times every response
 *   (`_closed_loop.ts`): wrk's percentiles include its coordinated-omission correction, which
 *   turns a few long stalls per run into its p99;
 * - the server path's cost over a bare `session.run` on the same input, measured in-process as
 *   CPU time, the two interleaved in small batches so that other load on the machine hits both;
 * - cold start: process start to the first 200 from `/invocations`.
 *
 * Flags: `--duration=S` seconds per wrk run (default 5), `--backends=web,native`.
 *
 * @module
 */
import process from "node:process";
import { buildFeeds, shapePredictions, webBackend } from "../../src/runtime/mod.ts";
import { loadModel, resolveBackend, serializePredictions } from "../../src/model/mod.ts";
import { compileSignature } from "../../src/enforce/mod.ts";
import { createApp } from "../../src/server/mod.ts";
import { median } from "./_median.ts";
import { loadAverage, wrk } from "./_wrk.ts";
import { closedLoop } from "./_closed_loop.ts";
import { type SpawnedServe, spawnServe } from "../server/_serve_process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MODEL = `${ROOT}examples/iris`;
const COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];
const ROWS = [[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5]];

/** A `dataframe_split` body of `n` rows, in Python's json.dumps spacing. */
export function body(n: number): string {
  const data = Array.from({ length: n }, (_, i) => ROWS[i % ROWS.length]);
  const rows = data.map((r) =>
    `[${r.map((v) => (Number.isInteger(v) ? v.toFixed(1) : v)).join(", ")}]`
  );
  return `{"dataframe_split": {"columns": [${COLUMNS.map((c) => `"${c}"`).join(", ")}], "data": [${
    rows.join(", ")
  }]}}`;
}

/** CPU seconds (user + system) used so far: the whole process, and its main (JavaScript) thread. */
export interface CpuTime {
  total: number;
  main: number;
}

interface Server extends SpawnedServe {
  /** CPU time the server process has used so far; NaN off Linux. */
  cpuSeconds(): Promise<CpuTime>;
}

/** user + system CPU seconds from a /proc stat file (Linux). */
async function statSeconds(path: string): Promise<number> {
  try {
    const stat = await Deno.readTextFile(path);
    // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** A process's CPU time; its main thread is the task with the process's own id. */
export async function cpuSecondsOf(pid: number): Promise<CpuTime> {
  return {
    total: await statSeconds(`/proc/${pid}/stat`),
    main: await statSeconds(`/proc/${pid}/task/${pid}/stat`),
  };
}

/** Starts `src/cli.ts serve` in its own process; cold start = spawn to first 200. */
async function startServer(backend: string, extra: string[] = []): Promise<Server> {
  const one = body(1);
  const server = await spawnServe(["-m", MODEL, "--backend", backend, ...extra], {
    denoFlags: ["--unstable-net"],
    ready: async (url) => {
      const res = await fetch(`${url}/invocations`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: one,
      });
      await res.body?.cancel();
      return res.status === 200;
    },
    pollMs: 2,
  });
  return { ...server, cpuSeconds: () => cpuSecondsOf(server.pid) };
}

/** CPU microseconds (user + system, whole process) per call of `fn` over `n` calls. */
async function cpuPerCall(fn: () => Promise<unknown>, n: number): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / n;
}

/**
 * Median CPU µs per call of `a` and of `b`, measured in alternating batches after a warm-up:
 * other load on the machine slows both alike, so their difference holds up.
 */
async function compareCpu(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  batches = 30,
  batch = 200,
): Promise<[number, number]> {
  for (let i = 0; i < 10; i++) {
    await cpuPerCall(a, batch);
    await cpuPerCall(b, batch);
  }
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < batches; i++) {
    as.push(await cpuPerCall(a, batch));
    bs.push(await cpuPerCall(b, batch));
  }
  return [median(as), median(bs)];
}

/** In-process: the full predict path vs a bare session.run on the same input. */
async function overhead(backendName: "web" | "native", rows: number) {
  const backend = backendName === "web" ? webBackend() : await resolveBackend("native");
  const model = await loadModel(MODEL, { backend, selfCheck: false });
  const payload = new TextEncoder().encode(body(rows));
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(MODEL)) {
    files.set(e.name, await Deno.readFile(`${MODEL}/${e.name}`));
  }
  const external = [...files.entries()].filter(([k]) => /^[0-9a-f-]{36}$/.test(k)).map((
    [path, data],
  ) => ({ path, data }));
  const session = await backend.createSession(files.get("model.onnx")!, external, {});
  const data = new Float32Array(rows * 4);
  for (let i = 0; i < rows; i++) data.set(ROWS[i % ROWS.length], i * 4);
  const feeds = { input: { type: "float32" as const, dims: [rows, 4], data } };
  const [bare, full] = await compareCpu(
    () => session.run(feeds, ["probabilities"]),
    () => model.invoke(payload, "application/json"),
  );
  await session.release();
  await model.close();
  return { bare, full };
}

/**
 * Where one 1-row request's CPU goes, in-process, each stage timed alone on the same input
 * (median CPU µs per call): the wasm core's validation, the feeds, a bare `session.run`, the
 * output layout and JSON, the model's own bookkeeping (the rest of `invoke`), the app (routing,
 * deadline, body read, headers; `app.fetch` minus `invoke` minus building the `Request`, which the
 * real server gets from Deno.serve). The HTTP server's own share is the wrk run's server CPU per
 * request minus that app path.
 */
async function breakdown(backendName: "web" | "native") {
  const backend = backendName === "web" ? webBackend() : await resolveBackend("native");
  const model = await loadModel(MODEL, { backend, selfCheck: false });
  const app = createApp({ modelUri: MODEL, backend: backendName, log: () => {}, accessLog: false });
  await app.ready();
  const text = body(1);
  const payload = new TextEncoder().encode(text);
  const sig = await compileSignature(model.model.signature!);
  const input = sig.validate(payload, "application/json");
  const feeds = buildFeeds(input, model.onnx.inputs);
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(MODEL)) {
    files.set(e.name, await Deno.readFile(`${MODEL}/${e.name}`));
  }
  const external = [...files.entries()].filter(([k]) => /^[0-9a-f-]{36}$/.test(k)).map((
    [path, data],
  ) => ({ path, data }));
  const session = await backend.createSession(files.get("model.onnx")!, external, {});
  const out = await session.run(feeds, ["probabilities"]);
  const p = out.probabilities;
  const outputs = [{ name: "probabilities", type: p.type, dims: p.dims, data: p.data }];
  const stages: Record<string, () => unknown> = {
    validate: () => sig.validate(payload, "application/json"),
    feed: () => buildFeeds(input, model.onnx.inputs),
    run: () => session.run(feeds, ["probabilities"]),
    serialize: () => serializePredictions(shapePredictions("columns", outputs), true),
    invoke: () => model.invoke(payload, "application/json"),
    request: () =>
      new Request("http://localhost/invocations", {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(payload.length) },
        body: payload,
      }),
    fetchApp: async () => {
      const res = await app.fetch(
        new Request("http://localhost/invocations", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": String(payload.length),
          },
          body: payload,
        }),
      );
      await res.arrayBuffer();
    },
  };
  // Warm-up long enough for V8 to finish tiering up (its compiler threads count as CPU too),
  // then every stage in turn, so that other load on the machine hits them alike.
  const names = Object.keys(stages);
  for (let i = 0; i < 10; i++) {
    for (const n of names) await cpuPerCall(async () => await stages[n](), 300);
  }
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < 15; i++) {
    for (const n of names) samples[n].push(await cpuPerCall(async () => await stages[n](), 200));
  }
  const m = Object.fromEntries(names.map((n) => [n, median(samples[n])]));
  const { validate, feed, run, serialize, invoke, request, fetchApp } = m;
  await session.release();
  sig.free();
  await model.close();
  await app.close();
  return { validate, feed, run, serialize, invoke, request, fetchApp };
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

/** Runs the suite and prints markdown tables. */
export async function run(args: string[] = []): Promise<void> {
  const duration = Number(args.find((a) => a.startsWith("--duration="))?.split("=")[1] ?? 5);
  const backends = (args.find((a) => a.startsWith("--backends="))?.split("=")[1] ?? "web,native")
    .split(",") as ("web" | "native")[];
  const loadAvgBefore = await loadAverage();
  const load: string[] = [];
  const cold: string[] = [];
  const over: string[] = [];
  const variants: string[] = [];
  const where: string[] = [];
  const timed: string[] = [];
  const serverCpu = new Map<string, number>();
  for (const backend of backends) {
    const server = await startServer(backend);
    cold.push(`| ${backend} | ${fmt(server.coldStartMs, 0)} |`);
    try {
      // Warm-up: the JIT tiers up on the first thousands of requests.
      for (const rows of [1, 100]) {
        await wrk(`${server.url}/invocations`, body(rows), { seconds: 2 });
      }
      for (const rows of [1, 100]) {
        for (const connections of [2, 32]) {
          const cpu0 = await server.cpuSeconds();
          const r = await wrk(`${server.url}/invocations`, body(rows), {
            seconds: duration,
            connections,
          });
          const cpu1 = await server.cpuSeconds();
          const requests = r.rps * duration;
          const perRequest = (cpu1.total - cpu0.total) * 1e6 / requests;
          const mainPerRequest = (cpu1.main - cpu0.main) * 1e6 / requests;
          if (rows === 1 && connections === 2) serverCpu.set(backend, perRequest);
          load.push(
            `| ${backend} | ${rows} | ${connections} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 3)} | ${
              fmt(r.p99, 3)
            } | ${fmt(perRequest, 0)} | ${fmt(mainPerRequest, 0)} | ${r.errors || "none"} |`,
          );
        }
      }
      // The client's own warm-up (its JIT), then the measured run.
      await closedLoop(`${server.url}/invocations`, body(1), { seconds: 2, connections: 2 });
      const c = await closedLoop(`${server.url}/invocations`, body(1), {
        seconds: duration,
        connections: 2,
      });
      timed.push(
        `| ${backend} | ${fmt(c.rps, 0)} | ${fmt(c.p50, 3)} | ${fmt(c.p99, 3)} | ${
          fmt(c.p999, 3)
        } | ${fmt(c.max, 1)} | ${c.non200 ? `${c.non200} non-200` : "none"} |`,
      );
    } finally {
      await server.stop();
    }
    // Adaptive batching and server threads, 1 row.
    for (
      const [label, extra, conns] of [
        ["batching 32", ["--max-batch-size", "32"], [2, 32, 128]],
        ["2 workers", ["--workers", "2"], [2, 32]],
        ["2 workers + batching 32", ["--workers", "2", "--max-batch-size", "32"], [32, 128]],
      ] as const
    ) {
      const s = await startServer(backend, [...extra]);
      try {
        await wrk(`${s.url}/invocations`, body(1), { seconds: 2, connections: 32 });
        for (const connections of conns) {
          const r = await wrk(`${s.url}/invocations`, body(1), { seconds: duration, connections });
          variants.push(
            `| ${backend} | ${label} | ${connections} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 3)} | ${
              fmt(r.p99, 3)
            } | ${r.errors || "none"} |`,
          );
        }
      } finally {
        await s.stop();
      }
    }
    {
      const b = await breakdown(backend);
      const total = serverCpu.get(backend) ?? NaN;
      const own = b.invoke - b.validate - b.feed - b.run - b.serialize;
      const rows: [string, number][] = [
        ["validation (wasm core: parse + signature)", b.validate],
        ["feeds (columns to tensors)", b.feed],
        ["session.run (onnxruntime, bare)", b.run],
        ["output layout + JSON", b.serialize],
        ["model bookkeeping (rest of invoke)", own],
        ["app: routing, deadline, body read, headers", b.fetchApp - b.request - b.invoke],
        ["HTTP server (Deno.serve) and the rest of the process", total - (b.fetchApp - b.request)],
      ];
      for (const [what, us] of rows) {
        where.push(`| ${backend} | ${what} | ${fmt(us, 1)} | ${fmt(us / total * 100, 0)}% |`);
      }
      where.push(
        `| ${backend} | **server CPU per request (wrk, c=2)** | **${fmt(total, 1)}** | 100% |`,
      );
    }
    for (const rows of [1, 100]) {
      const { bare, full } = await overhead(backend, rows);
      over.push(
        `| ${backend} | ${rows} | ${fmt(bare, 1)} | ${fmt(full, 1)} | ${fmt(full - bare, 1)} |`,
      );
    }
  }
  console.log(
    `Machine load average (1, 5, 15 min) before the runs: ${loadAvgBefore}, after: ${await loadAverage()} ` +
      `(on ${navigator.hardwareConcurrency} cores; other work on the machine lowers requests/s).\n`,
  );
  console.log(
    `wrk -t2 -d${duration}s --latency, POST /invocations (iris, dataframe_split), server: \`src/cli.ts serve\` in its own process on 127.0.0.1. Server CPU per request (user + system time of the server process / requests; "main thread" = the JavaScript thread, the rest is V8's helper threads) is the figure least disturbed by other load on the machine.\n`,
  );
  console.log(
    "| backend | rows | connections | requests/s | p50 ms | p99 ms | server CPU µs/request | of it main thread | errors |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const l of load) console.log(l);
  console.log(
    "\n1 row, 2 connections, every response timed by a closed-loop client in the bench process (wrk's percentiles above include its coordinated-omission correction: each response slower than the mean interval adds synthetic samples, so a few long stalls decide its p99):\n",
  );
  console.log("| backend | requests/s | p50 ms | p99 ms | p99.9 ms | max ms | errors |");
  console.log("|---|---|---|---|---|---|---|");
  for (const l of timed) console.log(l);
  console.log(
    "\nAdaptive batching (`--max-batch-size 32`) and server threads (`--workers 2`), 1 row, same wrk settings:\n",
  );
  console.log("| backend | server | connections | requests/s | p50 ms | p99 ms | errors |");
  console.log("|---|---|---|---|---|---|---|");
  for (const l of variants) console.log(l);
  console.log(
    "\nIn-process, median CPU µs per call (alternating batches of 200): bare `session.run` on pre-built feeds vs the whole predict path (validate in wasm, feeds, run, serialise), same input.\n",
  );
  console.log("| backend | rows | session.run µs | predict path µs | overhead µs |");
  console.log("|---|---|---|---|---|");
  for (const l of over) console.log(l);
  console.log(
    "\nWhere one 1-row request's CPU goes (median CPU µs per call of each stage alone, in-process; the app row is `app.fetch` minus `invoke` minus building the `Request` (Deno.serve hands the real one over), the HTTP share is the wrk run's server CPU per request at c=2 minus that, so the rows add up to it):\n",
  );
  console.log("| backend | stage | CPU µs | share |");
  console.log("|---|---|---|---|");
  for (const l of where) console.log(l);
  console.log(
    "\nCold start: process spawn to the first 200 from /invocations (model load, session creation, signature compile, self-check included).\n",
  );
  console.log("| backend | cold start ms |");
  console.log("|---|---|");
  for (const l of cold) console.log(l);
}

if (import.meta.main) await run(Deno.args);
