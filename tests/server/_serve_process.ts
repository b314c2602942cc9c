// `src/cli.ts serve` in its own process, for the benches and the tests that need a whole process
// (its memory and descriptors read from /proc).
const ROOT = new URL("../../", import.meta.url).pathname;

/** A server process started by {@linkcode startServe}. */
export interface ServeProcess {
  url: string;
  pid: number;
  /** Resident memory now, in MB (VmRSS). */
  rssMb(): number;
  /** Peak resident memory since start or the last {@linkcode resetPeak}, in MB (VmHWM). */
  peakMb(): number;
  /** Starts a new peak measurement (Linux `clear_refs`). */
  resetPeak(): void;
  /** Open file descriptors. */
  fds(): number;
  /** What the server wrote to stderr: its start-up lines and the last 64 Ki characters since. */
  log(): string;
  stop(): Promise<void>;
}

/** How much of the server's stderr after start-up {@linkcode ServeProcess.log} keeps. */
const LOG_TAIL_CHARS = 64 * 1024;

function statusField(pid: number, field: string): number {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text)?.[1]);
  return kb / 1024;
}

/**
 * Starts `deno run -A src/cli.ts serve -p 0 ...args` and waits until it is ready. With
 * `maxOpenFiles`, under that descriptor limit (`ulimit -n`, through bash).
 */
export async function startServe(
  args: string[],
  env: Record<string, string> = {},
  options: { maxOpenFiles?: number } = {},
): Promise<ServeProcess> {
  const argv = [Deno.execPath(), "run", "-A", `${ROOT}src/cli.ts`, "serve", "-p", "0", ...args];
  const [command, ...rest] = options.maxOpenFiles === undefined ? argv : [
    "bash",
    "-c",
    `ulimit -n ${options.maxOpenFiles} && exec "$@"`,
    "bash",
    ...argv,
  ];
  const proc = new Deno.Command(command, {
    args: rest,
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0", ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const dec = new TextDecoder();
  const reader = proc.stderr.getReader();
  let port = 0;
  while (!/mlflow-edge: ready/.test(log)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server exited before it was ready:\n${log}`);
    log += dec.decode(value);
    port ||= Number(/on http:\/\/[^:]+:(\d+)\//.exec(log)?.[1] ?? 0);
  }
  // Keep draining stderr so the server never blocks on a full pipe (an access-log line per
  // request under load), keeping a bounded tail: enough for a test to find consecutive lines
  // that arrive in separate chunks (keeping only the last chunk lost the earlier line).
  const startup = log;
  let tail = "";
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      tail += dec.decode(value, { stream: true });
      if (tail.length > 2 * LOG_TAIL_CHARS) tail = tail.slice(-LOG_TAIL_CHARS);
    }
  })().catch(() => {});
  const pid = proc.pid;
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    rssMb: () => statusField(pid, "VmRSS"),
    peakMb: () => statusField(pid, "VmHWM"),
    resetPeak: () => Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5"),
    fds: () => [...Deno.readDirSync(`/proc/${pid}/fd`)].length,
    log: () => startup + tail.slice(-LOG_TAIL_CHARS),
    async stop() {
      try {
        proc.kill("SIGKILL");
      } catch {
        // already gone
      }
      await proc.status;
    },
  };
}

/** The iris `dataframe_split` body of `rows` rows. */
export function irisBody(rows: number, row = "[5.1, 3.5, 1.4, 0.2]"): string {
  return `{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", ` +
    `"petal length (cm)", "petal width (cm)"], "data": [${Array(rows).fill(row).join(", ")}]}}`;
}

/** A server started by {@linkcode spawnServe}. */
export interface SpawnedServe {
  url: string;
  pid: number;
  /** From the spawn to the first ready answer, in ms. */
  coldStartMs: number;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** Options of {@linkcode spawnServe}. */
export interface SpawnServeOptions {
  /** Environment added to the inherited one. */
  env?: Record<string, string>;
  /** Flags of `deno run` (besides `-A`). */
  denoFlags?: string[];
  /** Whether the server at `url` is ready; default: `GET /ping` answers 200. */
  ready?: (url: string) => Promise<boolean>;
  /** How often `ready` is asked, in ms. Default 5. */
  pollMs?: number;
  /** How long it may take, in ms. Default 60000. */
  timeoutMs?: number;
}

/**
 * Starts `deno run -A src/cli.ts serve -p <a random port> ...args` with its output discarded
 * (the access log costs what it costs writing to /dev/null, not a pipe read here) and waits
 * until it is ready. A server that exits first (most likely the port was taken) is started
 * again on another port, three times at most.
 */
export async function spawnServe(
  args: string[],
  options: SpawnServeOptions = {},
  attempt = 0,
): Promise<SpawnedServe> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const ready = options.ready ?? (async (url: string) => {
    const res = await fetch(`${url}/ping`);
    await res.body?.cancel();
    return res.ok;
  });
  const t0 = performance.now();
  const proc = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(options.denoFlags ?? []),
      `${ROOT}src/cli.ts`,
      "serve",
      "-p",
      String(port),
      ...args,
    ],
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0", ...options.env },
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  const status = proc.status.then((s) => (exited = true, s));
  while (!await ready(url).catch(() => false)) {
    if (exited) {
      if (attempt < 3) return spawnServe(args, options, attempt + 1);
      throw new Error(`src/cli.ts serve ${args.join(" ")} exited at start`);
    }
    if (performance.now() - t0 > (options.timeoutMs ?? 60_000)) {
      proc.kill("SIGKILL");
      await status;
      throw new Error(`src/cli.ts serve ${args.join(" ")} was not ready within the time allowed`);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 5));
  }
  return {
    url,
    pid: proc.pid,
    coldStartMs: performance.now() - t0,
    async stop() {
      try {
        proc.kill("SIGTERM");
      } catch {
        // already exited
      }
      await status;
    },
  };
}
