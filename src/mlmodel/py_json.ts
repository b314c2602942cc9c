// Python-compatible JSON: the subset of `json.loads` / `json.dumps` behaviour MLflow's files depend
// on. Python keeps ints and floats apart (`1` vs `1.0`) and prints floats with `repr`, so a
// byte-exact port has to remember which numbers were floats and format them the Python way.

import { MlflowError } from "../errors.ts";
import { formatPyFloat, pyFloat, pyString } from "./python_compat.ts";

/**
 * A Python float, kept apart from ints so that `1.0` is written back as `1.0`. Integral floats
 * read from YAML (`threshold: 1.0`) appear as PyFloat; `valueOf()` makes arithmetic work.
 *
 * @example
 * ```ts
 * import { PyFloat } from "./py_json.ts";
 * const f = new PyFloat(1);
 * f.value; // 1
 * +f + 1; // 2
 * ```
 */
export class PyFloat {
  /** Wraps a double. */
  constructor(
    /** The number. */
    readonly value: number,
  ) {}
  /** The number, so `+x` and comparisons work. */
  valueOf(): number {
    return this.value;
  }
  /** JSON.stringify writes the number. */
  toJSON(): number {
    return this.value;
  }
}

/**
 * A JSON object with its key order, as Python's dict keeps it (JS objects move integer-like keys
 * first). Returned by the schema classes' `toDict()`.
 *
 * @example
 * ```ts
 * import { PyDict } from "./py_json.ts";
 * const d = new PyDict([["type", "long"], ["name", "a"]]);
 * d.get("name"); // "a"
 * d.keys(); // ["type", "name"]
 * ```
 */
export class PyDict {
  /** A dict with these entries, in order. */
  constructor(
    /** The key/value pairs in order. */
    readonly entries: [string, PyValue][] = [],
  ) {}
  /** The value of `key`, or undefined. */
  get(key: string): PyValue | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }
  /** Whether `key` is present. */
  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }
  /** The keys in order. */
  keys(): string[] {
    return this.entries.map(([k]) => k);
  }
}

/**
 * A value as Python's `json` module sees it: `number` is always an int, `bigint` an int too big
 * for a double, {@linkcode PyFloat} a float, {@linkcode PyDict} an object.
 *
 * @example
 * ```ts
 * import { PyFloat, type PyValue } from "./py_json.ts";
 * const v: PyValue = [1, new PyFloat(1), "x", null];
 * ```
 */
export type PyValue =
  | null
  | boolean
  | string
  | number
  | bigint
  | PyFloat
  | PyValue[]
  | PyDict;

const MAX_DEPTH = 500;

/** Parses JSON the way Python's `json.loads` does (NaN/Infinity allowed, ints kept apart from floats). */
export function parsePyJson(text: string, what: string): PyValue {
  let i = 0;
  const fail = (msg: string): never => {
    throw new MlflowError(
      `${what} is not valid JSON: ${msg} at offset ${i}`,
      "INVALID_PARAMETER_VALUE",
    );
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const value = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const d = new PyDict();
      ws();
      if (text[i] === "}") {
        i++;
        return d;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a property name in double quotes");
        const k = str();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        const v = value(depth + 1);
        // Python dicts keep the first position and the last value of a repeated key.
        const at = d.entries.findIndex(([key]) => key === k);
        if (at >= 0) d.entries[at] = [k, v];
        else d.entries.push([k, v]);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return d;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const a: PyValue[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return a;
      }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return a;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (text.startsWith("null", i)) return (i += 4, null);
    if (text.startsWith("true", i)) return (i += 4, true);
    if (text.startsWith("false", i)) return (i += 5, false);
    if (text.startsWith("NaN", i)) return (i += 3, new PyFloat(NaN));
    if (text.startsWith("Infinity", i)) return (i += 8, new PyFloat(Infinity));
    if (text.startsWith("-Infinity", i)) return (i += 9, new PyFloat(-Infinity));
    const m = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail("unexpected character");
    i += m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) return new PyFloat(Number(m[0]));
    const n = Number(m[0]);
    return Number.isSafeInteger(n) ? n : BigInt(m[0]);
  };
  const str = (): string => {
    i++; // opening quote
    let out = "";
    let start = i;
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail("invalid control character in string");
      if (c === 0x5c) {
        out += text.slice(start, i);
        const e = text[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === "u") {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("invalid \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          fail("invalid escape");
        }
        start = i;
        continue;
      }
      i++;
    }
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail("extra data after the value");
  return v;
}

/**
 * Options of {@linkcode toPyJson}.
 *
 * @example
 * ```ts
 * import { type DumpOptions, toPyJson } from "./py_json.ts";
 * const options: DumpOptions = { indent: 2 };
 * toPyJson([1], options); // "[\n  1\n]"
 * ```
 */
export interface DumpOptions {
  /** Python's `indent`: pretty-print with this many spaces (item separator `,`). */
  indent?: number;
}

/**
 * Python's `json.dumps(value)` (separators `", "` and `": "`, or `indent`), the one JSON writer:
 * for Python values ({@linkcode PyValue}: {@linkcode PyFloat} keeps `1.0`, {@linkcode PyDict}
 * its key order) and for plain JavaScript values (integer numbers as ints, other numbers as
 * floats, `bigint` as ints, typed arrays as lists, `undefined` as `null`). NaN and infinities
 * are bare tokens, as Python writes them.
 *
 * @example
 * ```ts
 * import { toPyJson } from "./py_json.ts";
 * toPyJson({ a: [1, 2.5, NaN], b: null }); // '{"a": [1, 2.5, NaN], "b": null}'
 * ```
 */
export function toPyJson(value: unknown, options: DumpOptions = {}): string {
  const indent = options.indent;
  const dump = (v: unknown, level: number): string => {
    if (v === null || v === undefined) return "null";
    switch (typeof v) {
      case "number":
        return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : pyFloat(v);
      case "bigint":
        return v.toString();
      case "boolean":
        return v ? "true" : "false";
      case "string":
        return pyString(v);
    }
    if (v instanceof PyFloat) return pyFloat(v.value);
    let items: string[];
    let open = "[";
    let close = "]";
    if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      items = Array.from(v as ArrayLike<unknown>, (x) => dump(x, level + 1));
    } else if (typeof v === "object") {
      const entries = v instanceof PyDict ? v.entries : Object.entries(v as object);
      items = entries.map(([k, x]) => `${pyString(k)}: ${dump(x, level + 1)}`);
      [open, close] = ["{", "}"];
    } else return pyString(String(v));
    if (items.length === 0) return open + close;
    if (indent === undefined) return open + items.join(", ") + close;
    const pad = "\n" + " ".repeat(indent * (level + 1));
    return open + pad + items.join("," + pad) + "\n" + " ".repeat(indent * level) + close;
  };
  return dump(value, 0);
}

/**
 * Converts a plain JS value to the Python value MLflow would have: integral numbers become ints,
 * other numbers floats, unless `floats` says every number is a float.
 */
export function fromJs(v: unknown, floats = false, what = "value"): PyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean" || typeof v === "string" || typeof v === "bigint") return v;
  if (v instanceof PyFloat || v instanceof PyDict) return v;
  if (typeof v === "number") {
    return !floats && Number.isSafeInteger(v) ? v : new PyFloat(v);
  }
  if (v instanceof Date) return pyIsoformat(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const floaty = v instanceof Float32Array || v instanceof Float64Array;
    return Array.from(
      v as unknown as ArrayLike<number | bigint>,
      (x) => fromJs(x, floaty || floats, what),
    );
  }
  if (Array.isArray(v)) return v.map((x) => fromJs(x, floats, what));
  if (typeof v === "object") {
    return new PyDict(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromJs(x, floats, what)]),
    );
  }
  throw new MlflowError(
    `${what} of type ${typeof v} cannot be written as JSON`,
    "INVALID_PARAMETER_VALUE",
  );
}

/** Converts a Python JSON value to plain JS (floats become numbers, dicts plain objects). */
export function toJs(v: PyValue): unknown {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === "bigint") return v;
  if (Array.isArray(v)) return v.map(toJs);
  if (v instanceof PyDict) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v.entries) o[k] = toJs(x);
    return o;
  }
  return v;
}

/** Python's `repr` of a JSON value, for error messages that quote MLflow's wording. */
export function pyRepr(v: PyValue | undefined): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (v instanceof PyFloat) return formatPyFloat(v.value);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  return `{${v.entries.map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
}

/** Python's `str()` of a value (strings bare, everything else as `repr`). */
export function pyStr(v: PyValue | undefined): string {
  return typeof v === "string" ? v : pyRepr(v);
}

/** The Python type name of a JSON value (`int`, `float`, `str`, `list`, ...). */
export function pyTypeName(v: PyValue | undefined): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "str";
  if (typeof v === "number" || typeof v === "bigint") return "int";
  if (v instanceof PyFloat) return "float";
  if (Array.isArray(v)) return "list";
  return "dict";
}

/** Python's `isoformat()` of a naive UTC datetime (pandas Timestamps alike): no zone, fraction only when non-zero. */
export function pyIsoformat(d: Date): string {
  const base = d.toISOString().slice(0, 19);
  const ms = d.getUTCMilliseconds();
  return ms ? `${base}.${String(ms * 1000).padStart(6, "0")}` : base;
}
