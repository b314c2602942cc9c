/**
 * The access log: one JSON object per line for every request, and for every model load, reload,
 * unload and eviction, written to a line sink (the app's logger; the CLI's writes to stderr).
 *
 * A request line:
 * ```json
 * {"time":"2026-12-02T13:00:00.000Z","request_id":"…","method":"POST","path":"/invocations","model":"default","protocol":"mlflow","status":200,"bytes_in":131,"bytes_out":102,"parse_ms":0.012,"infer_ms":0.041,"serialize_ms":0.006,"total_ms":0.195}
 * ```
 * `model` and `protocol` are `null` on routes that are not predictions (`/ping`, `/metrics`, …);
 * the stage times are `null` when the request did not reach them; `error_code` is added to
 * refused requests. An event line:
 * ```json
 * {"time":"…","event":"model_load","model":"iris","uri":"s3://models/iris","ms":412.5,"bytes":10240}
 * ```
 *
 * @example
 * ```ts
 * import { AccessLog } from "./access_log.ts";
 * const log = new AccessLog((line) => console.error(line));
 * log.event("model_evict", { model: "mnist", bytes: 26000 });
 * ```
 *
 * @module
 */

/**
 * The fields of one request line (what `observe.ts` collects).
 *
 * @example
 * ```ts
 * import type { AccessRecord } from "./access_log.ts";
 * const r: AccessRecord = {
 *   requestId: "abc", method: "POST", path: "/invocations", model: "default", protocol: "mlflow",
 *   status: 200, bytesIn: 10, bytesOut: 20, timings: undefined, totalMs: 0.3, errorCode: undefined,
 * };
 * ```
 */
export interface AccessRecord {
  requestId: string;
  method: string;
  path: string;
  /** The `model` label; `""` on prediction routes naming an unknown model, undefined elsewhere. */
  model: string | undefined;
  protocol: string | undefined;
  status: number;
  bytesIn: number | undefined;
  bytesOut: number | undefined;
  /** Stage milliseconds, when the request reached the model. */
  timings: { parse: number; infer: number; serialize: number } | undefined;
  totalMs: number;
  errorCode: string | undefined;
}

const ms = (n: number) => Math.round(n * 1000) / 1000;
const orNull = (n: number | undefined) => (n === undefined ? "null" : String(n));
const str = (s: string | undefined) => (s === undefined ? "null" : JSON.stringify(s));

/**
 * Writes access-log lines to a sink.
 *
 * @example
 * ```ts
 * import { AccessLog } from "./access_log.ts";
 * const lines: string[] = [];
 * const log = new AccessLog((line) => lines.push(line));
 * log.event("model_load", { model: "iris", ms: 310.2 });
 * JSON.parse(lines[0]).event; // "model_load"
 * ```
 */
export class AccessLog {
  readonly #sink: (line: string) => void;

  /** @param sink Receives one JSON line (without the line feed) per request or event. */
  constructor(sink: (line: string) => void) {
    this.#sink = sink;
  }

  /** Logs one answered request. */
  request(r: AccessRecord): void {
    const t = r.timings;
    // Built by hand: the request path pays for this line, and only the strings need escaping.
    this.#sink(
      `{"time":"${new Date().toISOString()}","request_id":${str(r.requestId)},"method":${
        str(r.method)
      },"path":${str(r.path)},"model":${str(r.model)},"protocol":${
        str(r.protocol)
      },"status":${r.status},"bytes_in":${orNull(r.bytesIn)},"bytes_out":${
        orNull(r.bytesOut)
      },"parse_ms":${t ? ms(t.parse) : "null"},"infer_ms":${
        t ? ms(t.infer) : "null"
      },"serialize_ms":${t ? ms(t.serialize) : "null"},"total_ms":${ms(r.totalMs)}${
        r.errorCode === undefined ? "" : `,"error_code":${str(r.errorCode)}`
      }}`,
    );
  }

  /** Logs a model event (`model_load`, `model_load_failed`, `model_reload`, `model_unload`, `model_evict`). */
  event(event: string, fields: Record<string, string | number | undefined>): void {
    this.#sink(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
  }
}
