/**
 * Reads the core's result records (layout documented in wasm/src/output.rs) into
 * ValidatedInput objects. Each record is copied out of wasm memory once, as a whole, and the
 * typed arrays are views into that copy, so they survive later calls into the core.
 *
 * Small records are copied into a shared JS-side arena (bump-allocated, never reused): an
 * ArrayBuffer allocation costs more than the rest of reading a one-row result, and views on an
 * existing buffer are cheap. An arena stays alive while any result viewing it does.
 *
 * @module
 */

import { MlflowError } from "../errors.ts";
import { halfToNumber } from "../mlmodel/numpy_dtype.ts";
import type { CoreExports } from "./_wasm.ts";
import type {
  ColumnValues,
  NumpyDtype,
  V2Answer,
  ValidatedColumn,
  ValidatedInput,
  ValidatedTensor,
} from "./types.ts";

/** dtype codes, in the order of the Rust `DType` enum. */
const DTYPES: NumpyDtype[] = [
  "bool",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "float16",
  "float32",
  "float64",
  "str",
  "bytes",
  "datetime64[ns]",
  "object",
];

const FORMATS: ValidatedInput["format"][] = [
  "dataframe_split",
  "dataframe_records",
  "inputs",
  "instances",
  "csv",
  "llm",
  "v2",
];

const NONE = 0xffffffff;
/** A name given as `SPEC_NAME + k`: the signature's input `k` (see wasm/src/output.rs). */
const SPEC_NAME = 0x80000000;
const decoder = new TextDecoder();

type Typed = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ColumnValues;

/** Raw-buffer constructors by dtype code (undefined: the dtype never comes as raw values). */
const TYPED: ((Typed & { BYTES_PER_ELEMENT: number }) | undefined)[] = DTYPES.map((d) => {
  switch (d) {
    case "bool":
    case "uint8":
      return Uint8Array;
    case "int8":
      return Int8Array;
    case "int16":
      return Int16Array;
    case "int32":
      return Int32Array;
    case "int64":
    case "datetime64[ns]":
      return BigInt64Array;
    case "uint16":
    case "float16":
      return Uint16Array;
    case "uint32":
      return Uint32Array;
    case "uint64":
      return BigUint64Array;
    case "float32":
      return Float32Array;
    case "float64":
      return Float64Array;
    default:
      return undefined;
  }
});

/** Size of one arena, and the largest record copied into an arena rather than on its own. */
const ARENA_BYTES = 64 * 1024;
const ARENA_MAX_RECORD = 4 * 1024;

/**
 * Reads records copied into one ArrayBuffer (an arena, or a record's own copy). `base` is where
 * the current record starts, `at` the read position, `used` the arena's fill mark.
 */
class Reader {
  at = 0;
  base = 0;
  used = 0;
  readonly view: DataView;
  readonly bytes: Uint8Array;
  constructor(readonly buffer: ArrayBuffer) {
    this.view = new DataView(buffer);
    this.bytes = new Uint8Array(buffer);
  }
  u32(): number {
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  str(): string {
    const len = this.u32();
    const start = this.at;
    this.at += len;
    if (len <= 32) {
      // Short names: skip TextDecoder's call overhead when the text is ASCII.
      let s = "";
      for (let i = start; i < start + len; i++) {
        const c = this.bytes[i];
        if (c >= 0x80) return decoder.decode(this.bytes.subarray(start, start + len));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return decoder.decode(this.bytes.subarray(start, start + len));
  }
  optStr(): string | null {
    if (this.view.getUint32(this.at, true) === NONE) {
      this.at += 4;
      return null;
    }
    return this.str();
  }
  /**
   * An entry's name: the signature's input `known[k]` when the record gives its index `k`,
   * else optional text, reusing `cache[i]` when the bytes spell it (ASCII only, so a byte
   * equals its character code): names repeat on every request of a signature.
   */
  name(cache: (string | null)[], i: number, known: readonly (string | null)[]): string | null {
    const len = this.view.getUint32(this.at, true);
    if (len >= SPEC_NAME) {
      this.at += 4;
      return len === NONE ? null : known[len - SPEC_NAME] ?? null;
    }
    const prev = cache[i];
    if (typeof prev === "string" && prev.length === len) {
      const start = this.at + 4;
      let k = 0;
      for (; k < len; k++) {
        const c = this.bytes[start + k];
        if (c >= 0x80 || c !== prev.charCodeAt(k)) break;
      }
      if (k === len) {
        this.at = start + len;
        return prev;
      }
    }
    const s = this.str();
    cache[i] = s;
    return s;
  }
}

/**
 * Views of the core's memory, re-made for another instance or when memory grows (which
 * detaches the old buffer, so a view of it has length 0): no `memory.buffer` read per call.
 */
let memory: { core: CoreExports; buffer: ArrayBuffer; view: DataView; bytes: Uint8Array } | null =
  null;

/** The current views of `core`'s memory. */
function views(core: CoreExports): NonNullable<typeof memory> {
  if (memory === null || memory.core !== core || memory.bytes.length === 0) {
    const buffer = core.memory.buffer as ArrayBuffer;
    memory = { core, buffer, view: new DataView(buffer), bytes: new Uint8Array(buffer) };
  }
  return memory;
}

/**
 * The size of `core`'s linear memory in bytes, from the cached views when they are current.
 *
 * @example
 * ```ts
 * import { instantiateCore } from "./_wasm.ts";
 * import { coreMemorySize } from "./_result.ts";
 * const core = await instantiateCore();
 * console.log(coreMemorySize(core) === core.memory.buffer.byteLength); // true
 * ```
 */
export function coreMemorySize(core: CoreExports): number {
  return views(core).bytes.length;
}
/** The arena being filled. */
let arena: Reader | null = null;

/**
 * Drops the cached views of the core's memory, so a replaced instance's memory can be collected
 * at once rather than at the next request.
 *
 * @example
 * ```ts
 * import { dropMemoryViews } from "./_result.ts";
 * dropMemoryViews(); // after renewing the core
 * ```
 */
export function dropMemoryViews(): void {
  memory = null;
}

/** Copies the record at `ptr` out of wasm memory; returns a reader at its start. */
function copyRecord(core: CoreExports, ptr: number): Reader {
  const memory = views(core);
  const len = memory.view.getUint32(ptr, true);
  if (len > ARENA_MAX_RECORD) return new Reader(memory.buffer.slice(ptr, ptr + len));
  if (arena === null || arena.used + len > ARENA_BYTES) {
    arena = new Reader(new ArrayBuffer(ARENA_BYTES));
  }
  const at = arena.used;
  arena.bytes.set(memory.bytes.subarray(ptr, ptr + len), at);
  arena.used = (at + len + 7) & ~7; // the next record starts 8-aligned, as raw values need
  arena.at = arena.base = at;
  return arena;
}

/**
 * Copies the record at `ptr` out; returns a reader after the tag. A refusal record throws its
 * MlflowError. A `compile` record is released here (also on error); a `validate` record stays
 * the core's, which releases it at its next validation.
 */
function take(core: CoreExports, ptr: number, release: boolean): Reader {
  let r: Reader;
  if (release) {
    try {
      r = copyRecord(core, ptr);
    } finally {
      (core.free_result as (p: number) => void)(ptr);
    }
  } else {
    r = copyRecord(core, ptr);
  }
  r.at = r.base + 4; // after the total length
  if (r.u32() === 1) {
    const status = r.u32();
    const code = r.str();
    const message = r.str();
    throw new MlflowError(message, code, status);
  }
  return r;
}

/**
 * A compiled signature in the core: its handle and its input names in order (null for an
 * unnamed input), which result records refer to by index.
 *
 * @example
 * ```ts
 * import type { CompiledHandle } from "./_result.ts";
 * const compiled: CompiledHandle = { handle: 0, names: ["x0", "x1"] };
 * ```
 */
export interface CompiledHandle {
  handle: number;
  names: (string | null)[];
}

/**
 * Reads a `compile` result: the handle and the input names, or throws its MlflowError.
 *
 * @example
 * ```ts
 * // const { handle, names } = readHandle(core, core.compile(...));
 * ```
 */
export function readHandle(core: CoreExports, ptr: number): CompiledHandle {
  const r = take(core, ptr, true);
  const handle = r.u32();
  const names: (string | null)[] = new Array(r.u32());
  for (let i = 0; i < names.length; i++) names[i] = r.optStr();
  return { handle, names };
}

const STR = DTYPES.indexOf("str");
const QUOTE = 0x22, COMMA = 0x2c, OPEN = 0x5b, CLOSE = 0x5d, BACKSLASH = 0x5c, N = 0x6e; // "n" of null

/**
 * A str column's JSON text (`["a",null]`, as wasm/src/jsonout.rs writes it) read without
 * JSON.parse when every value is null or printable ASCII without escapes, as most are. Returns
 * null (reader unmoved) for anything else, which JSON.parse then reads.
 */
function plainStrings(r: Reader, count: number): (string | null)[] | null {
  const b = r.bytes;
  const len = r.view.getUint32(r.at, true);
  const start = r.at + 4;
  const end = start + len;
  if (len > 2048) return null; // long texts: JSON.parse is the faster reader
  let i = start;
  if (b[i++] !== OPEN) return null;
  const out: (string | null)[] = [];
  for (let k = 0; k < count; k++) {
    if (k > 0 && b[i++] !== COMMA) return null;
    if (b[i] === N && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) {
      out.push(null);
      i += 4;
      continue;
    }
    if (b[i++] !== QUOTE) return null;
    let s = "";
    for (;;) {
      const c = b[i++];
      if (c === QUOTE) break;
      if (c < 0x20 || c >= 0x7f || c === BACKSLASH || i > end) return null;
      s += String.fromCharCode(c);
    }
    out.push(s);
  }
  if (b[i++] !== CLOSE || i !== end) return null;
  r.at = end;
  return out;
}

/**
 * A str column given as text (repr 3): the values' UTF-8 back to back, `count + 1` offsets in
 * UTF-16 code units of the decoded text, `count` null flags. A few short ASCII values are read
 * by character code (offsets are then byte offsets); otherwise the text is decoded once and cut
 * with `substring`.
 */
function textValues(r: Reader, count: number): (string | null)[] {
  const b = r.bytes, v = r.view;
  const len = r.u32();
  const data = r.at;
  const offsets = data + len;
  const flags = offsets + 4 * (count + 1);
  r.at = flags + count;
  const out: (string | null)[] = new Array(count);
  if (count <= 64 && len <= 512) {
    let k = 0;
    for (let at = data; k < count; k++) {
      if (b[flags + k]) {
        out[k] = null;
        continue;
      }
      const end = data + v.getUint32(offsets + 4 * k + 4, true);
      let s = "";
      for (; at < end; at++) {
        const c = b[at];
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (at < end) break; // not ASCII: decoded below
      out[k] = s;
    }
    if (k === count) return out;
  }
  const text = decoder.decode(b.subarray(data, offsets));
  for (let k = 0, from = 0; k < count; k++) {
    const to = v.getUint32(offsets + 4 * k + 4, true);
    out[k] = b[flags + k] ? null : text.substring(from, to);
    from = to;
  }
  return out;
}

function values(r: Reader, code: number, count: number): ColumnValues {
  const repr = r.u32();
  if (repr === 0) {
    const len = r.u32();
    r.at = r.base + ((r.at - r.base + 7) & ~7);
    const Ctor = TYPED[code];
    if (!Ctor) {
      throw new MlflowError(
        `Unexpected raw buffer for dtype ${DTYPES[code] ?? "object"}`,
        "INTERNAL_ERROR",
      );
    }
    const out = new Ctor(r.buffer, r.at, len / Ctor.BYTES_PER_ELEMENT);
    r.at += len;
    return out;
  }
  if (repr === 1) {
    if (code === STR && count <= 64) {
      const quick = plainStrings(r, count);
      if (quick !== null) return quick;
    }
    return JSON.parse(r.str()) as unknown[];
  }
  if (repr === 3) return textValues(r, count);
  const dataLen = r.u32();
  const data = r.bytes.subarray(r.at, r.at + dataLen);
  r.at += dataLen;
  const offsets: number[] = [];
  for (let i = 0; i <= count; i++) offsets.push(r.u32());
  const out: (Uint8Array | null)[] = new Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = r.bytes[r.at + i] ? null : data.subarray(offsets[i], offsets[i + 1]);
  }
  r.at += count;
  return out;
}

function readOk(
  r: Reader,
  names: (string | null)[],
  known: readonly (string | null)[],
): ValidatedInput {
  const kind = r.u32() === 0 ? "columns" : "tensors";
  const format = FORMATS[r.u32()] ?? "inputs";
  const rows = r.u32();
  const paramsText = r.optStr();
  const n = r.u32();
  const columns: ValidatedColumn[] = kind === "columns" ? new Array(n) : [];
  const tensors: ValidatedTensor[] = kind === "columns" ? [] : new Array(n);
  for (let i = 0; i < n; i++) {
    const name = r.name(names, i, known);
    const code = r.u32();
    const dtype = DTYPES[code] ?? "object";
    const rank = r.u32();
    if (kind === "columns") {
      r.at += rank * 4; // a column's shape is its row count
      const count = r.u32();
      columns[i] = { name: name ?? String(i), dtype, values: values(r, code, count) };
    } else {
      const shape: number[] = new Array(rank);
      for (let k = 0; k < rank; k++) shape[k] = r.u32();
      const count = r.u32();
      tensors[i] = { name, dtype, shape, values: values(r, code, count) };
    }
  }
  const params = paramsText === null ? null : JSON.parse(paramsText) as Record<string, unknown>;
  const out = new Validated(kind, columns, tensors, params, format, rows);
  // A V2 record ends with the answer's instructions (small JSON text).
  if (format === "v2") out.v2 = JSON.parse(r.str()) as V2Answer;
  return out;
}

/**
 * Reads a `validate` result into a ValidatedInput (or throws its MlflowError); the core
 * releases the record itself at its next validation.
 * `known` are the signature's input names from {@linkcode readHandle}; `names` is a
 * per-signature cache of the names given as text, filled and reused here.
 *
 * @example
 * ```ts
 * // const { handle, names: known } = readHandle(core, core.compile(...));
 * // const input = readValidated(core, core.validate(handle, ptr, len, 0), [], known);
 * ```
 */
export function readValidated(
  core: CoreExports,
  ptr: number,
  names: (string | null)[] = [],
  known: readonly (string | null)[] = [],
): ValidatedInput {
  return readOk(take(core, ptr, false), names, known);
}

function isoFromNs(ns: bigint): string | null {
  if (ns === -(2n ** 63n)) return null;
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  const sub = ns - ms * 1_000_000n; // 0..999999 ns within the millisecond
  const base = new Date(Number(ms)).toISOString().slice(0, 23); // YYYY-MM-DDTHH:MM:SS.mmm
  const frac = (base.slice(20) + sub.toString().padStart(6, "0")).replace(/0+$/, "");
  return frac ? `${base.slice(0, 19)}.${frac}` : base.slice(0, 19);
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

/**
 * JSON-safe values: int64 as numbers when every value of the column is a safe integer, else all
 * as decimal text (never a mix); datetimes as ISO text.
 */
function jsonValues(dtype: NumpyDtype, values: ColumnValues): unknown[] {
  switch (dtype) {
    case "int64":
    case "uint64": {
      const ints = values as BigInt64Array | BigUint64Array;
      const safe = ints.every((v) => Number.isSafeInteger(Number(v)));
      return Array.from(ints as ArrayLike<bigint>, (v) => safe ? Number(v) : v.toString());
    }
    case "datetime64[ns]":
      return Array.from(values as BigInt64Array, isoFromNs);
    case "bool":
      return Array.from(values as Uint8Array, (v) => v !== 0);
    case "float16":
      return Array.from(values as Uint16Array, halfToNumber);
    case "bytes":
      return (values as (Uint8Array | null)[]).map((b) => (b === null ? null : base64(b)));
    case "str":
    case "object":
      return values as unknown[];
    default:
      return Array.from(values as Float64Array);
  }
}

class Validated implements ValidatedInput {
  v2?: V2Answer;
  constructor(
    readonly kind: "columns" | "tensors",
    readonly columns: ValidatedColumn[],
    readonly tensors: ValidatedTensor[],
    readonly params: Record<string, unknown> | null,
    readonly format: ValidatedInput["format"],
    readonly rows: number,
  ) {}

  toJSON(): object {
    if (this.kind === "columns") {
      return {
        kind: "columns",
        columns: this.columns.map((c) => ({
          name: c.name,
          dtype: c.dtype,
          values: jsonValues(c.dtype, c.values),
        })),
        params: this.params,
      };
    }
    return {
      kind: "tensors",
      tensors: this.tensors.map((t) => ({
        name: t.name,
        dtype: t.dtype,
        shape: t.shape,
        values: jsonValues(t.dtype, t.values),
      })),
      params: this.params,
    };
  }
}
