/**
 * Runs a built Worker (dist/worker layout) in workerd through miniflare, with local R2.
 *
 * Miniflare needs the modules listed explicitly: `scriptPath` + module rules would make it walk
 * worker.js, and ort's dynamic `import(` defeats that walk.
 *
 * @module
 */
import { Miniflare } from "miniflare";
import type { WorkerBuild } from "../../examples/cloudflare-workers/build.ts";

/** Files of an MLflow bundle directory that are test additions, not part of the bundle. */
const NOT_BUNDLE = new Set(["golden.json", "mlmodel.dict.json"]);

/** Options of {@linkcode startWorker}. */
export interface StartWorkerOptions {
  /** Worker vars (e.g. MODEL_URI). */
  vars?: Record<string, string>;
  /** R2 key prefix -> local bundle directory, copied into the MODELS bucket before start. */
  seed?: Record<string, string>;
  compatibilityDate?: string;
}

/** A running workerd with the Worker loaded. */
export interface RunningWorker {
  mf: Miniflare;
  /** Send a request to the Worker (`url` path only, e.g. "/invocations"). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  dispose(): Promise<void>;
}

/**
 * Start workerd with the built Worker, an R2 bucket bound as MODELS and the given vars.
 *
 * @example
 * ```ts ignore
 * const worker = await startWorker(build, { seed: { iris: "tests/fixtures/mlflow-bundles/iris_mlp_onnx" } });
 * const res = await worker.fetch("/ping");
 * await worker.dispose();
 * ```
 */
export async function startWorker(
  build: WorkerBuild,
  options: StartWorkerOptions = {},
): Promise<RunningWorker> {
  const mf = new Miniflare({
    modulesRoot: build.outDir,
    modules: build.modules.map((m) => ({ type: m.type, path: m.path })),
    compatibilityDate: options.compatibilityDate ?? "2026-07-30",
    r2Buckets: ["MODELS"],
    bindings: options.vars ?? {},
  });
  try {
    await mf.ready;
    // Miniflare's R2 typings come from workers-types, which Deno does not resolve: name the slice.
    const bucket = await mf.getR2Bucket("MODELS") as unknown as {
      put(key: string, value: Uint8Array): Promise<unknown>;
    };
    for (const [prefix, dir] of Object.entries(options.seed ?? {})) {
      for (const [rel, bytes] of await readTree(dir)) {
        await bucket.put(`${prefix}/${rel}`, bytes);
      }
    }
  } catch (e) {
    await mf.dispose();
    throw e;
  }
  return {
    mf,
    fetch: (path, init) =>
      mf.dispatchFetch(
        new URL(path, "http://worker.test").href,
        init as never,
      ) as unknown as Promise<Response>,
    dispose: () => mf.dispose(),
  };
}

/** Every file below `dir` (posix relative path -> bytes), skipping test-only additions. */
export async function readTree(
  dir: string,
  prefix = "",
): Promise<[string, Uint8Array<ArrayBuffer>][]> {
  const out: [string, Uint8Array<ArrayBuffer>][] = [];
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix + entry.name;
    if (entry.isDirectory) out.push(...await readTree(`${dir}/${entry.name}`, `${rel}/`));
    else if (entry.isFile && !(prefix === "" && NOT_BUNDLE.has(entry.name))) {
      out.push([rel, await Deno.readFile(`${dir}/${entry.name}`)]);
    }
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}
