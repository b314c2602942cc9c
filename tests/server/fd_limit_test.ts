// Connections that never finish their headers each hold a file descriptor; at the process's
// limit Deno.serve's accept loop fails with "Too many open files", and unhandled, that ended the
// whole server. The CLI listens again: once those connections are gone it answers. Run with a
// small limit (ulimit -n 256) so that a few hundred connections reach it.
import assert from "node:assert/strict";
import { startServe } from "./_serve_process.ts";

async function hasBash(): Promise<boolean> {
  try {
    return (await new Deno.Command("bash", { args: ["-c", "true"] }).output()).success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "a server that runs out of file descriptors keeps running and answers once they are free",
  ignore: Deno.build.os === "windows",
  async fn() {
    assert.ok(await hasBash(), "this test needs bash (ulimit)");
    const server = await startServe([], {}, { maxOpenFiles: 256 });
    const held: Deno.TcpConn[] = [];
    try {
      const port = Number(new URL(server.url).port);
      const enc = new TextEncoder();
      for (let i = 0; i < 400; i++) {
        try {
          const c = await Deno.connect({ hostname: "127.0.0.1", port });
          held.push(c);
          await c.write(enc.encode("GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: a"));
        } catch {
          // refused or reset once the server is out of descriptors
        }
      }
      for (let i = 0; i < 100 && !/listener stopped/.test(server.log()); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(server.log(), /the listener stopped \(.*Too many open files/);
      for (const c of held.splice(0)) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      let status = 0;
      for (let i = 0; i < 60 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 250));
        try {
          const res = await fetch(`${server.url}/ping`);
          status = res.status;
          await res.body?.cancel();
        } catch {
          // not listening again yet
        }
      }
      assert.equal(status, 200, server.log());
      assert.match(server.log(), /listening again on port/);
    } finally {
      for (const c of held) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      await server.stop();
    }
  },
});
