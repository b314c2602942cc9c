/**
 * URIs as they may appear in messages, logs and listings: without credentials.
 *
 * @module
 */

/**
 * `uri` without `user:password@` and without a query string (presigned URLs carry their tokens
 * there). Text that is not a URL (a local path, an object key) comes back unchanged.
 *
 * @example
 * ```ts
 * import { redactUri } from "./redact.ts";
 * redactUri("https://alice:s3cret@host/model?X-Amz-Signature=abc"); // "https://host/model"
 * redactUri("examples/iris"); // "examples/iris"
 * ```
 */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.username || url.password || url.search) {
      url.username = "";
      url.password = "";
      url.search = "";
      return url.href;
    }
  } catch {
    // Not a URL: a local path or an object key.
  }
  return uri;
}
