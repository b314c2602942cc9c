/**
 * The Open Inference Protocol (KServe V2) REST bodies as mlflow-edge speaks them: one owner for
 * their shapes, read by the routes and by the API description ({@link ./describe.ts}).
 *
 * @module
 */

/**
 * The V2 tensor datatypes.
 *
 * @example
 * ```ts
 * import type { V2Datatype } from "./types.ts";
 * const d: V2Datatype = "FP32";
 * ```
 */
export type V2Datatype =
  | "BOOL"
  | "UINT8"
  | "UINT16"
  | "UINT32"
  | "UINT64"
  | "INT8"
  | "INT16"
  | "INT32"
  | "INT64"
  | "FP16"
  | "FP32"
  | "FP64"
  | "BYTES";

/**
 * Every V2 datatype, in the protocol's order.
 *
 * @example
 * ```ts
 * import { V2_DATATYPES } from "./types.ts";
 * V2_DATATYPES.includes("FP64"); // true
 * ```
 */
export const V2_DATATYPES: readonly V2Datatype[] = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
];

/**
 * `GET /v2` — server metadata.
 *
 * @example
 * ```ts
 * import type { V2ServerMetadata } from "./types.ts";
 * const m: V2ServerMetadata = { name: "mlflow-edge", version: "0.1.0", extensions: ["binary_tensor_data"] };
 * ```
 */
export interface V2ServerMetadata {
  /** The server's name (`mlflow-edge`). */
  name: string;
  /** The server's version. */
  version: string;
  /** The protocol extensions it supports (`binary_tensor_data`). */
  extensions: string[];
}

/**
 * A tensor as model metadata describes it (`-1` for a variable dimension).
 *
 * @example
 * ```ts
 * import type { V2MetadataTensor } from "./types.ts";
 * const t: V2MetadataTensor = {
 *   name: "sepal length (cm)",
 *   datatype: "FP64",
 *   shape: [-1, 1],
 *   parameters: { content_type: "np" },
 * };
 * ```
 */
export interface V2MetadataTensor {
  /** The input's name (a column or tensor name, `input-N` when unnamed) or the graph output's. */
  name: string;
  /** Its V2 datatype. */
  datatype: V2Datatype;
  /** Its shape, `-1` for a variable dimension (`[-1, 1]` for a column). */
  shape: number[];
  /** MLServer's decoding hint: `np`, `str`, `base64`, `datetime` or `pd_json`. */
  parameters?: { content_type?: string };
}

/**
 * `GET /v2/models/{name}[/versions/{v}]` — model metadata.
 *
 * @example
 * ```ts
 * import type { V2ModelMetadata } from "./types.ts";
 * const m: V2ModelMetadata = {
 *   name: "iris",
 *   platform: "onnx_onnxv1",
 *   inputs: [{ name: "x", datatype: "FP64", shape: [-1, 1] }],
 *   outputs: [{ name: "probabilities", datatype: "FP32", shape: [-1, 3] }],
 *   parameters: { content_type: "pd" },
 * };
 * ```
 */
export interface V2ModelMetadata {
  /** The name the model is served under. */
  name: string;
  /** The model's version, when it was loaded as one (`models:/name/3`). */
  versions?: string[];
  /** Always `onnx_onnxv1`. */
  platform: "onnx_onnxv1";
  /** The inputs, from the MLflow signature (from the graph when there is none). */
  inputs: V2MetadataTensor[];
  /** The ONNX graph's outputs, by name (what inference answers with). */
  outputs: V2MetadataTensor[];
  /** How the request is decoded: `pd` (a DataFrame), `np` (one tensor), `dict` (named tensors). */
  parameters?: { content_type?: string };
}

/**
 * Parameters of a request, an input or an output (string, number or boolean values).
 *
 * @example
 * ```ts
 * import type { V2Parameters } from "./types.ts";
 * const p: V2Parameters = { binary_data_output: true };
 * ```
 */
export type V2Parameters = Record<string, string | number | boolean>;

/**
 * One input tensor of an inference request.
 *
 * @example
 * ```ts
 * import type { V2RequestInput } from "./types.ts";
 * const x: V2RequestInput = { name: "x", shape: [2, 1], datatype: "FP64", data: [0.5, 1.5] };
 * ```
 */
export interface V2RequestInput {
  /** The column or tensor name (`input-0` for the one unnamed tensor). */
  name: string;
  /** Authoritative: `data` (flat or nested) must hold exactly product(shape) values. */
  shape: number[];
  /** The values' datatype; it must suit the signature's type. */
  datatype: V2Datatype;
  /**
   * `binary_data_size`: the tensor's bytes follow the JSON header instead of `data`;
   * `content_type`: MLServer's hint, accepted and not needed (the signature decides).
   */
  parameters?: V2Parameters & { binary_data_size?: number; content_type?: string };
  /** Row-major values, flat or nested; absent when the input is sent as binary data. */
  data?: unknown[];
}

/**
 * An output asked for in an inference request.
 *
 * @example
 * ```ts
 * import type { V2RequestOutput } from "./types.ts";
 * const o: V2RequestOutput = { name: "probabilities", parameters: { binary_data: true } };
 * ```
 */
export interface V2RequestOutput {
  /** A graph output's name. */
  name: string;
  /** `binary_data: true` answers this output as binary data. */
  parameters?: V2Parameters & { binary_data?: boolean };
}

/**
 * `POST /v2/models/{name}[/versions/{v}]/infer` — the request's JSON (header).
 *
 * @example
 * ```ts
 * import type { V2InferenceRequest } from "./types.ts";
 * const r: V2InferenceRequest = {
 *   id: "42",
 *   inputs: [{ name: "x", shape: [1], datatype: "FP64", data: [1] }],
 *   outputs: [{ name: "y" }],
 * };
 * ```
 */
export interface V2InferenceRequest {
  /** Echoed in the answer. */
  id?: string;
  /**
   * `binary_data_output`: every output as binary data. Any other entry is passed to the model
   * as an MLflow param (as MLServer does), enforced by the params schema.
   */
  parameters?: V2Parameters & { binary_data_output?: boolean };
  /** The inputs (at least one). */
  inputs: V2RequestInput[];
  /** Which outputs to return (all when absent), and how. */
  outputs?: V2RequestOutput[];
}

/**
 * One output tensor of an inference response.
 *
 * @example
 * ```ts
 * import type { V2ResponseOutput } from "./types.ts";
 * const y: V2ResponseOutput = { name: "probabilities", shape: [1, 3], datatype: "FP32", data: [0.9, 0.05, 0.05] };
 * ```
 */
export interface V2ResponseOutput {
  /** The ONNX graph's name for the output. */
  name: string;
  /** Its real shape (iris: `[N, 3]`). */
  shape: number[];
  /** Its V2 datatype. */
  datatype: V2Datatype;
  /** `binary_data_size` when the values follow the JSON header instead of `data`. */
  parameters?: { binary_data_size?: number };
  /** Flat, row-major values; absent for binary outputs. */
  data?: unknown[];
}

/**
 * The inference response's JSON (header).
 *
 * @example
 * ```ts
 * import type { V2InferenceResponse } from "./types.ts";
 * const r: V2InferenceResponse = {
 *   model_name: "iris",
 *   id: "42",
 *   outputs: [{ name: "y", shape: [1], datatype: "FP32", data: [0.5] }],
 * };
 * ```
 */
export interface V2InferenceResponse {
  /** The name the model is served under. */
  model_name: string;
  /** Present when the model was loaded as a version. */
  model_version?: string;
  /** The request's id, or a generated one when it had none. */
  id: string;
  /** The graph outputs asked for (all by default), in graph or request order. */
  outputs: V2ResponseOutput[];
}

/**
 * Every V2 error body (status 400, 404, 413, 415, 500, 503 or 504).
 *
 * @example
 * ```ts
 * import type { V2Error } from "./types.ts";
 * const e: V2Error = { error: 'No model named "x".' };
 * ```
 */
export interface V2Error {
  /** What went wrong, in a sentence. */
  error: string;
}
