// logModel on other runtimes (Bun, and a Worker in workerd through miniflare), against the REST double of the tracking server
// (./_tracking_server.ts; a real MLflow server cannot run in CI): the model logged from Bun
// loads back here and answers MLflow's golden requests. Needs `bun` on PATH; without it the
// test is skipped and says so.
import assert from "node:assert/strict";
import { Miniflare } from "../_deps/miniflare.ts";
import { onPath, ROOT } from "../runtimes/_process.ts";
import { bundleForWorkerd } from "../runtimes/_workerd.ts";
import { assertServesGoldens } from "./_replay.ts";
import { startTrackingDouble } from "./_tracking_server.ts";

const IRIS = new URL("../fixtures/mlflow-bundles/iris_mlp_onnx/", import.meta.url);
const EXTERNAL = "7a352ddc-e9a0-11f1-9901-02fc00000001";

const HAVE_BUN = await onPath("bun");
if (!HAVE_BUN) console.warn("bun is not on PATH: logging from Bun is not tested.");

Deno.test({
  name: "Bun logs a model from bytes; it loads back from models:/iris@bun and answers the goldens",
  ignore: !HAVE_BUN,
  fn: async () => {
    const server = await startTrackingDouble({ auth: "Bearer bun-token" });
    try {
      const out = await new Deno.Command("bun", {
        args: ["run", "tests/tracking/_log_script.ts"],
        cwd: ROOT,
        env: { TRACKING_URI: server.url, TRACKING_TOKEN: "bun-token", ALIAS: "bun" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const info = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.equal(info.version, "1");
      assert.equal(server.loggedModels.get(info.modelId)!.info.status, "LOGGED_MODEL_READY");
      assert.equal(server.runs.get(info.runId)!.info.status, "FINISHED");
      await assertServesGoldens("models:/iris@bun", {
        tracking: { uri: server.url, token: "bun-token" },
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test("a Worker (workerd) logs a model posted to it, with fetch only; it loads back and answers the goldens", async () => {
  // The local-file paths load node: modules lazily; a Worker logging bytes never takes them.
  const code = await bundleForWorkerd(new URL("./_worker_entry.ts", import.meta.url), ["node:*"]);
  const server = await startTrackingDouble();
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.js", contents: code }],
    compatibilityDate: "2025-01-01",
  });
  try {
    const form = new FormData();
    form.set("model.onnx", new Blob([await Deno.readFile(new URL("model.onnx", IRIS))]));
    form.set(EXTERNAL, new Blob([await Deno.readFile(new URL(EXTERNAL, IRIS))]));
    form.set("input_example", await Deno.readTextFile(new URL("input_example.json", IRIS)));
    const url = `http://worker/?tracking=${encodeURIComponent(server.url)}`;
    const req = new Request(url, { method: "POST", body: form });
    const res = await mf.dispatchFetch(url, {
      method: "POST",
      body: new Uint8Array(await req.arrayBuffer()),
      headers: { "content-type": req.headers.get("content-type")! },
    });
    const info = await res.json() as Record<string, string>;
    assert.equal(res.status, 200, JSON.stringify(info));
    assert.equal(info.version, "1");
    assert.equal(server.runs.get(info.runId)!.info.status, "FINISHED");
    await assertServesGoldens("models:/iris@worker", { tracking: { uri: server.url } });
  } finally {
    await mf.dispose();
    await server.close();
  }
});
