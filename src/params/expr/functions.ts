/**
 * @module params/expr/functions
 * The built-in functions and constants of the expression language. Looked up
 * through `Map`s, never plain objects, so that names like `constructor` or
 * `__proto__` cannot reach `Object.prototype`.
 */

import type { ConstantName, FunctionName } from "./ast.ts";

/** How a built-in function is called and computed. */
export interface FunctionSpec {
  /** Fewest arguments accepted. */
  readonly minArgs: number;
  /** Most arguments accepted (Infinity for variadic). */
  readonly maxArgs: number;
  /** The function itself, over its arguments. */
  readonly apply: (args: readonly number[]) => number;
}

const unary = (f: (x: number) => number): FunctionSpec => ({ minArgs: 1, maxArgs: 1, apply: (args) => f(args[0]) });

/** Built-in functions by name. `log` is the natural logarithm. */
export const FUNCTIONS: ReadonlyMap<FunctionName, FunctionSpec> = new Map<FunctionName, FunctionSpec>([
  ["sqrt", unary(Math.sqrt)],
  ["exp", unary(Math.exp)],
  ["log", unary(Math.log)],
  ["log10", unary(Math.log10)],
  ["sin", unary(Math.sin)],
  ["cos", unary(Math.cos)],
  ["tan", unary(Math.tan)],
  ["abs", unary(Math.abs)],
  ["min", { minArgs: 1, maxArgs: Infinity, apply: (args) => Math.min(...args) }],
  ["max", { minArgs: 1, maxArgs: Infinity, apply: (args) => Math.max(...args) }],
  ["pow", { minArgs: 2, maxArgs: 2, apply: (args) => Math.pow(args[0], args[1]) }],
]);

/** Built-in constants by name. */
export const CONSTANTS: ReadonlyMap<ConstantName, number> = new Map<ConstantName, number>([
  ["pi", Math.PI],
  ["e", Math.E],
]);

/** Whether `name` is a built-in function. */
export function isFunctionName(name: string): name is FunctionName {
  return FUNCTIONS.has(name as FunctionName);
}

/** Whether `name` is a built-in constant. */
export function isConstantName(name: string): name is ConstantName {
  return CONSTANTS.has(name as ConstantName);
}
