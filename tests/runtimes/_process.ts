/**
 * Starting a server as a child process (Deno, Bun) and finding the address it listens on.
 *
 * @module
 */

/** The repository root: servers run with it as their working directory. */
export const ROOT = new URL("../../", import.meta.url).pathname;

/** A server running in a child process. */
export interface ServerProcess {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  pid: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it. */
  stop(): Promise<void>;
}

/** A child that exited before it printed its address. */
export class ServerExited extends Error {
  constructor(readonly code: number, readonly output: string) {
    super(`The server exited with code ${code} before listening:\n${output}`);
  }
}

/**
 * Spawns `command args`, waits until it prints `http://host:port`, and returns that address.
 *
 * @example
 * ```ts ignore
 * const server = await startServer("bun", ["run", "examples/bun/server.ts"], { PORT: "0" });
 * await fetch(`${server.url}/ping`);
 * await server.stop();
 * ```
 */
export async function startServer(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<ServerProcess> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let resolveUrl: (url: string) => void;
  const urlSeen = new Promise<string>((r) => (resolveUrl = r));
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const m = /https?:\/\/[^\s/]+:\d+/.exec(text);
      if (m) resolveUrl(m[0].replace("0.0.0.0", "127.0.0.1"));
    }
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`No address printed within ${timeoutMs} ms:\n${text}`)),
      timeoutMs,
    );
  });
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const kill = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(kill);
    }
    await pumped;
  };
  try {
    const url = await Promise.race([
      urlSeen,
      exited.then(async (s) => {
        await pumped;
        throw new ServerExited(s.code, text);
      }),
      timeout,
    ]);
    return { url, pid: child.pid, output: () => text, stop };
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Whether an executable is on PATH (`bun`, `node`). */
export async function onPath(name: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(name, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}
