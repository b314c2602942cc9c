// Adapts an onnxruntime JavaScript API module (web or node; both implement onnxruntime-common)
// to the runtime's backend-neutral OnnxSession.
import type * as ort from "onnxruntime-web";
import type {
  ExternalDataFile,
  GraphValueInfo,
  OnnxSession,
  OnnxSessionOptions,
  TensorData,
} from "./types.ts";

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

/** Creates a session with `mod` and wraps it. */
export async function createOrtSession(
  mod: OrtModule,
  model: Uint8Array,
  externalData: ExternalDataFile[],
  options: OnnxSessionOptions,
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
    async run(feeds: Record<string, TensorData>, fetches: readonly string[]) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const name in feeds) {
        const t = feeds[name];
        // deno-lint-ignore no-explicit-any
        ortFeeds[name] = new mod.Tensor(t.type as any, t.data as any, t.dims);
      }
      const result = await session.run(ortFeeds, fetches);
      // ort's result tensors already carry type, dims and data: no copy.
      return result as unknown as Record<string, TensorData>;
    },
    release: () => session.release(),
  };
}
