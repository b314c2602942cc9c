/**
 * A Worker that runs onnxruntime-web through the workerd shim and nothing else of ours: it
 * proves the mechanics (wasm imported as a module, session created on the first request, model
 * bytes from R2) independently of the server. POST /run/<bundle> with
 * `{"<input>": {"dtype", "shape", "data"}}` (data flat) answers `{"<output>": {"dims", "data"}}`.
 *
 * @module
 */
import { ortWasmModule } from "../../examples/cloudflare-workers/_wasm_modules.js";
import { installOrtWorkerdShim } from "../../examples/cloudflare-workers/ort_workerd.ts";
import type { InferenceSession } from "onnxruntime-web";

/** The slice of the R2 binding this Worker uses. */
interface Bucket {
  list(o: { prefix: string }): Promise<{ objects: { key: string }[] }>;
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
}

const sessions = new Map<string, Promise<InferenceSession>>();

async function createSession(bucket: Bucket, bundle: string): Promise<InferenceSession> {
  const ort = installOrtWorkerdShim(ortWasmModule);
  const listed = await bucket.list({ prefix: `${bundle}/` });
  let model: Uint8Array | undefined;
  const externalData: { path: string; data: Uint8Array }[] = [];
  for (const { key } of listed.objects) {
    const name = key.slice(bundle.length + 1);
    const object = await bucket.get(key);
    if (object === null) continue;
    const bytes = new Uint8Array(await object.arrayBuffer());
    if (name === "model.onnx") model = bytes;
    else if (/^[0-9a-f-]{36}$/.test(name)) externalData.push({ path: name, data: bytes });
  }
  if (model === undefined) throw new Error(`No model.onnx under "${bundle}/".`);
  return await ort.InferenceSession.create(model, { externalData, executionProviders: ["wasm"] });
}

const ARRAYS = { float32: Float32Array, uint8: Uint8Array } as const;

export default {
  async fetch(request: Request, env: { MODELS: Bucket }): Promise<Response> {
    const bundle = new URL(request.url).pathname.replace(/^\/run\//, "");
    let session = sessions.get(bundle);
    if (session === undefined) {
      session = createSession(env.MODELS, bundle);
      sessions.set(bundle, session);
    }
    const ort = installOrtWorkerdShim(ortWasmModule);
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    const body = await request.json() as Record<
      string,
      { dtype: keyof typeof ARRAYS; shape: number[]; data: number[] }
    >;
    for (const [name, t] of Object.entries(body)) {
      feeds[name] = new ort.Tensor(t.dtype, ARRAYS[t.dtype].from(t.data), t.shape);
    }
    const results = await (await session).run(feeds);
    const out: Record<string, { dims: readonly number[]; data: number[] }> = {};
    for (const [name, t] of Object.entries(results)) {
      out[name] = { dims: t.dims, data: Array.from(t.data as Float32Array) };
    }
    return Response.json(out);
  },
};
