/**
 * Request ids: every answer carries `X-Request-Id`. A client's own id is echoed when it is sane
 * (1–128 characters of letters, digits and `-_.:+=/@`), so it can be logged and put in error
 * bodies as it is; anything else is replaced by a fresh UUID.
 *
 * Hono's `requestId` middleware does the same as a middleware layer; here it is one function
 * called by the request wrapper (`observe.ts`), which already runs for every request.
 *
 * @example
 * ```ts
 * import { requestIdFor } from "./request_id.ts";
 * requestIdFor(new Headers({ "X-Request-Id": "abc-123" })); // "abc-123"
 * requestIdFor(new Headers({ "X-Request-Id": "<script>" })).length; // 36 (a fresh UUID)
 * ```
 *
 * @module
 */

/**
 * The header name.
 *
 * @example
 * ```ts
 * import { REQUEST_ID_HEADER } from "./request_id.ts";
 * new Headers({ [REQUEST_ID_HEADER]: "abc" });
 * ```
 */
export const REQUEST_ID_HEADER = "X-Request-Id";

const SANE = /^[A-Za-z0-9\-_.:+=/@]{1,128}$/;

/**
 * Whether an incoming id may be echoed: bounded length, a charset safe in logs, JSON and headers.
 *
 * @example
 * ```ts
 * import { isSaneRequestId } from "./request_id.ts";
 * isSaneRequestId("7f0c2a1e-trace:42"); // true
 * isSaneRequestId("a\"b"); // false
 * ```
 */
export function isSaneRequestId(id: string): boolean {
  return SANE.test(id);
}

/**
 * The request's id: its sane `X-Request-Id`, else a new UUID.
 *
 * @example
 * ```ts
 * import { requestIdFor } from "./request_id.ts";
 * const id = requestIdFor(new Headers());
 * id.length; // 36
 * ```
 */
export function requestIdFor(headers: Headers): string {
  const given = headers.get(REQUEST_ID_HEADER);
  return given !== null && SANE.test(given) ? given : crypto.randomUUID();
}
