/**
 * The one golden helper: MLflow's recorded requests and answers
 * (tests/fixtures/mlflow-bundles/<bundle>/golden.json), each request's body exactly as MLflow
 * received it, and the rules for replaying them in the server and on every runtime: same status; for 200 the same JSON body with numbers
 * within 1e-5 relative or 1e-6 absolute; for errors the same error_code. One deliberate
 * difference: mnist `inputs_float_values` (fractional pixels for a uint8 tensor, truncated
 * silently by MLflow) must be refused with 400.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Where the recorded bundles live. */
export const BUNDLES_DIR = new URL("./fixtures/mlflow-bundles/", import.meta.url);

/** The bundles whose predictions are replayed (iris_mlp_pytorch is unsupported by design). */
export const REPLAYED_BUNDLES = ["iris_mlp_onnx", "mnist_cnn_onnx"] as const;

/** One recorded request and MLflow's answer. */
export interface GoldenCase {
  name: string;
  content_type: string;
  request: unknown;
  /** The request body exactly as MLflow received it (Python's json.dumps text). */
  body: string;
  native_inputs: Record<string, { dtype: string; shape: number[]; data: unknown }> | null;
  native_outputs: Record<string, { dtype: string; shape: number[]; data: unknown }> | null;
  mlflow_response: { status: number; content_type: string; body: Record<string, unknown> };
}

/** What this project must answer for a case. */
export interface Expectation {
  status: number;
  /** The body to match for 200 answers. */
  body?: unknown;
  /** Accepted error codes for error answers (null: any JSON error body). */
  errorCodes?: string[] | null;
}

/**
 * The recorded cases of a bundle. A JSON request was sent as Python's json.dumps text (", " and
 * ": " separators, number lexemes as written, e.g. 7.0), so each `body` is rebuilt from
 * golden.json's raw text rather than from JSON.parse (which would turn 7.0 into 7).
 */
export function goldenCases(bundle: string): GoldenCase[] {
  const text = Deno.readTextFileSync(new URL(`${bundle}/golden.json`, BUNDLES_DIR));
  const cases = (JSON.parse(text) as { cases: GoldenCase[] }).cases;
  const marker = '"request": ';
  let at = 0;
  for (const c of cases) {
    at = text.indexOf(marker, at) + marker.length;
    const raw = rawValue(text, at);
    c.body = raw.startsWith('"') ? JSON.parse(raw) : pythonSeparators(raw);
    // The rebuilt text must be the same document.
    if (
      typeof c.request === "object" &&
      JSON.stringify(JSON.parse(c.body)) !== JSON.stringify(c.request)
    ) {
      throw new Error(`request text of ${bundle}/${c.name} does not round-trip`);
    }
  }
  return cases;
}

/** Re-spaces compact or indented JSON text the way Python's json.dumps separates it. */
export function pythonSeparators(raw: string): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '"') {
      let j = i + 1;
      while (raw[j] !== '"') j += raw[j] === "\\" ? 2 : 1;
      out += raw.slice(i, j + 1);
      i = j;
    } else if (ch === "," || ch === ":") out += ch + " ";
    else if (!/\s/.test(ch)) out += ch;
  }
  return out;
}

/** The raw JSON text of the value starting at `start`. */
function rawValue(text: string, start: number): string {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (depth === 0) return text.slice(start, j + 1);
      i = j;
    } else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      if (--depth === 0) return text.slice(start, i + 1);
    }
  }
  throw new Error("unterminated JSON value");
}

/** Local path of a bundle directory. */
export function bundlePath(bundle: string): string {
  return new URL(bundle, BUNDLES_DIR).pathname;
}

/** The request body exactly as it was sent to MLflow (Python's json.dumps text). */
export function requestBody(c: GoldenCase): string {
  return c.body;
}

/** What we must answer: MLflow's answer, except the lossless-or-loud reject. */
export function expectation(bundle: string, c: GoldenCase): Expectation {
  if (bundle === "mnist_cnn_onnx" && c.name === "inputs_float_values") {
    return { status: 400, errorCodes: ["INVALID_PARAMETER_VALUE", "BAD_REQUEST"] };
  }
  const { status, body } = c.mlflow_response;
  if (status === 200) return { status, body };
  const code = (body as { error_code?: string } | null)?.error_code;
  return { status, errorCodes: code ? [code] : null };
}

/** Assert that an HTTP answer (status + parsed JSON body) meets the expectation. */
export function assertAnswer(
  label: string,
  status: number,
  body: unknown,
  expected: Expectation,
): void {
  assert.equal(status, expected.status, `${label}: status (body ${JSON.stringify(body)})`);
  if (expected.status === 200) {
    assertClose(body, expected.body, label);
    return;
  }
  const error = body as { error_code?: unknown; message?: unknown };
  assert.equal(typeof error.message, "string", `${label}: error body has a message`);
  if (expected.errorCodes) {
    assert.ok(
      expected.errorCodes.includes(String(error.error_code)),
      `${label}: error_code ${error.error_code}, expected ${expected.errorCodes.join(" or ")}`,
    );
  }
}

/** Deep equality with numbers within 1e-5 relative or 1e-6 absolute. */
export function assertClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === "number") {
    assert.equal(typeof actual, "number", `${path}: expected a number, got ${actual}`);
    const a = actual as number;
    const ok = Math.abs(a - expected) <= 1e-6 ||
      Math.abs(a - expected) <= 1e-5 * Math.abs(expected);
    assert.ok(ok, `${path}: ${a} is not within tolerance of ${expected}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => assertClose(actual[i], e, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === "object") {
    assert.ok(actual !== null && typeof actual === "object", `${path}: expected an object`);
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected).sort(), path);
    for (const [k, e] of Object.entries(expected)) {
      assertClose((actual as Record<string, unknown>)[k], e, `${path}.${k}`);
    }
  } else {
    assert.equal(actual, expected, path);
  }
}
