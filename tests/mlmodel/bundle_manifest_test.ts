import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import {
  externalDataFiles,
  namedFiles,
  onnxManifest,
  unsafeBundlePath,
} from "../../src/mlmodel/mod.ts";

Deno.test("the onnx flavor gives its model file and the session options MLflow applies", () => {
  const config = onnxManifest({
    onnx: {
      data: "model.onnx",
      onnx_session_options: {
        intra_op_num_threads: 2,
        inter_op_num_threads: 0,
        execution_mode: "SEQUENTIAL",
        graph_optimization_level: 99,
        extra_session_config: { "session.intra_op.allow_spinning": "0" },
        enable_profiling: true,
      },
    },
  });
  assert.equal(config.modelFile, "model.onnx");
  assert.deepEqual(config.sessionOptions, {
    intraOpNumThreads: 2,
    executionMode: "sequential",
    graphOptimizationLevel: 99,
    extra: { "session.intra_op.allow_spinning": "0" },
  });
});

Deno.test("python_function with loader_module mlflow.onnx alone is servable", () => {
  const config = onnxManifest({
    python_function: { loader_module: "mlflow.onnx", data: "sub/model.onnx" },
  });
  assert.equal(config.modelFile, "sub/model.onnx");
  assert.deepEqual(config.sessionOptions, {});
});

Deno.test("an sklearn model is refused naming the flavor and how to log it with onnx", () => {
  assert.throws(
    () =>
      onnxManifest({
        sklearn: { pickled_model: "model.pkl" },
        python_function: { loader_module: "mlflow.sklearn" },
      }),
    (err) =>
      err instanceof MlflowError && /flavor "sklearn"/.test(err.message) &&
      /loader_module "mlflow\.sklearn"/.test(err.message) && /skl2onnx/.test(err.message),
  );
});

Deno.test("invalid session options are refused naming the key and value", () => {
  assert.throws(
    () =>
      onnxManifest({
        onnx: { data: "model.onnx", onnx_session_options: { execution_mode: "fast" } },
      }),
    (err) =>
      err instanceof MlflowError &&
      /'flavors\.onnx\.onnx_session_options\.execution_mode' .*, got "fast"/.test(err.message) &&
      err.errorCode === "INVALID_PARAMETER_VALUE",
  );
  assert.throws(
    () =>
      onnxManifest({
        onnx: { data: "model.onnx", onnx_session_options: { graph_optimization_level: 3 } },
      }),
    (err) => err instanceof MlflowError && /graph_optimization_level' .*, got 3$/.test(err.message),
  );
});

Deno.test("a model file outside the bundle is refused", () => {
  assert.throws(
    () => onnxManifest({ onnx: { data: "../secret.onnx" } }),
    (err) => err instanceof MlflowError && /"\.\.\/secret\.onnx"/.test(err.message),
  );
});

Deno.test("one path rule for every file a bundle names", () => {
  assert.equal(unsafeBundlePath("sub/model.onnx"), undefined);
  for (
    const [path, why] of [
      ["", "is empty"],
      ["/etc/passwd", "is an absolute path"],
      ["C:/x", "starts with a drive letter"],
      ["a\\b", "contains a backslash"],
      ["a/../b", 'contains a ".." segment'],
      ["a//b", "is not a normalised path"],
      ["x".repeat(1025), "is longer than 1024 characters"],
    ]
  ) assert.equal(unsafeBundlePath(path), why, path);
  const refuse = (path: string, why: string) => new Error(`${path}: ${why}`);
  assert.throws(
    () => namedFiles({ flavors: { onnx: { data: "../x.onnx" } } }, refuse),
    /\.\.\/x\.onnx: contains a "\.\." segment/,
  );
  assert.throws(
    () => onnxManifest({ onnx: { data: "/abs/model.onnx" } }),
    /which is an absolute path/,
  );
});

Deno.test("the files an MLmodel names, for stores that cannot list", () => {
  const f = namedFiles({
    flavors: {
      python_function: { loader_module: "mlflow.onnx", data: "./model.onnx" },
      onnx: { data: "model.onnx" },
      sklearn: { data: "extra/model.pkl" },
    },
    saved_input_example_info: {
      artifact_path: "input_example.json",
      serving_input_path: "serving_input_example.json",
    },
  }, (p, why) => new Error(`${p} ${why}`));
  assert.deepEqual(f.required, ["model.onnx"]);
  assert.deepEqual(f.onnx, ["model.onnx"]);
  assert.deepEqual(f.optional.sort(), [
    "extra/model.pkl",
    "input_example.json",
    "serving_input_example.json",
  ]);
});

Deno.test("external data is read from the graph's protobuf, next to the graph file", async () => {
  const graph = await Deno.readFile(
    new URL("../fixtures/mlflow-bundles/iris_mlp_onnx/model.onnx", import.meta.url),
  );
  assert.deepEqual(externalDataFiles("sub/model.onnx", graph), [{
    location: "7a352ddc-e9a0-11f1-9901-02fc00000001",
    key: "sub/7a352ddc-e9a0-11f1-9901-02fc00000001",
  }]);
});
