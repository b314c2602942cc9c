// Test helper: seeded random mutations of request bodies, shared by the fuzz test, the
// bounded-memory test and the longer fuzz run of the enforce benchmark.

/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = new TextEncoder();

/** Tokens worth inserting: JSON/CSV structure, escapes, special numbers, bad UTF-8. */
export const TOKENS: Uint8Array[] = [
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  '"',
  "\\",
  "\\u",
  "\\ud800",
  "\\udc00\\ud800",
  "NaN",
  "-Infinity",
  "1e999",
  "-0",
  "9223372036854775808",
  "null",
  "true",
  '"a":1,"a":2',
  "[[[[[[[[[[[[[[[[",
  "\n",
  "\r\n",
  '""',
  "\t",
  "\u00e9",
  "\u{1F600}",
].map((t) => enc.encode(t)).concat([
  new Uint8Array([0xff]),
  new Uint8Array([0xc3]),
  new Uint8Array([0xed, 0xa0, 0x80]),
  new Uint8Array([0xef, 0xbb, 0xbf]),
  new Uint8Array([0]),
]);

/** One to four random edits: delete, overwrite, insert a token, duplicate or truncate. */
export function mutate(
  input: Uint8Array,
  next: () => number,
  tokens: Uint8Array[] = TOKENS,
): Uint8Array {
  let doc = Array.from(input);
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (doc.length + 1));
    switch (Math.floor(next() * 6)) {
      case 0:
        doc.splice(at, 1 + Math.floor(next() * 3));
        break;
      case 1:
        if (at < doc.length) doc[at] = Math.floor(next() * 256);
        break;
      case 2:
      case 3:
        doc.splice(at, 0, ...tokens[Math.floor(next() * tokens.length)]);
        break;
      case 4: {
        const len = Math.floor(next() * 32);
        doc.splice(at, 0, ...doc.slice(at, at + len));
        break;
      }
      default:
        doc = doc.slice(0, at);
    }
  }
  return new Uint8Array(doc);
}
