// Test helper: the describing routes (model card, OpenAPI document) answer on a runtime.
import assert from "node:assert/strict";
import type { Fetcher } from "./_replay.ts";

const IRIS_COLUMNS = [
  "sepal length (cm)",
  "sepal width (cm)",
  "petal length (cm)",
  "petal width (cm)",
];

/** Checks `/` is the iris model's card and `/openapi.json` its OpenAPI 3.1 document. */
export async function assertDescribesIris(t: Deno.TestContext, fetcher: Fetcher): Promise<void> {
  await t.step("the model card and the OpenAPI document are served", async () => {
    const card = await fetcher("/");
    const html = await card.text();
    assert.equal(card.status, 200, html.slice(0, 300));
    assert.match(card.headers.get("content-type") ?? "", /^text\/html/);
    assert.ok(html.startsWith('<!DOCTYPE html><html lang="en">'));
    for (const name of IRIS_COLUMNS) assert.ok(html.includes(`>${name}</th>`), name);
    assert.match(html, /<form id="try" method="post" action="\/invocations">/);
    const res = await fetcher("/openapi.json");
    const doc = await res.json();
    assert.equal(res.status, 200);
    assert.equal(doc.openapi, "3.1.0");
    const inv = doc.paths["/invocations"].post;
    assert.deepEqual(
      Object.keys(inv.requestBody.content["application/json"].example.inputs),
      IRIS_COLUMNS,
    );
    assert.equal(inv.responses["200"].content["application/json"].example.predictions.length, 3);
  });
}
