/**
 * Compiling a signature into the wasm core once, then validating requests against it.
 *
 * @module
 */

import { MlflowError } from "../errors.ts";
import { numpyDtypeName } from "../mlmodel/schema.ts";
import {
  copyIn,
  copyInString,
  type CoreExports,
  type CoreSource,
  discardCore,
  freeBlock,
  instantiateCore,
  liveCore,
  renewCore,
} from "./_wasm.ts";
import {
  type CompiledHandle,
  coreMemorySize,
  dropMemoryViews,
  readHandle,
  readValidated,
} from "./_result.ts";
import { bodyFormat } from "./content_type.ts";
import type { CompiledSignature, CompileOptions, SignatureLike, ValidatedInput } from "./types.ts";

/**
 * Default for {@linkcode EnforceLimits.maxBodyBytes}: 64 MiB.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_BODY_BYTES } from "./compile.ts";
 * DEFAULT_MAX_BODY_BYTES; // 67108864
 * ```
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Default for {@linkcode setCoreMemoryCap}: 64 MiB.
 *
 * @example
 * ```ts
 * import { DEFAULT_CORE_MEMORY_CAP } from "./compile.ts";
 * DEFAULT_CORE_MEMORY_CAP; // 67108864
 * ```
 */
export const DEFAULT_CORE_MEMORY_CAP = 64 * 1024 * 1024;

/**
 * Sets the wasm core's memory cap: once a request leaves its linear memory larger than this, the
 * core is replaced by a fresh instance (signatures are compiled again on their next request), so
 * memory at rest stays under the cap. Default {@linkcode DEFAULT_CORE_MEMORY_CAP}.
 *
 * @example
 * ```ts
 * import { setCoreMemoryCap } from "./mod.ts";
 * setCoreMemoryCap(32 * 1024 * 1024); // e.g. in a 128 MB Worker
 * ```
 */
export function setCoreMemoryCap(bytes: number): void {
  if (!(bytes > 0)) throw new RangeError(`The core memory cap must be positive, got ${bytes}`);
  memoryCap = bytes;
}

/**
 * The wasm core's current linear memory in bytes (0 before it is instantiated): what the core
 * holds right now, for metrics. Synchronous.
 *
 * @example
 * ```ts
 * import { coreMemoryBytes } from "./mod.ts";
 * console.log(coreMemoryBytes()); // e.g. 1179648
 * ```
 */
export function coreMemoryBytes(): number {
  return liveCore()?.memory.buffer.byteLength ?? 0;
}

type Fn = (...args: number[]) => number;

/**
 * Instantiates the wasm core (lazily, once per isolate). In Cloudflare Workers pass the
 * imported `WebAssembly.Module`; elsewhere nothing is needed.
 *
 * @example
 * ```ts
 * import { initEnforce } from "./mod.ts";
 * await initEnforce(); // reads wasm/mlflow_edge_core.wasm
 * // workerd: import wasm from "../../wasm/mlflow_edge_core.wasm"; await initEnforce(wasm);
 * ```
 */
export async function initEnforce(source?: WebAssembly.Module | BufferSource | URL): Promise<void> {
  await instantiateCore(source as CoreSource | undefined);
}

/**
 * The signature's two JSON texts (`null` = absent).
 *
 * @example
 * ```ts
 * import type { SignatureTexts } from "./compile.ts";
 * const texts: SignatureTexts = { inputs: '[{"type": "long", "name": "a"}]', params: null };
 * ```
 */
export interface SignatureTexts {
  inputs: string | null;
  params: string | null;
}

function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v.trim() === "" ? null : v;
  return JSON.stringify(v);
}

/**
 * The MLmodel JSON texts of a signature-like value (ModelSignature or plain object).
 *
 * @example
 * ```ts
 * import { signatureTexts } from "./compile.ts";
 * signatureTexts({ inputs: [{ type: "long", name: "a" }] });
 * // { inputs: '[{"type":"long","name":"a"}]', params: null }
 * ```
 */
export function signatureTexts(signature: SignatureLike | null | undefined): SignatureTexts {
  if (signature === null || signature === undefined) return { inputs: null, params: null };
  const s = signature as { toDict?: () => Record<string, unknown> } & Record<string, unknown>;
  const dict = typeof s.toDict === "function" ? s.toDict() : s;
  return { inputs: canonicalDtypes(text(dict.inputs)), params: text(dict.params) };
}

/**
 * Tensor dtypes in numpy's canonical names (`float` → `float64`, `<f4` → `float32`), as MLflow
 * reads any spelling numpy understands and writes the canonical one; the core knows only the
 * canonical names. The spellings are mlmodel's (numpyDtypeName); a spelling numpy refuses is
 * left for the core to report.
 */
function canonicalDtypes(inputs: string | null): string | null {
  if (inputs === null || !inputs.includes("tensor-spec")) return inputs;
  let specs: unknown;
  try {
    specs = JSON.parse(inputs);
  } catch {
    return inputs; // the core reports the syntax error
  }
  if (!Array.isArray(specs)) return inputs;
  let changed = false;
  for (const spec of specs) {
    const tensor = (spec as { "tensor-spec"?: { dtype?: unknown } } | null)?.["tensor-spec"];
    if (typeof tensor?.dtype !== "string") continue;
    try {
      const name = numpyDtypeName(tensor.dtype);
      if (name !== tensor.dtype) [tensor.dtype, changed] = [name, true];
    } catch {
      // not a numpy dtype: the core names it
    }
  }
  return changed ? JSON.stringify(specs) : inputs;
}

function callCompile(
  core: CoreExports,
  texts: SignatureTexts,
  limits: CompileOptions,
): CompiledHandle {
  const inBlock = copyInString(core, texts.inputs ?? "");
  const paramsBlock = copyInString(core, texts.params ?? "");
  const f32 = limits.float32Inputs;
  const f32Block = copyInString(core, Array.isArray(f32) ? JSON.stringify(f32) : "");
  try {
    const flags = (texts.inputs !== null ? 1 : 0) | (texts.params !== null ? 2 : 0) |
      (f32 === "all" ? 4 : 0) | (Array.isArray(f32) ? 8 : 0);
    const ptr = (core.compile as Fn)(
      inBlock.ptr,
      inBlock.len,
      paramsBlock.ptr,
      paramsBlock.len,
      flags,
      limits.maxDepth ?? 0,
      Math.min(limits.maxElements ?? 0, 0xffffffff),
      Math.min(limits.maxStringBytes ?? 0, 0xffffffff),
      limits.maxErrors ?? 0,
      f32Block.ptr,
      f32Block.len,
    ) >>> 0;
    return readHandle(core, ptr);
  } finally {
    freeBlock(core, inBlock);
    freeBlock(core, paramsBlock);
    freeBlock(core, f32Block);
  }
}

/**
 * Bodies up to this many bytes are copied into one block kept per core instance: an alloc and a
 * dealloc per call cost more than copying a small body. Larger bodies get a block of their own.
 */
const SCRATCH_BYTES = 16 * 1024;
const encoder = new TextEncoder();

/** The kept block of the current core, with a byte view re-made when memory grows. */
let scratch: { core: CoreExports; ptr: number; bytes: Uint8Array } | null = null;

/** Writes a small body into the kept block; returns its length, or -1 when it does not fit. */
function copyToScratch(core: CoreExports, body: string | Uint8Array): number {
  const small = typeof body === "string"
    ? body.length * 3 <= SCRATCH_BYTES // UTF-8's worst case per UTF-16 unit
    : body.byteLength <= SCRATCH_BYTES;
  if (!small) return -1;
  if (scratch === null || scratch.core !== core) {
    const ptr = core.alloc(SCRATCH_BYTES) >>> 0;
    if (ptr === 0) return -1;
    scratch = { core, ptr, bytes: new Uint8Array(core.memory.buffer, ptr, SCRATCH_BYTES) };
  } else if (scratch.bytes.byteLength === 0) {
    // Memory grew since the view was made, which detached it.
    scratch.bytes = new Uint8Array(core.memory.buffer, scratch.ptr, SCRATCH_BYTES);
  }
  if (typeof body !== "string") {
    scratch.bytes.set(body);
    return body.byteLength;
  }
  return encoder.encodeInto(body, scratch.bytes).written;
}

const registry = new FinalizationRegistry<{ core: CoreExports; handle: number }>(
  ({ core, handle }) => (core.free_signature as (h: number) => void)(handle),
);

/**
 * The wasm core's linear memory at rest, in bytes: after a request grows it past this, the core
 * is replaced by a fresh instance (wasm memory never shrinks otherwise). Set with
 * {@linkcode setCoreMemoryCap}.
 */
let memoryCap = DEFAULT_CORE_MEMORY_CAP;

/**
 * A fresh core instance in place of the current one; nothing here keeps the old one's memory
 * alive (the kept body block and the result reader's views go with it).
 */
function renew(): CoreExports | undefined {
  scratch = null;
  dropMemoryViews();
  return renewCore();
}

class Compiled implements CompiledSignature {
  /** The instance this signature is compiled in; a fresh instance means compiling again. */
  #core: CoreExports | null;
  #handle: number;
  /** The signature's input names as the core lists them (results name entries by index). */
  #known: (string | null)[];
  #freed = false;
  readonly #texts: SignatureTexts;
  readonly #limits: CompileOptions;
  readonly #maxBody: number;
  readonly #token = {};
  /** Column/tensor names of earlier results, reused when a result spells them again. */
  readonly #names: (string | null)[] = [];

  constructor(
    core: CoreExports,
    { handle, names }: CompiledHandle,
    texts: SignatureTexts,
    limits: CompileOptions,
  ) {
    this.#core = core;
    this.#handle = handle;
    this.#known = names;
    this.#texts = texts;
    this.#limits = limits;
    this.#maxBody = limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    registry.register(this, { core, handle }, this.#token);
  }

  validate(body: string | Uint8Array, contentType: string): ValidatedInput {
    return this.#validate(body, bodyFormat(contentType) === "csv" ? 1 : 0, -1);
  }

  validateV2(body: string | Uint8Array, headerLength?: number): ValidatedInput {
    const size = typeof body === "string" ? body.length : body.byteLength;
    if (headerLength !== undefined && !(headerLength >= 0 && headerLength <= size)) {
      throw new MlflowError(
        `Inference-Header-Content-Length is ${headerLength}, but the body has ${size} bytes.`,
        "BAD_REQUEST",
      );
    }
    // 0xFFFFFFFF: the whole body is the JSON header.
    return this.#validate(body, 0, headerLength ?? 0xffffffff);
  }

  /** The instance in use, with this signature compiled into it (again, after a renewal). */
  #bind(): CoreExports {
    if (this.#freed) {
      throw new MlflowError(
        "This compiled signature was freed; compile it again",
        "INTERNAL_ERROR",
      );
    }
    const core = liveCore();
    if (!core) {
      throw new MlflowError(
        "The request validator is restarting after an internal failure; retry shortly",
        "TEMPORARILY_UNAVAILABLE",
      );
    }
    if (core !== this.#core) {
      registry.unregister(this.#token);
      ({ handle: this.#handle, names: this.#known } = callCompile(
        core,
        this.#texts,
        this.#limits,
      ));
      this.#core = core;
      registry.register(this, { core, handle: this.#handle }, this.#token);
    }
    return core;
  }

  /** `format` 0 JSON, 1 CSV; `header` < 0 for /invocations, else the V2 header length. */
  #validate(body: string | Uint8Array, format: number, header: number): ValidatedInput {
    const size = typeof body === "string" ? body.length : body.byteLength;
    if (size > this.#maxBody) this.#tooLarge(size);
    const core = this.#bind();
    try {
      const len = copyToScratch(core, body);
      if (len >= 0) {
        if (len > this.#maxBody) this.#tooLarge(len);
        return this.#call(core, scratch!.ptr, len, format, header);
      }
      const block = typeof body === "string" ? copyInString(core, body) : copyIn(core, body);
      try {
        if (block.len > this.#maxBody) this.#tooLarge(block.len);
        return this.#call(core, block.ptr, block.len, format, header);
      } finally {
        // After a trap the instance is dropped: its allocator is not to be trusted any more.
        if (liveCore() === core) freeBlock(core, block);
      }
    } finally {
      // A request that grew memory past the cap leaves a fresh instance behind it.
      if (liveCore() === core && coreMemorySize(core) > memoryCap) renew();
    }
  }

  /** Runs the core on a body in wasm memory; a trap renews the core and is an MlflowError. */
  #call(
    core: CoreExports,
    ptr: number,
    len: number,
    format: number,
    header: number,
  ): ValidatedInput {
    try {
      const out = (header < 0
        ? (core.validate as Fn)(this.#handle, ptr, len, format)
        : (core.validate_v2 as Fn)(this.#handle, ptr, len, header)) >>> 0;
      return readValidated(core, out, this.#names, this.#known);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        // A trap (e.g. memory exhausted) leaves the instance in an unknown state.
        if (!renew()) discardCore();
        throw new MlflowError(`The request validator failed: ${e.message}`, "INTERNAL_ERROR");
      }
      throw e;
    }
  }

  #tooLarge(size: number): never {
    throw new MlflowError(
      `The request body is ${size} bytes; the limit is ${this.#maxBody} bytes`,
      "BAD_REQUEST",
      413,
    );
  }

  free(): void {
    this.#freed = true;
    if (this.#core) {
      // Freed in the instance it lives in (a renewed-away instance is simply collected).
      registry.unregister(this.#token);
      (this.#core.free_signature as (h: number) => void)(this.#handle);
      this.#core = null;
    }
  }
}

/**
 * Compiles a signature once into the wasm core; the result validates requests synchronously.
 * A signature the core cannot read is refused with an MlflowError (INVALID_PARAMETER_VALUE).
 *
 * @example
 * ```ts
 * import { compileSignature } from "./mod.ts";
 * const sig = await compileSignature({
 *   inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2]}}]',
 * });
 * const input = sig.validate('{"inputs": [[0, 255]]}', "application/json");
 * input.tensors[0].shape; // [1, 2]
 * ```
 */
export async function compileSignature(
  signature: SignatureLike | null | undefined,
  limits: CompileOptions = {},
): Promise<CompiledSignature> {
  const core = await instantiateCore();
  const texts = signatureTexts(signature);
  return new Compiled(core, callCompile(core, texts, limits), texts, limits);
}
