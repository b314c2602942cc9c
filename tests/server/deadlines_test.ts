import assert from "node:assert/strict";
import { DeadlineQueue } from "../../src/server/_deadlines.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const perRequest of [false, true]) {
  const mode = perRequest ? "one timer per request" : "the shared queue";
  Deno.test(`deadlines expire in order and finished requests never expire, with ${mode}`, async () => {
    const queue = new DeadlineQueue(50, perRequest);
    const fired: number[] = [];
    const handles = [0, 1, 2, 3].map((i) => queue.add(() => fired.push(i)));
    assert.equal(handles[1].finish(), true);
    assert.equal(handles[3].finish(), true);
    await sleep(250);
    assert.deepEqual(fired, [0, 2]);
    assert.equal(handles[0].finish(), false);
    // Timers stop once nothing is pending, so the test ends with no timer left running.
    const late = queue.add(() => fired.push(4));
    await sleep(250);
    assert.deepEqual(fired, [0, 2, 4]);
    assert.equal(late.finish(), false);
  });
}
