// Reading files of a model bundle from a directory, an in-memory map or a caller's function.

import { unsafeBundlePath } from "./bundle_manifest.ts";
import { MlflowError } from "../errors.ts";

/**
 * Reads one file of a bundle by its posix path relative to the bundle root; `undefined` if absent.
 *
 * @example
 * ```ts
 * import type { BundleReader } from "./bundle_files.ts";
 * const files = new Map<string, Uint8Array>();
 * const read: BundleReader = (path) => Promise.resolve(files.get(path));
 * ```
 */
export type BundleReader = (path: string) => Promise<Uint8Array | undefined>;

/**
 * A bundle directory, an in-memory bundle (`Map<path, bytes>`), or a reader function.
 *
 * @example
 * ```ts
 * import type { BundleSource } from "./bundle_files.ts";
 * const fromDir: BundleSource = "examples/iris";
 * const inMemory: BundleSource = new Map([["MLmodel", new Uint8Array()]]);
 * ```
 */
export type BundleSource =
  | string
  | URL
  | Map<string, Uint8Array>
  | ((path: string) => Promise<Uint8Array | undefined> | Uint8Array | undefined);

/** Turns a `file:` URL or path into a local path; refuses other URL schemes. */
export async function localPath(p: string | URL, what: string): Promise<string> {
  const { fileURLToPath } = await import("node:url");
  if (p instanceof URL) {
    if (p.protocol !== "file:") {
      throw new MlflowError(
        `${what} reads local paths and file: URLs only, got '${p.href}'`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    return fileURLToPath(p);
  }
  if (p.startsWith("file:")) return fileURLToPath(p);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(p);
  if (scheme && scheme[1].length > 1) {
    throw new MlflowError(
      `${what} reads local paths and file: URLs only, got '${p}'`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return p;
}

/** A {@linkcode BundleReader} for any {@linkcode BundleSource}. */
export function readerFor(source: BundleSource): BundleReader {
  if (source instanceof Map) {
    return (path) => Promise.resolve(source.get(path.replace(/^\.\//, "")));
  }
  if (typeof source === "function") return async (path) => await source(path);
  return async (path) => {
    const { readFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const dir = await localPath(source, "Reading a bundle");
    try {
      return new Uint8Array(await readFile(join(dir, path)));
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return undefined;
      throw new MlflowError(
        `Cannot read '${join(dir, path)}': ${(e as Error).message}`,
        "INTERNAL_ERROR",
      );
    }
  };
}

/** Rejects paths that would leave the bundle (absolute, `..`). */
export function checkRelative(path: string, field: string, source: string): string {
  if (unsafeBundlePath(typeof path === "string" && path.startsWith("./") ? path.slice(2) : path)) {
    throw new MlflowError(
      `MLmodel file '${source}': field '${field}' must be a relative path inside the model directory, got ${
        JSON.stringify(path)
      }`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return path;
}
