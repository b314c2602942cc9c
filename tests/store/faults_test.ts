// Faults injected by the MLflow test server: 404, 403, 500-then-200, 500 for good, slow,
// truncated bodies, refused connections and size caps, each giving a clear MlflowError that
// names the URI and the object.
import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { fetchBundle, type FetchBundleOptions } from "../../src/store/mod.ts";
import {
  fixtureDir,
  type MlflowServer,
  readDir,
  sorted,
  startMlflow,
  startStatic,
} from "./_servers.ts";

const ROOT = "1/models/m-iris/artifacts";
const URI = `mlflow-artifacts:/${ROOT}`;

async function withServer(fn: (s: MlflowServer, opts: FetchBundleOptions) => Promise<void>) {
  const server = await startMlflow({
    versions: [{ name: "iris", version: "1", aliases: ["champion"], artifactUri: URI }],
  });
  try {
    server.mount(ROOT, await readDir(fixtureDir("iris_mlp_onnx")));
    await fn(server, {
      cacheDir: false,
      tracking: { uri: server.url },
      retries: 2,
      retryDelayMs: 1,
      timeoutMs: 2_000,
    });
  } finally {
    await server.close();
  }
}

async function rejection(promise: Promise<unknown>): Promise<MlflowError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MlflowError, `expected MlflowError, got ${err}`);
    return err;
  }
  assert.fail("expected a rejection");
}

const downloads = (s: MlflowServer, key: string) =>
  s.requests.filter((r) => r.path === `/api/2.0/mlflow-artifacts/artifacts/${ROOT}/${key}`);

Deno.test("a listed object answering 404 is RESOURCE_DOES_NOT_EXIST naming URI and object, not retried", async () => {
  await withServer(async (s, opts) => {
    s.faults.set(`${ROOT}/model.onnx`, { kind: "status", status: 404 });
    const err = await rejection(fetchBundle("models:/iris@champion", opts));
    assert.equal(err.errorCode, "RESOURCE_DOES_NOT_EXIST");
    assert.equal(err.status, 404);
    assert.match(
      err.message,
      /Object "model\.onnx" of "mlflow-artifacts:\/1\/models\/m-iris\/artifacts" does not exist/,
    );
    assert.equal(downloads(s, "model.onnx").length, 1);
  });
});

Deno.test("a 403 is PERMISSION_DENIED and is not retried", async () => {
  await withServer(async (s, opts) => {
    s.faults.set(`${ROOT}/MLmodel`, { kind: "status", status: 403 });
    const err = await rejection(fetchBundle(URI, opts));
    assert.equal(err.errorCode, "PERMISSION_DENIED");
    assert.match(
      err.message,
      /Access to object "MLmodel" of "mlflow-artifacts:\/1\/models\/m-iris\/artifacts" was denied \(HTTP 403\)/i,
    );
    assert.equal(downloads(s, "MLmodel").length, 1);
  });
});

Deno.test("a 500 followed by a 200 is retried and the bundle arrives intact", async () => {
  await withServer(async (s, opts) => {
    s.faults.set(`${ROOT}/model.onnx`, { kind: "status", status: 500, times: 1 });
    const bundle = await fetchBundle(URI, opts);
    assert.deepEqual(sorted(bundle.files), sorted(await readDir(fixtureDir("iris_mlp_onnx"))));
    assert.deepEqual(downloads(s, "model.onnx").map((r) => r.status), [500, 200]);
  });
});

Deno.test("a registry endpoint answering 503 once is retried", async () => {
  await withServer(async (s, opts) => {
    s.faults.set("registered-models/alias", { kind: "status", status: 503, times: 1 });
    const bundle = await fetchBundle("models:/iris@champion", opts);
    assert.equal(bundle.files.size, 10);
  });
});

Deno.test("a 500 on every attempt gives up after the retries with TEMPORARILY_UNAVAILABLE", async () => {
  await withServer(async (s, opts) => {
    s.faults.set(`${ROOT}/model.onnx`, { kind: "status", status: 500 });
    const err = await rejection(fetchBundle(URI, opts));
    assert.equal(err.errorCode, "TEMPORARILY_UNAVAILABLE");
    assert.match(
      err.message,
      /Object "model\.onnx" of ".*" failed with HTTP 500.*gave up after 3 attempts/,
    );
    assert.equal(downloads(s, "model.onnx").length, 3);
  });
});

Deno.test("a download slower than the timeout is DEADLINE_EXCEEDED naming the object", async () => {
  await withServer(async (s, opts) => {
    s.faults.set(`${ROOT}/model.onnx`, { kind: "slow", ms: 30_000 });
    const err = await rejection(fetchBundle(URI, { ...opts, timeoutMs: 300 }));
    assert.equal(err.errorCode, "DEADLINE_EXCEEDED");
    assert.equal(err.status, 504);
    assert.match(
      err.message,
      /Object "model\.onnx" of "mlflow-artifacts:.*" did not complete within 300 ms/,
    );
  });
});

Deno.test("a body cut off mid-transfer is retried, then reported as DATA_LOSS", async () => {
  await withServer(async (s, opts) => {
    s.faults.set(`${ROOT}/model.onnx`, { kind: "truncate" });
    const err = await rejection(fetchBundle(URI, opts));
    assert.equal(err.errorCode, "DATA_LOSS");
    assert.match(err.message, /Object "model\.onnx" of ".*" was cut off/);
    assert.equal(downloads(s, "model.onnx").length, 3);
  });
});

Deno.test("a body shorter than its Content-Length is DATA_LOSS", async () => {
  // Deno's own fetch already fails such a connection; this fetch hands the pipeline a response
  // that ends early without an error, as other runtimes or proxies may.
  const server = await startStatic(fixtureDir("iris_mlp_onnx").replace(/\/$/, ""));
  try {
    const shortFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return new Response(bytes.subarray(0, bytes.length - 1), {
        status: res.status,
        headers: { "content-length": String(bytes.length) },
      });
    };
    const err = await rejection(
      fetchBundle(`${server.url}/`, {
        cacheDir: false,
        files: ["MLmodel"],
        fetch: shortFetch,
        retries: 0,
      }),
    );
    assert.equal(err.errorCode, "DATA_LOSS");
    assert.match(
      err.message,
      /Object "MLmodel" of "http:\/\/127\.0\.0\.1:\d+\/" was cut off: received 1120 of 1121 bytes/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("a refused connection is retried, then TEMPORARILY_UNAVAILABLE", async () => {
  const server = await startStatic("/nonexistent");
  const url = server.url;
  await server.close();
  const err = await rejection(
    fetchBundle(`${url}/`, { cacheDir: false, retries: 1, retryDelayMs: 1 }),
  );
  assert.equal(err.errorCode, "TEMPORARILY_UNAVAILABLE");
  assert.match(
    err.message,
    /Object "MLmodel" of "http:\/\/127\.0\.0\.1:\d+\/" failed: .*gave up after 2 attempts/,
  );
});

Deno.test("a bundle whose listed sizes exceed maxBytes is refused before any file is downloaded", async () => {
  await withServer(async (s, opts) => {
    const err = await rejection(fetchBundle(URI, { ...opts, maxBytes: 10_000 }));
    assert.equal(err.errorCode, "RESOURCE_EXHAUSTED");
    assert.match(
      err.message,
      /holds 27807 bytes in 10 files, more than the limit of 10000 bytes \(maxBytes\)/,
    );
    assert.equal(s.requests.filter((r) => r.path.includes(`${ROOT}/`)).length, 0);
  });
});

Deno.test("a bundle without sizes is stopped while streaming once it passes maxBytes", async () => {
  const server = await startStatic(fixtureDir("mnist_cnn_onnx").replace(/\/$/, ""));
  try {
    const err = await rejection(
      fetchBundle(`${server.url}/`, { cacheDir: false, maxBytes: 20_000 }),
    );
    assert.equal(err.errorCode, "RESOURCE_EXHAUSTED");
    assert.match(err.message, /is larger than the limit of 20000 bytes/);
  } finally {
    await server.close();
  }
});

Deno.test("more files than maxFiles are refused", async () => {
  await withServer(async (_s, opts) => {
    const err = await rejection(fetchBundle(URI, { ...opts, maxFiles: 3 }));
    assert.equal(err.errorCode, "RESOURCE_EXHAUSTED");
    assert.match(err.message, /has 10 files, more than the limit of 3 \(maxFiles\)/);
  });
});

Deno.test("registry errors keep MLflow's error code and name the models:/ URI", async () => {
  await withServer(async (_s, opts) => {
    const err = await rejection(fetchBundle("models:/iris@nope", opts));
    assert.equal(err.errorCode, "RESOURCE_DOES_NOT_EXIST");
    assert.match(
      err.message,
      /"registered-models\/alias" for "models:\/iris@nope" does not exist \(HTTP 404\): RESOURCE_DOES_NOT_EXIST Registered model alias nope not found/,
    );
    const latest = await rejection(fetchBundle("models:/iris/Archived", opts));
    assert.equal(latest.errorCode, "RESOURCE_DOES_NOT_EXIST");
    assert.equal(
      latest.message,
      "No versions of model with name 'iris' and stage 'Archived' found.",
    );
  });
});

Deno.test("a missing token is UNAUTHENTICATED", async () => {
  const server = await startMlflow({ auth: "Bearer right" });
  try {
    const err = await rejection(
      fetchBundle("models:/iris/1", { cacheDir: false, tracking: { uri: server.url } }),
    );
    assert.equal(err.errorCode, "UNAUTHENTICATED");
    assert.equal(err.status, 401);
  } finally {
    await server.close();
  }
});

Deno.test("URIs that cannot be resolved are INVALID_PARAMETER_VALUE with a clear message", async () => {
  const cases: [string, FetchBundleOptions, RegExp][] = [
    ["models:/iris/1", {}, /needs a tracking server: set MLFLOW_TRACKING_URI/],
    ["models:/", { tracking: { uri: "http://127.0.0.1:9" } }, /Not a proper models:\/ URI/],
    [
      "models:/iris/1",
      { tracking: { uri: "ftp://x" } },
      /Tracking URI "ftp:\/\/x" is not an http\(s\) URL/,
    ],
    ["gs://bucket/model", {}, /unsupported scheme "gs:"/],
    ["r2://MISSING/iris", {}, /No R2 binding named "MISSING"/],
    ["runs:/", { tracking: { uri: "http://127.0.0.1:9" } }, /Not a proper runs:\/ URI/],
  ];
  for (const [uri, opts, pattern] of cases) {
    const err = await rejection(fetchBundle(uri, { cacheDir: false, ...opts }));
    assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE", uri);
    assert.match(err.message, pattern);
  }
});

Deno.test("a missing local directory is RESOURCE_DOES_NOT_EXIST", async () => {
  const err = await rejection(fetchBundle("/nonexistent/model", { cacheDir: false }));
  assert.equal(err.errorCode, "RESOURCE_DOES_NOT_EXIST");
  assert.equal(err.message, 'Model directory "/nonexistent/model" does not exist.');
});

Deno.test("an R2 binding that does not answer in time is DEADLINE_EXCEEDED", async () => {
  // A binding whose get never settles (a stalled call into the runtime); list answers normally.
  const stalled = {
    list: () => Promise.resolve({ objects: [{ key: "iris/MLmodel", size: 3 }], truncated: false }),
    get: () => new Promise<never>(() => {}),
  };
  const err = await rejection(
    fetchBundle("r2://MODELS/iris", { cacheDir: false, timeoutMs: 100, r2: { MODELS: stalled } }),
  );
  assert.equal(err.errorCode, "DEADLINE_EXCEEDED");
  assert.match(
    err.message,
    /Object "MLmodel" of "r2:\/\/MODELS\/iris" did not complete within 100 ms/,
  );
});

Deno.test("a cache directory that cannot be created is a clear error", async () => {
  const file = await Deno.makeTempFile();
  const server = await startStatic(fixtureDir("iris_mlp_onnx").replace(/\/$/, ""));
  try {
    const err = await rejection(
      fetchBundle(`${server.url}/`, { cacheDir: `${file}/cache`, files: ["MLmodel"] }),
    );
    assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
    assert.match(err.message, /^Cache directory ".*\/cache" cannot be used: /);
    // A local directory is never cached: the cache directory is not even opened.
    const local = await fetchBundle(fixtureDir("iris_mlp_onnx"), { cacheDir: `${file}/cache` });
    assert.ok(local.files.has("MLmodel"));
  } finally {
    await server.close();
    await Deno.remove(file);
  }
});

Deno.test("a body longer than its Content-Length is DATA_LOSS, not a buffer overrun", async () => {
  const server = await startStatic(fixtureDir("iris_mlp_onnx").replace(/\/$/, ""));
  try {
    // As above, a response that breaks its own Content-Length, which Deno's fetch never hands out.
    const longFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return new Response(bytes, { status: res.status, headers: { "content-length": "100" } });
    };
    const err = await rejection(
      fetchBundle(`${server.url}/`, {
        cacheDir: false,
        files: ["MLmodel"],
        fetch: longFetch,
        retries: 0,
      }),
    );
    assert.equal(err.errorCode, "DATA_LOSS");
    assert.match(err.message, /Object "MLmodel" of ".*" sent more than the 100 bytes it announced/);
  } finally {
    await server.close();
  }
});

Deno.test("no more than `concurrency` downloads run at once", async () => {
  await withServer(async (_s, opts) => {
    let active = 0;
    let most = 0;
    const tracking: typeof fetch = async (input, init) => {
      active++;
      most = Math.max(most, active);
      try {
        const res = await fetch(input, init);
        return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
      } finally {
        active--;
      }
    };
    const bundle = await fetchBundle(URI, { ...opts, fetch: tracking, concurrency: 2 });
    assert.equal(bundle.files.size, 10);
    assert.ok(most <= 2, `up to ${most} requests ran at once`);
    most = 0;
    await fetchBundle(URI, { ...opts, fetch: tracking, concurrency: 8 });
    assert.ok(most > 2, "the limit is a limit, not serialisation");
  });
});

/** A byte stream (as fetch bodies are in Deno and workerd) of `bytes`, in 64-byte pieces. */
function byteStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return controller.byobRequest?.respond(0); // the pending read ends as done
      }
      controller.enqueue(bytes.slice(at, at += 64));
    },
  });
}

for (
  const [name, cut, pattern] of [
    ["shorter", 1, /was cut off: received 1120 of 1121 bytes/],
    ["longer", -1, /sent more than the 1120 bytes it announced/],
  ] as const
) {
  Deno.test(`a byte-stream body ${name} than its Content-Length is DATA_LOSS`, async () => {
    const server = await startStatic(fixtureDir("iris_mlp_onnx").replace(/\/$/, ""));
    try {
      // The body is read into one buffer of the announced size (BYOB), which must neither
      // overrun nor hand out a short buffer.
      const badFetch: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        const bytes = new Uint8Array(await res.arrayBuffer());
        const announced = cut > 0 ? bytes.length : bytes.length - 1;
        const body = cut > 0 ? bytes.subarray(0, bytes.length - cut) : bytes;
        return new Response(byteStream(body), {
          status: res.status,
          headers: { "content-length": String(announced) },
        });
      };
      const err = await rejection(
        fetchBundle(`${server.url}/`, {
          cacheDir: false,
          files: ["MLmodel"],
          fetch: badFetch,
          retries: 0,
        }),
      );
      assert.equal(err.errorCode, "DATA_LOSS");
      assert.match(err.message, pattern);
    } finally {
      await server.close();
    }
  });
}

Deno.test("a byte-stream body of its announced length is read whole", async () => {
  const server = await startStatic(fixtureDir("iris_mlp_onnx").replace(/\/$/, ""));
  try {
    let expected = new Uint8Array();
    const byteFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      expected = new Uint8Array(await res.arrayBuffer());
      return new Response(byteStream(expected), {
        status: res.status,
        headers: { "content-length": String(expected.length) },
      });
    };
    const bundle = await fetchBundle(`${server.url}/`, {
      cacheDir: false,
      files: ["MLmodel"],
      fetch: byteFetch,
      retries: 0,
    });
    assert.deepEqual(bundle.files.get("MLmodel"), expected);
  } finally {
    await server.close();
  }
});
