/**
 * Runs the NIST StRD fits and scores them in digits (log relative error),
 * shared by `nist.test.ts` and `digitsTable.ts`.
 *
 * Scoring: digits = −log10(|est − cert| / |cert|), capped at 15.
 * Standard errors are NIST's (scaled) convention, σ_j = √(diag((JᵀJ)⁻¹)·RSS/(n − p)),
 * scored two ways:
 * - `stderrOwn`: with the fitter's own RSS (what `levenbergMarquardt` reports);
 * - `stderrCertifiedRss`: the fitter's unscaled (JᵀJ)⁻¹ with the certified RSS,
 *   which isolates the covariance from the RSS. It matters for Lanczos1 only:
 *   its certified RSS (1.4e-25) means residuals ≈ 8e-14, of which float64 model
 *   evaluation (terms of order 1, rounding ≈ 2e-16 each) gets only 2–3 digits right.
 */
import { differentialEvolution } from "../../src/optimize/differentialEvolution.ts";
import { levenbergMarquardt } from "../../src/optimize/levenbergMarquardt.ts";
import type { LevenbergMarquardtOptions } from "../../src/optimize/levenbergMarquardt.ts";
import type { NistProblem } from "./nistData.ts";
import { digits, nistObjective } from "./nistModels.ts";

/** Problems where plain LM may fail from start 1 (MINPACK does); the global path must succeed there. */
export const NIST_GLOBAL_START1 = ["MGH09", "MGH17", "BoxBOD"] as const;

/** Problems whose certified RSS is below what float64 residuals can resolve (see the module note). */
export const NIST_FLOAT64_LIMITED_RSS = ["Lanczos1"] as const;

/**
 * Search box of the global path, from the start values alone: three decades
 * either side of each start value, searched on a log scale (the sign of the
 * start is kept). No certified value is used.
 */
export function nistGlobalBox(problem: NistProblem, start: 1 | 2): { lower: number[]; upper: number[] } {
  const s = problem.parameters.map((q) => (start === 1 ? q.start1 : q.start2));
  return {
    lower: s.map((v) => (v > 0 ? v / 1000 : v * 1000)),
    upper: s.map((v) => (v > 0 ? v * 1000 : v / 1000)),
  };
}

export interface NistScore {
  readonly problem: string;
  readonly start: 1 | 2;
  readonly method: "lm" | "global";
  /** Minimum digits over the parameters. */
  readonly params: number;
  /** Minimum digits over the standard errors, fitter's own RSS. */
  readonly stderrOwn: number;
  /** Minimum digits over the standard errors, certified RSS. */
  readonly stderrCertifiedRss: number;
  /** Digits of the RSS. */
  readonly rss: number;
  readonly status: string;
  readonly evaluations: number;
  readonly error?: string;
}

/** Fits one problem from one start with LM (or the DE + LM global path) and scores it. */
export function scoreNist(problem: NistProblem, start: 1 | 2, method: "lm" | "global", lmOptions: LevenbergMarquardtOptions = {}): NistScore {
  const objective = nistObjective(problem, { start });
  const base = { problem: problem.name, start, method };
  try {
    let fit;
    let status: string;
    let evaluations: number;
    if (method === "lm") {
      fit = levenbergMarquardt(objective, lmOptions);
      status = fit.status;
      evaluations = fit.evaluations;
    } else {
      const box = nistGlobalBox(problem, start);
      const de = differentialEvolution(objective, { seed: 1, lower: box.lower, upper: box.upper, logScale: true, polish: lmOptions });
      if (!de.polish) throw new Error(`no polish: ${de.warnings.join("; ")}`);
      fit = de.polish;
      status = `${de.status}+${fit.status}`;
      evaluations = de.evaluations + fit.evaluations;
    }
    const nu = problem.nObs - problem.parameters.length;
    let params = Infinity;
    let stderrOwn = Infinity;
    let stderrCertifiedRss = Infinity;
    problem.parameters.forEach((q, j) => {
      params = Math.min(params, digits(fit.values[j], q.certified));
      stderrOwn = Math.min(stderrOwn, digits(fit.stderr[j], q.certifiedSd));
      stderrCertifiedRss = Math.min(stderrCertifiedRss, digits(fit.stderrUnscaled[j] * Math.sqrt(problem.rssCertified / nu), q.certifiedSd));
    });
    return { ...base, params, stderrOwn, stderrCertifiedRss, rss: digits(fit.chi2, problem.rssCertified), status, evaluations };
  } catch (error) {
    return {
      ...base,
      params: 0,
      stderrOwn: 0,
      stderrCertifiedRss: 0,
      rss: 0,
      status: "error",
      evaluations: 0,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}
