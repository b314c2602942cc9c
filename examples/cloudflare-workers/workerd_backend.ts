/**
 * The ONNX backend the Worker hands to `createApp`: onnxruntime-web through the workerd shim.
 *
 * @module
 */
import { type OnnxBackend, webBackend } from "../../src/runtime/mod.ts";
import { installOrtWorkerdShim } from "./ort_workerd.ts";

/**
 * The onnxruntime-web backend for workerd: the server's web backend, with the shim installed
 * when the first session is created (so nothing runs at the Worker's global scope).
 *
 * In the Worker bundle `onnxruntime-web` resolves to `onnxruntime-web/wasm` (see build.ts), so
 * the backend and this shim configure one and the same ort instance.
 *
 * @example
 * ```ts ignore
 * import { ortWasmModule } from "./_wasm_modules.js";
 * const app = createApp({ modelUri: env.MODEL_URI, backend: workerdBackend(ortWasmModule) });
 * ```
 */
export function workerdBackend(module: WebAssembly.Module): OnnxBackend {
  const web = webBackend({ numThreads: 1 });
  return {
    name: "web-workerd",
    copiesWeights: true,
    createSession(model, externalData, options) {
      installOrtWorkerdShim(module);
      return web.createSession(model, externalData, options);
    },
  };
}
