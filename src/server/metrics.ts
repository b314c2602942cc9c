/**
 * The server's Prometheus metrics: recorded on the request path as a few number increments into
 * preallocated arrays, rendered to the text format (`prometheus_text.ts`) only when `/metrics` is
 * scraped. Nothing here allocates per request once a route's series exists.
 *
 * Families (all prefixed `mlflow_edge_`):
 * - `requests_total{model,protocol,status}` counter: every prediction request once, errors
 *   included (400, 401, 404, 405, 413, 415, 503, 504, …);
 * - `request_duration_seconds{model,protocol}` histogram: the whole request, as the server sees it;
 * - `inference_duration_seconds{model}` histogram: `session.run` only, successful runs;
 * - `requests_in_flight` gauge;
 * - `model_loaded{model}` gauge 1/0, `model_bundle_bytes{model}`, `model_load_duration_seconds{model}`
 *   (the last load) and `model_loads_total{model,result}`;
 * - `wasm_core_memory_bytes` (the enforcement core's linear memory; wasm memory never shrinks, so
 *   the core is replaced when a request leaves it above its cap);
 * - `process_resident_memory_bytes`, `process_heap_used_bytes`, `process_heap_total_bytes`,
 *   `process_external_memory_bytes` where the runtime has `Deno.memoryUsage()` or
 *   `process.memoryUsage()` (Deno, Bun, Node; absent on Cloudflare Workers);
 * - `start_time_seconds`.
 *
 * Buckets run from 50 µs to 10 s ({@linkcode DURATION_BUCKETS}): one-row inference on a small
 * model takes tens of microseconds, a large batch seconds.
 *
 * `model` is always the name of a configured model ("default" for `/invocations`), or `""` when
 * a request names a model the server does not serve: label values never come from an unbounded
 * client-chosen set. On Cloudflare Workers every isolate keeps its own numbers; `/metrics`
 * answers with those of the isolate that received the scrape.
 *
 * @example
 * ```ts
 * import { ServerMetrics } from "./metrics.ts";
 * const metrics = new ServerMetrics();
 * const route = metrics.route("iris", "mlflow");
 * metrics.request(route, 200, 0.0004);
 * metrics.inference("iris", 0.00005);
 * console.log(metrics.render([{ name: "iris", state: "ready", sizeBytes: 1234 }]));
 * ```
 *
 * @module
 */
import { coreMemoryBytes } from "../enforce/mod.ts";
import { PrometheusText } from "./prometheus_text.ts";

/**
 * Histogram bucket upper bounds in seconds, 50 µs to 10 s.
 *
 * @example
 * ```ts
 * import { DURATION_BUCKETS } from "./metrics.ts";
 * DURATION_BUCKETS[0]; // 0.00005
 * DURATION_BUCKETS.at(-1); // 10
 * ```
 */
export const DURATION_BUCKETS: readonly number[] = [
  0.00005,
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/**
 * Per-bucket counts (not cumulative) and the sum of a histogram.
 *
 * @example
 * ```ts
 * import { Histogram } from "./metrics.ts";
 * const h = new Histogram();
 * h.observe(0.0003);
 * h.count; // 1
 * ```
 */
export class Histogram {
  /** `counts[i]`: observations in `(bounds[i-1], bounds[i]]`; the last slot is above 10 s. */
  readonly counts: Float64Array = new Float64Array(DURATION_BUCKETS.length + 1);
  /** The sum of all observations, in seconds. */
  sum = 0;

  /** Records one duration in seconds. */
  observe(seconds: number): void {
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
  }

  /** How many observations there are. */
  get count(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }
}

/**
 * The series of one (model, protocol) pair: status counts and the duration histogram. Get it
 * once per request with {@linkcode ServerMetrics.route}.
 *
 * @example
 * ```ts
 * import { ServerMetrics, type RouteSeries } from "./metrics.ts";
 * const route: RouteSeries = new ServerMetrics().route("default", "mlflow");
 * route.model; // "default"
 * ```
 */
export interface RouteSeries {
  /** The `model` label. */
  readonly model: string;
  /** The `protocol` label (`mlflow`, `v2`). */
  readonly protocol: string;
  /** Requests by HTTP status. */
  readonly statuses: Map<number, number>;
  /** Whole-request durations. */
  readonly duration: Histogram;
}

/**
 * What the renderer needs to know of a served model (a `ModelSlot` fits).
 *
 * @example
 * ```ts
 * import type { ModelGaugeSource } from "./metrics.ts";
 * const m: ModelGaugeSource = { name: "iris", state: "ready", sizeBytes: 1024 };
 * ```
 */
export interface ModelGaugeSource {
  /** The model's name. */
  readonly name: string;
  /** `ready` when loaded. */
  readonly state: string;
  /** Bytes of its loaded bundle (0 when not loaded). */
  readonly sizeBytes: number;
}

interface LoadRecord {
  seconds: number;
  ok: number;
  failed: number;
}

interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

/** `Deno.memoryUsage` or `process.memoryUsage`, whichever this runtime has (none on Workers). */
function memoryUsageReader(): (() => MemoryUsage) | undefined {
  const g = globalThis as {
    Deno?: { memoryUsage?: () => MemoryUsage };
    process?: { memoryUsage?: () => MemoryUsage };
  };
  if (typeof g.Deno?.memoryUsage === "function") return () => g.Deno!.memoryUsage!();
  if (typeof g.process?.memoryUsage === "function") return () => g.process!.memoryUsage!();
  return undefined;
}

/**
 * The counters, gauges and histograms of one server (one isolate on Workers).
 *
 * @example
 * ```ts
 * import { ServerMetrics } from "./metrics.ts";
 * const metrics = new ServerMetrics();
 * metrics.inFlight++;
 * metrics.request(metrics.route("default", "mlflow"), 400, 0.0002);
 * metrics.inFlight--;
 * ```
 */
export class ServerMetrics {
  /** Requests being answered right now. */
  inFlight = 0;
  /** `Date.now()` when the metrics were created (the server's start). */
  readonly startTime: number = Date.now();
  #routes = new Map<string, Map<string, RouteSeries>>();
  #inference = new Map<string, Histogram>();
  #loads = new Map<string, LoadRecord>();
  #memory = memoryUsageReader();

  /** The series of a (model, protocol) pair, created on first use. */
  route(model: string, protocol: string): RouteSeries {
    let byModel = this.#routes.get(protocol);
    if (!byModel) this.#routes.set(protocol, byModel = new Map());
    let series = byModel.get(model);
    if (!series) {
      series = { model, protocol, statuses: new Map(), duration: new Histogram() };
      byModel.set(model, series);
    }
    return series;
  }

  /** Counts one finished request of a route with its status and whole duration in seconds. */
  request(route: RouteSeries, status: number, seconds: number): void {
    route.statuses.set(status, (route.statuses.get(status) ?? 0) + 1);
    route.duration.observe(seconds);
  }

  /** Records one `session.run` of a model, in seconds. */
  inference(model: string, seconds: number): void {
    let h = this.#inference.get(model);
    if (!h) this.#inference.set(model, h = new Histogram());
    h.observe(seconds);
  }

  /** Records a model load (or reload): its duration, and whether it succeeded. */
  modelLoad(model: string, seconds: number, ok: boolean): void {
    let r = this.#loads.get(model);
    if (!r) this.#loads.set(model, r = { seconds: 0, ok: 0, failed: 0 });
    if (ok) {
      r.ok++;
      r.seconds = seconds;
    } else r.failed++;
  }

  /** The exposition text: what is counted, plus gauges read now from `models` and the runtime. */
  render(models: readonly ModelGaugeSource[]): string {
    const out = new PrometheusText();
    out.family(
      "mlflow_edge_requests_total",
      "counter",
      "Prediction requests answered, by model, protocol and HTTP status.",
    );
    const routes = [...this.#routes.values()].flatMap((m) => [...m.values()]);
    for (const r of routes) {
      for (const [status, n] of [...r.statuses].sort((a, b) => a[0] - b[0])) {
        out.sample(
          "mlflow_edge_requests_total",
          { model: r.model, protocol: r.protocol, status },
          n,
        );
      }
    }
    out.family(
      "mlflow_edge_request_duration_seconds",
      "histogram",
      "Whole prediction request duration in seconds, by model and protocol.",
    );
    for (const r of routes) {
      out.histogram(
        "mlflow_edge_request_duration_seconds",
        { model: r.model, protocol: r.protocol },
        DURATION_BUCKETS,
        r.duration.counts,
        r.duration.sum,
      );
    }
    out.family(
      "mlflow_edge_inference_duration_seconds",
      "histogram",
      "ONNX session run duration in seconds (successful runs), by model.",
    );
    for (const [model, h] of this.#inference) {
      out.histogram(
        "mlflow_edge_inference_duration_seconds",
        { model },
        DURATION_BUCKETS,
        h.counts,
        h.sum,
      );
    }
    out.family("mlflow_edge_requests_in_flight", "gauge", "Requests being answered.");
    out.sample("mlflow_edge_requests_in_flight", undefined, this.inFlight);

    out.family(
      "mlflow_edge_model_loaded",
      "gauge",
      "1 when the model is loaded and ready, else 0.",
    );
    for (const m of models) {
      out.sample("mlflow_edge_model_loaded", { model: m.name }, m.state === "ready" ? 1 : 0);
    }
    out.family(
      "mlflow_edge_model_bundle_bytes",
      "gauge",
      "Bytes of the loaded bundle's files (0 when not loaded).",
    );
    for (const m of models) {
      out.sample("mlflow_edge_model_bundle_bytes", { model: m.name }, m.sizeBytes);
    }
    out.family(
      "mlflow_edge_model_load_duration_seconds",
      "gauge",
      "Duration of the model's last successful load (fetch, session, signature, self-check).",
    );
    for (const [model, r] of this.#loads) {
      if (r.ok > 0) out.sample("mlflow_edge_model_load_duration_seconds", { model }, r.seconds);
    }
    out.family("mlflow_edge_model_loads_total", "counter", "Model loads and reloads, by result.");
    for (const [model, r] of this.#loads) {
      out.sample("mlflow_edge_model_loads_total", { model, result: "ok" }, r.ok);
      out.sample("mlflow_edge_model_loads_total", { model, result: "error" }, r.failed);
    }

    // 0 before the core is instantiated (it is replaced when a request left it over its cap).
    const wasm = coreMemoryBytes();
    if (wasm > 0) {
      out.family(
        "mlflow_edge_wasm_core_memory_bytes",
        "gauge",
        "Linear memory of the signature enforcement core (replaced when a request leaves it over its cap).",
      );
      out.sample("mlflow_edge_wasm_core_memory_bytes", undefined, wasm);
    }
    const mem = this.#memory?.();
    if (mem) {
      const gauges: [string, string, number][] = [
        ["resident_memory_bytes", "Resident set size of the process.", mem.rss],
        ["heap_used_bytes", "JavaScript heap in use.", mem.heapUsed],
        ["heap_total_bytes", "JavaScript heap reserved.", mem.heapTotal],
        [
          "external_memory_bytes",
          "Memory outside the JavaScript heap held by JS objects (array buffers, wasm).",
          mem.external,
        ],
      ];
      for (const [name, help, value] of gauges) {
        out.family(`mlflow_edge_process_${name}`, "gauge", help);
        out.sample(`mlflow_edge_process_${name}`, undefined, value);
      }
    }
    out.family("mlflow_edge_start_time_seconds", "gauge", "When the server started, Unix seconds.");
    out.sample("mlflow_edge_start_time_seconds", undefined, this.startTime / 1000);
    return out.toString();
  }
}
