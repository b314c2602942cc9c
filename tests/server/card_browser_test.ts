// The model card in a real browser: Debian's Chromium driven by puppeteer-core, against the
// server on 127.0.0.1 serving the fixture bundles. Every request the page makes is intercepted
// and must go to the server's own origin. Screenshots go to test-output/ (ignored by git).
//
// Needs Chromium (/usr/bin/chromium, or $CHROMIUM); without it these tests are skipped and say
// so, except under CI, where they fail.
import assert from "node:assert/strict";
import { relative } from "node:path";
import { type Browser, type Page, puppeteer } from "../_deps/puppeteer.ts";
import { parse, stringify } from "yaml";
import { createApp } from "../../src/server/mod.ts";
import { copy } from "./_copy.ts";
import { goldenCases } from "../_golden.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

const CHROMIUM = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = await Deno.stat(CHROMIUM).then(() => true, () => false);
const IN_CI = Boolean(Deno.env.get("CI"));
if (!HAVE_CHROMIUM && !IN_CI) {
  console.warn(`Chromium is not at ${CHROMIUM}: the model card browser tests are skipped.`);
}
// The page's globals as the callbacks below use them (they run in the browser; declared here
// rather than with the DOM library, whose types clash with Deno's).
interface El {
  id: string;
  lang: string;
  value: string;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
}
declare const document: {
  getElementById(id: string): El | null;
  querySelector(selector: string): El | null;
  documentElement: { scrollWidth: number; clientWidth: number };
};
const OUTPUT = new URL("../../test-output/", import.meta.url);

// A column name that would run script if any of it reached the page unescaped.
const HOSTILE =
  `</script><script>window.__pwned=1</script><img src="https://example.invalid/x" onerror="window.__pwned=2">"'&`;

async function launch(): Promise<{ browser: Browser; profile: string }> {
  const profile = await Deno.makeTempDir({ prefix: "card-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  return { browser, profile };
}

/** A page whose every request is recorded; requests to another origin are aborted. */
async function watchedPage(browser: Browser, origin: string) {
  const page = await browser.newPage();
  const requests: string[] = [];
  const dialogs: string[] = [];
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    requests.push(req.url());
    if (new URL(req.url()).origin === origin) req.continue();
    else req.abort();
  });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });
  return { page, requests, dialogs };
}

/** Puts `body` into the form, submits it and returns status, Server-Timing and the answer. */
async function tryIt(page: Page, body: string | null, contentType = "application/json") {
  if (body !== null) {
    await page.$eval("#body", (el, text) => {
      (el as unknown as El).value = text as string;
    }, body);
  }
  await page.select("#content-type", contentType);
  await page.$eval("#answer", (el) => {
    el.textContent = "";
    delete (el as unknown as El).dataset.raw;
  });
  await page.click("#try button[type=submit]");
  await page.waitForFunction(() => document.getElementById("answer")?.dataset.raw !== undefined);
  return await page.evaluate(() => ({
    status: document.getElementById("status")!.textContent!,
    timing: document.getElementById("timing")!.dataset.raw!,
    timingShown: document.getElementById("timing")!.textContent!,
    shown: document.getElementById("answer")!.textContent!,
  }));
}

function assertClose(got: unknown, want: unknown, where = "$"): void {
  if (typeof want === "number") {
    assert.equal(typeof got, "number", where);
    const tol = Math.max(1e-6, 1e-5 * Math.abs(want));
    assert.ok(Math.abs((got as number) - want) <= tol, `${where}: ${got} vs ${want}`);
  } else if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), where);
    assert.equal((got as unknown[]).length, want.length, where);
    want.forEach((w, i) => assertClose((got as unknown[])[i], w, `${where}[${i}]`));
  } else if (want !== null && typeof want === "object") {
    assert.deepEqual(Object.keys(got as object).sort(), Object.keys(want).sort(), where);
    for (const [k, w] of Object.entries(want)) {
      assertClose((got as Record<string, unknown>)[k], w, `${where}.${k}`);
    }
  } else assert.equal(got, want, where);
}

/** The iris bundle with a column renamed to HOSTILE and no input example. */
async function hostileBundle(dir: string): Promise<void> {
  await copy(bundlePath("iris_mlp_onnx"), dir);
  const mlmodel = parse(await Deno.readTextFile(`${dir}/MLmodel`));
  const inputs = JSON.parse(mlmodel.signature.inputs);
  inputs[0].name = HOSTILE;
  mlmodel.signature.inputs = JSON.stringify(inputs);
  delete mlmodel.saved_input_example_info;
  await Deno.writeTextFile(`${dir}/MLmodel`, stringify(mlmodel));
}

/** The iris bundle with an optional column and two parameters added to its signature. */
async function bundleWithExtras(dir: string): Promise<void> {
  await copy(bundlePath("iris_mlp_onnx"), dir);
  const mlmodel = parse(await Deno.readTextFile(`${dir}/MLmodel`));
  const inputs = JSON.parse(mlmodel.signature.inputs);
  inputs.push({ type: "string", name: "note", required: false });
  mlmodel.signature.inputs = JSON.stringify(inputs);
  mlmodel.signature.params = JSON.stringify([
    { name: "temperature", type: "float", default: 0.5, shape: null },
    { name: "labels", type: "string", default: ["a", "b"], shape: [-1] },
  ]);
  delete mlmodel.saved_input_example_info;
  await Deno.writeTextFile(`${dir}/MLmodel`, stringify(mlmodel));
}

Deno.test({
  name:
    "the model card in Chromium: columns shown, Try it answers as MLflow did, nothing leaves the server",
  ignore: !HAVE_CHROMIUM && !IN_CI,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await Deno.makeTempDir();
    await hostileBundle(`${root}/evil`);
    await bundleWithExtras(`${root}/extras`);
    const app = createApp({
      models: {
        // Relative, as a user would type it (the card shows the URI).
        iris: relative(Deno.cwd(), bundlePath("iris_mlp_onnx")),
        mnist: bundlePath("mnist_cnn_onnx"),
        torch: bundlePath("iris_mlp_pytorch"),
        evil: `${root}/evil`,
        extras: `${root}/extras`,
      },
      log: () => {},
    });
    const server = serveOnFreePort(app.fetch);
    const { browser, profile } = await launch();
    const origin = new URL(server.url).origin;
    try {
      await Deno.mkdir(OUTPUT, { recursive: true });
      const { page, requests, dialogs } = await watchedPage(browser, origin);
      await page.setViewport({ width: 900, height: 1000 });

      // The default model's card at /: every input column, the prefilled example's answer.
      const res = await page.goto(`${server.url}/`);
      assert.equal(res?.status(), 200);
      // Only the page's own style and script may run (the form below works under it).
      assert.match(
        res!.headers()["content-security-policy"],
        /^default-src 'none'; style-src 'sha256-/,
      );
      assert.equal(await page.title(), "iris · model card");
      assert.equal(await page.$eval("html", (el) => (el as unknown as El).lang), "en");
      const columns = await page.$$eval("#inputs tbody th", (ths) => ths.map((t) => t.textContent));
      assert.deepEqual(columns, [
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
      ]);
      // The graph's outputs name the keys of the predictions.
      assert.deepEqual(
        await page.$$eval(
          "#graph-outputs tbody tr",
          (trs) => trs.map((tr) => (tr as unknown as El).textContent),
        ),
        ["probabilitiesfloat32(batch, 3)"],
      );
      // Every form control has a label; every table header has a scope.
      const unlabeled = await page.$$eval(
        "textarea, select, input",
        (els) => els.filter((e) => !document.querySelector(`label[for="${e.id}"]`)).length,
      );
      assert.equal(unlabeled, 0);
      assert.equal(await page.$$eval("th:not([scope])", (ths) => ths.length), 0);
      assert.ok(await page.$('a[href="/openapi.json"]'));
      assert.ok(await page.$('a[href="/v2/models/iris"]'));

      const golden = await goldenCases("iris_mlp_onnx");
      const first = golden.find((c) => c.name === "dataframe_split_3rows")!;
      // The serving example is the first row of that case: its answer is the first 3 records.
      const prefilled = await tryIt(page, null);
      assert.equal(prefilled.status, "200 OK");
      assert.match(prefilled.timing, /infer;dur=[0-9.]+/);
      assert.match(prefilled.timingShown, /^parse\+validate [0-9.]+ ms · infer [0-9.]+ ms · /);
      const firstRow = (first.mlflow_response.body.predictions as unknown[]).slice(0, 3);
      assertClose(JSON.parse(prefilled.shown), { predictions: firstRow });
      await page.screenshot({ path: new URL("model-card.png", OUTPUT).pathname, fullPage: true });

      // Choosing text/csv swaps in the example as CSV; it gets the same answer.
      await page.select("#content-type", "text/csv");
      assert.equal(
        await page.$eval("#body", (el) => (el as unknown as El).value),
        "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n5.1,3.5,1.4,0.2\n",
      );
      const asCsv = await tryIt(page, null, "text/csv");
      assert.equal(asCsv.status, "200 OK");
      assert.deepEqual(JSON.parse(asCsv.shown), JSON.parse(prefilled.shown));
      await page.select("#content-type", "application/json");
      assert.match(
        await page.$eval("#body", (el) => (el as unknown as El).value),
        /^\{\n {2}"inputs"/,
      );

      // Every golden request MLflow answered 200, typed into the form, gets MLflow's answer.
      let tried = 0;
      for (const c of golden.filter((c) => c.mlflow_response.status === 200)) {
        const r = await tryIt(page, c.body, c.content_type);
        assert.equal(r.status, "200 OK", c.name);
        assertClose(JSON.parse(r.shown), c.mlflow_response.body, c.name);
        tried++;
      }
      assert.equal(tried, 9);
      const bad = await tryIt(page, golden.find((c) => c.name === "missing_column")!.body);
      assert.match(bad.status, /^400/);
      assert.equal(JSON.parse(bad.shown).error_code, "INVALID_PARAMETER_VALUE");

      // A tensor model's card posts to its own route.
      await page.goto(`${server.url}/models/mnist/card`);
      assert.equal(
        await page.$eval("#try", (f) => (f as unknown as El).getAttribute("action")),
        "/models/mnist/invocations",
      );
      assert.deepEqual(
        await page.$$eval("#inputs tbody td code", (els) => els.map((e) => e.textContent)),
        ["uint8", "(-1, 28, 28, 1)"],
      );
      for (
        const c of (await goldenCases("mnist_cnn_onnx")).filter((c) => c.name.includes("image"))
      ) {
        if (c.mlflow_response.status !== 200) continue;
        const r = await tryIt(page, c.body);
        assert.equal(r.status, "200 OK", c.name);
        assertClose(JSON.parse(r.shown), c.mlflow_response.body, c.name);
      }

      // A model that cannot load: a card that says why, with status 503.
      const torch = await page.goto(`${server.url}/models/torch/card`);
      assert.equal(torch?.status(), 503);
      assert.match(await page.$eval("[role=alert]", (e) => e.textContent!), /pytorch/i);

      // Bundle text is shown as text: no script runs, no image loads.
      await page.goto(`${server.url}/models/evil/card`);
      assert.equal(await page.$eval("#inputs tbody th", (th) => th.textContent), HOSTILE);
      assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);

      // Optional columns and parameters with their defaults are in the tables.
      await page.goto(`${server.url}/models/extras/card`);
      const rows = await page.$$eval(
        "#inputs tbody tr",
        (trs) => trs.map((tr) => (tr as unknown as El).textContent),
      );
      assert.equal(rows.at(-1), "notestringoptional");
      assert.equal(rows.filter((r) => r!.endsWith("required")).length, 4);
      assert.deepEqual(
        await page.$$eval(
          "#params tbody tr",
          (trs) => trs.map((tr) => (tr as unknown as El).textContent),
        ),
        ["temperaturefloat0.5scalar", 'labelsstring["a","b"](-1,)'],
      );
      const withParams = await tryIt(
        page,
        JSON.stringify({
          dataframe_split: JSON.parse(golden.find((c) => c.name === "dataframe_split_1row")!.body)
            .dataframe_split,
          params: { temperature: 0.1 },
        }),
      );
      assert.equal(withParams.status, "200 OK", withParams.shown);

      // Readable on a phone: nothing wider than the screen but the scrollable tables and code.
      await page.setViewport({ width: 375, height: 800, isMobile: true, deviceScaleFactor: 2 });
      await page.goto(`${server.url}/`);
      assert.ok(
        await page.evaluate(() =>
          document.documentElement.scrollWidth <= document.documentElement.clientWidth
        ),
        "the page scrolls sideways on a phone",
      );
      await page.screenshot({ path: new URL("model-card-phone.png", OUTPUT).pathname });

      assert.deepEqual(dialogs, []);
      const foreign = requests.filter((u) => new URL(u).origin !== origin);
      assert.deepEqual(foreign, [], "requests that left the server");
      assert.ok(requests.length >= 20, `${requests.length} requests seen`);
    } finally {
      await browser.close();
      await server.close();
      await app.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
});
