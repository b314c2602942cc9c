/**
 * MLflow schema types as JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1): what JSON a
 * scoring request may carry for a column, a tensor or a parameter, and the whole `/invocations`
 * body (`dataframe_split`, `dataframe_records`, `instances`, `inputs`, `params`) of a signature.
 *
 * The schemas accept every JSON value MLflow's scoring server converts without loss (numeric text
 * in numeric columns, `0`/`1` for booleans, epoch nanoseconds for datetimes, `null` for NaN in
 * float columns); the enforcement core stays the judge of values, these describe the shape: which
 * columns and tensors are required, how deep a tensor nests, which types a cell may have.
 *
 * @module
 */
import { DataType } from "./data_type.ts";
import type { ParamSpec } from "./param_schema.ts";
import {
  ArrayType,
  type ColSpec,
  type ColType,
  MapType,
  ObjectType,
  type Schema,
  type TensorSpec,
} from "./schema.ts";
import { pyTuple } from "./python_compat.ts";
import type { ModelSignature } from "./signature.ts";

/**
 * A JSON Schema object (2020-12 dialect).
 *
 * @example
 * ```ts
 * import type { JsonSchema } from "./json_schema.ts";
 * const s: JsonSchema = { type: "array", items: { type: "number" } };
 * ```
 */
export type JsonSchema = { [key: string]: unknown };

/** Numbers written as text, as pandas and numpy parse them (`"1.5"`, `" 2"`, `"nan"`, `"-inf"`). */
const NUMERIC_TEXT: JsonSchema = {
  type: "string",
  pattern:
    "^\\s*[-+]?(([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|[Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)\\s*$",
};
const INTEGER_TEXT: JsonSchema = { type: "string", pattern: "^\\s*[-+]?[0-9]+\\s*$" };

function withNull(s: JsonSchema): JsonSchema {
  if (Object.keys(s).length === 0) return s;
  return { anyOf: [s, { type: "null" }] };
}

/** One cell of a scalar type. */
function dataTypeSchema(t: DataType): JsonSchema {
  switch (t.name) {
    case "boolean":
      return {
        anyOf: [{ type: "boolean" }, { enum: [0, 1] }],
        description: "boolean (true/false, or 0/1)",
      };
    case "integer":
    case "long": {
      const bits = t.name === "integer" ? 32 : 64;
      return {
        anyOf: [{ type: "integer", format: `int${bits}` }, INTEGER_TEXT, { type: "boolean" }],
        description: `${t.name} (${bits}-bit integer; integer text and booleans convert)`,
      };
    }
    case "float":
    case "double":
      return {
        anyOf: [
          { type: "number", format: t.name },
          NUMERIC_TEXT,
          { type: "boolean" },
          { type: "null" },
        ],
        description: `${t.name} (a number; numeric text and booleans convert, null is NaN)`,
      };
    case "string":
      // Other JSON values reach the model as MLflow passes them (stringified, or as objects).
      return {
        type: ["string", "number", "boolean", "array", "object"],
        description: "string (other JSON values are converted as MLflow converts them)",
      };
    case "binary":
      return { type: "string", contentEncoding: "base64", description: "binary (base64 text)" };
    case "datetime":
      return {
        anyOf: [{ type: "string" }, { type: "integer" }, { type: "null" }],
        description: "datetime (ISO 8601 text, or integer epoch nanoseconds; null is NaT)",
      };
  }
}

/**
 * The JSON Schema of one value of an MLflow column type (a scalar type, Array, Object, Map or
 * Any): what one cell of a request may hold.
 *
 * @example
 * ```ts
 * import { colTypeJsonSchema } from "./json_schema.ts";
 * import { ArrayType } from "./schema.ts";
 * import { DataType } from "./data_type.ts";
 * colTypeJsonSchema(new ArrayType(DataType.long)).type; // "array"
 * ```
 */
export function colTypeJsonSchema(t: ColType): JsonSchema {
  if (t instanceof DataType) return dataTypeSchema(t);
  if (t instanceof ArrayType) {
    // A null item is a missing value; the core judges it per item type.
    return {
      type: "array",
      items: withNull(colTypeJsonSchema(t.dtype)),
      description: String(t),
    };
  }
  if (t instanceof ObjectType) {
    const properties: Record<string, JsonSchema> = {};
    for (const p of t.properties) {
      const inner = colTypeJsonSchema(p.dtype);
      properties[p.name] = p.required ? inner : withNull(inner);
    }
    return {
      type: "object",
      properties,
      required: t.properties.filter((p) => p.required).map((p) => p.name),
    };
  }
  if (t instanceof MapType) {
    return {
      type: "object",
      additionalProperties: colTypeJsonSchema(t.valueType),
      description: String(t),
    };
  }
  return { description: "any JSON value" };
}

/** A column's cell: its type, or null too when the column is optional. */
function cellSchema(spec: ColSpec): JsonSchema {
  const s = colTypeJsonSchema(spec.type);
  if (spec.isRequired) return s;
  // An optional Object column also takes `{}` as a missing value.
  if (spec.type instanceof ObjectType) {
    return { anyOf: [s, { type: "object", maxProperties: 0 }, { type: "null" }] };
  }
  return withNull(s);
}

/**
 * The JSON Schema of one element of a tensor of numpy dtype `dtype`.
 *
 * @example
 * ```ts
 * import { tensorElementJsonSchema } from "./json_schema.ts";
 * tensorElementJsonSchema("uint8"); // integers 0..255 (or their text)
 * ```
 */
export function tensorElementJsonSchema(dtype: string): JsonSchema {
  const int = /^(u?)int(8|16|32|64)$/.exec(dtype);
  if (int) {
    const bits = Number(int[2]);
    const range: JsonSchema = int[1]
      ? { minimum: 0, maximum: bits < 64 ? 2 ** bits - 1 : undefined }
      : {
        minimum: bits < 64 ? -(2 ** (bits - 1)) : undefined,
        maximum: bits < 64 ? 2 ** (bits - 1) - 1 : undefined,
      };
    const num: JsonSchema = { type: "integer", format: dtype };
    for (const [k, v] of Object.entries(range)) if (v !== undefined) num[k] = v;
    return { anyOf: [num, INTEGER_TEXT, { type: "boolean" }] };
  }
  if (/^float(16|32|64)$/.test(dtype)) {
    const num: JsonSchema = { type: "number" };
    if (dtype !== "float16") num.format = dtype === "float32" ? "float" : "double";
    return { anyOf: [num, NUMERIC_TEXT, { type: "boolean" }, { type: "null" }] };
  }
  if (dtype === "bool") return { anyOf: [{ type: "boolean" }, { enum: [0, 1] }] };
  if (dtype === "str" || dtype === "object") return { type: ["string", "number", "boolean"] };
  if (dtype === "bytes") return { type: "string", contentEncoding: "base64" };
  if (dtype.startsWith("datetime64")) return { anyOf: [{ type: "string" }, { type: "integer" }] };
  return {};
}

/**
 * The JSON Schema of a whole tensor (nested lists as deep as its shape; fixed axes have a fixed
 * length). `batched: false` describes one row of it (the shape without its first axis), as
 * `instances` records carry it.
 *
 * @example
 * ```ts
 * import { tensorJsonSchema } from "./json_schema.ts";
 * import { TensorSpec } from "./schema.ts";
 * const s = tensorJsonSchema(new TensorSpec({ dtype: "float32", shape: [-1, 4] }));
 * // {type: "array", items: {type: "array", minItems: 4, maxItems: 4, items: …}}
 * ```
 */
export function tensorJsonSchema(
  spec: TensorSpec,
  options: { batched?: boolean } = {},
): JsonSchema {
  const shape = options.batched === false ? spec.shape.slice(1) : spec.shape;
  let s = tensorElementJsonSchema(spec.dtype);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const array: JsonSchema = { type: "array", items: s };
    if (shape[axis] >= 0) array.minItems = array.maxItems = shape[axis];
    s = array;
  }
  return {
    ...s,
    description: `${spec.dtype} tensor of shape ${pyTuple(shape)}`,
  };
}

/** A JSON-safe copy of a parameter default (bigints as numbers when exact, else as text). */
function jsonSafe(v: unknown): unknown {
  if (typeof v === "bigint") {
    return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  }
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  }
  return v;
}

/**
 * The JSON Schema of one inference parameter: its type (a list when it has a shape), its
 * default, and `null` (which selects the default).
 *
 * @example
 * ```ts
 * import { paramJsonSchema } from "./json_schema.ts";
 * import { ParamSpec } from "./param_schema.ts";
 * paramJsonSchema(new ParamSpec({ name: "k", type: "long", default: 5 })).default; // 5
 * ```
 */
export function paramJsonSchema(spec: ParamSpec): JsonSchema {
  let s = colTypeJsonSchema(spec.type);
  if (spec.shape !== null) s = { type: "array", items: s };
  const out: JsonSchema = withNull(s);
  out.default = jsonSafe(spec.default);
  out.description = `${spec.type instanceof DataType ? spec.type.name : String(spec.type)}${
    spec.shape === null ? "" : " list"
  }; null or absent means the default`;
  return out;
}

/** Any JSON object (extra keys allowed, said outright so code generators keep them open). */
const OPEN_OBJECT: JsonSchema = { type: "object", additionalProperties: true };

/** pandas' split orient: `columns`, `index`, `data` and nothing else (MLflow refuses more). */
function splitSchema(columns: JsonSchema, data: JsonSchema, required: string[]): JsonSchema {
  return {
    type: "object",
    properties: { columns, index: { type: "array" }, data },
    required,
    additionalProperties: false,
  };
}

const ANY_SPLIT = splitSchema({ type: "array" }, { type: "array" }, ["data"]);
const ANY_RECORDS: JsonSchema = { type: "array", items: OPEN_OBJECT };

/** Rows as records (`[{column: value}, …]`), each required column present in some row. */
function recordsSchema(cols: readonly ColSpec[], named: boolean): JsonSchema {
  if (!named) return ANY_RECORDS;
  const properties: Record<string, JsonSchema> = {};
  for (const c of cols) properties[c.name!] = withNull(cellSchema(c));
  const s: JsonSchema = {
    type: "array",
    items: { type: "object", properties, additionalProperties: true },
  };
  const required = cols.filter((c) => c.isRequired);
  if (required.length) {
    s.allOf = required.map((c) => ({
      contains: { type: "object", required: [c.name] },
      description: `some row has the required column "${c.name}"`,
    }));
  }
  return s;
}

function anyCell(cols: readonly ColSpec[]): JsonSchema {
  const seen = new Map<string, JsonSchema>();
  for (const c of cols) {
    const s = cellSchema(c);
    seen.set(JSON.stringify(s), s);
  }
  const all = [...seen.values()];
  if (all.some((s) => Object.keys(s).length === 0 || s.description === "any JSON value")) {
    return {};
  }
  return all.length === 1 ? all[0] : { anyOf: all };
}

function columnEnvelopes(schema: Schema): Record<string, JsonSchema> {
  const cols = schema.inputs as readonly ColSpec[];
  const named = schema.hasInputNames();
  const required = named ? cols.filter((c) => c.isRequired).map((c) => c.name!) : [];
  // A null cell in a frame is a missing value (NaN, None, NaT): the core judges it per type.
  const cell = withNull(anyCell(cols));
  const columns: JsonSchema = { type: "array", items: { type: "string" } };
  if (named) {
    columns.description = `column names, in any order; the model's: ${
      cols.map((c) => JSON.stringify(c.name)).join(", ")
    }`;
    if (required.length) columns.allOf = required.map((n) => ({ contains: { const: n } }));
  }
  const split = splitSchema(
    columns,
    {
      type: "array",
      items: { anyOf: [{ type: "array", items: cell }, cell] },
      description: "rows, each a list of cells in the order of `columns`",
    },
    required.length ? ["columns", "data"] : ["data"],
  );
  const records = recordsSchema(cols, named);
  const alternatives: JsonSchema[] = [records];
  if (named) {
    const properties: Record<string, JsonSchema> = {};
    for (const c of cols) {
      const one = cellSchema(c);
      properties[c.name!] = { anyOf: [one, { type: "array", items: one }] };
    }
    alternatives.unshift({
      type: "object",
      properties,
      required,
      additionalProperties: true,
      description: "columns: name -> list of values (or one value)",
    });
  } else {
    alternatives.push({ type: "array", items: { type: "array", items: cell } });
  }
  // One column: a plain list of its values.
  if (cols.length === 1) alternatives.push({ type: "array", items: cell });
  const inputs: JsonSchema = { anyOf: alternatives };
  return {
    dataframe_split: split,
    dataframe_records: records,
    instances: inputs,
    inputs,
  };
}

function tensorEnvelopes(schema: Schema): Record<string, JsonSchema> {
  const specs = schema.inputs as readonly TensorSpec[];
  const anyFrame: Record<string, JsonSchema> = {
    dataframe_split: ANY_SPLIT,
    dataframe_records: ANY_RECORDS,
  };
  if (!schema.hasInputNames()) {
    const t = tensorJsonSchema(specs[0]);
    return { ...anyFrame, instances: t, inputs: t };
  }
  const names = specs.map((s) => s.name!);
  const whole: Record<string, JsonSchema> = {};
  const row: Record<string, JsonSchema> = {};
  for (const s of specs) {
    whole[s.name!] = tensorJsonSchema(s);
    row[s.name!] = tensorJsonSchema(s, { batched: false });
  }
  const byName: JsonSchema = {
    type: "object",
    properties: whole,
    required: names,
    additionalProperties: true,
    description: "tensor name -> tensor",
  };
  const records: JsonSchema = {
    type: "array",
    items: { type: "object", properties: row, required: names, additionalProperties: true },
    description: "one record per row: tensor name -> that row of the tensor",
  };
  const alternatives = [byName, records];
  if (specs.length === 1) alternatives.push(whole[names[0]]);
  return { ...anyFrame, instances: { anyOf: alternatives }, inputs: { anyOf: alternatives } };
}

/**
 * The JSON Schema of a JSON `/invocations` body for a model with this signature: exactly one of
 * `dataframe_split`, `dataframe_records`, `instances`, `inputs`, plus optional `params`. A
 * body that lacks a required column or tensor does not validate; every body the scoring server
 * accepts does.
 *
 * @example
 * ```ts
 * import { invocationRequestJsonSchema } from "./json_schema.ts";
 * import { ModelSignature } from "./signature.ts";
 * const sig = ModelSignature.fromDict({ inputs: '[{"type": "double", "name": "x"}]' });
 * const s = invocationRequestJsonSchema(sig);
 * Object.keys(s.properties as object); // ["dataframe_split", "dataframe_records", …, "params"]
 * ```
 */
export function invocationRequestJsonSchema(signature: ModelSignature | null): JsonSchema {
  const inputs = signature?.inputs ?? null;
  let envelopes: Record<string, JsonSchema>;
  if (inputs === null || inputs.inputs.length === 0) {
    envelopes = {
      dataframe_split: ANY_SPLIT,
      dataframe_records: { type: "array" },
      instances: {},
      inputs: {},
    };
  } else if (inputs.isTensorSpec()) {
    envelopes = tensorEnvelopes(inputs);
  } else {
    envelopes = columnEnvelopes(inputs);
  }
  const params: JsonSchema = { ...OPEN_OBJECT };
  if (signature?.params) {
    params.properties = Object.fromEntries(
      signature.params.params.map((p) => [p.name, paramJsonSchema(p)]),
    );
    params.description = "inference parameters; unknown names are ignored";
  } else {
    params.description = "inference parameters (this model declares none; they are ignored)";
  }
  return {
    type: "object",
    properties: { ...envelopes, params },
    additionalProperties: true,
    oneOf: ["dataframe_split", "dataframe_records", "instances", "inputs"].map((k) => ({
      required: [k],
    })),
  };
}
