import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT_MS } from "../../src/server/app.ts";
import { appOptionsFromEnv } from "../../src/server/options_from_env.ts";

Deno.test("appOptionsFromEnv maps MLflow's and mlflow-edge's variables onto the app options", () => {
  const options = appOptionsFromEnv({
    MODEL_URI: "s3://bucket/iris",
    MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT: "2.5",
    MLFLOW_EDGE_BACKEND: "native",
    MLFLOW_EDGE_BODY_LIMIT: "1024",
    MLFLOW_EDGE_MEMORY_BUDGET: "1000000",
    MLFLOW_EDGE_ADMIN_TOKEN: "t0k",
    MLFLOW_S3_ENDPOINT_URL: "http://127.0.0.1:9000",
  });
  assert.equal(options.modelUri, "s3://bucket/iris");
  assert.equal(options.timeoutMs, 2500);
  assert.equal(options.backend, "native");
  assert.equal(options.bodyLimit, 1024);
  assert.equal(options.memoryBudgetBytes, 1000000);
  assert.equal(options.adminToken, "t0k");
  assert.equal(options.store?.s3?.endpoint, "http://127.0.0.1:9000");
});

Deno.test("appOptionsFromEnv falls back to the defaults and the given model", () => {
  const options = appOptionsFromEnv({}, "examples/iris");
  assert.equal(options.modelUri, "examples/iris");
  assert.equal(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  assert.equal(options.bodyLimit, DEFAULT_BODY_LIMIT);
  assert.equal(options.backend, undefined);
  assert.equal(appOptionsFromEnv({}).modelUri, undefined);
});

Deno.test("appOptionsFromEnv refuses malformed values with an MlflowError naming the variable", () => {
  for (
    const [name, value] of [
      ["MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT", "soon"],
      ["MLFLOW_EDGE_BODY_LIMIT", "-1"],
      ["MLFLOW_EDGE_BACKEND", "gpu"],
    ]
  ) {
    assert.throws(
      () => appOptionsFromEnv({ [name]: value }),
      (e) => e instanceof MlflowError && e.status === 400 && e.message.includes(name),
    );
  }
});

Deno.test("the CLI caches remote bundles under XDG_CACHE_HOME or ~/.cache by default", async () => {
  const { defaultCacheDir } = await import("../../src/cli.ts");
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "/var/cache" }), "/var/cache/mlflow-edge");
  assert.equal(defaultCacheDir({ HOME: "/home/ada" }), "/home/ada/.cache/mlflow-edge");
  assert.equal(defaultCacheDir({}), undefined);
});
