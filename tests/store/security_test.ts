// Keys stay inside the bundle, registry-returned locations are followed only to allowed
// places, and credentials never appear in error messages.
import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { fetchBundle, type FetchBundleOptions } from "../../src/store/mod.ts";
import { modelWithExternal } from "./_protobuf.ts";
import { fixtureDir, readDir, startMlflow, startR2, startStatic } from "./_servers.ts";

async function rejection(promise: Promise<unknown>): Promise<MlflowError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MlflowError, `expected MlflowError, got ${err}`);
    return err;
  }
  assert.fail("expected a rejection");
}

Deno.test("a local symlink pointing outside the bundle is refused; one inside is followed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/bundle/sub`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bundle/MLmodel`, "flavors: {}\n");
    await Deno.writeTextFile(`${dir}/secret.txt`, "top secret");
    await Deno.symlink(`${dir}/bundle/MLmodel`, `${dir}/bundle/sub/link-inside`);
    const inside = await fetchBundle(`${dir}/bundle`, { cacheDir: false });
    assert.deepEqual([...inside.files.keys()], ["MLmodel", "sub/link-inside"]);

    await Deno.symlink(`${dir}/secret.txt`, `${dir}/bundle/weights.bin`);
    const err = await rejection(fetchBundle(`${dir}/bundle`, { cacheDir: false }));
    assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
    assert.match(
      err.message,
      /File "weights\.bin" of ".*bundle" is a symbolic link pointing outside the bundle directory/,
    );
    assert.ok(!err.message.includes("top secret"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a symlinked directory pointing outside the bundle is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/bundle`);
    await Deno.mkdir(`${dir}/elsewhere`);
    await Deno.writeTextFile(`${dir}/elsewhere/x`, "x");
    await Deno.symlink(`${dir}/elsewhere`, `${dir}/bundle/data`);
    const err = await rejection(fetchBundle(`${dir}/bundle`, { cacheDir: false }));
    assert.match(err.message, /File "data" .* pointing outside the bundle directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("explicit http file lists with .., absolute paths or backslashes are refused before any request", async () => {
  const server = await startStatic(fixtureDir("iris_mlp_onnx").replace(/\/$/, ""));
  try {
    for (
      const key of ["../iris_mlp_pytorch/MLmodel", "/etc/passwd", "a\\..\\b", "a/./b", "C:/x", ""]
    ) {
      const err = await rejection(fetchBundle(`${server.url}/`, { cacheDir: false, files: [key] }));
      assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE", key);
      assert.match(err.message, /files must stay inside the bundle/);
    }
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

Deno.test("an external-data location escaping the bundle, recorded inside model.onnx, is refused", async () => {
  const dir = await Deno.makeTempDir();
  const server = await startStatic(dir);
  try {
    await Deno.mkdir(`${dir}/m`);
    await Deno.writeTextFile(`${dir}/m/MLmodel`, "flavors:\n  onnx:\n    data: model.onnx\n");
    await Deno.writeFile(`${dir}/m/model.onnx`, modelWithExternal("../secret.bin"));
    await Deno.writeTextFile(`${dir}/secret.bin`, "secret");
    const err = await rejection(fetchBundle(`${server.url}/m/`, { cacheDir: false }));
    assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
    assert.match(
      err.message,
      /File "model\.onnx" of "http:.*\/m\/" names file "\.\.\/secret\.bin", which contains a "\.\." segment/,
    );
    assert.ok(!server.requests.some((r) => r.path.includes("secret")));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an MLmodel naming a file outside the bundle is refused", async () => {
  const dir = await Deno.makeTempDir();
  const server = await startStatic(dir);
  try {
    await Deno.writeTextFile(`${dir}/MLmodel`, "flavors:\n  onnx:\n    data: /etc/passwd\n");
    const err = await rejection(fetchBundle(`${server.url}/`, { cacheDir: false }));
    assert.match(
      err.message,
      /MLmodel of ".*" names file "\/etc\/passwd", which is an absolute path/,
    );
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an R2 listing with a key that climbs out of the prefix is refused", async () => {
  const r2 = await startR2();
  try {
    await r2.bucket.put("iris/MLmodel", new Uint8Array([1]));
    await r2.bucket.put("iris/../../etc/passwd", new Uint8Array([2]));
    const err = await rejection(
      fetchBundle("r2://MODELS/iris", { cacheDir: false, r2: { MODELS: r2.bucket } }),
    );
    assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
    assert.match(
      err.message,
      /The listing of "r2:\/\/MODELS\/iris" names file "\.\.\/\.\.\/etc\/passwd"/,
    );
  } finally {
    await r2.close();
  }
});

Deno.test("registry-returned locations are followed only to allowed schemes and hosts", async () => {
  const server = await startMlflow({
    versions: [
      { name: "m", version: "1", artifactUri: "file:///etc" },
      { name: "m", version: "2", artifactUri: "http://evil.example.com/models/m" },
      { name: "m", version: "3", artifactUri: "mlflow-artifacts://evil.example.com:80/1/m" },
      { name: "m", version: "4", artifactUri: "s3://other-bucket/m" },
      { name: "m", version: "5", artifactUri: "models:/m/1" },
      { name: "m", version: "6", artifactUri: "gs://bucket/m" },
    ],
  });
  try {
    const opts: FetchBundleOptions = {
      cacheDir: false,
      tracking: { uri: server.url },
      allowedHosts: ["s3://models"],
    };
    const expected: [string, RegExp][] = [
      ["1", /scheme "file:" is not one of/],
      ["2", /host "evil\.example\.com" is neither the tracking server nor in allowedHosts/],
      ["3", /host "evil\.example\.com:80" is neither the tracking server nor in allowedHosts/],
      ["4", /bucket "other-bucket" is not in allowedHosts/],
      ["5", /scheme "models:" is not one of/],
      ["6", /scheme "gs:" is not one of/],
    ];
    for (const [version, pattern] of expected) {
      const err = await rejection(fetchBundle(`models:/m/${version}`, opts));
      assert.equal(err.errorCode, "PERMISSION_DENIED", version);
      assert.match(
        err.message,
        new RegExp(`The tracking server resolved "models:/m/${version}" to `),
      );
      assert.match(err.message, pattern);
    }
  } finally {
    await server.close();
  }
});

Deno.test("a 403 whose body echoes the request's credentials does not leak them into the error", async () => {
  const secrets = {
    secretAccessKey: "wJalrXUtnFEMI-SECRET-KEY-0001",
    sessionToken: "FwoGZXIvYXdzEJr-SESSION-TOKEN-0001",
    token: "dapi-TRACKING-TOKEN-0001",
    password: "hunter2-PASSWORD-0001",
  };
  // An S3-like and MLflow-like server that echoes every request header in its error bodies.
  let echoed = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const headers = [...req.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
    echoed += headers;
    const url = new URL(req.url);
    if (url.pathname.startsWith("/api/")) {
      return Response.json({
        error_code: "PERMISSION_DENIED",
        message: `Denied. You sent:\n${headers}`,
      }, { status: 403 });
    }
    return new Response(
      `<Error><Code>AccessDenied</Code><Message>Denied. You sent: ${headers}</Message></Error>`,
      { status: 403, headers: { "content-type": "application/xml" } },
    );
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const checks: [string, FetchBundleOptions][] = [
      ["s3://models/iris", {
        s3: {
          endpoint: base,
          accessKeyId: "AKIDLEAKTEST",
          secretAccessKey: secrets.secretAccessKey,
          sessionToken: secrets.sessionToken,
        },
      }],
      ["models:/iris@champion", { tracking: { uri: base, token: secrets.token } }],
      ["models:/iris@champion", {
        tracking: { uri: base, username: "ana", password: secrets.password },
      }],
      ["models:/iris@champion", {
        tracking: { uri: `http://ana:${secrets.password}@127.0.0.1:${server.addr.port}` },
      }],
      [`http://ana:${secrets.password}@127.0.0.1:${server.addr.port}/bundle/`, {}],
    ];
    for (const [uri, opts] of checks) {
      const err = await rejection(fetchBundle(uri, { cacheDir: false, retries: 0, ...opts }));
      assert.equal(err.errorCode, "PERMISSION_DENIED", uri);
      const shown = `${err.message}\n${JSON.stringify(err.toJSON())}\n${String(err)}`;
      for (const secret of [...Object.values(secrets), btoa(`ana:${secrets.password}`)]) {
        assert.ok(!shown.includes(secret), `${uri}: error shows a secret: ${shown}`);
      }
    }
    // The secrets did reach the server (so the check above is not vacuous).
    assert.ok(echoed.includes(secrets.sessionToken));
    assert.ok(echoed.includes(secrets.token));
    assert.ok(echoed.includes(btoa(`ana:${secrets.password}`)));
  } finally {
    await server.shutdown();
  }
});

Deno.test("tracking credentials are sent only to the tracking server's own origin", async () => {
  const seen: { host: string; auth: string | null }[] = [];
  const mlflow = await startMlflow({
    versions: [{ name: "m", version: "1", artifactUri: "mlflow-artifacts:/m1" }],
  });
  const other = await startStatic(fixtureDir("iris_mlp_onnx").replace(/\/$/, ""));
  try {
    mlflow.mount("m1", new Map([["MLmodel", new Uint8Array([1])]]));
    const otherHost = new URL(other.url).host;
    const spy: typeof fetch = (input, init) => {
      const req = new Request(input, init);
      seen.push({ host: new URL(req.url).host, auth: req.headers.get("authorization") });
      return fetch(req);
    };
    await fetchBundle("models:/m/1", {
      cacheDir: false,
      tracking: { uri: mlflow.url, token: "tok" },
      fetch: spy,
    });
    assert.ok(seen.length > 0 && seen.every((s) => s.auth === "Bearer tok"));
    seen.length = 0;
    // An allowed foreign host gets no tracking credentials.
    await fetchBundle(`${other.url}/`, {
      cacheDir: false,
      tracking: { uri: mlflow.url, token: "tok" },
      fetch: spy,
      files: ["MLmodel"],
    });
    assert.deepEqual(seen, [{ host: otherHost, auth: null }]);
  } finally {
    await mlflow.close();
    await other.close();
  }
});

/** A loopback server that records every request it gets and answers 200 "gotcha". */
function recorder(): { url: string; seen: string[]; close(): Promise<void> } {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push(
      `${req.method} ${new URL(req.url).pathname} auth=${req.headers.get("authorization")}`,
    );
    return new Response("gotcha");
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

Deno.test("redirects from the registry, its artifacts and plain http stores are not followed", async () => {
  const other = recorder();
  const mlflow = await startMlflow({
    versions: [{ name: "m", version: "1", artifactUri: "mlflow-artifacts:/m1" }],
  });
  const plain = await startMlflow();
  try {
    const files = await readDir(fixtureDir("iris_mlp_onnx"));
    mlflow.mount("m1", files);
    const opts: FetchBundleOptions = {
      cacheDir: false,
      retries: 0,
      tracking: { uri: mlflow.url, token: "tracking-secret" },
    };
    // (1) an artifact download on the allowed tracking host answers a redirect elsewhere;
    for (const status of [301, 302, 303, 307, 308]) {
      mlflow.faults.set("m1/MLmodel", {
        kind: "redirect",
        location: `${other.url}/MLmodel`,
        status,
      });
      const err = await rejection(fetchBundle("models:/m/1", opts));
      assert.equal(err.errorCode, "PERMISSION_DENIED");
      assert.match(
        err.message,
        new RegExp(`answered a redirect \\(HTTP ${status} to ".*MLmodel"\\)`),
      );
    }
    mlflow.faults.delete("m1/MLmodel");
    // (2) a registry REST call answers a redirect;
    mlflow.faults.set("model-versions/get-download-uri", {
      kind: "redirect",
      location: `${other.url}/api/2.0/mlflow/model-versions/get-download-uri?name=m&version=1`,
    });
    const rest = await rejection(fetchBundle("models:/m/1", opts));
    assert.match(rest.message, /answered a redirect \(HTTP 302/);
    // (3) a plain http bundle URL answers a redirect.
    plain.faults.set("b/MLmodel", { kind: "redirect", location: `${other.url}/MLmodel` });
    const direct = await rejection(
      fetchBundle(`${plain.url}/api/2.0/mlflow-artifacts/artifacts/b/`, { cacheDir: false }),
    );
    assert.match(direct.message, /answered a redirect \(HTTP 302/);
    assert.deepEqual(other.seen, [], "the redirect target was contacted");
    // Without the redirect the same bundle loads, so the refusals above are the redirects'.
    mlflow.faults.clear();
    const bundle = await fetchBundle("models:/m/1", opts);
    assert.ok(bundle.files.has("model.onnx"));
  } finally {
    await other.close();
    await mlflow.close();
    await plain.close();
  }
});

Deno.test("an s3:// URI whose bucket carries a host is refused before any request", async () => {
  const other = recorder();
  const port = new URL(other.url).port;
  const s3 = {
    accessKeyId: "AKIDTEST",
    secretAccessKey: "secret-key-0001",
    sessionToken: "SESSION-TOKEN-0001",
  };
  try {
    for (
      const uri of [
        `s3://x@127.0.0.1:${port}/m`,
        `s3://x@localhost:${port}\\/m`,
        `s3://localhost:${port}\\/m`,
        "s3://Bucket_With_Caps/m",
        "s3://192.168.1.10/m",
        "s3://a..b/m",
        "s3://ab/m",
      ]
    ) {
      for (const endpoint of [undefined, other.url]) {
        const err = await rejection(
          fetchBundle(uri, {
            cacheDir: false,
            retries: 0,
            timeoutMs: 2_000,
            s3: { ...s3, endpoint },
          }),
        );
        assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE", uri);
        assert.match(err.message, /Invalid S3 bucket name/);
        assert.ok(!err.message.includes("SESSION-TOKEN"));
      }
    }
    assert.deepEqual(other.seen, []);
  } finally {
    await other.close();
  }
});

Deno.test("an http bundle whose MLmodel uses YAML references is refused before it is parsed", async () => {
  const dir = await Deno.makeTempDir();
  const server = await startStatic(dir);
  try {
    const row = `[${Array.from({ length: 40 }, (_, i) => i).join(", ")}]`;
    const big = Array.from({ length: 18_500 }, (_, i) => `  k${i}: ${row}`).join("\n");
    await Deno.writeTextFile(
      `${dir}/MLmodel`,
      `base: &base\n${big}\nflavors:\n` +
        Array.from({ length: 99 }, (_, i) => `  f${i}:\n    <<: *base\n`).join(""),
    );
    const err = await rejection(fetchBundle(`${server.url}/`, { cacheDir: false }));
    assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
    assert.match(err.message, /MLmodel file '.*\/MLmodel' uses a YAML anchor \(&base\)/);
    // Nothing after MLmodel was requested.
    assert.deepEqual(server.requests.map((r) => r.path), ["/MLmodel"]);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
