import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { onnxFlavorConfig } from "../../src/runtime/mod.ts";

Deno.test("the onnx flavor gives its model file and the session options MLflow applies", () => {
  const config = onnxFlavorConfig({
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
  const config = onnxFlavorConfig({
    python_function: { loader_module: "mlflow.onnx", data: "sub/model.onnx" },
  });
  assert.equal(config.modelFile, "sub/model.onnx");
  assert.deepEqual(config.sessionOptions, {});
});

Deno.test("an sklearn model is refused naming the flavor and how to log it with onnx", () => {
  assert.throws(
    () =>
      onnxFlavorConfig({
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
    () => onnxFlavorConfig({ onnx: { onnx_session_options: { execution_mode: "fast" } } }),
    (err) =>
      err instanceof MlflowError && /execution_mode is "fast"/.test(err.message) &&
      err.errorCode === "INVALID_PARAMETER_VALUE",
  );
  assert.throws(
    () => onnxFlavorConfig({ onnx: { onnx_session_options: { graph_optimization_level: 3 } } }),
    (err) => err instanceof MlflowError && /graph_optimization_level is 3/.test(err.message),
  );
});

Deno.test("a model file outside the bundle is refused", () => {
  assert.throws(
    () => onnxFlavorConfig({ onnx: { data: "../secret.onnx" } }),
    (err) => err instanceof MlflowError && /"\.\.\/secret\.onnx"/.test(err.message),
  );
});
