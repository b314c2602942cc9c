/**
 * The server's options from environment variables: the one mapping shared by the CLI,
 * `deno serve src/server/main.ts`, and the Deno Deploy, Bun and Cloudflare Workers entries.
 * Web standards only (no `node:` or `Deno` APIs), so a Worker bundle can import it.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import type { AppOptions } from "./app.ts";
import { DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT_MS } from "./defaults.ts";
import { positiveInteger, positiveNumber, storeOptionsFromEnv } from "../store/env.ts";
import type { BatchingOptions } from "../runtime/mod.ts";

/**
 * `{limits: {maxElements}}` from an environment variable or flag, `{}` when unset.
 *
 * @example
 * ```ts
 * import { maxElementsLimits } from "./options_from_env.ts";
 * maxElementsLimits("5000000", "MLFLOW_EDGE_MAX_ELEMENTS"); // { limits: { maxElements: 5000000 } }
 * ```
 */
export function maxElementsLimits(
  value: string | undefined,
  what: string,
): { limits?: { maxElements: number } } {
  const n = positiveInteger(value, what);
  return n === undefined ? {} : { limits: { maxElements: n } };
}

/**
 * The ONNX backend named by an environment variable or flag, `undefined` when unset.
 *
 * @example
 * ```ts
 * import { backendName } from "./options_from_env.ts";
 * backendName("native", "MLFLOW_EDGE_BACKEND"); // "native"
 * ```
 */
export function backendName(value: string | undefined, what: string): "web" | "native" | undefined {
  if (value === undefined || value === "") return undefined;
  if (value !== "web" && value !== "native") {
    throw new MlflowError(
      `${what} must be "web" or "native", got "${value}".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return value;
}

/**
 * Batching options from a max batch size (an integer ≥ 1) and a max batch time in milliseconds,
 * as given by flags, environment variables or a config entry; `undefined` when neither is set.
 *
 * @example
 * ```ts
 * import { batchingOptions } from "./options_from_env.ts";
 * batchingOptions("32", "2", "--max-batch-size", "--max-batch-time"); // { maxBatchSize: 32, maxBatchTimeMs: 2 }
 * ```
 */
export function batchingOptions(
  size: string | undefined,
  time: string | undefined,
  sizeName: string,
  timeName: string,
): BatchingOptions | undefined {
  const maxBatchSize = positiveNumber(size, sizeName);
  const maxBatchTimeMs = positiveNumber(time, timeName);
  if (maxBatchSize === undefined) {
    if (maxBatchTimeMs === undefined) return undefined;
    throw new MlflowError(
      `${timeName} needs ${sizeName} (batching is off without a max batch size).`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  if (!Number.isInteger(maxBatchSize)) {
    throw new MlflowError(
      `${sizeName} must be a whole number of requests, got "${size}".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return maxBatchTimeMs === undefined ? { maxBatchSize } : { maxBatchSize, maxBatchTimeMs };
}

/**
 * An on/off switch from an environment variable or flag (`on`/`off`, `true`/`false`, `1`/`0`,
 * `yes`/`no`), `undefined` when unset.
 *
 * @example
 * ```ts
 * import { switchValue } from "./options_from_env.ts";
 * switchValue("off", "MLFLOW_EDGE_ACCESS_LOG"); // false
 * switchValue(undefined, "MLFLOW_EDGE_ACCESS_LOG"); // undefined
 * ```
 */
export function switchValue(value: string | undefined, what: string): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  const v = value.trim().toLowerCase();
  if (["on", "true", "1", "yes"].includes(v)) return true;
  if (["off", "false", "0", "no"].includes(v)) return false;
  throw new MlflowError(
    `${what} must be "on" or "off", got "${value}".`,
    "INVALID_PARAMETER_VALUE",
  );
}

/**
 * The `/metrics` setting: on (default), off, or `admin` (behind the admin token).
 *
 * @example
 * ```ts
 * import { metricsSetting } from "./options_from_env.ts";
 * metricsSetting("admin", "MLFLOW_EDGE_METRICS"); // "admin"
 * metricsSetting("off", "MLFLOW_EDGE_METRICS"); // false
 * ```
 */
export function metricsSetting(value: string | undefined, what: string): boolean | "admin" {
  if (value?.trim().toLowerCase() === "admin") return "admin";
  return switchValue(value, what) ?? true;
}

/**
 * A comma-separated list (trimmed, empty entries dropped), `undefined` when unset or empty.
 *
 * @example
 * ```ts
 * import { commaList } from "./options_from_env.ts";
 * commaList(" key-new, key-old ,"); // ["key-new", "key-old"]
 * ```
 */
export function commaList(value: string | undefined): string[] | undefined {
  const items = (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  return items.length ? items : undefined;
}

/**
 * The server options from environment variables alone: `MODEL_URI`,
 * `MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT` (seconds), `MLFLOW_EDGE_BACKEND`,
 * `MLFLOW_EDGE_BODY_LIMIT`, `MLFLOW_EDGE_MEMORY_BUDGET`, `MLFLOW_EDGE_ADMIN_TOKEN`,
 * `MLFLOW_EDGE_MAX_INFLIGHT_REQUESTS`, `MLFLOW_EDGE_MAX_INFLIGHT_BYTES`, `MLFLOW_EDGE_CORE_MEMORY_CAP`,
 * `MLFLOW_EDGE_MAX_ELEMENTS`, `MLFLOW_EDGE_MAX_BATCH_SIZE` and `MLFLOW_EDGE_MAX_BATCH_TIME` (ms),
 * `MLFLOW_EDGE_METRICS` (on, off, admin), `MLFLOW_EDGE_ACCESS_LOG` (on, off), `OTEL_DENO` or
 * `MLFLOW_EDGE_TRACING` (request spans), `MLFLOW_EDGE_API_KEYS` and `MLFLOW_EDGE_CORS_ORIGINS`
 * (comma-separated), `MLFLOW_EDGE_SECURE_HEADERS` (on, off), `MLFLOW_EDGE_THREADS`, and the store
 * variables (`AWS_*`, `MLFLOW_S3_ENDPOINT_URL`, `MLFLOW_TRACKING_*`, …). Without `MODEL_URI` the
 * model is `defaultModelUri`.
 *
 * @example
 * ```ts
 * import { appOptionsFromEnv } from "./options_from_env.ts";
 * const options = appOptionsFromEnv({ MODEL_URI: "examples/iris", MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT: "5" });
 * options.timeoutMs; // 5000
 * ```
 */
export function appOptionsFromEnv(
  env: Record<string, string | undefined>,
  defaultModelUri?: string,
): AppOptions {
  const timeout = positiveNumber(
    env.MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT,
    "MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT",
  );
  return {
    modelUri: env.MODEL_URI || defaultModelUri,
    backend: backendName(env.MLFLOW_EDGE_BACKEND, "MLFLOW_EDGE_BACKEND"),
    timeoutMs: timeout === undefined ? DEFAULT_TIMEOUT_MS : timeout * 1000,
    bodyLimit: positiveNumber(env.MLFLOW_EDGE_BODY_LIMIT, "MLFLOW_EDGE_BODY_LIMIT") ??
      DEFAULT_BODY_LIMIT,
    memoryBudgetBytes: positiveNumber(env.MLFLOW_EDGE_MEMORY_BUDGET, "MLFLOW_EDGE_MEMORY_BUDGET"),
    adminToken: env.MLFLOW_EDGE_ADMIN_TOKEN || undefined,
    maxInflightRequests: positiveInteger(
      env.MLFLOW_EDGE_MAX_INFLIGHT_REQUESTS,
      "MLFLOW_EDGE_MAX_INFLIGHT_REQUESTS",
    ),
    maxInflightBytes: positiveInteger(
      env.MLFLOW_EDGE_MAX_INFLIGHT_BYTES,
      "MLFLOW_EDGE_MAX_INFLIGHT_BYTES",
    ),
    coreMemoryCap: positiveInteger(env.MLFLOW_EDGE_CORE_MEMORY_CAP, "MLFLOW_EDGE_CORE_MEMORY_CAP"),
    ...maxElementsLimits(env.MLFLOW_EDGE_MAX_ELEMENTS, "MLFLOW_EDGE_MAX_ELEMENTS"),
    threads: positiveInteger(env.MLFLOW_EDGE_THREADS, "MLFLOW_EDGE_THREADS"),
    batching: batchingOptions(
      env.MLFLOW_EDGE_MAX_BATCH_SIZE,
      env.MLFLOW_EDGE_MAX_BATCH_TIME,
      "MLFLOW_EDGE_MAX_BATCH_SIZE",
      "MLFLOW_EDGE_MAX_BATCH_TIME",
    ),
    metrics: metricsSetting(env.MLFLOW_EDGE_METRICS, "MLFLOW_EDGE_METRICS"),
    accessLog: switchValue(env.MLFLOW_EDGE_ACCESS_LOG, "MLFLOW_EDGE_ACCESS_LOG"),
    // Deno's own OpenTelemetry switch turns our spans on too.
    tracing: switchValue(env.OTEL_DENO, "OTEL_DENO") ||
      switchValue(env.MLFLOW_EDGE_TRACING, "MLFLOW_EDGE_TRACING") || undefined,
    apiKeys: commaList(env.MLFLOW_EDGE_API_KEYS),
    corsOrigins: commaList(env.MLFLOW_EDGE_CORS_ORIGINS),
    secureHeaders: switchValue(env.MLFLOW_EDGE_SECURE_HEADERS, "MLFLOW_EDGE_SECURE_HEADERS"),
    store: storeOptionsFromEnv(env),
  };
}
