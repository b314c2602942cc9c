import assert from "node:assert/strict";
import { shapePredictions } from "../../src/runtime/mod.ts";
import { formatPyFloat, pyFloat, pyString, toPyJson } from "../../src/mlmodel/mod.ts";
import { serializePredictions } from "../../src/model/mod.ts";

Deno.test("floats are written in Python's repr form", () => {
  assert.equal(pyFloat(1), "1.0");
  assert.equal(pyFloat(-2), "-2.0");
  assert.equal(pyFloat(0), "0.0");
  assert.equal(pyFloat(-0), "-0.0");
  assert.equal(pyFloat(0.1), "0.1");
  assert.equal(pyFloat(0.0001), "0.0001");
  assert.equal(pyFloat(0.00001), "1e-05");
  assert.equal(pyFloat(1.5e-7), "1.5e-07");
  assert.equal(pyFloat(4.073565287399106e-05), "4.073565287399106e-05");
  assert.equal(pyFloat(1.2630649530562168e-14), "1.2630649530562168e-14");
  assert.equal(pyFloat(1e16), "1e+16");
  assert.equal(pyFloat(9999999999999998), "9999999999999998.0");
  assert.equal(pyFloat(1.5e300), "1.5e+300");
  assert.equal(pyFloat(123456.789), "123456.789");
});

Deno.test("NaN and infinities are written as Python's bare tokens", () => {
  assert.equal(pyFloat(NaN), "NaN");
  assert.equal(pyFloat(Infinity), "Infinity");
  assert.equal(pyFloat(-Infinity), "-Infinity");
  const p = shapePredictions("columns", [
    { name: "y", type: "float32", dims: [3], data: new Float32Array([NaN, Infinity, -Infinity]) },
  ]);
  assert.equal(
    serializePredictions(p),
    '{"predictions": [{"y": NaN}, {"y": Infinity}, {"y": -Infinity}]}',
  );
});

Deno.test("float32 values are widened to the double they are", () => {
  const p = shapePredictions("tensors", [
    { name: "y", type: "float32", dims: [1, 1], data: new Float32Array([0.1]) },
  ]);
  assert.equal(serializePredictions(p), '{"predictions": {"y": [[0.10000000149011612]]}}');
});

Deno.test("records hold one row per element of every output, keyed by output name", () => {
  const p = shapePredictions("columns", [
    { name: "label", type: "int64", dims: [2], data: new BigInt64Array([1n, 9007199254740993n]) },
    { name: "ok", type: "bool", dims: [2], data: new Uint8Array([1, 0]) },
    { name: "name", type: "string", dims: [2], data: ["a", 'q"é'] },
  ]);
  assert.equal(
    serializePredictions(p),
    '{"predictions": [{"label": 1, "ok": true, "name": "a"}, ' +
      '{"label": 9007199254740993, "ok": false, "name": "q\\"\\u00e9"}]}',
  );
});

Deno.test("dict outputs keep their shape as nested lists, scalars stay scalars", () => {
  const p = shapePredictions("tensors", [
    { name: "m", type: "int32", dims: [2, 2], data: new Int32Array([1, 2, 3, 4]) },
    { name: "s", type: "float64", dims: [], data: new Float64Array([2]) },
  ]);
  assert.equal(serializePredictions(p), '{"predictions": {"m": [[1, 2], [3, 4]], "s": 2.0}}');
  assert.equal(serializePredictions(p, false), '{"m": [[1, 2], [3, 4]], "s": 2.0}');
});

Deno.test("outputs of different sizes cannot form records", () => {
  assert.throws(() =>
    shapePredictions("columns", [
      { name: "a", type: "float32", dims: [2], data: new Float32Array(2) },
      { name: "b", type: "float32", dims: [3], data: new Float32Array(3) },
    ]), /different sizes/);
});

Deno.test("any JSON value is written with Python's separators and escapes", () => {
  assert.equal(
    toPyJson({ a: [1, 2.5, NaN, null], b: { c: "x\n" }, d: true, e: 10n }),
    '{"a": [1, 2.5, NaN, null], "b": {"c": "x\\n"}, "d": true, "e": 10}',
  );
  assert.equal(pyString("plain"), '"plain"');
  assert.equal(pyString("\u0001"), '"\\u0001"');
});

Deno.test("the fast float notation agrees with the reference repr on many values", () => {
  // Deterministic spread over magnitudes, signs and float32 rounding.
  const values: number[] = [0, -0, 1, -1, 1e16, 1e21, 1e-7, 1.5e-5, 9.99e-5, 1e-4, 123.5, 5e-324];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 20000; i++) {
    const v = (random() - 0.5) * 10 ** Math.floor(random() * 60 - 30);
    values.push(v, Math.fround(v), Math.round(v));
  }
  const f64 = shapePredictions("columns", [
    { name: "y", type: "float64", dims: [values.length], data: Float64Array.from(values) },
  ]);
  const text = serializePredictions(f64);
  const expected = `{"predictions": [${
    values.map((v) => `{"y": ${formatPyFloat(v)}}`).join(", ")
  }]}`;
  assert.equal(text, expected);
});
