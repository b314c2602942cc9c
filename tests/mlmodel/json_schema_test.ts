// The JSON Schema of MLflow types against the enforcement core: every body the core accepts must
// validate (the schema never refuses a request the server serves), and the schema's shape rules
// (required columns and properties, tensor depth and fixed axes, parameter defaults) hold.
import assert from "node:assert/strict";
import { schemaAjv } from "../_ajv.ts";
import { validateRequest } from "../../src/enforce/mod.ts";
import {
  type ColSpec,
  colTypeJsonSchema,
  invocationRequestJsonSchema,
  ModelSignature,
  paramJsonSchema,
  ParamSpec,
  tensorJsonSchema,
  TensorSpec,
} from "../../src/mlmodel/mod.ts";

const ajv = schemaAjv();

function signature(inputs: unknown[], params?: unknown[]): ModelSignature {
  return ModelSignature.fromDict({
    inputs: JSON.stringify(inputs),
    outputs: null,
    params: params ? JSON.stringify(params) : null,
  });
}

async function coreAccepts(sig: ModelSignature, body: string): Promise<boolean> {
  const d = sig.toDict();
  try {
    await validateRequest({ inputs: d.inputs, params: d.params ?? null }, body);
    return true;
  } catch {
    return false;
  }
}

// JSON values of every kind, including the ones MLflow converts (numeric text, 0/1, null).
const VALUES: unknown[] = [
  0,
  1,
  -7,
  2.5,
  1e300,
  2147483648,
  true,
  false,
  null,
  "12",
  "1.5",
  " 3 ",
  "nan",
  "-Infinity",
  "abc",
  "",
  "AQI=",
  "2024-01-02T03:04:05",
  "2021-01-01 00:00:00",
  [],
  [1, 2],
  ["a"],
  {},
  { a: 1 },
];

const TYPES = ["boolean", "integer", "long", "float", "double", "string", "binary", "datetime"];

Deno.test("every one-column body the core accepts validates against the schema, for every scalar type and envelope", async () => {
  let accepted = 0;
  const misses: string[] = [];
  for (const type of TYPES) {
    for (const required of [true, false]) {
      const sig = signature([{ type, name: "x", required }]);
      const validate = ajv.compile(invocationRequestJsonSchema(sig));
      for (const v of VALUES) {
        const j = JSON.stringify(v);
        const bodies = [
          `{"dataframe_split": {"columns": ["x"], "data": [[${j}]]}}`,
          `{"dataframe_records": [{"x": ${j}}]}`,
          `{"inputs": {"x": [${j}]}}`,
          `{"inputs": [{"x": ${j}}]}`,
          `{"instances": [{"x": ${j}}]}`,
        ];
        for (const body of bodies) {
          if (!(await coreAccepts(sig, body))) continue;
          accepted++;
          if (!validate(JSON.parse(body))) misses.push(`${type} required=${required}: ${body}`);
        }
      }
    }
  }
  assert.deepEqual(misses, []);
  assert.ok(accepted > 200, `${accepted} accepted bodies`);
});

Deno.test("every Array, Object and Map cell the core accepts validates against the schema", async () => {
  const complex = [
    { type: "array", items: { type: "long" } },
    { type: "array", items: { type: "string" } },
    { type: "map", values: { type: "double" } },
    { type: "object", properties: { a: { type: "long", required: true } } },
    { type: "any" },
  ];
  const cells = [...VALUES, [1, "a"], [[1]], { a: 1, b: 2 }, { a: "x" }, { a: null }, [null]];
  let accepted = 0;
  const misses: string[] = [];
  for (const t of complex) {
    for (const required of [true, false]) {
      const sig = signature([{ ...t, name: "x", required }]);
      const validate = ajv.compile(invocationRequestJsonSchema(sig));
      for (const v of cells) {
        const j = JSON.stringify(v);
        for (const body of [`{"dataframe_records": [{"x": ${j}}]}`, `{"inputs": {"x": ${j}}}`]) {
          if (!(await coreAccepts(sig, body))) continue;
          accepted++;
          if (!validate(JSON.parse(body))) misses.push(`${t.type} required=${required}: ${body}`);
        }
      }
    }
  }
  assert.deepEqual(misses, []);
  assert.ok(accepted > 30, `${accepted} accepted bodies`);
});

Deno.test("every tensor body the core accepts validates, and wrong depth or a wrong fixed axis does not", async () => {
  for (const dtype of ["float32", "float64", "int32", "int64", "uint8", "bool", "str"]) {
    const sig = signature([{ type: "tensor", "tensor-spec": { dtype, shape: [-1, 2] } }]);
    const validate = ajv.compile(invocationRequestJsonSchema(sig));
    for (const v of VALUES) {
      const j = JSON.stringify(v);
      for (const body of [`{"inputs": [[${j}, ${j}]]}`, `{"instances": [[${j}, ${j}]]}`]) {
        if (await coreAccepts(sig, body)) {
          assert.ok(
            validate(JSON.parse(body)),
            `${dtype}: ${body} ${JSON.stringify(validate.errors)}`,
          );
        }
      }
    }
    assert.equal(validate({ inputs: [[1, 1, 1]] }), false, `${dtype}: three on a fixed axis of 2`);
    assert.equal(validate({ inputs: [1, 1] }), false, `${dtype}: too shallow`);
  }
  const t = tensorJsonSchema(new TensorSpec({ dtype: "uint8", shape: [-1, 28, 28, 1] }));
  const depth = (s: Record<string, unknown>): number =>
    s.type === "array" ? 1 + depth(s.items as Record<string, unknown>) : 0;
  assert.equal(depth(t), 4);
});

Deno.test("named tensors are all required, by name or per row", async () => {
  const sig = signature([
    { type: "tensor", "tensor-spec": { dtype: "float64", shape: [-1, 2] }, name: "a" },
    { type: "tensor", "tensor-spec": { dtype: "float64", shape: [-1] }, name: "b" },
  ]);
  const validate = ajv.compile(invocationRequestJsonSchema(sig));
  const ok = [
    '{"inputs": {"a": [[1, 2]], "b": [3]}}',
    '{"instances": [{"a": [1, 2], "b": 3}]}',
  ];
  for (const body of ok) {
    assert.ok(await coreAccepts(sig, body), body);
    assert.ok(validate(JSON.parse(body)), body);
  }
  for (const body of ['{"inputs": {"a": [[1, 2]]}}', '{"instances": [{"b": 3}]}']) {
    assert.equal(await coreAccepts(sig, body), false, body);
    assert.equal(validate(JSON.parse(body)), false, body);
  }
});

Deno.test("Object properties, Map values and Array items follow the column type", () => {
  const sig = signature([{
    type: "object",
    properties: {
      name: { type: "string", required: true },
      tags: { type: "array", items: { type: "long" }, required: false },
      scores: { type: "map", values: { type: "double" }, required: true },
    },
    name: "o",
  }]);
  const cell = ajv.compile(colTypeJsonSchema((sig.inputs!.inputs[0] as ColSpec).type));
  assert.ok(cell({ name: "x", scores: { a: 1.5 } }));
  assert.ok(cell({ name: "x", tags: null, scores: {} }));
  assert.equal(cell({ scores: {} }), false, "missing required property");
  assert.equal(cell({ name: "x", scores: { a: "abc" } }), false, "a map value of the wrong type");
  assert.ok(cell({ name: "x", tags: [1, 2], scores: {} }));
  assert.equal(
    cell({ name: "x", tags: ["a"], scores: {} }),
    false,
    "an array item of the wrong type",
  );
});

Deno.test("params carry their types and defaults, and null selects the default", () => {
  const p = paramJsonSchema(
    new ParamSpec({ name: "k", type: "long", default: 5 }),
  );
  assert.equal(p.default, 5);
  const v = ajv.compile(p);
  assert.ok(v(7) && v(null));
  assert.equal(v("abc"), false);
  const list = ajv.compile(
    paramJsonSchema(new ParamSpec({ name: "xs", type: "double", default: [1.5], shape: [-1] })),
  );
  assert.ok(list([1, 2.5]));
  assert.equal(list(1), false);
  const sig = signature([{ type: "string" }], [
    { name: "temperature", type: "float", default: 0.5, shape: null },
  ]);
  const schema = invocationRequestJsonSchema(sig) as {
    properties: { params: { properties: Record<string, { default: unknown }> } };
  };
  assert.equal(schema.properties.params.properties.temperature.default, 0.5);
});

Deno.test("exactly one input envelope: none or two do not validate", () => {
  const validate = ajv.compile(invocationRequestJsonSchema(null));
  assert.ok(validate({ inputs: [1] }));
  assert.equal(validate({ params: {} }), false);
  assert.equal(validate({ inputs: [1], instances: [1] }), false);
});
