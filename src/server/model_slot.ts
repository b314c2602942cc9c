/**
 * One served model's life: lazy load with concurrent requests coalesced into one load,
 * truthful state, reload to a new version without dropping in-flight requests, unload.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { redactUri } from "../store/redact.ts";
import { publicLoadFailure } from "./load_failure.ts";
import {
  type Invocation,
  type InvocationSignal,
  type LoadedModel,
  loadModel,
  type LoadModelOptions,
  type LoadTimings,
} from "../model/mod.ts";

/**
 * Where a slot is in its life.
 *
 * @example
 * ```ts
 * import { ModelSlot, type SlotState } from "./model_slot.ts";
 * const state: SlotState = new ModelSlot("iris", "examples/iris").state; // "unloaded"
 * ```
 */
export type SlotState = "unloaded" | "loading" | "ready" | "failed";

/**
 * Options of {@linkcode ModelSlot}.
 *
 * @example
 * ```ts
 * import { ModelSlot, type ModelSlotOptions } from "./model_slot.ts";
 * const options: ModelSlotOptions = { backend: "web", retryAfterMs: 10_000 };
 * new ModelSlot("iris", "examples/iris", options);
 * ```
 */
export interface ModelSlotOptions extends LoadModelOptions {
  /** After a failed load, the next request retries only after this long (default 5000 ms). */
  retryAfterMs?: number;
  /** Called after every successful load (the registry uses it for eviction). */
  onLoaded?: (slot: ModelSlot) => void;
  /**
   * Where every failed load and reload is reported once, with its full message and cause
   * (default `console.warn`); clients only see {@linkcode publicLoadFailure}'s summary.
   */
  log?: (message: string) => void;
  /** Called on every load, reload, unload and eviction (the server logs and counts them). */
  onEvent?: (event: ModelEvent) => void;
  /** Loads a model; default {@linkcode loadModel}. */
  load?: (uri: string, options: LoadModelOptions) => Promise<LoadedModel>;
}

/**
 * A change in a slot's life, for logs and metrics: `model_load` / `model_reload` (with `ms` and
 * `bytes`), `model_load_failed` / `model_reload_failed` (with `ms` and `error`), `model_unload`,
 * and `model_evict` (from the registry, before the unload).
 *
 * @example
 * ```ts
 * import type { ModelEvent } from "./model_slot.ts";
 * const e: ModelEvent = { event: "model_load", model: "iris", uri: "examples/iris", ms: 310, bytes: 10240 };
 * ```
 */
export interface ModelEvent {
  /** What happened. */
  event:
    | "model_load"
    | "model_load_failed"
    | "model_reload"
    | "model_reload_failed"
    | "model_unload"
    | "model_evict";
  /** The slot's name. */
  model: string;
  /** The URI loaded (credentials redacted). */
  uri: string;
  /** How long the load took, in milliseconds. */
  ms?: number;
  /** Bytes of the loaded bundle. */
  bytes?: number;
  /**
   * Milliseconds per stage of a successful load (fetch, MLmodel, session, signature,
   * self-check…; {@linkcode LoadTimings}), rounded to 0.01 ms.
   */
  stages?: Record<string, number>;
  /** Why it failed. */
  error?: string;
}

/**
 * A named model that loads on first use.
 *
 * @example
 * ```ts
 * import { ModelSlot } from "./model_slot.ts";
 * const slot = new ModelSlot("iris", "examples/iris");
 * slot.state; // "unloaded"
 * const [a, b] = await Promise.all([slot.get(), slot.get()]); // one load
 * console.log(a === b, slot.state); // true "ready"
 * await slot.unload();
 * ```
 */
export class ModelSlot {
  /** The name the model is served under (`/models/{name}/…`). */
  readonly name: string;
  #uri: string;
  #options: ModelSlotOptions;
  #model: LoadedModel | undefined;
  #loading: Promise<LoadedModel> | undefined;
  #error: MlflowError | undefined;
  #failedAt = 0;
  #generation = 0;
  /** `performance.now()` of the last request (for least-recently-used eviction). */
  lastUsed = 0;

  /**
   * Creates a slot; the model loads on first use.
   *
   * @param name The name the model is served under.
   * @param uri Where its bundle comes from.
   * @param options How it loads.
   */
  constructor(name: string, uri: string, options: ModelSlotOptions = {}) {
    this.name = name;
    this.#uri = uri;
    this.#options = options;
  }

  /** The URI of the version being served (or loaded next). */
  get uri(): string {
    return this.#uri;
  }

  /** `ready` only when a model is loaded and answering. */
  get state(): SlotState {
    if (this.#model) return "ready";
    if (this.#loading) return "loading";
    return this.#error ? "failed" : "unloaded";
  }

  /** The last load failure, while the slot is not ready. */
  get error(): MlflowError | undefined {
    return this.#model ? undefined : this.#error;
  }

  /**
   * Why the slot is not ready, as unauthenticated clients may read it: the state, and for a
   * failed load its error code (and a content refusal's reason without paths or hosts).
   */
  get publicReason(): string {
    if (this.#model) return "it is ready";
    if (this.#loading) return "it is loading";
    if (this.#error) return publicLoadFailure(this.#error);
    return "it is not loaded yet (it loads on its first request)";
  }

  /**
   * Reports a failed load or reload once, with its full message and cause: as a model event
   * when someone listens for them (the server's access log or its log), else on `log`.
   */
  #logFailure(what: "load" | "reload", uri: string, err: unknown): void {
    if (this.#options.onEvent) return; // #emit has reported it
    (this.#options.log ?? console.warn)(
      `The ${what} of model "${this.name}" from ${redactUri(uri)} failed: ${failureText(err)}`,
    );
  }

  /** The loaded model, without waiting. */
  get current(): LoadedModel | undefined {
    return this.#model;
  }

  /** Bytes of the loaded bundle, 0 when not loaded. */
  get sizeBytes(): number {
    return this.#model?.sizeBytes ?? 0;
  }

  /** The loaded model; starts (or joins) a load when there is none. */
  get(): Promise<LoadedModel> {
    if (this.#model) return Promise.resolve(this.#model);
    if (this.#loading) return this.#loading;
    const retryAfter = this.#options.retryAfterMs ?? 5000;
    if (this.#error && performance.now() - this.#failedAt < retryAfter) {
      return Promise.reject(this.#error);
    }
    return this.#startLoad(this.#uri);
  }

  #startLoad(uri: string): Promise<LoadedModel> {
    const generation = ++this.#generation;
    const load = this.#options.load ?? loadModel;
    const t0 = performance.now();
    const p = load(uri, this.#options).then(
      (model) => {
        this.#emit("model_load", uri, t0, model);
        if (generation !== this.#generation) {
          // Superseded by a reload or an unload meanwhile.
          model.close();
          throw new MlflowError(`The model "${this.name}" was replaced while loading.`, "ABORTED");
        }
        this.#model = model;
        this.#error = undefined;
        this.#loading = undefined;
        this.#options.onLoaded?.(this);
        return model;
      },
      (err) => {
        this.#emit("model_load_failed", uri, t0, undefined, err);
        if (generation === this.#generation) {
          this.#error = err instanceof MlflowError
            ? err
            : new MlflowError(`Loading "${redactUri(uri)}" failed: ${err}`, "INTERNAL_ERROR");
          this.#failedAt = performance.now();
          this.#loading = undefined;
          this.#logFailure("load", uri, err);
        }
        throw err;
      },
    );
    this.#loading = p;
    // The error is also kept in the slot; a load nobody awaits must not be unhandled.
    p.catch(() => {});
    return p;
  }

  /** One `/invocations` request against this model (loads it first if needed). */
  invoke(
    body: Uint8Array,
    contentType: string,
    signal?: InvocationSignal,
  ): Promise<Invocation> {
    return this.use((model) => model.invoke(body, contentType, signal));
  }

  /**
   * Runs `work` with the loaded model (loading it first if needed; 503 when it cannot load).
   * A model evicted or replaced between lookup and use is retried once on the current one.
   */
  use<T>(work: (model: LoadedModel) => Promise<T>): Promise<T> {
    this.lastUsed = performance.now();
    return this.#use(work, true);
  }

  // Written with then rather than async/await: a loaded model's request (the common case) costs
  // one promise here instead of an async frame and its awaits.
  #use<T>(work: (model: LoadedModel) => Promise<T>, retry: boolean): Promise<T> {
    const model = this.#model;
    if (model !== undefined) return this.#runOn(model, work, retry);
    return this.get().then(
      (loaded) => this.#runOn(loaded, work, retry),
      (err) => {
        throw new MlflowError(
          `The model "${this.name}" is not available: ${this.publicReason}`,
          "TEMPORARILY_UNAVAILABLE",
          503,
          { cause: err },
        );
      },
    );
  }

  #runOn<T>(
    model: LoadedModel,
    work: (model: LoadedModel) => Promise<T>,
    retry: boolean,
  ): Promise<T> {
    let running: Promise<T>;
    try {
      running = work(model);
    } catch (err) {
      running = Promise.reject(err);
    }
    if (!retry) return running;
    return running.catch((err) => {
      // Evicted or replaced between lookup and run: take the current version once more.
      if (
        err instanceof MlflowError && err.errorCode === "TEMPORARILY_UNAVAILABLE" &&
        model !== this.#model
      ) return this.#use(work, false);
      throw err;
    });
  }

  /**
   * Loads `uri` (default: the current one) and swaps it in once ready; requests in flight on
   * the old version finish on it before it is closed. A failed reload keeps the old version.
   */
  async reload(uri: string = this.#uri): Promise<LoadedModel> {
    const old = this.#model;
    const previousUri = this.#uri;
    const generation = ++this.#generation;
    this.#uri = uri;
    const load = this.#options.load ?? loadModel;
    let fresh: LoadedModel;
    const t0 = performance.now();
    try {
      fresh = await load(uri, this.#options);
    } catch (err) {
      this.#emit("model_reload_failed", uri, t0, undefined, err);
      if (generation === this.#generation) this.#uri = previousUri;
      this.#logFailure("reload", uri, err);
      throw err;
    }
    this.#emit("model_reload", uri, t0, fresh);
    if (generation !== this.#generation) {
      await fresh.close();
      throw new MlflowError(`The reload of "${this.name}" was superseded.`, "ABORTED");
    }
    this.#model = fresh;
    this.#loading = undefined;
    this.#error = undefined;
    this.#options.onLoaded?.(this);
    if (old) await old.close();
    return fresh;
  }

  /** Drops the loaded model (after its in-flight requests); the next request loads it again. */
  async unload(): Promise<void> {
    this.#generation++;
    const old = this.#model;
    this.#model = undefined;
    this.#loading = undefined;
    if (old) {
      this.#options.onEvent?.({ event: "model_unload", model: this.name, uri: redactUri(old.uri) });
      await old.close();
    }
  }

  #emit(
    event: ModelEvent["event"],
    uri: string,
    t0: number,
    model?: LoadedModel,
    err?: unknown,
  ): void {
    this.#options.onEvent?.({
      event,
      model: this.name,
      uri: redactUri(uri),
      ms: performance.now() - t0,
      bytes: model?.sizeBytes,
      stages: model?.loadTimings ? roundedStages(model.loadTimings) : undefined,
      error: err === undefined ? undefined : failureText(err),
    });
  }
}

/** A load's stage times, to 0.01 ms, in snake case without the total (the event's `ms`). */
function roundedStages(t: LoadTimings): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [stage, ms] of Object.entries(t)) {
    if (stage === "total") continue;
    out[stage.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = Math.round(ms * 100) / 100;
  }
  return out;
}

/** An error's message with its cause's, for the log. */
function failureText(err: unknown): string {
  const cause = (err as Error)?.cause;
  return `${(err as Error)?.message ?? err}${
    cause ? ` (cause: ${(cause as Error)?.message ?? cause})` : ""
  }`;
}
