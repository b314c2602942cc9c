// The prediction routes answered without Hono's dispatch (src/server/_prediction_routes.ts) give
// the same answers, headers included, as the routes Hono dispatches, over real HTTP.
import assert from "node:assert/strict";
import type { createApp, ServingApp } from "../../src/server/mod.ts";
import {
  bundlePath,
  IRIS_ANSWER,
  IRIS_SPLIT_ROW,
  type TestServer,
  withAppServer,
} from "./_server.ts";

const IRIS_ROW = IRIS_SPLIT_ROW;

/** {@linkcode withAppServer} once the app's models are ready. */
const withServer = (
  options: Parameters<typeof createApp>[0],
  fn: (server: TestServer, app: ServingApp) => Promise<void>,
) =>
  withAppServer(options, async (server, app) => {
    await app.ready();
    await fn(server, app);
  });

const predict = (url: string, body = IRIS_ROW, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });

/** The headers Hono's secureHeaders puts on a route Hono answers (GET /ping). */
async function secureHeadersOf(url: string): Promise<[string, string][]> {
  const res = await fetch(`${url}/ping`);
  await res.body?.cancel();
  const skip = new Set(["content-type", "content-length", "date", "x-request-id"]);
  const out = [...res.headers].filter(([name]) => !skip.has(name));
  assert.ok(out.length >= 10, `secure headers on /ping: ${JSON.stringify(out)}`);
  return out;
}

function assertCarries(res: Response, expected: [string, string][]): void {
  for (const [name, value] of expected) assert.equal(res.headers.get(name), value, name);
  assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  assert.match(res.headers.get("server-timing") ?? "", /total;dur=[0-9.]+/);
  // One of each: nothing appended twice.
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.doesNotMatch(res.headers.get("x-request-id")!, /,/);
}

Deno.test("prediction answers and refusals carry the secure headers and one request id", async () => {
  await withServer({
    modelUri: bundlePath("iris_mlp_onnx"),
    models: { iris: bundlePath("iris_mlp_onnx") },
  }, async (server) => {
    const expected = await secureHeadersOf(server.url);
    for (
      const path of ["/invocations", "/models/iris/invocations", "/models/default/invocations"]
    ) {
      const ok = await predict(`${server.url}${path}`);
      assert.equal(ok.status, 200, path);
      assert.equal(await ok.text(), IRIS_ANSWER);
      assertCarries(ok, expected);
    }
    const echoed = await predict(`${server.url}/invocations`, IRIS_ROW, { "X-Request-Id": "r-1" });
    await echoed.body?.cancel();
    assert.equal(echoed.headers.get("x-request-id"), "r-1");
    // Refusals on this path: a bad body (400) and an unknown model (404), in MLflow's shape.
    const bad = await predict(`${server.url}/invocations`, "{");
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error_code, "BAD_REQUEST");
    assertCarries(bad, expected);
    const unknown = await predict(`${server.url}/models/nope/invocations`);
    assert.equal(unknown.status, 404);
    const body = await unknown.json();
    assert.equal(body.error_code, "RESOURCE_DOES_NOT_EXIST");
    assert.equal(body.request_id, unknown.headers.get("x-request-id"));
    assertCarries(unknown, expected);
  });
});

Deno.test("prediction paths Hono decodes or does not route answer as Hono answers them", async () => {
  await withServer({ models: { iris: bundlePath("iris_mlp_onnx") } }, async (server) => {
    // A percent-encoded model name is decoded by Hono's router.
    const encoded = await predict(`${server.url}/models/%69ris/invocations`);
    assert.equal(encoded.status, 200);
    assert.equal(await encoded.text(), IRIS_ANSWER);
    // No model name, or the wrong method: not a prediction route.
    const empty = await predict(`${server.url}/models//invocations`);
    assert.equal(empty.status, 404);
    assert.equal((await empty.json()).error_code, "ENDPOINT_NOT_FOUND");
    const get = await fetch(`${server.url}/models/iris/invocations`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    await get.body?.cancel();
  });
});

Deno.test("with API keys, a valid key is answered and a missing one refused, both with secure headers", async () => {
  await withServer(
    { modelUri: bundlePath("iris_mlp_onnx"), apiKeys: ["k1", "k2"] },
    async (server) => {
      const expected = await secureHeadersOf(server.url);
      const valid: Record<string, string>[] = [{ Authorization: "Bearer k2" }, {
        "X-API-Key": "k1",
      }];
      for (const headers of valid) {
        const ok = await predict(`${server.url}/invocations`, IRIS_ROW, headers);
        assert.equal(ok.status, 200);
        assert.equal(await ok.text(), IRIS_ANSWER);
        assertCarries(ok, expected);
      }
      const invalid: Record<string, string>[] = [{}, { "X-API-Key": "k3" }];
      for (const headers of invalid) {
        const refused = await predict(`${server.url}/invocations`, IRIS_ROW, headers);
        assert.equal(refused.status, 401);
        assert.equal((await refused.json()).error_code, "UNAUTHENTICATED");
        for (const [name, value] of expected) assert.equal(refused.headers.get(name), value, name);
      }
    },
  );
});

Deno.test("without secure headers, prediction answers carry none", async () => {
  await withServer(
    { modelUri: bundlePath("iris_mlp_onnx"), secureHeaders: false },
    async (server) => {
      const res = await predict(`${server.url}/invocations`);
      assert.equal(await res.text(), IRIS_ANSWER);
      assert.equal(res.headers.get("x-content-type-options"), null);
      assert.equal(res.headers.get("strict-transport-security"), null);
      assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    },
  );
});
