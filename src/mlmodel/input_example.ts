/**
 * Input examples saved next to a model (`input_example.json`, `serving_input_example.json`) and
 * the `saved_input_example_info` block describing them (spec §6.1).
 *
 * @module
 */

import { MlflowError } from "../errors.ts";
import { fromJs, parsePyJson, PyDict, PyFloat, type PyValue, toJs, toPyJson } from "./py_json.ts";

/**
 * The `saved_input_example_info` block of an MLmodel.
 *
 * @example
 * ```ts
 * import type { SavedInputExampleInfo } from "./input_example.ts";
 * const info: SavedInputExampleInfo = {
 *   artifact_path: "input_example.json",
 *   serving_input_path: "serving_input_example.json",
 *   type: "ndarray",
 * };
 * ```
 */
export interface SavedInputExampleInfo {
  /** Always `input_example.json` when MLflow wrote it. */
  artifact_path: string;
  /** `dataframe`, `ndarray`, `json_object`, `sparse_matrix_csr`, `sparse_matrix_csc`. */
  type: string;
  /** `split` or `values` for `dataframe` examples. */
  pandas_orient?: string;
  /** `serving_input_example.json` when a serving payload could be built. */
  serving_input_path?: string;
  /** The string `'true'` when the example carries params. */
  params?: string;
  /** Other keys, kept as read. */
  [key: string]: unknown;
}

/**
 * A parsed input example.
 *
 * @example
 * ```ts
 * import { type InputExample, parseExampleText } from "./input_example.ts";
 * const ex: InputExample = parseExampleText("[[1, 2]]", { artifact_path: "input_example.json", type: "ndarray" }, "x");
 * ```
 */
export interface InputExample {
  /** `saved_input_example_info.type`. */
  type: string;
  /** The example data: split-form `{columns?, data}` for dataframes, nested lists, or JSON. */
  data: unknown;
  /** The params saved with the example, or null. */
  params: Record<string, unknown> | null;
}

/**
 * A tensor given as flat typed data plus a shape.
 *
 * @example
 * ```ts
 * import type { TensorLike } from "./input_example.ts";
 * const t: TensorLike = { data: new Float32Array(8), shape: [2, 4] };
 * ```
 */
export interface TensorLike {
  /** The elements in row-major order. */
  data: ArrayLike<number | bigint>;
  /** The shape. */
  shape: number[];
}

/**
 * Options of `Model.setInputExample`.
 *
 * @example
 * ```ts
 * import { buildInputExample, type InputExampleOptions } from "./input_example.ts";
 * const opts: InputExampleOptions = { kind: "dataframe", params: { k: 5 } };
 * buildInputExample([{ a: 1 }], opts).info.params; // "true"
 * ```
 */
export interface InputExampleOptions {
  /** Params saved with the example (`(data, params)` in MLflow). */
  params?: Record<string, unknown>;
  /**
   * How to save `data`: `dataframe` (an array of row objects or `{columns, data}`), `ndarray`
   * (nested arrays, a typed array, `{data, shape}`, or a `{name: tensor}` map) or `json_object`.
   * Default: `ndarray` for typed arrays and tensor maps, `json_object` otherwise.
   */
  kind?: "dataframe" | "ndarray" | "json_object";
}

const EXAMPLE_FILE = "input_example.json";
const SERVING_FILE = "serving_input_example.json";

function isTyped(v: unknown): v is ArrayLike<number | bigint> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** Whether `v` is a typed array or `{data: typed array | array, shape}`. */
export function isTensorLike(v: unknown): v is TensorLike | ArrayLike<number | bigint> {
  if (isTyped(v)) return true;
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    Array.isArray((v as TensorLike).shape) &&
    (isTyped((v as TensorLike).data) || Array.isArray((v as TensorLike).data));
}

/** Nests flat row-major `data` into lists of `shape`. */
export function nest(data: PyValue[], shape: number[]): PyValue[] | PyValue {
  if (shape.length === 0) return data[0];
  const total = shape.reduce((a, b) => a * b, 1);
  if (total !== data.length) {
    throw new MlflowError(
      `Tensor shape [${shape.join(", ")}] needs ${total} values, got ${data.length}`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  const rec = (off: number, dim: number): PyValue[] => {
    const n = shape[dim];
    if (dim === shape.length - 1) return data.slice(off, off + n);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, (_, i) => rec(off + i * stride, dim + 1));
  };
  return rec(0, 0);
}

/** A tensor as numpy's `tolist()` gives it (floats for float arrays, NaN as null like MLflow). */
function tensorToPy(t: TensorLike | ArrayLike<number | bigint> | unknown[]): PyValue {
  if (Array.isArray(t)) {
    const flat = (t as unknown[]).flat(Infinity) as unknown[];
    const floaty = flat.some((x) => typeof x === "number" && !Number.isInteger(x));
    return nanToNull(fromJs(t, floaty, "Input example"));
  }
  const data = isTyped(t) ? t : (t as TensorLike).data;
  const shape = isTyped(t) ? [t.length] : (t as TensorLike).shape;
  const floaty = data instanceof Float32Array || data instanceof Float64Array ||
    (Array.isArray(data) && data.some((x) => typeof x === "number" && !Number.isInteger(x)));
  const flat = Array.from(data as ArrayLike<number | bigint>, (x) => fromJs(x, floaty));
  return nanToNull(nest(flat, shape) as PyValue);
}

/** Python's `base64.encodebytes`: standard base64, a newline after every 76 characters and at the end. */
export function encodeBytes(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  const b64 = btoa(bin);
  let out = "";
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + "\n";
  return out;
}

/** MLflow's example encoder writes bytes as `base64.encodebytes` text. */
function bytesToText(v: unknown): unknown {
  if (v instanceof Uint8Array) return encodeBytes(v);
  if (Array.isArray(v)) return v.map(bytesToText);
  if (
    typeof v === "object" && v !== null && !ArrayBuffer.isView(v) && !(v instanceof Date) &&
    !(v instanceof PyFloat)
  ) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bytesToText(x)]));
  }
  return v;
}

function nanToNull(v: PyValue): PyValue {
  if (v instanceof PyFloat && Number.isNaN(v.value)) return null;
  if (Array.isArray(v)) return v.map(nanToNull);
  return v;
}

/** DataFrame columns as pandas types them: all-int columns stay ints, numeric columns with a
 * float or a missing value become float64 (missing -> NaN), anything else is an object column. */
function dataframeToPy(data: unknown): PyDict {
  let columns: string[] | null;
  let rows: unknown[][];
  if (Array.isArray(data)) {
    const cols: string[] = [];
    for (const r of data) {
      if (typeof r !== "object" || r === null || Array.isArray(r)) {
        throw new MlflowError(
          "A dataframe example must be an array of row objects or {columns, data}",
          "INVALID_PARAMETER_VALUE",
        );
      }
      for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
    }
    columns = cols;
    rows = data.map((r) => cols.map((c) => (r as Record<string, unknown>)[c] ?? null));
  } else if (
    typeof data === "object" && data !== null && Array.isArray((data as { data?: unknown }).data)
  ) {
    const d = data as { columns?: string[]; data: unknown[][] };
    columns = d.columns ?? null;
    rows = d.data;
  } else {
    throw new MlflowError(
      "A dataframe example must be an array of row objects or {columns, data}",
      "INVALID_PARAMETER_VALUE",
    );
  }
  const width = Math.max(0, ...rows.map((r) => r.length));
  const kinds = Array.from({ length: width }, (_, j) => {
    const col = rows.map((r) => r[j]);
    const present = col.filter((x) => x !== null && x !== undefined);
    if (present.length && present.every((x) => typeof x === "number")) {
      const float = present.length < col.length || present.some((x) => !Number.isInteger(x));
      return float ? "float" : "int";
    }
    return "object";
  });
  const pyRows = rows.map((r) =>
    r.map((x, j) => {
      if (kinds[j] === "float") {
        return new PyFloat(x === null || x === undefined ? NaN : (x as number));
      }
      return fromJs(bytesToText(x), false, "Input example");
    })
  );
  const entries: [string, PyValue][] = [];
  if (columns) entries.push(["columns", columns]);
  entries.push(["data", pyRows]);
  return new PyDict(entries);
}

/**
 * Builds `saved_input_example_info` and the two example files the way MLflow's `_Example` does.
 *
 * @example
 * ```ts
 * import { buildInputExample } from "./input_example.ts";
 * const { info, files } = buildInputExample(new Float32Array([0, 1, 2, 3]), {});
 * info.type; // "ndarray"
 * files.get("input_example.json"); // "[0.0, 1.0, 2.0, 3.0]"
 * ```
 */
export function buildInputExample(
  data: unknown,
  options: InputExampleOptions,
): { info: SavedInputExampleInfo; files: Map<string, string> } {
  const tensorMap = typeof data === "object" && data !== null && !Array.isArray(data) &&
    !isTensorLike(data) &&
    Object.keys(data).length > 0 && Object.values(data).every(isTensorLike);
  const kind = options.kind ?? (isTensorLike(data) || tensorMap ? "ndarray" : "json_object");
  const info: SavedInputExampleInfo = { artifact_path: EXAMPLE_FILE, type: kind };
  let example: PyValue;
  let serving: PyDict;
  if (kind === "dataframe") {
    example = dataframeToPy(data);
    info.pandas_orient = example.has("columns") ? "split" : "values";
    serving = new PyDict([["dataframe_split", example]]);
  } else if (kind === "ndarray") {
    if (
      tensorMap ||
      (!Array.isArray(data) && !isTensorLike(data) && typeof data === "object" && data !== null)
    ) {
      example = new PyDict(
        Object.entries(data as Record<string, unknown>).map((
          [k, t],
        ) => [k, tensorToPy(t as TensorLike)]),
      );
    } else {
      example = tensorToPy(data as TensorLike);
    }
    serving = new PyDict([["inputs", example]]);
  } else {
    example = fromJs(bytesToText(data), false, "Input example");
    const llm = example instanceof PyDict &&
      ["messages", "prompt", "input"].some((k) => example instanceof PyDict && example.has(k));
    serving = llm ? example as PyDict : new PyDict([["inputs", example]]);
  }
  info.serving_input_path = SERVING_FILE;
  if (options.params) {
    const params = fromJs(options.params, false, "Input example params");
    info.params = "true";
    example = new PyDict([["inputs", example], ["params", params]]);
    serving = serving.has("inputs") || serving.has("dataframe_split")
      ? new PyDict([...serving.entries, ["params", params]])
      : new PyDict([...serving.entries, ...(params as PyDict).entries]);
  }
  return {
    info,
    files: new Map([
      [EXAMPLE_FILE, toPyJson(example)],
      [SERVING_FILE, toPyJson(serving, { indent: 2 })],
    ]),
  };
}

/**
 * Parses the text of an input example file according to its info block.
 *
 * @example
 * ```ts
 * import { parseExampleText } from "./input_example.ts";
 * parseExampleText('{"a": NaN}', { artifact_path: "input_example.json", type: "json_object" }, "x").data;
 * // { a: NaN }
 * ```
 */
export function parseExampleText(
  text: string,
  info: SavedInputExampleInfo,
  what: string,
): InputExample {
  const known = ["dataframe", "ndarray", "json_object", "sparse_matrix_csr", "sparse_matrix_csc"];
  if (!known.includes(info.type)) {
    throw new MlflowError(
      `This version of mlflow can not load example of type ${info.type}`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  let v = toJs(parsePyJson(text, `Input example ${what}`)) as unknown;
  let params: Record<string, unknown> | null = null;
  if (
    info.params === "true" && typeof v === "object" && v !== null && !Array.isArray(v) &&
    "inputs" in v
  ) {
    const o = v as { inputs: unknown; params?: Record<string, unknown> };
    params = o.params ?? null;
    v = o.inputs;
  }
  return { type: info.type, data: v, params };
}
