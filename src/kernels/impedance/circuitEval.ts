/**
 * @module kernels/impedance/circuitEval
 * Evaluates a compiled equivalent circuit over a frequency grid.
 *
 * A {@link CompiledCircuit} is the only format models and this kernel share: a
 * postfix program over a stack of complex vectors. Each instruction is a pair
 * (opcode, argument):
 * - `OP_ELEMENT k`: push the impedance of element k, whose type code is
 *   `elementCodes[k]` and whose parameters are read from the value slots
 *   `parameterSlots[parameterStart[k] .. parameterStart[k+1])`;
 * - `OP_ADD`: pop b, a; push a + b (series);
 * - `OP_INVERT`: replace the top z by 1/z.
 * Series `A-B-C` compiles to `A B ADD C ADD`; parallel `p(A,B,C)` to
 * `A INV B INV ADD C INV ADD INV` (Z = 1/Σ 1/Zᵢ).
 *
 * Each element is evaluated for all frequencies at once (a tight loop per
 * element type); with a {@link CircuitWorkspace} nothing is allocated.
 *
 * Units: frequency Hz, impedance Ω (Z″ < 0 capacitive); parameter values in the
 * element's own units (see `elements.ts`).
 */

import { evaluateElementCode, logAngularFrequency, usesLogOmega } from "./elements.ts";
import type { ReIm } from "./elements.ts";

/** Push the impedance of element `argument`. */
export const OP_ELEMENT = 0;
/** Pop two, push their sum (argument unused). */
export const OP_ADD = 1;
/** Replace the top of the stack by its reciprocal (argument unused). */
export const OP_INVERT = 2;

/** A circuit compiled against a values array (e.g. a FitSpace's slots). Plain data. */
export interface CompiledCircuit {
  /** Postfix program, pairs (opcode, argument). */
  readonly program: Int32Array;
  /** Element type code of each element (`ELEMENTS[type].code`). */
  readonly elementCodes: Int32Array;
  /** Value slots of all element parameters, element after element, each in the element's parameter order. */
  readonly parameterSlots: Int32Array;
  /** Start of element k's slots in {@link parameterSlots}; length = elements + 1. */
  readonly parameterStart: Int32Array;
  /** Largest stack depth the program reaches (≥ 1). */
  readonly stackDepth: number;
}

/** Scratch buffers for {@link evaluateCircuit}, for one number of frequencies. */
export interface CircuitWorkspace {
  /** Number of frequencies the buffers hold. */
  readonly size: number;
  /** Stack levels 1 … depth−1 (level 0 is the output). */
  readonly re: Float64Array[];
  readonly im: Float64Array[];
  /** Gathered parameters of one element. */
  readonly parameters: Float64Array;
  /** ln(2πf), recomputed on every evaluation when some element needs it. */
  readonly logOmega: Float64Array | undefined;
}

/**
 * Scratch buffers for evaluating `circuit` at `size` frequencies.
 *
 * @param circuit - the compiled circuit
 * @param size - number of frequencies
 * @returns a workspace to pass to {@link evaluateCircuit}
 */
export function createCircuitWorkspace(circuit: CompiledCircuit, size: number): CircuitWorkspace {
  const re: Float64Array[] = [];
  const im: Float64Array[] = [];
  for (let level = 1; level < circuit.stackDepth; level++) {
    re.push(new Float64Array(size));
    im.push(new Float64Array(size));
  }
  let widest = 1;
  for (let k = 0; k + 1 < circuit.parameterStart.length; k++) {
    widest = Math.max(widest, circuit.parameterStart[k + 1] - circuit.parameterStart[k]);
  }
  const needsLog = Array.from(circuit.elementCodes).some(usesLogOmega);
  return { size, re, im, parameters: new Float64Array(widest), logOmega: needsLog ? new Float64Array(size) : undefined };
}

/**
 * Impedance of a compiled circuit at every frequency.
 *
 * @param circuit - program and element table (from `models/circuit`)
 * @param values - parameter values by slot (e.g. `FitSpace.fromVector(θ)`), in each element's units
 * @param frequency - frequencies f (Hz), > 0
 * @param out - output Z′, Z″ (Ω), each of length frequency.length; allocated when omitted
 * @param workspace - scratch from {@link createCircuitWorkspace} for this circuit and length; allocated when omitted
 * @returns `out`
 * @example
 * ```ts
 * // R0-p(R1,C1): program R0 R1 INV C1 INV ADD INV ADD
 * const circuit: CompiledCircuit = {
 *   program: Int32Array.of(OP_ELEMENT, 0, OP_ELEMENT, 1, OP_INVERT, 0, OP_ELEMENT, 2, OP_INVERT, 0, OP_ADD, 0, OP_INVERT, 0, OP_ADD, 0),
 *   elementCodes: Int32Array.of(0, 0, 1), parameterSlots: Int32Array.of(0, 1, 2), parameterStart: Int32Array.of(0, 1, 2, 3), stackDepth: 3,
 * };
 * const z = evaluateCircuit(circuit, Float64Array.of(10, 100, 1e-6), Float64Array.of(1, 1e3, 1e6));
 * ```
 */
export function evaluateCircuit(
  circuit: CompiledCircuit,
  values: Float64Array,
  frequency: Float64Array,
  out?: ReIm,
  workspace?: CircuitWorkspace,
): ReIm {
  const n = frequency.length;
  const target = out ?? { re: new Float64Array(n), im: new Float64Array(n) };
  const ws = workspace !== undefined && workspace.size >= n ? workspace : createCircuitWorkspace(circuit, n);
  const { program, elementCodes, parameterSlots, parameterStart } = circuit;
  const gathered = ws.parameters;
  // ln ω is shared by every element with a non-integer power; a view of the right length keeps n exact.
  const logOmega = ws.logOmega === undefined ? undefined : logAngularFrequency(frequency, ws.logOmega.length === n ? ws.logOmega : ws.logOmega.subarray(0, n));
  let top = -1;
  for (let pc = 0; pc < program.length; pc += 2) {
    const op = program[pc];
    if (op === OP_ELEMENT) {
      const k = program[pc + 1];
      const start = parameterStart[k];
      const count = parameterStart[k + 1] - start;
      for (let m = 0; m < count; m++) gathered[m] = values[parameterSlots[start + m]];
      top++;
      const re = top === 0 ? target.re : ws.re[top - 1];
      const im = top === 0 ? target.im : ws.im[top - 1];
      evaluateElementCode(elementCodes[k], gathered, 0, frequency, re, im, logOmega);
    } else if (op === OP_ADD) {
      const aRe = top === 1 ? target.re : ws.re[top - 2];
      const aIm = top === 1 ? target.im : ws.im[top - 2];
      const bRe = ws.re[top - 1];
      const bIm = ws.im[top - 1];
      for (let i = 0; i < n; i++) {
        aRe[i] += bRe[i];
        aIm[i] += bIm[i];
      }
      top--;
    } else {
      const re = top === 0 ? target.re : ws.re[top - 1];
      const im = top === 0 ? target.im : ws.im[top - 1];
      for (let i = 0; i < n; i++) {
        // 1/(a + jb) by Smith's algorithm (no overflow of a² + b²)
        const a = re[i];
        const b = im[i];
        if (a === 0 && b === 0) {
          // a short-circuited branch: infinite admittance, so the parallel combination becomes 0
          re[i] = Infinity;
          im[i] = 0;
        } else if (Math.abs(a) >= Math.abs(b)) {
          const r = b / a;
          const d = a + b * r;
          re[i] = 1 / d;
          im[i] = -r / d;
        } else {
          const r = a / b;
          const d = a * r + b;
          re[i] = r / d;
          im[i] = -1 / d;
        }
      }
    }
  }
  return target;
}
