// Every file a model reads is a file of its bundle, handed to onnxruntime as bytes: an
// external-data location naming anything else (here the repository's deno.json, which sits in
// the tests' working directory) is refused on both backends, and the native backend never
// resolves a location against the working directory itself.
import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { nativeBackend, OnnxModel, predictionsValue } from "../../src/runtime/mod.ts";
import { loadModel } from "../../src/model/mod.ts";
import { BACKENDS } from "./_bundle.ts";
import { ELEM, onnxModel } from "./_onnx_builder.ts";

const W = new Float32Array([1, 2, 3, 4]);
const ROOT = new URL("../../", import.meta.url).pathname;

/** y = x + W, with W stored as external data at `location`. */
function addModel(location: string): Uint8Array {
  return onnxModel({
    nodes: [{ op: "Add", inputs: ["x", "W"], outputs: ["y"] }],
    inputs: { x: { tensor: ELEM.float, shape: [1, 4] } },
    outputs: { y: { tensor: ELEM.float, shape: [1, 4] } },
    initializers: [{ name: "W", dims: [1, 4], data: W, external: { location, offset: 0 } }],
  });
}

const FLAVORS = { onnx: { data: "model.onnx" } };
const weights = new Uint8Array(W.buffer.slice(0));

// The hostile locations below aim at the repository's deno.json from its directory.
assert.ok(Deno.statSync(`${ROOT}deno.json`).isFile);

for (const [name, backend] of BACKENDS) {
  Deno.test(`${name}: external data outside the bundle is refused before onnxruntime sees it`, async () => {
    Deno.chdir(ROOT); // deno.json is here
    for (
      const location of [
        ".//deno.json",
        "deno.json",
        "./deno.json",
        "../deno.json",
        "/etc/hostname",
      ]
    ) {
      const files = new Map([["model.onnx", addModel(location)], ["w.bin", weights]]);
      await assert.rejects(
        OnnxModel.create(files, FLAVORS, { backend: await backend() }),
        (err: unknown) => {
          assert.ok(err instanceof MlflowError, `${location}: ${err}`);
          assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
          assert.match(
            err.message,
            /names external data .*, which is not a file of the model directory/,
          );
          return true;
        },
      );
    }
  });

  Deno.test(`${name}: external data that is a bundle file is handed over as bytes and used`, async () => {
    const files = new Map([["model.onnx", addModel("w.bin")], ["w.bin", weights]]);
    const model = await OnnxModel.create(files, FLAVORS, { backend: await backend() });
    try {
      const out = await model.run({
        kind: "tensors",
        rows: 0,
        columns: [],
        tensors: [{ name: "x", dtype: "float32", values: new Float32Array(4), shape: [1, 4] }],
      });
      assert.deepEqual(predictionsValue(out), { y: [[1, 2, 3, 4]] });
    } finally {
      await model.release();
    }
  });

  Deno.test(`${name}: a hostile bundle on disk fails to load naming the location`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/MLmodel`, "flavors:\n  onnx:\n    data: model.onnx\n");
      await Deno.writeFile(`${dir}/model.onnx`, addModel(".//deno.json"));
      Deno.chdir(ROOT);
      await assert.rejects(
        loadModel(dir, { backend: name as "web" | "native", selfCheck: false }),
        /names external data "\.\/\/deno\.json", which is not a file of the model directory/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("native: onnxruntime-node is never left to read external data from the working directory", async () => {
  // Even a backend caller that hands over no files (and disables the optimizer, which would
  // otherwise stop first) gets a refusal, not the bytes of ./deno.json.
  Deno.chdir(ROOT);
  const backend = await nativeBackend();
  await assert.rejects(
    backend.createSession(addModel(".//deno.json"), [], { graphOptimizationLevel: 0 } as never),
    /not found from the table/,
  );
});
