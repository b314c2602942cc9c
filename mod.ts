/**
 * mlflow-edge: MLflow models served at the edge.
 *
 * Load a model that MLflow logged with the ONNX flavor, from a directory, object storage or the
 * MLflow Model Registry; enforce its signature in WebAssembly; run it with onnxruntime-web; and
 * answer exactly what MLflow's scoring server answers, on Deno, Deno Deploy, Cloudflare Workers
 * and Bun. The same load/predict path serves the Hono app (`createApp`) and library callers
 * (`loadModel`).
 *
 * @example Predict inside any edge function
 * ```ts
 * import { loadModel } from "./mod.ts";
 * const model = await loadModel("examples/iris");
 * const out = await model.predict({
 *   dataframe_split: {
 *     columns: ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
 *     data: [[5.1, 3.5, 1.4, 0.2]],
 *   },
 * });
 * console.log(out); // { predictions: [{ probabilities: 0.99995... }, ...] }
 * ```
 *
 * @example Serve MLflow's scoring protocol
 * ```ts
 * import { createApp } from "./mod.ts";
 * const app = createApp({ modelUri: "examples/iris" });
 * Deno.serve({ hostname: "127.0.0.1", port: 5000 }, app.fetch);
 * ```
 *
 * @example Check a request against a signature, without a model
 * ```ts
 * import { validateRequest } from "./mod.ts";
 * const input = await validateRequest(
 *   { inputs: '[{"type": "long", "name": "a", "required": true}]' },
 *   '{"dataframe_split": {"columns": ["a"], "data": [[1], [2]]}}',
 * );
 * console.log(input.toJSON()); // { kind: "columns", columns: [{ name: "a", dtype: "int64", values: [1, 2] }], params: null }
 * ```
 *
 * Everything else is behind subpath exports: `./model`, `./server`, `./enforce`, `./mlmodel`,
 * `./store` and `./runtime` (each folder's `mod.ts`).
 *
 * @module
 */

export {
  type ErrorCode,
  MlflowError,
  type MlflowErrorBody,
  statusForErrorCode,
} from "./src/errors.ts";
export {
  type Invocation,
  LoadedModel,
  loadModel,
  type LoadModelOptions,
  type StageTimings,
  type V2Inference,
} from "./src/model/mod.ts";
export {
  type AppOptions,
  appOptionsFromEnv,
  createApp,
  type ServingApp,
} from "./src/server/mod.ts";
export {
  type ColumnValues,
  type CompiledSignature,
  compileSignature,
  type EnforceLimits,
  initEnforce,
  type NumpyDtype,
  type SignatureLike,
  type ValidatedColumn,
  type ValidatedInput,
  type ValidatedTensor,
  validateRequest,
} from "./src/enforce/mod.ts";
export {
  ColSpec,
  DataType,
  Model,
  ModelSignature,
  type ModelSignatureInit,
  ParamSchema,
  ParamSpec,
  Schema,
  type SignatureDict,
  TensorSpec,
} from "./src/mlmodel/mod.ts";
export type { FetchBundleOptions } from "./src/store/mod.ts";
export type { OnnxBackend } from "./src/runtime/mod.ts";
