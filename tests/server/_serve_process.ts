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
  /** Everything the server wrote to stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

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
  // request under load): keep only the last chunk, decoded when asked for.
  const startup = log;
  let last: Uint8Array | undefined;
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      last = value;
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
    log: () => startup + (last ? dec.decode(last) : ""),
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
