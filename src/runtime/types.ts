/**
 * The types shared by the ONNX backends, the feed mapping and the output shaping.
 *
 * The runtime does not depend on the enforcement module: {@linkcode ModelInput} is the part of
 * enforce's `ValidatedInput` the runtime reads, so a `ValidatedInput` is a `ModelInput`.
 *
 * @module
 */

import type { ColumnValues, NumpyDtype } from "../mlmodel/numpy_dtype.ts";
import type { OnnxSessionOptions } from "../mlmodel/bundle_manifest.ts";

export type { ColumnValues, NumpyDtype };

/**
 * One column of the DataFrame the model receives.
 *
 * @example
 * ```ts
 * import type { InputColumn } from "./types.ts";
 * const column: InputColumn = { name: "age", dtype: "int64", values: new BigInt64Array([42n]) };
 * ```
 */
export interface InputColumn {
  /** The column's name. */
  name: string;
  /** numpy's name for the values' type. */
  dtype: NumpyDtype;
  /** One value per row. */
  values: ColumnValues;
}

/**
 * One tensor the model receives; `name` is null for the unnamed tensor of a tensor signature.
 *
 * @example
 * ```ts
 * import type { InputTensor } from "./types.ts";
 * const image: InputTensor = { name: null, dtype: "uint8", shape: [1, 2], values: new Uint8Array([0, 255]) };
 * ```
 */
export interface InputTensor {
  /** The tensor's name, or null for the unnamed tensor of a tensor signature. */
  name: string | null;
  /** numpy's name for the values' type. */
  dtype: NumpyDtype;
  /** The shape. */
  shape: number[];
  /** The elements, flat and row-major. */
  values: ColumnValues;
}

/**
 * What the model receives after signature enforcement: a DataFrame (`columns`) or tensors.
 *
 * @example
 * ```ts
 * import type { ModelInput } from "./types.ts";
 * const input: ModelInput = {
 *   kind: "columns",
 *   columns: [{ name: "x", dtype: "float64", values: new Float64Array([1, 2]) }],
 *   tensors: [],
 *   rows: 2,
 * };
 * ```
 */
export interface ModelInput {
  /** A DataFrame (`columns`) or tensors (`tensors`), as MLflow would hand the model. */
  kind: "columns" | "tensors";
  /** The DataFrame's columns, in signature order (empty for tensors). */
  columns: InputColumn[];
  /** The tensors, by name or one unnamed (empty for columns). */
  tensors: InputTensor[];
  /** The DataFrame's row count. */
  rows: number;
}

/**
 * onnxruntime's tensor element type names (the JavaScript API's `Tensor.Type`).
 *
 * @example
 * ```ts
 * import type { TensorType } from "./types.ts";
 * const type: TensorType = "float32";
 * ```
 */
export type TensorType =
  | "float32"
  | "float64"
  | "float16"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "bool"
  | "string";

/**
 * The data of a tensor handed to or returned by a session, backend-neutral. float16 goes in as
 * a Uint16Array of IEEE bits and comes out as a Float32Array of its values (exact: every half is
 * a float32), whatever the backend returned.
 *
 * @example
 * ```ts
 * import type { TensorValues } from "./types.ts";
 * const data: TensorValues = new Float32Array(4);
 * ```
 */
export type TensorValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | string[];

/**
 * A tensor as the runtime passes it to and receives it from a backend.
 *
 * @example
 * ```ts
 * import type { TensorData } from "./types.ts";
 * const t: TensorData = { type: "float32", dims: [1, 4], data: new Float32Array(4) };
 * ```
 */
export interface TensorData {
  /** The element type, in onnxruntime's names. */
  type: TensorType;
  /** The shape. */
  dims: readonly number[];
  /** The elements, flat and row-major. */
  data: TensorValues;
}

/**
 * A graph input or output as the session reports it.
 *
 * @example
 * ```ts
 * import type { GraphValueInfo } from "./types.ts";
 * const input: GraphValueInfo = { name: "input", isTensor: true, type: "float32", shape: ["batch", 4] };
 * ```
 */
export interface GraphValueInfo {
  /** The graph's name for the value. */
  name: string;
  /** False for sequences and maps (e.g. an sklearn ZipMap output). */
  isTensor: boolean;
  /** Element type, for tensors. */
  type?: string;
  /** Declared shape, symbolic dimensions as strings, for tensors. */
  shape?: ReadonlyArray<number | string>;
}

/**
 * One external-data file of a model: its path as `model.onnx` refers to it, and its bytes.
 *
 * @example
 * ```ts
 * import type { ExternalDataFile } from "./types.ts";
 * const weights: ExternalDataFile = { path: "7a352ddc-e9a0-11f1-9901-02fc00000001", data: new Uint8Array(0) };
 * ```
 */
export interface ExternalDataFile {
  /** The location recorded inside `model.onnx`, relative to it. */
  path: string;
  /** The file's bytes. */
  data: Uint8Array;
}

/**
 * A created ONNX session, independent of the backend that runs it.
 *
 * @example
 * ```ts
 * import type { OnnxSession } from "./types.ts";
 * async function probabilities(session: OnnxSession) {
 *   const out = await session.run(
 *     { input: { type: "float32", dims: [1, 4], data: new Float32Array([5.1, 3.5, 1.4, 0.2]) } },
 *     ["probabilities"],
 *   );
 *   return out.probabilities.data;
 * }
 * ```
 */
export interface OnnxSession {
  /** The graph's inputs, in graph order. */
  readonly inputs: readonly GraphValueInfo[];
  /** The graph's outputs, in graph order. */
  readonly outputs: readonly GraphValueInfo[];
  /** Runs the graph; resolves to the fetched outputs by name. */
  run(
    feeds: Record<string, TensorData>,
    fetches: readonly string[],
  ): Promise<Record<string, TensorData>>;
  /** Frees the session's native or wasm memory. */
  release(): Promise<void>;
}

/**
 * Something that creates ONNX sessions from a model's bytes: onnxruntime-web or onnxruntime-node.
 *
 * @example
 * ```ts
 * import { webBackend } from "./web_backend.ts";
 * const backend = webBackend();
 * console.log(backend.name); // "web"
 * ```
 */
export interface OnnxBackend {
  /** `web`, `native`, or the name of a custom backend. */
  readonly name: string;
  /**
   * True when sessions copy the model and weight bytes they are given (so the caller may free
   * them once the session exists): onnxruntime-web copies them into its wasm memory,
   * onnxruntime-node into its own buffers.
   */
  readonly copiesWeights?: boolean;
  /**
   * Starts the runtime's own initialisation (e.g. compiling onnxruntime's wasm) ahead of the
   * first session, so a loader can overlap it with fetching the bundle. Optional; never rejects.
   */
  prepare?(): Promise<void>;
  /** Creates a session from the model's bytes, its external-data files and MLflow's options. */
  createSession(
    model: Uint8Array,
    externalData: ExternalDataFile[],
    options: OnnxSessionOptions,
  ): Promise<OnnxSession>;
}
