// Test-only: see miniflare.ts for why this is a full npm: specifier.
export { default as parsePrometheus } from "npm:parse-prometheus-text-format@1.1.1";
