/**
 * @module optimize/objective
 * The contract between objectives and fitters. Fitters see only this interface:
 * a vector θ of the varying (free) parameters in fit space, their bounds, and
 * functions of θ. Nothing here knows about reflectivity, circuits or files.
 */

export interface FitObjective {
  /** Names of the free parameters, in vector order. */
  readonly names: readonly string[];
  /** Lower bounds (−Infinity where unbounded), one per free parameter. */
  readonly lower: Float64Array;
  /** Upper bounds (+Infinity where unbounded). */
  readonly upper: Float64Array;
  /** Current (starting) values of the free parameters. */
  initial(): Float64Array;
  /** Number of residuals returned by {@link residuals}. */
  readonly nResiduals: number;
  /**
   * Weighted residuals (model − data)/σ at θ, written into `out`.
   * χ² = Σ residuals². Must not allocate when `out` is given.
   */
  residuals(theta: Float64Array, out?: Float64Array): Float64Array;
  /** log prior density at θ (−Infinity outside the support). */
  logPrior(theta: Float64Array): number;
  /** log likelihood at θ (full normalisation included). */
  logLikelihood(theta: Float64Array): number;
  /** logPrior + logLikelihood, −Infinity outside the support. */
  logPosterior(theta: Float64Array): number;
}

/**
 * The same objective with another starting point (`initial()` returns a copy of `start`);
 * every other member delegates to `objective`.
 */
export function startingAt(objective: FitObjective, start: ArrayLike<number>): FitObjective {
  const values = Float64Array.from(start);
  return {
    names: objective.names,
    lower: objective.lower,
    upper: objective.upper,
    nResiduals: objective.nResiduals,
    initial: () => Float64Array.from(values),
    residuals: (t, out) => objective.residuals(t, out),
    logPrior: (t) => objective.logPrior(t),
    logLikelihood: (t) => objective.logLikelihood(t),
    logPosterior: (t) => objective.logPosterior(t),
  };
}

/**
 * The objective with parameter `at` held at `value`: its names, bounds and vectors lack
 * that parameter, and every call inserts it. `initial()` is `start` without it.
 * {@link expandHeld} turns a reduced vector back into a full one.
 */
export function holding(objective: FitObjective, at: number, value: number, start: ArrayLike<number> = objective.initial()): FitObjective {
  const keep = Array.from({ length: objective.names.length }, (_, j) => j).filter((j) => j !== at);
  const full = new Float64Array(objective.names.length);
  full[at] = value;
  const expand = (theta: ArrayLike<number>): Float64Array => {
    keep.forEach((j, i) => (full[j] = theta[i]));
    return full;
  };
  return {
    names: keep.map((j) => objective.names[j]),
    lower: Float64Array.from(keep, (j) => objective.lower[j]),
    upper: Float64Array.from(keep, (j) => objective.upper[j]),
    nResiduals: objective.nResiduals,
    initial: () => Float64Array.from(keep, (j) => start[j]),
    residuals: (theta, out) => objective.residuals(expand(theta), out),
    logPrior: (theta) => objective.logPrior(expand(theta)),
    logLikelihood: (theta) => objective.logLikelihood(expand(theta)),
    logPosterior: (theta) => objective.logPosterior(expand(theta)),
  };
}

/** A reduced vector of {@link holding}'s objective as a full one (a new array; `at` set to `value`). */
export function expandHeld(reduced: ArrayLike<number>, at: number, value: number): Float64Array {
  const full = new Float64Array(reduced.length + 1);
  for (let j = 0, i = 0; j < full.length; j++) full[j] = j === at ? value : reduced[i++];
  return full;
}
