/**
 * Keeps glibc's allocator from holding freed model memory.
 *
 * glibc serves a malloc of 128 KiB or more with its own mmap, and gives it back to the system
 * when freed, but each time such a block is freed it raises that threshold to the block's size
 * (up to 32 MB). Loading a model frees large blocks (bundle bytes, onnxruntime's transient
 * copies of the initializers), so from then on blocks of up to 32 MB come from the heap, and a
 * freed heap block stays resident: measured on this machine, a ResNet-18-shaped model (47 MB of
 * weights) left 154 MB resident with onnxruntime-node and 90 MB with onnxruntime-web, against
 * 72 and 49 MB with the threshold held at its 128 KiB default (no difference in CPU per
 * request measured from 1 to 10,000 rows). Holding it takes one `mallopt` call, made through
 * the runtime's FFI where there is one and it is allowed (Deno with `--allow-ffi`, Bun) on Linux
 * with glibc; elsewhere (Node, musl, macOS, Workers) nothing is done.
 *
 * @module
 */

/** glibc's `M_MMAP_THRESHOLD` parameter number for `mallopt`. */
const M_MMAP_THRESHOLD = -3;

/** The threshold held: glibc's own initial value. */
export const MMAP_THRESHOLD_BYTES = 128 * 1024;

let done: Promise<boolean> | undefined;

/**
 * Holds glibc's mmap threshold at 128 KiB for the rest of the process (once; later calls
 * return the first call's result). Resolves to true when the setting was made. Leaves the
 * allocator alone when the environment already sets the threshold (`MALLOC_MMAP_THRESHOLD_`,
 * or `mmap_threshold` in `GLIBC_TUNABLES`), so an operator's own choice wins. Never rejects.
 *
 * @example
 * ```ts
 * import { holdMmapThreshold } from "./heap_tuning.ts";
 * const held = await holdMmapThreshold(); // before the first model is loaded
 * console.log(held ? "glibc returns freed model memory" : "allocator left as is");
 * ```
 */
export function holdMmapThreshold(): Promise<boolean> {
  return done ??= hold().catch(() => false);
}

async function hold(): Promise<boolean> {
  const g = globalThis as { Deno?: typeof Deno; Bun?: unknown };
  if (g.Deno) {
    if (Deno.build.os !== "linux" || setByEnvironment((k) => Deno.env.get(k))) return false;
    if (Deno.permissions.querySync?.({ name: "ffi" }).state !== "granted") return false;
    const lib = Deno.dlopen("libc.so.6", {
      mallopt: { parameters: ["i32", "i32"], result: "i32" },
    });
    try {
      return lib.symbols.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) === 1;
    } finally {
      lib.close();
    }
  }
  if (g.Bun) {
    const process = (globalThis as { process?: { platform: string; env: Record<string, string> } })
      .process;
    if (process?.platform !== "linux" || setByEnvironment((k) => process.env[k])) return false;
    // Computed, so that Deno's and bundlers' module graphs never see the specifier.
    const ffi = await import(["bun", "ffi"].join(":"));
    const lib = ffi.dlopen("libc.so.6", { mallopt: { args: ["i32", "i32"], returns: "i32" } });
    try {
      return lib.symbols.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) === 1;
    } finally {
      lib.close();
    }
  }
  return false;
}

function setByEnvironment(get: (key: string) => string | undefined): boolean {
  const read = (key: string) => {
    try {
      return get(key);
    } catch {
      return undefined; // no permission to read the environment: not set by us either
    }
  };
  return read("MALLOC_MMAP_THRESHOLD_") !== undefined ||
    (read("GLIBC_TUNABLES") ?? "").includes("mmap_threshold");
}
