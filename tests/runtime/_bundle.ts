// Test helpers: read a fixture bundle directory into the Map a store returns, and its flavors.
import { parse } from "yaml";
import { nativeBackend, type OnnxBackend, webBackend } from "../../src/runtime/mod.ts";

export const BUNDLES = new URL("../fixtures/mlflow-bundles/", import.meta.url);

/** Every file of a bundle directory, keyed by its path relative to the bundle root. */
export async function readBundle(name: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const walk = async (dir: URL, prefix: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`);
      else files.set(prefix + e.name, await Deno.readFile(new URL(e.name, dir)));
    }
  };
  await walk(new URL(`${name}/`, BUNDLES), "");
  return files;
}

export function flavorsOf(files: Map<string, Uint8Array>) {
  return parse(new TextDecoder().decode(files.get("MLmodel")!)).flavors;
}

// deno-lint-ignore no-explicit-any
export async function golden(name: string): Promise<any> {
  return JSON.parse(await Deno.readTextFile(new URL(`${name}/golden.json`, BUNDLES)));
}

/** Both backends, for tests that must pass on each. */
export const BACKENDS: [string, () => Promise<OnnxBackend>][] = [
  ["web", () => Promise.resolve(webBackend())],
  ["native", nativeBackend],
];

/** Asserts numbers agree within 1e-5 relative or 1e-6 absolute, walking arrays and objects. */
export function assertClose(actual: unknown, expected: unknown, path = "$"): void {
  if (typeof expected === "number") {
    const a = Number(actual);
    if (typeof actual !== "number" && typeof actual !== "bigint") {
      throw new Error(`${path}: expected a number ${expected}, got ${JSON.stringify(actual)}`);
    }
    const ok = (Number.isNaN(a) && Number.isNaN(expected)) || a === expected ||
      Math.abs(a - expected) <= Math.max(1e-6, 1e-5 * Math.abs(expected));
    if (!ok) throw new Error(`${path}: expected ${expected}, got ${a}`);
  } else if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      throw new Error(
        `${path}: expected an array of ${expected.length}, got ${
          JSON.stringify(actual)?.slice(0, 200)
        }`,
      );
    }
    expected.forEach((e, i) => assertClose(actual[i], e, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object") {
      throw new Error(`${path}: expected an object, got ${JSON.stringify(actual)}`);
    }
    const ek = Object.keys(expected).sort(), ak = Object.keys(actual).sort();
    if (JSON.stringify(ek) !== JSON.stringify(ak)) {
      throw new Error(`${path}: expected keys ${ek}, got ${ak}`);
    }
    for (const k of ek) {
      assertClose(
        (actual as Record<string, unknown>)[k],
        (expected as Record<string, unknown>)[k],
        `${path}.${k}`,
      );
    }
  } else if (actual !== expected) {
    throw new Error(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}
