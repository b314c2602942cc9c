// Seeded random mutations of V2 inference requests (JSON, and JSON header + binary data), fed to
// the wasm core's V2 envelope: every one is answered with a result or a 4xx MlflowError — never a
// trap, a TypeError or a 5xx — including lying Inference-Header-Content-Length values.
import assert from "node:assert/strict";
import { compileSignature } from "../../src/enforce/mod.ts";
import { MlflowError } from "../../src/errors.ts";
import { binaryRequest, toBytes, v2Cases } from "../runtimes/_v2.ts";
import { mutate, rng } from "./_mutate.ts";

const FIXTURES = new URL("../fixtures/mlflow-bundles/", import.meta.url);
const ITERATIONS = 10_000;

interface Seed {
  bundle: string;
  body: Uint8Array;
  headerLength?: number;
}

const enc = new TextEncoder();
const seeds: Seed[] = [];
const signatures = new Map<string, Awaited<ReturnType<typeof compileSignature>>>();
for (const bundle of ["iris_mlp_onnx", "mnist_cnn_onnx"]) {
  const mlmodel = JSON.parse(
    await Deno.readTextFile(new URL(`${bundle}/mlmodel.dict.json`, FIXTURES)),
  );
  signatures.set(
    bundle,
    await compileSignature(mlmodel.signature, { maxElements: 200_000 }),
  );
  for (const c of v2Cases(bundle)) {
    seeds.push({ bundle, body: enc.encode(JSON.stringify({ id: c.name, inputs: c.inputs })) });
    const { body, headerLength } = binaryRequest(
      {
        inputs: c.inputs.map(({ data, ...rest }) => ({
          ...rest,
          parameters: { binary_data_size: toBytes(rest.datatype, data).length },
        })),
        outputs: [{ name: "y", parameters: { binary_data: true } }],
      },
      c.inputs.map((i) => toBytes(i.datatype, i.data)),
    );
    seeds.push({ bundle, body, headerLength });
  }
}

Deno.test(`the V2 envelope answers ${ITERATIONS} mutated requests with a result or a 4xx MlflowError`, () => {
  const next = rng(20261202);
  let accepted = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = seeds[Math.floor(next() * seeds.length)];
    const body = mutate(seed.body, next);
    // Now and then the header length lies (beyond the body, short of the JSON, zero).
    let headerLength = seed.headerLength;
    const r = next();
    if (headerLength !== undefined && r < 0.2) {
      headerLength = Math.floor(next() * (body.length + 16));
    }
    try {
      const input = signatures.get(seed.bundle)!.validateV2(body, headerLength);
      assert.equal(input.format, "v2");
      assert.ok(input.v2 !== undefined);
      accepted++;
    } catch (e) {
      assert.ok(e instanceof MlflowError, `not an MlflowError: ${e}`);
      assert.ok(e.status >= 400 && e.status < 500, `status ${e.status}: ${e.message}`);
      assert.ok(!/TypeError|RuntimeError|unreachable/.test(e.message), e.message);
    }
  }
  // Both outcomes must keep occurring, or the test proves little.
  assert.ok(accepted > 50, `only ${accepted} mutated requests were accepted`);
  assert.ok(accepted < ITERATIONS * 0.9, `${accepted} of ${ITERATIONS} were accepted`);
});
