/**
 * package.json exists for Bun and npm users; deno.json "imports" is the one source of truth for
 * versions. These tests fail when the two disagree.
 *
 * @module
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);
const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))) as {
  version: string;
  imports: Record<string, string>;
};
const packageJson = JSON.parse(await Deno.readTextFile(new URL("package.json", root))) as {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

/** deno.json's pins: package name -> exact version, from `npm:name@version` entries. */
function denoPins(): Map<string, string> {
  const pins = new Map<string, string>();
  for (const spec of Object.values(denoJson.imports)) {
    const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)@([^/]+)\/?$/.exec(spec);
    assert.ok(m, `deno.json import "${spec}" is not an npm:name@version specifier`);
    const previous = pins.get(m[1]);
    assert.ok(previous === undefined || previous === m[2], `${m[1]} is pinned twice in deno.json`);
    pins.set(m[1], m[2]);
  }
  return pins;
}

function packagePins(): Map<string, string> {
  const pins = new Map<string, string>();
  for (
    const group of [
      packageJson.dependencies,
      packageJson.devDependencies,
      packageJson.peerDependencies,
      packageJson.optionalDependencies,
    ]
  ) {
    for (const [name, version] of Object.entries(group ?? {})) {
      const previous = pins.get(name);
      assert.ok(previous === undefined || previous === version, `${name} listed twice`);
      pins.set(name, version);
    }
  }
  return pins;
}

Deno.test("package.json pins every dependency at exactly deno.json's version", () => {
  const deno = denoPins();
  for (const [name, version] of packagePins()) {
    assert.ok(deno.has(name), `package.json lists "${name}", which deno.json does not import`);
    assert.equal(version, deno.get(name), `"${name}": package.json and deno.json disagree`);
  }
});

Deno.test("package.json lists every package deno.json imports", () => {
  const listed = packagePins();
  const missing = [...denoPins().keys()].filter((name) => !listed.has(name));
  assert.deepEqual(missing, [], `missing from package.json: ${missing.join(", ")}`);
});

Deno.test("package.json carries deno.json's version", () => {
  assert.equal(packageJson.version, denoJson.version);
});
