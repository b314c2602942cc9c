/**
 * A global bound on the prediction work in flight: how many requests, and how many request-body
 * bytes, the server holds at once. A body's bytes are reserved when its headers arrive (from
 * `Content-Length`) or as its chunks are read; a request past either bound is answered 503
 * `TEMPORARILY_UNAVAILABLE` with `Retry-After`, before its body is read. Each body costs a
 * multiple of its size while it is parsed, validated, run and serialised (a 15 MB CSV peaked at
 * 1.3 GB), so without this bound a few concurrent large bodies could exhaust the machine.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";

const IN_WORKERS = (globalThis as { navigator?: { userAgent?: string } }).navigator
  ?.userAgent === "Cloudflare-Workers";

/**
 * Default bound on concurrent prediction requests: 256 (64 in a Cloudflare Worker).
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_INFLIGHT_REQUESTS } from "./inflight.ts";
 * DEFAULT_MAX_INFLIGHT_REQUESTS; // 256 outside Workers
 * ```
 */
export const DEFAULT_MAX_INFLIGHT_REQUESTS = IN_WORKERS ? 64 : 256;

/**
 * Default bound on the request-body bytes of concurrent prediction requests: 64 MiB (16 MiB in a
 * Cloudflare Worker, whose isolate has 128 MB). An accepted body costs about 20 times its size
 * while it is validated, run and answered (16 concurrent 4.4 MB iris bodies peaked at 1.6 GB).
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_INFLIGHT_BYTES } from "./inflight.ts";
 * DEFAULT_MAX_INFLIGHT_BYTES; // 67108864 outside Workers
 * ```
 */
export const DEFAULT_MAX_INFLIGHT_BYTES = (IN_WORKERS ? 16 : 64) * 1024 * 1024;

/**
 * What one admitted request holds; give it back with `release()` when its work has finished.
 *
 * @example
 * ```ts
 * import { InflightLimiter } from "./inflight.ts";
 * const lease = new InflightLimiter({ maxRequests: 2, maxBytes: 100 }).acquire(10);
 * lease.grow(20); // a streamed body's chunk; throws past the byte bound
 * lease.release();
 * ```
 */
export interface InflightLease {
  /** Reserves `bytes` more (a chunk of a body without Content-Length); throws past the bound. */
  grow(bytes: number): void;
  /** Gives the request's reservation back (idempotent). */
  release(): void;
}

/**
 * Options of {@linkcode InflightLimiter}.
 *
 * @example
 * ```ts
 * import { InflightLimiter, type InflightOptions } from "./inflight.ts";
 * const options: InflightOptions = { maxRequests: 64, maxBytes: 64 << 20, retryAfterSeconds: 2 };
 * new InflightLimiter(options);
 * ```
 */
export interface InflightOptions {
  /** Most requests in flight (default {@linkcode DEFAULT_MAX_INFLIGHT_REQUESTS}). */
  maxRequests?: number;
  /** Most request-body bytes in flight (default {@linkcode DEFAULT_MAX_INFLIGHT_BYTES}). */
  maxBytes?: number;
  /** The `Retry-After` value of a refusal, in seconds (default 1). */
  retryAfterSeconds?: number;
}

/**
 * Counts requests and body bytes in flight and refuses what would pass either bound.
 *
 * @example
 * ```ts
 * import { InflightLimiter } from "./inflight.ts";
 * const limiter = new InflightLimiter({ maxRequests: 1, maxBytes: 1 << 20 });
 * const first = limiter.acquire(1000);
 * try {
 *   limiter.acquire(1000);
 * } catch (err) {
 *   console.log((err as Error).message); // "The server is at its limit of 1 request in flight; …"
 * }
 * first.release();
 * ```
 */
export class InflightLimiter {
  /** The bound on requests. */
  readonly maxRequests: number;
  /** The bound on body bytes. */
  readonly maxBytes: number;
  /** `Retry-After` of a refusal, in seconds. */
  readonly retryAfterSeconds: number;
  #requests = 0;
  #bytes = 0;

  /**
   * Creates a limiter with nothing in flight.
   *
   * @param options The bounds.
   */
  constructor(options: InflightOptions = {}) {
    this.maxRequests = options.maxRequests ?? DEFAULT_MAX_INFLIGHT_REQUESTS;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_INFLIGHT_BYTES;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }

  /** Requests in flight. */
  get requests(): number {
    return this.#requests;
  }

  /** Body bytes in flight. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Admits one request declaring `bytes` of body (0 when unknown); throws the 503
   * {@linkcode InflightLimitError} when either bound would be passed.
   */
  acquire(bytes: number): InflightLease {
    if (this.#requests + 1 > this.maxRequests) {
      throw this.#refusal(
        `${this.maxRequests} request${this.maxRequests === 1 ? "" : "s"} in flight`,
      );
    }
    this.#take(bytes);
    this.#requests++;
    let held = bytes > 0 ? bytes : 0;
    let released = false;
    return {
      grow: (more: number) => {
        if (released) return;
        this.#take(more);
        if (more > 0) held += more;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#requests--;
        this.#bytes -= held;
      },
    };
  }

  #take(bytes: number): void {
    if (!(bytes > 0)) return; // nothing to reserve (and never a negative reservation)
    // One request alone may always use the whole byte budget (the body limit bounds it).
    if (this.#bytes + bytes > this.maxBytes && this.#bytes > 0) {
      throw this.#refusal(`${this.maxBytes} bytes of request bodies in flight`);
    }
    this.#bytes += bytes;
  }

  #refusal(what: string): InflightLimitError {
    return new InflightLimitError(
      `The server is at its limit of ${what}; retry in ${this.retryAfterSeconds} s.`,
      this.retryAfterSeconds,
    );
  }
}

/**
 * The 503 of a request refused by {@linkcode InflightLimiter}; its response carries
 * `Retry-After`.
 *
 * @example
 * ```ts
 * import { InflightLimitError } from "./inflight.ts";
 * const err = new InflightLimitError("The server is busy.", 1);
 * err.status; // 503
 * err.retryAfterSeconds; // 1
 * ```
 */
export class InflightLimitError extends MlflowError {
  /** Seconds after which the client may retry. */
  readonly retryAfterSeconds: number;

  /**
   * Creates the refusal.
   *
   * @param message What bound was hit.
   * @param retryAfterSeconds The `Retry-After` value.
   */
  constructor(message: string, retryAfterSeconds: number) {
    super(message, "TEMPORARILY_UNAVAILABLE", 503);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
