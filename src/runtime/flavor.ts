/**
 * Which MLflow flavors the runtime can serve, and the ONNX session options they carry.
 *
 * @module
 */
import { MlflowError } from "../errors.ts";
import type { OnnxSessionOptions } from "./types.ts";

/**
 * What the runtime needs from a servable model's flavors.
 *
 * @example
 * ```ts
 * import type { OnnxFlavorConfig } from "./flavor.ts";
 * const config: OnnxFlavorConfig = { modelFile: "model.onnx", sessionOptions: {} };
 * ```
 */
export interface OnnxFlavorConfig {
  /** The ONNX file, relative to the bundle root (the flavor's `data`, normally `model.onnx`). */
  modelFile: string;
  /** Options from `onnx_session_options` (only the keys MLflow applies at load time). */
  sessionOptions: OnnxSessionOptions;
}

type Flavors = Record<string, Record<string, unknown> | null | undefined>;

const HOW_TO_LOG =
  "mlflow-edge serves models logged with the ONNX flavor: export the model to ONNX (for PyTorch " +
  "torch.onnx.export, for scikit-learn skl2onnx, for TensorFlow tf2onnx) and log it with " +
  'mlflow.onnx.log_model(onnx_model, name="model", signature=signature).';

/**
 * Checks that a model can be served here (`onnx`, or `python_function` with `loader_module:
 * mlflow.onnx`) and returns its ONNX file and session options.
 *
 * Throws `MlflowError` (INVALID_PARAMETER_VALUE) naming the flavor otherwise.
 *
 * @example
 * ```ts
 * import { onnxFlavorConfig } from "./flavor.ts";
 * const config = onnxFlavorConfig({
 *   onnx: { data: "model.onnx", onnx_session_options: { graph_optimization_level: 99 } },
 *   python_function: { loader_module: "mlflow.onnx", data: "model.onnx" },
 * });
 * config.modelFile; // "model.onnx"
 * config.sessionOptions; // { graphOptimizationLevel: 99 }
 * ```
 */
export function onnxFlavorConfig(flavors: Flavors, source = "MLmodel"): OnnxFlavorConfig {
  const onnx = flavors.onnx;
  const pyfunc = flavors.python_function;
  const loader = pyfunc?.loader_module;
  if (!onnx && loader !== "mlflow.onnx") {
    const others = Object.keys(flavors).filter((f) => f !== "python_function");
    const what = others.length > 0
      ? `flavor${others.length > 1 ? "s" : ""} ${others.map((f) => `"${f}"`).join(", ")}`
      : "no model flavor";
    const pyfuncNote = typeof loader === "string"
      ? ` (python_function loader_module "${loader}")`
      : "";
    throw new MlflowError(
      `Cannot serve the model in ${source}: it has ${what}${pyfuncNote}, which mlflow-edge cannot ` +
        `run. ${HOW_TO_LOG}`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  const data = (onnx?.data ?? pyfunc?.data ?? "model.onnx") as unknown;
  if (
    typeof data !== "string" || data === "" || data.startsWith("/") ||
    data.split("/").includes("..")
  ) {
    throw new MlflowError(
      `The onnx flavor in ${source} names the model file ${JSON.stringify(data)}; expected a ` +
        `path inside the model directory such as "model.onnx".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return { modelFile: data, sessionOptions: sessionOptions(onnx?.onnx_session_options, source) };
}

function sessionOptions(raw: unknown, source: string): OnnxSessionOptions {
  if (raw === null || raw === undefined) return {};
  const bad = (key: string, value: unknown, expected: string) =>
    new MlflowError(
      `Invalid onnx_session_options in ${source}: ${key} is ${
        JSON.stringify(value)
      }; expected ${expected}.`,
      "INVALID_PARAMETER_VALUE",
    );
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw bad("the value", raw, "a mapping");
  }
  const o = raw as Record<string, unknown>;
  const out: OnnxSessionOptions = {};
  // MLflow applies only these keys at load time, and ignores falsy values.
  for (const key of ["intra_op_num_threads", "inter_op_num_threads"] as const) {
    const v = o[key];
    if (!v) continue;
    if (!Number.isInteger(v) || (v as number) < 0) throw bad(key, v, "a non-negative integer");
    if (key === "intra_op_num_threads") out.intraOpNumThreads = v as number;
    else out.interOpNumThreads = v as number;
  }
  if (o.execution_mode) {
    const mode = String(o.execution_mode).toLowerCase();
    if (mode !== "sequential" && mode !== "parallel") {
      throw bad("execution_mode", o.execution_mode, '"sequential" or "parallel"');
    }
    out.executionMode = mode;
  }
  if (o.graph_optimization_level) {
    const level = o.graph_optimization_level;
    if (level !== 1 && level !== 2 && level !== 99) {
      throw bad("graph_optimization_level", level, "0, 1, 2 or 99");
    }
    out.graphOptimizationLevel = level;
  }
  if (o.extra_session_config) {
    const extra = o.extra_session_config;
    if (typeof extra !== "object" || Array.isArray(extra)) {
      throw bad("extra_session_config", extra, "a mapping of strings");
    }
    out.extra = Object.fromEntries(
      Object.entries(extra as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
  }
  return out;
}
