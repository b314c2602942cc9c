/**
 * The Bun server (examples/bun/server.ts, run with `bun run`) replays MLflow's golden cases.
 * Needs `bun` on PATH; without it these tests are skipped and say so.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertDescribesIris } from "./_describe.ts";
import { bundlePath, REPLAYED_BUNDLES } from "../_golden.ts";
import { onPath, startServer } from "./_process.ts";
import { assertServerRefusesPytorch, httpFetcher, replayGoldens, waitReady } from "./_replay.ts";
import { replayV2 } from "./_v2.ts";

const HAVE_BUN = await onPath("bun");
if (!HAVE_BUN) console.warn("bun is not on PATH: the Bun runtime tests are skipped.");

function startBun(modelUri: string) {
  return startServer("bun", ["run", "examples/bun/server.ts"], {
    MODEL_URI: modelUri,
    HOST: "127.0.0.1",
    PORT: "0",
  });
}

for (const bundle of REPLAYED_BUNDLES) {
  Deno.test({
    name: `Bun serves ${bundle} and answers MLflow's golden requests (and their V2 forms)`,
    ignore: !HAVE_BUN,
    fn: async (t) => {
      const server = await startBun(bundlePath(bundle));
      try {
        const fetcher = httpFetcher(server.url);
        await waitReady(fetcher);
        await replayGoldens(t, bundle, fetcher);
        await replayV2(t, bundle, fetcher, "default");
        if (bundle === "iris_mlp_onnx") await assertDescribesIris(t, fetcher);
        await t.step(
          "/metrics counts the replayed requests and reads Bun's process memory",
          async () => {
            const res = await fetcher("/metrics");
            const text = await res.text();
            assert.equal(res.status, 200);
            assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
            assert.match(
              text,
              /^mlflow_edge_requests_total\{model="default",protocol="mlflow",status="200"\} [1-9]\d*$/m,
            );
            assert.match(
              text,
              /^mlflow_edge_requests_total\{model="default",protocol="v2",status="200"\} [1-9]\d*$/m,
            );
            assert.match(text, /^mlflow_edge_process_resident_memory_bytes [1-9]\d*$/m);
            assert.match(text, /^mlflow_edge_wasm_core_memory_bytes [1-9]\d*$/m);
          },
        );
      } finally {
        await server.stop();
      }
    },
  });
}

Deno.test({
  name: "Bun refuses the PyTorch bundle with an error naming its flavor",
  ignore: !HAVE_BUN,
  fn: () => assertServerRefusesPytorch(() => startBun(bundlePath("iris_mlp_pytorch"))),
});
