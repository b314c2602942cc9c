/**
 * A server thread of `deno task serve --workers N`: it reads the same arguments and environment
 * as the main thread, loads its own copy of the models and listens on the shared port (the
 * kernel spreads connections over the threads).
 *
 * @module
 */
import { serveConfig, startServing } from "./cli.ts";

interface Start {
  args: string[];
  env: Record<string, string>;
}

// A dedicated worker's global scope (this module only runs as a Worker).
const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};

let running: Awaited<ReturnType<typeof startServing>> | undefined;

scope.onmessage = async (e: MessageEvent) => {
  const data = e.data as Start & { stop?: boolean; reload?: boolean };
  if (data.stop) {
    await running?.stop();
    scope.postMessage({ stopped: true });
    return;
  }
  if (data.reload) return running?.reload();
  try {
    const config = await serveConfig(data.args, data.env);
    running = await startServing(config, data.env, true);
    scope.postMessage({ ready: true });
  } catch (err) {
    scope.postMessage({ error: (err as Error)?.message ?? String(err) });
  }
};
