import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { createApp } from "../../src/server/mod.ts";
import { V2_ROUTES, V2_SCHEMAS } from "../../src/server/v2/mod.ts";
import { httpFetcher } from "../runtimes/_replay.ts";
import { binaryRequest, readBinaryAnswer, replayV2, v2Cases } from "../runtimes/_v2.ts";
import { copy } from "./_copy.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";
import { ELEM, onnxModel } from "../runtime/_onnx_builder.ts";

const IRIS = bundlePath("iris_mlp_onnx");
const MNIST = bundlePath("mnist_cnn_onnx");
const [IRIS_CASE] = v2Cases("iris_mlp_onnx");

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), requestId: res.headers.get("x-request-id") };
}

/** The iris bundle with `inputs` as its signature (refusals happen before inference). */
async function irisWithSignature(dir: string, inputs: string): Promise<string> {
  await copy(IRIS, dir);
  const mlmodel = parse(await Deno.readTextFile(`${dir}/MLmodel`));
  mlmodel.signature = { inputs, outputs: null, params: null };
  delete mlmodel.saved_input_example_info;
  await Deno.writeTextFile(`${dir}/MLmodel`, stringify(mlmodel));
  return dir;
}

Deno.test("V2 over real HTTP: metadata and inference (JSON and binary) equal MLflow's recorded outputs", async (t) => {
  const app = createApp({ models: { iris: IRIS, mnist: MNIST }, log: () => {} });
  await app.ready();
  const server = serveOnFreePort(app.fetch);
  try {
    await replayV2(t, "iris_mlp_onnx", httpFetcher(server.url), "iris");
    await replayV2(t, "mnist_cnn_onnx", httpFetcher(server.url), "mnist");
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("V2 server routes: health, server metadata, model list and readiness", async () => {
  const app = createApp({ modelUri: IRIS, models: { mnist: MNIST }, log: () => {} });
  const server = serveOnFreePort(app.fetch);
  const get = async (path: string) => {
    const res = await fetch(server.url + path);
    return { status: res.status, body: await res.json() };
  };
  try {
    assert.deepEqual(await get("/v2/health/live"), { status: 200, body: { live: true } });
    // Ready once the model loaded at start is loaded (503 before).
    const early = await get("/v2/health/ready");
    assert.ok(early.status === 503 && early.body.ready === false || early.status === 200);
    await app.ready();
    assert.deepEqual(await get("/v2/health/ready"), { status: 200, body: { ready: true } });
    const meta = await get("/v2");
    assert.equal(meta.body.name, "mlflow-edge");
    assert.deepEqual(meta.body.extensions, ["binary_tensor_data"]);
    const version = JSON.parse(await Deno.readTextFile("deno.json")).version;
    assert.equal(meta.body.version, version);
    assert.deepEqual(await get("/v2/models"), {
      status: 200,
      body: { models: ["default", "mnist"] },
    });
    // The default model answers under its name.
    assert.deepEqual(await get("/v2/models/default/ready"), {
      status: 200,
      body: { name: "default", ready: true },
    });
    // A model loaded on first use is not ready yet; asking starts its load.
    assert.deepEqual(await get("/v2/models/mnist/ready"), {
      status: 503,
      body: { name: "mnist", ready: false },
    });
    for (let i = 0; i < 200 && app.registry.get("mnist")!.state !== "ready"; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(await get("/v2/models/mnist/ready"), {
      status: 200,
      body: { name: "mnist", ready: true },
    });
    const missing = await get("/v2/models/nope/ready");
    assert.equal(missing.status, 404);
    assert.match(missing.body.error, /No model named "nope"/);
    const version3 = await get("/v2/models/default/versions/3");
    assert.equal(version3.status, 404);
    assert.match(version3.body.error, /no version "3"/);
    const unknown = await get("/v2/whatever");
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error, /No endpoint/);
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("V2 inference: id echo, output selection, binary outputs on request, and refusals in V2's shape", async (t) => {
  const app = createApp({
    models: { iris: IRIS, mnist: MNIST },
    log: () => {},
    bodyLimit: 64 * 1024,
  });
  await app.ready();
  const server = serveOnFreePort(app.fetch);
  const url = `${server.url}/v2/models/iris/infer`;
  const inputs = IRIS_CASE.inputs;
  try {
    await t.step("an id is echoed; without one a fresh one is made", async () => {
      const a = await post(url, { id: "req-7", inputs });
      assert.equal(a.body.id, "req-7");
      const b = await post(url, { inputs });
      const c = await post(url, { inputs });
      assert.equal(b.status, 200);
      assert.ok(typeof b.body.id === "string" && b.body.id.length > 0 && b.body.id !== c.body.id);
      assert.equal(b.body.model_version, undefined);
    });
    await t.step("outputs: [{name}] selects outputs; an unknown name is refused", async () => {
      const a = await post(url, { inputs, outputs: [{ name: "probabilities" }] });
      assert.deepEqual(a.body.outputs.map((o: { name: string }) => o.name), ["probabilities"]);
      const b = await post(url, { inputs, outputs: [{ name: "label" }] });
      assert.equal(b.status, 400);
      assert.match(b.body.error, /no output "label".*"probabilities"/);
      const twice = await post(url, {
        inputs,
        outputs: [{ name: "probabilities" }, { name: "probabilities" }],
      });
      assert.equal(twice.status, 400);
      assert.match(twice.body.error, /"probabilities" is asked for twice/);
    });
    await t.step("parameters.binary_data on one output answers it as binary data", async () => {
      const res = await fetch(url, {
        method: "POST",
        body: JSON.stringify({
          inputs,
          outputs: [{ name: "probabilities", parameters: { binary_data: true } }],
        }),
      });
      assert.equal(res.headers.get("content-type"), "application/octet-stream");
      const { header, rest } = await readBinaryAnswer(res);
      assert.equal(header.outputs[0].parameters?.binary_data_size, rest.length);
      assert.equal(rest.length, IRIS_CASE.expected.probabilities.data.length * 4);
    });
    const refusals: [string, unknown, RegExp][] = [
      ["wrong datatype", {
        inputs: inputs.map((i, k) =>
          k === 0 ? { ...i, datatype: "BYTES", data: i.data.map(String) } : i
        ),
      }, /datatype BYTES.*double/],
      ["a value that is not of the declared datatype", {
        inputs: inputs.map((i, k) => k === 0 ? { ...i, data: ["x", ...i.data.slice(1)] } : i),
      }, /declared FP64.*"x".*not a number/],
      ["a missing input", { inputs: inputs.slice(1) }, /missing inputs \['sepal length \(cm\)'\]/],
      ["product(shape) != len(data)", {
        inputs: inputs.map((i, k) => k === 0 ? { ...i, data: i.data.slice(1) } : i),
      }, /shape \[\d+, 1\] \(\d+ elements\) but \d+ data values/],
      ["an unknown datatype", {
        inputs: inputs.map((i, k) => k === 0 ? { ...i, datatype: "FP128" } : i),
      }, /datatype "FP128"/],
      ["columns of different lengths", {
        inputs: inputs.map((i, k) => k === 0 ? { ...i, shape: [1, 1], data: [1] } : i),
      }, /rows/],
      ["an unknown field", { inputs, output: [] }, /Unknown field "output"/],
      ["no inputs", { inputs: [] }, /no "inputs"/],
      ["not JSON", "{inputs", /not valid JSON/],
    ];
    for (const [what, body, message] of refusals) {
      await t.step(`${what} is a 400 {"error"}`, async () => {
        const r = await post(url, body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        // V2's shape, with the request id the server's errors carry.
        assert.deepEqual(Object.keys(r.body), ["error", "request_id"]);
        assert.equal(r.body.request_id, r.requestId);
        assert.match(r.body.error, message);
      });
    }
    await t.step("an unknown model or version is a 404", async () => {
      const a = await post(`${server.url}/v2/models/nope/infer`, { inputs });
      assert.equal(a.status, 404);
      assert.match(a.body.error, /No model named "nope"/);
      const b = await post(`${server.url}/v2/models/iris/versions/2/infer`, { inputs });
      assert.equal(b.status, 404);
    });
    await t.step("a body over the limit is a 413 in V2's shape", async () => {
      const r = await post(url, { inputs, pad: "x".repeat(70 * 1024) });
      assert.equal(r.status, 413);
      assert.match(r.body.error, /limit/);
    });
    await t.step(
      "binary data is bounded by shape and datatype, and every byte is claimed",
      async () => {
        const mnist = `${server.url}/v2/models/mnist/infer`;
        const send = async (size: number, bytes: number, headerLength?: number) => {
          const { body, headerLength: h } = binaryRequest({
            inputs: [{
              name: "input-0",
              shape: [1, 28, 28, 1],
              datatype: "UINT8",
              parameters: { binary_data_size: size },
            }],
          }, [new Uint8Array(bytes)]);
          const res = await fetch(mnist, {
            method: "POST",
            headers: { "inference-header-content-length": String(headerLength ?? h) },
            body,
          });
          return { status: res.status, text: await res.text() };
        };
        assert.equal((await send(784, 784)).status, 200);
        const short = await send(783, 783);
        assert.equal(short.status, 400);
        assert.match(short.text, /needs 784 bytes/);
        const over = await send(784, 800);
        assert.equal(over.status, 400);
        assert.match(over.text, /16 bytes of binary data after the JSON header/);
        const beyond = await send(900, 784);
        assert.equal(beyond.status, 400);
        assert.match(beyond.text, /only 784 bytes of binary data are left/);
        const lying = await send(784, 784, 1 << 20);
        assert.equal(lying.status, 400);
        assert.match(lying.text, /Inference-Header-Content-Length/);
        const bad = await fetch(mnist, {
          method: "POST",
          headers: { "inference-header-content-length": "ten" },
          body: "{}",
        });
        assert.equal(bad.status, 400);
        assert.match((await bad.json()).error, /byte count/);
      },
    );
    await t.step("a tensor of the wrong shape or with fractional pixels is refused", async () => {
      const mnist = `${server.url}/v2/models/mnist/infer`;
      const px = new Array(27 * 27).fill(0);
      const a = await post(mnist, {
        inputs: [{ name: "input-0", shape: [1, 27, 27, 1], datatype: "UINT8", data: px }],
      });
      assert.equal(a.status, 400);
      assert.match(a.body.error, /does not match expected shape/);
      const b = await post(mnist, {
        inputs: [{
          name: "input-0",
          shape: [1, 28, 28, 1],
          datatype: "FP64",
          data: new Array(784).fill(0.5),
        }],
      });
      assert.equal(b.status, 400);
      assert.match(b.body.error, /datatype FP64.*uint8/);
    });
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("V2 bodies meet the lossless-or-loud rules of /invocations: same 400, same message", async () => {
  const root = await Deno.makeTempDir();
  const dir = await irisWithSignature(
    `${root}/ints`,
    '[{"type": "integer", "name": "n"}, {"type": "boolean", "name": "b"}]',
  );
  const app = createApp({ models: { ints: dir }, log: () => {} });
  const server = serveOnFreePort(app.fetch);
  try {
    // 2**31 in an int32 column would wrap in MLflow; both doors refuse it the same way.
    const v2 = await post(`${server.url}/v2/models/ints/infer`, {
      inputs: [
        { name: "n", shape: [2, 1], datatype: "INT64", data: [1, 2147483648] },
        { name: "b", shape: [2, 1], datatype: "BOOL", data: [true, false] },
      ],
    });
    const mlflow = await post(`${server.url}/models/ints/invocations`, {
      dataframe_split: { columns: ["n", "b"], data: [[1, true], [2147483648, false]] },
    });
    assert.equal(v2.status, 400);
    assert.equal(mlflow.status, 400);
    assert.equal(v2.body.error, mlflow.body.message);
    assert.match(v2.body.error, /2147483648/);
    // null in a boolean column (MLflow: False) is refused here too.
    const nulls = await post(`${server.url}/v2/models/ints/infer`, {
      inputs: [
        { name: "n", shape: [1], datatype: "INT32", data: [1] },
        { name: "b", shape: [1], datatype: "BOOL", data: [null] },
      ],
    });
    assert.equal(nulls.status, 400);
    assert.match(nulls.body.error, /declared BOOL.*null/);
  } finally {
    await server.close();
    await app.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the V2 description names every route and schema the routes use", () => {
  const paths = V2_ROUTES.map((r) => `${r.method} ${r.path}`);
  for (
    const p of [
      "get /v2/health/live",
      "get /v2/health/ready",
      "get /v2",
      "get /v2/models",
      "get /v2/models/{name}/ready",
      "get /v2/models/{name}/versions/{version}",
      "post /v2/models/{name}/infer",
      "post /v2/models/{name}/versions/{version}/infer",
    ]
  ) assert.ok(paths.includes(p), p);
  for (const r of V2_ROUTES) {
    for (const s of [r.request, ...Object.values(r.responses)]) {
      if (s !== undefined) assert.ok(s in V2_SCHEMAS, `${r.path}: ${s}`);
    }
  }
  const refs = JSON.stringify(V2_SCHEMAS).match(/#\/components\/schemas\/\w+/g) ?? [];
  for (const ref of refs) assert.ok(ref.split("/").pop()! in V2_SCHEMAS, ref);
});

Deno.test("V2 float16 and int64 outputs of a real graph: JSON values and 2-byte binary halves", async () => {
  // h = Cast<float16>(x); j = Identity(i); no signature: inputs go by name and datatype.
  const graph = onnxModel({
    nodes: [
      { op: "Cast", inputs: ["x"], outputs: ["h"], attrs: { to: ELEM.float16 } },
      { op: "Identity", inputs: ["i"], outputs: ["j"] },
    ],
    inputs: { x: { tensor: ELEM.float, shape: ["N"] }, i: { tensor: ELEM.int64, shape: ["N"] } },
    outputs: { h: { tensor: ELEM.float16, shape: ["N"] }, j: { tensor: ELEM.int64, shape: ["N"] } },
  });
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/model.onnx`, graph);
  await Deno.writeTextFile(
    `${dir}/MLmodel`,
    stringify({
      flavors: {
        onnx: { onnx_version: "1.17.0", data: "model.onnx", providers: ["CPUExecutionProvider"] },
        python_function: { loader_module: "mlflow.onnx", data: "model.onnx" },
      },
    }),
  );
  const app = createApp({ models: { half: dir }, log: () => {} });
  const server = serveOnFreePort(app.fetch);
  const x = [0.5, 65504, -2, 0.1, 1e-4, 1e-6];
  const ints = [1, -2, 2 ** 53 + 2, 4, 5, 6];
  const inputs = [
    { name: "x", shape: [x.length], datatype: "FP32", data: x },
    { name: "i", shape: [ints.length], datatype: "INT64", data: ints },
  ];
  // 70000 is past float16's range: infinity, which JSON cannot hold, but binary data can.
  const wide = [...x, 70000];
  const wideInputs = [
    { name: "x", shape: [wide.length], datatype: "FP32", data: wide },
    { name: "i", shape: [wide.length], datatype: "INT64", data: [...ints, 7] },
  ];
  try {
    const meta = await (await fetch(`${server.url}/v2/models/half`)).json();
    assert.deepEqual(meta.outputs, [
      { name: "h", datatype: "FP16", shape: [-1] },
      { name: "j", datatype: "INT64", shape: [-1] },
    ]);
    const json = await post(`${server.url}/v2/models/half/infer`, { inputs });
    assert.equal(json.status, 200, JSON.stringify(json.body));
    const [h, j] = json.body.outputs;
    assert.equal(h.datatype, "FP16");
    assert.deepEqual(h.data, x.map((v) => Math.f16round(v)));
    assert.equal(j.datatype, "INT64");
    assert.deepEqual(j.data, ints);
    const res = await fetch(`${server.url}/v2/models/half/infer`, {
      method: "POST",
      body: JSON.stringify({ inputs: wideInputs, parameters: { binary_data_output: true } }),
    });
    const { header, rest } = await readBinaryAnswer(res);
    assert.deepEqual(header.outputs.map((o) => o.parameters?.binary_data_size), [14, 56]);
    // The halves as the platform's own Float16Array writes them.
    const halves = new Uint16Array(new Float16Array(wide).buffer);
    assert.equal(halves[6], 0x7c00);
    assert.deepEqual(new Uint16Array(rest.slice(0, 14).buffer), halves);
    assert.deepEqual(
      Array.from(new BigInt64Array(rest.slice(14).buffer)),
      [...ints, 7].map((v) => BigInt(v)),
    );
  } finally {
    await server.close();
    await app.close();
    await Deno.remove(dir, { recursive: true });
  }
});
