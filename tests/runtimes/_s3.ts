/**
 * A local S3 (s3rver on 127.0.0.1) holding every fixture bundle under `s3://models/<bundle>/`.
 * s3rver checks request shape, not signatures; credentials are `S3RVER` / `S3RVER`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { S3rver } from "../_deps/s3rver.ts";
import { readTree } from "./_workerd.ts";
import { bundlePath, REPLAYED_BUNDLES } from "../_golden.ts";

const BUNDLES = [...REPLAYED_BUNDLES, "iris_mlp_pytorch"];

/** s3rver with every fixture bundle under s3://models/<bundle>/. */
export async function startS3(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const directory = await Deno.makeTempDir({ prefix: "s3rver_" });
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: "models" }],
  });
  const { port } = await s3.run();
  const endpoint = `http://127.0.0.1:${port}`;
  for (const bundle of BUNDLES) {
    for (const [rel, bytes] of await readTree(bundlePath(bundle))) {
      // s3rver does not check signatures, so plain PUTs seed it.
      const res = await fetch(`${endpoint}/models/${bundle}/${rel}`, {
        method: "PUT",
        body: bytes,
      });
      assert.equal(res.status, 200, await res.text());
    }
  }
  return {
    endpoint,
    close: async () => {
      await s3.close();
      await Deno.remove(directory, { recursive: true });
    },
  };
}
