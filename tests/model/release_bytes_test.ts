// The loader frees the fetched model and weight bytes once a backend that copies them has built
// its session — and never bytes that the in-memory store cache shares (a second load from the
// cache must still see them).
import assert from "node:assert/strict";
import { loadModel } from "../../src/model/mod.ts";
import { type OnnxBackend, webBackend } from "../../src/runtime/mod.ts";
import { FIXTURES, startStatic } from "../store/_servers.ts";
import { bundlePath } from "../server/_server.ts";

/** The web backend, keeping every array it is given so the test can look at them after load. */
function recording(): { backend: OnnxBackend; seen: Uint8Array[] } {
  const web = webBackend();
  const seen: Uint8Array[] = [];
  return {
    seen,
    backend: {
      name: "web",
      copiesWeights: true,
      createSession(model, externalData, options) {
        seen.push(model, ...externalData.map((f) => f.data));
        return web.createSession(model, externalData, options);
      },
    },
  };
}

const BODY =
  '{"inputs": {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}}';

Deno.test("a local bundle's model and weight bytes are freed once the session holds them", async () => {
  const { backend, seen } = recording();
  const model = await loadModel(bundlePath("iris_mlp_onnx"), { backend });
  try {
    assert.equal(seen.length, 2); // model.onnx and its one external-data file
    for (const bytes of seen) assert.equal(bytes.byteLength, 0, "not freed");
    const out = await model.predict(BODY) as { predictions: { probabilities: number }[] };
    assert.ok(out.predictions[0].probabilities > 0.999);
  } finally {
    await model.close();
  }
});

Deno.test("bytes shared with the in-memory store cache are kept, and a second load from it works", async () => {
  const server = await startStatic(FIXTURES.pathname.replace(/\/$/, ""));
  try {
    const uri = `${server.url}/iris_mlp_onnx/`;
    for (let load = 0; load < 2; load++) {
      const { backend, seen } = recording();
      const model = await loadModel(uri, { backend });
      try {
        assert.ok(seen.length >= 2 && seen.every((b) => b.byteLength > 0), `load ${load}`);
        const out = await model.predict(BODY) as { predictions: { probabilities: number }[] };
        assert.ok(out.predictions[0].probabilities > 0.999);
      } finally {
        await model.close();
      }
    }
    // With a disk cache (or none) the bytes are the loader's alone again, and freed.
    const dir = await Deno.makeTempDir();
    try {
      const { backend, seen } = recording();
      const model = await loadModel(uri, { backend, store: { cacheDir: dir } });
      assert.ok(seen.length >= 2 && seen.every((b) => b.byteLength === 0));
      await model.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await server.close();
  }
});

Deno.test("the serving example's bytes are freed after the self-check, its text kept; cache-shared bytes are not", async () => {
  const text = await Deno.readTextFile(
    `${bundlePath("iris_mlp_onnx")}/serving_input_example.json`,
  );
  const local = await loadModel(bundlePath("iris_mlp_onnx"), { backend: webBackend() });
  try {
    assert.equal(local.servingInputExample, text);
    await local.predict(local.servingInputExample!); // the kept text still serves
  } finally {
    await local.close();
  }
  // Two loads from the in-memory store cache: had the first freed the shared example, the
  // second would read an empty one.
  const server = await startStatic(FIXTURES.pathname.replace(/\/$/, ""));
  try {
    for (let load = 0; load < 2; load++) {
      const model = await loadModel(`${server.url}/iris_mlp_onnx/`, { backend: webBackend() });
      try {
        assert.equal(model.servingInputExample, text, `load ${load}`);
      } finally {
        await model.close();
      }
    }
  } finally {
    await server.close();
  }
});
