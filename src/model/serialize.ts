/**
 * JSON text the way MLflow's scoring server writes it: Python's `json.dumps` with MLflow's
 * `NumpyEncoder` — `", "` and `": "` separators, float32 widened to double, floats in Python's
 * `repr` (`1.0`, `4.073565287399106e-05`), bare `NaN` / `Infinity` tokens, non-ASCII escaped.
 *
 * `JSON.stringify` cannot do this: it turns NaN into `null` and prints `1` for `1.0`.
 *
 * @module
 */
import type { OutputTensor, Predictions } from "../runtime/mod.ts";

/**
 * A double in Python's `repr` form, as `json.dumps` writes it (`NaN`, `Infinity` bare).
 *
 * @example
 * ```ts
 * import { pyFloat } from "./serialize.ts";
 * pyFloat(1); // "1.0"
 * pyFloat(0.00001); // "1e-05"
 * pyFloat(1e16); // "1e+16"
 * pyFloat(NaN); // "NaN"
 * ```
 */
export function pyFloat(x: number): string {
  if (x !== x) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const ax = x < 0 ? -x : x;
  if (ax >= 1e-4 && ax < 1e16) {
    // JavaScript prints these in plain notation too; the digits are the same shortest repr.
    const s = String(x);
    return Number.isInteger(x) ? s + ".0" : s;
  }
  const s = x.toExponential();
  const e = s.indexOf("e");
  const exp = Number(s.slice(e + 1));
  return `${s.slice(0, e)}e${exp < 0 ? "-" : "+"}${String(exp < 0 ? -exp : exp).padStart(2, "0")}`;
}

// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\uffff]/;

/**
 * A string as Python's `json.dumps` writes it (`ensure_ascii`: non-ASCII as `\uXXXX`).
 *
 * @example
 * ```ts
 * import { pyString } from "./serialize.ts";
 * pyString("café"); // "\"caf\\u00e9\""
 * ```
 */
export function pyString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c < 0x20 || c > 0x7e) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s[i];
  }
  return out + '"';
}

/**
 * Any JSON-like value as Python's `json.dumps` would write it: numbers that are integers print
 * as integers, other numbers as Python floats; bigint as integers; typed arrays as lists;
 * `undefined` as `null`.
 *
 * @example
 * ```ts
 * import { toPyJson } from "./serialize.ts";
 * toPyJson({ a: [1, 2.5, NaN], b: null }); // '{"a": [1, 2.5, NaN], "b": null}'
 * ```
 */
export function toPyJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) && !Object.is(value, -0) ? String(value) : pyFloat(value);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return pyString(value);
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>, toPyJson);
    return `[${items.join(", ")}]`;
  }
  if (typeof value === "object") {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      parts.push(`${pyString(k)}: ${toPyJson(v)}`);
    }
    return `{${parts.join(", ")}}`;
  }
  return pyString(String(value));
}

/**
 * JavaScript's shortest-digits text of a finite double rewritten in Python's `repr` notation,
 * by string edits only (the digits are the same in both languages; only the notation differs):
 * `1` → `1.0`, `1e-7` → `1e-07`, `0.00001234` → `1.234e-05`. Rare cases go through
 * {@linkcode pyFloat}.
 */
function pyNotation(t: string, x: number): string {
  const e = t.indexOf("e");
  if (e !== -1) {
    // JavaScript writes e-7 and e+21; Python pads the exponent to two digits.
    return t.length - e === 3 ? `${t.slice(0, e + 2)}0${t.slice(e + 2)}` : t;
  }
  const neg = t.charCodeAt(0) === 45; // "-"
  const dot = t.indexOf(".");
  // (JSON.stringify writes -0 as "0".)
  if (dot === -1) return x !== 0 && Math.abs(x) < 1e16 ? `${t}.0` : pyFloat(x);
  // |x| < 1e-4 ("0.0000…"): Python switches to exponent notation, JavaScript only below 1e-6.
  if (t.charCodeAt(neg ? 1 : 0) !== 48 || !t.startsWith("0000", dot + 1)) return t;
  let i = dot + 1;
  while (t.charCodeAt(i) === 48) i++;
  const digits = t.slice(i);
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exp = i - dot;
  return `${neg ? "-" : ""}${mantissa}e-${exp < 10 ? "0" : ""}${exp}`;
}

/** A double as Python's repr: JavaScript's digits, Python's notation. */
function floatText(x: number): string {
  // x - x is 0 for finite numbers, NaN for NaN and ±Infinity.
  return x - x === 0 ? pyNotation(String(x), x) : pyFloat(x);
}

/**
 * Writes element `i` of an output as JSON text, as Python's json writes the value (floats in
 * Python's notation, float16 decoded, booleans, strings escaped).
 *
 * @example
 * ```ts
 * import { elementWriter } from "./serialize.ts";
 * const write = elementWriter({ name: "y", type: "float32", dims: [2], data: new Float32Array([1, 0.00001]) });
 * [write(0), write(1)]; // ["1.0", "9.999999747378752e-06"]
 * ```
 */
export function elementWriter(o: OutputTensor): (i: number) => string {
  const data = o.data;
  switch (o.type) {
    case "float16": // numbers in a Float32Array (see the runtime's session adapter)
    case "float32":
    case "float64": {
      const values = data as Float32Array | Float64Array;
      return (i) => floatText(values[i]);
    }
    case "bool": {
      const flags = data as Uint8Array;
      return (i) => (flags[i] ? "true" : "false");
    }
    case "string": {
      const texts = data as string[];
      return (i) => pyString(texts[i]);
    }
    default: {
      const ints = data as ArrayLike<number | bigint>;
      return (i) => String(ints[i]);
    }
  }
}

/**
 * The JSON text of a prediction result: `{"predictions": …}`, or the bare value for MLflow's
 * unified LLM payloads (`wrap: false`).
 *
 * @example
 * ```ts
 * import { serializePredictions } from "./serialize.ts";
 * import { shapePredictions } from "../runtime/mod.ts";
 * const p = shapePredictions("columns", [
 *   { name: "probabilities", type: "float32", dims: [1, 2], data: new Float32Array([0.25, 1]) },
 * ]);
 * serializePredictions(p); // '{"predictions": [{"probabilities": 0.25}, {"probabilities": 1.0}]}'
 * ```
 */
export function serializePredictions(p: Predictions, wrap = true): string {
  const body = p.layout === "records" ? records(p) : dict(p);
  return wrap ? `{"predictions": ${body}}` : body;
}

function records(p: Predictions): string {
  if (p.length === 0) return "[]";
  const k = p.outputs.length;
  const keys = p.outputs.map((o) => `${pyString(o.name)}: `);
  const writers = p.outputs.map(elementWriter);
  let out = "[";
  for (let i = 0; i < p.length; i++) {
    out += i === 0 ? "{" : ", {";
    for (let j = 0; j < k; j++) out += (j === 0 ? "" : ", ") + keys[j] + writers[j](i);
    out += "}";
  }
  return out + "]";
}

function dict(p: Predictions): string {
  const parts = p.outputs.map((o) => {
    const write = elementWriter(o);
    const dims = o.dims;
    let pos = 0;
    const level = (d: number): string => {
      const n = dims[d];
      let out = "[";
      for (let i = 0; i < n; i++) {
        if (i > 0) out += ", ";
        out += d === dims.length - 1 ? write(pos++) : level(d + 1);
      }
      return out + "]";
    };
    return `${pyString(o.name)}: ${dims.length === 0 ? write(0) : level(0)}`;
  });
  return `{${parts.join(", ")}}`;
}
