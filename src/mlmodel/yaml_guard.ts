/**
 * Refuses YAML anchors (`&a`), aliases (`*a`) and merge keys (`<<`) before a YAML library builds
 * anything from the text.
 *
 * MLflow writes MLmodel files with PyYAML's `safe_dump`, which never emits anchors, aliases or
 * merge keys for the plain data an MLmodel holds. A hostile file, though, can reuse one large
 * mapping through a few dozen merge keys or aliases and stay under every size and alias-count
 * bound: a 3.7 MB file of that shape made the `yaml` package spend 20–140 s and 3–4 GB building
 * it, and composing the document alone (before any alias is expanded) took 13 s and 1.8 GB. So
 * the check runs on the lexer's tokens, which cost time linear in the text and build no nodes,
 * and stops at the first reference it meets.
 *
 * @module
 */
import { CST, Lexer } from "yaml";
import { MlflowError } from "../errors.ts";

/**
 * Throws an `MlflowError` (`INVALID_PARAMETER_VALUE`) starting with `source` when the YAML text uses an
 * anchor, an alias or a merge key (`<<` as a plain key). Quoted or block scalars that merely
 * contain `&`, `*` or `<<` are data, not references, and pass.
 *
 * @param text The YAML text.
 * @param source What the text is, for the message (e.g. `MLmodel file 'MLmodel'`).
 *
 * @example
 * ```ts
 * import { assertNoYamlReferences } from "./yaml_guard.ts";
 * assertNoYamlReferences("flavors: {onnx: {data: model.onnx}}\n", "MLmodel file 'MLmodel'");
 * try {
 *   assertNoYamlReferences("a: &x [1]\nb: *x\n", "MLmodel file 'MLmodel'");
 * } catch (err) {
 *   console.log((err as Error).message); // "MLmodel file 'MLmodel' uses a YAML anchor (&x); …"
 * }
 * ```
 */
export function assertNoYamlReferences(text: string, source: string): void {
  let afterPlainScalarMarker = false;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type === "anchor" || type === "alias") {
      refuse(source, `a YAML ${type} (${shorten(token)})`);
    } else if (afterPlainScalarMarker && token === "<<") {
      refuse(source, "a YAML merge key (<<)");
    }
    // The lexer yields a plain scalar as a marker token followed by its source text.
    afterPlainScalarMarker = token === CST.SCALAR;
  }
}

function shorten(token: string): string {
  return token.length > 40 ? `${token.slice(0, 40)}…` : token;
}

function refuse(source: string, what: string): never {
  throw new MlflowError(
    `${source} uses ${what}; MLflow never writes anchors, aliases or ` +
      "merge keys, and they are refused before the YAML is read.",
    "INVALID_PARAMETER_VALUE",
  );
}
