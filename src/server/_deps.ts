// The server's view of the areas it builds on (store, mlmodel, enforce). One place to import
// them from, so the server's own modules do not depend on their file layout.
//
// Until src/enforce is available it is imported on first use.
import type { ModelSignature } from "../mlmodel/mod.ts";
import type { ModelInput } from "../runtime/mod.ts";

export { fetchBundle } from "../store/mod.ts";
export type { BundleFiles, FetchBundleOptions } from "../store/mod.ts";
export { Model } from "../mlmodel/mod.ts";

/** Limits for the enforcement core (src/enforce's EnforceLimits). */
export interface EnforceLimits {
  maxBodyBytes?: number;
  maxDepth?: number;
  maxElements?: number;
  maxStringBytes?: number;
  maxErrors?: number;
}

/** What validation returns (src/enforce's ValidatedInput). */
export interface ValidatedInput extends ModelInput {
  params: Record<string, unknown> | null;
  format: "dataframe_split" | "dataframe_records" | "inputs" | "instances" | "csv" | "llm";
}

/** A compiled signature (src/enforce's CompiledSignature). */
export interface CompiledSignature {
  validate(body: string | Uint8Array, contentType: string): ValidatedInput;
  free(): void;
}

type SignatureLike = ModelSignature | {
  inputs: string | null;
  outputs?: string | null;
  params: string | null;
};

interface EnforceModule {
  compileSignature(signature: SignatureLike, limits?: EnforceLimits): Promise<CompiledSignature>;
}

let enforce: Promise<EnforceModule> | undefined;

/** Compiles a signature with the wasm enforcement core. */
export async function compileSignature(
  signature: SignatureLike,
  limits?: EnforceLimits,
): Promise<CompiledSignature> {
  enforce ??= import(new URL("../enforce/mod.ts", import.meta.url).href) as Promise<EnforceModule>;
  return (await enforce).compileSignature(signature, limits);
}
