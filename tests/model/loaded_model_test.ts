import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { MlflowError } from "../../src/errors.ts";
import { loadModel } from "../../src/model/mod.ts";
import { copy } from "../server/_copy.ts";
import { bundlePath } from "../server/_server.ts";

/** A copy of the iris bundle with another serving input example (and optionally no signature). */
async function irisWithExample(example: string, dropSignature = false): Promise<string> {
  const dir = await Deno.makeTempDir();
  await copy(bundlePath("iris_mlp_onnx"), dir);
  await Deno.writeTextFile(`${dir}/serving_input_example.json`, example);
  if (dropSignature) {
    const mlmodel = parse(await Deno.readTextFile(`${dir}/MLmodel`));
    delete mlmodel.signature;
    await Deno.writeTextFile(`${dir}/MLmodel`, stringify(mlmodel));
  }
  return dir;
}

Deno.test("a model that fails on its own serving input example does not load", async () => {
  // No signature: integer JSON stays int64, which the float graph input refuses.
  const dir = await irisWithExample('{"inputs": [[5, 3, 1, 0]]}', true);
  try {
    await assert.rejects(loadModel(dir), (err) => {
      assert.ok(err instanceof MlflowError);
      assert.match(
        err.message,
        /fails on its own serving input example "serving_input_example\.json"/,
      );
      assert.match(err.message, /tensor\(int64\)/);
      assert.equal(err.status, 400);
      return true;
    });
    const unchecked = await loadModel(dir, { selfCheck: false });
    await unchecked.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an example the signature refuses is reported but does not block loading", async () => {
  const dir = await irisWithExample(
    '{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [["x", 3.5, 1.4, 0.2]]}}',
  );
  const warnings: string[] = [];
  try {
    const model = await loadModel(dir, { log: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /refused by its signature/);
    const out = await model.predict(
      await Deno.readTextFile(`${bundlePath("iris_mlp_onnx")}/serving_input_example.json`),
    ) as {
      predictions: unknown[];
    };
    assert.equal(out.predictions.length, 3);
    await model.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("close waits for predictions in flight, later ones are refused", async () => {
  const model = await loadModel(bundlePath("iris_mlp_onnx"));
  const body = await Deno.readTextFile(`${bundlePath("iris_mlp_onnx")}/serving_input_example.json`);
  const inFlight = model.predict(body);
  const closing = model.close();
  assert.ok(await inFlight);
  await closing;
  await assert.rejects(
    model.predict(body),
    (err) => err instanceof MlflowError && err.status === 503,
  );
});

Deno.test("a load reports its stages, which add up to the whole load", async () => {
  for (const selfCheck of [true, false]) {
    const model = await loadModel(bundlePath("iris_mlp_onnx"), { selfCheck, backend: "web" });
    try {
      const t = model.loadTimings;
      const stages = [t.backend, t.fetch, t.mlmodel, t.session, t.signature, t.selfCheck];
      for (const ms of stages) assert.ok(ms >= 0 && Number.isFinite(ms), String(ms));
      assert.ok(t.session > 0, "creating the session takes time");
      const sum = stages.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - t.total) < 1e-6, `${sum} vs ${t.total}`);
    } finally {
      await model.close();
    }
  }
});
