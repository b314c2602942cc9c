/**
 * The example bundle (`examples/iris`) that the CLI and `deno serve` entry serve when no model is
 * given.
 *
 * @module
 */

/**
 * The example bundle's directory, resolved from this file so any working directory works.
 *
 * @example
 * ```ts
 * import { EXAMPLE_MODEL } from "./example_model.ts";
 * EXAMPLE_MODEL.endsWith("/examples/iris"); // true
 * ```
 */
export const EXAMPLE_MODEL = decodeURIComponent(
  new URL("../../examples/iris", import.meta.url).pathname,
);
