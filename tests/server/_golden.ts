// Test helper: the golden cases with their request bodies exactly as MLflow received them.
// A JSON request was sent as Python's json.dumps text (", " and ": " separators, number
// lexemes as written, e.g. 7.0), so the body is rebuilt from golden.json's raw text rather
// than from JSON.parse (which would turn 7.0 into 7).
import { FIXTURES } from "./_server.ts";

export interface GoldenCase {
  name: string;
  content_type: string;
  request: unknown;
  body: string;
  mlflow_response: { status: number; content_type: string; body: Record<string, unknown> };
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

export async function goldenCases(bundle: string): Promise<GoldenCase[]> {
  const text = await Deno.readTextFile(new URL(`${bundle}/golden.json`, FIXTURES));
  const cases = JSON.parse(text).cases as GoldenCase[];
  const marker = '"request": ';
  let at = 0;
  for (const c of cases) {
    at = text.indexOf(marker, at) + marker.length;
    const raw = rawValue(text, at);
    c.body = raw.startsWith('"') ? JSON.parse(raw) : pythonSeparators(raw);
    if (typeof c.request === "object") {
      // The rebuilt text must be the same document.
      if (JSON.stringify(JSON.parse(c.body)) !== JSON.stringify(c.request)) {
        throw new Error(`request text of ${bundle}/${c.name} does not round-trip`);
      }
    }
  }
  return cases;
}
