/**
 * The Deno Deploy entry (examples/deno-deploy/main.ts) as Deno Deploy runs it: a Deno process
 * configured by environment variables, the bundle in S3. The S3 here is s3rver on 127.0.0.1 (it
 * checks request shape, not signatures).
 *
 * @module
 */
import assert from "node:assert/strict";
import { startS3 } from "./_s3.ts";
import { REPLAYED_BUNDLES } from "../_golden.ts";
import { startServer } from "./_process.ts";
import { assertServerRefusesPytorch, httpFetcher, replayGoldens, waitReady } from "./_replay.ts";
import { replayV2 } from "./_v2.ts";

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

Deno.test("the Deno Deploy entry serves bundles from S3 and answers MLflow's golden requests (and their V2 forms)", async (t) => {
  const s3 = await startS3();
  try {
    for (const bundle of REPLAYED_BUNDLES) {
      const server = await startDeploy(s3.endpoint, bundle);
      try {
        await waitReady(httpFetcher(server.url));
        await replayGoldens(t, bundle, httpFetcher(server.url));
        await replayV2(t, bundle, httpFetcher(server.url), "default");
      } finally {
        await server.stop();
      }
    }
    await t.step(
      "the PyTorch bundle is refused with an error naming its flavor",
      () => assertServerRefusesPytorch(() => startDeploy(s3.endpoint, "iris_mlp_pytorch")),
    );
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
