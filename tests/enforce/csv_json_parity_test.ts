import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { validateRequest } from "../../src/enforce/mod.ts";

type Outcome = { ok: true; json: string } | {
  ok: false;
  status: number;
  code: string;
  message: string;
};

async function outcome(
  signature: { inputs: string | null },
  body: string,
  type: string,
): Promise<Outcome> {
  try {
    const v = await validateRequest(signature, body, type);
    return { ok: true, json: JSON.stringify(v) };
  } catch (e) {
    assert.ok(e instanceof MlflowError, String(e));
    return { ok: false, status: e.status, code: e.errorCode, message: e.message };
  }
}

function csvOf(columns: string[], rows: (string | number | boolean | null)[][]): string {
  const cell = (v: string | number | boolean | null) =>
    v === null ? "" : typeof v === "boolean" ? (v ? "True" : "False") : String(v);
  return [columns.join(","), ...rows.map((r) => r.map(cell).join(","))].join("\n") + "\n";
}

interface Pair {
  name: string;
  inputs: string | null;
  columns: string[];
  rows: (string | number | boolean | null)[][];
  /** Expected: accepted, or the status both must answer. */
  ok: boolean;
  /** The error codes must agree too (false only where MLflow's own codes differ). */
  sameCode?: boolean;
}

const cols = (...specs: [string, string][]) =>
  JSON.stringify(specs.map(([name, type]) => ({ type, name, required: true })));

const pairs: Pair[] = [
  {
    name: "four double columns (iris)",
    inputs: cols(["sl", "double"], ["sw", "double"], ["pl", "double"], ["pw", "double"]),
    columns: ["sl", "sw", "pl", "pw"],
    rows: [[5.1, 3.5, 1.4, 0.2], [7, 3.2, 4.7, 1.4]],
    ok: true,
  },
  {
    name: "long, double, string and boolean columns",
    inputs: cols(["a", "long"], ["b", "double"], ["c", "string"], ["d", "boolean"]),
    columns: ["a", "b", "c", "d"],
    rows: [[1, 2.5, "x", true], [-3, 4, "y z", false]],
    ok: true,
  },
  {
    name: "a missing double becomes NaN",
    inputs: cols(["a", "double"], ["b", "long"]),
    columns: ["a", "b"],
    rows: [[null, 1], [2.5, 2]],
    ok: true,
  },
  {
    name: "float columns round to float32 alike",
    inputs: cols(["f", "float"]),
    columns: ["f"],
    rows: [[1.1], [0.1], [3]],
    ok: true,
  },
  {
    name: "columns are re-ordered into schema order and extras dropped",
    inputs: cols(["a", "long"], ["b", "string"]),
    columns: ["extra", "b", "a"],
    rows: [[1, "x", 2], [3, "y", 4]],
    ok: true,
  },
  {
    name: "an optional column may be absent",
    inputs: JSON.stringify([{ type: "long", name: "a", required: true }, {
      type: "double",
      name: "b",
      required: false,
    }]),
    columns: ["a"],
    rows: [[1]],
    ok: true,
  },
  {
    name: "datetimes are parsed to the nanosecond",
    inputs: cols(["t", "datetime"]),
    columns: ["t"],
    rows: [["2021-01-02T03:04:05.123456789"], ["2024-02-29 00:00:00"]],
    ok: true,
  },
  {
    name: "an unnamed schema matches by position",
    inputs: JSON.stringify([{ type: "long" }, { type: "double" }]),
    columns: ["x", "y", "z"],
    rows: [[1, 2.5, 9]],
    ok: true,
  },
  {
    name: "without a signature, pandas inference",
    inputs: null,
    columns: ["i", "f", "s", "b"],
    rows: [[1, 1.5, "a", true], [2, 2, "b", false]],
    ok: true,
  },
  {
    name: "a missing required column",
    inputs: cols(["a", "long"], ["b", "long"]),
    columns: ["a"],
    rows: [[1]],
    ok: false,
  },
  {
    name: "text in a double column",
    inputs: cols(["a", "double"]),
    columns: ["a"],
    rows: [["abc"]],
    ok: false,
  },
  {
    name: "text in a long column",
    inputs: cols(["a", "long"]),
    columns: ["a"],
    rows: [["abc"]],
    ok: false,
  },
  {
    name: "an integer beyond int32 in an integer column",
    inputs: cols(["a", "integer"]),
    columns: ["a"],
    rows: [[3000000000]],
    ok: false,
  },
  {
    name: "a fraction in a long column (MLflow: CSV fails at read_csv, JSON truncates)",
    inputs: cols(["a", "long"]),
    columns: ["a"],
    rows: [[1.5]],
    ok: false,
    sameCode: false,
  },
  {
    // Two columns: a CSV line holding only an empty cell is a blank line, which pandas skips.
    name: "a missing value in a long column",
    inputs: cols(["a", "long"], ["b", "long"]),
    columns: ["a", "b"],
    rows: [[null, 1]],
    ok: false,
  },
];

for (const p of pairs) {
  Deno.test(`JSON and CSV agree: ${p.name}`, async () => {
    const signature = { inputs: p.inputs, params: null };
    const json = await outcome(
      signature,
      JSON.stringify({ dataframe_split: { columns: p.columns, data: p.rows } }),
      "application/json",
    );
    const csv = await outcome(signature, csvOf(p.columns, p.rows), "text/csv");
    assert.equal(json.ok, p.ok, JSON.stringify(json));
    assert.equal(csv.ok, p.ok, JSON.stringify(csv));
    if (json.ok && csv.ok) {
      assert.equal(csv.json, json.json);
    } else if (!json.ok && !csv.ok) {
      assert.equal(csv.status, json.status);
      if (p.sameCode !== false) {
        assert.equal(csv.code, json.code, `${csv.message} / ${json.message}`);
      }
    }
  });
}
