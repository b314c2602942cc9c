/**
 * The scoring server (a Hono app) and the load/predict path it shares with the library.
 *
 * @example
 * ```ts
 * import { createApp, loadModel } from "./mod.ts";
 * const model = await loadModel("examples/iris");
 * console.log(await model.predict({ inputs: { "sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2 } }));
 * await model.close();
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
export {
  type Invocation,
  LoadedModel,
  loadModel,
  type LoadModelOptions,
  resolveBackend,
  type StageTimings,
  type V2Inference,
} from "./loaded_model.ts";
export { appOptionsFromEnv, backendName, positiveNumber } from "./options_from_env.ts";
export { ModelSlot, type ModelSlotOptions, type SlotState } from "./model_slot.ts";
export { ModelRegistry, type ModelRegistryOptions } from "./model_registry.ts";
export { pyFloat, pyString, serializePredictions, toPyJson } from "./serialize.ts";
