/**
 * numpy's dtype names and the typed storage of a column or tensor: the vocabulary the
 * enforcement core writes and the ONNX runtime reads, defined once beside the schema types.
 *
 * @module
 */

/**
 * numpy's dtype names, as MLflow prints them.
 *
 * @example
 * ```ts
 * import type { NumpyDtype } from "./numpy_dtype.ts";
 * const dtype: NumpyDtype = "float32";
 * ```
 */
export type NumpyDtype =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float16"
  | "float32"
  | "float64"
  | "str"
  | "bytes"
  | "datetime64[ns]"
  | "object";

/**
 * The values of one column or tensor, by dtype: `bool` and `uint8` as Uint8Array (0/1 for
 * bool), `int64` and `datetime64[ns]` (epoch nanoseconds, NaT = -2^63) as BigInt64Array,
 * `float16` as Uint16Array of IEEE half bits (decode with {@linkcode halfToNumber}), `str` as strings (or null), `bytes` as
 * Uint8Arrays, `object` as JSON values.
 *
 * @example
 * ```ts
 * import type { ColumnValues } from "./numpy_dtype.ts";
 * const values: ColumnValues = new Float64Array([5.1, 4.9]);
 * ```
 */
export type ColumnValues =
  | Float64Array
  | Float32Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | (string | null)[]
  | (Uint8Array | null)[]
  | unknown[];

/**
 * The value of an IEEE half-precision number (numpy's `float16`) from its 16 bits.
 *
 * @example
 * ```ts
 * import { halfToNumber } from "./numpy_dtype.ts";
 * halfToNumber(0x3c00); // 1
 * halfToNumber(0x7bff); // 65504
 * ```
 */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
