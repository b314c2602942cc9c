// Test-only: see miniflare.ts for why this is a full npm: specifier. The OTLP protobuf schema
// the test receiver decodes with.
export { default as otlp } from "npm:@opentelemetry/otlp-transformer@0.213.0/build/src/generated/root.js";
