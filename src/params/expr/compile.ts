/**
 * @module params/expr/compile
 * Compiles syntax trees to straight-line register code run by one small
 * interpreter loop over typed arrays. No `eval`, no `new Function`.
 *
 * Why not nested closures: V8 boxes a float returned from a call it cannot
 * inline, and the call sites of a closure tree become polymorphic as soon as a
 * problem has two differently shaped constraints, so closures allocate on the
 * hot path. The interpreter keeps every intermediate in one `Float64Array`
 * ("memory": the caller's slots, then constants and temporaries), so a
 * {@link Program} run allocates nothing, whatever the expressions, and each
 * instruction is three array reads, a jump-table dispatch and one write.
 *
 * Names are resolved to slots of the caller's values array once, at compile
 * time; constant subtrees are folded. Evaluation order and operations are
 * exactly those of the tree, so results agree bit for bit with
 * {@link evaluateExpression}, the plain tree walker kept as the reference.
 */

import type { BinaryOperator, ExprNode, FunctionName } from "./ast.ts";
import { FUNCTIONS } from "./functions.ts";

/** A compiled expression: reads parameter values by slot, returns the value. */
export type CompiledExpression = (values: Float64Array) => number;

/**
 * Compiled assignments over one memory array: slots [0, base) belong to the
 * caller (parameter values, read and written by the assignments); [base,
 * memoryLength) hold the program's constants and temporaries.
 */
export interface Program {
  /** Number of caller slots at the start of memory. */
  readonly base: number;
  /** Length of the memory array `run` needs. */
  readonly memoryLength: number;
  /** A new memory array with the constants in place (caller slots zero). */
  createMemory(): Float64Array;
  /** Runs every assignment in order over `memory` (from {@link createMemory}). Allocation-free. */
  run(memory: Float64Array): void;
}

/** One `values[target] = node` step of a program. */
export interface Assignment {
  /** The expression. */
  readonly node: ExprNode;
  /** Slot of the values array receiving the result. */
  readonly target: number;
  /**
   * Maps each identifier of `node` to its slot; called once per occurrence, at
   * compile time (the caller resolves unknown names, and throws, here).
   */
  readonly slotOf: (name: string) => number;
}

// Opcodes. Every instruction is 4 words: op, destination, operand a, operand b.
// While building, a location r ≥ 0 is caller slot r and r < 0 is register −r − 1;
// the final code addresses memory directly (register k at base + k).
const MOVE = 0;
const ADD = 1;
const SUB = 2;
const MUL = 3;
const DIV = 4;
const POW = 5;
const NEG = 6;
const SQRT = 7;
const EXP = 8;
const LOG = 9;
const LOG10 = 10;
const SIN = 11;
const COS = 12;
const TAN = 13;
const ABS = 14;
const MIN = 15;
const MAX = 16;

const BINARY_OPS: Readonly<Record<BinaryOperator, number>> = { "+": ADD, "-": SUB, "*": MUL, "/": DIV, "^": POW };
const UNARY_OPS: ReadonlyMap<FunctionName, number> = new Map<FunctionName, number>([
  ["sqrt", SQRT],
  ["exp", EXP],
  ["log", LOG],
  ["log10", LOG10],
  ["sin", SIN],
  ["cos", COS],
  ["tan", TAN],
  ["abs", ABS],
]);

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

/** An operand during code generation: a folded constant or a location (slot ≥ 0, register < 0). */
type Operand = { readonly constant: number } | { readonly ref: number };

/** Accumulates instructions and registers (constants first get a register when an instruction needs them). */
class CodeBuilder {
  readonly code: number[] = [];
  readonly registers: number[] = [];
  #slotOf: (name: string) => number = () => 0;

  register(initial = 0): number {
    this.registers.push(initial);
    return -this.registers.length;
  }

  ref(operand: Operand): number {
    return "ref" in operand ? operand.ref : this.register(operand.constant);
  }

  emit(op: number, a: number, b: number): Operand {
    const dst = this.register();
    this.code.push(op, dst, a, b);
    return { ref: dst };
  }

  /** Assigns the expression's result to `target`, reusing the last instruction's destination when possible. */
  assign(node: ExprNode, target: number, slotOf: (name: string) => number): void {
    this.#slotOf = slotOf;
    const before = this.code.length;
    const result = this.build(node);
    if ("ref" in result && this.code.length > before && this.code[this.code.length - 3] === result.ref) {
      this.code[this.code.length - 3] = target;
      return;
    }
    const a = this.ref(result);
    this.code.push(MOVE, target, a, a);
  }

  build(node: ExprNode): Operand {
    switch (node.type) {
      case "number":
      case "constant":
        return { constant: node.value };
      case "identifier":
        return { ref: this.#slotOf(node.name) };
      case "unary": {
        const operand = this.build(node.operand);
        if (node.operator === "+") return operand;
        if ("constant" in operand) return { constant: -operand.constant };
        return this.emit(NEG, operand.ref, operand.ref);
      }
      case "binary": {
        const left = this.build(node.left);
        const right = this.build(node.right);
        if ("constant" in left && "constant" in right) return { constant: applyBinary(node.operator, left.constant, right.constant) };
        return this.emit(BINARY_OPS[node.operator], this.ref(left), this.ref(right));
      }
      case "call": {
        const args = node.args.map((arg) => this.build(arg));
        if (args.every((a) => "constant" in a)) {
          return { constant: FUNCTIONS.get(node.callee)!.apply(args.map((a) => (a as { constant: number }).constant)) };
        }
        const unary = UNARY_OPS.get(node.callee);
        if (unary !== undefined) {
          const a = this.ref(args[0]);
          return this.emit(unary, a, a);
        }
        if (node.callee === "pow") return this.emit(POW, this.ref(args[0]), this.ref(args[1]));
        // min/max: a left fold of binary MIN/MAX (Math.min/max semantics, NaN propagates).
        const op = node.callee === "min" ? MIN : MAX;
        let acc = args[0];
        if (args.length === 1) {
          const a = this.ref(acc);
          return this.emit(MOVE, a, a);
        }
        for (let k = 1; k < args.length; k++) acc = this.emit(op, this.ref(acc), this.ref(args[k]));
        return acc;
      }
    }
  }
}

/** The interpreter: one top-level function (not a closure per program), so V8 optimises it once for all programs. */
function execute(code: Int32Array, m: Float64Array): void {
  const n = code.length;
  for (let pc = 0; pc < n; pc += 4) {
    const x = m[code[pc + 2]];
    const y = m[code[pc + 3]];
    let r: number;
    switch (code[pc]) {
      case MOVE:
        r = x;
        break;
      case ADD:
        r = x + y;
        break;
      case SUB:
        r = x - y;
        break;
      case MUL:
        r = x * y;
        break;
      case DIV:
        r = x / y;
        break;
      case POW:
        r = Math.pow(x, y);
        break;
      case NEG:
        r = -x;
        break;
      case SQRT:
        r = Math.sqrt(x);
        break;
      case EXP:
        r = Math.exp(x);
        break;
      case LOG:
        r = Math.log(x);
        break;
      case LOG10:
        r = Math.log10(x);
        break;
      case SIN:
        r = Math.sin(x);
        break;
      case COS:
        r = Math.cos(x);
        break;
      case TAN:
        r = Math.tan(x);
        break;
      case ABS:
        r = Math.abs(x);
        break;
      case MIN:
        r = Math.min(x, y);
        break;
      default:
        r = Math.max(x, y);
        break;
    }
    m[code[pc + 1]] = r;
  }
}

function link(builder: CodeBuilder, base: number): Program {
  // Registers move to base + k; opcodes (every 4th word) stay as they are.
  const code = Int32Array.from(builder.code, (word, k) => (k % 4 === 0 || word >= 0 ? word : base - word - 1));
  const constants = Float64Array.from(builder.registers);
  const memoryLength = base + constants.length;
  return Object.freeze({
    base,
    memoryLength,
    createMemory(): Float64Array {
      const memory = new Float64Array(memoryLength);
      memory.set(constants, base);
      return memory;
    },
    run(memory: Float64Array): void {
      execute(code, memory);
    },
  });
}

/**
 * Compiles a sequence of assignments `memory[target] = expression` into one
 * allocation-free program. Later assignments see earlier results, so pass
 * them in dependency order.
 *
 * @param assignments - expressions, their target slots (< base) and name resolvers (returning slots < base)
 * @param base - number of caller slots at the start of memory
 * @returns the program
 * @example
 * const program = compileProgram([{ node: parseExpression("2*a"), target: 1, slotOf: () => 0 }], 2);
 * const memory = program.createMemory();
 * memory[0] = 3;
 * program.run(memory); // memory[1] is now 6
 */
export function compileProgram(assignments: readonly Assignment[], base: number): Program {
  const builder = new CodeBuilder();
  for (const { node, target, slotOf } of assignments) builder.assign(node, target, slotOf);
  return link(builder, base);
}

/**
 * Compiles one expression to a function of a values array. (Copies the
 * referenced values into its own memory on each call; for many expressions
 * over one array, {@link compileProgram} avoids that.)
 *
 * @param node - a parsed expression
 * @param slotOf - maps each identifier to its index in the values array; called once per occurrence, at compile time
 * @returns `values => number`
 * @example
 * const f = compileExpression(parseExpression("2*a + b"), (name) => (name === "a" ? 0 : 1));
 * f(Float64Array.of(3, 4)) // 10
 */
export function compileExpression(node: ExprNode, slotOf: (name: string) => number): CompiledExpression {
  // Local memory: the distinct slots the expression reads, then the result.
  const sources: number[] = [];
  const local = (name: string): number => {
    const slot = slotOf(name);
    const index = sources.indexOf(slot);
    return index >= 0 ? index : sources.push(slot) - 1;
  };
  const builder = new CodeBuilder();
  const result = builder.register();
  builder.assign(node, result, local);
  const n = sources.length;
  const program = link(builder, n);
  const memory = program.createMemory();
  const from = Int32Array.from(sources);
  const resultIndex = n - result - 1;
  return (values) => {
    for (let i = 0; i < n; i++) memory[i] = values[from[i]];
    program.run(memory);
    return memory[resultIndex];
  };
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
