// logModel against a REST double of an MLflow 3 tracking server (./_tracking_server.ts). A real
// MLflow tracking server cannot run in CI (no Python MLflow on these machines); the double
// follows MLflow's documented REST API and the calls recorded from a real MLflow 3 server in
// the spec (../shared/spec/mlflow-log-model.md), which the order and bodies are checked against.
import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { Model } from "../../src/mlmodel/model.ts";
import { logModel, type LogModelOptions } from "../../src/tracking/mod.ts";
import { loadModel } from "../../src/model/mod.ts";
import { startS3 } from "../store/_servers.ts";
import { assertServesGoldens } from "./_replay.ts";
import { type Call, startTrackingDouble, type TrackingDouble } from "./_tracking_server.ts";

const IRIS = new URL("../fixtures/mlflow-bundles/iris_mlp_onnx/", import.meta.url);
const IRIS_DIR = decodeURIComponent(IRIS.pathname);
const EXTERNAL = "7a352ddc-e9a0-11f1-9901-02fc00000001";
const INPUT_EXAMPLE = JSON.parse(
  Deno.readTextFileSync(new URL("input_example.json", IRIS)),
);
const FIXTURE_MLMODEL = await Model.load(IRIS_DIR);
const FAST = { retries: 1, retryDelayMs: 1, timeoutMs: 10_000 };

/** The REST calls (not the artifact PUTs) as `METHOD endpoint`. */
function restCalls(calls: Call[]): string[] {
  return calls.filter((c) => !c.endpoint.startsWith("artifacts")).map((c) =>
    `${c.method} ${c.endpoint}`
  );
}

function callOf(calls: Call[], key: string): Call {
  const c = calls.find((c) => `${c.method} ${c.endpoint}` === key);
  assert.ok(c, `no call ${key}`);
  return c;
}

async function withDouble(
  fn: (server: TrackingDouble) => Promise<void>,
  options: Parameters<typeof startTrackingDouble>[0] = {},
) {
  const server = await startTrackingDouble(options);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** Replay MLflow's golden requests through a model loaded from the double's registry. */
function goldens(uri: string, trackingUri: string, token?: string) {
  return assertServesGoldens(uri, { tracking: { uri: trackingUri, token } });
}

Deno.test("logModel makes the calls mlflow.onnx.log_model makes, in order, with MLflow's bodies", async () => {
  await withDouble(async (server) => {
    const info = await logModel({
      trackingUri: server.url,
      onnx: `${IRIS_DIR}model.onnx`,
      signature: FIXTURE_MLMODEL.signature,
      inputExample: INPUT_EXAMPLE,
      experimentName: "spec",
      registeredModelName: "spec-iris",
      alias: "champion",
      user: "root",
      ...FAST,
    });
    // The spec's recorded sequence (§1) with a run, without the calls that only read back what
    // the client already has (rows 3, 5, 8, 9, 14, 16, 18) or that the server already did (15).
    // The alias is set inside the run here, because logModel does it as part of one operation.
    assert.deepEqual(restCalls(server.calls), [
      "GET experiments/get-by-name",
      "POST experiments/create",
      "POST runs/create",
      "POST logged-models",
      "POST runs/outputs",
      `PATCH logged-models/${info.modelId}`,
      "POST registered-models/create",
      "POST model-versions/create",
      "POST registered-models/alias",
      "POST runs/update",
    ]);
    // Every upload comes after the LoggedModel and its run link, and before it is READY.
    const order = server.calls.map((c) => c.endpoint);
    const puts = server.calls.filter((c) => c.method === "PUT");
    const firstPut = order.findIndex((e) => e.startsWith("artifacts/"));
    assert.ok(firstPut > order.indexOf("runs/outputs"));
    assert.ok(
      order.lastIndexOf(puts.at(-1)!.endpoint) < order.indexOf(`logged-models/${info.modelId}`),
    );

    assert.deepEqual(callOf(server.calls, "GET experiments/get-by-name").query, {
      experiment_name: "spec",
    });
    assert.deepEqual(callOf(server.calls, "POST experiments/create").body, { name: "spec" });
    const runCreate = callOf(server.calls, "POST runs/create").body as Record<string, unknown>;
    assert.equal(runCreate.experiment_id, "1");
    assert.equal(runCreate.user_id, "root");
    assert.equal(typeof runCreate.start_time, "number");
    assert.deepEqual(runCreate.tags, [
      { key: "mlflow.user", value: "root" },
      { key: "mlflow.source.name", value: "mlflow-edge" },
      { key: "mlflow.source.type", value: "LOCAL" },
    ]);
    const runId = info.runId;
    assert.deepEqual(callOf(server.calls, "POST logged-models").body, {
      experiment_id: "1",
      name: "model",
      source_run_id: runId,
      tags: runCreate.tags,
    });
    assert.deepEqual(callOf(server.calls, "POST runs/outputs").body, {
      run_id: runId,
      models: [{ model_id: info.modelId, step: 0 }],
    });
    assert.deepEqual(callOf(server.calls, `PATCH logged-models/${info.modelId}`).body, {
      model_id: info.modelId,
      status: "LOGGED_MODEL_READY",
    });
    assert.deepEqual(callOf(server.calls, "POST registered-models/create").body, {
      name: "spec-iris",
    });
    assert.deepEqual(callOf(server.calls, "POST model-versions/create").body, {
      name: "spec-iris",
      source: `models:/${info.modelId}`,
      model_id: info.modelId,
    });
    assert.deepEqual(callOf(server.calls, "POST registered-models/alias").body, {
      name: "spec-iris",
      alias: "champion",
      version: "1",
    });
    const end = callOf(server.calls, "POST runs/update").body as Record<string, unknown>;
    assert.equal(end.run_id, runId);
    assert.equal(end.status, "FINISHED");
    assert.equal(typeof end.end_time, "number");

    // The returned ModelInfo fields.
    assert.match(info.modelId, /^m-[0-9a-f]{32}$/);
    assert.equal(info.modelUri, `models:/${info.modelId}`);
    const artifactUri = `mlflow-artifacts:/1/models/${info.modelId}/artifacts`;
    assert.equal(info.artifactPath, artifactUri);
    assert.equal(info.version, "1");

    // The 8 files of §2.4 (7 + one external-data file), each PUT once with MLflow's content type.
    const prefix = `artifacts/1/models/${info.modelId}/artifacts/`;
    const uploaded = new Map(puts.map((c) => [c.endpoint.slice(prefix.length), c]));
    assert.ok(puts.every((c) => c.endpoint.startsWith(prefix)));
    const names = [...uploaded.keys()].sort();
    const external = names.find((n) => /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-/.test(n));
    assert.ok(external, `an external-data file named by a uuid1 among ${names}`);
    assert.deepEqual(
      names.filter((n) => n !== external),
      [
        "MLmodel",
        "conda.yaml",
        "input_example.json",
        "model.onnx",
        "python_env.yaml",
        "requirements.txt",
        "serving_input_example.json",
      ],
    );
    for (const [name, call] of uploaded) {
      const binary: boolean = name === "model.onnx" || name === external;
      assert.equal(call.contentType, binary ? "application/octet-stream" : "text/plain", name);
    }
    // The files MLflow wrote for the same model, byte for byte (model.onnx differs only in the
    // uuid of its external-data file's name).
    for (
      const name of [
        "input_example.json",
        "serving_input_example.json",
        "requirements.txt",
        "conda.yaml",
        "python_env.yaml",
      ]
    ) {
      assert.deepEqual(uploaded.get(name)!.bytes, await Deno.readFile(new URL(name, IRIS)), name);
    }
    assert.deepEqual(uploaded.get(external)!.bytes, await Deno.readFile(new URL(EXTERNAL, IRIS)));
    const onnx = new TextDecoder("latin1").decode(uploaded.get("model.onnx")!.bytes);
    const fixtureOnnx = new TextDecoder("latin1").decode(
      await Deno.readFile(new URL("model.onnx", IRIS)),
    );
    assert.equal(onnx, fixtureOnnx.replace(EXTERNAL, external));

    // MLmodel: save_model's file with Model.log's fields set (spec §3).
    const mlmodel = Model.fromYaml(new TextDecoder().decode(uploaded.get("MLmodel")!.bytes));
    assert.equal(mlmodel.artifactPath, artifactUri);
    assert.equal(mlmodel.modelId, info.modelId);
    assert.equal(mlmodel.modelUuid, info.modelId);
    assert.equal(mlmodel.runId, runId);
    assert.match(mlmodel.utcTimeCreated, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    const differing = ["artifact_path", "model_id", "model_uuid", "run_id", "utc_time_created"];
    const strip = (d: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(d).filter(([k]) => !differing.includes(k)));
    assert.deepEqual(
      strip(mlmodel.toDict()),
      strip({ ...FIXTURE_MLMODEL.toDict(), mlflow_version: "3.6.0" }),
    );

    // Server state: the LoggedModel READY, the run FINISHED with the model as output.
    assert.equal(server.loggedModels.get(info.modelId)!.info.status, "LOGGED_MODEL_READY");
    assert.equal(server.runs.get(runId)!.info.status, "FINISHED");
    assert.deepEqual(server.runs.get(runId)!.outputs, [{ model_id: info.modelId, step: 0 }]);
  });
});

Deno.test("a logged model loads back from models:/name@alias and answers MLflow's golden requests", async () => {
  await withDouble(async (server) => {
    await logModel({
      trackingUri: server.url,
      onnx: `${IRIS_DIR}model.onnx`,
      signature: FIXTURE_MLMODEL.signature,
      inputExample: INPUT_EXAMPLE,
      registeredModelName: "iris",
      alias: "champion",
      ...FAST,
    });
    await goldens("models:/iris@champion", server.url);
  });
});

Deno.test("a failed upload ends the run FAILED, the LoggedModel UPLOAD_FAILED, and registers nothing", async () => {
  await withDouble(async (server) => {
    // Every upload of model.onnx answers 500, through all retries.
    server.prefixFaults.set("PUT artifacts/", { status: 500 });
    const err = await logModel({
      trackingUri: server.url,
      onnx: `${IRIS_DIR}model.onnx`,
      inputExample: INPUT_EXAMPLE,
      registeredModelName: "iris",
      alias: "champion",
      ...FAST,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof MlflowError, String(err));
    assert.match(
      err.message,
      /Upload of ".+" to "mlflow-artifacts:\/0\/models\/m-[0-9a-f]+\/artifacts" failed with HTTP 500/,
    );
    const [model] = server.loggedModels.values();
    assert.equal(model.info.status, "LOGGED_MODEL_UPLOAD_FAILED");
    const [run] = server.runs.values();
    assert.equal(run.info.status, "FAILED");
    assert.equal(typeof run.info.end_time, "number");
    assert.deepEqual(server.versions, []);
    assert.ok(!restCalls(server.calls).some((c) => c.includes("registered-models")));
    assert.ok(!restCalls(server.calls).includes("POST model-versions/create"));
    assert.deepEqual(
      callOf(server.calls, `PATCH logged-models/${model.info.model_id}`).body,
      { model_id: model.info.model_id, status: "LOGGED_MODEL_UPLOAD_FAILED" },
    );
    // Nothing can be loaded: the alias never existed.
    await assert.rejects(
      loadModel("models:/iris@champion", {
        store: { tracking: { uri: server.url }, cacheDir: false },
      }),
      /alias/,
    );
  });
});

Deno.test("a failed registration ends the run FAILED after the LoggedModel is READY", async () => {
  await withDouble(async (server) => {
    const err = await logModel({
      trackingUri: server.url,
      onnx: await Deno.readFile(`${IRIS_DIR}model.onnx`),
      externalData: { [EXTERNAL]: await Deno.readFile(`${IRIS_DIR}${EXTERNAL}`) },
      registeredModelName: "iris",
      alias: "v1", // reserved by MLflow
      pollIntervalMs: 1,
      ...FAST,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof MlflowError);
    assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
    assert.match(err.message, /Version alias name 'v1' is reserved/);
    const [model] = server.loggedModels.values();
    assert.equal(model.info.status, "LOGGED_MODEL_READY");
    assert.equal([...server.runs.values()][0].info.status, "FAILED");
  });
});

Deno.test("a version pending registration is polled until READY; FAILED_REGISTRATION is an error", async () => {
  const register = (server: TrackingDouble, more: Partial<LogModelOptions>) =>
    logModel({
      trackingUri: server.url,
      onnx: `${IRIS_DIR}model.onnx`,
      registeredModelName: "iris",
      pollIntervalMs: 5,
      ...FAST,
      ...more,
    });
  await withDouble(async (server) => {
    const info = await register(server, { alias: "champion" });
    const polls = server.calls.filter((c) => c.endpoint === "model-versions/get");
    assert.equal(polls.length, 2);
    assert.deepEqual(polls[0].query, { name: "iris", version: "1" });
    assert.equal(info.version, "1");
    assert.ok(
      restCalls(server.calls).indexOf("POST registered-models/alias") >
        restCalls(server.calls).lastIndexOf("GET model-versions/get"),
    );
  }, { pendingPolls: 2 });
  await withDouble(async (server) => {
    const err = await register(server, { alias: "champion" }).then(() => undefined, (e) => e);
    assert.ok(err instanceof MlflowError);
    assert.match(err.message, /Version 1 of "iris" ended FAILED_REGISTRATION/);
    assert.ok(!restCalls(server.calls).includes("POST registered-models/alias"));
    assert.equal([...server.runs.values()][0].info.status, "FAILED");
  }, { pendingPolls: 1, finalStatus: "FAILED_REGISTRATION" });
  await withDouble(async (server) => {
    const err = await register(server, { awaitRegistrationForMs: 30 }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err instanceof MlflowError);
    assert.equal(err.errorCode, "DEADLINE_EXCEEDED");
  }, { pendingPolls: 1000 });
});

Deno.test("logging into a given run leaves it running, copies its params and re-logs its step-0 metrics against the model", async () => {
  await withDouble(async (server) => {
    const setup = await fetch(`${server.url}/api/2.0/mlflow/runs/create`, {
      method: "POST",
      body: JSON.stringify({ experiment_id: "0", start_time: 1, tags: [] }),
    }).then((r) => r.json());
    const runId = setup.run.info.run_id as string;
    const run = server.runs.get(runId)!;
    run.params.set("lr", "0.01");
    run.metrics.push(
      { key: "acc", value: 0.9, timestamp: 5, step: 0 },
      { key: "acc", value: 0.95, timestamp: 6, step: 1 },
    );
    server.calls.length = 0;
    const info = await logModel({
      trackingUri: server.url,
      onnx: `${IRIS_DIR}model.onnx`,
      runId,
      params: { lr: 1, epochs: 10 },
      tags: { team: "edge" },
      metrics: { f1: 0.8 },
      ...FAST,
    });
    assert.equal(info.runId, runId);
    assert.deepEqual(restCalls(server.calls), [
      "GET runs/get",
      "POST logged-models",
      "POST runs/outputs",
      "GET metrics/get-history",
      "POST runs/log-batch",
      "POST runs/log-batch",
      `PATCH logged-models/${info.modelId}`,
    ]);
    const created = callOf(server.calls, "POST logged-models").body as Record<string, unknown>;
    // Model.log merges {**params, **run params}: the run's value wins.
    assert.deepEqual(created.params, [{ key: "lr", value: "0.01" }, {
      key: "epochs",
      value: "10",
    }]);
    assert.deepEqual((created.tags as { key: string }[]).at(-1), { key: "team", value: "edge" });
    const batches = server.calls.filter((c) => c.endpoint === "runs/log-batch").map((c) =>
      c.body as { metrics: Record<string, unknown>[] }
    );
    assert.deepEqual(batches[0].metrics, [
      { key: "acc", value: 0.9, timestamp: 5, step: 0, model_id: info.modelId },
    ]);
    assert.equal(batches[1].metrics[0].key, "f1");
    assert.equal(batches[1].metrics[0].model_id, info.modelId);
    assert.equal(run.info.status, "RUNNING");
    const mlmodel = Model.fromYaml(
      new TextDecoder().decode(server.artifacts.get(`0/models/${info.modelId}/artifacts/MLmodel`)),
    );
    assert.equal(mlmodel.runId, runId);
  });
});

Deno.test("bytes without saveAsExternalData log one inline model.onnx, which loads and predicts", async () => {
  await withDouble(async (server) => {
    const info = await logModel({
      trackingUri: server.url,
      onnx: await Deno.readFile(`${IRIS_DIR}model.onnx`),
      externalData: new Map([[EXTERNAL, await Deno.readFile(`${IRIS_DIR}${EXTERNAL}`)]]),
      saveAsExternalData: false,
      inputExample: INPUT_EXAMPLE,
      registeredModelName: "iris",
      alias: "inline",
      ...FAST,
    });
    const prefix = `0/models/${info.modelId}/artifacts/`;
    const files = [...server.artifacts.keys()].filter((k) => k.startsWith(prefix)).map((k) =>
      k.slice(prefix.length)
    ).sort();
    assert.deepEqual(files, [
      "MLmodel",
      "conda.yaml",
      "input_example.json",
      "model.onnx",
      "python_env.yaml",
      "requirements.txt",
      "serving_input_example.json",
    ]);
    // The size onnx writes for this model without external data (spec §2.4).
    assert.equal(server.artifacts.get(`${prefix}model.onnx`)!.length, 2354);
    const mlmodel = Model.fromYaml(
      new TextDecoder().decode(server.artifacts.get(`${prefix}MLmodel`)),
    );
    assert.equal(mlmodel.modelSizeBytes, 2354 + 102 + 138);
    // No signature given: inferred from the example's columns (outputs unknown).
    assert.equal(
      mlmodel.toDict().signature && (mlmodel.toDict().signature as Record<string, unknown>).inputs,
      (FIXTURE_MLMODEL.toDict().signature as Record<string, unknown>).inputs,
    );
    await goldens("models:/iris@inline", server.url);
  });
});

Deno.test("an ONNX model whose external data is not given is refused before any call", async () => {
  await withDouble(async (server) => {
    await assert.rejects(
      logModel({
        trackingUri: server.url,
        onnx: await Deno.readFile(`${IRIS_DIR}model.onnx`),
        ...FAST,
      }),
      /keeps tensor data in "7a352ddc-e9a0-11f1-9901-02fc00000001", which was not given/,
    );
    assert.deepEqual(server.calls, []);
  });
});

Deno.test("every call carries the credentials; wrong ones fail without showing them", async () => {
  await withDouble(async (server) => {
    await logModel({
      trackingUri: server.url,
      tracking: { token: "tok-secret-123" },
      onnx: `${IRIS_DIR}model.onnx`,
      signature: FIXTURE_MLMODEL.signature,
      registeredModelName: "iris",
      alias: "a",
      ...FAST,
    });
    assert.ok(server.calls.length > 10);
    assert.ok(server.calls.every((c) => c.authorization === "Bearer tok-secret-123"));
    await goldens("models:/iris@a", server.url, "tok-secret-123");
  }, { auth: "Bearer tok-secret-123" });
  const basic = `Basic ${btoa("alice:pa55-word-xyz")}`;
  await withDouble(async (server) => {
    const url = new URL(server.url);
    url.username = "alice";
    url.password = "pa55-word-xyz";
    await logModel({ trackingUri: url.href, onnx: `${IRIS_DIR}model.onnx`, ...FAST });
    assert.ok(server.calls.every((c) => c.authorization === basic));
    const err = await logModel({
      trackingUri: server.url,
      tracking: { username: "alice", password: "wrong-password-42" },
      onnx: `${IRIS_DIR}model.onnx`,
      ...FAST,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof MlflowError);
    assert.equal(err.errorCode, "UNAUTHENTICATED");
    assert.ok(!err.message.includes("wrong-password-42"), err.message);
    assert.ok(!err.message.includes(btoa("alice:wrong-password-42")), err.message);
  }, { auth: basic });
  // A refused connection with credentials in the URI: the message names the host only.
  const err = await logModel({
    trackingUri: "http://bob:hunter2-secret@127.0.0.1:9/",
    onnx: `${IRIS_DIR}model.onnx`,
    ...FAST,
  }).then(() => undefined, (e) => e);
  assert.ok(err instanceof MlflowError);
  assert.ok(!err.message.includes("hunter2-secret"), err.message);
  assert.ok(!err.message.includes(btoa("bob:hunter2-secret")), err.message);
});

Deno.test("bad names and aliases are refused before any call", async () => {
  let calls = 0;
  const counting: typeof fetch = () => {
    calls++;
    return Promise.reject(new Error("no call expected"));
  };
  for (
    const [options, pattern] of [
      [{ name: "a/b" }, /Model name "a\/b" is not valid/],
      [{ alias: "x" }, /needs registeredModelName/],
      [{ experimentId: "1", experimentName: "e" }, /not both/],
    ] as const
  ) {
    await assert.rejects(
      logModel({
        trackingUri: "http://127.0.0.1:9",
        onnx: new Uint8Array([0xff]), // not even read: options are checked first
        fetch: counting,
        ...options,
      }),
      pattern,
    );
  }
  assert.equal(calls, 0);
});

Deno.test("Model.log logs like logModel (MLflow's Model.log classmethod)", async () => {
  await withDouble(async (server) => {
    const info = await Model.log({
      trackingUri: server.url,
      onnx: `${IRIS_DIR}model.onnx`,
      signature: FIXTURE_MLMODEL.signature,
      registeredModelName: "iris",
      alias: "champion",
      ...FAST,
    });
    assert.equal(info.version, "1");
    assert.equal(info.modelUri, `models:/${info.modelId}`);
    assert.equal(server.loggedModels.get(info.modelId)!.info.status, "LOGGED_MODEL_READY");
    assert.deepEqual(server.registered.get("iris")!.aliases, new Map([["champion", "1"]]));
  });
});

Deno.test("a server whose artifact root is s3:// gets the files straight in S3, signed; they load back", async () => {
  const s3 = await startS3(["models"]);
  try {
    await withDouble(async (server) => {
      const progress: [number, number][] = [];
      const s3Puts: (string | null)[] = [];
      const credentials = { endpoint: s3.endpoint, ...s3.credentials };
      const info = await logModel({
        trackingUri: server.url,
        onnx: `${IRIS_DIR}model.onnx`,
        signature: FIXTURE_MLMODEL.signature,
        inputExample: INPUT_EXAMPLE,
        registeredModelName: "iris",
        alias: "s3",
        s3: credentials,
        onProgress: (loaded, total) => progress.push([loaded, total]),
        fetch: (input, init) => {
          const req = new Request(input, init);
          if (req.url.startsWith(s3.endpoint)) s3Puts.push(req.headers.get("authorization"));
          return fetch(req);
        },
        ...FAST,
      });
      assert.equal(info.artifactPath, `s3://models/mlruns/0/models/${info.modelId}/artifacts`);
      // Nothing went through the tracking server's artifact proxy.
      assert.ok(!server.calls.some((c) => c.endpoint.startsWith("artifacts")));
      // Progress: once per file, ending at the bundle's total.
      assert.equal(progress.length, 8);
      const [last, total] = progress.at(-1)!;
      assert.equal(last, total);
      assert.ok(progress.every(([l, t], i) => t === total && (i === 0 || l > progress[i - 1][0])));
      // Every S3 upload carried a SigV4 signature (s3rver itself does not check them).
      assert.equal(s3Puts.length, 8);
      assert.ok(s3Puts.every((a) => a?.startsWith("AWS4-HMAC-SHA256 Credential=S3RVER/")));
      await assertServesGoldens("models:/iris@s3", {
        tracking: { uri: server.url },
        s3: credentials,
      });
    }, { artifactRoot: "s3://models/mlruns" });
  } finally {
    await s3.close();
  }
});

Deno.test("a tracking server behind a path prefix gets every call and upload under it", async () => {
  await withDouble(async (server) => {
    assert.ok(server.url.endsWith("/mlflow"));
    await logModel({
      trackingUri: server.url,
      onnx: `${IRIS_DIR}model.onnx`,
      signature: FIXTURE_MLMODEL.signature,
      registeredModelName: "iris",
      alias: "proxied",
      ...FAST,
    });
    assert.ok(server.calls.every((c) => c.status === 200), JSON.stringify(server.calls));
    assert.ok(server.calls.some((c) => c.method === "PUT"));
    await goldens("models:/iris@proxied", server.url);
  }, { prefix: "/mlflow" });
});
