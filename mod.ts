/**
 * mlflow-edge: MLflow models served at the edge.
 *
 * Load a model that MLflow logged with the ONNX flavor, enforce its signature in WebAssembly,
 * run it with onnxruntime-web and answer MLflow's own scoring protocol, on Deno, Deno Deploy,
 * Cloudflare Workers and Bun.
 *
 * @example
 * ```ts
 * import { MlflowError } from "./mod.ts";
 * const err = new MlflowError("Model is missing inputs ['b'].", "INVALID_PARAMETER_VALUE");
 * console.log(err.status); // 400
 * ```
 *
 * @module
 */

export {
  type ErrorCode,
  MlflowError,
  type MlflowErrorBody,
  statusForErrorCode,
} from "./src/errors.ts";
