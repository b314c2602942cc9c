import assert from "node:assert/strict";
import { fetchBundle, progressBar } from "../../src/store/mod.ts";
import { fixtureDir, readDir, startMlflow } from "./_servers.ts";

Deno.test("onProgress reports bytes as they arrive, ending at the listed total", async () => {
  const mlflow = await startMlflow();
  try {
    const files = await readDir(fixtureDir("mnist_cnn_onnx"));
    mlflow.mount("m", files);
    const total = [...files.values()].reduce((s, b) => s + b.length, 0);
    const seen: [number, number | undefined][] = [];
    await fetchBundle("mlflow-artifacts:/m", {
      cacheDir: false,
      tracking: { uri: mlflow.url },
      onProgress: (loaded, t) => seen.push([loaded, t]),
    });
    assert.ok(seen.length >= files.size);
    assert.ok(seen.every(([, t]) => t === total));
    assert.deepEqual(seen.at(-1), [total, total]);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i][0] >= seen[i - 1][0]);
  } finally {
    await mlflow.close();
  }
});

Deno.test("progressBar draws a bar in place and ends the line when complete", () => {
  const out: string[] = [];
  const draw = progressBar({ write: (s: string) => out.push(s) }, {
    label: "iris",
    width: 10,
    minIntervalMs: 0,
  });
  draw(0, 2_000_000);
  draw(1_000_000, 2_000_000);
  draw(2_000_000, 2_000_000);
  draw(2_000_000, 2_000_000); // after completion: nothing more
  assert.deepEqual(out, [
    "\riris [          ] 0% 0.0/2.0 MB",
    "\riris [====>     ] 50% 1.0/2.0 MB",
    "\riris [==========] 100% 2.0/2.0 MB",
    "\n",
  ]);
});

Deno.test("progressBar shows bytes only when the total is unknown, and writes through writeSync", () => {
  const chunks: Uint8Array[] = [];
  const draw = progressBar({ writeSync: (b: Uint8Array) => (chunks.push(b), b.length) }, {
    minIntervalMs: 0,
  });
  draw(1_500_000, undefined);
  assert.equal(new TextDecoder().decode(chunks[0]), "\rDownloading 1.5 MB");
});
