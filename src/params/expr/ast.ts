/**
 * @module params/expr/ast
 * The syntax tree of a constraint expression. Plain data: every node records the
 * 0-based offset (`start`) of its first character in the source, for messages.
 */

/** Binary operators; `^` also stands for `**` (power, right-associative). */
export type BinaryOperator = "+" | "-" | "*" | "/" | "^";

/** Built-in functions (see `functions.ts` for arities). */
export type FunctionName = "sqrt" | "exp" | "log" | "log10" | "sin" | "cos" | "tan" | "abs" | "min" | "max" | "pow";

/** Built-in constants. These names are reserved: a parameter called `pi` or `e` cannot be referenced. */
export type ConstantName = "pi" | "e";

/** A numeric literal such as `2`, `.5` or `1e-3`. */
export interface NumberNode {
  readonly type: "number";
  readonly value: number;
  readonly start: number;
}
/** `pi` or `e`. */
export interface ConstantNode {
  readonly type: "constant";
  readonly name: ConstantName;
  readonly value: number;
  readonly start: number;
}
/** A reference to a parameter by name (`[A-Za-z_][A-Za-z0-9_.]*`). */
export interface IdentifierNode {
  readonly type: "identifier";
  readonly name: string;
  readonly start: number;
}
/** Unary `-x` or `+x`. */
export interface UnaryNode {
  readonly type: "unary";
  readonly operator: "-" | "+";
  readonly operand: ExprNode;
  readonly start: number;
}
/** `left op right`. */
export interface BinaryNode {
  readonly type: "binary";
  readonly operator: BinaryOperator;
  readonly left: ExprNode;
  readonly right: ExprNode;
  readonly start: number;
}
/** `f(args…)` for a built-in function; arity was checked by the parser. */
export interface CallNode {
  readonly type: "call";
  readonly callee: FunctionName;
  readonly args: readonly ExprNode[];
  readonly start: number;
}

/** Any expression node. */
export type ExprNode = NumberNode | ConstantNode | IdentifierNode | UnaryNode | BinaryNode | CallNode;
