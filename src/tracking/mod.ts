/**
 * Logging models to an MLflow 3 tracking server: {@linkcode logModel} does what
 * `mlflow.onnx.log_model` does (experiment, run, LoggedModel, the model directory MLflow's
 * `save_model` writes, upload through the artifact proxy or to S3, registration, alias), over
 * the REST API with fetch only; {@linkcode logBundle} logs an existing model directory as is.
 *
 * @example
 * ```ts
 * import { logModel } from "./mod.ts";
 * const info = await logModel({
 *   trackingUri: "http://127.0.0.1:5000",
 *   onnx: await Deno.readFile("model.onnx"),
 *   inputExample: { x: [1.5, 2.5] },
 *   registeredModelName: "demo",
 *   alias: "champion",
 * });
 * // Python: mlflow.pyfunc.load_model("models:/demo@champion")
 * ```
 *
 * @module
 */
export type { ModelInfo } from "../mlmodel/model.ts";
export { logBundle, logModel, type LogModelOptions, type LogOptions } from "./log_model.ts";
export type { UploadFile } from "./upload.ts";
