/**
 * Adaptive batching at the session level: runs that arrive while another run of the same
 * session is in flight wait, are concatenated along the batch axis into one `session.run`, and
 * the outputs are split back per caller. An idle session runs a request at once (no fixed
 * delay); a waiting group is sent when the run in flight ends, when it reaches `maxBatchSize`
 * requests, or when its oldest request has waited `maxBatchTimeMs`.
 *
 * Every caller gets what its run alone would give: requests whose feeds cannot be stacked with
 * the others (other names, types or trailing dimensions, no rows) run in their own group, and
 * when a batched run fails or returns outputs that are not batch-major, each request of the
 * batch runs again alone, so one bad request never fails the others.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import type { GraphValueInfo, OnnxSession, TensorData, TensorValues } from "./types.ts";

/**
 * How requests are grouped: opt-in with `maxBatchSize` > 1.
 *
 * @example
 * ```ts
 * import type { BatchingOptions } from "./batcher.ts";
 * const batching: BatchingOptions = { maxBatchSize: 32, maxBatchTimeMs: 2 };
 * ```
 */
export interface BatchingOptions {
  /** Most requests in one run (MLServer's `max_batch_size`); 1 or less turns batching off. */
  maxBatchSize: number;
  /**
   * Longest a request waits for the run in flight before its group is sent anyway, in
   * milliseconds (default {@linkcode DEFAULT_MAX_BATCH_TIME_MS}). An idle session never waits.
   */
  maxBatchTimeMs?: number;
}

/**
 * The default `maxBatchTimeMs`.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_BATCH_TIME_MS } from "./batcher.ts";
 * DEFAULT_MAX_BATCH_TIME_MS; // 5
 * ```
 */
export const DEFAULT_MAX_BATCH_TIME_MS = 5;

/**
 * Calls `fn` on the event loop's next turn, after pending I/O: `setImmediate` where the runtime
 * has it (Deno, Bun, Node; ~7 µs), else a message to self (~8 µs; `setTimeout(0)` waits ~1–4 ms).
 */
const nextTurn: (fn: () => void) => void = (() => {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === "function") {
    const immediate = g.setImmediate;
    return (fn) => void immediate(fn);
  }
  if (typeof MessageChannel === "function") {
    const waiting: (() => void)[] = [];
    let channel: MessageChannel | undefined;
    return (fn) => {
      if (!channel) {
        channel = new MessageChannel();
        channel.port1.onmessage = () => waiting.shift()?.();
        // Deno and Workers would otherwise keep the process or isolate alive for the port.
        (channel.port1 as { unref?: () => void }).unref?.();
      }
      waiting.push(fn);
      channel.port2.postMessage(0);
    };
  }
  return (fn) => void setTimeout(fn, 0);
})();

/** A dimension the graph leaves open: a symbolic name, or -1/unknown. */
function isFree(dim: number | string | undefined): boolean {
  return typeof dim === "string" || (typeof dim === "number" && dim < 0);
}

function describeShape(v: GraphValueInfo): string {
  return v.shape ? `shape [${v.shape.map((d) => (isFree(d) ? "?" : d)).join(", ")}]` : "no shape";
}

/**
 * Why a graph cannot be batched, or `undefined` when it can: every input and every tensor
 * output must be a tensor whose first dimension is free (the batch axis).
 *
 * @example
 * ```ts
 * import { whyNotBatchable } from "./batcher.ts";
 * whyNotBatchable(
 *   [{ name: "x", isTensor: true, type: "float32", shape: ["N", 4] }],
 *   [{ name: "y", isTensor: true, type: "float32", shape: ["N", 3] }],
 * ); // undefined
 * whyNotBatchable([{ name: "x", isTensor: true, type: "float32", shape: [1, 4] }], []);
 * // 'input "x" has shape [1, 4], …'
 * ```
 */
export function whyNotBatchable(
  inputs: readonly GraphValueInfo[],
  outputs: readonly GraphValueInfo[],
): string | undefined {
  for (const [kind, values] of [["input", inputs], ["output", outputs]] as const) {
    for (const v of values) {
      if (!v.isTensor) {
        if (kind === "input") return `input "${v.name}" is not a tensor`;
        continue; // non-tensor outputs are never fetched
      }
      if (!v.shape || v.shape.length === 0 || !isFree(v.shape[0])) {
        return `${kind} "${v.name}" has ${describeShape(v)}, ` +
          "without a free first (batch) dimension";
      }
    }
  }
  return undefined;
}

/**
 * What a batching session has done, for tests and metrics.
 *
 * @example
 * ```ts
 * import type { BatchStats } from "./batcher.ts";
 * const stats: BatchStats = { runs: 3, requests: 10, largestBatch: 8 };
 * ```
 */
export interface BatchStats {
  /** `session.run` calls made. */
  runs: number;
  /** Requests answered from a run (each counted once, even if it ran again alone). */
  requests: number;
  /** Most requests answered by one run. */
  largestBatch: number;
}

/**
 * A session whose concurrent runs are batched.
 *
 * @example
 * ```ts
 * import type { BatchingSession } from "./batcher.ts";
 * const count = (s: BatchingSession) => s.stats.largestBatch;
 * ```
 */
export interface BatchingSession extends OnnxSession {
  /** Counters since creation. */
  readonly stats: Readonly<BatchStats>;
}

interface Pending {
  feeds: Record<string, TensorData>;
  fetches: readonly string[];
  rows: number;
  resolve: (out: Record<string, TensorData>) => void;
  reject: (err: unknown) => void;
}

/** The batch rows of a request's feeds, or -1 when they cannot be stacked with others. */
function batchRows(feeds: Record<string, TensorData>): number {
  let rows = -1;
  for (const name in feeds) {
    const dims = feeds[name].dims;
    if (dims.length === 0 || (rows >= 0 && dims[0] !== rows)) return -1;
    rows = dims[0];
  }
  return rows > 0 ? rows : -1;
}

/** Requests with the same key can be stacked: same fetches, input names, types, inner dims. */
function stackKey(p: Pending): string {
  let key = p.fetches.join("\0");
  for (const name of Object.keys(p.feeds).sort()) {
    const t = p.feeds[name];
    key += `\u0001${name}\u0002${t.type}\u0002${t.dims.slice(1).join(",")}`;
  }
  return key;
}

function concat(parts: TensorData[], rows: number): TensorData {
  const first = parts[0];
  const dims = [rows, ...first.dims.slice(1)];
  if (Array.isArray(first.data)) {
    return { type: first.type, dims, data: parts.flatMap((p) => p.data as string[]) };
  }
  let length = 0;
  for (const p of parts) length += p.data.length;
  const data = new (first.data.constructor as new (n: number) => Exclude<TensorValues, string[]>)(
    length,
  );
  let at = 0;
  for (const p of parts) {
    // deno-lint-ignore no-explicit-any
    data.set(p.data as any, at);
    at += p.data.length;
  }
  return { type: first.type, dims, data };
}

/** The rows `[from, from + rows)` of a batch-major output. */
function sliceRows(t: TensorData, total: number, from: number, rows: number): TensorData {
  const per = t.data.length / total;
  const dims = [rows, ...t.dims.slice(1)];
  const data = Array.isArray(t.data)
    ? t.data.slice(from * per, (from + rows) * per)
    : t.data.subarray(from * per, (from + rows) * per);
  return { type: t.type, dims, data: data as TensorValues };
}

/**
 * Wraps `session` so concurrent runs are batched. Throws `MlflowError` when the graph has no
 * free batch dimension on every input and output, or the options are not positive numbers.
 *
 * @example
 * ```ts
 * import { batchingSession } from "./batcher.ts";
 * import { webBackend } from "./web_backend.ts";
 * const bytes = await Deno.readFile("examples/iris/model.onnx");
 * const weights = await Deno.readFile("examples/iris/7a352ddc-e9a0-11f1-9901-02fc00000001");
 * const session = batchingSession(
 *   await webBackend().createSession(bytes, [
 *     { path: "7a352ddc-e9a0-11f1-9901-02fc00000001", data: weights },
 *   ], {}),
 *   { maxBatchSize: 16 },
 * );
 * const one = { type: "float32" as const, dims: [1, 4], data: new Float32Array([5.1, 3.5, 1.4, 0.2]) };
 * // Started together: the first runs at once, the other two run as one batch after it.
 * const out = await Promise.all([1, 2, 3].map(() => session.run({ input: one }, ["probabilities"])));
 * out[2].probabilities.dims; // [1, 3]
 * ```
 */
export function batchingSession(
  session: OnnxSession,
  options: BatchingOptions,
): BatchingSession {
  const maxSize = options.maxBatchSize;
  const maxTime = options.maxBatchTimeMs ?? DEFAULT_MAX_BATCH_TIME_MS;
  if (
    !(maxSize >= 1) || !Number.isFinite(maxSize) || !(maxTime >= 0) || !Number.isFinite(maxTime)
  ) {
    throw new MlflowError(
      `Batching needs a positive max batch size and a non-negative max batch time; got ` +
        `${maxSize} and ${maxTime}.`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  const why = whyNotBatchable(session.inputs, session.outputs);
  if (why !== undefined) {
    throw new MlflowError(
      `This model cannot be batched: its ${why}. Adaptive batching stacks requests along the ` +
        "first dimension of every input and output; serve it without --max-batch-size.",
      "INVALID_PARAMETER_VALUE",
    );
  }

  const stats: BatchStats = { runs: 0, requests: 0, largestBatch: 0 };
  let inflight = 0;
  let queue: Pending[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const alone = (p: Pending, again = false) => {
    inflight++;
    stats.runs++;
    if (!again) {
      stats.requests++;
      if (stats.largestBatch === 0) stats.largestBatch = 1;
    }
    session.run(p.feeds, p.fetches).then(p.resolve, p.reject).finally(settled);
  };

  const runGroup = (group: Pending[]) => {
    if (group.length === 1) return alone(group[0]);
    let total = 0;
    for (const p of group) total += p.rows;
    const feeds: Record<string, TensorData> = {};
    for (const name in group[0].feeds) {
      feeds[name] = concat(group.map((p) => p.feeds[name]), total);
    }
    const fetches = group[0].fetches;
    inflight++;
    stats.runs++;
    stats.requests += group.length;
    stats.largestBatch = Math.max(stats.largestBatch, group.length);
    session.run(feeds, fetches).then(
      (out) => {
        for (const name of fetches) {
          const t = out[name];
          if (!t || t.dims.length === 0 || t.dims[0] !== total) {
            // Not batch-major after all: every request gets its own run's answer.
            for (const p of group) alone(p, true);
            return;
          }
        }
        let from = 0;
        for (const p of group) {
          const mine: Record<string, TensorData> = {};
          for (const name of fetches) mine[name] = sliceRows(out[name], total, from, p.rows);
          from += p.rows;
          p.resolve(mine);
        }
      },
      // One request's data may have failed the whole batch: run each alone for its own answer.
      () => {
        for (const p of group) alone(p, true);
      },
    ).finally(settled);
  };

  const dispatch = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    const waiting = queue;
    queue = [];
    const groups = new Map<string, Pending[]>();
    for (const p of waiting) {
      if (p.rows < 0) {
        alone(p);
        continue;
      }
      const key = stackKey(p);
      let group = groups.get(key);
      if (!group) groups.set(key, group = []);
      group.push(p);
      if (group.length === maxSize) {
        runGroup(group);
        groups.set(key, []);
      }
    }
    for (const group of groups.values()) if (group.length > 0) runGroup(group);
  };

  function finished() {
    inflight--;
    if (queue.length > 0) dispatch();
  }

  // A run of a single-threaded backend occupies the event loop and settles before the requests
  // that arrived meanwhile are read, so the run counts as in flight until the next turn of the
  // event loop: the requests read in that turn queue up behind it and go as one batch.
  function settled() {
    nextTurn(finished);
  }

  return {
    stats,
    inputs: session.inputs,
    outputs: session.outputs,
    run(feeds, fetches) {
      return new Promise((resolve, reject) => {
        const p: Pending = { feeds, fetches, rows: batchRows(feeds), resolve, reject };
        if (inflight === 0 && queue.length === 0) return alone(p);
        queue.push(p);
        if (queue.length >= maxSize) dispatch();
        else if (timer === undefined) timer = setTimeout(dispatch, maxTime);
      });
    },
    release() {
      if (timer !== undefined) clearTimeout(timer);
      return session.release();
    },
  };
}
