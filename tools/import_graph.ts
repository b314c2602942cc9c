/**
 * Prints the import graph between the folders of `src/` and fails on a cycle or a backward edge.
 *
 * The layers, top to bottom: `cli` → `server` and `tracking` → `model` → `enforce`, `runtime`,
 * `store` → `mlmodel` → `base` (`src/errors.ts`, `src/tracing.ts`, `src/trace_gate.ts`; the other
 * top-level files, `src/cli.ts` and its worker entry, are `cli`). A folder may import its own
 * layer's siblings and any layer below; nothing points back up, and no two folders import each
 * other. Static imports, dynamic ones (`import("…")`) and module URLs built with
 * `new URL("../x.ts", import.meta.url)` count alike.
 *
 * Usage: `deno task graph` (prints the graph; exit code 1 on a violation).
 *
 * @module
 */

/** Layer of each area; higher imports lower. */
export const LAYERS: Record<string, number> = {
  cli: 6,
  server: 5,
  tracking: 5,
  model: 4,
  enforce: 3,
  runtime: 3,
  store: 3,
  mlmodel: 2,
  base: 1,
};

/** One folder-to-folder dependency and the files that make it. */
export interface Edge {
  from: string;
  to: string;
  /** `file -> imported file` pairs, relative to `src/`. */
  imports: string[];
}

/** The top-level files of `src/` everything may import; the others are the CLI's entries. */
const BASE = new Set(["errors.ts", "tracing.ts", "trace_gate.ts"]);

/**
 * The area a file of `src/` belongs to: its first folder, `base` for the shared top-level
 * modules, `cli` for the other top-level files (the CLI and its worker entry).
 *
 * @example
 * ```ts
 * import { areaOf } from "./import_graph.ts";
 * areaOf("server/app.ts"); // "server"
 * areaOf("errors.ts"); // "base"
 * ```
 */
export function areaOf(path: string): string {
  const slash = path.indexOf("/");
  if (slash !== -1) return path.slice(0, slash);
  return BASE.has(path) ? "base" : "cli";
}

/** Static imports and re-exports, literal dynamic imports, and module URLs built from this file. */
const IMPORT =
  /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|new URL\(\s*["'](\.[^"']*\.tsx?)["']\s*,\s*import\.meta\.url/g;

async function* files(dir: URL, prefix = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) yield* files(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`);
    else if (/\.tsx?$/.test(e.name)) yield prefix + e.name;
  }
}

/** Strips comments, so `import` in a JSDoc example is not an edge. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/**
 * The folder-level import graph of a `src/` directory.
 *
 * @example
 * ```ts
 * import { importGraph } from "./import_graph.ts";
 * const edges = await importGraph(new URL("../src/", import.meta.url));
 * edges.some((e) => e.from === "server" && e.to === "model"); // true
 * ```
 */
export async function importGraph(src: URL): Promise<Edge[]> {
  const edges = new Map<string, Edge>();
  for await (const path of files(src)) {
    const text = code(await Deno.readTextFile(new URL(path, src)));
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith(".")) continue;
      const target = new URL(spec, new URL(path, src)).href;
      if (!target.startsWith(src.href)) continue;
      const to = areaOf(target.slice(src.href.length));
      const from = areaOf(path);
      if (from === to) continue;
      const key = `${from}>${to}`;
      const edge = edges.get(key) ?? { from, to, imports: [] };
      edge.imports.push(`${path} -> ${target.slice(src.href.length)}`);
      edges.set(key, edge);
    }
  }
  return [...edges.values()].sort((a, b) =>
    (LAYERS[b.from] ?? 0) - (LAYERS[a.from] ?? 0) || a.from.localeCompare(b.from) ||
    a.to.localeCompare(b.to)
  );
}

/**
 * What is wrong with a graph: unknown areas, backward edges and two-way pairs.
 *
 * @example
 * ```ts
 * import { violations } from "./import_graph.ts";
 * violations([{ from: "mlmodel", to: "server", imports: ["a.ts -> b.ts"] }]).length; // 1
 * ```
 */
export function violations(edges: Edge[]): string[] {
  const out: string[] = [];
  const pairs = new Set(edges.map((e) => `${e.from}>${e.to}`));
  for (const e of edges) {
    for (const area of [e.from, e.to]) {
      if (!(area in LAYERS)) out.push(`src/${area}/ has no layer in tools/import_graph.ts`);
    }
    if ((LAYERS[e.from] ?? 0) < (LAYERS[e.to] ?? 0)) {
      out.push(`backward edge ${e.from} -> ${e.to}: ${e.imports.join(", ")}`);
    }
    if (pairs.has(`${e.to}>${e.from}`) && e.from < e.to) {
      out.push(`cycle ${e.from} <-> ${e.to}`);
    }
  }
  // Longer cycles: a depth-first walk over the areas.
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, "open" | "done">();
  const walk = (area: string, path: string[]) => {
    state.set(area, "open");
    for (const to of next.get(area) ?? []) {
      if (state.get(to) === "open") {
        const cycle = [...path.slice(path.indexOf(to)), area, to];
        if (cycle.length > 3) out.push(`cycle ${cycle.join(" -> ")}`);
      } else if (!state.has(to)) walk(to, [...path, area]);
    }
    state.set(area, "done");
  };
  for (const area of next.keys()) if (!state.has(area)) walk(area, []);
  return [...new Set(out)];
}

/**
 * The graph as text: one line per area, its layer and what it imports.
 *
 * @example
 * ```ts
 * import { render } from "./import_graph.ts";
 * render([{ from: "server", to: "model", imports: ["x"] }]); // "server   -> model\n"
 * ```
 */
export function render(edges: Edge[]): string {
  const byArea = new Map<string, string[]>();
  for (const e of edges) byArea.set(e.from, [...(byArea.get(e.from) ?? []), e.to]);
  const areas = Object.keys(LAYERS).sort((a, b) => LAYERS[b] - LAYERS[a] || a.localeCompare(b));
  let text = "";
  for (const area of areas) {
    if (!byArea.has(area)) continue;
    text += `${area.padEnd(8)} -> ${byArea.get(area)!.join(", ")}\n`;
  }
  return text;
}

if (import.meta.main) {
  const edges = await importGraph(new URL("../src/", import.meta.url));
  console.log(render(edges).trimEnd());
  const problems = violations(edges);
  if (problems.length > 0) {
    console.error(`\n${problems.length} problem(s):\n${problems.join("\n")}`);
    Deno.exit(1);
  }
}
