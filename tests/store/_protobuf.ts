// A tiny protobuf writer for crafting ONNX models in tests (length-delimited fields only).

export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** A length-delimited field: tag (field << 3 | 2), length, payload. */
export function field(num: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return new Uint8Array([...varint((num << 3) | 2), ...varint(bytes.length), ...bytes]);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => [...p]));
}

/** TensorProto with external_data location entries (field 13: {key=1, value=2}). */
export function externalTensor(location: string): Uint8Array {
  return concat(
    field(8, "w"), // name
    field(13, concat(field(1, "location"), field(2, location))),
    field(13, concat(field(1, "offset"), field(2, "0"))),
  );
}

/** ModelProto { graph (7) { initializer (5) ... } } with one external tensor per location. */
export function modelWithExternal(...locations: string[]): Uint8Array {
  const graph = concat(...locations.map((l) => field(5, externalTensor(l))));
  return concat(new Uint8Array([0x08, 0x07]), field(7, graph)); // ir_version = 7, graph
}
