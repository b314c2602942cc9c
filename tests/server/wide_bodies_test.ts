// Over real HTTP: bodies with hundreds of thousands of columns or keys answer (a prediction,
// MLflow's refusal, or 504 at the deadline), and /ping keeps answering while they are handled.
// Behaviour only: no timing is asserted.
import assert from "node:assert/strict";
import { createApp } from "../../src/server/mod.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

const IRIS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];
const ROW = [5.1, 3.5, 1.4, 0.2];
const IRIS_ANSWER =
  '{"predictions": [{"probabilities": 0.9999592304229736}, {"probabilities": 4.073565287399106e-05}, {"probabilities": 1.2630649530562168e-14}]}';
const N = 300_000;
const extras = Array.from({ length: N }, (_, i) => `x${i}`);
/** Records: 6 values each, within the server's default bound of 1,000,000 values. */
const R = 150_000;

const bodies: [string, string, number][] = [
  [
    `dataframe_split with ${N} extra columns`,
    JSON.stringify({
      dataframe_split: { columns: [...extras, ...IRIS], data: [[...extras.map(() => 0), ...ROW]] },
    }),
    200,
  ],
  [
    `dataframe_split with ${N} columns, none of them the model's`,
    JSON.stringify({ dataframe_split: { columns: extras, data: [extras.map(() => 0)] } }),
    400,
  ],
  [
    `dataframe_records with a distinct extra key in each of ${R} records`,
    JSON.stringify({
      dataframe_records: extras.slice(0, R).map((k) => ({
        ...Object.fromEntries(IRIS.map((c, i) => [c, ROW[i]])),
        [k]: 1,
      })),
    }),
    200,
  ],
  [
    `text/csv with ${N} extra columns`,
    `${[...extras, ...IRIS].join(",")}\n${[...extras.map(() => 0), ...ROW].join(",")}\n`,
    200,
  ],
];

Deno.test("bodies with hundreds of thousands of names answer while /ping keeps answering", async () => {
  const app = createApp({ modelUri: bundlePath("iris_mlp_onnx"), timeoutMs: 5000, log: () => {} });
  const server = serveOnFreePort(app.fetch);
  try {
    await app.ready();
    for (const [what, body, expected] of bodies) {
      const contentType = body.startsWith("{") ? "application/json" : "text/csv";
      const big = fetch(`${server.url}/invocations`, {
        method: "POST",
        headers: { "Content-Type": contentType },
        body,
      });
      // Pings sent while the big body is in flight: every one is answered.
      const pings = await Promise.all(
        [0, 1, 2].map(() =>
          fetch(`${server.url}/ping`).then(async (r) => [r.status, await r.text()])
        ),
      );
      for (const [status] of pings) assert.equal(status, 200, what);
      const res = await big;
      const text = await res.text();
      // Either the answer (prompt enough to beat the deadline) or the deadline's 504.
      if (res.status === 504) {
        assert.equal(JSON.parse(text).error_code, "DEADLINE_EXCEEDED", what);
      } else {
        assert.equal(res.status, expected, `${what}: ${text.slice(0, 200)}`);
        if (expected === 200 && !what.startsWith("dataframe_records")) {
          assert.equal(text, IRIS_ANSWER, what);
        } else if (expected === 200) {
          // One prediction per record, each the iris row's.
          const predictions = JSON.parse(text).predictions;
          assert.equal(predictions.length, R * JSON.parse(IRIS_ANSWER).predictions.length, what);
        } else {
          assert.match(JSON.parse(text).message, /^Model is missing inputs/, what);
        }
      }
      // And the server still serves afterwards.
      const after = await fetch(`${server.url}/ping`);
      assert.equal(after.status, 200);
      await after.body?.cancel();
    }
  } finally {
    await server.close();
    await app.close();
  }
});
