import assert from "node:assert/strict";
import {
  boundedMessage,
  MAX_MESSAGE_LENGTH,
  MlflowError,
  statusForErrorCode,
} from "../src/errors.ts";

Deno.test("MlflowError maps MLflow's error codes to their HTTP statuses", () => {
  assert.equal(new MlflowError("x", "BAD_REQUEST").status, 400);
  assert.equal(new MlflowError("x", "INVALID_PARAMETER_VALUE").status, 400);
  assert.equal(new MlflowError("x", "RESOURCE_DOES_NOT_EXIST").status, 404);
  assert.equal(new MlflowError("x", "DEADLINE_EXCEEDED").status, 504);
  assert.equal(new MlflowError("x").status, 500);
  assert.equal(statusForErrorCode("SOMETHING_NEW"), 500);
});

Deno.test("MlflowError keeps an explicit status for answers outside MLflow's table", () => {
  const err = new MlflowError("Payload too large", "BAD_REQUEST", 413);
  assert.equal(err.status, 413);
  assert.equal(err.errorCode, "BAD_REQUEST");
});

Deno.test("MlflowError serialises to MLflow's error body", () => {
  const err = new MlflowError("Model is missing inputs ['b'].", "INVALID_PARAMETER_VALUE");
  assert.deepEqual(JSON.parse(JSON.stringify(err)), {
    error_code: "INVALID_PARAMETER_VALUE",
    message: "Model is missing inputs ['b'].",
  });
  assert.ok(err instanceof Error);
});

Deno.test("an error's JSON body bounds its message, keeping the start and never splitting a pair", () => {
  const long = new MlflowError(`Bad column "${"x".repeat(20_000)}"`, "BAD_REQUEST");
  const { message } = long.toJSON();
  assert.ok(message.startsWith('Bad column "xxx'));
  assert.ok(
    message.endsWith(`… (${20_013 - MAX_MESSAGE_LENGTH} more characters)`),
    message.slice(-40),
  );
  assert.equal(long.message.length, 20_013); // the error itself keeps everything (for logs)
  const emoji = "😀".repeat(MAX_MESSAGE_LENGTH); // surrogate pairs across the cut
  const cut = boundedMessage(emoji);
  assert.ok(!/[\ud800-\udbff]…/.test(cut), "a lone high surrogate before the cut");
  assert.equal(boundedMessage("short"), "short");
});
