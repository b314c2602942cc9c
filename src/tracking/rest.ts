/**
 * The tracking server's REST calls that logging a model makes (MLflow 3: experiments, runs,
 * LoggedModels, the model registry), each one request with its documented body, over the
 * store's {@linkcode TrackingClient} (auth, retries, bounded JSON answers).
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { dig, str, type TrackingClient } from "../store/mlflow.ts";

/**
 * `[{key, value}]` entries, as MLflow's REST API writes tags, params and run data.
 *
 * @example
 * ```ts
 * import type { KeyValue } from "./rest.ts";
 * const tags: KeyValue[] = [{ key: "mlflow.source.type", value: "LOCAL" }];
 * ```
 */
export interface KeyValue {
  /** The name. */
  key: string;
  /** The value, always a string. */
  value: string;
}

/**
 * A metric as `runs/log-batch` takes it (MLflow 3 adds `model_id`).
 *
 * @example
 * ```ts
 * import type { Metric } from "./rest.ts";
 * const m: Metric = { key: "accuracy", value: 0.97, timestamp: Date.now(), step: 0, model_id: "m-1" };
 * ```
 */
export interface Metric {
  /** The metric name. */
  key: string;
  /** Its value. */
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** The step. */
  step: number;
  /** The LoggedModel the value belongs to. */
  model_id?: string;
  /** The dataset it was computed on, when known. */
  dataset_name?: string;
  /** That dataset's digest. */
  dataset_digest?: string;
}

/**
 * What logging reads back about a run.
 *
 * @example
 * ```ts
 * import type { RunInfo } from "./rest.ts";
 * const run: RunInfo = { runId: "5eac", experimentId: "1", params: [], metricKeys: [] };
 * ```
 */
export interface RunInfo {
  /** `run.info.run_id`. */
  runId: string;
  /** `run.info.experiment_id`. */
  experimentId: string;
  /** `run.data.params`. */
  params: KeyValue[];
  /** The names in `run.data.metrics`. */
  metricKeys: string[];
}

/**
 * A registered model version as logging needs it.
 *
 * @example
 * ```ts
 * import type { VersionInfo } from "./rest.ts";
 * const v: VersionInfo = { version: "1", status: "READY" };
 * ```
 */
export interface VersionInfo {
  /** The version number, a string. */
  version: string;
  /** `PENDING_REGISTRATION`, `READY` or `FAILED_REGISTRATION`. */
  status: string;
  /** Why registration failed, when it did. */
  statusMessage?: string;
}

/**
 * One typed method per REST call of the logging sequence (spec: mlflow-log-model.md §2).
 *
 * @example
 * ```ts
 * import { TrackingApi } from "./rest.ts";
 * import { TrackingClient } from "../store/mlflow.ts";
 * const pipeline = { fetch, timeoutMs: 10_000, retries: 2, retryDelayMs: 200, signal: new AbortController().signal };
 * const api = new TrackingApi(new TrackingClient({ uri: "http://127.0.0.1:5000" }, pipeline));
 * // const id = await api.experimentIdByName("spec");
 * ```
 */
export class TrackingApi {
  /** The client the calls go through. */
  readonly client: TrackingClient;

  /** Calls through `client`. */
  constructor(client: TrackingClient) {
    this.client = client;
  }

  /** `GET experiments/get-by-name`: the id, or undefined when there is none of that name. */
  async experimentIdByName(name: string): Promise<string | undefined> {
    try {
      const res = await this.client.get(
        "experiments/get-by-name",
        { experiment_name: name },
        `Looking up experiment "${name}"`,
      );
      return str(
        dig(res, "experiment", "experiment_id"),
        "experiments/get-by-name",
        "experiment_id",
      );
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === "RESOURCE_DOES_NOT_EXIST") {
        return undefined;
      }
      throw err;
    }
  }

  /** `POST experiments/create {name}` → the new id. */
  async createExperiment(name: string): Promise<string> {
    const res = await this.client.post(
      "experiments/create",
      { name },
      `Creating experiment "${name}"`,
    );
    return str(dig(res, "experiment_id"), "experiments/create", "experiment_id");
  }

  /** `POST runs/create` with the context tags → the run. */
  async createRun(body: {
    experiment_id: string;
    user_id?: string;
    start_time: number;
    tags: KeyValue[];
    run_name?: string;
  }): Promise<RunInfo> {
    const res = await this.client.post("runs/create", body, "Creating a run");
    return runInfo(res, "runs/create");
  }

  /** `GET runs/get`. */
  async getRun(runId: string): Promise<RunInfo> {
    const res = await this.client.get(
      "runs/get",
      { run_id: runId },
      `Reading run "${runId}"`,
    );
    return runInfo(res, "runs/get");
  }

  /** `POST runs/update {run_id, status, end_time}` (FINISHED or FAILED). */
  async endRun(runId: string, status: "FINISHED" | "FAILED"): Promise<void> {
    await this.client.post(
      "runs/update",
      { run_id: runId, status, end_time: Date.now() },
      `Ending run "${runId}" as ${status}`,
    );
  }

  /** `GET metrics/get-history` of one metric of a run. */
  async metricHistory(runId: string, key: string): Promise<Metric[]> {
    const res = await this.client.get(
      "metrics/get-history",
      { run_id: runId, metric_key: key },
      `Reading the history of metric "${key}"`,
    );
    const list = dig(res, "metrics");
    return (Array.isArray(list) ? list : []).map((m) => ({
      key: String(dig(m, "key") ?? key),
      value: Number(dig(m, "value")),
      timestamp: Number(dig(m, "timestamp") ?? 0),
      step: Number(dig(m, "step") ?? 0),
      ...optional("model_id", dig(m, "model_id")),
      ...optional("dataset_name", dig(m, "dataset_name")),
      ...optional("dataset_digest", dig(m, "dataset_digest")),
    }));
  }

  /** `POST runs/log-batch {run_id, metrics}`; nothing is sent for an empty list, as MLflow does. */
  async logMetrics(runId: string, metrics: Metric[]): Promise<void> {
    if (metrics.length === 0) return;
    await this.client.post(
      "runs/log-batch",
      { run_id: runId, metrics },
      `Logging ${metrics.length} metric value(s) to run "${runId}"`,
    );
  }

  /** `POST runs/outputs`: the model is an output of the run at `step`. */
  async logOutputs(runId: string, modelId: string, step: number): Promise<void> {
    await this.client.post(
      "runs/outputs",
      { run_id: runId, models: [{ model_id: modelId, step }] },
      `Linking model "${modelId}" to run "${runId}"`,
    );
  }

  /** `POST logged-models` → `{modelId, artifactUri}` of the new PENDING LoggedModel. */
  async createLoggedModel(body: {
    experiment_id: string;
    name?: string;
    source_run_id?: string;
    tags?: KeyValue[];
    params?: KeyValue[];
    model_type?: string;
  }): Promise<{ modelId: string; artifactUri: string }> {
    const res = await this.client.post("logged-models", body, "Creating the logged model");
    return {
      modelId: str(dig(res, "model", "info", "model_id"), "logged-models", "model.info.model_id"),
      artifactUri: str(
        dig(res, "model", "info", "artifact_uri"),
        "logged-models",
        "model.info.artifact_uri",
      ),
    };
  }

  /** `PATCH logged-models/{id} {model_id, status}`: READY after the upload, else UPLOAD_FAILED. */
  async finalizeLoggedModel(
    modelId: string,
    status: "LOGGED_MODEL_READY" | "LOGGED_MODEL_UPLOAD_FAILED",
  ): Promise<void> {
    await this.client.send(
      "PATCH",
      `logged-models/${encodeURIComponent(modelId)}`,
      { model_id: modelId, status },
      `Marking model "${modelId}" ${status}`,
    );
  }

  /** `POST registered-models/create {name}`; an existing name is fine. */
  async ensureRegisteredModel(name: string): Promise<void> {
    try {
      await this.client.post(
        "registered-models/create",
        { name },
        `Creating registered model "${name}"`,
      );
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === "RESOURCE_ALREADY_EXISTS") return;
      throw err;
    }
  }

  /** `POST model-versions/create {name, source: "models:/<id>", model_id}`. */
  async createModelVersion(name: string, modelId: string): Promise<VersionInfo> {
    const res = await this.client.post(
      "model-versions/create",
      { name, source: `models:/${modelId}`, model_id: modelId },
      `Registering model "${modelId}" as "${name}"`,
    );
    return versionInfo(res, "model-versions/create");
  }

  /** `GET model-versions/get`. */
  async getModelVersion(name: string, version: string): Promise<VersionInfo> {
    const res = await this.client.get(
      "model-versions/get",
      { name, version },
      `Reading version ${version} of "${name}"`,
    );
    return versionInfo(res, "model-versions/get");
  }

  /** `POST registered-models/alias {name, alias, version}`. */
  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.client.post(
      "registered-models/alias",
      { name, alias, version },
      `Setting alias "${alias}" of "${name}" to version ${version}`,
    );
  }
}

function runInfo(res: unknown, what: string): RunInfo {
  const params = dig(res, "run", "data", "params");
  const metrics = dig(res, "run", "data", "metrics");
  return {
    runId: str(dig(res, "run", "info", "run_id"), what, "run.info.run_id"),
    experimentId: str(dig(res, "run", "info", "experiment_id"), what, "run.info.experiment_id"),
    params: (Array.isArray(params) ? params : []).map((p) => ({
      key: String(dig(p, "key")),
      value: String(dig(p, "value") ?? ""),
    })),
    metricKeys: [
      ...new Set((Array.isArray(metrics) ? metrics : []).map((m) => String(dig(m, "key")))),
    ],
  };
}

function versionInfo(res: unknown, what: string): VersionInfo {
  const message = dig(res, "model_version", "status_message");
  return {
    version: str(dig(res, "model_version", "version"), what, "model_version.version"),
    status: String(dig(res, "model_version", "status") ?? "READY"),
    ...(typeof message === "string" && message ? { statusMessage: message } : {}),
  };
}

function optional(key: string, v: unknown): Record<string, string> {
  return typeof v === "string" && v !== "" ? { [key]: v } : {};
}
