/**
 * MLflow's eight scalar column types (`mlflow.types.DataType`).
 *
 * @module
 */

import { MlflowError } from "../errors.ts";

/**
 * The JSON `type` names of the scalar types.
 *
 * @example
 * ```ts
 * import type { DataTypeName } from "./data_type.ts";
 * const t: DataTypeName = "double";
 * ```
 */
export type DataTypeName =
  | "boolean"
  | "integer"
  | "long"
  | "float"
  | "double"
  | "string"
  | "binary"
  | "datetime";

/**
 * One of MLflow's scalar column types, with the numpy type MLflow maps it to.
 *
 * @example
 * ```ts
 * import { DataType } from "./data_type.ts";
 * DataType.double.numpyType; // "float64"
 * DataType.fromName("long") === DataType.long; // true
 * ```
 */
export class DataType {
  /** Logical data (`true`, `false`). */
  static readonly boolean: DataType = new DataType("boolean", 1, "bool");
  /** 32-bit signed integers. */
  static readonly integer: DataType = new DataType("integer", 2, "int32");
  /** 64-bit signed integers. */
  static readonly long: DataType = new DataType("long", 3, "int64");
  /** 32-bit floats. */
  static readonly float: DataType = new DataType("float", 4, "float32");
  /** 64-bit floats. */
  static readonly double: DataType = new DataType("double", 5, "float64");
  /** Text. */
  static readonly string: DataType = new DataType("string", 6, "str");
  /** Raw bytes. */
  static readonly binary: DataType = new DataType("binary", 7, "bytes");
  /** Timestamps (numpy `datetime64[ns]`). */
  static readonly datetime: DataType = new DataType("datetime", 8, "datetime64[ns]");

  private constructor(
    /** The JSON name, e.g. `double`. */
    readonly name: DataTypeName,
    /** MLflow's enum value (1-8). */
    readonly value: number,
    /** The numpy dtype name MLflow uses for it. */
    readonly numpyType: string,
  ) {}

  /** All eight types in MLflow's order. */
  static all(): DataType[] {
    return [
      DataType.boolean,
      DataType.integer,
      DataType.long,
      DataType.float,
      DataType.double,
      DataType.string,
      DataType.binary,
      DataType.datetime,
    ];
  }

  /** Whether `name` is one of the eight scalar type names. */
  static isName(name: unknown): name is DataTypeName {
    return typeof name === "string" && DataType.all().some((t) => t.name === name);
  }

  /**
   * The type called `name`; throws an MlflowError with MLflow's message for other names.
   *
   * @example
   * ```ts
   * import { DataType } from "./data_type.ts";
   * DataType.fromName("string").numpyType; // "str"
   * ```
   */
  static fromName(name: unknown): DataType {
    const t = DataType.all().find((x) => x.name === name);
    if (t) return t;
    throw new MlflowError(
      `Unsupported type '${
        String(name)
      }', expected instance of DataType or one of ${typeNameList()}`,
      "INVALID_PARAMETER_VALUE",
    );
  }

  /** MLflow's repr, e.g. `DataType.double` as printed by `str()`. */
  toString(): string {
    return `DataType.${this.name}`;
  }

  /** The JSON type name. */
  toJSON(): string {
    return this.name;
  }
}

/** `['boolean', 'integer', ...]` as Python prints the list in MLflow's messages. */
export function typeNameList(exclude?: string): string {
  return `[${
    DataType.all().filter((t) => t.name !== exclude).map((t) => `'${t.name}'`).join(", ")
  }]`;
}
