/**
 * mlflow-edge on Bun: `bun run examples/bun/server.ts`.
 *
 * The same Hono app as `deno task serve`, served by `Bun.serve`. Settings come from the
 * environment: `MODEL_URI` (a directory, `s3://…`, `models:/…`, …; default the iris example),
 * `HOST` (default 127.0.0.1), `PORT` (default 5000; 0 picks a free port) and the store's
 * variables (`AWS_*`, `MLFLOW_S3_ENDPOINT_URL`, `MLFLOW_TRACKING_URI`, …) and the serving
 * settings of `deno task serve` (`MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT`, …).
 *
 * @module
 */
import { appOptionsFromEnv, createApp, initEnforce } from "../../mod.ts";
import { coreWasmPath } from "./_wasm_paths.js";

/** The part of Bun's global API this server uses (Deno type-checks this file too). */
declare const Bun: {
  env: Record<string, string | undefined>;
  file(path: string): { arrayBuffer(): Promise<ArrayBuffer> };
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Response | Promise<Response>;
  }): { url: URL; stop(): void };
};

/** The example bundle next to this folder, served when MODEL_URI is not set. */
const EXAMPLE_MODEL = decodeURIComponent(new URL("../iris", import.meta.url).pathname);
const env = Bun.env;
const modelUri = env.MODEL_URI || EXAMPLE_MODEL;

await initEnforce(new Uint8Array(await Bun.file(coreWasmPath).arrayBuffer()));
// The same environment mapping as `deno task serve` (timeouts, body limit, backend, store).
const app = createApp(appOptionsFromEnv(env, EXAMPLE_MODEL));

const server = Bun.serve({
  hostname: env.HOST ?? "127.0.0.1",
  port: Number(env.PORT ?? 5000),
  fetch: (request) => app.fetch(request),
});
console.log(`mlflow-edge (Bun) serving ${modelUri} on ${server.url}`);
