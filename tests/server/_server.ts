// Test helper: serve a fetch handler over real HTTP on 127.0.0.1, on a free port.
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
