/**
 * `models:/`, `runs:/` and `mlflow-artifacts:/` URIs through an MLflow tracking server's REST
 * API: the URI grammar, the resolution algorithms of MLflow's Python client (registered model
 * versions, aliases, latest and stage, MLflow 3 LoggedModels, run-relative paths), and a store
 * over the server's proxied artifacts.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { q } from "./_errors.ts";
import { assertSafeKey, encodeKey, joinKey, trimSlashes } from "./_path.ts";
import { httpRequest, type Pipeline, readBody, responseBody, withRetries } from "./_pipeline.ts";
import type { BundleStore, ObjectMeta, TrackingOptions } from "./types.ts";

const MAX_JSON_BYTES = 16 * 2 ** 20;
const MAX_DEPTH = 32;

/**
 * A parsed `models:/` URI (spec 7.1). `subpath` is what follows the model reference.
 *
 * @example
 * ```ts
 * import type { ModelsUri } from "./mlflow.ts";
 * const ref: ModelsUri = { kind: "alias", name: "iris", alias: "champion", subpath: "" };
 * ```
 */
export type ModelsUri =
  | { kind: "version"; name: string; version: string; subpath: string }
  | { kind: "alias"; name: string; alias: string; subpath: string }
  | { kind: "latest"; name: string; subpath: string }
  | { kind: "stage"; name: string; stage: string; subpath: string }
  | { kind: "logged"; modelId: string; subpath: string };

/**
 * Parse a `models:/` URI the way MLflow's client does.
 *
 * @example
 * ```ts
 * import { parseModelsUri } from "./mlflow.ts";
 * parseModelsUri("models:/iris@champion"); // { kind: "alias", name: "iris", alias: "champion", subpath: "" }
 * parseModelsUri("models:/iris/3").kind; // "version"
 * parseModelsUri("models:/m-0123abcd").kind; // "logged"
 * ```
 */
export function parseModelsUri(uri: string): ModelsUri {
  const bad = () =>
    new MlflowError(
      `Not a proper models:/ URI: ${q(uri)}. Models URIs must be of the form ` +
        `'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or the ` +
        `string 'latest' and where alias is a registered model alias. Only one of suffix or ` +
        `alias can be defined at a time.`,
      "INVALID_PARAMETER_VALUE",
    );
  if (!/^models:\/[^/]/i.test(uri)) throw bad();
  const segs = trimSlashes(uri.slice("models:/".length)).split("/");
  const headLen = segs[0].includes("@") ? 1 : 2;
  const head = segs.slice(0, headLen);
  const subpath = segs.slice(headLen).join("/");
  if (head.length === 1 && head[0].includes("@")) {
    const at = head[0].lastIndexOf("@");
    const name = head[0].slice(0, at);
    const alias = head[0].slice(at + 1);
    if (!name || !alias) throw bad();
    return { kind: "alias", name, alias, subpath };
  }
  if (head.length === 1) {
    if (!head[0]) throw bad();
    return { kind: "logged", modelId: head[0], subpath };
  }
  const [name, suffix] = head;
  if (!name || !suffix || suffix.includes("@")) throw bad();
  if (/^\d+$/.test(suffix)) return { kind: "version", name, version: suffix, subpath };
  if (suffix.toLowerCase() === "latest") return { kind: "latest", name, subpath };
  return { kind: "stage", name, stage: suffix, subpath };
}

/**
 * Parse `runs:/<run_id>/<path>`.
 *
 * @example
 * ```ts
 * import { parseRunsUri } from "./mlflow.ts";
 * parseRunsUri("runs:/0a1b2c/model"); // { runId: "0a1b2c", path: "model" }
 * ```
 */
export function parseRunsUri(uri: string): { runId: string; path: string } {
  const m = /^runs:\/+([^/]+)(?:\/(.*))?$/i.exec(uri);
  if (!m) {
    throw new MlflowError(
      `Not a proper runs:/ URI: ${q(uri)}; expected "runs:/<run_id>/<path>".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return { runId: m[1], path: trimSlashes(m[2] ?? "") };
}

/**
 * A small client for the tracking server's REST API: auth headers, retries, bounded JSON.
 *
 * @example
 * ```ts
 * import { TrackingClient } from "./mlflow.ts";
 * const pipeline = { fetch, timeoutMs: 10_000, retries: 2, retryDelayMs: 200, signal: new AbortController().signal };
 * const client = new TrackingClient({ uri: "http://127.0.0.1:5000", token: "t" }, pipeline);
 * client.base.href; // "http://127.0.0.1:5000/"
 * ```
 */
export class TrackingClient {
  /** Tracking server base URL (with any path prefix, ending in a slash). */
  readonly base: URL;
  readonly #auth: string | undefined;
  readonly #p: Pipeline;

  constructor(options: TrackingOptions | undefined, p: Pipeline) {
    const raw = options?.uri;
    if (!raw) {
      throw new MlflowError(
        "Resolving models:/, runs:/ and mlflow-artifacts:/ URIs needs a tracking server: " +
          "set MLFLOW_TRACKING_URI (or options.tracking.uri).",
        "INVALID_PARAMETER_VALUE",
      );
    }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      url = new URL("invalid:");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new MlflowError(
        `Tracking URI ${q(raw)} is not an http(s) URL.`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    let user = options?.username;
    let pass = options?.password;
    if (url.username || url.password) {
      user ??= decodeURIComponent(url.username);
      pass ??= decodeURIComponent(url.password);
      url.username = "";
      url.password = "";
    }
    url.search = "";
    url.hash = "";
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    this.base = url;
    this.#p = p;
    if (options?.token) this.#auth = `Bearer ${options.token}`;
    else if (user !== undefined && pass !== undefined) {
      this.#auth = `Basic ${btoa(`${user}:${pass}`)}`;
    }
  }

  /** Auth headers for a URL: only ever sent to the tracking server's own origin. */
  headersFor(url: string | URL): Record<string, string> {
    return this.#auth && new URL(url).origin === this.base.origin
      ? { authorization: this.#auth }
      : {};
  }

  /** `GET {base}api/2.0/mlflow/{endpoint}?params` as JSON. */
  get(endpoint: string, params: Record<string, string>, what: string): Promise<unknown> {
    const url = new URL(`api/2.0/mlflow/${endpoint}`, this.base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return this.json(url, { method: "GET" }, what);
  }

  /** `POST {base}api/2.0/mlflow/{endpoint}` with a JSON body. */
  post(endpoint: string, body: unknown, what: string): Promise<unknown> {
    return this.send("POST", endpoint, body, what);
  }

  /** `POST`, `PATCH` (or any method) of a JSON body to `{base}api/2.0/mlflow/{endpoint}`. */
  send(method: string, endpoint: string, body: unknown, what: string): Promise<unknown> {
    const url = new URL(`api/2.0/mlflow/${endpoint}`, this.base);
    return this.json(url, {
      method,
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    }, what);
  }

  /** The credentials this client sends, for scrubbing from messages (defence in depth). */
  get secrets(): string[] {
    const auth = this.#auth?.replace(/^(Bearer|Basic) /, "");
    if (!auth) return [];
    if (this.#auth!.startsWith("Bearer ")) return [auth];
    const plain = atob(auth);
    return [auth, plain, plain.slice(plain.indexOf(":") + 1)];
  }

  /** A request answered with JSON, retried and bounded. */
  json(url: URL, init: RequestInit, what: string): Promise<unknown> {
    return withRetries(this.#p, what, async (signal) => {
      const headers = { ...(init.headers as Record<string, string>), ...this.headersFor(url) };
      const res = await httpRequest(this.#p, url, { ...init, headers, signal }, what);
      let total = 0;
      const bytes = await readBody(responseBody(res), what, (n) => {
        total += n;
        if (total > MAX_JSON_BYTES) {
          throw new MlflowError(
            `${what} answered more than ${MAX_JSON_BYTES} bytes.`,
            "RESOURCE_EXHAUSTED",
          );
        }
      }, signal);
      try {
        // MLflow's client reads an empty body as `{}` (artifact uploads answer with one).
        const text = new TextDecoder().decode(bytes);
        return text.trim() === "" ? {} : JSON.parse(text);
      } catch {
        throw new MlflowError(`${what} answered with invalid JSON.`, "INTERNAL_ERROR");
      }
    });
  }
}

/**
 * Resolve a `models:/` URI to the artifact URI of its files (spec 7.3).
 *
 * @example
 * ```ts
 * import { resolveModelsUri, TrackingClient } from "./mlflow.ts";
 * const pipeline = { fetch, timeoutMs: 10_000, retries: 2, retryDelayMs: 200, signal: new AbortController().signal };
 * const client = new TrackingClient({ uri: "http://127.0.0.1:5000" }, pipeline);
 * // await resolveModelsUri("models:/iris@champion", client) -> "mlflow-artifacts:/1/models/m-.../artifacts"
 * ```
 */
export async function resolveModelsUri(uri: string, client: TrackingClient): Promise<string> {
  const ref = parseModelsUri(uri);
  const what = (endpoint: string) => `Registry request "${endpoint}" for ${q(uri)}`;
  let artifactUri: string;
  if (ref.kind === "logged") {
    const endpoint = `logged-models/${encodeURIComponent(ref.modelId)}`;
    const res = await client.get(endpoint, {}, what(endpoint));
    artifactUri = str(
      dig(res, "model", "info", "artifact_uri"),
      what(endpoint),
      "model.info.artifact_uri",
    );
  } else {
    let version: string;
    if (ref.kind === "version") version = ref.version;
    else if (ref.kind === "alias") {
      const endpoint = "registered-models/alias";
      const res = await client.get(endpoint, { name: ref.name, alias: ref.alias }, what(endpoint));
      version = String(
        str(dig(res, "model_version", "version"), what(endpoint), "model_version.version"),
      );
    } else {
      const stage = ref.kind === "stage" ? ref.stage : undefined;
      version = await latestVersion(
        client,
        ref.name,
        stage,
        what("registered-models/get-latest-versions"),
      );
    }
    const endpoint = "model-versions/get-download-uri";
    const res = await client.get(endpoint, { name: ref.name, version }, what(endpoint));
    artifactUri = str(dig(res, "artifact_uri"), what(endpoint), "artifact_uri");
  }
  return ref.subpath ? joinKey(artifactUri, ref.subpath) : artifactUri;
}

async function latestVersion(
  client: TrackingClient,
  name: string,
  stage: string | undefined,
  what: string,
): Promise<string> {
  const endpoint = "registered-models/get-latest-versions";
  let res: unknown;
  try {
    res = await client.post(endpoint, stage ? { name, stages: [stage] } : { name }, what);
  } catch (err) {
    // Older servers only have the GET form; the client falls back on ENDPOINT_NOT_FOUND.
    if (!(err instanceof MlflowError) || !/ENDPOINT_NOT_FOUND|HTTP 405/.test(err.message)) {
      throw err;
    }
    res = await client.get(endpoint, stage ? { name, stages: stage } : { name }, what);
  }
  const versions = dig(res, "model_versions");
  const list = Array.isArray(versions) ? versions : [];
  let best: number | undefined;
  for (const v of list) {
    const n = Number(dig(v, "version"));
    if (Number.isInteger(n) && (best === undefined || n > best)) best = n;
  }
  if (best === undefined) {
    throw new MlflowError(
      `No versions of model with name '${name}'${stage ? ` and stage '${stage}'` : ""} found.`,
      "RESOURCE_DOES_NOT_EXIST",
    );
  }
  return String(best);
}

/**
 * Resolve `runs:/<run_id>/<path>` to artifact URIs, most authoritative first: MLflow 3's
 * LoggedModel of that name logged from the run (`models/m-<id>/artifacts`), then the run-relative
 * location MLflow 2 used. Files of both are merged, the first winning.
 *
 * @example
 * ```ts
 * import { resolveRunsUri, TrackingClient } from "./mlflow.ts";
 * const pipeline = { fetch, timeoutMs: 10_000, retries: 2, retryDelayMs: 200, signal: new AbortController().signal };
 * const client = new TrackingClient({ uri: "http://127.0.0.1:5000" }, pipeline);
 * // await resolveRunsUri("runs:/abc/model", client) -> ["mlflow-artifacts:/1/models/m-.../artifacts", "mlflow-artifacts:/1/abc/artifacts/model"]
 * ```
 */
export async function resolveRunsUri(uri: string, client: TrackingClient): Promise<string[]> {
  const { runId, path } = parseRunsUri(uri);
  const what = (endpoint: string) => `Tracking request "${endpoint}" for ${q(uri)}`;
  const res = await client.get("runs/get", { run_id: runId }, what("runs/get"));
  const root = str(
    dig(res, "run", "info", "artifact_uri"),
    what("runs/get"),
    "run.info.artifact_uri",
  );
  const experimentId = dig(res, "run", "info", "experiment_id");
  const out: string[] = [];
  const [first, ...rest] = path ? path.split("/") : [];
  if (first && typeof experimentId === "string" && !first.includes("'")) {
    try {
      const found = await client.post("logged-models/search", {
        experiment_ids: [experimentId],
        filter: `name = '${first}'`,
        max_results: 50,
      }, what("logged-models/search"));
      const models = dig(found, "models");
      const match = (Array.isArray(models) ? models : [])
        .map((m) => dig(m, "info"))
        .filter((i) =>
          dig(i, "source_run_id") === runId && typeof dig(i, "artifact_uri") === "string"
        )
        .sort((a, b) =>
          Number(dig(b, "creation_timestamp_ms") ?? 0) -
          Number(dig(a, "creation_timestamp_ms") ?? 0)
        )[0];
      if (match) {
        const base = dig(match, "artifact_uri") as string;
        out.push(rest.length ? joinKey(base, rest.join("/")) : base);
      }
    } catch (err) {
      // MLflow 2 servers have no LoggedModels; the run-relative location is then the only one.
      if (!(err instanceof MlflowError) || err.errorCode !== "RESOURCE_DOES_NOT_EXIST") throw err;
    }
  }
  out.push(path ? joinKey(root, path) : root);
  return out;
}

/**
 * Throw unless a registry-returned artifact URI points somewhere we may follow: mlflow-artifacts
 * and http(s) on the tracking host (or `allowedHosts`), and S3 (any bucket unless `allowedHosts`
 * lists `s3://bucket` or `s3://*` entries).
 *
 * @example
 * ```ts
 * import { assertAllowedArtifactUri } from "./mlflow.ts";
 * const base = new URL("http://127.0.0.1:5000/");
 * assertAllowedArtifactUri("mlflow-artifacts:/1/models/m-1/artifacts", base, undefined, "models:/iris/1");
 * ```
 */
export function assertAllowedArtifactUri(
  artifactUri: string,
  tracking: URL,
  allowedHosts: string[] | undefined,
  source: string,
): void {
  const refuse = (why: string) =>
    new MlflowError(
      `The tracking server resolved ${q(source)} to ${
        q(artifactUri)
      }, which is not followed: ${why}.`,
      "PERMISSION_DENIED",
    );
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(artifactUri)?.[1]?.toLowerCase();
  const hostAllowed = (host: string) =>
    host === tracking.host ||
    (allowedHosts ?? []).some((h) => h.toLowerCase() === host.toLowerCase());
  if (scheme === "mlflow-artifacts") {
    const host = /^mlflow-artifacts:\/\/([^/]*)/i.exec(artifactUri)?.[1];
    if (host !== undefined && host !== "" && !hostAllowed(host)) {
      throw refuse(`host "${host}" is neither the tracking server nor in allowedHosts`);
    }
    return;
  }
  if (scheme === "http" || scheme === "https") {
    const host = new URL(artifactUri).host;
    if (!hostAllowed(host)) {
      throw refuse(`host "${host}" is neither the tracking server nor in allowedHosts`);
    }
    return;
  }
  if (scheme === "s3") {
    if (allowedHosts === undefined) return;
    const bucket = /^s3:\/\/([^/]+)/i.exec(artifactUri)?.[1] ?? "";
    if (allowedHosts.includes("s3://*") || allowedHosts.includes(`s3://${bucket}`)) return;
    throw refuse(`bucket "${bucket}" is not in allowedHosts`);
  }
  throw refuse(
    `scheme "${scheme ?? ""}:" is not one of mlflow-artifacts, http(s) on the tracking host, or s3`,
  );
}

/**
 * Where the tracking server proxies `mlflow-artifacts:/<path>` (or
 * `mlflow-artifacts://host:port/<path>`): the artifacts endpoint URL and the root path under it.
 *
 * @example
 * ```ts
 * import { mlflowArtifactsEndpoint, TrackingClient } from "./mlflow.ts";
 * const pipeline = { fetch, timeoutMs: 10_000, retries: 2, retryDelayMs: 200, signal: new AbortController().signal };
 * const client = new TrackingClient({ uri: "http://127.0.0.1:5000" }, pipeline);
 * mlflowArtifactsEndpoint("mlflow-artifacts:/1/models/m-1/artifacts", client).root; // "1/models/m-1/artifacts"
 * ```
 */
export function mlflowArtifactsEndpoint(
  uri: string,
  client: TrackingClient,
): { artifacts: string; root: string } {
  const m = /^mlflow-artifacts:(?:\/\/([^/]*))?(\/[^?#]*)?$/i.exec(uri);
  if (!m || m[1] === "" || (m[1] !== undefined && m[1].startsWith(":"))) {
    throw new MlflowError(
      `Not a proper mlflow-artifacts URI: ${q(uri)}; expected "mlflow-artifacts:/<path>" or ` +
        `"mlflow-artifacts://<host:port>/<path>".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  const base = new URL(client.base);
  if (m[1]) base.host = m[1];
  const artifacts = new URL("api/2.0/mlflow-artifacts/artifacts", base).href;
  const root = trimSlashes(decodeURIComponent(m[2] ?? ""));
  for (const part of root.split("/")) {
    if (part === "..") {
      throw new MlflowError(
        `Artifact URI ${q(uri)} contains a ".." segment.`,
        "INVALID_PARAMETER_VALUE",
      );
    }
  }
  return { artifacts, root };
}

/**
 * A store over a directory of the tracking server's proxied artifacts
 * (`mlflow-artifacts:/<path>` or `mlflow-artifacts://host:port/<path>`, spec 7.4).
 *
 * @example
 * ```ts
 * import { mlflowArtifactsStore, TrackingClient } from "./mlflow.ts";
 * const pipeline = { fetch, timeoutMs: 10_000, retries: 2, retryDelayMs: 200, signal: new AbortController().signal };
 * const client = new TrackingClient({ uri: "http://127.0.0.1:5000" }, pipeline);
 * const store = mlflowArtifactsStore("mlflow-artifacts:/1/models/m-1/artifacts", client, pipeline);
 * store.uri; // "mlflow-artifacts:/1/models/m-1/artifacts"
 * ```
 */
export function mlflowArtifactsStore(
  uri: string,
  client: TrackingClient,
  p: Pipeline,
): BundleStore {
  const { artifacts, root } = mlflowArtifactsEndpoint(uri, client);
  const shown = uri;
  return {
    uri: shown,
    // Artifact paths are written once (a new model version is a new path), so URI + size is a
    // sufficient cache identity where the server gives no ETag in its listing.
    cacheId: `${artifacts}|${root}`,
    async list(ctx): Promise<ObjectMeta[]> {
      const out: ObjectMeta[] = [];
      const walk = async (dir: string, depth: number) => {
        if (depth > MAX_DEPTH) {
          throw new MlflowError(
            `Artifacts under ${q(shown)} are nested more than ${MAX_DEPTH} deep.`,
            "INVALID_PARAMETER_VALUE",
          );
        }
        const url = new URL(artifacts);
        url.searchParams.set("path", joinKey(root, dir));
        const what = `Listing of ${q(joinKey(shown, dir))}`;
        const res = await client.json(url, { method: "GET", signal: ctx.signal }, what);
        const files = dig(res, "files");
        for (const f of Array.isArray(files) ? files : []) {
          let name = String(dig(f, "path") ?? "");
          // The server answers basenames; tolerate full paths too.
          const full = joinKey(root, dir);
          if (full && name.startsWith(`${full}/`)) name = name.slice(full.length + 1);
          const key = assertSafeKey(joinKey(dir, name), shown, "The listing");
          if (dig(f, "is_dir") === true) await walk(key, depth + 1);
          else {
            const size = Number(dig(f, "file_size"));
            out.push({ key, size: Number.isFinite(size) ? size : undefined });
          }
        }
      };
      await walk("", 0);
      return out;
    },
    async get(key, init) {
      const url = `${artifacts}/${encodeKey(joinKey(root, key))}`;
      const res = await httpRequest(
        p,
        url,
        { headers: client.headersFor(url), signal: init.signal },
        `Object "${key}" of ${q(shown)}`,
      );
      return responseBody(res);
    },
  };
}

/**
 * Merge stores: every key is read from the first store that lists it. A store that does not
 * exist (404) is skipped as long as another one has files.
 *
 * @example
 * ```ts
 * import { mergedStore } from "./mlflow.ts";
 * const empty = { uri: "a", cacheId: "a", list: async () => [], get: async () => ({}) };
 * mergedStore("runs:/abc/model", [empty, empty]).uri; // "runs:/abc/model"
 * ```
 */
export function mergedStore(uri: string, stores: BundleStore[]): BundleStore {
  const owner = new Map<string, BundleStore>();
  return {
    uri,
    cacheId: stores.every((s) => s.cacheId) ? stores.map((s) => s.cacheId).join("|") : undefined,
    async list(ctx) {
      const out: ObjectMeta[] = [];
      let lastMissing: unknown;
      for (const store of stores) {
        let metas: ObjectMeta[];
        try {
          metas = await store.list(ctx);
        } catch (err) {
          if (err instanceof MlflowError && err.errorCode === "RESOURCE_DOES_NOT_EXIST") {
            lastMissing = err;
            continue;
          }
          throw err;
        }
        for (const meta of metas) {
          if (owner.has(meta.key)) continue;
          owner.set(meta.key, store);
          out.push(meta);
        }
      }
      if (out.length === 0 && lastMissing) throw lastMissing;
      return out;
    },
    get(key, init) {
      const store = owner.get(key) ?? stores[0];
      return store.get(key, init);
    },
  };
}

/**
 * The value at `path` inside a JSON answer, or undefined.
 *
 * @example
 * ```ts
 * import { dig } from "./mlflow.ts";
 * dig({ model: { info: { model_id: "m-1" } } }, "model", "info", "model_id"); // "m-1"
 * ```
 */
export function dig(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/**
 * A non-empty string (or number) field of a JSON answer, else an MlflowError naming it.
 *
 * @example
 * ```ts
 * import { str } from "./mlflow.ts";
 * str("1", "Request", "experiment_id"); // "1"
 * ```
 */
export function str(v: unknown, what: string, field: string): string {
  if (typeof v === "string" && v) return v;
  if (typeof v === "number") return String(v);
  throw new MlflowError(`${what} answered without "${field}".`, "INTERNAL_ERROR");
}
