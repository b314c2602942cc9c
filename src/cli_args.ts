/**
 * How every command of the CLI reads its flags: strictly (an unknown, malformed or positional
 * argument is refused), each mistake a usage error that ends with the command's usage text.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./cli_args.ts";
 * const flags = parseFlags(["-p", "8080"], { port: { type: "string", short: "p" } }, "Usage: …");
 * flags.port; // "8080"
 * ```
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { MlflowError } from "./errors.ts";

/**
 * Refuse the command line: `message`, then the usage text.
 *
 * @example
 * ```ts
 * import { usageError } from "./cli_args.ts";
 * try {
 *   usageError("No command given.", "Usage: …");
 * } catch (err) {
 *   (err as Error).message; // "No command given.\n\nUsage: …"
 * }
 * ```
 */
export function usageError(message: string, usage: string): never {
  throw new MlflowError(`${message}\n\n${usage}`, "INVALID_PARAMETER_VALUE");
}

/**
 * The values of `args` for these flag `options`; a usage error for anything else.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./cli_args.ts";
 * parseFlags(["--help"], { help: { type: "boolean" } }, "Usage: …").help; // true
 * ```
 */
export function parseFlags<const O extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: O,
  usage: string,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    return usageError((err as Error).message, usage);
  }
}
