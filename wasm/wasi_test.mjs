/**
 * Runs a test binary of the crate built for `wasm32-wasi` under Node's WASI, so the unit tests
 * exercise the code paths of the shipped module (wasm32, SIMD128 scans) and not only the native
 * ones. `.ci/run` builds the binary with
 * `RUSTFLAGS="-C target-feature=+simd128" cargo test --target wasm32-wasi --no-run` and passes
 * libtest's filters after the path.
 *
 * @example
 * ```sh
 * node wasm/wasi_test.mjs target/wasm32-wasi/debug/deps/mlflow_edge_core-….wasm scan:: fast::
 * ```
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { WASI } from "node:wasi";

const [path, ...filters] = process.argv.slice(2);
const wasi = new WASI({ version: "preview1", args: ["test", ...filters], env: {}, preopens: {} });
const module = await WebAssembly.compile(readFileSync(path));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
