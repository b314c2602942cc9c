/**
 * The Open Inference Protocol (KServe V2) REST routes, next to MLflow's, for every served
 * model. Errors are the same MlflowError as everywhere, rendered as V2's `{"error": "…"}`.
 *
 * @module
 */
import type { Hono } from "hono";
import { MlflowError } from "../../errors.ts";
import { invocationHandler } from "../_invocation.ts";
import { exchangeOf } from "../observe.ts";
import { errorHeaders, JSON_HEADERS, toMlflowError } from "../_responses.ts";
import type { InflightLimiter } from "../inflight.ts";
import type { ModelRegistry } from "../model_registry.ts";
import type { ModelSlot } from "../model_slot.ts";
import { encodeInferResponse } from "./encode.ts";
import { modelMetadata } from "./metadata.ts";
import type { V2ServerMetadata } from "./types.ts";

/**
 * What `GET /v2` answers.
 *
 * @example
 * ```ts
 * import { V2_SERVER } from "./routes.ts";
 * V2_SERVER.extensions; // ["binary_tensor_data"]
 * ```
 */
export const V2_SERVER: Readonly<V2ServerMetadata> = {
  name: "mlflow-edge",
  version: "0.1.0",
  extensions: ["binary_tensor_data"],
};

/**
 * What the V2 routes need from the server.
 *
 * @example
 * ```ts
 * import type { V2RoutesOptions } from "./routes.ts";
 * import { ModelRegistry } from "../model_registry.ts";
 * const options: V2RoutesOptions = {
 *   registry: new ModelRegistry(),
 *   eager: undefined,
 *   timeoutMs: 60_000,
 *   maxBodyBytes: 1 << 20,
 *   log: console.warn,
 * };
 * ```
 */
export interface V2RoutesOptions {
  /** The served models; V2 names them as the registry does. */
  registry: ModelRegistry;
  /** The model loaded at start: the server is ready when it is. */
  eager: ModelSlot | undefined;
  /** Per-request time limit (ms) of inference requests. */
  timeoutMs: number;
  /** Largest inference request body in bytes. */
  maxBodyBytes: number;
  /** Where internal errors are logged. */
  log: (message: string) => void;
  /** The bound on requests and body bytes in flight, shared with /invocations. */
  limiter?: InflightLimiter;
}

/**
 * Whether a path belongs to the V2 protocol (its errors take V2's shape).
 *
 * @example
 * ```ts
 * import { isV2Path } from "./routes.ts";
 * isV2Path("/v2/models/iris/infer"); // true
 * isV2Path("/invocations"); // false
 * ```
 */
export function isV2Path(path: string): boolean {
  return path === "/v2" || path.startsWith("/v2/");
}

/**
 * Any error as a V2 error response `{"error": "…"}` with the MlflowError's status.
 *
 * @example
 * ```ts
 * import { MlflowError } from "../../errors.ts";
 * import { v2ErrorResponse } from "./routes.ts";
 * const res = v2ErrorResponse(new MlflowError("No such model", "RESOURCE_DOES_NOT_EXIST"), console.warn);
 * res.status; // 404
 * ```
 */
export function v2ErrorResponse(
  err: unknown,
  log: (message: string) => void,
  requestId?: string,
): Response {
  const e = toMlflowError(err, log, requestId);
  // The message as MLflow's shape bounds it; the request id as MLflow's errors carry it.
  const body = requestId === undefined
    ? { error: e.toJSON().message }
    : { error: e.toJSON().message, request_id: requestId };
  return new Response(JSON.stringify(body), { status: e.status, headers: errorHeaders(e) });
}

/**
 * The registry version of a model loaded as `models:/name/3` (none for other URIs).
 *
 * @example
 * ```ts
 * import { versionOf } from "./routes.ts";
 * versionOf("models:/iris/3"); // "3"
 * versionOf("models:/iris@prod"); // undefined
 * ```
 */
export function versionOf(uri: string): string | undefined {
  return /^models:\/[^/@]+\/(\d+)\/?$/.exec(uri)?.[1];
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });

/**
 * Adds the V2 routes to a Hono app.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { ModelRegistry } from "../model_registry.ts";
 * import { v2Routes } from "./routes.ts";
 * const registry = new ModelRegistry();
 * const eager = registry.add("iris", "examples/iris", true);
 * const app = new Hono();
 * v2Routes(app, { registry, eager, timeoutMs: 60_000, maxBodyBytes: 1 << 20, log: console.warn });
 * ```
 */
export function v2Routes(app: Hono, options: V2RoutesOptions): void {
  const { registry, eager, log } = options;
  const fail = (err: unknown, requestId?: string) => v2ErrorResponse(err, log, requestId);
  const idOf = (req: Request) => exchangeOf(req)?.id;

  /** The slot for a name (and version), or a 404 MlflowError. */
  const lookup = (name: string, version: string | undefined): ModelSlot => {
    const slot = registry.get(name);
    if (!slot) {
      const names = registry.slots.map((s) => `"${s.name}"`).join(", ");
      throw new MlflowError(
        `No model named "${name}"; this server serves ${names || "no models"}.`,
        "RESOURCE_DOES_NOT_EXIST",
      );
    }
    if (version !== undefined && version !== versionOf(slot.uri)) {
      const has = versionOf(slot.uri);
      throw new MlflowError(
        `The model "${name}" has no version "${version}"; ${
          has === undefined ? "it is served without versions" : `it serves version "${has}"`
        }.`,
        "RESOURCE_DOES_NOT_EXIST",
      );
    }
    return slot;
  };

  app.get("/v2/health/live", () => json({ live: true }));
  app.get("/v2/health/ready", () => {
    const ready = eager === undefined || eager.state === "ready";
    return json({ ready }, ready ? 200 : 503);
  });
  app.get("/v2", () => json(V2_SERVER));
  app.get("/v2/models", () => json({ models: registry.slots.map((s) => s.name) }));

  const ready = (req: Request, name: string, version?: string): Response => {
    try {
      const slot = lookup(name, version);
      if (slot.state === "ready") return json({ name, ready: true });
      // A model that loads on first use starts loading when a client asks whether it is ready.
      slot.get().catch(() => {});
      return json({ name, ready: false }, 503);
    } catch (err) {
      return fail(err, idOf(req));
    }
  };
  app.get("/v2/models/:name/ready", (c) => ready(c.req.raw, c.req.param("name")));
  app.get(
    "/v2/models/:name/versions/:version/ready",
    (c) => ready(c.req.raw, c.req.param("name"), c.req.param("version")),
  );

  const metadata = async (req: Request, name: string, version?: string): Promise<Response> => {
    try {
      const slot = lookup(name, version);
      return json(await slot.use((m) => Promise.resolve(modelMetadata(name, m, versionOf(m.uri)))));
    } catch (err) {
      return fail(err, idOf(req));
    }
  };
  app.get("/v2/models/:name", (c) => metadata(c.req.raw, c.req.param("name")));
  app.get(
    "/v2/models/:name/versions/:version",
    (c) => metadata(c.req.raw, c.req.param("name"), c.req.param("version")),
  );

  // Deadline, body limit and body read as /invocations has them; then the V2 envelope.
  const infer = invocationHandler({
    timeoutMs: options.timeoutMs,
    maxBodyBytes: options.maxBodyBytes,
    log,
    limiter: options.limiter,
    renderError: fail,
    answer: async (slot, body, req, signal) => {
      const headerLength = headerLengthOf(req.headers.get("inference-header-content-length"));
      const r = await slot.use((m) => m.inferV2(body, headerLength, signal));
      const t0 = performance.now();
      const out = encodeInferResponse(slot.name, versionOf(slot.uri), r.answer, r.outputs);
      const headers: Record<string, string> = {
        "Content-Type": out.headerLength === undefined
          ? "application/json"
          : "application/octet-stream",
      };
      if (out.headerLength !== undefined) {
        headers["Inference-Header-Content-Length"] = String(out.headerLength);
      }
      const t1 = performance.now();
      signal.onStage?.("serialize", t0, t1, r.rows);
      return {
        body: out.body,
        headers,
        timings: { ...r.timings, serialize: t1 - t0 },
      };
    },
  });
  app.post("/v2/models/:name/infer", (c) => {
    const name = c.req.param("name");
    return infer(c.req.raw, () => lookup(name, undefined));
  });
  app.post("/v2/models/:name/versions/:version/infer", (c) => {
    const name = c.req.param("name");
    const version = c.req.param("version");
    return infer(c.req.raw, () => lookup(name, version));
  });
}

/** The `Inference-Header-Content-Length` header: a byte count, or a 400. */
function headerLengthOf(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^\d{1,15}$/.test(value.trim())) {
    throw new MlflowError(
      `Inference-Header-Content-Length must be a byte count, got "${value.slice(0, 40)}".`,
      "BAD_REQUEST",
    );
  }
  return Number(value.trim());
}
