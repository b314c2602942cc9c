/**
 * {@linkcode saveOnnxModel}: the files `mlflow.onnx.save_model` writes for an ONNX model, built
 * in memory (no filesystem), so the same code saves to disk, uploads to a tracking server or
 * runs inside a Worker.
 *
 * @module
 */
import { DEFAULT_PYTHON_ENVIRONMENT, environmentFiles, pipRequirements } from "./environment.ts";
import type { PythonEnvironment } from "./environment.ts";
import { inferSignature } from "./infer.ts";
import type { InputExampleOptions } from "./input_example.ts";
import { Model } from "./model.ts";
import { rewriteOnnxExternalData } from "./onnx_external_data.ts";
import type { ModelSignature } from "./signature.ts";

/**
 * MLflow's default `onnx_execution_providers`.
 *
 * @example
 * ```ts
 * import { DEFAULT_ONNX_PROVIDERS } from "./onnx_save.ts";
 * DEFAULT_ONNX_PROVIDERS[1]; // "CPUExecutionProvider"
 * ```
 */
export const DEFAULT_ONNX_PROVIDERS: readonly string[] = Object.freeze([
  "CUDAExecutionProvider",
  "CPUExecutionProvider",
]);

/**
 * What {@linkcode saveOnnxModel} takes: `mlflow.onnx.save_model`'s arguments, in camelCase.
 *
 * @example
 * ```ts
 * import type { SaveOnnxOptions } from "./onnx_save.ts";
 * const options: SaveOnnxOptions = { onnx: new Uint8Array(), inputExample: { x: 1.5 } };
 * ```
 */
export interface SaveOnnxOptions {
  /** The serialized ONNX ModelProto (`model.onnx`). */
  onnx: Uint8Array;
  /** External-data files `onnx` refers to, by location. */
  externalData?: ReadonlyMap<string, Uint8Array>;
  /** The MLmodel to add the flavors to (`mlflow_model`); default a new {@linkcode Model}. */
  model?: Model;
  /** The signature; when absent and `inputExample` is given, inferred from it (inputs only). */
  signature?: ModelSignature | null;
  /** Skip the inference above, as MLflow's onnx flavor itself does. Default true (infer). */
  inferSignature?: boolean;
  /** The input example, saved as `input_example.json` and `serving_input_example.json`. */
  inputExample?: unknown;
  /** How the example is saved (`kind`, `params`). */
  inputExampleOptions?: InputExampleOptions;
  /** requirements.txt as given (mlflow is added when missing); default the flavor's pins. */
  pipRequirements?: string[];
  /** Added to the default requirements. */
  extraPipRequirements?: string[];
  /** `providers`; default {@linkcode DEFAULT_ONNX_PROVIDERS}. */
  onnxExecutionProviders?: string[];
  /** `onnx_session_options`; default null. */
  onnxSessionOptions?: Record<string, unknown> | null;
  /** `metadata`. */
  metadata?: Record<string, unknown> | null;
  /** Move initializers of ~1 KiB and more into one external file, as onnx does. Default true. */
  saveAsExternalData?: boolean;
  /** The Python environment declared; default {@linkcode DEFAULT_PYTHON_ENVIRONMENT}. */
  environment?: Partial<PythonEnvironment>;
}

/**
 * A saved model: the MLmodel and every file of the bundle (MLmodel included) by relative path.
 *
 * @example
 * ```ts
 * import type { SavedBundle } from "./onnx_save.ts";
 * const saved: SavedBundle | undefined = undefined;
 * saved?.files.get("MLmodel");
 * ```
 */
export interface SavedBundle {
  /** The MLmodel, as written to `files.get("MLmodel")`. */
  model: Model;
  /** File contents by relative path. */
  files: Map<string, Uint8Array>;
}

/**
 * The files `mlflow.onnx.save_model` writes, in memory: the example files, `model.onnx` (with
 * its initializers moved to one uuid-named external file when `saveAsExternalData`), the
 * `python_function` and `onnx` flavors, `model_size_bytes` counted before MLmodel and the
 * environment files as MLflow counts it, then `MLmodel`, `conda.yaml`, `requirements.txt` and
 * `python_env.yaml`.
 *
 * @example
 * ```ts
 * import { saveOnnxModel } from "./onnx_save.ts";
 * const dir = "tests/fixtures/mlflow-bundles/iris_mlp_onnx/";
 * const loc = "7a352ddc-e9a0-11f1-9901-02fc00000001";
 * const { files, model } = saveOnnxModel({
 *   onnx: await Deno.readFile(dir + "model.onnx"),
 *   externalData: new Map([[loc, await Deno.readFile(dir + loc)]]),
 *   inputExample: { "sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2 },
 * });
 * model.modelSizeBytes; // 2669
 * [...files.keys()].length; // 8
 * ```
 */
export function saveOnnxModel(options: SaveOnnxOptions): SavedBundle {
  const env = { ...DEFAULT_PYTHON_ENVIRONMENT, ...options.environment };
  const model = options.model ?? new Model({ mlflowVersion: env.mlflow });
  model.mlflowVersion ??= env.mlflow;
  const encoder = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  if (options.signature) model.signature = options.signature;
  if (options.inputExample !== undefined) {
    model.setInputExample(options.inputExample, options.inputExampleOptions);
    for (const [path, text] of model.stagedExampleFiles ?? []) {
      files.set(path, encoder.encode(text));
    }
    if (!model.signature && (options.inferSignature ?? true)) {
      model.signature = inferSignature(
        options.inputExample,
        undefined,
        options.inputExampleOptions?.params ?? null,
      );
    }
  }
  if (options.metadata) model.metadata = options.metadata;
  const onnx = rewriteOnnxExternalData(options.onnx, {
    externalData: options.externalData,
    saveAsExternalData: options.saveAsExternalData ?? true,
  });
  files.set("model.onnx", onnx.model);
  for (const [location, bytes] of onnx.externalData) files.set(location, bytes);
  model.addFlavor("python_function", {
    loader_module: "mlflow.onnx",
    python_version: env.python,
    data: "model.onnx",
    env: { conda: "conda.yaml", virtualenv: "python_env.yaml" },
  });
  model.addFlavor("onnx", {
    onnx_version: env.onnx,
    data: "model.onnx",
    providers: [...(options.onnxExecutionProviders ?? DEFAULT_ONNX_PROVIDERS)],
    onnx_session_options: options.onnxSessionOptions ?? null,
    code: null,
  });
  const size = [...files.values()].reduce((s, b) => s + b.length, 0);
  if (size) model.modelSizeBytes = size;
  files.set("MLmodel", encoder.encode(model.toYaml()));
  const requirements = pipRequirements(
    [`onnx==${env.onnx}`, `onnxruntime==${env.onnxruntime}`],
    { ...options, env },
  );
  for (const [path, text] of environmentFiles(requirements, env)) {
    files.set(path, encoder.encode(text));
  }
  return { model, files };
}
