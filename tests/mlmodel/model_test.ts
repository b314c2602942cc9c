import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { MlflowError } from "../../src/errors.ts";
import { Model, ModelSignature, Schema } from "../../src/mlmodel/mod.ts";

const ROOT = new URL("../fixtures/mlflow-bundles/", import.meta.url);
const BUNDLES = ["iris_mlp_onnx", "mnist_cnn_onnx", "iris_mlp_pytorch"];
const SPEC = new URL("./data/spec/", import.meta.url);

function bundleDir(name: string): string {
  return fromFileUrl(new URL(name, ROOT));
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "mlmodel_test_" });
}

for (const name of BUNDLES) {
  Deno.test(`${name}: toDict() equals what MLflow's Model.to_dict() returned`, async () => {
    const model = await Model.load(bundleDir(name));
    const expected = JSON.parse(
      await Deno.readTextFile(join(bundleDir(name), "mlmodel.dict.json")),
    );
    assert.deepStrictEqual(model.toDict(), expected);
  });

  Deno.test(`${name}: fromDict() of MLflow's to_dict() output gives the same dict and file`, async () => {
    const dict = JSON.parse(await Deno.readTextFile(join(bundleDir(name), "mlmodel.dict.json")));
    const model = Model.fromDict(dict, "mlmodel.dict.json");
    assert.deepStrictEqual(model.toDict(), dict);
    assert.equal(model.toYaml(), await Deno.readTextFile(join(bundleDir(name), "MLmodel")));
  });

  Deno.test(`${name}: toYaml() reproduces the MLmodel file byte for byte`, async () => {
    const text = await Deno.readTextFile(join(bundleDir(name), "MLmodel"));
    assert.equal(Model.fromYaml(text, "MLmodel").toYaml(), text);
  });

  Deno.test(`${name}: save() then load() gives the same dict and copies the example files`, async () => {
    const model = await Model.load(bundleDir(name));
    const out = await tempDir();
    try {
      await model.save(out);
      const again = await Model.load(out);
      assert.deepStrictEqual(again.toDict(), model.toDict());
      assert.equal(
        await Deno.readTextFile(join(out, "MLmodel")),
        await Deno.readTextFile(join(bundleDir(name), "MLmodel")),
      );
      assert.equal(
        await Deno.readTextFile(join(out, "serving_input_example.json")),
        await Deno.readTextFile(join(bundleDir(name), "serving_input_example.json")),
      );
      assert.equal(
        await Deno.readTextFile(join(out, "input_example.json")),
        await Deno.readTextFile(join(bundleDir(name), "input_example.json")),
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
}

Deno.test("load accepts the MLmodel file itself and a file: URL", async () => {
  const byFile = await Model.load(join(bundleDir("iris_mlp_onnx"), "MLmodel"));
  const byUrl = await Model.load(new URL("iris_mlp_onnx/", ROOT));
  const byUrlString = await Model.load(new URL("iris_mlp_onnx/MLmodel", ROOT).href);
  assert.deepStrictEqual(byFile.toDict(), byUrl.toDict());
  assert.deepStrictEqual(byFile.toDict(), byUrlString.toDict());
  assert.equal(byFile.bundleDir, bundleDir("iris_mlp_onnx"));
});

Deno.test("load refuses remote URIs and names a missing file like MLflow", async () => {
  await assert.rejects(Model.load("s3://bucket/model"), (e: unknown) => {
    assert.ok(e instanceof MlflowError);
    assert.match(e.message, /local paths and file: URLs only.*s3:\/\/bucket\/model/);
    return true;
  });
  await assert.rejects(Model.load("/nonexistent/model"), (e: unknown) => {
    assert.ok(e instanceof MlflowError);
    assert.equal(e.errorCode, "RESOURCE_DOES_NOT_EXIST");
    assert.equal(
      e.message,
      'Could not find an "MLmodel" configuration file at "/nonexistent/model"',
    );
    return true;
  });
});

Deno.test("the iris bundle exposes typed flavors, signature and its serving example", async () => {
  const model = await Model.load(bundleDir("iris_mlp_onnx"));
  assert.equal(model.pyfuncFlavor()?.loader_module, "mlflow.onnx");
  assert.equal(model.pyfuncFlavor()?.data, "model.onnx");
  assert.deepStrictEqual(model.pyfuncFlavor()?.env, {
    conda: "conda.yaml",
    virtualenv: "python_env.yaml",
  });
  assert.equal(model.onnxFlavor()?.data, "model.onnx");
  assert.equal(model.onnxFlavor()?.onnx_session_options, null);
  assert.deepStrictEqual(model.onnxFlavor()?.providers, [
    "CUDAExecutionProvider",
    "CPUExecutionProvider",
  ]);
  assert.equal(model.pytorchFlavor(), undefined);
  assert.equal(model.modelUuid, "35c1eebae8c4473681fc1eda7f5534aa");
  assert.equal(model.mlflowVersion, "3.6.1.dev0");
  assert.equal(model.modelId, null);
  assert.equal(model.modelSizeBytes, 2669);
  assert.equal(model.utcTimeCreated, "2026-11-26 13:51:27.953170");
  assert.deepStrictEqual(model.signature?.inputs?.inputNames(), [
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
  ]);
  assert.equal(model.signature?.outputs?.isTensorSpec(), true);
  assert.equal(model.servingInputExamplePath, "serving_input_example.json");
  const body = await model.servingInputExample();
  assert.equal(
    body,
    await Deno.readTextFile(join(bundleDir("iris_mlp_onnx"), "serving_input_example.json")),
  );
  const example = await model.inputExample();
  assert.deepStrictEqual(example, {
    type: "json_object",
    data: {
      "sepal length (cm)": 5.1,
      "sepal width (cm)": 3.5,
      "petal length (cm)": 1.4,
      "petal width (cm)": 0.2,
    },
    params: null,
  });
});

Deno.test("the serving example can be read from a bundle held in memory", async () => {
  const dir = bundleDir("mnist_cnn_onnx");
  const text = await Deno.readTextFile(join(dir, "MLmodel"));
  const files = new Map<string, Uint8Array>([
    ["MLmodel", new TextEncoder().encode(text)],
    ["serving_input_example.json", await Deno.readFile(join(dir, "serving_input_example.json"))],
    ["input_example.json", await Deno.readFile(join(dir, "input_example.json"))],
  ]);
  const model = Model.fromYaml(text, "memory://mnist/MLmodel");
  const body = await model.servingInputExample(files);
  assert.equal(body, await Deno.readTextFile(join(dir, "serving_input_example.json")));
  const example = await model.inputExample((p) => files.get(p));
  assert.equal(example?.type, "ndarray");
  assert.equal((example?.data as number[][][][]).length, 2);
  assert.equal((example?.data as number[][][][])[0].length, 28);
  // fromFiles keeps the map, so nothing needs to be passed, and save() copies the examples.
  const held = Model.fromFiles(files, "memory://mnist/MLmodel");
  assert.equal(await held.servingInputExample(), body);
  assert.deepStrictEqual(held.toDict(), model.toDict());
  const out = await tempDir();
  try {
    await held.save(out);
    assert.equal(await Deno.readTextFile(join(out, "serving_input_example.json")), body);
    assert.equal(await Deno.readTextFile(join(out, "MLmodel")), text);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  assert.throws(
    () => Model.fromFiles(new Map(), "memory://empty"),
    /No MLmodel file in 'memory:\/\/empty'/,
  );
  assert.throws(
    () => Model.fromFiles(new Map([["MLmodel", new Uint8Array([0xff])]]), "memory://bad"),
    /MLmodel file 'memory:\/\/bad' is not valid UTF-8/,
  );
  // Without a directory or a bundle there is nothing to read from: a clear error, not a TypeError.
  await assert.rejects(model.servingInputExample(), MlflowError);
  await assert.rejects(
    model.servingInputExample(new Map()),
    /serving_input_path' names 'serving_input_example.json', which is not in the bundle/,
  );
});

for (const name of ["a", "b", "c"]) {
  Deno.test(`spec example ${name.toUpperCase()} round-trips through fromYaml/toYaml byte for byte`, async () => {
    const text = await Deno.readTextFile(new URL(`example_${name}.MLmodel`, SPEC));
    const model = Model.fromYaml(text);
    assert.equal(model.toYaml(), text);
    for (const part of ["inputs", "outputs", "params"] as const) {
      const s = (model.toDict().signature as Record<string, string | null>)[part];
      if (s !== null) {
        const again = part === "params"
          ? ModelSignature.fromDict({ params: s }).toDict().params
          : Schema.fromJSON(s).toJSON();
        assert.equal(again, s);
      }
    }
  });
}

Deno.test("spec example D (hand-ordered keys) is written back sorted as PyYAML does", async () => {
  const text = await Deno.readTextFile(new URL("example_d.MLmodel", SPEC));
  const expected = await Deno.readTextFile(new URL("example_d.pyyaml.MLmodel", SPEC));
  assert.notEqual(text, expected);
  assert.equal(Model.fromYaml(text).toYaml(), expected);
});

Deno.test("example C keeps params, the optional column and float defaults", async () => {
  const model = Model.fromYaml(await Deno.readTextFile(new URL("example_c.MLmodel", SPEC)));
  const params = model.signature!.params!;
  assert.deepStrictEqual(params.params.map((p) => [p.name, p.default, p.shape]), [
    ["temperature", 0.7, null],
    ["max_tokens", 16, null],
    ["stop", ["\n"], [-1]],
  ]);
  assert.deepStrictEqual(model.signature!.inputs!.optionalInputNames(), ["score"]);
  assert.equal(model.savedInputExampleInfo?.params, "true");
  assert.equal(model.pyfuncFlavor()?.loader_module, "mlflow.pyfunc.model");
  assert.equal(model.onnxFlavor(), undefined);
});

Deno.test("unquoted timestamps and YAML 1.1 scalars are read and written back as PyYAML does", () => {
  // Expected output recorded from PyYAML 6: yaml.safe_dump(yaml.safe_load(text)) after MLflow's
  // str() of utc_time_created.
  const text =
    "flavors: {}\nutc_time_created: 2024-01-02 03:04:05.5\nmetadata:\n  d: 2024-01-02\n" +
    "  dt: 2024-1-2T3:04:05Z\n  tz: 2024-01-02 03:04:05.1234567 -05:30\n  s: '2024-01-02'\n" +
    "  n: 2024-01-02 03:04:05.000\n  nums: [1, 2.0, 1.0e+3, 3.5, 1e5, 08, 010, y, n, yes, Off, .inf, -.5, 1_000, '1.0', ~]\n";
  const m = Model.fromYaml(text);
  assert.equal(m.utcTimeCreated, "2024-01-02 03:04:05.500000");
  assert.equal(String(m.metadata?.d), "2024-01-02");
  assert.deepStrictEqual((m.toDict().metadata as Record<string, unknown>).nums, [
    1,
    2,
    1000,
    3.5,
    "1e5",
    "08",
    8,
    "y",
    "n",
    true,
    false,
    Infinity,
    "-.5",
    1000,
    "1.0",
    null,
  ]);
  assert.equal(
    m.toYaml(),
    `flavors: {}
metadata:
  d: 2024-01-02
  dt: 2024-01-02 03:04:05+00:00
  n: 2024-01-02 03:04:05
  nums:
  - 1
  - 2.0
  - 1000.0
  - 3.5
  - 1e5
  - 08
  - 8
  - y
  - n
  - true
  - false
  - .inf
  - -.5
  - 1000
  - '1.0'
  - null
  s: '2024-01-02'
  tz: 2024-01-02 03:04:05.123456-05:30
model_id: null
model_uuid: null
prompts: null
utc_time_created: '2024-01-02 03:04:05.500000'
`,
  );
});
