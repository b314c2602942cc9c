// A minimal ONNX protobuf writer for test and benchmark graphs (the onnx Python package is not
// available to the tests). Only the fields these graphs need: ModelProto, GraphProto, NodeProto
// with int/ints/float attributes, ValueInfoProto with tensor and sequence types, and float
// initializers, inline or as external data (as onnx's save_as_external_data writes them).

/** ONNX TensorProto.DataType numbers. */
export const ELEM = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  double: 11,
};

export type ValueType =
  | { tensor: number; shape: (number | string)[] }
  | { sequenceOf: ValueType };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Attributes: an integer, a list of integers, or a float (written as `{ float: x }`). */
  attrs?: Record<string, number | number[] | { float: number }>;
}

/** A float32 initializer; `external` places its bytes in an external-data file instead. */
export interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array;
  external?: { location: string; offset: number };
}

class Writer {
  // A growable byte buffer: a number[] cannot hold the 200 MB initializers of the big bench models.
  #buf = new Uint8Array(64);
  #length = 0;
  get bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }
  #reserve(n: number) {
    if (this.#length + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#length + n));
    grown.set(this.bytes);
    this.#buf = grown;
  }
  byte(b: number) {
    this.#reserve(1);
    this.#buf[this.#length++] = b;
  }
  varint(n: number) {
    while (n > 127) {
      this.byte((n & 127) | 128);
      n = Math.floor(n / 128);
    }
    this.byte(n);
  }
  tag(field: number, wire: number) {
    this.varint(field * 8 + wire);
  }
  int(field: number, n: number) {
    this.tag(field, 0);
    this.varint(n);
  }
  raw(field: number, data: Uint8Array) {
    this.tag(field, 2);
    this.varint(data.length);
    this.#reserve(data.length);
    this.#buf.set(data, this.#length);
    this.#length += data.length;
  }
  str(field: number, s: string) {
    this.raw(field, new TextEncoder().encode(s));
  }
  msg(field: number, build: (w: Writer) => void) {
    const w = new Writer();
    build(w);
    this.raw(field, w.bytes);
  }
}

function writeType(w: Writer, t: ValueType) {
  if ("tensor" in t) {
    w.msg(1, (tt) => {
      tt.int(1, t.tensor);
      tt.msg(2, (shape) => {
        for (const d of t.shape) {
          shape.msg(1, (dim) => typeof d === "number" ? dim.int(1, d) : dim.str(2, d));
        }
      });
    });
  } else {
    w.msg(4, (seq) => seq.msg(1, (inner) => writeType(inner, t.sequenceOf)));
  }
}

function writeAttr(w: Writer, name: string, value: NonNullable<Node["attrs"]>[string]) {
  w.str(1, name);
  if (typeof value === "number") {
    w.int(3, value);
    w.int(20, 2); // INT
  } else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, 7); // INTS
  } else {
    w.tag(2, 5);
    const f = new Uint8Array(new Float32Array([value.float]).buffer);
    for (const b of f) w.byte(b);
    w.int(20, 1); // FLOAT
  }
}

function writeInitializer(w: Writer, t: Initializer) {
  for (const d of t.dims) w.int(1, d);
  w.int(2, ELEM.float);
  w.str(8, t.name);
  if (t.external) {
    const entry = (key: string, value: string) =>
      w.msg(13, (e) => {
        e.str(1, key);
        e.str(2, value);
      });
    entry("location", t.external.location);
    entry("offset", String(t.external.offset));
    entry("length", String(t.data.byteLength));
    w.int(14, 1); // data_location: EXTERNAL
  } else {
    w.raw(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
}

/** Serialises a one-graph ONNX model (opset 13). */
export function onnxModel(graph: {
  nodes: Node[];
  inputs: Record<string, ValueType>;
  outputs: Record<string, ValueType>;
  initializers?: Initializer[];
}): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.str(2, "mlflow-edge-tests"); // producer_name
  w.msg(7, (g) => {
    graph.nodes.forEach((n, i) =>
      g.msg(1, (node) => {
        for (const x of n.inputs) node.str(1, x);
        for (const y of n.outputs) node.str(2, y);
        node.str(3, `n${i}`);
        node.str(4, n.op);
        for (const [name, value] of Object.entries(n.attrs ?? {})) {
          node.msg(5, (a) => writeAttr(a, name, value));
        }
      })
    );
    g.str(2, "g");
    for (const t of graph.initializers ?? []) g.msg(5, (tw) => writeInitializer(tw, t));
    for (const [name, t] of Object.entries(graph.inputs)) {
      g.msg(11, (v) => {
        v.str(1, name);
        v.msg(2, (tw) => writeType(tw, t));
      });
    }
    for (const [name, t] of Object.entries(graph.outputs)) {
      g.msg(12, (v) => {
        v.str(1, name);
        v.msg(2, (tw) => writeType(tw, t));
      });
    }
  });
  w.msg(8, (o) => {
    o.str(1, "");
    o.int(2, 13);
  });
  return w.bytes.slice();
}
