import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { inferSignature, PyFloat } from "../../src/mlmodel/mod.ts";

Deno.test("spec example A: a float32 (2, 4) tensor gives an unnamed [-1, 4] float32 tensor spec", () => {
  const x = { data: new Float32Array(8), shape: [2, 4] };
  const sig = inferSignature(x, x);
  const t = '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]';
  assert.deepStrictEqual(sig.toDict(), { inputs: t, outputs: t, params: null });
});

Deno.test("spec example B: rows with a float and an int column", () => {
  const sig = inferSignature([{ a: 1.5, b: 3 }, { a: 2.0, b: 4 }], [{ ya: new PyFloat(1), yb: 2 }]);
  assert.equal(
    sig.toDict().inputs,
    '[{"type": "double", "name": "a", "required": true}, {"type": "long", "name": "b", "required": true}]',
  );
  assert.equal(
    sig.toDict().outputs,
    '[{"type": "double", "name": "ya", "required": true}, {"type": "long", "name": "yb", "required": true}]',
  );
});

Deno.test("spec example C: a missing value makes a column optional; params infer like MLflow", () => {
  const rows = [
    { text: "hello", score: 0.5, when: new Date("2024-01-01T00:00:00Z") },
    { text: "world", score: NaN, when: new Date("2024-01-02T00:00:00Z") },
  ];
  const sig = inferSignature(rows, rows, { temperature: 0.7, max_tokens: 16, stop: ["\n"] });
  // Exactly the strings of spec example C's MLmodel.
  assert.equal(
    sig.toDict().inputs,
    '[{"type": "string", "name": "text", "required": true}, {"type": "double", "name": "score", "required": false}, {"type": "datetime", "name": "when", "required": true}]',
  );
  assert.equal(
    sig.toDict().params,
    '[{"name": "temperature", "default": 0.7, "shape": null, "type": "double"}, {"name": "max_tokens", "default": 16, "shape": null, "type": "long"}, {"name": "stop", "default": ["\\n"], "shape": [-1], "type": "string"}]',
  );
});

Deno.test("an object of columns gives one named column per key", () => {
  const sig = inferSignature({
    a: [1, 2],
    b: ["x", null],
    c: [[1], [2, 3]],
    d: [{ x: 1 }, { y: "s" }],
  });
  assert.equal(
    sig.inputs!.toJSON(),
    '[{"type": "long", "name": "a", "required": true}, {"type": "string", "name": "b", "required": false}, ' +
      '{"type": "array", "items": {"type": "long"}, "name": "c", "required": true}, ' +
      '{"type": "object", "properties": {"x": {"type": "long", "required": false}, "y": {"type": "string", "required": false}}, "name": "d", "required": true}]',
  );
});

Deno.test("rows lacking a key make that column optional", () => {
  const sig = inferSignature([{ a: 1, b: true }, { a: 2 }]);
  assert.deepStrictEqual(sig.inputs!.optionalInputNames(), ["b"]);
  assert.equal(
    sig.inputs!.toJSON(),
    '[{"type": "long", "name": "a", "required": true}, {"type": "boolean", "name": "b", "required": false}]',
  );
});

Deno.test("typed arrays, nested arrays and tensor maps give tensor specs", () => {
  assert.equal(
    inferSignature(new Uint8Array(28 * 28)).inputs!.toJSON(),
    '[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1]}}]',
  );
  assert.equal(
    inferSignature({ data: new Uint8Array(2 * 28 * 28), shape: [2, 28, 28, 1] }).inputs!.toJSON(),
    '[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 28, 28, 1]}}]',
  );
  assert.equal(
    inferSignature([[1, 2], [3, 4.5]]).inputs!.toJSON(),
    '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]',
  );
  assert.equal(
    inferSignature([[1, 2], [3, 4]]).inputs!.toJSON(),
    '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 2]}}]',
  );
  assert.equal(
    inferSignature({ a: new Float64Array(3), b: { data: new BigInt64Array(6), shape: [3, 2] } })
      .inputs!.toJSON(),
    '[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}, ' +
      '{"name": "b", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 2]}}]',
  );
});

Deno.test("scalars, lists of scalars and empty lists give unnamed columns", () => {
  assert.equal(
    inferSignature(["a", "b"]).inputs!.toJSON(),
    '[{"type": "string", "required": true}]',
  );
  assert.equal(inferSignature([1, 2.5]).inputs!.toJSON(), '[{"type": "double", "required": true}]');
  assert.equal(inferSignature([]).inputs!.toJSON(), '[{"type": "string", "required": true}]');
  assert.equal(inferSignature(true).inputs!.toJSON(), '[{"type": "boolean", "required": true}]');
  assert.equal(
    inferSignature({ q: "hi", n: 2 }).inputs!.toJSON(),
    '[{"type": "string", "name": "q", "required": true}, {"type": "long", "name": "n", "required": true}]',
  );
});

Deno.test("inference failures fall back to MLflow's Any schema", () => {
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (m: string) => warnings.push(m);
  try {
    assert.equal(inferSignature([1, "a"]).inputs!.toJSON(), '[{"type": "any", "required": true}]');
    assert.equal(
      inferSignature([[1], [2, 3]]).inputs!.toJSON(),
      '[{"type": "any", "required": true}]',
    );
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /same type/);
});

Deno.test("params: typed arrays, objects, datetimes; None and nested lists are refused", () => {
  const sig = inferSignature(null, undefined, {
    w: new Float32Array([0.5, 1]),
    cfg: { k: 1, name: "x" },
    at: new Date("2023-06-26T00:00:00Z"),
    flag: false,
  });
  assert.equal(sig.inputs, null);
  assert.equal(
    sig.toDict().params,
    '[{"name": "w", "default": [0.5, 1.0], "shape": [-1], "type": "float"}, ' +
      '{"name": "cfg", "default": {"k": 1, "name": "x"}, "shape": null, "type": "object", "properties": {"k": {"type": "long", "required": true}, "name": {"type": "string", "required": true}}}, ' +
      '{"name": "at", "default": "2023-06-26T00:00:00", "shape": null, "type": "datetime"}, ' +
      '{"name": "flag", "default": false, "shape": null, "type": "boolean"}]',
  );
  assert.throws(() => inferSignature([1], undefined, { p: null }), (e: unknown) => {
    assert.ok(e instanceof MlflowError);
    assert.match(e.message, /parameter 'p'/);
    return true;
  });
  assert.throws(() => inferSignature([1], undefined, { p: [[1]] }), /only 1-D lists/);
});
