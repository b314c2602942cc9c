// The fixture bundles fetched through every scheme give the same file map as the local
// directory: s3:// (s3rver), r2:// (miniflare's local R2), http:// and the MLflow registry.
import assert from "node:assert/strict";
import { fetchBundle } from "../../src/store/mod.ts";
import {
  BUNDLES,
  fixtureDir,
  FIXTURES,
  readDir,
  sorted,
  startMlflow,
  startR2,
  startS3,
  startStatic,
} from "./_servers.ts";

const NO_CACHE = { cacheDir: false } as const;

Deno.test("local paths and file: URLs give every file of the bundle directory", async () => {
  for (const name of BUNDLES) {
    const expected = await readDir(fixtureDir(name));
    const byPath = await fetchBundle(fixtureDir(name), NO_CACHE);
    assert.deepEqual(sorted(byPath.files), sorted(expected));
    const byUrl = await fetchBundle(new URL(`file://${fixtureDir(name)}`).href, NO_CACHE);
    assert.deepEqual(sorted(byUrl.files), sorted(expected));
    assert.equal(byUrl.uri, `file://${fixtureDir(name)}`);
  }
});

Deno.test("a local path to an MLmodel file reads its directory", async () => {
  const bundle = await fetchBundle(`${fixtureDir("iris_mlp_onnx")}MLmodel`, NO_CACHE);
  assert.deepEqual(sorted(bundle.files), sorted(await readDir(fixtureDir("iris_mlp_onnx"))));
});

Deno.test("s3:// bundles on s3rver are byte-identical to the local directories", async () => {
  const s3 = await startS3(["models"]);
  try {
    for (const name of BUNDLES) {
      for (const [key, bytes] of await readDir(fixtureDir(name))) {
        await s3.put("models", `bundles/${name}/${key}`, bytes);
      }
    }
    // A sibling whose name starts with the same prefix must not leak into the listing.
    await s3.put("models", "bundles/iris_mlp_onnx_v2/extra.txt", new Uint8Array([1]));
    for (const name of BUNDLES) {
      const bundle = await fetchBundle(`s3://models/bundles/${name}`, {
        ...NO_CACHE,
        s3: { endpoint: s3.endpoint, region: "us-east-1", ...s3.credentials },
      });
      assert.deepEqual(sorted(bundle.files), sorted(await readDir(fixtureDir(name))));
    }
  } finally {
    await s3.close();
  }
});

Deno.test("s3:// requests are SigV4-signed with the given key, region and session token", async () => {
  const s3 = await startS3(["models"]);
  const seen: Headers[] = [];
  try {
    await s3.put("models", "m/MLmodel", new TextEncoder().encode("flavors: {}\n"));
    await fetchBundle("s3://models/m/", {
      ...NO_CACHE,
      s3: {
        endpoint: `${s3.endpoint}/`,
        region: "eu-west-3",
        ...s3.credentials,
        sessionToken: "sess-token-1",
      },
      fetch: (input, init) => {
        const req = new Request(input, init);
        seen.push(req.headers);
        return fetch(req);
      },
    });
    assert.equal(seen.length, 2); // one listing, one object
    for (const h of seen) {
      assert.match(
        h.get("authorization") ?? "",
        /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/eu-west-3\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-security-token[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      assert.equal(h.get("x-amz-security-token"), "sess-token-1");
    }
  } finally {
    await s3.close();
  }
});

Deno.test("r2:// bundles through miniflare's R2 binding are byte-identical to the local directories", async () => {
  const r2 = await startR2();
  try {
    for (const name of BUNDLES) {
      for (const [key, bytes] of await readDir(fixtureDir(name))) {
        await r2.bucket.put(`${name}/${key}`, bytes);
      }
    }
    for (const name of BUNDLES) {
      const bundle = await fetchBundle(`r2://MODELS/${name}`, {
        ...NO_CACHE,
        r2: { MODELS: r2.bucket },
      });
      assert.deepEqual(sorted(bundle.files), sorted(await readDir(fixtureDir(name))));
    }
  } finally {
    await r2.close();
  }
});

Deno.test("http:// with an explicit file list is byte-identical to the local directory", async () => {
  const server = await startStatic(FIXTURES.pathname.replace(/\/$/, ""));
  try {
    for (const name of BUNDLES) {
      const expected = await readDir(fixtureDir(name));
      const bundle = await fetchBundle(`${server.url}/${name}`, {
        ...NO_CACHE,
        files: [...expected.keys()],
      });
      assert.deepEqual(sorted(bundle.files), sorted(expected));
    }
  } finally {
    await server.close();
  }
});

Deno.test("http:// without a listing finds MLmodel, the files it names and the ONNX external data", async () => {
  const server = await startStatic(FIXTURES.pathname.replace(/\/$/, ""));
  try {
    const external = {
      iris_mlp_onnx: "7a352ddc-e9a0-11f1-9901-02fc00000001",
      mnist_cnn_onnx: "7ba982f8-e9a0-11f1-9901-02fc00000001",
    };
    for (const name of BUNDLES) {
      const local = await readDir(fixtureDir(name));
      const bundle = await fetchBundle(`${server.url}/${name}/`, NO_CACHE);
      const keys = [
        "MLmodel",
        "model.onnx",
        external[name],
        "input_example.json",
        "serving_input_example.json",
      ].sort();
      assert.deepEqual([...bundle.files.keys()], keys);
      for (const key of keys) assert.deepEqual(bundle.files.get(key), local.get(key), key);
    }
    // Each file was requested exactly once (MLmodel and model.onnx are not read twice).
    const gets = server.requests.filter((r) => r.path.startsWith("/iris_mlp_onnx/"));
    assert.equal(gets.length, 5);
    // The URL of the MLmodel file itself stands for its directory.
    const viaMlmodel = await fetchBundle(`${server.url}/iris_mlp_onnx/MLmodel`, NO_CACHE);
    assert.equal(viaMlmodel.files.size, 5);
  } finally {
    await server.close();
  }
});

Deno.test("models:/name@alias and other registry URIs give the local directory's files", async () => {
  const mlflow = await startMlflow({
    versions: [
      {
        name: "iris",
        version: "1",
        stage: "Staging",
        artifactUri: "mlflow-artifacts:/0/run-iris/artifacts/model",
      },
      {
        name: "iris",
        version: "2",
        stage: "Production",
        aliases: ["champion"],
        artifactUri: "mlflow-artifacts:/1/models/m-iris2/artifacts",
      },
      {
        name: "mnist",
        version: "4",
        aliases: ["champion"],
        artifactUri: "mlflow-artifacts:/1/models/m-mnist4/artifacts",
      },
    ],
    loggedModels: [
      {
        modelId: "m-iris2",
        name: "model",
        experimentId: "1",
        sourceRunId: "run-v3",
        artifactUri: "mlflow-artifacts:/1/models/m-iris2/artifacts",
      },
      {
        modelId: "m-mnist4",
        name: "model",
        experimentId: "1",
        artifactUri: "mlflow-artifacts:/1/models/m-mnist4/artifacts",
      },
    ],
    runs: [
      {
        runId: "run-iris",
        experimentId: "0",
        artifactUri: "mlflow-artifacts:/0/run-iris/artifacts",
      },
      { runId: "run-v3", experimentId: "1", artifactUri: "mlflow-artifacts:/1/run-v3/artifacts" },
    ],
  });
  try {
    const iris = await readDir(fixtureDir("iris_mlp_onnx"));
    const mnist = await readDir(fixtureDir("mnist_cnn_onnx"));
    mlflow.mount("0/run-iris/artifacts/model", iris); // MLflow 2: run-relative
    mlflow.mount("1/models/m-iris2/artifacts", iris); // MLflow 3: LoggedModel artifacts
    mlflow.mount("1/models/m-mnist4/artifacts", mnist);
    const options = { ...NO_CACHE, tracking: { uri: mlflow.url } };
    const cases: [string, Map<string, Uint8Array>][] = [
      ["models:/iris@champion", iris],
      ["models:/mnist@champion", mnist],
      ["models:/iris/1", iris],
      ["models:/iris/latest", iris],
      ["models:/iris/production", iris],
      ["models:/iris/Staging", iris],
      ["models:/m-iris2", iris],
      ["runs:/run-iris/model", iris],
      ["runs:/run-v3/model", iris],
      ["mlflow-artifacts:/1/models/m-mnist4/artifacts", mnist],
    ];
    for (const [uri, expected] of cases) {
      const bundle = await fetchBundle(uri, options);
      assert.equal(bundle.uri, uri);
      assert.deepEqual(sorted(bundle.files), sorted(expected), uri);
    }
    const paths = mlflow.requests.map((r) => r.path);
    assert.ok(paths.includes("/api/2.0/mlflow/registered-models/alias"));
    assert.ok(paths.includes("/api/2.0/mlflow/registered-models/get-latest-versions"));
    assert.ok(paths.includes("/api/2.0/mlflow/logged-models/m-iris2"));
    assert.ok(paths.includes("/api/2.0/mlflow/logged-models/search"));
  } finally {
    await mlflow.close();
  }
});

Deno.test("models:/name/latest picks the highest version across stages", async () => {
  const mlflow = await startMlflow({
    versions: [
      { name: "iris", version: "9", stage: "Archived", artifactUri: "mlflow-artifacts:/v9" },
      { name: "iris", version: "10", stage: "None", artifactUri: "mlflow-artifacts:/v10" },
      { name: "iris", version: "3", stage: "Production", artifactUri: "mlflow-artifacts:/v3" },
    ],
  });
  try {
    mlflow.mount("v9", new Map([["MLmodel", new Uint8Array([9])]]));
    mlflow.mount("v10", new Map([["MLmodel", new Uint8Array([10])]]));
    mlflow.mount("v3", new Map([["MLmodel", new Uint8Array([3])]]));
    const opts = { ...NO_CACHE, tracking: { uri: mlflow.url } };
    assert.deepEqual(
      (await fetchBundle("models:/iris/latest", opts)).files.get("MLmodel"),
      new Uint8Array([10]),
    );
    assert.deepEqual(
      (await fetchBundle("models:/iris/production", opts)).files.get("MLmodel"),
      new Uint8Array([3]),
    );
  } finally {
    await mlflow.close();
  }
});

Deno.test("an MLflow 2 server: run-relative artifacts and the GET get-latest-versions fallback", async () => {
  const mlflow = await startMlflow({
    mlflow2: true,
    versions: [{
      name: "iris",
      version: "1",
      artifactUri: "mlflow-artifacts:/0/r1/artifacts/model",
    }],
    runs: [{ runId: "r1", experimentId: "0", artifactUri: "mlflow-artifacts:/0/r1/artifacts" }],
  });
  try {
    const iris = await readDir(fixtureDir("iris_mlp_onnx"));
    mlflow.mount("0/r1/artifacts/model", iris);
    const opts = { ...NO_CACHE, tracking: { uri: mlflow.url } };
    assert.deepEqual(sorted((await fetchBundle("runs:/r1/model", opts)).files), sorted(iris));
    assert.deepEqual(sorted((await fetchBundle("models:/iris/latest", opts)).files), sorted(iris));
    const latest = mlflow.requests.filter((r) => r.path.endsWith("get-latest-versions")).map((r) =>
      `${r.method} ${r.status}`
    );
    assert.deepEqual(latest, ["POST 404", "GET 200"]);
  } finally {
    await mlflow.close();
  }
});

Deno.test("a tracking server behind a path prefix with bearer auth", async () => {
  const mlflow = await startMlflow({
    prefix: "/mlflow",
    auth: "Bearer tok-123",
    versions: [{
      name: "iris",
      version: "1",
      aliases: ["prod"],
      artifactUri: "mlflow-artifacts:/m1",
    }],
  });
  try {
    mlflow.mount("m1", new Map([["MLmodel", new Uint8Array([1])]]));
    const bundle = await fetchBundle("models:/iris@prod", {
      ...NO_CACHE,
      tracking: { uri: mlflow.url, token: "tok-123" },
    });
    assert.deepEqual([...bundle.files.keys()], ["MLmodel"]);
    assert.ok(
      mlflow.requests.every((r) => r.path.startsWith("/mlflow/api/2.0/") && r.status === 200),
    );
  } finally {
    await mlflow.close();
  }
});

Deno.test("basic auth from username and password reaches the tracking server", async () => {
  const mlflow = await startMlflow({
    auth: `Basic ${btoa("ana:pw-secret")}`,
    versions: [{ name: "iris", version: "1", artifactUri: "mlflow-artifacts:/m1" }],
  });
  try {
    mlflow.mount("m1", new Map([["MLmodel", new Uint8Array([1])]]));
    const opts = {
      ...NO_CACHE,
      tracking: { uri: mlflow.url, username: "ana", password: "pw-secret" },
    };
    assert.equal((await fetchBundle("models:/iris/1", opts)).files.size, 1);
  } finally {
    await mlflow.close();
  }
});

Deno.test("runs:/ merges the run's files with its LoggedModel's, the LoggedModel winning", async () => {
  const mlflow = await startMlflow({
    loggedModels: [
      {
        modelId: "m-1",
        name: "model",
        experimentId: "1",
        sourceRunId: "r1",
        artifactUri: "mlflow-artifacts:/1/models/m-1/artifacts",
      },
      // Same name, another run: must not be picked.
      {
        modelId: "m-2",
        name: "model",
        experimentId: "1",
        sourceRunId: "r2",
        artifactUri: "mlflow-artifacts:/1/models/m-2/artifacts",
      },
    ],
    runs: [{ runId: "r1", experimentId: "1", artifactUri: "mlflow-artifacts:/1/r1/artifacts" }],
  });
  try {
    const enc = (t: string) => new TextEncoder().encode(t);
    mlflow.mount(
      "1/r1/artifacts/model",
      new Map([["MLmodel", enc("run")], ["extra.txt", enc("run extra")]]),
    );
    mlflow.mount(
      "1/models/m-1/artifacts",
      new Map([["MLmodel", enc("logged")], ["model.onnx", enc("onnx")]]),
    );
    mlflow.mount("1/models/m-2/artifacts", new Map([["MLmodel", enc("other run")]]));
    const bundle = await fetchBundle("runs:/r1/model", {
      ...NO_CACHE,
      tracking: { uri: mlflow.url },
    });
    const text = Object.fromEntries(
      [...bundle.files].map(([k, v]) => [k, new TextDecoder().decode(v)]),
    );
    assert.deepEqual(text, { "MLmodel": "logged", "extra.txt": "run extra", "model.onnx": "onnx" });
  } finally {
    await mlflow.close();
  }
});

Deno.test("listings that span several pages are read to the end (R2 cursor, S3 continuation token)", async () => {
  // Small pages are forced on the real servers so a handful of objects spans several pages.
  const keys = ["a", "b", "c", "d", "e"];
  const r2 = await startR2();
  const s3 = { credentials: { accessKeyId: "AKID", secretAccessKey: "secret" } };
  try {
    for (const k of keys) {
      await r2.bucket.put(`many/${k}`, new Uint8Array([1]));
    }
    const r2Calls: (string | undefined)[] = [];
    const bucket = {
      list: (o: { prefix?: string; cursor?: string }) => (
        r2Calls.push(o.cursor), r2.bucket.list({ ...o, limit: 2 } as typeof o)
      ),
      get: (k: string) => r2.bucket.get(k),
    };
    const fromR2 = await fetchBundle("r2://MODELS/many", { ...NO_CACHE, r2: { MODELS: bucket } });
    assert.deepEqual([...fromR2.files.keys()], keys);
    assert.equal(r2Calls.length, 3);
    assert.ok(r2Calls[0] === undefined && r2Calls[1] && r2Calls[2]);

    // s3rver answers 500 for a truncated ListObjectsV2 page under Deno, so S3 pagination is
    // checked against a minimal ListObjectsV2 responder (two pages, S3's XML, entity-escaped keys).
    const seenTokens: (string | null)[] = [];
    const fake = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const url = new URL(req.url);
      if (url.searchParams.get("list-type") !== "2") return new Response(url.pathname);
      const token = url.searchParams.get("continuation-token");
      seenTokens.push(token);
      const page = token === "p&2" ? ["many/c&amp;d", "many/e"] : ["many/a", "many/b"];
      const contents = page.map((k) =>
        `<Contents><Key>${k}</Key><Size>${k.length + 7}</Size><ETag>&quot;x&quot;</ETag></Contents>`
      );
      const more = token === "p&2"
        ? "<IsTruncated>false</IsTruncated>"
        : "<IsTruncated>true</IsTruncated><NextContinuationToken>p&amp;2</NextContinuationToken>";
      return new Response(
        `<?xml version="1.0"?><ListBucketResult>${more}${contents.join("")}</ListBucketResult>`,
      );
    });
    try {
      const fromFake = await fetchBundle("s3://models/many", {
        ...NO_CACHE,
        s3: { endpoint: `http://127.0.0.1:${fake.addr.port}`, ...s3.credentials },
      });
      assert.deepEqual(seenTokens, [null, "p&2"]);
      const text = Object.fromEntries(
        [...fromFake.files].map(([k, v]) => [k, new TextDecoder().decode(v)]),
      );
      assert.deepEqual(text, {
        "a": "/models/many/a",
        "b": "/models/many/b",
        "c&d": "/models/many/c%26d",
        "e": "/models/many/e",
      });
    } finally {
      await fake.shutdown();
    }
  } finally {
    await r2.close();
  }
});
