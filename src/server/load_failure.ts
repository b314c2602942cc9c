/**
 * What unauthenticated routes (`/ping`, `/models`, `/invocations` of a model that failed to load)
 * may say about a failed model load: the error code and, for a refusal of the model's own content
 * (its flavor, its MLmodel, its signature), the reason with every path, URL and host taken out.
 * Failures of the store (a registry host, a bucket, a local directory that is missing, a network
 * error) are described by their code only. The full message goes to the server log.
 *
 * @module
 */
import type { MlflowError } from "../errors.ts";

// Codes under which a load refuses the bundle's content rather than failing to reach it.
const CONTENT_CODES = new Set(["INVALID_PARAMETER_VALUE", "BAD_REQUEST"]);

const HIDDEN = "[…]";

/**
 * `message` without what could name a place: URLs and URIs (`s3://b/k`, `models:/m@a`), quoted
 * strings holding a slash or a colon, words holding a slash or a backslash, `host:port` and IPv4
 * addresses.
 *
 * @example
 * ```ts
 * import { withoutLocations } from "./load_failure.ts";
 * withoutLocations("Cannot serve the model in /srv/models/x/MLmodel: it has flavor \"pytorch\"");
 * // "Cannot serve the model in […] it has flavor \"pytorch\""
 * withoutLocations('GET "https://registry.internal:5000/api" failed'); // "GET […] failed"
 * ```
 */
export function withoutLocations(message: string): string {
  return message
    // Quoted strings first, left to right, so that a quote closes where it should.
    .replace(/"[^"\n]*"|(?<!\w)'[^'\n]*'/g, (q) => /[/\\:]/.test(q) ? HIDDEN : q)
    .replace(/\b[a-z][a-z0-9+.-]*:\/*[^\s"')]+/gi, HIDDEN)
    .replace(/[^\s"'(]*[/\\][^\s"')]*/g, HIDDEN)
    .replace(/\b[\w.-]+:\d{1,5}\b/g, HIDDEN)
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, HIDDEN);
}

/**
 * The public description of a failed load, e.g. `it failed to load (INVALID_PARAMETER_VALUE):
 * Cannot serve the model in […] it has flavor "pytorch", …` or `it failed to load
 * (RESOURCE_DOES_NOT_EXIST); the server log has the cause`.
 *
 * @example
 * ```ts
 * import { MlflowError } from "../errors.ts";
 * import { publicLoadFailure } from "./load_failure.ts";
 * publicLoadFailure(new MlflowError('No MLmodel at "s3://b/iris".', "RESOURCE_DOES_NOT_EXIST"));
 * // "it failed to load (RESOURCE_DOES_NOT_EXIST); the server log has the cause"
 * ```
 */
export function publicLoadFailure(err: MlflowError): string {
  if (!CONTENT_CODES.has(err.errorCode)) {
    return `it failed to load (${err.errorCode}); the server log has the cause`;
  }
  return `it failed to load (${err.errorCode}): ${withoutLocations(err.message)}`;
}

/**
 * A model URI as unauthenticated pages may show it: registry references (`models:/name@alias`,
 * `runs:/id/path`) as they are, anything that names a place (a path, a bucket, a host) as
 * `(not shown)`.
 *
 * @example
 * ```ts
 * import { publicModelUri } from "./load_failure.ts";
 * publicModelUri("models:/iris@champion"); // "models:/iris@champion"
 * publicModelUri("/srv/models/iris"); // "(not shown)"
 * ```
 */
export function publicModelUri(uri: string): string {
  return /^(models|runs):\/(?!\/)[^?#]*$/.test(uri) ? uri : "(not shown)";
}
