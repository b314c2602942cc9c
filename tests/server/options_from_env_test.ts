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

Deno.test("appOptionsFromEnv maps the operating variables: metrics, access log, tracing, keys, CORS", () => {
  const on = appOptionsFromEnv({
    MLFLOW_EDGE_METRICS: "admin",
    MLFLOW_EDGE_ACCESS_LOG: "on",
    OTEL_DENO: "true",
    MLFLOW_EDGE_API_KEYS: "a, b,,",
    MLFLOW_EDGE_CORS_ORIGINS: "*",
    MLFLOW_EDGE_SECURE_HEADERS: "off",
  });
  assert.equal(on.metrics, "admin");
  assert.equal(on.accessLog, true);
  assert.equal(on.tracing, true);
  assert.deepEqual(on.apiKeys, ["a", "b"]);
  assert.deepEqual(on.corsOrigins, ["*"]);
  assert.equal(on.secureHeaders, false);
  const defaults = appOptionsFromEnv({});
  assert.equal(defaults.metrics, true);
  assert.equal(defaults.accessLog, undefined);
  assert.equal(defaults.tracing, undefined);
  assert.equal(defaults.apiKeys, undefined);
  assert.equal(appOptionsFromEnv({ MLFLOW_EDGE_METRICS: "off" }).metrics, false);
  assert.equal(appOptionsFromEnv({ MLFLOW_EDGE_TRACING: "on" }).tracing, true);
  for (const [name, value] of [["MLFLOW_EDGE_ACCESS_LOG", "maybe"], ["OTEL_DENO", "yes please"]]) {
    assert.throws(
      () => appOptionsFromEnv({ [name]: value }),
      (e) => e instanceof MlflowError && e.message.includes(name),
    );
  }
});

Deno.test("the CLI's access log is on by default and off with --no-access-log or the variable", async () => {
  const { serveConfig } = await import("../../src/cli.ts");
  assert.equal((await serveConfig([], {})).app.accessLog, true);
  assert.equal((await serveConfig(["--no-access-log"], {})).app.accessLog, false);
  assert.equal((await serveConfig([], { MLFLOW_EDGE_ACCESS_LOG: "off" })).app.accessLog, false);
  const config = await serveConfig(["--metrics", "off", "--cors-origins", "https://a.example"], {});
  assert.equal(config.app.metrics, false);
  assert.deepEqual(config.app.corsOrigins, ["https://a.example"]);
});
