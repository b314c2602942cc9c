/**
 * A writer for the Prometheus text exposition format, version 0.0.4: `# HELP` / `# TYPE` lines,
 * escaped label values, counters, gauges and histograms (cumulative `_bucket{le=…}` series, `+Inf`
 * equal to `_count`, and `_sum`).
 *
 * Written here rather than taken from npm: `prom-client` (and `@hono/prometheus`, which wraps it)
 * depends on Node's `cluster`, `v8` and `perf_hooks` modules and keeps a labelled registry that
 * hashes label sets on every observation; it does not run on Cloudflare Workers. The format is a
 * few lines of text per series, and this writer only renders numbers the server already counts
 * (see `metrics.ts`), so recording stays a few array increments and rendering happens on scrape.
 *
 * @example
 * ```ts
 * import { PrometheusText } from "./prometheus_text.ts";
 * const out = new PrometheusText();
 * out.family("jobs_total", "counter", "Jobs done.");
 * out.sample("jobs_total", { queue: "a" }, 3);
 * console.log(out.toString());
 * // # HELP jobs_total Jobs done.
 * // # TYPE jobs_total counter
 * // jobs_total{queue="a"} 3
 * ```
 *
 * @module
 */

/**
 * The `Content-Type` of the text format, version 0.0.4.
 *
 * @example
 * ```ts
 * import { PROMETHEUS_CONTENT_TYPE } from "./prometheus_text.ts";
 * new Response("", { headers: { "Content-Type": PROMETHEUS_CONTENT_TYPE } });
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Label names and values of one series.
 *
 * @example
 * ```ts
 * import type { Labels } from "./prometheus_text.ts";
 * const labels: Labels = { model: "iris", status: 200 };
 * ```
 */
export type Labels = Record<string, string | number>;

/**
 * A metric type of the text format.
 *
 * @example
 * ```ts
 * import type { MetricType } from "./prometheus_text.ts";
 * const type: MetricType = "histogram";
 * ```
 */
export type MetricType = "counter" | "gauge" | "histogram";

/**
 * A number as the text format writes it: `+Inf`, `-Inf`, `NaN`, else JavaScript's shortest
 * round-trip form (which Prometheus' Go parser reads back exactly).
 *
 * @example
 * ```ts
 * import { formatValue } from "./prometheus_text.ts";
 * formatValue(Infinity); // "+Inf"
 * formatValue(0.00025); // "0.00025"
 * ```
 */
export function formatValue(n: number): string {
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return Number.isNaN(n) ? "NaN" : String(n);
}

/**
 * A label value escaped as the format requires: backslash, double quote and line feed.
 *
 * @example
 * ```ts
 * import { escapeLabelValue } from "./prometheus_text.ts";
 * escapeLabelValue('a"b\\c'); // 'a\\"b\\\\c'
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

function labelText(labels: Labels | undefined, extra?: string): string {
  const parts: string[] = [];
  if (labels) {
    for (const [k, v] of Object.entries(labels)) {
      parts.push(`${k}="${escapeLabelValue(String(v))}"`);
    }
  }
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/**
 * Builds one exposition: declare a family, then write its samples.
 *
 * @example
 * ```ts
 * import { PrometheusText } from "./prometheus_text.ts";
 * const out = new PrometheusText();
 * out.family("latency_seconds", "histogram", "Request latency.");
 * out.histogram("latency_seconds", { route: "/x" }, [0.1, 1], [2, 1, 0], 0.7);
 * out.toString().includes('latency_seconds_bucket{route="/x",le="+Inf"} 3'); // true
 * ```
 */
export class PrometheusText {
  #lines: string[] = [];

  /** Declares a metric family (`# HELP` and `# TYPE`); write its samples right after. */
  family(name: string, type: MetricType, help: string): this {
    const escaped = help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
    this.#lines.push(`# HELP ${name} ${escaped}`, `# TYPE ${name} ${type}`);
    return this;
  }

  /** One counter or gauge sample. */
  sample(name: string, labels: Labels | undefined, value: number): this {
    this.#lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
    return this;
  }

  /**
   * One histogram series from per-bucket counts: `counts[i]` observations fell in
   * `(bounds[i-1], bounds[i]]`, and `counts[bounds.length]` above the last bound. Written
   * cumulatively, ending with `le="+Inf"`, then `_sum` and `_count`.
   */
  histogram(
    name: string,
    labels: Labels | undefined,
    bounds: readonly number[],
    counts: ArrayLike<number>,
    sum: number,
  ): this {
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += counts[i];
      this.#lines.push(
        `${name}_bucket${labelText(labels, `le="${formatValue(bounds[i])}"`)} ${cumulative}`,
      );
    }
    cumulative += counts[bounds.length];
    this.#lines.push(`${name}_bucket${labelText(labels, 'le="+Inf"')} ${cumulative}`);
    this.#lines.push(`${name}_sum${labelText(labels)} ${formatValue(sum)}`);
    this.#lines.push(`${name}_count${labelText(labels)} ${cumulative}`);
    return this;
  }

  /** The exposition text (ends with a line feed, as the format requires). */
  toString(): string {
    return this.#lines.length ? `${this.#lines.join("\n")}\n` : "";
  }
}
