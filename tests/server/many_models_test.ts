import assert from "node:assert/strict";
import { copy } from "./_copy.ts";
import { type LoadedModel, loadModel, type LoadModelOptions } from "../../src/model/mod.ts";
import { createApp, ModelRegistry, ModelSlot } from "../../src/server/mod.ts";
import { goldenCases } from "../_golden.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

const IRIS_ROW =
  '{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2]]}}';
const IRIS_ANSWER =
  '{"predictions": [{"probabilities": 0.9999592304229736}, {"probabilities": 4.073565287399106e-05}, {"probabilities": 1.2630649530562168e-14}]}';
const body = new TextEncoder().encode(IRIS_ROW);

const post = (url: string, text: string) =>
  fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: text });

/** loadModel, counting the loads it performs. */
function countingLoad() {
  const counter = {
    loads: 0,
    load: (uri: string, options: LoadModelOptions): Promise<LoadedModel> => {
      counter.loads++;
      return loadModel(uri, options);
    },
  };
  return counter;
}

Deno.test("two models are served at once, each at its own path, and the default at /invocations", async () => {
  const app = createApp({
    modelUri: bundlePath("iris_mlp_onnx"),
    models: { mnist: bundlePath("mnist_cnn_onnx") },
    log: () => {},
  });
  const server = serveOnFreePort(app.fetch);
  try {
    await app.ready();
    const before = await fetch(`${server.url}/models/mnist/ping`);
    assert.equal(before.status, 503);
    assert.match((await before.json()).message, /loads on its first request/);
    const [mnistCase] = await goldenCases("mnist_cnn_onnx");
    const mnist = await post(`${server.url}/models/mnist/invocations`, mnistCase.body);
    assert.equal(mnist.status, 200);
    const logits = (await mnist.json()).predictions.logits;
    assert.equal(logits.length, 2);
    assert.equal((await fetch(`${server.url}/models/mnist/ping`)).status, 200);
    const iris = await post(`${server.url}/invocations`, IRIS_ROW);
    assert.equal(await iris.text(), IRIS_ANSWER);
    const byName = await post(`${server.url}/models/default/invocations`, IRIS_ROW);
    assert.equal(await byName.text(), IRIS_ANSWER);
    const listing = await (await fetch(`${server.url}/models`)).json();
    assert.deepEqual(
      listing.models.map((m: { name: string; state: string }) => [m.name, m.state]),
      [
        ["default", "ready"],
        ["mnist", "ready"],
      ],
    );
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("concurrent first requests share one load", async () => {
  const counter = countingLoad();
  const slot = new ModelSlot("iris", bundlePath("iris_mlp_onnx"), { load: counter.load });
  assert.equal(slot.state, "unloaded");
  const results = await Promise.all(
    Array.from({ length: 10 }, () => slot.invoke(body, "application/json")),
  );
  assert.equal(counter.loads, 1);
  for (const r of results) assert.equal(r.text, IRIS_ANSWER);
  assert.equal(slot.state, "ready");
  await slot.unload();
  assert.equal(slot.state, "unloaded");
});

Deno.test("models over the memory budget are unloaded least recently used first", async () => {
  const counter = countingLoad();
  const irisBytes = (await loadModel(bundlePath("iris_mlp_onnx"), { selfCheck: false })).sizeBytes;
  const registry = new ModelRegistry({
    memoryBudgetBytes: Math.floor(irisBytes * 1.5),
    load: counter.load,
    log: () => {},
  });
  const a = registry.add("a", bundlePath("iris_mlp_onnx"));
  const b = registry.add("b", bundlePath("iris_mlp_onnx"));
  try {
    await a.invoke(body, "application/json");
    assert.equal(a.state, "ready");
    await b.invoke(body, "application/json");
    assert.equal(b.state, "ready");
    assert.equal(a.state, "unloaded");
    assert.ok(registry.loadedBytes <= irisBytes * 1.5);
    const again = await a.invoke(body, "application/json");
    assert.equal(again.text, IRIS_ANSWER);
    assert.equal(b.state, "unloaded");
    assert.equal(counter.loads, 3);
  } finally {
    await registry.close();
  }
});

Deno.test("a model that fails to load does not take down the others", async () => {
  const app = createApp({
    models: { good: bundlePath("iris_mlp_onnx"), bad: bundlePath("iris_mlp_pytorch") },
    log: () => {},
  });
  const server = serveOnFreePort(app.fetch);
  try {
    const bad = await post(`${server.url}/models/bad/invocations`, IRIS_ROW);
    assert.equal(bad.status, 503);
    assert.match((await bad.json()).message, /flavor "pytorch"/);
    const good = await post(`${server.url}/models/good/invocations`, IRIS_ROW);
    assert.equal(await good.text(), IRIS_ANSWER);
    const badPing = await fetch(`${server.url}/models/bad/ping`);
    assert.equal(badPing.status, 503);
    assert.match((await badPing.json()).message, /failed to load/);
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("a reload under load swaps the version without dropping a request", async () => {
  const v2 = await Deno.makeTempDir();
  await copy(bundlePath("iris_mlp_onnx"), v2);
  const app = createApp({ models: { iris: bundlePath("iris_mlp_onnx") }, log: () => {} });
  const server = serveOnFreePort(app.fetch);
  const slot = app.registry.get("iris")!;
  try {
    await post(`${server.url}/models/iris/invocations`, IRIS_ROW).then((r) => r.text());
    let stop = false;
    const statuses: number[] = [];
    const wrong: string[] = [];
    const client = async () => {
      while (!stop) {
        const res = await post(`${server.url}/models/iris/invocations`, IRIS_ROW);
        const text = await res.text();
        statuses.push(res.status);
        if (text !== IRIS_ANSWER) wrong.push(text);
      }
    };
    const clients = Array.from({ length: 8 }, client);
    const first = slot.current;
    await slot.reload(v2);
    assert.notEqual(slot.current, first);
    assert.equal(slot.uri, v2);
    await slot.reload(bundlePath("iris_mlp_onnx"));
    await slot.reload(v2);
    stop = true;
    await Promise.all(clients);
    assert.ok(statuses.length > 0);
    assert.deepEqual([...new Set(statuses)], [200]);
    assert.deepEqual(wrong, []);
    assert.equal(first?.inflight, 0);
  } finally {
    await server.close();
    await app.close();
    await Deno.remove(v2, { recursive: true });
  }
});

Deno.test("a failed reload keeps serving the old version", async () => {
  const slot = new ModelSlot("iris", bundlePath("iris_mlp_onnx"));
  try {
    await slot.get();
    await assert.rejects(slot.reload(bundlePath("iris_mlp_pytorch")), /flavor "pytorch"/);
    assert.equal(slot.state, "ready");
    assert.equal(slot.uri, bundlePath("iris_mlp_onnx"));
    assert.equal((await slot.invoke(body, "application/json")).text, IRIS_ANSWER);
  } finally {
    await slot.unload();
  }
});

Deno.test("model URIs are listed and reported without credentials", async () => {
  const uri = "https://user:s3cret@127.0.0.1:9/model?X-Amz-Signature=t0ken";
  const app = createApp({
    models: { remote: uri },
    log: () => {},
    store: { retries: 0, timeoutMs: 500 },
  });
  const server = serveOnFreePort(app.fetch);
  try {
    const listing = await (await fetch(`${server.url}/models`)).text();
    // The listing is unauthenticated: state only, no URI or host.
    assert.doesNotMatch(listing, /127\.0\.0\.1/);
    assert.match(listing, /"name":"remote"/);
    const failed = await post(`${server.url}/models/remote/invocations`, IRIS_ROW);
    assert.equal(failed.status, 503);
    const texts = [
      listing,
      await failed.text(),
      await (await fetch(`${server.url}/models`)).text(),
    ];
    for (const text of texts) assert.doesNotMatch(text, /s3cret|t0ken/);
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("POST /models/{name}/reload needs the admin token and swaps in a new version", async () => {
  const v2 = await Deno.makeTempDir();
  await copy(bundlePath("iris_mlp_onnx"), v2);
  const app = createApp({
    models: { iris: bundlePath("iris_mlp_onnx") },
    adminToken: "s3cret-token",
    log: () => {},
  });
  const server = serveOnFreePort(app.fetch);
  const reload = (headers: Record<string, string>, body?: string) =>
    fetch(`${server.url}/models/iris/reload`, { method: "POST", headers, body });
  try {
    const anonymous = await reload({});
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).error_code, "UNAUTHENTICATED");
    const wrong = await reload({ Authorization: "Bearer nope" });
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).error_code, "PERMISSION_DENIED");
    const auth = { Authorization: "Bearer s3cret-token" };
    const ok = await reload(auth, JSON.stringify({ uri: v2 }));
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { name: "iris", uri: v2, state: "ready" });
    assert.equal(app.registry.get("iris")!.uri, v2);
    const served = await post(`${server.url}/models/iris/invocations`, IRIS_ROW);
    assert.equal(await served.text(), IRIS_ANSWER);
    const bad = await reload(auth, JSON.stringify({ uri: bundlePath("iris_mlp_pytorch") }));
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).message, /flavor "pytorch"/);
    assert.equal(app.registry.get("iris")!.uri, v2);
    const garbage = await reload(auth, "{not json");
    assert.equal(garbage.status, 400);
    await garbage.body?.cancel();
  } finally {
    await server.close();
    await app.close();
    await Deno.remove(v2, { recursive: true });
  }
});

Deno.test("without an admin token there is no reload endpoint", async () => {
  const app = createApp({ models: { iris: bundlePath("iris_mlp_onnx") }, log: () => {} });
  const res = await app.request("/models/iris/reload", { method: "POST" });
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error_code, "ENDPOINT_NOT_FOUND");
  await app.close();
});
