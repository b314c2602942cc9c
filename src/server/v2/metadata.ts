/**
 * V2 model metadata from an MLflow model: inputs from the signature as MLServer's MLflow
 * runtime derives them (`to_metadata_tensors`), outputs as the ONNX graph declares them.
 *
 * @module
 */
import { DataType } from "../../mlmodel/data_type.ts";
import { type Schema, TensorSpec } from "../../mlmodel/schema.ts";
import type { LoadedModel } from "../../model/mod.ts";
import type { V2Datatype, V2MetadataTensor, V2ModelMetadata } from "./types.ts";

/** MLflow's scalar types as MLServer declares them: datatype and content type. */
const COLUMN_TYPES: Record<string, [V2Datatype, string]> = {
  boolean: ["BOOL", "np"],
  integer: ["INT32", "np"],
  long: ["INT64", "np"],
  float: ["FP32", "np"],
  double: ["FP64", "np"],
  string: ["BYTES", "str"],
  binary: ["BYTES", "base64"],
  datetime: ["BYTES", "datetime"],
};

/**
 * The V2 datatype of a numpy dtype (a tensor spec's) or an onnxruntime element type.
 *
 * @example
 * ```ts
 * import { v2Datatype } from "./metadata.ts";
 * v2Datatype("float32"); // "FP32"
 * v2Datatype("str"); // "BYTES"
 * ```
 */
export function v2Datatype(dtype: string): V2Datatype {
  switch (dtype) {
    case "bool":
      return "BOOL";
    case "float16":
      return "FP16";
    case "float32":
      return "FP32";
    case "float64":
      return "FP64";
    case "int8":
    case "int16":
    case "int32":
    case "int64":
    case "uint8":
    case "uint16":
    case "uint32":
    case "uint64":
      return dtype.toUpperCase() as V2Datatype;
    default:
      return "BYTES"; // str, bytes, object, string
  }
}

/**
 * The metadata tensors of a signature's inputs, as MLServer's `to_metadata_tensors` writes them:
 * column specs get shape `[-1, 1]`, tensor specs their own shape, unnamed entries `input-N`.
 *
 * @example
 * ```ts
 * import { Schema, ColSpec, DataType } from "../../mlmodel/mod.ts";
 * import { signatureTensors } from "./metadata.ts";
 * signatureTensors(new Schema([new ColSpec({ type: DataType.string, name: "text" })]));
 * // [{ name: "text", datatype: "BYTES", shape: [-1, 1], parameters: { content_type: "str" } }]
 * ```
 */
export function signatureTensors(schema: Schema, prefix = "input-"): V2MetadataTensor[] {
  return schema.inputs.map((spec, i) => {
    const name = spec.name ?? `${prefix}${i}`;
    if (spec instanceof TensorSpec) {
      return {
        name,
        datatype: v2Datatype(spec.dtype),
        shape: [...spec.shape],
        parameters: { content_type: "np" },
      };
    }
    const [datatype, contentType] = spec.type instanceof DataType
      ? COLUMN_TYPES[spec.type.name] ?? ["BYTES", "pd_json"]
      : ["BYTES" as const, "pd_json"];
    return { name, datatype, shape: [-1, 1], parameters: { content_type: contentType } };
  });
}

/** How MLServer decodes a request for this signature (its `to_model_content_type`). */
function modelContentType(schema: Schema | null): string {
  if (schema === null || !schema.isTensorSpec()) return "pd";
  return schema.hasInputNames() ? "dict" : "np";
}

function graphShape(shape: readonly (number | string)[] | undefined): number[] {
  return (shape ?? []).map((d) => (typeof d === "number" && d >= 0 ? d : -1));
}

/**
 * A loaded model's V2 metadata. Inputs come from the signature (from the graph when the model
 * has none); outputs are the graph's tensor outputs by name, with their element types and
 * declared shapes — what `infer` answers with (MLServer lists the signature's `output-0`).
 *
 * @example
 * ```ts
 * import { loadModel } from "../../model/mod.ts";
 * import { modelMetadata } from "./metadata.ts";
 * const model = await loadModel("examples/iris");
 * modelMetadata("iris", model).outputs; // [{ name: "probabilities", datatype: "FP32", shape: [-1, 3] }]
 * await model.close();
 * ```
 */
export function modelMetadata(
  name: string,
  model: LoadedModel,
  version?: string,
): V2ModelMetadata {
  const schema = model.model.signature?.inputs ?? null;
  const inputs = schema ? signatureTensors(schema) : model.onnx.inputs.map((i) => ({
    name: i.name,
    datatype: v2Datatype(i.type ?? "string"),
    shape: graphShape(i.shape),
  }));
  const outputs = model.onnx.outputs.map((o) => ({
    name: o.name,
    datatype: v2Datatype(o.type ?? "string"),
    shape: graphShape(o.shape),
  }));
  return {
    name,
    ...(version !== undefined ? { versions: [version] } : {}),
    platform: "onnx_onnxv1",
    inputs,
    outputs,
    parameters: { content_type: modelContentType(schema) },
  };
}
