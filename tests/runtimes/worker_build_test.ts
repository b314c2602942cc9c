/**
 * `deno task build:worker`: what it writes, and the upload's size budget.
 *
 * Budget: the measured upload plus 12-14 % headroom. Measured at commit 48258f6 (esbuild 0.28.2,
 * minified; gzip through CompressionStream as below): worker.js 321,435 B (108,799 gzip),
 * mlflow_edge_core.wasm 318,555 B (126,699), ort-wasm-simd-threaded.wasm 14,239,897 B
 * (3,740,409): 14,879,887 B raw, 3,975,907 B gzip.
 * If this test fails, something large entered the bundle: find it before raising the budget.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildWorker, type WorkerBuild } from "../../examples/cloudflare-workers/build.ts";

/** Bytes. Raw: what Workers count against the uncompressed limit; gzip: the compressed one. */
export const WORKER_BUDGET = { raw: 17_000_000, gzip: 4_470_000 } as const;

let built: Promise<WorkerBuild> | undefined;
function build(): Promise<WorkerBuild> {
  built ??= Deno.makeTempDir({ prefix: "worker_build_" }).then((outDir) => buildWorker({ outDir }));
  return built;
}

/** gzip size of a file at the default level. */
export async function gzipSize(path: string): Promise<number> {
  const file = await Deno.open(path);
  let size = 0;
  for await (const chunk of file.readable.pipeThrough(new CompressionStream("gzip"))) {
    size += chunk.length;
  }
  return size;
}

Deno.test("build:worker writes worker.js, every wasm file it imports and a wrangler.toml", async () => {
  const b = await build();
  const names = [...Deno.readDirSync(b.outDir)].map((e) => e.name).sort();
  assert.deepEqual(names, [...b.modules.map((m) => m.name), "wrangler.toml"].sort());
  assert.equal(b.modules[0].name, "worker.js");
  const js = await Deno.readTextFile(b.modules[0].path);
  const imported = [...js.matchAll(/from\s*"\.\/([^"]+\.wasm)"/g)].map((m) => m[1]).sort();
  const wasm = b.modules.filter((m) => m.type === "CompiledWasm").map((m) => m.name).sort();
  assert.deepEqual(imported, wasm);
  assert.ok(wasm.includes("ort-wasm-simd-threaded.wasm"));
  assert.ok(wasm.includes("mlflow_edge_core.wasm"));
  // Only wasm and the entry: no other import may survive bundling (workerd would not find it).
  const staticImports = [...js.matchAll(/(?:^|[;}\s])import\s*(?:[\w{}\s,*$]+from\s*)?"([^"]+)"/g)]
    .map((m) => m[1]);
  assert.deepEqual(staticImports.filter((s) => !s.endsWith(".wasm")), []);
});

Deno.test("the generated wrangler.toml deploys dist/worker as built, with the example's bindings", async () => {
  const toml = await Deno.readTextFile((await build()).wranglerToml);
  assert.match(toml, /^main = "worker\.js"$/m);
  assert.match(toml, /^no_bundle = true$/m);
  assert.match(toml, /type = "CompiledWasm", globs = \["\*\*\/\*\.wasm"\]/);
  assert.match(toml, /^MODEL_URI = "r2:\/\/MODELS\/iris"$/m);
  assert.match(toml, /\[\[r2_buckets\]\]\s*\nbinding = "MODELS"/);
  // TOML: top-level keys must come before the first table.
  const firstTable = toml.search(/^\[/m);
  assert.ok(toml.indexOf("main =") < firstTable && toml.indexOf("rules =") < firstTable);
});

Deno.test("the Worker upload stays within its size budget, raw and gzip", async () => {
  const b = await build();
  let raw = 0;
  let gzip = 0;
  const lines: string[] = [];
  for (const m of b.modules) {
    const z = await gzipSize(m.path);
    raw += m.bytes;
    gzip += z;
    lines.push(`${m.name}: ${m.bytes} raw, ${z} gzip`);
  }
  const report = `${lines.join("; ")}; total ${raw} raw, ${gzip} gzip`;
  assert.ok(raw <= WORKER_BUDGET.raw, `raw ${raw} > budget ${WORKER_BUDGET.raw} (${report})`);
  assert.ok(gzip <= WORKER_BUDGET.gzip, `gzip ${gzip} > budget ${WORKER_BUDGET.gzip} (${report})`);
  await Deno.remove(b.outDir, { recursive: true });
});

Deno.test("deno task build:worker writes the upload where --out says", async () => {
  const out = await Deno.makeTempDir({ prefix: "worker_task_" });
  try {
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["task", "build:worker", "--out", out],
      cwd: new URL("../../", import.meta.url).pathname,
      env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
    const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      "mlflow_edge_core.wasm",
      "ort-wasm-simd-threaded.wasm",
      "worker.js",
      "wrangler.toml",
    ]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
