/**
 * The server as a module for `deno serve`: configured from the environment only (MODEL_URI,
 * MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT, MLFLOW_EDGE_BACKEND, MLFLOW_EDGE_BODY_LIMIT, …; see
 * `appOptionsFromEnv` in src/server/options_from_env.ts).
 *
 * ```sh
 * MODEL_URI=examples/iris deno serve -A --host 127.0.0.1 --port 5000 src/server/main.ts
 * ```
 *
 * @example
 * ```ts
 * import server from "./main.ts";
 * const res = await server.fetch(new Request("http://localhost/ping"));
 * console.log(res.status); // 200 once the model is loaded, 503 before
 * ```
 *
 * @module
 */
import { EXAMPLE_MODEL } from "./example_model.ts";
import { createApp } from "./app.ts";
import { appOptionsFromEnv } from "./options_from_env.ts";

const app = createApp(appOptionsFromEnv(Deno.env.toObject(), EXAMPLE_MODEL));

/** `deno serve`'s entry: `{ fetch }`. */
export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
