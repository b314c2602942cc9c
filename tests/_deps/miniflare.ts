// Test-only tools are imported by full npm: specifier from these files, not through deno.json's
// "imports": Deno installs every import-map package on the first `deno task serve`, and serving
// must not download test tools. tests/package_test.ts keeps these pins in step.
export { Miniflare } from "npm:miniflare@4.20260730.0";
