/**
 * The server's defaults, in a module of their own so that reading the configuration (the CLI,
 * `options_from_env.ts`) does not load the server itself.
 *
 * @module
 */

/**
 * Default request timeout: MLflow's `MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT` default, 60 s.
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * import { DEFAULT_TIMEOUT_MS } from "./defaults.ts";
 * createApp({ modelUri: "examples/iris", timeoutMs: DEFAULT_TIMEOUT_MS / 2 });
 * ```
 */
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Default body limit, 100 MiB: what MLflow's Docker front (nginx, `client_max_body_size 100m`)
 * allows.
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * import { DEFAULT_BODY_LIMIT } from "./defaults.ts";
 * createApp({ modelUri: "examples/iris", bodyLimit: DEFAULT_BODY_LIMIT / 10 });
 * ```
 */
export const DEFAULT_BODY_LIMIT = 100 * 1024 * 1024;

/**
 * Default bound on the JSON values or CSV cells of one request for the server: 1,000,000 (the
 * library's core allows 10,000,000). Validation, inference and serialisation run on the event
 * loop; on a 2-core Xeon the iris model takes 1.3–4.6 s for a body at this bound, and
 * 12–33 s at the core's 10,000,000 (README, "Security and limits").
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * import { DEFAULT_MAX_ELEMENTS } from "./defaults.ts";
 * createApp({ modelUri: "examples/iris", limits: { maxElements: DEFAULT_MAX_ELEMENTS * 4 } });
 * ```
 */
export const DEFAULT_MAX_ELEMENTS = 1_000_000;
