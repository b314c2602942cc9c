// A YAML writer that reproduces PyYAML's `safe_dump(data, default_flow_style=False)` byte for
// byte (sort_keys=True, width 80, indent 2, allow_unicode=False), which is how MLflow writes
// MLmodel files. It follows the state machine of PyYAML's emitter for block collections and its
// scalar analysis and quoting/folding rules; only what `safe_dump` of JSON-like data can produce
// is covered (no anchors, tags, flow collections other than empty ones, or block scalars).

import { PyFloat } from "./py_json.ts";
import {
  comparePy,
  formatPyFloat,
  PYYAML_BOOL as BOOL,
  PYYAML_FLOAT as FLOAT,
  PYYAML_INT as INT,
  PYYAML_NULL as NULL,
  PYYAML_TIMESTAMP as TIMESTAMP,
} from "./python_compat.ts";

const BEST_WIDTH = 80;
const BEST_INDENT = 2;
const BREAKS = "\n\x85\u2028\u2029";

/** Whether PyYAML would read `s` back as a string when written plain (its `implicit[0]`). */
function resolvesToStr(s: string): boolean {
  // Python's `$` also matches before one trailing newline.
  const v = s.endsWith("\n") ? s.slice(0, -1) : s;
  const c = s[0] ?? "";
  if (c === "") return !NULL.test(v);
  if ("yYnNtTfFoO".includes(c) && BOOL.test(v)) return false;
  if ("-+0123456789.".includes(c) && FLOAT.test(v)) return false;
  if ("-+0123456789".includes(c) && INT.test(v)) return false;
  if (c === "<" && v === "<<") return false;
  if ("~nN".includes(c) && NULL.test(v)) return false;
  if ("0123456789".includes(c) && TIMESTAMP.test(v)) return false;
  if (c === "=" && v === "=") return false;
  return true;
}

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowFlowPlain: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

const isWs = (ch: string | undefined) =>
  ch === undefined || "\0 \t\r\n\x85\u2028\u2029".includes(ch);

/** PyYAML's `Emitter.analyze_scalar` (allow_unicode=False). */
function analyze(scalar: string): Analysis {
  if (!scalar) {
    return {
      empty: true,
      multiline: false,
      allowFlowPlain: false,
      allowBlockPlain: true,
      allowSingleQuoted: true,
    };
  }
  const chars = [...scalar];
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  if (scalar.startsWith("---") || scalar.startsWith("...")) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWs = true;
  let followedByWs = chars.length === 1 || isWs(chars[1]);
  let prevSpace = false;
  let prevBreak = false;
  for (let index = 0; index < chars.length; index++) {
    const ch = chars[index];
    if (index === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === "?" || ch === ":") {
        flowIndicators = true;
        if (followedByWs) blockIndicators = true;
      }
      if (ch === "-" && followedByWs) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (",?[]{}".includes(ch)) flowIndicators = true;
      if (ch === ":") {
        flowIndicators = true;
        if (followedByWs) blockIndicators = true;
      }
      if (ch === "#" && precededByWs) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const cp = ch.codePointAt(0)!;
    if (!(ch === "\n" || (cp >= 0x20 && cp <= 0x7e))) special = true; // allow_unicode=False
    if (ch === " ") {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    precededByWs = isWs(ch);
    followedByWs = index + 2 >= chars.length || isWs(chars[index + 2]);
  }
  let allowFlowPlain = true;
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    allowFlowPlain = allowBlockPlain = false;
  }
  if (breakSpace) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || special) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks) allowFlowPlain = allowBlockPlain = false;
  if (flowIndicators) allowFlowPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return {
    empty: false,
    multiline: lineBreaks,
    allowFlowPlain,
    allowBlockPlain,
    allowSingleQuoted,
  };
}

const ESCAPES: Record<string, string> = {
  "\0": "0",
  "\x07": "a",
  "\x08": "b",
  "\x09": "t",
  "\x0A": "n",
  "\x0B": "v",
  "\x0C": "f",
  "\x0D": "r",
  "\x1B": "e",
  '"': '"',
  "\\": "\\",
  "\x85": "N",
  "\xA0": "_",
  "\u2028": "L",
  "\u2029": "P",
};

/**
 * A YAML timestamp as PyYAML's `safe_load` constructs it (a `date` or a `datetime`), kept as the
 * text PyYAML writes back: `date.isoformat()` or `datetime.isoformat(' ')`. Unquoted timestamps
 * in an MLmodel's free-form fields (e.g. `metadata`) read as this.
 *
 * @example
 * ```ts
 * import { Model, PyTimestamp } from "./mod.ts";
 * const m = Model.fromYaml("flavors: {}\nmetadata:\n  day: 2024-01-02\n");
 * m.metadata?.day instanceof PyTimestamp; // true
 * String(m.metadata?.day); // "2024-01-02"
 * ```
 */
export class PyTimestamp {
  /** Wraps the isoformat text. */
  constructor(
    /** `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]`. */
    readonly text: string,
  ) {}
  /** The text (what `str()` of the Python value gives). */
  toString(): string {
    return this.text;
  }
  /** The text, for JSON. */
  toJSON(): string {
    return this.text;
  }
}

const TS_CONSTRUCT =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;

/** PyYAML's `construct_yaml_timestamp`, written back in Python's isoformat; throws for impossible dates. */
export function constructTimestamp(str: string): PyTimestamp {
  const m = TS_CONSTRUCT.exec(str);
  if (!m) throw new Error(`'${str}' is not a timestamp`);
  const [, y, mo, d, h, mi, sec, frac, tz, sign, tzh, tzm] = m;
  const pad = (n: string | number, w = 2) => String(n).padStart(w, "0");
  const year = Number(y), month = Number(mo), day = Number(d);
  const check = new Date(Date.UTC(2000, month - 1, day));
  if (year < 1 || month < 1 || month > 12 || day < 1 || check.getUTCDate() !== day) {
    throw new Error(`'${str}' is not a valid date (day is out of range for month)`);
  }
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (month === 2 && day === 29 && !leap) {
    throw new Error(`'${str}' is not a valid date (day is out of range for month)`);
  }
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  if (h === undefined) return new PyTimestamp(date);
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) {
    throw new Error(`'${str}' is not a valid time`);
  }
  let text = `${date} ${pad(h)}:${mi}:${sec}`;
  const micros = Number((frac ?? "").slice(0, 6).padEnd(6, "0"));
  if (micros) text += `.${pad(micros, 6)}`;
  if (sign) text += `${sign}${pad(tzh)}:${tzm ?? "00"}`;
  else if (tz === "Z") text += "+00:00";
  return new PyTimestamp(text);
}

/** A plain scalar (int, float, bool, null) already in PyYAML's text form. */
class Plain {
  constructor(readonly text: string) {}
}

/** PyYAML's representers for scalars: returns the text and whether it is a string. */
function represent(v: unknown): string | Plain {
  if (v === null || v === undefined) return new Plain("null");
  if (v === true) return new Plain("true");
  if (v === false) return new Plain("false");
  if (typeof v === "bigint") return new Plain(v.toString());
  if (typeof v === "number" && Number.isSafeInteger(v)) return new Plain(String(v));
  if (typeof v === "number" || v instanceof PyFloat) {
    const x = typeof v === "number" ? v : v.value;
    if (Number.isNaN(x)) return new Plain(".nan");
    if (x === Infinity) return new Plain(".inf");
    if (x === -Infinity) return new Plain("-.inf");
    let s = formatPyFloat(x).toLowerCase();
    if (!s.includes(".") && s.includes("e")) s = s.replace("e", ".0e");
    return new Plain(s);
  }
  if (v instanceof PyTimestamp) return new Plain(v.text);
  if (v instanceof Date) {
    // PyYAML writes datetimes with isoformat(' '); JS Dates carry no date/datetime distinction.
    return new Plain(v.toISOString().replace("T", " ").replace(/\.000Z$|Z$/, ""));
  }
  return String(v);
}

class Emitter {
  out = "";
  column = 0;
  whitespace = true;
  indention = true;
  indent: number | null = null;
  indents: (number | null)[] = [];

  writeIndicator(
    indicator: string,
    needWhitespace: boolean,
    whitespace = false,
    indention = false,
  ) {
    const data = this.whitespace || !needWhitespace ? indicator : " " + indicator;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.column += data.length;
    this.out += data;
  }

  writeIndent() {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.writeLineBreak();
    }
    if (this.column < indent) {
      this.whitespace = true;
      this.out += " ".repeat(indent - this.column);
      this.column = indent;
    }
  }

  writeLineBreak(data = "\n") {
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
    this.out += data;
  }

  write(data: string) {
    this.column += [...data].length;
    this.out += data;
  }

  increaseIndent(flow = false, indentless = false) {
    this.indents.push(this.indent);
    if (this.indent === null) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  node(v: unknown, ctx: { mapping?: boolean; simpleKey?: boolean }) {
    if (Array.isArray(v)) {
      if (v.length === 0) return this.writeIndicator("[]", true, false);
      const indentless = !!ctx.mapping && !this.indention;
      this.increaseIndent(false, indentless);
      for (const item of v) {
        this.writeIndent();
        this.writeIndicator("-", true, false, true);
        this.node(item, {});
      }
      this.indent = this.indents.pop()!;
      return;
    }
    if (isMapping(v)) {
      const keys = Object.keys(v).sort(comparePy);
      if (keys.length === 0) return this.writeIndicator("{}", true, false);
      this.increaseIndent(false);
      for (const k of keys) {
        this.writeIndent();
        const a = analyze(k);
        if ([...k].length + 5 < 128 && !a.empty && !a.multiline) {
          this.scalar(k, { simpleKey: true });
          this.writeIndicator(":", false);
        } else {
          this.writeIndicator("?", true, false, true);
          this.scalar(k, {});
          this.writeIndent();
          this.writeIndicator(":", true, false, true);
        }
        this.node((v as Record<string, unknown>)[k], { mapping: true });
      }
      this.indent = this.indents.pop()!;
      return;
    }
    this.scalar(v, ctx);
  }

  scalar(v: unknown, ctx: { simpleKey?: boolean }) {
    this.increaseIndent(true);
    const r = represent(v);
    if (r instanceof Plain) {
      this.writePlain(r.text, !ctx.simpleKey);
    } else {
      const a = analyze(r);
      const split = !ctx.simpleKey;
      if (
        resolvesToStr(r) && !(ctx.simpleKey && (a.empty || a.multiline)) && a.allowBlockPlain
      ) {
        this.writePlain(r, split);
      } else if (a.allowSingleQuoted && !(ctx.simpleKey && a.multiline)) {
        this.writeSingleQuoted(r, split);
      } else {
        this.writeDoubleQuoted(r, split);
      }
    }
    this.indent = this.indents.pop()!;
  }

  writePlain(text: string, split: boolean) {
    if (!text) return;
    if (!this.whitespace) this.write(" ");
    this.whitespace = false;
    this.indention = false;
    const t = [...text];
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= t.length; end++) {
      const ch = end < t.length ? t[end] : undefined;
      if (spaces) {
        if (ch !== " ") {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else {
            this.write(t.slice(start, end).join(""));
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !BREAKS.includes(ch)) {
          if (t[start] === "\n") this.writeLineBreak();
          for (const br of t.slice(start, end)) this.writeLineBreak(br === "\n" ? "\n" : br);
          this.writeIndent();
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === undefined || (" " + BREAKS).includes(ch)) {
        this.write(t.slice(start, end).join(""));
        start = end;
      }
      if (ch !== undefined) {
        spaces = ch === " ";
        breaks = BREAKS.includes(ch);
      }
    }
  }

  writeSingleQuoted(text: string, split: boolean) {
    this.writeIndicator("'", true);
    const t = [...text];
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= t.length; end++) {
      const ch = end < t.length ? t[end] : undefined;
      if (spaces) {
        if (ch === undefined || ch !== " ") {
          if (
            start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 &&
            end !== t.length
          ) {
            this.writeIndent();
          } else {
            this.write(t.slice(start, end).join(""));
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !BREAKS.includes(ch)) {
          if (t[start] === "\n") this.writeLineBreak();
          for (const br of t.slice(start, end)) this.writeLineBreak(br === "\n" ? "\n" : br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === undefined || (" '" + BREAKS).includes(ch)) {
        if (start < end) {
          this.write(t.slice(start, end).join(""));
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''");
        start = end + 1;
      }
      if (ch !== undefined) {
        spaces = ch === " ";
        breaks = BREAKS.includes(ch);
      }
    }
    this.writeIndicator("'", false);
  }

  writeDoubleQuoted(text: string, split: boolean) {
    this.writeIndicator('"', true);
    const t = [...text];
    let start = 0;
    for (let end = 0; end <= t.length; end++) {
      const ch = end < t.length ? t[end] : undefined;
      const cp = ch === undefined ? 0 : ch.codePointAt(0)!;
      if (
        ch === undefined || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !(cp >= 0x20 && cp <= 0x7e)
      ) {
        if (start < end) {
          this.write(t.slice(start, end).join(""));
          start = end;
        }
        if (ch !== undefined) {
          let data: string;
          if (ESCAPES[ch] !== undefined) data = "\\" + ESCAPES[ch];
          else if (cp <= 0xff) data = "\\x" + cp.toString(16).toUpperCase().padStart(2, "0");
          else if (cp <= 0xffff) data = "\\u" + cp.toString(16).toUpperCase().padStart(4, "0");
          else data = "\\U" + cp.toString(16).toUpperCase().padStart(8, "0");
          this.write(data);
          start = end + 1;
        }
      }
      if (
        end > 0 && end < t.length - 1 && (ch === " " || start >= end) &&
        this.column + (end - start) > BEST_WIDTH && split
      ) {
        const data = t.slice(start, end).join("") + "\\";
        if (start < end) start = end;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (t[start] === " ") this.write("\\");
      }
    }
    this.writeIndicator('"', false);
  }
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof PyFloat) &&
    !(v instanceof Date) && !(v instanceof PyTimestamp);
}

/**
 * `yaml.safe_dump(data, default_flow_style=False)` as PyYAML 6 writes it.
 * Numbers that are safe integers are written as ints, others (and {@linkcode PyFloat}) as floats.
 */
export function safeDump(data: unknown): string {
  const e = new Emitter();
  e.node(data, {});
  // Document end: PyYAML ends the last line; a bare plain root scalar also gets "...".
  e.writeIndent();
  if (!Array.isArray(data) && !isMapping(data)) {
    const r = represent(data);
    const plain = r instanceof Plain || (resolvesToStr(r) && analyze(r).allowBlockPlain);
    if (plain) e.out += "...\n";
  }
  return e.out;
}
