// Request deadlines without a timer per request: every request of a route has the same time
// limit, so deadlines arrive in order and one coarse interval timer expires them from the front
// of a queue. A deadline fires between `ms` and `ms + tick` after it was set.
//
// Cloudflare Workers tie timers to the request that created them (a shared interval would die
// with its request), so there every request gets its own timer.

/** What a request's work checks to learn that its deadline has passed. */
export interface Deadline {
  readonly aborted: boolean;
  readonly reason: unknown;
}

/** A scheduled deadline. */
export interface DeadlineHandle {
  /** Marks the request finished; false when its deadline has already fired. */
  finish(): boolean;
}

const NOOP = () => {};

/** One request's deadline: its own handle (one object per request, no closures). */
class Entry implements DeadlineHandle {
  readonly at: number;
  done = false;
  expire: () => void;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(at: number, expire: () => void) {
    this.at = at;
    this.expire = expire;
  }

  finish(): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    // A queued entry stays in the queue until the next tick: let go of the request's objects
    // now, so they die young instead of being promoted (and then collected by major GCs).
    this.expire = NOOP;
    return true;
  }

  /** Fires the deadline unless the request has finished. */
  fire(): void {
    if (this.done) return;
    this.done = true;
    this.expire();
  }
}

const PER_REQUEST_TIMERS = (globalThis as { navigator?: { userAgent?: string } }).navigator
  ?.userAgent === "Cloudflare-Workers";

export class DeadlineQueue {
  readonly ms: number;
  #tick: number;
  #queue: Entry[] = [];
  #head = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #perRequest: boolean;

  constructor(ms: number, perRequestTimers = PER_REQUEST_TIMERS) {
    this.ms = ms;
    this.#tick = Math.max(5, Math.min(100, Math.floor(ms / 10)));
    this.#perRequest = perRequestTimers;
  }

  /** Schedules `expire` for `ms` after `start` (`performance.now()` of the request's arrival). */
  add(expire: () => void, start: number = performance.now()): DeadlineHandle {
    const entry = new Entry(start + this.ms, expire);
    if (this.#perRequest) {
      entry.timer = setTimeout(() => entry.fire(), this.ms);
      return entry;
    }
    this.#queue.push(entry);
    this.#timer ??= setInterval(() => this.#expire(), this.#tick);
    return entry;
  }

  #expire(): void {
    const now = performance.now();
    const q = this.#queue;
    while (this.#head < q.length && (q[this.#head].done || q[this.#head].at <= now)) {
      const e = q[this.#head++];
      if (!e.done) {
        e.done = true;
        e.expire();
      }
    }
    if (this.#head === q.length) {
      this.#queue = [];
      this.#head = 0;
      clearInterval(this.#timer);
      this.#timer = undefined;
    } else if (this.#head > 1024) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
  }
}
