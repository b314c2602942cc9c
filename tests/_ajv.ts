// ajv for the JSON Schemas the project writes (MLflow types, the OpenAPI document): the 2020-12
// dialect with strictSchema, so a misspelt keyword cannot pass silently ("required" naming a
// property defined elsewhere and union types are intended). Formats (int32, double, uint8, …)
// are OpenAPI annotations, not checks.
import { Ajv2020 } from "./_deps/ajv.ts";

const FORMATS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"];

export function schemaAjv(): InstanceType<typeof Ajv2020> {
  const ajv = new Ajv2020({
    strict: true,
    strictRequired: false,
    strictTypes: false,
    allErrors: true,
    validateFormats: false,
  });
  for (const f of [...FORMATS, "float", "double"]) ajv.addFormat(f, true);
  return ajv;
}
