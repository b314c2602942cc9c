import assert from "node:assert/strict";
import { DeadlineQueue } from "../../src/server/_deadlines.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("deadlines expire in order and finished requests never expire", async () => {
  const queue = new DeadlineQueue(50);
  const fired: number[] = [];
  const entries = [0, 1, 2, 3].map((i) => queue.add(() => fired.push(i)));
  entries[1].done = true;
  entries[3].done = true;
  await sleep(250);
  assert.deepEqual(fired, [0, 2]);
  // The queue's timer stops once it is empty, so the test ends with no timer left running.
  const late = queue.add(() => fired.push(4));
  await sleep(250);
  assert.deepEqual(fired, [0, 2, 4]);
  assert.equal(late.done, true);
});
