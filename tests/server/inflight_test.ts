// The global bound on prediction work in flight, over real HTTP: bodies that have announced
// their size hold their bytes until answered; past the bound a request gets 503 with MLflow's
// error shape and Retry-After, and the server goes on serving.
import assert from "node:assert/strict";
import { createApp } from "../../src/server/app.ts";
import { appOptionsFromEnv } from "../../src/server/options_from_env.ts";
import { serveConfig } from "../../src/cli.ts";
import { InflightLimiter } from "../../src/server/inflight.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

const ROW =
  '{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2]]}}';

/** A connection that has sent its headers (announcing `length` bytes) and part of the body. */
async function hangingBody(port: number, length: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${length}\r\n\r\n{"dataframe_split": `,
    ),
  );
  return conn;
}

const post = (url: string, body: string | Uint8Array) =>
  fetch(`${url}/invocations`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body as BodyInit,
  });

Deno.test("large bodies past the in-flight byte bound get 503 with Retry-After while the server keeps serving", async () => {
  const app = createApp({
    modelUri: bundlePath("iris_mlp_onnx"),
    maxInflightBytes: 3 * 1024 * 1024,
    log: () => {},
  });
  await app.ready();
  const server = serveOnFreePort(app.fetch);
  const port = Number(new URL(server.url).port);
  const held: Deno.TcpConn[] = [];
  try {
    // Three 1 MiB bodies in flight (headers sent, body unfinished) fill the 3 MiB budget.
    for (let i = 0; i < 3; i++) held.push(await hangingBody(port, 1024 * 1024));
    // Give the server time to see their headers.
    await new Promise((r) => setTimeout(r, 200));
    const big = new Uint8Array(512 * 1024).fill(0x20);
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(server.url, big)));
    for (const res of answers) {
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "1");
      const body = await res.json();
      assert.equal(body.error_code, "TEMPORARILY_UNAVAILABLE");
      assert.match(body.message, /limit of 3145728 bytes of request bodies in flight/);
    }
    // /ping is not bounded.
    assert.equal((await fetch(`${server.url}/ping`)).status, 200);
    // Once the held bodies are gone, the server answers predictions again.
    for (const c of held.splice(0)) c.close();
    await new Promise((r) => setTimeout(r, 200));
    const ok = await post(server.url, ROW);
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /^\{"predictions": /);
  } finally {
    for (const c of held) c.close();
    await server.close();
    await app.close();
  }
});

Deno.test("requests past the in-flight request bound get 503; chunked bodies count as they are read", async () => {
  const app = createApp({
    modelUri: bundlePath("iris_mlp_onnx"),
    maxInflightRequests: 2,
    maxInflightBytes: 64 * 1024,
    log: () => {},
  });
  await app.ready();
  const server = serveOnFreePort(app.fetch);
  const port = Number(new URL(server.url).port);
  const held: Deno.TcpConn[] = [];
  try {
    held.push(await hangingBody(port, 1000));
    await new Promise((r) => setTimeout(r, 200));
    // A chunked body (no Content-Length) beside it is refused once its bytes pass the budget.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 8; i++) c.enqueue(new Uint8Array(16 * 1024).fill(0x20));
        c.close();
      },
    });
    const chunked = await post(server.url, chunks as unknown as Uint8Array);
    assert.equal(chunked.status, 503);
    assert.match((await chunked.json()).message, /bytes of request bodies in flight/);
    held.push(await hangingBody(port, 1000));
    await new Promise((r) => setTimeout(r, 200));
    const third = await post(server.url, ROW);
    assert.equal(third.status, 503);
    assert.equal(third.headers.get("retry-after"), "1");
    assert.match((await third.json()).message, /limit of 2 requests in flight/);
    for (const c of held.splice(0)) c.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await post(server.url, ROW)).status, 200);
  } finally {
    for (const c of held) c.close();
    await server.close();
    await app.close();
  }
});

Deno.test("the in-flight bounds and the element bound come from flags and MLFLOW_EDGE_ variables", async () => {
  const env = {
    MLFLOW_EDGE_MAX_INFLIGHT_REQUESTS: "8",
    MLFLOW_EDGE_MAX_INFLIGHT_BYTES: "1048576",
    MLFLOW_EDGE_MAX_ELEMENTS: "5000",
  };
  const fromEnv = appOptionsFromEnv(env);
  assert.equal(fromEnv.maxInflightRequests, 8);
  assert.equal(fromEnv.maxInflightBytes, 1048576);
  assert.equal(fromEnv.limits?.maxElements, 5000);
  const config = await serveConfig(
    ["--max-inflight-requests", "3", "--max-inflight-bytes", "2048", "--max-elements", "77"],
    env,
  );
  assert.equal(config.app.maxInflightRequests, 3);
  assert.equal(config.app.maxInflightBytes, 2048);
  assert.equal(config.app.limits?.maxElements, 77);
  assert.throws(() => appOptionsFromEnv({ MLFLOW_EDGE_MAX_INFLIGHT_REQUESTS: "1.5" }), /whole/);
});

Deno.test("a body over the server's element bound is refused with 400 naming the bound", async () => {
  const app = createApp({ modelUri: bundlePath("iris_mlp_onnx"), log: () => {} });
  await app.ready();
  const server = serveOnFreePort(app.fetch);
  try {
    const rows = Array(200_001).fill("[5.1, 3.5, 1.4, 0.2]").join(", ");
    const res = await post(
      server.url,
      `{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [${rows}]}}`,
    );
    assert.equal(res.status, 400);
    assert.match((await res.json()).message, /more than 1000000 elements/);
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("the limiter lets one request alone use the whole budget and never reserves less than nothing", () => {
  const limiter = new InflightLimiter({ maxRequests: 10, maxBytes: 100 });
  const big = limiter.acquire(500); // alone: admitted even past the budget
  assert.throws(() => limiter.acquire(1), /limit of 100 bytes/);
  big.release();
  big.release(); // idempotent
  assert.equal(limiter.bytes, 0);
  assert.equal(limiter.requests, 0);
  const a = limiter.acquire(-1_000_000); // a lying length reserves nothing, frees nothing
  const b = limiter.acquire(60);
  assert.throws(() => limiter.acquire(60), /limit of 100 bytes/);
  a.grow(-50);
  assert.equal(limiter.bytes, 60);
  a.release();
  b.release();
  assert.equal(limiter.bytes, 0);
});
