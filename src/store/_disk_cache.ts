// The on-disk cache (node:fs, so Deno, Bun and Node only). Layout under the cache directory:
//   v1/blobs/<sha256 of content>       file contents, content-addressed
//   v1/entries/<sha256 of id>.json      {etag, size, sha256}
// Both are written to a temporary file and renamed into place; a read verifies size and hash.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BundleCache, type CachedFile, sha256Hex } from "./cache.ts";

interface EntryJson {
  etag?: string;
  size: number;
  sha256: string;
}

export async function openDiskCache(dir: string): Promise<BundleCache> {
  const blobs = join(dir, "v1", "blobs");
  const entries = join(dir, "v1", "entries");
  await mkdir(blobs, { recursive: true });
  await mkdir(entries, { recursive: true });

  const atomicWrite = async (path: string, data: Uint8Array | string) => {
    const tmp = `${path}.tmp-${crypto.randomUUID()}`;
    try {
      await writeFile(tmp, data);
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
  };

  return {
    async get(id): Promise<CachedFile | undefined> {
      let entry: EntryJson;
      try {
        entry = JSON.parse(await readFile(join(entries, `${await sha256Hex(id)}.json`), "utf8"));
      } catch {
        return undefined;
      }
      if (!/^[0-9a-f]{64}$/.test(entry.sha256 ?? "")) return undefined;
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(join(blobs, entry.sha256)));
      } catch {
        return undefined;
      }
      if (bytes.length !== entry.size || (await sha256Hex(bytes)) !== entry.sha256) {
        return undefined;
      }
      return { etag: entry.etag, bytes };
    },
    async put(id, file) {
      const sha256 = await sha256Hex(file.bytes);
      await atomicWrite(join(blobs, sha256), file.bytes);
      const entry: EntryJson = { etag: file.etag, size: file.bytes.length, sha256 };
      await atomicWrite(join(entries, `${await sha256Hex(id)}.json`), JSON.stringify(entry));
    },
  };
}
