/** onnxruntime-web's CPU runtime (`ort-wasm-simd-threaded.wasm`), precompiled by workerd. */
export declare const ortWasmModule: WebAssembly.Module;
