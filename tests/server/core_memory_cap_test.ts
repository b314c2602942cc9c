// The server's core memory cap (`coreMemoryCap`, `--core-memory-cap`,
// `MLFLOW_EDGE_CORE_MEMORY_CAP`) reaches the wasm core: after a large request over real HTTP, the
// core's linear memory at rest is back under the configured cap, and the server keeps answering.
import assert from "node:assert/strict";
import {
  coreMemoryBytes,
  DEFAULT_CORE_MEMORY_CAP,
  setCoreMemoryCap,
} from "../../src/enforce/mod.ts";
import { createApp } from "../../src/server/app.ts";
import { appOptionsFromEnv } from "../../src/server/options_from_env.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

const CAP = 4 * 1024 * 1024;
const COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];

Deno.test("MLFLOW_EDGE_CORE_MEMORY_CAP is read as a positive integer, and refused otherwise", () => {
  assert.equal(appOptionsFromEnv({ MLFLOW_EDGE_CORE_MEMORY_CAP: "4194304" }).coreMemoryCap, CAP);
  assert.equal(appOptionsFromEnv({}).coreMemoryCap, undefined);
  assert.throws(
    () => appOptionsFromEnv({ MLFLOW_EDGE_CORE_MEMORY_CAP: "lots" }),
    /MLFLOW_EDGE_CORE_MEMORY_CAP/,
  );
});

Deno.test("a server with a 4 MiB core memory cap leaves the core under it after a 150,000-row request", async () => {
  const app = createApp({ modelUri: bundlePath("iris_mlp_onnx"), coreMemoryCap: CAP });
  const server = serveOnFreePort(app.fetch);
  try {
    await app.ready();
    const rows = 150_000;
    const row = [5.1, 3.5, 1.4, 0.2];
    const body = JSON.stringify({
      dataframe_split: { columns: COLUMNS, data: Array.from({ length: rows }, () => row) },
    });
    const res = await fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    assert.equal(res.status, 200);
    const out = await res.json() as { predictions: unknown[] };
    assert.equal(out.predictions.length, rows * 3); // MLflow flattens the [N, 3] output into records
    assert.ok(coreMemoryBytes() > 0);
    assert.ok(coreMemoryBytes() <= CAP, `${coreMemoryBytes()} bytes at rest`);
    // The renewed core still serves the model.
    const small = await fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ dataframe_split: { columns: COLUMNS, data: [row] } }),
    });
    assert.equal(small.status, 200);
    assert.equal((await small.json() as { predictions: unknown[] }).predictions.length, 3);
  } finally {
    await server.close();
    await app.close();
    setCoreMemoryCap(DEFAULT_CORE_MEMORY_CAP);
  }
});
