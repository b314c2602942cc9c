/**
 * The scoring server: a Hono app answering MLflow's scoring protocol for one or more models
 * (loaded through `../model`), and the mapping from environment variables to its options.
 *
 * @example
 * ```ts
 * import { createApp } from "./mod.ts";
 * const app = createApp({ modelUri: "examples/iris" });
 * Deno.serve({ hostname: "127.0.0.1", port: 5000 }, app.fetch);
 * ```
 *
 * @module
 */
export {
  type AppOptions,
  createApp,
  DEFAULT_BODY_LIMIT,
  DEFAULT_TIMEOUT_MS,
  MLFLOW_PROTOCOL_VERSION,
  type ServingApp,
} from "./app.ts";
export { appOptionsFromEnv, backendName, positiveNumber } from "./options_from_env.ts";
export { ModelSlot, type ModelSlotOptions, type SlotState } from "./model_slot.ts";
export { ModelRegistry, type ModelRegistryOptions } from "./model_registry.ts";
