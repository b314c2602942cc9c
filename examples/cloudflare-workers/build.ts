/**
 * `deno task build:worker`: bundles the Cloudflare Worker into `dist/worker/`.
 *
 * Output (exactly what `wrangler deploy` uploads):
 * - `worker.js`: one minified ES module (the app, hono, yaml, onnxruntime-web's wasm build);
 * - every `.wasm` it imports, copied beside it and imported as `./<name>.wasm` (Workers receive
 *   them precompiled; they cannot compile wasm from bytes);
 * - `wrangler.toml`: `examples/cloudflare-workers/wrangler.toml` plus `main`, `no_bundle` and a
 *   `CompiledWasm` rule, so `wrangler deploy` uploads these files as they are.
 *
 * Usage: `deno task build:worker [--entry path] [--out dir]`.
 *
 * @module
 */
// A build tool, not a serving dependency: pinned here rather than in deno.json's imports, which
// Deno installs on every first run (a plain `deno task serve` must not download esbuild).
// deno-lint-ignore no-import-prefix
import * as esbuild from "npm:esbuild@0.28.2";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");

/**
 * Options of {@linkcode buildWorker}.
 *
 * @example
 * ```ts ignore
 * const options: BuildWorkerOptions = { entry: "tests/bench/_memory_worker.ts", outDir: "/tmp/w" };
 * ```
 */
export interface BuildWorkerOptions {
  /** The Worker's entry module. Default: `examples/cloudflare-workers/worker.ts`. */
  entry?: string;
  /** Where to write the bundle. Default: `dist/worker/` in the repository. */
  outDir?: string;
  /** The wrangler.toml the generated one extends. Default: the one beside this file. */
  wranglerToml?: string;
  /** Minify `worker.js` (default true; the size budget is measured minified). */
  minify?: boolean;
}

/**
 * One file of the built Worker, as a Workers upload names it.
 *
 * @example
 * ```ts ignore
 * const entry: WorkerModule = { name: "worker.js", type: "ESModule", path: "/tmp/w/worker.js", bytes: 308680 };
 * ```
 */
export interface WorkerModule {
  /** File name inside the output directory, e.g. `worker.js`. */
  name: string;
  /** The module type wrangler and miniflare use for it. */
  type: "ESModule" | "CompiledWasm";
  /** Absolute path of the written file. */
  path: string;
  /** Size in bytes. */
  bytes: number;
}

/**
 * What {@linkcode buildWorker} wrote.
 *
 * @example
 * ```ts ignore
 * const { outDir, modules } = await buildWorker();
 * const total = modules.reduce((n, m) => n + m.bytes, 0);
 * ```
 */
export interface WorkerBuild {
  /** Absolute output directory. */
  outDir: string;
  /** The entry first, then the wasm modules (sorted by name). */
  modules: WorkerModule[];
  /** Absolute path of the generated wrangler.toml. */
  wranglerToml: string;
}

/**
 * Bundle a Worker entry with esbuild and write the deployable upload.
 *
 * @example
 * ```ts ignore
 * const build = await buildWorker({ outDir: "/tmp/worker" });
 * console.log(build.modules.map((m) => `${m.name} ${m.bytes}`));
 * ```
 */
export async function buildWorker(options: BuildWorkerOptions = {}): Promise<WorkerBuild> {
  const entry = resolve(options.entry ?? join(HERE, "worker.ts"));
  const outDir = resolve(options.outDir ?? join(ROOT, "dist/worker"));
  const tomlSource = resolve(options.wranglerToml ?? join(HERE, "wrangler.toml"));
  await Deno.remove(outDir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(outDir, { recursive: true });

  const wasm = new Map<string, string>(); // output name -> source path
  try {
    await esbuild.build({
      entryPoints: [entry],
      outfile: join(outDir, "worker.js"),
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["module", "main"],
      minify: options.minify ?? true,
      legalComments: "none",
      // workerd leaves import.meta.url undefined, so a module-scope `new URL(x, import.meta.url)`
      // (a default wasm location, say) would throw while the Worker starts. Give it a valid URL;
      // nothing in the Worker reads files through it (wasm arrives as imported modules).
      define: { "import.meta.url": JSON.stringify("file:///worker/worker.js") },
      logLevel: "warning",
      absWorkingDir: ROOT,
      nodePaths: [join(ROOT, "node_modules")],
      // Local-file code paths load node:fs and friends lazily with `await import("node:…")`;
      // a Worker never takes them. Left external, they cost nothing unless called (the build
      // test checks that no static import of them survives).
      external: ["node:*"],
      plugins: [workerPlugin(wasm)],
    });
  } finally {
    await esbuild.stop();
  }

  const modules: WorkerModule[] = [await describe(outDir, "worker.js", "ESModule")];
  for (const [name, source] of [...wasm].sort(([a], [b]) => a.localeCompare(b))) {
    await Deno.copyFile(source, join(outDir, name));
    modules.push(await describe(outDir, name, "CompiledWasm"));
  }
  const wranglerToml = join(outDir, "wrangler.toml");
  await Deno.writeTextFile(wranglerToml, generatedToml(await Deno.readTextFile(tomlSource)));
  return { outDir, modules, wranglerToml };
}

/** The deploy config: the example's settings plus what makes wrangler upload our files as is. */
function generatedToml(source: string): string {
  if (/^\s*(main|no_bundle|rules)\s*=/m.test(source)) {
    throw new Error("wrangler.toml must not set main, no_bundle or rules: the build sets them.");
  }
  return [
    "# Generated by `deno task build:worker`; edit examples/cloudflare-workers/wrangler.toml.",
    'main = "worker.js"',
    "no_bundle = true",
    'rules = [{ type = "CompiledWasm", globs = ["**/*.wasm"], fallthrough = false }]',
    "",
    source.trimEnd(),
    "",
  ].join("\n");
}

async function describe(
  outDir: string,
  name: string,
  type: WorkerModule["type"],
): Promise<WorkerModule> {
  const path = join(outDir, name);
  return { name, type, path, bytes: (await Deno.stat(path)).size };
}

/**
 * Resolution rules that make the bundle a Worker:
 * - `.wasm` imports stay imports of a file copied beside worker.js (workerd precompiles them);
 * - `onnxruntime-web` means its wasm-only build everywhere, so one ort instance (the one the
 *   workerd shim configures) serves the whole bundle;
 * - `onnxruntime-node` (native, FFI) cannot exist in a Worker: it becomes an empty module;
 * - `npm:name@version/sub` specifiers resolve to the installed `name/sub`.
 */
function workerPlugin(wasm: Map<string, string>): esbuild.Plugin {
  const again = { fromWorkerPlugin: true };
  return {
    name: "mlflow-edge-worker",
    setup(build) {
      build.onResolve({ filter: /^npm:/ }, (args) => {
        const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@[^/]+)?(\/.*)?$/.exec(args.path);
        if (m === null) return undefined;
        return build.resolve(m[1] + (m[2] ?? ""), {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
        });
      });
      build.onResolve(
        { filter: /^onnxruntime-web$/ },
        (args) =>
          build.resolve("onnxruntime-web/wasm", {
            kind: args.kind,
            resolveDir: args.resolveDir,
            importer: args.importer,
          }),
      );
      build.onResolve(
        { filter: /^onnxruntime-node(\/.*)?$/ },
        () => ({ path: "onnxruntime-node", namespace: "unavailable" }),
      );
      build.onLoad({ filter: /.*/, namespace: "unavailable" }, () => ({
        contents: "module.exports = {};",
        loader: "js",
      }));
      build.onResolve({ filter: /\.wasm$/ }, async (args) => {
        if (args.pluginData?.fromWorkerPlugin) return undefined;
        const found = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: again,
        });
        if (found.errors.length > 0) return { errors: found.errors };
        const name = basename(found.path);
        const previous = wasm.get(name);
        if (previous !== undefined && previous !== found.path) {
          return {
            errors: [{
              text: `Two wasm files are both named "${name}": ${relative(ROOT, previous)} and ${
                relative(ROOT, found.path)
              }.`,
            }],
          };
        }
        wasm.set(name, found.path);
        return { path: `./${name}`, external: true };
      });
    },
  };
}

if (import.meta.main) {
  const args = Deno.args;
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const build = await buildWorker({ entry: flag("--entry"), outDir: flag("--out") });
  for (const m of build.modules) {
    console.log(`${relative(ROOT, m.path)}  ${(m.bytes / 1e6).toFixed(2)} MB  ${m.type}`);
  }
  console.log(relative(ROOT, build.wranglerToml));
}
