/**
 * {@linkcode storeOptionsFromEnv}: the standard AWS and MLflow environment variables mapped onto
 * {@linkcode FetchBundleOptions}. Only entry points (the CLI, edge entries) call it; the library
 * itself never reads the environment.
 *
 * @module
 */
import type { FetchBundleOptions, S3Options, TrackingOptions } from "./types.ts";

/**
 * Map environment variables onto store options. Unset or empty variables are left out.
 *
 * | variable | option |
 * |---|---|
 * | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | `s3` credentials |
 * | `AWS_REGION`, else `AWS_DEFAULT_REGION` | `s3.region` |
 * | `MLFLOW_S3_ENDPOINT_URL`, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` | `s3.endpoint` |
 * | `MLFLOW_TRACKING_URI`, `MLFLOW_TRACKING_TOKEN`, `MLFLOW_TRACKING_USERNAME`/`PASSWORD` | `tracking` |
 * | `MLFLOW_HTTP_REQUEST_TIMEOUT` (seconds) | `timeoutMs` |
 * | `MLFLOW_HTTP_REQUEST_MAX_RETRIES` | `retries` |
 * | `MLFLOW_EDGE_CACHE_DIR` (`false` or `0` disables caching) | `cacheDir` |
 * | `MLFLOW_EDGE_MAX_BUNDLE_BYTES` | `maxBytes` |
 * | `MLFLOW_EDGE_DOWNLOAD_CONCURRENCY` | `concurrency` |
 * | `MLFLOW_EDGE_ALLOWED_HOSTS` (comma-separated) | `allowedHosts` |
 *
 * @example
 * ```ts
 * import { storeOptionsFromEnv } from "./env.ts";
 * const options = storeOptionsFromEnv({ MLFLOW_TRACKING_URI: "http://127.0.0.1:5000", AWS_REGION: "eu-west-1" });
 * options.tracking?.uri; // "http://127.0.0.1:5000"
 * options.s3?.region; // "eu-west-1"
 * ```
 */
export function storeOptionsFromEnv(env: Record<string, string | undefined>): FetchBundleOptions {
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const out: FetchBundleOptions = {};
  const s3 = compact<S3Options>({
    endpoint: get("MLFLOW_S3_ENDPOINT_URL") ?? get("AWS_ENDPOINT_URL_S3") ??
      get("AWS_ENDPOINT_URL"),
    region: get("AWS_REGION") ?? get("AWS_DEFAULT_REGION"),
    accessKeyId: get("AWS_ACCESS_KEY_ID"),
    secretAccessKey: get("AWS_SECRET_ACCESS_KEY"),
    sessionToken: get("AWS_SESSION_TOKEN"),
  });
  if (s3) out.s3 = s3;
  const tracking = compact<TrackingOptions>({
    uri: get("MLFLOW_TRACKING_URI"),
    token: get("MLFLOW_TRACKING_TOKEN"),
    username: get("MLFLOW_TRACKING_USERNAME"),
    password: get("MLFLOW_TRACKING_PASSWORD"),
  });
  if (tracking) out.tracking = tracking;
  const seconds = number(get("MLFLOW_HTTP_REQUEST_TIMEOUT"));
  if (seconds !== undefined) out.timeoutMs = seconds * 1000;
  const retries = number(get("MLFLOW_HTTP_REQUEST_MAX_RETRIES"));
  if (retries !== undefined) out.retries = retries;
  const cacheDir = get("MLFLOW_EDGE_CACHE_DIR");
  if (cacheDir !== undefined) {
    out.cacheDir = /^(false|0|off|no)$/i.test(cacheDir) ? false : cacheDir;
  }
  const maxBytes = number(get("MLFLOW_EDGE_MAX_BUNDLE_BYTES"));
  if (maxBytes !== undefined) out.maxBytes = maxBytes;
  const concurrency = number(get("MLFLOW_EDGE_DOWNLOAD_CONCURRENCY"));
  if (concurrency !== undefined) out.concurrency = concurrency;
  const hosts = get("MLFLOW_EDGE_ALLOWED_HOSTS");
  if (hosts !== undefined) out.allowedHosts = hosts.split(",").map((h) => h.trim()).filter(Boolean);
  return out;
}

function compact<T extends object>(o: T): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) as T : undefined;
}

function number(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
