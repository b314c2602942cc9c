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

/**
 * How one output's elements become JavaScript values: bool as true/false; int64/uint64 as
 * numbers when every element of the output is a safe integer, else every element as a bigint
 * (one type per output, never a mix); everything else as it is.
 */
function scalarOf(o: OutputTensor): (v: unknown) => unknown {
  if (o.type === "bool") return (v) => v !== 0 && v !== false;
  if (o.data instanceof BigInt64Array || o.data instanceof BigUint64Array) {
    const ints = o.data as ArrayLike<bigint>;
    for (let i = 0; i < ints.length; i++) {
      if (!Number.isSafeInteger(Number(ints[i]))) return (v) => v;
    }
    return (v) => Number(v);
  }
  return (v) => v;
}

function nest(o: OutputTensor): unknown {
  const { data, dims } = o;
  const scalar = scalarOf(o);
  if (dims.length === 0) return scalar(data[0]);
  let pos = 0;
  const level = (d: number): unknown[] => {
    const n = dims[d];
    const out = new Array(n);
    if (d === dims.length - 1) {
      for (let i = 0; i < n; i++) out[i] = scalar(data[pos++]);
    } else {
      for (let i = 0; i < n; i++) out[i] = level(d + 1);
    }
    return out;
  };
  return level(0);
}

/**
 * The predictions as plain JavaScript values, as MLflow's JSON would parse: records
 * `[{name: value}, …]` or `{name: nested arrays}`. An int64 output comes back as numbers when
 * all its values are safe integers, else as `bigint`s (all of them: one type per output);
 * float16 as numbers; booleans as `true`/`false`. `JSON.stringify` cannot write a bigint: for
 * JSON text use `toPyJson` (MLflow's exact digits) or the model's `invoke`.
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
    for (const o of p.outputs) out[o.name] = nest(o);
    return out;
  }
  const rows = new Array(p.length);
  const scalars = p.outputs.map(scalarOf);
  for (let i = 0; i < p.length; i++) {
    const row: Record<string, unknown> = {};
    for (let k = 0; k < p.outputs.length; k++) {
      row[p.outputs[k].name] = scalars[k](p.outputs[k].data[i]);
    }
    rows[i] = row;
  }
  return rows;
}
