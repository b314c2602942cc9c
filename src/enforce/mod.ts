/**
 * Signature enforcement: a request's bytes and content type in, the typed columns or tensors
 * the model receives out (or one MlflowError naming every violation).
 *
 * The rules live in the wasm core (`wasm/src/`): MLflow's envelope and CSV parsing, its
 * parse-step casts and enforcement, under the lossless-or-loud policy of COMPATIBILITY.md.
 * This module only moves bytes in and typed arrays out, and checks the content type.
 *
 * @example
 * ```ts
 * import { validateRequest } from "./mod.ts";
 * const signature = { inputs: '[{"type": "double", "name": "x"}]', params: null };
 * const input = await validateRequest(signature, '{"inputs": {"x": [1, 2.5]}}');
 * input.columns[0].values; // Float64Array [1, 2.5]
 * ```
 *
 * @module
 */

import { compileSignature, signatureTexts } from "./compile.ts";
import type { CompiledSignature, SignatureLike, ValidatedInput } from "./types.ts";

export {
  compileSignature,
  coreMemoryBytes,
  DEFAULT_CORE_MEMORY_CAP,
  initEnforce,
  setCoreMemoryCap,
} from "./compile.ts";
export { bodyFormat } from "./content_type.ts";
export type { BodyFormat } from "./content_type.ts";
export type {
  ColumnValues,
  CompiledSignature,
  CompileOptions,
  EnforceLimits,
  NumpyDtype,
  SignatureLike,
  V2Answer,
  ValidatedColumn,
  ValidatedInput,
  ValidatedTensor,
} from "./types.ts";

const CACHE_SIZE = 32;
const cache = new Map<string, Promise<CompiledSignature>>();

function compiled(signature: SignatureLike | null | undefined): Promise<CompiledSignature> {
  const texts = signatureTexts(signature);
  const key = `${texts.inputs}\u0000${texts.params}`;
  let hit = cache.get(key);
  if (hit) {
    cache.delete(key); // re-insert as most recently used
  } else {
    hit = compileSignature(texts);
    hit.catch(() => cache.delete(key));
  }
  cache.set(key, hit);
  if (cache.size > CACHE_SIZE) {
    // Evicted signatures are freed by the FinalizationRegistry once no caller holds them.
    cache.delete(cache.keys().next().value as string);
  }
  return hit;
}

/**
 * Validates one `/invocations` request against a signature (compiled on first use and
 * cached). Resolves to the ValidatedInput; rejects with MlflowError (status 400 with
 * BAD_REQUEST or INVALID_PARAMETER_VALUE, 413 for a body over the limit, 415 for a content
 * type MLflow refuses).
 *
 * @example
 * ```ts
 * import { validateRequest } from "./mod.ts";
 * const input = await validateRequest(
 *   { inputs: '[{"type": "long", "name": "a"}, {"type": "string", "name": "b"}]' },
 *   "a,b\n1,x\n2,y\n",
 *   "text/csv",
 * );
 * input.columns.map((c) => c.dtype); // ["int64", "str"]
 * ```
 */
export async function validateRequest(
  signature: SignatureLike | null | undefined,
  body: string | Uint8Array,
  contentType: string = "application/json",
): Promise<ValidatedInput> {
  const sig = await compiled(signature);
  try {
    return sig.validate(body, contentType);
  } catch (e) {
    // After a trap the core is replaced: compile afresh on the next call.
    if ((e as { errorCode?: string }).errorCode === "INTERNAL_ERROR") cache.clear();
    throw e;
  }
}
