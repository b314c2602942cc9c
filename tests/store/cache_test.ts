// The bundle cache: a restart with a warm disk cache downloads nothing again (requests counted
// on the test servers), entries follow ETags, and a damaged entry is never used.
import assert from "node:assert/strict";
import { fetchBundle, type R2BucketLike } from "../../src/store/mod.ts";
import {
  countingFetch,
  fixtureDir,
  FIXTURES,
  readDir,
  sorted,
  startMlflow,
  startR2,
  startS3,
  startStatic,
} from "./_servers.ts";

const ROOT = "1/models/m-iris/artifacts";

async function withCacheDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      out.push(...(await filesUnder(`${dir}/${e.name}`)).map((f) => `${e.name}/${f}`));
    } else out.push(e.name);
  }
  return out;
}

Deno.test("a warm disk cache serves a models:/ bundle again without downloading any file", async () => {
  const mlflow = await startMlflow({
    versions: [{
      name: "iris",
      version: "1",
      aliases: ["champion"],
      artifactUri: `mlflow-artifacts:/${ROOT}`,
    }],
  });
  try {
    const local = await readDir(fixtureDir("iris_mlp_onnx"));
    mlflow.mount(ROOT, local);
    await withCacheDir(async (cacheDir) => {
      const opts = { cacheDir, tracking: { uri: mlflow.url } };
      const downloads = () =>
        mlflow.requests.filter((r) =>
          r.path.startsWith(`/api/2.0/mlflow-artifacts/artifacts/${ROOT}/`)
        ).length;
      const first = await fetchBundle("models:/iris@champion", opts);
      assert.equal(downloads(), 10);
      // A "restart": a new call with only the cache directory in common.
      const second = await fetchBundle("models:/iris@champion", opts);
      assert.equal(downloads(), 10);
      assert.deepEqual(sorted(second.files), sorted(first.files));
      assert.deepEqual(sorted(second.files), sorted(local));
      // No temporary files are left behind.
      assert.ok((await filesUnder(cacheDir)).every((f) => !f.includes(".tmp-")));
    });
  } finally {
    await mlflow.close();
  }
});

Deno.test("a warm disk cache serves an s3:// bundle with only the listing request", async () => {
  const s3 = await startS3(["models"]);
  try {
    const local = await readDir(fixtureDir("mnist_cnn_onnx"));
    for (const [k, v] of local) await s3.put("models", `mnist/${k}`, v);
    await withCacheDir(async (cacheDir) => {
      const counter = countingFetch();
      const opts = {
        cacheDir,
        fetch: counter.fetch,
        s3: { endpoint: s3.endpoint, ...s3.credentials },
      };
      await fetchBundle("s3://models/mnist", opts);
      assert.equal(counter.requests.length, 11); // one listing + ten objects
      counter.requests.length = 0;
      const again = await fetchBundle("s3://models/mnist", opts);
      assert.deepEqual(counter.requests, [{ method: "GET", path: "/models" }]);
      assert.deepEqual(sorted(again.files), sorted(local));

      // A changed object has a new ETag: only that object is downloaded again.
      await s3.put("models", "mnist/MLmodel", new TextEncoder().encode("flavors: {}\n"));
      counter.requests.length = 0;
      const changed = await fetchBundle("s3://models/mnist", opts);
      assert.deepEqual(counter.requests.map((r) => r.path), ["/models", "/models/mnist/MLmodel"]);
      assert.equal(new TextDecoder().decode(changed.files.get("MLmodel")), "flavors: {}\n");
    });
  } finally {
    await s3.close();
  }
});

Deno.test("a warm disk cache serves an http:// bundle with 304 answers only", async () => {
  const server = await startStatic(FIXTURES.pathname.replace(/\/$/, ""));
  try {
    await withCacheDir(async (cacheDir) => {
      const first = await fetchBundle(`${server.url}/iris_mlp_onnx/`, { cacheDir });
      assert.deepEqual(server.requests.map((r) => r.status), [200, 200, 200, 200, 200]);
      server.requests.length = 0;
      const second = await fetchBundle(`${server.url}/iris_mlp_onnx/`, { cacheDir });
      assert.deepEqual(server.requests.map((r) => r.status), [304, 304, 304, 304, 304]);
      assert.deepEqual(sorted(second.files), sorted(first.files));
    });
  } finally {
    await server.close();
  }
});

Deno.test("a warm cache serves an r2:// bundle with only the listing call", async () => {
  const r2 = await startR2();
  try {
    const local = await readDir(fixtureDir("iris_mlp_onnx"));
    for (const [k, v] of local) await r2.bucket.put(`iris/${k}`, v);
    // The real binding, with its calls counted.
    const calls: string[] = [];
    const counted: R2BucketLike = {
      list: (o) => (calls.push("list"), r2.bucket.list(o)),
      get: (k) => (calls.push(`get ${k}`), r2.bucket.get(k)),
    };
    await withCacheDir(async (cacheDir) => {
      await fetchBundle("r2://MODELS/iris", { cacheDir, r2: { MODELS: counted } });
      assert.equal(calls.length, 11);
      calls.length = 0;
      const again = await fetchBundle("r2://MODELS/iris", { cacheDir, r2: { MODELS: counted } });
      assert.deepEqual(calls, ["list"]);
      assert.deepEqual(sorted(again.files), sorted(local));
    });
    // Without a cacheDir, the in-memory cache does the same within one isolate.
    calls.length = 0;
    await fetchBundle("r2://MODELS/iris", { r2: { MODELS: counted } });
    assert.equal(calls.length, 11);
    calls.length = 0;
    await fetchBundle("r2://MODELS/iris", { r2: { MODELS: counted } });
    assert.deepEqual(calls, ["list"]);
  } finally {
    await r2.close();
  }
});

Deno.test("a damaged or half-written cache entry is never used and is repaired", async () => {
  const mlflow = await startMlflow();
  try {
    const local = await readDir(fixtureDir("iris_mlp_onnx"));
    mlflow.mount(ROOT, local);
    await withCacheDir(async (cacheDir) => {
      const opts = { cacheDir, tracking: { uri: mlflow.url } };
      await fetchBundle(`mlflow-artifacts:/${ROOT}`, opts);
      // Damage every blob (same size, different bytes) and leave a stray temporary file.
      const blobs = `${cacheDir}/v1/blobs`;
      for await (const e of Deno.readDir(blobs)) {
        const bytes = await Deno.readFile(`${blobs}/${e.name}`);
        bytes[0] ^= 0xff;
        await Deno.writeFile(`${blobs}/${e.name}`, bytes);
      }
      await Deno.writeTextFile(`${blobs}/abc.tmp-crash`, "partial");
      const before = mlflow.requests.length;
      const again = await fetchBundle(`mlflow-artifacts:/${ROOT}`, opts);
      assert.deepEqual(sorted(again.files), sorted(local));
      const downloads = mlflow.requests.slice(before).filter((r) => r.path.includes(`${ROOT}/`));
      assert.equal(downloads.length, 10);
      // Repaired: a third run downloads nothing.
      const mark = mlflow.requests.length;
      await fetchBundle(`mlflow-artifacts:/${ROOT}`, opts);
      assert.equal(
        mlflow.requests.slice(mark).filter((r) => r.path.includes(`${ROOT}/`)).length,
        0,
      );
    });
  } finally {
    await mlflow.close();
  }
});

Deno.test("cacheDir false downloads every time", async () => {
  const mlflow = await startMlflow();
  try {
    mlflow.mount(ROOT, await readDir(fixtureDir("iris_mlp_onnx")));
    const opts = { cacheDir: false as const, tracking: { uri: mlflow.url } };
    await fetchBundle(`mlflow-artifacts:/${ROOT}`, opts);
    await fetchBundle(`mlflow-artifacts:/${ROOT}`, opts);
    assert.equal(mlflow.requests.filter((r) => r.path.includes(`${ROOT}/`)).length, 20);
  } finally {
    await mlflow.close();
  }
});
