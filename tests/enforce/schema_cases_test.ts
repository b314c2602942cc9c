// The MLflow-recorded schema cases (tests/mlmodel/data/mlflow_schema_cases.json, generated from
// MLflow's own schema code) through the wasm core's signature reader, compileSignature: what
// MLflow reads, the core compiles; what MLflow refuses, the core refuses. The TypeScript
// reader (Schema.fromJSON) runs the same file in tests/mlmodel/schema_test.ts, so the two
// readers cannot drift apart.
import assert from "node:assert/strict";
import { compileSignature } from "../../src/enforce/mod.ts";
import { MlflowError } from "../../src/errors.ts";

interface Case {
  kind: "schema" | "params";
  json: string;
  mlflow?: string;
  error?: string;
}
const CASES: Case[] = JSON.parse(
  await Deno.readTextFile(new URL("../mlmodel/data/mlflow_schema_cases.json", import.meta.url)),
);

const signature = (c: Case, text: string) =>
  c.kind === "schema" ? { inputs: text, params: null } : { inputs: null, params: text };

Deno.test("compileSignature reads every schema MLflow reads and refuses every one it refuses", async () => {
  assert.ok(CASES.length >= 120);
  const wrong: string[] = [];
  for (const c of CASES) {
    for (const text of c.mlflow !== undefined ? [c.json, c.mlflow] : [c.json]) {
      try {
        const compiled = await compileSignature(signature(c, text));
        compiled.free();
        if (c.error !== undefined) wrong.push(`accepted ${c.kind} ${text} (MLflow: ${c.error})`);
      } catch (e) {
        if (!(e instanceof MlflowError)) throw e;
        if (c.error === undefined) wrong.push(`refused ${c.kind} ${text}: ${e.message}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});
