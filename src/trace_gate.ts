/**
 * Whether spans go anywhere, decided without loading `@opentelemetry/api`: the API keeps its
 * registered providers in one global slot (`Symbol.for("opentelemetry.js.api.1")`, which Deno
 * fills when started with `OTEL_DENO=true`, and an OpenTelemetry SDK through the API's
 * `trace.setGlobalTracerProvider`). With no tracer provider there, every span would be the API's
 * no-op, so {@linkcode traced} runs the work directly and `tracing.ts` (with the API, ~9 ms of
 * CPU at start) never loads.
 *
 * @example
 * ```ts
 * import { traced } from "./trace_gate.ts";
 * const n = await traced("mlflow_edge.load.fetch", {}, async (span) => {
 *   span?.setAttribute("mlflow_edge.model", "iris");
 *   return 42;
 * });
 * ```
 *
 * @module
 */
import type { Attributes, Span } from "./tracing.ts";

/** The API's global registry key for its major version 1 (what `@opentelemetry/api` 1.x uses). */
const OTEL_API_GLOBAL = Symbol.for("opentelemetry.js.api.1");

/**
 * True when a tracer provider is registered with `@opentelemetry/api`, now.
 *
 * @example
 * ```ts
 * import { tracerRegistered } from "./trace_gate.ts";
 * tracerRegistered(); // false, unless started with OTEL_DENO=true or an SDK registered one
 * ```
 */
export function tracerRegistered(): boolean {
  const registry = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[
    OTEL_API_GLOBAL
  ];
  return registry?.trace !== undefined;
}

/**
 * `fn` inside the active span `name` (see `inSpan` of `tracing.ts`) when a tracer provider is
 * registered; otherwise `fn` alone, with no span.
 *
 * @example
 * ```ts
 * import { traced } from "./trace_gate.ts";
 * await traced("mlflow_edge.load.compile", {}, async () => {});
 * ```
 */
export async function traced<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!tracerRegistered()) return await fn(undefined);
  const { inSpan } = await import("./tracing.ts");
  return await inSpan(name, attributes, fn);
}
