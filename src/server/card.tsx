/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * The model card: one server-rendered HTML page per model with what it is (name, redacted URI,
 * flavor, MLflow version), its signature as tables, its input example and a "Try it" form that
 * posts the example to the model's scoring route and shows the answer, the status and the
 * `Server-Timing` of the call. Everything (CSS, script) is inline: the page loads nothing from
 * anywhere else, so it works offline and on Workers. Values from the bundle are only ever text
 * or attribute content (escaped by hono/jsx), never part of the inline script.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import {
  type ColSpec,
  DataType,
  type Model,
  type ModelSignature,
  type ParamSchema,
  type Schema,
  TensorSpec,
} from "../mlmodel/mod.ts";
import { pyTuple } from "../mlmodel/python_compat.ts";

/**
 * What a card shows.
 *
 * @example
 * ```ts
 * import type { CardData } from "./card.tsx";
 * const data: CardData = {
 *   name: "iris",
 *   uri: "s3://models/iris",
 *   invocationsPath: "/models/iris/invocations",
 *   openApiPath: "/models/iris/openapi.json",
 *   v2MetadataPath: "/v2/models/iris",
 * };
 * ```
 */
export interface CardData {
  /** The name the model is served under. */
  name: string;
  /** Its URI, already redacted. */
  uri: string;
  /** The parsed MLmodel; absent when the model failed to load. */
  model?: Model;
  /** The serving input example (request body text), if any. */
  servingInputExample?: string | null;
  /** The ONNX graph's outputs (the keys of the predictions), with element type and shape. */
  graphOutputs?: { name: string; type?: string; shape?: ReadonlyArray<number | string> }[];
  /** The serving input example as CSV, offered when "text/csv" is chosen. */
  csvExample?: string;
  /** The size in bytes of a serving input example too large to show (it is left out). */
  exampleOmittedBytes?: number;
  /** Where "Try it" posts (`/invocations` or `/models/{name}/invocations`). */
  invocationsPath: string;
  /** The OpenAPI document describing the model. */
  openApiPath: string;
  /** The model's V2 metadata route. */
  v2MetadataPath?: string;
  /** Why the model is not available, if it failed to load. */
  error?: string;
}

/**
 * JSON laid out for reading: objects one key per line, lists of numbers, strings or lists on
 * one line (a 28×28 image stays 28 short lines instead of 2,000).
 *
 * @example
 * ```ts
 * import { readableJson } from "./card.tsx";
 * readableJson({ inputs: { a: [1, 2] } }); // '{\n  "inputs": {\n    "a": [1, 2]\n  }\n}'
 * ```
 */
export function readableJson(value: unknown, indent = ""): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) {
      return `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
    }
    const inner = indent + "  ";
    if (value.every((v) => Array.isArray(v))) {
      const rows = value.map((v) => readableJson(v, inner));
      // Lists of flat lists (a matrix, an image row) stay on one line; the page wraps it.
      if (rows.every((r) => !r.includes("\n") && !r.startsWith("[["))) {
        return `[${rows.join(", ")}]`;
      }
      return `[\n${rows.map((r) => inner + r).join(",\n")}\n${indent}]`;
    }
    return `[\n${value.map((v) => inner + readableJson(v, inner)).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    if (entries.every(([, v]) => v === null || typeof v !== "object")) {
      const line = `{${
        entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")
      }}`;
      if (line.length <= 72) return line;
    }
    const inner = indent + "  ";
    return `{\n${
      entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${readableJson(v, inner)}`).join(",\n")
    }\n${indent}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function readableText(text: string): string {
  try {
    return readableJson(JSON.parse(text));
  } catch {
    return text;
  }
}

function typeText(t: ColSpec["type"]): string {
  return t instanceof DataType ? t.name : String(t);
}

/** A scrolling table under `caption` with these column headers; `children` are its rows. */
function Table(props: { id: string; caption: string; columns: string[]; children: Child }) {
  return (
    <div class="scroll">
      <table id={props.id}>
        <caption>{props.caption}</caption>
        <thead>
          <tr>{props.columns.map((c) => <th key={c} scope="col">{c}</th>)}</tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

function SchemaTable(props: { id: string; caption: string; schema: Schema | null }) {
  const specs = props.schema?.inputs ?? [];
  if (specs.length === 0) {
    return (
      <p id={props.id}>
        {props.caption}: not declared (the model accepts any columns or tensors).
      </p>
    );
  }
  const tensor = specs[0] instanceof TensorSpec;
  return (
    <Table
      id={props.id}
      caption={props.caption}
      columns={["Name", "Type", tensor ? "Shape" : "Required"]}
    >
      {specs.map((s, i) => (
        <tr>
          <th scope="row" class="name">
            {s.name ?? <span class="muted">{tensor ? "(unnamed)" : `(column ${i})`}</span>}
          </th>
          <td>
            <code>{s instanceof TensorSpec ? s.dtype : typeText((s as ColSpec).type)}</code>
          </td>
          <td>
            {s instanceof TensorSpec
              ? <code>{pyTuple(s.shape)}</code>
              : (s as ColSpec).isRequired
              ? "required"
              : <strong class="optional">optional</strong>}
          </td>
        </tr>
      ))}
    </Table>
  );
}

function ParamsTable(props: { params: ParamSchema | null }) {
  if (!props.params || props.params.params.length === 0) {
    return <p id="params">Parameters: none declared.</p>;
  }
  return (
    <Table id="params" caption="Parameters" columns={["Name", "Type", "Default", "Shape"]}>
      {props.params.params.map((p) => (
        <tr>
          <th scope="row" class="name">{p.name}</th>
          <td>
            <code>{typeText(p.type)}</code>
          </td>
          <td>
            <code>{jsonText(p.default)}</code>
          </td>
          <td>{p.shape === null ? "scalar" : <code>{pyTuple(p.shape)}</code>}</td>
        </tr>
      ))}
    </Table>
  );
}

function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x) => typeof x === "bigint" ? x.toString() : x) ?? "null";
}

function flavorText(model: Model): string {
  const parts: string[] = [];
  for (const [name, block] of Object.entries(model.flavors)) {
    const detail = name === "python_function"
      ? block.loader_module
      : block[`${name}_version`] ?? block.version;
    parts.push(typeof detail === "string" ? `${name} (${detail})` : name);
  }
  return parts.join(", ") || "none";
}

const STYLE = `
:root{color-scheme:light;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg2:#f6f8fa;--accent:#0a58ca;--ok:#116329;--bad:#a40e26}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
main{max-width:60rem;margin:0 auto;padding:1rem 1rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0 .25rem;word-break:break-word}
h2{font-size:1.2rem;margin:2rem 0 .5rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
a{color:var(--accent)}
code,pre,textarea{font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:1rem 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;word-break:break-all}
.scroll{overflow-x:auto;margin:.5rem 0 1rem}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--bg2)}
th.name{font-weight:500}
.muted{color:var(--muted)}
.optional{color:#7d4e00;font-weight:600}
pre{background:var(--bg2);border:1px solid var(--line);border-radius:6px;padding:.75rem;overflow:auto;max-height:24rem;white-space:pre-wrap;overflow-wrap:anywhere;margin:.5rem 0}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
textarea{width:100%;min-height:12rem;padding:.5rem;border:1px solid #8c959f;border-radius:6px;resize:vertical}
select{font:inherit;padding:.3rem;border:1px solid #8c959f;border-radius:6px}
button{font:inherit;font-weight:600;margin-top:.75rem;padding:.5rem 1.25rem;border:0;border-radius:6px;background:var(--accent);color:#fff;cursor:pointer}
button:focus-visible,textarea:focus-visible,select:focus-visible,a:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.result dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.75rem 0}
.result dt{font-weight:600}.result dd{margin:0;word-break:break-all}
.s2{color:var(--ok);font-weight:600}.s4,.s5{color:var(--bad);font-weight:600}
.error{border-left:4px solid var(--bad);background:#fff5f5;padding:.75rem}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem}
@media (max-width:40rem){body{font-size:15px}h1{font-size:1.3rem}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.5rem}}
`;

// Reads the form, posts it, shows status, Server-Timing and the answer. No data is written into
// this script: it reads the form's action and fields at run time.
const SCRIPT = `
(() => {
  const form = document.getElementById("try");
  const out = document.getElementById("answer");
  const status = document.getElementById("status");
  const timing = document.getElementById("timing");
  const result = document.getElementById("result");
  const readable = (text) => {
    try {
      const fmt = (v, ind) => {
        if (Array.isArray(v)) {
          if (v.every((x) => x === null || typeof x !== "object")) return "[" + v.map((x) => JSON.stringify(x)).join(", ") + "]";
          const inner = ind + "  ";
          if (v.every((x) => Array.isArray(x))) {
            const rows = v.map((x) => fmt(x, inner));
            if (rows.every((r) => !r.includes("\\n") && !r.startsWith("[["))) return "[" + rows.join(", ") + "]";
            return "[\\n" + rows.map((r) => inner + r).join(",\\n") + "\\n" + ind + "]";
          }
          return "[\\n" + v.map((x) => inner + fmt(x, inner)).join(",\\n") + "\\n" + ind + "]";
        }
        if (v !== null && typeof v === "object") {
          const inner = ind + "  ";
          const e = Object.entries(v);
          if (!e.length) return "{}";
          if (e.every(([, x]) => x === null || typeof x !== "object")) {
            const line = "{" + e.map(([k, x]) => JSON.stringify(k) + ": " + JSON.stringify(x)).join(", ") + "}";
            if (line.length <= 72) return line;
          }
          return "{\\n" + e.map(([k, x]) => inner + JSON.stringify(k) + ": " + fmt(x, inner)).join(",\\n") + "\\n" + ind + "}";
        }
        return JSON.stringify(v);
      };
      return fmt(JSON.parse(text), "");
    } catch { return text; }
  };
  // Switching the content type swaps in the example of that type, unless the body was edited.
  const body = form.elements["body"];
  form.elements["content-type"].addEventListener("change", (event) => {
    const json = body.dataset.json, csv = body.dataset.csv;
    if (!csv) return;
    const toCsv = event.target.value === "text/csv";
    if (body.value === (toCsv ? json : csv)) body.value = toCsv ? csv : json;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.textContent = "sending…";
    status.className = "";
    timing.textContent = "";
    out.textContent = "";
    result.hidden = false;
    try {
      const res = await fetch(form.action, {
        method: "POST",
        headers: { "Content-Type": form.elements["content-type"].value },
        body: form.elements["body"].value,
      });
      const text = await res.text();
      status.textContent = res.status + (res.statusText ? " " + res.statusText : "");
      status.className = "s" + String(res.status)[0];
      const header = res.headers.get("Server-Timing");
      timing.dataset.raw = header || "";
      // "parse;dur=0.1;desc=\"parse+validate\", infer;dur=0.4" -> "parse+validate 0.1 ms · infer 0.4 ms"
      timing.textContent = header
        ? header.split(",").map((m) => {
          const name = m.split(";")[0].trim();
          const dur = /;\s*dur=([0-9.]+)/.exec(m);
          const desc = /;\s*desc="([^"]*)"/.exec(m);
          return (desc ? desc[1] : name) + (dur ? " " + dur[1] + " ms" : "");
        }).join(" · ")
        : "(none)";
      out.textContent = readable(text);
      out.dataset.raw = text;
    } catch (err) {
      status.textContent = "request failed: " + err;
      status.className = "s5";
    } finally {
      button.disabled = false;
    }
  });
})();
`;

function Page(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <link rel="icon" href="data:," />
        <style dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

function GraphOutputs(props: { outputs: NonNullable<CardData["graphOutputs"]> }) {
  if (props.outputs.length === 0) return null;
  return (
    <Table
      id="graph-outputs"
      caption="ONNX graph outputs (the keys of the predictions)"
      columns={["Name", "Type", "Shape"]}
    >
      {props.outputs.map((o) => (
        <tr>
          <th scope="row" class="name">{o.name}</th>
          <td>
            <code>{o.type ?? "not a tensor"}</code>
          </td>
          <td>{o.shape ? <code>{pyTuple(o.shape)}</code> : ""}</td>
        </tr>
      ))}
    </Table>
  );
}

function Signature(
  props: { signature: ModelSignature | null; graphOutputs?: CardData["graphOutputs"] },
) {
  const sig = props.signature;
  return (
    <section aria-labelledby="sig-h">
      <h2 id="sig-h">Signature</h2>
      {sig === null ? <p>This model has no signature: requests are passed on unchecked.</p> : (
        <>
          <SchemaTable id="inputs" caption="Inputs" schema={sig.inputs} />
          <SchemaTable id="outputs" caption="Outputs" schema={sig.outputs} />
          <ParamsTable params={sig.params} />
        </>
      )}
      {props.graphOutputs && <GraphOutputs outputs={props.graphOutputs} />}
    </section>
  );
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
}

let policy: Promise<string> | undefined;

/**
 * The card's `Content-Security-Policy`: only its own inline style and script (by hash), fetches
 * to its own origin, nothing else. Text from a bundle that escaped into markup still could not
 * run or load anything.
 *
 * @example
 * ```ts
 * import { cardContentSecurityPolicy } from "./card.tsx";
 * (await cardContentSecurityPolicy()).startsWith("default-src 'none'"); // true
 * ```
 */
export function cardContentSecurityPolicy(): Promise<string> {
  return policy ??= Promise.all([sha256(STYLE), sha256(SCRIPT)]).then(([style, script]) =>
    [
      "default-src 'none'",
      `style-src ${style}`,
      `script-src ${script}`,
      "connect-src 'self'",
      "img-src data:",
      "form-action 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join("; ")
  );
}

/**
 * Renders the card of one model as a complete HTML document.
 *
 * @example
 * ```ts
 * import { renderCard } from "./card.tsx";
 * const html = renderCard({
 *   name: "iris",
 *   uri: "examples/iris",
 *   invocationsPath: "/invocations",
 *   openApiPath: "/openapi.json",
 *   error: "It is loading.",
 * });
 * html.startsWith("<!DOCTYPE html>"); // true
 * ```
 */
export function renderCard(data: CardData): string {
  const m = data.model;
  const example = data.servingInputExample ? readableText(data.servingInputExample) : "";
  const page = (
    <Page title={`${data.name} · model card`}>
      <header>
        <p class="muted">Model card</p>
        <h1>{data.name}</h1>
      </header>
      <dl class="facts">
        <dt>URI</dt>
        <dd>
          <code>{data.uri}</code>
        </dd>
        {m && (
          <>
            <dt>Flavor</dt>
            <dd>{flavorText(m)}</dd>
            <dt>MLflow version</dt>
            <dd>{m.mlflowVersion ?? "unknown"}</dd>
            {m.utcTimeCreated && (
              <>
                <dt>Created</dt>
                <dd>{String(m.utcTimeCreated)} UTC</dd>
              </>
            )}
          </>
        )}
      </dl>
      <nav aria-label="Machine-readable descriptions">
        <ul>
          <li>
            <a href={data.openApiPath}>OpenAPI document</a>
          </li>
          {data.v2MetadataPath && (
            <li>
              <a href={data.v2MetadataPath}>V2 metadata</a>
            </li>
          )}
        </ul>
      </nav>
      {data.error
        ? (
          <p class="error" role="alert">
            The model is not available: {data.error}
          </p>
        )
        : (
          <>
            <Signature signature={m?.signature ?? null} graphOutputs={data.graphOutputs} />
            <section aria-labelledby="ex-h">
              <h2 id="ex-h">Input example</h2>
              {example ? <pre id="example" tabindex={0}>{example}</pre> : (
                <p>
                  {data.exampleOmittedBytes
                    ? `The serving input example (${
                      Math.round(data.exampleOmittedBytes / 1024)
                    } KiB) is too large to show here.`
                    : "The model was saved without an input example."}
                </p>
              )}
            </section>
            <section aria-labelledby="try-h">
              <h2 id="try-h">Try it</h2>
              <form id="try" method="post" action={data.invocationsPath}>
                <label for="content-type">Content type</label>
                <select id="content-type" name="content-type">
                  <option value="application/json">application/json</option>
                  <option value="text/csv">text/csv</option>
                </select>
                <label for="body">
                  Request body (posted to <code>{data.invocationsPath}</code>)
                </label>
                <textarea
                  id="body"
                  name="body"
                  spellcheck={false}
                  rows={12}
                  data-json={example || '{"inputs": []}'}
                  data-csv={data.csvExample ?? ""}
                >
                  {example || '{"inputs": []}'}
                </textarea>
                <button type="submit">Predict</button>
              </form>
              <div id="result" class="result" aria-live="polite" hidden>
                <dl>
                  <dt>Status</dt>
                  <dd id="status"></dd>
                  <dt>Server-Timing</dt>
                  <dd id="timing"></dd>
                </dl>
                <pre id="answer" tabindex={0} aria-label="Response body"></pre>
              </div>
            </section>
            <script dangerouslySetInnerHTML={{ __html: SCRIPT }} />
          </>
        )}
    </Page>
  );
  return `<!DOCTYPE html>${page}`;
}
