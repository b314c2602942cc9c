/**
 * {@linkcode progressBar}: a small text progress bar for `fetchBundle`'s `onProgress`, for the
 * CLI's terminal (or any writer).
 *
 * @module
 */

/**
 * Where a progress bar writes: `Deno.stderr` (writeSync) or Node/Bun's `process.stderr` (write).
 *
 * @example
 * ```ts
 * import type { ProgressWriter } from "./progress.ts";
 * const writer: ProgressWriter = Deno.stderr;
 * ```
 */
export type ProgressWriter =
  | { writeSync(data: Uint8Array): number }
  | { write(data: string): unknown };

/**
 * Options of {@linkcode progressBar}.
 *
 * @example
 * ```ts
 * import type { ProgressBarOptions } from "./progress.ts";
 * const options: ProgressBarOptions = { label: "iris", width: 30, minIntervalMs: 100 };
 * ```
 */
export interface ProgressBarOptions {
  /** Text before the bar. Default "Downloading". */
  label?: string;
  /** Bar width in characters. Default 30. */
  width?: number;
  /** Least time between redraws, in ms (the last update always draws). Default 100. */
  minIntervalMs?: number;
}

/**
 * An `onProgress` callback that draws `label [=====>    ] 42% 1.2/2.9 MB` on one line,
 * redrawn in place with `\r`, ending with a newline when the download completes.
 *
 * @example
 * ```ts
 * import { progressBar } from "./progress.ts";
 * import { fetchBundle } from "./fetch_bundle.ts";
 * await fetchBundle("tests/fixtures/mlflow-bundles/iris_mlp_onnx", { onProgress: progressBar(Deno.stderr) });
 * ```
 */
export function progressBar(
  out: ProgressWriter,
  options: ProgressBarOptions = {},
): (loaded: number, total: number | undefined) => void {
  const label = options.label ?? "Downloading";
  const width = Math.max(5, Math.floor(options.width ?? 30));
  const interval = options.minIntervalMs ?? 100;
  const encoder = new TextEncoder();
  let last = -Infinity;
  let done = false;
  const write = (text: string) => {
    if ("writeSync" in out) out.writeSync(encoder.encode(text));
    else out.write(text);
  };
  return (loaded, total) => {
    if (done) return;
    const complete = total !== undefined && loaded >= total;
    const now = Date.now();
    if (!complete && now - last < interval) return;
    last = now;
    let line: string;
    if (total !== undefined && total > 0) {
      const frac = Math.min(1, Math.max(0, loaded / total));
      const filled = Math.round(frac * width);
      const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (frac < 1 ? ">" : "=") : "");
      line = `${label} [${bar.padEnd(width)}] ${Math.floor(frac * 100)}% ${mb(loaded)}/${
        mb(total)
      } MB`;
    } else {
      line = `${label} ${mb(loaded)} MB`;
    }
    write(`\r${line}`);
    if (complete) {
      done = true;
      write("\n");
    }
  };
}

function mb(n: number): string {
  return (n / 1e6).toFixed(1);
}
