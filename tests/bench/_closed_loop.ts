// Bench helper: a closed-loop HTTP/1.1 client that times every response as it was, beside wrk.
// wrk 4's latency percentiles include its coordinated-omission correction: each response slower
// than the mean interval per connection adds synthetic samples, so a few stalls of tens of
// milliseconds in a run (a garbage collection, the scheduler giving the core to another process)
// decide its p99. This client reports the latencies the requests really had.

/** What {@linkcode closedLoop} measured; latencies in ms. */
export interface ClosedLoopResult {
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Answers that were not 200. */
  non200: number;
}

const encoder = new TextEncoder();
const HEADER_END = [13, 10, 13, 10];

/** Index just past the header block's CRLFCRLF in `buf[0, len)`, or -1. */
function headerEnd(buf: Uint8Array, len: number): number {
  outer: for (let i = 0; i + 3 < len; i++) {
    for (let k = 0; k < 4; k++) if (buf[i + k] !== HEADER_END[k]) continue outer;
    return i + 4;
  }
  return -1;
}

/**
 * POSTs `body` (JSON) to `url` over `connections` keep-alive connections, one request at a time on
 * each, for `seconds`; every response's latency is recorded.
 */
export async function closedLoop(
  url: string,
  body: string,
  options: { seconds: number; connections?: number },
): Promise<ClosedLoopResult> {
  const u = new URL(url);
  const payload = encoder.encode(body);
  const head = encoder.encode(
    `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${payload.length}\r\n\r\n`,
  );
  const request = new Uint8Array(head.length + payload.length);
  request.set(head);
  request.set(payload, head.length);
  const latencies: number[] = [];
  let non200 = 0;
  const end = performance.now() + options.seconds * 1000;
  const decoder = new TextDecoder();
  const one = async () => {
    const conn = await Deno.connect({ hostname: u.hostname, port: Number(u.port) });
    conn.setNoDelay(true);
    let buf = new Uint8Array(64 * 1024);
    try {
      while (performance.now() < end) {
        const t0 = performance.now();
        await conn.write(request);
        let len = 0;
        let need = -1;
        while (need < 0 || len < need) {
          if (len === buf.length) {
            const grown = new Uint8Array(buf.length * 2);
            grown.set(buf);
            buf = grown;
          }
          const n = await conn.read(buf.subarray(len));
          if (n === null) throw new Error("the server closed the connection");
          len += n;
          if (need < 0) {
            const at = headerEnd(buf, len);
            if (at < 0) continue;
            const head = decoder.decode(buf.subarray(0, at));
            const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
            if (!m) throw new Error("a response without Content-Length");
            need = at + Number(m[1]);
            if (!head.startsWith("HTTP/1.1 200")) non200++;
          }
        }
        latencies.push(performance.now() - t0);
      }
    } finally {
      conn.close();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: options.connections ?? 2 }, one));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return {
    rps: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: latencies[latencies.length - 1],
    non200,
  };
}
