/**
 * The Cloudflare Worker: mlflow-edge's Hono app serving the model named by `MODEL_URI`
 * (e.g. `r2://MODELS/iris`, read through the R2 binding `MODELS`).
 *
 * Everything expensive happens on the first request, not at global scope (Workers cap startup
 * at 1 s): instantiating the enforcement core from its imported module, fetching the bundle
 * from R2 and creating the ONNX session through the workerd shim. Build with
 * `deno task build:worker`; deploy `dist/worker/`.
 *
 * @module
 */
import { appOptionsFromEnv, createApp, initEnforce, type ServingApp } from "../../mod.ts";
import type { R2BucketLike } from "../../src/store/mod.ts";
import { coreWasmModule, ortWasmModule } from "./_wasm_modules.js";
import { workerdBackend } from "./workerd_backend.ts";

/**
 * The Worker's bindings: vars and secrets (strings) and R2 buckets.
 *
 * @example
 * ```ts ignore
 * const env: Env = { MODEL_URI: "r2://MODELS/iris", MODELS: bucket };
 * ```
 */
export interface Env {
  /** The model to serve, e.g. `r2://MODELS/iris`. */
  MODEL_URI?: string;
  [binding: string]: unknown;
}

let app: Promise<ServingApp> | undefined;

/** The string bindings (vars and secrets), for the store's MLflow/AWS variables. */
function stringVars(env: Env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

/** Every binding that looks like an R2 bucket, by binding name (the host of `r2://` URIs). */
function r2Bindings(env: Env): Record<string, R2BucketLike> {
  const out: Record<string, R2BucketLike> = {};
  for (const [name, value] of Object.entries(env)) {
    const v = value as Partial<R2BucketLike> | null;
    if (v && typeof v === "object" && typeof v.get === "function" && typeof v.list === "function") {
      out[name] = v as R2BucketLike;
    }
  }
  return out;
}

async function build(env: Env): Promise<ServingApp> {
  if (!env.MODEL_URI) {
    throw new Error("MODEL_URI is not set: add it under [vars] in wrangler.toml.");
  }
  await initEnforce(coreWasmModule);
  // The same variables as `deno task serve` (timeout, body limit, store credentials as secrets);
  // r2:// URIs read through the R2 bindings.
  const options = appOptionsFromEnv(stringVars(env));
  const app = createApp({
    ...options,
    backend: workerdBackend(ortWasmModule),
    // No in-memory file cache: the isolate keeps no copy of the weights once the session holds
    // them (the loader frees the fetched bytes then).
    store: { cacheDir: false, ...options.store, r2: r2Bindings(env) },
  });
  // The first request waits for the model instead of getting 503 "loading". A failed load is
  // not thrown here: the app itself answers with it (and retries), as on every other runtime.
  await app.ready().catch(() => {});
  return app;
}

/** The app for this isolate, built on first use; a failed build is retried next request. */
function appFor(env: Env): Promise<ServingApp> {
  app ??= build(env).catch((e) => {
    app = undefined;
    throw e;
  });
  return app;
}

/**
 * The Worker's module export.
 *
 * @example
 * ```ts ignore
 * import worker from "./worker.ts";
 * const res = await worker.fetch(new Request("https://x/ping"), { MODEL_URI: "r2://MODELS/iris", MODELS: bucket }, ctx);
 * ```
 */
const worker = {
  async fetch(request: Request, env: Env, ctx: unknown): Promise<Response> {
    let hono: ServingApp;
    try {
      hono = await appFor(env);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return Response.json(
        { error_code: "INTERNAL_ERROR", message: `The model server could not start: ${message}` },
        { status: 500 },
      );
    }
    return hono.fetch(request, env, ctx as never);
  },
};

export default worker;
