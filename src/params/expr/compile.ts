/**
 * @module params/expr/compile
 * Turns a syntax tree into a closure over a `Float64Array` of parameter values,
 * with names resolved to array slots once, at compile time. No `eval`, no
 * `new Function`: just nested closures. Constant subtrees are folded; the
 * common shapes (`a + b`, `2*a`, `a - 1`, `x^2`) get dedicated closures so that
 * a leaf costs an array read rather than a call.
 *
 * Also a plain tree-walking {@link evaluateExpression}, which is the reference
 * the compiled form is tested against.
 */

import type { BinaryOperator, ExprNode } from "./ast.ts";
import { FUNCTIONS } from "./functions.ts";

/** A compiled expression: reads parameter values by slot, returns the value. Allocation-free. */
export type CompiledExpression = (values: Float64Array) => number;

type Fn = CompiledExpression;
type Operand =
  | { readonly kind: "const"; readonly value: number }
  | { readonly kind: "slot"; readonly slot: number }
  | { readonly kind: "fn"; readonly fn: Fn };

function applyBinary(op: BinaryOperator, a: number, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
    case "^":
      return Math.pow(a, b);
  }
}

function toFn(operand: Operand): Fn {
  switch (operand.kind) {
    case "const": {
      const c = operand.value;
      return () => c;
    }
    case "slot": {
      const s = operand.slot;
      return (v) => v[s];
    }
    case "fn":
      return operand.fn;
  }
}

function slotSlot(op: BinaryOperator, i: number, j: number): Fn {
  switch (op) {
    case "+":
      return (v) => v[i] + v[j];
    case "-":
      return (v) => v[i] - v[j];
    case "*":
      return (v) => v[i] * v[j];
    case "/":
      return (v) => v[i] / v[j];
    case "^":
      return (v) => Math.pow(v[i], v[j]);
  }
}

function slotConst(op: BinaryOperator, i: number, c: number): Fn {
  switch (op) {
    case "+":
      return (v) => v[i] + c;
    case "-":
      return (v) => v[i] - c;
    case "*":
      return (v) => v[i] * c;
    case "/":
      return (v) => v[i] / c;
    case "^":
      if (c === 2) return (v) => v[i] * v[i];
      return (v) => Math.pow(v[i], c);
  }
}

function constSlot(op: BinaryOperator, c: number, j: number): Fn {
  switch (op) {
    case "+":
      return (v) => c + v[j];
    case "-":
      return (v) => c - v[j];
    case "*":
      return (v) => c * v[j];
    case "/":
      return (v) => c / v[j];
    case "^":
      return (v) => Math.pow(c, v[j]);
  }
}

function fnConst(op: BinaryOperator, f: Fn, c: number): Fn {
  switch (op) {
    case "+":
      return (v) => f(v) + c;
    case "-":
      return (v) => f(v) - c;
    case "*":
      return (v) => f(v) * c;
    case "/":
      return (v) => f(v) / c;
    case "^":
      if (c === 2) {
        return (v) => {
          const x = f(v);
          return x * x;
        };
      }
      return (v) => Math.pow(f(v), c);
  }
}

function constFn(op: BinaryOperator, c: number, g: Fn): Fn {
  switch (op) {
    case "+":
      return (v) => c + g(v);
    case "-":
      return (v) => c - g(v);
    case "*":
      return (v) => c * g(v);
    case "/":
      return (v) => c / g(v);
    case "^":
      return (v) => Math.pow(c, g(v));
  }
}

function slotFn(op: BinaryOperator, i: number, g: Fn): Fn {
  switch (op) {
    case "+":
      return (v) => v[i] + g(v);
    case "-":
      return (v) => v[i] - g(v);
    case "*":
      return (v) => v[i] * g(v);
    case "/":
      return (v) => v[i] / g(v);
    case "^":
      return (v) => Math.pow(v[i], g(v));
  }
}

function fnSlot(op: BinaryOperator, f: Fn, j: number): Fn {
  switch (op) {
    case "+":
      return (v) => f(v) + v[j];
    case "-":
      return (v) => f(v) - v[j];
    case "*":
      return (v) => f(v) * v[j];
    case "/":
      return (v) => f(v) / v[j];
    case "^":
      return (v) => Math.pow(f(v), v[j]);
  }
}

function fnFn(op: BinaryOperator, f: Fn, g: Fn): Fn {
  switch (op) {
    case "+":
      return (v) => f(v) + g(v);
    case "-":
      return (v) => f(v) - g(v);
    case "*":
      return (v) => f(v) * g(v);
    case "/":
      return (v) => f(v) / g(v);
    case "^":
      return (v) => Math.pow(f(v), g(v));
  }
}

function binary(op: BinaryOperator, left: Operand, right: Operand): Operand {
  if (left.kind === "const" && right.kind === "const") return { kind: "const", value: applyBinary(op, left.value, right.value) };
  if (left.kind === "slot" && right.kind === "slot") return { kind: "fn", fn: slotSlot(op, left.slot, right.slot) };
  if (left.kind === "slot" && right.kind === "const") return { kind: "fn", fn: slotConst(op, left.slot, right.value) };
  if (left.kind === "const" && right.kind === "slot") return { kind: "fn", fn: constSlot(op, left.value, right.slot) };
  if (right.kind === "const") return { kind: "fn", fn: fnConst(op, toFn(left), right.value) };
  if (left.kind === "const") return { kind: "fn", fn: constFn(op, left.value, toFn(right)) };
  if (left.kind === "slot") return { kind: "fn", fn: slotFn(op, left.slot, toFn(right)) };
  if (right.kind === "slot") return { kind: "fn", fn: fnSlot(op, toFn(left), right.slot) };
  return { kind: "fn", fn: fnFn(op, toFn(left), toFn(right)) };
}

function unaryMath(f: (x: number) => number, arg: Operand): Operand {
  if (arg.kind === "const") return { kind: "const", value: f(arg.value) };
  if (arg.kind === "slot") {
    const s = arg.slot;
    return { kind: "fn", fn: (v) => f(v[s]) };
  }
  const g = arg.fn;
  return { kind: "fn", fn: (v) => f(g(v)) };
}

function call(node: Extract<ExprNode, { type: "call" }>, args: Operand[]): Operand {
  if (args.every((a) => a.kind === "const")) {
    return { kind: "const", value: FUNCTIONS.get(node.callee)!.apply(args.map((a) => (a as { value: number }).value)) };
  }
  switch (node.callee) {
    case "sqrt":
      return unaryMath(Math.sqrt, args[0]);
    case "exp":
      return unaryMath(Math.exp, args[0]);
    case "log":
      return unaryMath(Math.log, args[0]);
    case "log10":
      return unaryMath(Math.log10, args[0]);
    case "sin":
      return unaryMath(Math.sin, args[0]);
    case "cos":
      return unaryMath(Math.cos, args[0]);
    case "tan":
      return unaryMath(Math.tan, args[0]);
    case "abs":
      return unaryMath(Math.abs, args[0]);
    case "pow":
      return binary("^", args[0], args[1]);
    case "min":
    case "max": {
      const fns = args.map(toFn);
      const pick = node.callee === "min" ? Math.min : Math.max;
      if (fns.length === 1) return { kind: "fn", fn: fns[0] };
      if (fns.length === 2) {
        const [f, g] = fns;
        return { kind: "fn", fn: (v) => pick(f(v), g(v)) };
      }
      const n = fns.length;
      return {
        kind: "fn",
        fn: (v) => {
          // Math.min/max semantics: NaN anywhere gives NaN.
          let acc = fns[0](v);
          for (let k = 1; k < n; k++) acc = pick(acc, fns[k](v));
          return acc;
        },
      };
    }
  }
}

function build(node: ExprNode, slotOf: (name: string) => number): Operand {
  switch (node.type) {
    case "number":
    case "constant":
      return { kind: "const", value: node.value };
    case "identifier":
      return { kind: "slot", slot: slotOf(node.name) };
    case "unary": {
      const operand = build(node.operand, slotOf);
      if (node.operator === "+") return operand;
      if (operand.kind === "const") return { kind: "const", value: -operand.value };
      if (operand.kind === "slot") {
        const s = operand.slot;
        return { kind: "fn", fn: (v) => -v[s] };
      }
      const f = operand.fn;
      return { kind: "fn", fn: (v) => -f(v) };
    }
    case "binary":
      return binary(node.operator, build(node.left, slotOf), build(node.right, slotOf));
    case "call":
      return call(
        node,
        node.args.map((arg) => build(arg, slotOf)),
      );
  }
}

/**
 * Compiles an expression to a closure over parameter values.
 *
 * @param node - a parsed expression
 * @param slotOf - maps each identifier to its index in the values array; called
 *   once per identifier occurrence, at compile time. The caller resolves unknown
 *   names (and throws) here.
 * @returns `values => number`, allocation-free
 * @example
 * const f = compileExpression(parseExpression("2*a + b"), (name) => (name === "a" ? 0 : 1));
 * f(Float64Array.of(3, 4)) // 10
 */
export function compileExpression(node: ExprNode, slotOf: (name: string) => number): CompiledExpression {
  return toFn(build(node, slotOf));
}

/**
 * Evaluates an expression directly by walking the tree (slow; for one-off use and tests).
 *
 * @param node - a parsed expression
 * @param lookup - the value of each identifier
 * @returns the value
 * @example evaluateExpression(parseExpression("a^2"), () => 3) // 9
 */
export function evaluateExpression(node: ExprNode, lookup: (name: string) => number): number {
  switch (node.type) {
    case "number":
    case "constant":
      return node.value;
    case "identifier":
      return lookup(node.name);
    case "unary": {
      const x = evaluateExpression(node.operand, lookup);
      return node.operator === "-" ? -x : x;
    }
    case "binary":
      return applyBinary(node.operator, evaluateExpression(node.left, lookup), evaluateExpression(node.right, lookup));
    case "call":
      return FUNCTIONS.get(node.callee)!.apply(node.args.map((arg) => evaluateExpression(arg, lookup)));
  }
}
