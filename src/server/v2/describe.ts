/**
 * A machine-readable description of the V2 routes: JSON Schemas (draft 2020-12, as OpenAPI
 * 3.1 uses them) of the bodies in {@link ./types.ts} and one entry per route, for an API
 * document to include as they are.
 *
 * @module
 */
import { V2_DATATYPES } from "./types.ts";

/**
 * A JSON Schema object.
 *
 * @example
 * ```ts
 * import type { JsonSchema } from "./describe.ts";
 * const s: JsonSchema = { type: "string" };
 * ```
 */
export type JsonSchema = Record<string, unknown>;

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const params: JsonSchema = {
  type: "object",
  additionalProperties: { type: ["string", "number", "boolean"] },
};
const shape: JsonSchema = { type: "array", items: { type: "integer" } };

/**
 * The V2 body schemas by name (`V2InferenceRequest`, …), referring to one another as
 * `#/components/schemas/<name>`.
 *
 * @example
 * ```ts
 * import { V2_SCHEMAS } from "./describe.ts";
 * Object.keys(V2_SCHEMAS).includes("V2InferenceRequest"); // true
 * ```
 */
export const V2_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  V2Datatype: { type: "string", enum: [...V2_DATATYPES] },
  V2Error: {
    type: "object",
    required: ["error"],
    properties: { error: { type: "string" } },
  },
  V2ServerMetadata: {
    type: "object",
    required: ["name", "version", "extensions"],
    properties: {
      name: { type: "string" },
      version: { type: "string" },
      extensions: { type: "array", items: { type: "string" } },
    },
  },
  V2ServerLive: {
    type: "object",
    required: ["live"],
    properties: { live: { type: "boolean" } },
  },
  V2ServerReady: {
    type: "object",
    required: ["ready"],
    properties: { ready: { type: "boolean" } },
  },
  V2ModelList: {
    type: "object",
    required: ["models"],
    properties: { models: { type: "array", items: { type: "string" } } },
  },
  V2ModelReady: {
    type: "object",
    required: ["name", "ready"],
    properties: { name: { type: "string" }, ready: { type: "boolean" } },
  },
  V2MetadataTensor: {
    type: "object",
    required: ["name", "datatype", "shape"],
    properties: {
      name: { type: "string" },
      datatype: ref("V2Datatype"),
      shape: { ...shape, description: "-1 marks a variable dimension" },
      parameters: params,
    },
  },
  V2ModelMetadata: {
    type: "object",
    required: ["name", "platform", "inputs", "outputs"],
    properties: {
      name: { type: "string" },
      versions: { type: "array", items: { type: "string" } },
      platform: { type: "string", const: "onnx_onnxv1" },
      inputs: { type: "array", items: ref("V2MetadataTensor") },
      outputs: { type: "array", items: ref("V2MetadataTensor") },
      parameters: params,
    },
  },
  V2RequestInput: {
    type: "object",
    required: ["name", "shape", "datatype"],
    additionalProperties: false,
    properties: {
      name: { type: "string" },
      shape: { ...shape, items: { type: "integer", minimum: 0 } },
      datatype: ref("V2Datatype"),
      parameters: params,
      data: {
        type: "array",
        description: "Row-major values, flat or nested; product(shape) of them. Absent when " +
          "parameters.binary_data_size says the values follow the JSON header.",
      },
    },
  },
  V2RequestOutput: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: { name: { type: "string" }, parameters: params },
  },
  V2InferenceRequest: {
    type: "object",
    required: ["inputs"],
    additionalProperties: false,
    properties: {
      id: { type: "string" },
      parameters: params,
      inputs: { type: "array", minItems: 1, items: ref("V2RequestInput") },
      outputs: { type: "array", items: ref("V2RequestOutput") },
    },
  },
  V2ResponseOutput: {
    type: "object",
    required: ["name", "shape", "datatype"],
    properties: {
      name: { type: "string" },
      shape,
      datatype: ref("V2Datatype"),
      parameters: params,
      data: { type: "array" },
    },
  },
  V2InferenceResponse: {
    type: "object",
    required: ["model_name", "id", "outputs"],
    properties: {
      model_name: { type: "string" },
      model_version: { type: "string" },
      id: { type: "string" },
      outputs: { type: "array", items: ref("V2ResponseOutput") },
    },
  },
};

/**
 * One V2 route: method, path template (`{name}`, `{version}`), what it answers with.
 *
 * @example
 * ```ts
 * import type { V2Route } from "./describe.ts";
 * const r: V2Route = {
 *   method: "get",
 *   path: "/v2/health/live",
 *   summary: "Server liveness",
 *   responses: { 200: "V2ServerLive" },
 * };
 * ```
 */
export interface V2Route {
  /** The HTTP method. */
  method: "get" | "post";
  /** The path template. */
  path: string;
  /** What the route does. */
  summary: string;
  /** Schema name of the JSON request body (infer only). */
  request?: string;
  /** Schema name per status. */
  responses: Record<number, string>;
}

const errors = { 400: "V2Error", 404: "V2Error", 503: "V2Error" };
const versioned = (path: string, route: Omit<V2Route, "path">): V2Route[] => [
  { ...route, path: path.replace("{version_part}", "") },
  { ...route, path: path.replace("{version_part}", "/versions/{version}") },
];

/**
 * Every V2 route mlflow-edge serves.
 *
 * @example
 * ```ts
 * import { V2_ROUTES } from "./describe.ts";
 * V2_ROUTES.some((r) => r.path === "/v2/models/{name}/infer"); // true
 * ```
 */
export const V2_ROUTES: readonly V2Route[] = [
  {
    method: "get",
    path: "/v2/health/live",
    summary: "Server liveness",
    responses: { 200: "V2ServerLive" },
  },
  {
    method: "get",
    path: "/v2/health/ready",
    summary: "Server readiness: every eagerly loaded model is loaded",
    responses: { 200: "V2ServerReady", 503: "V2ServerReady" },
  },
  {
    method: "get",
    path: "/v2",
    summary: "Server metadata",
    responses: { 200: "V2ServerMetadata" },
  },
  {
    method: "get",
    path: "/v2/models",
    summary: "The served models' names",
    responses: { 200: "V2ModelList" },
  },
  ...versioned("/v2/models/{name}{version_part}/ready", {
    method: "get",
    summary: "Model readiness (starts loading a model that is not loaded)",
    responses: { 200: "V2ModelReady", 404: "V2Error", 503: "V2ModelReady" },
  }),
  ...versioned("/v2/models/{name}{version_part}", {
    method: "get",
    summary: "Model metadata from the MLflow signature and the ONNX graph",
    responses: { 200: "V2ModelMetadata", ...errors },
  }),
  ...versioned("/v2/models/{name}{version_part}/infer", {
    method: "post",
    summary: "Inference (JSON, or JSON header plus binary tensor data)",
    request: "V2InferenceRequest",
    responses: {
      200: "V2InferenceResponse",
      ...errors,
      413: "V2Error",
      504: "V2Error",
    },
  }),
];
