/**
 * `deno task bench ops`: what operating the server costs on the request path. The CLI server
 * (iris, web backend, 1-row `dataframe_split`, wrk -t2) in its own process, configured as:
 *
 * - `bare`: no metrics, no access log (`--metrics off --no-access-log`);
 * - `bare, no secure headers`: as `bare`, without Hono's `secureHeaders` (what those cost);
 * - `metrics`: metrics on (the default), no access log;
 * - `metrics+log`: metrics and the access log (the CLI's default; stderr to /dev/null);
 * - `+no-op tracing`: as `metrics+log`, with request spans on but no tracer provider (the
 *   `@opentelemetry/api` no-op tracer: what tracing costs when it is switched on in the app but
 *   nothing exports);
 * - `metrics+log, 1 Hz scrape`: as `metrics+log` while a client scrapes `/metrics` every second.
 *
 * Configurations alternate over several rounds (other load on the machine hits all alike);
 * reported: median requests/s and median server CPU µs per request (user + system of the server
 * process / requests), the figure least disturbed by the machine's other load.
 *
 * Then the same configurations in-process, without HTTP (see `inProcess`).
 *
 * Flags: `--duration=S` seconds per wrk run (default 5), `--rounds=N` (default 3),
 * `--connections=N` (default 2).
 *
 * @module
 */
import process from "node:process";
import { type AppOptions, createApp } from "../../src/server/app.ts";
import { body, cpuSecondsOf } from "./server_bench.ts";
import { median } from "./_median.ts";
import { loadAverage, wrk } from "./_wrk.ts";
import { type SpawnedServe, spawnServe } from "../server/_serve_process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MODEL = `${ROOT}examples/iris`;

interface Config {
  name: string;
  args: string[];
  env: Record<string, string>;
  scrape: boolean;
}

const CONFIGS: Config[] = [
  { name: "bare", args: ["--metrics", "off", "--no-access-log"], env: {}, scrape: false },
  {
    name: "bare, no secure headers",
    args: ["--metrics", "off", "--no-access-log"],
    env: { MLFLOW_EDGE_SECURE_HEADERS: "off" },
    scrape: false,
  },
  { name: "metrics", args: ["--no-access-log"], env: {}, scrape: false },
  { name: "metrics+log", args: [], env: {}, scrape: false },
  { name: "+no-op tracing", args: [], env: { MLFLOW_EDGE_TRACING: "on" }, scrape: false },
  { name: "metrics+log, 1 Hz scrape", args: [], env: {}, scrape: true },
];

function start(config: Config): Promise<SpawnedServe> {
  return spawnServe(["-m", MODEL, ...config.args], { env: config.env, pollMs: 20 });
}

/** Scrapes /metrics once a second until stopped; resolves to the number of scrapes. */
function scraper(url: string): { stop(): Promise<number> } {
  let running = true;
  let count = 0;
  const loop = (async () => {
    while (running) {
      const res = await fetch(`${url}/metrics`);
      await res.text();
      count++;
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return count;
    },
  };
}

/**
 * In-process, without HTTP: CPU µs per `app.fetch` of the same request for each configuration, in
 * alternating batches of 150 (100 rounds after 5 of warm-up); the p25 and the median. This
 * isolates what the app adds from the HTTP server's own cost, and is steadier than wrk on a busy
 * machine.
 */
async function inProcess(): Promise<{ name: string; p25: number; median: number }[]> {
  let sunk = 0;
  const sink = (line: string) => {
    sunk += line.length;
  };
  const configs: [string, AppOptions][] = [
    ["bare", { metrics: false }],
    ["bare, no secure headers", { metrics: false, secureHeaders: false }],
    ["metrics", {}],
    ["metrics+log", { accessLog: sink }],
    ["+no-op tracing", { accessLog: sink, tracing: true }],
  ];
  const apps = [];
  for (const [name, options] of configs) {
    const app = createApp({ modelUri: MODEL, log: () => {}, ...options });
    await app.ready();
    apps.push({ name, app, runs: [] as number[] });
  }
  const payload = body(1);
  const batch = async (fetch: (r: Request) => Response | Promise<Response>, n: number) => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const res = await fetch(
        new Request("http://127.0.0.1/invocations", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: payload,
        }),
      );
      await res.arrayBuffer();
    }
    const t = process.cpuUsage(t0);
    return (t.user + t.system) / n;
  };
  for (let round = 0; round < 105; round++) {
    for (const a of apps) {
      const us = await batch(a.app.fetch, 150);
      if (round >= 5) a.runs.push(us);
    }
  }
  for (const a of apps) await a.app.close();
  if (sunk === 0) throw new Error("the access log wrote nothing");
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)];
  return apps.map((a) => ({ name: a.name, p25: q(a.runs, 0.25), median: q(a.runs, 0.5) }));
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

/** Runs the suite and prints a markdown table. */
export async function run(args: string[] = []): Promise<void> {
  const flag = (name: string, fallback: number) =>
    Number(args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
  const duration = flag("duration", 5);
  const rounds = flag("rounds", 3);
  const connections = flag("connections", 2);
  const payload = body(1);
  const loadBefore = await loadAverage();
  const rps = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  const errors: string[] = [];
  let scrapes = 0;
  for (let round = 0; round < rounds; round++) {
    for (const config of CONFIGS) {
      const server = await start(config);
      try {
        // Warm-up: the JIT tiers up on the first thousands of requests.
        await wrk(`${server.url}/invocations`, payload, { seconds: 2, connections });
        const scrape = config.scrape ? scraper(server.url) : undefined;
        const cpu0 = await cpuSecondsOf(server.pid);
        const r = await wrk(`${server.url}/invocations`, payload, {
          seconds: duration,
          connections,
        });
        const cpu1 = await cpuSecondsOf(server.pid);
        if (scrape) scrapes += await scrape.stop();
        if (r.errors) errors.push(`${config.name}: ${r.errors}`);
        const requests = r.rps * duration;
        rps.set(config.name, [...(rps.get(config.name) ?? []), r.rps]);
        cpu.set(config.name, [
          ...(cpu.get(config.name) ?? []),
          (cpu1.total - cpu0.total) * 1e6 / requests,
        ]);
      } finally {
        await server.stop();
      }
    }
  }
  console.log(
    `Load average (1, 5, 15 min) before: ${loadBefore}, after: ${await loadAverage()} (on ${navigator.hardwareConcurrency} cores). ` +
      `wrk -t2 -c${connections} -d${duration}s, POST /invocations (iris, 1 row), ${rounds} alternating rounds, medians; ` +
      `${scrapes} scrapes of /metrics during the scraped runs.${
        errors.length ? ` Errors: ${errors.join("; ")}.` : ""
      }\n`,
  );
  const inProc = await inProcess();
  const bareCpu = median(cpu.get("bare")!);
  const bareRps = median(rps.get("bare")!);
  console.log(
    "| configuration | requests/s | vs bare | server CPU µs/request | vs bare | runs (CPU µs) |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const config of CONFIGS) {
    const r = median(rps.get(config.name)!);
    const c = median(cpu.get(config.name)!);
    console.log(
      `| ${config.name} | ${fmt(r)} | ${fmt((r / bareRps - 1) * 100, 1)} % | ${fmt(c, 1)} | ${
        fmt((c / bareCpu - 1) * 100, 1)
      } % | ${cpu.get(config.name)!.map((x) => fmt(x, 0)).join(", ")} |`,
    );
  }
  const bare = inProc.find((r) => r.name === "bare")!;
  console.log(
    "\nIn-process, no HTTP: CPU µs per `app.fetch` of the same request (alternating batches of 150, 100 rounds).\n",
  );
  console.log("| configuration | p25 µs | median µs | median vs bare |");
  console.log("|---|---|---|---|");
  for (const r of inProc) {
    console.log(
      `| ${r.name} | ${fmt(r.p25, 1)} | ${fmt(r.median, 1)} | ${
        fmt(r.median - bare.median, 1)
      } µs (${fmt((r.median / bare.median - 1) * 100, 1)} %) |`,
    );
  }
}

if (import.meta.main) await run(Deno.args);
