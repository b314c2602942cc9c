/**
 * Column and tensor schemas (`mlflow.types.schema`): {@linkcode ColSpec}, {@linkcode TensorSpec},
 * the complex column types {@linkcode ArrayType}, {@linkcode ObjectType}, {@linkcode Property},
 * {@linkcode MapType}, {@linkcode AnyType}, and {@linkcode Schema} with MLflow's validity rules.
 *
 * `toJSON()` writes what MLflow's `to_json()` writes for the same schema, byte for byte.
 * Schemas read with `fromJSON` also remember the layout they were read in (key order, an absent
 * `required`), and `toJSON({ layout: "source" })` writes that layout back; older MLflow releases
 * and hand-written signatures order keys differently.
 *
 * @module
 */

import { MlflowError } from "../errors.ts";
import { DataType, typeNameList } from "./data_type.ts";
import { parsePyJson, PyDict, pyRepr, type PyValue, toPyJson } from "./py_json.ts";
import { comparePy } from "./python_compat.ts";

/**
 * How {@linkcode Schema.toJSON} lays keys out.
 *
 * @example
 * ```ts
 * import { Schema, type ToJSONOptions } from "./schema.ts";
 * const opts: ToJSONOptions = { layout: "source" };
 * Schema.fromJSON('[{"type": "long"}]').toJSON(opts); // '[{"type": "long"}]'
 * ```
 */
export interface ToJSONOptions {
  /**
   * `"mlflow"` (default): MLflow 3's `to_json()` layout. `"source"`: the key order and optional
   * keys of the JSON the object was read from (objects built in code use MLflow's layout).
   */
  layout?: "mlflow" | "source";
}

/**
 * A column type: a scalar {@linkcode DataType} or one of the complex types.
 *
 * @example
 * ```ts
 * import { ArrayType, type ColType } from "./schema.ts";
 * import { DataType } from "./data_type.ts";
 * const t: ColType = new ArrayType(DataType.long);
 * ```
 */
export type ColType = DataType | ArrayType | ObjectType | MapType | AnyType;

const COMPLEX = ["array", "object", "map", "any", "sparkml_vector"];

function bad(message: string, code = "INVALID_PARAMETER_VALUE"): never {
  throw new MlflowError(message, code);
}

function asDict(v: PyValue, what: string): PyDict {
  if (v instanceof PyDict) return v;
  return bad(`${what} must be a JSON object, got ${pyRepr(v)}`);
}

/** Orders `entries` like `keys` (the source layout) when asked to; MLflow's order otherwise. */
function arrange(
  entries: [string, PyValue][],
  keys: string[] | undefined,
  options: ToJSONOptions | undefined,
): PyDict {
  if (options?.layout !== "source" || !keys) return new PyDict(entries);
  const byKey = new Map(entries);
  return new PyDict(keys.filter((k) => byKey.has(k)).map((k) => [k, byKey.get(k)!]));
}

/** The JSON dict of a column type (`{"type": "long"}` for scalars, the type's own dict otherwise). */
export function typeToDict(t: ColType, options?: ToJSONOptions): PyDict {
  return t instanceof DataType ? new PyDict([["type", t.name]]) : t.toDict(options);
}

/** Reads a type dict (`{"type": ..., ...}`) in a nested position (array items, map values). */
function nestedTypeFromDict(d: PyDict, what: string, label: string): ColType {
  const type = d.get("type");
  if (type === "object") return ObjectType.fromDict(d);
  if (type === "array") return ArrayType.fromDict(d);
  if (type === "map") return MapType.fromDict(d);
  if (type === "any") return new AnyType();
  if (type === "sparkml_vector") {
    if (what === "Array") return new SparkMLVector();
    return bad(`SparkML vector type is only supported as a column or array item type`);
  }
  if (DataType.isName(type)) return DataType.fromName(type);
  return bad(
    `Unsupported ${label}'${
      typeof type === "string" ? type : pyRepr(type)
    }', expected instance of DataType, Array, Object, Map or one of ${typeNameList()}`,
  );
}

/**
 * An array column type: `{"type": "array", "items": <type>}`.
 *
 * @example
 * ```ts
 * import { ArrayType } from "./schema.ts";
 * import { DataType } from "./data_type.ts";
 * new ArrayType(DataType.string).toJSON(); // '{"type": "array", "items": {"type": "string"}}'
 * ```
 */
export class ArrayType {
  /** @internal source key order */
  _keys?: string[];
  /** An array whose elements have type `dtype`. */
  constructor(
    /** The element type. */
    readonly dtype: ColType,
  ) {}

  /** The `type` name written in JSON. */
  get typeName(): string {
    return "array";
  }

  /** MLflow's dict for this type (use {@linkcode toJSON} for the string). */
  toDict(options?: ToJSONOptions): PyDict {
    return arrange(
      [["type", "array"], ["items", typeToDict(this.dtype, options)]],
      this._keys,
      options,
    );
  }

  /** The type as MLflow's `json.dumps` writes it. */
  toJSON(options?: ToJSONOptions): string {
    return toPyJson(this.toDict(options));
  }

  /** Reads one ArrayType from its JSON text (as MLflow's `json.dumps` wrote it). */
  static fromJSON(text: string): ArrayType {
    const v = parsePyJson(text, "ArrayType");
    if (!(v instanceof PyDict)) bad(`ArrayType JSON must be an object, got ${pyRepr(v)}`);
    return ArrayType.fromDict(v);
  }

  /** Reads `{"type": "array", "items": {...}}`. */
  static fromDict(d: PyDict): ArrayType {
    if (!d.has("items") || !d.has("type")) {
      bad("Missing keys in Array JSON. Expected to find keys `items` and `type`");
    }
    if (d.get("type") !== "array") bad("Type mismatch, Array expects `array` as the type");
    const items = d.get("items")!;
    if (!(items instanceof PyDict)) bad("Expected items to be a dictionary of Object JSON");
    if (!items.has("type")) bad("Missing keys in Array's items JSON. Expected to find key `type`");
    const t = new ArrayType(nestedTypeFromDict(items, "Array", "type "));
    t._keys = d.keys();
    return t;
  }

  /** MLflow's repr, e.g. `Array(string)`. */
  toString(): string {
    return `Array(${typeRepr(this.dtype)})`;
  }
}

/**
 * The Spark ML vector column type (`{"type": "sparkml_vector"}`, an array of doubles).
 *
 * @example
 * ```ts
 * import { SparkMLVector } from "./schema.ts";
 * new SparkMLVector().toJSON(); // '{"type": "sparkml_vector"}'
 * ```
 */
export class SparkMLVector extends ArrayType {
  /** The Spark ML vector type (an array of doubles). */
  constructor() {
    super(DataType.double);
  }
  /** `sparkml_vector`. */
  override get typeName(): string {
    return "sparkml_vector";
  }
  /** `{"type": "sparkml_vector"}`. */
  override toDict(): PyDict {
    return new PyDict([["type", "sparkml_vector"]]);
  }
  /** MLflow's repr: `SparkML vector`. */
  override toString(): string {
    return "SparkML vector";
  }
}

/**
 * One property of an {@linkcode ObjectType}.
 *
 * @example
 * ```ts
 * import { Property } from "./schema.ts";
 * import { DataType } from "./data_type.ts";
 * new Property("age", DataType.long, false).required; // false
 * ```
 */
export class Property {
  /** @internal source key order of the property's dict */
  _keys?: string[];
  /** A property named `name` of type `dtype`. */
  constructor(
    /** The property name. */
    readonly name: string,
    /** The property type. */
    readonly dtype: ColType,
    /**
     * Whether the property must be present (MLflow's default: true). `null` (an explicit
     * `"required": null` in JSON) is kept and treated as optional, as MLflow does.
     */
    readonly required: boolean | null = true,
  ) {
    if (typeof name !== "string") {
      bad(`Expected name to be a string, got type ${typeof name}`);
    }
  }

  /** The inner dict, `{"type": ..., "required": ...}`. */
  toDict(options?: ToJSONOptions): PyDict {
    const d = typeToDict(this.dtype, options);
    return arrange([...d.entries, ["required", this.required]], this._keys, options);
  }

  /** Reads one `name: {"type": ..., "required"?: ...}` entry. */
  static fromDict(name: string, d: PyValue): Property {
    const inner = asDict(d, `Property \`${name}\``);
    if (!inner.has("type")) {
      bad(`Missing keys in Property \`${name}\`. Expected to find key \`type\``);
    }
    const required = inner.has("required") ? inner.get("required") : true;
    if (typeof required !== "boolean" && required !== null) {
      bad(`Property \`${name}\` has a non-boolean \`required\`: ${pyRepr(required)}`);
    }
    const p = new Property(
      name,
      nestedTypeFromDict(inner, "Property", "type "),
      required as boolean | null,
    );
    p._keys = inner.keys();
    return p;
  }

  /** MLflow's repr, e.g. `age: long (optional)`. */
  toString(): string {
    return `${this.name}: ${typeRepr(this.dtype)} (${this.required ? "required" : "optional"})`;
  }
}

/**
 * An object column type; properties are kept sorted by name, as MLflow does.
 *
 * @example
 * ```ts
 * import { ObjectType, Property } from "./schema.ts";
 * import { DataType } from "./data_type.ts";
 * const o = new ObjectType([new Property("b", DataType.long), new Property("a", DataType.string)]);
 * o.toJSON(); // '{"type": "object", "properties": {"a": {"type": "string", "required": true}, "b": {"type": "long", "required": true}}}'
 * ```
 */
export class ObjectType {
  /** @internal source key order */
  _keys?: string[];
  /** @internal source property order */
  _propOrder?: string[];
  /** The properties, sorted by name. */
  readonly properties: readonly Property[];

  /** An object type; throws for no properties or duplicate names, as MLflow does. */
  constructor(properties: Property[]) {
    if (!Array.isArray(properties)) {
      bad(`Expected properties to be a list, got type ${typeof properties}`);
    }
    if (properties.length === 0) bad("Creating Object with empty properties is not allowed.");
    if (properties.some((p) => !(p instanceof Property))) {
      bad("Expected values to be instance of Property");
    }
    const seen = new Set<string>();
    const dup = new Set<string>();
    for (const p of properties) (seen.has(p.name) ? dup : seen).add(p.name);
    if (dup.size) bad(`Found duplicated property names: \`${[...dup].join(", ")}\``);
    // Sorted by code point, as Python sorts str (JS's default compares UTF-16 units).
    this.properties = [...properties].sort((a, b) => comparePy(a.name, b.name));
  }

  /** The `type` name written in JSON. */
  get typeName(): string {
    return "object";
  }

  /** MLflow's dict for this type. */
  toDict(options?: ToJSONOptions): PyDict {
    let props = this.properties as Property[];
    if (options?.layout === "source" && this._propOrder) {
      const order = this._propOrder;
      props = [...props].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    }
    const properties = new PyDict(props.map((p) => [p.name, p.toDict(options)]));
    return arrange([["type", "object"], ["properties", properties]], this._keys, options);
  }

  /** The type as MLflow's `json.dumps` writes it. */
  toJSON(options?: ToJSONOptions): string {
    return toPyJson(this.toDict(options));
  }

  /** Reads one ObjectType from its JSON text (as MLflow's `json.dumps` wrote it). */
  static fromJSON(text: string): ObjectType {
    const v = parsePyJson(text, "ObjectType");
    if (!(v instanceof PyDict)) bad(`ObjectType JSON must be an object, got ${pyRepr(v)}`);
    return ObjectType.fromDict(v);
  }

  /** Reads `{"type": "object", "properties": {...}}`. */
  static fromDict(d: PyDict): ObjectType {
    if (!d.has("properties") || !d.has("type")) {
      bad("Missing keys in Object JSON. Expected to find keys `properties` and `type`");
    }
    if (d.get("type") !== "object") bad("Type mismatch, Object expects `object` as the type");
    const props = d.get("properties");
    if (!(props instanceof PyDict) || props.entries.some(([, v]) => !(v instanceof PyDict))) {
      bad("Expected properties to be a dictionary of Property JSON");
    }
    const o = new ObjectType(props.entries.map(([k, v]) => Property.fromDict(k, v)));
    o._keys = d.keys();
    o._propOrder = props.keys();
    return o;
  }

  /** MLflow's repr, e.g. `{a: string (required)}`. */
  toString(): string {
    return `{${this.properties.map(String).join(", ")}}`;
  }
}

/**
 * A map column type with string keys: `{"type": "map", "values": <type>}`.
 *
 * @example
 * ```ts
 * import { MapType } from "./schema.ts";
 * import { DataType } from "./data_type.ts";
 * new MapType(DataType.long).toJSON(); // '{"type": "map", "values": {"type": "long"}}'
 * ```
 */
export class MapType {
  /** @internal source key order */
  _keys?: string[];
  /** A map from strings to `valueType`. */
  constructor(
    /** The value type. */
    readonly valueType: ColType,
  ) {}

  /** The `type` name written in JSON. */
  get typeName(): string {
    return "map";
  }

  /** MLflow's dict for this type. */
  toDict(options?: ToJSONOptions): PyDict {
    return arrange(
      [["type", "map"], ["values", typeToDict(this.valueType, options)]],
      this._keys,
      options,
    );
  }

  /** The type as MLflow's `json.dumps` writes it. */
  toJSON(options?: ToJSONOptions): string {
    return toPyJson(this.toDict(options));
  }

  /** Reads one MapType from its JSON text (as MLflow's `json.dumps` wrote it). */
  static fromJSON(text: string): MapType {
    const v = parsePyJson(text, "MapType");
    if (!(v instanceof PyDict)) bad(`MapType JSON must be an object, got ${pyRepr(v)}`);
    return MapType.fromDict(v);
  }

  /** Reads `{"type": "map", "values": {...}}`. */
  static fromDict(d: PyDict): MapType {
    // MLflow's own message here talks about `items`; kept verbatim.
    if (!d.has("values") || !d.has("type")) {
      bad("Missing keys in Array JSON. Expected to find keys `items` and `type`");
    }
    if (d.get("type") !== "map") bad("Type mismatch, Map expects `map` as the type");
    const values = d.get("values")!;
    if (!(values instanceof PyDict)) bad("Expected values to be a dictionary of Object JSON");
    if (!values.has("type")) bad("Missing keys in Map's items JSON. Expected to find key `type`");
    const m = new MapType(nestedTypeFromDict(values, "Map", "value type "));
    m._keys = d.keys();
    return m;
  }

  /** MLflow's repr, e.g. `Map(str -> long)`. */
  toString(): string {
    return `Map(str -> ${typeRepr(this.valueType)})`;
  }
}

/**
 * The "anything, including null" column type: `{"type": "any"}`.
 *
 * @example
 * ```ts
 * import { AnyType } from "./schema.ts";
 * new AnyType().toJSON(); // '{"type": "any"}'
 * ```
 */
export class AnyType {
  /** The `type` name written in JSON. */
  get typeName(): string {
    return "any";
  }
  /** MLflow's dict for this type. */
  toDict(_options?: ToJSONOptions): PyDict {
    return new PyDict([["type", "any"]]);
  }
  /** The type as MLflow's `json.dumps` writes it. */
  toJSON(): string {
    return '{"type": "any"}';
  }
  /** MLflow's repr: `Any`. */
  toString(): string {
    return "Any";
  }
}

function typeRepr(t: ColType): string {
  return t instanceof DataType ? t.name : t.toString();
}

/**
 * Options for constructing a {@linkcode ColSpec}.
 *
 * @example
 * ```ts
 * import { ColSpec, type ColSpecInit } from "./schema.ts";
 * const init: ColSpecInit = { type: "string", name: "q", required: false };
 * new ColSpec(init).toJSON(); // '{"type": "string", "name": "q", "required": false}'
 * ```
 */
export interface ColSpecInit {
  /** The column type: a DataType, a type name such as `"double"`, or a complex type. */
  type: ColType | string;
  /** The column name; omit for an unnamed (positional) column. */
  name?: string | null;
  /**
   * Whether the column must be present. Defaults to `true`. `null` is what MLflow reads for a
   * complex-typed column written without `required` (MLflow 2.x files): treated as optional.
   */
  required?: boolean | null;
}

/**
 * One column of a column-based schema.
 *
 * @example
 * ```ts
 * import { ColSpec } from "./schema.ts";
 * const c = new ColSpec({ type: "double", name: "a" });
 * c.toJSON(); // '{"type": "double", "name": "a", "required": true}'
 * ```
 */
export class ColSpec {
  /** @internal source key order */
  _keys?: string[];
  /** The column type. */
  readonly type: ColType;
  /** The column name, or null for a positional column. */
  readonly name: string | null;
  /** `true`, `false`, or `null` (complex column read without `required`: optional). */
  readonly required: boolean | null;

  /** A column; throws an MlflowError with MLflow's message for an unknown type name. */
  constructor(init: ColSpecInit) {
    const t = init.type;
    if (typeof t === "string") {
      if (!DataType.isName(t)) {
        bad(`Unsupported type '${t}', expected instance of DataType or one of ${typeNameList()}`);
      }
      this.type = DataType.fromName(t);
    } else if (
      t instanceof DataType || t instanceof ArrayType || t instanceof ObjectType ||
      t instanceof MapType || t instanceof AnyType
    ) {
      this.type = t;
    } else {
      bad(
        `Unsupported type ${
          pyRepr(t as PyValue)
        }, expected instance of DataType or one of ${typeNameList()}`,
      );
    }
    if (init.name !== undefined && init.name !== null && typeof init.name !== "string") {
      bad(`Column name must be a string, got ${pyRepr(init.name as PyValue)}`);
    }
    this.name = init.name ?? null;
    const r = init.required === undefined ? true : init.required;
    if (r !== null && typeof r !== "boolean") {
      bad(`Column \`required\` must be a boolean, got ${pyRepr(r as PyValue)}`);
    }
    this.required = r;
  }

  /** Whether the column must be present (`required: null` counts as optional, as in MLflow). */
  get isRequired(): boolean {
    return this.required === true;
  }

  /** MLflow's dict for this column. */
  toDict(options?: ToJSONOptions): PyDict {
    const entries = [...typeToDict(this.type, options).entries];
    if (this.name !== null) entries.push(["name", this.name]);
    entries.push(["required", this.required]);
    return arrange(entries, this._keys, options);
  }

  /** The column as MLflow's `json.dumps` writes it. */
  toJSON(options?: ToJSONOptions): string {
    return toPyJson(this.toDict(options));
  }

  /** Reads one ColSpec from its JSON text (as MLflow's `json.dumps` wrote it). */
  static fromJSON(text: string): ColSpec {
    const v = parsePyJson(text, "ColSpec");
    if (!(v instanceof PyDict)) bad(`ColSpec JSON must be an object, got ${pyRepr(v)}`);
    return ColSpec.fromDict(v);
  }

  /** Reads one element of a column-based schema array. */
  static fromDict(d: PyDict): ColSpec {
    if (!d.has("type")) bad("Missing keys in ColSpec JSON. Expected to find key `type`");
    const type = d.get("type");
    const name = d.get("name");
    if (name !== undefined && name !== null && typeof name !== "string") {
      bad(`Column name must be a string, got ${pyRepr(name)}`);
    }
    let c: ColSpec;
    if (typeof type !== "string" || !COMPLEX.includes(type)) {
      // MLflow passes the keys straight to ColSpec(type, name, required): anything else is an error.
      const extra = d.keys().filter((k) => !["type", "name", "required"].includes(k));
      if (extra.length) bad(`Unexpected key '${extra[0]}' in ColSpec JSON ${toPyJson(d)}`);
      const required = d.has("required") ? d.get("required") : true;
      if (typeof type !== "string") {
        bad(
          `Unsupported type '${
            pyRepr(type!)
          }', expected instance of DataType or one of ${typeNameList()}`,
        );
      }
      c = new ColSpec({ type, name: name as string | null, required: required as boolean | null });
    } else {
      const required = d.has("required") ? d.get("required") : null;
      const rest = new PyDict(d.entries.filter(([k]) => k !== "name" && k !== "required"));
      const t: ColType = type === "array"
        ? ArrayType.fromDict(rest)
        : type === "object"
        ? ObjectType.fromDict(rest)
        : type === "map"
        ? MapType.fromDict(rest)
        : type === "any"
        ? new AnyType()
        : new SparkMLVector();
      c = new ColSpec({
        type: t,
        name: name as string | null,
        required: required as boolean | null,
      });
    }
    c._keys = d.keys();
    return c;
  }

  /** MLflow's repr, e.g. `'a': double (required)`. */
  toString(): string {
    const req = this.required ? "required" : "optional";
    return this.name === null
      ? `${typeRepr(this.type)} (${req})`
      : `'${this.name}': ${typeRepr(this.type)} (${req})`;
  }
}

// numpy dtype spellings MLflow accepts (`np.dtype(x)`) mapped to `dtype.name`, which is written.
const NUMPY_NAMES: Record<string, string> = {};
for (
  const [name, aliases] of Object.entries({
    bool: ["?", "b1", "bool_", "bool8"],
    int8: ["i1", "byte", "b"],
    int16: ["i2", "short", "h"],
    int32: ["i4", "intc", "i"],
    int64: ["i8", "int", "int_", "long", "longlong", "l", "q", "intp", "p"],
    uint8: ["u1", "ubyte", "B"],
    uint16: ["u2", "ushort", "H"],
    uint32: ["u4", "uintc", "I"],
    uint64: ["u8", "uint", "ulong", "ulonglong", "L", "Q", "uintp", "P"],
    float16: ["f2", "half", "e"],
    float32: ["f4", "single", "f"],
    float64: ["f8", "double", "float", "float_", "d"],
    float128: ["f16", "longdouble", "longfloat", "g"],
    complex64: ["c8", "csingle", "singlecomplex", "F"],
    complex128: ["c16", "complex", "cdouble", "cfloat", "complex_", "D"],
    complex256: ["c32", "clongdouble", "clongfloat", "G"],
    str: ["U", "unicode", "str_", "unicode_", "U0"],
    bytes: ["S", "bytes_", "string_", "a", "S0"],
    object: ["O", "object_", "O8"],
    void: ["V"],
  })
) {
  NUMPY_NAMES[name] = name;
  for (const a of aliases) NUMPY_NAMES[a] = name;
}
const DT_UNITS = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as"];

/**
 * Normalises a numpy dtype spelling to its `dtype.name` (`"<f4"` -> `"float32"`); throws for
 * unknown types and for sized flexible types (`"<U5"`), which MLflow refuses.
 *
 * @example
 * ```ts
 * import { numpyDtypeName } from "./schema.ts";
 * numpyDtypeName("float"); // "float64"
 * numpyDtypeName("M8[ns]"); // "datetime64[ns]"
 * ```
 */
export function numpyDtypeName(spelling: string): string {
  if (typeof spelling !== "string") bad(`data type ${pyRepr(spelling as PyValue)} not understood`);
  const s = /^[<>=|]/.test(spelling) ? spelling.slice(1) : spelling;
  if (NUMPY_NAMES[s]) return NUMPY_NAMES[s];
  const sized = /^(U|S|a|str|bytes)([1-9][0-9]*)$/.exec(s);
  if (sized) {
    const base = sized[1] === "U" || sized[1] === "str" ? "str" : "bytes";
    bad(
      `MLflow does not support size information in flexible numpy data types. Use np.dtype("${base}") instead`,
    );
  }
  const dt = /^(datetime64|M8|timedelta64|m8)(?:\[([0-9]*)([A-Za-zμ]+)\])?$/.exec(s);
  if (dt && (!dt[3] || DT_UNITS.includes(dt[3]))) {
    const base = dt[1] === "M8" || dt[1] === "datetime64" ? "datetime64" : "timedelta64";
    return dt[3] ? `${base}[${dt[2] && dt[2] !== "1" ? dt[2] : ""}${dt[3]}]` : base;
  }
  return bad(`data type '${spelling}' not understood`);
}

/**
 * Options for constructing a {@linkcode TensorSpec}.
 *
 * @example
 * ```ts
 * import { TensorSpec, type TensorSpecInit } from "./schema.ts";
 * const init: TensorSpecInit = { dtype: "uint8", shape: [-1, 28, 28, 1] };
 * new TensorSpec(init).shape; // [-1, 28, 28, 1]
 * ```
 */
export interface TensorSpecInit {
  /** A numpy dtype name such as `float32`, `uint8`, `str`, `datetime64[ns]`. */
  dtype: string;
  /** The shape; `-1` marks a variable-size axis (axis 0 is the batch by convention). */
  shape: number[];
  /** The tensor name (required when a schema has more than one tensor). */
  name?: string | null;
}

/**
 * One tensor of a tensor-based schema.
 *
 * @example
 * ```ts
 * import { TensorSpec } from "./schema.ts";
 * new TensorSpec({ dtype: "float32", shape: [-1, 4] }).toJSON();
 * // '{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}'
 * ```
 */
export class TensorSpec {
  /** @internal source key order */
  _keys?: string[];
  /** @internal source key order of the tensor-spec dict */
  _specKeys?: string[];
  /** The numpy dtype name (`dtype.name`), e.g. `float32`. */
  readonly dtype: string;
  /** The shape, `-1` for variable axes. */
  readonly shape: readonly number[];
  /** The tensor name, or null. */
  readonly name: string | null;

  /** A tensor; throws for unknown and sized flexible numpy dtypes. */
  constructor(init: TensorSpecInit) {
    this.dtype = numpyDtypeName(init.dtype);
    if (!Array.isArray(init.shape)) {
      bad(
        `Expected \`shape\` to be instance of list or tuple, received ${
          pyRepr(init.shape as PyValue)
        }`,
      );
    }
    if (init.shape.some((n) => typeof n !== "number" || !Number.isInteger(n))) {
      bad(`Tensor shape must be a list of integers, got ${pyRepr(init.shape as PyValue)}`);
    }
    this.shape = [...init.shape];
    if (init.name !== undefined && init.name !== null && typeof init.name !== "string") {
      bad(`Tensor name must be a string, got ${pyRepr(init.name as PyValue)}`);
    }
    this.name = init.name ?? null;
  }

  /** Tensors are always required. */
  get required(): true {
    return true;
  }

  /** MLflow's dict for this tensor. */
  toDict(options?: ToJSONOptions): PyDict {
    const spec = arrange(
      [["dtype", this.dtype], ["shape", [...this.shape]]],
      this._specKeys,
      options,
    );
    const entries: [string, PyValue][] = [];
    if (this.name !== null) entries.push(["name", this.name]);
    entries.push(["type", "tensor"], ["tensor-spec", spec]);
    return arrange(entries, this._keys, options);
  }

  /** The tensor as MLflow's `json.dumps` writes it. */
  toJSON(options?: ToJSONOptions): string {
    return toPyJson(this.toDict(options));
  }

  /** Reads one TensorSpec from its JSON text (as MLflow's `json.dumps` wrote it). */
  static fromJSON(text: string): TensorSpec {
    const v = parsePyJson(text, "TensorSpec");
    if (!(v instanceof PyDict)) bad(`TensorSpec JSON must be an object, got ${pyRepr(v)}`);
    return TensorSpec.fromDict(v);
  }

  /** Reads `{"type": "tensor", "tensor-spec": {"dtype", "shape"}, "name"?}`. */
  static fromDict(d: PyDict): TensorSpec {
    if (!d.has("tensor-spec") || !d.has("type")) {
      bad("Missing keys in TensorSpec JSON. Expected to find keys `tensor-spec` and `type`");
    }
    if (d.get("type") !== "tensor") bad("Type mismatch, TensorSpec expects `tensor` as the type");
    const spec = asDict(d.get("tensor-spec")!, "`tensor-spec`");
    if (!spec.has("dtype") || !spec.has("shape")) {
      bad("Missing keys in TensorSpec JSON. Expected to find keys `dtype` and `shape`");
    }
    const t = new TensorSpec({
      dtype: spec.get("dtype") as string,
      shape: spec.get("shape") as number[],
      name: d.has("name") ? d.get("name") as string | null : null,
    });
    t._keys = d.keys();
    t._specKeys = spec.keys();
    return t;
  }

  /** MLflow's repr, e.g. `Tensor('float32', (-1, 4))`. */
  toString(): string {
    const shape = this.shape.length === 1 ? `(${this.shape[0]},)` : `(${this.shape.join(", ")})`;
    const t = `Tensor('${this.dtype}', ${shape})`;
    return this.name === null ? t : `'${this.name}': ${t}`;
  }
}

/**
 * A column or a tensor.
 *
 * @example
 * ```ts
 * import { type InputSpec, Schema } from "./schema.ts";
 * const first: InputSpec = Schema.fromJSON('[{"type": "long"}]').inputs[0];
 * ```
 */
export type InputSpec = ColSpec | TensorSpec;

/**
 * A column-based or tensor-based schema: the `inputs` or `outputs` of a signature.
 *
 * @example
 * ```ts
 * import { Schema } from "./schema.ts";
 * const s = Schema.fromJSON('[{"type": "double", "name": "a", "required": true}]');
 * s.inputNames(); // ["a"]
 * s.toJSON(); // '[{"type": "double", "name": "a", "required": true}]'
 * ```
 */
export class Schema {
  /** The columns or tensors. */
  readonly inputs: readonly InputSpec[];

  /** A schema; throws an MlflowError for MLflow's validity rules (spec §2.5). */
  constructor(inputs: InputSpec[]) {
    if (!Array.isArray(inputs)) bad(`Inputs of Schema must be a list, got type ${typeof inputs}`);
    if (inputs.length === 0) bad("Creating Schema with empty inputs is not allowed.");
    const named = inputs.filter((x) => x.name !== null).length;
    if (named !== 0 && named !== inputs.length) {
      bad(
        "Creating Schema with a combination of named and unnamed inputs is not allowed. Got input names " +
          pyRepr(inputs.map((x) => x.name)),
        "INTERNAL_ERROR",
      );
    }
    const tensors = inputs.filter((x) => x instanceof TensorSpec).length;
    if (tensors !== 0 && tensors !== inputs.length) {
      // MLflow's message really contains the unformatted placeholders.
      bad(
        "Creating Schema with a combination of {0} and {1} is not supported. Please choose one of ColSpec or TensorSpec",
        "INTERNAL_ERROR",
      );
    }
    if (tensors > 1 && named === 0) {
      bad(
        "Creating Schema with multiple unnamed TensorSpecs is not supported. Please provide names for each TensorSpec.",
        "INTERNAL_ERROR",
      );
    }
    if (named === 0 && inputs.some((x) => x.required === false)) {
      bad(
        "Creating Schema with unnamed optional inputs is not supported. Please name all inputs or make all inputs required.",
        "INTERNAL_ERROR",
      );
    }
    this.inputs = [...inputs];
  }

  /** Whether the inputs have names (MLflow looks at the first one). */
  hasInputNames(): boolean {
    return this.inputs[0].name !== null;
  }

  /** Whether this is a tensor-based schema. */
  isTensorSpec(): boolean {
    return this.inputs[0] instanceof TensorSpec;
  }

  /** Names, or positional indexes for an unnamed schema. */
  inputNames(): (string | number)[] {
    return this.inputs.map((x, i) => x.name ?? i);
  }

  /** Names (or indexes) of the required inputs. */
  requiredInputNames(): (string | number)[] {
    return this.inputs.map((x, i) => [x, i] as const).filter(([x]) => x.required === true).map((
      [x, i],
    ) => x.name ?? i);
  }

  /** Names (or indexes) of the optional inputs (`required` false or null). */
  optionalInputNames(): (string | number)[] {
    return this.inputs.map((x, i) => [x, i] as const).filter(([x]) => x.required !== true).map((
      [x, i],
    ) => x.name ?? i);
  }

  /** MLflow's list of dicts. */
  toDict(options?: ToJSONOptions): PyDict[] {
    return this.inputs.map((x) => x.toDict(options));
  }

  /** The schema as MLflow's `Schema.to_json()` writes it (or in its source layout). */
  toJSON(options?: ToJSONOptions): string {
    return toPyJson(this.toDict(options));
  }

  /** Plain-JS form of the JSON (what `JSON.parse(schema.toJSON())` gives). */
  toPlain(): Record<string, unknown>[] {
    return JSON.parse(this.toJSON());
  }

  /**
   * Reads a schema from the JSON text MLflow stores in `signature.inputs` / `outputs`.
   * Throws an MlflowError for invalid JSON, unknown types and MLflow's validity rules.
   */
  static fromJSON(text: string): Schema {
    if (typeof text !== "string") bad(`Schema JSON must be a string, got ${typeof text}`);
    return Schema.fromParsed(parsePyJson(text, "Schema"));
  }

  /** Reads a schema from already-parsed JSON (a list of column or tensor dicts). */
  static fromParsed(v: PyValue): Schema {
    if (!Array.isArray(v)) bad(`Schema JSON must be a list, got ${pyRepr(v)}`);
    return new Schema(v.map((x, i) => {
      const d = asDict(x, `Schema entry ${i}`);
      return d.get("type") === "tensor" ? TensorSpec.fromDict(d) : ColSpec.fromDict(d);
    }));
  }

  /** MLflow's repr. */
  toString(): string {
    return `[${this.inputs.map(String).join(", ")}]`;
  }
}
