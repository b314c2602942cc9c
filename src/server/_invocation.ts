// The `/invocations` request path as one handler: deadline, body limit, body read, prediction,
// `Server-Timing`. It does what a chain of Hono middleware (timing, deadline, body-limit) did,
// without a middleware layer, a Map of timers or a regex per metric on every request.
import { MlflowError } from "../errors.ts";
import { DeadlineQueue } from "./_deadlines.ts";
import type { InflightLease, InflightLimiter } from "./inflight.ts";
import { DEADLINE_MESSAGE, errorResponse } from "./_responses.ts";
import { utf8Length } from "./access_log.ts";
import type { InvocationSignal, InvocationStage, StageTimings } from "../model/mod.ts";
import type { ModelSlot } from "./model_slot.ts";
import { type Exchange, exchangeOf } from "./observe.ts";
import { REQUEST_ID_HEADER } from "./request_id.ts";

/** What an invocation handler needs from the server's options. */
export interface InvocationOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  log: (message: string) => void;
  /** The bound on requests and body bytes in flight (none when absent). */
  limiter?: InflightLimiter;
  /** Answers a request whose body was read (default: MLflow's `/invocations`). */
  answer?: (
    slot: ModelSlot,
    body: Uint8Array,
    req: Request,
    signal: InvocationSignal,
  ) => Promise<Answer>;
  /**
   * Renders an error, the deadline's 504 included, with the request's id (default: MLflow's
   * JSON shape with `request_id`).
   */
  renderError?: (err: unknown, requestId?: string) => Response;
  /**
   * Headers every response of this handler carries (the secure headers, when no middleware
   * adds them), put among the answer's own headers when it is created.
   */
  responseHeaders?: Readonly<Record<string, string>>;
}

/** A successful answer: its body, its headers besides Server-Timing, its stage timings. */
export interface Answer {
  body: string | Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
  timings: StageTimings;
}

/** Answers one `/invocations` request for the slot `resolve` names (it may throw). */
export type InvocationHandler = (req: Request, resolve: () => ModelSlot) => Promise<Response>;

const TOTAL = ';desc="total"';
const JSON_ANSWER = { "Content-Type": "application/json" };

/** `Server-Timing`'s `total` entry (one decimal, as before). */
function total(start: number): string {
  return `total;dur=${(performance.now() - start).toFixed(1)}${TOTAL}`;
}

function withTotal(
  res: Response,
  start: number,
  extra: Readonly<Record<string, string>> | undefined,
): Response {
  const headers = res.headers;
  headers.append("Server-Timing", total(start));
  if (extra) { for (const name in extra) headers.set(name, extra[name]); }
  return res;
}

/**
 * Creates the handler. Every request gets the same time limit; on expiry it is answered 504 at
 * once and its work, which checks the deadline before inference, is discarded.
 */
export function invocationHandler(options: InvocationOptions): InvocationHandler {
  const queue = new DeadlineQueue(options.timeoutMs);
  const { maxBodyBytes, log, limiter, answer, responseHeaders } = options;
  const extra = Object.entries(responseHeaders ?? {});
  const render = options.renderError ??
    ((err: unknown, requestId?: string) => errorResponse(err, log, requestId));
  const tooLarge = () =>
    new MlflowError(
      `The request body is larger than the limit of ${maxBodyBytes} bytes.`,
      "BAD_REQUEST",
      413,
    );

  /** A body without a usable Content-Length, read chunk by chunk up to the limit. */
  const readStream = async (
    stream: ReadableStream<Uint8Array>,
    lease: InflightLease | undefined,
  ): Promise<Uint8Array> => {
    let size = 0;
    let buffer = new Uint8Array(0);
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const offset = size;
      size += value.length;
      if (size > maxBodyBytes) {
        reader.cancel().catch(() => {});
        throw tooLarge();
      }
      try {
        lease?.grow(value.length);
      } catch (err) {
        reader.cancel().catch(() => {});
        throw err;
      }
      if (size > buffer.length) {
        const grown = new Uint8Array(Math.min(maxBodyBytes, Math.max(size, buffer.length * 2)));
        grown.set(buffer.subarray(0, offset));
        buffer = grown;
      }
      buffer.set(value, offset);
    }
    return buffer.subarray(0, size);
  };

  const unreadable = (err: unknown) =>
    // The client went away or sent less than its Content-Length.
    new MlflowError(
      `The request body could not be read: ${(err as Error)?.message ?? err}`,
      "BAD_REQUEST",
    );

  const work = async (
    req: Request,
    resolve: () => ModelSlot,
    signal: InvocationSignal,
    start: number,
    x: Exchange | undefined,
  ): Promise<Response> => {
    let lease: InflightLease | undefined;
    // Only a traced request's body read is timed.
    const t0 = x?.trace ? performance.now() : 0;
    let read = false;
    try {
      const headers = req.headers;
      const length = headers.get("content-length");
      const declared = length !== null && !headers.has("transfer-encoding");
      let body: Uint8Array | undefined;
      if (declared) {
        // Refused by its declared length before anything is read.
        const size = parseInt(length, 10);
        if (size > maxBodyBytes) throw tooLarge();
        lease = limiter?.acquire(size > 0 ? size : 0);
      } else if (req.body) {
        lease = limiter?.acquire(0);
        try {
          body = await readStream(req.body, lease);
        } catch (err) {
          throw err instanceof MlflowError ? err : unreadable(err);
        }
      } else lease = limiter?.acquire(0);
      const slot = resolve();
      if (body === undefined) {
        try {
          body = new Uint8Array(await req.arrayBuffer());
        } catch (err) {
          throw unreadable(err);
        }
      }
      read = true;
      if (x) {
        x.bytesIn = body.length;
        x.trace?.stage("mlflow_edge.read_body", t0, performance.now(), {
          "mlflow_edge.body_bytes": body.length,
        });
        x.trace?.span.setAttribute("mlflow_edge.body_bytes", body.length);
      }
      let a: Answer;
      if (answer) a = await answer(slot, body, req, signal);
      else {
        const r = await slot.invoke(body, headers.get("content-type") ?? "", signal);
        a = { body: r.text, headers: JSON_ANSWER, timings: r.timings };
      }
      const t = a.timings;
      if (x) x.timings = t;
      if (x?.wantBytes) {
        x.bytesOut = typeof a.body === "string" ? utf8Length(a.body) : a.body.length;
      }
      // Created with its content type alone (Deno's cheapest Response), the rest appended: a
      // longer init, or setting headers one by one, costs Deno.serve more per response.
      const res = new Response(a.body, { status: 200, headers: a.headers });
      const out = res.headers;
      out.append(
        "Server-Timing",
        `parse;dur=${t.parse.toFixed(3)};desc="parse+validate",infer;dur=${
          t.infer.toFixed(3)
        },serialize;dur=${t.serialize.toFixed(3)},${total(start)}`,
      );
      for (let i = 0; i < extra.length; i++) out.append(extra[i][0], extra[i][1]);
      if (x) {
        // The request wrapper would set the id on it afterwards: append it here instead.
        out.append(REQUEST_ID_HEADER, x.id);
        x.tagged = res;
      }
      return res;
    } catch (err) {
      if (x) {
        x.errorCode = err instanceof MlflowError ? err.errorCode : "INTERNAL_ERROR";
        if (!read) x.trace?.stage("mlflow_edge.read_body", t0, performance.now(), {}, err);
      }
      return withTotal(render(err, x?.id), start, responseHeaders);
    } finally {
      lease?.release();
    }
  };

  return (req, resolve) => {
    const x = exchangeOf(req);
    // The request's arrival as the wrapper saw it (one clock read for the whole request path).
    const start = x ? x.start : performance.now();
    const trace = x?.trace;
    const signal: { aborted: boolean; reason: unknown } & InvocationSignal = {
      aborted: false,
      reason: undefined,
      onStage: trace
        ? (stage: InvocationStage, s: number, e: number, rows?: number, error?: unknown) => {
          const attributes = rows === undefined ? {} : { "mlflow_edge.rows": rows };
          if (rows !== undefined) trace.span.setAttribute("mlflow_edge.rows", rows);
          trace.stage(`mlflow_edge.${stage}`, s, e, attributes, error);
        }
        : undefined,
    };
    return new Promise<Response>((done) => {
      const entry = queue.add(() => {
        const err = new MlflowError(DEADLINE_MESSAGE, "DEADLINE_EXCEEDED", 504);
        // The abandoned request checks this before inference; its late result is discarded.
        signal.aborted = true;
        signal.reason = err;
        if (x) x.errorCode = err.errorCode;
        done(withTotal(render(err, x?.id), start, responseHeaders));
      }, start);
      work(req, resolve, signal, start, x).then((res) => {
        if (entry.finish()) done(res);
      });
    });
  };
}
