// Test-only: see miniflare.ts for why this is a full npm: specifier.
export { Ajv2020 } from "npm:ajv@8.20.0/dist/2020.js";
