/**
 * Python's text rules, in one place: how Python writes a float (`repr`, and `json.dumps`'s bare
 * NaN/Infinity), how `json.dumps` escapes a string, how Python orders strings, prints a tuple and how PyYAML
 * resolves plain scalars. The one JSON writer built on them is `toPyJson` (py_json.ts); the
 * MLmodel reader and writer, the schema JSON and the predictions writer all take these from
 * here.
 *
 * @module
 */

/**
 * Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16
 * (`nan`, `inf` as Python prints them; PyYAML lower-cases the rest of its floats from here).
 *
 * @example
 * ```ts
 * import { formatPyFloat } from "./python_compat.ts";
 * formatPyFloat(1e16); // "1e+16"
 * ```
 */
export function formatPyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mant, expText] = Math.abs(x).toExponential().split("e");
  const digits = mant.replace(".", "");
  const exp = Number(expText);
  const decpt = exp + 1;
  if (decpt <= -4 || decpt > 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e < 10 ? "0" : ""}${e}`;
  }
  if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

/**
 * A double in Python's `repr` form, as `json.dumps` writes it (`NaN`, `Infinity` bare).
 *
 * @example
 * ```ts
 * import { pyFloat } from "./python_compat.ts";
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
  return floatText(x);
}

// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\uffff]/;

/**
 * A string as Python's `json.dumps` writes it (`ensure_ascii`: non-ASCII as `\uXXXX`).
 *
 * @example
 * ```ts
 * import { pyString } from "./python_compat.ts";
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
 * JavaScript's shortest-digits text of a finite double rewritten in Python's `repr` notation,
 * by string edits only (the digits are the same in both languages; only the notation differs):
 * `1` → `1.0`, `1e-7` → `1e-07`, `0.00001234` → `1.234e-05`. Rare cases (zeros, integers from
 * 1e16) go through {@linkcode formatPyFloat}, the reference.
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
  if (dot === -1) return x !== 0 && Math.abs(x) < 1e16 ? `${t}.0` : formatPyFloat(x);
  // |x| < 1e-4 ("0.0000…"): Python switches to exponent notation, JavaScript only below 1e-6.
  if (t.charCodeAt(neg ? 1 : 0) !== 48 || !t.startsWith("0000", dot + 1)) return t;
  let i = dot + 1;
  while (t.charCodeAt(i) === 48) i++;
  const digits = t.slice(i);
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exp = i - dot;
  return `${neg ? "-" : ""}${mantissa}e-${exp < 10 ? "0" : ""}${exp}`;
}

/**
 * A double as `json.dumps` writes it, fast: JavaScript's digits, Python's notation (for finite
 * values the same text as {@linkcode formatPyFloat}, which the tests check on many values).
 *
 * @example
 * ```ts
 * import { floatText } from "./python_compat.ts";
 * floatText(0.00001234); // "1.234e-05"
 * ```
 */
export function floatText(x: number): string {
  // x - x is 0 for finite numbers, NaN for NaN and ±Infinity.
  return x - x === 0 ? pyNotation(String(x), x) : pyFloat(x);
}

/**
 * Python's ordering of `str` (by code point, not UTF-16 unit as JavaScript's `<` does), as
 * `sorted()` and PyYAML's `sort_keys` order.
 *
 * @example
 * ```ts
 * import { comparePy } from "./python_compat.ts";
 * ["\u{1F600}", "\uFFFF"].sort(comparePy); // ["\uFFFF", "\u{1F600}"]
 * ```
 */
export function comparePy(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

/**
 * How Python prints a tuple of numbers, as MLflow shows a shape (`(-1,)` for one axis).
 *
 * @example
 * ```ts
 * import { pyTuple } from "./python_compat.ts";
 * pyTuple([-1]); // "(-1,)"
 * pyTuple([-1, 4]); // "(-1, 4)"
 * ```
 */
export function pyTuple(values: ReadonlyArray<number | string>): string {
  return `(${values.join(", ")}${values.length === 1 ? "," : ""})`;
}

// PyYAML's implicit resolvers (YAML 1.1): what a plain scalar resolves to when MLflow's files
// are read (safe_load) and what must be quoted when they are written (safe_dump).

/** PyYAML's bool resolver (`yes`, `On`, `FALSE`, …; not `y`/`n`). */
export const PYYAML_BOOL =
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
/** PyYAML's float resolver (a dot is required: `1e5` is a string). */
export const PYYAML_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
/** PyYAML's int resolver (binary, octal `0…`, decimal, hex, sexagesimal). */
export const PYYAML_INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
/** PyYAML's null resolver. */
export const PYYAML_NULL = /^(?:~|null|Null|NULL|)$/;
/** PyYAML's timestamp resolver. */
export const PYYAML_TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;

/** The true half of {@linkcode PYYAML_BOOL}. */
export const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
/** The false half of {@linkcode PYYAML_BOOL}. */
export const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
