/**
 * The wasm core's rows of the `hostile` bench (issue #9 items 1, 5 and 6): time and core memory
 * for hostile bodies through `validateRequest`, each in a child process, with the current core
 * ("after") and with the core as it was before those fixes ("before": `src/` and the wasm of
 * {@linkcode BEFORE_COMMIT}, extracted with git; skipped where git or that commit is missing).
 * Core memory is the wasm linear memory: its peak during the request (the renewal cap lifted)
 * and what is left at rest with the default cap. Nothing here asserts anything.
 *
 * Run alone: `deno run -A tests/bench/_hostile_core.ts`.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;
/** The last commit before the core's fixes for items 1, 5 and 6. */
export const BEFORE_COMMIT = "57486a9";

interface Case {
  item: string;
  what: string;
  signature: { inputs: string | null; params: null } | null;
  body: () => string;
  contentType: string;
  float32: boolean;
}

const AB = {
  inputs: JSON.stringify([{ type: "double", name: "a" }, { type: "long", name: "b" }]),
  params: null,
};
const names = (n: number, p = "c") => Array.from({ length: n }, (_, i) => `${p}${i}`);

const CASES: Case[] = [
  {
    item: "1 quadratic names",
    what: "dataframe_split, 40,000 distinct columns, none the signature's (0.5 MB)",
    signature: AB,
    body: () => {
      const n = names(40_000);
      return JSON.stringify({ dataframe_split: { columns: n, data: [n.map(() => 0)] } });
    },
    contentType: "application/json",
    float32: false,
  },
  {
    item: "1 quadratic names",
    what: "dataframe_split, the signature's 2 columns and 40,000 extra ones (accepted)",
    signature: AB,
    body: () => {
      const n = names(40_000);
      return JSON.stringify({
        dataframe_split: { columns: ["a", "b", ...n], data: [[1.5, 2, ...n.map(() => 0)]] },
      });
    },
    contentType: "application/json",
    float32: false,
  },
  {
    item: "1 quadratic names",
    what: "dataframe_records, 20,000 records with a distinct extra key each (0.7 MB)",
    signature: AB,
    body: () =>
      JSON.stringify({
        dataframe_records: Array.from({ length: 20_000 }, (_, i) => ({ a: i, b: i, [`k${i}`]: 1 })),
      }),
    contentType: "application/json",
    float32: false,
  },
  {
    item: "1 quadratic names",
    what: "inputs dict, the signature's 2 columns and 40,000 extra ones",
    signature: AB,
    body: () => {
      const d: Record<string, number[]> = { a: [1.5], b: [2] };
      for (const n of names(40_000)) d[n] = [0];
      return JSON.stringify({ inputs: d });
    },
    contentType: "application/json",
    float32: false,
  },
  {
    item: "5 core memory",
    what: "CSV, 5,000-column header over 15,000 one-cell rows (64 KB), signature a, b",
    signature: AB,
    body: () => `a,b,${names(4998).join(",")}\n` + "1\n".repeat(15_000),
    contentType: "text/csv",
    float32: false,
  },
  {
    item: "5 core memory",
    what: "CSV, 700-column header over 14,000 two-cell rows (58 KB), signature a, b",
    signature: AB,
    body: () => `a,b,${names(700).join(",")}\n` + "1,2\n".repeat(14_000),
    contentType: "text/csv",
    float32: false,
  },
  {
    item: "5 core memory",
    what: "CSV, the same without a signature (a 9.8 M-cell frame, as pandas builds it)",
    signature: null,
    body: () => `a,b,${names(700).join(",")}\n` + "1,2\n".repeat(14_000),
    contentType: "text/csv",
    float32: false,
  },
  {
    item: "6 lossy float32",
    what: "1e39 in a double column fed to a tensor(float) input",
    signature: AB,
    body: () => '{"dataframe_split": {"columns": ["a", "b"], "data": [[1e39, 1]]}}',
    contentType: "application/json",
    float32: true,
  },
];

/**
 * In a child: runs one case and prints `{ms, peakMiB, restMiB, outcome}`. `oldRoot` is an
 * extracted copy of the tree before the fixes (its own TypeScript and wasm: the ABI differs).
 */
async function runChild(index: number, oldRoot: string | null): Promise<void> {
  const base = oldRoot ? `file://${oldRoot}/` : new URL("../../", import.meta.url).href;
  const enforce = await import(`${base}src/enforce/mod.ts`);
  const wasm = await import(`${base}src/enforce/_wasm.ts`);
  const c = CASES[index];
  const body = c.body();
  const options = c.float32 ? { float32Inputs: "all" as const } : {};
  const memory = async () => (await wasm.instantiateCore()).memory.buffer.byteLength / 2 ** 20;
  const run = async (cap: number) => {
    enforce.setCoreMemoryCap?.(cap); // the old core had no cap: its memory never shrank
    const sig = await enforce.compileSignature(c.signature, options);
    const t0 = performance.now();
    let outcome: string;
    try {
      const r = sig.validate(body, c.contentType);
      outcome = `200: ${r.rows} rows, ${r.columns.length || r.tensors.length} columns`;
    } catch (e) {
      const err = e as { status?: number; message?: string };
      outcome = `${err.status ?? "error"}: ${String(err.message).slice(0, 50)}`;
    }
    return { ms: performance.now() - t0, outcome };
  };
  const peak = await run(2 ** 40); // no renewal: the memory left is the peak
  const peakMiB = await memory();
  await run(64 * 2 ** 20);
  const restMiB = await memory();
  console.log(JSON.stringify({ ms: peak.ms, peakMiB, restMiB, outcome: peak.outcome }));
}

async function measure(index: number, oldRoot: string | null): Promise<string> {
  const args = ["run", "-A", `${ROOT}tests/bench/_hostile_core.ts`, "--child", String(index)];
  if (oldRoot) args.push(oldRoot);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const out = await child.output();
  clearTimeout(timer);
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  if (!line.startsWith("{")) return "did not finish within 120 s";
  const r = JSON.parse(line) as { ms: number; peakMiB: number; restMiB: number; outcome: string };
  const ms = r.ms < 10 ? r.ms.toFixed(1) : Math.round(r.ms).toString();
  return `${ms} ms, core ${r.peakMiB.toFixed(1)} MiB peak / ${r.restMiB.toFixed(1)} MiB at rest (${
    r.outcome.split(":")[0]
  })`;
}

/** The tree before the fixes (`src/` and the wasm), extracted with git; null where it cannot. */
async function beforeTree(): Promise<string | null> {
  const dir = await Deno.makeTempDir();
  try {
    const archive = await new Deno.Command("git", {
      args: ["archive", "--format=tar", BEFORE_COMMIT, "src", "wasm/mlflow_edge_core.wasm"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!archive.success) throw new Error("git archive failed");
    const tar = new Deno.Command("tar", { args: ["-x", "-C", dir], stdin: "piped" }).spawn();
    const writer = tar.stdin.getWriter();
    await writer.write(archive.stdout);
    await writer.close();
    if (!(await tar.status).success) throw new Error("tar failed");
    return dir;
  } catch {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return null;
  }
}

/**
 * The core's rows for the hostile bench: `[item, case, before, after]`.
 *
 * @example
 * ```ts
 * import { coreRows } from "./_hostile_core.ts";
 * for (const [item, what, before, after] of await coreRows()) console.log(item, what, before, after);
 * ```
 */
export async function coreRows(): Promise<string[][]> {
  const old = await beforeTree();
  const rows: string[][] = [];
  try {
    for (let i = 0; i < CASES.length; i++) {
      const before = old ? await measure(i, old) : `n/a (no git history for ${BEFORE_COMMIT})`;
      rows.push([CASES[i].item, CASES[i].what, before, await measure(i, null)]);
    }
  } finally {
    if (old) await Deno.remove(old, { recursive: true }).catch(() => {});
  }
  return rows;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--child");
  if (at >= 0) {
    await runChild(Number(Deno.args[at + 1]), Deno.args[at + 2] ?? null);
  } else {
    console.log("| item | case | before | after |\n| --- | --- | --- | --- |");
    for (const r of await coreRows()) console.log(`| ${r.join(" | ")} |`);
  }
}
