// 100k requests of varied sizes, valid and invalid, must leave the wasm core's memory bounded:
// after a warm-up that has seen every size, memory.buffer.byteLength must not grow again.
import assert from "node:assert/strict";
import {
  type CoreExports,
  discardCore,
  instantiateCore,
  parseCheck,
} from "../../src/enforce/_wasm.ts";
import { compileSignature } from "../../src/enforce/mod.ts";
import { rng } from "./_mutate.ts";

const REQUESTS = 100_000;
const LIMITS = { maxDepth: 64, maxElements: 1_000_000, maxStringBytes: 1 << 20 };
const enc = new TextEncoder();

/** A dataframe_split body of `rows` rows (mixed types, escapes in some strings). */
function splitBody(rows: number): string {
  const data = Array.from(
    { length: rows },
    (_, i) => [i, i * 0.5, `name ${i}${i % 7 ? "" : "\\n"}`, i % 2 === 0, null],
  );
  return JSON.stringify({ dataframe_split: { columns: ["a", "b", "c", "d", "e"], data } })
    .replaceAll("\\\\n", "\\n");
}

function csvBody(rows: number): string {
  const lines = ["a,b,c"];
  for (let i = 0; i < rows; i++) lines.push(`${i},${i * 0.25},"x,${i}"`);
  return lines.join("\n") + "\n";
}

/** Bodies of 1 to 2,000 rows, each also in a broken form (truncated, duplicate key, bad CSV). */
function corpus(): { kind: "json" | "csv"; bytes: Uint8Array; ok: boolean }[] {
  const out: { kind: "json" | "csv"; bytes: Uint8Array; ok: boolean }[] = [];
  for (const rows of [1, 3, 10, 50, 200, 1000, 2000]) {
    const json = splitBody(rows);
    out.push({ kind: "json", bytes: enc.encode(json), ok: true });
    out.push({
      kind: "json",
      bytes: enc.encode(json.slice(0, Math.floor(json.length * 0.9))),
      ok: false,
    });
    out.push({ kind: "json", bytes: enc.encode(json.replace('"data"', '"columns"')), ok: false });
    const csv = csvBody(rows);
    out.push({ kind: "csv", bytes: enc.encode(csv), ok: true });
    out.push({ kind: "csv", bytes: enc.encode(csv + "1,2,3,4\n"), ok: false });
  }
  return out;
}

/** An index into `n` items ordered by size: small bodies often, the largest rarely. */
function pick(n: number, next: () => number): number {
  return Math.floor(n * next() ** 2.5);
}

function drive(core: CoreExports, items: ReturnType<typeof corpus>, next: () => number): void {
  const item = items[pick(items.length, next)];
  const r = parseCheck(core, item.kind, item.bytes, LIMITS);
  assert.equal(r.ok, item.ok, r.message);
}

Deno.test(`wasm memory stays bounded across ${REQUESTS} parser requests of varied sizes`, async () => {
  discardCore();
  const core = await instantiateCore();
  const items = corpus();
  const next = rng(42);
  // Warm-up: every body twice in order, then a random stretch.
  for (let pass = 0; pass < 2; pass++) {
    for (const item of items) parseCheck(core, item.kind, item.bytes, LIMITS);
  }
  for (let i = 0; i < 2_000; i++) drive(core, items, next);
  const warm = core.memory.buffer.byteLength;
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    drive(core, items, next);
    if (i % 10_000 === 0) samples.push(core.memory.buffer.byteLength);
  }
  samples.push(core.memory.buffer.byteLength);
  assert.deepEqual(
    samples,
    samples.map(() => warm),
    `memory grew after warm-up: ${warm} -> ${samples}`,
  );
  discardCore();
});

Deno.test({
  name: `wasm memory stays bounded across ${REQUESTS} validate() calls of varied sizes`,
  fn: async () => {
    const schema = {
      inputs: JSON.stringify([
        { type: "long", name: "a" },
        { type: "double", name: "b" },
        { type: "string", name: "c" },
        { type: "boolean", name: "d" },
        { type: "double", name: "e", required: false },
      ]),
      params: null,
    };
    const sig = await compileSignature(schema);
    const core = await instantiateCore(); // the instance compileSignature uses
    const bodies: Uint8Array[] = [];
    for (const rows of [1, 3, 10, 50, 200, 1000]) {
      const good = splitBody(rows).replaceAll("null", "1.5");
      bodies.push(enc.encode(good));
      bodies.push(enc.encode(good.replace("[0,0,", '[0.5,"zero",'))); // enforcement errors
      bodies.push(enc.encode(good.slice(0, good.length - 3))); // truncated
      bodies.push(enc.encode(csvBody(rows))); // wrong columns for this schema
    }
    const next = rng(7);
    const call = (i = pick(bodies.length, next)) => {
      try {
        sig.validate(bodies[i], i % 4 === 3 ? "text/csv" : "application/json");
      } catch (e) {
        assert.ok(e instanceof Error && "status" in e, String(e));
      }
    };
    for (let pass = 0; pass < 3; pass++) bodies.forEach((_, i) => call(i));
    for (let i = 0; i < 2_000; i++) call();
    const warm = core.memory.buffer.byteLength;
    for (let i = 0; i < REQUESTS; i++) call();
    assert.equal(core.memory.buffer.byteLength, warm, "memory grew after warm-up");
    sig.free();
  },
});
