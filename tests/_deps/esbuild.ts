// Test-only: see miniflare.ts for why this is a full npm: specifier (the Worker build,
// examples/cloudflare-workers/build.ts, pins the same version).
export * as esbuild from "npm:esbuild@0.28.2";
