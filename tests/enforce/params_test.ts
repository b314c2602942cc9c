import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { validateRequest } from "../../src/enforce/mod.ts";

const params = JSON.stringify([
  { name: "temperature", type: "double", default: 0.7, shape: null },
  { name: "max_tokens", type: "long", default: 16, shape: null },
  { name: "stop", type: "string", default: ["\n"], shape: [-1] },
  { name: "when", type: "datetime", default: "2024-01-01", shape: null },
  { name: "flag", type: "boolean", default: false, shape: null },
]);
const signature = { inputs: '[{"type": "string", "name": "text"}]', params };

async function paramsOf(p: unknown): Promise<Record<string, unknown> | null> {
  const body = JSON.stringify({ inputs: { text: ["hi"] }, params: p });
  return (await validateRequest(signature, body)).params;
}

Deno.test("params get their defaults when the request has none", async () => {
  assert.deepEqual(await paramsOf(undefined), {
    temperature: 0.7,
    max_tokens: 16,
    stop: ["\n"],
    when: "2024-01-01",
    flag: false,
  });
});

Deno.test("params convert losslessly, keep explicit null and drop unknown names", async () => {
  const p = await paramsOf({
    temperature: 1,
    max_tokens: null,
    when: "2024-05-06 07:08:09",
    bogus: 1,
  });
  assert.deepEqual(p, {
    temperature: 1,
    max_tokens: null,
    stop: ["\n"],
    when: "2024-05-06T07:08:09",
    flag: false,
  });
});

Deno.test("every invalid param is named in one INVALID_PARAMETER_VALUE error", async () => {
  await assert.rejects(
    () => paramsOf({ temperature: "hot", max_tokens: 1.5, flag: 1, stop: "x" }),
    (e: unknown) => {
      assert.ok(e instanceof MlflowError);
      assert.equal(e.errorCode, "INVALID_PARAMETER_VALUE");
      for (const name of ["'temperature'", "'max_tokens'", "'flag'", "'stop'"]) {
        assert.ok(e.message.includes(name), `${name} in ${e.message}`);
      }
      return true;
    },
  );
});

Deno.test("input errors win over param errors, as in MLflow", async () => {
  const body = JSON.stringify({ inputs: { wrong: ["hi"] }, params: { temperature: "hot" } });
  await assert.rejects(
    () => validateRequest(signature, body),
    /Model is missing inputs \['text'\]/,
  );
});

Deno.test("a model without a params schema receives {} when params are sent", async () => {
  const sig = { inputs: '[{"type": "string", "name": "text"}]', params: null };
  const v = await validateRequest(sig, JSON.stringify({ inputs: { text: "a" }, params: { x: 1 } }));
  assert.deepEqual(v.params, {});
});

Deno.test("a bad default is refused when the signature is compiled", async () => {
  const bad = {
    inputs: null,
    params: '[{"name": "n", "type": "long", "default": 1.5, "shape": null}]',
  };
  await assert.rejects(
    () => validateRequest(bad, '{"inputs": [1]}'),
    /the default of "n" is invalid/,
  );
});

Deno.test("parameter defaults (TypeScript model) and request parameters (wasm core) follow one table", async () => {
  const { ParamSpec } = await import("../../src/mlmodel/param_schema.ts");
  const { PARAM_VALUE_RULES } = await import("../../src/mlmodel/param_rules.ts");
  const values: Record<string, string> = { bool: "true", int: "3", float: "2.5", str: '"x"' };
  for (const [type, kinds] of Object.entries(PARAM_VALUE_RULES)) {
    const schema = JSON.stringify([{ name: "p", type, default: null, shape: null }]);
    for (const [kind, text] of Object.entries(values)) {
      const expected = (kinds as Record<string, string | undefined>)[kind];
      const where = `${type} <- ${kind}`;
      // The model side: a default of this kind.
      let modelOk = true;
      try {
        new ParamSpec({ name: "p", type: type as "long", default: JSON.parse(text) });
      } catch (e) {
        assert.ok(e instanceof MlflowError, where);
        modelOk = false;
      }
      // The core side: a request parameter of this kind.
      let coreParams: Record<string, unknown> | null = null;
      try {
        coreParams = (await validateRequest(
          { inputs: null, params: schema },
          `{"inputs": [1], "params": {"p": ${text}}}`,
        )).params;
      } catch (e) {
        assert.ok(e instanceof MlflowError, where);
      }
      assert.equal(modelOk, expected !== undefined, `model, ${where}`);
      assert.equal(coreParams !== null, expected !== undefined, `core, ${where}`);
      if (expected === "to_float") assert.equal(coreParams!.p, 3);
    }
  }
});
