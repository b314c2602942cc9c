import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import {
  DEFAULT_PYTHON_ENVIRONMENT,
  environmentFiles,
  pipRequirements,
} from "../../src/mlmodel/environment.ts";
import { Model } from "../../src/mlmodel/model.ts";
import {
  EXTERNAL_DATA_MIN_BYTES,
  onnxExternalDataLocations,
  rewriteOnnxExternalData,
  uuid1,
} from "../../src/mlmodel/onnx_external_data.ts";
import { saveOnnxModel } from "../../src/mlmodel/onnx_save.ts";
import { ELEM, onnxModel } from "../runtime/_onnx_builder.ts";

const IRIS = new URL("../fixtures/mlflow-bundles/iris_mlp_onnx/", import.meta.url);
const LOCATION = "7a352ddc-e9a0-11f1-9901-02fc00000001";
const onnx = await Deno.readFile(new URL("model.onnx", IRIS));
const weights = await Deno.readFile(new URL(LOCATION, IRIS));
const externalData = new Map([[LOCATION, weights]]);
const text = (name: string) => Deno.readTextFileSync(new URL(name, IRIS));

Deno.test("the fixture's weights come inline and go back out byte for byte as onnx wrote them", () => {
  const inline = rewriteOnnxExternalData(onnx, { externalData, saveAsExternalData: false });
  // The size onnx.save_model(save_as_external_data=False) wrote for this model (spec §2.4).
  assert.equal(inline.model.length, 2354);
  assert.equal(inline.externalData.size, 0);
  assert.deepEqual(onnxExternalDataLocations(inline.model), []);
  const out = rewriteOnnxExternalData(inline.model, { location: LOCATION });
  assert.deepEqual(out.model, onnx);
  assert.deepEqual(out.externalData, externalData);
  // Straight from external to external: the same, under a fresh uuid1 name.
  const fresh = rewriteOnnxExternalData(onnx, { externalData });
  const [name] = fresh.externalData.keys();
  assert.match(name, /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(onnxExternalDataLocations(fresh.model), [name]);
  assert.deepEqual(fresh.externalData.get(name), weights);
});

Deno.test("initializers of 991 bytes and more move out, in graph order, smaller ones stay inline", () => {
  const floats = (n: number) => Float32Array.from({ length: n }, (_, i) => i / 7);
  const small = floats(Math.floor((EXTERNAL_DATA_MIN_BYTES - 1) / 4)); // 988 bytes
  const edge = floats(Math.ceil(EXTERNAL_DATA_MIN_BYTES / 4)); // 992 bytes
  const big = floats(1024);
  const model = onnxModel({
    nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
    inputs: { x: { tensor: ELEM.float, shape: [1] } },
    outputs: { y: { tensor: ELEM.float, shape: [1] } },
    initializers: [
      { name: "big", dims: [1024], data: big },
      { name: "small", dims: [small.length], data: small },
      { name: "edge", dims: [edge.length], data: edge },
    ],
  });
  const out = rewriteOnnxExternalData(model, { location: "w.bin" });
  const file = out.externalData.get("w.bin")!;
  const bytes = (a: Float32Array) => new Uint8Array(a.buffer);
  assert.equal(file.length, big.byteLength + edge.byteLength);
  assert.deepEqual(file.subarray(0, big.byteLength), bytes(big));
  assert.deepEqual(file.subarray(big.byteLength), bytes(edge));
  assert.ok(out.model.length < model.length - file.length + 100);
  // Back inline, the data is the same and nothing refers to a file.
  const back = rewriteOnnxExternalData(out.model, {
    externalData: out.externalData,
    saveAsExternalData: false,
  });
  assert.deepEqual(onnxExternalDataLocations(back.model), []);
  // onnx.load marks each tensor it read in with data_location: DEFAULT (2 bytes each).
  assert.equal(back.model.length, model.length + 2 * 2);
  const again = rewriteOnnxExternalData(back.model, { location: "w.bin" });
  assert.deepEqual(again.externalData.get("w.bin"), file);
  // Nothing large enough: no file.
  assert.equal(
    rewriteOnnxExternalData(onnxModel({
      nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
      inputs: { x: { tensor: ELEM.float, shape: [1] } },
      outputs: { y: { tensor: ELEM.float, shape: [1] } },
      initializers: [{ name: "s", dims: [small.length], data: small }],
    })).externalData.size,
    0,
  );
});

Deno.test("malformed models and missing external files are MlflowErrors naming the problem", () => {
  assert.throws(
    () => rewriteOnnxExternalData(new Uint8Array([0x3a, 0xff, 0xff, 0x01])),
    (e) => e instanceof MlflowError && /not a valid ONNX model/.test(e.message),
  );
  assert.throws(
    () => rewriteOnnxExternalData(onnx),
    (e) => e instanceof MlflowError && e.message.includes(`keeps tensor data in "${LOCATION}"`),
  );
  assert.throws(
    () => rewriteOnnxExternalData(onnx, { externalData: new Map([[LOCATION, weights.slice(1)]]) }),
    (e) => e instanceof MlflowError && /offset 0 length 1024/.test(e.message),
  );
});

Deno.test("uuid1 encodes the time as Python's uuid.uuid1 does", () => {
  // time_low-time_mid-(version 1, time_hi): 100 ns steps since 1582-10-15.
  const t = Date.UTC(2026, 10, 26, 12, 34, 56, 789);
  const ticks = BigInt(t) * 10_000n + 0x01b21dd213814000n;
  const id = uuid1(t);
  const [low, mid, hi] = id.split("-");
  assert.equal(BigInt(`0x${hi.slice(1)}${mid}${low}`), ticks);
  assert.equal(hi[0], "1");
});

Deno.test("the environment files are the fixture's, byte for byte", () => {
  const reqs = pipRequirements(["onnx==1.12.0", "onnxruntime==1.30.0"], {
    env: DEFAULT_PYTHON_ENVIRONMENT,
  });
  const files = environmentFiles(reqs, DEFAULT_PYTHON_ENVIRONMENT);
  for (const name of ["requirements.txt", "conda.yaml", "python_env.yaml"]) {
    assert.equal(files.get(name), text(name), name);
  }
  assert.deepEqual(
    pipRequirements([], {
      pipRequirements: ["torch==2.5.1", "torch==2.5.1"],
      env: DEFAULT_PYTHON_ENVIRONMENT,
    }),
    ["mlflow==3.6.0", "torch==2.5.1"],
  );
  assert.deepEqual(
    pipRequirements(["onnx==1"], {
      extraPipRequirements: ["mlflow-skinny==3.6.0", "mlflow>=3"],
      env: DEFAULT_PYTHON_ENVIRONMENT,
    }),
    ["onnx==1", "mlflow-skinny==3.6.0", "mlflow>=3"],
  );
});

Deno.test("saveOnnxModel writes the bundle MLflow wrote for the fixture, MLmodel byte for byte", () => {
  const fixture = Model.fromYaml(text("MLmodel"));
  const { files, model } = saveOnnxModel({
    onnx,
    externalData,
    signature: fixture.signature,
    inputExample: JSON.parse(text("input_example.json")),
    model: new Model({
      modelUuid: fixture.modelUuid,
      utcTimeCreated: fixture.utcTimeCreated,
      mlflowVersion: fixture.mlflowVersion,
    }),
  });
  assert.equal(new TextDecoder().decode(files.get("MLmodel")), text("MLmodel"));
  assert.equal(model.modelSizeBytes, 2669);
  const names = [...files.keys()].sort();
  const external = names.find((n) => /^[0-9a-f]{8}-/.test(n))!;
  assert.deepEqual(names.filter((n) => n !== external), [
    "MLmodel",
    "conda.yaml",
    "input_example.json",
    "model.onnx",
    "python_env.yaml",
    "requirements.txt",
    "serving_input_example.json",
  ]);
  for (const name of ["input_example.json", "serving_input_example.json", "conda.yaml"]) {
    assert.equal(new TextDecoder().decode(files.get(name)), text(name), name);
  }
  assert.deepEqual(files.get(external), weights);
});

Deno.test("without a signature, saveOnnxModel infers the inputs from the example unless told not to", () => {
  const example = JSON.parse(text("input_example.json"));
  const fixture = Model.fromYaml(text("MLmodel"));
  const inferred = saveOnnxModel({ onnx, externalData, inputExample: example }).model;
  assert.equal(inferred.signature!.toDict().inputs, fixture.signature!.toDict().inputs);
  assert.equal(inferred.signature!.toDict().outputs, null);
  const none = saveOnnxModel({ onnx, externalData, inputExample: example, inferSignature: false });
  assert.equal(none.model.signature, null);
  assert.ok(!new TextDecoder().decode(none.files.get("MLmodel")).includes("signature:"));
  const plain = saveOnnxModel({ onnx, externalData, saveAsExternalData: false });
  assert.deepEqual([...plain.files.keys()].sort(), [
    "MLmodel",
    "conda.yaml",
    "model.onnx",
    "python_env.yaml",
    "requirements.txt",
  ]);
  assert.equal(plain.model.modelSizeBytes, 2354);
  assert.equal(plain.model.savedInputExampleInfo, null);
});
