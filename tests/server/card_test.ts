// The card's HTML for the shapes a bundle can have (no signature, unnamed columns, named
// tensors, a hostile example), read as text; the browser test drives the page itself.
import assert from "node:assert/strict";
import { cardContentSecurityPolicy, readableJson, renderCard } from "../../src/server/card.tsx";
import { Model, ModelSignature } from "../../src/mlmodel/mod.ts";

function model(signature: ModelSignature | null): Model {
  const m = Model.fromYaml("flavors:\n  onnx:\n    onnx_version: 1.17.0\n", "MLmodel");
  m.signature = signature;
  return m;
}

const base = {
  name: "m",
  uri: "models:/m@prod",
  invocationsPath: "/invocations",
  openApiPath: "/openapi.json",
};

Deno.test("a model without a signature says so and still offers Try it", () => {
  const html = renderCard({ ...base, model: model(null) });
  assert.match(html, /This model has no signature/);
  assert.match(html, /<textarea[^>]*>\{&quot;inputs&quot;: \[\]\}<\/textarea>/);
  assert.match(html, /<dd>onnx \(1\.17\.0\)<\/dd>/);
});

Deno.test("unnamed columns and named tensors get rows of their own", () => {
  const cols = renderCard({
    ...base,
    model: model(ModelSignature.fromDict({ inputs: '[{"type": "long"}, {"type": "string"}]' })),
  });
  assert.match(cols, />\(column 0\)</);
  assert.match(cols, />\(column 1\)</);
  const tensors = renderCard({
    ...base,
    model: model(ModelSignature.fromDict({
      inputs:
        '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "x"}]',
    })),
  });
  assert.match(
    tensors,
    /<th scope="row" class="name">x<\/th><td><code>float32<\/code><\/td><td><code>\(-1, 4\)<\/code>/,
  );
});

Deno.test("an example that tries to close the textarea or open a script stays text", () => {
  const hostile = JSON.stringify({
    inputs: { x: ["</textarea><script>alert(1)</script>", "</pre><img src=x onerror=alert(2)>"] },
  });
  const html = renderCard({
    ...base,
    model: model(ModelSignature.fromDict({ inputs: '[{"type": "string", "name": "x"}]' })),
    servingInputExample: hostile,
  });
  assert.equal(html.match(/<script>/g)?.length, 1, "only the page's own script");
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /&lt;\/textarea&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  // The example reaches the form's data attribute escaped too.
  assert.match(html, /data-json="\{\n {2}&quot;inputs&quot;/);
});

Deno.test("the content security policy names the hashes of the page's own style and script", async () => {
  const policy = await cardContentSecurityPolicy();
  const html = renderCard({ ...base, model: model(null) });
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
  for (const [kind, text] of [["script", script], ["style", style]]) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
    assert.ok(policy.includes(`${kind}-src 'sha256-${hash}'`), kind);
  }
});

Deno.test("readableJson keeps matrices on one line and objects one key per line", () => {
  assert.equal(readableJson({ a: [[1, 2], [3, 4]] }), '{\n  "a": [[1, 2], [3, 4]]\n}');
  assert.equal(readableJson([{ p: 0.5 }, { p: 0.25 }]), '[\n  {"p": 0.5},\n  {"p": 0.25}\n]');
  assert.equal(
    readableJson({ inputs: [[[1], [2]], [[3], [4]]], x: "a long enough string to break the line" }),
    '{\n  "inputs": [\n    [[1], [2]],\n    [[3], [4]]\n  ],\n  "x": "a long enough string to break the line"\n}',
  );
});
