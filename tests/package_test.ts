import assert from "node:assert/strict";

const denoJson = JSON.parse(
  await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
) as { imports: Record<string, string>; version: string; exports: Record<string, string> };

Deno.test("every dependency is an npm: specifier pinned to an exact version", () => {
  for (const [name, spec] of Object.entries(denoJson.imports)) {
    assert.match(spec, /^npm:\/?(@[^/@]+\/)?[^/@]+@\d+\.\d+\.\d+\/?$/, `${name} -> ${spec}`);
  }
});

Deno.test("the package exports its library surface from mod.ts", async () => {
  assert.equal(denoJson.exports["."], "./mod.ts");
  const mod = await import("../mod.ts");
  assert.equal(typeof mod.MlflowError, "function");
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
