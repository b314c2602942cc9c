/**
 * The MLmodel file (`mlflow.models.Model`): reading, writing and the typed view of its fields.
 *
 * @module
 */

import { MlflowError } from "../errors.ts";
import { type BundleSource, checkRelative, localPath, readerFor } from "./bundle_files.ts";
import { PyFloat } from "./py_json.ts";
import { PyTimestamp, safeDump } from "./py_yaml.ts";
import {
  type OnnxFlavor,
  onnxFlavorOf,
  type PyfuncFlavor,
  pyfuncFlavorOf,
  type PytorchFlavor,
} from "./flavors.ts";
import {
  buildInputExample,
  type InputExample,
  type InputExampleOptions,
  parseExampleText,
  type SavedInputExampleInfo,
} from "./input_example.ts";
import { ModelSignature } from "./signature.ts";
import { DEFAULT_MAX_MLMODEL_BYTES, parseMlmodelYaml } from "./mlmodel_yaml.ts";

/**
 * Limits applied while reading an MLmodel file.
 *
 * @example
 * ```ts
 * import { Model, type ReadOptions } from "./model.ts";
 * const opts: ReadOptions = { maxBytes: 65536 };
 * Model.fromYaml("flavors: {}\n", "MLmodel", opts);
 * ```
 */
export interface ReadOptions {
  /** Largest MLmodel text accepted (default 4 MiB). */
  maxBytes?: number;
}

/**
 * Fields of a new {@linkcode Model}, named like the MLmodel keys but in camelCase.
 *
 * @example
 * ```ts
 * import { Model, type ModelInit } from "./model.ts";
 * const init: ModelInit = { flavors: {}, mlflowVersion: "3.6.1.dev0" };
 * new Model(init).toDict().mlflow_version; // "3.6.1.dev0"
 * ```
 */
export interface ModelInit {
  /** `artifact_path`. */
  artifactPath?: string | null;
  /** `run_id`. */
  runId?: string | null;
  /** Python `str()` of a naive UTC datetime; defaults to now. */
  utcTimeCreated?: string;
  /** `flavors`. */
  flavors?: Record<string, Record<string, unknown>>;
  /** `signature`. */
  signature?: ModelSignature | null;
  /** `saved_input_example_info`. */
  savedInputExampleInfo?: SavedInputExampleInfo | null;
  /** Defaults to a fresh uuid4 hex, as MLflow's `save_model` does. */
  modelUuid?: string | null;
  /** `mlflow_version` (default null: omitted from the file). */
  mlflowVersion?: string | null;
  /** `metadata`. */
  metadata?: Record<string, unknown> | null;
  /** `model_size_bytes`. */
  modelSizeBytes?: number | null;
  /** `resources`. */
  resources?: Record<string, unknown> | null;
  /** `env_vars`. */
  envVars?: string[] | null;
  /** `auth_policy`. */
  authPolicy?: Record<string, unknown> | null;
  /** `model_id`. */
  modelId?: string | null;
  /** `prompts`. */
  prompts?: string[] | null;
  /** Keys MLflow does not define (kept and written back). */
  extra?: Record<string, unknown>;
}

const KNOWN = new Set([
  "artifact_path",
  "run_id",
  "utc_time_created",
  "flavors",
  "signature",
  "is_signature_from_type_hint",
  "type_hint_from_example",
  "saved_input_example_info",
  "model_uuid",
  "mlflow_version",
  "metadata",
  "model_size_bytes",
  "resources",
  "env_vars",
  "auth_policy",
  "model_id",
  "prompts",
]);

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof PyFloat) &&
    !(v instanceof Date) && !(v instanceof PyTimestamp) && !ArrayBuffer.isView(v);
}

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "a list";
  if (isMapping(v)) return "a mapping";
  return `a ${typeof v} (${JSON.stringify(String(v)).slice(0, 60)})`;
}

/** Python `str(datetime.now(timezone.utc).replace(tzinfo=None))`. */
function pyUtcNow(): string {
  const d = new Date();
  const base = d.toISOString().slice(0, 19).replace("T", " ");
  const ms = d.getUTCMilliseconds();
  return ms ? `${base}.${String(ms * 1000).padStart(6, "0")}` : base;
}

/** Deep copy into plain JSON-able values (integral floats become numbers). */
function plain(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (v instanceof PyTimestamp) return v.text;
  if (Array.isArray(v)) return v.map(plain);
  if (isMapping(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plain(x);
    return o;
  }
  return v;
}

/** Deep copy that keeps {@linkcode PyFloat} markers (for YAML output). */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (isMapping(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = copy(x);
    return o;
  }
  return v;
}

/**
 * What logging a model returns, as MLflow's `ModelInfo` (`mlflow/models/model.py`) names it.
 *
 * @example
 * ```ts
 * import type { ModelInfo } from "./model.ts";
 * const info: ModelInfo = {
 *   modelUri: "models:/m-f28e", modelId: "m-f28e", runId: "5eac", experimentId: "1",
 *   artifactPath: "mlflow-artifacts:/1/models/m-f28e/artifacts", version: "1",
 * };
 * ```
 */
export interface ModelInfo {
  /** `models:/<model_id>`. */
  modelUri: string;
  /** The LoggedModel id, `m-…`. */
  modelId: string;
  /** The run the model was logged in. */
  runId: string;
  /** The experiment the model was logged in. */
  experimentId: string;
  /** The LoggedModel's artifact URI (MLflow 3's `artifact_path`). */
  artifactPath: string;
  /** The registered model version (`registered_model_version`), a string, when registered. */
  version?: string;
}

/**
 * Options of {@linkcode Model.log}: those of `logModel` in the tracking module
 * (`LogModelOptions`): `trackingUri`, `onnx`, `name`, `signature`, `inputExample`,
 * `registeredModelName`, `alias`, `experimentName`/`experimentId`, `runId`, `tags`, `params`,
 * `metrics`, `pipRequirements`, `saveAsExternalData`, ….
 *
 * @example
 * ```ts
 * import type { ModelLogOptions } from "./model.ts";
 * const options: ModelLogOptions = { trackingUri: "http://127.0.0.1:5000", onnx: "model.onnx" };
 * ```
 */
export interface ModelLogOptions {
  /** The ONNX model: bytes or the path of `model.onnx`. */
  onnx: Uint8Array | string | URL;
  /** The tracking server. */
  trackingUri?: string;
  /** Every other option of `logModel`. */
  [option: string]: unknown;
}

let modelLogger: ((options: ModelLogOptions) => Promise<ModelInfo>) | undefined;

/**
 * An MLflow model: the parsed MLmodel file plus helpers for its flavors, signature and input
 * example.
 *
 * @example
 * ```ts
 * import { Model } from "./model.ts";
 * const m = Model.fromYaml(
 *   "flavors:\n  python_function:\n    loader_module: mlflow.onnx\n    data: model.onnx\n",
 *   "MLmodel",
 * );
 * m.pyfuncFlavor()?.loader_module; // "mlflow.onnx"
 * m.toYaml().startsWith("flavors:\n  python_function:\n    data: model.onnx\n"); // true
 * ```
 */
export class Model {
  /** `artifact_path`: run-relative path (MLflow 2) or artifact URI (MLflow 3); omitted when null. */
  artifactPath: string | null;
  /** `run_id`; omitted when null. */
  runId: string | null;
  /** `utc_time_created`, e.g. `2026-11-26 13:51:27.953170`. */
  utcTimeCreated: string;
  /** `flavors`: flavor name -> flavor block. */
  flavors: Record<string, Record<string, unknown>>;
  /** `signature` (with `is_signature_from_type_hint` / `type_hint_from_example`). */
  signature: ModelSignature | null;
  /** `saved_input_example_info`. */
  savedInputExampleInfo: SavedInputExampleInfo | null;
  /** `model_uuid` (null when the file has none). */
  modelUuid: string | null;
  /** `mlflow_version` (omitted when null, as MLflow does). */
  mlflowVersion: string | null;
  /** `metadata`: free mapping. */
  metadata: Record<string, unknown> | null;
  /** `model_size_bytes`. */
  modelSizeBytes: number | null;
  /** `resources` (Databricks). */
  resources: Record<string, unknown> | null;
  /** `env_vars`: environment variable names. */
  envVars: string[] | null;
  /** `auth_policy` (Databricks). */
  authPolicy: Record<string, unknown> | null;
  /** `model_id` (MLflow 3 LoggedModel id, always written, often null). */
  modelId: string | null;
  /** `prompts` (always written, often null). */
  prompts: string[] | null;
  /** Top-level keys MLflow does not define, kept as read and written back. */
  extra: Record<string, unknown>;
  /** Where the model was read from (file name or URI), used in error messages. */
  source = "MLmodel";
  /** The bundle directory when loaded with {@linkcode Model.load}. */
  bundleDir: string | null = null;
  /** The in-memory bundle when read with {@linkcode Model.fromFiles}. */
  #files: Map<string, Uint8Array> | null = null;
  /** Example files staged by {@linkcode Model.setInputExample}, written by {@linkcode Model.save}. */
  #exampleFiles: Map<string, string> | null = null;

  /** A new model (for writing one); use {@linkcode Model.load} / {@linkcode Model.fromYaml} to read. */
  constructor(init: ModelInit = {}) {
    this.artifactPath = init.artifactPath ?? null;
    this.runId = init.runId ?? null;
    this.utcTimeCreated = init.utcTimeCreated ?? pyUtcNow();
    this.flavors = init.flavors ?? {};
    this.signature = init.signature ?? null;
    this.savedInputExampleInfo = init.savedInputExampleInfo ?? null;
    this.modelUuid = init.modelUuid === undefined
      ? crypto.randomUUID().replaceAll("-", "")
      : init.modelUuid;
    this.mlflowVersion = init.mlflowVersion ?? null;
    this.metadata = init.metadata ?? null;
    this.modelSizeBytes = init.modelSizeBytes ?? null;
    this.resources = init.resources ?? null;
    this.envVars = init.envVars ?? null;
    this.authPolicy = init.authPolicy ?? null;
    this.modelId = init.modelId ?? null;
    this.prompts = init.prompts ?? null;
    this.extra = init.extra ?? {};
  }

  /** `databricks_runtime`, when the model was saved inside Databricks. */
  get databricksRuntime(): string | null {
    return (this.extra["databricks_runtime"] as string | undefined) ?? null;
  }

  /**
   * Reads an MLmodel file's text. `source` (the file name or URI) is used in error messages.
   * Every problem is an MlflowError naming the file and the field.
   */
  static fromYaml(text: string, source = "MLmodel", options: ReadOptions = {}): Model {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_MLMODEL_BYTES;
    if (typeof text !== "string") {
      throw new MlflowError(
        `MLmodel file '${source}' must be text, got ${typeof text}`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    return Model.fromDict(parseMlmodelYaml(text, source, maxBytes), source);
  }

  /** MLflow's `Model.from_dict`: every top-level key becomes a field, unknown keys are kept. */
  static fromDict(dict: Record<string, unknown>, source = "MLmodel"): Model {
    const fail = (field: string, what: string): never => {
      throw new MlflowError(
        `MLmodel file '${source}': field '${field}' ${what}`,
        "INVALID_PARAMETER_VALUE",
      );
    };
    if (!isMapping(dict)) {
      throw new MlflowError(
        `MLmodel file '${source}' must contain a mapping at the top level, got ${kindOf(dict)}`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    const d = copy(dict) as Record<string, unknown>;
    if (!("flavors" in d)) fail("flavors", "is missing");
    const flavors = d.flavors;
    if (!isMapping(flavors)) return fail("flavors", `must be a mapping, got ${kindOf(flavors)}`);
    for (const [name, block] of Object.entries(flavors)) {
      if (!isMapping(block)) fail(`flavors.${name}`, `must be a mapping, got ${kindOf(block)}`);
    }
    let signature: ModelSignature | null = null;
    const extra: Record<string, unknown> = {};
    if (isMapping(d.signature)) {
      try {
        signature = ModelSignature.fromDict(d.signature as Record<string, string | null>);
      } catch (e) {
        if (!(e instanceof MlflowError)) throw e;
        const msg = e.message.startsWith("Field '")
          ? `MLmodel file '${source}': field${e.message.slice("Field".length)}`
          : `MLmodel file '${source}': field 'signature': ${e.message}`;
        throw new MlflowError(msg, e.errorCode, e.status, { cause: e });
      }
      if ("is_signature_from_type_hint" in d) {
        signature.isSignatureFromTypeHint = d.is_signature_from_type_hint === true;
      }
      if ("type_hint_from_example" in d) {
        signature.typeHintFromExample = d.type_hint_from_example === true;
      }
    } else if (d.signature !== null && d.signature !== undefined) {
      fail(
        "signature",
        `must be a mapping of inputs, outputs and params, got ${kindOf(d.signature)}`,
      );
    } else {
      // Without a signature MLflow keeps these flags as ordinary extra keys.
      for (const k of ["is_signature_from_type_hint", "type_hint_from_example"]) {
        if (k in d) extra[k] = d[k];
      }
    }
    const info = d.saved_input_example_info;
    if (info !== undefined && info !== null) {
      if (!isMapping(info)) {
        fail("saved_input_example_info", `must be a mapping, got ${kindOf(info)}`);
      }
      const ap = (info as Record<string, unknown>).artifact_path;
      if (ap !== undefined && typeof ap !== "string") {
        fail("saved_input_example_info.artifact_path", "must be a string");
      }
    }
    for (const k of ["metadata", "resources", "auth_policy"]) {
      if (d[k] !== undefined && d[k] !== null && !isMapping(d[k])) {
        fail(k, `must be a mapping, got ${kindOf(d[k])}`);
      }
    }
    for (const k of ["env_vars", "prompts"]) {
      if (d[k] !== undefined && d[k] !== null && !Array.isArray(d[k])) {
        fail(k, `must be a list, got ${kindOf(d[k])}`);
      }
    }
    for (const [k, v] of Object.entries(d)) if (!KNOWN.has(k)) extra[k] = v;
    const utc = d.utc_time_created;
    const m = new Model({
      artifactPath: d.artifact_path as string | null,
      runId: d.run_id as string | null,
      // MLflow stores str(value or now).
      utcTimeCreated: utc === undefined || utc === null || utc === "" || utc === false || utc === 0
        ? undefined
        : String(utc instanceof PyFloat ? utc.value.toFixed(1) : utc),
      flavors: flavors as Record<string, Record<string, unknown>>,
      signature,
      savedInputExampleInfo: (info ?? null) as SavedInputExampleInfo | null,
      modelUuid: (d.model_uuid ?? null) as string | null,
      mlflowVersion: (d.mlflow_version ?? null) as string | null,
      metadata: (d.metadata ?? null) as Record<string, unknown> | null,
      modelSizeBytes: (d.model_size_bytes ?? null) as number | null,
      resources: (d.resources ?? null) as Record<string, unknown> | null,
      envVars: (d.env_vars ?? null) as string[] | null,
      authPolicy: (d.auth_policy ?? null) as Record<string, unknown> | null,
      modelId: (d.model_id ?? null) as string | null,
      prompts: (d.prompts ?? null) as string[] | null,
      extra,
    });
    m.source = source;
    return m;
  }

  /**
   * Reads the `MLmodel` of a bundle held in memory (posix paths relative to the bundle root, as
   * the store module's `fetchBundle` returns them). The model keeps the map, so
   * {@linkcode servingInputExample} and {@linkcode inputExample} read from it by default.
   */
  static fromFiles(
    files: Map<string, Uint8Array>,
    source = "MLmodel",
    options: ReadOptions = {},
  ): Model {
    const bytes = files.get("MLmodel");
    if (bytes === undefined) {
      throw new MlflowError(`No MLmodel file in '${source}'`, "RESOURCE_DOES_NOT_EXIST");
    }
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_MLMODEL_BYTES;
    if (bytes.byteLength > maxBytes) {
      throw new MlflowError(
        `MLmodel file '${source}' is ${bytes.byteLength} bytes, more than the limit of ${maxBytes}`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new MlflowError(
        `MLmodel file '${source}' is not valid UTF-8`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    const model = Model.fromYaml(text, source, options);
    model.#files = files;
    return model;
  }

  /**
   * Reads the MLmodel of a bundle directory, or the MLmodel file itself (local path or `file:`
   * URL). Remote stores are read with the store module's `fetchBundle` and {@linkcode fromYaml}.
   */
  static async load(pathOrUrl: string | URL, options: ReadOptions = {}): Promise<Model> {
    const { readFile, stat } = await import("node:fs/promises");
    const { basename, dirname, join } = await import("node:path");
    let path = await localPath(pathOrUrl, "Model.load");
    path = path.length > 1 ? path.replace(/[\\/]+$/, "") : path;
    const isFile = basename(path) === "MLmodel";
    const file = isFile ? path : join(path, "MLmodel");
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_MLMODEL_BYTES;
    let text: string;
    try {
      const st = await stat(file);
      if (st.size > maxBytes) {
        throw new MlflowError(
          `MLmodel file '${file}' is ${st.size} bytes, more than the limit of ${maxBytes}`,
          "INVALID_PARAMETER_VALUE",
        );
      }
      text = new TextDecoder("utf-8", { fatal: true }).decode(await readFile(file));
    } catch (e) {
      if (e instanceof MlflowError) throw e;
      if (
        (e as { code?: string }).code === "ENOENT" || (e as { code?: string }).code === "ENOTDIR"
      ) {
        throw new MlflowError(
          `Could not find an "MLmodel" configuration file at "${path}"`,
          "RESOURCE_DOES_NOT_EXIST",
        );
      }
      throw new MlflowError(
        `MLmodel file '${file}' could not be read: ${(e as Error).message}`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    const model = Model.fromYaml(text, file, options);
    model.bundleDir = isFile ? dirname(file) : path;
    return model;
  }

  /**
   * Logs an ONNX model to an MLflow 3 tracking server, as MLflow's classmethod
   * `Model.log(name, flavor=mlflow.onnx, …)` does, and returns its {@linkcode ModelInfo}; the
   * options are `logModel`'s (`mlflow-edge/tracking`), which does the work.
   *
   * The format layer depends on nothing of ours and the tracking module depends on it, so the
   * tracking module lends this method its implementation when it is loaded (importing
   * `logModel` from `mlflow-edge/tracking` is enough); without it, `log` says so.
   *
   * @example
   * ```ts
   * import { Model } from "./model.ts";
   * const info = await Model.log({
   *   trackingUri: "http://127.0.0.1:5000",
   *   onnx: "tests/fixtures/mlflow-bundles/iris_mlp_onnx/model.onnx",
   *   registeredModelName: "iris",
   *   alias: "champion",
   * });
   * info.modelUri; // "models:/m-…"
   * ```
   */
  static async log(options: ModelLogOptions): Promise<ModelInfo> {
    if (!modelLogger) {
      throw new MlflowError(
        "Model.log needs the tracking module: import it once " +
          '(`import { logModel } from "@mlflow-edge/mlflow-edge/tracking"`), which also lends ' +
          "Model.log its implementation.",
        "INVALID_STATE",
      );
    }
    return await modelLogger(options);
  }

  /**
   * Sets what {@linkcode Model.log} calls: the tracking module's `logModel`, registered when
   * that module loads (the format layer does not import the network code above it).
   *
   * @example
   * ```ts
   * import { Model } from "./model.ts";
   * Model.setLogger(async () => ({
   *   modelUri: "models:/m-1",
   *   modelId: "m-1",
   *   runId: "r-1",
   *   experimentId: "0",
   *   artifactPath: "mlflow-artifacts:/0/models/m-1/artifacts",
   * }));
   * ```
   */
  static setLogger(logger: (options: ModelLogOptions) => Promise<ModelInfo>): void {
    modelLogger = logger;
  }

  /** Adds (or replaces) a flavor block, like MLflow's `add_flavor`. */
  addFlavor(name: string, params: Record<string, unknown> = {}): this {
    this.flavors[name] = { ...params };
    return this;
  }

  /** The `python_function` block, typed and checked; `undefined` if the model has none. */
  pyfuncFlavor(): PyfuncFlavor | undefined {
    return pyfuncFlavorOf(this.flavors, this.source);
  }

  /** The `onnx` block, typed and checked; `undefined` if the model has none. */
  onnxFlavor(): OnnxFlavor | undefined {
    return onnxFlavorOf(this.flavors, this.source);
  }

  /** The `pytorch` block; `undefined` if the model has none (never runnable here). */
  pytorchFlavor(): PytorchFlavor | undefined {
    return this.flavors["pytorch"] as PytorchFlavor | undefined;
  }

  /** The path (relative to the bundle) of `serving_input_example.json`, if the model has one. */
  get servingInputExamplePath(): string | null {
    const p = this.savedInputExampleInfo?.serving_input_path;
    return typeof p === "string"
      ? checkRelative(p, "saved_input_example_info.serving_input_path", this.source)
      : null;
  }

  /** The path (relative to the bundle) of `input_example.json`, if the model has one. */
  get inputExamplePath(): string | null {
    const p = this.savedInputExampleInfo?.artifact_path;
    return typeof p === "string"
      ? checkRelative(p, "saved_input_example_info.artifact_path", this.source)
      : null;
  }

  /**
   * The serving input example: the exact request body MLflow saved (`serving_input_example.json`),
   * or null when the model has none. `bundle` is a directory, an in-memory bundle
   * (`Map<path, bytes>`), or a reader function; default: the directory it was loaded from.
   */
  async servingInputExample(bundle?: BundleSource): Promise<string | null> {
    const path = this.servingInputExamplePath;
    if (path === null) return null;
    const staged = this.#exampleFiles?.get(path);
    if (staged !== undefined && bundle === undefined) return staged;
    const bytes = await readerFor(this.#bundle(bundle))(path);
    if (bytes === undefined) {
      throw new MlflowError(
        `MLmodel file '${this.source}': field 'saved_input_example_info.serving_input_path' names '${path}', which is not in the bundle`,
        "RESOURCE_DOES_NOT_EXIST",
      );
    }
    return new TextDecoder().decode(bytes);
  }

  /**
   * The saved input example, parsed: `{type, data, params}` where `data` is the JSON of
   * `input_example.json` (a `dataframe` keeps its split form `{columns?, data}`); null when the
   * model has none. Bare `NaN` tokens (which MLflow writes) read as `NaN`.
   */
  async inputExample(bundle?: BundleSource): Promise<InputExample | null> {
    const path = this.inputExamplePath;
    const info = this.savedInputExampleInfo;
    if (path === null || info === null) return null;
    let text = this.#exampleFiles?.get(path);
    if (text === undefined || bundle !== undefined) {
      const bytes = await readerFor(this.#bundle(bundle))(path);
      if (bytes === undefined) {
        throw new MlflowError(
          `MLmodel file '${this.source}': field 'saved_input_example_info.artifact_path' names '${path}', which is not in the bundle`,
          "RESOURCE_DOES_NOT_EXIST",
        );
      }
      text = new TextDecoder().decode(bytes);
    }
    return parseExampleText(text, info, `${path} of ${this.source}`);
  }

  #bundle(bundle?: BundleSource): BundleSource {
    if (bundle !== undefined) return bundle;
    if (this.#files !== null) return this.#files;
    if (this.bundleDir === null) {
      throw new MlflowError(
        `Model '${this.source}' was not loaded from a directory; pass the bundle to read its input example`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    return this.bundleDir;
  }

  /**
   * Stages an input example (and optional params) as MLflow's `_Example` would save it: sets
   * `saved_input_example_info` and the contents of `input_example.json` and
   * `serving_input_example.json`, written by {@linkcode save}.
   */
  setInputExample(data: unknown, options: InputExampleOptions = {}): this {
    const built = buildInputExample(data, options);
    this.savedInputExampleInfo = built.info;
    this.#exampleFiles = built.files;
    return this;
  }

  /** The staged example files (path -> text), if {@linkcode setInputExample} was called. */
  get stagedExampleFiles(): ReadonlyMap<string, string> | null {
    return this.#exampleFiles;
  }

  /** MLflow's `Model.to_dict()`: plain JSON values, signature parts as JSON strings. */
  toDict(): Record<string, unknown> {
    return plain(this.#dict()) as Record<string, unknown>;
  }

  #dict(): Record<string, unknown> {
    const res: Record<string, unknown> = {};
    if (this.runId !== null) res.run_id = this.runId;
    if (this.artifactPath !== null) res.artifact_path = this.artifactPath;
    res.utc_time_created = this.utcTimeCreated;
    res.flavors = copy(this.flavors);
    res.model_uuid = this.modelUuid;
    if (this.mlflowVersion !== null) res.mlflow_version = this.mlflowVersion;
    res.prompts = copy(this.prompts);
    res.model_id = this.modelId;
    for (const [k, v] of Object.entries(this.extra)) res[k] = copy(v);
    if (this.signature !== null) {
      res.signature = this.signature.toDict();
      res.is_signature_from_type_hint = this.signature.isSignatureFromTypeHint;
      res.type_hint_from_example = this.signature.typeHintFromExample;
    }
    if (this.savedInputExampleInfo !== null) {
      res.saved_input_example_info = copy(this.savedInputExampleInfo);
    }
    if (this.metadata !== null) res.metadata = copy(this.metadata);
    if (this.resources !== null) res.resources = copy(this.resources);
    if (this.modelSizeBytes !== null) res.model_size_bytes = this.modelSizeBytes;
    if (this.authPolicy !== null) res.auth_policy = copy(this.authPolicy);
    if (this.envVars !== null) res.env_vars = copy(this.envVars);
    return res;
  }

  /** MLflow's `Model.to_yaml()`: PyYAML `safe_dump` layout (block style, sorted keys). */
  toYaml(): string {
    return safeDump(this.#dict());
  }

  /** MLflow's `Model.to_json()` equivalent as plain JSON text. */
  toJSON(): Record<string, unknown> {
    return this.toDict();
  }

  /**
   * Writes `MLmodel` into `dir` (created if needed) and the input example files: the staged ones
   * from {@linkcode setInputExample}, or copies of the example files of the bundle the model was
   * loaded from (a directory or {@linkcode fromFiles}).
   */
  async save(dir: string | URL): Promise<void> {
    const { mkdir, writeFile } = await import("node:fs/promises");
    const { join, dirname } = await import("node:path");
    const out = await localPath(dir, "Model.save");
    await mkdir(out, { recursive: true });
    const files = new Map<string, string | Uint8Array>();
    if (this.#exampleFiles) {
      for (const [p, t] of this.#exampleFiles) files.set(p, t);
    } else if (this.bundleDir !== null || this.#files !== null) {
      const read = readerFor(this.#bundle());
      for (const p of [this.inputExamplePath, this.servingInputExamplePath]) {
        if (p === null) continue;
        const bytes = await read(p);
        if (bytes !== undefined) files.set(p, bytes);
      }
    }
    for (const [p, content] of files) {
      const target = join(out, checkRelative(p, "saved_input_example_info", this.source));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    await writeFile(join(out, "MLmodel"), this.toYaml());
  }
}
