/**
 * The MLflow Model format in TypeScript: the `MLmodel` file ({@linkcode Model}), signatures
 * ({@linkcode ModelSignature}, {@linkcode Schema}, {@linkcode ColSpec}, {@linkcode TensorSpec},
 * {@linkcode ParamSchema}, ...), input examples and {@linkcode inferSignature}.
 *
 * Everything reads and writes exactly what MLflow 3 reads and writes: `Model.toDict()` equals
 * MLflow's `Model.to_dict()`, `Model.toYaml()` is PyYAML's `safe_dump` layout byte for byte, and
 * every schema's `toJSON()` is MLflow's `json.dumps` text (key order, `1.0` vs `1`, `1e-05`).
 *
 * @example
 * ```ts
 * import { inferSignature, Model } from "./mod.ts";
 *
 * const model = await Model.load("tests/fixtures/mlflow-bundles/iris_mlp_onnx");
 * console.log(model.onnxFlavor()?.data); // "model.onnx"
 * console.log(model.signature?.inputs?.inputNames()); // ["sepal length (cm)", ...]
 * console.log(await model.servingInputExample()); // the saved request body, or null
 *
 * const sig = inferSignature([{ a: 1.5, b: 3 }], { data: new Float32Array(2), shape: [1, 2] });
 * console.log(sig.toDict().inputs);
 * // [{"type": "double", "name": "a", "required": true}, {"type": "long", "name": "b", "required": true}]
 * ```
 *
 * @module
 */

export { DataType, type DataTypeName } from "./data_type.ts";
export {
  AnyType,
  ArrayType,
  ColSpec,
  type ColSpecInit,
  type ColType,
  type InputSpec,
  MapType,
  numpyDtypeName,
  ObjectType,
  Property,
  Schema,
  SparkMLVector,
  TensorSpec,
  type TensorSpecInit,
  type ToJSONOptions,
} from "./schema.ts";
export { ParamSchema, ParamSpec, type ParamSpecInit, parseNumpyDatetime } from "./param_schema.ts";
export { ModelSignature, type ModelSignatureInit, type SignatureDict } from "./signature.ts";
export { DEFAULT_MAX_MLMODEL_BYTES, parseMlmodelYaml } from "./mlmodel_yaml.ts";
export {
  Model,
  type ModelInfo,
  type ModelInit,
  type ModelLogOptions,
  type ReadOptions,
} from "./model.ts";
export {
  type OnnxFlavor,
  onnxFlavorOf,
  type OnnxSessionOptionsBlock,
  type PyfuncFlavor,
  pyfuncFlavorOf,
  type PytorchFlavor,
} from "./flavors.ts";
export {
  buildInputExample,
  type InputExample,
  type InputExampleOptions,
  parseExampleText,
  type SavedInputExampleInfo,
  type TensorLike,
} from "./input_example.ts";
export { type BundleReader, type BundleSource } from "./bundle_files.ts";
export {
  externalDataFiles,
  isOnnxFlavor,
  namedFiles,
  type OnnxManifest,
  onnxManifest,
  type OnnxSessionOptions,
  unsafeBundlePath,
} from "./bundle_manifest.ts";
export { type DumpOptions, PyDict, PyFloat, type PyValue, toPyJson } from "./py_json.ts";
export { formatPyFloat, pyFloat, pyString } from "./python_compat.ts";
export { PyTimestamp } from "./py_yaml.ts";
export { inferSignature, type Tensor } from "./infer.ts";
export {
  DEFAULT_ONNX_PROVIDERS,
  type SavedBundle,
  saveOnnxModel,
  type SaveOnnxOptions,
} from "./onnx_save.ts";
export { DEFAULT_PYTHON_ENVIRONMENT, type PythonEnvironment } from "./environment.ts";
export {
  rewriteOnnxExternalData,
  type RewriteOptions,
  type RewrittenOnnx,
} from "./onnx_external_data.ts";
export { type ColumnValues, halfToNumber, type NumpyDtype } from "./numpy_dtype.ts";
export {
  colTypeJsonSchema,
  invocationRequestJsonSchema,
  type JsonSchema,
  paramJsonSchema,
  tensorElementJsonSchema,
  tensorJsonSchema,
} from "./json_schema.ts";
