// @ts-self-types="./_wasm_modules.d.ts"
// The Worker's WebAssembly, imported as modules: workerd refuses to compile wasm from bytes, so
// every .wasm the Worker needs is uploaded beside worker.js and arrives here precompiled.
// esbuild keeps these imports external (see build.ts); workerd resolves them at upload time.
export { default as ortWasmModule } from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
export { default as coreWasmModule } from "../../wasm/mlflow_edge_core.wasm";
