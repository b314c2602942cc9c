// Logs the iris fixture model from bytes (no filesystem in the logging path) to the tracking
// server named by TRACKING_URI and prints the ModelInfo: run by Bun from tracking_runtimes_test.ts.
import { readFile } from "node:fs/promises";
import process from "node:process";
import { logModel } from "../../src/tracking/mod.ts";

const dir = new URL("../fixtures/mlflow-bundles/iris_mlp_onnx/", import.meta.url);
const external = "7a352ddc-e9a0-11f1-9901-02fc00000001";
const info = await logModel({
  trackingUri: process.env.TRACKING_URI,
  tracking: { token: process.env.TRACKING_TOKEN },
  onnx: new Uint8Array(await readFile(new URL("model.onnx", dir))),
  externalData: { [external]: new Uint8Array(await readFile(new URL(external, dir))) },
  inputExample: JSON.parse(await readFile(new URL("input_example.json", dir), "utf8")),
  registeredModelName: "iris",
  alias: process.env.ALIAS,
  retries: 1,
  retryDelayMs: 1,
});
console.log(JSON.stringify(info));
