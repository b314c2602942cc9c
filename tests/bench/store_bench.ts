/**
 * `deno task bench store`: fetchBundle on this machine, for a 64 MiB synthetic bundle (8 files of
 * 8 MiB) from a local directory, s3rver, the MLflow test server and a static http server; cold
 * (no cache) and with a warm disk cache; and the fixture mnist bundle.
 *
 * @module
 */
import { fetchBundle } from "../../src/store/mod.ts";
import { fixtureDir, readDir, startMlflow, startS3, startStatic } from "../store/_servers.ts";
import { medianMs } from "./_median.ts";

const FILES = 8;
const SIZE = 8 * 2 ** 20;
const big = new Map<string, Uint8Array>();
for (let i = 0; i < FILES; i++) {
  const b = new Uint8Array(SIZE);
  for (let j = 0; j < SIZE; j += 4096) b[j] = (i * 31 + j) & 0xff;
  big.set(`part-${i}.bin`, b);
}
big.set("MLmodel", new TextEncoder().encode("flavors: {}\n"));

async function time(label: string, fn: () => Promise<unknown>, runs = 3) {
  const med = await medianMs(runs, fn);
  console.log(
    `${label.padEnd(48)} median ${med.toFixed(1).padStart(8)} ms  (${
      (64 / (med / 1000)).toFixed(0)
    } MiB/s for 64 MiB)`,
  );
}

/** Runs the suite and prints one line per source. */
export async function run(): Promise<void> {
  const s3 = await startS3(["models"]);
  const mlflow = await startMlflow();
  const dir = await Deno.makeTempDir();
  for (const [k, v] of big) {
    await s3.put("models", `big/${k}`, v);
    await Deno.mkdir(`${dir}/big`, { recursive: true });
    await Deno.writeFile(`${dir}/big/${k}`, v);
  }
  mlflow.mount("big", big);
  const http = await startStatic(dir);
  const s3opts = { s3: { endpoint: s3.endpoint, ...s3.credentials } };
  const tr = { tracking: { uri: mlflow.url } };
  try {
    await time("local directory", () => fetchBundle(`${dir}/big`, { cacheDir: false }));
    await time(
      "s3:// (s3rver), no cache",
      () => fetchBundle("s3://models/big", { ...s3opts, cacheDir: false }),
    );
    await time(
      "mlflow-artifacts:/, no cache",
      () => fetchBundle("mlflow-artifacts:/big", { ...tr, cacheDir: false }),
    );
    await time(
      "http:// file list, no cache",
      () => fetchBundle(`${http.url}/big/`, { cacheDir: false, files: [...big.keys()] }),
    );
    const cacheDir = await Deno.makeTempDir();
    await fetchBundle("s3://models/big", { ...s3opts, cacheDir });
    await time(
      "s3:// warm disk cache (listing only)",
      () => fetchBundle("s3://models/big", { ...s3opts, cacheDir }),
    );
    await fetchBundle("mlflow-artifacts:/big", { ...tr, cacheDir });
    await time(
      "mlflow-artifacts:/ warm disk cache",
      () => fetchBundle("mlflow-artifacts:/big", { ...tr, cacheDir }),
    );
    await Deno.remove(cacheDir, { recursive: true });
    mlflow.mount("mnist", await readDir(fixtureDir("mnist_cnn_onnx")));
    const t = performance.now();
    await fetchBundle("mlflow-artifacts:/mnist", { ...tr, cacheDir: false });
    console.log(
      `mnist fixture (10 files, 571 KB) via mlflow-artifacts: ${
        (performance.now() - t).toFixed(1)
      } ms`,
    );
  } finally {
    await s3.close();
    await mlflow.close();
    await http.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await run();
