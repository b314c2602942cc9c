// API keys, CORS and secure headers over real HTTP.
import assert from "node:assert/strict";
import { createApp } from "../../src/server/app.ts";
import { isOpenPath, matchesAnyKey } from "../../src/server/auth.ts";
import { appOptionsFromEnv } from "../../src/server/options_from_env.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

const IRIS_ROW =
  '{"inputs": {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}}';

function predict(url: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/invocations`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: IRIS_ROW,
  });
}

Deno.test("API keys: missing, wrong and rotated keys; health stays open", async () => {
  // The keys come through the same environment mapping as the CLI and the edge entries.
  const env = appOptionsFromEnv({
    MODEL_URI: bundlePath("iris_mlp_onnx"),
    MLFLOW_EDGE_API_KEYS: "key-new, key-old",
    MLFLOW_EDGE_ADMIN_TOKEN: "adm1n",
  });
  assert.deepEqual(env.apiKeys, ["key-new", "key-old"]);
  const app = createApp({ ...env, log: () => {} });
  const server = serveOnFreePort(app.fetch);
  try {
    await app.ready();
    const u = server.url;

    const missing = await predict(u);
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
    const missingBody = await missing.json();
    assert.equal(missingBody.error_code, "UNAUTHENTICATED");
    assert.match(missingBody.message, /needs an API key/);
    assert.equal(missingBody.request_id, missing.headers.get("x-request-id"));

    for (
      const wrong of ["Bearer key-ne", "Bearer key-neww", "Bearer adm1n", "Basic a2V5LW5ldw=="]
    ) {
      const res = await predict(u, { Authorization: wrong });
      assert.equal(res.status, 401, wrong);
      assert.equal((await res.json()).error_code, "UNAUTHENTICATED", wrong);
    }
    // Both keys of a rotation work, as a bearer token or an X-API-Key header.
    for (
      const headers of [
        { Authorization: "Bearer key-new" },
        { Authorization: "bearer key-old" },
        { "X-API-Key": "key-old" },
      ] as Record<string, string>[]
    ) {
      const res = await predict(u, headers);
      assert.equal(res.status, 200, JSON.stringify(headers));
      assert.match(await res.text(), /^\{"predictions"/);
    }
    for (const path of ["/version", "/models", "/models/default/invocations"]) {
      const res = await fetch(`${u}${path}`, {
        method: path.endsWith("invocations") ? "POST" : "GET",
      });
      await res.body?.cancel();
      assert.equal(res.status, 401, path);
    }
    // Open: health, metrics; reload is the admin token's, not an API key's.
    for (
      const path of [
        "/ping",
        "/health",
        "/models/default/ping",
        "/models/default/health",
        "/metrics",
      ]
    ) {
      const res = await fetch(`${u}${path}`);
      await res.body?.cancel();
      assert.equal(res.status, 200, path);
    }
    const reloadWithKey = await fetch(`${u}/models/default/reload`, {
      method: "POST",
      headers: { Authorization: "Bearer key-new" },
    });
    assert.equal(reloadWithKey.status, 401);
    assert.equal((await reloadWithKey.json()).error_code, "PERMISSION_DENIED");

    // The refusals are counted like every other prediction request.
    const metrics = await (await fetch(`${u}/metrics`)).text();
    assert.match(
      metrics,
      /^mlflow_edge_requests_total\{model="default",protocol="mlflow",status="401"\} 6$/m,
    );
    assert.match(
      metrics,
      /^mlflow_edge_requests_total\{model="default",protocol="mlflow",status="200"\} 3$/m,
    );
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("CORS: preflight and simple requests from allowed origins only, and secure headers", async () => {
  const app = createApp({
    ...appOptionsFromEnv({
      MODEL_URI: bundlePath("iris_mlp_onnx"),
      MLFLOW_EDGE_CORS_ORIGINS: "https://app.example.com,https://other.example.com",
      MLFLOW_EDGE_API_KEYS: "k",
    }),
    log: () => {},
  });
  const server = serveOnFreePort(app.fetch);
  try {
    await app.ready();
    const u = server.url;
    const preflight = await fetch(`${u}/invocations`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization",
      },
    });
    await preflight.body?.cancel();
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example.com");
    assert.match(preflight.headers.get("access-control-allow-methods")!, /POST/);
    assert.match(preflight.headers.get("access-control-allow-headers")!, /authorization/i);
    assert.equal(preflight.headers.get("access-control-max-age"), "600");

    const other = await fetch(`${u}/invocations`, {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example.net", "Access-Control-Request-Method": "POST" },
    });
    await other.body?.cancel();
    assert.equal(other.headers.get("access-control-allow-origin"), null);

    const actual = await predict(u, {
      Origin: "https://other.example.com",
      Authorization: "Bearer k",
    });
    assert.equal(actual.status, 200);
    await actual.body?.cancel();
    assert.equal(actual.headers.get("access-control-allow-origin"), "https://other.example.com");
    assert.match(actual.headers.get("access-control-expose-headers")!, /X-Request-Id/);
    // A refusal still tells the browser's page why (CORS headers on the 401).
    const refused = await predict(u, { Origin: "https://other.example.com" });
    await refused.body?.cancel();
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get("access-control-allow-origin"), "https://other.example.com");

    for (const res of [actual, refused]) {
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("x-frame-options"), "SAMEORIGIN");
      assert.match(res.headers.get("strict-transport-security")!, /max-age=/);
    }
  } finally {
    await server.close();
    await app.close();
  }

  const plain = createApp({
    modelUri: bundlePath("iris_mlp_onnx"),
    secureHeaders: false,
    log: () => {},
  });
  const res = await plain.request("/ping");
  assert.equal(res.headers.get("x-content-type-options"), null);
  assert.equal(res.headers.get("access-control-allow-origin"), null);
  await plain.close();
});

Deno.test("key comparison and the open paths", () => {
  assert.equal(matchesAnyKey("abc", ["abc"]), true);
  assert.equal(matchesAnyKey("abcd", ["abc"]), false);
  assert.equal(matchesAnyKey("ab", ["abc"]), false);
  assert.equal(matchesAnyKey("", ["abc"]), false);
  assert.equal(matchesAnyKey("xyz", ["abc", "xyz"]), true);
  assert.equal(matchesAnyKey("abc\u0000", ["abc"]), false);
  for (
    const open of [
      "/ping",
      "/health",
      "/metrics",
      "/v2/health/live",
      "/models/x/ping",
      "/models/x/reload",
    ]
  ) {
    assert.equal(isOpenPath(open), true, open);
  }
  for (
    const closed of [
      "/invocations",
      "/models",
      "/models/x/invocations",
      "/version",
      "/v2/models/x/infer",
      "/ping/x",
    ]
  ) {
    assert.equal(isOpenPath(closed), false, closed);
  }
});
