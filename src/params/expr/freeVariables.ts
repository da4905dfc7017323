/**
 * @module params/expr/freeVariables
 * The parameter names an expression depends on.
 */

import type { ExprNode } from "./ast.ts";

/**
 * Lists the identifiers in `node` (parameter references; not functions or constants).
 *
 * @param node - a parsed expression
 * @returns unique names in order of first appearance
 * @example freeVariables(parseExpression("a*b + sqrt(a) + pi")) // ["a", "b"]
 */
export function freeVariables(node: ExprNode): string[] {
  const names = new Set<string>();
  const visit = (n: ExprNode): void => {
    switch (n.type) {
      case "identifier":
        names.add(n.name);
        return;
      case "unary":
        visit(n.operand);
        return;
      case "binary":
        visit(n.left);
        visit(n.right);
        return;
      case "call":
        n.args.forEach(visit);
        return;
      case "number":
      case "constant":
        return;
    }
  };
  visit(node);
  return [...names];
}
