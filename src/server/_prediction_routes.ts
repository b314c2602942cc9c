// MLflow's prediction routes, `POST /invocations` and `POST /models/{name}/invocations`, answered
// without Hono's dispatch: its router, context, middleware chain (secure headers, the method
// check) cost the request path more CPU than validation and inference together. Only requests
// whose answer would be the same either way take this path; every other request, and every one
// this path is unsure of, goes to the Hono app as before:
// - CORS configured (its headers depend on the request): everything goes to Hono;
// - API keys configured: only requests presenting a valid key come here (refusals are Hono's);
// - a model name with `%` (Hono decodes it) or an empty one: Hono.
// The secure headers are Hono's own values, read once from its middleware, and put into each
// answer's init instead of set one by one on it afterwards.
import type { Context, MiddlewareHandler } from "hono";
import type { InvocationHandler } from "./_invocation.ts";
import type { ModelSlot } from "./model_slot.ts";
import { exchangeOf, type FetchHandler } from "./observe.ts";

/** What {@linkcode predictionRoutes} needs from the app. */
export interface PredictionRoutesOptions {
  /** The Hono app's fetch: every request this path does not answer. */
  fallback: FetchHandler;
  /** The `/invocations` handler (with the secure headers among its response headers). */
  invoke: InvocationHandler;
  /** The slot of `/invocations` (throws when there is none). */
  defaultSlot: () => ModelSlot;
  /** The slot of a name (throws for an unknown name). */
  named: (name: string) => ModelSlot;
  /** With API keys: whether the request presents a valid one. */
  admits?: (headers: Headers) => boolean;
}

/** A fetch handler answering the MLflow prediction routes itself, the rest through `fallback`. */
export function predictionRoutes(options: PredictionRoutesOptions): FetchHandler {
  const { fallback, invoke, defaultSlot, named, admits } = options;
  return (req: Request, ...rest: never[]) => {
    // The request wrapper (observe.ts) has classified the path already.
    const x = exchangeOf(req);
    if (x?.protocol !== "mlflow" || req.method !== "POST") return fallback(req, ...rest);
    let resolve = defaultSlot;
    if (x.path !== "/invocations") {
      const name = x.path.slice(8, -12); // "/models/" name "/invocations"
      if (name === "" || name.includes("%")) return fallback(req, ...rest);
      resolve = () => named(name);
    }
    if (admits && !admits(req.headers)) return fallback(req, ...rest);
    return invoke(req, resolve);
  };
}

/**
 * The headers a Hono `secureHeaders()` middleware sets on a response, in its order and spelling,
 * read by running it once on a stand-in context that records them.
 */
export async function headersSetBy(middleware: MiddlewareHandler): Promise<Record<string, string>> {
  const set: Record<string, string> = {};
  const headers = {
    set: (name: string, value: string) => void (set[name] = value),
    append: (name: string, value: string) => void (set[name] = value),
    has: () => false,
    get: () => null,
    delete: () => {},
  };
  const context = { res: { headers }, get: () => undefined, set: () => {}, header: () => {} };
  await middleware(context as unknown as Context, () => Promise.resolve());
  return set;
}
