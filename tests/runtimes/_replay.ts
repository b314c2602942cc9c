/**
 * Replays MLflow's golden cases over HTTP against a running server.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertAnswer, expectation, goldenCases, requestBody } from "../_golden.ts";
import { ServerExited, type ServerProcess } from "./_process.ts";

/** Something that answers HTTP requests: a base URL's fetch, or a Worker's dispatchFetch. */
export type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

/** A fetcher for a server at `baseUrl`. */
export function httpFetcher(baseUrl: string): Fetcher {
  return (path, init) => fetch(new URL(path, baseUrl), init);
}

/**
 * Waits until `/ping` answers 200, as a load balancer would: servers listen at once and load
 * the model in the background (`/ping` says 503 meanwhile). Fails with the last answer if the
 * model does not become ready within `limitMs`.
 */
export async function waitReady(fetcher: Fetcher, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  for (;;) {
    const res = await fetcher("/ping");
    const text = await res.text();
    if (res.status === 200) return;
    if (res.status !== 503 || Date.now() > end) {
      assert.fail(`/ping answered ${res.status}: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One test step per golden case of `bundle`, each posting the recorded request to
 * `/invocations` and checking status and body.
 */
export async function replayGoldens(
  t: Deno.TestContext,
  bundle: string,
  fetcher: Fetcher,
): Promise<void> {
  for (const c of goldenCases(bundle)) {
    await t.step(`${bundle} ${c.name} answers as MLflow does`, async () => {
      const res = await fetcher("/invocations", {
        method: "POST",
        headers: { "content-type": c.content_type },
        body: requestBody(c),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        assert.fail(`${c.name}: the answer is not JSON (status ${res.status}): ${text}`);
      }
      assertAnswer(`${bundle}/${c.name}`, res.status, body, expectation(bundle, c));
    });
  }
}

/** Asserts that a server serving the PyTorch bundle refuses every prediction, naming the flavor. */
export async function assertRefusesPytorch(fetcher: Fetcher): Promise<void> {
  const [c] = goldenCases("iris_mlp_pytorch");
  const res = await fetcher("/invocations", {
    method: "POST",
    headers: { "content-type": c.content_type },
    body: requestBody(c),
  });
  const body = await res.json() as { error_code?: string; message?: string };
  assert.ok(res.status >= 400, `status ${res.status}`);
  assert.match(String(body.message), /pytorch/i);
}

/**
 * Starts a server on the PyTorch bundle and asserts it is refused with an error naming the
 * flavor: either the process exits at load saying so, or it answers every prediction so.
 */
export async function assertServerRefusesPytorch(
  start: () => Promise<ServerProcess>,
): Promise<void> {
  let server;
  try {
    server = await start();
  } catch (e) {
    // Refusing at load is fine too, as long as the reason names the flavor.
    if (!(e instanceof ServerExited)) throw e;
    assert.match(e.output, /pytorch/i);
    return;
  }
  try {
    await assertRefusesPytorch(httpFetcher(server.url));
  } finally {
    await server.stop();
  }
}
