// Output element types through real onnxruntime sessions on both backends: a float16 graph
// (Cast from float32) and int64 outputs, built with the test ONNX writer, as predict() returns
// them and as /invocations writes them.
import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { pyFloat, toPyJson } from "../../src/mlmodel/mod.ts";
import { serializePredictions } from "../../src/model/mod.ts";
import { OnnxModel, predictionsValue } from "../../src/runtime/mod.ts";
import { BACKENDS } from "./_bundle.ts";
import { ELEM, onnxModel } from "./_onnx_builder.ts";

const FLAVORS = {
  onnx: { onnx_version: "1.17.0", data: "model.onnx", providers: ["CPUExecutionProvider"] },
  python_function: { loader_module: "mlflow.onnx", data: "model.onnx" },
};

/** h = Cast<float16>(x); j = Identity(i). */
const GRAPH = onnxModel({
  nodes: [
    { op: "Cast", inputs: ["x"], outputs: ["h"], attrs: { to: ELEM.float16 } },
    { op: "Identity", inputs: ["i"], outputs: ["j"] },
  ],
  inputs: { x: { tensor: ELEM.float, shape: ["N"] }, i: { tensor: ELEM.int64, shape: ["N"] } },
  outputs: { h: { tensor: ELEM.float16, shape: ["N"] }, j: { tensor: ELEM.int64, shape: ["N"] } },
});

const X = [0.5, 65504, -2, 0.1, 1e-4, 70000, -0, NaN];

function run(model: OnnxModel, ints: bigint[], kind: "tensors" | "columns" = "tensors") {
  const x = new Float32Array(X.slice(0, ints.length));
  const i = BigInt64Array.from(ints);
  return model.run(
    kind === "tensors"
      ? {
        kind,
        rows: 0,
        columns: [],
        tensors: [
          { name: "x", dtype: "float32", shape: [x.length], values: x },
          { name: "i", dtype: "int64", shape: [i.length], values: i },
        ],
      }
      : {
        kind,
        rows: x.length,
        tensors: [],
        columns: [{ name: "x", dtype: "float32", values: x }, {
          name: "i",
          dtype: "int64",
          values: i,
        }],
      },
  );
}

for (const [backendName, makeBackend] of BACKENDS) {
  Deno.test(`${backendName}: float16 outputs come back as their values`, async () => {
    const model = await OnnxModel.create(new Map([["model.onnx", GRAPH]]), FLAVORS, {
      backend: await makeBackend(),
    });
    try {
      const p = await run(model, X.map((_, k) => BigInt(k)));
      const h = (predictionsValue(p) as { h: number[] }).h;
      // Cast rounds float32 to the nearest half: what Math.f16round computes.
      assert.deepEqual(h, X.map((v) => Math.f16round(v)));
      assert.deepEqual(h.slice(0, 3), [0.5, 65504, -2]);
      assert.equal(h[5], Infinity); // 70000 is past float16's largest finite value
      // MLflow writes numpy float16 through float(): the double's repr.
      const text = serializePredictions(p, true);
      const want = X.map((v) => pyFloat(Math.f16round(v))).join(", ");
      assert.ok(text.startsWith(`{"predictions": {"h": [${want}], "j": `), text);
      assert.ok(want.startsWith("0.5, 65504.0, -2.0, 0.0999755859375, "), want);
      assert.ok(want.endsWith(", Infinity, -0.0, NaN"), want);
    } finally {
      await model.release();
    }
  });

  Deno.test(`${backendName}: int64 outputs are numbers when all are safe, else all bigint`, async () => {
    const model = await OnnxModel.create(new Map([["model.onnx", GRAPH]]), FLAVORS, {
      backend: await makeBackend(),
    });
    try {
      const safe = predictionsValue(await run(model, [1n, -2n, 3n])) as { j: unknown[] };
      assert.deepEqual(safe.j, [1, -2, 3]);
      assert.equal(JSON.stringify(safe.j), "[1,-2,3]");

      const big = 2n ** 53n + 1n;
      const p = await run(model, [1n, big, -3n]);
      const wide = predictionsValue(p) as { j: unknown[] };
      assert.deepEqual(wide.j, [1n, big, -3n]);
      assert.ok(wide.j.every((v) => typeof v === "bigint"), "one type per output");
      // The JSON path: MLflow's exact digits.
      assert.match(toPyJson(wide), /"j": \[1, 9007199254740993, -3\]/);
      assert.match(serializePredictions(p, true), /"j": \[1, 9007199254740993, -3\]/);

      const rows = predictionsValue(await run(model, [1n, big], "columns")) as {
        j: unknown;
      }[];
      assert.deepEqual(rows.map((r) => typeof r.j), ["bigint", "bigint"]);
    } finally {
      await model.release();
    }
  });

  Deno.test(`${backendName}: onnxruntime's load errors carry no C++ source paths`, async () => {
    const graph = onnxModel({
      nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
      inputs: { x: { tensor: ELEM.float, shape: ["N"] } },
      outputs: { z: { tensor: ELEM.float, shape: ["N"] } }, // not produced by any node
    });
    const future = GRAPH.slice();
    assert.equal(future[0], 0x08); // field 1 (ir_version), varint
    future[1] = 99;
    for (
      const [bytes, want] of [[graph, /Graph output \(z\) does not exist/], [
        future,
        /Unsupported model IR version: 99/,
      ]] as const
    ) {
      await assert.rejects(
        OnnxModel.create(new Map([["model.onnx", bytes]]), FLAVORS, {
          backend: await makeBackend(),
        }),
        (err) => {
          assert.ok(err instanceof MlflowError);
          assert.match(err.message, want);
          assert.doesNotMatch(err.message, /\.(cc|h|cpp):\d+|onnxruntime::|\/onnxruntime/);
          assert.doesNotMatch(err.message, /ERROR_CODE|ERROR_MESSAGE/);
          return true;
        },
      );
    }
  });
}
