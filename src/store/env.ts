/**
 * {@linkcode storeOptionsFromEnv}: the standard AWS and MLflow environment variables mapped onto
 * {@linkcode FetchBundleOptions}. Only entry points (the CLI, edge entries) call it; the library
 * itself never reads the environment.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
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
  const seconds = positiveNumber(env.MLFLOW_HTTP_REQUEST_TIMEOUT, "MLFLOW_HTTP_REQUEST_TIMEOUT");
  if (seconds !== undefined) out.timeoutMs = seconds * 1000;
  const retries = envNumber(
    env.MLFLOW_HTTP_REQUEST_MAX_RETRIES,
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
    {
      zero: true,
      integer: true,
    },
  );
  if (retries !== undefined) out.retries = retries;
  const cacheDir = get("MLFLOW_EDGE_CACHE_DIR");
  if (cacheDir !== undefined) {
    out.cacheDir = /^(false|0|off|no)$/i.test(cacheDir) ? false : cacheDir;
  }
  const maxBytes = positiveInteger(
    env.MLFLOW_EDGE_MAX_BUNDLE_BYTES,
    "MLFLOW_EDGE_MAX_BUNDLE_BYTES",
  );
  if (maxBytes !== undefined) out.maxBytes = maxBytes;
  const concurrency = positiveInteger(
    env.MLFLOW_EDGE_DOWNLOAD_CONCURRENCY,
    "MLFLOW_EDGE_DOWNLOAD_CONCURRENCY",
  );
  if (concurrency !== undefined) out.concurrency = concurrency;
  const hosts = get("MLFLOW_EDGE_ALLOWED_HOSTS");
  if (hosts !== undefined) out.allowedHosts = hosts.split(",").map((h) => h.trim()).filter(Boolean);
  return out;
}

function compact<T extends object>(o: T): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) as T : undefined;
}

/**
 * The one parser of numbers from environment variables and flags: `undefined` when unset or
 * blank, else a finite number that is positive (or zero, with `zero`) and whole (with
 * `integer`), or an `MlflowError` naming the variable and the value.
 *
 * @example
 * ```ts
 * import { envNumber } from "./env.ts";
 * envNumber("3", "MLFLOW_HTTP_REQUEST_MAX_RETRIES", { zero: true, integer: true }); // 3
 * envNumber(undefined, "MLFLOW_HTTP_REQUEST_TIMEOUT"); // undefined
 * ```
 */
export function envNumber(
  value: string | undefined,
  what: string,
  options: { zero?: boolean; integer?: boolean } = {},
): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !options.zero)) {
    throw new MlflowError(
      `${what} must be a ${options.zero ? "non-negative" : "positive"} number, got "${value}".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  if (options.integer && !Number.isInteger(n)) {
    throw new MlflowError(
      `${what} must be a whole number, got "${value}".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return n;
}

/**
 * A positive number from an environment variable or flag, `undefined` when unset.
 *
 * @example
 * ```ts
 * import { positiveNumber } from "./env.ts";
 * positiveNumber("2.5", "MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT"); // 2.5
 * positiveNumber(undefined, "MLFLOW_EDGE_BODY_LIMIT"); // undefined
 * ```
 */
export function positiveNumber(value: string | undefined, what: string): number | undefined {
  return envNumber(value, what);
}

/**
 * A positive whole number from an environment variable or flag, `undefined` when unset.
 *
 * @example
 * ```ts
 * import { positiveInteger } from "./env.ts";
 * positiveInteger("64", "MLFLOW_EDGE_MAX_INFLIGHT_REQUESTS"); // 64
 * ```
 */
export function positiveInteger(value: string | undefined, what: string): number | undefined {
  return envNumber(value, what, { integer: true });
}
