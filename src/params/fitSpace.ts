/**
 * @module params/fitSpace
 * {@link FitSpace}: the frozen map between a fitter's vector θ (the varying
 * parameters) and the full list of parameter values a model reads.
 *
 * Every parameter gets a *slot* in a flat `Float64Array` of values; models look
 * their slots up once ({@link FitSpace.slotOf}) and then read `values[slot]`.
 * {@link FitSpace.fromVector} fills that array from θ: varying parameters from
 * θ, fixed ones from their current `value`, constrained ones by one compiled
 * program of all constraint expressions, in dependency order. It allocates
 * nothing and does no map lookups, so it can sit inside a fitter's inner loop.
 * (Constraints run in a private scratch memory whose results are copied out;
 * the call is synchronous, so nothing can observe the scratch.)
 *
 * What is frozen when the space is built: which parameters vary, their order,
 * bounds, priors and constraint expressions. What is read live: the `value` of
 * fixed parameters (so a fixed parameter changed between fits is picked up).
 */

import { UnknownParameterError, ValidationError } from "../core/errors.ts";
import type { ResolvedConstraints } from "./constraints.ts";
import { compileProgram } from "./expr/compile.ts";
import type { Parameter } from "./parameter.ts";
import { packedLogDensity, packPrior } from "./prior.ts";

/** The frozen map between fit vectors θ and parameter values. */
export interface FitSpace {
  /** The varying parameters, in θ order. */
  readonly varying: readonly Parameter[];
  /**
   * Every parameter, in slot order: the varying ones first (slot = θ index),
   * then the fixed ones, then the constrained ones in evaluation order.
   */
  readonly parameters: readonly Parameter[];
  /** Names of the varying parameters, in θ order (as `FitObjective.names`). */
  readonly names: readonly string[];
  /**
   * Lower limits of θ: each parameter's bounds intersected with its prior's
   * support (−Infinity where unbounded). Do not modify.
   */
  readonly lower: Float64Array;
  /** Upper limits of θ (+Infinity where unbounded). Do not modify. */
  readonly upper: Float64Array;
  /** Length of θ. */
  readonly dimension: number;
  /** Length of the values array (number of slots). */
  readonly size: number;
  /**
   * Slot of `parameter` in the values array. Call once when binding a model, not per evaluation.
   * @throws UnknownParameterError if the parameter is not in this space
   */
  slotOf(parameter: Parameter): number;
  /** Index of `parameter` in θ, or −1 if it does not vary. */
  indexOf(parameter: Parameter): number;
  /** A new zeroed values array of length {@link size}. */
  createValues(): Float64Array;
  /**
   * θ from the varying parameters' current values.
   * @param out - optional buffer of length {@link dimension}
   */
  toVector(out?: Float64Array): Float64Array;
  /**
   * All parameter values at θ, by slot. Allocation-free when `valuesOut` is given.
   * Does not check θ against the bounds (that is {@link logPrior}'s job).
   * @param theta - vector of length {@link dimension}
   * @param valuesOut - buffer of length {@link size}
   * @returns `valuesOut` (or a new array)
   * @throws ValidationError if a length is wrong
   */
  fromVector(theta: Float64Array, valuesOut?: Float64Array): Float64Array;
  /**
   * Σ log prior of the varying parameters at θ; −Infinity if any component is
   * outside its bounds or prior support, or is NaN, or if a constrained
   * parameter's value at θ falls outside its own bounds or is NaN. Allocation-free.
   */
  logPrior(theta: Float64Array): number;
  /**
   * Writes θ back into the Parameter objects (varying and constrained values).
   * An explicit, separate step: fitters never call it. All or nothing.
   * @throws ValidationError if a value would fall outside its parameter's bounds
   */
  applyValues(theta: Float64Array): void;
}

/**
 * Builds the frozen fit space of a resolved parameter collection.
 * Usually reached through `ParameterSet.fitSpace()`.
 *
 * @param resolved - output of `resolveConstraints`
 * @returns the fit space
 */
export function createFitSpace(resolved: ResolvedConstraints): FitSpace {
  // Slots are grouped by role — varying (in θ order), then fixed, then constrained
  // (in evaluation order) — so fromVector runs three straight loops with no indirection.
  const varying = Object.freeze(resolved.parameters.filter((p) => p.vary && !p.constrained));
  const fixed = resolved.parameters.filter((p) => !p.vary && !p.constrained);
  const constrained = Object.freeze([...resolved.order]);
  const parameters = Object.freeze([...varying, ...fixed, ...constrained]);
  const size = parameters.length;
  const dimension = varying.length;
  const nFixed = fixed.length;
  const nConstrained = constrained.length;
  const fixedStart = dimension;
  const constrainedStart = dimension + nFixed;
  const slots = new Map<Parameter, number>();
  parameters.forEach((p, slot) => slots.set(p, slot));

  const names = Object.freeze(varying.map((p) => p.name));
  const lower = new Float64Array(dimension);
  const upper = new Float64Array(dimension);
  // Priors packed into typed arrays: logPrior evaluates them through one
  // monomorphic function, with no per-parameter closure calls (which would box).
  const priorShape = new Int32Array(dimension);
  const priorLocation = new Float64Array(dimension);
  const priorScale = new Float64Array(dimension);
  const priorLogNorm = new Float64Array(dimension);
  // Private copies of the limits: a caller scribbling on `lower`/`upper` must not change logPrior.
  const lowerLimit = new Float64Array(dimension);
  const upperLimit = new Float64Array(dimension);
  varying.forEach((p, i) => {
    const [lo, hi] = p.support();
    lower[i] = lowerLimit[i] = lo;
    upper[i] = upperLimit[i] = hi;
    const packed = packPrior(p.effectivePrior());
    priorShape[i] = packed.shape;
    priorLocation[i] = packed.location;
    priorScale[i] = packed.scale;
    priorLogNorm[i] = packed.logNorm;
  });

  const constrainedLower = Float64Array.from(constrained, (p) => p.bounds.min);
  const constrainedUpper = Float64Array.from(constrained, (p) => p.bounds.max);
  // One allocation-free program for all constraints, in evaluation order, over a
  // private memory: the varying/fixed slots the expressions read ("inputs"), then
  // the constrained values, then the program's constants and temporaries. Only
  // inputs are copied in and constrained values copied out.
  const inputSlots: number[] = [];
  for (const p of constrained) {
    for (const target of resolved.references.get(p)!.values()) {
      const slot = slots.get(target)!;
      if (slot < constrainedStart && !inputSlots.includes(slot)) inputSlots.push(slot);
    }
  }
  const nInputs = inputSlots.length;
  const localSlot = (slot: number): number =>
    slot >= constrainedStart ? nInputs + slot - constrainedStart : inputSlots.indexOf(slot);
  const program = compileProgram(
    constrained.map((p, i) => {
      const refs = resolved.references.get(p)!;
      return { node: p.expression!, target: nInputs + i, slotOf: (name: string) => localSlot(slots.get(refs.get(name)!)!) };
    }),
    nInputs + nConstrained,
  );
  const memory = program.createMemory();
  const inputs = Int32Array.from(inputSlots);

  const checkTheta = (theta: Float64Array): void => {
    if (theta.length !== dimension) {
      throw new ValidationError("theta", `expected a vector of ${dimension} varying parameter values`, `length ${theta.length}`);
    }
  };

  /** Runs the constraints at θ; their values end up in memory[nInputs + i]. */
  const runConstraints = (theta: Float64Array): void => {
    const m = memory;
    for (let j = 0; j < nInputs; j++) {
      const slot = inputs[j];
      m[j] = slot < dimension ? theta[slot] : fixed[slot - fixedStart].value;
    }
    program.run(m);
  };

  const fromVector = (theta: Float64Array, valuesOut?: Float64Array): Float64Array => {
    checkTheta(theta);
    const values = valuesOut ?? new Float64Array(size);
    if (values.length !== size) {
      throw new ValidationError("valuesOut", `expected a values array of ${size} slots`, `length ${values.length}`);
    }
    for (let i = 0; i < dimension; i++) values[i] = theta[i];
    for (let i = 0; i < nFixed; i++) values[fixedStart + i] = fixed[i].value;
    if (nConstrained > 0) {
      runConstraints(theta);
      const m = memory;
      for (let i = 0; i < nConstrained; i++) values[constrainedStart + i] = m[nInputs + i];
    }
    return values;
  };

  const logPrior = (theta: Float64Array): number => {
    checkTheta(theta);
    let sum = 0;
    for (let i = 0; i < dimension; i++) {
      sum += packedLogDensity(priorShape[i], priorLocation[i], priorScale[i], priorLogNorm[i], lowerLimit[i], upperLimit[i], theta[i]);
      if (sum === -Infinity) return sum;
    }
    if (nConstrained > 0) {
      runConstraints(theta);
      const m = memory;
      for (let i = 0; i < nConstrained; i++) {
        const v = m[nInputs + i];
        if (!(v >= constrainedLower[i] && v <= constrainedUpper[i])) return -Infinity;
      }
    }
    return sum;
  };

  const space: FitSpace = {
    varying,
    parameters,
    names,
    lower,
    upper,
    dimension,
    size,
    slotOf(parameter) {
      const slot = slots.get(parameter);
      if (slot === undefined) throw new UnknownParameterError(parameter.name, "FitSpace.slotOf");
      return slot;
    },
    indexOf(parameter) {
      const slot = slots.get(parameter);
      return slot !== undefined && slot < dimension ? slot : -1;
    },
    createValues() {
      return new Float64Array(size);
    },
    toVector(out) {
      const theta = out ?? new Float64Array(dimension);
      checkTheta(theta);
      for (let i = 0; i < dimension; i++) theta[i] = varying[i].value;
      return theta;
    },
    fromVector,
    logPrior,
    applyValues(theta) {
      const values = fromVector(theta);
      // Validate everything before writing anything.
      varying.forEach((p, i) => {
        const x = theta[i];
        if (!Number.isFinite(x)) throw new ValidationError(`${p.path}.value`, "value must be a finite number", x);
        if (!(x >= p.bounds.min && x <= p.bounds.max)) {
          throw new ValidationError(`${p.path}.value`, `value outside bounds [${p.bounds.min}, ${p.bounds.max}]`, x);
        }
      });
      constrained.forEach((p, i) => {
        const x = values[constrainedStart + i];
        if (!(Number.isFinite(x) && x >= p.bounds.min && x <= p.bounds.max)) {
          throw new ValidationError(`${p.path}.value`, `constraint ${JSON.stringify(p.expr)} gives a value outside bounds [${p.bounds.min}, ${p.bounds.max}]`, x);
        }
      });
      varying.forEach((p, i) => {
        p.value = theta[i];
      });
      constrained.forEach((p, i) => {
        p.value = values[constrainedStart + i];
      });
    },
  };
  return Object.freeze(space);
}
