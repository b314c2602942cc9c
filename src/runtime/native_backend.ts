/**
 * The optional native backend: onnxruntime-node (Deno with `--allow-ffi`, Bun, Node).
 *
 * The package is imported only when this backend is asked for, so the default (web) path never
 * loads its 290 MB of native libraries.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { createOrtSession, type OrtModule } from "./_ort_session.ts";
import type { OnnxBackend } from "./types.ts";

let loading: Promise<OrtModule> | undefined;

const NO_FILES_ON_DISK = { path: "mlflow-edge:no-external-data", data: new Uint8Array(1) };

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
  loading ??= import("onnxruntime-node").then((m) => m as unknown as OrtModule);
  let mod: OrtModule;
  try {
    mod = await loading;
  } catch (err) {
    loading = undefined;
    throw new MlflowError(
      `The native backend (onnxruntime-node) could not be loaded: ${
        (err as Error)?.message ?? err
      }. In Deno it needs --allow-ffi; use the default web backend otherwise.`,
      "INTERNAL_ERROR",
    );
  }
  return {
    name: "native",
    // onnxruntime-node reads external data it is not handed from disk, relative to the working
    // directory; with a table of in-memory files it looks names up there only (a name not in
    // it fails the load). So the table is never empty: an unused entry stands in when the
    // model names no external data.
    createSession: (model, externalData, options) =>
      createOrtSession(
        mod,
        model,
        externalData.length > 0 ? externalData : [NO_FILES_ON_DISK],
        options,
      ),
  };
}
