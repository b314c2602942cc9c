/**
 * Bundle file caches: in memory (every runtime, the default on Workers) and on disk (Deno, Bun,
 * Node; loaded on demand so a Worker bundle never pulls in file-system code).
 *
 * Entries are keyed by the store's identity of the bundle root plus the file key, and carry
 * the ETag (or size) they were fetched with; a lookup only hits when those still match.
 *
 * @module
 */

/**
 * One cached file.
 *
 * @example
 * ```ts
 * import type { CachedFile } from "./cache.ts";
 * const entry: CachedFile = { etag: "\"abc\"", bytes: new Uint8Array([1]) };
 * ```
 */
export interface CachedFile {
  etag?: string;
  bytes: Uint8Array;
}

/**
 * A cache of bundle files by id (`<bundle identity>\n<key>`).
 *
 * @example
 * ```ts
 * import { memoryCache } from "./cache.ts";
 * const cache = memoryCache(1024);
 * await cache.put("s3://b/iris\nMLmodel", { etag: "e", bytes: new Uint8Array([1]) });
 * (await cache.get("s3://b/iris\nMLmodel"))?.etag; // "e"
 * ```
 */
export interface BundleCache {
  get(id: string): Promise<CachedFile | undefined>;
  put(id: string, file: CachedFile): Promise<void>;
}

/**
 * An in-memory cache bounded by total bytes, evicting the least recently used entries.
 *
 * @example
 * ```ts
 * import { memoryCache } from "./cache.ts";
 * const cache = memoryCache(64 * 2 ** 20);
 * await cache.get("nothing"); // undefined
 * ```
 */
export function memoryCache(maxBytes: number): BundleCache {
  const entries = new Map<string, CachedFile>();
  let total = 0;
  return {
    get(id) {
      const hit = entries.get(id);
      if (hit) {
        entries.delete(id);
        entries.set(id, hit);
      }
      return Promise.resolve(hit);
    },
    put(id, file) {
      const old = entries.get(id);
      if (old) {
        total -= old.bytes.length;
        entries.delete(id);
      }
      if (file.bytes.length > maxBytes) return Promise.resolve();
      entries.set(id, file);
      total += file.bytes.length;
      for (const [k, v] of entries) {
        if (total <= maxBytes) break;
        entries.delete(k);
        total -= v.bytes.length;
      }
      return Promise.resolve();
    },
  };
}

let shared: BundleCache | undefined;

/**
 * The per-isolate in-memory cache used when no `cacheDir` is given (64 MiB).
 *
 * @example
 * ```ts
 * import { sharedMemoryCache } from "./cache.ts";
 * sharedMemoryCache() === sharedMemoryCache(); // true
 * ```
 */
export function sharedMemoryCache(): BundleCache {
  return shared ??= memoryCache(64 * 2 ** 20);
}

/**
 * A cache in a directory: files are written to a temporary name and renamed into place, and
 * verified against their SHA-256 on every read, so a crash never leaves an entry that is used.
 *
 * @example
 * ```ts
 * import { diskCache } from "./cache.ts";
 * const cache = await diskCache(await Deno.makeTempDir());
 * await cache.put("id", { bytes: new Uint8Array([1, 2]) });
 * (await cache.get("id"))?.bytes.length; // 2
 * ```
 */
export async function diskCache(dir: string): Promise<BundleCache> {
  // A computed specifier keeps bundlers for Workers from following it into node:fs.
  const spec = new URL("./_disk_cache.ts", import.meta.url).href;
  const mod: { openDiskCache(dir: string): Promise<BundleCache> } = await import(spec);
  return await mod.openDiskCache(dir);
}

/**
 * Lower-case hex SHA-256 of bytes or text.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./cache.ts";
 * await sha256Hex(""); // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
 * ```
 */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
