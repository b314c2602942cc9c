/**
 * The external-data file names recorded inside an ONNX model (`TensorProto.external_data`
 * entries with key `location`), read with a minimal, bounded protobuf walker over only the
 * message fields that can hold tensors (field numbers from onnx.proto).
 *
 * @module
 */
import { MlflowError } from "../errors.ts";

type Kind =
  | "model"
  | "graph"
  | "node"
  | "attribute"
  | "tensor"
  | "sparse"
  | "function"
  | "training";

// For each message kind: field number -> kind of the embedded message we descend into.
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

const MAX_DEPTH = 64;
const MAX_LOCATIONS = 100_000;

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
  const found = new Set<string>();
  const fail = (why: string): never => {
    throw new MlflowError(
      `File "${name}" is not a valid ONNX model: ${why}.`,
      "INVALID_PARAMETER_VALUE",
    );
  };
  const decoder = new TextDecoder("utf-8", { fatal: false });

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

  const walk = (start: number, end: number, kind: Kind, depth: number): void => {
    if (depth > MAX_DEPTH) fail(`messages are nested more than ${MAX_DEPTH} deep`);
    let pos = start;
    while (pos < end) {
      let tag: number;
      [tag, pos] = varint(pos, end);
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire === 0) {
        [, pos] = varint(pos, end);
      } else if (wire === 1) {
        pos += 8;
      } else if (wire === 5) {
        pos += 4;
      } else if (wire === 2) {
        let len: number;
        [len, pos] = varint(pos, end);
        if (len > end - pos) fail("a length-delimited field runs past the end of its message");
        const child = CHILDREN[kind][field];
        if (child) {
          walk(pos, pos + len, child, depth + 1);
        } else if (kind === "tensor" && field === 13) {
          const [k, v] = entry(pos, pos + len);
          if (k === "location" && v !== undefined) {
            found.add(v);
            if (found.size > MAX_LOCATIONS) fail(`more than ${MAX_LOCATIONS} external-data files`);
          }
        }
        pos += len;
      } else {
        fail(`unsupported protobuf wire type ${wire}`);
      }
      if (pos > end) fail("a field runs past the end of its message");
    }
  };

  // StringStringEntryProto { string key = 1; string value = 2; }
  const entry = (start: number, end: number): [string | undefined, string | undefined] => {
    let pos = start;
    let k: string | undefined;
    let v: string | undefined;
    while (pos < end) {
      let tag: number;
      [tag, pos] = varint(pos, end);
      const wire = tag & 7;
      if (wire !== 2) {
        if (wire === 0) [, pos] = varint(pos, end);
        else if (wire === 1) pos += 8;
        else if (wire === 5) pos += 4;
        else fail(`unsupported protobuf wire type ${wire}`);
        continue;
      }
      let len: number;
      [len, pos] = varint(pos, end);
      if (len > end - pos) fail("a string runs past the end of its message");
      const text = decoder.decode(bytes.subarray(pos, pos + len));
      if (tag >> 3 === 1) k = text;
      else if (tag >> 3 === 2) v = text;
      pos += len;
    }
    return [k, v];
  };

  walk(0, bytes.length, "model", 0);
  return [...found];
}
