/**
 * The optional native backend: onnxruntime-node (Deno with `--allow-ffi`, Bun, Node).
 *
 * The package is imported only when this backend is asked for, so the default (web) path never
 * installs or loads its 290 MB of native libraries. Deno fetches it from npm on first use (by
 * full `npm:` specifier, so it is not in deno.json's imports, which Deno installs eagerly); Bun
 * and Node resolve the bare name from package.json's optional peer dependency.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { createOrtSession, type OrtModule } from "./_ort_session.ts";
import type { OnnxBackend } from "./types.ts";

let loading: Promise<OrtModule> | undefined;

const NO_FILES_ON_DISK = { path: "mlflow-edge:no-external-data", data: new Uint8Array(1) };

/**
 * The onnxruntime-node version this backend loads (the same as onnxruntime-web's).
 *
 * @example
 * ```ts
 * import { ONNXRUNTIME_NODE_VERSION } from "./native_backend.ts";
 * console.log(`npm install onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}`);
 * ```
 */
export const ONNXRUNTIME_NODE_VERSION = "1.30.0";

const IN_DENO = "Deno" in globalThis;

/**
 * Deno reads the pinned npm: specifier (fetched on first use); Bun and Node the installed
 * package's bare name. Not in deno.json's imports, and computed rather than literal: Deno installs
 * every import-map package, and prefetches literal dynamic imports, on a first run, and serving
 * with the web backend must not download this package's 290 MB.
 */
function ortSpecifier(): string {
  return IN_DENO
    ? ["npm:onnxruntime-node", ONNXRUNTIME_NODE_VERSION].join("@")
    : "onnxruntime-node";
}

/**
 * The onnxruntime-node backend. Rejects with an `MlflowError` when the native package cannot be
 * loaded (not installed, or Deno without `--allow-ffi`).
 *
 * @example
 * ```ts
 * import { nativeBackend } from "./native_backend.ts";
 * const backend = await nativeBackend();
 * console.log(backend.name); // "native"
 * ```
 */
export async function nativeBackend(): Promise<OnnxBackend> {
  const spec = ortSpecifier();
  loading ??= import(spec).then((m) => m as unknown as OrtModule);
  let mod: OrtModule;
  try {
    mod = await loading;
  } catch (err) {
    loading = undefined;
    throw new MlflowError(
      `The native backend needs onnxruntime-node ${ONNXRUNTIME_NODE_VERSION}, which could not ` +
        `be loaded (${(err as Error)?.message ?? err}). Deno fetches "${spec}" (about 290 MB) ` +
        `from the npm registry on first use and needs --allow-ffi; with Bun or Node, run ` +
        `\`bun add onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}\` or ` +
        `\`npm install onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}\`. ` +
        `Or use the default web backend.`,
      "INTERNAL_ERROR",
    );
  }
  return {
    name: "native",
    // onnxruntime-node builds its own model and initializers from the bytes.
    copiesWeights: true,
    // onnxruntime-node reads external data it is not handed from disk, relative to the working
    // directory; with a table of in-memory files it looks names up there only (a name not in
    // it fails the load). So the table is never empty: an unused entry stands in when the
    // model names no external data.
    createSession: (model, externalData, options) =>
      createOrtSession(
        mod,
        model,
        externalData.length > 0 ? externalData : [NO_FILES_ON_DISK],
        { ...options, extra: { ...NO_SPINNING, ...options.extra } },
      ),
  };
}

/**
 * onnxruntime's pool threads spin after every parallel section by default, burning a core the
 * server needs for parsing the next request (and that other processes need). Off unless the
 * model's `extra_session_config` turns it on: ResNet-18-shaped model, two sessions interleaved in
 * one process on 2 busy cores, median 177 → 105 ms per image, CPU 67 → 42 ms per image; MLPs
 * of 10 and 50 MB used less CPU per request at the same or lower latency.
 */
const NO_SPINNING = {
  "session.intra_op.allow_spinning": "0",
  "session.inter_op.allow_spinning": "0",
};
