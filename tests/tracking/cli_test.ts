// `deno task log` against the REST double of the tracking server (./_tracking_server.ts; a real
// MLflow server cannot run in CI), then `deno task serve -m models:/N@A` from the same double.
import assert from "node:assert/strict";
import { Model } from "../../src/mlmodel/model.ts";
import { logCommand, logConfig } from "../../src/cli_log.ts";
import { startServer } from "../runtimes/_process.ts";
import { startTrackingDouble } from "./_tracking_server.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const IRIS = new URL("../fixtures/mlflow-bundles/iris_mlp_onnx/", import.meta.url);
const IRIS_DIR = decodeURIComponent(IRIS.pathname);
const ROW =
  '{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2]]}}';
const ANSWER = [0.9999592304229736, 4.073565287399106e-05, 1.2630649530562168e-14];

Deno.test("log's flags map onto logBundle's options, flags over environment", () => {
  const { path, options } = logConfig([
    "-m",
    "bundle",
    "--tracking-uri",
    "http://127.0.0.1:1",
    "--registered-model-name",
    "iris",
    "--alias",
    "champion",
    "--experiment-name",
    "edge",
  ], {
    MLFLOW_TRACKING_URI: "http://ignored",
    MLFLOW_TRACKING_TOKEN: "t",
    MLFLOW_HTTP_REQUEST_TIMEOUT: "5",
    USER: "ada",
  });
  assert.equal(path, "bundle");
  assert.equal(options.trackingUri, "http://127.0.0.1:1");
  assert.equal(options.tracking?.token, "t");
  assert.equal(options.registeredModelName, "iris");
  assert.equal(options.alias, "champion");
  assert.equal(options.experimentName, "edge");
  assert.equal(options.timeoutMs, 5000);
  assert.equal(options.user, "ada");
  assert.throws(() => logConfig(["-m", "x"], {}), /--tracking-uri/);
  assert.throws(() => logConfig(["--tracking-uri", "http://x"], {}), /-m PATH/);
});

Deno.test("deno task log uploads a bundle directory as is; deno task serve then serves models:/N@A", async () => {
  const server = await startTrackingDouble({ auth: "Bearer cli-token" });
  try {
    const out = await new Deno.Command("deno", {
      args: [
        "task",
        "-q",
        "log",
        "-m",
        IRIS_DIR,
        "--tracking-uri",
        server.url,
        "--registered-model-name",
        "iris",
        "--alias",
        "champion",
        "--experiment-name",
        "cli",
      ],
      cwd: ROOT,
      env: { MLFLOW_TRACKING_TOKEN: "cli-token", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const info = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(info.version, "1");
    assert.equal(info.experimentId, "1");
    assert.equal(info.artifactPath, `mlflow-artifacts:/1/models/${info.modelId}/artifacts`);
    // Every file of the directory, unchanged but for MLmodel's logging fields.
    const prefix = `1/models/${info.modelId}/artifacts/`;
    const uploaded = [...server.artifacts].filter(([k]) => k.startsWith(prefix));
    const names = [...Deno.readDirSync(IRIS_DIR)].map((e) => e.name).sort();
    assert.deepEqual(uploaded.map(([k]) => k.slice(prefix.length)).sort(), names);
    for (const [key, bytes] of uploaded) {
      const name = key.slice(prefix.length);
      if (name === "MLmodel") continue;
      assert.deepEqual(bytes, await Deno.readFile(`${IRIS_DIR}${name}`), name);
    }
    const mlmodel = Model.fromYaml(
      new TextDecoder().decode(server.artifacts.get(`${prefix}MLmodel`)),
    );
    const fixture = await Model.load(IRIS_DIR);
    assert.equal(mlmodel.modelId, info.modelId);
    assert.equal(mlmodel.modelUuid, info.modelId);
    assert.equal(mlmodel.runId, info.runId);
    assert.equal(mlmodel.artifactPath, info.artifactPath);
    const ids = ["artifact_path", "model_id", "model_uuid", "run_id"];
    const strip = (d: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(d).filter(([k]) => !ids.includes(k)));
    assert.deepEqual(strip(mlmodel.toDict()), strip(fixture.toDict()));
    assert.equal(server.runs.get(info.runId)!.info.status, "FINISHED");
    assert.equal(server.runs.get(info.runId)!.tags.get("mlflow.source.name"), "mlflow-edge log");

    const serve = await startServer("deno", [
      "run",
      "-A",
      "src/cli.ts",
      "serve",
      "-m",
      "models:/iris@champion",
      "-p",
      "0",
    ], {
      MLFLOW_TRACKING_URI: server.url,
      MLFLOW_TRACKING_TOKEN: "cli-token",
      MLFLOW_EDGE_CACHE_DIR: "false",
    });
    try {
      let res: Response | undefined;
      for (let i = 0; i < 600; i++) {
        res = await fetch(`${serve.url}/invocations`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: ROW,
        });
        if (res.status !== 503) break;
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(res!.status, 200, serve.output());
      const body = await res!.json();
      const got = body.predictions.map((p: { probabilities: number }) => p.probabilities);
      got.forEach((v: number, i: number) => assert.ok(Math.abs(v - ANSWER[i]) < 1e-6, `${v}`));
    } finally {
      await serve.stop();
    }
  } finally {
    await server.close();
  }
});

Deno.test("log -m model.onnx logs the file as logModel does (the bundle written like save_model)", async () => {
  const server = await startTrackingDouble();
  const log = console.log;
  console.log = () => {};
  try {
    const info = await logCommand([
      "-m",
      `${IRIS_DIR}model.onnx`,
      "--tracking-uri",
      server.url,
      "--name",
      "iris_onnx",
    ], {});
    assert.ok(info);
    const prefix = `0/models/${info.modelId}/artifacts/`;
    const names = [...server.artifacts.keys()].filter((k) => k.startsWith(prefix)).map((k) =>
      k.slice(prefix.length)
    );
    assert.ok(names.includes("conda.yaml") && names.includes("model.onnx"), names.join(", "));
    assert.equal(server.loggedModels.get(info.modelId)!.info.name, "iris_onnx");
  } finally {
    console.log = log;
    await server.close();
  }
});
