/**
 * External data of ONNX models, read from and written into the serialized protobuf:
 * {@linkcode onnxExternalDataLocations} lists the files a model refers to (what a store must
 * fetch beside `model.onnx`), and {@linkcode rewriteOnnxExternalData} does what
 * `onnx.save_model(model, path, save_as_external_data=…)` does to a ModelProto that `onnx.load`
 * read with its external data: every tensor's data is brought inline, then (when asked) every
 * graph initializer whose `raw_data` is large enough moves into one file named by a uuid1.
 *
 * One bounded protobuf reader serves both; it descends only into the message fields that can
 * hold tensors (field numbers from onnx.proto) and copies every other byte as is.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";

// For each message kind: field number -> kind of the embedded message that can hold tensors.
type Kind =
  | "model"
  | "graph"
  | "node"
  | "attribute"
  | "tensor"
  | "sparse"
  | "function"
  | "training";
const CHILDREN: Record<Kind, Record<number, Kind>> = {
  model: { 7: "graph", 20: "training", 25: "function" },
  training: { 1: "graph", 2: "graph" },
  function: { 7: "node" },
  graph: { 1: "node", 5: "tensor", 15: "sparse" },
  node: { 5: "attribute" },
  attribute: { 5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse", 23: "sparse" },
  sparse: { 1: "tensor", 2: "tensor" },
  tensor: {},
};
// TensorProto fields this module rewrites.
const RAW_DATA = 9;
const EXTERNAL_DATA = 13;
const DATA_LOCATION = 14;
const EXTERNAL = 1;
const MAX_DEPTH = 64;
const MAX_LOCATIONS = 100_000;
const MAX_PROTO_BYTES = 2 ** 31 - 1;

/**
 * The smallest `raw_data` that onnx moves out: its test is `sys.getsizeof(raw_data) >= 1024`,
 * and CPython's `bytes` object carries 33 bytes of header.
 *
 * @example
 * ```ts
 * import { EXTERNAL_DATA_MIN_BYTES } from "./onnx_external_data.ts";
 * EXTERNAL_DATA_MIN_BYTES; // 991
 * ```
 */
export const EXTERNAL_DATA_MIN_BYTES = 1024 - 33;

/** One field of a protobuf message: number, wire type, the whole field's and the value's range. */
interface Field {
  field: number;
  wire: number;
  at: number;
  from: number;
  to: number;
}

/** A bounded reader of protobuf messages inside `bytes`; every problem names the model. */
function protoReader(bytes: Uint8Array, name: string) {
  const fail = (why: string): never => {
    throw new MlflowError(
      `File "${name}" is not a valid ONNX model: ${why}.`,
      "INVALID_PARAMETER_VALUE",
    );
  };
  const varint = (pos: number, end: number): [number, number] => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) fail("a varint runs past the end of its message");
      const b = bytes[pos++];
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return [value, pos];
      scale *= 128;
    }
    return fail("a varint is longer than 10 bytes");
  };
  const fields = (start: number, end: number): Field[] => {
    const out: Field[] = [];
    let pos = start;
    while (pos < end) {
      const at = pos;
      let tag: number;
      [tag, pos] = varint(pos, end);
      const wire = tag & 7;
      let from = pos;
      if (wire === 0) [, pos] = varint(pos, end);
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        let len: number;
        [len, from] = varint(pos, end);
        if (len > end - from) fail("a length-delimited field runs past the end of its message");
        pos = from + len;
      } else fail(`unsupported protobuf wire type ${wire}`);
      if (pos > end) fail("a field runs past the end of its message");
      out.push({ field: Math.floor(tag / 8), wire, at, from, to: pos });
    }
    return out;
  };
  const decoder = new TextDecoder();
  // StringStringEntryProto { string key = 1; string value = 2; }
  const entry = (start: number, end: number): [string | undefined, string | undefined] => {
    let k: string | undefined;
    let v: string | undefined;
    for (const e of fields(start, end)) {
      if (e.wire !== 2) continue;
      const text = decoder.decode(bytes.subarray(e.from, e.to));
      if (e.field === 1) k = text;
      else if (e.field === 2) v = text;
    }
    return [k, v];
  };
  return { fail, varint, fields, entry };
}

/**
 * The distinct external-data locations a serialized ONNX ModelProto refers to, in first-seen
 * order (relative to the model file's directory). Throws `MlflowError` on malformed protobuf.
 *
 * @example
 * ```ts
 * import { onnxExternalDataLocations } from "./onnx_external_data.ts";
 * const bytes = await Deno.readFile("tests/fixtures/mlflow-bundles/iris_mlp_onnx/model.onnx");
 * onnxExternalDataLocations(bytes); // ["7a352ddc-e9a0-11f1-9901-02fc00000001"]
 * ```
 */
export function onnxExternalDataLocations(bytes: Uint8Array, name = "model.onnx"): string[] {
  const { fail, fields, entry } = protoReader(bytes, name);
  const found = new Set<string>();
  const walk = (start: number, end: number, kind: Kind, depth: number): void => {
    if (depth > MAX_DEPTH) fail(`messages are nested more than ${MAX_DEPTH} deep`);
    for (const f of fields(start, end)) {
      if (f.wire !== 2) continue;
      const child = CHILDREN[kind][f.field];
      if (child) walk(f.from, f.to, child, depth + 1);
      else if (kind === "tensor" && f.field === EXTERNAL_DATA) {
        const [k, v] = entry(f.from, f.to);
        if (k !== "location" || v === undefined) continue;
        found.add(v);
        if (found.size > MAX_LOCATIONS) fail(`more than ${MAX_LOCATIONS} external-data files`);
      }
    }
  };
  walk(0, bytes.length, "model", 0);
  return [...found];
}

/**
 * Options of {@linkcode rewriteOnnxExternalData}.
 *
 * @example
 * ```ts
 * import type { RewriteOptions } from "./onnx_external_data.ts";
 * const options: RewriteOptions = { saveAsExternalData: true, location: "weights.bin" };
 * ```
 */
export interface RewriteOptions {
  /** The external-data files the model refers to, by their location (relative name). */
  externalData?: ReadonlyMap<string, Uint8Array>;
  /** Move initializers of {@linkcode EXTERNAL_DATA_MIN_BYTES} or more out (onnx's default: true). */
  saveAsExternalData?: boolean;
  /** The external file's name; default a fresh uuid1 string, as onnx names it. */
  location?: string;
  /** The model's name in messages. Default `model.onnx`. */
  name?: string;
}

/**
 * The rewritten model and its external-data files (none, or one).
 *
 * @example
 * ```ts
 * import type { RewrittenOnnx } from "./onnx_external_data.ts";
 * const out: RewrittenOnnx = { model: new Uint8Array(), externalData: new Map() };
 * ```
 */
export interface RewrittenOnnx {
  /** The serialized ModelProto. */
  model: Uint8Array;
  /** External-data file contents by location; empty when every tensor is inline. */
  externalData: Map<string, Uint8Array>;
}

/**
 * Rewrite a serialized ONNX ModelProto as `onnx.save_model` writes it: tensors that refer to
 * external data are read from `externalData` and brought inline, then with `saveAsExternalData`
 * every initializer (of the main graph and of subgraphs) whose `raw_data` has at least
 * {@linkcode EXTERNAL_DATA_MIN_BYTES} bytes is moved, in onnx's order, into one file at
 * `location` with `location`, `offset` and `length` entries and `data_location: EXTERNAL`.
 * Throws `MlflowError` on malformed protobuf or a missing external file.
 *
 * @example
 * ```ts
 * import { rewriteOnnxExternalData } from "./onnx_external_data.ts";
 * const dir = "tests/fixtures/mlflow-bundles/iris_mlp_onnx/";
 * const data = await Deno.readFile(dir + "7a352ddc-e9a0-11f1-9901-02fc00000001");
 * const inline = rewriteOnnxExternalData(await Deno.readFile(dir + "model.onnx"), {
 *   externalData: new Map([["7a352ddc-e9a0-11f1-9901-02fc00000001", data]]),
 *   saveAsExternalData: false,
 * });
 * inline.model.length; // 2354
 * ```
 */
export function rewriteOnnxExternalData(
  bytes: Uint8Array,
  options: RewriteOptions = {},
): RewrittenOnnx {
  const name = options.name ?? "model.onnx";
  const { fail, varint, fields, entry } = protoReader(bytes, name);

  // Pass 1: the initializers to move out, in the order onnx writes them (each graph's
  // initializers, then its nodes' subgraphs), keyed by their offset in `bytes`.
  const moved = new Map<number, number>();
  let externalSize = 0;
  const tensorData = (start: number, end: number): Uint8Array | undefined => {
    const fs = fields(start, end);
    const loc = fs.find((f) => f.field === DATA_LOCATION && f.wire === 0);
    if (loc && varint(loc.from, loc.to)[0] === EXTERNAL) return external(fs);
    const raw = fs.findLast((f) => f.field === RAW_DATA && f.wire === 2);
    return raw ? bytes.subarray(raw.from, raw.to) : undefined;
  };
  const external = (fs: Field[]): Uint8Array => {
    const info: Record<string, string> = {};
    for (const f of fs) {
      if (f.field !== EXTERNAL_DATA || f.wire !== 2) continue;
      const [k, v] = entry(f.from, f.to);
      if (k !== undefined && v !== undefined) info[k] = v;
    }
    const location = info.location;
    if (!location) return fail("a tensor stored as external data has no location");
    const file = options.externalData?.get(location);
    if (!file) {
      throw new MlflowError(
        `ONNX model "${name}" keeps tensor data in "${location}", which was not given.`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    const offset = info.offset === undefined ? 0 : Number(info.offset);
    const length = info.length === undefined ? file.length - offset : Number(info.length);
    if (
      !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 ||
      length < 0 || offset + length > file.length
    ) {
      return fail(`tensor data at offset ${info.offset} length ${info.length} of "${location}"`);
    }
    return file.subarray(offset, offset + length);
  };
  const collect = (start: number, end: number, depth: number): void => {
    if (depth > MAX_DEPTH) fail(`graphs are nested more than ${MAX_DEPTH} deep`);
    const fs = fields(start, end);
    for (const f of fs) {
      if (f.field !== 5 || f.wire !== 2) continue;
      const data = tensorData(f.from, f.to);
      if (data && data.length >= EXTERNAL_DATA_MIN_BYTES) {
        moved.set(f.from, externalSize);
        externalSize += data.length;
      }
    }
    for (const node of fs) {
      if (node.field !== 1 || node.wire !== 2) continue;
      for (const attr of fields(node.from, node.to)) {
        if (attr.field !== 5 || attr.wire !== 2) continue;
        for (const g of fields(attr.from, attr.to)) {
          if ((g.field === 6 || g.field === 11) && g.wire === 2) collect(g.from, g.to, depth + 1);
        }
      }
    }
  };
  if (options.saveAsExternalData ?? true) {
    for (const f of fields(0, bytes.length)) {
      if (f.field === 7 && f.wire === 2) collect(f.from, f.to, 0);
    }
  }
  const location = options.location ?? uuid1();
  const file = externalSize ? new Uint8Array(externalSize) : undefined;

  // Pass 2: rewrite, re-encoding the lengths of every message that changed.
  const rewrite = (start: number, end: number, kind: Kind, depth: number): Uint8Array[] | null => {
    if (depth > MAX_DEPTH) fail(`messages are nested more than ${MAX_DEPTH} deep`);
    if (kind === "tensor") return rewriteTensor(start, end);
    const fs = fields(start, end);
    let out: Uint8Array[] | null = null;
    let copied = start;
    for (const f of fs) {
      const child = f.wire === 2 ? CHILDREN[kind][f.field] : undefined;
      if (!child) continue;
      const inner = rewrite(f.from, f.to, child, depth + 1);
      if (!inner) continue;
      out ??= [];
      out.push(bytes.subarray(copied, f.at), lengthField(f.field, inner), ...inner);
      copied = f.to;
    }
    if (out) out.push(bytes.subarray(copied, end));
    return out;
  };
  const rewriteTensor = (start: number, end: number): Uint8Array[] | null => {
    const fs = fields(start, end);
    const offset = moved.get(start);
    const isExternal = fs.some((f) =>
      f.field === DATA_LOCATION && f.wire === 0 && varint(f.from, f.to)[0] === EXTERNAL
    );
    if (offset === undefined && !isExternal) return null;
    const data = isExternal ? external(fs) : tensorData(start, end)!;
    const kept = fs.filter((f) =>
      f.field !== RAW_DATA && f.field !== EXTERNAL_DATA && f.field !== DATA_LOCATION
    ).map((f) => ({ field: f.field, parts: [bytes.subarray(f.at, f.to)] }));
    const added: { field: number; parts: Uint8Array[] }[] = [];
    if (offset === undefined) {
      added.push({ field: RAW_DATA, parts: [lengthField(RAW_DATA, [data]), data] });
      // onnx.load sets data_location to DEFAULT explicitly when it reads the data in.
      added.push({ field: DATA_LOCATION, parts: [varintBytes(DATA_LOCATION * 8), varintBytes(0)] });
    } else {
      file!.set(data, offset);
      for (const [k, v] of [["location", location], ["offset", offset], ["length", data.length]]) {
        const entry = [stringField(1, String(k)), stringField(2, String(v))];
        added.push({ field: EXTERNAL_DATA, parts: [lengthField(EXTERNAL_DATA, entry), ...entry] });
      }
      added.push({ field: DATA_LOCATION, parts: [varintBytes(DATA_LOCATION * 8), varintBytes(1)] });
    }
    // Fields in number order, as protobuf writes them (the sort is stable for repeated ones).
    return [...kept, ...added].sort((a, b) => a.field - b.field).flatMap((f) => f.parts);
  };

  const parts = rewrite(0, bytes.length, "model", 0);
  const model = parts ? concat(parts) : bytes;
  if (model.length > MAX_PROTO_BYTES) {
    throw new MlflowError(
      `ONNX model "${name}" would be ${model.length} bytes with its tensors inline, more than ` +
        `protobuf's 2 GiB limit; save it with external data.`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return { model, externalData: file ? new Map([[location, file]]) : new Map() };
}

function varintBytes(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Uint8Array.from(out);
}

/** Tag and length of a length-delimited field whose value is `parts`. */
function lengthField(field: number, parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  return concat([varintBytes(field * 8 + 2), varintBytes(len)]);
}

function stringField(field: number, text: string): Uint8Array {
  const value = new TextEncoder().encode(text);
  return concat([lengthField(field, [value]), value]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A version-1 UUID string like Python's `uuid.uuid1()` (the name onnx gives its external-data
 * file): the time in 100 ns steps since 1582-10-15, a random clock sequence and a random node
 * with the multicast bit set (RFC 9562 §6.10; no MAC address is read).
 *
 * @example
 * ```ts
 * import { uuid1 } from "./onnx_external_data.ts";
 * /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid1()); // true
 * ```
 */
export function uuid1(now = Date.now()): string {
  const t = BigInt(now) * 10_000n + 0x01b21dd213814000n;
  const hex = (v: bigint, n: number) => v.toString(16).padStart(n, "0");
  const rand = crypto.getRandomValues(new Uint8Array(8));
  const seq = ((rand[0] << 8) | rand[1]) & 0x3fff | 0x8000;
  rand[2] |= 0x01;
  const node = Array.from(rand.subarray(2), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex(t & 0xffffffffn, 8)}-${hex((t >> 32n) & 0xffffn, 4)}-${
    hex(((t >> 48n) & 0x0fffn) | 0x1000n, 4)
  }-${seq.toString(16)}-${node}`;
}
