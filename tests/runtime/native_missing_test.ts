// Without onnxruntime-node the native backend says how to get it. Run in Bun on a copy of src/
// outside the repository, where the package cannot be resolved (Deno would fetch it from npm).
import assert from "node:assert/strict";
import { onPath } from "../runtimes/_process.ts";

const HAVE_BUN = await onPath("bun");
if (!HAVE_BUN) console.warn("bun is not on PATH: the missing-onnxruntime-node test is skipped.");

Deno.test({
  name: "without onnxruntime-node, --backend native names the package and how to install it",
  ignore: !HAVE_BUN,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "no_ort_node_" });
    try {
      const src = new URL("../../src/", import.meta.url).pathname;
      const copy = await new Deno.Command("cp", { args: ["-r", src, `${dir}/src`] }).output();
      assert.ok(copy.success);
      const script = `import { nativeBackend } from "${dir}/src/runtime/native_backend.ts";
try { await nativeBackend(); console.log("loaded"); } catch (e) { console.log(e.message); }`;
      const out = await new Deno.Command("bun", {
        // --no-install: Bun would otherwise fetch a missing package itself.
        args: ["--no-install", "-e", script],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.match(text, /^The native backend needs onnxruntime-node 1\.30\.0, which could not be/);
      assert.match(text, /bun add onnxruntime-node@1\.30\.0/);
      assert.match(text, /npm install onnxruntime-node@1\.30\.0/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
