// Bench helper, run in its own process by hostile_bench.ts so that its peak memory (VmHWM) is
// its own: `deno run -A tests/bench/_hostile_child.ts <case>` prints {ms, peakMb, outcome}.
import { parseDocument } from "yaml";
import { Model } from "../../src/mlmodel/mod.ts";
import { loadModel } from "../../src/model/mod.ts";
import { ELEM, onnxModel } from "../runtime/_onnx_builder.ts";

/** 3.7 MB of YAML that reuses one 18,500-key mapping through 99 merge keys. */
export function mergeKeyYaml(): string {
  const row = `[${Array.from({ length: 40 }, (_, i) => i * 1.5).join(", ")}]`;
  const big = Array.from({ length: 18_500 }, (_, i) => `  k${i}: ${row}`).join("\n");
  return `base: &base\n${big}\nflavors:\n` +
    Array.from({ length: 99 }, (_, i) => `  f${i}:\n    <<: *base\n`).join("");
}

/** 3.7 MB of YAML that reuses one 370,000-item list through 99 aliases. */
export function aliasYaml(): string {
  const list = `[${Array.from({ length: 370_000 }, (_, i) => `"v${i}"`).join(", ")}]`;
  return `flavors: {}\nbig: &l ${list}\nuses:\n` + "  - *l\n".repeat(99);
}

function peakMb(): number {
  const text = Deno.readTextFileSync("/proc/self/status");
  return Number(/^VmHWM:\s+(\d+)/m.exec(text)?.[1]) / 1024;
}

async function outcomeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "accepted";
  } catch (err) {
    return `refused: ${(err as Error).message.slice(0, 90)}`;
  }
}

async function main(which: string): Promise<void> {
  let outcome: string;
  const text = which.startsWith("yaml-merge") ? mergeKeyYaml() : aliasYaml();
  const t0 = performance.now();
  switch (which) {
    case "yaml-merge":
    case "yaml-alias":
      outcome = await outcomeOf(() => Model.fromYaml(text, "MLmodel"));
      break;
    case "yaml-merge-old":
    case "yaml-alias-old": {
      // What the MLmodel reader did before: the yaml package with an alias-count bound of 100.
      outcome = await outcomeOf(() =>
        parseDocument(text, { version: "1.1", uniqueKeys: false }).toJS({ maxAliasCount: 100 })
      );
      break;
    }
    case "external-native":
    case "external-web": {
      const dir = await Deno.makeTempDir();
      await Deno.writeTextFile(`${dir}/MLmodel`, "flavors:\n  onnx:\n    data: model.onnx\n");
      await Deno.writeFile(
        `${dir}/model.onnx`,
        onnxModel({
          nodes: [{ op: "Add", inputs: ["x", "W"], outputs: ["y"] }],
          inputs: { x: { tensor: ELEM.float, shape: [1, 4] } },
          outputs: { y: { tensor: ELEM.float, shape: [1, 4] } },
          initializers: [{
            name: "W",
            dims: [1, 4],
            data: new Float32Array(4),
            external: { location: ".//deno.json", offset: 0 },
          }],
        }),
      );
      const backend = which === "external-native" ? "native" : "web";
      outcome = await outcomeOf(() => loadModel(dir, { backend, selfCheck: false }));
      await Deno.remove(dir, { recursive: true });
      break;
    }
    default:
      throw new Error(`unknown case ${which}`);
  }
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, peakMb: peakMb(), outcome }));
}

if (import.meta.main) await main(Deno.args[0]);
