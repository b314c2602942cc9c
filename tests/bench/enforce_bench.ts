/**
 * Enforcement benchmark: the wasm path (a compiled signature's `validate(bytes, contentType)`)
 * against `JSON.parse` alone and `JSON.parse` plus a straightforward TypeScript conversion to
 * typed arrays, all starting from the body as bytes (as a server receives it); and the same
 * double-column and tensor data as Open Inference Protocol V2 bodies, JSON and binary, through
 * `validateV2`. Also a longer seeded fuzz run of the wasm parsers than `deno task test` does.
 *
 * Run with `deno task bench enforce` (flags: `--quick` for fewer samples, `--fuzz=N`,
 * `--fuzz-only`).
 *
 * @module
 */

import { type CoreExports, instantiateCore, parseCheck } from "../../src/enforce/_wasm.ts";
import { MlflowError } from "../../src/errors.ts";
import { mutate, rng } from "../enforce/_mutate.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One benchmark body: what MLflow's client would send, and how a TS server would convert it. */
interface Workload {
  name: string;
  schema: { inputs: string; params: null };
  body: Uint8Array;
  convert(parsed: unknown): unknown;
  /** The same data as V2 bodies: JSON, and binary tensor data after a JSON header. */
  v2?: { json: Uint8Array; binary: Uint8Array; headerLength: number };
}

/** One V2 input: its flat values and their little-endian bytes for the binary extension. */
interface V2Input {
  name: string;
  shape: number[];
  datatype: string;
  data: number[];
  raw: Uint8Array;
}

/** The V2 JSON body of `inputs`, and the binary one (JSON header, then the raw bytes). */
function v2Bodies(inputs: V2Input[]): NonNullable<Workload["v2"]> {
  const meta = ({ name, shape, datatype }: V2Input) => ({ name, shape, datatype });
  const json = enc.encode(
    JSON.stringify({ inputs: inputs.map((i) => ({ ...meta(i), data: i.data })) }),
  );
  const header = enc.encode(JSON.stringify({
    inputs: inputs.map((i) => ({ ...meta(i), parameters: { binary_data_size: i.raw.length } })),
  }));
  const binary = new Uint8Array(header.length + inputs.reduce((n, i) => n + i.raw.length, 0));
  binary.set(header);
  let at = header.length;
  for (const i of inputs) {
    binary.set(i.raw, at);
    at += i.raw.length;
  }
  return { json, binary, headerLength: header.length };
}

function doubles(rows: number): Workload {
  const next = rng(rows);
  const data = Array.from({ length: rows }, () => Array.from({ length: 4 }, () => next() * 10));
  const columns = ["x0", "x1", "x2", "x3"];
  return {
    name: `4 double columns, ${rows} row${rows === 1 ? "" : "s"}`,
    schema: {
      inputs: JSON.stringify(columns.map((name) => ({ type: "double", name, required: true }))),
      params: null,
    },
    body: enc.encode(JSON.stringify({ dataframe_split: { columns, data } })),
    v2: v2Bodies(columns.map((name, c) => {
      const values = data.map((row) => row[c]);
      const raw = new Uint8Array(new Float64Array(values).buffer);
      return { name, shape: [rows, 1], datatype: "FP64", data: values, raw };
    })),
    convert(parsed) {
      const split = (parsed as { dataframe_split: { columns: string[]; data: unknown[][] } })
        .dataframe_split;
      return split.columns.map((name, c) => {
        const values = new Float64Array(split.data.length);
        for (let r = 0; r < split.data.length; r++) {
          const v = split.data[r][c];
          if (typeof v !== "number") throw new TypeError(`column ${name} row ${r}`);
          values[r] = v;
        }
        return { name, values };
      });
    },
  };
}

const MIXED = [
  ["id", "long"],
  ["score", "double"],
  ["name", "string"],
  ["active", "boolean"],
  ["seen", "datetime"],
  ["ratio", "float"],
  ["count", "integer"],
] as const;

function mixed(rows: number): Workload {
  const next = rng(rows + 7);
  const data = Array.from({ length: rows }, (_, i) => [
    1_000_000_007 * (i + 1),
    next() * 1000,
    `user_${Math.floor(next() * 1e6)}`,
    next() < 0.5,
    new Date(Date.UTC(2024, 0, 1) + Math.floor(next() * 3e10)).toISOString().slice(0, 19),
    Math.fround(next()),
    Math.floor(next() * 1000),
  ]);
  const columns = MIXED.map(([name]) => name);
  return {
    name: `7 mixed columns, ${rows} row${rows === 1 ? "" : "s"}`,
    schema: {
      inputs: JSON.stringify(MIXED.map(([name, type]) => ({ type, name, required: true }))),
      params: null,
    },
    body: enc.encode(JSON.stringify({ dataframe_split: { columns, data } })),
    convert(parsed) {
      const split = (parsed as { dataframe_split: { data: unknown[][] } }).dataframe_split;
      const n = split.data.length;
      const id = new BigInt64Array(n);
      const score = new Float64Array(n);
      const name: string[] = new Array(n);
      const active = new Uint8Array(n);
      const seen = new BigInt64Array(n);
      const ratio = new Float32Array(n);
      const count = new Int32Array(n);
      for (let r = 0; r < n; r++) {
        const row = split.data[r];
        id[r] = BigInt(row[0] as number);
        score[r] = row[1] as number;
        name[r] = row[2] as string;
        active[r] = row[3] ? 1 : 0;
        seen[r] = BigInt(Date.parse(`${row[4]}Z`)) * 1_000_000n;
        ratio[r] = row[5] as number;
        count[r] = row[6] as number;
      }
      return [id, score, name, active, seen, ratio, count];
    },
  };
}

function tensor(): Workload {
  const next = rng(784);
  const images = Array.from(
    { length: 32 },
    () =>
      Array.from(
        { length: 28 },
        () => Array.from({ length: 28 }, () => [Math.floor(next() * 256)]),
      ),
  );
  return {
    name: "uint8 tensor 32×28×28×1 (inputs)",
    schema: {
      inputs: JSON.stringify([{
        type: "tensor",
        "tensor-spec": { dtype: "uint8", shape: [-1, 28, 28, 1] },
      }]),
      params: null,
    },
    body: enc.encode(JSON.stringify({ inputs: images })),
    v2: v2Bodies([{
      name: "inputs",
      shape: [32, 28, 28, 1],
      datatype: "UINT8",
      data: images.flat(3),
      raw: new Uint8Array(images.flat(3)),
    }]),
    convert(parsed) {
      const inputs = (parsed as { inputs: number[][][][] }).inputs;
      const out = new Uint8Array(inputs.length * 784);
      let k = 0;
      for (const image of inputs) {
        if (image.length !== 28) throw new TypeError("shape");
        for (const row of image) {
          if (row.length !== 28) throw new TypeError("shape");
          for (const px of row) {
            const v = px[0];
            if (px.length !== 1 || !Number.isInteger(v) || v < 0 || v > 255) {
              throw new TypeError("value");
            }
            out[k++] = v;
          }
        }
      }
      return { shape: [inputs.length, 28, 28, 1], values: out };
    },
  };
}

/**
 * Median milliseconds per call of each function. Batches are calibrated per function to take
 * about 10 ms, then timed in interleaved rounds (a, b, c, a, b, c, …) so that load changes on a
 * shared machine hit every contender alike.
 */
function measure(fns: (() => unknown)[], rounds: number): number[] {
  const batches = fns.map((fn) => {
    for (let i = 0; i < 5; i++) fn();
    let batch = 1;
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) fn();
      if (performance.now() - t0 > 10 || batch >= 1 << 20) return batch;
      batch *= 2;
    }
  });
  const times: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const t0 = performance.now();
      for (let i = 0; i < batches[k]; i++) fn();
      times[k].push((performance.now() - t0) / batches[k]);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

/** The contract of src/enforce/mod.ts the wasm path uses (resolved at run time). */
interface EnforceModule {
  compileSignature(signature: { inputs: string; params: null }): Promise<{
    validate(body: Uint8Array, contentType: string): unknown;
    validateV2(body: Uint8Array, headerLength?: number): unknown;
    free(): void;
  }>;
}

async function loadEnforce(): Promise<EnforceModule | undefined> {
  try {
    const mod = await import(new URL("../../src/enforce/mod.ts", import.meta.url).href);
    return typeof mod.compileSignature === "function" ? mod as EnforceModule : undefined;
  } catch (e) {
    console.log(`(wasm path unavailable: ${e instanceof Error ? e.message.split("\n")[0] : e})`);
    return undefined;
  }
}

const fmtMs = (
  ms: number,
) => (ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(3) : ms.toFixed(4));
const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1e3)).toFixed(0);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

async function speed(samples: number): Promise<void> {
  const enforce = await loadEnforce();
  const core = await instantiateCore();
  const limits = { maxDepth: 64, maxElements: 50_000_000, maxStringBytes: 1 << 24 };
  const workloads = [
    doubles(1),
    doubles(100),
    doubles(10_000),
    mixed(1),
    mixed(100),
    mixed(10_000),
    tensor(),
  ];
  console.log(
    "| body | bytes | wasm validate ms (MB/s) | JSON.parse ms (MB/s) | JSON.parse + convert ms (MB/s) | " +
      "wasm parse only ms | JSON.parse ÷ wasm | (parse+convert) ÷ wasm |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const w of workloads) {
    const size = w.body.length;
    const contenders: (() => unknown)[] = [
      () => JSON.parse(dec.decode(w.body)),
      () => w.convert(JSON.parse(dec.decode(w.body))),
      () => parseCheck(core, "json", w.body, limits),
    ];
    let sig: Awaited<ReturnType<EnforceModule["compileSignature"]>> | undefined;
    if (enforce) {
      try {
        sig = await enforce.compileSignature(w.schema);
        sig.validate(w.body, "application/json"); // must succeed: the bodies are valid
        const compiled = sig;
        contenders.push(() => compiled.validate(w.body, "application/json"));
      } catch (e) {
        console.log(`(${w.name}: validate failed: ${e instanceof Error ? e.message : e})`);
      }
    }
    const [parseOnly, parseConvert, wasmParse, wasm = NaN] = measure(contenders, samples);
    sig?.free();
    const wasmCell = Number.isNaN(wasm) ? "n/a" : `${fmtMs(wasm)} (${mbps(size, wasm)})`;
    console.log(
      `| ${w.name} | ${size} | ${wasmCell} | ${fmtMs(parseOnly)} (${mbps(size, parseOnly)}) | ` +
        `${fmtMs(parseConvert)} (${mbps(size, parseConvert)}) | ${fmtMs(wasmParse)} | ` +
        `${Number.isNaN(wasm) ? "n/a" : ratio(parseOnly, wasm)} | ` +
        `${Number.isNaN(wasm) ? "n/a" : ratio(parseConvert, wasm)} |`,
    );
  }
  console.log(
    "\nwasm validate: a compiled signature's validate(bytes) (typed buffers out); JSON.parse: " +
      "TextDecoder.decode + JSON.parse; + convert: that plus building the typed arrays in TS; " +
      "wasm parse only: the core's JSON tree parser alone (json_parse_check), no rules.\n" +
      "Medians of per-call times over interleaved batches; ratios above 1× mean the wasm path is faster. " +
      "Targets: 10,000 rows ≥ 2× faster than JSON.parse alone; 1 row ≤ 1.2× slower (ratio ≥ 0.83×).",
  );
  if (enforce) await speedV2(enforce, workloads, samples);
}

/** V2 bodies against the MLflow body (`dataframe_split`, `inputs`) of the same data, in wasm. */
async function speedV2(enforce: EnforceModule, workloads: Workload[], samples: number) {
  console.log(
    "\n| data | MLflow body validate ms (bytes) | V2 JSON validateV2 ms (bytes) | " +
      "V2 binary validateV2 ms (bytes) | MLflow ÷ V2 JSON | MLflow ÷ V2 binary |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const w of workloads) {
    if (!w.v2) continue;
    const { json, binary, headerLength } = w.v2;
    const sig = await enforce.compileSignature(w.schema);
    try {
      // Each must succeed: the bodies are valid.
      sig.validate(w.body, "application/json");
      sig.validateV2(json);
      sig.validateV2(binary, headerLength);
      const [split, v2Json, v2Binary] = measure([
        () => sig.validate(w.body, "application/json"),
        () => sig.validateV2(json),
        () => sig.validateV2(binary, headerLength),
      ], samples);
      console.log(
        `| ${w.name} | ${fmtMs(split)} (${w.body.length}) | ${fmtMs(v2Json)} (${json.length}) | ` +
          `${fmtMs(v2Binary)} (${binary.length}) | ${ratio(split, v2Json)} | ` +
          `${ratio(split, v2Binary)} |`,
      );
    } finally {
      sig.free();
    }
  }
  console.log(
    "\nV2: one FP64 input of shape [rows, 1] per column (one UINT8 input for the tensor); binary = " +
      "JSON header + little-endian data (Inference-Header-Content-Length). Ratios above 1× mean " +
      "V2 is faster.",
  );
}

async function fuzz(iterations: number): Promise<void> {
  const fixtures = new URL("../fixtures/", import.meta.url);
  const cases = (await Deno.readTextFile(new URL("enforcement-cases.jsonl", fixtures)))
    .split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  const seeds: { body: Uint8Array; contentType: string; schema: unknown }[] = cases.map((c) => ({
    body: enc.encode(c.body),
    contentType: c.content_type,
    schema: c.schema,
  }));
  const iris = await Deno.readTextFile(
    new URL("mlflow-bundles/iris_mlp_onnx/serving_input_example.json", fixtures),
  );
  seeds.push({ body: enc.encode(iris), contentType: "application/json", schema: cases[0].schema });
  const tokens = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    '"',
    "\\",
    "\\ud800",
    "NaN",
    "-Infinity",
    "1e999",
    "\n",
    '"a":1,"a":2',
    "[[[[[[[[",
    "\u00e9",
  ].map((t) => enc.encode(t)).concat([new Uint8Array([0xff]), new Uint8Array([0xed, 0xa0, 0x80])]);
  const core: CoreExports = await instantiateCore();
  const limits = { maxDepth: 64, maxElements: 1_000_000, maxStringBytes: 1 << 20 };
  const mod = await import(new URL("../../src/enforce/mod.ts", import.meta.url).href).catch(() =>
    undefined
  );
  const validateRequest = typeof mod?.validateRequest === "function"
    ? mod.validateRequest
    : undefined;
  const seedArg = Deno.env.get("FUZZ_SEED");
  const seed = seedArg ? Number(seedArg) : Date.now() & 0xffffff; // FUZZ_SEED=n reproduces a run
  const next = rng(seed);
  let parsed = 0, refused = 0, accepted = 0, rejected = 0;
  const problems: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const seed = seeds[Math.floor(next() * seeds.length)];
    const bytes = mutate(seed.body, next, tokens);
    const r = parseCheck(
      core,
      seed.contentType.startsWith("text/csv") ? "csv" : "json",
      bytes,
      limits,
    );
    if (r.ok) parsed++;
    else refused++;
    if (validateRequest && i % 4 === 0) {
      try {
        await validateRequest(seed.schema, bytes, seed.contentType);
        accepted++;
      } catch (e) {
        rejected++;
        if (!(e instanceof MlflowError) || e.status < 400 || e.status >= 500) {
          if (problems.length < 10) problems.push(`${e instanceof Error ? e.name : ""}: ${e}`);
        }
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `Fuzz (seed ${seed}): ${iterations} mutated bodies in ${
      seconds.toFixed(1)
    } s: parsers accepted ${parsed}, refused ${refused}` +
      (validateRequest
        ? `; validateRequest accepted ${accepted}, refused ${rejected}`
        : "; validateRequest n/a") +
      `; problems: ${problems.length === 0 ? "none" : problems.join(" | ")}`,
  );
}

/**
 * Runs the enforcement benchmark and prints a markdown table, then a longer fuzz run.
 *
 * @example
 * ```ts
 * import { run } from "./enforce_bench.ts";
 * await run(["--quick"]);
 * ```
 */
export async function run(args: string[] = []): Promise<void> {
  const quick = args.includes("--quick");
  const fuzzArg = args.find((a) => a.startsWith("--fuzz="));
  if (!args.includes("--fuzz-only")) {
    await speed(quick ? 5 : 15);
    console.log("");
  }
  await fuzz(fuzzArg ? Number(fuzzArg.slice(7)) : quick ? 20_000 : 200_000);
}

if (import.meta.main) await run(Deno.args);
