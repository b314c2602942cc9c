/**
 * The Deno Deploy entry (examples/deno-deploy/main.ts) as Deno Deploy runs it: a Deno process
 * configured by environment variables, the bundle in S3. The S3 here is s3rver on 127.0.0.1 (it
 * checks request shape, not signatures).
 *
 * @module
 */
import assert from "node:assert/strict";
import S3rver from "s3rver";
import { readTree } from "./_workerd.ts";
import { bundlePath, REPLAYED_BUNDLES } from "./_golden.ts";
import { ServerExited, startServer } from "./_process.ts";
import { assertRefusesPytorch, httpFetcher, replayGoldens, waitReady } from "./_replay.ts";

const BUNDLES = [...REPLAYED_BUNDLES, "iris_mlp_pytorch"];

/** s3rver with every fixture bundle under s3://models/<bundle>/. */
async function startS3(): Promise<{ endpoint: string; close(): Promise<void> }> {
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

function startDeploy(endpoint: string, bundle: string) {
  return startServer(Deno.execPath(), ["run", "-A", "examples/deno-deploy/main.ts"], {
    MODEL_URI: `s3://models/${bundle}`,
    MLFLOW_S3_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "us-east-1",
    HOST: "127.0.0.1",
    PORT: "0",
  });
}

Deno.test("the Deno Deploy entry serves bundles from S3 and answers MLflow's golden requests", async (t) => {
  const s3 = await startS3();
  try {
    for (const bundle of REPLAYED_BUNDLES) {
      const server = await startDeploy(s3.endpoint, bundle);
      try {
        await waitReady(httpFetcher(server.url));
        await replayGoldens(t, bundle, httpFetcher(server.url));
      } finally {
        await server.stop();
      }
    }
    await t.step("the PyTorch bundle is refused with an error naming its flavor", async () => {
      let server;
      try {
        server = await startDeploy(s3.endpoint, "iris_mlp_pytorch");
      } catch (e) {
        if (!(e instanceof ServerExited)) throw e;
        assert.match(e.output, /pytorch/i);
        return;
      }
      try {
        await assertRefusesPytorch(httpFetcher(server.url));
      } finally {
        await server.stop();
      }
    });
  } finally {
    await s3.close();
  }
});

Deno.test("the Deno Deploy entry exits with a clear message when MODEL_URI is unset", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "examples/deno-deploy/main.ts"],
    env: { MODEL_URI: "", RUST_BACKTRACE: "0", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  assert.match(new TextDecoder().decode(out.stderr), /MODEL_URI is not set/);
});
