/**
 * `deno task bench hostile`: what hostile bodies, bundles and registry answers cost the server,
 * item by item (the defects of issue #9), with time and peak memory. "Before" figures run the
 * old behaviour where a setting still allows it (the core's element bound, no in-flight bound,
 * the yaml package without the reference guard — `--before`, slow and memory-hungry); where the
 * old code is gone the measured figures are quoted. Nothing here asserts anything.
 *
 * @module
 */
import { createApp } from "../../src/server/app.ts";
import { fetchBundle } from "../../src/store/mod.ts";
import { fixtureDir, readDir, startMlflow } from "../store/_servers.ts";
import { irisBody, type ServeProcess, startServe } from "../server/_serve_process.ts";
import { loadAverage } from "./_wrk.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

interface Row {
  item: string;
  case: string;
  before: string;
  after: string;
}

const rows: Row[] = [];
const fmtMs = (ms: number) => (ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`);
const fmtMb = (mb: number) => `${Math.round(mb)} MB`;

async function child(which: string, timeoutS = 180): Promise<string> {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}tests/bench/_hostile_child.ts`, which],
    stdout: "piped",
    stderr: "null",
    cwd: ROOT,
  }).spawn();
  let peak = 0;
  const timer = setTimeout(() => {
    try {
      peak = Number(
        /^VmHWM:\s+(\d+)/m.exec(Deno.readTextFileSync(`/proc/${proc.pid}/status`))?.[1],
      ) / 1024;
      proc.kill("SIGKILL");
    } catch {
      // finished meanwhile
    }
  }, timeoutS * 1000);
  const out = await proc.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!text) return `killed after ${timeoutS} s, peak ${fmtMb(peak)}`;
  const r = JSON.parse(text) as { ms: number; peakMb: number; outcome: string };
  return `${fmtMs(r.ms)}, peak ${fmtMb(r.peakMb)} (${r.outcome.split(":")[0]})`;
}

async function yamlRows(before: boolean): Promise<void> {
  for (
    const [name, label] of [["merge", "3.7 MB, 99 merge keys"], ["alias", "3.7 MB, 99 aliases"]]
  ) {
    rows.push({
      item: "2 YAML expansion",
      case: `MLmodel ${label}`,
      before: before
        ? await child(`yaml-${name}-old`, 60)
        : "20–140 s, peak 3.4–4.4 GB (issue; `--before` re-runs it)",
      after: await child(`yaml-${name}`),
    });
  }
}

async function externalDataRows(): Promise<void> {
  for (const backend of ["native", "web"]) {
    rows.push({
      item: "3 external data",
      case: `model.onnx naming .//deno.json, ${backend}`,
      before: backend === "native" ? "read ./deno.json as weights (issue)" : "refused by ort-web",
      after: await child(`external-${backend}`),
    });
  }
}

async function ssrfRows(): Promise<void> {
  const seen: string[] = [];
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    seen.push(req.url);
    return new Response("x");
  });
  const mlflow = await startMlflow({
    versions: [{ name: "m", version: "1", artifactUri: "mlflow-artifacts:/m1" }],
  });
  try {
    mlflow.mount("m1", await readDir(fixtureDir("iris_mlp_onnx")));
    mlflow.faults.set("m1/MLmodel", {
      kind: "redirect",
      location: `http://127.0.0.1:${other.addr.port}/MLmodel`,
    });
    let t0 = performance.now();
    const redirect = await fetchBundle("models:/m/1", {
      cacheDir: false,
      retries: 0,
      tracking: { uri: mlflow.url, token: "t" },
    }).then(() => "followed", (e) => `refused ${e.errorCode}`);
    rows.push({
      item: "4a SSRF: redirects",
      case: "artifact on the tracking host answers 302 to another port",
      before: "followed to the other host (issue)",
      after: `${redirect} in ${fmtMs(performance.now() - t0)}; ${seen.length} requests elsewhere`,
    });
    t0 = performance.now();
    const bucket = await fetchBundle(`s3://x@127.0.0.1:${other.addr.port}/m`, {
      cacheDir: false,
      retries: 0,
      s3: { accessKeyId: "k", secretAccessKey: "s", sessionToken: "token" },
    }).then(() => "fetched", (e) => `refused ${e.errorCode}`);
    rows.push({
      item: "4b SSRF: S3 bucket",
      case: "s3://x@host:port/m with a session token",
      before: "connected there and sent the token (issue)",
      after: `${bucket} in ${fmtMs(performance.now() - t0)}; ${seen.length} requests elsewhere`,
    });
  } finally {
    await mlflow.close();
    await other.shutdown();
  }
}

/** Posts `bodies` concurrently; returns the statuses (sorted, counted), time and peak memory. */
async function burst(server: ServeProcess, bodies: string[], type = "application/json") {
  server.resetPeak();
  const base = server.rssMb();
  const t0 = performance.now();
  const statuses = await Promise.all(bodies.map(async (body) => {
    const res = await fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "Content-Type": type },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  }));
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n}×${s}`).join(" ");
  return `${summary} in ${fmtMs(performance.now() - t0)}, peak ${fmtMb(server.peakMb())} ` +
    `(idle ${fmtMb(base)}), after ${fmtMb(server.rssMb())}`;
}

const OLD_LIMITS = ["--max-elements", "10000000", "--max-inflight-bytes", "100000000000"];

async function amplificationRows(): Promise<void> {
  const json15 = irisBody(680_000); // ≈15 MB
  const csv15 = "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n" +
    "5.1,3.5,1.4,0.2\n".repeat(940_000);
  const accepted = irisBody(199_998); // the largest body under the default element bound
  const cases: [string, string[], string?][] = [
    ["1 CSV of 15 MB", [csv15], "text/csv"],
    ["4 concurrent JSON bodies of 15 MB", Array(4).fill(json15)],
    ["16 concurrent JSON bodies of 4.4 MB (199,998 rows)", Array(16).fill(accepted)],
  ];
  for (const [label, bodies, type] of cases) {
    const old = await startServe(OLD_LIMITS);
    const before = await burst(old, bodies, type).finally(() => old.stop());
    const now = await startServe([]);
    const after = await burst(now, bodies, type).finally(() => now.stop());
    rows.push({ item: "7 amplification", case: label, before, after });
  }
}

async function slowHeaderRows(): Promise<void> {
  const server = await startServe([]);
  const conns: Deno.TcpConn[] = [];
  try {
    const rss0 = server.rssMb();
    const fds0 = server.fds();
    const port = Number(new URL(server.url).port);
    const enc = new TextEncoder().encode("GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: a");
    for (let i = 0; i < 5000; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      await c.write(enc);
      conns.push(c);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await (await fetch(`${server.url}/ping`)).text();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const rss = server.rssMb() - rss0;
    rows.push({
      item: "8 slow headers",
      case: "5,000 connections that never finish their headers",
      before: "19,500 held open, 273 MB (issue)",
      after: `all held (no header timeout in Deno.serve): +${fmtMb(rss)} (${
        Math.round(rss * 1024 / 5000)
      } KB each), +${server.fds() - fds0} fds; /ping p50 ${fmtMs(times[25])}, max ${
        fmtMs(times[49])
      }`,
    });
  } finally {
    for (const c of conns) c.close();
    await server.stop();
  }
}

async function echoRows(): Promise<void> {
  const app = createApp({ modelUri: `${ROOT}examples/iris`, log: () => {} });
  await app.ready();
  const big = "c".repeat(10 * 1024 * 1024);
  const t0 = performance.now();
  const res = await app.request("/invocations", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ dataframe_split: { columns: [big], data: [[1]] } }),
  });
  const text = await res.text();
  rows.push({
    item: "9 unbounded echo",
    case: "a 10 MB column name",
    before: "10 MB error body (issue)",
    after: `${res.status}, ${text.length} bytes in ${fmtMs(performance.now() - t0)}`,
  });
  await app.close();
}

/** Time to answer one body, the longest /ping wait meanwhile, and the peak memory. */
async function loopBlock(server: ServeProcess, body: string): Promise<string> {
  server.resetPeak();
  let stop = false;
  let maxGap = 0;
  const pinger = (async () => {
    while (!stop) {
      const t = performance.now();
      await (await fetch(`${server.url}/ping`)).text();
      maxGap = Math.max(maxGap, performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const t0 = performance.now();
  const res = await fetch(`${server.url}/invocations`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  const timing = res.headers.get("server-timing") ?? "";
  const out = await res.arrayBuffer();
  const ms = performance.now() - t0;
  stop = true;
  await pinger;
  const parts = Object.fromEntries(
    [...timing.matchAll(/(\w+);dur=([\d.]+)/g)].map((m) => [m[1], Number(m[2])]),
  );
  return `${res.status} in ${fmtMs(ms)} (validate ${fmtMs(parts.parse ?? NaN)}, infer ${
    fmtMs(parts.infer ?? NaN)
  }, serialise ${fmtMs(parts.serialize ?? NaN)}; answer ${
    (out.byteLength / 1e6).toFixed(1)
  } MB); /ping waited up to ${fmtMs(maxGap)}; peak ${fmtMb(server.peakMb())}`;
}

async function eventLoopRows(): Promise<void> {
  for (const backend of ["web", "native"]) {
    const old = await startServe(["--backend", backend, ...OLD_LIMITS]);
    const before = await loopBlock(old, irisBody(1_999_998)).finally(() => old.stop());
    const now = await startServe(["--backend", backend]);
    const after = await loopBlock(now, irisBody(199_998)).finally(() => now.stop());
    rows.push({
      item: "event loop",
      case:
        `largest accepted iris body, ${backend}: 10 M elements before (43.8 MB), 1 M after (4.4 MB)`,
      before,
      after,
    });
  }
}

async function coreRows(): Promise<void> {
  let mod: { coreRows?: () => Promise<unknown> };
  try {
    mod = await import("./_hostile_core.ts");
  } catch {
    return; // the core's rows are not there
  }
  const found = await mod.coreRows?.();
  if (!Array.isArray(found)) return;
  for (const r of found) {
    if (Array.isArray(r)) {
      const [item = "", c = "", before = "", after = ""] = r.map(String);
      rows.push({ item, case: c, before, after });
    } else if (r && typeof r === "object") {
      const o = r as Record<string, unknown>;
      rows.push({
        item: String(o.item ?? ""),
        case: String(o.case ?? ""),
        before: String(o.before ?? ""),
        after: String(o.after ?? ""),
      });
    }
  }
}

/** Runs every hostile case and prints one markdown table. */
export async function run(args: string[] = []): Promise<void> {
  const before = args.includes("--before");
  console.log(`Load average at start: ${await loadAverage()}\n`);
  await coreRows();
  await yamlRows(before);
  await externalDataRows();
  await ssrfRows();
  await amplificationRows();
  await slowHeaderRows();
  await echoRows();
  await eventLoopRows();
  console.log("| item | case | before | after |\n| --- | --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.item} | ${r.case} | ${r.before} | ${r.after} |`);
  console.log(`\nLoad average at end: ${await loadAverage()}`);
}

if (import.meta.main) await run(Deno.args);
