/**
 * The server's OpenAPI 3.1 document, generated from each served model's signature: MLflow's
 * scoring routes (`/invocations`, `/models/{name}/invocations`, `/ping`, `/health`, `/version`)
 * and the Open Inference Protocol (V2) routes, with request schemas from
 * {@linkcode invocationRequestJsonSchema}, the model's serving input example as the request
 * example and the model's own answer to it as the response example.
 *
 * @module
 */
import {
  invocationRequestJsonSchema,
  type JsonSchema,
  type ModelSignature,
} from "../mlmodel/mod.ts";
import { V2_ROUTES, V2_SCHEMAS } from "./v2/mod.ts";

/**
 * One V2 input of a model, as its metadata names it, and whether a request must carry it.
 *
 * @example
 * ```ts
 * import type { V2InputName } from "./openapi.ts";
 * const i: V2InputName = { name: "sepal length (cm)", required: true };
 * ```
 */
export interface V2InputName {
  /** The input's name (a column, a tensor, or `input-N` for an unnamed one). */
  name: string;
  /** Whether an infer request must include it. */
  required: boolean;
}

/**
 * What the document says about one served model.
 *
 * @example
 * ```ts
 * import type { ModelDescription } from "./openapi.ts";
 * const m: ModelDescription = { name: "iris", isDefault: true, signature: null };
 * ```
 */
export interface ModelDescription {
  /** The name it is served under (`/models/{name}/…`, `/v2/models/{name}/…`). */
  name: string;
  /** Whether it also answers `/invocations`. */
  isDefault: boolean;
  /** Its signature (null: the model has none, or it could not be loaded). */
  signature: ModelSignature | null;
  /** The serving input example (a request body text), if the model has one. */
  servingInputExample?: string | null;
  /** The model's answer to that example, parsed. */
  responseExample?: unknown;
  /** The serving input example as CSV, where it has one and its columns allow it. */
  csvExample?: string;
  /** The serving input example as a V2 infer request, where the model has one. */
  v2RequestExample?: unknown;
  /** Its V2 inputs, as the V2 metadata route names them; omitted: any input names. */
  v2Inputs?: V2InputName[];
  /** Why it is described without its signature (it failed to load), if so. */
  loadError?: string;
}

/**
 * Document-wide settings.
 *
 * @example
 * ```ts
 * import type { OpenApiOptions } from "./openapi.ts";
 * const o: OpenApiOptions = { version: "0.1.0", v2: true };
 * ```
 */
export interface OpenApiOptions {
  /** The server's version (`info.version`). */
  version: string;
  /** Whether the V2 routes are described (default true). */
  v2?: boolean;
  /** The document's title (default "mlflow-edge"). */
  title?: string;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A name or path as part of an operationId (letters and digits, runs of others as `_`). */
const idPart = (text: string) => text.replace(/[^A-Za-z0-9]+/g, "_");

/** Schemas every document shares: MLflow's error body and the V2 bodies. */
function commonSchemas(v2: boolean): Record<string, JsonSchema> {
  return {
    Error: {
      type: "object",
      description: "MLflow's error body.",
      properties: {
        error_code: { type: "string", examples: ["BAD_REQUEST", "INVALID_PARAMETER_VALUE"] },
        message: { type: "string" },
      },
      required: ["error_code", "message"],
    },
    ...(v2 ? structuredClone(V2_SCHEMAS) as Record<string, JsonSchema> : {}),
  };
}

/** A model's V2 inference request: the generic one, with each required input present. */
function v2RequestSchema(inputs: V2InputName[] | undefined): JsonSchema {
  const required = (inputs ?? []).filter((i) => i.required);
  const schema: JsonSchema = { $ref: "#/components/schemas/V2InferenceRequest" };
  if (inputs) {
    schema.description = `Inputs: ${inputs.map((i) => JSON.stringify(i.name)).join(", ")}.`;
  }
  if (required.length) {
    schema.properties = {
      inputs: {
        allOf: required.map((i) => ({
          contains: {
            type: "object",
            properties: { name: { const: i.name } },
            required: ["name"],
          },
        })),
      },
    };
  }
  return schema;
}

function parseExample(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // MLflow writes bare NaN tokens, which JSON cannot carry: no example then.
    return undefined;
  }
}

function jsonContent(schema: unknown, description: string, example?: unknown) {
  const media: Record<string, unknown> = { schema };
  if (example !== undefined) media.example = example;
  return { description, content: { "application/json": media } };
}

const errors = (codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), {
    $ref: `#/components/responses/Error${c}`,
  }]));

function errorResponses(): Record<string, unknown> {
  const describe: Record<number, string> = {
    400: "The request does not match the model's signature, or is malformed.",
    404: "No such model.",
    405: "Wrong method for this path.",
    413: "The request body is larger than the server's body limit.",
    415: "The Content-Type is not application/json or text/csv.",
    500: "The model failed while evaluating the request.",
    503: "The model is not loaded (yet), or failed to load.",
    504: "The request ran past the server's time limit.",
  };
  return Object.fromEntries(
    Object.entries(describe).map(([c, d]) => [`Error${c}`, jsonContent(ref("Error"), d)]),
  );
}

function invocationOperation(m: ModelDescription, id: string, csvColumns: string[] | null) {
  const request = parseExample(m.servingInputExample);
  const csv: Record<string, unknown> = {
    schema: {
      type: "string",
      description: csvColumns
        ? `CSV with a header row naming the columns: ${csvColumns.join(", ")}`
        : "CSV with a header row",
    },
  };
  if (m.csvExample) csv.example = m.csvExample;
  else if (csvColumns) csv.example = `${csvColumns.map(csvField).join(",")}\n`;
  return {
    operationId: id,
    summary: `Predict with the model "${m.name}" (MLflow scoring protocol)`,
    description: m.loadError
      ? `The model is not available, so its signature is unknown here: ${m.loadError}`
      : undefined,
    tags: [m.name],
    requestBody: {
      required: true,
      content: {
        "application/json": {
          schema: ref(`${m.name}.InvocationRequest`),
          ...(request === undefined ? {} : { example: request }),
        },
        "text/csv": csv,
      },
    },
    responses: {
      "200": jsonContent(
        ref(`${m.name}.InvocationResponse`),
        "The predictions, laid out as MLflow's scoring server writes them.",
        m.responseExample,
      ),
      ...errors([400, 413, 415, 500, 503, 504]),
    },
  };
}

/**
 * One CSV field, quoted when it holds a comma, a quote, a line break or outer spaces.
 *
 * @example
 * ```ts
 * import { csvField } from "./openapi.ts";
 * csvField('say "hi", then'); // '"say ""hi"", then"'
 * ```
 */
export function csvField(name: string): string {
  return /[",\n\r]|^\s|\s$/.test(name) ? `"${name.replaceAll('"', '""')}"` : name;
}

function pingPaths(prefix: string, what: string): Record<string, unknown> {
  const op = (id: string) => ({
    get: {
      operationId: id,
      summary: `Ready check: 200 once ${what} is loaded and has passed its input example`,
      tags: ["health"],
      responses: {
        "200": { description: "Ready.", content: { "application/json": { schema: {} } } },
        ...errors([503]),
      },
    },
  });
  const tag = idPart(prefix);
  return { [`${prefix}/ping`]: op(`ping${tag}`), [`${prefix}/health`]: op(`health${tag}`) };
}

function v2Operation(route: (typeof V2_ROUTES)[number], m: ModelDescription | null) {
  const id = (m ? `${m.name}_` : "") + route.path;
  const op: Record<string, unknown> = {
    operationId: `v2_${idPart(id)}`,
    summary: m ? `${route.summary} (model "${m.name}")` : route.summary,
    tags: m ? [m.name, "v2"] : ["v2"],
    responses: Object.fromEntries(
      Object.entries(route.responses).map(([status, schema]) => [
        status,
        jsonContent(ref(schema), status === "200" ? "OK." : `Error ${status}.`),
      ]),
    ),
  };
  const parameters: unknown[] = [];
  if (route.path.includes("{version}")) {
    parameters.push({ name: "version", in: "path", required: true, schema: { type: "string" } });
  }
  if (route.request) {
    parameters.push({
      name: "Inference-Header-Content-Length",
      in: "header",
      required: false,
      description: "With binary tensor data: the length of the JSON header that comes first.",
      schema: { type: "integer", minimum: 0 },
    });
  }
  if (parameters.length) op.parameters = parameters;
  if (route.request) {
    const schema = m && route.request === "V2InferenceRequest"
      ? ref(`${m.name}.V2InferenceRequest`)
      : ref(route.request);
    op.requestBody = {
      required: true,
      content: {
        "application/json": {
          schema,
          ...(m?.v2RequestExample === undefined ? {} : { example: m.v2RequestExample }),
        },
        "application/octet-stream": {
          schema: {
            type: "string",
            contentMediaType: "application/octet-stream",
            description: "The binary tensor data extension: a JSON header of " +
              "Inference-Header-Content-Length bytes, then the tensors' raw bytes.",
          },
        },
      },
    };
  }
  return op;
}

/** The V2 routes of one model (its name in the path), or the server's own (`m` null). */
function v2Paths(m: ModelDescription | null): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of V2_ROUTES) {
    if (route.path.includes("{name}") !== (m !== null)) continue;
    const path = m ? route.path.replace("{name}", m.name) : route.path;
    (paths[path] ??= {})[route.method] = v2Operation(route, m);
  }
  return paths;
}

/** The CSV header of a model with named columns, or null. */
/**
 * The columns a CSV request names in its header row, or null when the model takes no CSV by
 * column name (no signature, a tensor signature, or unnamed columns).
 *
 * @example
 * ```ts
 * import { csvColumnsOf } from "./openapi.ts";
 * csvColumnsOf(null); // null
 * ```
 */
export function csvColumnsOf(signature: ModelSignature | null): string[] | null {
  const inputs = signature?.inputs;
  if (!inputs || inputs.isTensorSpec() || !inputs.hasInputNames()) return null;
  return inputs.inputNames().map(String);
}

/**
 * Builds the OpenAPI 3.1 document describing `models` (the default model also under
 * `/invocations`, `/ping`, `/health`, `/version`).
 *
 * @example
 * ```ts
 * import { openApiDocument } from "./openapi.ts";
 * const doc = openApiDocument([{ name: "default", isDefault: true, signature: null }], {
 *   version: "0.1.0",
 * });
 * doc.openapi; // "3.1.0"
 * ```
 */
export function openApiDocument(
  models: ModelDescription[],
  options: OpenApiOptions,
): Record<string, unknown> & { openapi: string } {
  const v2 = options.v2 !== false;
  const schemas: Record<string, JsonSchema> = commonSchemas(v2);
  const paths: Record<string, unknown> = {};
  const def = models.find((m) => m.isDefault);
  if (def) {
    Object.assign(paths, pingPaths("", "the default model"));
    paths["/version"] = {
      get: {
        operationId: "version",
        summary: "The MLflow version the default model was saved with",
        tags: ["health"],
        responses: {
          "200": {
            description: "The version as bare text (sent with MLflow's application/json type).",
            content: { "text/plain": { schema: { type: "string" }, example: "3.6.1.dev0" } },
          },
        },
      },
    };
    paths["/invocations"] = {
      post: invocationOperation(def, "invocations", csvColumnsOf(def.signature)),
    };
  }
  for (const m of models) {
    const id = idPart(m.name);
    schemas[`${m.name}.InvocationRequest`] = {
      ...invocationRequestJsonSchema(m.signature),
      title: `Request body of the model "${m.name}"`,
    };
    schemas[`${m.name}.InvocationResponse`] = {
      type: "object",
      title: `Predictions of the model "${m.name}"`,
      properties: {
        predictions: {
          description:
            "Column-signature models: one record per output value; tensor models: output name -> tensor.",
        },
      },
      required: ["predictions"],
    };
    paths[`/models/${m.name}/invocations`] = {
      post: invocationOperation(m, `invocations_${id}`, csvColumnsOf(m.signature)),
    };
    Object.assign(paths, pingPaths(`/models/${m.name}`, `the model "${m.name}"`));
    if (v2) {
      schemas[`${m.name}.V2InferenceRequest`] = {
        ...v2RequestSchema(m.v2Inputs),
        title: `V2 inference request of the model "${m.name}"`,
      };
      Object.assign(paths, v2Paths(m));
    }
  }
  if (v2) Object.assign(paths, v2Paths(null));
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    info: {
      title: options.title ?? "mlflow-edge",
      version: options.version,
      description:
        "MLflow models served at the edge. Request schemas are generated from each model's " +
        "signature; the server's enforcement of the signature is the final word on values.",
    },
    tags: models.map((m) => ({ name: m.name, description: `The model "${m.name}"` })),
    paths,
    components: { schemas, responses: errorResponses() },
  };
}
