// The tracing gate reads the slot @opentelemetry/api itself registers providers in: no span (and
// no API load) without a provider; spans through the API once one is registered.
import assert from "node:assert/strict";
import { traced, tracerRegistered } from "../../src/trace_gate.ts";

Deno.test("traced runs without a span until a tracer provider is registered with the API", async () => {
  assert.equal(tracerRegistered(), false, "no provider in a plain test process");
  assert.equal(await traced("mlflow_edge.load", {}, (span) => Promise.resolve(span)), undefined);

  const { trace, ProxyTracerProvider } = await import("@opentelemetry/api");
  assert.ok(trace.setGlobalTracerProvider(new ProxyTracerProvider()));
  try {
    assert.equal(tracerRegistered(), true);
    const span = await traced("mlflow_edge.load", {}, (span) => Promise.resolve(span));
    assert.ok(span, "a span from the API");
    assert.equal(typeof span.setAttribute, "function");
    await assert.rejects(
      traced("mlflow_edge.load", {}, () => Promise.reject(new Error("boom"))),
      /boom/,
    );
  } finally {
    trace.disable();
  }
  assert.equal(tracerRegistered(), false, "disabling the API clears the slot");
});
