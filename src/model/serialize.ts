/**
 * JSON text the way MLflow's scoring server writes it: Python's `json.dumps` with MLflow's
 * `NumpyEncoder` — `", "` and `": "` separators, float32 widened to double, floats in Python's
 * `repr` (`1.0`, `4.073565287399106e-05`), bare `NaN` / `Infinity` tokens, non-ASCII escaped.
 *
 * `JSON.stringify` cannot do this: it turns NaN into `null` and prints `1` for `1.0`.
 *
 * @module
 */
import { floatText, pyString } from "../mlmodel/python_compat.ts";
import type { OutputTensor, Predictions } from "../runtime/mod.ts";

/**
 * Writes element `i` of an output as JSON text, as Python's json writes the value (floats in
 * Python's notation, float16 decoded, booleans, strings escaped).
 *
 * @example
 * ```ts
 * import { elementWriter } from "./serialize.ts";
 * const write = elementWriter({ name: "y", type: "float32", dims: [2], data: new Float32Array([1, 0.00001]) });
 * [write(0), write(1)]; // ["1.0", "9.999999747378752e-06"]
 * ```
 */
export function elementWriter(o: OutputTensor): (i: number) => string {
  const data = o.data;
  switch (o.type) {
    case "float16": // numbers in a Float32Array (see the runtime's session adapter)
    case "float32":
    case "float64": {
      const values = data as Float32Array | Float64Array;
      return (i) => floatText(values[i]);
    }
    case "bool": {
      const flags = data as Uint8Array;
      return (i) => (flags[i] ? "true" : "false");
    }
    case "string": {
      const texts = data as string[];
      return (i) => pyString(texts[i]);
    }
    default: {
      const ints = data as ArrayLike<number | bigint>;
      return (i) => String(ints[i]);
    }
  }
}

/**
 * The JSON text of a prediction result: `{"predictions": …}`, or the bare value for MLflow's
 * unified LLM payloads (`wrap: false`).
 *
 * @example
 * ```ts
 * import { serializePredictions } from "./serialize.ts";
 * import { shapePredictions } from "../runtime/mod.ts";
 * const p = shapePredictions("columns", [
 *   { name: "probabilities", type: "float32", dims: [1, 2], data: new Float32Array([0.25, 1]) },
 * ]);
 * serializePredictions(p); // '{"predictions": [{"probabilities": 0.25}, {"probabilities": 1.0}]}'
 * ```
 */
export function serializePredictions(p: Predictions, wrap = true): string {
  const body = p.layout === "records" ? records(p) : dict(p);
  return wrap ? `{"predictions": ${body}}` : body;
}

function records(p: Predictions): string {
  if (p.length === 0) return "[]";
  const k = p.outputs.length;
  const keys = p.outputs.map((o) => `${pyString(o.name)}: `);
  const writers = p.outputs.map(elementWriter);
  let out = "[";
  for (let i = 0; i < p.length; i++) {
    out += i === 0 ? "{" : ", {";
    for (let j = 0; j < k; j++) out += (j === 0 ? "" : ", ") + keys[j] + writers[j](i);
    out += "}";
  }
  return out + "]";
}

function dict(p: Predictions): string {
  const parts = p.outputs.map((o) => {
    const write = elementWriter(o);
    const dims = o.dims;
    let pos = 0;
    const level = (d: number): string => {
      const n = dims[d];
      let out = "[";
      for (let i = 0; i < n; i++) {
        if (i > 0) out += ", ";
        out += d === dims.length - 1 ? write(pos++) : level(d + 1);
      }
      return out + "]";
    };
    return `${pyString(o.name)}: ${dims.length === 0 ? write(0) : level(0)}`;
  });
  return `{${parts.join(", ")}}`;
}
