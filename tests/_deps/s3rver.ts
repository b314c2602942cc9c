// Test-only: see miniflare.ts for why this is a full npm: specifier.
export { default as S3rver } from "npm:s3rver@3.7.1";
