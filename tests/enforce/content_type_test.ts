import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { bodyFormat, validateRequest } from "../../src/enforce/mod.ts";

function refusal(fn: () => unknown): MlflowError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MlflowError);
    return e;
  }
  assert.fail("expected a refusal");
}

Deno.test("reads application/json and text/csv with a utf-8 charset in any case", () => {
  assert.equal(bodyFormat("application/json"), "json");
  assert.equal(bodyFormat("application/json; charset=UTF-8"), "json");
  assert.equal(bodyFormat("text/csv;charset=utf-8"), "csv");
  assert.equal(bodyFormat(" text/csv ; charset = Utf-8 "), "csv");
});

Deno.test("refuses other media types with 415, comparing case-sensitively like MLflow", () => {
  for (
    const t of [
      "Application/JSON",
      "text/plain",
      "application/x-www-form-urlencoded",
      "",
      "application/json5",
    ]
  ) {
    const e = refusal(() => bodyFormat(t));
    assert.equal(e.status, 415);
    assert.match(e.message, /only supports the following content types/);
  }
});

Deno.test("refuses charsets other than utf-8 with 415", () => {
  for (const t of ["application/json; charset=latin-1", "text/csv; charset=utf8"]) {
    const e = refusal(() => bodyFormat(t));
    assert.equal(e.status, 415);
    assert.equal(e.message, "The scoring server only supports UTF-8");
  }
});

Deno.test("refuses unknown content type parameters with 415 naming them", () => {
  const e = refusal(() => bodyFormat("application/json; format=pandas-split; x=1"));
  assert.equal(e.status, 415);
  assert.match(e.message, /^Unrecognized content type parameters: format, x\./);
});

Deno.test("validateRequest defaults to JSON and answers 415 bodies as MlflowError JSON", async () => {
  const sig = { inputs: '[{"type": "long", "name": "a"}]' };
  const ok = await validateRequest(sig, '{"inputs": {"a": [1]}}');
  assert.equal(ok.format, "inputs");
  await assert.rejects(
    () => validateRequest(sig, "a\n1\n", "text/plain"),
    (e: unknown) =>
      e instanceof MlflowError && e.status === 415 && e.toJSON().error_code === "BAD_REQUEST",
  );
});
