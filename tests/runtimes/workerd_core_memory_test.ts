// In workerd (a Cloudflare Worker has 128 MB per isolate): after a small CSV that describes a
// frame of millions of cells, the enforcement core's memory is back under its cap, because
// the core is replaced by a fresh instance (synchronous instantiation works in workerd).
import assert from "node:assert/strict";
import { Miniflare } from "../_deps/miniflare.ts";
import { buildWorker } from "../../examples/cloudflare-workers/build.ts";

const CAP = 64 * 1024 * 1024;
const header = Array.from({ length: 700 }, (_, i) => `c${i}`).join(",");
/** 58 KB: a 702 x 14,000 frame (9.8 M cells) without a signature. */
const WIDE_CSV = `a,b,${header}\n` + "1,2\n".repeat(14_000);

Deno.test("in workerd the core's memory returns under its cap after a large frame", async () => {
  const dir = await Deno.makeTempDir({ prefix: "core_memory_worker_" });
  const build = await buildWorker({
    entry: new URL("./_core_memory_worker.ts", import.meta.url).pathname,
    outDir: dir,
  });
  const mf = new Miniflare({
    modulesRoot: build.outDir,
    modules: build.modules.map((m) => ({ type: m.type, path: m.path })),
    compatibilityDate: "2026-07-30",
  });
  try {
    const post = async (query: string) => {
      const res = await mf.dispatchFetch(`http://worker.test/${query}`, {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: WIDE_CSV,
      });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      return JSON.parse(text) as { before: number; after: number; rows: number };
    };
    const peak = await post("?cap=lifted");
    assert.equal(peak.rows, 14_000);
    assert.ok(peak.after > CAP, `the frame grows the core past the cap: ${peak.after}`);
    const rest = await post("");
    assert.equal(rest.rows, 14_000);
    assert.ok(rest.after <= CAP, `${rest.after} bytes at rest`);
  } finally {
    await mf.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
