// Test helper: HTTP/1.1 over a raw TCP socket, for bodies fetch cannot send (slow, chunked,
// lying about their length).
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `parts` (with a pause before each delayed one) and reads one response. */
export async function rawRequest(
  port: number,
  parts: (string | { delayMs: number; data: string })[],
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder();
  const writing = (async () => {
    for (const p of parts) {
      if (typeof p === "string") await conn.write(enc.encode(p));
      else {
        await new Promise((r) => setTimeout(r, p.delayMs));
        await conn.write(enc.encode(p.data));
      }
    }
  })().catch(() => {}); // the server may close first (e.g. after a 413)
  let text = "";
  const buf = new Uint8Array(65536);
  const dec = new TextDecoder();
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const length = /content-length: *(\d+)/i.exec(text.slice(0, end));
        if (length && text.length >= end + 4 + Number(length[1])) break;
      }
    }
  } finally {
    conn.close();
    await writing;
  }
  const end = text.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: text.slice(end + 4) };
}
