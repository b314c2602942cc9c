/**
 * MLflow's golden cases as Open Inference Protocol (V2) requests, JSON and binary, and the
 * checks of their answers against the graph outputs MLflow recorded (`native_outputs`): same
 * numbers, in V2's shape (graph output names, real shapes, datatypes). Shared by the Deno
 * server test and the runtime matrix (Bun, workerd).
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertClose, type GoldenCase, goldenCases } from "../_golden.ts";
import type { Fetcher } from "./_replay.ts";

/** A V2 input as the tests build it. */
export interface V2Input {
  name: string;
  shape: number[];
  datatype: string;
  data: number[];
}

/** A golden case as V2 inputs, with the graph outputs MLflow recorded for it. */
export interface V2Case {
  name: string;
  inputs: V2Input[];
  expected: Record<string, { shape: number[]; data: number[] }>;
}

function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

function shapeOf(v: unknown): number[] {
  const shape: number[] = [];
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

function expectedOf(c: GoldenCase): V2Case["expected"] {
  const out: V2Case["expected"] = {};
  for (const [k, v] of Object.entries(c.native_outputs ?? {})) {
    out[k] = { shape: v.shape, data: flat(v.data) };
  }
  return out;
}

/**
 * The accepted golden cases of a bundle that have a V2 form: iris's `dataframe_split` requests
 * (one input per column, `[N, 1]`, FP64 or INT64 as the values are written) and mnist's
 * `inputs` requests (one UINT8 tensor).
 */
export function v2Cases(bundle: string): V2Case[] {
  const out: V2Case[] = [];
  for (const c of goldenCases(bundle)) {
    if (c.mlflow_response.status !== 200 || !c.native_outputs || typeof c.request !== "object") {
      continue;
    }
    const req = c.request as Record<string, unknown>;
    if (bundle === "iris_mlp_onnx" && "dataframe_split" in req) {
      const split = req.dataframe_split as { columns: string[]; data: number[][] };
      if (split.columns.length !== 4) continue;
      const ints = split.data.every((r) => r.every(Number.isInteger)) &&
        c.name.includes("int");
      out.push({
        name: c.name,
        inputs: split.columns.map((col, j) => ({
          name: col,
          shape: [split.data.length, 1],
          datatype: ints ? "INT64" : "FP64",
          data: split.data.map((r) => r[j]),
        })),
        expected: expectedOf(c),
      });
    } else if (bundle === "mnist_cnn_onnx" && "inputs" in req) {
      out.push({
        name: c.name,
        inputs: [{
          name: "input-0",
          shape: shapeOf(req.inputs),
          datatype: "UINT8",
          data: flat(req.inputs),
        }],
        expected: expectedOf(c),
      });
    }
  }
  return out;
}

/** Little-endian bytes of values of a V2 datatype. */
export function toBytes(datatype: string, data: number[]): Uint8Array {
  switch (datatype) {
    case "UINT8":
      return new Uint8Array(data);
    case "INT64":
      return new Uint8Array(new BigInt64Array(data.map(BigInt)).buffer);
    case "FP32":
      return new Uint8Array(new Float32Array(data).buffer);
    case "FP64":
      return new Uint8Array(new Float64Array(data).buffer);
    default:
      throw new Error(`no binary form here for ${datatype}`);
  }
}

/** A binary-extension body: the JSON header, then each input's bytes. */
export function binaryRequest(
  header: Record<string, unknown>,
  blobs: Uint8Array[],
): { body: Uint8Array<ArrayBuffer>; headerLength: number } {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const body = new Uint8Array(head.length + blobs.reduce((n, b) => n + b.length, 0));
  body.set(head);
  let at = head.length;
  for (const b of blobs) {
    body.set(b, at);
    at += b.length;
  }
  return { body, headerLength: head.length };
}

/** Splits a binary answer into its JSON header and the bytes after it. */
export async function readBinaryAnswer(
  res: Response,
): Promise<{ header: V2Answer; rest: Uint8Array }> {
  const length = Number(res.headers.get("inference-header-content-length"));
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.ok(length > 0 && length <= bytes.length, `header length ${length} of ${bytes.length}`);
  return {
    header: JSON.parse(new TextDecoder().decode(bytes.subarray(0, length))),
    rest: bytes.subarray(length),
  };
}

/** The answer's JSON as the tests read it. */
export interface V2Answer {
  model_name: string;
  model_version?: string;
  id: string;
  outputs: {
    name: string;
    shape: number[];
    datatype: string;
    data?: number[];
    parameters?: { binary_data_size?: number };
  }[];
  error?: string;
}

/** Asserts that an answer carries MLflow's recorded graph outputs, by name and real shape. */
export function assertOutputs(
  what: string,
  answer: V2Answer,
  expected: V2Case["expected"],
  binary?: Uint8Array,
): void {
  assert.deepEqual(answer.outputs.map((o) => o.name), Object.keys(expected), what);
  let at = 0;
  for (const o of answer.outputs) {
    const e = expected[o.name];
    assert.deepEqual(o.shape, e.shape, `${what}: shape of ${o.name}`);
    assert.equal(o.datatype, "FP32", `${what}: datatype of ${o.name}`);
    let data = o.data;
    if (binary) {
      const size = o.parameters?.binary_data_size ?? -1;
      assert.equal(size, e.data.length * 4, `${what}: binary_data_size of ${o.name}`);
      assert.equal(o.data, undefined, `${what}: a binary output has no data`);
      data = Array.from(new Float32Array(binary.slice(at, at + size).buffer));
      at += size;
    }
    assertClose(data, e.data, `${what}: ${o.name}`);
  }
  if (binary) assert.equal(at, binary.length, `${what}: every byte belongs to an output`);
}

/**
 * One test step per V2 form of each accepted golden case (JSON, and binary in and out), posted
 * to `/v2/models/{model}/infer`, plus the model's metadata.
 */
export async function replayV2(
  t: Deno.TestContext,
  bundle: string,
  fetcher: Fetcher,
  model: string,
): Promise<void> {
  const path = `/v2/models/${encodeURIComponent(model)}`;
  await t.step(
    `${bundle} V2 metadata names the signature's inputs and the graph's outputs`,
    async () => {
      const res = await fetcher(path);
      const meta = await res.json();
      assert.equal(res.status, 200, JSON.stringify(meta));
      assert.equal(meta.name, model);
      assert.equal(meta.platform, "onnx_onnxv1");
      if (bundle === "iris_mlp_onnx") {
        assert.deepEqual(meta.inputs[0], {
          name: "sepal length (cm)",
          datatype: "FP64",
          shape: [-1, 1],
          parameters: { content_type: "np" },
        });
        assert.deepEqual(meta.outputs, [{
          name: "probabilities",
          datatype: "FP32",
          shape: [-1, 3],
        }]);
        assert.deepEqual(meta.parameters, { content_type: "pd" });
      } else {
        assert.deepEqual(meta.inputs, [{
          name: "input-0",
          datatype: "UINT8",
          shape: [-1, 28, 28, 1],
          parameters: { content_type: "np" },
        }]);
        assert.deepEqual(meta.outputs, [{ name: "logits", datatype: "FP32", shape: [-1, 10] }]);
      }
    },
  );
  for (const c of v2Cases(bundle)) {
    await t.step(`${bundle} ${c.name} over V2 (JSON) equals MLflow's outputs`, async () => {
      const res = await fetcher(`${path}/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id: `json-${c.name}`, inputs: c.inputs }),
      });
      const answer = await res.json() as V2Answer;
      assert.equal(res.status, 200, JSON.stringify(answer));
      assert.equal(answer.model_name, model);
      assert.equal(answer.id, `json-${c.name}`);
      assertOutputs(c.name, answer, c.expected);
    });
    await t.step(
      `${bundle} ${c.name} over V2 (binary in and out) equals MLflow's outputs`,
      async () => {
        const header = {
          id: `bin-${c.name}`,
          inputs: c.inputs.map(({ data, ...rest }) => ({
            ...rest,
            parameters: { binary_data_size: toBytes(rest.datatype, data).length },
          })),
          parameters: { binary_data_output: true },
        };
        const { body, headerLength } = binaryRequest(
          header,
          c.inputs.map((i) => toBytes(i.datatype, i.data)),
        );
        const res = await fetcher(`${path}/infer`, {
          method: "POST",
          headers: {
            "content-type": "application/octet-stream",
            "inference-header-content-length": String(headerLength),
          },
          body,
        });
        assert.equal(res.status, 200, res.status === 200 ? "" : await res.text());
        const { header: answer, rest } = await readBinaryAnswer(res);
        assert.equal(answer.id, `bin-${c.name}`);
        assertOutputs(c.name, answer, c.expected, rest);
      },
    );
  }
}
