/**
 * The `r2://BINDING/prefix` store: a Cloudflare Workers R2 binding (`env.MODELS`), or anything
 * shaped like one ({@linkcode R2BucketLike}).
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { q } from "./_errors.ts";
import { assertSafeKey, trimSlashes } from "./_path.ts";
import type { BundleStore, ObjectMeta, R2BucketLike } from "./types.ts";

const MAX_PAGES = 1000;

/**
 * Parse `r2://BINDING/prefix`.
 *
 * @example
 * ```ts
 * import { parseR2Uri } from "./r2.ts";
 * parseR2Uri("r2://MODELS/iris/"); // { binding: "MODELS", prefix: "iris" }
 * ```
 */
export function parseR2Uri(uri: string): { binding: string; prefix: string } {
  const m = /^r2:\/\/([^/?#]+)(\/[^?#]*)?$/i.exec(uri);
  if (!m) {
    throw new MlflowError(
      `Not an R2 URI: ${q(uri)}; expected "r2://BINDING/prefix".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return { binding: m[1], prefix: trimSlashes(decodeURIComponent(m[2] ?? "")) };
}

/**
 * A store over the objects under a prefix of an R2 bucket binding.
 *
 * @example
 * ```ts
 * import { r2Store } from "./r2.ts";
 * const bucket = { list: async () => ({ objects: [], truncated: false }), get: async () => null };
 * const store = r2Store("r2://MODELS/iris", { MODELS: bucket });
 * store.uri; // "r2://MODELS/iris"
 * ```
 */
export function r2Store(uri: string, bindings: Record<string, R2BucketLike> = {}): BundleStore {
  const { binding, prefix } = parseR2Uri(uri);
  const bucket = bindings[binding];
  const shown = `r2://${binding}/${prefix}`;
  if (!bucket || typeof bucket.get !== "function" || typeof bucket.list !== "function") {
    const known = Object.keys(bindings).map((k) => `"${k}"`).join(", ") || "none";
    throw new MlflowError(
      `No R2 binding named "${binding}" for ${q(shown)} (bindings given: ${known}).`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  const base = prefix ? `${prefix}/` : "";
  return {
    uri: shown,
    cacheId: shown,
    async list(): Promise<ObjectMeta[]> {
      const out: ObjectMeta[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await bucket.list(cursor ? { prefix: base, cursor } : { prefix: base });
        for (const o of res.objects) {
          if (!o.key.startsWith(base) || o.key.endsWith("/")) continue;
          out.push({
            key: assertSafeKey(o.key.slice(base.length), shown, "The listing"),
            size: o.size,
            etag: o.etag,
          });
        }
        if (!res.truncated || !res.cursor) return out;
        cursor = res.cursor;
      }
      throw new MlflowError(
        `Listing of ${q(shown)} has more than ${MAX_PAGES} pages.`,
        "RESOURCE_EXHAUSTED",
      );
    },
    async get(key, init) {
      // A binding call takes no signal: race it against the attempt's signal instead.
      const obj = await abortable(bucket.get(base + key), init.signal);
      if (!obj) {
        throw new MlflowError(
          `Object "${key}" of ${q(shown)} does not exist.`,
          "RESOURCE_DOES_NOT_EXIST",
        );
      }
      return {
        size: obj.size,
        etag: obj.etag,
        stream: obj.body,
        bytes: obj.body ? undefined : async () => new Uint8Array(await obj.arrayBuffer()),
      };
    },
  };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
