import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { type ModelInput, OnnxModel, predictionsValue, webBackend } from "../../src/runtime/mod.ts";
import { assertClose, BACKENDS, flavorsOf, golden, readBundle } from "./_bundle.ts";
import { ELEM, onnxModel } from "./_onnx_builder.ts";

const IRIS_COLUMNS = [
  "sepal length (cm)",
  "sepal width (cm)",
  "petal length (cm)",
  "petal width (cm)",
];

function irisColumns(rows: number[][], dtype: "float64" | "int64" = "float64"): ModelInput {
  return {
    kind: "columns",
    rows: rows.length,
    tensors: [],
    columns: IRIS_COLUMNS.map((name, j) => ({
      name,
      dtype,
      values: dtype === "float64"
        ? Float64Array.from(rows.map((r) => r[j]))
        : BigInt64Array.from(rows.map((r) => BigInt(r[j]))),
    })),
  };
}

/** A two-input graph y = a + b, plus a sequence output that is not a tensor. */
const TWO_INPUTS = onnxModel({
  nodes: [
    { op: "Add", inputs: ["a", "b"], outputs: ["y"] },
    { op: "SequenceConstruct", inputs: ["a", "b"], outputs: ["both"] },
  ],
  inputs: { a: { tensor: ELEM.float, shape: ["N"] }, b: { tensor: ELEM.float, shape: ["N"] } },
  outputs: {
    y: { tensor: ELEM.float, shape: ["N"] },
    both: { sequenceOf: { tensor: ELEM.float, shape: ["N"] } },
  },
});

for (const [backendName, makeBackend] of BACKENDS) {
  Deno.test(`the ${backendName} backend answers the iris dataframe cases like MLflow`, async () => {
    const files = await readBundle("iris_mlp_onnx");
    const model = await OnnxModel.create(files, flavorsOf(files), {
      backend: await makeBackend(),
    });
    assert.equal(model.backendName, backendName);
    const g = await golden("iris_mlp_onnx");
    for (const name of ["dataframe_split_3rows", "dataframe_split_1row"]) {
      const c = g.cases.find((x: { name: string }) => x.name === name);
      const p = await model.run(irisColumns(c.request.dataframe_split.data));
      assert.equal(p.layout, "records");
      assertClose(predictionsValue(p), c.mlflow_response.body.predictions, name);
    }
    await model.release();
  });

  Deno.test(`the ${backendName} backend answers mnist tensors as a dict of nested arrays`, async () => {
    const files = await readBundle("mnist_cnn_onnx");
    const model = await OnnxModel.create(files, flavorsOf(files), {
      backend: await makeBackend(),
    });
    const g = await golden("mnist_cnn_onnx");
    const c = g.cases.find((x: { name: string }) => x.name === "inputs_2_images");
    const image = c.native_inputs.image;
    const p = await model.run({
      kind: "tensors",
      rows: 0,
      columns: [],
      tensors: [{
        name: null,
        dtype: "uint8",
        shape: image.shape,
        values: Uint8Array.from(image.data.flat(3) as number[]),
      }],
    });
    assert.equal(p.layout, "dict");
    assertClose(predictionsValue(p), c.mlflow_response.body.predictions);
    await model.release();
  });

  Deno.test(`the ${backendName} backend refuses an int64 matrix for a float input with MLflow's 400`, async () => {
    const files = await readBundle("iris_mlp_onnx");
    const model = await OnnxModel.create(files, flavorsOf(files), {
      backend: await makeBackend(),
    });
    await assert.rejects(model.run(irisColumns([[5, 3, 1, 0]], "int64")), (err) => {
      assert.ok(err instanceof MlflowError);
      assert.equal(err.status, 400);
      assert.equal(err.errorCode, "BAD_REQUEST");
      assert.match(err.message, /^Encountered an unexpected error while evaluating the model\./);
      assert.match(err.message, /tensor\(int64\)/);
      return true;
    });
    await model.release();
  });

  Deno.test(`the ${backendName} backend feeds a multi-input graph one column per input name`, async () => {
    const warnings: string[] = [];
    const model = await OnnxModel.create(
      new Map([["model.onnx", TWO_INPUTS]]),
      { onnx: { data: "model.onnx" } },
      { backend: await makeBackend(), log: (m) => warnings.push(m) },
    );
    assert.deepEqual(model.outputNames, ["y"]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /"both".*not a tensor/);
    const p = await model.run({
      kind: "columns",
      rows: 2,
      tensors: [],
      columns: [
        { name: "b", dtype: "float64", values: new Float64Array([10, 20]) },
        { name: "extra", dtype: "str", values: ["x", "y"] },
        { name: "a", dtype: "float64", values: new Float64Array([1.5, 2.5]) },
      ],
    });
    assert.deepEqual(predictionsValue(p), [{ y: 11.5 }, { y: 22.5 }]);
    await model.release();
  });

  Deno.test(`the ${backendName} backend answers 500 for an unnamed tensor and a two-input graph`, async () => {
    const model = await OnnxModel.create(
      new Map([["model.onnx", TWO_INPUTS]]),
      { python_function: { loader_module: "mlflow.onnx", data: "model.onnx" } },
      { backend: await makeBackend(), log: () => {} },
    );
    const input: ModelInput = {
      kind: "tensors",
      rows: 0,
      columns: [],
      tensors: [{ name: null, dtype: "float32", shape: [2], values: new Float32Array(2) }],
    };
    await assert.rejects(model.run(input), (err) => {
      assert.ok(err instanceof MlflowError);
      assert.equal(err.status, 500);
      assert.equal(err.errorCode, "INTERNAL_ERROR");
      assert.match(err.message, /requires 2 inputs.*\['a', 'b'\]/);
      return true;
    });
    const named = await model.run({
      kind: "tensors",
      rows: 0,
      columns: [],
      tensors: [
        { name: "a", dtype: "float64", shape: [1], values: new Float64Array([1]) },
        { name: "b", dtype: "float32", shape: [1], values: new Float32Array([2]) },
      ],
    });
    assert.deepEqual(predictionsValue(named), { y: [3] });
    await model.release();
  });
}

Deno.test("the pytorch bundle is refused with an error naming its flavor", async () => {
  const files = await readBundle("iris_mlp_pytorch");
  await assert.rejects(
    OnnxModel.create(files, flavorsOf(files), { backend: webBackend() }),
    (err) => {
      assert.ok(err instanceof MlflowError);
      assert.equal(err.status, 400);
      assert.match(err.message, /flavor "pytorch"/);
      assert.match(err.message, /loader_module "mlflow\.pytorch"/);
      assert.match(err.message, /mlflow\.onnx\.log_model/);
      return true;
    },
  );
});

Deno.test("a bundle without its external-data file cannot be loaded", async () => {
  const files = await readBundle("iris_mlp_onnx");
  for (const key of [...files.keys()]) if (/^[0-9a-f-]{36}$/.test(key)) files.delete(key);
  await assert.rejects(
    OnnxModel.create(files, flavorsOf(files), { backend: webBackend() }),
    (err) =>
      err instanceof MlflowError &&
      /names external data "[0-9a-f-]{36}", which is not a file of the model directory/.test(
        err.message,
      ),
  );
});

Deno.test("a missing model file is reported with its name", async () => {
  await assert.rejects(
    OnnxModel.create(new Map(), { onnx: { data: "model.onnx" } }),
    (err) => err instanceof MlflowError && err.status === 404 && /"model\.onnx"/.test(err.message),
  );
});

Deno.test("concurrent session creations with external data all succeed on the web backend", async () => {
  const files = await readBundle("iris_mlp_onnx");
  const backend = webBackend();
  // Start creations at staggered moments (microtask turns and timer ticks), so that their
  // awaits interleave.
  const models = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      for (let k = 0; k < i; k++) await Promise.resolve();
      if (i % 2) await new Promise((r) => setTimeout(r, i));
      return OnnxModel.create(files, flavorsOf(files), { backend });
    }),
  );
  assert.equal(models.length, 12);
  for (const m of models) await m.release();
});
