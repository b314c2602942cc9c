/**
 * Reads the core's result records (layout documented in wasm/src/output.rs) into
 * ValidatedInput objects. Each record is copied out of wasm memory once, as a whole; the
 * typed arrays are views into that copy, so they survive later calls into the core.
 *
 * @module
 */

import { MlflowError } from "../errors.ts";
import type { CoreExports } from "./_wasm.ts";
import type {
  ColumnValues,
  NumpyDtype,
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
];

const NONE = 0xffffffff;
const decoder = new TextDecoder();

type Typed = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ColumnValues;

const TYPED: Partial<Record<NumpyDtype, Typed & { BYTES_PER_ELEMENT: number }>> = {
  bool: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  float16: Uint16Array,
  float32: Float32Array,
  float64: Float64Array,
  "datetime64[ns]": BigInt64Array,
};

/** Reads one record from its own copy (an ArrayBuffer starting at the record). */
class Reader {
  at = 0;
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
}

/** Copies the record at `ptr` out of wasm memory and releases it in the core. */
function take(core: CoreExports, ptr: number): Reader {
  try {
    const len = new DataView(core.memory.buffer).getUint32(ptr, true);
    return new Reader((core.memory.buffer as ArrayBuffer).slice(ptr, ptr + len));
  } finally {
    (core.free_result as (p: number) => void)(ptr);
  }
}

/** Throws the MlflowError of an error record; returns a reader positioned after the tag. */
function open(core: CoreExports, ptr: number): Reader {
  const r = take(core, ptr);
  r.u32(); // total length
  if (r.u32() === 1) {
    const status = r.u32();
    const code = r.str();
    const message = r.str();
    throw new MlflowError(message, code, status);
  }
  return r;
}

/**
 * Reads a `compile` result: the handle, or throws its MlflowError.
 *
 * @example
 * ```ts
 * // const handle = readHandle(core, core.compile(...));
 * ```
 */
export function readHandle(core: CoreExports, ptr: number): number {
  return open(core, ptr).u32();
}

function values(r: Reader, dtype: NumpyDtype, count: number): ColumnValues {
  const repr = r.u32();
  if (repr === 0) {
    const len = r.u32();
    r.at = (r.at + 7) & ~7;
    const Ctor = TYPED[dtype];
    if (!Ctor) throw new MlflowError(`Unexpected raw buffer for dtype ${dtype}`, "INTERNAL_ERROR");
    const out = new Ctor(r.buffer, r.at, len / Ctor.BYTES_PER_ELEMENT);
    r.at += len;
    return out;
  }
  if (repr === 1) return JSON.parse(r.str()) as unknown[];
  const dataLen = r.u32();
  const data = r.bytes.slice(r.at, r.at + dataLen);
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

/**
 * Reads a `validate` result into a ValidatedInput (or throws its MlflowError) and frees it.
 *
 * @example
 * ```ts
 * // const input = readValidated(core, core.validate(handle, ptr, len, 0));
 * ```
 */
export function readValidated(core: CoreExports, ptr: number): ValidatedInput {
  const r = open(core, ptr);
  const kind = r.u32() === 0 ? "columns" : "tensors";
  const format = FORMATS[r.u32()] ?? "inputs";
  const rows = r.u32();
  const paramsText = r.optStr();
  const n = r.u32();
  const columns: ValidatedColumn[] = [];
  const tensors: ValidatedTensor[] = [];
  for (let i = 0; i < n; i++) {
    const name = r.optStr();
    const dtype = DTYPES[r.u32()] ?? "object";
    const rank = r.u32();
    const shape: number[] = [];
    for (let k = 0; k < rank; k++) shape.push(r.u32());
    const count = r.u32();
    const vals = values(r, dtype, count);
    if (kind === "columns") columns.push({ name: name ?? String(i), dtype, values: vals });
    else tensors.push({ name, dtype, shape, values: vals });
  }
  const params = paramsText === null ? null : JSON.parse(paramsText) as Record<string, unknown>;
  return new Validated(kind, columns, tensors, params, format, rows);
}

function isoFromNs(ns: bigint): string | null {
  if (ns === -(2n ** 63n)) return null;
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  const sub = ns - ms * 1_000_000n; // 0..999999 ns within the millisecond
  const base = new Date(Number(ms)).toISOString().slice(0, 23); // YYYY-MM-DDTHH:MM:SS.mmm
  const frac = (base.slice(20) + sub.toString().padStart(6, "0")).replace(/0+$/, "");
  return frac ? `${base.slice(0, 19)}.${frac}` : base.slice(0, 19);
}

function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

/** JSON-safe values: int64 as numbers when safe, else decimal text; datetimes as ISO text. */
function jsonValues(dtype: NumpyDtype, values: ColumnValues): unknown[] {
  switch (dtype) {
    case "int64":
    case "uint64":
      return Array.from(values as BigInt64Array, (v) => {
        const n = Number(v);
        return Number.isSafeInteger(n) ? n : v.toString();
      });
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
