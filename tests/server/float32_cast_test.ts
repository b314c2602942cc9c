// The iris model's graph input is tensor(float): its `double` columns are cast to float32 on
// their way in. A finite value beyond float32's range would silently become infinity (MLflow
// answers 200 with NaN predictions); it is refused with 400 naming the column, row and value.
import assert from "node:assert/strict";
import { createApp } from "../../src/server/mod.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

const COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];

Deno.test("double values beyond float32 for the iris model's float input are refused over HTTP", async () => {
  const app = createApp({ modelUri: bundlePath("iris_mlp_onnx"), log: () => {} });
  const server = serveOnFreePort(app.fetch);
  const post = async (body: string, contentType = "application/json") => {
    const res = await fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "Content-Type": contentType },
      body,
    });
    const text = await res.text();
    // A 200 may hold NaN (Python's JSON), which JSON.parse refuses: only errors are parsed.
    return { status: res.status, json: res.status === 200 ? null : JSON.parse(text) };
  };
  try {
    const cases: [string, string, string][] = [
      ["3.5e38", "3.5e+38", "petal width (cm)"],
      ["1e39", "1e+39", "petal width (cm)"],
      ["1e300", "1e+300", "petal width (cm)"],
    ];
    for (const [text, shown, column] of cases) {
      const split = `{"dataframe_split": {"columns": ${JSON.stringify(COLUMNS)}, ` +
        `"data": [[5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, ${text}]]}}`;
      for (
        const [what, body, type] of [
          ["dataframe_split", split, "application/json"],
          ["csv", `${COLUMNS.join(",")}\n5.1,3.5,1.4,0.2\n5.1,3.5,1.4,${text}\n`, "text/csv"],
          [
            "inputs",
            `{"inputs": {${COLUMNS.map((c, i) => `"${c}": [${i}, ${i === 3 ? text : 1}]`)}}}`,
            "application/json",
          ],
        ]
      ) {
        const { status, json } = await post(body, type);
        assert.equal(status, 400, `${what} ${text}`);
        assert.equal(json.error_code, "INVALID_PARAMETER_VALUE", `${what} ${text}`);
        assert.match(
          json.message,
          new RegExp(
            `^Cannot convert ${shown.replace("+", "\\+")} in column "${
              column.replace(/[()]/g, "\\$&")
            }" at row 1 to float32`,
          ),
          `${what}: ${json.message}`,
        );
      }
    }
    // float32's largest finite value survives the cast; infinity was never finite: both pass
    // the check (the cast changes nothing that was finite into something that is not).
    for (const ok of ["3.4028234663852886e38", "Infinity"]) {
      const { status } = await post(
        `{"dataframe_split": {"columns": ${
          JSON.stringify(COLUMNS)
        }, "data": [[5.1, 3.5, 1.4, ${ok}]]}}`,
      );
      assert.equal(status, 200, ok);
    }
  } finally {
    await server.close();
    await app.close();
  }
});
