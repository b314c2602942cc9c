// The download pipeline every store's requests go through: per-attempt timeout, retries with
// exponential backoff on 5xx and network errors, bounded body reads with truncation checks,
// and no redirects.
import { MlflowError } from "../errors.ts";
import { describeCause, httpStatusError, isRetryable, q, retryableError } from "./_errors.ts";
import type { ObjectBody } from "./types.ts";

export interface Pipeline {
  fetch: typeof fetch;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  /** Aborted when the bundle download as a whole fails. */
  signal: AbortSignal;
}

/** The caller's knobs of a {@linkcode Pipeline}; an unset or invalid one takes its default. */
export interface PipelineOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
  retries?: number;
  retryDelayMs?: number;
}

/**
 * The pipeline for a caller's `options` over its `defaults`, cancelled by `signal`.
 *
 * @example
 * ```ts
 * import { pipeline } from "./_pipeline.ts";
 * const defaults = { timeoutMs: 60_000, retries: 3, retryDelayMs: 250 };
 * pipeline({ retries: -1 }, defaults, new AbortController().signal).retries; // 0
 * ```
 */
export function pipeline(
  options: PipelineOptions,
  defaults: Required<Omit<PipelineOptions, "fetch">>,
  signal: AbortSignal,
): Pipeline {
  return {
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    timeoutMs: positive(options.timeoutMs, defaults.timeoutMs),
    retries: Math.max(0, Math.floor(options.retries ?? defaults.retries)),
    retryDelayMs: Math.max(0, options.retryDelayMs ?? defaults.retryDelayMs),
    signal,
  };
}

/**
 * `v` when it is a finite number above zero, else `fallback`.
 *
 * @example
 * ```ts
 * import { positive } from "./_pipeline.ts";
 * positive(Number.NaN, 6); // 6
 * ```
 */
export function positive(v: number | undefined, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : fallback;
}

/** Run `fn` with a fresh per-attempt timeout signal, retrying retryable failures. */
export async function withRetries<T>(
  p: Pipeline,
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  for (let attempt = 0;; attempt++) {
    const timeout = AbortSignal.timeout(p.timeoutMs);
    const signal = AbortSignal.any([p.signal, timeout]);
    try {
      return await fn(signal);
    } catch (err) {
      if (p.signal.aborted) throw p.signal.reason ?? err;
      if (timeout.aborted) {
        throw new MlflowError(
          `${what} did not complete within ${p.timeoutMs} ms.`,
          "DEADLINE_EXCEEDED",
          undefined,
          { cause: err },
        );
      }
      const retryable = isRetryable(err) || !(err instanceof MlflowError);
      if (!retryable) throw err;
      if (attempt >= p.retries) {
        const attempts = `${attempt + 1} attempt${attempt === 0 ? "" : "s"}`;
        if (err instanceof MlflowError) {
          throw new MlflowError(
            `${err.message.replace(/\.$/, "")} (gave up after ${attempts}).`,
            err.errorCode,
            err.status,
          );
        }
        throw new MlflowError(
          `${what} failed: ${describeCause(err)} (gave up after ${attempts}).`,
          "TEMPORARILY_UNAVAILABLE",
        );
      }
      await sleep(backoff(p.retryDelayMs, attempt), p.signal);
    }
  }
}

function backoff(base: number, attempt: number): number {
  const ceiling = Math.min(base * 2 ** attempt, 10_000);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const id = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(id);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** One HTTP request; non-2xx answers become MlflowError (5xx and 429 retryable). */
export async function httpRequest(
  p: Pipeline,
  url: string | URL | Request,
  init: RequestInit & { signal: AbortSignal },
  what: string,
  accept: number[] = [],
): Promise<Response> {
  let res: Response;
  try {
    // Redirects are never followed: a hop to another host would bypass the allowlist of
    // registry locations and could carry the request's credentials there.
    res = await p.fetch(url, { ...init, redirect: "manual" });
  } catch (err) {
    if (init.signal.aborted) throw err;
    throw retryableError(`${what} failed: ${describeCause(err)}.`, "TEMPORARILY_UNAVAILABLE", err);
  }
  if (res.ok || accept.includes(res.status)) return res;
  if (res.type === "opaqueredirect" || (res.status >= 300 && res.status < 400)) {
    await res.body?.cancel().catch(() => {});
    const to = res.headers.get("location");
    throw new MlflowError(
      `${what} answered a redirect (HTTP ${res.status}${
        to ? ` to ${q(to)}` : ""
      }), which is not followed: give the final location of the bundle instead.`,
      "PERMISSION_DENIED",
    );
  }
  const detail = await errorDetail(res);
  throw httpStatusError(res.status, what, detail?.text, detail?.code);
}

/** A short, credential-free summary of an error body: MLflow's error_code/message or S3's Code. */
async function errorDetail(res: Response): Promise<{ text: string; code?: string } | undefined> {
  let text: string;
  try {
    text = (await res.text()).slice(0, 4096);
  } catch {
    return undefined;
  }
  try {
    const body = JSON.parse(text);
    if (body && typeof body === "object" && typeof body.error_code === "string") {
      const msg = typeof body.message === "string"
        ? ` ${body.message.replace(/\s+/g, " ").slice(0, 300)}`
        : "";
      return { text: `${body.error_code}${msg}`, code: body.error_code };
    }
  } catch {
    // not JSON
  }
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
  return code === undefined ? undefined : { text: code };
}

/**
 * Read an object body completely: checks the length against the expected size (truncation),
 * and calls `take(n)` for every chunk, which throws when the bundle's size cap is passed.
 * A body whose expected size is at most `preallocate` bytes is written straight into one
 * buffer of that size (no second copy of large weight files).
 */
export async function readBody(
  body: ObjectBody,
  what: string,
  take: (n: number) => void,
  signal: AbortSignal,
  preallocate = 0,
): Promise<Uint8Array> {
  const expected = body.size;
  if (!body.stream) {
    if (!body.bytes) return new Uint8Array();
    const bytes = await body.bytes();
    take(bytes.length);
    checkLength(bytes.length, expected, what);
    return bytes;
  }
  const known = expected !== undefined && expected > 0 && expected <= preallocate;
  // A byte stream (fetch and R2 bodies in Deno and workerd) fills the one buffer itself: no
  // chunk arrays left for a garbage collection (a 20 MB model in a Worker held ~20 MB more).
  const byob = known ? byobReader(body.stream) : undefined;
  if (byob) return await readInto(byob, expected!, what, take, signal);
  const reader = body.stream.getReader();
  const chunks: Uint8Array[] = [];
  const whole = known ? new Uint8Array(expected!) : undefined;
  let received = 0;
  // Streams that do not follow the request's signal (an R2 binding's) are cancelled on abort.
  const onAbort = () => reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (signal.aborted) throw err;
        throw retryableError(
          `${what} was cut off after ${received}${
            expected === undefined ? "" : ` of ${expected}`
          } bytes (${describeCause(err)}).`,
          "DATA_LOSS",
          err,
        );
      }
      if (chunk.done) break;
      take(chunk.value.length);
      if (whole) {
        if (received + chunk.value.length > whole.length) {
          throw retryableError(
            `${what} sent more than the ${whole.length} bytes it announced.`,
            "DATA_LOSS",
          );
        }
        whole.set(chunk.value, received);
      } else {
        chunks.push(chunk.value);
      }
      received += chunk.value.length;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  if (signal.aborted) throw signal.reason;
  checkLength(received, expected, what);
  if (whole) return whole;
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function byobReader(stream: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return stream.getReader({ mode: "byob" });
  } catch {
    return undefined; // not a byte stream: read its chunks
  }
}

/** Reads a byte stream of `size` announced bytes into one buffer of that size. */
async function readInto(
  reader: ReadableStreamBYOBReader,
  size: number,
  what: string,
  take: (n: number) => void,
  signal: AbortSignal,
): Promise<Uint8Array> {
  // Each read hands the buffer back (transferred) in the view it returns.
  let buffer = new ArrayBuffer(size);
  let received = 0;
  const onAbort = () => reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const full = received === size;
      // Past the announced size, a 1-byte probe tells the end from a body that sends more.
      const view = full ? new Uint8Array(1) : new Uint8Array(buffer, received, size - received);
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read(view);
      } catch (err) {
        if (signal.aborted) throw err;
        throw retryableError(
          `${what} was cut off after ${received} of ${size} bytes (${describeCause(err)}).`,
          "DATA_LOSS",
          err,
        );
      }
      if (chunk.done) break;
      const n = chunk.value.byteLength;
      if (full) {
        if (n === 0) continue;
        throw retryableError(`${what} sent more than the ${size} bytes it announced.`, "DATA_LOSS");
      }
      take(n);
      buffer = chunk.value.buffer as ArrayBuffer;
      received += n;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  if (signal.aborted) throw signal.reason;
  checkLength(received, size, what);
  return new Uint8Array(buffer, 0, size);
}

function checkLength(received: number, expected: number | undefined, what: string): void {
  if (expected !== undefined && received !== expected) {
    throw retryableError(
      `${what} was cut off: received ${received} of ${expected} bytes.`,
      "DATA_LOSS",
    );
  }
}

/** The expected body length of a response, unless a content coding changes it. */
export function responseLength(res: Response): number | undefined {
  const encoding = res.headers.get("content-encoding");
  if (encoding && encoding !== "identity") return undefined;
  const text = res.headers.get("content-length");
  if (text === null || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** An ObjectBody from a successful response. */
export function responseBody(res: Response): ObjectBody {
  return {
    size: responseLength(res),
    etag: res.headers.get("etag") ?? undefined,
    stream: res.body ?? undefined,
    bytes: res.body ? undefined : async () => new Uint8Array(await res.arrayBuffer()),
  };
}
