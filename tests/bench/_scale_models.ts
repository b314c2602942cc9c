/**
 * Benchmark bundles saved by {@linkcode saveOnnxModel} as `mlflow.onnx.save_model` saves them
 * (MLmodel with the `onnx` and `python_function` flavors and a tensor signature, `model.onnx`
 * with every weight of 1 KiB or more in one external-data file, the environment files and a
 * serving input example), with graphs built in TypeScript and seeded random weights: an MLP of a
 * chosen weight size and a ResNet-18-shaped convolutional network (~47 MB).
 *
 * @module
 */
import { ModelSignature, saveOnnxModel } from "../../src/mlmodel/mod.ts";
import { ELEM, type Initializer, type Node, onnxModel } from "../runtime/_onnx_builder.ts";

/** A written bundle and how to ask it for predictions. */
export interface ScaleBundle {
  /** Short name for tables. */
  name: string;
  /** The bundle directory. */
  dir: string;
  /** Bytes of weights (the external-data file plus small inline tensors). */
  weightBytes: number;
  /** A `{"inputs": …}` body of `rows` rows. */
  body(rows: number): string;
}

/** xorshift32: seeded, fast, good enough for weights and inputs. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Collects seeded initializers. */
class Weights {
  readonly inits: Initializer[] = [];
  #next: () => number;
  constructor(seed: number) {
    this.#next = rng(seed);
  }

  /** He-uniform weights for a layer of `fanIn` inputs (halved, so activations stay small). */
  add(name: string, dims: number[], fanIn: number): string {
    let n = 1;
    for (const d of dims) n *= d;
    const data = new Float32Array(n);
    const limit = 0.5 * Math.sqrt(6 / fanIn);
    for (let i = 0; i < n; i++) data[i] = (this.#next() * 2 - 1) * limit;
    this.inits.push({ name, dims, data });
    return name;
  }

  get bytes(): number {
    let total = 0;
    for (const i of this.inits) total += i.data.byteLength;
    return total;
  }
}

/** Saves the graph as a bundle in `dir`; `example` is a `{"inputs": …}` body. */
async function writeBundle(
  dir: string,
  graph: Parameters<typeof onnxModel>[0],
  inputShape: number[],
  outputShape: number[],
  example: string,
): Promise<void> {
  const spec = (shape: number[]) =>
    JSON.stringify([{ type: "tensor", "tensor-spec": { dtype: "float32", shape } }]);
  const { files } = saveOnnxModel({
    onnx: onnxModel(graph),
    signature: ModelSignature.fromDict({ inputs: spec(inputShape), outputs: spec(outputShape) }),
    inputExample: JSON.parse(example).inputs,
    inputExampleOptions: { kind: "ndarray" },
  });
  await Deno.mkdir(dir, { recursive: true });
  for (const [path, bytes] of files) await Deno.writeFile(`${dir}/${path}`, bytes);
}

/** Numbers as short decimal text, seeded. */
function values(n: number, seed: number): string[] {
  const next = rng(seed);
  return Array.from({ length: n }, () => (next() * 4 - 2).toFixed(4));
}

/** The input width of the MLPs. */
export const MLP_INPUTS = 16;

/**
 * An MLP with about `megabytes` MB of float32 weights: 16 inputs, three square hidden layers of
 * width W (most of the weights), 4 outputs; MatMul + Add + Relu per layer.
 *
 * @example
 * ```ts ignore
 * const b = await writeMlp("/tmp/mlp1", 1);
 * b.weightBytes; // ~1.05e6
 * ```
 */
export async function writeMlp(dir: string, megabytes: number): Promise<ScaleBundle> {
  const width = Math.round(Math.sqrt((megabytes * 1024 * 1024) / 12));
  const w = new Weights(42 + megabytes);
  const nodes: Node[] = [];
  let x = "input";
  const layer = (i: number, fanIn: number, out: number, relu: boolean) => {
    const W = w.add(`w${i}`, [fanIn, out], fanIn);
    const b = w.add(`b${i}`, [out], fanIn);
    nodes.push({ op: "MatMul", inputs: [x, W], outputs: [`m${i}`] });
    const y = relu ? `a${i}` : "output";
    nodes.push({ op: "Add", inputs: [`m${i}`, b], outputs: [relu ? `z${i}` : y] });
    if (relu) nodes.push({ op: "Relu", inputs: [`z${i}`], outputs: [y] });
    x = y;
  };
  layer(0, MLP_INPUTS, width, true);
  for (let i = 1; i <= 3; i++) layer(i, width, width, true);
  layer(4, width, 4, false);
  const body = (rows: number) => {
    const v = values(rows * MLP_INPUTS, rows);
    const lines = [];
    for (let r = 0; r < rows; r++) {
      lines.push(`[${v.slice(r * MLP_INPUTS, (r + 1) * MLP_INPUTS).join(", ")}]`);
    }
    return `{"inputs": [${lines.join(", ")}]}`;
  };
  await writeBundle(
    dir,
    {
      nodes,
      inputs: { input: { tensor: ELEM.float, shape: ["batch", MLP_INPUTS] } },
      outputs: { output: { tensor: ELEM.float, shape: ["batch", 4] } },
      initializers: w.inits,
    },
    [-1, MLP_INPUTS],
    [-1, 4],
    body(1),
  );
  return { name: `MLP ${megabytes} MB`, dir, weightBytes: w.bytes, body };
}

/**
 * A ResNet-18-shaped network (no batch norm: convolutions with biases), input 1×3×224×224,
 * 1000 outputs, ~11.7 M parameters (~47 MB).
 *
 * @example
 * ```ts ignore
 * const b = await writeResnet("/tmp/resnet");
 * b.weightBytes; // ~4.7e7
 * ```
 */
export async function writeResnet(dir: string): Promise<ScaleBundle> {
  const w = new Weights(18);
  const nodes: Node[] = [];
  let n = 0;
  const conv = (x: string, cin: number, cout: number, k: number, stride: number, relu: boolean) => {
    const i = n++;
    const W = w.add(`conv${i}.w`, [cout, cin, k, k], cin * k * k);
    const b = w.add(`conv${i}.b`, [cout], cin * k * k);
    const pad = (k - 1) >> 1;
    const y = `conv${i}`;
    nodes.push({
      op: "Conv",
      inputs: [x, W, b],
      outputs: [y],
      attrs: { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] },
    });
    if (!relu) return y;
    nodes.push({ op: "Relu", inputs: [y], outputs: [`${y}.r`] });
    return `${y}.r`;
  };
  let x = conv("input", 3, 64, 7, 2, true);
  nodes.push({
    op: "MaxPool",
    inputs: [x],
    outputs: ["pool"],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  });
  x = "pool";
  let cin = 64;
  for (const [cout, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    for (let block = 0; block < 2; block++) {
      const s = block === 0 ? stride : 1;
      const a = conv(x, cin, cout, 3, s, true);
      const b = conv(a, cout, cout, 3, 1, false);
      const short = s !== 1 || cin !== cout ? conv(x, cin, cout, 1, s, false) : x;
      const i = n++;
      nodes.push({ op: "Add", inputs: [b, short], outputs: [`sum${i}`] });
      nodes.push({ op: "Relu", inputs: [`sum${i}`], outputs: [`block${i}`] });
      x = `block${i}`;
      cin = cout;
    }
  }
  nodes.push({ op: "GlobalAveragePool", inputs: [x], outputs: ["gap"] });
  nodes.push({ op: "Flatten", inputs: ["gap"], outputs: ["flat"], attrs: { axis: 1 } });
  const fc = w.add("fc.w", [512, 1000], 512);
  const fcb = w.add("fc.b", [1000], 512);
  nodes.push({ op: "MatMul", inputs: ["flat", fc], outputs: ["fc"] });
  nodes.push({ op: "Add", inputs: ["fc", fcb], outputs: ["logits"] });
  const body = (rows: number) => {
    const v = values(rows * 3 * 224 * 224, rows);
    let at = 0;
    const image = () => {
      const channels = [];
      for (let c = 0; c < 3; c++) {
        const lines = [];
        for (let h = 0; h < 224; h++) lines.push(`[${v.slice(at, at += 224).join(", ")}]`);
        channels.push(`[${lines.join(", ")}]`);
      }
      return `[${channels.join(", ")}]`;
    };
    return `{"inputs": [${Array.from({ length: rows }, image).join(", ")}]}`;
  };
  await writeBundle(
    dir,
    {
      nodes,
      inputs: { input: { tensor: ELEM.float, shape: ["batch", 3, 224, 224] } },
      outputs: { logits: { tensor: ELEM.float, shape: ["batch", 1000] } },
      initializers: w.inits,
    },
    [-1, 3, 224, 224],
    [-1, 1000],
    body(1),
  );
  return { name: "ResNet-18 shape", dir, weightBytes: w.bytes, body };
}
