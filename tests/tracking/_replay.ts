// MLflow's golden requests for the iris fixture, replayed through a model loaded from a URI.
import { MlflowError } from "../../src/errors.ts";
import { loadModel } from "../../src/model/mod.ts";
import type { FetchBundleOptions } from "../../src/store/types.ts";
import { assertAnswer, expectation, goldenCases, requestBody } from "../_golden.ts";

/** Load `uri` with `store` (no cache) and check every golden case of iris_mlp_onnx. */
export async function assertServesGoldens(uri: string, store: FetchBundleOptions): Promise<void> {
  const model = await loadModel(uri, { store: { ...store, cacheDir: false } });
  try {
    for (const c of goldenCases("iris_mlp_onnx")) {
      let status = 200;
      let body: unknown;
      try {
        body = JSON.parse((await model.invoke(requestBody(c), c.content_type)).text);
      } catch (err) {
        if (!(err instanceof MlflowError)) throw err;
        status = err.status;
        body = err.toJSON();
      }
      assertAnswer(c.name, status, body, expectation("iris_mlp_onnx", c));
    }
  } finally {
    await model.close();
  }
}
