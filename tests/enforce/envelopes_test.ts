import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { validateRequest } from "../../src/enforce/mod.ts";

async function refused(p: Promise<unknown>): Promise<MlflowError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MlflowError, String(e));
    return e;
  }
  assert.fail("expected a refusal");
}

const unnamed2 = { inputs: '[{"type": "double"}, {"type": "double"}]' };
const named2 = { inputs: '[{"type": "long", "name": "a"}, {"type": "string", "name": "b"}]' };

Deno.test("an unnamed schema takes a 2-D list over inputs and instances as positional columns", async () => {
  for (const key of ["inputs", "instances"]) {
    const v = await validateRequest(unnamed2, JSON.stringify({ [key]: [[1, 2], [3, 4.5]] }));
    assert.deepEqual(v.columns.map((c) => c.name), ["0", "1"]);
    assert.deepEqual(v.columns[1].values, new Float64Array([2, 4.5]));
    assert.equal(v.format, key);
  }
});

Deno.test("an unnamed schema refuses an object over inputs as MLflow does", async () => {
  const e = await refused(validateRequest(unnamed2, '{"inputs": {"a": [1]}}'));
  assert.equal(e.errorCode, "BAD_REQUEST");
  assert.match(e.message, /un-named {2}model signature/);
});

Deno.test("column-wise inputs need columns of one length", async () => {
  const e = await refused(validateRequest(named2, '{"inputs": {"a": [1, 2], "b": ["x"]}}'));
  assert.equal(e.errorCode, "INVALID_PARAMETER_VALUE");
  assert.match(e.message, /same length/);
  const one = await validateRequest(named2, '{"inputs": {"a": 7, "b": "x"}}');
  assert.equal(one.rows, 1);
});

Deno.test("a list given to a multi-column named schema reports the missing names and the extras", async () => {
  const e = await refused(validateRequest(named2, '{"inputs": [[1, 2]]}'));
  assert.equal(e.errorCode, "INVALID_PARAMETER_VALUE");
  assert.equal(
    e.message,
    "Model is missing inputs ['a', 'b']. Note that there were extra inputs: [0, 1].",
  );
  // MLflow first casts the whole list with the first column's type (long): "x" fails that.
  const cast = await refused(validateRequest(named2, '{"inputs": [[1, "x"]]}'));
  assert.equal(cast.errorCode, "BAD_REQUEST");
  assert.match(cast.message, /"x" in column 1 at row 0 to long/);
});

Deno.test("records missing a key give NaN in double columns and refuse long columns", async () => {
  const sig = {
    inputs: '[{"type": "double", "name": "x"}, {"type": "long", "name": "n", "required": false}]',
  };
  const v = await validateRequest(sig, '{"dataframe_records": [{"x": 1, "n": 1}, {"n": 2}]}');
  assert.deepEqual(Array.from(v.columns[0].values as Float64Array), [1, NaN]);
  assert.deepEqual(v.columns[1].values, new BigInt64Array([1n, 2n]));
  const absent = await validateRequest(sig, '{"dataframe_records": [{"x": 1}, {"x": 2}]}');
  assert.deepEqual(absent.columns.map((c) => c.name), ["x"]);
  const e = await refused(
    validateRequest(sig, '{"dataframe_records": [{"x": 1, "n": 1}, {"x": 2}]}'),
  );
  assert.equal(e.errorCode, "BAD_REQUEST");
  assert.match(e.message, /column "n" at row 1/);
});

Deno.test("named tensors over instances must appear in every record", async () => {
  const sig = {
    inputs:
      '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}, "name": "a"}, {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}, "name": "b"}]',
  };
  const v = await validateRequest(
    sig,
    '{"instances": [{"a": [1, 2], "b": 3}, {"a": [4, 5], "b": 6}]}',
  );
  assert.deepEqual(v.tensors.map((t) => t.shape), [[2, 2], [2]]);
  const e = await refused(
    validateRequest(sig, '{"instances": [{"a": [1, 2], "b": 3}, {"a": [4, 5]}]}'),
  );
  assert.equal(e.errorCode, "BAD_REQUEST");
});

Deno.test("a one-row request with an Array column keeps scalar columns as single values", async () => {
  const sig = {
    inputs:
      '[{"type": "array", "items": {"type": "long"}, "name": "ids", "required": true}, {"type": "double", "name": "w"}]',
  };
  const v = await validateRequest(sig, '{"inputs": {"ids": [1, 2, 3], "w": 0.5}}');
  assert.equal(v.rows, 1);
  assert.deepEqual(v.columns[0].values, [[1, 2, 3]]);
  assert.deepEqual(v.columns[1].values, new Float64Array([0.5]));
});

Deno.test("dataframe_split accepts pandas' index and refuses a wrong-length one", async () => {
  const body = (index: number[]) =>
    JSON.stringify({ dataframe_split: { index, columns: ["a", "b"], data: [[1, "x"], [2, "y"]] } });
  const v = await validateRequest(named2, body([10, 11]));
  assert.equal(v.rows, 2);
  const e = await refused(validateRequest(named2, body([10])));
  assert.equal(e.errorCode, "BAD_REQUEST");
});

Deno.test("a CSV written with pandas' index column drops it as an extra column", async () => {
  const v = await validateRequest(named2, ",a,b\n0,1,x\n1,2,y\n", "text/csv");
  assert.deepEqual(v.columns.map((c) => c.name), ["a", "b"]);
  assert.deepEqual(v.columns[0].values, new BigInt64Array([1n, 2n]));
});

Deno.test("an unnamed schema of mixed types casts an inputs list with the first column's type, as MLflow", async () => {
  const longDouble = { inputs: '[{"type": "long"}, {"type": "double"}]' };
  const ok = await validateRequest(longDouble, '{"inputs": [[1, 0], [2, 1]]}');
  assert.deepEqual(ok.columns.map((c) => c.dtype), ["int64", "float64"]);
  assert.deepEqual(ok.columns[1].values, new Float64Array([0, 1]));
  const e = await refused(validateRequest(longDouble, '{"inputs": [[1, 2]]}'));
  assert.equal(e.errorCode, "INVALID_PARAMETER_VALUE");
  assert.match(e.message, /Can not safely convert int64 to float64/);
  const doubleLong = { inputs: '[{"type": "double"}, {"type": "long"}]' };
  const e2 = await refused(validateRequest(doubleLong, '{"inputs": [[1.5, 2]]}'));
  assert.match(e2.message, /Can not safely convert float64 to int64/);
  const floatDouble = { inputs: '[{"type": "float"}, {"type": "double"}]' };
  const f = await validateRequest(floatDouble, '{"inputs": [[0.1, 0.1]]}');
  assert.equal((f.columns[1].values as Float64Array)[0], Math.fround(0.1));
});
