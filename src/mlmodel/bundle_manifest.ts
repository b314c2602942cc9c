/**
 * What a servable MLflow bundle is made of, decided once here: whether its flavors can be served
 * (ONNX), its ONNX file, the session options MLflow applies, the external-data files the graph
 * names (read from its protobuf), the other files worth fetching, and the one rule every path a
 * bundle names must pass. The stores call it to discover files; the runtime receives its
 * {@linkcode OnnxManifest} as a typed value.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import { onnxFlavorOf, pyfuncFlavorOf } from "./flavors.ts";
import { onnxExternalDataLocations } from "./onnx_external_data.ts";

/**
 * Why `path` cannot name a file of a bundle, or `undefined` when it can: a plain, normalised,
 * relative POSIX path that stays inside the bundle root.
 *
 * @example
 * ```ts
 * import { unsafeBundlePath } from "./bundle_manifest.ts";
 * unsafeBundlePath("model.onnx"); // undefined
 * unsafeBundlePath("../secret"); // 'contains a ".." segment'
 * ```
 */
export function unsafeBundlePath(path: unknown): string | undefined {
  if (typeof path !== "string" || path.length === 0) return "is empty";
  if (path.length > 1024) return "is longer than 1024 characters";
  if (path.includes("\\")) return "contains a backslash";
  if (path.includes("\0")) return "contains a NUL character";
  if (path.startsWith("/")) return "is an absolute path";
  if (/^[a-zA-Z]:/.test(path)) return "starts with a drive letter";
  for (const part of path.split("/")) {
    if (part === "..") return 'contains a ".." segment';
    if (part === "." || part === "") return "is not a normalised path";
  }
  return undefined;
}

/** A path as a bundle key: writers sometimes prefix `./`, which names the same file. */
function keyOf(path: string): string {
  return path.startsWith("./") ? path.slice(2) : path;
}

/**
 * Session options from the `onnx` flavor's `onnx_session_options`: the keys MLflow applies when
 * it loads the model (spec §1.4).
 *
 * @example
 * ```ts
 * import type { OnnxSessionOptions } from "./bundle_manifest.ts";
 * const options: OnnxSessionOptions = { graphOptimizationLevel: 99, executionMode: "sequential" };
 * ```
 */
export interface OnnxSessionOptions {
  /** Threads inside one operator (0 = the runtime's default). */
  intraOpNumThreads?: number;
  /** Threads across operators, with the parallel execution mode. */
  interOpNumThreads?: number;
  /** Run operators one after another or in parallel. */
  executionMode?: "sequential" | "parallel";
  /** onnxruntime's graph optimisation level: 0 none, 1 basic, 2 extended, 99 all. */
  graphOptimizationLevel?: 0 | 1 | 2 | 99;
  /** Extra session config entries (`extra_session_config` in the MLmodel). */
  extra?: Record<string, string>;
}

/**
 * What the runtime needs to open a servable bundle's graph.
 *
 * @example
 * ```ts
 * import type { OnnxManifest } from "./bundle_manifest.ts";
 * const m: OnnxManifest = { modelFile: "model.onnx", sessionOptions: {} };
 * ```
 */
export interface OnnxManifest {
  /** The ONNX file, a bundle key (the flavor's `data`, normally `model.onnx`). */
  modelFile: string;
  /** The options MLflow applies from `onnx_session_options`. */
  sessionOptions: OnnxSessionOptions;
}

const HOW_TO_LOG =
  "mlflow-edge serves models logged with the ONNX flavor: export the model to ONNX (for PyTorch " +
  "torch.onnx.export, for scikit-learn skl2onnx, for TensorFlow tf2onnx) and log it with " +
  'mlflow.onnx.log_model(onnx_model, name="model", signature=signature).';

/**
 * Whether a flavor block marks the ONNX graph: the `onnx` flavor, or `python_function` with
 * `loader_module: mlflow.onnx`.
 *
 * @example
 * ```ts
 * import { isOnnxFlavor } from "./bundle_manifest.ts";
 * isOnnxFlavor("python_function", { loader_module: "mlflow.onnx" }); // true
 * ```
 */
export function isOnnxFlavor(name: string, block: unknown): boolean {
  return name === "onnx" ||
    (name === "python_function" && (block as { loader_module?: unknown } | null)?.loader_module ===
        "mlflow.onnx");
}

/**
 * Checks that a model can be served here (`onnx`, or `python_function` with `loader_module:
 * mlflow.onnx`) and returns its ONNX file and session options. The flavor blocks are checked by
 * {@linkcode onnxFlavorOf} and {@linkcode pyfuncFlavorOf}, the one validator of their fields.
 *
 * Throws `MlflowError` (INVALID_PARAMETER_VALUE) naming the flavor otherwise.
 *
 * @example
 * ```ts
 * import { onnxManifest } from "./bundle_manifest.ts";
 * const m = onnxManifest({
 *   onnx: { data: "model.onnx", onnx_session_options: { graph_optimization_level: 99 } },
 *   python_function: { loader_module: "mlflow.onnx", data: "model.onnx" },
 * });
 * m.modelFile; // "model.onnx"
 * m.sessionOptions; // { graphOptimizationLevel: 99 }
 * ```
 */
export function onnxManifest(flavors: Record<string, unknown>, source = "MLmodel"): OnnxManifest {
  const onnx = onnxFlavorOf(flavors, source);
  const pyfunc = pyfuncFlavorOf(flavors, source);
  if (!onnx && pyfunc?.loader_module !== "mlflow.onnx") {
    const others = Object.keys(flavors).filter((f) => f !== "python_function");
    const what = others.length > 0
      ? `flavor${others.length > 1 ? "s" : ""} ${others.map((f) => `"${f}"`).join(", ")}`
      : "no model flavor";
    const pyfuncNote = pyfunc ? ` (python_function loader_module "${pyfunc.loader_module}")` : "";
    throw new MlflowError(
      `Cannot serve the model in ${source}: it has ${what}${pyfuncNote}, which mlflow-edge cannot ` +
        `run. ${HOW_TO_LOG}`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  const data = keyOf(onnx?.data ?? pyfunc?.data ?? "model.onnx");
  const why = unsafeBundlePath(data);
  if (why) {
    throw new MlflowError(
      `The onnx flavor in ${source} names the model file ${JSON.stringify(data)}, which ${why}; ` +
        `expected a path inside the model directory such as "model.onnx".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  const o = onnx?.onnx_session_options ?? {};
  const options: OnnxSessionOptions = {};
  // MLflow applies only these keys at load time, and skips falsy values.
  if (o.intra_op_num_threads) options.intraOpNumThreads = o.intra_op_num_threads;
  if (o.inter_op_num_threads) options.interOpNumThreads = o.inter_op_num_threads;
  if (o.execution_mode) {
    options.executionMode = o.execution_mode.toLowerCase() as "sequential" | "parallel";
  }
  if (o.graph_optimization_level) {
    options.graphOptimizationLevel = o.graph_optimization_level as 1 | 2 | 99;
  }
  if (o.extra_session_config) {
    options.extra = Object.fromEntries(
      Object.entries(o.extra_session_config).map(([k, v]) => [k, String(v)]),
    );
  }
  return { modelFile: data, sessionOptions: options };
}

/**
 * The files an MLmodel names, for a store that cannot list its bundle (plain HTTP): the ONNX
 * graphs it must have, and the files worth trying (other flavors' data, input examples).
 * Every path passes {@linkcode unsafeBundlePath}; `refuse` turns a bad one into the caller's
 * error.
 *
 * @example
 * ```ts
 * import { namedFiles } from "./bundle_manifest.ts";
 * const f = namedFiles(
 *   { flavors: { onnx: { data: "model.onnx" } }, saved_input_example_info: { artifact_path: "input_example.json" } },
 *   (path, why) => new Error(`${path} ${why}`),
 * );
 * f.onnx; // ["model.onnx"]
 * f.optional; // ["input_example.json"]
 * ```
 */
export function namedFiles(
  mlmodel: Record<string, unknown>,
  refuse: (path: string, why: string) => Error,
): { required: string[]; optional: string[]; onnx: string[] } {
  const required = new Set<string>();
  const optional = new Set<string>();
  const onnx = new Set<string>();
  const checked = (path: string) => {
    const key = keyOf(path);
    const why = unsafeBundlePath(key);
    if (why) throw refuse(key, why);
    return key;
  };
  const flavors = isRecord(mlmodel.flavors) ? mlmodel.flavors : {};
  for (const [name, flavor] of Object.entries(flavors)) {
    if (!isRecord(flavor) || typeof flavor.data !== "string") continue;
    const key = checked(flavor.data);
    const graph = isOnnxFlavor(name, flavor);
    // Other flavors' data is often a directory, which plain HTTP cannot list: best effort.
    (graph ? required : optional).add(key);
    if (graph || key.endsWith(".onnx")) onnx.add(key);
  }
  const example = mlmodel.saved_input_example_info;
  if (isRecord(example)) {
    for (const field of ["artifact_path", "serving_input_path"]) {
      const v = example[field];
      if (typeof v === "string") optional.add(checked(v));
    }
  }
  for (const k of required) optional.delete(k);
  return { required: [...required], optional: [...optional], onnx: [...onnx] };
}

/**
 * The external-data files an ONNX graph names, read from its protobuf: each location as the
 * graph writes it and the bundle key it resolves to (next to the graph file). A location that
 * would leave the bundle throws `refuse`'s error (default: an `MlflowError` naming the graph).
 *
 * @example
 * ```ts
 * import { externalDataFiles } from "./bundle_manifest.ts";
 * const graph = await Deno.readFile("tests/fixtures/mlflow-bundles/iris_mlp_onnx/model.onnx");
 * externalDataFiles("model.onnx", graph); // [{ location: "7a35…", key: "7a35…" }]
 * ```
 */
export function externalDataFiles(
  modelFile: string,
  bytes: Uint8Array,
  refuse?: (path: string, why: string, location: string) => Error,
): { location: string; key: string }[] {
  const slash = modelFile.lastIndexOf("/");
  const dir = slash >= 0 ? modelFile.slice(0, slash + 1) : "";
  return onnxExternalDataLocations(bytes, modelFile).map((location) => {
    const key = dir + keyOf(location);
    const why = unsafeBundlePath(key);
    if (why && refuse) throw refuse(key, why, location);
    if (why) {
      throw new MlflowError(
        `"${modelFile}" names external data ${
          JSON.stringify(location.slice(0, 200))
        }, which ${why}; external data must be files of the bundle, next to the model file.`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    return { location, key };
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
