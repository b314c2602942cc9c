/**
 * An ONNX model from an MLflow bundle's files: flavor check, session creation with the
 * bundle's external data, feeds, run, and MLflow-shaped outputs.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import {
  type BatchingOptions,
  type BatchingSession,
  batchingSession,
  type BatchStats,
} from "./batcher.ts";
import { buildFeeds, modelEvaluationError } from "./feeds.ts";
import { externalDataFiles, type OnnxManifest, onnxManifest } from "../mlmodel/bundle_manifest.ts";
import { type OutputTensor, type Predictions, shapePredictions } from "./outputs.ts";
import type {
  ExternalDataFile,
  GraphValueInfo,
  ModelInput,
  OnnxBackend,
  OnnxSession,
} from "./types.ts";
import { webBackend } from "./web_backend.ts";

/**
 * Options of {@linkcode OnnxModel.create}.
 *
 * @example
 * ```ts
 * import type { OnnxModelOptions } from "./onnx_model.ts";
 * import { webBackend } from "./web_backend.ts";
 * const options: OnnxModelOptions = { backend: webBackend(), log: (m) => console.error(m) };
 * ```
 */
export interface OnnxModelOptions {
  /** Default: the onnxruntime-web backend. */
  backend?: OnnxBackend;
  /** Where warnings go (non-tensor outputs left out); default `console.warn`. */
  log?: (message: string) => void;
  /** Name of the MLmodel file for messages. */
  source?: string;
  /** Adaptive batching of concurrent runs (off unless `maxBatchSize` > 1). */
  batching?: BatchingOptions;
}

let defaultBackend: OnnxBackend | undefined;

/**
 * A runnable ONNX model.
 *
 * @example
 * ```ts
 * import { parse } from "yaml";
 * import { OnnxModel } from "./onnx_model.ts";
 * const dir = "examples/iris/";
 * const files = new Map<string, Uint8Array>();
 * for (const e of Deno.readDirSync(dir)) files.set(e.name, Deno.readFileSync(dir + e.name));
 * const flavors = parse(new TextDecoder().decode(files.get("MLmodel"))).flavors;
 * const model = await OnnxModel.create(files, flavors);
 * const p = await model.run({
 *   kind: "columns",
 *   rows: 1,
 *   tensors: [],
 *   columns: ["a", "b", "c", "d"].map((name, i) => ({
 *     name,
 *     dtype: "float64" as const,
 *     values: new Float64Array([[5.1, 3.5, 1.4, 0.2][i]]),
 *   })),
 * });
 * p.length; // 3 records of "probabilities"
 * ```
 */
export class OnnxModel {
  /** The graph inputs. */
  readonly inputs: readonly GraphValueInfo[];
  /** The tensor outputs that are fetched (non-tensor outputs are left out). */
  readonly outputNames: readonly string[];
  /** Those outputs as the graph declares them (element type, shape). */
  readonly outputs: readonly GraphValueInfo[];
  /** The backend that runs the session (`web` or `native`). */
  readonly backendName: string;
  #session: OnnxSession;
  #batching: BatchingSession | undefined;

  private constructor(session: OnnxSession, outputNames: string[], backendName: string) {
    this.#session = session;
    this.inputs = session.inputs;
    this.outputNames = outputNames;
    this.outputs = session.outputs.filter((o) => outputNames.includes(o.name));
    this.backendName = backendName;
    if ("stats" in session) this.#batching = session as BatchingSession;
  }

  /** What adaptive batching has done, or `undefined` when the model is not batched. */
  get batchStats(): Readonly<BatchStats> | undefined {
    return this.#batching?.stats;
  }

  /**
   * Creates the model from a bundle's files (keys relative to the bundle root) and its
   * manifest (mlmodel's `onnxManifest`), or the MLmodel's `flavors` to derive it from. Throws
   * `MlflowError` for an unservable flavor, a missing model file or a graph onnxruntime cannot
   * load.
   */
  static async create(
    files: ReadonlyMap<string, Uint8Array>,
    manifest: OnnxManifest | Record<string, unknown>,
    options: OnnxModelOptions = {},
  ): Promise<OnnxModel> {
    const source = options.source ?? "MLmodel";
    const config = isManifest(manifest) ? manifest : onnxManifest(manifest, source);
    const bytes = files.get(config.modelFile);
    if (!bytes) {
      throw new MlflowError(
        `The model file "${config.modelFile}" named by the onnx flavor in ${source} is not in ` +
          `the model directory.`,
        "RESOURCE_DOES_NOT_EXIST",
      );
    }
    const backend = options.backend ?? (defaultBackend ??= webBackend());
    const externalData = externalDataOf(files, config.modelFile, bytes);
    let session: OnnxSession;
    try {
      session = await backend.createSession(bytes, externalData, config.sessionOptions);
    } catch (err) {
      throw new MlflowError(
        `onnxruntime (${backend.name}) could not load "${config.modelFile}": ${ortMessage(err)}`,
        "INVALID_PARAMETER_VALUE",
        undefined,
        { cause: err },
      );
    }
    if (session.inputs.length === 0) {
      await session.release();
      throw new MlflowError(
        `The ONNX graph in "${config.modelFile}" has no inputs.`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    if (options.batching && options.batching.maxBatchSize > 1) {
      try {
        session = batchingSession(session, options.batching);
      } catch (err) {
        await session.release();
        throw err;
      }
    }
    const warn = options.log ?? ((m: string) => console.warn(m));
    const outputNames: string[] = [];
    for (const o of session.outputs) {
      if (o.isTensor) outputNames.push(o.name);
      else {
        warn(
          `Output "${o.name}" of "${config.modelFile}" is not a tensor (e.g. an sklearn ZipMap); ` +
            "it is left out of the predictions.",
        );
      }
    }
    return new OnnxModel(session, outputNames, backend.name);
  }

  /**
   * Runs the model on enforced input; resolves to the outputs in MLflow's layout. Throws
   * `MlflowError` 400 BAD_REQUEST when the graph rejects the data (MLflow's message).
   */
  run(input: ModelInput): Promise<Predictions> {
    return this.runOutputs(input).then((outputs) => shapePredictions(input.kind, outputs));
  }

  /**
   * Runs the model on enforced input; resolves to the graph's outputs as they are (by graph
   * name, with their real shapes), only `names` when given (a subset of `outputNames`).
   */
  runOutputs(
    input: ModelInput,
    names: readonly string[] = this.outputNames,
  ): Promise<OutputTensor[]> {
    let feeds;
    try {
      // Feeds are built (and copied out of any shared buffer) before anything is awaited.
      feeds = buildFeeds(input, this.inputs);
    } catch (err) {
      return Promise.reject(err);
    }
    let running;
    try {
      running = this.#session.run(feeds, names);
    } catch (err) {
      return Promise.reject(modelEvaluationError(ortMessage(err)));
    }
    return running.then((result) => {
      const outputs: OutputTensor[] = new Array(names.length);
      for (let i = 0; i < names.length; i++) {
        const t = result[names[i]];
        outputs[i] = { name: names[i], type: t.type, dims: t.dims, data: t.data };
      }
      return outputs;
    }, (err) => {
      throw modelEvaluationError(ortMessage(err));
    });
  }

  /** Frees the session. */
  release(): Promise<void> {
    return this.#session.release();
  }
}

/**
 * onnxruntime's message as ours: without the wasm binding's call prefixes and without the C++
 * source location onnxruntime puts before its text (`/onnxruntime_src/…/model.cc:202
 * onnxruntime::Model::Model(…) `), which names the machine ort was built on, not the model.
 */
function ortMessage(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  text = text.replace(/^failed to call Ort\w+\(\)\. /, "")
    .replace(/^Can't create a session\. /, "")
    .replace(/^ERROR_CODE: \d+, ERROR_MESSAGE: /, "");
  for (;;) {
    const at = /(?:^|\s)(?:[A-Za-z]:)?[\w./\\-]*\.(?:cc|cpp|c|h|hpp):\d+\s+/.exec(text);
    if (!at) break;
    // Past the path comes the C++ function: a name with "::", then its balanced "(…)".
    let end = at.index + at[0].length;
    const open = text.indexOf("(", end);
    if (open !== -1 && text.slice(end, open).includes("::")) {
      let depth = 0;
      for (let i = open; i < text.length; i++) {
        if (text[i] === "(") depth++;
        else if (text[i] === ")" && --depth === 0) {
          end = i + 1;
          break;
        }
      }
    }
    text = text.slice(0, at.index) + (at.index > 0 ? " " : "") + text.slice(end).trimStart();
  }
  return text.trim();
}

function isManifest(v: OnnxManifest | Record<string, unknown>): v is OnnxManifest {
  return typeof v.modelFile === "string" && typeof v.sessionOptions === "object";
}

/**
 * The external-data files `model.onnx` names, as the runtime receives them: every location the
 * manifest reads from the model's protobuf must be a file of the bundle, next to the model file,
 * and is handed over as bytes under the exact name the model uses. The runtime is never left to
 * resolve a path itself (onnxruntime-node would read it relative to the working directory).
 */
function externalDataOf(
  files: ReadonlyMap<string, Uint8Array>,
  modelFile: string,
  bytes: Uint8Array,
): ExternalDataFile[] {
  const notAFile = (location: string) =>
    new MlflowError(
      `"${modelFile}" names external data ${
        JSON.stringify(location.slice(0, 200))
      }, which is not a file of the model directory; external data must be files of the ` +
        "bundle, next to the model file.",
      "INVALID_PARAMETER_VALUE",
    );
  // Every bundle key passes the path rule, so a location that fails it is not a bundle file.
  const located = externalDataFiles(modelFile, bytes, (_key, _why, location) => notAFile(location));
  return located.map(({ location, key }) => {
    const data = files.get(key);
    if (!data) throw notAFile(location);
    return { path: location, data };
  });
}
