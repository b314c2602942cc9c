/**
 * From enforced input to ONNX feeds, exactly as MLflow's onnx flavor does it (spec §5).
 *
 * - A DataFrame for a one-input graph becomes one `[rows, columns]` matrix of all columns, in
 *   frame order, of numpy's common dtype.
 * - A DataFrame for a multi-input graph gives every graph input the 1-D column of its name.
 * - Named tensors feed the inputs of their names; the unnamed tensor feeds the only input.
 * - The only cast is float64 → float32 for graph inputs declared `tensor(float)`.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import type {
  ColumnValues,
  GraphValueInfo,
  InputColumn,
  ModelInput,
  NumpyDtype,
  TensorData,
  TensorType,
  TensorValues,
} from "./types.ts";

/**
 * MLflow's message for any failure while the model evaluates (HTTP 400 BAD_REQUEST).
 *
 * @example
 * ```ts
 * import { MODEL_EVALUATION_ERROR } from "./feeds.ts";
 * MODEL_EVALUATION_ERROR.startsWith("Encountered an unexpected error"); // true
 * ```
 */
export const MODEL_EVALUATION_ERROR: string =
  "Encountered an unexpected error while evaluating the model. Verify that the serialized input " +
  "Dataframe is compatible with the model for inference.";

/**
 * The error MLflow answers when the model itself fails on the input (400 BAD_REQUEST), with the
 * reason appended.
 *
 * @example
 * ```ts
 * import { modelEvaluationError } from "./feeds.ts";
 * const err = modelEvaluationError("Unexpected input data type.");
 * err.status; // 400
 * ```
 */
export function modelEvaluationError(reason: string): MlflowError {
  return new MlflowError(`${MODEL_EVALUATION_ERROR} Error: ${reason}`, "BAD_REQUEST");
}

const TENSOR_TYPE: Partial<Record<NumpyDtype, TensorType>> = {
  bool: "bool",
  int8: "int8",
  int16: "int16",
  int32: "int32",
  int64: "int64",
  uint8: "uint8",
  uint16: "uint16",
  uint32: "uint32",
  uint64: "uint64",
  float16: "float16",
  float32: "float32",
  float64: "float64",
  str: "string",
};

const INT_SIZE: Partial<Record<NumpyDtype, number>> = {
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
};
const FLOAT_SIZE: Partial<Record<NumpyDtype, number>> = { float16: 2, float32: 4, float64: 8 };
const SIGNED: NumpyDtype[] = ["int8", "int16", "int32", "int64"];
const UNSIGNED: NumpyDtype[] = ["uint8", "uint16", "uint32", "uint64"];
const FLOATS: NumpyDtype[] = ["float16", "float32", "float64"];
/** The smallest float that holds every value of an integer type of this size (numpy's rule). */
const FLOAT_FOR_INT: Record<number, number> = { 1: 2, 2: 4, 4: 8, 8: 8 };

/**
 * The dtype of `DataFrame.values` for columns of these dtypes: numpy's promotion for numbers,
 * the dtype itself when all agree, else `object` (pandas mixes bool or text with numbers as
 * object).
 *
 * @example
 * ```ts
 * import { commonDtype } from "./feeds.ts";
 * commonDtype(["int64", "float32"]); // "float64"
 * commonDtype(["uint8", "int8"]); // "int16"
 * commonDtype(["bool", "int64"]); // "object"
 * ```
 */
export function commonDtype(dtypes: readonly NumpyDtype[]): NumpyDtype {
  if (dtypes.length === 0) return "float64"; // an empty frame's values
  if (dtypes.every((d) => d === dtypes[0])) return dtypes[0];
  if (!dtypes.every((d) => d in INT_SIZE || d in FLOAT_SIZE)) return "object";
  let signed = 0, unsigned = 0, float = 0;
  for (const d of dtypes) {
    if (d in FLOAT_SIZE) float = Math.max(float, FLOAT_SIZE[d]!);
    else if (d.startsWith("u")) unsigned = Math.max(unsigned, INT_SIZE[d]!);
    else signed = Math.max(signed, INT_SIZE[d]!);
  }
  let intFloat = 0; // the float needed for the integers, if any float is present
  let intResult: NumpyDtype | undefined;
  if (signed && unsigned) {
    const size = Math.max(signed, unsigned * 2);
    if (size > 8) intResult = "float64";
    else intResult = SIGNED[Math.log2(size)];
  } else if (signed) intResult = SIGNED[Math.log2(signed)];
  else if (unsigned) intResult = UNSIGNED[Math.log2(unsigned)];
  if (!float) return intResult!;
  if (intResult === "float64") intFloat = 8;
  else if (intResult) intFloat = FLOAT_FOR_INT[INT_SIZE[intResult]!];
  return FLOATS[Math.log2(Math.max(float, intFloat)) - 1];
}

function isFloatInput(info: GraphValueInfo | undefined): boolean {
  return info?.type === "float32";
}

function newArray(type: TensorType, n: number): TensorValues {
  switch (type) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int8":
      return new Int8Array(n);
    case "int16":
      return new Int16Array(n);
    case "int32":
      return new Int32Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "uint8":
    case "bool":
      return new Uint8Array(n);
    case "uint16":
    case "float16":
      return new Uint16Array(n);
    case "uint32":
      return new Uint32Array(n);
    case "uint64":
      return new BigUint64Array(n);
    case "string":
      return new Array<string>(n);
  }
}

function unfeedable(what: string, dtype: NumpyDtype): MlflowError {
  return modelEvaluationError(`${what} has dtype ${dtype}, which cannot be fed to an ONNX model.`);
}

/**
 * A copy of `values` as `type`, or `values` itself when it already is that type and owns its
 * buffer. Views into a larger buffer (e.g. wasm memory that a later request reuses) are copied.
 */
function asTensorValues(
  values: ColumnValues,
  from: NumpyDtype,
  type: TensorType,
  what: string,
): TensorValues {
  if (type === "string") {
    const out = new Array<string>(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== "string") {
        throw modelEvaluationError(
          `${what} holds ${v === null ? "None" : typeof v} at row ${i}, not a string.`,
        );
      }
      out[i] = v;
    }
    return out;
  }
  if (TENSOR_TYPE[from] === type && ArrayBuffer.isView(values)) {
    const view = values as Exclude<TensorValues, string[]>;
    const owns = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength &&
      !(view.buffer instanceof SharedArrayBuffer);
    return owns ? view : view.slice();
  }
  const out = newArray(type, values.length);
  copyInto(out, 0, 1, values, from, type, what);
  return out;
}

/** Writes `values` converted to `type` into `out[offset + i * stride]`. */
function copyInto(
  out: TensorValues,
  offset: number,
  stride: number,
  values: ColumnValues,
  from: NumpyDtype,
  type: TensorType,
  what: string,
): void {
  if (!ArrayBuffer.isView(values) || from === "float16" || type === "float16") {
    throw unfeedable(what, from);
  }
  const n = values.length;
  const src = values as ArrayLike<number | bigint>;
  if (type === "int64" || type === "uint64") {
    const dst = out as BigInt64Array | BigUint64Array;
    for (let i = 0; i < n; i++) dst[offset + i * stride] = BigInt(src[i]);
  } else if (type === "string") {
    throw unfeedable(what, from);
  } else {
    const dst = out as Float64Array;
    for (let i = 0; i < n; i++) dst[offset + i * stride] = Number(src[i]);
  }
}

function matrixFeed(columns: InputColumn[], rows: number, input: GraphValueInfo): TensorData {
  const k = columns.length;
  const mixed: NumpyDtype[] = [];
  for (const c of columns) if (!mixed.includes(c.dtype)) mixed.push(c.dtype);
  let dtype = mixed.length === 1 ? mixed[0] : commonDtype(mixed);
  if (dtype === "float64" && isFloatInput(input)) dtype = "float32";
  const type = TENSOR_TYPE[dtype];
  if (!type || (dtype === "float16" && mixed.length > 1)) {
    throw modelEvaluationError(
      `the columns (dtypes ${mixed.join(", ")}) form an ${dtype} matrix, which cannot be fed ` +
        `to the ONNX input "${input.name}".`,
    );
  }
  if (k === 1) {
    const c = columns[0];
    return {
      type,
      dims: [rows, 1],
      data: asTensorValues(c.values, c.dtype, type, `Column "${c.name}"`),
    };
  }
  const data = newArray(type, rows * k);
  for (let j = 0; j < k; j++) {
    const c = columns[j];
    if (type === "string") {
      const col = asTensorValues(c.values, c.dtype, type, `Column "${c.name}"`) as string[];
      for (let i = 0; i < rows; i++) (data as string[])[i * k + j] = col[i];
    } else {
      copyInto(data, j, k, c.values, c.dtype, type, `Column "${c.name}"`);
    }
  }
  return { type, dims: [rows, k], data };
}

/**
 * Which validated columns or tensors {@linkcode buildFeeds} casts from float64 to float32 for
 * these graph inputs: `"all"` for a one-input graph whose input is `tensor(float)` (every
 * column joins its matrix, the unnamed tensor feeds it), else the names of the float inputs.
 * The enforcement core is told at compile time, so that a value the cast would turn into
 * infinity is refused before inference.
 *
 * @example
 * ```ts
 * import { float32Inputs } from "./feeds.ts";
 * float32Inputs([{ name: "x", isTensor: true, type: "float32", shape: ["N", 4] }]); // "all"
 * ```
 */
export function float32Inputs(graphInputs: readonly GraphValueInfo[]): "all" | string[] {
  if (graphInputs.length === 1) return isFloatInput(graphInputs[0]) ? "all" : [];
  return graphInputs.filter(isFloatInput).map((g) => g.name);
}

function castFor(dtype: NumpyDtype, input: GraphValueInfo | undefined): TensorType | undefined {
  if (dtype === "float64" && isFloatInput(input)) return "float32";
  return TENSOR_TYPE[dtype];
}

/**
 * Builds the feeds for `input` against the graph's inputs, as MLflow's onnx flavor does.
 *
 * Throws `MlflowError` 400 BAD_REQUEST (MLflow's "Encountered an unexpected error while
 * evaluating the model…") for data the graph cannot take, and 500 INTERNAL_ERROR ("Unable to map
 * numpy array input…") for an unnamed tensor and a graph with several inputs.
 *
 * @example
 * ```ts
 * import { buildFeeds } from "./feeds.ts";
 * const feeds = buildFeeds(
 *   {
 *     kind: "columns",
 *     rows: 1,
 *     tensors: [],
 *     columns: [
 *       { name: "a", dtype: "float64", values: new Float64Array([1.5]) },
 *       { name: "b", dtype: "int64", values: new BigInt64Array([2n]) },
 *     ],
 *   },
 *   [{ name: "x", isTensor: true, type: "float32", shape: ["N", 2] }],
 * );
 * feeds.x.dims; // [1, 2]
 * feeds.x.type; // "float32" (float64 matrix cast for a float input)
 * ```
 */
export function buildFeeds(
  input: ModelInput,
  graphInputs: readonly GraphValueInfo[],
): Record<string, TensorData> {
  if (input.kind === "columns") {
    if (graphInputs.length === 1) {
      return { [graphInputs[0].name]: matrixFeed(input.columns, input.rows, graphInputs[0]) };
    }
    const columns = new Map(input.columns.map((c) => [c.name, c]));
    const feeds: Record<string, TensorData> = {};
    for (const g of graphInputs) {
      const c = columns.get(g.name);
      if (!c) {
        throw modelEvaluationError(
          `the model has ${graphInputs.length} inputs, so each needs a column of its name; ` +
            `there is no column "${g.name}" (columns: ${
              input.columns.map((c) => `"${c.name}"`).join(", ")
            }).`,
        );
      }
      const type = castFor(c.dtype, g);
      if (!type) throw unfeedable(`Column "${c.name}"`, c.dtype);
      feeds[g.name] = {
        type,
        dims: [c.values.length],
        data: asTensorValues(c.values, c.dtype, type, `Column "${c.name}"`),
      };
    }
    return feeds;
  }
  const tensors = input.tensors;
  if (tensors.length === 1 && tensors[0].name === null) {
    if (graphInputs.length !== 1) {
      const names = graphInputs.map((g) => `'${g.name}'`).join(", ");
      throw new MlflowError(
        "Unable to map numpy array input to the expected model input. Numpy arrays can only be " +
          "used as input for MLflow ONNX models that have a single input. This model requires " +
          `${graphInputs.length} inputs. Please pass in data as either a dictionary or a ` +
          `DataFrame with the following tensors: [${names}].`,
        "INTERNAL_ERROR",
      );
    }
    return { [graphInputs[0].name]: tensorFeed(tensors[0], graphInputs[0]) };
  }
  const byName = new Map(graphInputs.map((g) => [g.name, g]));
  const feeds: Record<string, TensorData> = {};
  for (const t of tensors) {
    const name = t.name ?? "";
    const g = byName.get(name);
    if (!g) {
      throw modelEvaluationError(
        `invalid input name "${name}"; the model's inputs are ${
          graphInputs.map((g) => `"${g.name}"`).join(", ")
        }.`,
      );
    }
    feeds[name] = tensorFeed(t, g);
  }
  for (const g of graphInputs) {
    if (!(g.name in feeds)) throw modelEvaluationError(`the input "${g.name}" is missing.`);
  }
  return feeds;
}

function tensorFeed(
  t: { name: string | null; dtype: NumpyDtype; shape: number[]; values: ColumnValues },
  g: GraphValueInfo,
): TensorData {
  const what = t.name === null ? "The input tensor" : `Tensor "${t.name}"`;
  const type = castFor(t.dtype, g);
  if (!type) throw unfeedable(what, t.dtype);
  return { type, dims: t.shape, data: asTensorValues(t.values, t.dtype, type, what) };
}
