/**
 * API keys for the prediction routes: with keys configured (`apiKeys` option,
 * `MLFLOW_EDGE_API_KEYS="key1,key2"` — several keys for rotation), a request needs
 * `Authorization: Bearer <key>` or `X-API-Key: <key>` with one of them, else it gets 401 in
 * MLflow's error shape `{"error_code": "UNAUTHENTICATED", "message": …}`. Keys are compared in
 * constant time (every key is compared, in time that depends on the key's length only).
 *
 * Open without a key: the health routes (`/ping`, `/health`, `/models/{name}/ping|health`,
 * `/v2/health/…`), `/metrics` (its own switch: open, off, or behind the admin token) and
 * `/models/{name}/reload` (the admin token). The admin token is separate from the API keys: an API
 * key never reloads a model, the admin token never predicts.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { apiKeyAuth } from "./auth.ts";
 * const app = new Hono();
 * app.use("*", apiKeyAuth({ keys: ["k1", "k2"] }));
 * app.post("/invocations", (c) => c.text("ok"));
 * (await app.request("/invocations", { method: "POST" })).status; // 401
 * ```
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { MlflowError } from "../errors.ts";

/**
 * Options of {@linkcode apiKeyAuth}.
 *
 * @example
 * ```ts
 * import type { ApiKeyAuthOptions } from "./auth.ts";
 * const options: ApiKeyAuthOptions = { keys: ["current", "previous"] };
 * ```
 */
export interface ApiKeyAuthOptions {
  /** The accepted keys (at least one). */
  keys: readonly string[];
  /** Whether a path needs no key (default {@linkcode isOpenPath}). */
  isOpen?: (path: string) => boolean;
  /**
   * Builds the refusal from MLflow's error code and message (the app adds its request id);
   * default a plain 401 JSON body.
   */
  refuse?: (err: { errorCode: string; message: string }, request: Request) => Response;
}

/**
 * Whether a path stays open when API keys are set: health, `/metrics`, and the admin reload.
 *
 * @example
 * ```ts
 * import { isOpenPath } from "./auth.ts";
 * isOpenPath("/ping"); // true
 * isOpenPath("/v2/health/ready"); // true
 * isOpenPath("/invocations"); // false
 * ```
 */
export function isOpenPath(path: string): boolean {
  if (path === "/ping" || path === "/health" || path === "/metrics") return true;
  if (path.startsWith("/v2/health/")) return true;
  if (path.startsWith("/models/")) {
    const rest = path.slice(8);
    const slash = rest.indexOf("/");
    const tail = slash < 0 ? "" : rest.slice(slash);
    return tail === "/ping" || tail === "/health" || tail === "/reload";
  }
  return false;
}

/**
 * Compares a presented credential with every key in time that depends only on the keys' lengths.
 *
 * @example
 * ```ts
 * import { matchesAnyKey } from "./auth.ts";
 * matchesAnyKey("k2", ["k1", "k2"]); // true
 * matchesAnyKey("k3", ["k1", "k2"]); // false
 * ```
 */
export function matchesAnyKey(presented: string, keys: readonly string[]): boolean {
  let found = 0;
  for (const key of keys) {
    let diff = presented.length ^ key.length;
    for (let i = 0; i < key.length; i++) {
      // Past the end of `presented`, charCodeAt gives NaN, which `| 0` turns into 0.
      diff |= (presented.charCodeAt(i) | 0) ^ key.charCodeAt(i);
    }
    found |= diff === 0 ? 1 : 0;
  }
  return found === 1;
}

/** The credential of a request: a bearer token or an `X-API-Key`, or undefined. */
function credentialOf(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  if (auth !== null) {
    const m = /^bearer +(\S+) *$/i.exec(auth);
    if (m) return m[1];
  }
  return headers.get("x-api-key") ?? undefined;
}

/**
 * Whether a request presents one of `keys` (a bearer token or an `X-API-Key`); `keys` as
 * {@linkcode usableKeys} returns them.
 *
 * @example
 * ```ts
 * import { presentsKey } from "./auth.ts";
 * presentsKey(new Headers({ "X-API-Key": "s3cret" }), ["s3cret"]); // true
 * presentsKey(new Headers({ Authorization: "Bearer nope" }), ["s3cret"]); // false
 * ```
 */
export function presentsKey(headers: Headers, keys: readonly string[]): boolean {
  const presented = credentialOf(headers);
  return presented !== undefined && matchesAnyKey(presented, keys);
}

/**
 * The keys that can be presented (empty ones never can); throws when none is left.
 *
 * @example
 * ```ts
 * import { usableKeys } from "./auth.ts";
 * usableKeys(["", "s3cret"]); // ["s3cret"]
 * ```
 */
export function usableKeys(keys: readonly string[]): string[] {
  const usable = keys.filter((k) => k !== "");
  if (usable.length === 0) {
    throw new MlflowError(
      "API key authentication needs at least one key.",
      "INVALID_PARAMETER_VALUE",
    );
  }
  return usable;
}

/**
 * Requires one of `keys` on every path that is not open.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { apiKeyAuth } from "./auth.ts";
 * const app = new Hono().use("*", apiKeyAuth({ keys: ["s3cret"] }));
 * app.post("/invocations", (c) => c.text("ok"));
 * const res = await app.request("/invocations", {
 *   method: "POST",
 *   headers: { Authorization: "Bearer s3cret" },
 * });
 * res.status; // 200
 * ```
 */
export function apiKeyAuth(options: ApiKeyAuthOptions): MiddlewareHandler {
  const keys = usableKeys(options.keys);
  const isOpen = options.isOpen ?? isOpenPath;
  const refuse = options.refuse ??
    ((err: { errorCode: string; message: string }) =>
      new Response(JSON.stringify({ error_code: err.errorCode, message: err.message }), {
        status: 401,
        headers: { "Content-Type": "application/json" },
      }));
  return async function apiKey(c, next) {
    if (c.req.method === "OPTIONS" || isOpen(c.req.path)) return await next();
    const presented = credentialOf(c.req.raw.headers);
    if (presented !== undefined && matchesAnyKey(presented, keys)) return await next();
    const err = new MlflowError(
      presented === undefined
        ? "This endpoint needs an API key: send Authorization: Bearer <key> or X-API-Key: <key>."
        : "The API key is not valid.",
      "UNAUTHENTICATED",
      401,
    );
    const res = refuse(err, c.req.raw);
    res.headers.set("WWW-Authenticate", 'Bearer realm="mlflow-edge"');
    return res;
  };
}
