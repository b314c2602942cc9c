// The import graph between src/ folders: no cycle, no backward edge, and README's Layout section
// shows what the script prints.
import assert from "node:assert/strict";
import { importGraph, violations } from "../../tools/import_graph.ts";

const root = new URL("../../", import.meta.url);

Deno.test("deno task graph passes and README's Layout shows its output", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "tools/import_graph.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const graph = new TextDecoder().decode(out.stdout).trimEnd();
  assert.match(graph, /^server {3}-> /m);
  const readme = await Deno.readTextFile(new URL("README.md", root));
  assert.ok(
    readme.includes("```\n" + graph + "\n```"),
    "README's Layout section is stale: paste `deno task graph`'s output",
  );
});

Deno.test("a backward edge or a cycle is reported", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const write = async (path: string, text: string) => {
      await Deno.mkdir(`${dir}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, text);
    };
    await write("mlmodel/a.ts", 'const u = new URL("../server/b.ts", import.meta.url);\n');
    await write("server/b.ts", 'import { x } from "../mlmodel/a.ts";\n');
    await write("store/c.ts", '// import { y } from "../server/b.ts";\nexport const c = 1;\n');
    const problems = violations(await importGraph(new URL(`file://${dir}/`)));
    assert.ok(
      problems.some((p) => p.startsWith("backward edge mlmodel -> server")),
      problems.join(),
    );
    assert.ok(problems.some((p) => p.startsWith("cycle mlmodel <-> server")), problems.join());
    assert.ok(!problems.some((p) => p.includes("store")), "a commented import is no edge");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
