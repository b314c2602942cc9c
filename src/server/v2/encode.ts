/**
 * The V2 inference response: graph outputs by name with their real shapes, as JSON `data` or,
 * with the binary tensor data extension, as raw little-endian bytes after the JSON header.
 *
 * @module
 */
import type { OutputTensor } from "../../runtime/mod.ts";
import type { V2Answer } from "../../enforce/mod.ts";
import { elementWriter } from "../../model/mod.ts";
import { v2Datatype } from "./metadata.ts";
import type { V2InferenceResponse } from "./types.ts";

/**
 * An encoded answer: the body, and the JSON header's length when binary data follows it.
 *
 * @example
 * ```ts
 * import type { V2Body } from "./encode.ts";
 * const b: V2Body = { body: '{"model_name": "m", "id": "1", "outputs": []}' };
 * ```
 */
export interface V2Body {
  body: string | Uint8Array<ArrayBuffer>;
  /** Set when binary output data follows the JSON (the `Inference-Header-Content-Length`). */
  headerLength?: number;
}

const encoder = new TextEncoder();

/** The flat JSON array text of a tensor's values, each written as /invocations writes it. */
function dataText(o: OutputTensor): string {
  const write = elementWriter(o);
  const n = o.data.length;
  let out = "[";
  for (let i = 0; i < n; i++) out += (i === 0 ? "" : ", ") + write(i);
  return out + "]";
}

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of a number (round to nearest even, as a float32 → float16 cast). */
function halfBits(x: number): number {
  f32[0] = x;
  const b = f32Bits[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  let shift = 13;
  let h: number;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    shift = 14 - e;
    h = mant >>> shift;
  } else {
    h = (e << 10) | (mant >>> 13);
  }
  const rest = mant & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1))) h++;
  return sign | h;
}

/** The raw bytes of a tensor: its little-endian buffer, or length-prefixed UTF-8 strings. */
function dataBytes(o: OutputTensor): Uint8Array {
  if (o.type === "float16" && !(o.data instanceof Uint16Array)) {
    // The session hands float16 outputs on as their values: back to 2-byte halves.
    const values = o.data as Float32Array;
    const bits = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) bits[i] = halfBits(values[i]);
    return new Uint8Array(bits.buffer);
  }
  if (o.type !== "string") {
    const v = o.data as ArrayBufferView;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  const texts = (o.data as string[]).map((s) => encoder.encode(s));
  const out = new Uint8Array(texts.reduce((n, t) => n + 4 + t.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const t of texts) {
    view.setUint32(at, t.length, true);
    out.set(t, at + 4);
    at += 4 + t.length;
  }
  return out;
}

/**
 * Writes the answer to a V2 inference: `model_name`, `model_version` (when known), the echoed
 * (or a generated) `id`, and every output with its graph name, real shape and V2 datatype —
 * as JSON `data`, or as binary data where the request asked for it.
 *
 * @example
 * ```ts
 * import { encodeInferResponse } from "./encode.ts";
 * const out = encodeInferResponse("iris", undefined, { id: "1", binary_data_output: false, outputs: null }, [
 *   { name: "y", type: "float32", dims: [1, 2], data: new Float32Array([0.25, 0.75]) },
 * ]);
 * out.body; // '{"model_name": "iris", "id": "1", "outputs": [{"name": "y", "shape": [1, 2], "datatype": "FP32", "data": [0.25, 0.75]}]}'
 * // (floats as Python writes them: 1.0, 4.073565287399106e-05)
 * ```
 */
export function encodeInferResponse(
  modelName: string,
  modelVersion: string | undefined,
  answer: V2Answer,
  outputs: readonly OutputTensor[],
): V2Body {
  const binaryByName = new Map(answer.outputs?.map((o) => [o.name, o.binary_data]) ?? []);
  const blobs: Uint8Array[] = [];
  const entries: string[] = [];
  for (const o of outputs) {
    const binary = binaryByName.get(o.name) ?? answer.binary_data_output;
    let text = `{"name": ${JSON.stringify(o.name)}, "shape": [${o.dims.join(", ")}], ` +
      `"datatype": "${v2Datatype(o.type)}"`;
    if (binary) {
      const bytes = dataBytes(o);
      blobs.push(bytes);
      text += `, "parameters": {"binary_data_size": ${bytes.length}}}`;
    } else {
      text += `, "data": ${dataText(o)}}`;
    }
    entries.push(text);
  }
  const top: Omit<V2InferenceResponse, "outputs"> = {
    model_name: modelName,
    ...(modelVersion !== undefined ? { model_version: modelVersion } : {}),
    id: answer.id ?? crypto.randomUUID(),
  };
  const json = `{${
    Object.entries(top).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")
  }, "outputs": [${entries.join(", ")}]}`;
  if (blobs.length === 0) return { body: json };
  const header = encoder.encode(json);
  const body = new Uint8Array(header.length + blobs.reduce((n, b) => n + b.length, 0));
  body.set(header, 0);
  let at = header.length;
  for (const b of blobs) {
    body.set(b, at);
    at += b.length;
  }
  return { body, headerLength: header.length };
}
