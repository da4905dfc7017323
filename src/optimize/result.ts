/**
 * @module optimize/result
 * Result types returned by the fitters. Results are plain data: every array is
 * a fresh copy owned by the result, nothing refers back to the objective, and
 * writing values back into a model is a separate, explicit step.
 *
 * Matrices are p×p `Float64Array`s in row-major order, p = number of free
 * parameters, in the order of `names`.
 */
import { centralIntervals } from "../core/quantiles.ts";

/** Why a least-squares run stopped. */
export type LeastSquaresStatus =
  /** Relative χ² reduction (actual and predicted) fell below `ftol`. */
  | "chi2"
  /** Relative parameter step fell below `xtol`. */
  | "parameters"
  /** The gradient's largest cosine with a Jacobian column fell below `gtol`. */
  | "gradient"
  /** χ² reached zero to working precision. */
  | "zeroChi2"
  /** The evaluation budget ran out before convergence. */
  | "maxEvaluations"
  /** The progress callback returned `false`. */
  | "cancelled";

/** Outcome of {@link levenbergMarquardt} (and of a polished global fit). */
export interface LeastSquaresResult {
  /** Names of the free parameters, in vector order. */
  readonly names: readonly string[];
  /** Best-fit values (original, untransformed parameter space). */
  readonly values: Float64Array;
  /** The starting values actually used. */
  readonly initial: Float64Array;
  /** Standard errors: √diag(covariance). NaN where undetermined (singular Jacobian or ν ≤ 0). */
  readonly stderr: Float64Array;
  /** Standard errors from the unscaled covariance (JᵀJ)⁻¹, i.e. assuming the σ's are absolute. */
  readonly stderrUnscaled: Float64Array;
  /** Covariance reported (scaled by χ²/ν when `scaleCovar`, otherwise equal to `covarianceUnscaled`). */
  readonly covariance: Float64Array;
  /** (JᵀJ)⁻¹ at the solution, J from Ridders-extrapolated central differences in original space. */
  readonly covarianceUnscaled: Float64Array;
  /** Correlation matrix derived from the covariance (NaN rows/columns where stderr is NaN). */
  readonly correlation: Float64Array;
  /** Whether `covariance` was scaled by the reduced χ² (lmfit/scipy `absolute_sigma=False`). */
  readonly scaleCovar: boolean;
  /** χ² = Σ residuals² at the solution. */
  readonly chi2: number;
  /** χ² / ν with ν = nData − nFree (NaN when ν ≤ 0). */
  readonly reducedChi2: number;
  /** Number of free parameters p. */
  readonly nFree: number;
  /** Number of residuals n. */
  readonly nData: number;
  /** Residuals at the solution (a copy). */
  readonly residuals: Float64Array;
  /** Residual evaluations, including Jacobians and the final covariance Jacobian. */
  readonly evaluations: number;
  /** Outer iterations (Jacobian evaluations during the descent). */
  readonly iterations: number;
  /** True when a convergence criterion was met (status chi2, parameters, gradient or zeroChi2). */
  readonly converged: boolean;
  /** Why the run stopped. */
  readonly status: LeastSquaresStatus;
  /** One-line human-readable summary of the stopping reason. */
  readonly message: string;
  /** Numerical rank of the Jacobian used for the covariance (p when well determined). */
  readonly rank: number;
  /** Non-fatal issues, de-duplicated, in order of first occurrence. */
  readonly warnings: readonly string[];
}

/** Per-parameter posterior summary from a sampler (percentiles as in core/quantiles: type 7). */
export interface PosteriorSummary {
  readonly name: string;
  readonly mean: number;
  readonly sd: number;
  /** 50th percentile. */
  readonly median: number;
  /** 16th percentile (lower end of the central 68 % interval). */
  readonly lo68: number;
  /** 84th percentile. */
  readonly hi68: number;
  /** 2.5th percentile (lower end of the central 95 % interval). */
  readonly lo95: number;
  /** 97.5th percentile. */
  readonly hi95: number;
}

/** A de-duplicating, order-preserving list of warning strings. */
export class Warnings {
  private readonly seen = new Set<string>();
  private readonly list: string[] = [];
  /** Adds a warning unless the same text was already added. */
  add(message: string): void {
    if (this.seen.has(message)) return;
    this.seen.add(message);
    this.list.push(message);
  }
  /** Adds every warning of another list. */
  addAll(messages: readonly string[]): void {
    for (const m of messages) this.add(m);
  }
  /** A frozen copy of the warnings so far. */
  toArray(): readonly string[] {
    return Object.freeze([...this.list]);
  }
}

/**
 * Correlation matrix from a covariance: C_ij / √(C_ii·C_jj).
 *
 * @param covariance p×p row-major
 * @param p order
 * @returns a new p×p matrix (NaN where a variance is not positive and finite)
 */
export function correlationFromCovariance(covariance: Float64Array, p: number): Float64Array {
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      const d = Math.sqrt(covariance[i * p + i] * covariance[j * p + j]);
      out[i * p + j] = i === j && d > 0 && Number.isFinite(d) ? 1 : d > 0 && Number.isFinite(d) ? covariance[i * p + j] / d : Number.NaN;
    }
  }
  return out;
}

/**
 * Summary statistics of one parameter's samples.
 *
 * @param name parameter name
 * @param samples the samples (not modified)
 * @returns mean, sd, median and the central 68 % and 95 % intervals
 */
export function summarise(name: string, samples: Float64Array): PosteriorSummary {
  const n = samples.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (samples[i] - mean) ** 2;
  return {
    name,
    mean,
    sd: n > 1 ? Math.sqrt(ss / (n - 1)) : Number.NaN,
    ...centralIntervals(samples),
  };
}
