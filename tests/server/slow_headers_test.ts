// Deno's HTTP server has no header-read timeout: a connection that never finishes its headers
// stays open (README, "Security and limits", says which reverse proxy settings close them).
// What the server itself must guarantee is that such connections cost each other nothing:
// while many of them hang, /ping and predictions are answered.
import assert from "node:assert/strict";
import { createApp } from "../../src/server/app.ts";
import { bundlePath, serveOnFreePort } from "./_server.ts";

const ROW =
  '{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2]]}}';

Deno.test("1,500 connections that never finish their headers do not stop /ping or predictions", async () => {
  const app = createApp({ modelUri: bundlePath("iris_mlp_onnx"), log: () => {} });
  await app.ready();
  const server = serveOnFreePort(app.fetch);
  const port = Number(new URL(server.url).port);
  const slow: Deno.TcpConn[] = [];
  const enc = new TextEncoder();
  try {
    for (let i = 0; i < 1500; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      // Half of them stop inside the request line, half inside a header.
      await conn.write(
        enc.encode(i % 2 ? "POST /invocations HT" : "GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: a"),
      );
      slow.push(conn);
    }
    for (let i = 0; i < 20; i++) {
      const ping = await fetch(`${server.url}/ping`);
      assert.equal(ping.status, 200);
      await ping.body?.cancel();
    }
    const res = await fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: ROW,
    });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^\{"predictions": /);
    // The hanging connections are still open: nothing closed them (no header timeout here).
    const probe = slow[0];
    await probe.write(enc.encode("\r\n\r\n"));
    const buf = new Uint8Array(256);
    const n = await probe.read(buf);
    assert.ok(n !== null && n > 0, "the first hanging connection was closed");
  } finally {
    for (const c of slow) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await server.close();
    await app.close();
  }
});
