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
 * {"time":"…","event":"model_load","model":"iris","uri":"s3://models/iris","ms":412.5,"bytes":10240,"stages":{"backend":0.2,"fetch":35.1,"mlmodel":4.2,"session":310.4,"signature":2.1,"self_check":3.3}}
 * ```
 * (`stages`: milliseconds per stage of the load, see `LoadTimings`.)
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
  /** The request id (`X-Request-Id`). */
  requestId: string;
  /** The HTTP method. */
  method: string;
  /** The URL path. */
  path: string;
  /** The `model` label; `""` on prediction routes naming an unknown model, undefined elsewhere. */
  model: string | undefined;
  /** `mlflow` or `v2` on prediction routes, undefined elsewhere. */
  protocol: string | undefined;
  /** The HTTP status answered. */
  status: number;
  /** Request body bytes (read, or as declared). */
  bytesIn: number | undefined;
  /** Response body bytes, when known. */
  bytesOut: number | undefined;
  /** Stage milliseconds, when the request reached the model. */
  timings: { parse: number; infer: number; serialize: number } | undefined;
  /** Milliseconds from arrival to the answer. */
  totalMs: number;
  /** The refusal's error code. */
  errorCode: string | undefined;
}

/**
 * Milliseconds with three decimals, e.g. `0.012`: built from integer microseconds, because a
 * double's shortest form costs about 280 ns and `toFixed` 540 ns, four times per line.
 */
function ms(n: number): string {
  const us = Math.round(n * 1000);
  const whole = Math.floor(us / 1000);
  const frac = us - whole * 1000;
  return `${whole}.${frac < 10 ? "00" : frac < 100 ? "0" : ""}${frac}`;
}

let second = -1;
let secondText = "";

/**
 * `new Date().toISOString()` without building a Date per line (that costs about 1 µs, a third of
 * the line): the text up to the second is cached.
 */
function isoNow(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    secondText = new Date(s * 1000).toISOString().slice(0, 19);
  }
  const milli = now - s * 1000;
  return `${secondText}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}
const orNull = (n: number | undefined) => (n === undefined ? "null" : String(n));

/**
 * The UTF-8 byte length of a string without encoding it (the response body stays a string, which
 * the runtime writes out without a copy in JavaScript).
 *
 * @example
 * ```ts
 * import { utf8Length } from "./access_log.ts";
 * utf8Length("né"); // 3
 * ```
 */
export function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair: 4 bytes for 2 UTF-16 units.
      n += 2;
      i++;
    } else n += 2; // the rest of the BMP, and a lone surrogate (written as U+FFFD)
  }
  return n;
}

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

  /**
   * Creates the log.
   *
   * @param sink Receives one JSON line (without the line feed) per request or event.
   */
  constructor(sink: (line: string) => void) {
    this.#sink = sink;
  }

  /** Logs one answered request. */
  request(r: AccessRecord): void {
    const t = r.timings;
    // Built by hand: the request path pays for this line. The request id (sane or a UUID), the
    // model name (the served names' charset), the protocol and the method (an HTTP token) need no
    // escaping; the path goes through JSON.stringify.
    this.#sink(
      `{"time":"${isoNow()}","request_id":"${r.requestId}","method":"${r.method}","path":${
        JSON.stringify(r.path)
      },"model":${r.model === undefined ? "null" : `"${r.model}"`},"protocol":${
        r.protocol === undefined ? "null" : `"${r.protocol}"`
      },"status":${r.status},"bytes_in":${orNull(r.bytesIn)},"bytes_out":${
        orNull(r.bytesOut)
      },"parse_ms":${t ? ms(t.parse) : "null"},"infer_ms":${
        t ? ms(t.infer) : "null"
      },"serialize_ms":${t ? ms(t.serialize) : "null"},"total_ms":${ms(r.totalMs)}${
        r.errorCode === undefined ? "" : `,"error_code":"${r.errorCode}"`
      }}`,
    );
  }

  /** Logs a model event (`model_load`, `model_load_failed`, `model_reload`, `model_unload`, `model_evict`). */
  event(
    event: string,
    fields: Record<string, string | number | Record<string, number> | undefined>,
  ): void {
    this.#sink(JSON.stringify({ time: isoNow(), event, ...fields }));
  }
}
