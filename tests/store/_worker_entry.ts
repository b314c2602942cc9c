// A Worker that fetches a bundle through its R2 binding with the store code bundled for workerd.
import { fetchBundle, type R2BucketLike } from "../../src/store/mod.ts";

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

export default {
  async fetch(req: Request, env: { MODELS: R2BucketLike }): Promise<Response> {
    const uri = new URL(req.url).searchParams.get("uri") ?? "";
    try {
      const bundle = await fetchBundle(uri, { r2: { MODELS: env.MODELS } });
      const out: Record<string, string> = {};
      for (const [k, v] of bundle.files) out[k] = await sha256(v);
      return Response.json(out);
    } catch (err) {
      const e = err as { errorCode?: string; message?: string };
      return Response.json({ error_code: e.errorCode, message: e.message }, { status: 500 });
    }
  },
};
