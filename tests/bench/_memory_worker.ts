/**
 * The production Worker plus one diagnostics route, for the runtimes benchmark only:
 * `GET /__memory` answers `{"ortWasmBytes": n}`, the size of onnxruntime-web's linear memory
 * in this isolate. Everything else goes to the real Worker unchanged.
 *
 * @module
 */
import worker, { type Env } from "../../examples/cloudflare-workers/worker.ts";
import { ortWasmMemoryBytes } from "../../examples/cloudflare-workers/ort_workerd.ts";

/**
 * The Worker module: `/__memory`, else the production Worker.
 *
 * @example
 * ```ts ignore
 * const res = await memoryWorker.fetch(new Request("http://w/__memory"), env, ctx);
 * ```
 */
const memoryWorker = {
  fetch(request: Request, env: Env, ctx: unknown): Promise<Response> {
    if (new URL(request.url).pathname === "/__memory") {
      return Promise.resolve(Response.json({ ortWasmBytes: ortWasmMemoryBytes() }));
    }
    return worker.fetch(request, env, ctx);
  },
};

export default memoryWorker;
