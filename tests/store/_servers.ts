// Real servers on 127.0.0.1 for the store tests: s3rver (S3), miniflare's local R2, a static
// file server, and an MLflow tracking server implementing the REST endpoints of spec 7 over an
// in-memory artifact tree, with fault injection.
import { AwsClient } from "aws4fetch";
import { Miniflare } from "../_deps/miniflare.ts";
import { S3rver } from "../_deps/s3rver.ts";
import type { R2BucketLike } from "../../src/store/mod.ts";
import {
  API,
  artifactFile,
  ARTIFACTS,
  json,
  listArtifacts,
  listen,
  restError as error,
  underPrefix,
} from "../_mlflow_rest.ts";

export const FIXTURES = new URL("../fixtures/mlflow-bundles/", import.meta.url);
export const BUNDLES = ["iris_mlp_onnx", "mnist_cnn_onnx"] as const;

/** Every file of a fixture bundle directory, by relative key. */
export async function readDir(dir: string | URL): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const root = typeof dir === "string" ? dir : dir.pathname;
  const walk = async (path: string, prefix: string) => {
    for await (const e of Deno.readDir(path)) {
      if (e.isDirectory) await walk(`${path}/${e.name}`, `${prefix}${e.name}/`);
      else if (e.isFile) out.set(prefix + e.name, await Deno.readFile(`${path}/${e.name}`));
    }
  };
  await walk(root.replace(/\/$/, ""), "");
  return out;
}

export function fixtureDir(name: string): string {
  return new URL(`${name}/`, FIXTURES).pathname;
}

export function sorted(map: Map<string, Uint8Array>): [string, Uint8Array][] {
  return [...map].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// S3: s3rver in-process. It does not verify signatures (see sigv4_test.ts for that).

export interface S3Server {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  put(bucket: string, key: string, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export async function startS3(buckets: string[]): Promise<S3Server> {
  const directory = await Deno.makeTempDir();
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
  const client = new AwsClient({ ...credentials, service: "s3", region: "us-east-1", retries: 0 });
  return {
    endpoint,
    credentials,
    async put(bucket, key, bytes) {
      const res = await client.fetch(`${endpoint}/${bucket}/${key}`, {
        method: "PUT",
        body: bytes as BodyInit,
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`PUT ${key}: ${res.status}`);
    },
    async close() {
      // Drop kept-alive client connections so close() does not wait for them to idle out.
      (server as unknown as { httpServer?: { closeAllConnections?: () => void } }).httpServer
        ?.closeAllConnections?.();
      await server.close();
      await Deno.remove(directory, { recursive: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// R2: miniflare's local R2 (workerd). The worker exposes the binding over HTTP as well.

export interface R2Server {
  bucket: R2BucketLike & { put(key: string, value: Uint8Array): Promise<unknown> };
  mf: Miniflare;
  close(): Promise<void>;
}

export async function startR2(): Promise<R2Server> {
  const mf = new Miniflare({
    modules: true,
    script: `export default { async fetch() { return new Response("ok"); } }`,
    r2Buckets: ["MODELS"],
    compatibilityDate: "2025-01-01",
  });
  await mf.ready;
  const bucket = await mf.getR2Bucket("MODELS") as unknown as R2Server["bucket"];
  return { bucket, mf, close: () => mf.dispose() };
}

// ---------------------------------------------------------------------------------------------
// A plain static file server with ETag / If-None-Match, counting requests.

export interface Counted {
  method: string;
  path: string;
  status: number;
}

export interface StaticServer {
  url: string;
  requests: Counted[];
  close(): Promise<void>;
}

export function startStatic(root: string): Promise<StaticServer> {
  const requests: Counted[] = [];
  const server = listen(async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const res = await serveFile(root, path, req.headers.get("if-none-match"));
    requests.push({ method: req.method, path, status: res.status });
    return res;
  });
  return Promise.resolve({ ...server, requests });
}

async function serveFile(
  root: string,
  path: string,
  ifNoneMatch: string | null,
): Promise<Response> {
  if (path.includes("..")) return new Response("bad path", { status: 400 });
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(root + path);
    if (!info.isFile) return new Response("not a file", { status: 404 });
    bytes = await Deno.readFile(root + path);
  } catch {
    return new Response("not found", { status: 404 });
  }
  const etag = `"${await sha1(bytes)}"`;
  if (ifNoneMatch === etag) return new Response(null, { status: 304, headers: { etag } });
  return new Response(bytes as BodyInit, {
    headers: { etag, "content-type": "application/octet-stream" },
  });
}

async function sha1(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes as BufferSource));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---------------------------------------------------------------------------------------------
// An MLflow tracking server: registry, runs, logged models and proxied artifacts (spec 7).

export type Fault =
  | { kind: "status"; status: number; times?: number; body?: string }
  | { kind: "slow"; ms: number }
  | { kind: "redirect"; location: string; status?: number }
  | { kind: "truncate" };

export interface RegisteredVersion {
  name: string;
  version: string;
  stage?: string;
  aliases?: string[];
  /** What get-download-uri answers. */
  artifactUri: string;
  status?: string;
}

export interface LoggedModel {
  modelId: string;
  name: string;
  experimentId: string;
  sourceRunId?: string;
  artifactUri: string;
}

export interface Run {
  runId: string;
  experimentId: string;
  artifactUri: string;
}

export interface MlflowServerOptions {
  versions?: RegisteredVersion[];
  loggedModels?: LoggedModel[];
  runs?: Run[];
  /** `Authorization` header value the server requires (401 otherwise). */
  auth?: string;
  /** Behave like an MLflow 2 server: no logged-models endpoints, only GET get-latest-versions. */
  mlflow2?: boolean;
  /** A URL path prefix, as a reverse proxy adds. */
  prefix?: string;
}

export interface MlflowServer {
  url: string;
  requests: Counted[];
  /** Artifact files by path (e.g. `1/models/m-abc/artifacts/MLmodel`). */
  artifacts: Map<string, Uint8Array>;
  /** Faults by artifact path (downloads) or REST endpoint (e.g. `registered-models/alias`). */
  faults: Map<string, Fault>;
  mount(prefix: string, files: Map<string, Uint8Array>): void;
  close(): Promise<void>;
}

export function startMlflow(options: MlflowServerOptions = {}): Promise<MlflowServer> {
  const requests: Counted[] = [];
  const artifacts = new Map<string, Uint8Array>();
  const faults = new Map<string, Fault>();
  const prefix = options.prefix ?? "";

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const path = underPrefix(req, prefix);
    if (path === undefined) return error("ENDPOINT_NOT_FOUND", "no", 404);
    if (options.auth && req.headers.get("authorization") !== options.auth) {
      return error("UNAUTHENTICATED", "Missing or wrong credentials.", 401);
    }
    if (path === ARTIFACTS) {
      return json(listArtifacts(artifacts, url.searchParams.get("path") ?? ""));
    }
    if (path.startsWith(`${ARTIFACTS}/`)) {
      const key = decodeURIComponent(path.slice(ARTIFACTS.length + 1));
      const fault = takeFault(key);
      if (fault) return await applyFault(fault, req, artifacts.get(key));
      return artifactFile(artifacts.get(key), key);
    }
    if (!path.startsWith(API)) return error("ENDPOINT_NOT_FOUND", "no", 404);
    const endpoint = path.slice(API.length);
    const fault = takeFault(endpoint);
    if (fault) return await applyFault(fault, req, undefined);
    const q = url.searchParams;
    const versions = options.versions ?? [];
    switch (endpoint) {
      case "model-versions/get-download-uri": {
        const v = versions.find((v) => v.name === q.get("name") && v.version === q.get("version"));
        if (!v) {
          return error(
            "RESOURCE_DOES_NOT_EXIST",
            `Model Version (name=${q.get("name")}, version=${q.get("version")}) not found`,
            404,
          );
        }
        return json({ artifact_uri: v.artifactUri });
      }
      case "registered-models/alias": {
        const v = versions.find((v) =>
          v.name === q.get("name") && v.aliases?.includes(q.get("alias") ?? "")
        );
        if (!v) {
          return error(
            "RESOURCE_DOES_NOT_EXIST",
            `Registered model alias ${q.get("alias")} not found.`,
            404,
          );
        }
        return json({ model_version: modelVersion(v) });
      }
      case "registered-models/get-latest-versions": {
        if (options.mlflow2 && req.method === "POST") {
          return error("ENDPOINT_NOT_FOUND", "POST not here", 404);
        }
        let name: string | null;
        let stages: string[] | undefined;
        if (req.method === "POST") {
          const body = await req.json();
          name = body.name;
          stages = body.stages;
        } else {
          name = q.get("name");
          stages = q.getAll("stages").length ? q.getAll("stages") : undefined;
        }
        const all = versions.filter((v) => v.name === name && (v.status ?? "READY") === "READY");
        if (!versions.some((v) => v.name === name)) {
          return error(
            "RESOURCE_DOES_NOT_EXIST",
            `Registered Model with name=${name} not found`,
            404,
          );
        }
        const byStage = new Map<string, RegisteredVersion>();
        for (const v of all) {
          const stage = v.stage ?? "None";
          if (stages && !stages.some((s) => s.toLowerCase() === stage.toLowerCase())) continue;
          const cur = byStage.get(stage);
          if (!cur || Number(v.version) > Number(cur.version)) byStage.set(stage, v);
        }
        return json({ model_versions: [...byStage.values()].map(modelVersion) });
      }
      case "runs/get": {
        const run = (options.runs ?? []).find((r) => r.runId === q.get("run_id"));
        if (!run) {
          return error("RESOURCE_DOES_NOT_EXIST", `Run '${q.get("run_id")}' not found`, 404);
        }
        return json({
          run: {
            info: {
              run_id: run.runId,
              experiment_id: run.experimentId,
              artifact_uri: run.artifactUri,
              status: "FINISHED",
            },
            data: {},
          },
        });
      }
      case "logged-models/search": {
        if (options.mlflow2) return error("ENDPOINT_NOT_FOUND", "No such endpoint", 404);
        const body = await req.json();
        const name = /^name = '(.*)'$/.exec(body.filter ?? "")?.[1];
        const models = (options.loggedModels ?? []).filter((m) =>
          body.experiment_ids?.includes(m.experimentId) && (name === undefined || m.name === name)
        );
        return json({ models: models.map(loggedModel) });
      }
    }
    if (endpoint.startsWith("logged-models/")) {
      if (options.mlflow2) return error("ENDPOINT_NOT_FOUND", "No such endpoint", 404);
      const id = decodeURIComponent(endpoint.slice("logged-models/".length));
      const m = (options.loggedModels ?? []).find((m) => m.modelId === id);
      if (!m) {
        return error("RESOURCE_DOES_NOT_EXIST", `Logged model with ID '${id}' not found.`, 404);
      }
      return json({ model: loggedModel(m) });
    }
    return error("ENDPOINT_NOT_FOUND", `No endpoint ${endpoint}`, 404);
  };

  const takeFault = (key: string): Fault | undefined => {
    const f = faults.get(key);
    if (!f) return undefined;
    if (f.kind === "status" && f.times !== undefined) {
      if (f.times <= 0) return undefined;
      f.times--;
    }
    return f;
  };

  const applyFault = async (
    f: Fault,
    req: Request,
    bytes: Uint8Array | undefined,
  ): Promise<Response> => {
    if (f.kind === "status") {
      return new Response(
        f.body ?? JSON.stringify({ error_code: "INTERNAL_ERROR", message: "fault" }),
        {
          status: f.status,
          headers: { "content-type": "application/json" },
        },
      );
    }
    if (f.kind === "redirect") {
      return new Response(null, { status: f.status ?? 302, headers: { location: f.location } });
    }
    if (f.kind === "slow") {
      await new Promise<void>((resolve) => {
        const id = setTimeout(resolve, f.ms);
        req.signal.addEventListener("abort", () => {
          clearTimeout(id);
          resolve();
        }, { once: true });
      });
      return new Response((bytes ?? new Uint8Array()) as BodyInit);
    }
    // Send half the bytes, then break the connection.
    const data = bytes ?? new Uint8Array(64);
    const half = data.subarray(0, Math.floor(data.length / 2));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(half);
      },
      pull(c) {
        // Ending the body short of its Content-Length breaks the connection for the client
        // ("error reading a body") without Deno.serve printing a stack trace, as an error would.
        c.close();
      },
    });
    return new Response(body, { headers: { "content-length": String(data.length) } });
  };

  const server = listen(async (req) => {
    const res = await handle(req);
    requests.push({
      method: req.method,
      path: decodeURIComponent(new URL(req.url).pathname),
      status: res.status,
    });
    return res;
  }, prefix);
  return Promise.resolve({
    ...server,
    requests,
    artifacts,
    faults,
    mount(at, files) {
      for (const [k, v] of files) artifacts.set(`${at}/${k}`, v);
    },
  });
}

function modelVersion(v: RegisteredVersion) {
  return {
    name: v.name,
    version: v.version,
    current_stage: v.stage ?? "None",
    status: v.status ?? "READY",
    aliases: v.aliases ?? [],
    source: v.artifactUri,
  };
}

function loggedModel(m: LoggedModel) {
  return {
    info: {
      model_id: m.modelId,
      name: m.name,
      experiment_id: m.experimentId,
      source_run_id: m.sourceRunId,
      artifact_uri: m.artifactUri,
      status: "LOGGED_MODEL_READY",
      creation_timestamp_ms: 1,
    },
    data: {},
  };
}

/** A fetch that counts the requests it makes, by method and path. */
export function countingFetch(): {
  fetch: typeof fetch;
  requests: { method: string; path: string }[];
} {
  const requests: { method: string; path: string }[] = [];
  const f: typeof fetch = (input, init) => {
    const req = new Request(input, init);
    requests.push({ method: req.method, path: decodeURIComponent(new URL(req.url).pathname) });
    return fetch(req);
  };
  return { fetch: f, requests };
}
