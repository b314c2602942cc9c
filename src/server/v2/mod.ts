/**
 * The Open Inference Protocol (KServe V2) as mlflow-edge serves it: the request and response
 * body types, their JSON Schemas and the list of routes — for typed clients and API documents.
 * The server adds the routes itself (`createApp`).
 *
 * @example
 * ```ts
 * import { type V2InferenceRequest, V2_ROUTES } from "./mod.ts";
 * const request: V2InferenceRequest = {
 *   inputs: [{ name: "sepal length (cm)", shape: [1, 1], datatype: "FP64", data: [5.1] }],
 * };
 * V2_ROUTES.filter((r) => r.method === "post").map((r) => r.path);
 * ```
 *
 * @module
 */
export { V2_ROUTES, V2_SCHEMAS } from "./describe.ts";
export type { JsonSchema, V2Route } from "./describe.ts";
export { V2_DATATYPES } from "./types.ts";
export type {
  V2Datatype,
  V2Error,
  V2InferenceRequest,
  V2InferenceResponse,
  V2MetadataTensor,
  V2ModelMetadata,
  V2Parameters,
  V2RequestInput,
  V2RequestOutput,
  V2ResponseOutput,
  V2ServerMetadata,
} from "./types.ts";
