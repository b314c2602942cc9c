/**
 * The Python environment files MLflow writes beside a model (`requirements.txt`, `conda.yaml`,
 * `python_env.yaml`), which `mlflow models serve --env-manager virtualenv|conda` and
 * `mlflow.pyfunc.load_model` read to recreate or check the environment (spec §1.6).
 *
 * @module
 */
import { safeDump } from "./py_yaml.ts";

/**
 * The Python environment a bundle declares. The defaults are the environment the fixture
 * bundles were written in by MLflow (`tests/fixtures/mlflow-bundles`).
 *
 * @example
 * ```ts
 * import { DEFAULT_PYTHON_ENVIRONMENT, type PythonEnvironment } from "./environment.ts";
 * const env: PythonEnvironment = { ...DEFAULT_PYTHON_ENVIRONMENT, python: "3.12.7" };
 * ```
 */
export interface PythonEnvironment {
  /** `python_version` and `python=` in conda.yaml, e.g. `3.11.2`. */
  python: string;
  /** The build tools pinned in python_env.yaml (and `pip<=` in conda.yaml). */
  pip: string;
  /** setuptools version in python_env.yaml. */
  setuptools: string;
  /** wheel version in python_env.yaml. */
  wheel: string;
  /** The MLflow release pinned in requirements.txt (`mlflow==…`) and written as `mlflow_version`. */
  mlflow: string;
  /** `onnx.__version__`: the onnx flavor's `onnx_version` and its requirement pin. */
  onnx: string;
  /** The onnxruntime release pinned in requirements.txt. */
  onnxruntime: string;
}

/**
 * The environment of the fixture bundles MLflow 3.6 wrote.
 *
 * @example
 * ```ts
 * import { DEFAULT_PYTHON_ENVIRONMENT } from "./environment.ts";
 * DEFAULT_PYTHON_ENVIRONMENT.mlflow; // "3.6.0"
 * ```
 */
export const DEFAULT_PYTHON_ENVIRONMENT: Readonly<PythonEnvironment> = Object.freeze({
  python: "3.11.2",
  pip: "23.0.1",
  setuptools: "66.1.1",
  wheel: "0.38.4",
  mlflow: "3.6.0",
  onnx: "1.12.0",
  onnxruntime: "1.30.0",
});

/**
 * The requirement list MLflow's `_process_pip_requirements` settles on: `pipRequirements` as
 * given, else the flavor's defaults plus `extraPipRequirements`; `mlflow==<version>` first when
 * no line names mlflow; exact duplicates dropped.
 *
 * @example
 * ```ts
 * import { DEFAULT_PYTHON_ENVIRONMENT, pipRequirements } from "./environment.ts";
 * pipRequirements(["onnx==1.12.0"], { env: DEFAULT_PYTHON_ENVIRONMENT });
 * // ["mlflow==3.6.0", "onnx==1.12.0"]
 * ```
 */
export function pipRequirements(
  defaults: string[],
  options: { pipRequirements?: string[]; extraPipRequirements?: string[]; env: PythonEnvironment },
): string[] {
  const reqs = options.pipRequirements
    ? [...options.pipRequirements]
    : [...defaults, ...(options.extraPipRequirements ?? [])];
  const names = reqs.map((r) => /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(r)?.[1]?.toLowerCase());
  if (!names.includes("mlflow")) reqs.unshift(`mlflow==${options.env.mlflow}`);
  return [...new Set(reqs.map((r) => r.trim()).filter(Boolean))];
}

/**
 * `requirements.txt`, `conda.yaml` and `python_env.yaml` as MLflow writes them: the
 * requirements one per line without a final newline; conda.yaml by `yaml.safe_dump` (sorted
 * keys); python_env.yaml in `_PythonEnv`'s key order (python, build_dependencies, dependencies).
 *
 * @example
 * ```ts
 * import { DEFAULT_PYTHON_ENVIRONMENT, environmentFiles } from "./environment.ts";
 * const files = environmentFiles(["mlflow==3.6.0"], DEFAULT_PYTHON_ENVIRONMENT);
 * files.get("requirements.txt"); // "mlflow==3.6.0"
 * ```
 */
export function environmentFiles(
  requirements: string[],
  env: PythonEnvironment,
): Map<string, string> {
  const conda = safeDump({
    channels: ["conda-forge"],
    dependencies: [`python=${env.python}`, `pip<=${env.pip}`, { pip: requirements }],
    name: "mlflow-env",
  });
  // safe_dump(sort_keys=False) of one mapping is the concatenation of its keys dumped alone.
  const pythonEnv = safeDump({ python: env.python }) +
    safeDump({
      build_dependencies: [
        `pip==${env.pip}`,
        `setuptools==${env.setuptools}`,
        `wheel==${env.wheel}`,
      ],
    }) +
    safeDump({ dependencies: ["-r requirements.txt"] });
  return new Map([
    ["requirements.txt", requirements.join("\n")],
    ["conda.yaml", conda],
    ["python_env.yaml", pythonEnv],
  ]);
}
