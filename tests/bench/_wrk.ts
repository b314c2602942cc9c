// Bench helpers: wrk (POSTing one body, parsed into numbers) and the machine's load average.

const encoder = new TextEncoder();

/** What {@linkcode wrk} measured. */
export interface WrkResult {
  rps: number;
  /** Latency percentiles, in ms. */
  p50: number;
  p99: number;
  /** Answers that were not 2xx or 3xx. */
  non2xx: number;
  /** Non-2xx answers and socket errors in words; empty when there were none. */
  errors: string;
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

/**
 * `wrk -t2 --latency` POSTing `body` (text or any bytes: a Lua long string holds them as they
 * are) to `url` for `seconds`; JSON unless `headers` say otherwise.
 */
export async function wrk(
  url: string,
  body: string | Uint8Array,
  options: { seconds: number; connections?: number; headers?: Record<string, string> },
): Promise<WrkResult> {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const close = "]=========]";
  if (Array.from(bytes, (b) => String.fromCharCode(b)).join("").includes(close)) {
    throw new Error("the body contains the Lua string's delimiter");
  }
  const headers = Object.entries(options.headers ?? { "Content-Type": "application/json" })
    .map(([k, v]) => `wrk.headers["${k}"] = "${v}"\n`);
  const head = encoder.encode(`wrk.method = "POST"\n${headers.join("")}wrk.body = [=========[`);
  const tail = encoder.encode(`${close}\n`);
  const file = new Uint8Array(head.length + bytes.length + tail.length);
  file.set(head);
  file.set(bytes, head.length);
  file.set(tail, head.length + bytes.length);
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeFile(script, file);
  try {
    const out = await new Deno.Command("/usr/bin/wrk", {
      args: [
        "-t2",
        `-c${options.connections ?? 2}`,
        `-d${options.seconds}s`,
        "--latency",
        "-s",
        script,
        url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
    const sock = /Socket errors: (.*)/.exec(text)?.[1];
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]),
      p50: toMs(/^\s+50%\s+(\S+)/m.exec(text)?.[1] ?? ""),
      p99: toMs(/^\s+99%\s+(\S+)/m.exec(text)?.[1] ?? ""),
      non2xx,
      errors: [non2xx && `${non2xx} non-2xx`, sock].filter(Boolean).join("; "),
    };
  } finally {
    await Deno.remove(script);
  }
}

/** The load average over 1, 5 and 15 minutes, as `uptime` prints it (Linux; else "n/a"). */
export async function loadAverage(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(", ");
  } catch {
    return "n/a";
  }
}
