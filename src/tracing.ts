/**
 * OpenTelemetry spans of mlflow-edge, through `@opentelemetry/api`. The API exports nothing by
 * itself: a span goes somewhere only when the runtime or the application registered a tracer
 * provider — Deno does when started with `OTEL_DENO=true` (OTLP export configured by the standard
 * `OTEL_*` variables), elsewhere an OpenTelemetry SDK registered by the application. Without one
 * every call here hits the API's no-op tracer.
 *
 * Span names: `mlflow_edge.load` with children `mlflow_edge.load.fetch`, `.session`, `.compile`,
 * `.self_check` (cold path); `mlflow_edge.invocation` with children `mlflow_edge.read_body`,
 * `mlflow_edge.validate`, `mlflow_edge.infer`, `mlflow_edge.serialize` (request path, see
 * `server/observe.ts`). Attributes are prefixed `mlflow_edge.` (`model`, `rows`, `body_bytes`,
 * `error_code`, `request_id`, …).
 *
 * This module sits beside `errors.ts` because both the model (load spans) and the server
 * (request spans) use it.
 *
 * @example
 * ```ts
 * import { inSpan } from "./tracing.ts";
 * const value = await inSpan("mlflow_edge.load.fetch", { "mlflow_edge.uri": "s3://b/m" }, async () => 42);
 * ```
 *
 * @module
 */
import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Tracer,
} from "@opentelemetry/api";

export type { Attributes, Context, Span, Tracer };

/**
 * The instrumentation scope name of mlflow-edge's spans.
 *
 * @example
 * ```ts
 * import { TRACER_NAME } from "./tracing.ts";
 * TRACER_NAME; // "mlflow-edge"
 * ```
 */
export const TRACER_NAME = "mlflow-edge";

/**
 * The tracer (the API's no-op tracer until a provider is registered).
 *
 * @example
 * ```ts
 * import { tracer } from "./tracing.ts";
 * tracer().startSpan("x").end();
 * ```
 */
export function tracer(): Tracer {
  // The API's proxy tracer forwards to whichever provider is registered, also a later one.
  return cached ??= trace.getTracer(TRACER_NAME);
}

let cached: Tracer | undefined;

/** The `error_code` of an MlflowError-like value, for span attributes. */
function errorCodeOf(err: unknown): string {
  const code = (err as { errorCode?: unknown } | null)?.errorCode;
  return typeof code === "string" ? code : "INTERNAL_ERROR";
}

/**
 * Marks a span failed: status ERROR with the message, and `mlflow_edge.error_code`.
 *
 * @example
 * ```ts
 * import { failSpan, tracer } from "./tracing.ts";
 * const span = tracer().startSpan("x");
 * failSpan(span, new Error("boom"));
 * span.end();
 * ```
 */
export function failSpan(span: Span, err: unknown): void {
  span.setAttribute("mlflow_edge.error_code", errorCodeOf(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
}

/**
 * Runs `fn` inside an active span (children created inside nest under it); the span ends when
 * `fn` settles and records its failure.
 *
 * @example
 * ```ts
 * import { inSpan } from "./tracing.ts";
 * await inSpan("mlflow_edge.load.compile", {}, async (span) => {
 *   span.setAttribute("mlflow_edge.model", "iris");
 * });
 * ```
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Milliseconds since the epoch of a `performance.now()` reading (what span times take). */
function epochMs(perfNow: number): number {
  return performance.timeOrigin + perfNow;
}

/**
 * The span of one request and the context its stage spans are children of. Stages are recorded
 * after they happened, from `performance.now()` readings the request path takes anyway, so
 * tracing adds no work between the stages.
 *
 * @example
 * ```ts
 * import { RequestTrace } from "./tracing.ts";
 * const t = RequestTrace.start(new Headers(), { "mlflow_edge.model": "iris" });
 * const t0 = performance.now();
 * t?.stage("mlflow_edge.validate", t0, performance.now(), { "mlflow_edge.rows": 1 });
 * t?.end(200);
 * ```
 */
export class RequestTrace {
  /** The request's span. */
  readonly span: Span;
  /** The context with the request's span, parent of the stage spans. */
  readonly context: Context;

  private constructor(span: Span, ctx: Context) {
    this.span = span;
    this.context = ctx;
  }

  /**
   * Starts the request span under the active span (Deno's HTTP server span with `OTEL_DENO`).
   * When the request's `traceparent` names a trace the active span is not part of (Deno
   * continues a lowercase `traceparent` but not one spelled `Traceparent`; other runtimes have no
   * HTTP instrumentation at all), the span continues the caller's trace from the header instead.
   * Undefined when the span does not record (no tracer provider, or not sampled).
   */
  static start(headers: Headers, attributes: Attributes): RequestTrace | undefined {
    let parent = context.active();
    const remote = parseTraceparent(headers.get("traceparent"));
    if (remote && trace.getSpanContext(parent)?.traceId !== remote.traceId) {
      parent = trace.setSpanContext(ROOT_CONTEXT, remote);
    }
    const span = tracer().startSpan(
      "mlflow_edge.invocation",
      { kind: SpanKind.INTERNAL, attributes },
      parent,
    );
    // Not recording (the API's no-op tracer, or not sampled): no stage spans either.
    if (!span.isRecording()) return undefined;
    return new RequestTrace(span, trace.setSpan(parent, span));
  }

  /** Records a finished stage as a child span; `error` marks it failed. */
  stage(name: string, start: number, end: number, attributes?: Attributes, error?: unknown): void {
    const span = tracer().startSpan(name, { startTime: epochMs(start), attributes }, this.context);
    if (error !== undefined) failSpan(span, error);
    span.end(epochMs(end));
  }

  /** Ends the request span with the answer's status (and error code on failure). */
  end(status: number, errorCode?: string): void {
    this.span.setAttribute("http.response.status_code", status);
    if (errorCode !== undefined) {
      this.span.setAttribute("mlflow_edge.error_code", errorCode);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
    }
    this.span.end();
  }
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * A W3C `traceparent` header (version 00) as a remote span context, or undefined when absent or
 * malformed (all-zero ids are invalid).
 *
 * @example
 * ```ts
 * import { parseTraceparent } from "./tracing.ts";
 * parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")?.traceId;
 * // "0af7651916cd43dd8448eb211c80319c"
 * ```
 */
export function parseTraceparent(
  value: string | null,
): { traceId: string; spanId: string; traceFlags: number; isRemote: true } | undefined {
  if (value === null) return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return undefined;
  return {
    traceId: m[1],
    spanId: m[2],
    traceFlags: parseInt(m[3], 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}
