/**
 * The edge-function example: mod.ts used as a library inside a Deno.serve handler.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createClassifier, createHandler } from "../../examples/edge-function/classify.ts";
import { bundlePath, goldenCases, requestBody } from "../_golden.ts";
import { startServer } from "./_process.ts";

const IRIS = bundlePath("iris_mlp_onnx");
const [threeRows] = goldenCases("iris_mlp_onnx");

Deno.test("the classifier turns MLflow's answer into one typed species per row", async () => {
  const classify = createClassifier(IRIS);
  const results = await classify(threeRows.request);
  assert.deepEqual(results.map((r) => r.species), ["setosa", "versicolor", "virginica"]);
  const body = threeRows.mlflow_response.body as { predictions: { probabilities: number }[] };
  const expected = body.predictions.map((p) => p.probabilities);
  const got = results.flatMap((r) => r.probabilities);
  got.forEach((p, i) => assert.ok(Math.abs(p - expected[i]) <= 1e-6 + 1e-5 * expected[i]));
});

Deno.test("the handler serves predictions through Deno.serve", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createHandler(IRIS),
  );
  try {
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: requestBody(threeRows),
    });
    assert.equal(res.status, 200);
    const { results } = await res.json() as { results: { species: string }[] };
    assert.deepEqual(results.map((r) => r.species), ["setosa", "versicolor", "virginica"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("the handler answers a refused request with MLflow's error body and status", async () => {
  const handler = createHandler(IRIS);
  const missing = goldenCases("iris_mlp_onnx").find((c) => c.name === "missing_column")!;
  const res = await handler(
    new Request("http://edge.test/", { method: "POST", body: requestBody(missing) }),
  );
  assert.equal(res.status, 400);
  const body = await res.json() as { error_code: string; message: string };
  assert.equal(body.error_code, "INVALID_PARAMETER_VALUE");
  assert.equal(typeof body.message, "string");
});

Deno.test("the handler refuses a GET with 405", async () => {
  const res = await createHandler(IRIS)(new Request("http://edge.test/"));
  assert.equal(res.status, 405);
  await res.body?.cancel();
});

Deno.test("the classifier refuses the PyTorch bundle, naming the flavor", async () => {
  const classify = createClassifier(bundlePath("iris_mlp_pytorch"));
  await assert.rejects(() => classify(threeRows.request), /pytorch/i);
});

Deno.test("the edge function's entry serves the iris example by default", async () => {
  const server = await startServer(
    Deno.execPath(),
    ["run", "-A", "examples/edge-function/main.ts"],
    {
      HOST: "127.0.0.1",
      PORT: "0",
    },
  );
  try {
    const res = await fetch(server.url, { method: "POST", body: requestBody(threeRows) });
    const { results } = await res.json() as { results: { species: string }[] };
    assert.equal(res.status, 200);
    assert.deepEqual(results.map((r) => r.species), ["setosa", "versicolor", "virginica"]);
  } finally {
    await server.stop();
  }
});
