/**
 * @module params/expr
 * A small arithmetic language for parameter constraints (`"total - t1"`,
 * `"2*pi*r^2"`): tokenizer → recursive-descent parser → syntax tree → compiled
 * closure over a `Float64Array` of values. No `eval`: identifiers are only ever
 * parameter names, resolved by the caller.
 *
 * Operators `+ - * /`, `^` and `**` (power, right-associative, binds tighter
 * than unary minus: `-a^2 = -(a^2)`); functions sqrt exp log (natural) log10 sin
 * cos tan abs min max pow; constants `pi`, `e`.
 */

export type {
  BinaryNode,
  BinaryOperator,
  CallNode,
  ConstantName,
  ConstantNode,
  ExprNode,
  FunctionName,
  IdentifierNode,
  NumberNode,
  UnaryNode,
} from "./ast.ts";
export { compileExpression, compileProgram, evaluateExpression } from "./compile.ts";
export type { Assignment, CompiledExpression, Program } from "./compile.ts";
export { freeVariables } from "./freeVariables.ts";
export { CONSTANTS, FUNCTIONS, isConstantName, isFunctionName } from "./functions.ts";
export type { FunctionSpec } from "./functions.ts";
export { MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH, parseExpression } from "./parse.ts";
export { ExpressionSyntaxError } from "./syntaxError.ts";
export { tokenize } from "./tokenize.ts";
export type { Token, TokenKind } from "./tokenize.ts";
