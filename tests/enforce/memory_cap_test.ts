// The wasm core's memory at rest stays under its cap: a request that grows linear memory past
// it leaves a fresh instance behind (wasm memory never shrinks otherwise), and every compiled
// signature keeps working in the fresh instance.
import assert from "node:assert/strict";
import {
  compileSignature,
  coreMemoryBytes,
  DEFAULT_CORE_MEMORY_CAP,
  setCoreMemoryCap,
  validateRequest,
} from "../../src/enforce/mod.ts";

const sig = {
  inputs: JSON.stringify([{ type: "double", name: "a" }, { type: "long", name: "b" }]),
  params: null,
};
const header = Array.from({ length: 700 }, (_, i) => `c${i}`).join(",");
/** 58 KB: a wide header over 14,000 short rows, read as a 702 x 14,000 frame (9.8 M cells). */
const WIDE_CSV = `a,b,${header}\n` + "1,2\n".repeat(14_000);

Deno.test("after a 58 KB CSV that describes 9.8 million cells, the core's memory is back under the cap", async () => {
  assert.equal(DEFAULT_CORE_MEMORY_CAP, 64 * 1024 * 1024);
  const kept = await compileSignature(sig);
  const input = await validateRequest(null, WIDE_CSV, "text/csv");
  assert.equal(input.columns.length, 702);
  assert.equal(input.rows, 14_000);
  assert.ok(coreMemoryBytes() > 0);
  assert.ok(
    coreMemoryBytes() <= DEFAULT_CORE_MEMORY_CAP,
    `${coreMemoryBytes()} bytes at rest`,
  );
  // Signatures compiled before the renewal are compiled again in the fresh instance.
  const again = kept.validate('{"inputs": {"a": [1.5], "b": [2]}}', "application/json");
  assert.deepEqual(Array.from(again.columns[0].values as Float64Array), [1.5]);
  const cached = await validateRequest(sig, "a,b\n0.5,7\n", "text/csv");
  assert.equal(cached.columns[1].values[0], 7n);
  kept.free();
});

Deno.test("a smaller cap renews the core after smaller requests; results stay intact", async () => {
  setCoreMemoryCap(4 * 1024 * 1024);
  try {
    const n = 300_000;
    const body = JSON.stringify({
      inputs: {
        a: Array.from({ length: n }, (_, i) => i + 0.5),
        b: Array.from({ length: n }, (_, i) => i),
      },
    });
    const first = await validateRequest(sig, body);
    assert.ok(coreMemoryBytes() <= 4 * 1024 * 1024, `${coreMemoryBytes()} bytes at rest`);
    const second = await validateRequest(sig, body);
    assert.ok(coreMemoryBytes() <= 4 * 1024 * 1024, `${coreMemoryBytes()} bytes at rest`);
    // Results are copied out of wasm memory, so they survive the instance they came from.
    for (const input of [first, second]) {
      assert.equal(input.columns[0].values.length, n);
      assert.equal(input.columns[0].values[n - 1], n - 0.5);
      assert.equal(input.columns[1].values[n - 1], BigInt(n - 1));
    }
  } finally {
    setCoreMemoryCap(DEFAULT_CORE_MEMORY_CAP);
  }
  assert.throws(() => setCoreMemoryCap(0), RangeError);
});
