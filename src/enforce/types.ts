/**
 * The types of the enforcement surface: what a signature may look like, the limits, and the
 * validated input handed to the model.
 *
 * @module
 */

import type { ModelSignature } from "../mlmodel/mod.ts";
import type { ColumnValues, NumpyDtype } from "../mlmodel/numpy_dtype.ts";

export type { ColumnValues, NumpyDtype };

/**
 * A signature as an MLmodel stores it (JSON strings, or already-parsed arrays), or a
 * {@linkcode ModelSignature}. `inputs: null` means the model has no signature: the envelope is
 * parsed and nothing is enforced.
 *
 * @example
 * ```ts
 * import type { SignatureLike } from "./types.ts";
 * const iris: SignatureLike = {
 *   inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}]',
 *   params: null,
 * };
 * ```
 */
export type SignatureLike =
  | ModelSignature
  | {
    inputs?: string | unknown[] | null;
    outputs?: string | unknown[] | null;
    params?: string | unknown[] | null;
  };

/**
 * Bounds applied to every request (each has a default).
 *
 * @example
 * ```ts
 * import type { EnforceLimits } from "./types.ts";
 * const limits: EnforceLimits = { maxBodyBytes: 1 << 20, maxErrors: 5 };
 * ```
 */
export interface EnforceLimits {
  /** Largest body in bytes (default 64 MiB); larger bodies get 413. */
  maxBodyBytes?: number;
  /** Deepest JSON nesting (default 64). */
  maxDepth?: number;
  /** Most JSON values or CSV cells in one body, also the largest tensor (default 10,000,000). */
  maxElements?: number;
  /** Longest single string or CSV cell in bytes (default 16 MiB). */
  maxStringBytes?: number;
  /** Most violations named in one error message (default 20). */
  maxErrors?: number;
}

/**
 * Compile options: the limits, plus what the model's runtime does to validated data that the
 * core must check beforehand.
 *
 * @example
 * ```ts
 * import type { CompileOptions } from "./types.ts";
 * // A one-input graph whose input is tensor(float): every float64 value is cast to float32.
 * const options: CompileOptions = { maxErrors: 5, float32Inputs: "all" };
 * ```
 */
export interface CompileOptions extends EnforceLimits {
  /**
   * Which validated columns or tensors the runtime casts from float64 to float32 (graph inputs
   * declared `tensor(float)`): `"all"`, or their names. A finite value the cast would turn into
   * infinity is then refused (400 INVALID_PARAMETER_VALUE naming the column, row and value).
   * Default: none.
   */
  float32Inputs?: "all" | readonly string[];
}

/**
 * One column of the DataFrame the model receives.
 *
 * @example
 * ```ts
 * import type { ValidatedColumn } from "./types.ts";
 * const col: ValidatedColumn = { name: "a", dtype: "int64", values: new BigInt64Array([1n]) };
 * ```
 */
export interface ValidatedColumn {
  /** The column's name (for an unnamed signature, the request's label or position). */
  name: string;
  /** numpy's name for the buffer's type. */
  dtype: NumpyDtype;
  /** One value per row. */
  values: ColumnValues;
}

/**
 * One tensor the model receives: flat values in row-major order with their shape.
 *
 * @example
 * ```ts
 * import type { ValidatedTensor } from "./types.ts";
 * const t: ValidatedTensor = { name: null, dtype: "uint8", shape: [1, 2], values: new Uint8Array([0, 255]) };
 * ```
 */
export interface ValidatedTensor {
  /** The tensor's name, or null for the one unnamed tensor. */
  name: string | null;
  /** numpy's name for the buffer's type. */
  dtype: NumpyDtype;
  /** The shape; axis 0 is the batch. */
  shape: number[];
  /** All elements, flat, in row-major (C) order. */
  values: ColumnValues;
}

/**
 * A request after MLflow's parse step and signature enforcement: typed buffers ready for ONNX
 * feeds. Everything is copied out of wasm memory, so it stays valid after later requests.
 * Typed arrays of small results are views into a buffer shared with other results: read them
 * through the view (its `byteOffset` and `byteLength`), not through `.buffer` as a whole.
 *
 * @example
 * ```ts
 * import { validateRequest } from "./mod.ts";
 * const input = await validateRequest(
 *   { inputs: '[{"type": "long", "name": "a"}]' },
 *   '{"dataframe_split": {"columns": ["a"], "data": [[1], [2]]}}',
 * );
 * input.kind; // "columns"
 * JSON.stringify(input); // {"kind":"columns","columns":[{"name":"a","dtype":"int64","values":[1,2]}],"params":null}
 * ```
 */
export interface ValidatedInput {
  /** `columns`: a DataFrame; `tensors`: one unnamed tensor or named tensors. */
  kind: "columns" | "tensors";
  /** For `columns`: the columns in schema order (empty for `tensors`). */
  columns: ValidatedColumn[];
  /** For `tensors`: the tensors in schema order (empty for `columns`). */
  tensors: ValidatedTensor[];
  /** The params the model receives (defaults applied), or null when there are none. */
  params: Record<string, unknown> | null;
  /** The request format that was parsed (`v2`: an Open Inference Protocol request). */
  format: "dataframe_split" | "dataframe_records" | "inputs" | "instances" | "csv" | "llm" | "v2";
  /** Row count (the first axis for tensors). */
  rows: number;
  /** For a V2 request: what its answer must carry (the id, the outputs asked for). */
  v2?: V2Answer;
  /** `{"kind","columns":[{"name","dtype","values"}],"params"}` or the tensors form. */
  toJSON(): object;
}

/**
 * What a V2 inference request asks of its answer, as the core read it from the request.
 *
 * @example
 * ```ts
 * import type { V2Answer } from "./types.ts";
 * const a: V2Answer = { id: "7", binary_data_output: false, outputs: [{ name: "y", binary_data: null }] };
 * ```
 */
export interface V2Answer {
  /** The request's `id`, echoed in the answer (null when it had none). */
  id: string | null;
  /** `parameters.binary_data_output`: every output as binary data. */
  binary_data_output: boolean;
  /** The outputs asked for (`outputs: [{name, parameters: {binary_data}}]`), or null for all. */
  outputs: { name: string; binary_data: boolean | null }[] | null;
}

/**
 * A signature compiled into the wasm core: validate many requests synchronously.
 *
 * @example
 * ```ts
 * import { compileSignature } from "./mod.ts";
 * const sig = await compileSignature({ inputs: '[{"type": "double", "name": "x"}]' });
 * const input = sig.validate('{"inputs": {"x": [1.5]}}', "application/json");
 * input.columns[0].values; // Float64Array [1.5]
 * sig.free();
 * ```
 */
export interface CompiledSignature {
  /** Validates one request; throws MlflowError (400, 413 or 415) when it is refused. */
  validate(body: string | Uint8Array, contentType: string): ValidatedInput;
  /**
   * Validates one Open Inference Protocol (V2) inference request: the JSON header is
   * `body[0, headerLength)` (default: all of it), the rest is binary tensor data. The result's
   * `format` is `v2` and `v2` says what the answer must carry. Throws MlflowError 400 or 413.
   */
  validateV2(body: string | Uint8Array, headerLength?: number): ValidatedInput;
  /** Releases the compiled signature in the wasm core. */
  free(): void;
}
