// OpenTelemetry traces: the CLI server runs with Deno's built-in OpenTelemetry (OTEL_DENO=true)
// and exports OTLP/HTTP protobuf to a receiver started here on 127.0.0.1; the export is decoded
// with the OTLP protobuf definitions as @opentelemetry/otlp-transformer publishes them.
import assert from "node:assert/strict";
import { otlp } from "../_deps/otlp_transformer.ts";
import { rawRequest } from "./_raw_http.ts";
import { bundlePath } from "./_server.ts";

interface Span {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
  scope: string;
}

// deno-lint-ignore no-explicit-any
const ExportTraceServiceRequest = (otlp as any).opentelemetry.proto.collector.trace.v1
  .ExportTraceServiceRequest;

const hex = (b64: string | undefined) =>
  b64 ? [...atob(b64)].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("") : "";

// deno-lint-ignore no-explicit-any
function attributes(list: any[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? value.boolValue ??
      (value.intValue !== undefined ? Number(value.intValue) : value.doubleValue);
  }
  return out;
}

/** An OTLP/HTTP receiver: every span of every /v1/traces export. */
function receiver() {
  const spans: Span[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = new Uint8Array(await req.arrayBuffer());
    if (new URL(req.url).pathname === "/v1/traces") {
      const msg = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), {
        longs: String,
        bytes: String,
      });
      for (const rs of msg.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              name: s.name,
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: hex(s.parentSpanId),
              attributes: attributes(s.attributes),
              status: s.status ?? {},
              scope: ss.scope?.name ?? "",
            });
          }
        }
      }
    }
    // An empty ExportServiceResponse.
    return new Response(new Uint8Array(0), {
      headers: { "Content-Type": "application/x-protobuf" },
    });
  });
  return { spans, port: (server.addr as Deno.NetAddr).port, close: () => server.shutdown() };
}

const IRIS_ROW =
  '{"inputs": {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}}';

async function waitFor<T>(what: string, f: () => T | undefined, ms = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("with OTEL_DENO=true a request's spans join the caller's trace in a real OTLP receiver", async () => {
  const otlpReceiver = receiver();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const proc = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../src/cli.ts", import.meta.url).pathname,
      "serve",
      "-m",
      bundlePath("iris_mlp_onnx"),
      "-p",
      String(port),
      "--no-access-log",
    ],
    env: {
      RUST_BACKTRACE: "0",
      NO_COLOR: "1",
      OTEL_DENO: "true",
      OTEL_SERVICE_NAME: "mlflow-edge-test",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpReceiver.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_BSP_SCHEDULE_DELAY: "1000",
    },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0;; i++) {
      const ok = await fetch(`${url}/ping`).then(async (r) => (await r.body?.cancel(), r.ok))
        .catch(() => false);
      if (ok) break;
      if (i > 600) throw new Error("the server did not start");
      await new Promise((r) => setTimeout(r, 100));
    }

    // 1. A good request with a lowercase traceparent (what fetch sends).
    const trace1 = crypto.randomUUID().replaceAll("-", "");
    const caller1 = "00f067aa0ba902b7";
    const good = await fetch(`${url}/invocations`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        traceparent: `00-${trace1}-${caller1}-01`,
        "X-Request-Id": "trace-good",
      },
      body: IRIS_ROW,
    });
    assert.equal(good.status, 200);
    await good.body?.cancel();

    // 2. A refused request whose header is spelled `Traceparent` (as Python's urllib sends it).
    const trace2 = crypto.randomUUID().replaceAll("-", "");
    const caller2 = "b7ad6b7169203331";
    const bad = await rawRequest(port, [
      "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
      `Traceparent: 00-${trace2}-${caller2}-01\r\nX-Request-Id: trace-bad\r\n` +
      "Content-Length: 5\r\nConnection: close\r\n\r\n{oops",
    ]);
    assert.equal(bad.status, 400);

    const spans = otlpReceiver.spans;
    const stages = ["read_body", "validate", "infer", "serialize"].map((s) => `mlflow_edge.${s}`);
    const inTrace = (t: string) => spans.filter((s) => s.traceId === t);
    await waitFor(
      "the good request's spans",
      () => stages.every((n) => inTrace(trace1).some((s) => s.name === n)) || undefined,
    );
    await waitFor(
      "the refused request's spans",
      () => inTrace(trace2).some((s) => s.name === "mlflow_edge.validate") || undefined,
    );

    // The good request: the invocation span continues the caller's trace (through Deno's HTTP
    // server span), the four stages are its children, with their attributes.
    const t1 = inTrace(trace1);
    const invocation = t1.find((s) => s.name === "mlflow_edge.invocation")!;
    assert.ok(invocation, "an invocation span");
    assert.equal(invocation.scope, "mlflow-edge");
    const byId = new Map(t1.map((s) => [s.spanId, s]));
    let root = invocation;
    while (byId.has(root.parentSpanId)) root = byId.get(root.parentSpanId)!;
    assert.equal(root.parentSpanId, caller1, "the chain ends at the caller's span");
    assert.equal(invocation.attributes["mlflow_edge.model"], "default");
    assert.equal(invocation.attributes["mlflow_edge.protocol"], "mlflow");
    assert.equal(invocation.attributes["mlflow_edge.request_id"], "trace-good");
    assert.equal(invocation.attributes["mlflow_edge.rows"], 1);
    assert.equal(
      invocation.attributes["mlflow_edge.body_bytes"],
      new TextEncoder().encode(IRIS_ROW).length,
    );
    assert.equal(invocation.attributes["http.response.status_code"], 200);
    for (const name of stages) {
      const stage = t1.find((s) => s.name === name)!;
      assert.equal(stage.parentSpanId, invocation.spanId, `${name} is a child of the request`);
      assert.notEqual(stage.status.code, 2, `${name} did not fail`);
    }
    assert.equal(
      t1.find((s) => s.name === "mlflow_edge.validate")!.attributes["mlflow_edge.rows"],
      1,
    );
    assert.equal(
      t1.find((s) => s.name === "mlflow_edge.read_body")!.attributes["mlflow_edge.body_bytes"],
      new TextEncoder().encode(IRIS_ROW).length,
    );

    // The refused request: continued from `Traceparent` all the same; validation failed with
    // the error code; nothing was run.
    const t2 = inTrace(trace2);
    const inv2 = t2.find((s) => s.name === "mlflow_edge.invocation")!;
    assert.equal(inv2.parentSpanId, caller2);
    assert.equal(inv2.attributes["mlflow_edge.error_code"], "BAD_REQUEST");
    assert.equal(inv2.attributes["mlflow_edge.request_id"], "trace-bad");
    assert.equal(inv2.status.code, 2);
    const validate = t2.find((s) => s.name === "mlflow_edge.validate")!;
    assert.equal(validate.parentSpanId, inv2.spanId);
    assert.equal(validate.attributes["mlflow_edge.error_code"], "BAD_REQUEST");
    assert.equal(validate.status.code, 2);
    assert.ok(!t2.some((s) => s.name === "mlflow_edge.infer"));

    // The model load at start: one trace with its stages.
    const load = spans.find((s) => s.name === "mlflow_edge.load")!;
    assert.ok(load, "a load span");
    assert.equal(load.attributes["mlflow_edge.uri"], bundlePath("iris_mlp_onnx"));
    assert.ok(Number(load.attributes["mlflow_edge.bundle_bytes"]) > 0);
    for (const name of ["fetch", "session", "compile", "self_check"]) {
      const child = spans.find((s) => s.name === `mlflow_edge.load.${name}`)!;
      assert.ok(child, name);
      assert.equal(child.parentSpanId, load.spanId, `${name} is a child of the load`);
    }
  } finally {
    proc.kill("SIGTERM");
    await proc.status;
    await otlpReceiver.close();
  }
});
