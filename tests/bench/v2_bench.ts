/**
 * `deno task bench v2`: the same iris prediction through MLflow's `/invocations`
 * (`dataframe_split`), the V2 route with a JSON body, and the V2 route with binary tensor data
 * in and out — wrk against `src/cli.ts serve` (web backend) in its own process on 127.0.0.1.
 *
 * Flags: `--duration=S` seconds per wrk run (default 5).
 *
 * @module
 */

import { loadAverage, wrk } from "./_wrk.ts";
import { spawnServe } from "../server/_serve_process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];
const ROWS = [[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5]];
const encoder = new TextEncoder();

function rows(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => ROWS[i % ROWS.length]);
}

/** One request: bytes and headers. */
interface Payload {
  body: Uint8Array;
  headers: Record<string, string>;
}

function mlflow(n: number): Payload {
  const body = JSON.stringify({ dataframe_split: { columns: COLUMNS, data: rows(n) } });
  return { body: encoder.encode(body), headers: { "Content-Type": "application/json" } };
}

function v2Json(n: number): Payload {
  const data = rows(n);
  const body = JSON.stringify({
    inputs: COLUMNS.map((name, j) => ({
      name,
      shape: [n, 1],
      datatype: "FP64",
      data: data.map((r) => r[j]),
    })),
  });
  return { body: encoder.encode(body), headers: { "Content-Type": "application/json" } };
}

function v2Binary(n: number): Payload {
  const data = rows(n);
  const header = encoder.encode(JSON.stringify({
    inputs: COLUMNS.map((name) => ({
      name,
      shape: [n, 1],
      datatype: "FP64",
      parameters: { binary_data_size: n * 8 },
    })),
    parameters: { binary_data_output: true },
  }));
  const body = new Uint8Array(header.length + COLUMNS.length * n * 8);
  body.set(header);
  COLUMNS.forEach((_, j) => {
    const col = new Float64Array(data.map((r) => r[j]));
    body.set(new Uint8Array(col.buffer), header.length + j * n * 8);
  });
  return {
    body,
    headers: {
      "Content-Type": "application/octet-stream",
      "Inference-Header-Content-Length": String(header.length),
    },
  };
}

/** Runs the suite and prints its table. */
export async function run(args: string[] = []): Promise<void> {
  const duration = Number(args.find((a) => a.startsWith("--duration="))?.split("=")[1] ?? 5);
  const server = await spawnServe(["-m", `${ROOT}examples/iris`], {
    ready: (url) => fetch(`${url}/v2/health/ready`).then((r) => (r.body?.cancel(), r.ok)),
    pollMs: 100,
  });
  const url = server.url;
  const before = await loadAverage();
  const lines: string[] = [];
  try {
    const kinds: [string, string, (n: number) => Payload][] = [
      ["/invocations dataframe_split", "/invocations", mlflow],
      ["V2 JSON", "/v2/models/default/infer", v2Json],
      ["V2 binary in and out", "/v2/models/default/infer", v2Binary],
    ];
    for (const n of [1, 100]) {
      for (const [label, path, make] of kinds) {
        const p = make(n);
        await wrk(url + path, p.body, { seconds: 3, headers: p.headers }); // warm-up: the JIT tiers up on a new path
        const r = await wrk(url + path, p.body, { seconds: duration, headers: p.headers });
        lines.push(
          `| ${label} | ${n} | ${p.body.length} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(3)} | ${
            r.p99.toFixed(3)
          } | ${r.non2xx} |`,
        );
      }
    }
  } finally {
    await server.stop();
  }
  console.log(
    `wrk -t2 -c2 -d${duration}s, iris (web backend), \`src/cli.ts serve\` on 127.0.0.1. Load average (1, 5, 15 min) before: ${before}, after: ${await loadAverage()} on ${navigator.hardwareConcurrency} cores.\n`,
  );
  console.log("| request | rows | body bytes | requests/s | p50 ms | p99 ms | non-2xx |");
  console.log("|---|---|---|---|---|---|---|");
  for (const l of lines) console.log(l);
}

if (import.meta.main) await run(Deno.args);
