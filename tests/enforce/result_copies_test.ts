import assert from "node:assert/strict";
import { compileSignature } from "../../src/enforce/mod.ts";

// Small results share JS-side buffers (src/enforce/_result.ts): keep thousands of them, then
// check each against what its request said, so a buffer reused too early would show.

const cols = (...specs: [string, string][]) =>
  JSON.stringify(specs.map(([name, type]) => ({ type, name, required: true })));

function body(i: number): string {
  const b64 = btoa(String.fromCharCode(i & 0xff, (i >> 8) & 0xff));
  return JSON.stringify({
    dataframe_split: {
      columns: ["x", "n", "s", "b", "é"],
      data: [[i + 0.5, i * 3, `row ${i}`, b64, i % 2 === 0], [-i - 0.25, -1, "", "", true]],
    },
  });
}

Deno.test("thousands of small results kept together each still hold their own request's values", async () => {
  const sig = await compileSignature({
    inputs: cols(["x", "double"], ["n", "long"], ["s", "string"], ["b", "binary"], [
      "é",
      "boolean",
    ]),
  });
  const kept = [];
  for (let i = 0; i < 3000; i++) kept.push(sig.validate(body(i), "application/json"));
  // Large results in between take another route; they must not disturb the small ones.
  const rows = Array.from({ length: 3000 }, (_, k) => [k, k, "z", "", false]);
  const big = sig.validate(
    JSON.stringify({ dataframe_split: { columns: ["x", "n", "s", "b", "é"], data: rows } }),
    "application/json",
  );
  kept.forEach((v, i) => {
    assert.deepEqual(v.columns.map((c) => c.name), ["x", "n", "s", "b", "é"]);
    assert.deepEqual(v.columns[0].values, new Float64Array([i + 0.5, -i - 0.25]));
    assert.deepEqual(v.columns[1].values, new BigInt64Array([BigInt(i * 3), -1n]));
    assert.deepEqual(v.columns[2].values, [`row ${i}`, ""]);
    assert.deepEqual(v.columns[3].values, [
      new Uint8Array([i & 0xff, (i >> 8) & 0xff]),
      new Uint8Array([]),
    ]);
    assert.deepEqual(v.columns[4].values, new Uint8Array([i % 2 === 0 ? 1 : 0, 1]));
  });
  assert.equal(big.rows, 3000);
  assert.equal((big.columns[0].values as Float64Array)[2999], 2999);
  sig.free();
});

Deno.test("a refusal between successes leaves the earlier results intact", async () => {
  const sig = await compileSignature({ inputs: cols(["x", "double"]) });
  const first = sig.validate('{"inputs": {"x": [1.25]}}', "application/json");
  assert.throws(() => sig.validate('{"inputs": {"x": ["no"]}}', "application/json"));
  const second = sig.validate('{"inputs": {"x": [2.5]}}', "application/json");
  assert.deepEqual(first.columns[0].values, new Float64Array([1.25]));
  assert.deepEqual(second.columns[0].values, new Float64Array([2.5]));
  sig.free();
});

Deno.test("string columns read the same whether plain, escaped, non-ASCII, null or long", async () => {
  const sig = await compileSignature({ inputs: cols(["s", "string"]) });
  const samples: (string | null)[][] = [
    ["plain", "", " spaced out ", "~!@#$%^&*()_+{}|:<>?`-=[];',./"],
    // One escape per sample: a single escaped value sends its whole column to JSON.parse.
    ['a "quoted" word'],
    ["back\\slash"],
    ["ends in a backslash\\"],
    ["tab\there"],
    ["line\nbreak"],
    ["nul\u0000byte"],
    ["solidus / slash"],
    ["café", "日本語", "emoji 😀", "\u007f"],
    ["x".repeat(3000), "y"],
    Array.from({ length: 200 }, (_, i) => `row ${i}`),
    ["null", "[", "]", ",", '"'],
  ];
  for (const values of samples) {
    for (
      const body of [{ inputs: { s: values } }, {
        dataframe_split: { columns: ["s"], data: values.map((v) => [v]) },
      }]
    ) {
      const v = sig.validate(JSON.stringify(body), "application/json");
      assert.deepEqual(v.columns[0].values, values);
    }
  }
  // Nulls come from optional string columns left out of a record.
  const opt = await compileSignature({
    inputs: '[{"type": "string", "name": "s", "required": false}, {"type": "long", "name": "n"}]',
  });
  const v = opt.validate(
    '{"dataframe_records": [{"s": "a", "n": 1}, {"n": 2}, {"s": "c\\"", "n": 3}]}',
    "application/json",
  );
  assert.deepEqual(v.columns[0].values, ["a", null, 'c"']);
  sig.free();
  opt.free();
});
