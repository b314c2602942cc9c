/**
 * `deno task bench cold`: where a cold start of `deno task serve` goes, stage by stage, for both
 * backends — from the process launch to the first iris prediction answered.
 *
 * Each run starts the `serve` task's own `deno run` command (deno.json's flags, the bundled iris
 * example) in a fresh process and reads its standard error: the "ready, N ms after start" line
 * (the runtime's clock) and the access log's `model_load` line (the load's stages). The stages
 * of one run add up to its total:
 *
 * - runtime start: process launch to the runtime's clock origin (launch to "ready", less what
 *   the process says it spent);
 * - CLI, server modules, app: the runtime's clock origin to the start of the model's load;
 * - the load: backend, fetch, MLmodel, session, signature, self-check (`LoadTimings`);
 * - first request: "ready" to the first 200 from `/invocations` (one 1-row iris body).
 *
 * The backend's start runs in the background from the CLI's start (onnxruntime-web's wasm
 * compiles on V8's threads), so its main-thread work lands in whichever stage is running then,
 * mostly "session". The table shows the run with the median total; min and max are over all
 * runs. Reports only, no assertion. `--runs=N` (default 9), `--backends=web,native` (default both).
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const MODEL = `${ROOT}examples/iris`;
const BODY = JSON.stringify({
  dataframe_split: {
    columns: ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
    data: [[5.1, 3.5, 1.4, 0.2]],
  },
});

/** The `serve` task's `deno run` flags, as deno.json has them. */
async function serveTaskArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const words = String(config.tasks.serve).split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "run") {
    throw new Error(`deno.json's serve task is not a "deno run" command: ${config.tasks.serve}`);
  }
  return words.slice(1).map((w) => (w.endsWith(".ts") ? `${ROOT}${w}` : w));
}

/** One cold start, in milliseconds per stage (summing to `total`). */
interface ColdRun {
  total: number;
  stages: [string, number][];
}

const LOAD_STAGES: [string, string][] = [
  ["backend", "load: backend"],
  ["fetch", "load: bundle fetch"],
  ["mlmodel", "load: MLmodel parse"],
  ["session", "load: ONNX session"],
  ["signature", "load: signature compile"],
  ["self_check", "load: self-check"],
];

async function coldRun(args: string[], backend: string): Promise<ColdRun> {
  // Below the ephemeral range (32768+), where closed client sockets in TIME-WAIT hold ports.
  const port = 20000 + Math.floor(Math.random() * 12000);
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args, "-m", MODEL, "-p", String(port), "--backend", backend],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  const readUntil = async (pattern: RegExp) => {
    while (!pattern.test(log)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the server exited:\n${log}`);
      log += value;
    }
    return pattern.exec(log)!;
  };
  try {
    const afterStart = Number((await readUntil(/ready, (\d+) ms after start/))[1]);
    const ready = performance.now() - t0;
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: BODY,
    });
    await res.text();
    if (res.status !== 200) throw new Error(`the first prediction answered ${res.status}`);
    const total = performance.now() - t0;
    // The access log is written in batches: its model_load line may come after "ready".
    const load = JSON.parse((await readUntil(/^\{.*"event":"model_load".*\}$/m))[0]);
    const loadStages = LOAD_STAGES.map(([key, label]) =>
      [label, load.stages[key]] as [
        string,
        number,
      ]
    );
    return {
      total,
      stages: [
        ["runtime start (launch to the runtime's clock)", ready - afterStart],
        ["CLI, server modules, app (to the load's start)", afterStart - load.ms],
        ...loadStages,
        // What the load's stages do not cover (rounding, the promise chain to "ready").
        ["load to ready", load.ms - loadStages.reduce((a, [, ms]) => a + ms, 0)],
        ["first request (ready to the first 200)", total - ready],
      ],
    };
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel().catch(() => {});
  }
}

const f0 = (ms: number) => ms.toFixed(ms < 10 ? 1 : 0);

/**
 * The backend's start alone, in a bare process (ms): importing onnxruntime-web, compiling its
 * wasm and initialising it through a first session, or importing onnxruntime-node.
 */
async function backendStartAlone(backend: string): Promise<number> {
  const module = `${ROOT}src/runtime/${backend}_backend.ts`;
  const code = backend === "web"
    ? `const { webBackend } = await import("file://${module}");
       const t = performance.now(); await webBackend().prepare();
       console.log(performance.now() - t);`
    : `const { nativeBackend } = await import("file://${module}");
       const t = performance.now(); await nativeBackend();
       console.log(performance.now() - t);`;
  const { stdout, success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--node-modules-dir=auto", code],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  if (!success) throw new Error(new TextDecoder().decode(stderr));
  return Number(new TextDecoder().decode(stdout).trim());
}

/**
 * Runs the suite and prints a markdown table per backend.
 *
 * @example
 * ```ts ignore
 * import { run } from "./cold_bench.ts";
 * await run(["--runs=5"]);
 * ```
 */
export async function run(args: string[] = []): Promise<void> {
  const runs = Number(args.find((a) => a.startsWith("--runs="))?.slice(7) ?? 9);
  const backends = (args.find((a) => a.startsWith("--backends="))?.slice(11) ?? "web,native")
    .split(",");
  const serve = await serveTaskArgs();
  console.log(
    `Cold start of \`deno task serve\` (its \`deno run\` command) on the bundled iris example, ` +
      `process launch to the first 1-row prediction answered; ${runs} fresh processes per ` +
      `backend, the run with the median total shown (its stages add up to it).\n`,
  );
  for (const backend of backends) {
    await coldRun(serve, backend); // a first run fills the runtime's caches
    const all: ColdRun[] = [];
    for (let i = 0; i < runs; i++) all.push(await coldRun(serve, backend));
    const sorted = [...all].sort((a, b) => a.total - b.total);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(
      `**${backend}**: ${f0(median.total)} ms (min ${f0(sorted[0].total)}, max ${
        f0(sorted[sorted.length - 1].total)
      })\n`,
    );
    console.log("| stage | ms | share |");
    console.log("|---|---|---|");
    for (const [stage, ms] of median.stages) {
      console.log(`| ${stage} | ${f0(ms)} | ${(100 * ms / median.total).toFixed(0)}% |`);
    }
    console.log(`| **total** | **${f0(median.total)}** | |\n`);
    const alone: number[] = [];
    for (let i = 0; i < Math.min(runs, 5); i++) alone.push(await backendStartAlone(backend));
    alone.sort((a, b) => a - b);
    console.log(
      `The ${backend} backend's start alone, in a bare process (${
        backend === "web"
          ? "onnxruntime-web imported, its wasm compiled and initialised by a first session"
          : "onnxruntime-node imported"
      }): ${f0(alone[Math.floor(alone.length / 2)])} ms (median of ${alone.length}). In a cold ` +
        `start it begins with the CLI and overlaps the stages above; its main-thread share ` +
        `shows in whichever stage runs meanwhile.\n`,
    );
  }
}

if (import.meta.main) await run(Deno.args);
