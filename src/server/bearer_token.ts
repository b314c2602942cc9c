/**
 * Start-up check of a bearer token from the configuration. An `Authorization: Bearer` value is an
 * RFC 6750 `b64token` (letters, digits and `-._~+/`, then optional `=` padding), and Hono's
 * `bearerAuth` refuses any header outside that alphabet before comparing; a configured token
 * with a space, `!` or `$` could therefore never authenticate. Refusing it at start-up says so
 * at once instead of answering every caller 400.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";

const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

/**
 * Throws `MlflowError` (`INVALID_PARAMETER_VALUE`) when `token` can never match an
 * `Authorization: Bearer` header; the message names the setting, never the token.
 *
 * @param token The configured token.
 * @param setting Where it came from, for the message (e.g. `MLFLOW_EDGE_ADMIN_TOKEN`).
 *
 * @example
 * ```ts
 * import { assertUsableBearerToken } from "./bearer_token.ts";
 * assertUsableBearerToken("c2VjcmV0LXRva2Vu", "MLFLOW_EDGE_ADMIN_TOKEN"); // passes
 * try {
 *   assertUsableBearerToken("pass word!", "MLFLOW_EDGE_ADMIN_TOKEN");
 * } catch (err) {
 *   console.log((err as Error).message); // "MLFLOW_EDGE_ADMIN_TOKEN can never authenticate: …"
 * }
 * ```
 */
export function assertUsableBearerToken(token: string, setting: string): void {
  if (B64TOKEN.test(token)) return;
  throw new MlflowError(
    `${setting} can never authenticate: a bearer token may hold only letters, digits and ` +
      `"-._~+/" (then "=" padding), as RFC 6750 allows in an Authorization header, and this ` +
      `one has ${token === "" ? "no characters" : "others (a space, !, $, …)"}. Generate one ` +
      `with e.g. \`openssl rand -base64 32\`.`,
    "INVALID_PARAMETER_VALUE",
  );
}
