/**
 * The file-system calls of the local store: Deno's own where it runs (loading Deno's
 * `node:fs/promises` cost ~8 ms of CPU in a cold start of the server), else `node:fs/promises`
 * (Bun, Node). Only `local.ts` imports this module, so a Worker bundle never pulls it in.
 *
 * @module
 */

/** A directory entry, as the local store reads it. */
export interface LocalEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

/**
 * The four calls the local store makes; `stat` follows symbolic links.
 *
 * @example
 * ```ts
 * import { localFs } from "./_local_fs.ts";
 * const fs = await localFs();
 * (await fs.stat("tests/fixtures/mlflow-bundles/iris_mlp_onnx")).isDirectory; // true
 * ```
 */
export interface LocalFs {
  stat(path: string): Promise<{ isFile: boolean; isDirectory: boolean; size: number }>;
  realpath(path: string): Promise<string>;
  readdir(path: string): Promise<LocalEntry[]>;
  /** The file's bytes, over the read buffer's own memory (no copy). */
  readFile(path: string): Promise<Uint8Array>;
}

let chosen: Promise<LocalFs> | undefined;

/**
 * The runtime's file-system calls (chosen once).
 *
 * @example
 * ```ts
 * import { localFs } from "./_local_fs.ts";
 * const fs = await localFs();
 * (await fs.readdir("tests/fixtures/mlflow-bundles/iris_mlp_onnx")).some((e) => e.name === "MLmodel"); // true
 * ```
 */
export function localFs(): Promise<LocalFs> {
  return chosen ??= choose();
}

async function choose(): Promise<LocalFs> {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (typeof deno?.readDir === "function") {
    return {
      stat: (path) => deno.stat(path),
      realpath: (path) => deno.realPath(path),
      readdir: async (path) => {
        const out: LocalEntry[] = [];
        for await (const e of deno.readDir(path)) out.push(e);
        return out;
      },
      readFile: (path) => deno.readFile(path),
    };
  }
  const fs = await import("node:fs/promises");
  return {
    stat: async (path) => {
      const s = await fs.stat(path);
      return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size };
    },
    realpath: (path) => fs.realpath(path),
    readdir: async (path) =>
      (await fs.readdir(path, { withFileTypes: true })).map((e) => ({
        name: e.name,
        isFile: e.isFile(),
        isDirectory: e.isDirectory(),
        isSymlink: e.isSymbolicLink(),
      })),
    readFile: async (path) => {
      // A plain Uint8Array over the Buffer's own memory: `new Uint8Array(buffer)` would copy
      // it and leave the Buffer for a garbage collection (a 200 MB model resident twice over).
      const read = await fs.readFile(path);
      return new Uint8Array(read.buffer, read.byteOffset, read.byteLength);
    },
  };
}
