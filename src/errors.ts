/**
 * The one error type of mlflow-edge: MLflow's `{error_code, message}` with an HTTP status.
 *
 * Every failure that can reach a client, from a malformed MLmodel to a request the signature
 * refuses, is an {@linkcode MlflowError}. Its `errorCode` strings and the statuses they map to
 * are MLflow's own (`mlflow/protos/databricks.proto` via `mlflow/exceptions.py`).
 *
 * @module
 */

/** The error codes MLflow's scoring server and tracking server answer with. */
export type ErrorCode =
  | "BAD_REQUEST"
  | "INVALID_PARAMETER_VALUE"
  | "RESOURCE_ALREADY_EXISTS"
  | "CUSTOMER_UNAUTHORIZED"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "ENDPOINT_NOT_FOUND"
  | "NOT_FOUND"
  | "RESOURCE_DOES_NOT_EXIST"
  | "ABORTED"
  | "ALREADY_EXISTS"
  | "RESOURCE_CONFLICT"
  | "REQUEST_LIMIT_EXCEEDED"
  | "RESOURCE_EXHAUSTED"
  | "CANCELLED"
  | "INTERNAL_ERROR"
  | "INVALID_STATE"
  | "DATA_LOSS"
  | "NOT_IMPLEMENTED"
  | "TEMPORARILY_UNAVAILABLE"
  | "DEADLINE_EXCEEDED";

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  CUSTOMER_UNAUTHORIZED: 401,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  ENDPOINT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_CONFLICT: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/**
 * The HTTP status MLflow answers for an error code (500 for a code it does not know).
 *
 * @example
 * ```ts
 * import { statusForErrorCode } from "./errors.ts";
 * statusForErrorCode("INVALID_PARAMETER_VALUE"); // 400
 * ```
 */
export function statusForErrorCode(code: string): number {
  return STATUS_BY_CODE[code as ErrorCode] ?? 500;
}

/**
 * Longest error message sent to a client, in UTF-16 code units. Messages echo parts of the
 * request (column names, values); a longer one keeps its start and says how much was cut, so a
 * 10 MB column name cannot come back as a 10 MB error body.
 *
 * @example
 * ```ts
 * import { MAX_MESSAGE_LENGTH, MlflowError } from "./errors.ts";
 * const err = new MlflowError(`Bad column "${"x".repeat(20_000)}"`, "BAD_REQUEST");
 * err.toJSON().message.length <= MAX_MESSAGE_LENGTH + 60; // true
 * ```
 */
export const MAX_MESSAGE_LENGTH = 8192;

/**
 * `message` cut to {@linkcode MAX_MESSAGE_LENGTH} with a note of how many characters were left
 * out (never splitting a surrogate pair).
 *
 * @example
 * ```ts
 * import { boundedMessage } from "./errors.ts";
 * boundedMessage("short"); // "short"
 * boundedMessage("y".repeat(10_000)).endsWith("… (1808 more characters)"); // true
 * ```
 */
export function boundedMessage(message: string, max = MAX_MESSAGE_LENGTH): string {
  if (message.length <= max) return message;
  let end = max;
  const last = message.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${message.slice(0, end)}… (${message.length - end} more characters)`;
}

/** The JSON body MLflow sends for an error. */
export interface MlflowErrorBody {
  /** MLflow's error code, e.g. `BAD_REQUEST`. */
  error_code: string;
  /** What went wrong, for the client. */
  message: string;
}

/**
 * An error with MLflow's error code, an HTTP status and a message meant for the client.
 *
 * The status defaults to the one MLflow maps the code to; pass one explicitly for the few
 * answers MLflow gives outside that table (413 body too large, 415 content type, 504 timeout).
 *
 * @example
 * ```ts
 * import { MlflowError } from "./errors.ts";
 * const err = new MlflowError("Model is missing inputs ['b'].", "INVALID_PARAMETER_VALUE");
 * err.status; // 400
 * JSON.stringify(err.toJSON()); // {"error_code":"INVALID_PARAMETER_VALUE","message":"Model is missing inputs ['b']."}
 * ```
 */
export class MlflowError extends Error {
  /** MLflow's error code string, e.g. `BAD_REQUEST`. */
  readonly errorCode: string;
  /** The HTTP status to answer with. */
  readonly status: number;

  /**
   * Creates an error for the client.
   *
   * @param message What went wrong, for the client.
   * @param errorCode MLflow's error code (default `INTERNAL_ERROR`).
   * @param status The HTTP status; by default the one MLflow maps the code to.
   * @param options The standard `ErrorOptions` (e.g. a `cause`).
   */
  constructor(
    message: string,
    errorCode: ErrorCode | string = "INTERNAL_ERROR",
    status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "MlflowError";
    this.errorCode = errorCode;
    this.status = status ?? statusForErrorCode(errorCode);
  }

  /**
   * MLflow's error body, `{"error_code", "message"}`: what every server route sends, with the
   * message bounded by {@linkcode boundedMessage}.
   */
  toJSON(): MlflowErrorBody {
    return { error_code: this.errorCode, message: boundedMessage(this.message) };
  }
}
