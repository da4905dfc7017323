/**
 * @module params/expr/syntaxError
 * The error for an expression that does not parse.
 */

import { ValidationError } from "../../core/errors.ts";

/**
 * An expression failed to tokenize or parse. A {@link ValidationError} whose
 * message names the path, the 1-based character position and the expression.
 */
export class ExpressionSyntaxError extends ValidationError {
  /** The expression source. */
  readonly expression: string;
  /** 1-based position of the offending character (source length + 1 at the end). */
  readonly column: number;
  constructor(path: string, expression: string, offset: number, detail: string) {
    super(path, `syntax error at character ${offset + 1}: ${detail}`, expression);
    this.expression = expression;
    this.column = offset + 1;
  }
}
