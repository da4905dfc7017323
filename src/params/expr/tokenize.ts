/**
 * @module params/expr/tokenize
 * Splits an expression into tokens. Grammar of the lexemes:
 *
 * - number: `12`, `1.5`, `.5`, `5.`, `1e-3`, `2.5E+4`
 * - identifier: `[A-Za-z_][A-Za-z0-9_.]*` (dots allowed inside names, e.g. `layer1.thickness`)
 * - operators: `+ - * / ^ **` and `( ) ,`
 * - whitespace: space, tab, CR, LF
 */

import { ExpressionSyntaxError } from "./syntaxError.ts";

/** Token categories. */
export type TokenKind = "number" | "identifier" | "operator" | "(" | ")" | "," | "end";

/** One lexeme with its 0-based offset in the source. */
export interface Token {
  readonly kind: TokenKind;
  /** The source text (`**` is normalised to `^`; empty for `end`). */
  readonly text: string;
  /** Numeric value of a `number` token, else NaN. */
  readonly value: number;
  readonly start: number;
}

const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_.]*/y;

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

/**
 * Tokenizes `source`. The result always ends with an `end` token.
 *
 * @param source - the expression
 * @param path - where the expression came from, for messages
 * @returns the tokens
 * @throws ExpressionSyntaxError on a character that starts no token or a malformed number (e.g. `1e`)
 * @example tokenize("2*a").map((t) => t.text) // ["2", "*", "a", ""]
 */
export function tokenize(source: string, path = "expr"): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(source[i + 1] ?? ""))) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(source)!;
      const end = i + match[0].length;
      // `1e` or `1e+` followed by nothing numeric: the regex stopped before the `e`.
      const next = source[end] ?? "";
      if ((next === "e" || next === "E") && !/[A-Za-z_]/.test(source[end + 1] ?? "")) {
        throw new ExpressionSyntaxError(path, source, end, "malformed number exponent");
      }
      tokens.push({ kind: "number", text: match[0], value: Number(match[0]), start: i });
      i = end;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      IDENTIFIER.lastIndex = i;
      const match = IDENTIFIER.exec(source)!;
      tokens.push({ kind: "identifier", text: match[0], value: NaN, start: i });
      i += match[0].length;
      continue;
    }
    if (c === "*" && source[i + 1] === "*") {
      tokens.push({ kind: "operator", text: "^", value: NaN, start: i });
      i += 2;
      continue;
    }
    if (c === "+" || c === "-" || c === "*" || c === "/" || c === "^") {
      tokens.push({ kind: "operator", text: c, value: NaN, start: i });
      i++;
      continue;
    }
    if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: c, text: c, value: NaN, start: i });
      i++;
      continue;
    }
    throw new ExpressionSyntaxError(path, source, i, `unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: "end", text: "", value: NaN, start: source.length });
  return tokens;
}
