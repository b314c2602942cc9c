// Test-only: see miniflare.ts for why this is a full npm: specifier.
export { Validator } from "npm:@seriousme/openapi-schema-validator@2.11.0";
