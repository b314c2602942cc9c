// Adaptive batching at the session level, against real onnxruntime sessions: concurrent runs
// are stacked, split back, and every caller gets exactly what its run alone gives.
import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import {
  batchingSession,
  OnnxModel,
  type TensorData,
  whyNotBatchable,
} from "../../src/runtime/mod.ts";
import { BACKENDS, flavorsOf, readBundle } from "./_bundle.ts";
import { ELEM, onnxModel } from "./_onnx_builder.ts";

function bundleOf(model: Uint8Array): Map<string, Uint8Array> {
  return new Map([["MLmodel", new Uint8Array()], ["model.onnx", model]]);
}

const FLAVORS = { onnx: { data: "model.onnx" } };

/** Bytes of every fetched output, to compare two answers exactly. */
function bytesOf(out: Record<string, TensorData>): string {
  return Object.keys(out).sort().map((k) => {
    const t = out[k];
    const data = Array.isArray(t.data)
      ? JSON.stringify(t.data)
      : Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).join(",");
    return `${k}:${t.type}:${t.dims.join("x")}:${data}`;
  }).join("|");
}

Deno.test("whyNotBatchable names the input or output without a free first dimension", () => {
  const free = { name: "x", isTensor: true, type: "float32", shape: ["N", 4] };
  assert.equal(whyNotBatchable([free], [{ ...free, name: "y" }]), undefined);
  assert.equal(whyNotBatchable([{ ...free, shape: [-1, 4] }], []), undefined);
  assert.match(
    whyNotBatchable([{ ...free, shape: [1, 4] }], [])!,
    /input "x" has shape \[1, 4\], without a free first \(batch\) dimension/,
  );
  assert.match(
    whyNotBatchable([free], [{ name: "y", isTensor: true, type: "float32", shape: [] }])!,
    /output "y" has shape \[\]/,
  );
  assert.match(whyNotBatchable([{ name: "s", isTensor: false }], [])!, /input "s" is not a tensor/);
  // A non-tensor output (a ZipMap) is never fetched, so it does not stop batching.
  assert.equal(whyNotBatchable([free], [{ name: "z", isTensor: false }]), undefined);
});

for (const [backend, make] of BACKENDS) {
  Deno.test(`${backend}: batching is refused at load for a graph with a fixed batch dimension`, async () => {
    const fixed = onnxModel({
      nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
      inputs: { x: { tensor: ELEM.float, shape: [1, 4] } },
      outputs: { y: { tensor: ELEM.float, shape: [1, 4] } },
    });
    await assert.rejects(
      OnnxModel.create(bundleOf(fixed), FLAVORS, {
        backend: await make(),
        batching: { maxBatchSize: 8 },
      }),
      (err) =>
        err instanceof MlflowError && err.status === 400 &&
        /cannot be batched: its input "x" has shape \[1, 4\]/.test(err.message),
    );
    // Without batching the same graph loads; a batch size of 1 is batching off.
    for (const batching of [undefined, { maxBatchSize: 1 }]) {
      const model = await OnnxModel.create(bundleOf(fixed), FLAVORS, {
        backend: await make(),
        batching,
      });
      assert.equal(model.batchStats, undefined);
      await model.release();
    }
    // The session-level wrapper refuses it too, and refuses nonsense options.
    const session = await (await make()).createSession(fixed, [], {});
    assert.throws(() => batchingSession(session, { maxBatchSize: 4 }), /cannot be batched/);
    await session.release();
  });

  Deno.test(`${backend}: concurrent iris runs of 1 to 7 rows are batched and each answer is the run alone's`, async () => {
    const files = await readBundle("iris_mlp_onnx");
    const b = await make();
    const plain = await b.createSession(files.get("model.onnx")!, externalData(files), {});
    const batched = batchingSession(
      await b.createSession(files.get("model.onnx")!, externalData(files), {}),
      { maxBatchSize: 16, maxBatchTimeMs: 50 },
    );
    try {
      const requests: Record<string, TensorData>[] = [];
      for (let i = 0; i < 40; i++) {
        const rows = 1 + (i * 5) % 7;
        const data = new Float32Array(rows * 4);
        for (let j = 0; j < data.length; j++) data[j] = ((i * 31 + j * 7) % 80) / 10;
        requests.push({ input: { type: "float32", dims: [rows, 4], data } });
      }
      const alone: string[] = [];
      for (const feeds of requests) alone.push(bytesOf(await plain.run(feeds, ["probabilities"])));
      const together = await Promise.all(requests.map((f) => batched.run(f, ["probabilities"])));
      together.forEach((out, i) => assert.equal(bytesOf(out), alone[i], `request ${i}`));
      // The first ran at once; the rest waited for it and were stacked.
      assert.ok(batched.stats.largestBatch > 1, JSON.stringify(batched.stats));
      assert.ok(batched.stats.runs < requests.length, JSON.stringify(batched.stats));
      assert.equal(batched.stats.requests, requests.length);
      // An idle session runs a lone request at once, as one more run of one.
      const runs = batched.stats.runs;
      assert.equal(bytesOf(await batched.run(requests[3], ["probabilities"])), alone[3]);
      assert.equal(batched.stats.runs, runs + 1);
    } finally {
      await plain.release();
      await batched.release();
    }
  });

  Deno.test(`${backend}: a batch whose stacked run fails or is not batch-major runs each request alone`, async () => {
    // MatMul of a [r, r] by a [r, 3] works alone; two stacked [2r, r] x [2r, 3] cannot multiply.
    const matmul = onnxModel({
      nodes: [{ op: "MatMul", inputs: ["a", "b"], outputs: ["y"] }],
      inputs: {
        a: { tensor: ELEM.float, shape: ["N", "K"] },
        b: { tensor: ELEM.float, shape: ["M", 3] },
      },
      outputs: { y: { tensor: ELEM.float, shape: ["N", 3] } },
    });
    // The indices of the non-zero elements, one row per element: a free first dimension that is
    // not the batch (a stacked run answers 2 rows per request row, so it is not split).
    const nonzero = onnxModel({
      nodes: [
        { op: "NonZero", inputs: ["x"], outputs: ["nz"] },
        { op: "Transpose", inputs: ["nz"], outputs: ["idx"] },
      ],
      inputs: { x: { tensor: ELEM.float, shape: ["N", 2] } },
      outputs: { idx: { tensor: ELEM.int64, shape: ["M", 2] } },
    });
    const be = await make();
    for (
      const [graph, build] of [
        [matmul, (i: number) => ({
          a: { type: "float32", dims: [2, 2], data: new Float32Array([i, 1, 2, i]) },
          // Request 3 is refused by the graph on its own (a [2, 3] a), and only it fails.
          b: {
            type: "float32",
            dims: i === 3 ? [2, 2] : [2, 3],
            data: new Float32Array(i === 3 ? 4 : 6).fill(i),
          },
        })],
        [nonzero, (i: number) => ({
          x: {
            type: "float32",
            dims: [1 + i % 3, 2],
            data: new Float32Array(2 + 2 * (i % 3)).fill(i + 1),
          },
        })],
      ] as const
    ) {
      const plain = await be.createSession(graph, [], {});
      const batched = batchingSession(await be.createSession(graph, [], {}), { maxBatchSize: 8 });
      try {
        const requests = Array.from(
          { length: 10 },
          (_, i) => build(i) as Record<string, TensorData>,
        );
        const fetch = [plain.outputs[0].name];
        const alone: string[] = [];
        for (const f of requests) {
          alone.push(await plain.run(f, fetch).then(bytesOf, (e) => `error: ${e.message}`));
        }
        const together = await Promise.all(
          requests.map((f) => batched.run(f, fetch).then(bytesOf, (e) => `error: ${e.message}`)),
        );
        assert.deepEqual(together, alone);
        assert.ok(batched.stats.largestBatch > 1, JSON.stringify(batched.stats));
        if (graph === matmul) assert.match(alone[3], /^error: /);
        assert.equal(alone.filter((a) => a.startsWith("error")).length, graph === matmul ? 1 : 0);
      } finally {
        await plain.release();
        await batched.release();
      }
    }
  });
}

function externalData(files: Map<string, Uint8Array>) {
  return [...files].filter(([p]) => /^[0-9a-f-]{36}$/.test(p)).map(([path, data]) => ({
    path,
    data,
  }));
}

Deno.test("OnnxModel.create with batching reports what it batched", async () => {
  const files = await readBundle("iris_mlp_onnx");
  const model = await OnnxModel.create(files, flavorsOf(files), {
    batching: { maxBatchSize: 4 },
  });
  try {
    assert.deepEqual(model.batchStats, { runs: 0, requests: 0, largestBatch: 0 });
    const input = {
      kind: "columns" as const,
      rows: 1,
      tensors: [],
      columns: ["a", "b", "c", "d"].map((name, i) => ({
        name,
        dtype: "float64" as const,
        values: new Float64Array([[5.1, 3.5, 1.4, 0.2][i]]),
      })),
    };
    const out = await Promise.all([1, 2, 3, 4, 5, 6].map(() => model.run(input)));
    for (const p of out) assert.deepEqual(p, out[0]);
    assert.equal(model.batchStats!.requests, 6);
    assert.ok(model.batchStats!.largestBatch > 1);
  } finally {
    await model.release();
  }
});
