// Error and plain responses in MLflow's JSON shape.
import { HTTPException } from "hono/http-exception";
import { MlflowError } from "../errors.ts";
import { toPyJson } from "./serialize.ts";

export const JSON_HEADERS = { "Content-Type": "application/json" } as const;

/** MLflow's message for a request that ran out of time (its 504 body, here inside JSON). */
export const DEADLINE_MESSAGE = "Request processing time exceeded limit";

/** The JSON body for an error (the message bounded by `MlflowError.toJSON`). */
export function errorBody(err: MlflowError): string {
  return toPyJson(err.toJSON());
}

/**
 * An error as MLflow's `{"error_code", "message"}` response. Anything that is not an
 * `MlflowError` is logged and answered as a generic 500 (no stack trace reaches the client).
 */
export function errorResponse(err: unknown, log: (message: string) => void): Response {
  let e: MlflowError;
  if (err instanceof MlflowError) e = err;
  else if (err instanceof HTTPException && err.res) return err.getResponse();
  else if (err instanceof HTTPException && err.status === 413) {
    e = new MlflowError("The request body is too large.", "BAD_REQUEST", 413);
  } else if (err instanceof HTTPException && err.status < 500) {
    e = new MlflowError(err.message || "Bad request.", "BAD_REQUEST", err.status);
  } else {
    log(`Internal error while handling a request: ${err instanceof Error ? err.stack : err}`);
    e = new MlflowError("An internal error occurred while handling the request.", "INTERNAL_ERROR");
  }
  // A refusal that says when to come back (the in-flight bound) carries Retry-After.
  const retryAfter = (e as { retryAfterSeconds?: number }).retryAfterSeconds;
  const headers = retryAfter === undefined
    ? JSON_HEADERS
    : { ...JSON_HEADERS, "Retry-After": String(retryAfter) };
  return new Response(errorBody(e), { status: e.status, headers });
}
