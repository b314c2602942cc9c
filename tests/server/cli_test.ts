import assert from "node:assert/strict";
import { serveConfig } from "../../src/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const README_ROW =
  '{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2]]}}';
const README_ANSWER =
  '{"predictions": [{"probabilities": 0.9999592304229736}, {"probabilities": 4.073565287399106e-05}, {"probabilities": 1.2630649530562168e-14}]}';

Deno.test("serve's flags map onto the app options, flags over environment", async () => {
  const config = await serveConfig(
    [
      "-m",
      "models:/iris/1",
      "-h",
      "0.0.0.0",
      "-p",
      "8080",
      "-t",
      "2.5",
      "--backend",
      "native",
      "--body-limit",
      "1000",
    ],
    { MODEL_URI: "ignored", MLFLOW_PORT: "9999", MLFLOW_EDGE_BACKEND: "web" },
  );
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.port, 8080);
  assert.equal(config.app.modelUri, "models:/iris/1");
  assert.equal(config.app.timeoutMs, 2500);
  assert.equal(config.app.backend, "native");
  assert.equal(config.app.bodyLimit, 1000);
});

Deno.test("serve reads MLflow's environment variables when no flag is given", async () => {
  const config = await serveConfig([], {
    MODEL_URI: "s3://bucket/model",
    MLFLOW_HOST: "0.0.0.0",
    MLFLOW_PORT: "8000",
    MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT: "7",
    MLFLOW_EDGE_BODY_LIMIT: "2048",
    MLFLOW_EDGE_BACKEND: "native",
    MLFLOW_EDGE_ADMIN_TOKEN: "t0ken",
  });
  assert.equal(config.app.modelUri, "s3://bucket/model");
  assert.equal(config.app.adminToken, "t0ken");
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.port, 8000);
  assert.equal(config.app.timeoutMs, 7000);
  assert.equal(config.app.bodyLimit, 2048);
  assert.equal(config.app.backend, "native");
});

Deno.test("serve defaults to the iris example on 127.0.0.1:5000 with a 60 s timeout", async () => {
  const config = await serveConfig([], {});
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.port, 5000);
  assert.equal(config.app.timeoutMs, 60_000);
  assert.ok(config.app.modelUri?.endsWith("/examples/iris"));
  const stat = await Deno.stat(config.app.modelUri!);
  assert.ok(stat.isDirectory);
});

Deno.test("repeated -m NAME=URI flags name several models", async () => {
  const config = await serveConfig(["-m", "a=examples/iris", "-m", "b=s3://x/y=z"], {});
  assert.deepEqual(config.app.models, { a: "examples/iris", b: "s3://x/y=z" });
  assert.equal(config.app.modelUri, undefined);
});

Deno.test("bad flags are refused with the usage text", async () => {
  await assert.rejects(serveConfig(["--port", "http"], {}), /--port must be a port number/);
  await assert.rejects(serveConfig(["--backend", "gpu"], {}), /"web" or "native"/);
  await assert.rejects(serveConfig(["-t", "-1"], {}), /Usage/);
  await assert.rejects(serveConfig(["--nope"], {}), /Unknown option/);
  await assert.rejects(
    serveConfig(["-m", "a", "-m", "b"], {}),
    /Only one model may be given without a name/,
  );
});

/** Reads stderr lines until one matches. */
async function waitForLine(
  lines: AsyncIterator<string>,
  pattern: RegExp,
  seen: string[],
): Promise<RegExpExecArray> {
  for (;;) {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the server exited; its output:\n${seen.join("\n")}`);
    seen.push(value);
    const m = pattern.exec(value);
    if (m) return m;
  }
}

async function* splitLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let i;
    while ((i = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, i);
      rest = rest.slice(i + 1);
    }
  }
}

Deno.test("deno task serve answers the README's curl example, reloads on SIGHUP and stops on SIGTERM", async () => {
  // `deno task` needs the config: run it from the repository (the example path is resolved
  // from the module, so the working directory does not matter to the server itself).
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["task", "--config", `${ROOT}deno.json`, "serve", "-p", "0"],
    cwd: "/tmp",
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const seen: string[] = [];
  const lines = splitLines(proc.stderr);
  let serverPid = 0;
  try {
    const m = await waitForLine(lines, /on http:\/\/127\.0\.0\.1:(\d+)\/ .*pid (\d+)/, seen);
    const port = Number(m[1]);
    serverPid = Number(m[2]);
    await waitForLine(lines, /mlflow-edge: ready/, seen);
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: README_ROW,
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), README_ANSWER);
    // SIGHUP reloads the loaded models from their URIs while serving.
    Deno.kill(serverPid, "SIGHUP");
    await waitForLine(lines, /reloaded "default"/, seen);
    const again = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: README_ROW,
    });
    assert.equal(await again.text(), README_ANSWER);
    // The task runner does not forward signals: stop the server process itself.
    Deno.kill(serverPid, "SIGTERM");
    await waitForLine(lines, /shutting down/, seen);
    serverPid = 0;
  } finally {
    if (serverPid) {
      try {
        Deno.kill(serverPid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    // Drain stderr so the task runner can exit.
    for (;;) if ((await lines.next()).done) break;
    const status = await proc.status;
    assert.equal(status.code, 0, seen.join("\n"));
  }
});

Deno.test("a config file names several models", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify({ models: { iris: "examples/iris", mnist: "s3://b/mnist" } }),
    );
    const config = await serveConfig(["--config", file, "-m", "extra=examples/iris"], {});
    assert.deepEqual(config.app.models, {
      iris: "examples/iris",
      mnist: "s3://b/mnist",
      extra: "examples/iris",
    });
    await Deno.writeTextFile(file, JSON.stringify({ iris: "examples/iris" }));
    await assert.rejects(serveConfig(["--config", file], {}), /needs \{"models"/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("deno task predict prints predictions like mlflow models predict", async () => {
  const input = `${ROOT}tests/fixtures/mlflow-bundles/iris_mlp_onnx/serving_input_example.json`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "--config",
      `${ROOT}deno.json`,
      "predict",
      "-m",
      `${ROOT}examples/iris`,
      "-i",
      input,
    ],
    cwd: "/tmp",
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(stdout, README_ANSWER);
  const bad = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}src/cli.ts`,
      "predict",
      "-m",
      `${ROOT}examples/iris`,
      "-t",
      "csv",
      "-i",
      input,
    ],
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 1);
  assert.match(new TextDecoder().decode(bad.stderr), /^mlflow-edge: /);
});

Deno.test("src/server/main.ts serves under deno serve, configured from the environment", async () => {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["serve", "-A", "--host", "127.0.0.1", "--port", "0", "src/server/main.ts"],
    cwd: ROOT,
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1", MODEL_URI: `${ROOT}examples/iris` },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const seen: string[] = [];
  const merged = splitLines(proc.stderr);
  try {
    // deno serve announces its address on stderr (or stdout, depending on the version).
    const stdoutLines = splitLines(proc.stdout);
    const first = await Promise.race([
      waitForLine(merged, /Listening on http:\/\/127\.0\.0\.1:(\d+)/, seen),
      waitForLine(stdoutLines, /Listening on http:\/\/127\.0\.0\.1:(\d+)/, seen),
    ]);
    const url = `http://127.0.0.1:${first[1]}`;
    let ping = 503;
    for (let i = 0; i < 200 && ping !== 200; i++) {
      const res = await fetch(`${url}/ping`);
      await res.body?.cancel();
      ping = res.status;
      if (ping !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(ping, 200);
    const res = await fetch(`${url}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: README_ROW,
    });
    assert.equal(await res.text(), README_ANSWER);
  } finally {
    try {
      proc.kill("SIGKILL");
    } catch {
      // Already exited (its output is in the assertion message).
    }
    await proc.status;
    await proc.stdout.cancel().catch(() => {});
    await proc.stderr.cancel().catch(() => {});
  }
});

/** Runs the CLI to its end; resolves to its exit code and stderr. */
async function cliRun(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "src/cli.ts", ...args],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("a first run's mistakes are one line each: a taken port, a missing model or input file", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const busy = await cliRun(["serve", "-p", String(port)]);
    assert.equal(busy.code, 1);
    assert.equal(
      busy.stderr,
      `mlflow-edge: 127.0.0.1:${port} is already in use (another server is listening there); ` +
        "choose another port with -p, e.g. -p 5000.\n",
    );
  } finally {
    taken.close();
  }
  const missing = await cliRun(["serve", "-m", "/no/such/model", "-p", "0"]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'mlflow-edge: Model directory "/no/such/model" does not exist.\n');

  const input = await cliRun(["predict", "-m", "examples/iris", "-i", "/no/such/input.json"]);
  assert.equal(input.code, 1);
  assert.equal(input.stderr, 'mlflow-edge: Input file "/no/such/input.json" does not exist.\n');
});
