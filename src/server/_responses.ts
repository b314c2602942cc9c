// Error and plain responses in MLflow's JSON shape.
import { HTTPException } from "hono/http-exception";
import { MlflowError } from "../errors.ts";
import { toPyJson } from "../mlmodel/py_json.ts";

export const JSON_HEADERS = { "Content-Type": "application/json" } as const;

/** MLflow's message for a request that ran out of time (its 504 body, here inside JSON). */
export const DEADLINE_MESSAGE = "Request processing time exceeded limit";

/**
 * The JSON body for an error (the message bounded by `MlflowError.toJSON`), with the request's
 * id beside MLflow's two fields when known.
 */
export function errorBody(err: MlflowError, requestId?: string): string {
  const body = err.toJSON();
  return toPyJson(requestId === undefined ? body : { ...body, request_id: requestId });
}

/**
 * Any thrown value as an MlflowError; what is not one is logged and becomes a generic 500 (no
 * stack trace reaches the client). Shared by every protocol's error rendering.
 */
export function toMlflowError(
  err: unknown,
  log: (message: string) => void,
  requestId?: string,
): MlflowError {
  if (err instanceof MlflowError) return err;
  if (err instanceof HTTPException && err.status === 413) {
    return new MlflowError("The request body is too large.", "BAD_REQUEST", 413);
  }
  if (err instanceof HTTPException && err.status < 500) {
    return new MlflowError(err.message || "Bad request.", "BAD_REQUEST", err.status);
  }
  log(
    `Internal error while handling a request${requestId ? ` (request id ${requestId})` : ""}: ${
      err instanceof Error ? err.stack : err
    }`,
  );
  return new MlflowError(
    "An internal error occurred while handling the request.",
    "INTERNAL_ERROR",
  );
}

/**
 * An error as MLflow's `{"error_code", "message"}` response. Anything that is not an
 * `MlflowError` is logged and answered as a generic 500 (no stack trace reaches the client).
 */
export function errorResponse(
  err: unknown,
  log: (message: string) => void,
  requestId?: string,
): Response {
  if (err instanceof HTTPException && err.res) return err.getResponse();
  const e = toMlflowError(err, log, requestId);
  return new Response(errorBody(e, requestId), { status: e.status, headers: errorHeaders(e) });
}

/** JSON headers, plus Retry-After for a refusal that says when to come back (in-flight bound). */
export function errorHeaders(e: MlflowError): Record<string, string> {
  const retryAfter = (e as { retryAfterSeconds?: number }).retryAfterSeconds;
  return retryAfter === undefined
    ? JSON_HEADERS
    : { ...JSON_HEADERS, "Retry-After": String(retryAfter) };
}
