/**
 * The Open Inference Protocol (KServe V2) REST face of the server: routes, the body types and
 * their machine-readable description.
 *
 * @module
 */
export { isV2Path, V2_SERVER, v2ErrorResponse, v2Routes, versionOf } from "./routes.ts";
export type { V2RoutesOptions } from "./routes.ts";
export { modelMetadata, signatureTensors, v2Datatype } from "./metadata.ts";
export { encodeInferResponse } from "./encode.ts";
export type { V2Body } from "./encode.ts";
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
