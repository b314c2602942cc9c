/**
 * Typed views of the `python_function` and `onnx` flavor blocks of an MLmodel (spec §1.3-§1.5).
 *
 * @module
 */

import { MlflowError } from "../errors.ts";

/**
 * The `python_function` flavor block: the serving contract.
 *
 * @example
 * ```ts
 * import { type PyfuncFlavor, pyfuncFlavorOf } from "./flavors.ts";
 * const f: PyfuncFlavor | undefined = pyfuncFlavorOf({ python_function: { loader_module: "mlflow.onnx" } });
 * ```
 */
export interface PyfuncFlavor {
  /** Python module that loads the model, e.g. `mlflow.onnx`. Always present. */
  loader_module: string;
  /** Python version at save time, e.g. `3.11.2`. */
  python_version?: string;
  /** Model data path relative to the bundle root (`model.onnx` for ONNX). */
  data?: string;
  /** Code directory, or null. */
  code?: string | null;
  /** MLflow >= 2: `{conda, virtualenv}` file names; MLflow 1.x: the conda file name. */
  env?: { conda?: string; virtualenv?: string } | string;
  /** Model config handed to the loader. */
  config?: Record<string, unknown> | null;
  /** Method to call, default `predict`. */
  predict_fn?: string;
  /** Whether the model streams. */
  streamable?: boolean;
  /** Other keys, kept as read. */
  [key: string]: unknown;
}

/**
 * The `onnx` flavor block.
 *
 * @example
 * ```ts
 * import { type OnnxFlavor, onnxFlavorOf } from "./flavors.ts";
 * const f: OnnxFlavor | undefined = onnxFlavorOf({ onnx: { data: "model.onnx" } });
 * ```
 */
export interface OnnxFlavor {
  /** `onnx.__version__` at save time. */
  onnx_version?: string;
  /** The graph file name, always `model.onnx` when MLflow wrote it. */
  data: string;
  /** Execution providers, default `['CUDAExecutionProvider', 'CPUExecutionProvider']`. */
  providers?: string[];
  /** onnxruntime session options, or null. */
  onnx_session_options?: OnnxSessionOptionsBlock | null;
  /** Code directory, or null. */
  code?: string | null;
  /** Other keys, kept as read. */
  [key: string]: unknown;
}

/**
 * The keys of `onnx_session_options` that MLflow applies at load time.
 *
 * @example
 * ```ts
 * import type { OnnxSessionOptionsBlock } from "./flavors.ts";
 * const o: OnnxSessionOptionsBlock = { intra_op_num_threads: 1, execution_mode: "sequential" };
 * ```
 */
export interface OnnxSessionOptionsBlock {
  /** Threads within an operator (>= 0). */
  intra_op_num_threads?: number;
  /** Threads across operators. */
  inter_op_num_threads?: number;
  /** `sequential` or `parallel` (any case). */
  execution_mode?: string;
  /** 0, 1, 2 or 99. */
  graph_optimization_level?: number;
  /** String session config entries. */
  extra_session_config?: Record<string, string>;
  /** Other `onnxruntime.SessionOptions` attributes (not applied by MLflow at load). */
  [key: string]: unknown;
}

/**
 * The `pytorch` flavor block (recognised, never run).
 *
 * @example
 * ```ts
 * import type { PytorchFlavor } from "./flavors.ts";
 * const f: PytorchFlavor = { model_data: "data", pytorch_version: "2.5.1", code: null };
 * ```
 */
export interface PytorchFlavor {
  /** Directory holding `model.pth`. */
  model_data?: string;
  /** torch version at save time. */
  pytorch_version?: string;
  /** Code directory, or null. */
  code?: string | null;
  /** Other keys, kept as read. */
  [key: string]: unknown;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The `python_function` block of `flavors`, checked; `undefined` when the model has none.
 * Throws an MlflowError when the block is present but malformed (no `loader_module`).
 *
 * @example
 * ```ts
 * import { pyfuncFlavorOf } from "./flavors.ts";
 * pyfuncFlavorOf({ python_function: { loader_module: "mlflow.onnx", data: "model.onnx" } })?.data;
 * // "model.onnx"
 * ```
 */
export function pyfuncFlavorOf(
  flavors: Record<string, unknown>,
  source = "MLmodel",
): PyfuncFlavor | undefined {
  const f = flavors["python_function"];
  if (f === undefined) return undefined;
  if (!isMapping(f)) {
    throw new MlflowError(
      `MLmodel file '${source}': field 'flavors.python_function' must be a mapping`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  if (typeof f.loader_module !== "string") {
    throw new MlflowError(
      `MLmodel file '${source}': field 'flavors.python_function.loader_module' must be a string`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  for (const k of ["data", "python_version"] as const) {
    if (f[k] !== undefined && f[k] !== null && typeof f[k] !== "string") {
      throw new MlflowError(
        `MLmodel file '${source}': field 'flavors.python_function.${k}' must be a string`,
        "INVALID_PARAMETER_VALUE",
      );
    }
  }
  return f as PyfuncFlavor;
}

/**
 * The `onnx` block of `flavors`, checked; `undefined` when the model has none.
 *
 * @example
 * ```ts
 * import { onnxFlavorOf } from "./flavors.ts";
 * onnxFlavorOf({ onnx: { data: "model.onnx", onnx_session_options: null } })?.data; // "model.onnx"
 * ```
 */
export function onnxFlavorOf(
  flavors: Record<string, unknown>,
  source = "MLmodel",
): OnnxFlavor | undefined {
  const f = flavors["onnx"];
  if (f === undefined) return undefined;
  const fail = (field: string, what: string, got?: unknown): never => {
    const value = got === undefined ? "" : `, got ${JSON.stringify(got)}`;
    throw new MlflowError(
      `MLmodel file '${source}': field 'flavors.onnx${field}' ${what}${value}`,
      "INVALID_PARAMETER_VALUE",
    );
  };
  if (!isMapping(f)) return fail("", "must be a mapping");
  if (typeof f.data !== "string") fail(".data", "must be a string (the ONNX file name)");
  if (f.providers !== undefined && f.providers !== null) {
    if (!Array.isArray(f.providers) || f.providers.some((p) => typeof p !== "string")) {
      fail(".providers", "must be a list of strings");
    }
  }
  const so = f.onnx_session_options;
  if (so !== undefined && so !== null) {
    if (!isMapping(so)) fail(".onnx_session_options", "must be a mapping or null");
    const o = so as Record<string, unknown>;
    if (
      o.execution_mode !== undefined && o.execution_mode !== null &&
      !(typeof o.execution_mode === "string" &&
        ["sequential", "parallel"].includes(o.execution_mode.toLowerCase()))
    ) {
      fail(
        ".onnx_session_options.execution_mode",
        "must be 'sequential' or 'parallel'",
        o.execution_mode,
      );
    }
    if (
      o.graph_optimization_level !== undefined && o.graph_optimization_level !== null &&
      ![0, 1, 2, 99].includes(o.graph_optimization_level as number)
    ) {
      fail(
        ".onnx_session_options.graph_optimization_level",
        "must be one of 0, 1, 2, 99",
        o.graph_optimization_level,
      );
    }
    for (const k of ["intra_op_num_threads", "inter_op_num_threads"]) {
      const n = o[k];
      if (n !== undefined && n !== null && !(Number.isInteger(n) && (n as number) >= 0)) {
        fail(`.onnx_session_options.${k}`, "must be a non-negative integer", n);
      }
    }
    const extra = o.extra_session_config;
    if (extra !== undefined && extra !== null && !isMapping(extra)) {
      fail(".onnx_session_options.extra_session_config", "must be a mapping");
    }
  }
  return f as OnnxFlavor;
}
