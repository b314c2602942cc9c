// A REST double of an MLflow 3 tracking server, on 127.0.0.1, for the logging tests. A real
// MLflow server cannot run in CI (there is no Python MLflow on these machines), so this double
// implements the endpoints that logging and loading use, with the bodies, validation and error
// answers of MLflow's REST API (mlflow/protos/service.proto, model_registry.proto,
// mlflow_artifacts.proto) as recorded from a real server in ../shared/spec/mlflow-log-model.md:
// it keeps experiments, runs, metrics, LoggedModels, registered models, versions, aliases and
// the proxied artifacts in memory, serves them back, and records every call.
import {
  API,
  artifactFile,
  ARTIFACTS,
  json,
  listArtifacts,
  listen,
  restError,
  underPrefix,
} from "../_mlflow_rest.ts";

/** One recorded call. */
export interface Call {
  method: string;
  /** REST endpoint under `api/2.0/mlflow/` (e.g. `runs/create`), or `artifacts/<path>`. */
  endpoint: string;
  query: Record<string, string>;
  /** The parsed JSON body of a REST call. */
  body?: unknown;
  /** The raw body of an artifact upload. */
  bytes?: Uint8Array;
  contentType: string | null;
  authorization: string | null;
  status: number;
}

export interface Fault {
  status: number;
  /** How many times (default: always). */
  times?: number;
}

export interface TrackingDoubleOptions {
  /** The `Authorization` value required (401 otherwise). */
  auth?: string;
  /** Artifact root of new experiments: `mlflow-artifacts:/` (default) or e.g. `s3://bucket/mlruns`. */
  artifactRoot?: string;
  /** New versions answer PENDING_REGISTRATION until polled this many times, then `finalStatus`. */
  pendingPolls?: number;
  /** Status a pending version ends in (default READY). */
  finalStatus?: "READY" | "FAILED_REGISTRATION";
  /** A URL path prefix, as a reverse proxy adds (e.g. `/mlflow`). */
  prefix?: string;
}

interface Run {
  info: Record<string, unknown>;
  tags: Map<string, string>;
  params: Map<string, string>;
  metrics: Record<string, unknown>[];
  outputs: { model_id: string; step: number }[];
}

export interface LoggedModelState {
  info: Record<string, unknown> & { model_id: string; artifact_uri: string; status: string };
  tags: Map<string, string>;
  params: Map<string, string>;
  metrics: Record<string, unknown>[];
}

export interface VersionState {
  name: string;
  version: string;
  source: string;
  run_id: string;
  model_id?: string;
  status: string;
  storage: string;
  aliases: string[];
  polls: number;
}

export interface TrackingDouble {
  url: string;
  calls: Call[];
  experiments: Map<string, { experiment_id: string; name: string; artifact_location: string }>;
  runs: Map<string, Run>;
  loggedModels: Map<string, LoggedModelState>;
  registered: Map<string, { name: string; aliases: Map<string, string> }>;
  versions: VersionState[];
  artifacts: Map<string, Uint8Array>;
  /** Faults by `METHOD endpoint` (e.g. `PUT artifacts/1/models/m-…/model.onnx` or `POST runs/create`). */
  faults: Map<string, Fault>;
  /** Faults by endpoint prefix: every matching call answers the fault. */
  prefixFaults: Map<string, Fault>;
  close(): Promise<void>;
}

const RUN_STATUS = new Set(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]);
const MODEL_STATUS = new Set([
  "LOGGED_MODEL_PENDING",
  "LOGGED_MODEL_READY",
  "LOGGED_MODEL_UPLOAD_FAILED",
]);

class RestError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}
const invalid = (message: string) => new RestError("INVALID_PARAMETER_VALUE", message, 400);
const missing = (message: string) => new RestError("RESOURCE_DOES_NOT_EXIST", message, 404);

function hex(n: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(n)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

export function startTrackingDouble(options: TrackingDoubleOptions = {}): Promise<TrackingDouble> {
  const calls: Call[] = [];
  const root = (options.artifactRoot ?? "mlflow-artifacts:").replace(/\/+$/, "");
  const experiments = new Map([["0", {
    experiment_id: "0",
    name: "Default",
    artifact_location: `${root}/0`,
  }]]);
  const runs = new Map<string, Run>();
  const loggedModels = new Map<string, LoggedModelState>();
  const registered = new Map<string, { name: string; aliases: Map<string, string> }>();
  const versions: VersionState[] = [];
  const artifacts = new Map<string, Uint8Array>();
  const faults = new Map<string, Fault>();
  const prefixFaults = new Map<string, Fault>();
  let runNumber = 0;

  const need = (body: Record<string, unknown>, field: string): string => {
    const v = body[field];
    if (v === undefined || v === null || v === "") {
      throw invalid(`Missing value for required parameter '${field}'.`);
    }
    return String(v);
  };
  const tagsOf = (v: unknown): Map<string, string> => {
    const out = new Map<string, string>();
    for (const t of Array.isArray(v) ? v : []) {
      if (typeof t?.key !== "string" || typeof t?.value !== "string") {
        throw invalid(`Tags must be {key, value} strings, got ${JSON.stringify(t)}.`);
      }
      out.set(t.key, t.value);
    }
    return out;
  };
  const kv = (m: Map<string, string>) => [...m].map(([key, value]) => ({ key, value }));
  const run = (id: string) => {
    const r = runs.get(id);
    if (!r) throw missing(`Run with id=${id} not found`);
    return r;
  };
  const model = (id: string) => {
    const m = loggedModels.get(id);
    if (!m) throw missing(`Logged model with ID '${id}' not found.`);
    return m;
  };
  const runJson = (r: Run) => ({
    run: {
      info: r.info,
      data: { tags: kv(r.tags), params: kv(r.params), metrics: latest(r.metrics) },
      inputs: {},
      outputs: { model_outputs: r.outputs },
    },
  });
  const modelJson = (m: LoggedModelState) => ({
    model: {
      info: { ...m.info, tags: kv(m.tags) },
      data: { params: kv(m.params), metrics: m.metrics },
    },
  });
  const versionJson = (v: VersionState) => ({
    name: v.name,
    version: v.version,
    source: v.source,
    run_id: v.run_id,
    ...(v.model_id ? { model_id: v.model_id } : {}),
    status: v.status,
    current_stage: "None",
    aliases: v.aliases,
  });
  const findVersion = (name: string, version: string) => {
    const v = versions.find((v) => v.name === name && v.version === version);
    if (!v) throw missing(`Model Version (name=${name}, version=${version}) not found`);
    return v;
  };

  const rest = (
    method: string,
    endpoint: string,
    q: URLSearchParams,
    body: Record<string, unknown>,
  ) => {
    const key = `${method} ${endpoint}`;
    switch (key) {
      case "GET experiments/get-by-name": {
        const name = q.get("experiment_name") ?? "";
        const e = [...experiments.values()].find((e) => e.name === name);
        if (!e) throw missing(`Could not find experiment with name '${name}'`);
        return { experiment: { ...e, lifecycle_stage: "active" } };
      }
      case "POST experiments/create": {
        const name = need(body, "name");
        if ([...experiments.values()].some((e) => e.name === name)) {
          throw new RestError(
            "RESOURCE_ALREADY_EXISTS",
            `Experiment(name=${name}) already exists.`,
            400,
          );
        }
        const id = String(experiments.size);
        experiments.set(id, { experiment_id: id, name, artifact_location: `${root}/${id}` });
        return { experiment_id: id };
      }
      case "GET experiments/get": {
        const e = experiments.get(q.get("experiment_id") ?? "");
        if (!e) throw missing(`No Experiment with id=${q.get("experiment_id")} exists`);
        return { experiment: { ...e, lifecycle_stage: "active" } };
      }
      case "POST runs/create": {
        const exp = experiments.get(need(body, "experiment_id"));
        if (!exp) throw missing(`No Experiment with id=${body.experiment_id} exists`);
        const id = hex(16);
        const tags = tagsOf(body.tags);
        const runName = typeof body.run_name === "string" && body.run_name
          ? body.run_name
          : `redolent-squid-${++runNumber}`;
        tags.set("mlflow.runName", runName);
        const r: Run = {
          info: {
            run_id: id,
            run_uuid: id,
            experiment_id: exp.experiment_id,
            run_name: runName,
            user_id: body.user_id ?? "",
            status: "RUNNING",
            start_time: body.start_time,
            artifact_uri: `${exp.artifact_location}/${id}/artifacts`,
            lifecycle_stage: "active",
          },
          tags,
          params: new Map(),
          metrics: [],
          outputs: [],
        };
        runs.set(id, r);
        return runJson(r);
      }
      case "GET runs/get":
        return runJson(run(q.get("run_id") ?? q.get("run_uuid") ?? ""));
      case "POST runs/update": {
        const r = run(String(body.run_id ?? body.run_uuid ?? ""));
        if (body.status !== undefined && !RUN_STATUS.has(String(body.status))) {
          throw invalid(`Invalid value "${body.status}" for parameter 'status'.`);
        }
        if (body.status) r.info.status = body.status;
        if (body.end_time !== undefined) r.info.end_time = body.end_time;
        return { run_info: r.info };
      }
      case "POST runs/outputs": {
        const r = run(need(body, "run_id"));
        const list = Array.isArray(body.models) ? body.models : [];
        for (const m of list) {
          model(String(m.model_id));
          r.outputs.push({ model_id: m.model_id, step: Number(m.step ?? 0) });
        }
        return {};
      }
      case "POST runs/log-batch": {
        const r = run(need(body, "run_id"));
        for (const m of Array.isArray(body.metrics) ? body.metrics : []) {
          if (typeof m.key !== "string" || typeof m.value !== "number" || !("timestamp" in m)) {
            throw invalid(`Metric must have key, value and timestamp, got ${JSON.stringify(m)}.`);
          }
          r.metrics.push({ ...m, step: m.step ?? 0, run_id: r.info.run_id });
          if (m.model_id) model(m.model_id).metrics.push({ ...m, run_id: r.info.run_id });
        }
        return {};
      }
      case "GET metrics/get-history": {
        const r = run(q.get("run_id") ?? "");
        return { metrics: r.metrics.filter((m) => m.key === q.get("metric_key")) };
      }
      case "POST logged-models": {
        const exp = experiments.get(need(body, "experiment_id"));
        if (!exp) throw missing(`No Experiment with id=${body.experiment_id} exists`);
        const name = String(body.name ?? "");
        if (/[/:.%"']/.test(name)) throw invalid(`Invalid model name ('${name}') provided.`);
        if (body.source_run_id !== undefined) run(String(body.source_run_id));
        const id = `m-${hex(16)}`;
        const now = Date.now();
        const m: LoggedModelState = {
          info: {
            model_id: id,
            experiment_id: exp.experiment_id,
            name,
            creation_timestamp_ms: now,
            last_updated_timestamp_ms: now,
            artifact_uri: `${exp.artifact_location}/models/${id}/artifacts`,
            status: "LOGGED_MODEL_PENDING",
            model_type: String(body.model_type ?? ""),
            source_run_id: String(body.source_run_id ?? ""),
          },
          tags: tagsOf(body.tags),
          params: tagsOf(body.params),
          metrics: [],
        };
        loggedModels.set(id, m);
        return modelJson(m);
      }
      case "POST logged-models/search": {
        const ids = Array.isArray(body.experiment_ids) ? body.experiment_ids : [];
        const name = /^name = '(.*)'$/.exec(String(body.filter ?? ""))?.[1];
        return {
          models: [...loggedModels.values()]
            .filter((m) => ids.includes(m.info.experiment_id) && (!name || m.info.name === name))
            .map((m) => modelJson(m).model),
        };
      }
      case "POST registered-models/create": {
        const name = need(body, "name");
        if (registered.has(name)) {
          throw new RestError(
            "RESOURCE_ALREADY_EXISTS",
            `Registered Model (name=${name}) already exists.`,
            400,
          );
        }
        registered.set(name, { name, aliases: new Map() });
        return { registered_model: { name } };
      }
      case "GET registered-models/get": {
        const r = registered.get(q.get("name") ?? "");
        if (!r) throw missing(`Registered Model with name=${q.get("name")} not found`);
        return {
          registered_model: {
            name: r.name,
            aliases: [...r.aliases].map(([alias, version]) => ({ alias, version })),
          },
        };
      }
      case "POST model-versions/create": {
        const name = need(body, "name");
        const source = need(body, "source");
        if (!registered.has(name)) throw missing(`Registered Model with name=${name} not found`);
        let storage = source;
        let runId = String(body.run_id ?? "");
        const modelId = typeof body.model_id === "string" ? body.model_id : undefined;
        if (source.startsWith("models:/")) {
          const m = loggedModels.get(source.slice("models:/".length));
          // The OSS server fails this with a 500 (spec §6).
          if (!m) throw new RestError("INTERNAL_ERROR", `Model ${source} not found`, 500);
          storage = m.info.artifact_uri;
          runId = String(m.info.source_run_id);
        }
        const version = String(versions.filter((v) => v.name === name).length + 1);
        const pending = (options.pendingPolls ?? 0) > 0;
        const v: VersionState = {
          name,
          version,
          source,
          run_id: runId,
          model_id: modelId,
          status: pending ? "PENDING_REGISTRATION" : (options.finalStatus ?? "READY"),
          storage,
          aliases: [],
          polls: 0,
        };
        versions.push(v);
        if (modelId) {
          const m = model(modelId);
          const list = JSON.parse(m.tags.get("mlflow.modelVersions") ?? "[]");
          list.push({ name, version: Number(version) });
          m.tags.set("mlflow.modelVersions", JSON.stringify(list));
        }
        return { model_version: versionJson(v) };
      }
      case "GET model-versions/get": {
        const v = findVersion(q.get("name") ?? "", q.get("version") ?? "");
        if (v.status === "PENDING_REGISTRATION" && ++v.polls >= (options.pendingPolls ?? 0)) {
          v.status = options.finalStatus ?? "READY";
        }
        return { model_version: versionJson(v) };
      }
      case "GET model-versions/get-download-uri":
        return { artifact_uri: findVersion(q.get("name") ?? "", q.get("version") ?? "").storage };
      case "POST registered-models/alias": {
        const name = need(body, "name");
        const alias = need(body, "alias");
        const version = need(body, "version");
        if (typeof body.version !== "string") throw invalid("version must be a string.");
        if (/^(latest|v\d+)$/i.test(alias)) {
          throw invalid(`Version alias name '${alias}' is reserved.`);
        }
        const r = registered.get(name);
        if (!r) throw missing(`Registered Model with name=${name} not found`);
        const v = findVersion(name, version);
        for (const other of versions) other.aliases = other.aliases.filter((a) => a !== alias);
        v.aliases.push(alias);
        r.aliases.set(alias, version);
        return {};
      }
      case "GET registered-models/alias": {
        const r = registered.get(q.get("name") ?? "");
        const version = r?.aliases.get(q.get("alias") ?? "");
        if (!r || version === undefined) {
          throw missing(`Registered model alias ${q.get("alias")} not found.`);
        }
        return { model_version: versionJson(findVersion(r.name, version)) };
      }
    }
    if (endpoint.startsWith("logged-models/")) {
      const rest = endpoint.slice("logged-models/".length);
      if (method === "GET") return modelJson(model(decodeURIComponent(rest)));
      if (method === "PATCH" && !rest.includes("/")) {
        const m = model(decodeURIComponent(rest));
        if (!MODEL_STATUS.has(String(body.status))) {
          throw invalid(`Invalid value "${body.status}" for parameter 'status'.`);
        }
        m.info.status = String(body.status);
        m.info.last_updated_timestamp_ms = Date.now();
        return modelJson(m);
      }
    }
    throw new RestError("ENDPOINT_NOT_FOUND", `No endpoint ${method} ${endpoint}`, 404);
  };

  const handle = async (req: Request, call: Call): Promise<Response> => {
    const url = new URL(req.url);
    const raw = underPrefix(req, options.prefix ?? "");
    if (raw === undefined) return restError("ENDPOINT_NOT_FOUND", url.pathname, 404);
    const path = decodeURIComponent(raw);
    call.endpoint = path.startsWith(ARTIFACTS)
      ? `artifacts${path.slice(ARTIFACTS.length)}`
      : path.startsWith(API)
      ? path.slice(API.length)
      : path;
    if (path.startsWith(API) && req.method !== "GET") {
      const text = await req.text();
      try {
        call.body = text ? JSON.parse(text) : {};
      } catch {
        return restError("MALFORMED_REQUEST", "Bad JSON", 400);
      }
    }
    if (path.startsWith(`${ARTIFACTS}/`) && req.method === "PUT") {
      call.bytes = new Uint8Array(await req.arrayBuffer());
    }
    if (options.auth && req.headers.get("authorization") !== options.auth) {
      return restError("UNAUTHENTICATED", "Missing or wrong credentials.", 401);
    }
    const fault = takeFault(`${req.method} ${call.endpoint}`);
    if (fault) return restError("INTERNAL_ERROR", "fault", fault.status);
    if (path === ARTIFACTS) {
      return json(listArtifacts(artifacts, url.searchParams.get("path") ?? ""));
    }
    if (path.startsWith(`${ARTIFACTS}/`)) {
      const key = path.slice(ARTIFACTS.length + 1);
      if (key.split("/").includes("..")) return restError("INVALID_PARAMETER_VALUE", "path", 400);
      if (req.method === "PUT") {
        artifacts.set(key, call.bytes!);
        return json({});
      }
      return artifactFile(artifacts.get(key), key);
    }
    if (!path.startsWith(API)) return restError("ENDPOINT_NOT_FOUND", path, 404);
    try {
      return json(
        rest(
          req.method,
          call.endpoint,
          url.searchParams,
          (call.body ?? {}) as Record<string, unknown>,
        ),
      );
    } catch (err) {
      if (err instanceof RestError) {
        return restError(err.code, err.message, err.status);
      }
      throw err;
    }
  };

  const takeFault = (key: string): Fault | undefined => {
    let f = faults.get(key);
    if (!f) f = [...prefixFaults].find(([p]) => key.startsWith(p))?.[1];
    if (!f) return undefined;
    if (f.times !== undefined) {
      if (f.times <= 0) return undefined;
      f.times--;
    }
    return f;
  };

  const server = listen(async (req) => {
    const url = new URL(req.url);
    const call: Call = {
      method: req.method,
      endpoint: "",
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers.get("content-type"),
      authorization: req.headers.get("authorization"),
      status: 0,
    };
    const res = await handle(req, call);
    call.status = res.status;
    calls.push(call);
    return res;
  }, options.prefix);
  return Promise.resolve({
    ...server,
    calls,
    experiments,
    runs,
    loggedModels,
    registered,
    versions,
    artifacts,
    faults,
    prefixFaults,
  });
}

/** The latest value per metric key, as `runs/get` answers `data.metrics`. */
function latest(metrics: Record<string, unknown>[]): Record<string, unknown>[] {
  const byKey = new Map<string, Record<string, unknown>>();
  for (const m of metrics) byKey.set(String(m.key), m);
  return [...byKey.values()];
}
