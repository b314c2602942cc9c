// The Python-compatible writers under the Model/Schema classes, checked against outputs recorded
// from CPython's json/repr and PyYAML 6 (data/gen_pyjson_cases.py, data/gen_pyyaml_cases.py).
import assert from "node:assert/strict";
import { parsePyJson, PyDict, PyFloat, type PyValue, toPyJson } from "../../src/mlmodel/py_json.ts";
import { formatPyFloat } from "../../src/mlmodel/python_compat.ts";
import { safeDump } from "../../src/mlmodel/py_yaml.ts";

const PYJSON = JSON.parse(
  await Deno.readTextFile(new URL("./data/pyjson_cases.json", import.meta.url)),
);
const PYYAML: { input: string; yaml: string }[] = JSON.parse(
  await Deno.readTextFile(new URL("./data/pyyaml_cases.json", import.meta.url)),
);

function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 8; i++) view.setUint8(i, parseInt(hex.slice(i * 2, i * 2 + 2), 16));
  return view.getFloat64(0);
}

Deno.test("formatPyFloat matches Python's repr for 700+ doubles", () => {
  assert.ok(PYJSON.floats.length > 700);
  for (const c of PYJSON.floats) {
    const x = fromBits(c.bits);
    assert.equal(formatPyFloat(x), c.repr, `bits ${c.bits}`);
    assert.equal(toPyJson(new PyFloat(x)), c.json);
  }
});

Deno.test("toPyJson escapes strings like json.dumps with ensure_ascii", () => {
  for (const c of PYJSON.strings) assert.equal(toPyJson(c.s), c.json);
  // json.dumps("\ud800") == '"\\ud800"' (kept out of the data file, which must stay valid UTF-8)
  assert.equal(toPyJson("\ud800"), '"\\ud800"');
});

Deno.test("parsePyJson then toPyJson is the identity on Python json.dumps output", () => {
  for (const text of PYJSON.nested) assert.equal(toPyJson(parsePyJson(text, "t")), text);
  for (const c of PYJSON.indent) {
    assert.equal(toPyJson(parsePyJson(c.value, "t"), { indent: 2 }), c.json);
  }
});

Deno.test("parsePyJson keeps ints, floats, big ints and NaN apart", () => {
  const v = parsePyJson(
    '[1, 1.0, 1e2, 9007199254740993, NaN, -Infinity, {"b": 1, "a": 2, "b": 3}]',
    "t",
  ) as PyValue[];
  assert.equal(v[0], 1);
  assert.ok(v[1] instanceof PyFloat && v[1].value === 1);
  assert.ok(v[2] instanceof PyFloat && v[2].value === 100);
  assert.equal(v[3], 9007199254740993n);
  assert.ok(v[4] instanceof PyFloat && Number.isNaN(v[4].value));
  assert.ok(v[5] instanceof PyFloat && v[5].value === -Infinity);
  // A repeated key keeps its first position and its last value, as a Python dict does.
  assert.deepStrictEqual((v[6] as PyDict).entries, [["b", 3], ["a", 2]]);
  assert.equal(
    toPyJson(v),
    '[1, 1.0, 100.0, 9007199254740993, NaN, -Infinity, {"b": 3, "a": 2}]',
  );
  for (const bad of ["", "[1,]", "{'a': 1}", "[1] x", '"\u0001"', "nan", "01", '"\\x"']) {
    assert.throws(() => parsePyJson(bad, "t"), /is not valid JSON/);
  }
});

/** PyYAML's input: Python json text, converted to the emitter's input (floats kept as PyFloat). */
function toEmitterInput(v: PyValue): unknown {
  if (v instanceof PyDict) {
    return Object.fromEntries(v.entries.map(([k, x]) => [k, toEmitterInput(x)]));
  }
  if (Array.isArray(v)) return v.map(toEmitterInput);
  return v;
}

Deno.test(`safeDump reproduces PyYAML safe_dump byte for byte (${PYYAML.length} cases)`, () => {
  assert.ok(PYYAML.length > 300);
  const failures: string[] = [];
  for (const c of PYYAML) {
    const got = safeDump(toEmitterInput(parsePyJson(c.input, "case")));
    if (got !== c.yaml) {
      failures.push(`${c.input}\n  want ${JSON.stringify(c.yaml)}\n  got  ${JSON.stringify(got)}`);
    }
  }
  assert.deepStrictEqual(failures, []);
});
