// Model URIs in messages and listings, without credentials: userinfo and query strings
// (presigned tokens) are dropped.

/** `uri` without `user:password@` and without a query string. */
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
    // Not a URL: a local path.
  }
  return uri;
}
