/**
 * Reading what is logged from the local filesystem (Deno, Bun, Node): an ONNX file with the
 * external-data files it names, or a whole model directory. Loaded only when a path is given,
 * so logging from bytes needs no filesystem (Workers).
 *
 * @module
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MlflowError } from "../errors.ts";
import { externalDataFiles } from "../mlmodel/mod.ts";
import type { UploadFile } from "./upload.ts";

const MAX_FILES = 10_000;

/**
 * An ONNX model file and every external-data file it refers to (beside it, by location).
 *
 * @example
 * ```ts
 * import { readOnnxWithExternalData } from "./read_files.ts";
 * const { externalData } = await readOnnxWithExternalData("tests/fixtures/mlflow-bundles/iris_mlp_onnx/model.onnx");
 * [...externalData.keys()]; // ["7a352ddc-e9a0-11f1-9901-02fc00000001"]
 * ```
 */
export async function readOnnxWithExternalData(
  path: string | URL,
): Promise<{ onnx: Uint8Array; externalData: Map<string, Uint8Array> }> {
  const file = path instanceof URL ? fileURLToPath(path) : path;
  const onnx = await read(file);
  const externalData = new Map<string, Uint8Array>();
  // mlmodel's manifest reads the locations and refuses any outside the model's directory.
  for (const { location, key } of externalDataFiles(basename(file), onnx)) {
    externalData.set(location, await read(join(dirname(file), key)));
  }
  return { onnx, externalData };
}

/**
 * Every regular file under a model directory, by POSIX path relative to it, read on demand.
 *
 * @example
 * ```ts
 * import { readModelDir } from "./read_files.ts";
 * const files = await readModelDir("tests/fixtures/mlflow-bundles/iris_mlp_onnx");
 * files.has("MLmodel"); // true
 * ```
 */
export async function readModelDir(dir: string | URL): Promise<Map<string, UploadFile>> {
  const root = dir instanceof URL ? fileURLToPath(dir) : dir;
  const out = new Map<string, UploadFile>();
  const walk = async (path: string, prefix: string, depth: number): Promise<void> => {
    if (depth > 32) {
      throw new MlflowError(`"${root}" is nested more than 32 deep.`, "INVALID_PARAMETER_VALUE");
    }
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (err) {
      throw new MlflowError(
        `Cannot read the model directory "${path}": ${(err as Error).message}`,
        "RESOURCE_DOES_NOT_EXIST",
      );
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(path, e.name);
      if (e.isDirectory()) await walk(full, `${prefix}${e.name}/`, depth + 1);
      else if (e.isFile()) {
        if (out.size >= MAX_FILES) {
          throw new MlflowError(
            `"${root}" holds more than ${MAX_FILES} files.`,
            "RESOURCE_EXHAUSTED",
          );
        }
        const { size } = await stat(full);
        out.set(prefix + e.name, { size, read: () => read(full) });
      }
    }
  };
  await walk(root, "", 0);
  return out;
}

async function read(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new MlflowError(
      `Cannot read "${path}": ${(err as Error).message}`,
      (err as { code?: string }).code === "ENOENT" ? "RESOURCE_DOES_NOT_EXIST" : "INTERNAL_ERROR",
    );
  }
}
