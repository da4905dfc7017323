/**
 * @module params/expr/parse
 * Recursive-descent parser for constraint expressions. Grammar, loosest first:
 *
 * ```text
 * expression := additive
 * additive   := multiplicative (("+" | "-") multiplicative)*
 * multiplicative := unary (("*" | "/") unary)*
 * unary      := ("-" | "+") unary | power
 * power      := primary (("^" | "**") unary)?        right-associative
 * primary    := number | constant | identifier | function "(" args ")" | "(" expression ")"
 * ```
 *
 * So `-a^2` is `-(a^2)`, `2^3^2` is `2^(3^2)` and `2^-1` is allowed, as in
 * Python and Fortran. An identifier followed by `(` is a function call and must be
 * a built-in; any other identifier (including `constructor`, `process`, …) is a
 * parameter name, resolved later by whoever compiles the tree.
 */

import type { BinaryOperator, ExprNode } from "./ast.ts";
import { CONSTANTS, FUNCTIONS, isConstantName, isFunctionName } from "./functions.ts";
import { ExpressionSyntaxError } from "./syntaxError.ts";
import { tokenize } from "./tokenize.ts";
import type { Token } from "./tokenize.ts";

/** Deeper nesting than this is refused (it would only come from generated or hostile input). */
export const MAX_EXPRESSION_DEPTH = 256;
/** Longer sources are refused: constraints are short, and this bounds the depth of left-nested sums too. */
export const MAX_EXPRESSION_LENGTH = 4096;

function describe(token: Token): string {
  return token.kind === "end" ? "end of expression" : JSON.stringify(token.text);
}

/**
 * Parses `source` into a syntax tree.
 *
 * @param source - the expression, e.g. `"total - t1 - 2*t2"`
 * @param path - where it came from (e.g. `parameters.t3.expr`), for messages
 * @returns the root node
 * @throws ExpressionSyntaxError (a ValidationError) naming `path`, the 1-based character position and the expression
 * @example parseExpression("a + 2*b").type // "binary"
 */
export function parseExpression(source: string, path = "expr"): ExprNode {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionSyntaxError(path, source, MAX_EXPRESSION_LENGTH, `expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  const tokens = tokenize(source, path);
  let index = 0;
  let depth = 0;

  const peek = (): Token => tokens[index];
  const fail = (token: Token, detail: string): never => {
    throw new ExpressionSyntaxError(path, source, token.start, detail);
  };
  const expect = (kind: Token["kind"], what: string): Token => {
    const token = tokens[index];
    if (token.kind !== kind) fail(token, `expected ${what}, found ${describe(token)}`);
    index++;
    return token;
  };
  const enter = (token: Token): void => {
    if (++depth > MAX_EXPRESSION_DEPTH) fail(token, `expression nested deeper than ${MAX_EXPRESSION_DEPTH}`);
  };

  function isOperator(token: Token, ...ops: string[]): boolean {
    return token.kind === "operator" && ops.includes(token.text);
  }

  function additive(): ExprNode {
    let left = multiplicative();
    while (isOperator(peek(), "+", "-")) {
      const op = tokens[index++];
      const right = multiplicative();
      left = { type: "binary", operator: op.text as BinaryOperator, left, right, start: left.start };
    }
    return left;
  }

  function multiplicative(): ExprNode {
    let left = unary();
    while (isOperator(peek(), "*", "/")) {
      const op = tokens[index++];
      const right = unary();
      left = { type: "binary", operator: op.text as BinaryOperator, left, right, start: left.start };
    }
    return left;
  }

  function unary(): ExprNode {
    const token = peek();
    if (isOperator(token, "-", "+")) {
      index++;
      enter(token);
      const operand = unary();
      depth--;
      return { type: "unary", operator: token.text as "-" | "+", operand, start: token.start };
    }
    return power();
  }

  function power(): ExprNode {
    const base = primary();
    const token = peek();
    if (!isOperator(token, "^")) return base;
    index++;
    enter(token);
    const exponent = unary();
    depth--;
    return { type: "binary", operator: "^", left: base, right: exponent, start: base.start };
  }

  function primary(): ExprNode {
    const token = peek();
    switch (token.kind) {
      case "number":
        index++;
        return { type: "number", value: token.value, start: token.start };
      case "identifier": {
        index++;
        const name = token.text;
        if (peek().kind === "(") return call(token);
        if (isConstantName(name)) return { type: "constant", name, value: CONSTANTS.get(name)!, start: token.start };
        return { type: "identifier", name, start: token.start };
      }
      case "(": {
        index++;
        enter(token);
        const inner = additive();
        depth--;
        expect(")", `")" to close the "(" at character ${token.start + 1}`);
        return inner;
      }
      default:
        return fail(token, `unexpected ${describe(token)}`);
    }
  }

  function call(nameToken: Token): ExprNode {
    const name = nameToken.text;
    if (!isFunctionName(name)) return fail(nameToken, `unknown function ${JSON.stringify(name)}`);
    const spec = FUNCTIONS.get(name)!;
    const open = expect("(", `"("`);
    enter(open);
    const args: ExprNode[] = [];
    if (peek().kind !== ")") {
      args.push(additive());
      while (peek().kind === ",") {
        index++;
        args.push(additive());
      }
    }
    depth--;
    expect(")", `"," or ")" in the call to ${name}`);
    if (args.length < spec.minArgs || args.length > spec.maxArgs) {
      const expected =
        spec.minArgs === spec.maxArgs
          ? `${spec.minArgs}`
          : spec.maxArgs === Infinity
            ? `at least ${spec.minArgs}`
            : `${spec.minArgs} to ${spec.maxArgs}`;
      const last = spec.maxArgs === Infinity ? spec.minArgs : spec.maxArgs;
      fail(nameToken, `${name} takes ${expected} argument${last === 1 ? "" : "s"}, got ${args.length}`);
    }
    return { type: "call", callee: name, args, start: nameToken.start };
  }

  if (peek().kind === "end") fail(peek(), "empty expression");
  const root = additive();
  if (peek().kind !== "end") fail(peek(), `unexpected ${describe(peek())}`);
  return root;
}
