/** File path of the enforcement core (`wasm/mlflow_edge_core.wasm`), as Bun resolves it. */
export declare const coreWasmPath: string;
