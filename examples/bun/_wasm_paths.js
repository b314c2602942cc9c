// @ts-self-types="./_wasm_paths.d.ts"
// Bun's way with wasm: importing a .wasm file gives its path. The server reads the bytes from
// that path and hands them to the enforcement core.
export { default as coreWasmPath } from "../../wasm/mlflow_edge_core.wasm";
