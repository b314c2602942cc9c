// Test helper: serve a fetch handler over real HTTP on 127.0.0.1, on a free port.
import { createApp, type ServingApp } from "../../src/server/mod.ts";

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export function serveOnFreePort(
  handler: (req: Request) => Response | Promise<Response>,
): TestServer {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const addr = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () => server.shutdown(),
  };
}

export const FIXTURES = new URL("../fixtures/mlflow-bundles/", import.meta.url);
export const bundlePath = (name: string) => new URL(name, FIXTURES).pathname;

/** One iris row as `dataframe_split`, and MLflow's answer to it (the fixture's golden). */
export const IRIS_SPLIT_ROW =
  '{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2]]}}';
export const IRIS_ANSWER =
  '{"predictions": [{"probabilities": 0.9999592304229736}, {"probabilities": 4.073565287399106e-05}, {"probabilities": 1.2630649530562168e-14}]}';

/** Runs `fn` against `createApp(options)` served on a free port, then closes both. */
export async function withAppServer(
  options: Parameters<typeof createApp>[0],
  fn: (server: TestServer, app: ServingApp) => Promise<void>,
): Promise<void> {
  const app = createApp({ log: () => {}, ...options });
  const server = serveOnFreePort(app.fetch);
  try {
    await fn(server, app);
  } finally {
    await server.close();
    await app.close();
  }
}
