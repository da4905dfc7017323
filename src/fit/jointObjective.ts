/**
 * @module fit/jointObjective
 * The objective fitters see, assembled from terms. A term is anything that turns
 * parameter values into weighted residuals and a log likelihood: a reflectivity
 * curve, an impedance spectrum, a growth law over a series, a hierarchical prior.
 * Terms declare their Parameters; the joint objective collects them by identity
 * into one ParameterSet (a parameter shared by several terms is one parameter),
 * freezes a FitSpace, and binds each term to it once. An evaluation is then:
 * θ → FitSpace.fromVector (all values, constraints included) → each bound term
 * writes its slice of the residual vector. Nothing allocates per evaluation.
 */
import { FitAbortedError } from "../core/errors.ts";
import { ParameterSet, type FitSpace, type Parameter } from "../params/index.ts";
import type { FitObjective } from "../optimize/objective.ts";

/** A term bound to a fit space: reads values by slot, writes residuals. */
export interface BoundTerm {
  /** Number of residuals this term writes. */
  readonly nResiduals: number;
  /** Weighted residuals at `values` (slot-indexed), written to out[offset … offset + nResiduals). */
  residuals(values: Float64Array, out: Float64Array, offset: number): void;
  /**
   * log likelihood at `values` (full normalisation). `residuals` holds this term's
   * residuals at the same values (written just before), so Gaussian terms need not
   * recompute the model.
   */
  logLikelihood(values: Float64Array, residuals: Float64Array, offset: number): number;
}

/** A contribution to a joint objective. */
export interface ObjectiveTerm {
  /** Human-readable name used in messages (e.g. the data file). */
  readonly name: string;
  /** Every parameter the term reads. */
  parameters(): Parameter[];
  /** Compile against the frozen fit space. */
  bind(space: FitSpace): BoundTerm;
}

export interface JointObjectiveOptions {
  /** Names `expr` constraints may refer to (e.g. the problem file's shared `parameters`). */
  named?: ReadonlyMap<string, Parameter>;
  /** Display names for parameters (e.g. the shared name, else the JSON path). @default Parameter.name */
  displayName?: (parameter: Parameter) => string;
}

/**
 * A joint objective over several terms; implements the fitters' contract.
 * Shared parameters count once; fixed and constrained parameters are not in θ.
 */
export class JointObjective implements FitObjective {
  readonly terms: readonly ObjectiveTerm[];
  readonly space: FitSpace;
  readonly names: readonly string[];
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly nResiduals: number;
  readonly #bound: BoundTerm[];
  readonly #offsets: Int32Array;
  readonly #values: Float64Array;
  readonly #scratch: Float64Array;

  /**
   * @throws UnknownParameterError / ConstraintCycleError for bad constraints
   */
  constructor(terms: readonly ObjectiveTerm[], options: JointObjectiveOptions = {}) {
    this.terms = terms;
    const set = new ParameterSet(
      terms.flatMap((t) => t.parameters()),
      options.named ? { named: options.named } : {},
    );
    this.space = set.fitSpace();
    const display = options.displayName ?? ((p: Parameter) => p.name);
    this.names = this.space.varying.map(display);
    this.lower = this.space.lower;
    this.upper = this.space.upper;
    this.#bound = terms.map((t) => t.bind(this.space));
    this.#offsets = new Int32Array(terms.length + 1);
    for (let k = 0; k < terms.length; k++) this.#offsets[k + 1] = this.#offsets[k] + this.#bound[k].nResiduals;
    this.nResiduals = this.#offsets[terms.length];
    this.#values = this.space.createValues();
    this.#scratch = new Float64Array(this.nResiduals);
  }

  /** Number of free parameters. */
  get dimension(): number {
    return this.space.dimension;
  }

  initial(): Float64Array {
    return this.space.toVector();
  }

  /** All parameter values (slot order) at θ, in an internal buffer valid until the next call. */
  valuesAt(theta: Float64Array): Float64Array {
    return this.space.fromVector(theta, this.#values);
  }

  residuals(theta: Float64Array, out?: Float64Array): Float64Array {
    const result = out ?? new Float64Array(this.nResiduals);
    const values = this.space.fromVector(theta, this.#values);
    for (let k = 0; k < this.#bound.length; k++) this.#bound[k].residuals(values, result, this.#offsets[k]);
    return result;
  }

  logPrior(theta: Float64Array): number {
    return this.space.logPrior(theta);
  }

  logLikelihood(theta: Float64Array): number {
    const values = this.space.fromVector(theta, this.#values);
    const r = this.#scratch;
    let total = 0;
    for (let k = 0; k < this.#bound.length; k++) {
      const term = this.#bound[k];
      term.residuals(values, r, this.#offsets[k]);
      total += term.logLikelihood(values, r, this.#offsets[k]);
    }
    if (total !== total) {
      throw new FitAbortedError("nan", `the model gave NaN at θ = [${Array.from(theta, (x) => x.toPrecision(6)).join(", ")}] (${this.names.join(", ")})`);
    }
    return total;
  }

  logPosterior(theta: Float64Array): number {
    const prior = this.space.logPrior(theta);
    if (prior === -Infinity) return -Infinity;
    return prior + this.logLikelihood(theta);
  }
}
