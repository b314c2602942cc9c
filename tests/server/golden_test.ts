import assert from "node:assert/strict";
import { createApp } from "../../src/server/mod.ts";
import { assertClose } from "../runtime/_bundle.ts";
import { goldenCases } from "../_golden.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

// Under the lossless-or-loud policy MLflow's silent truncation of fractional pixels is refused.
const REJECT = new Set(["mnist_cnn_onnx/inputs_float_values"]);

for (const backend of ["web", "native"] as const) {
  for (const bundle of ["iris_mlp_onnx", "mnist_cnn_onnx"]) {
    Deno.test(`every ${bundle} golden case answers as MLflow did, over HTTP, on the ${backend} backend`, async () => {
      const app = createApp({ modelUri: bundlePath(bundle), backend });
      await app.ready();
      const server = serveOnFreePort(app.fetch);
      try {
        for (const c of await goldenCases(bundle)) {
          const res = await fetch(`${server.url}/invocations`, {
            method: "POST",
            headers: { "Content-Type": c.content_type },
            body: c.body,
          });
          const text = await res.text();
          const what = `${bundle}/${c.name}: ${text.slice(0, 300)}`;
          assert.equal(res.headers.get("content-type"), "application/json", what);
          if (REJECT.has(`${bundle}/${c.name}`)) {
            assert.equal(res.status, 400, what);
            assert.ok(
              ["BAD_REQUEST", "INVALID_PARAMETER_VALUE"].includes(JSON.parse(text).error_code),
              what,
            );
            assert.doesNotMatch(JSON.parse(text).message, /^Encountered an unexpected error/, what);
            continue;
          }
          assert.equal(res.status, c.mlflow_response.status, what);
          const body = JSON.parse(text);
          if (res.status === 200) assertClose(body, c.mlflow_response.body, `${bundle}/${c.name}`);
          else assert.equal(body.error_code, c.mlflow_response.body.error_code, what);
        }
      } finally {
        await server.close();
        await app.close();
      }
    });
  }
}

Deno.test("the pytorch bundle is refused with an error naming its flavor, at load and over HTTP", async () => {
  const app = createApp({ modelUri: bundlePath("iris_mlp_pytorch"), log: () => {} });
  await assert.rejects(app.ready(), /flavor "pytorch"/);
  const server = serveOnFreePort(app.fetch);
  try {
    const [c] = await goldenCases("iris_mlp_pytorch");
    const res = await fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "Content-Type": c.content_type },
      body: c.body,
    });
    const body = await res.json();
    assert.equal(res.status, 503);
    assert.equal(body.error_code, "TEMPORARILY_UNAVAILABLE");
    assert.match(body.message, /flavor "pytorch".*mlflow\.onnx\.log_model/s);
    const ping = await fetch(`${server.url}/ping`);
    assert.equal(ping.status, 503);
    assert.match((await ping.json()).message, /flavor "pytorch"/);
  } finally {
    await server.close();
    await app.close();
  }
});
