/**
 * The scoring server as a Hono app: MLflow's `/ping`, `/health`, `/version` and
 * `/invocations`, plus `/models/{name}/…` for several models.
 *
 * @module
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { methodNotAllowed } from "hono/method-not-allowed";
import { secureHeaders } from "hono/secure-headers";
import { MlflowError } from "../errors.ts";
import { type EnforceLimits, setCoreMemoryCap } from "../enforce/mod.ts";
import { redactUri } from "../store/redact.ts";
import { invocationHandler } from "./_invocation.ts";
import { describeRoutes } from "./describe_routes.ts";
import { AccessLog } from "./access_log.ts";
import { apiKeyAuth, presentsKey, usableKeys } from "./auth.ts";
import { ServerMetrics } from "./metrics.ts";
import { exchangeOf, type FetchHandler, observeRequests } from "./observe.ts";
import { headersSetBy, predictionRoutes } from "./_prediction_routes.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus_text.ts";
import { errorBody, errorResponse, JSON_HEADERS } from "./_responses.ts";
import { assertUsableBearerToken } from "./bearer_token.ts";
import { InflightLimiter } from "./inflight.ts";
import type { LoadedModel } from "../model/mod.ts";
import type { BatchingOptions } from "../runtime/mod.ts";
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_ELEMENTS, DEFAULT_TIMEOUT_MS } from "./defaults.ts";
import { ModelRegistry, type ModelRegistryOptions } from "./model_registry.ts";
import type { ModelSlot } from "./model_slot.ts";
import { isV2Path, v2ErrorResponse, v2Routes } from "./v2/routes.ts";

/**
 * The MLflow version whose scoring protocol this server follows.
 *
 * @example
 * ```ts
 * import { MLFLOW_PROTOCOL_VERSION } from "./app.ts";
 * MLFLOW_PROTOCOL_VERSION; // "3.6.1.dev0"
 * ```
 */
export const MLFLOW_PROTOCOL_VERSION = "3.6.1.dev0";

export { DEFAULT_BODY_LIMIT, DEFAULT_MAX_ELEMENTS, DEFAULT_TIMEOUT_MS } from "./defaults.ts";

/**
 * Everything the server is configured with (the CLI and the edge entries map their flags and
 * environment onto this object).
 *
 * @example
 * ```ts
 * import { type AppOptions, createApp } from "./app.ts";
 * const options: AppOptions = {
 *   modelUri: "examples/iris",
 *   models: { mnist: "s3://models/mnist" },
 *   timeoutMs: 5_000,
 *   bodyLimit: 1 << 20,
 *   memoryBudgetBytes: 512 * 1024 * 1024,
 * };
 * createApp(options);
 * ```
 */
export interface AppOptions extends Omit<ModelRegistryOptions, "limits"> {
  /** The default model, served at `/invocations` (and `/models/default/…`); loaded at start. */
  modelUri?: string;
  /** Named models, served at `/models/{name}/invocations`; loaded on first use. */
  models?: Record<string, string>;
  /** Batching per named model, in place of `batching` (the `--config` file's entries). */
  modelBatching?: Record<string, BatchingOptions>;
  /** Per-request time limit in milliseconds (default 60 000); over it, 504 DEADLINE_EXCEEDED. */
  timeoutMs?: number;
  /** Largest accepted request body in bytes (default 100 MiB); over it, 413. */
  bodyLimit?: number;
  /** Most prediction requests in flight (default 256; 64 in a Worker); over it, 503. */
  maxInflightRequests?: number;
  /** Most request-body bytes in flight (default 64 MiB; 16 MiB in a Worker); over it, 503. */
  maxInflightBytes?: number;
  /**
   * The wasm core's memory cap in bytes (default 64 MiB): a request that leaves the core larger
   * gets it replaced by a fresh instance. One core per isolate, so this sets it process-wide.
   */
  coreMemoryCap?: number;
  /** Limits for the enforcement core; its body cap is {@linkcode AppOptions.bodyLimit}. */
  limits?: Omit<EnforceLimits, "maxBodyBytes">;
  /**
   * Enables `POST /models/{name}/reload` for callers presenting `Authorization: Bearer <token>`;
   * without a token there is no reload endpoint.
   */
  adminToken?: string;
  /**
   * `GET /metrics` in the Prometheus text format: `true` (default) open, `"admin"` behind the admin
   * token, `false` off (and nothing is counted).
   */
  metrics?: boolean | "admin";
  /**
   * The access log, one JSON line per request and per model load/reload/unload/eviction: `true`
   * writes to `log`, a function receives the lines; default off.
   */
  accessLog?: boolean | ((line: string) => void);
  /**
   * Spans for prediction requests through `@opentelemetry/api` (model loads are always spanned;
   * spans are no-ops without a registered tracer provider, e.g. Deno's `OTEL_DENO=true`).
   */
  tracing?: boolean;
  /** API keys for every route but health, `/metrics` and reload; unset: no key needed. */
  apiKeys?: string[];
  /** Origins allowed by CORS (`["*"]` for any); unset: no CORS headers. */
  corsOrigins?: string[];
  /** Hono's `secureHeaders` on every response (default true). */
  secureHeaders?: boolean;
}

/**
 * The Hono app with its models.
 *
 * @example
 * ```ts
 * import { createApp, type ServingApp } from "./app.ts";
 * const app: ServingApp = createApp({ modelUri: "examples/iris" });
 * await app.ready();
 * console.log(app.registry.get("default")?.state); // "ready"
 * await app.close();
 * ```
 */
export interface ServingApp extends Hono {
  /** The served models. */
  readonly registry: ModelRegistry;
  /** The server's counters (what `/metrics` renders); undefined with `metrics: false`. */
  readonly metrics: ServerMetrics | undefined;
  /** Resolves when the default model is loaded and self-checked; rejects with its load error. */
  ready(): Promise<void>;
  /** Unloads every model after its in-flight requests. */
  close(): Promise<void>;
}

function unavailable(slot: ModelSlot, requestId?: string): Response {
  const err = new MlflowError(
    `The model "${slot.name}" is not ready: ${slot.publicReason}`,
    "TEMPORARILY_UNAVAILABLE",
  );
  return new Response(errorBody(err, requestId), { status: 503, headers: JSON_HEADERS });
}

/**
 * Creates the scoring server. The default model starts loading at once; `/ping` and `/health`
 * answer 200 only when it is loaded and its serving input example has passed.
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * const app = createApp({ modelUri: "examples/iris", timeoutMs: 10_000 });
 * await app.ready();
 * const res = await app.request("/invocations", {
 *   method: "POST",
 *   headers: { "Content-Type": "application/json" },
 *   body: '{"inputs": {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}}',
 * });
 * console.log(await res.text()); // {"predictions": [{"probabilities": 0.9999592304229736}, …]}
 * await app.close();
 * ```
 */
export function createApp(options: AppOptions = {}): ServingApp {
  // Settings that can never work refuse the start, before any model loads.
  if (options.adminToken !== undefined) {
    assertUsableBearerToken(options.adminToken, "The admin token (MLFLOW_EDGE_ADMIN_TOKEN)");
  }
  const log = options.log ?? ((m: string) => console.warn(m));
  const metrics = options.metrics === false ? undefined : new ServerMetrics();
  const accessLog = options.accessLog
    ? new AccessLog(typeof options.accessLog === "function" ? options.accessLog : log)
    : undefined;
  if (options.metrics === "admin" && !options.adminToken) {
    throw new MlflowError(
      "Metrics behind the admin token need an admin token (MLFLOW_EDGE_ADMIN_TOKEN).",
      "INVALID_PARAMETER_VALUE",
    );
  }
  const registry = new ModelRegistry({
    ...options,
    log,
    onEvent: (e) => {
      if (e.event === "model_load" || e.event === "model_reload") {
        metrics?.modelLoad(e.model, e.ms! / 1000, true);
      } else if (e.event === "model_load_failed" || e.event === "model_reload_failed") {
        metrics?.modelLoad(e.model, e.ms! / 1000, false);
      }
      if (accessLog) {
        const { event, ...fields } = e;
        accessLog.event(event, fields);
      } else if (e.event === "model_load_failed" || e.event === "model_reload_failed") {
        // Without an access log, a failed load is still logged once, with its cause.
        log(
          `The ${e.event === "model_load_failed" ? "load" : "reload"} of model "${e.model}" ` +
            `from ${e.uri} failed: ${e.error}`,
        );
      }
      options.onEvent?.(e);
    },
    // One body limit: the wasm core's own cap follows the server's.
    limits: {
      maxElements: DEFAULT_MAX_ELEMENTS,
      ...options.limits,
      maxBodyBytes: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    },
  });
  const names = Object.keys(options.models ?? {});
  if (options.modelUri !== undefined && names.includes("default")) {
    throw new MlflowError(
      'A named model is called "default", which is the name of the model given without a name.',
      "INVALID_PARAMETER_VALUE",
    );
  }
  for (const name of names) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new MlflowError(
        `Invalid model name "${name}": use letters, digits, ".", "_" and "-".`,
        "INVALID_PARAMETER_VALUE",
      );
    }
  }
  let defaultSlot: ModelSlot | undefined;
  if (options.modelUri !== undefined) {
    defaultSlot = registry.add("default", options.modelUri, true);
  }
  for (const name of names) {
    // Without a plain model the first named one is the default: loaded at start, never evicted.
    const batching = options.modelBatching?.[name];
    const slot = registry.add(
      name,
      options.models![name],
      defaultSlot === undefined,
      batching ? { batching } : {},
    );
    defaultSlot ??= slot;
  }
  // The default model loads at start; its failure is logged by the slot and reported by
  // ready(), /ping and requests.
  const initial: Promise<LoadedModel> | undefined = defaultSlot?.get();

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxSize = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = new Hono();

  // Before methodNotAllowed, so that a CORS preflight (OPTIONS) is answered by cors.
  const secure = options.secureHeaders !== false ? secureHeaders() : undefined;
  if (secure) app.use("*", secure);
  if (options.corsOrigins?.length) {
    const origins = options.corsOrigins;
    app.use(
      "*",
      cors({
        origin: origins.includes("*") ? "*" : origins,
        allowMethods: ["GET", "POST", "OPTIONS"],
        exposeHeaders: ["X-Request-Id", "Server-Timing"],
        maxAge: 600,
      }),
    );
  }
  if (options.apiKeys?.length) {
    app.use(
      "*",
      apiKeyAuth({
        keys: options.apiKeys,
        refuse: (err, req) => {
          const x = exchangeOf(req);
          if (x) x.errorCode = err.errorCode;
          const e = new MlflowError(err.message, err.errorCode, 401);
          return new Response(errorBody(e, x?.id), { status: 401, headers: JSON_HEADERS });
        },
      }),
    );
  }
  app.use(
    "*",
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => {
        const err = new MlflowError(
          `Method ${c.req.method} is not allowed for ${c.req.path}; use ${methods.join(" or ")}.`,
          "BAD_REQUEST",
          405,
        );
        const x = exchangeOf(c.req.raw);
        if (x) x.errorCode = err.errorCode;
        const body = isV2Path(c.req.path)
          ? JSON.stringify({ error: err.message, ...(x ? { request_id: x.id } : {}) })
          : errorBody(err, x?.id);
        return c.body(body, 405, { ...JSON_HEADERS, Allow: methods.join(", ") });
      },
    }),
  );
  app.notFound((c) => {
    const err = new MlflowError(
      `No endpoint for ${c.req.method} ${c.req.path}.`,
      "ENDPOINT_NOT_FOUND",
    );
    const x = exchangeOf(c.req.raw);
    if (x) x.errorCode = err.errorCode;
    if (isV2Path(c.req.path)) return v2ErrorResponse(err, log, x?.id);
    return c.body(errorBody(err, x?.id), 404, JSON_HEADERS);
  });
  app.onError((err, c) => {
    const x = exchangeOf(c.req.raw);
    if (x) x.errorCode = err instanceof MlflowError ? err.errorCode : "INTERNAL_ERROR";
    return isV2Path(c.req.path) ? v2ErrorResponse(err, log, x?.id) : errorResponse(err, log, x?.id);
  });

  const ping = (slot: ModelSlot | undefined, req: Request): Response =>
    !slot || slot.state === "ready"
      ? new Response("\n", { status: 200, headers: JSON_HEADERS })
      : unavailable(slot, exchangeOf(req)?.id);
  app.get("/ping", (c) => ping(defaultSlot, c.req.raw));
  app.get("/health", (c) => ping(defaultSlot, c.req.raw));
  app.get("/version", (c) => {
    const saved = defaultSlot?.current?.model.mlflowVersion;
    return c.body(saved ?? MLFLOW_PROTOCOL_VERSION, 200, JSON_HEADERS);
  });

  // Deadline, body limit, body read, prediction and Server-Timing in one handler (a middleware
  // chain for these cost more CPU per request than validation and inference together).
  if (options.coreMemoryCap !== undefined) setCoreMemoryCap(options.coreMemoryCap);
  const limiter = new InflightLimiter({
    maxRequests: options.maxInflightRequests,
    maxBytes: options.maxInflightBytes,
  });
  const invoke = invocationHandler({ timeoutMs, maxBodyBytes: maxSize, log, limiter });
  const noDefault = (): ModelSlot => {
    throw new MlflowError("No model is configured for /invocations.", "RESOURCE_DOES_NOT_EXIST");
  };
  const defaultOrThrow = (): ModelSlot => defaultSlot ?? noDefault();
  app.post("/invocations", (c) => invoke(c.req.raw, defaultOrThrow));

  const named = (name: string): ModelSlot => {
    const slot = registry.get(name);
    if (!slot) {
      throw new MlflowError(
        `No model named "${name}"; this server serves ${
          registry.slots.map((s) => `"${s.name}"`).join(", ") || "no named models"
        }.`,
        "RESOURCE_DOES_NOT_EXIST",
      );
    }
    return slot;
  };
  app.get("/models", (c) =>
    c.body(
      JSON.stringify({
        // State only: URIs and load-error texts name paths and hosts (the log has them).
        models: registry.slots.map((s) => ({
          name: s.name,
          state: s.state,
          size_bytes: s.sizeBytes,
          ...(s.error ? { error_code: s.error.errorCode } : {}),
        })),
      }),
      200,
      JSON_HEADERS,
    ));
  app.get("/models/:name/ping", (c) => ping(named(c.req.param("name")), c.req.raw));
  app.get("/models/:name/health", (c) => ping(named(c.req.param("name")), c.req.raw));
  app.post("/models/:name/invocations", (c) => {
    const name = c.req.param("name");
    return invoke(c.req.raw, () => named(name));
  });

  // OpenAPI documents and model cards, generated from the signatures.
  describeRoutes(app, {
    slots: () => registry.slots,
    defaultSlot,
    named,
    version: MLFLOW_PROTOCOL_VERSION,
  });

  // The Open Inference Protocol (V2) for every model, under the same names.
  v2Routes(app, { registry, eager: defaultSlot, timeoutMs, maxBodyBytes: maxSize, log, limiter });

  let admin: MiddlewareHandler | undefined;
  if (options.adminToken !== undefined) {
    const refusal = (code: string, message: string) => ({ error_code: code, message });
    admin = bearerAuth({
      token: options.adminToken,
      noAuthenticationHeaderMessage: refusal(
        "UNAUTHENTICATED",
        "This endpoint needs an Authorization: Bearer <token> header.",
      ),
      invalidAuthenticationHeaderMessage: refusal(
        "BAD_REQUEST",
        'The Authorization header must be "Bearer <token>".',
      ),
      invalidTokenMessage: refusal("PERMISSION_DENIED", "The bearer token is not valid."),
    });
    const smallBody = bodyLimit({
      maxSize: 64 * 1024,
      onError: () => {
        throw new MlflowError("A reload request body is at most 64 KiB.", "BAD_REQUEST", 413);
      },
    });
    // Loads the named model again (from its URI, or from {"uri": …}) and swaps it in once
    // ready; requests in flight finish on the old version. A failed load keeps the old one.
    app.post("/models/:name/reload", admin, smallBody, async (c) => {
      const slot = named(c.req.param("name"));
      let uri = slot.uri;
      const text = (await c.req.text()).trim();
      if (text) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new MlflowError(
            'The reload body must be JSON: {"uri": "<model URI>"}.',
            "BAD_REQUEST",
          );
        }
        const next = (parsed as { uri?: unknown } | null)?.uri;
        if (typeof next !== "string" || next === "") {
          throw new MlflowError('The reload body must be {"uri": "<model URI>"}.', "BAD_REQUEST");
        }
        uri = next;
      }
      await slot.reload(uri);
      return c.body(
        JSON.stringify({ name: slot.name, uri: redactUri(slot.uri), state: slot.state }),
        200,
        JSON_HEADERS,
      );
    });
  }

  if (metrics) {
    const scrape = (c: Context) =>
      c.body(metrics.render(registry.slots), 200, {
        "Content-Type": PROMETHEUS_CONTENT_TYPE,
      });
    if (options.metrics === "admin") app.get("/metrics", admin!, scrape);
    else app.get("/metrics", scrape);
  }

  // The prediction routes skip Hono where that changes nothing (_prediction_routes.ts), once the
  // secure headers' values are read from Hono's middleware (a microtask after this).
  const honoFetch: FetchHandler = app.fetch;
  let dispatch = honoFetch;
  if (!options.corsOrigins?.length) {
    const keys = options.apiKeys?.length ? usableKeys(options.apiKeys) : undefined;
    const fast = (responseHeaders: Record<string, string>) => {
      dispatch = predictionRoutes({
        fallback: honoFetch,
        invoke: invocationHandler({
          timeoutMs,
          maxBodyBytes: maxSize,
          log,
          limiter,
          responseHeaders,
        }),
        defaultSlot: defaultOrThrow,
        named,
        admits: keys && ((headers) => presentsKey(headers, keys)),
      });
    };
    if (!secure) fast({});
    else {
      headersSetBy(secure).then(
        (headers) => Object.keys(headers).length > 0 && fast(headers),
        () => {}, // unreadable: every request keeps going through Hono
      );
    }
  }

  // Request ids, metrics, the access log and request spans wrap every request (observe.ts).
  const route = ((req: Request, ...rest: never[]) => dispatch(req, ...rest)) as typeof app.fetch;
  app.fetch = observeRequests(route, {
    metrics,
    accessLog,
    tracing: options.tracing,
    defaultModel: defaultSlot?.name,
    isModel: (name) => registry.get(name) !== undefined,
  });

  return Object.assign(app, {
    registry,
    metrics,
    async ready() {
      await initial;
    },
    close: () => registry.close(),
  }) as unknown as ServingApp;
}
