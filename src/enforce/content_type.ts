/**
 * `/invocations` content types as MLflow's scoring server reads them (spec 4.2).
 *
 * @module
 */

import { MlflowError } from "../errors.ts";

/** What a body is to be parsed as. */
export type BodyFormat = "json" | "csv";

const PROTOCOL_NOTE =
  "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, you are likely using an outdated scoring request format. To resolve the error, either update your request format or adjust your MLflow Model's requirements file to specify an older version of MLflow (for example, change the 'mlflow' requirement specifier to 'mlflow==1.30.0'). If you are making a request using the MLflow client (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in order to use the new request format. For more information about the updated MLflow Model scoring protocol in MLflow 2.0, see https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.";

/**
 * Reads a `Content-Type` header: the media type must be exactly `application/json` or
 * `text/csv` (case-sensitive, as MLflow compares it), `charset` must be `utf-8`, and no other
 * parameter is allowed. Refusals are MlflowError with status 415 (MLflow answers plain text
 * there; we answer JSON, see COMPATIBILITY.md).
 *
 * @example
 * ```ts
 * import { bodyFormat } from "./content_type.ts";
 * bodyFormat("application/json; charset=UTF-8"); // "json"
 * bodyFormat("text/csv"); // "csv"
 * ```
 */
export function bodyFormat(header: string | null | undefined): BodyFormat {
  // Clients send the same header on every request: remember the last one that was accepted.
  if (header === lastHeader && lastHeader !== undefined) return lastFormat;
  const format = parse(header);
  lastHeader = header as string;
  lastFormat = format;
  return format;
}

let lastHeader: string | undefined;
let lastFormat: BodyFormat = "json";

function parse(header: string | null | undefined): BodyFormat {
  const value = header ?? "";
  const parts = value.split(";").map((p) => p.trim());
  const media = parts[0];
  let format: BodyFormat;
  if (media === "application/json") format = "json";
  else if (media === "text/csv") format = "csv";
  else {
    throw new MlflowError(
      `This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got '${value}'.`,
      "BAD_REQUEST",
      415,
    );
  }
  const unknown: string[] = [];
  for (const part of parts.slice(1)) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const val = (eq < 0 ? "" : part.slice(eq + 1)).trim();
    if (key === "charset") {
      if (val.toLowerCase() !== "utf-8") {
        throw new MlflowError("The scoring server only supports UTF-8", "BAD_REQUEST", 415);
      }
    } else {
      unknown.push(key);
    }
  }
  if (unknown.length > 0) {
    throw new MlflowError(
      `Unrecognized content type parameters: ${unknown.join(", ")}. ${PROTOCOL_NOTE}`,
      "BAD_REQUEST",
      415,
    );
  }
  return format;
}
