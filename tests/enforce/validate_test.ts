import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { compileSignature, validateRequest } from "../../src/enforce/mod.ts";
import { ModelSignature } from "../../src/mlmodel/mod.ts";

async function refused(p: Promise<unknown>): Promise<MlflowError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MlflowError, String(e));
    return e;
  }
  assert.fail("expected a refusal");
}

const cols = (...specs: [string, string][]) =>
  JSON.stringify(specs.map(([name, type]) => ({ type, name, required: true })));

Deno.test("toJSON gives exactly the columns shape with int64 as numbers, or all as decimal text", async () => {
  const v = await validateRequest(
    { inputs: cols(["a", "long"], ["t", "datetime"], ["ok", "boolean"]) },
    '{"dataframe_split": {"columns": ["a", "t", "ok"], "data": [[9007199254740993, "2024-01-02T03:04:05.000000001", true], [-1, null, 0]]}}',
  );
  assert.equal(
    JSON.stringify(v),
    '{"kind":"columns","columns":[{"name":"a","dtype":"int64","values":["9007199254740993","-1"]},' +
      '{"name":"t","dtype":"datetime64[ns]","values":["2024-01-02T03:04:05.000000001",null]},' +
      '{"name":"ok","dtype":"bool","values":[true,false]}],"params":null}',
  );
  assert.deepEqual(v.columns[0].values, new BigInt64Array([9007199254740993n, -1n]));
  assert.equal((v.columns[1].values as BigInt64Array)[1], -(2n ** 63n));
});

Deno.test("toJSON gives exactly the tensors shape with flat values", async () => {
  const v = await validateRequest(
    { inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2, 2]}}]' },
    '{"inputs": [[[0, 1], [2, 255]]]}',
  );
  assert.equal(
    JSON.stringify(v),
    '{"kind":"tensors","tensors":[{"name":null,"dtype":"uint8","shape":[1,2,2],"values":[0,1,2,255]}],"params":null}',
  );
  assert.ok(v.tensors[0].values instanceof Uint8Array);
});

Deno.test("results are copies that survive later requests", async () => {
  const sig = await compileSignature({ inputs: cols(["x", "double"], ["s", "string"]) });
  const first = sig.validate('{"inputs": {"x": [1.5, 2.5], "s": ["a", "b"]}}', "application/json");
  for (let i = 0; i < 50; i++) {
    const big = JSON.stringify({ inputs: { x: Array(2000).fill(i), s: Array(2000).fill("zz") } });
    sig.validate(big, "application/json");
  }
  assert.deepEqual(first.columns[0].values, new Float64Array([1.5, 2.5]));
  assert.deepEqual(first.columns[1].values, ["a", "b"]);
  sig.free();
});

Deno.test("string columns come back as the body spells them, at any size, with any characters", async () => {
  const sig = await compileSignature({
    inputs: '[{"type": "string", "name": "s", "required": true}]',
  });
  const pool = [
    "",
    "a",
    null,
    "é",
    "😀x",
    'q"uote',
    "tab\t",
    "ASCII text",
    "日本",
    "z".repeat(700),
  ];
  // ASCII only, any characters without escapes, everything.
  const escaped = (v: string) => /["\\]/.test(v) || [...v].some((c) => c < " ");
  const keep: [string, (v: string) => boolean][] = [
    ["ascii", (v) => /^[ -~]*$/.test(v) && !escaped(v)],
    ["unicode", (v) => !escaped(v)],
    ["all", () => true],
  ];
  for (const rows of [1, 3, 64, 65, 300]) {
    for (const [what, allowed] of keep) {
      const values = Array.from({ length: rows }, (_, i) => {
        const v = pool[(i * 7 + rows) % pool.length];
        return v === null || allowed(v) ? v : `v${i}`;
      });
      const body = JSON.stringify({
        dataframe_split: { columns: ["s"], data: values.map((v) => [v]) },
      });
      // Read while later requests reuse the core's memory.
      const first = sig.validate(body, "application/json");
      sig.validate(JSON.stringify({ inputs: { s: ["other"] } }), "application/json");
      assert.deepEqual(first.columns[0].values, values, `${rows} rows, ${what}`);
    }
  }
  sig.free();
});

Deno.test("accepts a ModelSignature, parsed arrays, or JSON strings alike", async () => {
  const inputs = [{ type: "double", name: "x", required: true }];
  const body = '{"inputs": {"x": [1, 2]}}';
  const fromText = await validateRequest({ inputs: JSON.stringify(inputs) }, body);
  const fromArray = await validateRequest({ inputs }, body);
  const fromModel = await validateRequest(
    ModelSignature.fromDict({ inputs: JSON.stringify(inputs), outputs: null, params: null }),
    body,
  );
  assert.equal(JSON.stringify(fromArray), JSON.stringify(fromText));
  assert.equal(JSON.stringify(fromModel), JSON.stringify(fromText));
  assert.deepEqual(fromText.columns[0].values, new Float64Array([1, 2]));
});

Deno.test("bytes as a body are the same as text", async () => {
  const sig = { inputs: cols(["s", "string"]) };
  const body = '{"inputs": {"s": ["h\u00e9llo", "\u65e5\u672c"]}}';
  const a = await validateRequest(sig, body);
  const b = await validateRequest(sig, new TextEncoder().encode(body));
  assert.deepEqual(a.columns[0].values, ["h\u00e9llo", "\u65e5\u672c"]);
  assert.equal(JSON.stringify(b), JSON.stringify(a));
});

Deno.test("a value out of range for a uint8 tensor is refused naming its index", async () => {
  const e = await refused(validateRequest(
    { inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2]}}]' },
    '{"inputs": [[0, 1], [300, -1]]}',
  ));
  assert.equal(e.errorCode, "INVALID_PARAMETER_VALUE");
  assert.match(e.message, /Cannot convert 300 in the input tensor at index \[1, 0\] to uint8/);
  assert.match(e.message, /Cannot convert -1 in the input tensor at index \[1, 1\] to uint8/);
});

Deno.test("a float that overflows float32 is refused", async () => {
  const e = await refused(
    validateRequest({ inputs: cols(["f", "float"]) }, '{"inputs": {"f": [1e39]}}'),
  );
  assert.equal(e.errorCode, "INVALID_PARAMETER_VALUE");
  assert.match(e.message, /beyond the range of float32/);
});

Deno.test("NaN and Infinity tokens reach float columns as IEEE values", async () => {
  const v = await validateRequest(
    { inputs: cols(["f", "double"]) },
    '{"inputs": {"f": [NaN, Infinity, -Infinity, null]}}',
  );
  const f = v.columns[0].values as Float64Array;
  assert.ok(Number.isNaN(f[0]) && Number.isNaN(f[3]));
  assert.equal(f[1], Infinity);
  assert.equal(f[2], -Infinity);
});

Deno.test("float16 tensors hold IEEE half bits", async () => {
  const v = await validateRequest(
    { inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float16", "shape": [-1]}}]' },
    '{"inputs": [1, 0.5, -2]}',
  );
  assert.deepEqual(v.tensors[0].values, new Uint16Array([0x3c00, 0x3800, 0xc000]));
  assert.deepEqual((v.toJSON() as { tensors: { values: number[] }[] }).tensors[0].values, [
    1,
    0.5,
    -2,
  ]);
});

Deno.test("a DataFrame column of flattened images reshapes to the tensor spec", async () => {
  const row = Array.from({ length: 8 }, (_, i) => i);
  const v = await validateRequest(
    { inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2, 4, 1]}}]' },
    JSON.stringify({ dataframe_split: { columns: ["image"], data: [[row], [row]] } }),
  );
  assert.deepEqual(v.tensors[0].shape, [2, 2, 4, 1]);
  assert.equal(v.tensors[0].values.length, 16);
});

Deno.test("binary columns decode base64 from dataframe_split", async () => {
  const v = await validateRequest(
    { inputs: cols(["b", "binary"]) },
    '{"dataframe_records": [{"b": "AQI="}, {"b": ""}]}',
  );
  assert.deepEqual(v.columns[0].values, [new Uint8Array([1, 2]), new Uint8Array([])]);
  assert.deepEqual((v.toJSON() as { columns: { values: unknown[] }[] }).columns[0].values, [
    "AQI=",
    "",
  ]);
});

Deno.test("a request without a signature is parsed and passed as MLflow would", async () => {
  const v = await validateRequest(
    { inputs: null, params: null },
    '{"inputs": {"a": [[1, 2], [3, 4]], "b": ["x"]}}',
  );
  assert.equal(v.kind, "tensors");
  assert.deepEqual(v.tensors.map((t) => [t.name, t.dtype, t.shape]), [["a", "int64", [2, 2]], [
    "b",
    "str",
    [1],
  ]]);
  const csv = await validateRequest({ inputs: null }, "i,f,s\n1,1.5,a\n2,,b\n", "text/csv");
  assert.deepEqual(csv.columns.map((c) => c.dtype), ["int64", "float64", "str"]);
});

Deno.test("a chat payload keeps params by name and enforces the rest as one row", async () => {
  const sig = {
    inputs:
      '[{"type": "array", "items": {"type": "object", "properties": {"role": {"type": "string", "required": true}, "content": {"type": "string", "required": true}}}, "name": "messages", "required": true}]',
    params: '[{"name": "temperature", "type": "double", "default": 0.5, "shape": null}]',
  };
  const v = await validateRequest(
    sig,
    '{"messages": [{"role": "user", "content": "hi"}], "temperature": 1}',
  );
  assert.equal(v.format, "llm");
  assert.equal(v.rows, 1);
  assert.deepEqual(v.columns[0].values, [[{ role: "user", content: "hi" }]]);
  assert.deepEqual(v.params, { temperature: 1 });
});

Deno.test("CSV refuses NA tokens in string columns instead of turning them into null", async () => {
  const e = await refused(
    validateRequest(
      { inputs: cols(["s", "string"], ["n", "long"]) },
      "s,n\nNA,1\nok,2\n",
      "text/csv",
    ),
  );
  assert.equal(e.errorCode, "INVALID_PARAMETER_VALUE");
  assert.match(e.message, /"NA" in column "s" at row 0/);
  const ok = await validateRequest(
    { inputs: cols(["s", "string"], ["n", "long"]) },
    's,n\n,1\n"a,b",2\n',
    "text/csv",
  );
  assert.deepEqual(ok.columns[0].values, [null, "a,b"]);
});

Deno.test("CSV cannot carry tensor signatures or complex columns", async () => {
  const t = await refused(validateRequest(
    { inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]' },
    "a\n1\n",
    "text/csv",
  ));
  assert.equal(t.errorCode, "BAD_REQUEST");
  const c = await refused(validateRequest(
    { inputs: '[{"type": "array", "items": {"type": "long"}, "name": "a", "required": true}]' },
    "a\n1\n",
    "text/csv",
  ));
  assert.equal(c.errorCode, "BAD_REQUEST");
});

Deno.test("broken CSV is a BAD_REQUEST with pandas' wording", async () => {
  const e = await refused(validateRequest({ inputs: cols(["a", "long"]) }, "a\n1,2\n", "text/csv"));
  assert.equal(e.errorCode, "BAD_REQUEST");
  assert.match(e.message, /^Failed to parse input as a Pandas DataFrame/);
});

Deno.test("violations of several kinds are reported together, parse-step code first", async () => {
  const e = await refused(validateRequest(
    { inputs: cols(["a", "long"], ["b", "boolean"], ["c", "double"]) },
    '{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1.5, "yes", "x"]]}}',
  ));
  assert.equal(e.errorCode, "BAD_REQUEST");
  assert.match(e.message, /^The request has 3 problems/);
  for (const col of ['"a"', '"b"', '"c"']) {
    assert.ok(e.message.includes(`column ${col}`), e.message);
  }
});

Deno.test("a chat payload's scalar columns follow MLflow's in-process rules (no cast step)", async () => {
  const sig = { inputs: '[{"type": "string", "name": "prompt"}, {"type": "double", "name": "t"}]' };
  const ok = await validateRequest(sig, '{"prompt": "hi", "t": 0.5}');
  assert.deepEqual(ok.columns[1].values, new Float64Array([0.5]));
  for (const body of ['{"prompt": "hi", "t": 2}', '{"prompt": 5, "t": 0.5}']) {
    const e = await refused(validateRequest(sig, body));
    assert.equal(e.errorCode, "INVALID_PARAMETER_VALUE", e.message);
    assert.match(e.message, /Can not safely convert int64/);
  }
});
