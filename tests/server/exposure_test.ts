// What the server lets out: error bodies bounded in size, unauthenticated routes without
// load-error texts (paths, hosts), every failed load logged once, and admin tokens that can
// work — over real HTTP and the real CLI.
import assert from "node:assert/strict";
import { createApp } from "../../src/server/app.ts";
import { MAX_MESSAGE_LENGTH } from "../../src/errors.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const IRIS_COLUMNS = [
  "sepal length (cm)",
  "sepal width (cm)",
  "petal length (cm)",
  "petal width (cm)",
];

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });

Deno.test("a 10 MB column name or key comes back in a bounded error body", async () => {
  const app = createApp({ modelUri: bundlePath("iris_mlp_onnx"), log: () => {} });
  await app.ready();
  const server = serveOnFreePort(app.fetch);
  const big = "c".repeat(10 * 1024 * 1024);
  try {
    for (
      const body of [
        JSON.stringify({ dataframe_split: { columns: [big], data: [[1]] } }),
        JSON.stringify({ [big]: 1 }),
        JSON.stringify({ inputs: { [big]: [1] } }),
      ]
    ) {
      const res = await post(`${server.url}/invocations`, body);
      const text = await res.text();
      assert.equal(res.status, 400);
      assert.ok(text.length < MAX_MESSAGE_LENGTH + 200, `error body of ${text.length} bytes`);
      const parsed = JSON.parse(text);
      assert.match(parsed.message, /… \(\d+ more characters\)$/);
      assert.ok(["BAD_REQUEST", "INVALID_PARAMETER_VALUE"].includes(parsed.error_code));
    }
  } finally {
    await server.close();
    await app.close();
  }
});

/** A directory holding an MLmodel that is not valid YAML. */
async function brokenBundle(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "secret-bundle-" });
  await Deno.writeTextFile(`${dir}/MLmodel`, "flavors: [\n  a: b");
  return dir;
}

Deno.test("unauthenticated routes show a failed model's state, never paths or hosts; the log has the cause once", async () => {
  const broken = await brokenBundle();
  // A port nothing listens on: the registry host of a failed download.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const remote = `http://127.0.0.1:${closedPort}/private/models/iris`;
  const logged: string[] = [];
  const app = createApp({
    models: {
      good: bundlePath("iris_mlp_onnx"),
      yaml: broken,
      remote,
      torch: bundlePath("iris_mlp_pytorch"),
    },
    store: { retries: 0, timeoutMs: 5_000 },
    log: (m) => logged.push(m),
  });
  const server = serveOnFreePort(app.fetch);
  const secrets = [broken, "secret-bundle-", `${closedPort}`, "127.0.0.1", ROOT, "/private/"];
  const assertNoSecrets = (text: string, where: string) => {
    for (const s of secrets) assert.ok(!text.includes(s), `${where} shows "${s}": ${text}`);
  };
  try {
    await app.ready();
    const row = JSON.stringify({
      dataframe_split: { columns: IRIS_COLUMNS, data: [[1, 2, 3, 4]] },
    });
    for (const name of ["yaml", "remote", "torch"]) {
      const res = await post(`${server.url}/models/${name}/invocations`, row);
      assert.equal(res.status, 503);
      const body = await res.text();
      assertNoSecrets(body, `/models/${name}/invocations`);
      assert.match(body, /it failed to load \([A-Z_]+\)/);
      const ping = await fetch(`${server.url}/models/${name}/ping`);
      assert.equal(ping.status, 503);
      assertNoSecrets(await ping.text(), `/models/${name}/ping`);
      const card = await fetch(`${server.url}/models/${name}/card`);
      assert.equal(card.status, 503);
      const html = await card.text();
      assertNoSecrets(html, `/models/${name}/card`);
      assert.match(html, /failed to load \([A-Z_]+\)/);
    }
    // A ready model's card does not show where it was loaded from either.
    const goodCard = await (await fetch(`${server.url}/models/good/card`)).text();
    assertNoSecrets(goodCard, "/models/good/card");
    assert.match(goodCard, /\(not shown\)/);
    // A refusal of the bundle's content keeps its reason (without the path).
    const torch = await (await post(`${server.url}/models/torch/invocations`, row)).json();
    assert.match(torch.message, /flavor "pytorch".*mlflow\.onnx\.log_model/s);
    const yaml = await (await post(`${server.url}/models/yaml/invocations`, row)).json();
    assert.match(yaml.message, /INVALID_PARAMETER_VALUE.*is not valid YAML/);
    const listing = await (await fetch(`${server.url}/models`)).text();
    assertNoSecrets(listing, "/models");
    const states = Object.fromEntries(
      JSON.parse(listing).models.map((m: { name: string; state: string }) => [m.name, m.state]),
    );
    assert.deepEqual(states, { good: "ready", yaml: "failed", remote: "failed", torch: "failed" });
    // Each failed load is logged once, with the full cause.
    for (const [name, needle] of [["yaml", broken], ["remote", `127.0.0.1:${closedPort}`]]) {
      const lines = logged.filter((l) => l.includes(`model "${name}"`));
      assert.equal(lines.length, 1, `log lines for ${name}: ${lines.join("\n")}`);
      assert.ok(lines[0].includes(needle), lines[0]);
    }
  } finally {
    await server.close();
    await app.close();
    await Deno.remove(broken, { recursive: true });
  }
});

Deno.test("a failed default model is logged once and /ping shows no path", async () => {
  const broken = await brokenBundle();
  const logged: string[] = [];
  const app = createApp({ modelUri: broken, log: (m) => logged.push(m) });
  const server = serveOnFreePort(app.fetch);
  try {
    await assert.rejects(app.ready(), /not valid YAML/);
    const ping = await fetch(`${server.url}/ping`);
    assert.equal(ping.status, 503);
    const text = await ping.text();
    assert.ok(!text.includes(broken), text);
    assert.match(text, /TEMPORARILY_UNAVAILABLE.*failed to load \(INVALID_PARAMETER_VALUE\)/);
    assert.equal(logged.filter((l) => l.includes(broken)).length, 1, logged.join("\n"));
  } finally {
    await server.close();
    await app.close();
    await Deno.remove(broken, { recursive: true });
  }
});

Deno.test("a failed reload is logged once with its cause and keeps the old version", async () => {
  const broken = await brokenBundle();
  const logged: string[] = [];
  const app = createApp({
    models: { iris: bundlePath("iris_mlp_onnx") },
    adminToken: "r3load-t0ken",
    log: (m) => logged.push(m),
  });
  const server = serveOnFreePort(app.fetch);
  try {
    await app.ready();
    const res = await post(
      `${server.url}/models/iris/reload`,
      JSON.stringify({ uri: broken }),
      { Authorization: "Bearer r3load-t0ken" },
    );
    assert.equal(res.status, 400);
    await res.body?.cancel();
    const lines = logged.filter((l) => l.includes("reload") && l.includes(broken));
    assert.equal(lines.length, 1, logged.join("\n"));
    assert.match(lines[0], /not valid YAML/);
    assert.equal(app.registry.get("iris")!.state, "ready");
  } finally {
    await server.close();
    await app.close();
    await Deno.remove(broken, { recursive: true });
  }
});

/** Runs `src/cli.ts serve` until it prints "ready" or exits; returns its exit code and output. */
async function runServe(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}src/cli.ts`, "serve", "-p", "0"],
    env: { NO_COLOR: "1", ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const dec = new TextDecoder();
  for await (const chunk of proc.stderr) {
    stderr += dec.decode(chunk);
    if (/mlflow-edge: ready/.test(stderr)) {
      proc.kill("SIGTERM");
    }
  }
  const { code } = await proc.status;
  return { code, stderr };
}

Deno.test("the CLI refuses to start with an admin token that can never authenticate", async () => {
  for (const token of ["pass word", "s3cret!", "a$b"]) {
    const { code, stderr } = await runServe({ MLFLOW_EDGE_ADMIN_TOKEN: token });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /MLFLOW_EDGE_ADMIN_TOKEN\) can never authenticate/);
    assert.ok(!stderr.includes(token), `the token is echoed: ${stderr}`);
  }
  // Every b64token character is accepted, and such a token authenticates.
  const { code, stderr } = await runServe({ MLFLOW_EDGE_ADMIN_TOKEN: "Az09-._~+/==" });
  assert.equal(code, 0, stderr);
  const app = createApp({
    models: { iris: bundlePath("iris_mlp_onnx") },
    adminToken: "Az09-._~+/==",
    log: () => {},
  });
  const server = serveOnFreePort(app.fetch);
  try {
    const res = await post(`${server.url}/models/iris/reload`, "", {
      Authorization: "Bearer Az09-._~+/==",
    });
    assert.equal(res.status, 200, await res.text());
  } finally {
    await server.close();
    await app.close();
  }
});

Deno.test("with the access log on, a failed load is one structured line carrying its cause", async () => {
  const broken = await brokenBundle();
  const lines: string[] = [];
  const app = createApp({
    models: { yaml: broken },
    accessLog: (line) => lines.push(line),
    log: (m) => lines.push(m),
  });
  try {
    // The only model is the default one: it loads at start.
    await assert.rejects(app.ready(), /not valid YAML/);
    const about = lines.filter((l) => l.includes(broken));
    assert.equal(about.length, 1, lines.join("\n"));
    const event = JSON.parse(about[0]);
    assert.equal(event.event, "model_load_failed");
    assert.match(event.error, /is not valid YAML/);
  } finally {
    await app.close();
    await Deno.remove(broken, { recursive: true });
  }
});
