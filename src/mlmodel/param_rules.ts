/**
 * Which JSON values a scalar parameter type takes, and how (MLflow's `_enforce_param_datatype`):
 * the one table of these rules. `param_schema.ts` reads it for parameter defaults; the wasm core
 * reads the Rust text `wasm/build.ts` generates from it (`wasm/src/param_rules.rs`) for request
 * parameters, so the two cannot drift apart. `datetime` (a text numpy parses) and `binary`
 * (refused) have rules of their own beside this table.
 *
 * @module
 */

/**
 * A JSON value's Python type as MLflow sees it: `bool`, `int` (a number without fraction or
 * exponent), `float` (any other number) or `str`.
 *
 * @example
 * ```ts
 * import type { ParamValueKind } from "./param_rules.ts";
 * const kind: ParamValueKind = "int";
 * ```
 */
export type ParamValueKind = "bool" | "int" | "float" | "str";

/**
 * What a parameter type does with a value of a kind: keep it, turn an int into a float, or
 * (absent from the table) refuse it with MLflow's "Can not safely convert" message.
 *
 * @example
 * ```ts
 * import type { ParamRule } from "./param_rules.ts";
 * const rule: ParamRule = "to_float";
 * ```
 */
export type ParamRule = "keep" | "to_float";

/**
 * The scalar parameter types and the value kinds each accepts.
 *
 * @example
 * ```ts
 * import { PARAM_VALUE_RULES } from "./param_rules.ts";
 * PARAM_VALUE_RULES.double.int; // "to_float": 1 becomes 1.0
 * ```
 */
export const PARAM_VALUE_RULES: Readonly<
  Record<
    "boolean" | "string" | "integer" | "long" | "float" | "double",
    Readonly<Partial<Record<ParamValueKind, ParamRule>>>
  >
> = {
  boolean: { bool: "keep" },
  string: { str: "keep" },
  integer: { int: "keep" },
  long: { int: "keep" },
  float: { float: "keep", int: "to_float" },
  double: { float: "keep", int: "to_float" },
};
