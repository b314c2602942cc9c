// holdMmapThreshold against the real glibc allocator: with it, freed 1 MB blocks leave the
// process; without it (after a large block was freed) they stay resident.
import assert from "node:assert/strict";

const CHILD = new URL("./_heap_child.ts", import.meta.url).pathname;
let glibc = Deno.build.os === "linux";
if (glibc) {
  try {
    Deno.dlopen("libc.so.6", {}).close();
  } catch {
    glibc = false;
  }
}
if (!glibc) console.warn("not Linux with glibc: the heap tuning tests are skipped.");

async function child(
  mode: "hold" | "none",
  flags: string[] = ["--allow-all"],
  env: Record<string, string> = {},
): Promise<{ held: boolean; leftMb: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, CHILD, mode],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name: "holdMmapThreshold: freed large blocks go back to the system",
  ignore: !glibc,
  fn: async () => {
    const held = await child("hold");
    const dynamic = await child("none");
    assert.equal(held.held, true);
    assert.ok(held.leftMb < 16, `${held.leftMb} MB left resident with the threshold held`);
    assert.ok(dynamic.leftMb > 48, `${dynamic.leftMb} MB left resident without it`);
  },
});

Deno.test({
  name: "holdMmapThreshold: an operator's MALLOC_MMAP_THRESHOLD_ wins; no FFI permission, no call",
  ignore: !glibc,
  fn: async () => {
    const operator = await child("hold", undefined, { MALLOC_MMAP_THRESHOLD_: "33554432" });
    assert.equal(operator.held, false);
    assert.ok(operator.leftMb > 48, `${operator.leftMb} MB: the operator's threshold applies`);
    const tunables = await child("hold", undefined, {
      GLIBC_TUNABLES: "glibc.malloc.mmap_threshold=33554432",
    });
    assert.equal(tunables.held, false);
    // Without --allow-ffi (and no prompt): resolves false, neither a rejection nor a prompt.
    const script = `import { holdMmapThreshold } from "${
      new URL("../../src/runtime/heap_tuning.ts", import.meta.url).pathname
    }"; console.log(await holdMmapThreshold());`;
    const file = await Deno.makeTempFile({ suffix: ".ts" });
    try {
      await Deno.writeTextFile(file, script);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-config", "--no-prompt", file],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(new TextDecoder().decode(out.stdout).trim(), "false");
    } finally {
      await Deno.remove(file);
    }
  },
});
