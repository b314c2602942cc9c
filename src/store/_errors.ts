// Error helpers shared by the stores: one MlflowError per failure, marked retryable or not,
// with URIs shown without credentials.
import { MlflowError, statusForErrorCode } from "../errors.ts";
import { redactUri } from "./redact.ts";

const RETRYABLE = new WeakSet<Error>();

/** An MlflowError that the download pipeline may retry (5xx, network error, cut-off body). */
export function retryableError(message: string, code: string, cause?: unknown): MlflowError {
  const err = new MlflowError(message, code, undefined, cause ? { cause } : undefined);
  RETRYABLE.add(err);
  return err;
}

export function isRetryable(err: unknown): boolean {
  return err instanceof Error && RETRYABLE.has(err);
}

/** Quote a URI or key for a message, without userinfo or query string (presigned tokens). */
export function q(text: string): string {
  return `"${redactUri(text)}"`;
}

/** The MlflowError for an HTTP answer that is not a success. */
export function httpStatusError(
  status: number,
  what: string,
  detail?: string,
  serverCode?: string,
): MlflowError {
  const suffix = detail ? `: ${detail}` : "";
  if (status === 404) {
    return new MlflowError(
      `${what} does not exist (HTTP 404)${suffix}.`,
      "RESOURCE_DOES_NOT_EXIST",
    );
  }
  if (status === 401) {
    return new MlflowError(`${what} needs credentials (HTTP 401)${suffix}.`, "UNAUTHENTICATED");
  }
  if (status === 403) {
    return new MlflowError(
      `Access to ${what} was denied (HTTP 403)${suffix}.`,
      "PERMISSION_DENIED",
    );
  }
  if (status === 429) {
    return retryableError(
      `${what} was refused as too many requests (HTTP 429)${suffix}.`,
      "REQUEST_LIMIT_EXCEEDED",
    );
  }
  if (status >= 500) {
    return retryableError(
      `${what} failed with HTTP ${status}${suffix}.`,
      "TEMPORARILY_UNAVAILABLE",
    );
  }
  // A tracking server's own 4xx code (RESOURCE_ALREADY_EXISTS, INVALID_PARAMETER_VALUE) says more.
  const code = serverCode && statusForErrorCode(serverCode) === status ? serverCode : "BAD_REQUEST";
  return new MlflowError(`${what} failed with HTTP ${status}${suffix}.`, code);
}

/** Replace every known secret in an error's message (defence in depth; messages never take them). */
export function scrubSecrets(err: unknown, secrets: (string | undefined)[]): unknown {
  const list = secrets.filter((s): s is string => typeof s === "string" && s.length >= 4);
  if (!(err instanceof MlflowError) || list.length === 0) return err;
  let message = err.message;
  for (const s of list) message = message.split(s).join("***");
  if (message === err.message) return err;
  return new MlflowError(message, err.errorCode, err.status);
}

/**
 * What a failed download or upload throws: its own `MlflowError`, or `failed: <cause>` for
 * anything else, either way scrubbed of `secrets`.
 *
 * @example
 * ```ts
 * import { failure } from "./_errors.ts";
 * failure(new TypeError("network down"), "Fetching \"s3://b/m\" failed", []); // MlflowError
 * ```
 */
export function failure(err: unknown, failed: string, secrets: (string | undefined)[]): unknown {
  if (err instanceof MlflowError) return scrubSecrets(err, secrets);
  return scrubSecrets(
    new MlflowError(`${failed}: ${describeCause(err)}.`, "INTERNAL_ERROR"),
    secrets,
  );
}

/** Describe a thrown value without leaking a stack or a raw TypeError to a client. */
export function describeCause(err: unknown): string {
  if (err instanceof Error) return redactMessage(err.message);
  return redactMessage(String(err));
}

function redactMessage(text: string): string {
  // Network errors may quote the URL; drop userinfo and query strings from anything URL-like.
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (m) => redactUri(m)).slice(0, 300);
}
