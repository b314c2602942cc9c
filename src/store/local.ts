/**
 * The local store: a directory path or a `file:` URL. This is one of only two modules that use
 * file-system APIs (Deno's own, else `node:fs`, through `_local_fs.ts`); `fetchBundle` imports
 * it dynamically, so a Worker bundle never pulls it in.
 *
 * Symbolic links are followed only when they resolve inside the bundle directory.
 *
 * @module
 */
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { MlflowError } from "../errors.ts";
import { q } from "./_errors.ts";
import { assertSafeKey } from "./_path.ts";
import { localFs } from "./_local_fs.ts";
import type { BundleStore, ObjectMeta } from "./types.ts";

const MAX_DEPTH = 32;

/**
 * A store over a local bundle directory (or the directory of a given `MLmodel` file).
 *
 * @example
 * ```ts
 * import { localStore } from "./local.ts";
 * const store = await localStore("tests/fixtures/mlflow-bundles/iris_mlp_onnx");
 * const keys = (await store.list({ read: async () => undefined })).map((o) => o.key);
 * keys.includes("MLmodel"); // true
 * ```
 */
export async function localStore(pathOrUrl: string | URL): Promise<BundleStore> {
  const text = String(pathOrUrl);
  let root = /^file:/i.test(text) ? fileURLToPath(text) : text;
  const shown = text;
  const { readdir, readFile, realpath, stat } = await localFs();
  let info;
  try {
    info = await stat(root);
  } catch {
    throw new MlflowError(`Model directory ${q(shown)} does not exist.`, "RESOURCE_DOES_NOT_EXIST");
  }
  if (info.isFile && /(^|[/\\])MLmodel$/.test(root)) {
    root = dirname(root);
  } else if (!info.isDirectory) {
    throw new MlflowError(
      `Model path ${q(shown)} is neither a directory nor an MLmodel file.`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  const realRoot = await realpath(root);
  const inside = (p: string) =>
    p === realRoot || p.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);

  const outside = (key: string) =>
    new MlflowError(
      `File "${key}" of ${q(shown)} is a symbolic link pointing outside the bundle directory.`,
      "INVALID_PARAMETER_VALUE",
    );

  return {
    uri: shown,
    cacheId: undefined, // reading the disk again is as cheap as a cache
    async list(): Promise<ObjectMeta[]> {
      const out: ObjectMeta[] = [];
      const walk = async (dir: string, prefix: string, depth: number) => {
        if (depth > MAX_DEPTH) {
          throw new MlflowError(
            `Model directory ${q(shown)} is nested more than ${MAX_DEPTH} levels deep.`,
            "INVALID_PARAMETER_VALUE",
          );
        }
        const entries = await readdir(dir);
        entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const entry of entries) {
          const key = prefix + entry.name;
          const full = join(dir, entry.name);
          let isDir = entry.isDirectory;
          let isFile = entry.isFile;
          if (entry.isSymlink) {
            let target: string;
            try {
              target = await realpath(full);
            } catch {
              throw new MlflowError(
                `File "${key}" of ${q(shown)} is a broken symbolic link.`,
                "INVALID_PARAMETER_VALUE",
              );
            }
            if (!inside(target)) throw outside(key);
            const s = await stat(target);
            isDir = s.isDirectory;
            isFile = s.isFile;
          }
          if (isDir) await walk(full, `${key}/`, depth + 1);
          else if (isFile) {
            assertSafeKey(key, shown, "The directory");
            out.push({ key, size: (await stat(full)).size });
          }
        }
      };
      await walk(root, "", 0);
      return out;
    },
    async get(key) {
      const full = join(root, ...key.split("/"));
      let target: string;
      try {
        target = await realpath(full);
      } catch {
        throw new MlflowError(
          `File "${key}" of ${q(shown)} does not exist.`,
          "RESOURCE_DOES_NOT_EXIST",
        );
      }
      if (!inside(target)) throw outside(key);
      const bytes = await readFile(target);
      return { size: bytes.length, bytes: () => Promise.resolve(bytes) };
    },
  };
}
