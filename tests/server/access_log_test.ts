// Request ids and the JSON access log, over real HTTP.
import assert from "node:assert/strict";
import { createApp } from "../../src/server/app.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

const IRIS_ROW =
  '{"inputs": {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}}';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("every answer carries X-Request-Id: a sane incoming id is echoed, else one is generated", async () => {
  const app = createApp({ modelUri: bundlePath("iris_mlp_onnx"), log: () => {} });
  const server = serveOnFreePort(app.fetch);
  try {
    await app.ready();
    const u = server.url;
    const ids: string[] = [];
    for (const path of ["/ping", "/version", "/models", "/metrics", "/nope"]) {
      const res = await fetch(`${u}${path}`);
      await res.body?.cancel();
      const id = res.headers.get("x-request-id")!;
      assert.match(id, UUID, path);
      ids.push(id);
    }
    assert.equal(new Set(ids).size, ids.length, "generated ids are unique");

    const echoed = await fetch(`${u}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Request-Id": "caller-42:a/b=c" },
      body: IRIS_ROW,
    });
    assert.equal(echoed.status, 200);
    assert.equal(echoed.headers.get("x-request-id"), "caller-42:a/b=c");
    await echoed.body?.cancel();

    for (const bad of ["has space", "x".repeat(129), 'quote"d', "<script>", "a;b", "{}"]) {
      const res = await fetch(`${u}/ping`, { headers: { "X-Request-Id": bad } });
      await res.body?.cancel();
      assert.match(res.headers.get("x-request-id")!, UUID, `${bad} is replaced`);
    }

    // Error bodies carry the id beside MLflow's error_code and message.
    for (
      const [path, init] of [
        ["/invocations", { method: "POST", body: "{oops", headers: { "X-Request-Id": "bad-1" } }],
        ["/invocations", { method: "GET", headers: { "X-Request-Id": "bad-2" } }],
        ["/nowhere", { headers: { "X-Request-Id": "bad-3" } }],
        ["/models/none/invocations", {
          method: "POST",
          body: "{}",
          headers: { "X-Request-Id": "bad-4" },
        }],
      ] as [string, RequestInit][]
    ) {
      const res = await fetch(`${u}${path}`, init);
      const body = await res.json();
      const id = (init.headers as Record<string, string>)["X-Request-Id"];
      assert.equal(res.headers.get("x-request-id"), id);
      assert.deepEqual(Object.keys(body), ["error_code", "message", "request_id"], path);
      assert.equal(body.request_id, id);
    }
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("the access log writes one JSON line per request, and model events alike", async () => {
  const lines: string[] = [];
  const app = createApp({
    models: {
      iris: bundlePath("iris_mlp_onnx"),
      mnist: bundlePath("mnist_cnn_onnx"),
      iris2: bundlePath("iris_mlp_onnx"),
    },
    accessLog: (line) => lines.push(line),
    // Room for one model beside the pinned default: loading a third evicts the other.
    memoryBudgetBytes: 1,
    log: () => {},
  });
  const server = serveOnFreePort(app.fetch);
  try {
    await app.ready();
    const u = server.url;
    const ok = await fetch(`${u}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Request-Id": "ok-1" },
      body: IRIS_ROW,
    });
    const okBody = new Uint8Array(await ok.arrayBuffer());
    const bad = await fetch(`${u}/models/iris/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Request-Id": "bad-1" },
      body: '{"inputs": {"sepal length (cm)": "five"}}',
    });
    await bad.body?.cancel();
    await fetch(`${u}/ping`, { headers: { "X-Request-Id": "ping-1" } }).then((r) =>
      r.body?.cancel()
    );
    const mnist = await Deno.readTextFile(
      `${bundlePath("mnist_cnn_onnx")}/serving_input_example.json`,
    );
    const m = await fetch(`${u}/models/mnist/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Request-Id": "mnist-1" },
      body: mnist,
    });
    await m.body?.cancel();
    assert.equal(m.status, 200);
    await app.registry.get("mnist")!.reload();
    await app.registry.get("iris2")!.get();

    const records = lines.map((l) => JSON.parse(l));
    for (const r of records) assert.ok(!Number.isNaN(Date.parse(r.time)), "time is ISO 8601");
    const byId = new Map(records.filter((r) => r.request_id).map((r) => [r.request_id, r]));
    const okLine = byId.get("ok-1");
    assert.deepEqual(
      {
        ...okLine,
        time: undefined,
        parse_ms: undefined,
        infer_ms: undefined,
        serialize_ms: undefined,
        total_ms: undefined,
      },
      {
        time: undefined,
        request_id: "ok-1",
        method: "POST",
        path: "/invocations",
        model: "iris",
        protocol: "mlflow",
        status: 200,
        bytes_in: new TextEncoder().encode(IRIS_ROW).length,
        bytes_out: okBody.length,
        parse_ms: undefined,
        infer_ms: undefined,
        serialize_ms: undefined,
        total_ms: undefined,
      },
    );
    for (const k of ["parse_ms", "infer_ms", "serialize_ms", "total_ms"]) {
      assert.equal(typeof okLine[k], "number", k);
      assert.ok(okLine[k] >= 0, k);
    }
    assert.ok(okLine.total_ms >= okLine.parse_ms + okLine.infer_ms + okLine.serialize_ms - 0.01);
    const badLine = byId.get("bad-1");
    assert.equal(badLine.status, 400);
    assert.equal(badLine.model, "iris");
    assert.equal(badLine.error_code, "BAD_REQUEST");
    assert.equal(badLine.parse_ms, null);
    const pingLine = byId.get("ping-1");
    assert.equal(pingLine.path, "/ping");
    assert.equal(pingLine.model, null);
    assert.equal(pingLine.protocol, null);
    assert.equal(byId.get("mnist-1").model, "mnist");
    assert.equal(lines.filter((l) => l.includes('"request_id"')).length, 4, "one line per request");

    const events = records.filter((r) => r.event).map((r) => [r.event, r.model]);
    assert.deepEqual(events, [
      ["model_load", "iris"],
      ["model_load", "mnist"],
      ["model_reload", "mnist"],
      ["model_load", "iris2"],
      ["model_evict", "mnist"],
      ["model_unload", "mnist"],
    ]);
    const load = records.find((r) => r.event === "model_load" && r.model === "iris2");
    assert.ok(load.ms > 0);
    assert.equal(load.bytes, app.registry.get("iris2")!.sizeBytes);
    assert.equal(load.uri, bundlePath("iris_mlp_onnx"));
    // The load's stages, in milliseconds, add up to (nearly) the whole load.
    const stages = ["backend", "fetch", "mlmodel", "session", "signature", "self_check"];
    assert.deepEqual(Object.keys(load.stages), stages);
    for (const stage of stages) assert.ok(load.stages[stage] >= 0, stage);
    assert.ok(load.stages.session > 0);
    const sum = stages.reduce((total, stage) => total + load.stages[stage], 0);
    assert.ok(sum <= load.ms + 0.1, `${sum} > ${load.ms}`);
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("utf8Length counts UTF-8 bytes as TextEncoder writes them", async () => {
  const { utf8Length } = await import("../../src/server/access_log.ts");
  for (const s of ["", "abc", "né", "€", "😀", "a😀b€é", "\ud800", "x\udc00y", "\ud800\ud800"]) {
    assert.equal(utf8Length(s), new TextEncoder().encode(s).length, JSON.stringify(s));
  }
});
