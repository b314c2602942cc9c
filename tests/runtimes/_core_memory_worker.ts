// A Worker for tests/runtimes/workerd_core_memory_test.ts: the enforcement core alone, loaded
// as workerd requires (the .wasm imported as a compiled module), answering with the core's
// memory before and after validating the posted body.
import { coreWasmModule } from "../../examples/cloudflare-workers/_wasm_modules.js";
import {
  coreMemoryBytes,
  DEFAULT_CORE_MEMORY_CAP,
  initEnforce,
  setCoreMemoryCap,
  validateRequest,
} from "../../src/enforce/mod.ts";

export default {
  async fetch(request: Request): Promise<Response> {
    await initEnforce(coreWasmModule);
    const url = new URL(request.url);
    // ?cap=lifted measures the peak (no renewal); the default cap otherwise.
    setCoreMemoryCap(url.searchParams.get("cap") === "lifted" ? 2 ** 40 : DEFAULT_CORE_MEMORY_CAP);
    const before = coreMemoryBytes();
    const body = await request.text();
    let rows = -1;
    try {
      rows = (await validateRequest(null, body, request.headers.get("content-type") ?? "")).rows;
    } catch (e) {
      return Response.json({ error: String(e) }, { status: 400 });
    }
    return Response.json({ before, after: coreMemoryBytes(), rows });
  },
};
