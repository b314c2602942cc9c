import assert from "node:assert/strict";
import { MlflowError } from "../../src/errors.ts";
import { onnxExternalDataLocations } from "../../src/mlmodel/onnx_external_data.ts";
import { concat, externalTensor, field, modelWithExternal } from "../store/_protobuf.ts";
import { fixtureDir } from "../store/_servers.ts";

Deno.test("finds the UUID-named weights file of each fixture ONNX model", async () => {
  const iris = await Deno.readFile(`${fixtureDir("iris_mlp_onnx")}model.onnx`);
  assert.deepEqual(onnxExternalDataLocations(iris), ["7a352ddc-e9a0-11f1-9901-02fc00000001"]);
  const mnist = await Deno.readFile(`${fixtureDir("mnist_cnn_onnx")}model.onnx`);
  assert.deepEqual(onnxExternalDataLocations(mnist), ["7ba982f8-e9a0-11f1-9901-02fc00000001"]);
});

Deno.test("lists each location once, in first-seen order", () => {
  const model = modelWithExternal("b.bin", "a.bin", "b.bin");
  assert.deepEqual(onnxExternalDataLocations(model), ["b.bin", "a.bin"]);
});

Deno.test("finds tensors inside node attributes of nested subgraphs", () => {
  // graph.node(1).attribute(5).g(6) -> graph.initializer(5)
  const inner = field(5, externalTensor("inner.bin"));
  const attribute = concat(field(1, "then_branch"), field(6, inner));
  const node = concat(field(4, "If"), field(5, attribute));
  const model = concat(field(7, field(1, node)));
  assert.deepEqual(onnxExternalDataLocations(model), ["inner.bin"]);
});

Deno.test("a model without external data gives no locations", () => {
  assert.deepEqual(onnxExternalDataLocations(modelWithExternal()), []);
  assert.deepEqual(onnxExternalDataLocations(new Uint8Array()), []);
});

Deno.test("rejects a length that runs past the end of the file", () => {
  const model = modelWithExternal("a.bin").subarray(0, 10);
  assert.throws(() => onnxExternalDataLocations(model, "model.onnx"), (err) => {
    assert.ok(err instanceof MlflowError);
    assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
    assert.match(err.message, /"model\.onnx" is not a valid ONNX model/);
    return true;
  });
});

Deno.test("rejects group wire types and over-long varints", () => {
  assert.throws(() => onnxExternalDataLocations(new Uint8Array([0x0b])), MlflowError);
  assert.throws(
    () => onnxExternalDataLocations(new Uint8Array(new Array(11).fill(0xff))),
    MlflowError,
  );
});

Deno.test("rejects subgraphs nested deeper than the bound instead of overflowing the stack", () => {
  let graph = field(5, externalTensor("deep.bin"));
  for (let i = 0; i < 100; i++) {
    graph = field(1, concat(field(5, concat(field(6, graph))))); // node -> attribute -> graph
  }
  assert.throws(() => onnxExternalDataLocations(field(7, graph)), /nested more than 64 deep/);
});
