/**
 * {@linkcode ModelSignature}: the `signature` block of an MLmodel file, three JSON strings.
 *
 * @module
 */

import { MlflowError } from "../errors.ts";
import { ParamSchema } from "./param_schema.ts";
import { Schema, type ToJSONOptions } from "./schema.ts";

/**
 * A signature as an MLmodel file stores it: three JSON strings or nulls.
 *
 * @example
 * ```ts
 * import type { SignatureDict } from "./signature.ts";
 * const d: SignatureDict = { inputs: '[{"type": "long", "required": true}]', outputs: null, params: null };
 * ```
 */
export interface SignatureDict {
  /** `Schema.to_json()` of the inputs, or null. */
  inputs: string | null;
  /** `Schema.to_json()` of the outputs, or null. */
  outputs: string | null;
  /** `ParamSchema.to_json()`, or null. */
  params: string | null;
}

/**
 * Options for constructing a {@linkcode ModelSignature}.
 *
 * @example
 * ```ts
 * import { ModelSignature, type ModelSignatureInit } from "./signature.ts";
 * import { Schema } from "./schema.ts";
 * const init: ModelSignatureInit = { inputs: Schema.fromJSON('[{"type": "long"}]') };
 * new ModelSignature(init);
 * ```
 */
export interface ModelSignatureInit {
  /** The input schema. */
  inputs?: Schema | null;
  /** The output schema. */
  outputs?: Schema | null;
  /** The params schema (an empty one counts as none). */
  params?: ParamSchema | null;
}

/**
 * A model's input, output and params schemas.
 *
 * @example
 * ```ts
 * import { ModelSignature } from "./signature.ts";
 * const sig = ModelSignature.fromDict({
 *   inputs: '[{"type": "double", "name": "a", "required": true}]',
 *   outputs: null,
 *   params: null,
 * });
 * sig.inputs?.inputNames(); // ["a"]
 * sig.toDict().inputs; // '[{"type": "double", "name": "a", "required": true}]'
 * ```
 */
export class ModelSignature {
  /** The input schema, if any. */
  readonly inputs: Schema | null;
  /** The output schema, if any. */
  readonly outputs: Schema | null;
  /** The params schema, if any. */
  readonly params: ParamSchema | null;
  /** `is_signature_from_type_hint` (written next to `signature` in the MLmodel). */
  isSignatureFromTypeHint = false;
  /** `type_hint_from_example` (written next to `signature` in the MLmodel). */
  typeHintFromExample = false;

  /** Builds a signature; at least one part is required, as in MLflow. */
  constructor(init: ModelSignatureInit) {
    this.inputs = init.inputs ?? null;
    this.outputs = init.outputs ?? null;
    // An empty ParamSchema is falsy in Python and written as null.
    this.params = init.params && init.params.params.length ? init.params : null;
    if (this.inputs === null && this.outputs === null && init.params == null) {
      throw new MlflowError(
        "At least one of inputs, outputs or params must be provided",
        "INVALID_PARAMETER_VALUE",
      );
    }
  }

  /**
   * MLflow's `ModelSignature.to_dict()`: `{inputs, outputs, params}` as JSON strings or null.
   * `options.layout: "source"` keeps the layout each schema was read in.
   */
  toDict(options?: ToJSONOptions): SignatureDict {
    return {
      inputs: this.inputs ? this.inputs.toJSON(options) : null,
      outputs: this.outputs ? this.outputs.toJSON(options) : null,
      params: this.params ? this.params.toJSON(options) : null,
    };
  }

  /**
   * MLflow's `ModelSignature.from_dict()`. Empty strings count as null; each part is validated.
   * Error messages name the part (`signature.inputs`, ...).
   */
  static fromDict(d: {
    inputs?: string | null;
    outputs?: string | null;
    params?: string | null;
  }): ModelSignature {
    if (d === null || typeof d !== "object" || Array.isArray(d)) {
      throw new MlflowError(
        "A signature must be a mapping of inputs, outputs and params",
        "INVALID_PARAMETER_VALUE",
      );
    }
    const part = <T>(key: "inputs" | "outputs" | "params", read: (s: string) => T): T | null => {
      const v = d[key] as unknown;
      if (v === undefined || v === null || v === "") return null;
      if (typeof v !== "string") {
        throw new MlflowError(
          `Field 'signature.${key}' must be a JSON string, got ${
            Array.isArray(v) ? "a list" : typeof v
          }`,
          "INVALID_PARAMETER_VALUE",
        );
      }
      try {
        return read(v);
      } catch (e) {
        if (!(e instanceof MlflowError)) throw e;
        throw new MlflowError(`Field 'signature.${key}': ${e.message}`, e.errorCode, e.status, {
          cause: e,
        });
      }
    };
    return new ModelSignature({
      inputs: part("inputs", Schema.fromJSON),
      outputs: part("outputs", Schema.fromJSON),
      params: part("params", ParamSchema.fromJSON),
    });
  }
}
