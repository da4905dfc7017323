/**
 * @module fit/priorComparison
 * Which parameters the data constrain: each varying parameter's posterior width set
 * against its prior's (the prior restricted to the bounds; no prior = uniform over the
 * bounds). A ratio near 1 means the answer is the prior's — the data added little; a
 * small ratio means the data decided. After MCMC the posterior sd is the chain's; after
 * least squares it is the Gaussian approximation 1/√(1/se² + 1/sd_prior²), the LM
 * standard error (which ignores the prior) combined with the prior's sd.
 * Units: each parameter's own.
 */
import { priorStandardDeviation } from "../params/prior.ts";
import type { FitSpace } from "../params/fitSpace.ts";

/** Posterior sd at most this fraction of the prior's: the data decided the value. */
export const DATA_CONSTRAINED_RATIO = 0.5;
/** Posterior sd at least this fraction of the prior's: the value is the prior's (the data narrowed it by ≤ 10 %). */
export const PRIOR_DOMINATED_RATIO = 0.9;

export type ConstrainedBy = "data" | "data and prior" | "prior";

export interface PriorComparisonEntry {
  /** sd of the prior within the bounds; null when that prior is improper (flat, unbounded) */
  readonly priorSd: number | null;
  /** the posterior's sd (see the module header); null when the fit gave no finite width */
  readonly posteriorSd: number | null;
  /** posteriorSd / priorSd; null when either is null */
  readonly ratio: number | null;
  /** data: ratio ≤ {@link DATA_CONSTRAINED_RATIO}; prior: ≥ {@link PRIOR_DOMINATED_RATIO}; null when no ratio */
  readonly constrainedBy: ConstrainedBy | null;
}

export interface PriorComparison {
  /** where posteriorSd comes from, in words */
  readonly from: string;
  readonly parameters: Record<string, PriorComparisonEntry>;
}

/** The verdict for a posterior-to-prior width ratio. */
export function constrainedBy(ratio: number): ConstrainedBy {
  return ratio <= DATA_CONSTRAINED_RATIO ? "data" : ratio >= PRIOR_DOMINATED_RATIO ? "prior" : "data and prior";
}

/**
 * @param space - the fit space (its `varying` parameters in the order of `names`)
 * @param names - display names of the varying parameters
 * @param widths - per varying parameter: the posterior sd (MCMC) or the LM standard error
 * @param posterior - true when `widths` are posterior sds; false for LM standard errors
 */
export function comparePosteriorWithPrior(space: FitSpace, names: readonly string[], widths: ArrayLike<number>, posterior: boolean): PriorComparison {
  const parameters: Record<string, PriorComparisonEntry> = {};
  space.varying.forEach((parameter, i) => {
    const priorSd = priorStandardDeviation(parameter.prior, parameter.bounds.min, parameter.bounds.max) ?? null;
    const w = widths[i];
    let posteriorSd: number | null = null;
    if (Number.isFinite(w) && w >= 0) posteriorSd = posterior || priorSd === null ? w : 1 / Math.sqrt(1 / (w * w) + 1 / (priorSd * priorSd));
    const ratio = posteriorSd !== null && priorSd !== null && priorSd > 0 ? posteriorSd / priorSd : null;
    parameters[names[i]] = { priorSd, posteriorSd, ratio, constrainedBy: ratio === null ? null : constrainedBy(ratio) };
  });
  const from = posterior
    ? "the MCMC posterior's sd against the prior's sd within the bounds (no prior: uniform over the bounds)"
    : "the least-squares standard error combined with the prior's sd, 1/√(1/se² + 1/sd²) (Gaussian approximation), against the prior's sd within the bounds (no prior: uniform over the bounds); the least-squares values themselves ignore priors";
  return { from, parameters };
}
