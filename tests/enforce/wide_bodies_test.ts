// Bodies with hundreds of thousands of columns, keys or rows: every request shape must finish
// with the right answer (the core looks names up in sorted indexes, never by linear search, and
// never materialises the cells of columns the signature does not name). No timings asserted.
import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { validateRequest } from "../../src/enforce/mod.ts";

const N = 200_000;
const names = Array.from({ length: N }, (_, i) => `c${i}`);
const zeros = names.map(() => 0);
const sig = {
  inputs: JSON.stringify([{ type: "double", name: "a" }, { type: "long", name: "b" }]),
  params: null,
};
const wideRecord: Record<string, number> = { a: 1.5, b: 2 };
for (const n of names) wideRecord[n] = 0;

async function refusal(p: Promise<unknown>): Promise<MlflowError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MlflowError, String(e));
    return e;
  }
  assert.fail("expected a refusal");
}

function assertAB(input: Awaited<ReturnType<typeof validateRequest>>, rows = 1): void {
  assert.deepEqual(input.columns.map((c) => [c.name, c.dtype]), [
    ["a", "float64"],
    ["b", "int64"],
  ]);
  assert.equal(input.rows, rows);
  assert.equal(input.columns[0].values.length, rows);
}

Deno.test(`dataframe_split with ${N} extra columns keeps the signature's two`, async () => {
  const body = JSON.stringify({
    dataframe_split: { columns: [...names, "a", "b"], data: [[...zeros, 1.5, 2]] },
  });
  const input = await validateRequest(sig, body);
  assertAB(input);
  assert.equal(input.columns[0].values[0], 1.5);
});

Deno.test(`dataframe_split with ${N} columns and one repeated at the end is refused`, async () => {
  const body = JSON.stringify({
    dataframe_split: { columns: [...names, "c7"], data: [[...zeros, 0]] },
  });
  const e = await refusal(validateRequest(sig, body));
  assert.equal(e.errorCode, "BAD_REQUEST");
  assert.match(e.message, /column "c7" appears twice/);
});

Deno.test(`dataframe_split missing the signature's columns names all ${N} extras`, async () => {
  const body = JSON.stringify({ dataframe_split: { columns: names, data: [zeros] } });
  const e = await refusal(validateRequest(sig, body));
  assert.equal(e.errorCode, "INVALID_PARAMETER_VALUE");
  assert.match(e.message, /^Model is missing inputs \['a', 'b'\]\. Note that there were extra/);
  assert.ok(e.message.includes(`'c${N - 1}'`));
});

Deno.test(`dataframe_split without a signature infers all ${N} columns`, async () => {
  const body = JSON.stringify({ dataframe_split: { columns: names, data: [zeros] } });
  const input = await validateRequest(null, body);
  assert.equal(input.columns.length, N);
  assert.equal(input.columns[N - 1].name, `c${N - 1}`);
  assert.equal(input.columns[N - 1].dtype, "int64");
});

Deno.test(`dataframe_records of ${N} rows with a distinct key each keeps the signature's columns`, async () => {
  const records = Array.from({ length: N }, (_, i) => ({ a: i + 0.5, b: i, [`k${i}`]: 1 }));
  const input = await validateRequest(sig, JSON.stringify({ dataframe_records: records }));
  assertAB(input, N);
  assert.equal(input.columns[1].values[N - 1], BigInt(N - 1));
});

Deno.test("a sparse records table larger than the element limit is refused without a signature", async () => {
  const records = Array.from({ length: 20_000 }, (_, i) => ({ [`k${i}`]: 1 }));
  const e = await refusal(validateRequest(null, JSON.stringify({ dataframe_records: records })));
  assert.equal(e.errorCode, "BAD_REQUEST");
  assert.match(e.message, /20000 rows and \d+ columns .* more than the limit of 10000000/);
});

Deno.test(`dataframe_records, inputs and instances records with ${N} extra keys`, async () => {
  for (const key of ["dataframe_records", "inputs", "instances"]) {
    const input = await validateRequest(sig, JSON.stringify({ [key]: [wideRecord, wideRecord] }));
    assertAB(input, 2);
  }
});

Deno.test(`instances records where an extra key is missing from one record are refused`, async () => {
  const short = { a: 1, b: 2, c0: 0 };
  const e = await refusal(
    validateRequest(sig, JSON.stringify({ instances: [wideRecord, short] })),
  );
  assert.match(e.message, /length of values for each input\/column name are not the same/);
});

Deno.test(`inputs as a dict of ${N} columns keeps the signature's two`, async () => {
  const dict: Record<string, number[]> = { a: [1.5], b: [2] };
  for (const n of names) dict[n] = [0];
  assertAB(await validateRequest(sig, JSON.stringify({ inputs: dict })));
  const none = await validateRequest(null, JSON.stringify({ inputs: dict }));
  assert.equal(none.tensors.length, N + 2);
});

Deno.test(`named tensors: inputs dict and instances records with ${N} extra keys`, async () => {
  const tsig = {
    inputs: JSON.stringify([
      { type: "tensor", name: "x", "tensor-spec": { dtype: "float32", shape: [-1, 2] } },
    ]),
    params: null,
  };
  const dict: Record<string, unknown> = { x: [[1, 2]] };
  for (const n of names) dict[n] = [1];
  const a = await validateRequest(tsig, JSON.stringify({ inputs: dict }));
  assert.deepEqual(a.tensors[0].shape, [1, 2]);
  const b = await validateRequest(tsig, JSON.stringify({ instances: [{ ...dict, x: [1, 2] }] }));
  assert.deepEqual(b.tensors[0].shape, [1, 2]);
});

Deno.test(`params and chat payloads with ${N} keys`, async () => {
  const psig = {
    inputs: sig.inputs,
    params: JSON.stringify([{ name: "t", type: "double", default: 0.5, shape: null }]),
  };
  const params: Record<string, number> = { t: 2 };
  for (const n of names) params[n] = 1;
  const input = await validateRequest(
    psig,
    JSON.stringify({ inputs: { a: [1.5], b: [2] }, params }),
  );
  assert.deepEqual(input.params, { t: 2.0 });
  const e = await refusal(validateRequest(psig, JSON.stringify({ messages: [], ...params })));
  assert.match(e.message, /^Model is missing inputs \['a', 'b'\]/);
});

Deno.test(`CSV with ${N} extra columns, and 1,000,000 rows`, async () => {
  const wide = `a,b,${names.join(",")}\n1.5,2,${zeros.join(",")}\n`;
  assertAB(await validateRequest(sig, wide, "text/csv"));
  const none = await validateRequest(null, wide, "text/csv");
  assert.equal(none.columns.length, N + 2);
  const rows = 1_000_000;
  const tall = "a,b\n" + "0.5,1\n".repeat(rows);
  assertAB(await validateRequest(sig, tall, "text/csv"), rows);
});

Deno.test("a wide CSV header over thousands of short rows is read without padding them", async () => {
  // 2,000 columns x 30,000 one-cell rows: 60 million missing cells, over the element limit.
  const header = Array.from({ length: 2000 }, (_, i) => `c${i}`);
  const body = `a,b,${header.join(",")}\n` + "1,2\n".repeat(30_000);
  const e = await refusal(validateRequest(sig, body, "text/csv"));
  assert.match(e.message, /CSV has more than 10000000 cells/);
  // Within the limit, the missing cells read as missing values.
  const small = `a,b,${header.join(",")}\n` + "1.5,2\n".repeat(4000);
  const input = await validateRequest(sig, small, "text/csv");
  assertAB(input, 4000);
});
