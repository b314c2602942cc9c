/** onnxruntime-web's CPU runtime (`ort-wasm-simd-threaded.wasm`), precompiled by workerd. */
export declare const ortWasmModule: WebAssembly.Module;
/** The enforcement core (`wasm/mlflow_edge_core.wasm`), precompiled by workerd. */
export declare const coreWasmModule: WebAssembly.Module;
