/**
 * `deno task bench log`: logModel and logBundle of MLP bundles with 1, 10 and 50 MB of weights to
 * the tracking server's REST double (tests/tracking/_tracking_server.ts, in this process, keeping
 * the artifacts in memory): the time to write the bundle as mlflow.onnx.save_model does (the ONNX
 * protobuf rewritten to external data), and the whole log (experiment, run, LoggedModel, upload,
 * registration, alias). The double runs in the same process, so the figures include its side of
 * every request.
 *
 * @module
 */
import { saveOnnxModel } from "../../src/mlmodel/onnx_save.ts";
import { logBundle, logModel } from "../../src/tracking/mod.ts";
import { readModelDir, readOnnxWithExternalData } from "../../src/tracking/read_files.ts";
import { startTrackingDouble } from "../tracking/_tracking_server.ts";
import { medianMs } from "./_median.ts";
import { writeMlp } from "./_scale_models.ts";

/** Runs the suite and prints a markdown table. */
export async function run(): Promise<void> {
  const server = await startTrackingDouble();
  const root = await Deno.makeTempDir();
  try {
    console.log(
      "| model | weights MB | save_model in memory ms | logModel ms | MB/s | logBundle (dir as is) ms |",
    );
    console.log("|---|---|---|---|---|---|");
    for (const mb of [1, 10, 50]) {
      const bundle = await writeMlp(`${root}/mlp${mb}`, mb);
      const { onnx, externalData } = await readOnnxWithExternalData(`${bundle.dir}/model.onnx`);
      const save = await medianMs(3, () => Promise.resolve(saveOnnxModel({ onnx, externalData })));
      let n = 0;
      const log = await medianMs(
        3,
        () =>
          logModel({
            trackingUri: server.url,
            onnx,
            externalData,
            registeredModelName: "bench",
            alias: `a${n++}`,
          }),
      );
      const dir = await medianMs(
        3,
        async () =>
          logBundle(await readModelDir(bundle.dir), {
            trackingUri: server.url,
            registeredModelName: "bench",
          }),
      );
      server.artifacts.clear();
      const weights = bundle.weightBytes / 1e6;
      console.log(
        `| ${bundle.name} | ${weights.toFixed(1)} | ${save.toFixed(1)} | ${log.toFixed(1)} | ${
          (weights / (log / 1000)).toFixed(0)
        } | ${dir.toFixed(1)} |`,
      );
    }
  } finally {
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
}
