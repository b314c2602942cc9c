import assert from "node:assert/strict";
import { rawRequest } from "./_raw_http.ts";
import { bundlePath, IRIS_ANSWER, IRIS_SPLIT_ROW, withAppServer } from "./_server.ts";

const IRIS_ROW = IRIS_SPLIT_ROW;
const withServer = withAppServer;

const post = (url: string, body: BodyInit, contentType = "application/json") =>
  fetch(url, { method: "POST", headers: { "Content-Type": contentType }, body });

async function assertServes(url: string): Promise<void> {
  const res = await post(`${url}/invocations`, IRIS_ROW);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), IRIS_ANSWER);
}

Deno.test("ping and health answer a newline once the model is ready, version the model's MLflow", async () => {
  await withServer({ modelUri: bundlePath("iris_mlp_onnx") }, async (server, app) => {
    await app.ready();
    for (const path of ["/ping", "/health"]) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.equal(await res.text(), "\n");
    }
    const version = await fetch(`${server.url}/version`);
    assert.equal(await version.text(), "3.6.1.dev0");
    const head = await fetch(`${server.url}/ping`, { method: "HEAD" });
    assert.equal(head.status, 200);
    await head.body?.cancel();
  });
});

Deno.test("invocations answers MLflow's exact JSON text with a Server-Timing header", async () => {
  await withServer({ modelUri: bundlePath("iris_mlp_onnx") }, async (server) => {
    const res = await post(`${server.url}/invocations`, IRIS_ROW);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.equal(await res.text(), IRIS_ANSWER);
    const timing = res.headers.get("server-timing") ?? "";
    for (const stage of ["parse", "infer", "serialize", "total"]) {
      assert.match(timing, new RegExp(`${stage};dur=[0-9.]+`));
    }
  });
});

Deno.test("malformed bodies and wrong content types get MLflow's statuses and JSON errors", async () => {
  await withServer({ modelUri: bundlePath("iris_mlp_onnx") }, async (server) => {
    const cases: [BodyInit, string, number, string | null][] = [
      ["this is,,,, not valid json", "application/json", 400, "BAD_REQUEST"],
      ["", "application/json", 400, "BAD_REQUEST"],
      ['{"dataframe_split": {"data": [[1, 2]]', "application/json", 400, "BAD_REQUEST"],
      [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "application/json", 400, "BAD_REQUEST"],
      ["[1, 2]", "application/json", 400, "BAD_REQUEST"],
      [IRIS_ROW, "text/plain", 415, null],
      [IRIS_ROW, "application/json; charset=latin-1", 415, null],
      [IRIS_ROW, "Application/JSON", 415, null],
      ["a,b\n1,2\n", "text/csv", 400, "INVALID_PARAMETER_VALUE"],
    ];
    for (const [body, type, status, code] of cases) {
      const res = await post(`${server.url}/invocations`, body, type);
      const text = await res.text();
      assert.equal(res.status, status, `${type} ${String(body).slice(0, 40)}: ${text}`);
      assert.equal(res.headers.get("content-type"), "application/json");
      const json = JSON.parse(text);
      assert.equal(typeof json.message, "string");
      assert.doesNotMatch(json.message, /TypeError|at .*\.ts:\d+/);
      if (code) assert.equal(json.error_code, code, text);
    }
    await assertServes(server.url);
  });
});

Deno.test("unknown paths and methods answer 404 and 405 in MLflow's error shape", async () => {
  await withServer({ modelUri: bundlePath("iris_mlp_onnx") }, async (server) => {
    const missing = await fetch(`${server.url}/nope`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error_code, "ENDPOINT_NOT_FOUND");
    const wrong = await fetch(`${server.url}/invocations`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
    assert.equal((await wrong.json()).error_code, "BAD_REQUEST");
    const unknownModel = await post(`${server.url}/models/nope/invocations`, IRIS_ROW);
    assert.equal(unknownModel.status, 404);
    assert.equal((await unknownModel.json()).error_code, "RESOURCE_DOES_NOT_EXIST");
  });
});

Deno.test("a body over the limit gets 413, by Content-Length or chunked, and serving goes on", async () => {
  await withServer(
    { modelUri: bundlePath("iris_mlp_onnx"), bodyLimit: 1000 },
    async (server, app) => {
      await app.ready();
      const big = await post(`${server.url}/invocations`, "x".repeat(1001));
      assert.equal(big.status, 413);
      const json = await big.json();
      assert.equal(json.error_code, "BAD_REQUEST");
      assert.match(json.message, /limit of 1000 bytes/);
      const port = Number(new URL(server.url).port);
      const chunk = "x".repeat(600);
      const chunked = await rawRequest(port, [
        "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n",
        `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
        `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
      ]);
      assert.equal(chunked.status, 413);
      assert.equal(JSON.parse(chunked.body).error_code, "BAD_REQUEST");
      await assertServes(server.url);
    },
  );
});

Deno.test("a body that stalls past the timeout gets 504 DEADLINE_EXCEEDED and serving goes on", async () => {
  await withServer(
    { modelUri: bundlePath("iris_mlp_onnx"), timeoutMs: 1000 },
    async (server, app) => {
      await app.ready();
      const port = Number(new URL(server.url).port);
      const res = await rawRequest(port, [
        "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${IRIS_ROW.length}\r\n\r\n`,
        IRIS_ROW.slice(0, 20),
        { delayMs: 3000, data: IRIS_ROW.slice(20) },
      ]);
      assert.equal(res.status, 504);
      assert.deepEqual(JSON.parse(res.body), {
        error_code: "DEADLINE_EXCEEDED",
        message: "Request processing time exceeded limit",
        request_id: res.headers["x-request-id"],
      });
      await assertServes(server.url);
    },
  );
});

Deno.test("requests that arrive while the model loads wait for it instead of failing", async () => {
  await withServer({ modelUri: bundlePath("iris_mlp_onnx") }, async (server) => {
    const answers = await Promise.all(
      [1, 2, 3].map(() => post(`${server.url}/invocations`, IRIS_ROW)),
    );
    for (const res of answers) {
      assert.equal(res.status, 200);
      assert.equal(await res.text(), IRIS_ANSWER);
    }
  });
});

Deno.test("the library predict takes a string, bytes or an envelope object", async () => {
  const { loadModel } = await import("../../src/model/mod.ts");
  const model = await loadModel(bundlePath("iris_mlp_onnx"));
  try {
    const expected = JSON.parse(IRIS_ANSWER);
    assert.deepEqual(await model.predict(IRIS_ROW), expected);
    assert.deepEqual(await model.predict(new TextEncoder().encode(IRIS_ROW)), expected);
    assert.deepEqual(await model.predict(JSON.parse(IRIS_ROW)), expected);
    await assert.rejects(
      model.predict("{}"),
      (err: Error & { status?: number }) => err.status === 400,
    );
  } finally {
    await model.close();
  }
});

Deno.test("a client that hangs up mid-body is no internal error and serving goes on", async () => {
  const logged: string[] = [];
  await withServer(
    { modelUri: bundlePath("iris_mlp_onnx"), log: (m) => logged.push(m) },
    async (server, app) => {
      await app.ready();
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(new URL(server.url).port),
      });
      await conn.write(
        new TextEncoder().encode(
          "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
            'Content-Length: 500\r\n\r\n{"dataframe_split": ',
        ),
      );
      conn.close();
      await assertServes(server.url);
      await assertServes(server.url);
    },
  );
  assert.deepEqual(logged.filter((m) => /Internal error/.test(m)), []);
});
