import assert from "node:assert/strict";
import { join } from "node:path";
import { buildInputExample, inferSignature, Model } from "../../src/mlmodel/mod.ts";

const BUNDLES = new URL("../fixtures/mlflow-bundles/", import.meta.url);
const fixture = (path: string) => Deno.readTextFile(new URL(path, BUNDLES));

function pretty(v: unknown): string {
  // Python's json.dumps(indent=2) for data without floats that JS would print differently.
  return JSON.stringify(v, null, 2).replace(/^( *)(.*)$/gm, "$1$2");
}

Deno.test("a dict of floats is saved like the iris bundle's example, byte for byte", async () => {
  const { info, files } = buildInputExample({
    "sepal length (cm)": 5.1,
    "sepal width (cm)": 3.5,
    "petal length (cm)": 1.4,
    "petal width (cm)": 0.2,
  }, {});
  assert.deepStrictEqual(info, {
    artifact_path: "input_example.json",
    type: "json_object",
    serving_input_path: "serving_input_example.json",
  });
  assert.equal(files.get("input_example.json"), await fixture("iris_mlp_onnx/input_example.json"));
  assert.equal(
    files.get("serving_input_example.json"),
    await fixture("iris_mlp_onnx/serving_input_example.json"),
  );
});

Deno.test("a uint8 tensor is saved like the mnist bundle's example, byte for byte", async () => {
  const nested = JSON.parse(await fixture("mnist_cnn_onnx/input_example.json")) as number[][][][];
  const flat = new Uint8Array(nested.flat(3) as number[]);
  const { info, files } = buildInputExample({ data: flat, shape: [2, 28, 28, 1] }, {});
  assert.equal(info.type, "ndarray");
  assert.equal(files.get("input_example.json"), await fixture("mnist_cnn_onnx/input_example.json"));
  assert.equal(
    files.get("serving_input_example.json"),
    await fixture("mnist_cnn_onnx/serving_input_example.json"),
  );
});

Deno.test("spec example A: a float32 (2, 4) tensor keeps its floats as 0.0, 1.0, ...", () => {
  const { files } = buildInputExample({
    data: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]),
    shape: [2, 4],
  }, {});
  assert.equal(files.get("input_example.json"), "[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]");
  assert.equal(
    files.get("serving_input_example.json"),
    '{\n  "inputs": [\n    [\n      0.0,\n      1.0,\n      2.0,\n      3.0\n    ],\n    [\n      4.0,\n      5.0,\n      6.0,\n      7.0\n    ]\n  ]\n}',
  );
});

Deno.test("spec example B: a dataframe in split orient, float column written as floats", () => {
  const { info, files } = buildInputExample({ columns: ["a", "b"], data: [[1.5, 3], [2.0, 4]] }, {
    kind: "dataframe",
  });
  assert.equal(info.type, "dataframe");
  assert.equal(info.pandas_orient, "split");
  assert.equal(
    files.get("input_example.json"),
    '{"columns": ["a", "b"], "data": [[1.5, 3], [2.0, 4]]}',
  );
  const serving = files.get("serving_input_example.json")!;
  assert.deepStrictEqual(JSON.parse(serving), {
    dataframe_split: { columns: ["a", "b"], data: [[1.5, 3], [2, 4]] },
  });
  assert.ok(serving.includes("      2.0,\n"));
});

Deno.test("spec example C: rows with NaN and datetimes plus params, NaN written as a bare token", () => {
  const rows = [
    { text: "hello", score: 0.5, when: new Date("2024-01-01T00:00:00Z") },
    { text: "world", score: NaN, when: new Date("2024-01-02T00:00:00Z") },
  ];
  const params = { temperature: 0.7, max_tokens: 16, stop: ["\n"] };
  const { info, files } = buildInputExample(rows, { kind: "dataframe", params });
  assert.deepStrictEqual(info, {
    artifact_path: "input_example.json",
    type: "dataframe",
    pandas_orient: "split",
    serving_input_path: "serving_input_example.json",
    params: "true",
  });
  assert.equal(
    files.get("input_example.json"),
    '{"inputs": {"columns": ["text", "score", "when"], "data": [["hello", 0.5, "2024-01-01T00:00:00"], ["world", NaN, "2024-01-02T00:00:00"]]}, "params": {"temperature": 0.7, "max_tokens": 16, "stop": ["\\n"]}}',
  );
  const serving = files.get("serving_input_example.json")!;
  assert.ok(serving.startsWith('{\n  "dataframe_split": {\n    "columns": [\n      "text",'));
  assert.ok(serving.includes('      [\n        "world",\n        NaN,\n'));
  assert.ok(
    serving.endsWith(
      '  "params": {\n    "temperature": 0.7,\n    "max_tokens": 16,\n    "stop": [\n      "\\n"\n    ]\n  }\n}',
    ),
  );
});

Deno.test("bytes in a json_object or dataframe example are written as base64.encodebytes text", () => {
  const bytes = new Uint8Array(60).map((_, i) => i);
  const { info, files } = buildInputExample({ name: "x", blob: bytes }, {});
  assert.equal(info.type, "json_object");
  // base64.encodebytes(bytes(range(60))): 76 characters, a newline, the rest, a newline.
  assert.equal(
    files.get("input_example.json"),
    '{"name": "x", "blob": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\\nOTo7\\n"}',
  );
});

Deno.test("unified LLM examples are served as the dict itself with params merged in", () => {
  const { files } = buildInputExample({ messages: [{ role: "user", content: "hi" }] }, {
    params: { max_tokens: 5 },
  });
  assert.deepStrictEqual(JSON.parse(files.get("serving_input_example.json")!), {
    messages: [{ role: "user", content: "hi" }],
    max_tokens: 5,
  });
  const plain = buildInputExample(["a", "b"], {});
  assert.equal(plain.files.get("serving_input_example.json"), pretty({ inputs: ["a", "b"] }));
});

Deno.test("a model built in code saves MLmodel and its example, and loads back to the same dict", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlmodel_save_" });
  try {
    const rows = [{ a: 1.5, b: 3 }, { a: 2, b: 4 }];
    const model = new Model({
      signature: inferSignature(rows, [{ y: 0.25 }]),
      metadata: { team: "edge", threshold: 0.5 },
      mlflowVersion: "3.6.1.dev0",
      modelSizeBytes: 371,
    })
      .addFlavor("python_function", {
        loader_module: "mlflow.onnx",
        data: "model.onnx",
        env: { conda: "conda.yaml", virtualenv: "python_env.yaml" },
        python_version: "3.11.2",
      })
      .addFlavor("onnx", {
        onnx_version: "1.12.0",
        data: "model.onnx",
        providers: ["CPUExecutionProvider"],
        onnx_session_options: null,
        code: null,
      })
      .setInputExample(rows, { kind: "dataframe" });
    assert.match(model.modelUuid!, /^[0-9a-f]{32}$/);
    assert.match(model.utcTimeCreated, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    await model.save(dir);
    const again = await Model.load(dir);
    assert.deepStrictEqual(again.toDict(), model.toDict());
    assert.equal(await Deno.readTextFile(join(dir, "MLmodel")), model.toYaml());
    assert.equal(
      await Deno.readTextFile(join(dir, "input_example.json")),
      '{"columns": ["a", "b"], "data": [[1.5, 3], [2.0, 4]]}',
    );
    assert.deepStrictEqual(await again.inputExample(), {
      type: "dataframe",
      data: { columns: ["a", "b"], data: [[1.5, 3], [2, 4]] },
      params: null,
    });
    assert.deepStrictEqual(JSON.parse((await again.servingInputExample())!), {
      dataframe_split: { columns: ["a", "b"], data: [[1.5, 3], [2, 4]] },
    });
    const yaml = await Deno.readTextFile(join(dir, "MLmodel"));
    assert.ok(
      yaml.includes(
        "saved_input_example_info:\n  artifact_path: input_example.json\n  pandas_orient: split\n",
      ),
    );
    assert.ok(
      yaml.includes(
        "  onnx:\n    code: null\n    data: model.onnx\n    onnx_session_options: null\n",
      ),
    );
    assert.ok(yaml.includes("    providers:\n    - CPUExecutionProvider\n"));
    assert.match(yaml, /^utc_time_created: '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?'$/m);
    assert.ok(!yaml.includes("mlflow_version: null"));
    // A model without mlflow_version omits it, as MLflow's to_dict does.
    assert.equal("mlflow_version" in new Model({ flavors: {} }).toDict(), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("historic MLflow 1.x shape: env as a string, no signature, no uuid or version", () => {
  const text = `artifact_path: model
flavors:
  python_function:
    env: conda.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    python_version: 3.7.6
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 0.23.2
run_id: 8f7c3e7ab0e84f1a9b3d2b1f7a5e6c4d
utc_time_created: '2020-10-01 12:00:00.123456'
`;
  const model = Model.fromYaml(text);
  assert.equal(model.pyfuncFlavor()?.env, "conda.yaml");
  assert.equal(model.signature, null);
  assert.equal(model.artifactPath, "model");
  // MLflow's to_dict: model_uuid null, mlflow_version dropped, model_id and prompts null.
  assert.deepStrictEqual(model.toDict(), {
    artifact_path: "model",
    run_id: "8f7c3e7ab0e84f1a9b3d2b1f7a5e6c4d",
    utc_time_created: "2020-10-01 12:00:00.123456",
    flavors: {
      python_function: {
        env: "conda.yaml",
        loader_module: "mlflow.sklearn",
        model_path: "model.pkl",
        python_version: "3.7.6",
      },
      sklearn: {
        code: null,
        pickled_model: "model.pkl",
        serialization_format: "cloudpickle",
        sklearn_version: "0.23.2",
      },
    },
    model_uuid: null,
    model_id: null,
    prompts: null,
  });
  assert.equal(
    model.toYaml(),
    text.replace("run_id:", "model_id: null\nmodel_uuid: null\nprompts: null\nrun_id:"),
  );
});

Deno.test("historic MLflow 2.x shape: signature without required, no model_id, unknown keys kept", () => {
  const text = `artifact_path: model
databricks_runtime: '14.3'
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    python_version: 3.10.12
mlflow_version: 2.9.2
model_uuid: 1b2c3d4e5f60718293a4b5c6d7e8f901
custom_field:
  nested: [1, 2.0]
run_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
signature:
  inputs: '[{"type": "double", "name": "x"}, {"type": "array", "items": {"type": "string"}, "name": "tags"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: null
utc_time_created: '2023-12-01 08:00:00'
`;
  const model = Model.fromYaml(text);
  assert.equal(model.databricksRuntime, "14.3");
  assert.deepStrictEqual(model.signature!.inputs!.requiredInputNames(), ["x"]);
  assert.deepStrictEqual(model.signature!.inputs!.optionalInputNames(), ["tags"]);
  const d = model.toDict();
  assert.deepStrictEqual(d.custom_field, { nested: [1, 2] });
  assert.equal(d.model_id, null);
  assert.equal(d.is_signature_from_type_hint, false);
  assert.equal(d.type_hint_from_example, false);
  assert.deepStrictEqual(d.signature, {
    inputs:
      '[{"type": "double", "name": "x", "required": true}, {"type": "array", "items": {"type": "string"}, "name": "tags", "required": null}]',
    outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]',
    params: null,
  });
  const yaml = model.toYaml();
  // The unknown key survives with its float kept a float.
  assert.ok(yaml.includes("custom_field:\n  nested:\n  - 1\n  - 2.0\n"));
  assert.ok(yaml.includes("databricks_runtime: '14.3'\n"));
  assert.deepStrictEqual(Model.fromYaml(yaml).toDict(), d);
});
