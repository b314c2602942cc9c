/**
 * The `http(s)://` store. A web server has no standard directory listing, so the bundle is
 * discovered from its own contents: `MLmodel`, then the files it names (each flavor's `data`,
 * the input-example files), then the external-data files recorded inside the ONNX model. An
 * explicit file list replaces the discovery.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { q } from "./_errors.ts";
import { externalDataFiles, namedFiles } from "../mlmodel/bundle_manifest.ts";
import { parseMlmodelYaml } from "../mlmodel/mlmodel_yaml.ts";
import { assertSafeKey, encodeKey, unsafeKeyError } from "./_path.ts";
import { httpRequest, type Pipeline, responseBody } from "./_pipeline.ts";
import type { BundleStore, ListContext, ObjectMeta } from "./types.ts";

/**
 * Options of {@linkcode httpStore}.
 *
 * @example
 * ```ts
 * import type { HttpStoreOptions } from "./http.ts";
 * const options: HttpStoreOptions = { files: ["MLmodel", "model.onnx"] };
 * ```
 */
export interface HttpStoreOptions {
  /** Fetch exactly these files (relative keys) instead of discovering them from MLmodel. */
  files?: string[];
  /** Extra request headers (e.g. the tracking server's Authorization for its own host). */
  headers?: Record<string, string>;
}

/**
 * A store over a bundle directory published at an http(s) URL.
 *
 * User info in the URL (`https://user:pass@host/...`) is sent as Basic auth and never shown.
 * A query string on the directory URL (a signed token) is appended to every file URL.
 *
 * @example
 * ```ts
 * import { httpStore } from "./http.ts";
 * const pipeline = { fetch, timeoutMs: 10_000, retries: 2, retryDelayMs: 200, signal: new AbortController().signal };
 * const store = httpStore("https://models.example.com/iris/", pipeline);
 * store.uri; // "https://models.example.com/iris/"
 * ```
 */
export function httpStore(uri: string, p: Pipeline, options: HttpStoreOptions = {}): BundleStore {
  const url = new URL(uri);
  const headers: Record<string, string> = { ...options.headers };
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.authorization = `Basic ${btoa(`${user}:${pass}`)}`;
    url.username = "";
    url.password = "";
  }
  const search = url.search;
  url.search = "";
  url.hash = "";
  // A URL of the MLmodel file itself stands for its directory.
  if (url.pathname.endsWith("/MLmodel")) url.pathname = url.pathname.slice(0, -"MLmodel".length);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  const shown = url.href;

  const fileUrl = (key: string) => new URL(encodeKey(key) + search, url).href;

  return {
    uri: shown,
    cacheId: shown,
    async list(ctx: ListContext): Promise<ObjectMeta[]> {
      if (options.files) {
        return options.files.map((k) => ({ key: assertSafeKey(k, shown, "The file list") }));
      }
      return await discover(shown, ctx);
    },
    async get(key, init) {
      const h: Record<string, string> = { ...headers };
      if (init.ifNoneMatch) h["if-none-match"] = init.ifNoneMatch;
      const res = await httpRequest(
        p,
        fileUrl(key),
        { headers: h, signal: init.signal },
        `Object "${key}" of ${q(shown)}`,
        [304],
      );
      if (res.status === 304) {
        await res.body?.cancel();
        return { notModified: true };
      }
      return responseBody(res);
    },
  };
}

/** The keys of a bundle named by its MLmodel and ONNX files, read through `ctx`. */
async function discover(uri: string, ctx: ListContext): Promise<ObjectMeta[]> {
  const found = new Map<string, Uint8Array>();
  const mlmodelBytes = await ctx.read("MLmodel");
  if (!mlmodelBytes) throw new MlflowError(`No MLmodel at ${q(uri)}.`, "RESOURCE_DOES_NOT_EXIST");
  found.set("MLmodel", mlmodelBytes);
  // Read as the loader reads it (PyYAML's rules, no anchors or aliases): mlmodel's one reader.
  const mlmodel = parseMlmodelYaml(new TextDecoder().decode(mlmodelBytes), `${uri}MLmodel`);
  // Which files the MLmodel names is mlmodel's knowledge; this store only fetches them.
  const { required, optional, onnx } = namedFiles(
    mlmodel,
    (path, why) => unsafeKeyError(path, why, uri, "MLmodel"),
  );
  const read = async (key: string, isOptional: boolean) => {
    if (found.has(key)) return;
    const bytes = await ctx.read(key, { optional: isOptional });
    if (bytes) found.set(key, bytes);
  };
  await Promise.all([
    ...required.map((k) => read(k, false)),
    ...optional.map((k) => read(k, true)),
  ]);
  const external = new Set<string>();
  for (const key of onnx) {
    const bytes = found.get(key);
    if (!bytes) continue;
    const refuse = (path: string, why: string) => unsafeKeyError(path, why, uri, `File "${key}"`);
    for (const file of externalDataFiles(key, bytes, refuse)) external.add(file.key);
  }
  await Promise.all([...external].map((k) => read(k, false)));
  return [...found].map(([key, bytes]) => ({ key, size: bytes.length, bytes }));
}
