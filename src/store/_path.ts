// Keys stay inside the bundle: every key a listing, an MLmodel or a model.onnx names passes here.
import { MlflowError } from "../errors.ts";
import { unsafeBundlePath } from "../mlmodel/bundle_manifest.ts";
import { q } from "./_errors.ts";

/** Throw unless `key` is a plain relative POSIX path inside the bundle root (mlmodel's rule). */
export function assertSafeKey(key: string, bundleUri: string, origin = "Bundle"): string {
  const why = unsafeBundlePath(key);
  if (why) throw unsafeKeyError(key, why, bundleUri, origin);
  return key;
}

/** The store's error for a key that fails the bundle path rule. */
export function unsafeKeyError(key: string, why: string, bundleUri: string, origin: string) {
  return new MlflowError(
    `${origin} of ${q(bundleUri)} names file "${String(key).slice(0, 200)}", which ${why}; ` +
      `files must stay inside the bundle.`,
    "INVALID_PARAMETER_VALUE",
  );
}

/** Join a prefix (maybe empty) and a key with one slash. */
export function joinKey(prefix: string, key: string): string {
  if (!prefix) return key;
  return prefix.endsWith("/") ? prefix + key : `${prefix}/${key}`;
}

/** Trim leading and trailing slashes of a prefix. */
export function trimSlashes(text: string): string {
  return text.replace(/^\/+/, "").replace(/\/+$/, "");
}

/** Percent-encode each segment of a key for use in a URL path. */
export function encodeKey(key: string): string {
  return key.split("/").map((s) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    )
  ).join("/");
}
