/**
 * A model ready to answer `/invocations`: the one path shared by the HTTP server and the
 * library. Load = fetch the bundle, read MLmodel, create the ONNX session, compile the signature,
 * run the serving input example. Predict = validate in wasm, run, serialise.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import {
  type BatchingOptions,
  float32Inputs,
  nativeBackend,
  type OnnxBackend,
  OnnxModel,
  type OutputTensor,
  type Predictions,
  predictionsValue,
  webBackend,
} from "../runtime/mod.ts";
import {
  type CompiledSignature,
  compileSignature,
  type EnforceLimits,
  initEnforce,
  type V2Answer,
  type ValidatedInput,
} from "../enforce/mod.ts";
// The MLmodel modules serving needs, not the mlmodel barrel (which adds saving and inference).
import { Model } from "../mlmodel/model.ts";
import { onnxManifest } from "../mlmodel/bundle_manifest.ts";
import { toPyJson } from "../mlmodel/py_json.ts";
import { fetchBundle } from "../store/fetch_bundle.ts";
import { redactUri } from "../store/redact.ts";
import type { FetchBundleOptions } from "../store/types.ts";
import { traced } from "../trace_gate.ts";
import { holdMmapThreshold } from "../runtime/heap_tuning.ts";
import { serializePredictions } from "./serialize.ts";

/**
 * Options of {@linkcode loadModel}.
 *
 * @example
 * ```ts
 * import { loadModel, type LoadModelOptions } from "./loaded_model.ts";
 * const options: LoadModelOptions = { backend: "native", selfCheck: true };
 * await loadModel("examples/iris", options);
 * ```
 */
export interface LoadModelOptions {
  /** `"web"` (default, onnxruntime-web), `"native"` (onnxruntime-node) or a backend object. */
  backend?: OnnxBackend | "web" | "native";
  /** How the bundle is fetched (credentials, timeouts, cache). */
  store?: FetchBundleOptions;
  /** Run the bundle's serving input example through the whole path before resolving (default true). */
  selfCheck?: boolean;
  /** Limits for the enforcement core (nesting depth, element count, …). */
  limits?: EnforceLimits;
  /** Where warnings and notices go (load warnings, evictions, load failures); default `console.warn`. */
  log?: (message: string) => void;
  /**
   * Adaptive batching of concurrent requests (off unless `maxBatchSize` > 1); refused at load
   * for a graph without a free first dimension on every input and output.
   */
  batching?: BatchingOptions;
  /**
   * Threads of the web backend's wasm (default 1; a process-wide setting, taken from the first
   * model loaded on the web backend). Deno and Bun run them as workers sharing the wasm memory.
   */
  threads?: number;
}

/**
 * Milliseconds spent in each stage of one prediction (for `Server-Timing`).
 *
 * @example
 * ```ts
 * import type { StageTimings } from "./loaded_model.ts";
 * const t: StageTimings = { parse: 0.02, infer: 0.05, serialize: 0.01 };
 * ```
 */
export interface StageTimings {
  /** Envelope parse and signature enforcement (the wasm core). */
  parse: number;
  /** Feeds and `session.run`. */
  infer: number;
  /** Writing the response JSON. */
  serialize: number;
}

/**
 * Where the time of one load went, in milliseconds, stage after stage (they add up to `total`).
 * Work that overlaps a stage is counted in the stage that waits for it: the backend's start
 * (onnxruntime-web's wasm compile and initialisation, or loading onnxruntime-node) begins
 * before the bundle is fetched, and what is left of it shows in `session`; the enforcement
 * core's wasm compiles during the session, and what is left of it shows in `signature`.
 *
 * @example
 * ```ts
 * import { loadModel } from "./loaded_model.ts";
 * const model = await loadModel("examples/iris");
 * const t = model.loadTimings;
 * console.log(`fetch ${t.fetch} ms, session ${t.session} ms, total ${t.total} ms`);
 * await model.close();
 * ```
 */
export interface LoadTimings {
  /** Resolving the backend (importing onnxruntime-node for the native one). */
  backend: number;
  /** Listing and reading the bundle's files from the store. */
  fetch: number;
  /** Parsing the MLmodel file. */
  mlmodel: number;
  /** Creating the ONNX session (and waiting for the backend's start to finish). */
  session: number;
  /** Compiling the signature into the wasm core (and waiting for the core's wasm). */
  signature: number;
  /** Running the serving input example through the whole path (0 when skipped). */
  selfCheck: number;
  /** The whole load. */
  total: number;
}

/**
 * One prediction as JSON text, with its stage timings.
 *
 * @example
 * ```ts
 * import { loadModel } from "./loaded_model.ts";
 * const model = await loadModel("examples/iris");
 * const { text, timings } = await model.invoke('{"inputs": {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}}', "application/json");
 * console.log(text, timings.infer);
 * ```
 */
export interface Invocation {
  /** The response body, serialised as MLflow's server writes it. */
  text: string;
  /** Milliseconds per stage, for the Server-Timing header. */
  timings: StageTimings;
}

/**
 * One V2 inference: the graph outputs asked for, what the answer must carry, stage timings.
 *
 * @example
 * ```ts
 * import { loadModel } from "./loaded_model.ts";
 * const model = await loadModel("examples/iris");
 * const body = '{"inputs": [{"name": "sepal length (cm)", "shape": [1], "datatype": "FP64", "data": [5.1]}, {"name": "sepal width (cm)", "shape": [1], "datatype": "FP64", "data": [3.5]}, {"name": "petal length (cm)", "shape": [1], "datatype": "FP64", "data": [1.4]}, {"name": "petal width (cm)", "shape": [1], "datatype": "FP64", "data": [0.2]}]}';
 * const r: V2Inference = await model.inferV2(body);
 * r.outputs[0].dims; // [1, 3]
 * ```
 */
export interface V2Inference {
  /** The graph outputs (all, or those the request asked for, in its order). */
  outputs: OutputTensor[];
  /** The request's id and output options. */
  answer: V2Answer;
  /** Rows of the input (its first axis). */
  rows: number;
  /** Milliseconds per stage (`serialize` is the caller's). */
  timings: StageTimings;
}

/**
 * A stage of one prediction, as reported to {@linkcode InvocationSignal.onStage}.
 *
 * @example
 * ```ts
 * import type { InvocationStage } from "./loaded_model.ts";
 * const stage: InvocationStage = "infer";
 * ```
 */
export type InvocationStage = "validate" | "infer" | "serialize";

/**
 * What one request's prediction checks (its deadline) and reports to (tracing).
 *
 * @example
 * ```ts
 * import type { InvocationSignal } from "./loaded_model.ts";
 * const signal: InvocationSignal = {
 *   aborted: false,
 *   onStage: (stage, start, end) => console.log(stage, end - start),
 * };
 * ```
 */
export interface InvocationSignal {
  /** True once the request's deadline has passed: no further work is done. */
  readonly aborted: boolean;
  /** What to throw when aborted (the deadline's error). */
  readonly reason?: unknown;
  /**
   * Called after each stage with its `performance.now()` bounds, the row count once known, and
   * the error when the stage failed (the request path's spans are built from these).
   */
  readonly onStage?: (
    stage: InvocationStage,
    start: number,
    end: number,
    rows: number | undefined,
    error?: unknown,
  ) => void;
}

/** What `#run` resolves to: the predictions, the validated input, stage times and the end. */
interface Run<T> {
  predictions: T;
  input: ValidatedInput;
  parse: number;
  infer: number;
  /** `performance.now()` when inference ended. */
  end: number;
}

let sharedWeb: OnnxBackend | undefined;

/**
 * Resolves a backend option to a backend.
 *
 * @example
 * ```ts
 * import { resolveBackend } from "./loaded_model.ts";
 * const backend = await resolveBackend("web");
 * backend.name; // "web"
 * ```
 */
export async function resolveBackend(
  backend: LoadModelOptions["backend"],
  threads?: number,
): Promise<OnnxBackend> {
  if (backend === undefined || backend === "web") {
    return sharedWeb ??= webBackend({ numThreads: threads });
  }
  if (backend === "native") return await nativeBackend();
  if (typeof backend === "string") {
    throw new MlflowError(
      `Unknown backend "${backend}"; expected "web" or "native".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return backend;
}

function bodyToBytes(body: string | Uint8Array | object): string | Uint8Array {
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // An envelope object: written as Python's json.dumps would (NaN stays a bare token).
  return toPyJson(body);
}

/**
 * A loaded model. Create it with {@linkcode loadModel}.
 *
 * @example
 * ```ts
 * import { loadModel } from "./loaded_model.ts";
 * const model = await loadModel("examples/iris");
 * const out = await model.predict({
 *   dataframe_split: {
 *     columns: ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
 *     data: [[5.1, 3.5, 1.4, 0.2]],
 *   },
 * });
 * console.log(out); // { predictions: [{ probabilities: 0.99995… }, …] }
 * await model.close();
 * ```
 */
export class LoadedModel {
  /** The URI the model was loaded from. */
  readonly uri: string;
  /** The parsed MLmodel. */
  readonly model: Model;
  /** The ONNX session wrapper. */
  readonly onnx: OnnxModel;
  /** Total bytes of the bundle's files (the memory estimate for eviction). */
  readonly sizeBytes: number;
  /** Where the load's time went, stage by stage. */
  readonly loadTimings: LoadTimings = {
    backend: 0,
    fetch: 0,
    mlmodel: 0,
    session: 0,
    signature: 0,
    selfCheck: 0,
    total: 0,
  };
  #signature: CompiledSignature;
  #servingInputExample: string | null = null;
  #inflight = 0;
  #idle: (() => void)[] = [];
  #closed = false;

  private constructor(
    uri: string,
    model: Model,
    onnx: OnnxModel,
    signature: CompiledSignature,
    sizeBytes: number,
  ) {
    this.uri = uri;
    this.model = model;
    this.onnx = onnx;
    this.#signature = signature;
    this.sizeBytes = sizeBytes;
  }

  /** @internal Use {@linkcode loadModel}. */
  static load(uri: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
    // Spans through @opentelemetry/api, loaded only when a tracer provider is registered.
    return traced("mlflow_edge.load", { "mlflow_edge.uri": redactUri(uri) }, async (span) => {
      const loaded = await LoadedModel.#load(uri, options);
      span?.setAttribute("mlflow_edge.bundle_bytes", loaded.sizeBytes);
      return loaded;
    });
  }

  static async #load(uri: string, options: LoadModelOptions): Promise<LoadedModel> {
    const t0 = performance.now();
    // The wasm core and the runtime start (their wasm compiles on background threads) while
    // the bundle is fetched.
    const warming = initEnforce().catch(() => {}); // a failure surfaces from compileSignature
    // Before any bundle byte is read: the allocator then gives freed load-time copies back.
    await holdMmapThreshold();
    const backend = await resolveBackend(options.backend, options.threads);
    void backend.prepare?.();
    const t1 = performance.now();
    const bundle = await traced(
      "mlflow_edge.load.fetch",
      {},
      () => fetchBundle(uri, options.store),
    );
    const t2 = performance.now();
    const mlmodelBytes = bundle.files.get("MLmodel");
    if (!mlmodelBytes) {
      throw new MlflowError(
        `No MLmodel file in "${redactUri(uri)}": it is not an MLflow model directory.`,
        "RESOURCE_DOES_NOT_EXIST",
      );
    }
    const source = `${redactUri(uri).replace(/\/+$/, "")}/MLmodel`;
    const model = Model.fromYaml(new TextDecoder().decode(mlmodelBytes), source);
    const t3 = performance.now();
    let t4 = t3;
    // The session and the signature's compilation overlap (both are mostly wasm compilation).
    const creating = traced(
      "mlflow_edge.load.session",
      { "mlflow_edge.backend": backend.name },
      () =>
        OnnxModel.create(bundle.files, onnxManifest(model.flavors, source), {
          backend,
          log: options.log,
          source,
          batching: options.batching,
        }),
    );
    // The signature is compiled once the graph's inputs are known (the core checks what the
    // float32 cast of float inputs would do); the core's wasm compiles meanwhile.
    const compiling = creating.then(async (onnx) => {
      t4 = performance.now();
      await warming;
      return traced(
        "mlflow_edge.load.compile",
        {},
        () =>
          compileSignature(
            model.signature ?? { inputs: null, outputs: null, params: null },
            { ...options.limits, float32Inputs: float32Inputs(onnx.inputs) },
          ),
      );
    });
    const [made, compiled] = await Promise.allSettled([creating, compiling]);
    if (made.status === "rejected" || compiled.status === "rejected") {
      if (made.status === "fulfilled") await made.value.release();
      if (compiled.status === "fulfilled") compiled.value.free();
      throw made.status === "rejected" ? made.reason : (compiled as PromiseRejectedResult).reason;
    }
    const onnx = made.value;
    const signature: CompiledSignature = compiled.value;
    let size = 0;
    for (const data of bundle.files.values()) size += data.byteLength;
    // The session holds the weights now: drop the bundle's copy of everything but the serving
    // example. A garbage collection would free the bytes only much later (a 200 MB model stayed
    // resident twice over), so where the backend copied them and no in-memory cache shares
    // them, they are freed now.
    const free = backend.copiesWeights === true && ownsBytes(uri, options.store);
    for (const [key, data] of [...bundle.files]) {
      if (key === model.servingInputExamplePath) continue;
      bundle.files.delete(key);
      if (free) freeBytes(data);
    }
    const t5 = performance.now();
    const loaded = new LoadedModel(uri, model, onnx, signature, size);
    const examplePath = model.servingInputExamplePath;
    const example = examplePath === null ? undefined : bundle.files.get(examplePath);
    if (example) loaded.#servingInputExample = new TextDecoder().decode(example);
    if (options.selfCheck !== false) {
      try {
        await traced(
          "mlflow_edge.load.self_check",
          {},
          () => loaded.#selfCheck(bundle.files, options.log ?? ((m) => console.warn(m))),
        );
      } catch (err) {
        await loaded.close();
        throw err;
      }
    }
    // The example is kept as text; its bytes (2.7 MB for one 224×224 image) would otherwise
    // stay resident until a garbage collection, which an idle server may not run for long.
    if (example && ownsBytes(uri, options.store)) freeBytes(example);
    bundle.files.clear();
    const t6 = performance.now();
    Object.assign(loaded.loadTimings, {
      backend: t1 - t0,
      fetch: t2 - t1,
      mlmodel: t3 - t2,
      session: t4 - t3,
      signature: t5 - t4,
      selfCheck: t6 - t5,
      total: t6 - t0,
    });
    return loaded;
  }

  async #selfCheck(
    files: Map<string, Uint8Array>,
    warn: (message: string) => void,
  ): Promise<void> {
    const path = this.model.servingInputExamplePath;
    if (!path) return;
    const example = files.get(path);
    if (!example) return;
    try {
      this.#signature.validate(example, "application/json");
    } catch (err) {
      // The example itself breaks the signature's rules (e.g. a value the lossless-or-loud
      // policy refuses): that says nothing about the model, so warn and go on.
      warn(
        `The model's serving input example "${path}" is refused by its signature, so it cannot ` +
          `check the model: ${(err as Error)?.message ?? err}`,
      );
      return;
    }
    try {
      await this.invoke(example, "application/json");
    } catch (err) {
      const e = err instanceof MlflowError ? err : new MlflowError(String(err), "INTERNAL_ERROR");
      throw new MlflowError(
        `The model fails on its own serving input example "${path}": ${e.message}`,
        e.errorCode,
        e.status,
        { cause: err },
      );
    }
  }

  /**
   * Validates (with `check`) and runs (with `execute`) one request, counted as in flight.
   * Written with `then` rather than `async`/`await`: each async layer on the request path costs
   * its own promise and microtask turns.
   */
  #run<T>(
    check: (signature: CompiledSignature) => ValidatedInput,
    execute: (input: ValidatedInput) => Promise<T>,
    signal?: InvocationSignal,
  ): Promise<Run<T>> {
    if (this.#closed) {
      return Promise.reject(
        new MlflowError(
          `The model "${redactUri(this.uri)}" has been unloaded.`,
          "TEMPORARILY_UNAVAILABLE",
        ),
      );
    }
    this.#inflight++;
    let running: Promise<T>;
    let input: ValidatedInput;
    let t0 = 0;
    let t1 = 0;
    let executing = false;
    try {
      t0 = performance.now();
      try {
        input = check(this.#signature);
      } catch (err) {
        signal?.onStage?.("validate", t0, performance.now(), undefined, err);
        throw err;
      }
      t1 = performance.now();
      signal?.onStage?.("validate", t0, t1, input.rows);
      // A request that has already timed out does no further work.
      if (signal?.aborted) throw signal.reason;
      executing = true;
      running = execute(input);
    } catch (err) {
      try {
        if (executing) signal?.onStage?.("infer", t1, performance.now(), input!.rows, err);
      } finally {
        this.#done();
      }
      return Promise.reject(err);
    }
    return running.then(
      (predictions) => {
        const t2 = performance.now();
        try {
          signal?.onStage?.("infer", t1, t2, input.rows);
        } finally {
          this.#done();
        }
        return { predictions, input, parse: t1 - t0, infer: t2 - t1, end: t2 };
      },
      (err) => {
        try {
          signal?.onStage?.("infer", t1, performance.now(), input.rows, err);
        } finally {
          this.#done();
        }
        throw err;
      },
    );
  }

  /** One request less in flight; wakes `close()` when none is left. */
  #done(): void {
    if (--this.#inflight === 0) { for (const wake of this.#idle.splice(0)) wake(); }
  }

  /** Validates and runs one `/invocations` request. */
  #runMlflow(
    body: string | Uint8Array,
    contentType: string,
    signal?: InvocationSignal,
  ): Promise<Run<Predictions>> {
    return this.#run((s) => s.validate(body, contentType), (i) => this.onnx.run(i), signal);
  }

  /**
   * One Open Inference Protocol (V2) inference request: the body (JSON header of
   * `headerLength` bytes, then binary tensor data) is validated by the same core and rules as
   * `/invocations`, and the graph's outputs come back by graph name with their real shapes —
   * only those the request asks for. Throws `MlflowError` (400 for an unknown output).
   */
  async inferV2(
    body: string | Uint8Array,
    headerLength?: number,
    signal?: InvocationSignal,
  ): Promise<V2Inference> {
    let names: readonly string[] = this.onnx.outputNames;
    const r = await this.#run(
      (s) => {
        const input = s.validateV2(body, headerLength);
        const asked = input.v2?.outputs;
        if (asked) {
          const known = new Set(this.onnx.outputNames);
          const seen = new Set<string>();
          for (const { name } of asked) {
            if (!known.has(name)) {
              throw new MlflowError(
                `The model has no output "${name}"; its outputs are ` +
                  `${this.onnx.outputNames.map((n) => `"${n}"`).join(", ")}.`,
                "INVALID_PARAMETER_VALUE",
              );
            }
            if (seen.has(name)) {
              throw new MlflowError(`The output "${name}" is asked for twice.`, "BAD_REQUEST");
            }
            seen.add(name);
          }
          names = [...seen];
        }
        return input;
      },
      (input) => this.onnx.runOutputs(input, names),
      signal,
    );
    return {
      outputs: r.predictions,
      answer: r.input.v2 ?? { id: null, binary_data_output: false, outputs: null },
      rows: r.input.rows,
      timings: { parse: r.parse, infer: r.infer, serialize: 0 },
    };
  }

  /**
   * One `/invocations` request: the body bytes and `Content-Type` in, MLflow's response JSON
   * text out. Throws `MlflowError` with MLflow's status and error code on refusal.
   */
  invoke(
    body: string | Uint8Array,
    contentType: string,
    signal?: InvocationSignal,
  ): Promise<Invocation> {
    return this.#runMlflow(body, contentType, signal).then((r) => {
      // Serialisation starts where inference ended (one clock read less).
      const t2 = r.end;
      const text = serializePredictions(r.predictions, r.input.format !== "llm");
      const t3 = performance.now();
      signal?.onStage?.("serialize", t2, t3, r.input.rows);
      return { text, timings: { parse: r.parse, infer: r.infer, serialize: t3 - t2 } };
    });
  }

  /**
   * Predicts like `/invocations`: takes a body string, bytes, or an envelope object
   * (`{dataframe_split: …}`, `{inputs: …}`, …) and resolves to the object `/invocations` would
   * send, `{predictions: …}`.
   */
  async predict(
    body: string | Uint8Array | object,
    contentType = "application/json",
  ): Promise<unknown> {
    const r = await this.#runMlflow(bodyToBytes(body), contentType);
    const value = predictionsValue(r.predictions);
    return r.input.format === "llm" ? value : { predictions: value };
  }

  /** The bundle's serving input example (a ready request body), or null when it has none. */
  get servingInputExample(): string | null {
    return this.#servingInputExample;
  }

  /** Requests currently being validated or run. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Waits for in-flight requests to finish, then frees the session and the signature. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#inflight > 0) await new Promise<void>((r) => this.#idle.push(r));
    this.#signature.free();
    await this.onnx.release();
  }
}

/**
 * True when the fetched bytes are the loader's alone: a local bundle, or a remote one fetched
 * with a disk cache or none (the default in-memory cache keeps the very same arrays).
 */
function ownsBytes(uri: string, store: FetchBundleOptions | undefined): boolean {
  const local = !/^[a-z][a-z0-9+.-]*:/i.test(uri) || /^file:/i.test(uri);
  return local || store?.cacheDir !== undefined;
}

/** Frees an array's memory at once by detaching its buffer (when the array is all of it). */
function freeBytes(data: Uint8Array): void {
  const buffer = data.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (
    data.byteOffset === 0 && data.byteLength === buffer.byteLength &&
    !(data.buffer instanceof SharedArrayBuffer) && typeof buffer.transfer === "function"
  ) {
    buffer.transfer(0);
  }
}

/**
 * Loads an MLflow model for serving: any URI the store understands (a local directory,
 * `file:`, `s3://`, `r2://`, `https://`, `models:/…`, `runs:/…`).
 *
 * @example
 * ```ts
 * import { loadModel } from "./loaded_model.ts";
 * const model = await loadModel("examples/iris", { backend: "web" });
 * console.log(await model.predict('{"inputs": {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}}'));
 * await model.close();
 * ```
 */
export function loadModel(uri: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  return LoadedModel.load(uri, options);
}
