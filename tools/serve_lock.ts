/**
 * Writes `serve.lock`, the lockfile `deno task serve` and `deno task predict` use: the part of
 * `deno.lock` that serving needs (deno.json's imports and their dependencies, nothing else).
 *
 * Why two lockfiles: Deno installs every npm package a lockfile names before it runs a task or a
 * script, so with one lockfile a first `deno task serve` would download the test and build tools
 * (miniflare, workerd, esbuild, s3rver, onnxruntime-node: ~500 MB). `deno.lock` stays the
 * project's lockfile for everything else; this file is derived from it, entry for entry, so both
 * pin the same versions and integrity hashes.
 *
 * Usage: `deno task lock:serve` (write) or `deno task lock:serve --check` (fail if stale).
 *
 * @module
 */

/** One package in a version 5 lockfile's `npm` section. */
interface NpmEntry {
  dependencies?: string[];
  optionalDependencies?: string[];
  [key: string]: unknown;
}

/** The fields of a version 5 lockfile this tool reads and writes. */
interface Lockfile {
  version: string;
  specifiers: Record<string, string>;
  npm: Record<string, NpmEntry>;
  workspace: { dependencies?: string[]; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * The serving subset of a lockfile: the workspace's own dependencies and their closure.
 *
 * @example
 * ```ts
 * import { serveLock } from "./serve_lock.ts";
 * const lock = JSON.parse(await Deno.readTextFile("deno.lock"));
 * Object.keys(serveLock(lock).specifiers); // ["npm:aws4fetch@1.0.20", "npm:hono@4.13.19", ...]
 * ```
 */
export function serveLock(lock: Lockfile): Lockfile {
  if (lock.version !== "5") throw new Error(`deno.lock version ${lock.version}; expected 5`);
  const roots = lock.workspace.dependencies ?? [];
  const specifiers: Record<string, string> = {};
  const npm: Record<string, NpmEntry> = {};
  const byName = new Map<string, string[]>();
  for (const key of Object.keys(lock.npm)) {
    const name = key.slice(0, key.indexOf("@", 1));
    byName.set(name, [...(byName.get(name) ?? []), key]);
  }
  // A dependency is written "name" when one version is locked, else "name@version".
  const resolve = (dep: string): string => {
    if (lock.npm[dep]) return dep;
    const keys = byName.get(dep) ?? [];
    if (keys.length !== 1) throw new Error(`deno.lock: cannot resolve dependency "${dep}"`);
    return keys[0];
  };
  const queue: string[] = [];
  for (const spec of roots) {
    const version = lock.specifiers[spec];
    if (version === undefined) throw new Error(`deno.lock has no specifier "${spec}"`);
    specifiers[spec] = version;
    const name = spec.replace(/^npm:/, "").replace(/@[^@]*$/, "");
    queue.push(`${name}@${version}`);
  }
  while (queue.length) {
    const key = resolve(queue.pop()!);
    if (npm[key]) continue;
    const entry = lock.npm[key];
    npm[key] = entry;
    queue.push(...(entry.dependencies ?? []), ...(entry.optionalDependencies ?? []));
  }
  const sorted = (o: Record<string, NpmEntry>) =>
    Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  return {
    version: lock.version,
    specifiers: Object.fromEntries(Object.keys(specifiers).sort().map((k) => [k, specifiers[k]])),
    npm: sorted(npm),
    workspace: lock.workspace,
  };
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const lock = JSON.parse(await Deno.readTextFile(new URL("deno.lock", root))) as Lockfile;
  const text = JSON.stringify(serveLock(lock), null, 2) + "\n";
  const target = new URL("serve.lock", root);
  if (Deno.args.includes("--check")) {
    const current = await Deno.readTextFile(target).catch(() => "");
    if (current !== text) {
      console.error("serve.lock is stale against deno.lock: run `deno task lock:serve`.");
      Deno.exit(1);
    }
  } else {
    await Deno.writeTextFile(target, text);
    console.log(`serve.lock: ${Object.keys(JSON.parse(text).npm).length} packages`);
  }
}
