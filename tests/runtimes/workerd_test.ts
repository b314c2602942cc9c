/**
 * The Cloudflare Worker in workerd (miniflare's local runtime), bundles seeded into local R2.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildWorker } from "../../examples/cloudflare-workers/build.ts";
import { startWorker } from "./_workerd.ts";
import { assertRefusesPytorch, replayGoldens } from "./_replay.ts";
import { replayV2 } from "./_v2.ts";
import { startS3 } from "./_s3.ts";
import { assertDescribesIris } from "./_describe.ts";
import { assertClose, bundlePath, goldenCases, REPLAYED_BUNDLES, requestBody } from "../_golden.ts";

const SEED = { iris: bundlePath("iris_mlp_onnx"), mnist: bundlePath("mnist_cnn_onnx") };
const R2_PREFIX: Record<string, string> = { iris_mlp_onnx: "iris", mnist_cnn_onnx: "mnist" };

Deno.test("onnxruntime-web runs in workerd from the imported wasm module with models read from R2", async (t) => {
  const outDir = await Deno.makeTempDir({ prefix: "worker_direct_" });
  const build = await buildWorker({
    entry: new URL("./_ort_direct_worker.ts", import.meta.url).pathname,
    outDir,
  });
  const worker = await startWorker(build, { seed: SEED });
  try {
    for (const bundle of REPLAYED_BUNDLES) {
      for (const c of goldenCases(bundle)) {
        if (c.native_inputs === null || c.mlflow_response.status !== 200) continue;
        if (bundle === "mnist_cnn_onnx" && c.name === "inputs_float_values") continue;
        await t.step(`${bundle} ${c.name} matches MLflow's answer`, async () => {
          const feeds = Object.fromEntries(
            Object.entries(c.native_inputs!).map((
              [name, v],
            ) => [name, { dtype: v.dtype, shape: v.shape, data: [v.data].flat(Infinity) }]),
          );
          const res = await worker.fetch(`/run/${R2_PREFIX[bundle]}`, {
            method: "POST",
            body: JSON.stringify(feeds),
          });
          const text = await res.text();
          assert.equal(res.status, 200, text);
          const outputs = JSON.parse(text) as Record<string, { dims: number[]; data: number[] }>;
          const [name, out] = Object.entries(outputs)[0];
          const body = c.mlflow_response.body as { predictions: unknown };
          if (Array.isArray(body.predictions)) {
            // Column signature: MLflow flattens every output into one record per element.
            assertClose(out.data.map((p) => ({ [name]: p })), body.predictions, c.name);
          } else {
            const expected = (body.predictions as Record<string, number[][]>)[name];
            assert.deepEqual(out.dims, [expected.length, expected[0].length]);
            assertClose(out.data, expected.flat(), c.name);
          }
        });
      }
    }
  } finally {
    await worker.dispose();
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("the built Worker serves bundles from R2 and answers MLflow's golden requests (and their V2 forms)", async (t) => {
  const outDir = await Deno.makeTempDir({ prefix: "worker_app_" });
  const build = await buildWorker({ outDir });
  try {
    for (const bundle of REPLAYED_BUNDLES) {
      const worker = await startWorker(build, {
        seed: SEED,
        vars: { MODEL_URI: `r2://MODELS/${R2_PREFIX[bundle]}` },
      });
      try {
        // Concurrent first requests share one lazy start-up and all get answers.
        const [first] = goldenCases(bundle);
        const answers = await Promise.all([1, 2, 3].map(() =>
          worker.fetch("/invocations", {
            method: "POST",
            headers: { "content-type": first.content_type },
            body: requestBody(first),
          })
        ));
        for (const res of answers) assert.equal(res.status, 200, await res.text());
        const ping = await worker.fetch("/ping");
        assert.equal(ping.status, 200, await ping.text());
        assert.match(ping.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
        // /metrics: this isolate's own numbers (nothing else can scrape an isolate).
        const metrics = await (await worker.fetch("/metrics")).text();
        assert.match(
          metrics,
          /^mlflow_edge_requests_total\{model="default",protocol="mlflow",status="200"\} 3$/m,
        );
        assert.match(metrics, /^mlflow_edge_model_loaded\{model="default"\} 1$/m);
        assert.match(metrics, /^mlflow_edge_wasm_core_memory_bytes \d+$/m);
        await replayGoldens(t, bundle, worker.fetch);
        await replayV2(t, bundle, worker.fetch, "default");
        if (bundle === "iris_mlp_onnx") await assertDescribesIris(t, worker.fetch);
      } finally {
        await worker.dispose();
      }
    }
    await t.step("the PyTorch bundle is refused with an error naming its flavor", async () => {
      const worker = await startWorker(build, {
        seed: { pytorch: bundlePath("iris_mlp_pytorch") },
        vars: { MODEL_URI: "r2://MODELS/pytorch" },
      });
      try {
        await assertRefusesPytorch(worker.fetch);
      } finally {
        await worker.dispose();
      }
    });
    await t.step("a missing MODEL_URI answers a JSON error instead of crashing", async () => {
      const worker = await startWorker(build, {});
      try {
        const res = await worker.fetch("/ping");
        const body = await res.json() as { error_code: string; message: string };
        assert.equal(res.status, 500);
        assert.match(body.message, /MODEL_URI is not set/);
      } finally {
        await worker.dispose();
      }
    });
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("the built Worker serves a bundle from S3 with the AWS variables as secrets", async (t) => {
  const outDir = await Deno.makeTempDir({ prefix: "worker_s3_" });
  const s3 = await startS3();
  try {
    const build = await buildWorker({ outDir });
    const worker = await startWorker(build, {
      vars: {
        MODEL_URI: "s3://models/iris_mlp_onnx",
        MLFLOW_S3_ENDPOINT_URL: s3.endpoint,
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
        AWS_REGION: "us-east-1",
      },
    });
    try {
      await replayGoldens(t, "iris_mlp_onnx", worker.fetch);
    } finally {
      await worker.dispose();
    }
  } finally {
    await s3.close();
    await Deno.remove(outDir, { recursive: true });
  }
});
