/**
 * {@linkcode uploadBundle}: every file of a model directory to a LoggedModel's artifact location,
 * through the tracking server's artifact proxy (`mlflow-artifacts:`, one `PUT` per file as
 * MLflow's `HttpArtifactRepository` does) or straight to S3 (or R2's S3 API) when the server
 * keeps its artifacts there, signed as the S3 store signs its reads.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { q } from "../store/_errors.ts";
import { assertSafeKey, encodeKey, joinKey } from "../store/_path.ts";
import { httpRequest, type Pipeline, withRetries } from "../store/_pipeline.ts";
import {
  assertAllowedArtifactUri,
  mlflowArtifactsEndpoint,
  type TrackingClient,
} from "../store/mlflow.ts";
import { s3Bucket } from "../store/s3.ts";
import type { S3Options } from "../store/types.ts";

/**
 * One file to upload: its size and how to read it (read just before its upload, so a bundle
 * on disk is never held in memory whole).
 *
 * @example
 * ```ts
 * import type { UploadFile } from "./upload.ts";
 * const bytes = new TextEncoder().encode("mlflow==3.6.0");
 * const file: UploadFile = { size: bytes.length, read: () => Promise.resolve(bytes) };
 * ```
 */
export interface UploadFile {
  /** Size in bytes (for the progress total). */
  size: number;
  /** The contents. */
  read(): Promise<Uint8Array>;
}

/**
 * Options of {@linkcode uploadBundle}.
 *
 * @example
 * ```ts
 * import type { UploadOptions } from "./upload.ts";
 * const options: UploadOptions = { concurrency: 4, onProgress: (done, total) => console.log(done, total) };
 * ```
 */
export interface UploadOptions {
  /** S3 credentials, region and endpoint, for an `s3://` artifact location. */
  s3?: S3Options;
  /** Hosts an artifact location may name besides the tracking server (as for downloads). */
  allowedHosts?: string[];
  /** Files uploaded at once. Default 4. */
  concurrency?: number;
  /** Called after each file with the bytes uploaded so far and the total. */
  onProgress?: (loaded: number, total: number) => void;
}

/**
 * The Content-Type MLflow's client sends (`mlflow/utils/mime_type_utils.py`): `text/plain` for
 * `MLmodel` and text extensions, otherwise `application/octet-stream` (ONNX files, the
 * uuid-named external data).
 *
 * @example
 * ```ts
 * import { contentTypeOf } from "./upload.ts";
 * contentTypeOf("conda.yaml"); // "text/plain"
 * contentTypeOf("model.onnx"); // "application/octet-stream"
 * ```
 */
export function contentTypeOf(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : name;
  return TEXT.has(ext) ? "text/plain" : "application/octet-stream";
}

const TEXT = new Set([
  "MLmodel",
  "txt",
  "log",
  "py",
  "js",
  "yaml",
  "yml",
  "json",
  "jsonl",
  "csv",
  "tsv",
  "md",
  "rst",
  "ini",
  "cfg",
  "toml",
]);

/**
 * Upload every file under `artifactUri` (a LoggedModel's `artifact_uri`), with bounded
 * concurrency, per-request timeouts and retries. Throws `MlflowError` naming the file; the
 * location must be `mlflow-artifacts:` (proxied by the tracking server) or `s3://`.
 *
 * @example
 * ```ts
 * import { uploadBundle } from "./upload.ts";
 * import { TrackingClient } from "../store/mlflow.ts";
 * const p = { fetch, timeoutMs: 10_000, retries: 2, retryDelayMs: 200, signal: new AbortController().signal };
 * const client = new TrackingClient({ uri: "http://127.0.0.1:5000" }, p);
 * const files = new Map([["MLmodel", { size: 0, read: () => Promise.resolve(new Uint8Array()) }]]);
 * // await uploadBundle("mlflow-artifacts:/1/models/m-1/artifacts", files, client, p, {});
 * ```
 */
export async function uploadBundle(
  artifactUri: string,
  files: ReadonlyMap<string, UploadFile>,
  client: TrackingClient,
  p: Pipeline,
  options: UploadOptions,
): Promise<void> {
  assertAllowedArtifactUri(artifactUri, client.base, options.allowedHosts, "the logged model");
  const put = writerFor(artifactUri, client, p, options);
  const total = [...files.values()].reduce((s, f) => s + f.size, 0);
  let loaded = 0;
  const queue = [...files.keys()];
  for (const key of queue) assertSafeKey(key, artifactUri, "The model directory");
  const worker = async () => {
    for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
      const file = files.get(key)!;
      const bytes = await file.read();
      await withRetries(
        p,
        `Upload of "${key}" to ${q(artifactUri)}`,
        (signal) => put(key, bytes, signal),
      );
      loaded += bytes.length;
      options.onProgress?.(loaded, Math.max(total, loaded));
    }
  };
  const n = Math.max(1, Math.min(options.concurrency ?? 4, queue.length));
  const workers = Array.from({ length: n }, worker);
  // Stop the other workers' queue on the first failure, then report it.
  const results = await Promise.allSettled(workers.map((w) =>
    w.catch((err) => {
      queue.length = 0;
      throw err;
    })
  ));
  const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  if (failed) throw failed.reason;
}

type Put = (key: string, bytes: Uint8Array, signal: AbortSignal) => Promise<void>;

function writerFor(
  artifactUri: string,
  client: TrackingClient,
  p: Pipeline,
  options: UploadOptions,
): Put {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(artifactUri)?.[1]?.toLowerCase();
  if (scheme === "mlflow-artifacts") {
    const { artifacts, root } = mlflowArtifactsEndpoint(artifactUri, client);
    return async (key, bytes, signal) => {
      const url = `${artifacts}/${encodeKey(joinKey(root, key))}`;
      const res = await httpRequest(p, url, {
        method: "PUT",
        body: bytes as BodyInit,
        headers: { "content-type": contentTypeOf(key), ...client.headersFor(url) },
        signal,
      }, `Upload of "${key}" to ${q(artifactUri)}`);
      await res.body?.cancel();
    };
  }
  if (scheme === "s3") {
    const { bucketUrl, prefix, request } = s3Bucket(artifactUri, options.s3);
    return async (key, bytes, signal) => {
      const url = `${bucketUrl}/${encodeKey(joinKey(prefix, key))}`;
      const req = await request(url, {
        method: "PUT",
        body: bytes as BodyInit,
        headers: { "content-type": contentTypeOf(key) },
        signal,
      });
      const res = await httpRequest(p, req, { signal }, `Upload of "${key}" to ${q(artifactUri)}`);
      await res.body?.cancel();
    };
  }
  throw new MlflowError(
    `The tracking server keeps the model's artifacts at ${q(artifactUri)}, which cannot be ` +
      `written from here: run the server with --serve-artifacts (mlflow-artifacts:) or give it ` +
      `an s3:// artifact root.`,
    "INVALID_PARAMETER_VALUE",
  );
}
