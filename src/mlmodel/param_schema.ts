/**
 * Inference parameters (`mlflow.types.ParamSpec` / `ParamSchema`): name, type, default, shape.
 *
 * Defaults are validated and converted as MLflow does when a schema is loaded (§3.7 rules): an int
 * default of a `double` parameter becomes `1.0`, a datetime default is re-written in ISO form, a
 * `1.0` default of a `long` parameter is refused.
 *
 * @module
 */

import { PARAM_VALUE_RULES, type ParamValueKind } from "./param_rules.ts";
import { MlflowError } from "../errors.ts";
import { DataType, typeNameList } from "./data_type.ts";
import {
  fromJs,
  parsePyJson,
  PyDict,
  PyFloat,
  pyRepr,
  pyStr,
  pyTypeName,
  type PyValue,
  toJs,
  toPyJson,
} from "./py_json.ts";
import {
  AnyType,
  ArrayType,
  type ColType,
  MapType,
  ObjectType,
  type ToJSONOptions,
} from "./schema.ts";
import { pyTuple } from "./python_compat.ts";

function bad(message: string): never {
  throw new MlflowError(message, "INVALID_PARAMETER_VALUE");
}

/**
 * Options for constructing a {@linkcode ParamSpec}.
 *
 * @example
 * ```ts
 * import { ParamSpec, type ParamSpecInit } from "./param_schema.ts";
 * const init: ParamSpecInit = { name: "k", type: "long", default: 5 };
 * new ParamSpec(init).default; // 5
 * ```
 */
export interface ParamSpecInit {
  /** The parameter name. */
  name: string;
  /** A scalar type (not `binary`), its name, or an {@linkcode ObjectType}. */
  type: DataType | ObjectType | string;
  /** The default value (plain JS; validated and converted like MLflow does). */
  default: unknown;
  /** `null` for a scalar or object, `[-1]` for a 1-D list. */
  shape?: readonly number[] | null;
}

/**
 * One inference parameter.
 *
 * @example
 * ```ts
 * import { ParamSpec } from "./param_schema.ts";
 * const p = new ParamSpec({ name: "temperature", type: "double", default: 1 });
 * p.default; // 1
 * p.toJSON(); // '{"name": "temperature", "default": 1.0, "shape": null, "type": "double"}'
 * ```
 */
export class ParamSpec {
  /** @internal source key order */
  _keys?: string[];
  /** @internal the default as given (read from JSON or passed in), before conversion */
  _sourceDefault: PyValue = null;
  /** The parameter name. */
  readonly name: string;
  /** The parameter type. */
  readonly type: DataType | ObjectType;
  /** `null` (scalar/object) or `[-1]` (1-D list). */
  readonly shape: readonly number[] | null;
  /** The converted default as MLflow writes it (Python-typed). */
  readonly defaultValue: PyValue;

  /** A parameter; the default is validated and converted (throws an MlflowError if invalid). */
  constructor(init: ParamSpecInit, sourceDefault?: PyValue) {
    this.name = String(init.name);
    this.shape = init.shape === undefined || init.shape === null ? null : [...init.shape];
    const t = init.type;
    if (typeof t === "string") {
      if (t === "binary") {
        // MLflow's message lacks the space before "has"; kept verbatim.
        bad(
          `Binary type is not supported for parameters, ParamSpec '${this.name}'has dtype 'binary'`,
        );
      }
      if (!DataType.isName(t)) {
        bad(
          `Unsupported type '${t}', expected instance of DataType or one of ${
            typeNameList("binary")
          }`,
        );
      }
      this.type = DataType.fromName(t);
    } else if (t instanceof DataType || t instanceof ObjectType) {
      if (t === DataType.binary) {
        bad(
          `Binary type is not supported for parameters, ParamSpec '${this.name}'has dtype 'binary'`,
        );
      }
      this.type = t;
    } else {
      bad(`'dtype' must be DataType, Object or str, got ${pyRepr(t as PyValue)}`);
    }
    const typed = sourceDefault ?? fromJs(
      init.default,
      this.type === DataType.double || this.type === DataType.float,
      `Default of parameter '${this.name}'`,
    );
    // MLflow's messages print the default as given, before conversion.
    this._sourceDefault = typed;
    this.defaultValue = validateParamValue(this, typed);
  }

  /** The default as a plain JS value (`null` when there is none). */
  get default(): unknown {
    return toJs(this.defaultValue);
  }

  /** MLflow's repr, e.g. `'k': long (default: 5)`, used in its messages. */
  toString(): string {
    const shape = this.shape === null ? "" : ` (shape: (${this.shape.join(", ")},))`;
    const t = this.type instanceof DataType ? this.type.name : this.type.toString();
    return `'${this.name}': ${t} (default: ${
      pyStr(this._sourceDefault ?? this.defaultValue)
    })${shape}`;
  }

  /** MLflow's dict: `name`, `default`, `shape`, `type` (+ `properties` for objects). */
  toDict(options?: ToJSONOptions): PyDict {
    const source = options?.layout === "source" && this._keys;
    const entries: [string, PyValue][] = [
      ["name", this.name],
      [
        "default",
        source && this._sourceDefault !== undefined ? this._sourceDefault : this.defaultValue,
      ],
      ["shape", this.shape === null ? null : [...this.shape]],
    ];
    if (this.type instanceof DataType) entries.push(["type", this.type.name]);
    else entries.push(...this.type.toDict(options).entries);
    if (!source) return new PyDict(entries);
    const byKey = new Map(entries);
    if (this._keys!.includes("dtype")) byKey.set("dtype", byKey.get("type")!);
    return new PyDict(this._keys!.filter((k) => byKey.has(k)).map((k) => [k, byKey.get(k)!]));
  }

  /** The parameter as MLflow's `json.dumps` writes it. */
  toJSON(options?: ToJSONOptions): string {
    return toPyJson(this.toDict(options));
  }

  /** Reads one ParamSpec from its JSON text (as MLflow's `json.dumps` wrote it). */
  static fromJSON(text: string): ParamSpec {
    const v = parsePyJson(text, "ParamSpec");
    if (!(v instanceof PyDict)) bad(`ParamSpec JSON must be an object, got ${pyRepr(v)}`);
    return ParamSpec.fromDict(v);
  }

  /** Reads one element of a params schema array (`type` or legacy `dtype`). */
  static fromDict(d: PyDict): ParamSpec {
    const hasType = d.has("type") || d.has("dtype");
    if (!d.has("name") || !d.has("default") || !hasType) {
      bad(
        "Missing keys in ParamSpec JSON. Expected to find keys `name`, `type`(or `dtype`) and `default`. " +
          `Received keys: dict_keys(${pyRepr(d.keys())})`,
      );
    }
    const typeName = d.get("type") || d.get("dtype");
    const type = typeName === "object" ? ObjectType.fromDict(d) : typeName;
    if (typeof type !== "string" && !(type instanceof ObjectType)) {
      bad(
        `Unsupported type ${pyRepr(typeName!)}, expected instance of DataType or one of ${
          typeNameList("binary")
        }`,
      );
    }
    const shape = d.get("shape") ?? null;
    if (shape !== null && (!Array.isArray(shape) || shape.some((x) => typeof x !== "number"))) {
      bad(
        `Shape of parameter '${pyStr(d.get("name")!)}' must be null or a list of integers, got ${
          pyRepr(shape)
        }`,
      );
    }
    const p = new ParamSpec(
      { name: pyStr(d.get("name")!), type, default: undefined, shape: shape as number[] | null },
      d.get("default")!,
    );
    p._keys = d.keys();
    return p;
  }
}

/**
 * The parameters of a signature.
 *
 * @example
 * ```ts
 * import { ParamSchema } from "./param_schema.ts";
 * const ps = ParamSchema.fromJSON('[{"name": "k", "default": 5, "shape": null, "type": "long"}]');
 * ps.params[0].default; // 5
 * ```
 */
export class ParamSchema {
  /** The parameters in declaration order. */
  readonly params: readonly ParamSpec[];

  /** A params schema; throws for duplicate names. */
  constructor(params: ParamSpec[]) {
    if (!Array.isArray(params) || params.some((p) => !(p instanceof ParamSpec))) {
      bad("ParamSchema inputs only accept <class 'type'>");
    }
    const seen = new Set<string>();
    const dups: string[] = [];
    for (const p of params) {
      if (seen.has(p.name)) dups.push(p.name);
      else seen.add(p.name);
    }
    if (dups.length) bad(`Duplicated parameters found in schema: ${pyRepr(dups)}`);
    this.params = [...params];
  }

  /** The spec called `name`, if any. */
  get(name: string): ParamSpec | undefined {
    return this.params.find((p) => p.name === name);
  }

  /** MLflow's list of dicts. */
  toDict(options?: ToJSONOptions): PyDict[] {
    return this.params.map((p) => p.toDict(options));
  }

  /** The schema as MLflow's `ParamSchema.to_json()` writes it. */
  toJSON(options?: ToJSONOptions): string {
    return toPyJson(this.toDict(options));
  }

  /** Reads the JSON text MLflow stores in `signature.params`. */
  static fromJSON(text: string): ParamSchema {
    if (typeof text !== "string") bad(`ParamSchema JSON must be a string, got ${typeof text}`);
    const v = parsePyJson(text, "ParamSchema");
    if (!Array.isArray(v)) bad(`ParamSchema JSON must be a list, got ${pyRepr(v)}`);
    return new ParamSchema(v.map((x, i) => {
      if (!(x instanceof PyDict)) {
        bad(`ParamSchema entry ${i} must be a JSON object, got ${pyRepr(x)}`);
      }
      return ParamSpec.fromDict(x);
    }));
  }

  /** MLflow's repr. */
  toString(): string {
    return `[${this.params.map(String).join(", ")}]`;
  }
}

/** MLflow's `validate_type_and_shape`: returns the converted value or throws MLflow's message. */
function validateParamValue(spec: ParamSpec, value: PyValue): PyValue {
  const shape = spec.shape;
  const isMinusOne = shape !== null && shape.length === 1 && shape[0] === -1;
  if (isMinusOne && !(Array.isArray(value) && ndim(value) === 1)) {
    bad(
      `Value must be a 1D array with shape (-1,) for param ${spec}, received ${
        pyTypeName(value)
      } with ndim ${ndim(value)}`,
    );
  }
  try {
    if (shape === null) {
      if (spec.type instanceof DataType) return paramDatatype(value, spec.type);
      enforceObject(value, spec.type, true);
      return value;
    }
    if (isMinusOne) {
      return (value as PyValue[]).map((v) => {
        if (spec.type instanceof ObjectType) {
          throw new MlflowError(
            `Value must be a scalar for type \`${spec.type}\`, got \`${pyStr(v)}\``,
          );
        }
        return paramDatatype(v, spec.type);
      });
    }
  } catch (e) {
    if (!(e instanceof MlflowError)) throw e;
    bad(`Failed to validate type and shape for ${spec}, error: ${e.message}`);
  }
  return bad(
    `Shape must be None for scalar or dictionary value, or (-1,) for 1D array value for ParamSpec ${spec}), received ${
      pyTuple(shape)
    }`,
  );
}

function ndim(v: PyValue): number {
  if (!Array.isArray(v)) return 0;
  if (v.length === 0) return 1;
  return v.every(Array.isArray) ? 1 + Math.min(...v.map(ndim)) : 1;
}

/** MLflow's `_enforce_param_datatype` on one JSON value. */
function paramDatatype(value: PyValue, t: DataType): PyValue {
  if (value === null) return null;
  if (t === DataType.datetime) {
    const parsed = typeof value === "string" ? parseNumpyDatetime(value) : undefined;
    if (parsed === undefined) {
      throw new MlflowError(
        `Failed to convert value \`${pyStr(value)}\` from type \`<class '${
          pyTypeName(value)
        }'>\` to \`${t}\``,
      );
    }
    if (parsed === "int") {
      throw new MlflowError(
        `Failed to convert value to \`${t}\`. It must be convertible to datetime.date/datetime, got \`${
          pyStr(value)
        }\``,
      );
    }
    return parsed;
  }
  if (Array.isArray(value) || value instanceof PyDict) {
    throw new MlflowError(`Value must be a scalar for type \`${t}\`, got \`${pyStr(value)}\``);
  }
  const py = pyTypeName(value);
  // The one table of parameter rules, which the wasm core reads too (generated into Rust).
  const kinds = PARAM_VALUE_RULES[t.name as keyof typeof PARAM_VALUE_RULES];
  const rule = kinds?.[py as ParamValueKind];
  if (rule === "keep") return value;
  if (rule === "to_float") return new PyFloat(Number(value));
  throw new MlflowError(
    `Can not safely convert \`<class '${py}'>\` to \`${t}\` for value \`${pyStr(value)}\``,
  );
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * What `np.datetime64(s).item()` gives, written with Python's `isoformat()`: a date
 * (`2024-01-02`), a datetime (`2024-01-02T03:04:05[.ffffff]`), `"int"` for nanosecond precision
 * (numpy returns an int there), or `undefined` when numpy cannot parse it.
 *
 * @example
 * ```ts
 * import { parseNumpyDatetime } from "./param_schema.ts";
 * parseNumpyDatetime("2023-07-01"); // "2023-07-01"
 * parseNumpyDatetime("2023-07-01 10:20:30.5"); // "2023-07-01T10:20:30.500000"
 * ```
 */
export function parseNumpyDatetime(s: string): string | "int" | undefined {
  const m =
    /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/
      .exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : 1;
  const day = d ? Number(d) : 1;
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]) return undefined;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (month === 2 && day === 29 && !leap) return undefined;
  if (h === undefined) return `${y}-${mo ?? "01"}-${d ?? "01"}`;
  const hour = Number(h);
  const minute = mi ? Number(mi) : 0;
  const second = sec ? Number(sec) : 0;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (frac && frac.length > 6) return "int";
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (tz && tz !== "Z") {
    const sign = tz[0] === "-" ? -1 : 1;
    const digits = tz.slice(1).replace(":", "");
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60000;
  }
  const iso = new Date(ms).toISOString().slice(0, 19);
  const micros = (frac ?? "").padEnd(6, "0");
  return Number(micros) === 0 ? iso : `${iso}.${micros}`;
}

/** MLflow's `_enforce_object` on a JSON value, strict like the in-process element checks (§3.5). */
function enforceObject(value: PyValue, t: ObjectType, required: boolean): void {
  if (!required && (value === null || (value instanceof PyDict && value.entries.length === 0))) {
    return;
  }
  if (!(value instanceof PyDict)) {
    throw new MlflowError(
      `Failed to enforce schema of '${
        pyStr(value)
      }' with type '${t}'. Expected data to be dictionary, got ${pyTypeName(value)}`,
    );
  }
  const missing = t.properties.filter((p) => p.required && !value.has(p.name)).map((p) => p.name);
  if (missing.length) {
    throw new MlflowError(
      `Missing required properties: {${missing.map((x) => `'${x}'`).join(", ")}}`,
    );
  }
  const extra = value.keys().filter((k) => !t.properties.some((p) => p.name === k));
  if (extra.length) {
    throw new MlflowError(
      `Invalid properties not defined in the schema found: {${
        extra.map((x) => `'${x}'`).join(", ")
      }}`,
    );
  }
  for (const p of t.properties) {
    if (!value.has(p.name)) continue;
    if (!elementOk(value.get(p.name)!, p.dtype, p.required === true)) {
      throw new MlflowError(
        `Failed to enforce schema for key \`${p.name}\`. Expected type ${
          p.dtype instanceof DataType ? p.dtype.name : p.dtype
        }, received type ${pyTypeName(value.get(p.name))}`,
      );
    }
  }
}

/** Element-level type check inside complex types (JSON ints only pass float types as 0/1). */
function elementOk(v: PyValue, t: ColType, required: boolean): boolean {
  if (v === null || (v instanceof PyFloat && Number.isNaN(v.value))) {
    return !required || t instanceof AnyType;
  }
  if (t instanceof ObjectType) {
    try {
      enforceObject(v, t, required);
      return true;
    } catch {
      return false;
    }
  }
  if (t instanceof ArrayType) {
    if (!Array.isArray(v)) return false;
    if (t.dtype instanceof DataType && t.dtype !== DataType.string && v.length) {
      // The list is checked as one numpy array: one float makes the whole list float64.
      if (t.dtype === DataType.double && v.some((x) => x instanceof PyFloat)) {
        return v.every((x) => x instanceof PyFloat || typeof x === "number");
      }
    }
    return v.every((x) => elementOk(x, t.dtype, true));
  }
  if (t instanceof MapType) {
    return v instanceof PyDict && v.entries.every(([, x]) => elementOk(x, t.valueType, required));
  }
  if (!(t instanceof DataType)) return true; // AnyType
  const py = pyTypeName(v);
  switch (t) {
    case DataType.boolean:
      return py === "bool";
    case DataType.long:
      return py === "int";
    case DataType.integer:
    case DataType.float:
      return py === "int" && (v === 0 || v === 1);
    case DataType.double:
      return py === "float" || (py === "int" && (v === 0 || v === 1));
    case DataType.string:
      return py === "str";
    case DataType.datetime:
      return py === "str" && typeof parseNumpyDatetime(v as string) === "string";
    default:
      return false;
  }
}
