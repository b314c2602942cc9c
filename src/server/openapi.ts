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

/**
 * One V2 metadata tensor (`{name, datatype, shape}`), as `GET /v2/models/{name}` lists it.
 *
 * @example
 * ```ts
 * import type { V2MetadataTensor } from "./openapi.ts";
 * const t: V2MetadataTensor = { name: "sepal length (cm)", datatype: "FP64", shape: [-1, 1] };
 * ```
 */
export interface V2MetadataTensor {
  /** The input or output name. */
  name: string;
  /** The V2 datatype (`FP32`, `INT64`, `BYTES`, …). */
  datatype: string;
  /** The shape, -1 for variable axes. */
  shape: number[];
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
  /** Its V2 inputs, as the V2 metadata route gives them; omitted: any input names. */
  v2Inputs?: V2MetadataTensor[];
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

const V2_DATATYPES = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
];

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Schemas every document shares. */
function commonSchemas(): Record<string, JsonSchema> {
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
    V2Error: {
      type: "object",
      description: "The Open Inference Protocol's error body.",
      properties: { error: { type: "string" } },
      required: ["error"],
    },
    V2MetadataTensor: {
      type: "object",
      properties: {
        name: { type: "string" },
        datatype: { enum: V2_DATATYPES },
        shape: { type: "array", items: { type: "integer" } },
        parameters: { type: "object" },
      },
      required: ["name", "datatype", "shape"],
    },
    V2ModelMetadata: {
      type: "object",
      properties: {
        name: { type: "string" },
        versions: { type: "array", items: { type: "string" } },
        platform: { type: "string", examples: ["onnx_onnxv1"] },
        inputs: { type: "array", items: ref("V2MetadataTensor") },
        outputs: { type: "array", items: ref("V2MetadataTensor") },
        parameters: { type: "object" },
      },
      required: ["name", "platform", "inputs", "outputs"],
    },
    V2InferenceResponse: {
      type: "object",
      properties: {
        model_name: { type: "string" },
        model_version: { type: "string" },
        id: { type: "string" },
        parameters: { type: "object" },
        outputs: {
          type: "array",
          items: {
            type: "object",
            properties: {
              name: { type: "string" },
              shape: { type: "array", items: { type: "integer", minimum: 0 } },
              datatype: { enum: V2_DATATYPES },
              parameters: { type: "object" },
              data: { type: "array" },
            },
            required: ["name", "shape", "datatype"],
          },
        },
      },
      required: ["model_name", "outputs"],
    },
  };
}

/** A V2 inference request; with known inputs, each required input must be present. */
function v2RequestSchema(inputs: V2MetadataTensor[] | undefined): JsonSchema {
  const input: JsonSchema = {
    type: "object",
    properties: {
      name: inputs ? { enum: inputs.map((i) => i.name) } : { type: "string" },
      shape: { type: "array", items: { type: "integer", minimum: 0 } },
      datatype: { enum: V2_DATATYPES },
      parameters: { type: "object" },
      data: { description: "row-major values, nested or flat" },
    },
    required: ["name", "shape", "datatype"],
  };
  const list: JsonSchema = { type: "array", items: input };
  if (inputs?.length) {
    list.allOf = inputs.map((i) => ({
      contains: { type: "object", properties: { name: { const: i.name } }, required: ["name"] },
    }));
  }
  return {
    type: "object",
    properties: {
      id: { type: "string" },
      parameters: { type: "object" },
      inputs: list,
      outputs: {
        type: "array",
        items: {
          type: "object",
          properties: { name: { type: "string" }, parameters: { type: "object" } },
          required: ["name"],
        },
      },
    },
    required: ["inputs"],
  };
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
  if (csvColumns) csv.example = `${csvColumns.map(csvField).join(",")}\n`;
  return {
    operationId: id,
    summary: `Predict with the model "${m.name}" (MLflow scoring protocol)`,
    description: m.loadError
      ? `The model could not be loaded, so its signature is unknown here: ${m.loadError}`
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

function csvField(name: string): string {
  return /[",\n\r]/.test(name) ? `"${name.replaceAll('"', '""')}"` : name;
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
  const tag = prefix.replace(/[^A-Za-z0-9]+/g, "_");
  return { [`${prefix}/ping`]: op(`ping${tag}`), [`${prefix}/health`]: op(`health${tag}`) };
}

function v2Paths(m: ModelDescription): Record<string, unknown> {
  const base = `/v2/models/${m.name}`;
  const versioned = `${base}/versions/{version}`;
  const version = { name: "version", in: "path", required: true, schema: { type: "string" } };
  const v2err = (codes: number[]) =>
    Object.fromEntries(codes.map((c) => [String(c), jsonContent(ref("V2Error"), `Error ${c}.`)]));
  const infer = (id: string, params?: unknown[]) => ({
    post: {
      operationId: id,
      summary: `Infer with the model "${m.name}" (Open Inference Protocol)`,
      tags: [m.name, "v2"],
      ...(params ? { parameters: params } : {}),
      requestBody: {
        required: true,
        content: { "application/json": { schema: ref(`${m.name}.V2InferenceRequest`) } },
      },
      responses: {
        "200": jsonContent(ref("V2InferenceResponse"), "The graph's outputs by name."),
        ...v2err([400, 404, 503]),
      },
    },
  });
  const meta = (id: string, params?: unknown[]) => ({
    get: {
      operationId: id,
      summary: `Metadata of the model "${m.name}": its V2 inputs and outputs`,
      tags: [m.name, "v2"],
      ...(params ? { parameters: params } : {}),
      responses: { "200": jsonContent(ref("V2ModelMetadata"), "Metadata."), ...v2err([404]) },
    },
  });
  const ready = (id: string, params?: unknown[]) => ({
    get: {
      operationId: id,
      summary: `Whether the model "${m.name}" is ready`,
      tags: [m.name, "v2"],
      ...(params ? { parameters: params } : {}),
      responses: {
        "200": jsonContent(
          {
            type: "object",
            properties: { name: { type: "string" }, ready: { type: "boolean" } },
            required: ["name", "ready"],
          },
          "Readiness.",
        ),
        ...v2err([404, 503]),
      },
    },
  });
  const id = m.name.replace(/[^A-Za-z0-9]+/g, "_");
  return {
    [base]: meta(`v2Metadata_${id}`),
    [`${base}/ready`]: ready(`v2Ready_${id}`),
    [`${base}/infer`]: infer(`v2Infer_${id}`),
    [versioned]: meta(`v2MetadataVersion_${id}`, [version]),
    [`${versioned}/ready`]: ready(`v2ReadyVersion_${id}`, [version]),
    [`${versioned}/infer`]: infer(`v2InferVersion_${id}`, [version]),
  };
}

function v2ServerPaths(): Record<string, unknown> {
  const get = (
    id: string,
    summary: string,
    schema: JsonSchema,
    extra: Record<string, unknown>,
  ) => ({
    get: {
      operationId: id,
      summary,
      tags: ["v2"],
      responses: { "200": jsonContent(schema, "OK."), ...extra },
    },
  });
  const flag = (k: string) => ({
    type: "object",
    properties: { [k]: { type: "boolean" } },
    required: [k],
  });
  return {
    "/v2": get("v2Server", "Server metadata", {
      type: "object",
      properties: {
        name: { type: "string" },
        version: { type: "string" },
        extensions: { type: "array", items: { type: "string" } },
      },
      required: ["name", "version", "extensions"],
    }, {}),
    "/v2/health/live": get("v2Live", "Liveness", flag("live"), {}),
    "/v2/health/ready": get(
      "v2ServerReady",
      "Readiness of the models loaded at start",
      flag("ready"),
      {
        "503": jsonContent(flag("ready"), "Not ready yet."),
      },
    ),
    "/v2/models": get("v2Models", "The served models", {
      type: "object",
      properties: { models: { type: "array", items: { type: "string" } } },
      required: ["models"],
    }, {}),
  };
}

/** The CSV header of a model with named columns, or null. */
function csvColumnsOf(signature: ModelSignature | null): string[] | null {
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
  const schemas: Record<string, JsonSchema> = commonSchemas();
  const paths: Record<string, unknown> = {};
  const v2 = options.v2 !== false;
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
    const id = m.name.replace(/[^A-Za-z0-9]+/g, "_");
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
  if (v2) Object.assign(paths, v2ServerPaths());
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
