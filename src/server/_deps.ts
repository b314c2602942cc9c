// The server's view of the areas it builds on (store, mlmodel, enforce). One place to import
// them from, so the server's own modules do not depend on their file layout.
//
// Until src/mlmodel is available this file reads MLmodel with the yaml package, and enforce is
// imported on first use.
import { parse } from "yaml";
import { MlflowError } from "../errors.ts";
import type { ModelInput } from "../runtime/mod.ts";

export { fetchBundle } from "../store/mod.ts";
export type { BundleFiles, FetchBundleOptions } from "../store/mod.ts";

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

/** The parts of an MLmodel the server reads (src/mlmodel's Model). */
export interface ModelInfo {
  flavors: Record<string, Record<string, unknown>>;
  signature: { inputs: string | null; outputs: string | null; params: string | null } | null;
  savedInputExampleInfo?: Record<string, unknown>;
  mlflowVersion?: string;
  modelUuid?: string;
}

/** Parses an MLmodel file. */
export function parseMLmodel(text: string, source: string): ModelInfo {
  let d: Record<string, unknown>;
  try {
    d = parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new MlflowError(
      `${source} is not valid YAML: ${(err as Error).message}`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  if (!d || typeof d !== "object" || !d.flavors || typeof d.flavors !== "object") {
    throw new MlflowError(`${source} has no flavors.`, "INVALID_PARAMETER_VALUE");
  }
  const sig = d.signature as ModelInfo["signature"] | undefined;
  return {
    flavors: d.flavors as ModelInfo["flavors"],
    signature: sig
      ? { inputs: sig.inputs ?? null, outputs: sig.outputs ?? null, params: sig.params ?? null }
      : null,
    savedInputExampleInfo: d.saved_input_example_info as Record<string, unknown> | undefined,
    mlflowVersion: d.mlflow_version as string | undefined,
    modelUuid: d.model_uuid as string | undefined,
  };
}

interface EnforceModule {
  compileSignature(
    signature: { inputs: string | null; outputs?: string | null; params: string | null },
    limits?: EnforceLimits,
  ): Promise<CompiledSignature>;
}

let enforce: Promise<EnforceModule> | undefined;

/** Compiles a signature with the wasm enforcement core. */
export async function compileSignature(
  signature: { inputs: string | null; outputs?: string | null; params: string | null },
  limits?: EnforceLimits,
): Promise<CompiledSignature> {
  enforce ??= import(new URL("../enforce/mod.ts", import.meta.url).href) as Promise<EnforceModule>;
  return (await enforce).compileSignature(signature, limits);
}
