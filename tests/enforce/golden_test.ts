import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { validateRequest } from "../../src/enforce/mod.ts";

interface GoldenCase {
  name: string;
  content_type: string;
  request: unknown;
  native_inputs: Record<string, { dtype: string; shape: number[]; data: unknown }> | null;
  mlflow_response: { status: number; body: { error_code?: string } };
}

async function bundle(name: string) {
  const dir = new URL(`../fixtures/mlflow-bundles/${name}/`, import.meta.url);
  const golden = JSON.parse(await Deno.readTextFile(new URL("golden.json", dir)));
  const mlmodel = await Deno.readTextFile(new URL("MLmodel", dir));
  const dict = JSON.parse(await Deno.readTextFile(new URL("mlmodel.dict.json", dir)));
  return { cases: golden.cases as GoldenCase[], signature: dict.signature, mlmodel };
}

/** The body exactly as it was sent: Python's json.dumps separators for objects. */
function bodyOf(c: GoldenCase): string {
  if (typeof c.request === "string") return c.request;
  return JSON.stringify(c.request, null, 0).replaceAll(",", ", ").replaceAll(":", ": ");
}

const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);

for (const name of ["iris_mlp_onnx", "mnist_cnn_onnx"]) {
  const { cases, signature } = await bundle(name);
  Deno.test(`${name}: every recorded request is validated as MLflow parsed it`, async (t) => {
    for (const c of cases) {
      await t.step(c.name, async () => {
        const reject = name === "mnist_cnn_onnx" && c.name === "inputs_float_values";
        let out;
        try {
          out = await validateRequest(signature, bodyOf(c), c.content_type);
        } catch (e) {
          assert.ok(e instanceof MlflowError, String(e));
          assert.equal(e.status, 400, e.message);
          if (!reject) {
            assert.notEqual(c.mlflow_response.status, 200, `refused: ${e.message}`);
            assert.equal(e.errorCode, c.mlflow_response.body.error_code, e.message);
          }
          return;
        }
        assert.ok(!reject, "fractional pixels must be refused (lossless or loud)");
        assert.equal(c.mlflow_response.status, 200, "MLflow refused this request");
        const [feed] = Object.values(c.native_inputs!);
        const expected = flat(feed.data);
        if (out.kind === "columns") {
          // The ONNX wrapper feeds df.values: rows of the columns in schema order.
          const n = out.rows;
          assert.deepEqual([n, out.columns.length], feed.shape);
          for (let r = 0; r < n; r++) {
            out.columns.forEach((col, j) => {
              const v = (col.values as Float64Array)[r];
              const e = expected[r * out.columns.length + j];
              assert.ok(
                Math.abs(Math.fround(v) - e) <= 1e-6 * Math.abs(e),
                `row ${r} col ${j}: ${v} vs ${e}`,
              );
            });
          }
        } else {
          const [tensor] = out.tensors;
          assert.deepEqual(tensor.shape, feed.shape);
          assert.equal(tensor.dtype, feed.dtype);
          assert.deepEqual(Array.from(tensor.values as Uint8Array), expected);
        }
      });
    }
  });
}
