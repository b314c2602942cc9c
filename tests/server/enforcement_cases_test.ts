import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { createApp } from "../../src/server/mod.ts";
import { copy } from "./_copy.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

interface Case {
  id: string;
  schema: { inputs: string | null; params: string | null };
  content_type: string;
  body: string;
  expect: { ok: boolean; status: number; error_code: string | null };
  policy: "match" | "reject";
}

const cases: Case[] =
  (await Deno.readTextFile(new URL("../fixtures/enforcement-cases.jsonl", import.meta.url)))
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter((c: Case) => !c.expect.ok || c.policy === "reject");

/** The iris bundle with `schema` as its signature (and no input example to self-check). */
async function bundleWithSignature(dir: string, schema: Case["schema"]): Promise<void> {
  await copy(bundlePath("iris_mlp_onnx"), dir);
  const mlmodel = parse(await Deno.readTextFile(`${dir}/MLmodel`));
  mlmodel.signature = { inputs: schema.inputs, outputs: null, params: schema.params };
  if (schema.inputs === null && schema.params === null) delete mlmodel.signature;
  delete mlmodel.saved_input_example_info;
  await Deno.writeTextFile(`${dir}/MLmodel`, stringify(mlmodel));
}

Deno.test(`the ${cases.length} refused enforcement cases get MLflow's status and error_code over HTTP`, async () => {
  const root = await Deno.makeTempDir();
  const models: Record<string, string> = {};
  const nameOf = new Map<string, string>();
  for (const c of cases) {
    const key = JSON.stringify(c.schema);
    if (nameOf.has(key)) continue;
    const name = `s${nameOf.size}`;
    nameOf.set(key, name);
    models[name] = `${root}/${name}`;
    await bundleWithSignature(models[name], c.schema);
  }
  const app = createApp({ models, log: () => {} });
  const server = serveOnFreePort(app.fetch);
  try {
    for (const c of cases) {
      const name = nameOf.get(JSON.stringify(c.schema));
      const res = await fetch(`${server.url}/models/${name}/invocations`, {
        method: "POST",
        headers: { "Content-Type": c.content_type },
        body: c.body,
      });
      const text = await res.text();
      const what = `${c.id}: ${text.slice(0, 300)}`;
      const json = JSON.parse(text);
      // Refused before inference: never the model's own evaluation error.
      assert.doesNotMatch(json.message, /^Encountered an unexpected error while evaluating/, what);
      if (c.policy === "reject") {
        assert.equal(res.status, 400, what);
        assert.ok(["BAD_REQUEST", "INVALID_PARAMETER_VALUE"].includes(json.error_code), what);
      } else {
        assert.equal(res.status, c.expect.status, what);
        if (c.expect.error_code !== null) assert.equal(json.error_code, c.expect.error_code, what);
      }
    }
  } finally {
    await server.close();
    await app.close();
    await Deno.remove(root, { recursive: true });
  }
});
