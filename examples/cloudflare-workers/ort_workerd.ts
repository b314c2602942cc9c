/**
 * onnxruntime-web for Cloudflare Workers (workerd).
 *
 * Workers forbid compiling WebAssembly from bytes, and ort has no public hook for handing it a
 * precompiled module. So: give ort an 8-byte sentinel as `wasmBinary`, and wrap
 * `WebAssembly.instantiate` so that the call carrying the sentinel instantiates the module the
 * Worker imported instead. Threads are off (no workers inside a Worker).
 *
 * @module
 */
import * as ort from "onnxruntime-web/wasm";

/** The bytes ort is given in place of its runtime; no real wasm file starts like this. */
const SENTINEL = new Uint8Array([0x6d, 0x6c, 0x65, 0x64, 0x67, 0x65, 0x21, 0x00]);

let installed: WebAssembly.Module | undefined;
let memory: WebAssembly.Memory | undefined;

/** ort's linear memory: the instance's exported memory, or the one ort passes in imports. */
function findMemory(
  instance: WebAssembly.Instance,
  imports?: WebAssembly.Imports,
): WebAssembly.Memory | undefined {
  for (const value of Object.values(instance.exports)) {
    if (value instanceof WebAssembly.Memory) return value;
  }
  for (const ns of Object.values(imports ?? {})) {
    for (const value of Object.values(ns)) {
      if (value instanceof WebAssembly.Memory) return value;
    }
  }
  return undefined;
}

/**
 * Bytes of onnxruntime-web's wasm linear memory in this isolate (0 before the first session).
 * It only grows (ort keeps its arena), and it is most of what a model costs an isolate.
 *
 * @example
 * ```ts ignore
 * console.log(`ort memory: ${(ortWasmMemoryBytes() / 2 ** 20).toFixed(1)} MiB`);
 * ```
 */
export function ortWasmMemoryBytes(): number {
  return memory?.buffer.byteLength ?? 0;
}

function isSentinel(source: unknown): boolean {
  let bytes: Uint8Array;
  if (source instanceof Uint8Array) bytes = source;
  else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else return false;
  return bytes.length === SENTINEL.length && bytes.every((b, i) => b === SENTINEL[i]);
}

/**
 * Configure onnxruntime-web to run from a precompiled module. Idempotent; call it before the
 * first `InferenceSession.create` (creating sessions at global scope is a bad idea in Workers
 * anyway: startup is capped at 1 s).
 *
 * @example
 * ```ts ignore
 * import { ortWasmModule } from "./_wasm_modules.js";
 * const ort = installOrtWorkerdShim(ortWasmModule);
 * const session = await ort.InferenceSession.create(modelBytes);
 * ```
 */
export function installOrtWorkerdShim(module: WebAssembly.Module): typeof ort {
  if (installed === module) return ort;
  if (installed !== undefined) {
    throw new Error("The onnxruntime-web shim is already installed with another module.");
  }
  installed = module;
  const instantiate = WebAssembly.instantiate.bind(WebAssembly);
  const patched = (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    if (isSentinel(source)) {
      return instantiate(module, imports).then((instance) => {
        memory = findMemory(instance, imports);
        return { instance, module };
      });
    }
    return (instantiate as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>)(
      source,
      imports,
    );
  };
  WebAssembly.instantiate = patched as typeof WebAssembly.instantiate;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = SENTINEL;
  return ort;
}
