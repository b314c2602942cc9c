/**
 * mlflow-edge on Deno Deploy (the current platform: a full Deno 2 runtime).
 *
 * Entrypoint for the app's "dynamic" runtime configuration. Settings come from the app's
 * environment variables: `MODEL_URI` (e.g. `s3://my-bucket/models/iris`, `models:/iris/3`),
 * the S3 credentials `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_REGION` (and
 * `MLFLOW_S3_ENDPOINT_URL` or `AWS_ENDPOINT_URL` for R2, MinIO, ...), `MLFLOW_TRACKING_URI` and
 * `MLFLOW_TRACKING_TOKEN` for registry URIs, and the serving settings of `deno task serve`
 * (`MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT`, `MLFLOW_EDGE_BACKEND=native`, ...). Locally: `deno run -A examples/deno-deploy/main.ts`
 * (`HOST`, `PORT` choose the address; Deno Deploy routes traffic to `Deno.serve` itself).
 *
 * @module
 */
import { appOptionsFromEnv, createApp } from "../../mod.ts";

const env = Deno.env.toObject();
const modelUri = env.MODEL_URI;
if (!modelUri) {
  console.error("MODEL_URI is not set: add it to the app's environment variables.");
  Deno.exit(1);
}

// The same environment mapping as `deno task serve` (timeouts, body limit, backend, store).
const app = createApp(appOptionsFromEnv(env));

Deno.serve({
  hostname: env.HOST,
  port: Number(env.PORT ?? 8000),
  onListen: ({ hostname, port }) =>
    console.log(`mlflow-edge serving ${modelUri} on http://${hostname}:${port}/`),
}, app.fetch);
