import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { storeOptionsFromEnv } from "../../src/store/mod.ts";

Deno.test("maps the AWS and MLflow variables onto store options", () => {
  const options = storeOptionsFromEnv({
    AWS_ACCESS_KEY_ID: "AKID",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_SESSION_TOKEN: "token",
    AWS_REGION: "eu-west-1",
    AWS_DEFAULT_REGION: "us-west-2",
    MLFLOW_S3_ENDPOINT_URL: "http://minio:9000",
    AWS_ENDPOINT_URL: "http://other:9000",
    MLFLOW_TRACKING_URI: "https://mlflow.example.com",
    MLFLOW_TRACKING_TOKEN: "tok",
    MLFLOW_TRACKING_USERNAME: "ana",
    MLFLOW_TRACKING_PASSWORD: "pw",
    MLFLOW_HTTP_REQUEST_TIMEOUT: "30",
    MLFLOW_HTTP_REQUEST_MAX_RETRIES: "5",
    MLFLOW_EDGE_CACHE_DIR: "/var/cache/mlflow-edge",
    MLFLOW_EDGE_MAX_BUNDLE_BYTES: "1000000",
    MLFLOW_EDGE_DOWNLOAD_CONCURRENCY: "2",
    MLFLOW_EDGE_ALLOWED_HOSTS: "artifacts.example.com, s3://models",
  });
  assert.deepEqual(options, {
    s3: {
      endpoint: "http://minio:9000",
      region: "eu-west-1",
      accessKeyId: "AKID",
      secretAccessKey: "secret",
      sessionToken: "token",
    },
    tracking: { uri: "https://mlflow.example.com", token: "tok", username: "ana", password: "pw" },
    timeoutMs: 30_000,
    retries: 5,
    cacheDir: "/var/cache/mlflow-edge",
    maxBytes: 1_000_000,
    concurrency: 2,
    allowedHosts: ["artifacts.example.com", "s3://models"],
  });
});

Deno.test("falls back to AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL", () => {
  assert.deepEqual(
    storeOptionsFromEnv({ AWS_DEFAULT_REGION: "us-west-2", AWS_ENDPOINT_URL: "http://a" }).s3,
    {
      region: "us-west-2",
      endpoint: "http://a",
    },
  );
  assert.equal(
    storeOptionsFromEnv({ AWS_ENDPOINT_URL_S3: "http://s3", AWS_ENDPOINT_URL: "http://a" }).s3
      ?.endpoint,
    "http://s3",
  );
});

Deno.test("an empty environment gives empty options, and empty values count as unset", () => {
  assert.deepEqual(storeOptionsFromEnv({}), {});
  assert.deepEqual(storeOptionsFromEnv({ MLFLOW_TRACKING_URI: "", AWS_REGION: "  " }), {});
});

Deno.test("MLFLOW_EDGE_CACHE_DIR=false turns caching off", () => {
  assert.equal(storeOptionsFromEnv({ MLFLOW_EDGE_CACHE_DIR: "false" }).cacheDir, false);
  assert.equal(storeOptionsFromEnv({ MLFLOW_EDGE_CACHE_DIR: "0" }).cacheDir, false);
});

Deno.test("numbers that do not parse are refused, naming the variable and the value", () => {
  for (
    const [name, value] of [
      ["MLFLOW_HTTP_REQUEST_TIMEOUT", "soon"],
      ["MLFLOW_EDGE_MAX_BUNDLE_BYTES", "-1"],
      ["MLFLOW_EDGE_DOWNLOAD_CONCURRENCY", "2.5"],
      ["MLFLOW_HTTP_REQUEST_MAX_RETRIES", "-1"],
    ]
  ) {
    assert.throws(
      () => storeOptionsFromEnv({ [name]: value }),
      (err) =>
        err instanceof MlflowError && err.message.startsWith(`${name} must be a `) &&
        err.message.includes(`got "${value}"`),
      name,
    );
  }
  assert.equal(storeOptionsFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0" }).retries, 0);
  assert.equal(storeOptionsFromEnv({ MLFLOW_HTTP_REQUEST_TIMEOUT: " " }).timeoutMs, undefined);
});
