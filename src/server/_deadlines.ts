// Request deadlines without a timer per request: every request of a route has the same time
// limit, so deadlines arrive in order and one coarse interval timer expires them from the front
// of a queue. A deadline fires between `ms` and `ms + tick` after it was set.

/** What a request's work checks to learn that its deadline has passed. */
export interface Deadline {
  readonly aborted: boolean;
  readonly reason: unknown;
}

interface Entry {
  at: number;
  done: boolean;
  expire: () => void;
}

export class DeadlineQueue {
  readonly ms: number;
  #tick: number;
  #queue: Entry[] = [];
  #head = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(ms: number) {
    this.ms = ms;
    this.#tick = Math.max(5, Math.min(100, Math.floor(ms / 10)));
  }

  /** Schedules `expire` for `ms` from now; set `done` on the result to cancel it. */
  add(expire: () => void): { done: boolean } {
    const entry: Entry = { at: performance.now() + this.ms, done: false, expire };
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
