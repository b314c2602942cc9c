/**
 * The default backend: onnxruntime-web (ONNX Runtime compiled to WebAssembly).
 *
 * It runs wherever WebAssembly does: Deno, Bun, Node and (with the Workers shim) workerd. In Deno
 * it runs single-threaded: ort-web's threaded mode hung in long runs there.
 *
 * @module
 */
import type * as Ort from "onnxruntime-web";
import { createOrtSession, RunLock } from "./_ort_session.ts";
import type { OnnxBackend } from "./types.ts";

/**
 * Options of {@linkcode webBackend}.
 *
 * @example
 * ```ts
 * import { webBackend, type WebBackendOptions } from "./web_backend.ts";
 * const options: WebBackendOptions = { numThreads: 1 };
 * webBackend(options);
 * ```
 */
export interface WebBackendOptions {
  /** wasm threads; default 1 (multi-threaded ort-web is unreliable in Deno). */
  numThreads?: number;
  /**
   * Let onnxruntime pre-pack weights for its matrix kernels (default false). Pre-packing keeps
   * a second copy of every MatMul/Gemm weight in wasm memory, which never shrinks; measured on
   * a 50 MB MLP it doubled resident memory per MB of weights (2.0 → 1.0) without a steady
   * speed gain. The model's own `extra_session_config` (`session.disable_prepacking`) wins.
   */
  prepacking?: boolean;
}

/**
 * The onnxruntime-web backend. Sessions are created from bytes, with external data given as
 * `{path, data}` pairs, so no file system is needed.
 *
 * @example
 * ```ts
 * import { webBackend } from "./web_backend.ts";
 * const backend = webBackend();
 * const bytes = await Deno.readFile("examples/iris/model.onnx");
 * const weights = await Deno.readFile("examples/iris/7a352ddc-e9a0-11f1-9901-02fc00000001");
 * const session = await backend.createSession(bytes, [
 *   { path: "7a352ddc-e9a0-11f1-9901-02fc00000001", data: weights },
 * ], {});
 * console.log(session.inputs[0].name); // "input"
 * ```
 */
export function webBackend(options: WebBackendOptions = {}): OnnxBackend {
  return {
    name: "web",
    copiesWeights: true,
    prepare() {
      return prepared ??= (creating = creating.then(async () => {
        const ort = await loadOrt(options);
        // The first session compiles the wasm and starts onnxruntime; a one-node graph is the
        // cheapest way to get there without the model.
        const session = await ort.InferenceSession.create(IDENTITY_GRAPH);
        await session.release();
      }).catch(() => {})) as Promise<void>;
    },
    createSession(model, externalData, sessionOptions) {
      const extra = options.prepacking
        ? sessionOptions.extra
        : { "session.disable_prepacking": "1", ...sessionOptions.extra };
      const created = creating.then(async () =>
        createOrtSession(
          await loadOrt(options),
          model,
          externalData,
          { ...sessionOptions, extra },
          runLock,
        )
      );
      creating = created.catch(() => {});
      return created;
    },
  };
}

let prepared: Promise<void> | undefined;

let ortModule: Promise<typeof Ort> | undefined;

/**
 * onnxruntime-web, imported on first use: a process serving with the native backend never
 * loads it (its module and Deno's Node compatibility layer cost ~25 ms of start-up CPU).
 */
async function loadOrt(options: WebBackendOptions): Promise<typeof Ort> {
  const ort = await (ortModule ??= import("onnxruntime-web"));
  // A process-wide setting, read when the wasm module initialises (the first session).
  ort.env.wasm.numThreads = options.numThreads ?? 1;
  return ort;
}

/** A 1-element float Identity graph (88 bytes of ONNX protobuf, opset 13). */
const IDENTITY_GRAPH = Uint8Array.from(
  atob(
    "CAgSEW1sZmxvdy1lZGdlLXRlc3RzOjsKFAoBeBIBeRoCbjAiCElkZW50aXR5EgFnWg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQDQ==",
  ),
  (c) => c.charCodeAt(0),
);

// Every session shares the one wasm instance, so runs of all sessions take turns.
const runLock = new RunLock();

// ort-web mounts external-data files in one global table and clears it when a session has been
// created, so two concurrent creations would lose each other's files: create one at a time.
let creating: Promise<unknown> = Promise.resolve();
