import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { buildFeeds, commonDtype, type GraphValueInfo } from "../../src/runtime/mod.ts";

const floatInput: GraphValueInfo[] = [{
  name: "x",
  isTensor: true,
  type: "float32",
  shape: ["N", 2],
}];
const doubleInput: GraphValueInfo[] = [{
  name: "x",
  isTensor: true,
  type: "float64",
  shape: ["N", 2],
}];

Deno.test("commonDtype follows numpy's promotion for numeric columns", () => {
  assert.equal(commonDtype(["float64", "float64"]), "float64");
  assert.equal(commonDtype(["int64", "float32"]), "float64");
  assert.equal(commonDtype(["int16", "float32"]), "float32");
  assert.equal(commonDtype(["uint8", "float16"]), "float16");
  assert.equal(commonDtype(["int8", "int64"]), "int64");
  assert.equal(commonDtype(["uint8", "int8"]), "int16");
  assert.equal(commonDtype(["uint32", "int32"]), "int64");
  assert.equal(commonDtype(["uint64", "int64"]), "float64");
  assert.equal(commonDtype(["uint8", "uint32"]), "uint32");
});

Deno.test("commonDtype gives object for booleans or text mixed with numbers", () => {
  assert.equal(commonDtype(["bool", "int64"]), "object");
  assert.equal(commonDtype(["str", "float64"]), "object");
  assert.equal(commonDtype(["datetime64[ns]", "int64"]), "object");
  assert.equal(commonDtype(["str", "str"]), "str");
});

Deno.test("a one-input graph gets all columns as one row-major matrix", () => {
  const feeds = buildFeeds({
    kind: "columns",
    rows: 2,
    tensors: [],
    columns: [
      { name: "a", dtype: "float64", values: new Float64Array([1, 2]) },
      { name: "b", dtype: "int64", values: new BigInt64Array([10n, 20n]) },
    ],
  }, floatInput);
  assert.deepEqual(feeds.x.dims, [2, 2]);
  assert.equal(feeds.x.type, "float32");
  assert.deepEqual([...feeds.x.data], [1, 10, 2, 20]);
});

Deno.test("float64 stays float64 for a double graph input", () => {
  const feeds = buildFeeds({
    kind: "columns",
    rows: 1,
    tensors: [],
    columns: [
      { name: "a", dtype: "float64", values: new Float64Array([0.1]) },
      { name: "b", dtype: "float64", values: new Float64Array([0.2]) },
    ],
  }, doubleInput);
  assert.equal(feeds.x.type, "float64");
  assert.ok(feeds.x.data instanceof Float64Array);
  assert.deepEqual([...feeds.x.data], [0.1, 0.2]);
});

Deno.test("integer columns are not cast for a float input (onnxruntime refuses them)", () => {
  const feeds = buildFeeds({
    kind: "columns",
    rows: 1,
    tensors: [],
    columns: [
      { name: "a", dtype: "int32", values: new Int32Array([1]) },
      { name: "b", dtype: "int64", values: new BigInt64Array([2n]) },
    ],
  }, floatInput);
  assert.equal(feeds.x.type, "int64");
  assert.deepEqual([...feeds.x.data], [1n, 2n]);
});

Deno.test("a tensor that views a larger buffer is copied before it is fed", () => {
  const shared = new Float32Array(16);
  shared.set([1, 2], 4);
  const view = shared.subarray(4, 6);
  const feeds = buildFeeds({
    kind: "tensors",
    rows: 0,
    columns: [],
    tensors: [{ name: null, dtype: "float32", shape: [1, 2], values: view }],
  }, floatInput);
  assert.notEqual(feeds.x.data, view);
  shared.fill(9);
  assert.deepEqual([...feeds.x.data], [1, 2]);
});

Deno.test("a tensor that owns its buffer is fed without a copy", () => {
  const values = new Float32Array([1, 2]);
  const feeds = buildFeeds({
    kind: "tensors",
    rows: 0,
    columns: [],
    tensors: [{ name: "x", dtype: "float32", shape: [1, 2], values }],
  }, floatInput);
  assert.equal(feeds.x.data, values);
});

Deno.test("text columns form a string matrix", () => {
  const feeds = buildFeeds({
    kind: "columns",
    rows: 2,
    tensors: [],
    columns: [
      { name: "a", dtype: "str", values: ["p", "q"] },
      { name: "b", dtype: "str", values: ["r", "s"] },
    ],
  }, [{ name: "x", isTensor: true, type: "string", shape: ["N", 2] }]);
  assert.equal(feeds.x.type, "string");
  assert.deepEqual(feeds.x.data, ["p", "r", "q", "s"]);
});

Deno.test("columns that mix booleans and numbers are refused with MLflow's 400", () => {
  assert.throws(
    () =>
      buildFeeds({
        kind: "columns",
        rows: 1,
        tensors: [],
        columns: [
          { name: "a", dtype: "bool", values: new Uint8Array([1]) },
          { name: "b", dtype: "float64", values: new Float64Array([2]) },
        ],
      }, floatInput),
    (err) =>
      err instanceof MlflowError && err.status === 400 && err.errorCode === "BAD_REQUEST" &&
      /object matrix/.test(err.message),
  );
});

Deno.test("a multi-input graph needs a column named for every input", () => {
  assert.throws(
    () =>
      buildFeeds({
        kind: "columns",
        rows: 1,
        tensors: [],
        columns: [{ name: "a", dtype: "float64", values: new Float64Array([1]) }],
      }, [
        { name: "a", isTensor: true, type: "float32", shape: ["N"] },
        { name: "b", isTensor: true, type: "float32", shape: ["N"] },
      ]),
    (err) => err instanceof MlflowError && err.status === 400 && /no column "b"/.test(err.message),
  );
});

Deno.test("named tensors with an unknown name are refused", () => {
  assert.throws(
    () =>
      buildFeeds({
        kind: "tensors",
        rows: 0,
        columns: [],
        tensors: [{ name: "z", dtype: "float32", shape: [1], values: new Float32Array(1) }],
      }, floatInput),
    (err) => err instanceof MlflowError && err.status === 400 && /"z"/.test(err.message),
  );
});
