/**
 * The scoring server: a Hono app answering MLflow's scoring protocol for one or more models
 * (loaded through `../model`), and the mapping from environment variables to its options.
 *
 * @example
 * ```ts
 * import { createApp } from "./mod.ts";
 * const app = createApp({ modelUri: "examples/iris" });
 * Deno.serve({ hostname: "127.0.0.1", port: 5000 }, app.fetch);
 * ```
 *
 * @module
 */
export {
  type AppOptions,
  createApp,
  DEFAULT_BODY_LIMIT,
  DEFAULT_TIMEOUT_MS,
  MLFLOW_PROTOCOL_VERSION,
  type ServingApp,
} from "./app.ts";
export {
  appOptionsFromEnv,
  backendName,
  commaList,
  metricsSetting,
  switchValue,
} from "./options_from_env.ts";
export { type ModelEvent, ModelSlot, type ModelSlotOptions, type SlotState } from "./model_slot.ts";
export { AccessLog, type AccessRecord } from "./access_log.ts";
export { apiKeyAuth, type ApiKeyAuthOptions, isOpenPath, matchesAnyKey } from "./auth.ts";
export {
  DURATION_BUCKETS,
  Histogram,
  type ModelGaugeSource,
  type RouteSeries,
  ServerMetrics,
} from "./metrics.ts";
export {
  type Exchange,
  exchangeOf,
  type FetchHandler,
  type ObserveOptions,
  observeRequests,
  predictionRoute,
} from "./observe.ts";
export {
  type Labels,
  type MetricType,
  PROMETHEUS_CONTENT_TYPE,
  PrometheusText,
} from "./prometheus_text.ts";
export { RequestTrace } from "../tracing.ts";
export { REQUEST_ID_HEADER, requestIdFor } from "./request_id.ts";
export { ModelRegistry, type ModelRegistryOptions } from "./model_registry.ts";
