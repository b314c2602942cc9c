/**
 * Reading an MLmodel file's YAML as MLflow does (PyYAML's `safe_load`): the one reader, used by
 * {@linkcode Model.fromYaml} and by the stores that must see which files an MLmodel names.
 *
 * @module
 */
import { parseDocument } from "yaml";
import { MlflowError } from "../errors.ts";
import { PyFloat } from "./py_json.ts";
import { constructTimestamp, PyTimestamp } from "./py_yaml.ts";
import { PYYAML_FALSE, PYYAML_TIMESTAMP, PYYAML_TRUE } from "./python_compat.ts";
import { assertNoYamlReferences } from "./yaml_guard.ts";

// YAML 1.1 as PyYAML's safe_load reads it: PyYAML's own patterns for bools (no `y`/`n`), ints
// (`08` is a string), floats (a dot is required, `1e5` is a string) and timestamps (kept as the
// text PyYAML writes back);
// integral floats (`1.0`) become PyFloat so that writing the file back keeps `1.0`.
// (The yaml library's own int and float tags cover the other spellings; these two narrow the
// decimal ones to PyYAML's.)
const PY_INT = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const PY_FLOAT =
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)$/;

// deno-lint-ignore no-explicit-any
type Tag = any;
function yamlTags(tags: Tag[]): Tag[] {
  const out: Tag[] = [];
  for (const t of tags) {
    if (t?.tag === "tag:yaml.org,2002:timestamp") {
      out.push({
        ...t,
        identify: (v: unknown) => v instanceof PyTimestamp,
        test: PYYAML_TIMESTAMP,
        resolve: (str: string, onError: (msg: string) => void) => {
          try {
            return constructTimestamp(str);
          } catch (e) {
            onError((e as Error).message);
            return str;
          }
        },
      });
      continue;
    }
    if (t?.tag === "tag:yaml.org,2002:bool" && t.test instanceof RegExp) {
      out.push({ ...t, test: t.test.test("true") ? PYYAML_TRUE : PYYAML_FALSE });
    } else if (t?.tag === "tag:yaml.org,2002:int" && t.test?.source === "^[-+]?[0-9][0-9_]*$") {
      out.push({ ...t, test: PY_INT });
    } else if (t?.tag === "tag:yaml.org,2002:float" && t.format === "EXP") {
      continue; // PyYAML reads `1e5` as a string
    } else if (t?.tag === "tag:yaml.org,2002:float" && t.test?.source?.includes("\\.[0-9_]*$")) {
      out.push({
        ...t,
        test: PY_FLOAT,
        resolve: (str: string) => {
          const n = parseFloat(str.replace(/_/g, ""));
          return Number.isInteger(n) ? new PyFloat(n) : n;
        },
      });
    } else {
      out.push(t);
    }
  }
  return out;
}

/**
 * Default bound on the size of an MLmodel file (characters / bytes).
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_MLMODEL_BYTES } from "./mlmodel_yaml.ts";
 * DEFAULT_MAX_MLMODEL_BYTES; // 4194304
 * ```
 */
export const DEFAULT_MAX_MLMODEL_BYTES = 4 * 1024 * 1024;

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof PyFloat) &&
    !(v instanceof Date) && !(v instanceof PyTimestamp) && !ArrayBuffer.isView(v);
}

/**
 * The top-level mapping of an MLmodel file, read as PyYAML's `safe_load` reads it (bools,
 * ints, floats and timestamps by PyYAML's patterns; integral floats as {@linkcode PyFloat}).
 * Anchors, aliases and merge keys (which MLflow never writes) are refused before anything is
 * built; so are files over the size limit and anything but a mapping. Throws `MlflowError`
 * naming `source`.
 *
 * @example
 * ```ts
 * import { parseMlmodelYaml } from "./mlmodel_yaml.ts";
 * parseMlmodelYaml("flavors:\n  onnx:\n    data: model.onnx\n", "MLmodel").flavors;
 * // { onnx: { data: "model.onnx" } }
 * ```
 */
export function parseMlmodelYaml(
  text: string,
  source: string,
  maxBytes = DEFAULT_MAX_MLMODEL_BYTES,
): Record<string, unknown> {
  if (text.length > maxBytes) {
    throw new MlflowError(
      `MLmodel file '${source}' is ${text.length} characters, more than the limit of ${maxBytes}`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  // Anchors, aliases and merge keys are refused before the YAML library builds anything.
  assertNoYamlReferences(text, `MLmodel file '${source}'`);
  let data: unknown;
  try {
    const doc = parseDocument(text, {
      version: "1.1",
      customTags: yamlTags,
      uniqueKeys: false,
      prettyErrors: true,
    });
    if (doc.errors.length) {
      throw new MlflowError(
        `MLmodel file '${source}' is not valid YAML: ${doc.errors[0].message}`,
        "INVALID_PARAMETER_VALUE",
      );
    }
    data = doc.toJS({ maxAliasCount: 0 });
  } catch (e) {
    if (e instanceof MlflowError) throw e;
    throw new MlflowError(
      `MLmodel file '${source}' could not be read as YAML: ${(e as Error).message}`,
      "INVALID_PARAMETER_VALUE",
      undefined,
      { cause: e },
    );
  }
  if (!isMapping(data)) {
    throw new MlflowError(
      `MLmodel file '${source}' must contain a YAML mapping at the top level, got ${
        data === null || data === undefined
          ? "null"
          : Array.isArray(data)
          ? "a list"
          : `a ${typeof data} (${JSON.stringify(String(data)).slice(0, 60)})`
      }`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  return data;
}
