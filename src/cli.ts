/**
 * The command line: `deno task serve` (MLflow's `mlflow models serve`) and `deno task predict`
 * (`mlflow models predict`). Flags and environment variables map onto the server's one options
 * object here and nowhere else.
 *
 * ```sh
 * deno task serve [-m MODEL_URI | -m NAME=URI ...] [-h HOST] [-p PORT] [-t SECONDS]
 *                 [--backend web|native] [--body-limit BYTES] [--config FILE] [--memory-budget BYTES]
 *                 [--max-batch-size N] [--max-batch-time MS] [--threads N] [--workers N]
 * deno task predict -m MODEL_URI [-i input.json] [-o output.json] [-t json|csv] [--backend web|native]
 * ```
 *
 * @example
 * ```ts
 * import { serveConfig } from "./cli.ts";
 * const config = await serveConfig(["-p", "8080"], { MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT: "5" });
 * config.app.timeoutMs; // 5000
 * ```
 *
 * @module
 */
// Only what reading the command line needs is imported here: the server, the model loader and
// the stores are imported when used, so that the runtime's start-up work (see warmUp) begins
// before their modules load.
import { parseFlags, usageError as refuse } from "./cli_args.ts";
import { MlflowError } from "./errors.ts";
import type { AppOptions } from "./server/app.ts";
import {
  appOptionsFromEnv,
  backendName,
  batchingOptions,
  commaList,
  metricsSetting,
} from "./server/options_from_env.ts";
import { EXAMPLE_MODEL } from "./server/example_model.ts";
import type { BatchingOptions } from "./runtime/mod.ts";
import { positiveInteger, positiveNumber, storeOptionsFromEnv } from "./store/env.ts";
import { progressBar } from "./store/progress.ts";
import { redactUri } from "./store/redact.ts";
import type { FetchBundleOptions } from "./store/types.ts";

/**
 * Host, port and the app's options, as `serve` uses them.
 *
 * @example
 * ```ts
 * import { type ServeConfig, serveConfig } from "./cli.ts";
 * const config: ServeConfig = await serveConfig(["-p", "8080"], {});
 * config.host; // "127.0.0.1"
 * ```
 */
export interface ServeConfig {
  host: string;
  port: number;
  app: AppOptions;
  /** Server threads, each with its own copy of the models, sharing the port (default 1). */
  workers: number;
}

const USAGE = `Usage:
  deno task serve [options]      serve a model over MLflow's scoring protocol
  deno task predict [options]    one prediction from a file, like \`mlflow models predict\`
  deno task log -m DIR --tracking-uri URI [--registered-model-name N] [--alias A]
                                 log a model to an MLflow tracking server (log --help)

serve options (environment variable in brackets):
  -m, --model-uri URI       model to serve at /invocations [MODEL_URI]; default: the iris example
  -m NAME=URI               also serve URI at /models/NAME/invocations (repeatable)
      --config FILE         JSON file {"models": {"NAME": "URI", ...}} [MLFLOW_EDGE_CONFIG]; an
                            entry may be {"uri": URI, "max_batch_size": N, "max_batch_time": MS}
  -h, --host HOST           bind address, default 127.0.0.1 [MLFLOW_HOST]
  -p, --port PORT           port, default 5000 [MLFLOW_PORT]
  -t, --timeout SECONDS     per-request limit, default 60 [MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT]
      --backend web|native  onnxruntime-web (default) or onnxruntime-node [MLFLOW_EDGE_BACKEND]
      --body-limit BYTES    largest request body, default 104857600 [MLFLOW_EDGE_BODY_LIMIT]
      --max-elements N      most JSON values or CSV cells per request, default 1000000
                            [MLFLOW_EDGE_MAX_ELEMENTS]
      --max-inflight-requests N  prediction requests in flight before 503, default 256
                            [MLFLOW_EDGE_MAX_INFLIGHT_REQUESTS]
      --max-inflight-bytes BYTES  request-body bytes in flight before 503, default 67108864
                            [MLFLOW_EDGE_MAX_INFLIGHT_BYTES]
      --core-memory-cap BYTES  renew the wasm core after a request leaves it larger, default
                            67108864 [MLFLOW_EDGE_CORE_MEMORY_CAP]
      --memory-budget BYTES unload least-recently-used named models above this [MLFLOW_EDGE_MEMORY_BUDGET]
      --max-batch-size N    batch up to N concurrent requests per model into one run; off by
                            default [MLFLOW_EDGE_MAX_BATCH_SIZE]
      --max-batch-time MS   longest a request waits for the run in flight, default 5
                            [MLFLOW_EDGE_MAX_BATCH_TIME]
      --threads N           wasm threads of the web backend, default 1 [MLFLOW_EDGE_THREADS]
      --workers N           N server threads sharing the port, each with its own copy of the
                            models, default 1 [MLFLOW_EDGE_WORKERS]
      --no-access-log       no JSON access log on stderr (on by default) [MLFLOW_EDGE_ACCESS_LOG=off]
      --metrics on|off|admin  GET /metrics open (default), off, or behind the admin token [MLFLOW_EDGE_METRICS]
      --cors-origins LIST   comma-separated origins allowed by CORS, or * [MLFLOW_EDGE_CORS_ORIGINS]

predict options:
  -m, --model-uri URI       the model [MODEL_URI]
  -i, --input-path FILE     the request body; default: standard input
  -o, --output-path FILE    where to write predictions; default: standard output
  -t, --content-type TYPE   json (default) or csv
      --backend web|native  as for serve

Stores read AWS_*, MLFLOW_S3_ENDPOINT_URL, AWS_ENDPOINT_URL and MLFLOW_TRACKING_* as MLflow does.
SIGHUP reloads every loaded model from its URI (e.g. a new version behind models:/name@alias).
With MLFLOW_EDGE_ADMIN_TOKEN set, POST /models/NAME/reload (Authorization: Bearer TOKEN, optional
body {"uri": "..."}) reloads one model.
With MLFLOW_EDGE_API_KEYS=key1,key2 every route but health, /metrics and reload needs
Authorization: Bearer KEY (or X-API-Key: KEY). OTEL_DENO=true (with OTEL_EXPORTER_OTLP_ENDPOINT)
exports traces of requests and model loads.`;

function usageError(message: string): never {
  return refuse(message, USAGE);
}

/** Flag values: the shared parsers, with the usage text added to their errors. */
function flagNumber(value: string | undefined, what: string): number | undefined {
  try {
    return positiveNumber(value, what);
  } catch (err) {
    usageError((err as Error).message);
  }
}

function flagInteger(value: string | undefined, what: string): number | undefined {
  try {
    return positiveInteger(value, what);
  } catch (err) {
    usageError((err as Error).message);
  }
}

function flagBackend(value: string | undefined, what: string): "web" | "native" | undefined {
  try {
    return backendName(value, what);
  } catch (err) {
    usageError((err as Error).message);
  }
}

const NAMED = /^([A-Za-z0-9][A-Za-z0-9._-]*)=(.+)$/s;

/**
 * `serve`'s configuration from its arguments and the environment (flags win).
 *
 * @example
 * ```ts
 * import { serveConfig } from "./cli.ts";
 * const config = await serveConfig(["-m", "iris=examples/iris", "-p", "8080"], {});
 * config.port; // 8080
 * config.app.models; // { iris: "examples/iris" }
 * ```
 */
export async function serveConfig(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<ServeConfig> {
  const values = parseFlags(args, {
    "model-uri": { type: "string", short: "m", multiple: true },
    host: { type: "string", short: "h" },
    port: { type: "string", short: "p" },
    timeout: { type: "string", short: "t" },
    backend: { type: "string" },
    "body-limit": { type: "string" },
    "max-inflight-requests": { type: "string" },
    "max-inflight-bytes": { type: "string" },
    "max-elements": { type: "string" },
    "core-memory-cap": { type: "string" },
    "memory-budget": { type: "string" },
    "max-batch-size": { type: "string" },
    "max-batch-time": { type: "string" },
    threads: { type: "string" },
    workers: { type: "string" },
    config: { type: "string" },
    "no-access-log": { type: "boolean" },
    metrics: { type: "string" },
    "cors-origins": { type: "string" },
    help: { type: "boolean" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const app = appOptionsFromEnv(env, EXAMPLE_MODEL);
  let plain: string | undefined;
  const models: Record<string, string> = {};
  const modelBatching: Record<string, BatchingOptions> = {};
  const configFile = values.config ?? env.MLFLOW_EDGE_CONFIG;
  if (configFile) {
    let parsed: { models?: Record<string, unknown> };
    try {
      parsed = JSON.parse(await Deno.readTextFile(configFile));
    } catch (err) {
      usageError(`Cannot read the config file "${configFile}": ${(err as Error).message}`);
    }
    if (!parsed?.models || typeof parsed.models !== "object") {
      usageError(`The config file "${configFile}" needs {"models": {"NAME": "URI", ...}}.`);
    }
    for (const [name, entry] of Object.entries(parsed.models)) {
      if (typeof entry === "string") {
        models[name] = entry;
        continue;
      }
      const e = entry as Record<string, unknown> | null;
      if (typeof e !== "object" || e === null || typeof e.uri !== "string") {
        usageError(
          `Model "${name}" in "${configFile}" needs a URI string or {"uri": "...", ...}.`,
        );
      }
      models[name] = e.uri;
      const what = `"${name}" in ${configFile}:`;
      let batching;
      try {
        batching = batchingOptions(
          e.max_batch_size === undefined ? undefined : String(e.max_batch_size),
          e.max_batch_time === undefined ? undefined : String(e.max_batch_time),
          `${what} max_batch_size`,
          `${what} max_batch_time`,
        );
      } catch (err) {
        usageError((err as Error).message);
      }
      if (batching) modelBatching[name] = batching;
    }
  }
  for (const m of values["model-uri"] ?? []) {
    const named = NAMED.exec(m);
    if (named) models[named[1]] = named[2];
    else if (plain !== undefined) {
      usageError(`Only one model may be given without a name; name the others NAME=URI.`);
    } else plain = m;
  }
  const hasNamed = Object.keys(models).length > 0;
  app.modelUri = plain ?? env.MODEL_URI ?? (hasNamed ? undefined : EXAMPLE_MODEL);
  if (hasNamed) app.models = models;
  if (Object.keys(modelBatching).length > 0) app.modelBatching = modelBatching;
  if (values.timeout !== undefined) {
    app.timeoutMs = flagNumber(values.timeout, "--timeout")! * 1000;
  }
  if (values.backend !== undefined) app.backend = flagBackend(values.backend, "--backend");
  if (values["body-limit"] !== undefined) {
    app.bodyLimit = flagNumber(values["body-limit"], "--body-limit");
  }
  if (values["max-inflight-requests"] !== undefined) {
    app.maxInflightRequests = flagInteger(
      values["max-inflight-requests"],
      "--max-inflight-requests",
    );
  }
  if (values["max-inflight-bytes"] !== undefined) {
    app.maxInflightBytes = flagInteger(values["max-inflight-bytes"], "--max-inflight-bytes");
  }
  if (values["core-memory-cap"] !== undefined) {
    app.coreMemoryCap = flagInteger(values["core-memory-cap"], "--core-memory-cap");
  }
  if (values["max-elements"] !== undefined) {
    app.limits = {
      ...app.limits,
      maxElements: flagInteger(values["max-elements"], "--max-elements"),
    };
  }
  if (values["memory-budget"] !== undefined) {
    app.memoryBudgetBytes = flagNumber(values["memory-budget"], "--memory-budget");
  }
  if (values["max-batch-size"] !== undefined || values["max-batch-time"] !== undefined) {
    try {
      app.batching = batchingOptions(
        values["max-batch-size"] ?? env.MLFLOW_EDGE_MAX_BATCH_SIZE,
        values["max-batch-time"] ?? env.MLFLOW_EDGE_MAX_BATCH_TIME,
        "--max-batch-size",
        "--max-batch-time",
      );
    } catch (err) {
      usageError((err as Error).message);
    }
  }
  // The access log is on by default here (off by default in the library).
  app.accessLog = values["no-access-log"] ? false : app.accessLog ?? true;
  if (values.metrics !== undefined) {
    try {
      app.metrics = metricsSetting(values.metrics, "--metrics");
    } catch (err) {
      usageError((err as Error).message);
    }
  }
  if (values["cors-origins"] !== undefined) app.corsOrigins = commaList(values["cors-origins"]);
  const port = Number(values.port ?? env.MLFLOW_PORT ?? 5000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    usageError(`--port must be a port number, got "${values.port ?? env.MLFLOW_PORT}".`);
  }
  if (values.threads !== undefined) app.threads = flagInteger(values.threads, "--threads");
  const workers = flagInteger(values.workers ?? env.MLFLOW_EDGE_WORKERS, "--workers") ?? 1;
  if (workers > 1 && port === 0) usageError("--workers needs a fixed --port (not 0).");
  return { host: values.host ?? env.MLFLOW_HOST ?? "127.0.0.1", port, app, workers };
}

/** Store options with a download progress bar when standard error is a terminal. */
/**
 * The disk cache the CLI uses unless `MLFLOW_EDGE_CACHE_DIR` says otherwise, so a restart does
 * not download a remote bundle again: `$XDG_CACHE_HOME/mlflow-edge`, else `~/.cache/mlflow-edge`.
 *
 * @example
 * ```ts
 * import { defaultCacheDir } from "./cli.ts";
 * defaultCacheDir({ HOME: "/home/ada" }); // "/home/ada/.cache/mlflow-edge"
 * ```
 */
export function defaultCacheDir(env: Record<string, string | undefined>): string | undefined {
  const base = env.XDG_CACHE_HOME || (env.HOME ? `${env.HOME}/.cache` : undefined);
  return base ? `${base}/mlflow-edge` : undefined;
}

/** `dir` once created, or undefined where it cannot be (then the in-memory cache serves). */
function usableDir(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  try {
    Deno.mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return undefined;
  }
}

/** The CLI's store options: a default disk cache, and a progress bar on a terminal. */
function cliStore(
  store: FetchBundleOptions | undefined,
  env: Record<string, string | undefined>,
): FetchBundleOptions {
  const out: FetchBundleOptions = { ...store };
  if (out.cacheDir === undefined) out.cacheDir = usableDir(defaultCacheDir(env));
  if (Deno.stderr.isTerminal()) {
    out.onProgress = progressBar(Deno.stderr, { label: "Downloading model" });
  }
  return out;
}

/**
 * A line sink for standard error that batches writes: lines are encoded into one 64 KiB buffer
 * (no string joins, no allocation per line) written out when full or 50 ms after its first line,
 * so a busy server does not pay a system call per access-log line.
 *
 * @example
 * ```ts
 * import { stderrLines } from "./cli.ts";
 * const lines = stderrLines();
 * lines.write('{"event":"hello"}');
 * lines.flush();
 * ```
 */
export function stderrLines(): { write(line: string): void; flush(): void } {
  const encoder = new TextEncoder();
  const buffer = new Uint8Array(64 * 1024);
  let used = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const writeAll = (bytes: Uint8Array) => {
    try {
      while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
    } catch {
      // Standard error closed: the lines are dropped, serving goes on.
    }
  };
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (used === 0) return;
    writeAll(buffer.subarray(0, used));
    used = 0;
  };
  return {
    write(line) {
      // A UTF-16 unit takes at most 3 bytes; the line feed 1.
      if (used + line.length * 3 + 1 > buffer.length) {
        flush();
        if (line.length * 3 + 1 > buffer.length) return writeAll(encoder.encode(`${line}\n`));
      }
      used += encoder.encodeInto(line, buffer.subarray(used)).written;
      buffer[used++] = 10;
      if (timer === undefined) {
        const t = setTimeout(flush, 50);
        Deno.unrefTimer(t);
        timer = t;
      }
    },
    flush,
  };
}

/**
 * One server: the app on `config`'s address (sharing the port with the other workers when
 * `shared`), reloading on `reload()`. Resolves once the default model is ready; rejects with
 * its load error after shutting the listener.
 *
 * @example
 * ```ts ignore
 * const running = await startServing(await serveConfig([], {}), {}, false);
 * await running.stop();
 * ```
 */
export async function startServing(
  config: ServeConfig,
  env: Record<string, string | undefined>,
  shared: boolean,
): Promise<{ reload(): void; stop(): Promise<void> }> {
  config.app.store = cliStore(config.app.store, env);
  await checkLocalModels(config);
  const lines = config.app.accessLog === true ? stderrLines() : undefined;
  if (lines) config.app.accessLog = lines.write;
  const { createApp } = await import("./server/app.ts");
  const app = createApp(config.app);
  let stopped = false;
  let server: Deno.HttpServer<Deno.NetAddr>;
  // Deno.serve's accept loop ends with an error when the process runs out of file descriptors
  // (say, thousands of connections that never finish their headers), and the unhandled error
  // would end the process. Log it and listen again until it works, so the server answers once
  // those connections are gone.
  const listen = (port: number, first: boolean): Deno.HttpServer<Deno.NetAddr> => {
    const s = Deno.serve({
      hostname: config.host,
      port,
      reusePort: shared,
      onListen: ({ hostname, port }) => {
        if (!first) return console.error(`mlflow-edge: listening again on port ${port}`);
        const what = [config.app.modelUri, ...Object.values(config.app.models ?? {})]
          .filter((u): u is string => u !== undefined).map(redactUri).join(", ");
        console.error(
          `mlflow-edge: serving ${what} on http://${hostname}:${port}/ (backend ${
            config.app.backend ?? "web"
          }, pid ${Deno.pid}${shared ? `, ${config.workers} workers` : ""})`,
        );
      },
    }, app.fetch);
    const bound = s.addr.port;
    s.finished.catch((err) => {
      if (stopped) return;
      console.error(
        `mlflow-edge: the listener stopped (${
          (err as Error)?.message ?? err
        }); listening again in 1 s`,
      );
      const retry = () => {
        if (stopped) return;
        try {
          server = listen(bound, false);
        } catch (again) {
          console.error(`mlflow-edge: cannot listen yet (${(again as Error)?.message ?? again})`);
          setTimeout(retry, 1000);
        }
      };
      setTimeout(retry, 1000);
    });
    return s;
  };
  try {
    server = listen(config.port, true);
  } catch (err) {
    await app.close();
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    throw new MlflowError(
      `${config.host}:${config.port} is already in use (another server is listening there); ` +
        `choose another port with -p, e.g. -p ${config.port === 5000 ? 5001 : 5000}.`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  try {
    await app.ready();
  } catch (err) {
    stopped = true;
    await server.shutdown();
    throw err;
  }
  return {
    reload() {
      for (const slot of app.registry.slots) {
        if (slot.state !== "ready") continue;
        slot.reload().then(
          () => console.error(`mlflow-edge: reloaded "${slot.name}" from ${redactUri(slot.uri)}`),
          // The slot has logged the failure with its cause.
          () =>
            console.error(
              `mlflow-edge: reloading "${slot.name}" failed, still serving the old version`,
            ),
        );
      }
    },
    async stop() {
      stopped = true;
      await server.shutdown();
      await app.close();
      lines?.flush();
    },
  };
}

/** A server thread: `src/_serve_worker.ts` started with the same arguments and environment. */
function startWorker(args: string[], env: Record<string, string>): Promise<Worker> {
  const worker = new Worker(new URL("./_serve_worker.ts", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => {
      if (e.data?.ready) resolve(worker);
      else if (e.data?.error) reject(new Error(e.data.error));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
    worker.postMessage({ args, env });
  });
}

/** Asks a server thread to finish its in-flight requests and stop. */
function stopWorker(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      worker.terminate();
      resolve();
    };
    worker.onmessage = (e) => e.data?.stopped && done();
    setTimeout(done, 30_000);
    worker.postMessage({ stop: true });
  });
}

async function serve(args: string[]): Promise<void> {
  const env = Deno.env.toObject();
  const config = await serveConfig(args, env);
  warmUp(config.app.backend, config.app.threads);
  const shared = config.workers > 1;
  let running: Awaited<ReturnType<typeof startServing>> | undefined;
  let workers: Worker[] = [];
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.error("mlflow-edge: shutting down after in-flight requests");
    await Promise.all([running?.stop(), ...workers.map(stopWorker)]);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGHUP", () => {
    running?.reload();
    for (const w of workers) w.postMessage({ reload: true });
  });
  try {
    [running, ...workers] = await Promise.all([
      startServing(config, env, shared),
      ...Array.from({ length: config.workers - 1 }, () => startWorker(args, env)),
    ]) as [Awaited<ReturnType<typeof startServing>>, ...Worker[]];
    // performance.now() counts from the runtime's start: the whole cold start but the process
    // launch (the model's own stages are in the access log's model_load line).
    console.error(`mlflow-edge: ready, ${performance.now().toFixed(0)} ms after start`);
  } catch (err) {
    console.error(`mlflow-edge: ${(err as Error).message}`);
    Deno.exit(1);
  }
}

/**
 * Starts what loading the first model waits for most, before the server's own modules load:
 * onnxruntime-web's first session (its 14 MB wasm compiles on V8's background threads while
 * the main thread loads the server) or onnxruntime-node, and the enforcement core's wasm.
 * Failures are left to the real load, which reports them.
 */
function warmUp(backend: AppOptions["backend"], threads: number | undefined): void {
  if (typeof backend === "object") return;
  const ignore = () => {};
  if (backend === "native") {
    import("./runtime/native_backend.ts").then((m) => m.nativeBackend()).catch(ignore);
  } else {
    import("./runtime/web_backend.ts").then((m) =>
      m.webBackend({ numThreads: threads }).prepare?.()
    )
      .catch(ignore);
  }
  import("./enforce/mod.ts").then((m) => m.initEnforce()).catch(ignore);
}

/**
 * A local model directory that does not exist is a mistake in the command: say so in one line
 * before listening, rather than serving and then failing the load.
 */
async function checkLocalModels(config: ServeConfig): Promise<void> {
  const { localStore } = await import("./store/local.ts");
  for (const uri of [config.app.modelUri, ...Object.values(config.app.models ?? {})]) {
    if (uri !== undefined && (!/^[a-z][a-z0-9+.-]+:/i.test(uri) || /^file:/i.test(uri))) {
      await localStore(uri);
    }
  }
}

async function predict(args: string[]): Promise<void> {
  const values = parseFlags(args, {
    "model-uri": { type: "string", short: "m" },
    "input-path": { type: "string", short: "i" },
    "output-path": { type: "string", short: "o" },
    "content-type": { type: "string", short: "t" },
    backend: { type: "string" },
    help: { type: "boolean" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const env = Deno.env.toObject();
  const uri = values["model-uri"] ?? env.MODEL_URI;
  if (!uri) usageError("predict needs -m MODEL_URI.");
  const kind = values["content-type"] ?? "json";
  if (kind !== "json" && kind !== "csv") {
    usageError(`--content-type must be json or csv, got "${kind}".`);
  }
  const input = values["input-path"];
  const body = input
    ? await Deno.readFile(input).catch((err) => {
      throw err instanceof Deno.errors.NotFound
        ? new MlflowError(`Input file "${input}" does not exist.`, "RESOURCE_DOES_NOT_EXIST")
        : err;
    })
    : new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  const { loadModel } = await import("./model/mod.ts");
  const model = await loadModel(uri, {
    backend: flagBackend(values.backend ?? env.MLFLOW_EDGE_BACKEND, "--backend"),
    store: cliStore(storeOptionsFromEnv(env), env),
    selfCheck: false,
  });
  try {
    const { text } = await model.invoke(body, kind === "csv" ? "text/csv" : "application/json");
    if (values["output-path"]) await Deno.writeTextFile(values["output-path"], text);
    else console.log(text);
  } finally {
    await model.close();
  }
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  try {
    if (command === "serve") await serve(rest);
    else if (command === "predict") await predict(rest);
    else if (command === "log") {
      const { logCommand } = await import("./cli_log.ts");
      await logCommand(rest, Deno.env.toObject());
    } else usageError(command ? `Unknown command "${command}".` : "No command given.");
  } catch (err) {
    const message = err instanceof MlflowError ? err.message : `Unexpected error: ${err}`;
    console.error(`mlflow-edge: ${message}`);
    Deno.exit(1);
  }
}

if (import.meta.main) await main(Deno.args);
