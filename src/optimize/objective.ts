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
