import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { validateRequest } from "../../src/enforce/mod.ts";
import { assertParams, assertValues, dtypeMatches, loadCases } from "./_compare.ts";

const cases = await loadCases();

Deno.test("the fixture holds the 98 recorded enforcement cases", () => {
  assert.equal(cases.length, 98);
});

Deno.test("every recorded enforcement case gets the outcome its policy demands", async (t) => {
  for (const c of cases) {
    await t.step(c.id, async () => {
      let outcome: Awaited<ReturnType<typeof validateRequest>> | MlflowError;
      try {
        outcome = await validateRequest(c.schema, c.body, c.content_type);
      } catch (e) {
        if (!(e instanceof MlflowError)) throw e;
        outcome = e;
      }
      if (c.policy === "reject") {
        assert.ok(outcome instanceof MlflowError, `${c.id} must be refused: ${c.policy_why}`);
        assert.equal(outcome.status, 400);
        assert.ok(
          ["BAD_REQUEST", "INVALID_PARAMETER_VALUE"].includes(outcome.errorCode),
          outcome.errorCode,
        );
        return;
      }
      if (!c.expect.ok) {
        assert.ok(
          outcome instanceof MlflowError,
          `${c.id} must fail like MLflow (${c.expect.status})`,
        );
        assert.equal(outcome.status, c.expect.status, outcome.message);
        if (c.expect.error_code !== null) {
          assert.equal(outcome.errorCode, c.expect.error_code, outcome.message);
        }
        return;
      }
      if (outcome instanceof MlflowError) {
        assert.fail(
          `${c.id} must be accepted, got ${outcome.status} ${outcome.errorCode}: ${outcome.message}`,
        );
      }
      const e = c.expect;
      assert.equal(outcome.kind, e.kind);
      const entries = e.kind === "columns" ? outcome.columns : outcome.tensors;
      assert.equal(entries.length, e.names!.length, "entry count");
      entries.forEach((entry, i) => {
        const where = `${c.id} ${e.kind} ${i}`;
        // For unnamed column signatures only the position is meaningful (README).
        const unnamedCols = e.kind === "columns" && c.schema.inputs !== null &&
          !c.schema.inputs.includes('"name"');
        if (!unnamedCols) assert.equal(entry.name, e.names![i], `${where}: name`);
        assert.ok(
          dtypeMatches(entry.dtype, e.dtypes![i]),
          `${where}: dtype ${entry.dtype} vs MLflow's ${e.dtypes![i]}`,
        );
        if (e.kind === "tensors") {
          assert.deepEqual((entry as { shape: number[] }).shape, e.shapes![i], `${where}: shape`);
        }
        assertValues(entry.dtype, entry.values, e.values![i], where);
      });
      if ("params" in e) assertParams(outcome.params, e.params);
    });
  }
});
