// The committed wasm core is current, intact, within its size budget, and loads the same way in
// Deno, Bun and Node (the runtimes that compile from bytes; workerd is covered by the edge tests,
// which import the .wasm as a module).
import assert from "node:assert/strict";
import { readMeta, sourceHash } from "../../wasm/build.ts";
import { MlflowError } from "../../src/errors.ts";
import {
  checkCoreExports,
  copyIn,
  copyInString,
  copyOut,
  CORE_ABI_VERSION,
  DEFAULT_WASM_URL,
  discardCore,
  freeBlock,
  instantiateCore,
  parseCheck,
  readString,
  viewAt,
} from "../../src/enforce/_wasm.ts";
import { WASM_BYTE_SIZE, WASM_SHA256, WASM_SOURCE_HASH } from "../../src/enforce/_wasm_meta.ts";

const ROOT = new URL("../../", import.meta.url);
const LIMITS = { maxDepth: 64, maxElements: 1_000_000, maxStringBytes: 1 << 20 };
/** The edge artefact budget: the core must stay small next to onnxruntime-web's 14 MB. */
const WASM_BUDGET_BYTES = 512 * 1024;

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("the committed wasm was built from the current Rust sources", async () => {
  const current = await sourceHash();
  assert.equal(
    WASM_SOURCE_HASH,
    current,
    "wasm/mlflow_edge_core.wasm is stale: run `deno task build:wasm` and commit its outputs",
  );
  assert.deepEqual(await readMeta(), {
    sourceHash: WASM_SOURCE_HASH,
    wasmSha256: WASM_SHA256,
    wasmBytes: WASM_BYTE_SIZE,
  });
});

Deno.test("the committed wasm matches the hash and size its metadata records", async () => {
  const wasm = await Deno.readFile(DEFAULT_WASM_URL);
  assert.equal(wasm.length, WASM_BYTE_SIZE);
  assert.equal(await sha256(wasm), WASM_SHA256);
});

Deno.test("the wasm core stays within its size budget", () => {
  assert.ok(
    WASM_BYTE_SIZE <= WASM_BUDGET_BYTES,
    `wasm core is ${WASM_BYTE_SIZE} bytes, budget ${WASM_BUDGET_BYTES}`,
  );
});

Deno.test("the source hash changes when any Rust source changes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/src/nested`, { recursive: true });
    await Deno.writeTextFile(`${dir}/Cargo.toml`, "[package]\n");
    await Deno.writeTextFile(`${dir}/src/lib.rs`, "pub mod nested;\n");
    await Deno.writeTextFile(`${dir}/src/nested/mod.rs`, "");
    await Deno.writeTextFile(`${dir}/src/notes.txt`, "not hashed");
    const url = new URL(`file://${dir}/`);
    const before = await sourceHash(url);
    assert.match(before, /^[0-9a-f]{64}$/);
    await Deno.writeTextFile(`${dir}/src/notes.txt`, "still not hashed");
    assert.equal(await sourceHash(url), before);
    await Deno.writeTextFile(`${dir}/src/nested/mod.rs`, "// edited\n");
    const edited = await sourceHash(url);
    assert.notEqual(edited, before);
    await Deno.rename(`${dir}/src/nested/mod.rs`, `${dir}/src/nested/other.rs`);
    assert.notEqual(await sourceHash(url), edited);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check:wasm passes on the committed tree", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "wasm/build.ts", "--check"],
    cwd: ROOT,
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /is current/);
});

Deno.test("check:wasm fails with a clear message when the sources are newer than the wasm", async () => {
  // A copy of the crate and the generated files, with one source edited.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/wasm/src`, { recursive: true });
    await Deno.mkdir(`${dir}/src/enforce`, { recursive: true });
    await Deno.mkdir(`${dir}/src/mlmodel`, { recursive: true });
    for (
      const f of [
        "wasm/build.ts",
        "wasm/Cargo.toml",
        "wasm/mlflow_edge_core.wasm",
        "src/mlmodel/param_rules.ts", // the parameter rules build.ts generates Rust from
      ]
    ) {
      await Deno.copyFile(new URL(f, ROOT), `${dir}/${f}`);
    }
    await Deno.copyFile(
      new URL("src/enforce/_wasm_meta.ts", ROOT),
      `${dir}/src/enforce/_wasm_meta.ts`,
    );
    for await (const e of Deno.readDir(new URL("wasm/src/", ROOT))) {
      if (e.isFile) {
        await Deno.copyFile(new URL(`wasm/src/${e.name}`, ROOT), `${dir}/wasm/src/${e.name}`);
      }
    }
    await Deno.writeTextFile(`${dir}/wasm/src/json.rs`, "\n// edited\n", { append: true });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", `${dir}/wasm/build.ts`, "--check"],
      env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
    }).output();
    const text = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1);
    assert.match(text, /mlflow_edge_core\.wasm is stale: the Rust sources changed/);
    assert.match(text, /deno task build:wasm/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the parameter rules in Rust are what src/mlmodel/param_rules.ts generates", async () => {
  const { paramRulesRust } = await import("../../wasm/build.ts");
  assert.equal(
    await Deno.readTextFile(new URL("wasm/src/param_rules.rs", ROOT)),
    paramRulesRust(),
    "wasm/src/param_rules.rs is stale: run `deno task build:wasm`",
  );
});

Deno.test("the loader instantiates once per isolate and from bytes or a module", async () => {
  const core = await instantiateCore();
  assert.equal(await instantiateCore(), core);
  const r = parseCheck(core, "json", new TextEncoder().encode('{"a": [1, NaN]}'), LIMITS);
  assert.deepEqual(r, { ok: true, offset: 0, count: 4, detail: 5, message: "" });

  const bytes = await Deno.readFile(DEFAULT_WASM_URL);
  discardCore();
  const fromBytes = await instantiateCore(bytes);
  assert.notEqual(fromBytes, core);
  discardCore();
  const fromModule = await instantiateCore(new WebAssembly.Module(bytes));
  assert.equal(
    parseCheck(fromModule, "csv", new TextEncoder().encode("a,b\n1,2\n"), LIMITS).count,
    1,
  );
  discardCore();
});

Deno.test("the loader's helpers copy bytes and strings in and out of wasm memory", async () => {
  const core = await instantiateCore();
  for (const text of ["", "plain ascii", "h\u00e9llo \u{1F600} \u4e2d", "x".repeat(100_000)]) {
    const block = copyInString(core, text);
    assert.equal(block.len, new TextEncoder().encode(text).length);
    assert.ok(block.cap >= block.len);
    assert.equal(readString(core, block.ptr, block.len), text);
    freeBlock(core, block);
  }
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  const block = copyIn(core, bytes);
  assert.deepEqual(copyOut(core, block.ptr, block.len), bytes);
  assert.equal(block.ptr % 8, 0);
  assert.equal(viewAt(core, Float64Array, block.ptr, 0).length, 0);
  assert.throws(() => viewAt(core, Float64Array, block.ptr + 1, 1), /Misaligned/);
  freeBlock(core, block);
});

Deno.test("the loader reports a module that is not the core", async () => {
  discardCore();
  // The smallest valid module: no memory, no alloc.
  const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  await assert.rejects(instantiateCore(new WebAssembly.Module(empty)), /not an mlflow-edge build/);
  discardCore();
});

const PROBE = `
const core = await instantiateCore();
const r = parseCheck(core, "json", new TextEncoder().encode('{"a": [1, NaN]}'),
  { maxDepth: 64, maxElements: 1000, maxStringBytes: 1000 });
const e = parseCheck(core, "json", new TextEncoder().encode('{"a": 1, "a": 2}'),
  { maxDepth: 64, maxElements: 1000, maxStringBytes: 1000 });
console.log(JSON.stringify([r, e]));
`;
const PROBE_EXPECTED = JSON.stringify([
  { ok: true, offset: 0, count: 4, detail: 5, message: "" },
  { ok: false, offset: 9, count: 0, detail: 0, message: 'Duplicate object key "a"' },
]);

async function which(cmd: string): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

const hasBun = await which("bun");
const hasNode = await which("node");

Deno.test({
  name: "the loader reads the committed wasm in Bun" + (hasBun ? "" : " (skipped: no bun)"),
  ignore: !hasBun,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const loader = new URL("src/enforce/_wasm.ts", ROOT).href;
      await Deno.writeTextFile(
        `${dir}/probe.ts`,
        `import { instantiateCore, parseCheck } from ${JSON.stringify(loader)};\n${PROBE}`,
      );
      const out = await new Deno.Command("bun", { args: ["run", `${dir}/probe.ts`] }).output();
      assert.equal(
        new TextDecoder().decode(out.stdout).trim(),
        PROBE_EXPECTED,
        new TextDecoder().decode(out.stderr),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the loader reads the committed wasm in Node through node:fs" +
    (hasNode ? "" : " (skipped: no node)"),
  ignore: !hasNode,
  fn: async () => {
    const { esbuild } = await import("../_deps/esbuild.ts");
    const dir = await Deno.makeTempDir();
    try {
      // Node 20 runs no TypeScript: bundle the loader to JS at the same depth below a wasm/
      // directory as in the repository, so its default URL resolves to the committed file.
      await Deno.mkdir(`${dir}/src/enforce`, { recursive: true });
      await Deno.symlink(new URL("wasm", ROOT).pathname, `${dir}/wasm`);
      await esbuild.build({
        entryPoints: [new URL("src/enforce/_wasm.ts", ROOT).pathname],
        outfile: `${dir}/src/enforce/_wasm.mjs`,
        bundle: true,
        format: "esm",
        platform: "node",
        target: "node20",
        logLevel: "error",
      });
      await Deno.writeTextFile(
        `${dir}/probe.mjs`,
        `import { instantiateCore, parseCheck } from "./src/enforce/_wasm.mjs";\n${PROBE}`,
      );
      const out = await new Deno.Command("node", { args: [`${dir}/probe.mjs`] }).output();
      assert.equal(
        new TextDecoder().decode(out.stdout).trim(),
        PROBE_EXPECTED,
        new TextDecoder().decode(out.stderr),
      );
    } finally {
      await esbuild.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A minimal module with the core's basic exports and `abi_version` returning `version`. */
function fakeCore(version: number | null): Uint8Array<ArrayBuffer> {
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const str = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const types = section(1, [3, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 0, 0x60, 0, 1, 0x7f]);
  const funcs = section(3, version === null ? [2, 0, 1] : [3, 0, 1, 2]);
  const memory = section(5, [1, 0, 1]);
  const exports = [
    ...str("memory"),
    2,
    0,
    ...str("alloc"),
    0,
    0,
    ...str("dealloc"),
    0,
    1,
    ...(version === null ? [] : [...str("abi_version"), 0, 2]),
  ];
  const exportSection = section(7, [version === null ? 3 : 4, ...exports]);
  const bodies = [
    [4, 0, 0x41, 0, 0x0b], // alloc: i32.const 0
    [2, 0, 0x0b], // dealloc: nothing
    ...(version === null ? [] : [[4, 0, 0x41, version, 0x0b]]), // abi_version
  ];
  const code = section(10, [bodies.length, ...bodies.flat()]);
  return new Uint8Array([
    0,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...types,
    ...funcs,
    ...memory,
    ...exportSection,
    ...code,
  ]);
}

Deno.test("a wasm core of another ABI version is refused with a clear error", async () => {
  for (const version of [1, CORE_ABI_VERSION - 1, CORE_ABI_VERSION + 1, null]) {
    const { instance } = await WebAssembly.instantiate(fakeCore(version), {});
    assert.throws(
      () => checkCoreExports(instance.exports),
      (e: Error) =>
        e instanceof MlflowError &&
        e.message.includes(`speaks ABI version ${version ?? 1}`) &&
        e.message.includes(`reads version ${CORE_ABI_VERSION}`) &&
        e.message.includes("deno task build:wasm"),
    );
  }
  const { instance } = await WebAssembly.instantiate(fakeCore(CORE_ABI_VERSION), {});
  assert.equal(checkCoreExports(instance.exports).alloc(8), 0);
  // The committed build speaks this reader's version.
  const committed = await WebAssembly.instantiate(await Deno.readFile(DEFAULT_WASM_URL), {});
  const core = checkCoreExports(committed.instance.exports);
  assert.equal((core.abi_version as () => number)(), CORE_ABI_VERSION);
});
