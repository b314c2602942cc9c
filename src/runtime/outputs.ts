/**
 * The model's answer in MLflow's shapes (spec §5): flattened records for DataFrame input, a
 * dict of arrays for tensor input.
 *
 * @module
 */
import { modelEvaluationError } from "./feeds.ts";
import type { TensorData } from "./types.ts";

/**
 * One fetched output tensor and its name.
 *
 * @example
 * ```ts
 * import type { OutputTensor } from "./outputs.ts";
 * const y: OutputTensor = { name: "y", type: "float32", dims: [1], data: new Float32Array([0.5]) };
 * ```
 */
export interface OutputTensor extends TensorData {
  /** The graph output's name. */
  name: string;
}

/**
 * What the model returned, laid out as MLflow lays it out:
 * - `records`: DataFrame input; every output flattened to one column, `length` rows
 *   (`[{"probabilities": p}, …]`).
 * - `dict`: tensor input; `{name: nested arrays}` with the output's shape.
 *
 * @example
 * ```ts
 * import { shapePredictions } from "./outputs.ts";
 * const p = shapePredictions("columns", [
 *   { name: "y", type: "float32", dims: [1, 2], data: new Float32Array([0.25, 0.75]) },
 * ]);
 * p.layout; // "records"
 * p.length; // 2
 * ```
 */
export interface Predictions {
  /** Flattened records (table input) or a dict of arrays (tensor input), as MLflow answers. */
  layout: "records" | "dict";
  /** The graph's tensor outputs, in graph order. */
  outputs: OutputTensor[];
  /** Row count of the records layout (every output's element count). */
  length: number;
}

/**
 * Lays outputs out for the input kind; for records every output must have the same element
 * count (MLflow's DataFrame construction fails otherwise, a 400).
 *
 * @example
 * ```ts
 * import { shapePredictions } from "./outputs.ts";
 * const p = shapePredictions("tensors", [
 *   { name: "logits", type: "float32", dims: [1, 2], data: new Float32Array([1, 2]) },
 * ]);
 * p.layout; // "dict"
 * ```
 */
export function shapePredictions(
  kind: "columns" | "tensors",
  outputs: OutputTensor[],
): Predictions {
  if (kind === "tensors") return { layout: "dict", outputs, length: 0 };
  const length = outputs.length > 0 ? outputs[0].data.length : 0;
  for (const o of outputs) {
    if (o.data.length !== length) {
      throw modelEvaluationError(
        `the outputs have different sizes (${
          outputs.map((x) => `"${x.name}": ${x.data.length}`).join(", ")
        }), so they cannot be returned as the columns of one table.`,
      );
    }
  }
  return { layout: "records", outputs, length };
}

function scalar(v: number | bigint | string, type: string): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (type === "bool") return v !== 0;
  if (type === "float16") return halfToNumber(v as number);
  return v;
}

/**
 * Decodes IEEE half-precision bits (onnxruntime returns float16 tensors as raw Uint16 bits).
 *
 * @example
 * ```ts
 * import { halfToNumber } from "./outputs.ts";
 * halfToNumber(0x3c00); // 1
 * ```
 */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function nest(data: OutputTensor["data"], type: string, dims: readonly number[]): unknown {
  if (dims.length === 0) return scalar(data[0], type);
  let pos = 0;
  const level = (d: number): unknown[] => {
    const n = dims[d];
    const out = new Array(n);
    if (d === dims.length - 1) {
      for (let i = 0; i < n; i++) out[i] = scalar(data[pos++], type);
    } else {
      for (let i = 0; i < n; i++) out[i] = level(d + 1);
    }
    return out;
  };
  return level(0);
}

/**
 * The predictions as plain JavaScript values, as MLflow's JSON would parse: records
 * `[{name: value}, …]` or `{name: nested arrays}`. int64 values outside the safe-integer range
 * stay `bigint`; booleans become `true`/`false`.
 *
 * @example
 * ```ts
 * import { predictionsValue, shapePredictions } from "./outputs.ts";
 * const p = shapePredictions("tensors", [
 *   { name: "y", type: "float32", dims: [1, 2], data: new Float32Array([0.5, 1]) },
 * ]);
 * predictionsValue(p); // { y: [[0.5, 1]] }
 * ```
 */
export function predictionsValue(p: Predictions): unknown {
  if (p.layout === "dict") {
    const out: Record<string, unknown> = {};
    for (const o of p.outputs) out[o.name] = nest(o.data, o.type, o.dims);
    return out;
  }
  const rows = new Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const row: Record<string, unknown> = {};
    for (const o of p.outputs) row[o.name] = scalar(o.data[i], o.type);
    rows[i] = row;
  }
  return rows;
}
