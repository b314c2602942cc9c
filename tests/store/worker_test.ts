// The store code bundled for Cloudflare Workers runs inside workerd (miniflare) and reads a
// bundle through a real R2 binding; the bundle pulls in no file-system module.
import assert from "node:assert/strict";
import { Miniflare } from "../_deps/miniflare.ts";
import { bundleForWorkerd } from "../runtimes/_workerd.ts";
import { fixtureDir, readDir } from "./_servers.ts";

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("fetchBundle bundled for workerd reads r2://MODELS through the binding inside a Worker", async () => {
  const code = await bundleForWorkerd(new URL("./_worker_entry.ts", import.meta.url));
  // File-system modules are imported by computed specifier only, so nothing from node: is bundled.
  assert.doesNotMatch(code, /["']node:/);

  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.js", contents: code }],
    r2Buckets: ["MODELS"],
    compatibilityDate: "2025-01-01",
  });
  try {
    const bucket = await mf.getR2Bucket("MODELS") as unknown as {
      put(key: string, value: Uint8Array): Promise<unknown>;
    };
    const local = await readDir(fixtureDir("mnist_cnn_onnx"));
    for (const [k, v] of local) await bucket.put(`mnist/${k}`, v);
    const res = await mf.dispatchFetch("http://worker/?uri=r2://MODELS/mnist");
    const body = await res.json() as Record<string, string>;
    assert.equal(res.status, 200, JSON.stringify(body));
    const expected: Record<string, string> = {};
    for (const [k, v] of local) expected[k] = await sha256(v);
    assert.deepEqual(body, expected);

    const missing = await mf.dispatchFetch("http://worker/?uri=r2://MODELS/nothing-here");
    assert.equal(missing.status, 500);
    assert.deepEqual(await missing.json(), {
      error_code: "RESOURCE_DOES_NOT_EXIST",
      message: 'No files found at "r2://MODELS/nothing-here".',
    });
  } finally {
    await mf.dispose();
  }
});
