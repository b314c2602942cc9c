/**
 * ONNX sessions for MLflow bundles: two backends behind one interface (onnxruntime-web by
 * default, onnxruntime-node on request), MLflow's feed mapping and output layout.
 *
 * @example
 * ```ts
 * import { OnnxModel, webBackend } from "./mod.ts";
 * const files = new Map<string, Uint8Array>();
 * for (const e of Deno.readDirSync("examples/iris")) {
 *   files.set(e.name, Deno.readFileSync(`examples/iris/${e.name}`));
 * }
 * const model = await OnnxModel.create(files, { onnx: { data: "model.onnx" } }, {
 *   backend: webBackend(),
 * });
 * console.log(model.inputs[0].name); // "input"
 * ```
 *
 * @module
 */
export * from "./types.ts";
export { webBackend, type WebBackendOptions } from "./web_backend.ts";
export { nativeBackend, ONNXRUNTIME_NODE_VERSION } from "./native_backend.ts";
export {
  buildFeeds,
  commonDtype,
  float32Inputs,
  MODEL_EVALUATION_ERROR,
  modelEvaluationError,
} from "./feeds.ts";
export {
  type OutputTensor,
  type Predictions,
  predictionsValue,
  shapePredictions,
} from "./outputs.ts";
export { OnnxModel, type OnnxModelOptions } from "./onnx_model.ts";
export {
  type BatchingOptions,
  type BatchingSession,
  batchingSession,
  type BatchStats,
  DEFAULT_MAX_BATCH_TIME_MS,
  whyNotBatchable,
} from "./batcher.ts";
