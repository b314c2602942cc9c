// Adapts an onnxruntime JavaScript API module (web or node; both implement onnxruntime-common)
// to the runtime's backend-neutral OnnxSession.
import type * as ort from "onnxruntime-web";
import type { OnnxSessionOptions } from "../mlmodel/bundle_manifest.ts";
import { halfToNumber } from "../mlmodel/numpy_dtype.ts";
import type { ExternalDataFile, GraphValueInfo, OnnxSession, TensorData } from "./types.ts";

/** The part of an onnxruntime module this adapter uses. */
export interface OrtModule {
  InferenceSession: typeof ort.InferenceSession;
  Tensor: typeof ort.Tensor;
}

const OPTIMIZATION_LEVELS = { 0: "disabled", 1: "basic", 2: "extended", 99: "all" } as const;

/** Maps the flavor's session options onto onnxruntime's JavaScript SessionOptions. */
export function ortSessionOptions(
  options: OnnxSessionOptions,
  externalData: ExternalDataFile[],
): ort.InferenceSession.SessionOptions {
  const out: ort.InferenceSession.SessionOptions = {};
  if (options.intraOpNumThreads) out.intraOpNumThreads = options.intraOpNumThreads;
  if (options.interOpNumThreads) out.interOpNumThreads = options.interOpNumThreads;
  if (options.executionMode) out.executionMode = options.executionMode;
  if (options.graphOptimizationLevel !== undefined) {
    out.graphOptimizationLevel = OPTIMIZATION_LEVELS[options.graphOptimizationLevel];
  }
  // Config keys are already dotted ("session.intra_op.allow_spinning"); ort flattens `extra`.
  if (options.extra && Object.keys(options.extra).length > 0) out.extra = { ...options.extra };
  if (externalData.length > 0) {
    out.externalData = externalData.map((f) => ({ path: f.path, data: f.data }));
  }
  return out;
}

function describe(meta: readonly ort.InferenceSession.ValueMetadata[]): GraphValueInfo[] {
  return meta.map((m) =>
    m.isTensor
      ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] }
      : { name: m.name, isTensor: false }
  );
}

/**
 * One run at a time: ort-web keeps each run's input and output pointers on the wasm instance's
 * one shadow stack across its awaits, so two interleaved runs (of any sessions) free and
 * overwrite each other's frames — the second run then fails or reads another run's outputs.
 */
export class RunLock {
  #busy = false;
  #waiting: (() => void)[] = [];

  /** Runs `fn` when no other run of this lock is in progress. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.#busy) {
      this.#busy = true;
      return this.#hold(fn);
    }
    return new Promise<void>((r) => this.#waiting.push(r)).then(() => this.#hold(fn));
  }

  // Without async/await: an uncontended run (the common case) costs one promise here.
  #hold<T>(fn: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = fn();
    } catch (err) {
      this.#release();
      return Promise.reject(err);
    }
    return running.then((value) => {
      this.#release();
      return value;
    }, (err) => {
      this.#release();
      throw err;
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#busy = false;
  }
}

/**
 * A float16 output's values as numbers in a Float32Array (every half is exactly a float32).
 * onnxruntime hands float16 out as a Float16Array of values where the runtime has one (Deno
 * 2.9, both backends) and as a Uint16Array of IEEE bits where it has not: one form for the rest
 * of the code, so nothing decodes values as bits or bits as values.
 */
export function halfValues(data: TensorData["data"]): Float32Array {
  if (data instanceof Uint16Array) return Float32Array.from(data, halfToNumber);
  return Float32Array.from(data as ArrayLike<number>);
}

/** ort's result tensors as they are (type, dims and data: no copy), but float16 as numbers. */
function outputsOf(result: ort.InferenceSession.ReturnType): Record<string, TensorData> {
  const out = result as unknown as Record<string, TensorData>;
  for (const name in out) {
    if (out[name].type === "float16") {
      out[name] = { type: "float16", dims: out[name].dims, data: halfValues(out[name].data) };
    }
  }
  return out;
}

/** Creates a session with `mod` and wraps it; with `lock`, its runs go one at a time. */
export async function createOrtSession(
  mod: OrtModule,
  model: Uint8Array,
  externalData: ExternalDataFile[],
  options: OnnxSessionOptions,
  lock?: RunLock,
): Promise<OnnxSession> {
  const session = await mod.InferenceSession.create(
    model,
    ortSessionOptions(options, externalData),
  );
  const inputs = describe(session.inputMetadata);
  const outputs = describe(session.outputMetadata);
  return {
    inputs,
    outputs,
    run(feeds: Record<string, TensorData>, fetches: readonly string[]) {
      let running: Promise<ort.InferenceSession.ReturnType>;
      try {
        const ortFeeds: Record<string, ort.Tensor> = {};
        for (const name in feeds) {
          const t = feeds[name];
          // deno-lint-ignore no-explicit-any
          ortFeeds[name] = new mod.Tensor(t.type as any, t.data as any, t.dims);
        }
        running = lock
          ? lock.run(() => session.run(ortFeeds, fetches))
          : session.run(ortFeeds, fetches);
      } catch (err) {
        return Promise.reject(err);
      }
      return running.then(outputsOf);
    },
    release: () => session.release(),
  };
}
