// The OpenAPI document, served over HTTP for the fixture bundles: a valid 3.1 document (checked
// by an OpenAPI validator), whose request schemas (checked with ajv's 2020-12 dialect) accept
// every request MLflow accepted and refuse the ones missing a required column.
import assert from "node:assert/strict";
import { Validator } from "../_deps/openapi_schema_validator.ts";
import { schemaAjv } from "../_ajv.ts";
import { createApp } from "../../src/server/mod.ts";
import { invocationRequestJsonSchema, Model, ModelSignature } from "../../src/mlmodel/mod.ts";
import { copy } from "./_copy.ts";
import { goldenCases } from "../_golden.ts";
import { v2Cases } from "../runtimes/_v2.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

const ajv = schemaAjv();

async function withServer<T>(
  models: Record<string, string>,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const app = createApp({ models, log: () => {} });
  const server = serveOnFreePort(app.fetch);
  try {
    return await fn(server.url);
  } finally {
    await server.close();
    await app.close();
  }
}

async function getJson(url: string): Promise<Doc> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return await res.json();
}

async function assertValidOpenApi(doc: unknown): Promise<void> {
  const validator = new Validator();
  const res = await validator.validate(structuredClone(doc) as Record<string, unknown>);
  assert.ok(res.valid, JSON.stringify(res.errors, null, 1)?.slice(0, 2000));
  assert.equal(validator.version, "3.1");
  // Every $ref resolves.
  assert.doesNotThrow(() => validator.resolveRefs());
  // The validator does refuse a broken document (a response without its description).
  const broken = structuredClone(doc) as Doc;
  Object.values(Object.values(broken.paths)[0])[0].responses = { "200": {} };
  assert.equal((await new Validator().validate(broken)).valid, false);
}

/** Removes column `name` from a JSON request body, in whatever envelope it is. */
function withoutColumn(body: Record<string, unknown>, name: string): Record<string, unknown> {
  const copy = structuredClone(body) as Record<string, unknown>;
  const dropKey = (rows: unknown) => {
    if (Array.isArray(rows)) { for (const r of rows) delete (r as Record<string, unknown>)[name]; }
    else if (rows && typeof rows === "object") delete (rows as Record<string, unknown>)[name];
  };
  const split = copy.dataframe_split as { columns: string[]; data: unknown[][] } | undefined;
  if (split) {
    const at = split.columns.indexOf(name);
    split.columns.splice(at, 1);
    for (const row of split.data) row.splice(at, 1);
  }
  dropKey(copy.dataframe_records);
  dropKey(copy.instances);
  dropKey(copy.inputs);
  return copy;
}

const FIXTURE_MODELS = { iris: bundlePath("iris_mlp_onnx"), mnist: bundlePath("mnist_cnn_onnx") };

Deno.test("GET /openapi.json is a valid OpenAPI 3.1 document with every model's routes", async () => {
  await withServer(
    { ...FIXTURE_MODELS, torch: bundlePath("iris_mlp_pytorch") },
    async (url) => {
      const doc = await getJson(`${url}/openapi.json`);
      assert.equal(doc.openapi, "3.1.0");
      await assertValidOpenApi(doc);
      for (const p of ["/invocations", "/ping", "/health", "/version", "/v2", "/v2/models"]) {
        assert.ok(doc.paths[p], `no ${p}`);
      }
      for (const name of ["iris", "mnist", "torch"]) {
        assert.ok(doc.paths[`/models/${name}/invocations`]?.post, name);
        assert.ok(doc.paths[`/v2/models/${name}/infer`]?.post, name);
        assert.ok(doc.paths[`/v2/models/${name}`]?.get, name);
        assert.ok(doc.components.schemas[`${name}.InvocationRequest`], name);
      }
      // The first named model is the default one: /invocations describes it.
      const inv = doc.paths["/invocations"].post as {
        requestBody: { content: Record<string, { schema: { $ref: string } }> };
      };
      assert.equal(
        inv.requestBody.content["application/json"].schema.$ref,
        "#/components/schemas/iris.InvocationRequest",
      );
      assert.deepEqual(Object.keys(inv.requestBody.content), ["application/json", "text/csv"]);
      // The model that cannot load is described without a signature, and says why.
      const torch = doc.paths["/models/torch/invocations"].post as { description: string };
      assert.match(torch.description, /pytorch/i);
      assert.doesNotMatch(
        torch.description,
        /iris_mlp_pytorch|fixtures/,
        "the document names a path",
      );
      // Every component schema compiles under the 2020-12 dialect in strict mode.
      for (const [name, schema] of Object.entries(doc.components.schemas)) {
        if (JSON.stringify(schema).includes("$ref")) continue; // the V2 wrappers; checked above
        assert.doesNotThrow(() => ajv.compile(schema), name);
      }
    },
  );
});

Deno.test("the request example is the serving input example and the response example the model's answer to it", async () => {
  await withServer(FIXTURE_MODELS, async (url) => {
    for (const name of ["iris", "mnist"]) {
      const doc = await getJson(`${url}/models/${name}/openapi.json`);
      await assertValidOpenApi(doc);
      const op = doc.paths[`/models/${name}/invocations`].post as {
        requestBody: { content: Record<string, { example: unknown }> };
        responses: Record<string, { content: Record<string, { example: unknown }> }>;
      };
      const example = op.requestBody.content["application/json"].example;
      const saved = JSON.parse(
        await Deno.readTextFile(
          `${FIXTURE_MODELS[name as keyof typeof FIXTURE_MODELS]}/serving_input_example.json`,
        ),
      );
      assert.deepEqual(example, saved);
      const validate = ajv.compile(doc.components.schemas[`${name}.InvocationRequest`]);
      assert.ok(validate(example), JSON.stringify(validate.errors));
      // The response example is what /invocations answers for that example.
      const answer = await fetch(`${url}/models/${name}/invocations`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(saved),
      });
      assert.deepEqual(
        op.responses["200"].content["application/json"].example,
        await answer.json(),
      );
      // The per-model document describes only that model.
      const other = name === "iris" ? "mnist" : "iris";
      assert.equal(doc.paths[`/models/${other}/invocations`], undefined);
    }
    const unknown = await fetch(`${url}/models/nope/openapi.json`);
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error_code, "RESOURCE_DOES_NOT_EXIST");
  });
});

for (const bundle of ["iris_mlp_onnx", "mnist_cnn_onnx", "iris_mlp_pytorch"]) {
  Deno.test(`${bundle}: every golden JSON request MLflow answered 200 validates, and removing a required column makes it fail`, async () => {
    const model = await Model.load(bundlePath(bundle));
    const validate = ajv.compile(invocationRequestJsonSchema(model.signature));
    const required = model.signature!.inputs!.requiredInputNames().filter((n) =>
      typeof n === "string"
    );
    let accepted = 0;
    let mutants = 0;
    for (const c of await goldenCases(bundle)) {
      if (c.content_type !== "application/json") continue;
      const body = JSON.parse(c.body);
      const ok = c.mlflow_response.status === 200;
      // The one case MLflow answers 200 but this server refuses (fractions into uint8 pixels).
      const refused = bundle === "mnist_cnn_onnx" && c.name === "inputs_float_values";
      assert.equal(validate(body), ok && !refused, `${c.name}: ${JSON.stringify(validate.errors)}`);
      if (!ok) continue;
      accepted++;
      for (const name of required) {
        if (!JSON.stringify(body).includes(JSON.stringify(name))) continue;
        mutants++;
        assert.equal(validate(withoutColumn(body, name)), false, `${c.name} without "${name}"`);
      }
    }
    assert.ok(accepted >= 4, `only ${accepted} accepted cases`);
    if (bundle.startsWith("iris")) assert.ok(mutants >= 24, `only ${mutants} mutants`);
  });
}

Deno.test("every enforcement case accepted with a JSON body validates against its signature's request schema", async () => {
  const lines = (await Deno.readTextFile(
    new URL("../fixtures/enforcement-cases.jsonl", import.meta.url),
  )).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  const accepted = lines.filter((c) =>
    c.expect.ok && c.policy === "match" && c.content_type.startsWith("application/json")
  );
  assert.ok(accepted.length >= 40, `${accepted.length} cases`);
  const failures: string[] = [];
  for (const c of accepted) {
    const body = JSON.parse(c.body);
    const sig = c.schema.inputs === null && c.schema.params === null
      ? null
      : ModelSignature.fromDict({
        inputs: c.schema.inputs,
        outputs: null,
        params: c.schema.params,
      });
    const validate = ajv.compile(invocationRequestJsonSchema(sig));
    if (!validate(body)) failures.push(`${c.id}: ${JSON.stringify(validate.errors).slice(0, 300)}`);
  }
  assert.deepEqual(failures, []);
  // Bodies MLflow refuses for their shape fail the schema too.
  for (
    const id of [
      "proto-json-scalar",
      "proto-json-list",
      "proto-no-format-key",
      "proto-split-given-list",
      "proto-split-extra-field",
    ]
  ) {
    const c = lines.find((l) => l.id === id)!;
    assert.equal(c.expect.ok, false, id);
    const sig = ModelSignature.fromDict({
      inputs: c.schema.inputs,
      outputs: null,
      params: c.schema.params,
    });
    assert.equal(ajv.compile(invocationRequestJsonSchema(sig))(JSON.parse(c.body)), false, id);
  }
});

Deno.test("a CSV request is described as text, with the serving example as CSV", async () => {
  await withServer({ iris: bundlePath("iris_mlp_onnx") }, async (url) => {
    const doc = await getJson(`${url}/openapi.json`);
    const csv = (doc.paths["/models/iris/invocations"].post as {
      requestBody: { content: Record<string, { schema: { type: string }; example: string }> };
    }).requestBody.content["text/csv"];
    assert.equal(csv.schema.type, "string");
    assert.equal(
      csv.example,
      "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n5.1,3.5,1.4,0.2\n",
    );
    // The CSV example is the serving example: the model answers both alike.
    const post = (body: string, type: string) =>
      fetch(`${url}/models/iris/invocations`, {
        method: "POST",
        headers: { "Content-Type": type },
        body,
      }).then((r) => r.json());
    const json = await Deno.readTextFile(
      `${bundlePath("iris_mlp_onnx")}/serving_input_example.json`,
    );
    assert.deepEqual(await post(csv.example, "text/csv"), await post(json, "application/json"));
  });
});

/** A validator for one component schema of `doc`, its references resolved within the document. */
function componentValidator(doc: Doc, name: string) {
  const defs = JSON.parse(
    JSON.stringify(doc.components.schemas).replaceAll('"#/components/schemas/', '"#/$defs/'),
  );
  return ajv.compile({ $ref: `#/$defs/${name}`, $defs: defs });
}

Deno.test("the V2 infer requests of the golden cases validate against each model's V2 schema, and without an input they do not", async () => {
  await withServer(FIXTURE_MODELS, async (url) => {
    const doc = await getJson(`${url}/openapi.json`);
    for (const [name, bundle] of [["iris", "iris_mlp_onnx"], ["mnist", "mnist_cnn_onnx"]]) {
      const infer = doc.paths[`/v2/models/${name}/infer`].post as {
        requestBody: { content: Record<string, { schema: { $ref: string } }> };
      };
      assert.equal(
        infer.requestBody.content["application/json"].schema.$ref,
        `#/components/schemas/${name}.V2InferenceRequest`,
      );
      assert.ok(doc.paths[`/v2/models/${name}/versions/{version}/infer`].post);
      const validate = componentValidator(doc, `${name}.V2InferenceRequest`);
      const cases = v2Cases(bundle);
      assert.ok(cases.length >= 2, `${cases.length} V2 cases`);
      for (const c of cases) {
        const body = { id: c.name, inputs: c.inputs };
        assert.ok(validate(body), `${c.name}: ${JSON.stringify(validate.errors)}`);
        // The server agrees: it answers the same body.
        const res = await fetch(`${url}/v2/models/${name}/infer`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        assert.equal(res.status, 200, await res.text());
        for (const dropped of c.inputs) {
          const without = { inputs: c.inputs.filter((i) => i !== dropped) };
          assert.equal(validate(without), false, `${c.name} without ${dropped.name}`);
        }
      }
    }
    // The generic V2 bodies resolve too.
    assert.ok(componentValidator(doc, "V2InferenceResponse"));
  });
});

Deno.test("a serving input example over 256 KiB is left out of the document and the card", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await copy(bundlePath("iris_mlp_onnx"), dir);
    const columns = [
      "sepal length (cm)",
      "sepal width (cm)",
      "petal length (cm)",
      "petal width (cm)",
    ];
    const data = Array.from({ length: 20_000 }, (_, i) => [5 + (i % 10) / 10, 3.5, 1.4, 0.2]);
    const example = JSON.stringify({ dataframe_split: { columns, data } });
    assert.ok(example.length > 256 * 1024);
    await Deno.writeTextFile(`${dir}/serving_input_example.json`, example);
    await withServer({ big: dir }, async (url) => {
      const doc = await getJson(`${url}/openapi.json`);
      await assertValidOpenApi(doc);
      const op = doc.paths["/models/big/invocations"].post as {
        requestBody: { content: Record<string, Record<string, unknown>> };
        responses: Record<string, { content: Record<string, Record<string, unknown>> }>;
      };
      assert.equal("example" in op.requestBody.content["application/json"], false);
      assert.equal("example" in op.responses["200"].content["application/json"], false);
      const card = await fetch(`${url}/models/big/card`);
      const html = await card.text();
      assert.equal(card.status, 200);
      assert.match(html, /The serving input example \(\d+ KiB\) is too large to show here\./);
      assert.ok(html.length < 64 * 1024, `${html.length} bytes`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the V2 request example is the serving example as V2 inputs, and /v2 infer answers it as /invocations does", async () => {
  await withServer(FIXTURE_MODELS, async (url) => {
    const doc = await getJson(`${url}/openapi.json`);
    for (const name of ["iris", "mnist"]) {
      const infer = doc.paths[`/v2/models/${name}/infer`].post as {
        requestBody: { content: Record<string, { example: { inputs: { name: string }[] } }> };
      };
      const example = infer.requestBody.content["application/json"].example;
      assert.ok(example, `${name}: no V2 example`);
      const validate = componentValidator(doc, `${name}.V2InferenceRequest`);
      assert.ok(validate(example), JSON.stringify(validate.errors));
      const metadata = await (await fetch(`${url}/v2/models/${name}`)).json();
      assert.deepEqual(
        example.inputs.map((i) => i.name),
        metadata.inputs.map((i: { name: string }) => i.name),
      );
      const v2 = await fetch(`${url}/v2/models/${name}/infer`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(example),
      });
      const answer = await v2.json();
      assert.equal(v2.status, 200, JSON.stringify(answer));
      // The same numbers as the MLflow route's answer to the same example.
      const op = doc.paths[`/models/${name}/invocations`].post as {
        responses: Record<
          string,
          { content: Record<string, { example: { predictions: unknown } }> }
        >;
      };
      const mlflow = op.responses["200"].content["application/json"].example.predictions;
      const flat = (v: unknown): number[] =>
        Array.isArray(v)
          ? v.flatMap(flat)
          : v !== null && typeof v === "object"
          ? Object.values(v).flatMap(flat)
          : [v as number];
      const got = flat(answer.outputs[0].data);
      const want = flat(mlflow);
      assert.equal(got.length, want.length, name);
      got.forEach((g, i) =>
        assert.ok(Math.abs(g - want[i]) <= 1e-6 + 1e-5 * Math.abs(want[i]), name)
      );
    }
  });
});
