/**
 * Workers allow 128 MB per isolate. Loading a model (bundle from R2, ONNX session, signature,
 * self-check) must stay well inside that: measured as the growth of the workerd process's
 * resident memory (VmRSS) from the idle Worker to after its first prediction, one Worker per
 * process, plus onnxruntime-web's linear memory inside the isolate. Linux only (/proc).
 *
 * Later growth under load (V8's optimised code for ort's kernels) is reported by
 * `deno task bench runtimes`, not asserted here.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Miniflare } from "../_deps/miniflare.ts";
import { buildWorker } from "../../examples/cloudflare-workers/build.ts";
import { listeningPid, readTree, vmRssMb } from "./_workerd.ts";
import { bundlePath, goldenCases, requestBody } from "../_golden.ts";

const LIMIT_MB = 128;
const HAVE_PROC = await Deno.stat("/proc/net/tcp").then(() => true, () => false);

const CASES = [
  ["iris_mlp_onnx", "dataframe_split_1row"],
  ["mnist_cnn_onnx", "inputs_1_image"],
] as const;

Deno.test({
  name: "loading iris or mnist adds less than 128 MB to workerd's resident memory",
  ignore: !HAVE_PROC,
  fn: async (t) => {
    const outDir = await Deno.makeTempDir({ prefix: "worker_memory_" });
    try {
      const build = await buildWorker({
        entry: new URL("../bench/_memory_worker.ts", import.meta.url).pathname,
        outDir,
      });
      for (const [bundle, caseName] of CASES) {
        await t.step(bundle, async () => {
          const mf = new Miniflare({
            modulesRoot: build.outDir,
            modules: build.modules.map((m) => ({ type: m.type, path: m.path })),
            compatibilityDate: "2026-07-30",
            r2Buckets: ["MODELS"],
            bindings: { MODEL_URI: `r2://MODELS/${bundle}` },
          });
          try {
            const url = await mf.ready;
            const bucket = await mf.getR2Bucket("MODELS") as unknown as {
              put(key: string, value: Uint8Array): Promise<unknown>;
            };
            for (const [rel, bytes] of await readTree(bundlePath(bundle))) {
              await bucket.put(`${bundle}/${rel}`, bytes);
            }
            const pid = listeningPid(url);
            assert.ok(pid, `no process listens on ${url}`);
            const idle = vmRssMb(pid);
            const c = goldenCases(bundle).find((x) => x.name === caseName)!;
            const res = await fetch(new URL("/invocations", url), {
              method: "POST",
              headers: { "content-type": c.content_type },
              body: requestBody(c),
            });
            assert.equal(res.status, 200, await res.text());
            const loaded = vmRssMb(pid);
            const memory = await fetch(new URL("/__memory", url));
            const { ortWasmBytes } = await memory.json() as { ortWasmBytes: number };
            const growth = loaded - idle;
            assert.ok(
              growth < LIMIT_MB,
              `${bundle}: ${idle.toFixed(1)} MB idle -> ${loaded.toFixed(1)} MB loaded`,
            );
            assert.ok(ortWasmBytes > 0 && ortWasmBytes < LIMIT_MB * 2 ** 20, `${ortWasmBytes}`);
          } finally {
            await mf.dispose();
          }
        });
      }
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});
