/**
 * `deno task bench [name...]`: runs the benchmark suites one after another and prints their
 * markdown tables. Suites: `enforce` (wasm core vs JSON.parse), `server` (HTTP load with wrk),
 * `runtimes` (cold start, latency and memory per runtime), `cold` (a cold start of `deno task serve`
 * stage by stage, per backend), `store` (bundle downloads), `scale` (1 to
 * 200 MB models: cold start, memory, latency), `log` (logging models to a tracking server), `v2` (the same
 * prediction over /invocations and V2),
 * `hostile` (what hostile bodies, bundles and registry answers cost), `soak` (64 connections of
 * mixed bodies for `--duration=SECONDS`, default 600), `ops` (metrics, access log and tracing on
 * the request path). With no name, all of them run but `soak`.
 *
 * Benchmarks report; they never assert timings (the machines are noisy). Quote medians and
 * ratios measured in one process or back to back, and name the machine.
 *
 * @module
 */

const SUITES: Record<string, string> = {
  enforce: "./enforce_bench.ts",
  server: "./server_bench.ts",
  ops: "./ops_bench.ts",
  runtimes: "./runtimes_bench.ts",
  cold: "./cold_bench.ts",
  store: "./store_bench.ts",
  scale: "./scale_bench.ts",
  log: "./log_bench.ts",
  hostile: "./hostile_bench.ts",
  soak: "./soak_bench.ts",
  v2: "./v2_bench.ts",
};

/** What a suite module exports. */
interface Suite {
  run(args: string[]): Promise<void>;
}

async function main(args: string[]): Promise<void> {
  const names = args.filter((a) => !a.startsWith("-"));
  const flags = args.filter((a) => a.startsWith("-"));
  const selected = names.length > 0 ? names : Object.keys(SUITES).filter((n) => n !== "soak");
  const unknown = selected.filter((n) => !(n in SUITES));
  if (unknown.length > 0) {
    console.error(
      `Unknown suite(s) ${unknown.join(", ")}; known: ${Object.keys(SUITES).join(", ")}`,
    );
    Deno.exit(2);
  }
  console.log(`# mlflow-edge benchmarks\n\nMachine: ${await machine()}\n`);
  for (const name of selected) {
    console.log(`\n## ${name}\n`);
    const suite = (await import(SUITES[name])) as Suite;
    await suite.run(flags);
  }
}

/** A one-line description of this machine: CPU model, core count, OS, Deno version. */
async function machine(): Promise<string> {
  let cpu = "unknown CPU";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = info.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpu;
  } catch {
    // Not Linux: keep the generic name.
  }
  return `${cpu}, ${navigator.hardwareConcurrency} cores, ${Deno.build.os}, Deno ${Deno.version.deno}`;
}

if (import.meta.main) await main(Deno.args);
