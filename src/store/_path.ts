// Keys stay inside the bundle: every key a listing, an MLmodel or a model.onnx names passes here.
import { MlflowError } from "../errors.ts";
import { q } from "./_errors.ts";

/** Throw unless `key` is a plain relative POSIX path inside the bundle root. */
export function assertSafeKey(key: string, bundleUri: string, origin = "Bundle"): string {
  const bad = (why: string) =>
    new MlflowError(
      `${origin} of ${q(bundleUri)} names file "${key.slice(0, 200)}", which ${why}; ` +
        `files must stay inside the bundle.`,
      "INVALID_PARAMETER_VALUE",
    );
  if (typeof key !== "string" || key.length === 0) throw bad("is empty");
  if (key.length > 1024) throw bad("is longer than 1024 characters");
  if (key.includes("\\")) throw bad("contains a backslash");
  if (key.includes("\0")) throw bad("contains a NUL character");
  if (key.startsWith("/")) throw bad("is an absolute path");
  if (/^[a-zA-Z]:/.test(key)) throw bad("starts with a drive letter");
  for (const part of key.split("/")) {
    if (part === "..") throw bad('contains a ".." segment');
    if (part === "." || part === "") throw bad("is not a normalised path");
  }
  return key;
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
