/**
 * {@linkcode fetchBundle}: every file of a model bundle, from any supported URI, downloaded in
 * parallel with timeouts, retries, a size cap, truncation checks, progress and a cache.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { describeCause, failure, q } from "./_errors.ts";
import { assertSafeKey } from "./_path.ts";
import { type Pipeline, pipeline, positive, readBody, withRetries } from "./_pipeline.ts";
import { type BundleCache, diskCache, sharedMemoryCache } from "./cache.ts";
import type { TrackingClient } from "./mlflow.ts";
import type { BundleFiles, BundleStore, FetchBundleOptions, ObjectMeta } from "./types.ts";

const DEFAULTS = {
  timeoutMs: 60_000,
  retries: 3,
  retryDelayMs: 250,
  maxBytes: 2 * 2 ** 30,
  maxFiles: 10_000,
  concurrency: 6,
};

/**
 * Fetch every file of the model bundle at `uri`.
 *
 * Supported URIs: local paths and `file:` URLs, `http(s)://`, `s3://bucket/prefix`,
 * `r2://BINDING/prefix`, `models:/name/version`, `models:/name@alias`, `models:/name/latest`,
 * `models:/name/<stage>`, `models:/m-<id>`, `runs:/<run_id>/path` and `mlflow-artifacts:/path`.
 * Every failure is an `MlflowError` naming the URI and the object; no message carries
 * credentials.
 *
 * @example
 * ```ts
 * import { fetchBundle } from "./fetch_bundle.ts";
 * const bundle = await fetchBundle("tests/fixtures/mlflow-bundles/iris_mlp_onnx");
 * bundle.files.has("model.onnx"); // true
 * ```
 */
export async function fetchBundle(
  uri: string,
  options: FetchBundleOptions = {},
): Promise<BundleFiles> {
  const controller = new AbortController();
  const p = pipeline(options, DEFAULTS, controller.signal);
  const t = options.tracking;
  const secrets = [
    options.s3?.secretAccessKey,
    options.s3?.sessionToken,
    t?.token,
    t?.password,
    t?.username !== undefined && t?.password !== undefined
      ? btoa(`${t.username}:${t.password}`)
      : undefined,
    ...userinfoOf(uri),
    ...userinfoOf(t?.uri),
  ];
  try {
    const store = await openStore(uri, options, p);
    // A store without a cache id (a local directory) is never cached: no cache is opened.
    const cache = options.cacheDir === false || store.cacheId === undefined
      ? undefined
      : options.cacheDir
      ? await openDiskCache(options.cacheDir)
      : sharedMemoryCache();
    return { uri, files: await download(store, options, p, cache, controller.signal) };
  } catch (err) {
    controller.abort(new MlflowError("Download cancelled.", "CANCELLED"));
    throw failure(err, `Fetching ${q(uri)} failed`, secrets);
  }
}

async function openDiskCache(dir: string): Promise<BundleCache> {
  try {
    return await diskCache(dir);
  } catch (err) {
    throw new MlflowError(
      `Cache directory "${dir}" cannot be used: ${describeCause(err)}.`,
      "INVALID_PARAMETER_VALUE",
    );
  }
}

/** The store for a URI, resolving registry and run URIs through the tracking server. */
async function openStore(
  uri: string,
  options: FetchBundleOptions,
  p: Pipeline,
): Promise<BundleStore> {
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === "file") {
    const spec = new URL("./local.ts", import.meta.url).href;
    const { localStore } = await import(spec) as typeof import("./local.ts");
    return await localStore(uri);
  }
  // Each remote store (and aws4fetch) loads when a URI needs it: a local model's cold start
  // does not pay for them. Literal specifiers, so that bundlers still include them.
  switch (scheme) {
    case "http":
    case "https": {
      const { httpStore } = await import("./http.ts");
      return httpStore(uri, p, { files: options.files });
    }
    case "s3": {
      const { s3Store } = await import("./s3.ts");
      return s3Store(uri, p, options.s3);
    }
    case "r2": {
      const { r2Store } = await import("./r2.ts");
      return r2Store(uri, options.r2);
    }
    case "mlflow-artifacts": {
      const mlflow = await import("./mlflow.ts");
      const client = new mlflow.TrackingClient(options.tracking, p);
      mlflow.assertAllowedArtifactUri(uri, client.base, options.allowedHosts, uri);
      return mlflow.mlflowArtifactsStore(uri, client, p);
    }
    case "models": {
      const { resolveModelsUri, TrackingClient } = await import("./mlflow.ts");
      const client = new TrackingClient(options.tracking, p);
      const target = await resolveModelsUri(uri, client);
      return await storeForArtifactUri(target, uri, client, options, p);
    }
    case "runs": {
      const { mergedStore, resolveRunsUri, TrackingClient } = await import("./mlflow.ts");
      const client = new TrackingClient(options.tracking, p);
      const targets = await resolveRunsUri(uri, client);
      const stores = await Promise.all(
        targets.map((t) => storeForArtifactUri(t, uri, client, options, p)),
      );
      return stores.length === 1 ? stores[0] : mergedStore(uri, stores);
    }
    default:
      throw new MlflowError(
        `Model URI ${q(uri)} has an unsupported scheme "${scheme}:"; supported are local paths, ` +
          `file:, http(s):, s3:, r2:, models:, runs: and mlflow-artifacts:.`,
        "INVALID_PARAMETER_VALUE",
      );
  }
}

/** A store for an artifact location the tracking server returned, if it may be followed. */
async function storeForArtifactUri(
  target: string,
  source: string,
  client: TrackingClient,
  options: FetchBundleOptions,
  p: Pipeline,
): Promise<BundleStore> {
  const { assertAllowedArtifactUri, mlflowArtifactsStore } = await import("./mlflow.ts");
  assertAllowedArtifactUri(target, client.base, options.allowedHosts, source);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1]?.toLowerCase();
  if (scheme === "mlflow-artifacts") return mlflowArtifactsStore(target, client, p);
  if (scheme === "s3") return (await import("./s3.ts")).s3Store(target, p, options.s3);
  const { httpStore } = await import("./http.ts");
  return httpStore(target, p, { headers: client.headersFor(target) });
}

/** List, check and download every file of a store, through the cache. */
async function download(
  store: BundleStore,
  options: FetchBundleOptions,
  p: Pipeline,
  cache: BundleCache | undefined,
  signal: AbortSignal,
): Promise<Map<string, Uint8Array>> {
  const maxBytes = positive(options.maxBytes, DEFAULTS.maxBytes);
  const maxFiles = positive(options.maxFiles, DEFAULTS.maxFiles);
  const slots = semaphore(positive(options.concurrency, DEFAULTS.concurrency));
  const onProgress = options.onProgress;
  let loaded = 0;
  let total: number | undefined;
  const add = (n: number) => {
    loaded += n;
    if (loaded > maxBytes) {
      throw new MlflowError(
        `Bundle ${q(store.uri)} is larger than the limit of ${maxBytes} bytes (maxBytes).`,
        "RESOURCE_EXHAUSTED",
      );
    }
    if (n !== 0 && onProgress) onProgress(loaded, total);
  };

  const memo = new Map<string, Promise<Uint8Array | undefined>>();
  const read = (key: string, meta?: ObjectMeta, optional = false) => {
    let pending = memo.get(key);
    if (!pending) {
      pending = slots(() =>
        readObject(store, key, meta, optional, p, cache, add, maxBytes - loaded)
      );
      memo.set(key, pending);
    }
    return pending;
  };

  const metas = await store.list({ read: (key, o) => read(key, undefined, o?.optional), signal });
  if (metas.length === 0) {
    throw new MlflowError(`No files found at ${q(store.uri)}.`, "RESOURCE_DOES_NOT_EXIST");
  }
  if (metas.length > maxFiles) {
    throw new MlflowError(
      `Bundle ${
        q(store.uri)
      } has ${metas.length} files, more than the limit of ${maxFiles} (maxFiles).`,
      "RESOURCE_EXHAUSTED",
    );
  }
  for (const m of metas) assertSafeKey(m.key, store.uri, "The listing");
  if (metas.every((m) => m.size !== undefined)) {
    const sum = metas.reduce((s, m) => s + (m.size as number), 0);
    if (sum > maxBytes) {
      throw new MlflowError(
        `Bundle ${q(store.uri)} holds ${sum} bytes in ${metas.length} files, more than the ` +
          `limit of ${maxBytes} bytes (maxBytes).`,
        "RESOURCE_EXHAUSTED",
      );
    }
    total = sum;
  }
  const entries = await Promise.all(metas.map(async (m) => {
    const bytes = m.bytes ?? await read(m.key, m);
    return [m.key, bytes as Uint8Array] as const;
  }));
  if (onProgress && total !== undefined && loaded !== total) onProgress(loaded, total);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new Map(entries);
}

/** One object: from the cache when still valid, else downloaded with retries. */
async function readObject(
  store: BundleStore,
  key: string,
  meta: ObjectMeta | undefined,
  optional: boolean,
  p: Pipeline,
  cache: BundleCache | undefined,
  add: (n: number) => void,
  budget: number,
): Promise<Uint8Array | undefined> {
  const id = cache && store.cacheId ? `${store.cacheId}\n${key}` : undefined;
  const cached = id ? await cache!.get(id) : undefined;
  const versioned = meta !== undefined && (meta.etag !== undefined || meta.size !== undefined);
  if (cached && versioned) {
    const fresh = (meta.etag === undefined || meta.etag === cached.etag) &&
      (meta.size === undefined || meta.size === cached.bytes.length);
    if (fresh) {
      add(cached.bytes.length);
      return cached.bytes;
    }
  }
  const ifNoneMatch = cached && !versioned ? cached.etag : undefined;
  const what = `Object "${key}" of ${q(store.uri)}`;
  let result: { bytes: Uint8Array; etag?: string; fromCache: boolean };
  try {
    result = await withRetries(p, what, async (signal) => {
      let got = 0;
      try {
        const body = await store.get(key, { signal, ifNoneMatch });
        if (body.notModified && cached) {
          return { bytes: cached.bytes, etag: cached.etag, fromCache: true };
        }
        const bytes = await readBody(
          body,
          what,
          (n) => {
            got += n;
            add(n);
          },
          signal,
          budget,
        );
        return { bytes, etag: meta?.etag ?? body.etag, fromCache: false };
      } catch (err) {
        if (got) add(-got);
        throw err;
      }
    });
  } catch (err) {
    if (optional && err instanceof MlflowError && err.errorCode === "RESOURCE_DOES_NOT_EXIST") {
      return undefined;
    }
    throw err;
  }
  if (result.fromCache) add(result.bytes.length);
  else if (id) await cache!.put(id, { etag: result.etag, bytes: result.bytes }).catch(() => {});
  return result.bytes;
}

function semaphore(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** The password of a URL's userinfo, raw, decoded and as the Basic credential sent for it. */
function userinfoOf(uri: string | undefined): string[] {
  if (!uri) return [];
  try {
    const url = new URL(uri);
    if (!url.password) return [];
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    return [url.password, pass, btoa(`${user}:${pass}`)];
  } catch {
    return [];
  }
}
