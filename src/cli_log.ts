/**
 * `deno task log`: log a model directory (or a `model.onnx`) to an MLflow tracking server, so
 * `deno task serve -m models:/NAME@ALIAS` (or `mlflow.pyfunc.load_model`) serves it next.
 *
 * ```sh
 * deno task log -m <bundle dir | model.onnx> --tracking-uri URI [--registered-model-name N]
 *               [--alias A] [--experiment-name E | --experiment-id ID] [--run-id ID] [--name NAME]
 * ```
 *
 * @example
 * ```ts
 * import { logConfig } from "./cli_log.ts";
 * const config = logConfig(["-m", "examples/iris", "--registered-model-name", "iris"], {
 *   MLFLOW_TRACKING_URI: "http://127.0.0.1:5000",
 * });
 * config.options.trackingUri; // "http://127.0.0.1:5000"
 * ```
 *
 * @module
 */
import { parseFlags, usageError } from "./cli_args.ts";
import { storeOptionsFromEnv } from "./store/env.ts";
import { progressBar } from "./store/progress.ts";
import type { ModelInfo } from "./tracking/mod.ts";
import { logBundle, logModel, type LogOptions } from "./tracking/log_model.ts";
import { readModelDir } from "./tracking/read_files.ts";

/**
 * The command line's usage text.
 *
 * @example
 * ```ts
 * import { LOG_USAGE } from "./cli_log.ts";
 * LOG_USAGE.startsWith("Usage:"); // true
 * ```
 */
export const LOG_USAGE = `Usage:
  deno task log -m PATH --tracking-uri URI [options]
      log a model directory as it is (its MLmodel and every file), or a model.onnx as
      mlflow.onnx.log_model would, to an MLflow 3 tracking server

options (environment variable in brackets):
  -m, --model-path PATH          the model directory or a .onnx file
      --tracking-uri URI         the tracking server [MLFLOW_TRACKING_URI]
      --registered-model-name N  register a version under N (created if missing)
      --alias A                  point alias A of N at the new version
      --experiment-name E        log in experiment E (created if missing)
      --experiment-id ID         log in experiment ID
      --run-id ID                log in this existing run (left running)
      --name NAME                the logged model's name, default "model"

Credentials: MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD;
AWS_* and MLFLOW_S3_ENDPOINT_URL when the server keeps artifacts in S3. Prints the logged
model's info as JSON.`;

/**
 * What `log` does, from its arguments and the environment (flags win).
 *
 * @example
 * ```ts
 * import { type LogConfig, logConfig } from "./cli_log.ts";
 * const config: LogConfig = logConfig(["-m", "dir", "--tracking-uri", "http://127.0.0.1:5000"], {});
 * config.path; // "dir"
 * ```
 */
export interface LogConfig {
  /** The model directory or `.onnx` file. */
  path: string;
  /** Where and how to log it. */
  options: LogOptions;
}

/**
 * Parse `log`'s flags; the tracking server, credentials and timeouts may come from the
 * environment as for `serve` (`MLFLOW_TRACKING_*`, `AWS_*`, `MLFLOW_HTTP_REQUEST_*`).
 *
 * @example
 * ```ts
 * import { logConfig } from "./cli_log.ts";
 * logConfig(["-m", "dir", "--alias", "champion", "--registered-model-name", "iris"], {
 *   MLFLOW_TRACKING_URI: "http://127.0.0.1:5000",
 * }).options.alias; // "champion"
 * ```
 */
export function logConfig(args: string[], env: Record<string, string | undefined>): LogConfig {
  const values = parseFlags(args, {
    "model-path": { type: "string", short: "m" },
    "tracking-uri": { type: "string" },
    "registered-model-name": { type: "string" },
    alias: { type: "string" },
    "experiment-name": { type: "string" },
    "experiment-id": { type: "string" },
    "run-id": { type: "string" },
    name: { type: "string" },
  }, LOG_USAGE);
  const path = values["model-path"];
  if (!path) usageError("log needs -m PATH (a model directory or a .onnx file).", LOG_USAGE);
  const store = storeOptionsFromEnv(env);
  const trackingUri = values["tracking-uri"] ?? store.tracking?.uri;
  if (!trackingUri) usageError("log needs --tracking-uri URI (or MLFLOW_TRACKING_URI).", LOG_USAGE);
  const options: LogOptions = {
    trackingUri,
    tracking: store.tracking,
    s3: store.s3,
    allowedHosts: store.allowedHosts,
    timeoutMs: store.timeoutMs,
    retries: store.retries,
    user: env.USER || env.USERNAME || undefined,
    sourceName: "mlflow-edge log",
  };
  const flags = {
    registeredModelName: values["registered-model-name"],
    alias: values.alias,
    experimentName: values["experiment-name"],
    experimentId: values["experiment-id"],
    runId: values["run-id"],
    name: values.name,
  };
  for (const [k, v] of Object.entries(flags)) {
    if (v !== undefined) (options as Record<string, unknown>)[k] = v;
  }
  return { path, options };
}

/**
 * Run `log`: a `.onnx` file is logged as `mlflow.onnx.log_model` would, a directory as is.
 * Upload progress goes to `stderr` when it is a terminal.
 *
 * @example
 * ```ts
 * import { logCommand } from "./cli_log.ts";
 * // const info = await logCommand(["-m", "examples/iris", "--tracking-uri", "http://127.0.0.1:5000"], Deno.env.toObject());
 * ```
 */
export async function logCommand(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<ModelInfo | undefined> {
  if (args.includes("--help")) {
    console.log(LOG_USAGE);
    return undefined;
  }
  const { path, options } = logConfig(args, env);
  if (Deno.stderr.isTerminal()) {
    options.onProgress = progressBar(Deno.stderr, { label: "Uploading model" });
  }
  const info = /\.onnx$/i.test(path)
    ? await logModel({ ...options, onnx: path })
    : await logBundle(await readModelDir(path), options);
  console.log(JSON.stringify(info, null, 2));
  return info;
}
