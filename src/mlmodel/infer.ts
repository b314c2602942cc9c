/**
 * {@linkcode inferSignature}: MLflow's `infer_signature` (spec §6.2) for JavaScript data.
 *
 * @module
 */

import { MlflowError } from "../errors.ts";
import { DataType } from "./data_type.ts";
import { PyFloat, pyIsoformat } from "./py_json.ts";
import { ParamSchema, ParamSpec } from "./param_schema.ts";
import {
  AnyType,
  ArrayType,
  ColSpec,
  type ColType,
  ObjectType,
  Property,
  Schema,
  TensorSpec,
} from "./schema.ts";
import { ModelSignature } from "./signature.ts";

/**
 * A tensor given as typed (or plain) flat data plus a shape.
 *
 * @example
 * ```ts
 * import { inferSignature, type Tensor } from "./infer.ts";
 * const t: Tensor = { data: new Uint8Array(28 * 28), shape: [1, 28, 28] };
 * inferSignature(t).inputs?.toJSON(); // '[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 28, 28]}}]'
 * ```
 */
export interface Tensor {
  /** The elements in row-major order. */
  data: ArrayLike<number | bigint | boolean | string>;
  /** The shape (axis 0 is the batch). */
  shape: number[];
  /** Overrides the dtype derived from `data` (e.g. `"bool"` for a Uint8Array of 0/1). */
  dtype?: string;
}

class InferError extends Error {}

function typedDtype(v: unknown): string | undefined {
  if (v instanceof Float32Array) return "float32";
  if (v instanceof Float64Array) return "float64";
  if (v instanceof Int8Array) return "int8";
  if (v instanceof Int16Array) return "int16";
  if (v instanceof Int32Array) return "int32";
  if (v instanceof BigInt64Array) return "int64";
  if (v instanceof Uint8Array || v instanceof Uint8ClampedArray) return "uint8";
  if (v instanceof Uint16Array) return "uint16";
  if (v instanceof Uint32Array) return "uint32";
  if (v instanceof BigUint64Array) return "uint64";
  const name = (v as { constructor?: { name?: string } })?.constructor?.name;
  if (name === "Float16Array") return "float16";
  return undefined;
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    Array.isArray((v as Tensor).shape) &&
    (ArrayBuffer.isView((v as Tensor).data) || Array.isArray((v as Tensor).data));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) &&
    !(v instanceof Date) && !(v instanceof PyFloat) && !isTensor(v);
}

/** numpy's dtype for `np.array(values)` of plain JS scalars. */
function valuesDtype(values: unknown[]): string {
  if (values.length === 0) return "float64";
  if (values.every((x) => typeof x === "boolean")) return "bool";
  if (
    values.every((x) => typeof x === "bigint" || (typeof x === "number" && Number.isInteger(x)))
  ) return "int64";
  if (values.every((x) => typeof x === "number" || typeof x === "bigint" || x instanceof PyFloat)) {
    return "float64";
  }
  if (values.every((x) => typeof x === "string")) return "str";
  return "object";
}

/** Shape of a rectangular nested array; throws for ragged input. */
function nestedShape(v: unknown[]): number[] {
  const shape = [v.length];
  if (v.length && Array.isArray(v[0])) {
    const inner = nestedShape(v[0] as unknown[]);
    for (const x of v) {
      if (!Array.isArray(x) || JSON.stringify(nestedShape(x)) !== JSON.stringify(inner)) {
        throw new InferError("nested arrays must be rectangular (numpy refuses ragged arrays)");
      }
    }
    shape.push(...inner);
  }
  return shape;
}

function tensorSpec(t: unknown, name: string | null): TensorSpec {
  const batch = (shape: number[]) => (shape.length ? [-1, ...shape.slice(1)] : shape);
  if (isTensor(t)) {
    const dtype = t.dtype ?? typedDtype(t.data) ??
      valuesDtype(Array.from(t.data as ArrayLike<unknown>));
    return new TensorSpec({ dtype, shape: batch(t.shape), name });
  }
  const typed = typedDtype(t);
  if (typed) return new TensorSpec({ dtype: typed, shape: [-1], name });
  const arr = t as unknown[];
  const shape = nestedShape(arr);
  return new TensorSpec({ dtype: valuesDtype(arr.flat(Infinity)), shape: batch(shape), name });
}

/** MLflow's `_infer_datatype` for one value; `null` for None/NaN (no type information). */
function valueType(v: unknown): ColType | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean") return DataType.boolean;
  if (typeof v === "bigint") return DataType.long;
  if (v instanceof PyFloat) return Number.isNaN(v.value) ? null : DataType.double;
  if (typeof v === "number") {
    if (Number.isNaN(v)) return null;
    return Number.isInteger(v) ? DataType.long : DataType.double;
  }
  if (typeof v === "string") return DataType.string;
  if (v instanceof Date) return DataType.datetime;
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) return DataType.binary;
  if (ArrayBuffer.isView(v)) {
    return new ArrayType(elementType(Array.from(v as unknown as ArrayLike<number>)));
  }
  if (Array.isArray(v)) return new ArrayType(elementType(v));
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) throw new InferError("an empty object has no properties to infer");
    return new ObjectType(keys.map((k) => {
      const t = valueType(v[k]);
      return new Property(k, t ?? new AnyType(), t !== null);
    }));
  }
  throw new InferError(`values of type ${typeof v} are not supported`);
}

/** The merged type of list elements (empty or all-null lists give `any`). */
function elementType(values: unknown[]): ColType {
  let t: ColType | null = null;
  for (const v of values) {
    const vt = valueType(v);
    if (vt !== null) t = t === null ? vt : merge(t, vt);
  }
  return t ?? new AnyType();
}

function merge(a: ColType, b: ColType): ColType {
  if (a === b) return a;
  if (a instanceof AnyType) return b;
  if (b instanceof AnyType) return a;
  const nums = [DataType.long, DataType.double];
  if (nums.includes(a as DataType) && nums.includes(b as DataType)) return DataType.double;
  if (a instanceof ArrayType && b instanceof ArrayType) {
    return new ArrayType(merge(a.dtype, b.dtype));
  }
  if (a instanceof ObjectType && b instanceof ObjectType) {
    const names = [...new Set([...a.properties, ...b.properties].map((p) => p.name))];
    return new ObjectType(names.map((n) => {
      const pa = a.properties.find((p) => p.name === n);
      const pb = b.properties.find((p) => p.name === n);
      if (!pa || !pb) return new Property(n, (pa ?? pb)!.dtype, false);
      return new Property(
        n,
        merge(pa.dtype, pb.dtype),
        pa.required === true && pb.required === true,
      );
    }));
  }
  throw new InferError(`Expected all values in the list to be of the same type, got ${a} and ${b}`);
}

/** One column from its values (pandas semantics: a missing value makes it optional). */
function column(name: string | null, values: unknown[]): ColSpec {
  const t = elementType(values);
  const missing = values.some((v) =>
    v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))
  );
  return new ColSpec({ type: t, name, required: !missing });
}

function inferSchema(data: unknown): Schema | null {
  if (data === null || data === undefined) return null;
  if (isTensor(data) || typedDtype(data)) return new Schema([tensorSpec(data, null)]);
  if (Array.isArray(data)) {
    if (data.length === 0) return new Schema([new ColSpec({ type: DataType.string })]);
    if (data.every(Array.isArray)) return new Schema([tensorSpec(data, null)]);
    if (data.every(isPlainObject)) {
      const names: string[] = [];
      for (const r of data) for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k);
      return new Schema(
        names.map((n) => column(n, data.map((r) => (r as Record<string, unknown>)[n]))),
      );
    }
    const t = elementType(data);
    return new Schema([new ColSpec({ type: t })]);
  }
  if (isPlainObject(data)) {
    const entries = Object.entries(data);
    if (entries.length === 0) throw new InferError("an empty object has no columns");
    if (entries.every(([, v]) => isTensor(v) || typedDtype(v) !== undefined)) {
      return new Schema(entries.map(([k, v]) => tensorSpec(v, k)));
    }
    if (entries.every(([, v]) => Array.isArray(v))) {
      return new Schema(entries.map(([k, v]) => column(k, v as unknown[])));
    }
    return new Schema(entries.map(([k, v]) => {
      const t = valueType(v);
      return new ColSpec({ type: t ?? new AnyType(), name: k, required: t !== null });
    }));
  }
  const t = valueType(data);
  return new Schema([new ColSpec({ type: t ?? new AnyType() })]);
}

function schemaOrAny(data: unknown, what: string): Schema | null {
  try {
    return inferSchema(data);
  } catch (e) {
    if (!(e instanceof InferError || e instanceof MlflowError)) throw e;
    // MLflow warns and falls back to an Any schema when inference fails.
    console.warn(`Failed to infer the ${what} schema: ${e.message}. Using an Any schema instead.`);
    return new Schema([new ColSpec({ type: new AnyType(), required: true })]);
  }
}

const TYPED_PARAM: Record<string, DataType> = {
  float32: DataType.float,
  float64: DataType.double,
  int8: DataType.integer,
  int16: DataType.integer,
  int32: DataType.integer,
  uint8: DataType.integer,
  uint16: DataType.integer,
  int64: DataType.long,
  uint32: DataType.long,
};

function paramSpec(name: string, value: unknown): ParamSpec {
  const fail = (why: string): never => {
    throw new MlflowError(
      `Failed to infer schema for parameter '${name}': ${why}`,
      "INVALID_PARAMETER_VALUE",
    );
  };
  if (value === null || value === undefined) fail("a None value has no type");
  const typed = typedDtype(value);
  if (typed) {
    const t = TYPED_PARAM[typed] ?? fail(`${typed} arrays are not supported`);
    return new ParamSpec({
      name,
      type: t,
      default: Array.from(value as ArrayLike<number>),
      shape: [-1],
    });
  }
  if (Array.isArray(value)) {
    if (value.some((v) => Array.isArray(v) || ArrayBuffer.isView(v))) {
      fail("only 1-D lists are supported");
    }
    const t = elementType(value);
    if (!(t instanceof DataType)) fail("list elements must be scalars of one type");
    return new ParamSpec({ name, type: t as DataType, default: value, shape: [-1] });
  }
  if (isPlainObject(value)) {
    const t = valueType(value) as ObjectType;
    return new ParamSpec({ name, type: t, default: value });
  }
  const t = valueType(value);
  if (!(t instanceof DataType)) return fail(`values of type ${typeof value} are not supported`);
  if (t === DataType.binary) fail("binary parameters are not supported");
  const def = value instanceof Date ? pyIsoformat(value) : value;
  return new ParamSpec({ name, type: t, default: def instanceof PyFloat ? def.value : def });
}

/**
 * Infers a {@linkcode ModelSignature} from example input, output and params, as MLflow's
 * `infer_signature` does for pandas/numpy data:
 *
 * - an array of row objects, or an object of column arrays: one named column per key (optional
 *   when a value is missing, null or NaN);
 * - a typed array, `{data, shape}`, or nested arrays: one unnamed tensor (`Float32Array` ->
 *   `float32`, nested integers -> `int64`, ...), axis 0 becoming `-1`;
 * - an object of tensors: named tensors;
 * - an object of scalars: one named column per key; an array of scalars: one unnamed column;
 *   an empty array: one unnamed `string` column;
 * - params: `{name: value}`; integers -> `long`, other numbers -> `double` (pass a
 *   {@linkcode PyFloat} to force `double` for an integral value), lists -> `shape [-1]`,
 *   objects -> `object`.
 *
 * If input or output inference fails, MLflow's fallback `[{"type": "any", "required": true}]`
 * is used (with a warning); invalid params throw an MlflowError.
 *
 * @example
 * ```ts
 * import { inferSignature } from "./infer.ts";
 * const sig = inferSignature(
 *   [{ a: 1.5, b: 3 }, { a: 2, b: null }],
 *   { data: new Float32Array(2), shape: [2, 1] },
 *   { temperature: 0.7 },
 * );
 * sig.toDict().inputs;
 * // '[{"type": "double", "name": "a", "required": true}, {"type": "long", "name": "b", "required": false}]'
 * sig.toDict().outputs; // '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]'
 * ```
 */
export function inferSignature(
  input: unknown,
  output?: unknown,
  params?: Record<string, unknown> | null,
): ModelSignature {
  const inputs = schemaOrAny(input, "input");
  const outputs = output === undefined ? null : schemaOrAny(output, "output");
  const paramSchema = params && Object.keys(params).length
    ? new ParamSchema(Object.entries(params).map(([k, v]) => paramSpec(k, v)))
    : null;
  return new ModelSignature({ inputs, outputs, params: paramSchema });
}
