/**
 * Where model bundles come from. {@linkcode fetchBundle} returns every file of an MLflow model
 * directory from a local path or `file:` URL, `http(s)://`, `s3://bucket/prefix` (SigV4 via
 * aws4fetch, endpoint override for MinIO / R2 / GCS), `r2://BINDING/prefix` (a Workers R2
 * binding), or the MLflow tracking server (`models:/name/version`, `models:/name@alias`,
 * `models:/name/latest`, `models:/name/<stage>`, `models:/m-<id>`, `runs:/<run_id>/path`,
 * `mlflow-artifacts:/path`).
 *
 * Downloads are parallel and bounded (per-request timeout, retries with backoff on 5xx and
 * network errors, a total-size cap, truncation checks) and cached (on disk keyed by URI and
 * ETag, or in memory). Keys stay inside the bundle; credentials never appear in errors.
 *
 * @example
 * ```ts
 * import { fetchBundle, storeOptionsFromEnv } from "./mod.ts";
 * const options = storeOptionsFromEnv({ MLFLOW_EDGE_CACHE_DIR: "false" });
 * const { files } = await fetchBundle("tests/fixtures/mlflow-bundles/iris_mlp_onnx", options);
 * [...files.keys()].includes("MLmodel"); // true
 * ```
 *
 * @module
 */
export { fetchBundle } from "./fetch_bundle.ts";
export { envNumber, positiveInteger, positiveNumber, storeOptionsFromEnv } from "./env.ts";
export { progressBar } from "./progress.ts";
export { redactUri } from "./redact.ts";
export type { ProgressBarOptions, ProgressWriter } from "./progress.ts";
export { parseModelsUri, parseRunsUri } from "./mlflow.ts";
export type { ModelsUri } from "./mlflow.ts";

export type {
  BundleFiles,
  BundleStore,
  FetchBundleOptions,
  ListContext,
  ObjectBody,
  ObjectMeta,
  R2BucketLike,
  R2ObjectBodyLike,
  R2ObjectsLike,
  S3Options,
  TrackingOptions,
} from "./types.ts";
