/**
 * The one loader of the wasm core, for every runtime, plus small helpers for its C ABI.
 *
 * - Deno, Bun, Node: bytes are read from `wasm/mlflow_edge_core.wasm` next to this package
 *   (fetch for file:/http(s): URLs; Node 20 cannot fetch file: URLs, so `node:fs` there).
 * - Cloudflare workerd forbids compiling wasm from bytes: the worker imports the `.wasm` as a
 *   module and passes the `WebAssembly.Module` here, which is then only instantiated.
 *
 * The ABI is plain C: the host copies input into memory obtained from `alloc`, calls an
 * export with pointer + length, reads the result region, and frees both. Any call may grow
 * memory, which detaches every existing view of `memory.buffer`: the helpers below always
 * create views afresh, and callers must not keep views across calls.
 *
 * @module
 */

import { MlflowError } from "../errors.ts";

/**
 * The exports every build of the core has; the enforcement ABI adds more functions.
 *
 * @example
 * ```ts
 * import { type CoreExports, instantiateCore } from "./_wasm.ts";
 * const core: CoreExports = await instantiateCore();
 * console.log(core.memory.buffer.byteLength);
 * ```
 */
export interface CoreExports {
  /** The module's linear memory. */
  readonly memory: WebAssembly.Memory;
  /** Allocates `len` bytes (8-byte aligned); 0 when memory cannot grow. */
  alloc(len: number): number;
  /** Frees a block from `alloc` with the same `len`. */
  dealloc(ptr: number, len: number): void;
  /** Every other export, by name. */
  readonly [name: string]: unknown;
}

/**
 * Where the wasm comes from: a compiled module (workerd), its bytes, or a URL to read.
 *
 * @example
 * ```ts
 * import type { CoreSource } from "./_wasm.ts";
 * const source: CoreSource = new URL("https://example.com/mlflow_edge_core.wasm");
 * ```
 */
export type CoreSource = WebAssembly.Module | BufferSource | URL;

/**
 * The committed build, resolved next to this module.
 *
 * @example
 * ```ts
 * import { DEFAULT_WASM_URL } from "./_wasm.ts";
 * console.log(DEFAULT_WASM_URL.pathname.endsWith("wasm/mlflow_edge_core.wasm")); // true
 * ```
 */
export const DEFAULT_WASM_URL: URL = new URL("../../wasm/mlflow_edge_core.wasm", import.meta.url);

/** Imports the core needs: none (no wasm-bindgen, no WASI). */
const IMPORTS: WebAssembly.Imports = {};

let module: WebAssembly.Module | undefined;
let core: Promise<CoreExports> | undefined;
/** The instance requests use now (set once `core` resolves; replaced by `renewCore`). */
let live: CoreExports | undefined;

/**
 * Instantiates the wasm core once per isolate and returns its exports. Later calls return the
 * same instance whatever `source` they pass; after {@linkcode discardCore} the next call
 * instantiates afresh (reusing the compiled module).
 *
 * @example
 * ```ts
 * import { instantiateCore } from "./_wasm.ts";
 * const core = await instantiateCore(); // the committed wasm/mlflow_edge_core.wasm
 * // In a Cloudflare Worker: import wasm from "./mlflow_edge_core.wasm";
 * // const core = await instantiateCore(wasm);
 * ```
 */
export function instantiateCore(source?: CoreSource): Promise<CoreExports> {
  if (!core) {
    core = load(source).catch((e) => {
      core = undefined; // let a later call retry
      throw e;
    });
  }
  return core;
}

/**
 * Drops the cached instance, e.g. after a trap left its memory in an unknown state. Everything
 * that lived in the old memory (compiled signatures, buffers) is gone with it.
 *
 * @example
 * ```ts
 * import { discardCore, instantiateCore } from "./_wasm.ts";
 * discardCore();
 * const fresh = await instantiateCore();
 * ```
 */
export function discardCore(): void {
  core = undefined;
  live = undefined;
}

/**
 * The instance in use, if one is ready (synchronous: for per-request code and metrics).
 *
 * @example
 * ```ts
 * import { liveCore } from "./_wasm.ts";
 * console.log(liveCore()?.memory.buffer.byteLength ?? 0);
 * ```
 */
export function liveCore(): CoreExports | undefined {
  return live;
}

/**
 * Replaces the instance in use by a fresh one of the same compiled module, synchronously: wasm
 * memory never shrinks, so this is how the core gives memory back after a large request (the
 * old instance and its memory are collected once nothing references them). Everything that
 * lived in the old memory (compiled signatures, buffers) is gone with it. Where a runtime
 * refuses synchronous instantiation, the fresh instance is made asynchronously and the old one
 * stays in use meanwhile. Returns the fresh instance, or undefined when it is not ready yet.
 *
 * @example
 * ```ts
 * import { instantiateCore, renewCore } from "./_wasm.ts";
 * await instantiateCore();
 * const fresh = renewCore(); // memory back to the module's initial size
 * ```
 */
export function renewCore(): CoreExports | undefined {
  if (!module) return undefined;
  let fresh: CoreExports;
  try {
    fresh = checkExports(new WebAssembly.Instance(module, IMPORTS).exports);
  } catch {
    if (!renewing) {
      renewing = WebAssembly.instantiate(module, IMPORTS).then((instance) => {
        const next = checkExports(instance.exports);
        live = next;
        core = Promise.resolve(next);
      }).catch(() => {}).finally(() => (renewing = undefined));
    }
    return undefined;
  }
  live = fresh;
  core = Promise.resolve(fresh);
  return fresh;
}

let renewing: Promise<void> | undefined;

async function load(source: CoreSource | undefined): Promise<CoreExports> {
  if (source instanceof WebAssembly.Module) {
    module = source;
  } else if (!module) {
    const bytes = source === undefined || source instanceof URL
      ? await readBytes(source ?? DEFAULT_WASM_URL)
      : source;
    module = await WebAssembly.compile(bytes);
  }
  // Instantiating an already compiled module is allowed everywhere, workerd included.
  const instance = await WebAssembly.instantiate(module, IMPORTS);
  live = checkExports(instance.exports);
  return live;
}

/**
 * The version of the core's ABI this reader speaks (`ABI_VERSION` in `wasm/src/lib.rs`).
 *
 * @example
 * ```ts
 * import { CORE_ABI_VERSION } from "./_wasm.ts";
 * console.log(CORE_ABI_VERSION); // 5
 * ```
 */
export const CORE_ABI_VERSION = 5;

/**
 * Checks that an instance's exports are an mlflow-edge core speaking this reader's ABI version;
 * a mismatched build (an older or newer wasm next to this TypeScript) is refused before it is
 * called, with what to do about it.
 *
 * @example
 * ```ts
 * import { checkCoreExports, DEFAULT_WASM_URL } from "./_wasm.ts";
 * const module = await WebAssembly.compile(await Deno.readFile(DEFAULT_WASM_URL));
 * const core = checkCoreExports((await WebAssembly.instantiate(module, {})).exports);
 * ```
 */
export function checkCoreExports(exports: WebAssembly.Exports): CoreExports {
  if (
    !(exports.memory instanceof WebAssembly.Memory) || typeof exports.alloc !== "function" ||
    typeof exports.dealloc !== "function"
  ) {
    throw new MlflowError(
      "The wasm core does not export memory, alloc and dealloc: it is not an mlflow-edge build",
      "INTERNAL_ERROR",
    );
  }
  const version = typeof exports.abi_version === "function"
    ? Number((exports.abi_version as () => number)())
    : 1; // builds before the version word
  if (version !== CORE_ABI_VERSION) {
    throw new MlflowError(
      `The wasm core speaks ABI version ${version}, but this mlflow-edge reads version ` +
        `${CORE_ABI_VERSION}: use the wasm/mlflow_edge_core.wasm of the same release, or rebuild ` +
        "it from wasm/ with `deno task build:wasm`",
      "INTERNAL_ERROR",
    );
  }
  return exports as unknown as CoreExports;
}

const checkExports = checkCoreExports;

/**
 * Reads the wasm bytes: `Deno.readFile` for file: URLs on Deno (one read, where fetch's body
 * stream cost ~9 ms of a cold start), else fetch where it works, `node:fs` for file: URLs on Node.
 */
async function readBytes(url: URL): Promise<BufferSource> {
  if (url.protocol === "file:") {
    const deno =
      (globalThis as { Deno?: { readFile?(url: URL): Promise<Uint8Array<ArrayBuffer>> } }).Deno;
    if (typeof deno?.readFile === "function") return await deno.readFile(url);
    try {
      const res = await fetch(url);
      if (res.ok) return await res.arrayBuffer();
    } catch {
      // Node 20: fetch() does not support file: URLs.
    }
    // A non-literal specifier keeps bundlers for non-Node targets from resolving it.
    const fsModule = "node:fs/promises";
    const fs = await import(fsModule) as { readFile(url: URL): Promise<Uint8Array> };
    return new Uint8Array(await fs.readFile(url));
  }
  const res = await fetch(url);
  if (!res.ok) {
    throw new MlflowError(
      `Cannot load the wasm core from "${url.href}": HTTP ${res.status}`,
      "INTERNAL_ERROR",
    );
  }
  return await res.arrayBuffer();
}

/**
 * A block of wasm memory owned by the caller: free it with {@linkcode freeBlock}.
 *
 * @example
 * ```ts
 * import { type Block, copyIn, freeBlock, instantiateCore } from "./_wasm.ts";
 * const core = await instantiateCore();
 * const block: Block = copyIn(core, new Uint8Array([1, 2]));
 * freeBlock(core, block);
 * ```
 */
export interface Block {
  /** Address in linear memory. */
  ptr: number;
  /** Bytes used (the input's length). */
  len: number;
  /** Bytes allocated (what `dealloc` needs). */
  cap: number;
}

function allocOrThrow(core: CoreExports, cap: number): number {
  const ptr = core.alloc(cap) >>> 0; // wasm32 pointers come back as signed i32
  if (ptr === 0) {
    throw new MlflowError(
      `The request body (${cap} bytes) does not fit in the validator's memory`,
      "BAD_REQUEST",
      413,
    );
  }
  return ptr;
}

/**
 * Copies bytes into freshly allocated wasm memory.
 *
 * @example
 * ```ts
 * import { copyIn, freeBlock, instantiateCore } from "./_wasm.ts";
 * const core = await instantiateCore();
 * const block = copyIn(core, new TextEncoder().encode("[1, 2]"));
 * try {
 *   // core.someExport(block.ptr, block.len) ...
 * } finally {
 *   freeBlock(core, block);
 * }
 * ```
 */
export function copyIn(core: CoreExports, bytes: Uint8Array): Block {
  const cap = Math.max(bytes.length, 1);
  const ptr = allocOrThrow(core, cap);
  new Uint8Array(core.memory.buffer, ptr, bytes.length).set(bytes); // view made after alloc
  return { ptr, len: bytes.length, cap };
}

const encoder = new TextEncoder();

/**
 * Encodes a string as UTF-8 straight into wasm memory (no intermediate copy).
 *
 * @example
 * ```ts
 * import { copyInString, freeBlock, instantiateCore } from "./_wasm.ts";
 * const core = await instantiateCore();
 * const block = copyInString(core, '{"inputs": [1]}');
 * freeBlock(core, block);
 * ```
 */
export function copyInString(core: CoreExports, text: string): Block {
  // Most bodies are ASCII: try the exact size first, then UTF-8's worst case (3 bytes per UTF-16
  // unit), so a large ASCII body does not grow the (never shrinking) memory threefold.
  let cap = Math.max(text.length, 1);
  let ptr = allocOrThrow(core, cap);
  let result = encoder.encodeInto(text, new Uint8Array(core.memory.buffer, ptr, cap));
  if (result.read < text.length) {
    core.dealloc(ptr, cap);
    cap = text.length * 3;
    ptr = allocOrThrow(core, cap);
    result = encoder.encodeInto(text, new Uint8Array(core.memory.buffer, ptr, cap));
  }
  return { ptr, len: result.written, cap };
}

/**
 * Frees a block from {@linkcode copyIn} or {@linkcode copyInString}.
 *
 * @example
 * ```ts
 * import { copyIn, freeBlock, instantiateCore } from "./_wasm.ts";
 * const core = await instantiateCore();
 * freeBlock(core, copyIn(core, new Uint8Array([1, 2, 3])));
 * ```
 */
export function freeBlock(core: CoreExports, block: Block): void {
  core.dealloc(block.ptr, block.cap);
}

/**
 * A fresh byte view of `len` bytes at `ptr`. Valid only until the next call into the core.
 *
 * @example
 * ```ts
 * import { bytesAt, instantiateCore } from "./_wasm.ts";
 * const core = await instantiateCore();
 * const view = bytesAt(core, 0, 0); // read it before calling the core again
 * ```
 */
export function bytesAt(core: CoreExports, ptr: number, len: number): Uint8Array {
  return new Uint8Array(core.memory.buffer, ptr, len);
}

/**
 * Copies `len` bytes at `ptr` out of wasm memory (safe to keep across calls).
 *
 * @example
 * ```ts
 * import { copyOut, instantiateCore } from "./_wasm.ts";
 * const core = await instantiateCore();
 * const bytes = copyOut(core, 0, 0);
 * ```
 */
export function copyOut(core: CoreExports, ptr: number, len: number): Uint8Array {
  return new Uint8Array(core.memory.buffer, ptr, len).slice();
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Decodes `len` UTF-8 bytes at `ptr` into a string.
 *
 * @example
 * ```ts
 * import { readString, instantiateCore } from "./_wasm.ts";
 * const core = await instantiateCore();
 * const text = readString(core, 0, 0); // ""
 * ```
 */
export function readString(core: CoreExports, ptr: number, len: number): string {
  return decoder.decode(new Uint8Array(core.memory.buffer, ptr, len));
}

/**
 * Typed-array constructors that can view wasm memory.
 *
 * @example
 * ```ts
 * import type { ViewConstructor } from "./_wasm.ts";
 * const type: ViewConstructor<Float64Array> = Float64Array;
 * ```
 */
export type ViewConstructor<T> = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/**
 * A fresh typed view of `count` elements at `ptr` (which must be aligned for the type).
 * Valid only until the next call into the core: copy with `.slice()` to keep it.
 *
 * @example
 * ```ts
 * import { instantiateCore, viewAt } from "./_wasm.ts";
 * const core = await instantiateCore();
 * const values = viewAt(core, Float64Array, 0, 0).slice();
 * ```
 */
export function viewAt<T>(
  core: CoreExports,
  type: ViewConstructor<T>,
  ptr: number,
  count: number,
): T {
  if (ptr % type.BYTES_PER_ELEMENT !== 0) {
    throw new MlflowError(`Misaligned wasm result at ${ptr}`, "INTERNAL_ERROR");
  }
  return new type(core.memory.buffer as ArrayBuffer, ptr, count);
}

/**
 * A fresh little-endian DataView over `len` bytes at `ptr` (for result headers).
 *
 * @example
 * ```ts
 * import { dataViewAt, instantiateCore } from "./_wasm.ts";
 * const core = await instantiateCore();
 * const header = dataViewAt(core, 0, 0);
 * ```
 */
export function dataViewAt(core: CoreExports, ptr: number, len: number): DataView {
  return new DataView(core.memory.buffer, ptr, len);
}

/**
 * Outcome of the core's parse-only diagnostics entries (`json_parse_check`, `csv_parse_check`).
 *
 * @example
 * ```ts
 * import { instantiateCore, type ParseCheck, parseCheck } from "./_wasm.ts";
 * const core = await instantiateCore();
 * const limits = { maxDepth: 64, maxElements: 1000, maxStringBytes: 1000 };
 * const r: ParseCheck = parseCheck(core, "csv", new TextEncoder().encode("a\n1\n"), limits);
 * console.log(r.count); // 1 row
 * ```
 */
export interface ParseCheck {
  ok: boolean;
  /** Byte offset of the error (0 when ok). */
  offset: number;
  /** JSON: number of values; CSV: number of rows. */
  count: number;
  /** JSON: top-level type (0 null, 1 boolean, 2 number, 3 string, 4 array, 5 object); CSV: columns. */
  detail: number;
  /** The parser's message ("" when ok). */
  message: string;
}

/**
 * Parser bounds for {@linkcode parseCheck}.
 *
 * @example
 * ```ts
 * import type { ParseCheckLimits } from "./_wasm.ts";
 * const limits: ParseCheckLimits = { maxDepth: 64, maxElements: 1e6, maxStringBytes: 1 << 20 };
 * ```
 */
export interface ParseCheckLimits {
  maxDepth: number;
  maxElements: number;
  maxStringBytes: number;
}

/**
 * Runs the core's JSON or CSV parser alone over `bytes` (no envelope, no signature): the entry
 * the fuzz, memory and bench suites use to exercise the parsers in the shipped module.
 *
 * @example
 * ```ts
 * import { instantiateCore, parseCheck } from "./_wasm.ts";
 * const core = await instantiateCore();
 * const limits = { maxDepth: 64, maxElements: 1e6, maxStringBytes: 1 << 20 };
 * parseCheck(core, "json", new TextEncoder().encode("[1, 2]"), limits); // {ok: true, count: 3, ...}
 * ```
 */
export function parseCheck(
  core: CoreExports,
  kind: "json" | "csv",
  bytes: Uint8Array,
  limits: ParseCheckLimits,
): ParseCheck {
  const block = copyIn(core, bytes);
  let record: number;
  try {
    record = (kind === "json"
      ? (core.json_parse_check as (...a: number[]) => number)(
        block.ptr,
        block.len,
        limits.maxDepth,
        limits.maxElements,
        limits.maxStringBytes,
      )
      : (core.csv_parse_check as (...a: number[]) => number)(
        block.ptr,
        block.len,
        limits.maxElements,
        limits.maxStringBytes,
      )) >>> 0;
  } finally {
    freeBlock(core, block);
  }
  const head = dataViewAt(core, record, 20);
  const word = (i: number) => head.getUint32(i * 4, true);
  const result: ParseCheck = {
    ok: word(0) === 1,
    offset: word(1),
    count: word(2),
    detail: word(3),
    message: readString(core, record + 20, word(4)),
  };
  (core.parse_check_free as (ptr: number) => void)(record);
  return result;
}
