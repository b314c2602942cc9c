// Adaptive batching over real HTTP: every fixture golden request (on /invocations and on the V2
// infer route), sent many times at once with mixed row counts and invalid bodies, answers byte
// for byte what the same server without batching answers to it alone — and the runs really were
// batched.
import assert from "node:assert/strict";
import { createApp } from "../../src/server/mod.ts";
import { serveConfig } from "../../src/cli.ts";
import { v2Cases } from "../runtimes/_v2.ts";
import { goldenCases } from "../_golden.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

interface Req {
  name: string;
  contentType: string;
  body: string;
  /** Default `/invocations`. */
  path?: string;
}

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

async function send(url: string, r: Req): Promise<Answer> {
  const res = await fetch(`${url}${r.path ?? "/invocations"}`, {
    method: "POST",
    // One request id per case, so error bodies (which carry it) compare across the two servers.
    headers: {
      "Content-Type": r.contentType,
      "X-Request-Id": `case-${r.name.replace(/[^\w.-]/g, "_")}`,
    },
    body: r.body,
  });
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    body: await res.text(),
  };
}

/** The golden requests, iris bodies of 1 to 9 rows, and bodies that must be refused. */
async function requests(bundle: string): Promise<Req[]> {
  const out: Req[] = (await goldenCases(bundle)).map((c) => ({
    name: c.name,
    contentType: c.content_type,
    body: c.body,
  }));
  if (bundle === "iris_mlp_onnx") {
    for (let rows = 1; rows <= 9; rows += 2) {
      const data = Array.from(
        { length: rows },
        (_, i) => [4 + i * 0.5, 3 + (i % 3) * 0.25, 1.5 + i, 0.2 + i * 0.1],
      );
      out.push({
        name: `${rows} rows`,
        contentType: "application/json",
        body: JSON.stringify({
          dataframe_split: {
            columns: [
              "sepal length (cm)",
              "sepal width (cm)",
              "petal length (cm)",
              "petal width (cm)",
            ],
            data,
          },
        }),
      });
    }
  }
  // The same model over the Open Inference Protocol (V2), with a refused body too.
  for (const c of v2Cases(bundle)) {
    out.push({
      name: `v2 ${c.name}`,
      contentType: "application/json",
      body: JSON.stringify({ id: c.name, inputs: c.inputs }),
      path: "/v2/models/default/infer",
    });
  }
  out.push({
    name: "v2 no inputs",
    contentType: "application/json",
    body: '{"inputs": []}',
    path: "/v2/models/default/infer",
  });
  out.push({ name: "not JSON", contentType: "application/json", body: "{" });
  out.push({ name: "no envelope", contentType: "application/json", body: '{"x": 1}' });
  return out;
}

for (const backend of ["web", "native"] as const) {
  for (const bundle of ["iris_mlp_onnx", "mnist_cnn_onnx"]) {
    Deno.test(`${backend}: ${bundle} answers with batching exactly as without, under concurrency`, async () => {
      const log = () => {};
      const plainApp = createApp({ modelUri: bundlePath(bundle), backend, log });
      const batchedApp = createApp({
        modelUri: bundlePath(bundle),
        backend,
        log,
        batching: { maxBatchSize: 16, maxBatchTimeMs: 20 },
      });
      await Promise.all([plainApp.ready(), batchedApp.ready()]);
      const plain = serveOnFreePort(plainApp.fetch);
      const batched = serveOnFreePort(batchedApp.fetch);
      try {
        const reqs = await requests(bundle);
        const alone = new Map<string, Answer>();
        for (const r of reqs) alone.set(r.name, await send(plain.url, r));
        assert.ok([...alone.values()].some((a) => a.status === 200));
        assert.ok([...alone.values()].some((a) => a.status === 400));
        const v2 = [...alone].filter(([name]) => name.startsWith("v2 "));
        assert.ok(v2.some(([, a]) => a.status === 200 && a.body.includes('"model_name"')));
        assert.equal(alone.get("v2 no inputs")?.status, 400);
        // Every request 12 times, in a shuffled but fixed order, all in flight at once.
        const mixed: Req[] = [];
        for (let k = 0; k < 12; k++) mixed.push(...reqs);
        let seed = 7;
        for (let i = mixed.length - 1; i > 0; i--) {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          const j = seed % (i + 1);
          [mixed[i], mixed[j]] = [mixed[j], mixed[i]];
        }
        const answers = await Promise.all(mixed.map((r) => send(batched.url, r)));
        answers.forEach((a, i) => assert.deepEqual(a, alone.get(mixed[i].name), mixed[i].name));
        const stats = batchedApp.registry.get("default")!.current!.onnx.batchStats!;
        assert.ok(stats.largestBatch > 1, `no run was batched: ${JSON.stringify(stats)}`);
        assert.ok(stats.runs < stats.requests, JSON.stringify(stats));
      } finally {
        await Promise.all([plain.close(), batched.close()]);
        await Promise.all([plainApp.close(), batchedApp.close()]);
      }
    });
  }
}

Deno.test("batching is refused at load, clearly, for a model without a free batch dimension", async () => {
  // The iris graph with its input's first dimension fixed to 1 (a copy of the bundle).
  const dir = await Deno.makeTempDir();
  try {
    const src = bundlePath("iris_mlp_onnx");
    for (const e of Deno.readDirSync(src)) {
      await Deno.copyFile(`${src}/${e.name}`, `${dir}/${e.name}`);
    }
    const model = await Deno.readFile(`${dir}/model.onnx`);
    await Deno.writeFile(`${dir}/model.onnx`, fixFirstDims(model));
    const app = createApp({ modelUri: dir, log: () => {}, batching: { maxBatchSize: 8 } });
    await assert.rejects(
      app.ready(),
      /This model cannot be batched: its input "input" has shape \[1, 4\], without a free first \(batch\) dimension.*without --max-batch-size/s,
    );
    await app.close();
    // Without batching it serves.
    const ok = createApp({ modelUri: dir, log: () => {} });
    await ok.ready();
    await ok.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The model with every symbolic dimension named "batch" replaced by the fixed size 1: in the
 * protobuf a `dim_param` (field 2, "batch") becomes a `dim_value` (field 1, 1) of the same length.
 */
function fixFirstDims(model: Uint8Array): Uint8Array {
  const out = model.slice();
  const param = [0x12, 0x05, ...new TextEncoder().encode("batch")]; // dim_param: "batch"
  let found = 0;
  for (let i = 0; i + param.length <= out.length; i++) {
    if (param.every((b, j) => out[i + j] === b)) {
      // dim_value: 1 (2 bytes) padded to the same 7 bytes with an unknown varint field 15 (ignored).
      out.set([0x08, 0x01, 0x78, 0x80, 0x80, 0x80, 0x00], i);
      found++;
    }
  }
  if (found === 0) throw new Error("no dim_param 'batch' in the iris model");
  return out;
}

Deno.test("--max-batch-size, --max-batch-time, their variables and per-model config entries", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/models.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        models: {
          a: "examples/iris",
          b: { uri: "examples/iris", max_batch_size: 8, max_batch_time: 1.5 },
        },
      }),
    );
    const c = await serveConfig(["--config", config, "--max-batch-size", "32"], {
      MLFLOW_EDGE_MAX_BATCH_SIZE: "4",
      MLFLOW_EDGE_MAX_BATCH_TIME: "3",
    });
    assert.deepEqual(c.app.batching, { maxBatchSize: 32, maxBatchTimeMs: 3 });
    assert.deepEqual(c.app.models, { a: "examples/iris", b: "examples/iris" });
    assert.deepEqual(c.app.modelBatching, { b: { maxBatchSize: 8, maxBatchTimeMs: 1.5 } });
    const env = await serveConfig([], { MLFLOW_EDGE_MAX_BATCH_SIZE: "4" });
    assert.deepEqual(env.app.batching, { maxBatchSize: 4 });
    assert.equal((await serveConfig([], {})).app.batching, undefined);
    for (
      const [args, message] of [
        [["--max-batch-size", "2.5"], /--max-batch-size must be a whole number/],
        [["--max-batch-size", "0"], /--max-batch-size must be a positive number/],
        [["--max-batch-time", "2"], /--max-batch-time needs --max-batch-size/],
      ] as const
    ) {
      await assert.rejects(serveConfig([...args], {}), message);
    }
    await Deno.writeTextFile(
      config,
      JSON.stringify({ models: { b: { uri: "examples/iris", max_batch_size: "many" } } }),
    );
    await assert.rejects(
      serveConfig(["--config", config], {}),
      /max_batch_size must be a positive/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
