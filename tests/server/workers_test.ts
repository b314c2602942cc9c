// `deno task serve --workers N` and `--threads N`: the flags, and a real server of two threads
// sharing one port that answers as one server would and stops on SIGTERM.
import assert from "node:assert/strict";
import { serveConfig } from "../../src/cli.ts";

/** A port nothing listens on right now (the server needs a fixed one for --workers). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("--workers and --threads map onto the serve config, with their variables", async () => {
  const c = await serveConfig(["--workers", "3", "--threads", "2", "-p", "8080"], {});
  assert.equal(c.workers, 3);
  assert.equal(c.app.threads, 2);
  const env = await serveConfig([], { MLFLOW_EDGE_WORKERS: "2", MLFLOW_EDGE_THREADS: "4" });
  assert.equal(env.workers, 2);
  assert.equal(env.app.threads, 4);
  assert.equal((await serveConfig([], {})).workers, 1);
  await assert.rejects(
    serveConfig(["--workers", "2", "-p", "0"], {}),
    /--workers needs a fixed --port/,
  );
  await assert.rejects(serveConfig(["--workers", "1.5"], {}), /--workers must be a whole number/);
  await assert.rejects(serveConfig(["--threads", "0"], {}), /--threads must be a positive number/);
});

/** `deno task serve -p <free port> ...args`, once it has logged "ready"; `stop` kills it. */
async function serveTask(args: string[]) {
  const port = freePort();
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["task", "serve", "-p", String(port), ...args],
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = proc.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const stop = async () => {
    try {
      proc.kill("SIGKILL");
    } catch {
      // Already stopped.
    }
    await stderr.cancel().catch(() => {});
    await proc.status;
  };
  let log = "";
  try {
    while (!log.includes("mlflow-edge: ready")) {
      const { value, done } = await stderr.read();
      if (done) throw new Error(`the server stopped: ${log}`);
      log += value;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, proc, log, stop };
}

Deno.test("deno task serve --workers 2 answers on one port from two threads and stops on SIGTERM", async () => {
  const { port, proc, log, stop } = await serveTask(["--workers", "2", "--max-batch-size", "8"]);
  try {
    // Both threads announced themselves on the same port.
    assert.equal(
      log.match(/serving .* on http:\/\/127\.0\.0\.1:\d+\/ .*2 workers/g)?.length,
      2,
      log,
    );
    const body =
      '{"inputs": {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}}';
    const answers = await Promise.all(
      Array.from({ length: 40 }, async () => {
        // A new connection per request, so the kernel spreads them over both listeners.
        const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
        try {
          const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body,
            client,
          });
          return `${res.status} ${await res.text()}`;
        } finally {
          client.close();
        }
      }),
    );
    for (const a of answers) assert.equal(a, answers[0]);
    assert.match(answers[0], /^200 \{"predictions": \[\{"probabilities": 0\.99995/);
    proc.kill("SIGTERM");
    const status = await proc.status;
    assert.equal(status.code, 0);
  } finally {
    await stop();
  }
});

Deno.test("deno task serve --threads 2 (the web backend with two wasm threads) answers the same", async () => {
  const { port, proc, stop } = await serveTask(["--threads", "2"]);
  try {
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", ' +
        '"petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2]]}}',
    });
    assert.match(await res.text(), /^\{"predictions": \[\{"probabilities": 0\.99995/);
    proc.kill("SIGTERM");
    assert.equal((await proc.status).code, 0);
  } finally {
    await stop();
  }
});
