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

/** A normal prior on one free parameter of an objective (index into its θ). */
export interface GaussianPriorResidual {
  index: number;
  mean: number;
  sd: number;
}

/**
 * The objective with normal priors as extra residuals (θ_i − mean)/sd after the data's, so a
 * least-squares fitter weighs them as measurements (the MAP under those priors; the Jacobian's
 * covariance then includes them) — bumps' and refl1d's treatment of Gaussian priors in LM.
 * The first `objective.nResiduals` residuals are the data's. logPrior adds the priors'
 * log densities; logLikelihood is the data's.
 * @throws RangeError for a prior whose index is out of range or whose sd is not positive and finite
 */
export function withGaussianPriors(objective: FitObjective, priors: readonly GaussianPriorResidual[]): FitObjective {
  for (const p of priors) {
    if (!(Number.isInteger(p.index) && p.index >= 0 && p.index < objective.names.length)) throw new RangeError(`prior index ${p.index} outside 0…${objective.names.length - 1}`);
    if (!(p.sd > 0 && Number.isFinite(p.sd) && Number.isFinite(p.mean))) throw new RangeError(`prior on ${objective.names[p.index]}: mean ${p.mean}, sd ${p.sd} must be finite with sd > 0`);
  }
  const n = objective.nResiduals;
  const index = Int32Array.from(priors.map((p) => p.index));
  const mean = Float64Array.from(priors.map((p) => p.mean));
  const inverseSd = Float64Array.from(priors.map((p) => 1 / p.sd));
  const logNormalisation = priors.reduce((sum, p) => sum - Math.log(p.sd) - 0.5 * Math.log(2 * Math.PI), 0);
  const priorLog = (theta: Float64Array): number => {
    let sum = logNormalisation;
    for (let k = 0; k < index.length; k++) {
      const z = (theta[index[k]] - mean[k]) * inverseSd[k];
      sum -= 0.5 * z * z;
    }
    return sum;
  };
  return {
    names: objective.names,
    lower: objective.lower,
    upper: objective.upper,
    nResiduals: n + priors.length,
    initial: () => objective.initial(),
    residuals: (theta, out) => {
      const result = out ?? new Float64Array(n + priors.length);
      // the data's residuals fill result[0, n) (objectives write only their own nResiduals)
      objective.residuals(theta, result);
      for (let k = 0; k < index.length; k++) result[n + k] = (theta[index[k]] - mean[k]) * inverseSd[k];
      return result;
    },
    logPrior: (theta) => objective.logPrior(theta) + priorLog(theta),
    logLikelihood: (theta) => objective.logLikelihood(theta),
    logPosterior: (theta) => {
      const base = objective.logPrior(theta);
      if (base === -Infinity) return -Infinity;
      return base + priorLog(theta) + objective.logLikelihood(theta);
    },
  };
}
