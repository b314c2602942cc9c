/**
 * The request wrapper: request ids, metrics, the access log and the request span around the
 * Hono app's `fetch`. It wraps the request path and never forks it: every request, whichever route
 * answers it (and whether a middleware refuses it first: 401, 405, …), passes through here once.
 *
 * How a route family is labelled: the wrapper classifies the path before the app sees it
 * ({@linkcode predictionRoute}), so every prediction request is counted once with its
 * `protocol` and `model` labels even when it is refused before its handler runs:
 * - `POST /invocations` and `/models/{name}/invocations` → `protocol="mlflow"`;
 * - `/v2/models/{name}[/versions/{v}]/infer` → `protocol="v2"`.
 * A route family's handler then adds what only it knows through {@linkcode exchangeOf}`(request)`:
 * body bytes, stage timings, the error code, and stage spans on `exchange.trace`. A new family
 * adds its path rule to `predictionRoute`; its handler calls `exchangeOf` the way the
 * `/invocations` handler does (`_invocation.ts`).
 *
 * Cost on the request path: a UUID (or the echoed id), a WeakMap entry, a few counter
 * increments; with the access log on, one JSON line; with tracing off, nothing more.
 *
 * @example
 * ```ts
 * import { exchangeOf, observeRequests } from "./observe.ts";
 * import { ServerMetrics } from "./metrics.ts";
 * const metrics = new ServerMetrics();
 * const fetch = observeRequests((req) => {
 *   exchangeOf(req)!.bytesIn = 0;
 *   return new Response("ok");
 * }, { metrics, defaultModel: "default", isModel: () => true });
 * const res = await fetch(new Request("http://x/invocations", { method: "POST" }));
 * res.headers.get("X-Request-Id")!.length; // 36
 * ```
 *
 * @module
 */
import type { AccessLog } from "./access_log.ts";
import type { RouteSeries, ServerMetrics } from "./metrics.ts";
import { REQUEST_ID_HEADER, requestIdFor } from "./request_id.ts";
import type { RequestTrace } from "../tracing.ts";

/**
 * What the wrapper knows of one request; the route's handler fills in what it learns.
 *
 * @example
 * ```ts
 * import { exchangeOf } from "./observe.ts";
 * function handler(req: Request): Response {
 *   const x = exchangeOf(req);
 *   if (x) x.bytesIn = 42;
 *   return new Response("ok");
 * }
 * ```
 */
export interface Exchange {
  /** The request id (echoed or generated), also in `X-Request-Id` and error bodies. */
  readonly id: string;
  /** `performance.now()` when the request arrived. */
  readonly start: number;
  /** The `model` label of a prediction route (`""` for an unknown name), else undefined. */
  readonly model: string | undefined;
  /** The `protocol` label of a prediction route, else undefined. */
  readonly protocol: string | undefined;
  /** The URL path (without query). */
  readonly path: string;
  /** Request body bytes, once read. */
  bytesIn: number | undefined;
  /** Response body bytes, when the handler knows them. */
  bytesOut: number | undefined;
  /** Stage milliseconds of a prediction. */
  timings: { parse: number; infer: number; serialize: number } | undefined;
  /** The refusal's error code. */
  errorCode: string | undefined;
  /** The request span, when tracing is on. */
  readonly trace: RequestTrace | undefined;
  /** Whether the handler should measure response bytes (the access log is on). */
  readonly wantBytes: boolean;
  /** A response the handler created with `X-Request-Id` already among its headers. */
  tagged: Response | undefined;
}

/**
 * Options of {@linkcode observeRequests}.
 *
 * @example
 * ```ts
 * import type { ObserveOptions } from "./observe.ts";
 * const options: ObserveOptions = { defaultModel: "default", isModel: (n) => n === "iris" };
 * ```
 */
export interface ObserveOptions {
  /** Where prediction requests are counted; none: no metrics. */
  metrics?: ServerMetrics;
  /** Where request lines go; none: no access log. */
  accessLog?: AccessLog;
  /** Start a request span for predictions (through `@opentelemetry/api`). */
  tracing?: boolean;
  /** The name `/invocations` serves, if any. */
  defaultModel: string | undefined;
  /** Whether a name is a served model (label values come only from served names). */
  isModel: (name: string) => boolean;
}

/**
 * A fetch handler as Hono's `app.fetch` has it.
 *
 * @example
 * ```ts
 * import type { FetchHandler } from "./observe.ts";
 * const f: FetchHandler = () => new Response("ok");
 * ```
 */
export type FetchHandler = (
  req: Request,
  ...rest: never[]
) => Response | Promise<Response>;

const exchanges = new WeakMap<Request, Exchange>();

/**
 * The exchange of a request passing through {@linkcode observeRequests} (undefined outside it).
 *
 * @example
 * ```ts
 * import { exchangeOf } from "./observe.ts";
 * exchangeOf(new Request("http://x/")); // undefined: not wrapped
 * ```
 */
export function exchangeOf(req: Request): Exchange | undefined {
  return exchanges.get(req);
}

/**
 * The `[protocol, model name]` of a prediction path, or undefined for every other path. The
 * model name is as requested (`defaultName` for `/invocations`).
 *
 * @example
 * ```ts
 * import { predictionRoute } from "./observe.ts";
 * predictionRoute("/models/iris/invocations", "default"); // ["mlflow", "iris"]
 * predictionRoute("/v2/models/iris/versions/1/infer", "default"); // ["v2", "iris"]
 * predictionRoute("/ping", "default"); // undefined
 * ```
 */
export function predictionRoute(
  path: string,
  defaultName: string | undefined,
): [string, string] | undefined {
  if (path === "/invocations") return ["mlflow", defaultName ?? ""];
  if (path.startsWith("/models/") && path.endsWith("/invocations")) {
    const name = path.slice(8, -12);
    return name.includes("/") ? undefined : ["mlflow", name];
  }
  if (path.startsWith("/v2/models/") && path.endsWith("/infer")) {
    const parts = path.slice(11, -6).split("/");
    if (parts.length === 1 || (parts.length === 3 && parts[1] === "versions")) {
      return ["v2", parts[0]];
    }
  }
  return undefined;
}

/** The path of a URL without parsing it whole (the request path runs this for every request). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  let end = url.indexOf("?", start);
  if (end < 0) end = url.length;
  const hash = url.indexOf("#", start);
  return url.slice(start, hash >= 0 && hash < end ? hash : end);
}

/** Hono answers handler errors itself (`app.onError`); this is the last resort. */
function internalError(_err: unknown, id: string): Response {
  return Response.json({
    error_code: "INTERNAL_ERROR",
    message: "An internal error occurred while handling the request.",
    request_id: id,
  }, { status: 500 });
}

/**
 * Wraps a fetch handler with request ids, metrics, the access log and request spans.
 *
 * @example
 * ```ts
 * import { observeRequests } from "./observe.ts";
 * import { AccessLog } from "./access_log.ts";
 * const fetch = observeRequests(() => new Response("ok"), {
 *   accessLog: new AccessLog((line) => console.error(line)),
 *   defaultModel: undefined,
 *   isModel: () => false,
 * });
 * await fetch(new Request("http://x/ping", { headers: { "X-Request-Id": "r-1" } }));
 * ```
 */
export function observeRequests<F extends FetchHandler>(fetch: F, options: ObserveOptions): F {
  const { metrics, accessLog, tracing, defaultModel, isModel } = options;
  // tracing.ts (and @opentelemetry/api) loads only when request spans are on; a request that
  // comes before it has loaded waits for it.
  let requestTrace: typeof RequestTrace | undefined;
  let tracingLoad: Promise<void> | undefined = tracing
    ? import("../tracing.ts").then(
      (m) => {
        requestTrace = m.RequestTrace;
      },
      (err) => console.warn(`mlflow-edge: request spans are off: ${(err as Error)?.message}`),
    ).finally(() => {
      tracingLoad = undefined;
    })
    : undefined;

  const finish = (
    req: Request,
    x: Exchange,
    path: string,
    route: RouteSeries | undefined,
    res: Response,
  ): Response => {
    if (res !== x.tagged) {
      try {
        res.headers.set(REQUEST_ID_HEADER, x.id);
      } catch {
        // Immutable headers (a fetched or redirect Response): copy it.
        res = new Response(res.body, res);
        res.headers.set(REQUEST_ID_HEADER, x.id);
      }
    }
    // The clock is read only when something records the time.
    const totalMs = route || accessLog ? performance.now() - x.start : 0;
    if (route) {
      metrics!.inFlight--;
      metrics!.request(route, res.status, totalMs / 1000);
      if (x.timings) metrics!.inference(route.model, x.timings.infer / 1000);
    }
    exchanges.delete(req);
    x.trace?.end(res.status, x.errorCode);
    if (accessLog) {
      const length = req.headers.get("content-length");
      accessLog.request({
        requestId: x.id,
        method: req.method,
        path,
        model: x.model,
        protocol: x.protocol,
        status: res.status,
        bytesIn: x.bytesIn ?? (length === null ? undefined : Number(length)),
        bytesOut: x.bytesOut,
        timings: x.timings,
        totalMs,
        errorCode: x.errorCode,
      });
    }
    return res;
  };

  const wrapped = (req: Request, ...rest: never[]): Response | Promise<Response> => {
    if (tracingLoad) return tracingLoad.then(() => wrapped(req, ...rest));
    const start = performance.now();
    const path = pathOf(req.url);
    const pr = predictionRoute(path, defaultModel);
    const model = pr ? (isModel(pr[1]) ? pr[1] : "") : undefined;
    const protocol = pr?.[0];
    const id = requestIdFor(req.headers);
    const x: Exchange = {
      id,
      start,
      model,
      protocol,
      path,
      bytesIn: undefined,
      bytesOut: undefined,
      timings: undefined,
      errorCode: undefined,
      trace: requestTrace && pr
        ? requestTrace.start(req.headers, {
          "mlflow_edge.model": model!,
          "mlflow_edge.protocol": protocol!,
          "mlflow_edge.request_id": id,
          "http.route": path,
        })
        : undefined,
      wantBytes: accessLog !== undefined,
      tagged: undefined,
    };
    exchanges.set(req, x);
    let route: RouteSeries | undefined;
    if (metrics && pr) {
      route = metrics.route(model!, protocol!);
      metrics.inFlight++;
    }
    let out: Response | Promise<Response>;
    try {
      out = fetch(req, ...rest);
    } catch (err) {
      out = internalError(err, id);
    }
    return out instanceof Response ? finish(req, x, path, route, out) : out.then(
      (res) => finish(req, x, path, route, res),
      (err) => finish(req, x, path, route, internalError(err, id)),
    );
  };
  return wrapped as F;
}
