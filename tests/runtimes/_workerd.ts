/**
 * Runs a built Worker (dist/worker layout) in workerd through miniflare, with local R2; bundles a
 * test's own Worker entry for it.
 *
 * Miniflare needs the modules listed explicitly: `scriptPath` + module rules would make it walk
 * worker.js, and ort's dynamic `import(` defeats that walk.
 *
 * @module
 */
import { esbuild } from "../_deps/esbuild.ts";
import { Miniflare } from "../_deps/miniflare.ts";
import type { WorkerBuild } from "../../examples/cloudflare-workers/build.ts";

/** Files of an MLflow bundle directory that are test additions, not part of the bundle. */
const NOT_BUNDLE = new Set(["golden.json", "mlmodel.dict.json"]);

/** `entry` and what it imports, bundled into one ES module for workerd; its text. */
export async function bundleForWorkerd(entry: URL, external: string[] = []): Promise<string> {
  const built = await esbuild.build({
    entryPoints: [entry.pathname],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    external,
  });
  await esbuild.stop();
  return built.outputFiles[0].text;
}

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

/**
 * The pid of the process listening on `url`'s port (the workerd behind a Miniflare instance),
 * found through /proc/net/tcp and the processes' socket fds. Linux only; undefined elsewhere.
 * Parent pids would not do: parallel test modules share one Deno process.
 *
 * @example
 * ```ts ignore
 * const pid = listeningPid(await mf.ready);
 * ```
 */
export function listeningPid(url: URL): number | undefined {
  const port = Number(url.port).toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] ("0100007F:1F90"), state f[3] ("0A" = LISTEN), inode f[9].
      if (f.length > 9 && f[1].endsWith(`:${port}`) && f[3] === "0A") inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const proc of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(proc.name)) continue;
    try {
      for (const fd of Deno.readDirSync(`/proc/${proc.name}/fd`)) {
        const target = Deno.readLinkSync(`/proc/${proc.name}/fd/${fd.name}`);
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m && inodes.has(m[1])) return Number(proc.name);
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

/**
 * Resident memory of a process in MB (VmRSS from /proc/<pid>/status).
 *
 * @example
 * ```ts ignore
 * console.log(vmRssMb(Deno.pid));
 * ```
 */
export function vmRssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}
