// A minimal ONNX protobuf writer for test graphs (the onnx Python package is not available to
// the tests). Only the fields these graphs need: ModelProto, GraphProto, NodeProto and
// ValueInfoProto with tensor and sequence types.

/** ONNX TensorProto.DataType numbers. */
export const ELEM = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  double: 11,
};

export type ValueType =
  | { tensor: number; shape: (number | string)[] }
  | { sequenceOf: ValueType };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
}

class Writer {
  bytes: number[] = [];
  varint(n: number) {
    while (n > 127) {
      this.bytes.push((n & 127) | 128);
      n = Math.floor(n / 128);
    }
    this.bytes.push(n);
  }
  tag(field: number, wire: number) {
    this.varint(field * 8 + wire);
  }
  int(field: number, n: number) {
    this.tag(field, 0);
    this.varint(n);
  }
  raw(field: number, data: Uint8Array | number[]) {
    this.tag(field, 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
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

/** Serialises a one-graph ONNX model (opset 13). */
export function onnxModel(graph: {
  nodes: Node[];
  inputs: Record<string, ValueType>;
  outputs: Record<string, ValueType>;
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
      })
    );
    g.str(2, "g");
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
  return new Uint8Array(w.bytes);
}
