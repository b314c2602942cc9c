// The server's view of the areas it builds on (store, mlmodel, enforce): one place to import
// them from, so the server's own modules do not depend on their file layout.
export { fetchBundle } from "../store/mod.ts";
export type { BundleFiles, FetchBundleOptions } from "../store/mod.ts";
export { Model } from "../mlmodel/mod.ts";
export { compileSignature } from "../enforce/mod.ts";
export type { CompiledSignature, EnforceLimits, V2Answer, ValidatedInput } from "../enforce/mod.ts";
