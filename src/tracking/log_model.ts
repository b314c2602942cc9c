/**
 * {@linkcode logModel} and {@linkcode logBundle}: what `mlflow.onnx.log_model` does against an
 * MLflow 3 tracking server, over its REST API only (fetch; no filesystem unless a path is given).
 *
 * The sequence (spec: mlflow-log-model.md §1, §7 "recommended"): find or create the experiment;
 * create a run (or use the one given); create the LoggedModel; link it to the run as an output
 * and re-log the run's step-0 metrics against it; write the model directory as
 * `mlflow.onnx.save_model` would, with `artifact_path`, `model_id`, `model_uuid` and `run_id`
 * set as `Model.log` sets them; upload it; mark the LoggedModel READY; register a version from
 * `models:/<model_id>`, wait until it is READY, set the alias; end the run FINISHED. Any failure
 * after the run started ends it FAILED; any failure before the LoggedModel is READY marks it
 * `LOGGED_MODEL_UPLOAD_FAILED`, so no model version is ever created from a failed upload.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { saveOnnxModel, type SaveOnnxOptions } from "../mlmodel/onnx_save.ts";
import { Model, type ModelInfo } from "../mlmodel/model.ts";
import { describeCause, failure, q } from "../store/_errors.ts";
import { type Pipeline, pipeline } from "../store/_pipeline.ts";
import { TrackingClient } from "../store/mlflow.ts";
import type { S3Options, TrackingOptions } from "../store/types.ts";
import { type KeyValue, type Metric, type RunInfo, TrackingApi } from "./rest.ts";
import { uploadBundle, type UploadFile } from "./upload.ts";

/**
 * How to reach the tracking server and how patient to be; shared by {@linkcode logModel} and
 * {@linkcode logBundle}.
 *
 * @example
 * ```ts
 * import type { LogOptions } from "./log_model.ts";
 * const options: LogOptions = { trackingUri: "http://127.0.0.1:5000", registeredModelName: "iris", alias: "champion" };
 * ```
 */
export interface LogOptions {
  /** The tracking server, e.g. `http://127.0.0.1:5000` (overrides `tracking.uri`). */
  trackingUri?: string;
  /** Tracking server and credentials (`token`, or `username` + `password`), as the stores take. */
  tracking?: TrackingOptions;
  /** The LoggedModel's name (`name=` of `log_model`). Default `model`. */
  name?: string;
  /** Register a version of the model under this name (created if missing). */
  registeredModelName?: string;
  /** Point this alias of the registered model at the new version (needs `registeredModelName`). */
  alias?: string;
  /** The experiment by name (created if missing). Default: the run's, else `0` (Default). */
  experimentName?: string;
  /** The experiment by id. */
  experimentId?: string;
  /** Log into this existing run (it is left running); default: a new run, ended when done. */
  runId?: string;
  /** `run_name` of the new run; default: the server picks one. */
  runName?: string;
  /** Tags of the LoggedModel (besides the context tags). */
  tags?: Record<string, string>;
  /** Params of the LoggedModel (with the run's params, which win, as `Model.log` merges them). */
  params?: Record<string, string | number | boolean>;
  /** Metrics logged to the run against the model (`model_id` set), at step 0. */
  metrics?: Record<string, number>;
  /** `model_type` of the LoggedModel. */
  modelType?: string;
  /** `mlflow.user` and the run's `user_id`; default the tracking username, else none. */
  user?: string;
  /** `mlflow.source.name`; default `mlflow-edge`. */
  sourceName?: string;
  /** S3 credentials and endpoint, when the server keeps artifacts in `s3://`. */
  s3?: S3Options;
  /** Hosts an artifact location may name besides the tracking server. */
  allowedHosts?: string[];
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Time allowed for one request, in ms. Default 120000 (`MLFLOW_HTTP_REQUEST_TIMEOUT`). */
  timeoutMs?: number;
  /** Extra attempts after a 5xx, 429 or network error. Default 3. */
  retries?: number;
  /** First backoff delay in ms, doubling per retry. Default 500. */
  retryDelayMs?: number;
  /** Files uploaded at once. Default 4. */
  concurrency?: number;
  /** Upload progress: bytes uploaded so far and the bundle's total. */
  onProgress?: (loaded: number, total: number) => void;
  /** Longest wait for a version to leave PENDING_REGISTRATION, in ms. Default 300000. */
  awaitRegistrationForMs?: number;
  /** Poll interval while waiting, in ms. Default 3000, as MLflow. */
  pollIntervalMs?: number;
}

/**
 * {@linkcode logModel}'s options: {@linkcode LogOptions} plus what `mlflow.onnx.log_model` takes.
 *
 * @example
 * ```ts
 * import type { LogModelOptions } from "./log_model.ts";
 * const options: LogModelOptions = {
 *   trackingUri: "http://127.0.0.1:5000",
 *   onnx: "model.onnx",
 *   inputExample: { x: 1.5 },
 *   registeredModelName: "demo",
 * };
 * ```
 */
export interface LogModelOptions
  extends LogOptions, Omit<SaveOnnxOptions, "onnx" | "externalData" | "model"> {
  /** The ONNX model: its bytes, or the path of `model.onnx` (its external-data files beside it). */
  onnx: Uint8Array | string | URL;
  /** External-data files of `onnx` bytes, by location. */
  externalData?: ReadonlyMap<string, Uint8Array> | Record<string, Uint8Array>;
}

/** What the model directory builder gets once the LoggedModel exists. */
interface Ids {
  modelId: string;
  artifactUri: string;
  runId: string;
}

const DEFAULTS = { timeoutMs: 120_000, retries: 3, retryDelayMs: 500 };
// LoggedModel names: MLflow refuses these characters (mlflow/utils/validation.py).
const BAD_NAME = /[/:.%"']/;

/**
 * Log an ONNX model to an MLflow 3 tracking server, as `mlflow.onnx.log_model` does, and
 * optionally register it and set an alias. `mlflow.pyfunc.load_model("models:/N@A")` then loads
 * it in Python, and `loadModel("models:/N@A")` here.
 *
 * @example
 * ```ts
 * import { logModel } from "./log_model.ts";
 * const info = await logModel({
 *   trackingUri: "http://127.0.0.1:5000",
 *   onnx: "tests/fixtures/mlflow-bundles/iris_mlp_onnx/model.onnx",
 *   inputExample: { "sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2 },
 *   registeredModelName: "iris",
 *   alias: "champion",
 * });
 * console.log(info.modelUri, info.version); // models:/m-… 1
 * ```
 */
export async function logModel(options: LogModelOptions): Promise<ModelInfo> {
  const name = checkOptions(options);
  let onnx: Uint8Array;
  let externalData: ReadonlyMap<string, Uint8Array> | undefined;
  if (options.onnx instanceof Uint8Array) {
    onnx = options.onnx;
    const given = options.externalData;
    externalData = given instanceof Map
      ? given
      : given
      ? new Map(Object.entries(given))
      : undefined;
  } else {
    const spec = new URL("./read_files.ts", import.meta.url).href;
    let files: typeof import("./read_files.ts");
    try {
      files = await import(spec);
    } catch (err) {
      throw new MlflowError(
        `Reading "${options.onnx}" needs a filesystem (Deno, Bun, Node); here, pass the model's ` +
          `bytes as onnx (and its externalData): ${describeCause(err)}`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    ({ onnx, externalData } = await files.readOnnxWithExternalData(options.onnx));
  }
  // Written before any call, so a bad model or example fails without leaving state behind;
  // only the MLmodel changes once the LoggedModel's ids are known.
  const { model, files } = saveOnnxModel({ ...options, onnx, externalData });
  return await logFiles(options, name, (ids) => {
    setLoggedIds(model, ids);
    files.set("MLmodel", new TextEncoder().encode(model.toYaml()));
    return new Map([...files].map(([path, bytes]) => [path, inMemory(bytes)]));
  });
}

/** The fields `Model.log` sets on the MLmodel it saves (spec: mlflow-log-model.md §3). */
function setLoggedIds(model: Model, { modelId, artifactUri, runId }: Ids): void {
  model.artifactPath = artifactUri;
  model.modelId = modelId;
  model.modelUuid = modelId;
  model.runId = runId;
}

/**
 * Log an existing model directory as it is (its MLmodel and every file), setting the MLmodel's
 * `artifact_path`, `model_id`, `model_uuid` and `run_id` as `Model.log` sets them. `files` maps
 * each relative path to its contents (or a reader); it must hold `MLmodel`.
 *
 * @example
 * ```ts
 * import { logBundle } from "./log_model.ts";
 * const files = new Map([["MLmodel", new TextEncoder().encode("flavors: {}\n")]]);
 * // await logBundle(files, { trackingUri: "http://127.0.0.1:5000", registeredModelName: "iris" });
 * ```
 */
export async function logBundle(
  files: ReadonlyMap<string, Uint8Array | UploadFile>,
  options: LogOptions,
): Promise<ModelInfo> {
  const name = checkOptions(options);
  const entry = files.get("MLmodel");
  if (!entry) {
    throw new MlflowError(
      `The model directory has no "MLmodel" file.`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  const text = new TextDecoder().decode(entry instanceof Uint8Array ? entry : await entry.read());
  const mlmodel = Model.fromYaml(text, "MLmodel");
  return await logFiles(options, name, (ids) => {
    setLoggedIds(mlmodel, ids);
    const out = new Map<string, UploadFile>();
    for (const [path, f] of files) out.set(path, f instanceof Uint8Array ? inMemory(f) : f);
    out.set("MLmodel", inMemory(new TextEncoder().encode(mlmodel.toYaml())));
    return out;
  });
}

function inMemory(bytes: Uint8Array): UploadFile {
  return { size: bytes.length, read: () => Promise.resolve(bytes) };
}

/** Options that can be refused before any work: the name, the alias, the experiment. */
function checkOptions(options: LogOptions): string {
  const name = options.name ?? "model";
  if (!name || BAD_NAME.test(name)) {
    throw new MlflowError(
      `Model name ${JSON.stringify(name)} is not valid: it must not be empty or contain ` +
        `/ : . % " or '.`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  if (options.alias !== undefined && !options.registeredModelName) {
    throw new MlflowError(
      `Setting alias "${options.alias}" needs registeredModelName.`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  if (options.experimentId !== undefined && options.experimentName !== undefined) {
    throw new MlflowError(
      "Give experimentName or experimentId, not both.",
      "INVALID_PARAMETER_VALUE",
    );
  }
  return name;
}

/** The logging sequence around a model directory built once the LoggedModel's ids are known. */
async function logFiles(
  options: LogOptions,
  name: string,
  build: (ids: Ids) => Map<string, UploadFile>,
): Promise<ModelInfo> {
  const tracking = { ...options.tracking, uri: options.trackingUri ?? options.tracking?.uri };
  const controller = new AbortController();
  const p = pipeline(options, DEFAULTS, controller.signal);
  const client = new TrackingClient(tracking, p);
  const secrets = [...client.secrets, options.s3?.secretAccessKey, options.s3?.sessionToken];
  const api = new TrackingApi(client);
  try {
    return await logIn(api, client, p, options, name, build);
  } catch (err) {
    controller.abort(new MlflowError("Logging cancelled.", "CANCELLED"));
    throw failure(err, "Logging the model failed", secrets);
  }
}

async function logIn(
  api: TrackingApi,
  client: TrackingClient,
  p: Pipeline,
  options: LogOptions,
  name: string,
  build: (ids: Ids) => Map<string, UploadFile>,
): Promise<ModelInfo> {
  const user = options.user ?? options.tracking?.username;
  const contextTags: KeyValue[] = [
    ...(user ? [{ key: "mlflow.user", value: user }] : []),
    { key: "mlflow.source.name", value: options.sourceName ?? "mlflow-edge" },
    { key: "mlflow.source.type", value: "LOCAL" },
  ];
  let run: RunInfo;
  let ownRun = false;
  if (options.runId) {
    run = await api.getRun(options.runId);
  } else {
    const experimentId = await resolveExperiment(api, options);
    run = await api.createRun({
      experiment_id: experimentId,
      ...(user ? { user_id: user } : {}),
      start_time: Date.now(),
      tags: contextTags,
      ...(options.runName ? { run_name: options.runName } : {}),
    });
    ownRun = true;
  }
  try {
    const params = new Map<string, string>();
    for (const [k, v] of Object.entries(options.params ?? {})) params.set(k, String(v));
    for (const { key, value } of run.params) params.set(key, value);
    const tags = new Map(contextTags.map((t) => [t.key, t.value]));
    for (const [k, v] of Object.entries(options.tags ?? {})) tags.set(k, String(v));
    const { modelId, artifactUri } = await api.createLoggedModel({
      experiment_id: run.experimentId,
      name,
      source_run_id: run.runId,
      tags: [...tags].map(([key, value]) => ({ key, value })),
      ...(params.size ? { params: [...params].map(([key, value]) => ({ key, value })) } : {}),
      ...(options.modelType ? { model_type: options.modelType } : {}),
    });
    try {
      await api.logOutputs(run.runId, modelId, 0);
      await relogStepMetrics(api, run, modelId);
      const now = Date.now();
      await api.logMetrics(
        run.runId,
        Object.entries(options.metrics ?? {}).map(([key, value]) => ({
          key,
          value,
          timestamp: now,
          step: 0,
          model_id: modelId,
        })),
      );
      const files = build({ modelId, artifactUri, runId: run.runId });
      await uploadBundle(artifactUri, files, client, p, options);
    } catch (err) {
      await api.finalizeLoggedModel(modelId, "LOGGED_MODEL_UPLOAD_FAILED").catch(() => {});
      throw err;
    }
    await api.finalizeLoggedModel(modelId, "LOGGED_MODEL_READY");
    let version: string | undefined;
    if (options.registeredModelName) {
      version = await register(api, options.registeredModelName, modelId, options);
      if (options.alias !== undefined) {
        await api.setAlias(options.registeredModelName, options.alias, version);
      }
    }
    if (ownRun) await api.endRun(run.runId, "FINISHED");
    return {
      modelUri: `models:/${modelId}`,
      modelId,
      runId: run.runId,
      artifactPath: artifactUri,
      experimentId: run.experimentId,
      ...(version !== undefined ? { version } : {}),
    };
  } catch (err) {
    if (ownRun) await api.endRun(run.runId, "FAILED").catch(() => {});
    throw err;
  }
}

/** The experiment id: given, found by name (created when missing), or the Default one. */
async function resolveExperiment(api: TrackingApi, options: LogOptions): Promise<string> {
  if (options.experimentId !== undefined) return options.experimentId;
  const name = options.experimentName;
  if (name === undefined) return "0";
  const found = await api.experimentIdByName(name);
  if (found !== undefined) return found;
  try {
    return await api.createExperiment(name);
  } catch (err) {
    // Created by someone else in between: read it again.
    if (err instanceof MlflowError && err.errorCode === "RESOURCE_ALREADY_EXISTS") {
      const again = await api.experimentIdByName(name);
      if (again !== undefined) return again;
    }
    throw err;
  }
}

/** `Model.log` re-logs the run's metrics recorded at the model's step against the model. */
async function relogStepMetrics(api: TrackingApi, run: RunInfo, modelId: string): Promise<void> {
  const metrics: Metric[] = [];
  for (const key of run.metricKeys) {
    for (const m of await api.metricHistory(run.runId, key)) {
      if (m.step === 0 && !m.model_id) metrics.push({ ...m, model_id: modelId });
    }
  }
  await api.logMetrics(run.runId, metrics);
}

/** Create the registered model if missing and a version from the LoggedModel; wait for READY. */
async function register(
  api: TrackingApi,
  name: string,
  modelId: string,
  options: LogOptions,
): Promise<string> {
  await api.ensureRegisteredModel(name);
  let v = await api.createModelVersion(name, modelId);
  const patienceMs = options.awaitRegistrationForMs ?? 300_000;
  const deadline = Date.now() + patienceMs;
  const interval = options.pollIntervalMs ?? 3000;
  while (v.status === "PENDING_REGISTRATION") {
    if (Date.now() + interval > deadline) {
      throw new MlflowError(
        `Version ${v.version} of ${q(name)} was still PENDING_REGISTRATION after ${patienceMs} ms.`,
        "DEADLINE_EXCEEDED",
      );
    }
    await new Promise((r) => setTimeout(r, interval));
    v = await api.getModelVersion(name, v.version);
  }
  if (v.status !== "READY") {
    throw new MlflowError(
      `Version ${v.version} of ${q(name)} ended ${v.status}${
        v.statusMessage ? `: ${v.statusMessage}` : ""
      }.`,
      "INVALID_STATE",
    );
  }
  return v.version;
}

// Model.log (mlmodel, the layer below) calls logModel once this module is loaded.
Model.setLogger((options) => logModel(options as LogModelOptions));
