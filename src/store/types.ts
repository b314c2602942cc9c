/**
 * Types shared by the bundle stores: the options of {@linkcode fetchBundle}, what it returns,
 * and the one interface every URI scheme implements.
 *
 * @module
 */

/**
 * Every file of a model bundle, keyed by its POSIX path relative to the bundle root.
 *
 * @example
 * ```ts
 * import type { BundleFiles } from "./types.ts";
 * const bundle: BundleFiles = { uri: "s3://models/iris", files: new Map([["MLmodel", new Uint8Array()]]) };
 * bundle.files.has("MLmodel"); // true
 * ```
 */
export interface BundleFiles {
  /** The URI the bundle was fetched from, as given. */
  uri: string;
  /** File contents by relative key, e.g. `MLmodel`, `model.onnx`, `7a35...-uuid`. */
  files: Map<string, Uint8Array>;
}

/**
 * Where and how to reach an S3-compatible object store.
 *
 * @example
 * ```ts
 * import type { S3Options } from "./types.ts";
 * const minio: S3Options = { endpoint: "http://127.0.0.1:9000", region: "us-east-1", accessKeyId: "k", secretAccessKey: "s" };
 * ```
 */
export interface S3Options {
  /** Endpoint override (MinIO, R2's S3 API, GCS interop); requests then use path-style addressing. */
  endpoint?: string;
  /** Signing region; `us-east-1` when unset. R2 uses `auto`. */
  region?: string;
  /** Access key id (`AWS_ACCESS_KEY_ID`); without keys, requests go unsigned. */
  accessKeyId?: string;
  /** Secret access key (`AWS_SECRET_ACCESS_KEY`); never shown in messages. */
  secretAccessKey?: string;
  /** Session token of temporary credentials (`AWS_SESSION_TOKEN`). */
  sessionToken?: string;
}

/**
 * How to reach an MLflow tracking server (registry, runs, proxied artifacts).
 *
 * @example
 * ```ts
 * import type { TrackingOptions } from "./types.ts";
 * const tracking: TrackingOptions = { uri: "https://mlflow.example.com", token: "dapi..." };
 * ```
 */
export interface TrackingOptions {
  /** Base URL of the tracking server, e.g. `http://127.0.0.1:5000` (may carry a path prefix). */
  uri?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** With `password`, sent as HTTP Basic auth (when no token is set). */
  username?: string;
  /** The Basic auth password; never shown in messages. */
  password?: string;
}

/**
 * The list result of a Workers R2 binding, as far as the stores use it.
 *
 * @example
 * ```ts
 * import type { R2ObjectsLike } from "./types.ts";
 * const page: R2ObjectsLike = { objects: [{ key: "iris/MLmodel", size: 1121, etag: "abc" }], truncated: false };
 * ```
 */
export interface R2ObjectsLike {
  /** The objects of this page. */
  objects: { key: string; size: number; etag?: string }[];
  /** More pages follow. */
  truncated: boolean;
  /** Where the next page starts. */
  cursor?: string;
}

/**
 * One object read through an R2 binding.
 *
 * @example
 * ```ts
 * import type { R2ObjectBodyLike } from "./types.ts";
 * const bytes = new Uint8Array([1, 2]);
 * const obj: R2ObjectBodyLike = { size: 2, etag: "e", arrayBuffer: async () => bytes.buffer };
 * ```
 */
export interface R2ObjectBodyLike {
  /** Object size in bytes. */
  size: number;
  /** The object's entity tag. */
  etag?: string;
  /** The contents as a stream (read in preference to `arrayBuffer`). */
  body?: ReadableStream<Uint8Array>;
  /** The contents at once. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * The subset of a Workers `R2Bucket` binding the `r2://` store needs (`env.MODELS` in a Worker,
 * or `await miniflare.getR2Bucket("MODELS")` in Node/Deno).
 *
 * @example
 * ```ts
 * import type { R2BucketLike } from "./types.ts";
 * const empty: R2BucketLike = {
 *   list: async () => ({ objects: [], truncated: false }),
 *   get: async () => null,
 * };
 * ```
 */
export interface R2BucketLike {
  /** One page of the keys under a prefix. */
  list(options: { prefix?: string; cursor?: string }): Promise<R2ObjectsLike>;
  /** One object, or `null` when there is none. */
  get(key: string): Promise<R2ObjectBodyLike | null>;
}

/**
 * Everything {@linkcode fetchBundle} can be told. All fields are optional; limits have defaults.
 *
 * @example
 * ```ts
 * import type { FetchBundleOptions } from "./types.ts";
 * const options: FetchBundleOptions = { timeoutMs: 30_000, retries: 2, maxBytes: 256 * 2 ** 20, cacheDir: false };
 * ```
 */
export interface FetchBundleOptions {
  /** S3 credentials, region and endpoint for `s3://` URIs. */
  s3?: S3Options;
  /** Tracking server for `models:/`, `runs:/` and `mlflow-artifacts:/` URIs. */
  tracking?: TrackingOptions;
  /** R2 bindings by name, for `r2://NAME/prefix` URIs. */
  r2?: Record<string, R2BucketLike>;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Time allowed for one request (one attempt at one file), in ms. Default 60000. */
  timeoutMs?: number;
  /** Extra attempts after a 5xx answer or a network error (never after a 4xx). Default 3. */
  retries?: number;
  /** First backoff delay in ms; doubles on every retry (with jitter). Default 250. */
  retryDelayMs?: number;
  /** Total bundle size cap in bytes. Default 2 GiB. */
  maxBytes?: number;
  /** Cap on the number of files in a bundle. Default 10000. */
  maxFiles?: number;
  /** Files downloaded at once. Default 6. */
  concurrency?: number;
  /** Disk cache directory (Deno/Bun/Node); `false` disables caching; unset = in-memory cache. */
  cacheDir?: string | false;
  /** Called as bytes arrive; `total` is known when the listing gave every size. */
  onProgress?: (loaded: number, total: number | undefined) => void;
  /**
   * Where registry-returned artifact URIs may point, besides the tracking server itself:
   * `host[:port]` entries for http(s) and `mlflow-artifacts`, `s3://bucket` (or `s3://*`) for S3.
   * Unset: any S3 bucket, and http(s)/mlflow-artifacts on the tracking host only.
   */
  allowedHosts?: string[];
  /** For `http(s)://` bundles: fetch exactly these files instead of discovering them. */
  files?: string[];
}

/**
 * One object of a bundle as a listing reports it.
 *
 * @example
 * ```ts
 * import type { ObjectMeta } from "./types.ts";
 * const meta: ObjectMeta = { key: "model.onnx", size: 1405, etag: "\"5d41\"" };
 * ```
 */
export interface ObjectMeta {
  /** POSIX path relative to the bundle root. */
  key: string;
  /** Size in bytes, when the listing tells. */
  size?: number;
  /** An entity tag or other version token; cache entries are keyed by it when present. */
  etag?: string;
  /** Bytes the store already read while listing (the http store reads MLmodel to list). */
  bytes?: Uint8Array;
}

/**
 * One object as a store's `get` returns it: a stream or a buffer reader, with metadata.
 *
 * @example
 * ```ts
 * import type { ObjectBody } from "./types.ts";
 * const body: ObjectBody = { size: 3, bytes: async () => new Uint8Array([1, 2, 3]) };
 * ```
 */
export interface ObjectBody {
  /** Expected length (Content-Length or object size) for truncation checks. */
  size?: number;
  /** The entity tag the store answered with. */
  etag?: string;
  /** The contents as a stream. */
  stream?: ReadableStream<Uint8Array>;
  /** The contents at once, for stores without a stream. */
  bytes?: () => Promise<Uint8Array>;
  /** The store answered "not modified" to a conditional request. */
  notModified?: boolean;
}

/**
 * What the download pipeline gives a store while it lists: a cached, retried, bounded read of
 * another object of the same bundle (the http store reads MLmodel and model.onnx to list).
 *
 * @example
 * ```ts
 * import type { ListContext } from "./types.ts";
 * async function readMlmodel(ctx: ListContext) {
 *   return new TextDecoder().decode(await ctx.read("MLmodel"));
 * }
 * ```
 */
export interface ListContext {
  /** Read another object of the bundle (`optional`: `undefined` instead of a 404 error). */
  read(key: string, options?: { optional?: boolean }): Promise<Uint8Array | undefined>;
  /** Aborted when the bundle download fails. */
  signal?: AbortSignal;
}

/**
 * One URI scheme's access to a bundle directory: list it, read one object of it.
 *
 * `get` makes exactly one attempt and throws `MlflowError`; the pipeline around it adds
 * retries, timeouts, size caps, truncation checks and caching.
 *
 * @example
 * ```ts
 * import type { BundleStore } from "./types.ts";
 * const none: BundleStore = {
 *   uri: "memory:/empty",
 *   cacheId: "memory:/empty",
 *   list: async () => [],
 *   get: async () => ({ bytes: async () => new Uint8Array() }),
 * };
 * ```
 */
export interface BundleStore {
  /** The bundle root as shown in messages (never carries credentials). */
  readonly uri: string;
  /** A stable identity of the bundle root for cache keys; `undefined` disables caching. */
  readonly cacheId: string | undefined;
  /** Every file of the bundle. */
  list(ctx: ListContext): Promise<ObjectMeta[]>;
  /** One attempt at reading one object. */
  get(
    key: string,
    init: { signal: AbortSignal; ifNoneMatch?: string },
  ): Promise<ObjectBody>;
}
