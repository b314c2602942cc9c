import assert from "node:assert/strict";
import { ONNXRUNTIME_NODE_VERSION } from "../src/runtime/mod.ts";
import { serveLock } from "../tools/serve_lock.ts";

const root = new URL("../", import.meta.url);
const denoJson = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", root)),
) as { imports: Record<string, string>; version: string; exports: Record<string, string> };
const packageJson = JSON.parse(await Deno.readTextFile(new URL("package.json", root))) as {
  exports: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

/** Every `.ts`/`.js` file under a folder of the repo. */
async function* sources(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    if (["node_modules", "fixtures", "target", "dist"].includes(entry.name)) continue;
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* sources(url);
    else if (/\.(ts|js)$/.test(entry.name)) yield url;
  }
}

Deno.test("every dependency is an npm: specifier pinned to an exact version", () => {
  for (const [name, spec] of Object.entries(denoJson.imports)) {
    assert.match(spec, /^npm:\/?(@[^/@]+\/)?[^/@]+@\d+\.\d+\.\d+\/?$/, `${name} -> ${spec}`);
  }
});

Deno.test("deno.json imports only what serving needs (Deno installs every import on first run)", () => {
  const packages = new Set(
    Object.values(denoJson.imports).map((s) => /^npm:\/?((?:@[^/@]+\/)?[^/@]+)@/.exec(s)![1]),
  );
  assert.deepEqual([...packages].sort(), [
    "@opentelemetry/api",
    "aws4fetch",
    "hono",
    "onnxruntime-web",
    "yaml",
  ]);
  assert.deepEqual(Object.keys(packageJson.dependencies).sort(), [...packages].sort());
  assert.equal(packageJson.devDependencies, undefined, "package.json has no dev dependencies");
});

Deno.test("serve.lock is deno.lock's serving subset, with no test or build tool in it", async () => {
  const lock = JSON.parse(await Deno.readTextFile(new URL("deno.lock", root)));
  const want = serveLock(lock);
  const got = JSON.parse(await Deno.readTextFile(new URL("serve.lock", root)));
  assert.deepEqual(got, want, "serve.lock is stale: run `deno task lock:serve`");
  const names = Object.keys(got.npm).map((k) => k.slice(0, k.indexOf("@", 1)));
  for (const tool of ["miniflare", "workerd", "esbuild", "s3rver", "sharp", "onnxruntime-node"]) {
    assert.ok(!names.some((n) => n === tool || n.includes(`/${tool}`)), `serve.lock has ${tool}`);
  }
});

Deno.test("each npm package has one pinned version across deno.json, package.json and sources", async () => {
  const pins = new Map<string, Set<string>>();
  const add = (name: string, version: string) => {
    const set = pins.get(name) ?? new Set();
    set.add(version);
    pins.set(name, set);
  };
  for (const spec of Object.values(denoJson.imports)) {
    const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)@([^/]+)\/?$/.exec(spec)!;
    add(m[1], m[2]);
  }
  for (const [name, version] of Object.entries(packageJson.dependencies)) add(name, version);
  for (const [name, version] of Object.entries(packageJson.peerDependencies ?? {})) {
    add(name, version);
  }
  add("onnxruntime-node", ONNXRUNTIME_NODE_VERSION);
  for (const dir of ["src/", "tests/", "examples/", "wasm/"]) {
    for await (const url of sources(new URL(dir, root))) {
      const text = await Deno.readTextFile(url);
      for (const m of text.matchAll(/["']npm:\/?((?:@[^/@"']+\/)?[^/@"']+)@([0-9][^/"']*)/g)) {
        add(m[1], m[2]);
      }
    }
  }
  for (const [name, versions] of pins) {
    assert.equal(versions.size, 1, `${name} is pinned at ${[...versions].join(" and ")}`);
  }
  assert.ok(pins.has("miniflare") && pins.has("s3rver") && pins.has("esbuild"));
  // The native backend must match the web backend's onnxruntime.
  assert.equal(ONNXRUNTIME_NODE_VERSION, [...pins.get("onnxruntime-web")!][0]);
});

Deno.test("the package exports a small root and one subpath per area", async () => {
  const exports = {
    ".": "./mod.ts",
    "./model": "./src/model/mod.ts",
    "./server": "./src/server/mod.ts",
    "./enforce": "./src/enforce/mod.ts",
    "./mlmodel": "./src/mlmodel/mod.ts",
    "./store": "./src/store/mod.ts",
    "./runtime": "./src/runtime/mod.ts",
  };
  for (const [key, path] of Object.entries(exports)) {
    assert.equal(denoJson.exports[key], path, `deno.json exports ${key}`);
  }
  assert.deepEqual(
    packageJson.exports,
    denoJson.exports,
    "package.json exports what deno.json does",
  );
  const mod = await import("../mod.ts");
  assert.equal(typeof mod.MlflowError, "function");
  assert.equal(typeof mod.loadModel, "function");
  assert.equal(typeof mod.createApp, "function");
  assert.equal(typeof mod.validateRequest, "function");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success);
  const doc = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    nodes: Record<string, { symbols: { name: string }[] }>;
  };
  const names = Object.values(doc.nodes).flatMap((n) => n.symbols.map((s) => s.name));
  assert.ok(names.length <= 40, `mod.ts exports ${names.length} symbols: ${names.join(", ")}`);
  for (const global of ["Array", "Map", "Object", "Set", "Date", "Error"]) {
    assert.ok(!names.includes(global), `mod.ts exports "${global}", shadowing the global`);
  }
});

Deno.test("no entry point shadows a JavaScript global or re-exports an _ file", async () => {
  for (const path of Object.values(denoJson.exports)) {
    const text = await Deno.readTextFile(new URL(path, root));
    assert.doesNotMatch(text, /from "\.\/_[^"]*"/, `${path} re-exports a private _ file`);
    const mod = await import(new URL(path, root).href) as Record<string, unknown>;
    for (const global of ["Array", "Map", "Object", "Set", "Date", "Error", "Symbol"]) {
      assert.ok(!(global in mod), `${path} exports "${global}"`);
    }
  }
});

Deno.test("examples import the library only through its published entry points", async () => {
  const entries = new Set(
    Object.values(denoJson.exports).map((p) => new URL(p, root).href),
  );
  const examples = new URL("examples/", root);
  let checked = 0;
  for await (const url of sources(examples)) {
    const text = await Deno.readTextFile(url);
    for (const m of text.matchAll(/^\s*(?:import|export)[^"']*["']([^"']+)["']/gm)) {
      const spec = m[1];
      if (!spec.startsWith(".")) continue;
      const target = new URL(spec, url);
      if (target.href.startsWith(examples.href)) continue; // the example's own files
      if (target.pathname.endsWith(".wasm")) continue; // the published core's bytes, not code
      checked++;
      assert.ok(entries.has(target.href), `${url.pathname} imports ${spec}, not an entry point`);
    }
  }
  assert.ok(checked >= 5, `only ${checked} library imports found in examples/`);
});

Deno.test("the example model is byte-identical to the MLflow-written fixture bundle", async () => {
  const example = new URL("../examples/iris/", import.meta.url);
  const fixture = new URL("./fixtures/mlflow-bundles/iris_mlp_onnx/", import.meta.url);
  for await (const entry of Deno.readDir(example)) {
    if (entry.name === "README.md") continue;
    const got = await Deno.readFile(new URL(entry.name, example));
    const want = await Deno.readFile(new URL(entry.name, fixture));
    assert.deepEqual(got, want, `examples/iris/${entry.name} differs from the fixture`);
  }
});
