import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { compileSignature } from "../../src/enforce/mod.ts";

const tensor = '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]';

function refusal(fn: () => unknown): MlflowError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MlflowError, String(e));
    return e;
  }
  assert.fail("expected a refusal");
}

Deno.test("a body over maxBodyBytes is refused with 413 before it is parsed", async () => {
  const sig = await compileSignature({ inputs: tensor }, { maxBodyBytes: 16 });
  const e = refusal(() => sig.validate('{"inputs": [[1, 2], [3, 4]]}', "application/json"));
  assert.equal(e.status, 413);
  assert.match(e.message, /limit is 16 bytes/);
  sig.free();
});

Deno.test("nesting deeper than maxDepth is a 400", async () => {
  const sig = await compileSignature({ inputs: null }, { maxDepth: 5 });
  const e = refusal(() =>
    sig.validate(`{"inputs": ${"[".repeat(10)}${"]".repeat(10)}}`, "application/json")
  );
  assert.equal(e.status, 400);
  assert.equal(e.errorCode, "BAD_REQUEST");
  sig.free();
});

Deno.test("more values than maxElements is a 400", async () => {
  const sig = await compileSignature({ inputs: tensor }, { maxElements: 100 });
  const rows = Array.from({ length: 60 }, () => [1, 2]);
  const e = refusal(() => sig.validate(JSON.stringify({ inputs: rows }), "application/json"));
  assert.equal(e.status, 400);
  sig.free();
});

Deno.test("a string longer than maxStringBytes is a 400", async () => {
  const sig = await compileSignature({ inputs: '[{"type": "string", "name": "s"}]' }, {
    maxStringBytes: 8,
  });
  const e = refusal(() => sig.validate('{"inputs": {"s": ["0123456789"]}}', "application/json"));
  assert.equal(e.status, 400);
  sig.free();
});

Deno.test("violations are all reported up to maxErrors", async () => {
  const sig = await compileSignature({ inputs: '[{"type": "long", "name": "a"}]' }, {
    maxErrors: 3,
  });
  const body = JSON.stringify({
    dataframe_split: { columns: ["a"], data: [[0.5], [1.5], [2.5], [3.5], [4.5]] },
  });
  const e = refusal(() => sig.validate(body, "application/json"));
  assert.equal(e.errorCode, "INVALID_PARAMETER_VALUE");
  assert.match(e.message, /^The request has at least 4 problems \(the first 3 are listed\)/);
  assert.match(e.message, /0\.5 in column "a" at row 0/);
  assert.match(e.message, /2\.5 in column "a" at row 2/);
  sig.free();
});

Deno.test("a freed signature refuses further requests", async () => {
  const sig = await compileSignature({ inputs: tensor });
  sig.free();
  const e = refusal(() => sig.validate('{"inputs": [[1, 2]]}', "application/json"));
  assert.equal(e.errorCode, "INTERNAL_ERROR");
  sig.free(); // twice is harmless
});

Deno.test("an unreadable signature is refused at compile time", async () => {
  await assert.rejects(
    () => compileSignature({ inputs: '[{"type": "int", "name": "a"}]' }),
    /unsupported type "int"/,
  );
  await assert.rejects(() => compileSignature({ inputs: "[" }), /not valid JSON/);
});

Deno.test("limits hold for the common shapes too (no shortcut around them)", async () => {
  const cols = '[{"type": "double", "name": "a"}]';
  const names = await compileSignature({ inputs: cols }, { maxStringBytes: 16 });
  const long =
    '{"dataframe_split": {"columns": ["a", "a_much_longer_column_name"], "data": [[1, 2]]}}';
  assert.equal(refusal(() => names.validate(long, "application/json")).status, 400);
  assert.ok(
    names.validate('{"dataframe_split": {"columns": ["a"], "data": [[1]]}}', "application/json"),
  );
  const shallow = await compileSignature({ inputs: cols }, { maxDepth: 3 });
  assert.equal(
    refusal(() =>
      shallow.validate('{"dataframe_split": {"columns": ["a"], "data": [[1]]}}', "application/json")
    ).status,
    400,
  );
  const few = await compileSignature({ inputs: tensor }, { maxElements: 64 });
  const rows = JSON.stringify({ inputs: Array.from({ length: 40 }, () => [1, 2]) });
  assert.equal(refusal(() => few.validate(rows, "application/json")).status, 400);
  for (const s of [names, shallow, few]) s.free();
});
