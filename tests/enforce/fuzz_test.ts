// Seeded random mutations of the fixture bodies, fed to the wasm core: nothing may trap, throw
// anything but MlflowError (4xx), or disagree with JSON.parse beyond the documented strictness.
// A longer run of the same generator is in tests/bench/enforce_bench.ts.
import assert from "node:assert/strict";
import { instantiateCore, parseCheck } from "../../src/enforce/_wasm.ts";
import { type SignatureLike, validateRequest } from "../../src/enforce/mod.ts";
import { MlflowError } from "../../src/errors.ts";
import { mutate, rng } from "./_mutate.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);
const LIMITS = { maxDepth: 64, maxElements: 200_000, maxStringBytes: 1 << 20 };
const ITERATIONS = 20_000;

/** A fixture body with the content type and schema it was recorded with. */
interface Seed {
  body: string;
  contentType: string;
  schema: SignatureLike;
}

async function loadSeeds(): Promise<Seed[]> {
  const seeds: Seed[] = [];
  const cases = await Deno.readTextFile(new URL("enforcement-cases.jsonl", FIXTURES));
  for (const line of cases.split("\n").filter((l) => l.trim())) {
    const c = JSON.parse(line);
    seeds.push({ body: c.body, contentType: c.content_type, schema: c.schema });
  }
  for (const bundle of ["iris_mlp_onnx", "mnist_cnn_onnx"]) {
    const dir = new URL(`mlflow-bundles/${bundle}/`, FIXTURES);
    const mlmodel = JSON.parse(await Deno.readTextFile(new URL("mlmodel.dict.json", dir)));
    const schema = mlmodel.signature ?? { inputs: null, params: null };
    const golden = JSON.parse(await Deno.readTextFile(new URL("golden.json", dir)));
    for (const c of golden.cases) {
      const body = typeof c.request === "string" ? c.request : JSON.stringify(c.request);
      seeds.push({ body, contentType: c.content_type, schema });
    }
    const example = await Deno.readTextFile(new URL("serving_input_example.json", dir));
    seeds.push({ body: example, contentType: "application/json", schema });
  }
  return seeds;
}

const enc = new TextEncoder();

const seeds = await loadSeeds();
const core = await instantiateCore();
const strictOnly =
  /^(Duplicate object key|Lone surrogate escape|JSON is nested deeper|JSON has more than|JSON string longer)/;
const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function countValues(v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce((n: number, x) => n + countValues(x), 0);
  if (v !== null && typeof v === "object") {
    return 1 + Object.values(v).reduce((n: number, x) => n + countValues(x), 0);
  }
  return 1;
}

Deno.test(`the JSON parser survives ${ITERATIONS} mutated fixture bodies and agrees with JSON.parse`, () => {
  const next = rng(20260101);
  let accepted = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = seeds[Math.floor(next() * seeds.length)];
    const bytes = mutate(enc.encode(seed.body), next);
    const ours = parseCheck(core, "json", bytes, LIMITS); // a trap would throw here
    let text: string | undefined;
    try {
      text = fatal.decode(bytes);
    } catch {
      assert.ok(!ours.ok, `accepted invalid UTF-8 (iteration ${i})`);
      continue;
    }
    let theirs: unknown;
    let theirsOk = false;
    try {
      theirs = JSON.parse(text);
      theirsOk = true;
    } catch {
      // JSON.parse refuses NaN/Infinity, which Python's json writes and we accept.
    }
    if (ours.ok) {
      accepted++;
      if (!/NaN|Infinity/.test(text)) {
        assert.ok(
          theirsOk,
          `accepted what JSON.parse refuses: ${JSON.stringify(text.slice(0, 200))}`,
        );
        // Duplicate keys are refused, so JSON.parse's object sizes are the document's.
        assert.equal(
          ours.count,
          countValues(theirs),
          `value count of ${JSON.stringify(text.slice(0, 200))}`,
        );
      }
    } else {
      assert.ok(ours.offset <= bytes.length, `offset ${ours.offset} past the end`);
      assert.ok(ours.message.length > 0);
      if (theirsOk) {
        assert.match(ours.message, strictOnly, `refused what JSON.parse accepts: ${ours.message}`);
      }
    }
  }
  // The generator must keep producing both outcomes, or the test proves little.
  assert.ok(accepted > ITERATIONS / 20, `only ${accepted} mutated bodies parsed`);
  assert.ok(accepted < ITERATIONS * 0.9, `${accepted} of ${ITERATIONS} mutated bodies parsed`);
});

Deno.test(`the CSV tokenizer survives ${ITERATIONS} mutated CSV bodies`, () => {
  const next = rng(4180);
  const csvSeeds = [
    ...seeds.filter((s) => s.contentType.startsWith("text/csv")).map((s) => s.body),
    'a,b,c\n1,2.5,x\n"q,""r",,\n3,NaN,"multi\nline"\n',
    "\ufeffcol1,col2\r\n\r\n1,2\r\n",
  ];
  let accepted = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const bytes = mutate(enc.encode(csvSeeds[Math.floor(next() * csvSeeds.length)]), next);
    const r = parseCheck(core, "csv", bytes, LIMITS);
    if (r.ok) {
      accepted++;
      assert.ok(r.detail >= 1, "a parsed CSV has at least one column");
    } else {
      assert.ok(r.offset <= bytes.length);
      assert.match(r.message, /^(Error tokenizing data|No columns to parse|Invalid UTF-8|CSV )/);
    }
  }
  assert.ok(accepted > ITERATIONS / 10, `only ${accepted} mutated bodies parsed`);
});

Deno.test("the JSON parser refuses pathological bodies quickly and without trapping", () => {
  const cases: [string, RegExp][] = [
    ["[".repeat(100_000), /nested deeper than 64/],
    ['{"a":'.repeat(50_000), /nested deeper than 64/],
    [`[${"0,".repeat(300_000)}0]`, /more than 200000 elements/],
    [`"${"x".repeat((1 << 20) + 1)}"`, /longer than 1048576 bytes/],
    [
      `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":0`).join(",")},"k49999":1}`,
      /Duplicate object key "k49999"/,
    ],
  ];
  for (const [body, message] of cases) {
    const r = parseCheck(core, "json", enc.encode(body), LIMITS);
    assert.equal(r.ok, false);
    assert.match(r.message, message);
  }
});

const VALIDATE_ITERATIONS = 20_000;

Deno.test({
  name:
    `validateRequest answers ${VALIDATE_ITERATIONS} mutated requests with a result or a 4xx MlflowError`,
  fn: async () => {
    const next = rng(8259);
    let accepted = 0;
    for (let i = 0; i < VALIDATE_ITERATIONS; i++) {
      const seed = seeds[Math.floor(next() * seeds.length)];
      const bytes = mutate(enc.encode(seed.body), next);
      try {
        await validateRequest(seed.schema, bytes, seed.contentType);
        accepted++;
      } catch (e) {
        assert.ok(e instanceof MlflowError, `not an MlflowError: ${e}`);
        assert.ok(e.status >= 400 && e.status < 500, `status ${e.status}: ${e.message}`);
        assert.ok(!/TypeError|RuntimeError|unreachable/.test(e.message), e.message);
      }
    }
    assert.ok(accepted < VALIDATE_ITERATIONS, "every mutated request was accepted");
  },
});
