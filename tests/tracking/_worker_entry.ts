// A Worker that logs the ONNX model posted to it (form fields `model.onnx` and the external-data
// files) to the tracking server named by `?tracking=`, with the logging code bundled for workerd.
import { logModel } from "../../src/tracking/mod.ts";

export default {
  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    try {
      const form = await req.formData();
      const externalData: Record<string, Uint8Array> = {};
      let onnx = new Uint8Array();
      for (const [name, value] of form) {
        if (typeof value === "string") continue;
        const bytes = new Uint8Array(await value.arrayBuffer());
        if (name === "model.onnx") onnx = bytes;
        else externalData[name] = bytes;
      }
      const info = await logModel({
        trackingUri: url.searchParams.get("tracking") ?? "",
        onnx,
        externalData,
        inputExample: JSON.parse(String(form.get("input_example"))),
        registeredModelName: "iris",
        alias: "worker",
        retries: 1,
        retryDelayMs: 1,
      });
      return Response.json(info);
    } catch (err) {
      const e = err as { errorCode?: string; message?: string };
      return Response.json({ error_code: e.errorCode, message: e.message }, { status: 500 });
    }
  },
};
