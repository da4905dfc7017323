/**
 * @module optimize/levenbergMarquardt
 * Bounded Levenberg–Marquardt least squares on a {@link FitObjective}.
 *
 * Method (classic Marquardt, no geodesic acceleration):
 * - **Bounds** by the MINUIT/lmfit change of variables to an unbounded internal
 *   vector u: both bounds x = lo + (sin u + 1)(hi − lo)/2; lower only
 *   x = lo − 1 + √(u² + 1); upper only x = hi + 1 − √(u² + 1); none x = u.
 *   The one-sided forms are evaluated without cancellation
 *   (√(u²+1) − 1 = u²/(√(u²+1) + 1)). Values are never clamped. A start exactly
 *   on a bound (where the transform's slope is zero) is moved inside by
 *   1e-8 of the scale, with a warning. Between two bounds, a start closer than
 *   {@link NEAR_BOUND_FRACTION} of the range to one is moved to that distance:
 *   the sine transform's slope falls as √(distance·range), so a warm start from a
 *   fit that ended on a bound (roughness 2.5·10⁻¹⁰ Å of [0, 60]) has a gradient
 *   of ~10⁻⁴ of the interior's and LM reports convergence there even when the
 *   optimum is inside (issue 13, population seed 8, cell E: χ² 579 at roughness
 *   2.5·10⁻¹⁰ Å against 378 at 5.2 Å from any start ≥ 0.01 Å).
 * - **Jacobian** in internal space by forward differences (default) or central
 *   differences, step h = diffStep·|u| (diffStep when u = 0). With `refine`
 *   (default), a run that converged on forward differences continues on central
 *   differences until it converges again: the O(h) error of forward differences
 *   otherwise biases the solution (ENSO's parameters go from 4.2 to 5.2 digits).
 * - **Step**: minimise ‖r + Jδ‖² + μ‖Dδ‖² with D the running maximum of the
 *   Jacobian column norms (Moré's scaling, so μ·D² is Marquardt's μ·diag(JᵀJ)).
 *   Solved through a one-sided Jacobi SVD of J·D⁻¹, so every trial μ costs
 *   O(p²) and the normal equations are never formed.
 * - **Damping**, two controls:
 *   `"trust-region"` (default; MINPACK lmdif's): the step is bounded, ‖Dδ‖ ≤ Δ,
 *   μ = 0 when the Gauss–Newton step fits, else μ solves ‖Dδ(μ)‖ = Δ (±10 %);
 *   Δ₀ = `stepBound`·‖Du₀‖, Δ shrinks (×0.1–0.5) when the gain ratio ρ ≤ ¼ and
 *   becomes 2‖Dδ‖ when ρ ≥ ¾; a step is accepted when ρ ≥ 1e-4.
 *   `"nielsen"`: on acceptance (ρ > 0) μ ← μ·max(1/3, 1 − (2ρ − 1)³), ν ← 2; on
 *   rejection μ ← μ·ν, ν ← 2ν; μ₀ = `initialDamping`·max diag((JD⁻¹)ᵀ(JD⁻¹)).
 *   The trust region is the default because Nielsen's rule fails NIST MGH10
 *   from start 1 for every τ (1e-9…100) and step tried, while the trust region
 *   passes all NIST problems MINPACK passes (about the same number of
 *   evaluations as Nielsen's on the problems both solve).
 * - **Stopping** (MINPACK-like): relative χ² reduction, actual and predicted, ≤ `ftol`;
 *   scaled step (or trust radius) ≤ `xtol`·‖Du‖; largest cosine between the residual
 *   vector and a Jacobian column ≤ `gtol`; χ² = 0; or the evaluation budget.
 * - **Uncertainties** at the final point in the ORIGINAL parameter space, with a
 *   fresh Jacobian from Ridders-extrapolated central differences (one-sided
 *   Richardson next to a bound), column-scaled, through a Jacobi SVD:
 *   (JᵀJ)⁻¹ = D⁻¹VΣ⁻²VᵀD⁻¹. Scaled by χ²/ν (ν = n − p) when `scaleCovar`.
 *
 * Non-finite residuals at a trial point reject that step (counted in a warning);
 * at the starting point they raise {@link FitAbortedError} with reason `"nan"`.
 *
 * @see K. Levenberg (1944); D. W. Marquardt, SIAM J. Appl. Math. 11 (1963) 431;
 *   J. J. Moré, "The Levenberg–Marquardt algorithm: implementation and theory" (1978);
 *   H. B. Nielsen, "Damping parameter in Marquardt's method", IMM-REP-1999-05;
 *   F. James, MINUIT reference manual §1.3 (parameter transformations).
 */

import { FitAbortedError, ValidationError, formatValue } from "../core/errors.ts";
import type { FitObjective } from "./objective.ts";
import { inverseGram, jacobiSvd } from "../core/linalg.ts";
import type { ThinSvd } from "../core/linalg.ts";
import { Warnings, correlationFromCovariance } from "./result.ts";
import type { LeastSquaresResult, LeastSquaresStatus } from "./result.ts";

const EPS = 2.220446049250313e-16;

/** What the progress callback receives once per iteration. */
export interface LeastSquaresProgress {
  /** Outer iteration number (1-based). */
  readonly iteration: number;
  /** Residual evaluations so far. */
  readonly evaluations: number;
  /** Current (best) χ². */
  readonly chi2: number;
  /** Current values (a copy). */
  readonly values: Float64Array;
}

/** Options of {@link levenbergMarquardt}. */
export interface LevenbergMarquardtOptions {
  /** Starting values (not modified). @default objective.initial() */
  readonly initial?: Float64Array;
  /**
   * Residual-evaluation budget of the descent, Jacobians included. The final
   * covariance Jacobian (Ridders, at most 28 evaluations per parameter) comes on top.
   * @default 2000·(p + 1)
   */
  readonly maxEvaluations?: number;
  /** Relative χ² reduction tolerance (actual and predicted). @default 1e-12 */
  readonly ftol?: number;
  /** Relative scaled-step tolerance. @default 1e-12 */
  readonly xtol?: number;
  /** Gradient cosine tolerance. @default 1e-10 */
  readonly gtol?: number;
  /** Finite-difference scheme for the iterations. @default "forward" */
  readonly jacobian?: "forward" | "central";
  /** Relative finite-difference step. @default √ε ≈ 1.5e-8 (forward), ε^(1/3) ≈ 6e-6 (central) */
  readonly diffStep?: number;
  /**
   * How the damping μ is controlled. `"trust-region"`: Moré's (MINPACK lmdif's)
   * step bound ‖Dδ‖ ≤ Δ, μ solved from the bound, Δ updated from the gain ratio.
   * `"nielsen"`: μ updated directly by Nielsen's rule. @default "trust-region"
   */
  readonly damping?: "trust-region" | "nielsen";
  /** Trust region: initial step bound Δ₀ = stepBound·‖Du₀‖ (MINPACK's `factor`). @default 100 */
  readonly stepBound?: number;
  /** Nielsen: initial damping factor τ (μ₀ = τ·max diag of the scaled JᵀJ). @default 1e-3 */
  readonly initialDamping?: number;
  /**
   * After converging on forward differences, continue with central differences
   * until converged again (removes the O(h) bias of forward differences; costs a
   * few iterations of 2·p evaluations). @default true
   */
  readonly refine?: boolean;
  /** Scale the covariance by χ²/ν (σ's known only up to a factor). @default true */
  readonly scaleCovar?: boolean;
  /** Compute the covariance at the solution (costs 4·p evaluations). @default true */
  readonly computeCovariance?: boolean;
  /** Called after each Jacobian; return `false` to stop (status `"cancelled"`). */
  readonly progress?: (info: LeastSquaresProgress) => void | boolean;
}

/** Options after defaults are applied. */
export interface ResolvedLevenbergMarquardtOptions {
  readonly initial: Float64Array;
  readonly maxEvaluations: number;
  readonly ftol: number;
  readonly xtol: number;
  readonly gtol: number;
  readonly jacobian: "forward" | "central";
  readonly diffStep: number;
  readonly damping: "trust-region" | "nielsen";
  readonly stepBound: number;
  readonly initialDamping: number;
  readonly refine: boolean;
  readonly scaleCovar: boolean;
  readonly computeCovariance: boolean;
  readonly progress: ((info: LeastSquaresProgress) => void | boolean) | undefined;
}

function positive(path: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw new ValidationError(path, "must be a positive finite number", value);
  return value;
}

function nonNegative(path: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value >= 0) || !Number.isFinite(value)) throw new ValidationError(path, "must be a non-negative finite number", value);
  return value;
}

/**
 * Checks the objective's shape and applies defaults.
 *
 * @param objective the objective (read only)
 * @param options caller options
 * @returns fully resolved options; `initial` is a fresh copy
 * @throws {ValidationError} on inconsistent lengths, non-finite starts, starts outside the bounds or bad options
 */
export function resolveLevenbergMarquardtOptions(
  objective: FitObjective,
  options: LevenbergMarquardtOptions = {},
): ResolvedLevenbergMarquardtOptions {
  const p = objective.names.length;
  checkObjectiveShape(objective);
  const initial = Float64Array.from(options.initial ?? objective.initial());
  if (initial.length !== p) throw new ValidationError("initial", `must have ${p} values (one per free parameter)`, initial.length);
  for (let j = 0; j < p; j++) {
    const name = objective.names[j];
    if (!Number.isFinite(initial[j])) throw new ValidationError(`initial.${name}`, "must be finite", initial[j]);
    if (initial[j] < objective.lower[j] || initial[j] > objective.upper[j]) {
      throw new ValidationError(
        `initial.${name}`,
        `start is outside the bounds [${objective.lower[j]}, ${objective.upper[j]}]`,
        initial[j],
      );
    }
  }
  const jacobian = options.jacobian ?? "forward";
  if (jacobian !== "forward" && jacobian !== "central") throw new ValidationError("jacobian", 'must be "forward" or "central"', jacobian);
  const damping = options.damping ?? "trust-region";
  if (damping !== "trust-region" && damping !== "nielsen") throw new ValidationError("damping", 'must be "trust-region" or "nielsen"', damping);
  const maxEvaluations = options.maxEvaluations ?? 2000 * (p + 1);
  if (!Number.isInteger(maxEvaluations) || maxEvaluations < 1) throw new ValidationError("maxEvaluations", "must be a positive integer", maxEvaluations);
  return {
    initial,
    maxEvaluations,
    ftol: nonNegative("ftol", options.ftol, 1e-12),
    xtol: nonNegative("xtol", options.xtol, 1e-12),
    gtol: nonNegative("gtol", options.gtol, 1e-10),
    jacobian,
    diffStep: positive("diffStep", options.diffStep, jacobian === "forward" ? Math.sqrt(EPS) : Math.cbrt(EPS)),
    damping,
    stepBound: positive("stepBound", options.stepBound, 100),
    initialDamping: positive("initialDamping", options.initialDamping, 1e-3),
    refine: options.refine ?? true,
    scaleCovar: options.scaleCovar ?? true,
    computeCovariance: options.computeCovariance ?? true,
    progress: options.progress,
  };
}

/**
 * Validates the parts of a {@link FitObjective} every fitter relies on.
 * @throws {ValidationError} naming the offending field
 */
export function checkObjectiveShape(objective: FitObjective): void {
  const p = objective.names.length;
  if (p === 0) throw new ValidationError("objective.names", "there are no free parameters to fit", p);
  if (objective.lower.length !== p) throw new ValidationError("objective.lower", `must have ${p} values`, objective.lower.length);
  if (objective.upper.length !== p) throw new ValidationError("objective.upper", `must have ${p} values`, objective.upper.length);
  for (let j = 0; j < p; j++) {
    const lo = objective.lower[j];
    const hi = objective.upper[j];
    if (Number.isNaN(lo) || Number.isNaN(hi) || !(lo < hi)) {
      throw new ValidationError(`objective.bounds.${objective.names[j]}`, "lower must be < upper", [lo, hi]);
    }
  }
  if (!Number.isInteger(objective.nResiduals) || objective.nResiduals < 1) {
    throw new ValidationError("objective.nResiduals", "must be a positive integer", objective.nResiduals);
  }
}

/** Bound kinds of the change of variables. */
const BoundKind = { None: 0, Both: 1, Lower: 2, Upper: 3 } as const;

/**
 * Between two bounds, a start closer than this fraction of the range to either is moved
 * to this distance (see the module notes): the transform's slope there is
 * √(fraction)·range ≈ 6 % of its largest (range/2), enough for LM to leave a bound the data do not
 * want, and the move is below any parameter's resolution (0.06 Å of a [0, 60] Å roughness).
 */
export const NEAR_BOUND_FRACTION = 1e-3;

/** The MINUIT/lmfit change of variables between bounded x and unbounded u. */
class BoundsTransform {
  readonly kind: Uint8Array;
  constructor(
    readonly lower: Float64Array,
    readonly upper: Float64Array,
  ) {
    const p = lower.length;
    this.kind = new Uint8Array(p);
    for (let j = 0; j < p; j++) {
      const lo = Number.isFinite(lower[j]);
      const hi = Number.isFinite(upper[j]);
      this.kind[j] = lo && hi ? BoundKind.Both : lo ? BoundKind.Lower : hi ? BoundKind.Upper : BoundKind.None;
    }
  }

  toInternal(x: Float64Array, u: Float64Array): void {
    for (let j = 0; j < x.length; j++) {
      const lo = this.lower[j];
      const hi = this.upper[j];
      switch (this.kind[j]) {
        case BoundKind.Both:
          u[j] = Math.asin(Math.min(1, Math.max(-1, (2 * (x[j] - lo)) / (hi - lo) - 1)));
          break;
        case BoundKind.Lower: {
          const d = x[j] - lo;
          u[j] = Math.sqrt(d * (d + 2));
          break;
        }
        case BoundKind.Upper: {
          const d = hi - x[j];
          u[j] = Math.sqrt(d * (d + 2));
          break;
        }
        default:
          u[j] = x[j];
      }
    }
  }

  fromInternal(u: Float64Array, x: Float64Array): void {
    for (let j = 0; j < u.length; j++) {
      const uj = u[j];
      switch (this.kind[j]) {
        case BoundKind.Both:
          x[j] = this.lower[j] + ((Math.sin(uj) + 1) * (this.upper[j] - this.lower[j])) / 2;
          break;
        case BoundKind.Lower:
          x[j] = this.lower[j] + (uj * uj) / (Math.sqrt(uj * uj + 1) + 1);
          break;
        case BoundKind.Upper:
          x[j] = this.upper[j] - (uj * uj) / (Math.sqrt(uj * uj + 1) + 1);
          break;
        default:
          x[j] = uj;
      }
    }
  }
}

/** Counts residual evaluations and enforces finiteness where required. */
class Evaluator {
  evaluations = 0;
  nonFinite = 0;
  constructor(
    private readonly objective: FitObjective,
    readonly n: number,
  ) {}

  /** Residuals into `out`; returns χ², or NaN if any residual is not finite. */
  chi2(x: Float64Array, out: Float64Array): number {
    this.evaluations++;
    const r = this.objective.residuals(x, out);
    if (r !== out) out.set(r);
    if (out.length !== this.n) {
      throw new ValidationError("objective.residuals", `returned ${out.length} values, expected nResiduals = ${this.n}`);
    }
    let s = 0;
    for (let i = 0; i < this.n; i++) s += out[i] * out[i];
    if (!Number.isFinite(s)) {
      this.nonFinite++;
      return Number.NaN;
    }
    return s;
  }
}

function describeTheta(names: readonly string[], x: Float64Array): string {
  return names.map((name, j) => `${name}=${formatValue(x[j])}`).join(", ");
}

/**
 * Finite-difference Jacobian of r(fromInternal(u)) with respect to u, column-major.
 * Falls back to a backward difference where the forward point is not finite.
 */
function internalJacobian(
  evaluator: Evaluator,
  transform: BoundsTransform,
  names: readonly string[],
  u: Float64Array,
  r: Float64Array,
  scheme: "forward" | "central",
  diffStep: number,
  jac: Float64Array,
  scratch: { u: Float64Array; x: Float64Array; rPlus: Float64Array; rMinus: Float64Array },
): void {
  const n = evaluator.n;
  const p = u.length;
  scratch.u.set(u);
  for (let j = 0; j < p; j++) {
    const uj = u[j];
    let h = diffStep * Math.abs(uj);
    if (h === 0) h = diffStep;
    const up = uj + h;
    const hPlus = up - uj;
    scratch.u[j] = up;
    transform.fromInternal(scratch.u, scratch.x);
    const okPlus = Number.isFinite(evaluator.chi2(scratch.x, scratch.rPlus));
    const col = j * n;
    if (scheme === "central" || !okPlus) {
      const um = uj - h;
      const hMinus = uj - um;
      scratch.u[j] = um;
      transform.fromInternal(scratch.u, scratch.x);
      const okMinus = Number.isFinite(evaluator.chi2(scratch.x, scratch.rMinus));
      if (okPlus && okMinus) {
        for (let i = 0; i < n; i++) jac[col + i] = (scratch.rPlus[i] - scratch.rMinus[i]) / (hPlus + hMinus);
      } else if (okMinus) {
        for (let i = 0; i < n; i++) jac[col + i] = (r[i] - scratch.rMinus[i]) / hMinus;
      } else if (okPlus) {
        for (let i = 0; i < n; i++) jac[col + i] = (scratch.rPlus[i] - r[i]) / hPlus;
      } else {
        transform.fromInternal(u, scratch.x);
        throw new FitAbortedError(
          "nan",
          `levenbergMarquardt: non-finite residuals on both sides of ${names[j]} while differentiating at ${describeTheta(names, scratch.x)}`,
        );
      }
    } else {
      for (let i = 0; i < n; i++) jac[col + i] = (scratch.rPlus[i] - r[i]) / hPlus;
    }
    scratch.u[j] = uj;
  }
}

/**
 * Accurate Jacobian of the residuals with respect to the ORIGINAL parameters x,
 * column-major. Each column comes from Ridders' method: central differences at
 * steps h₀, h₀/1.6, h₀/1.6², … (up to 14) extrapolated to h → 0 in a Neville tableau,
 * keeping the entry with the smallest error estimate (max-norm over residuals).
 * This adapts to each parameter's nonlinearity scale, which a step proportional
 * to |x| does not (e.g. a peak position of 450 with a width of 4).
 * h₀ = 0.05·|x| (0.05 when x = 0), reduced to stay inside the bounds; where
 * there is no room for a central difference, one-sided Richardson (O(h²)) is used.
 * Columns that cannot be formed are NaN.
 *
 * @see C. J. F. Ridders, Adv. Eng. Software 4 (1982) 75; Numerical Recipes §5.7.
 * @returns the Jacobian and the indices of parameters whose column is NaN
 */
function accurateJacobian(
  evaluator: Evaluator,
  x: Float64Array,
  r: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
): { jac: Float64Array; failed: number[] } {
  const n = evaluator.n;
  const p = x.length;
  const jac = new Float64Array(n * p);
  const xs = Float64Array.from(x);
  const plus = new Float64Array(n);
  const minus = new Float64Array(n);
  const failed: number[] = [];
  const tableSize = 14;
  const shrink = 1.6;
  const shrink2 = shrink * shrink;
  const tableau: Float64Array[][] = Array.from({ length: tableSize }, () => Array.from({ length: tableSize }, () => new Float64Array(n)));
  const evalAt = (j: number, value: number, out: Float64Array): boolean => {
    xs[j] = value;
    const ok = Number.isFinite(evaluator.chi2(xs, out));
    xs[j] = x[j];
    return ok;
  };
  const central = (j: number, h: number, out: Float64Array): boolean => {
    const a = x[j] + h;
    const b = x[j] - h;
    if (!evalAt(j, a, plus) || !evalAt(j, b, minus)) return false;
    const width = a - b;
    for (let i = 0; i < n; i++) out[i] = (plus[i] - minus[i]) / width;
    return true;
  };
  const maxDiff = (u: Float64Array, v: Float64Array): number => {
    let m = 0;
    for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(u[i] - v[i]));
    return m;
  };
  for (let j = 0; j < p; j++) {
    const xj = x[j];
    const scale = Math.abs(xj) > 0 ? Math.abs(xj) : 1;
    const col = j * n;
    const room = Math.min(xj - lower[j], upper[j] - xj);
    let h = Math.min(0.05 * scale, 0.999 * room);
    let best: Float64Array | undefined;
    if (h > 1e-6 * scale) {
      // First tableau entry; shrink h if the residuals are not finite there.
      let ok = central(j, h, tableau[0][0]);
      for (let attempt = 0; !ok && attempt < 10; attempt++) {
        h /= 4;
        ok = central(j, h, tableau[0][0]);
      }
      if (ok) {
        best = tableau[0][0];
        let err = Infinity;
        for (let i = 1; i < tableSize; i++) {
          h /= shrink;
          if (!central(j, h, tableau[0][i])) break;
          let fac = shrink2;
          for (let k = 1; k <= i; k++) {
            const cur = tableau[k][i];
            const left = tableau[k - 1][i];
            const diag = tableau[k - 1][i - 1];
            for (let m = 0; m < n; m++) cur[m] = (left[m] * fac - diag[m]) / (fac - 1);
            fac *= shrink2;
            const errt = Math.max(maxDiff(cur, left), maxDiff(cur, diag));
            if (errt <= err) {
              err = errt;
              best = cur;
            }
          }
          if (maxDiff(tableau[i][i], tableau[i - 1][i - 1]) >= 2 * err) break;
        }
      }
    }
    if (best) {
      jac.set(best, col);
      continue;
    }
    // One-sided Richardson towards the side with room: D(h) = (f(x+h) − f(x))/h, R = 2 D(h/2) − D(h).
    const ho = 1e-5 * scale;
    let done = false;
    for (const sign of upper[j] - xj >= xj - lower[j] ? [1, -1] : [-1, 1]) {
      const c1 = xj + sign * ho;
      const c2 = xj + (sign * ho) / 2;
      if (c1 > upper[j] || c1 < lower[j]) continue;
      if (!evalAt(j, c1, plus) || !evalAt(j, c2, minus)) continue;
      const s1 = c1 - xj;
      const s2 = c2 - xj;
      for (let i = 0; i < n; i++) jac[col + i] = 2 * ((minus[i] - r[i]) / s2) - (plus[i] - r[i]) / s1;
      done = true;
      break;
    }
    if (!done) {
      failed.push(j);
      for (let i = 0; i < n; i++) jac[col + i] = Number.NaN;
    }
  }
  return { jac, failed };
}

/** Covariance and standard errors at x (original space). */
interface CovarianceBlock {
  covarianceUnscaled: Float64Array;
  covariance: Float64Array;
  stderr: Float64Array;
  stderrUnscaled: Float64Array;
  correlation: Float64Array;
  rank: number;
}

function covarianceAt(
  evaluator: Evaluator,
  objective: FitObjective,
  x: Float64Array,
  r: Float64Array,
  chi2: number,
  scaleCovar: boolean,
  warnings: Warnings,
): CovarianceBlock {
  const n = evaluator.n;
  const p = x.length;
  const names = objective.names;
  const { jac, failed } = accurateJacobian(evaluator, x, r, objective.lower, objective.upper);
  const bad = new Set<number>(failed);
  if (failed.length > 0) {
    warnings.add(
      `covariance: could not differentiate the residuals with respect to ${failed.map((j) => names[j]).join(", ")} (non-finite values on both sides); their standard errors are NaN`,
    );
  }
  // Column scaling: Jacobi SVD on J·D⁻¹ with D the column norms.
  const d = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    if (bad.has(j)) {
      d[j] = 1;
      for (let i = 0; i < n; i++) jac[j * n + i] = 0;
      continue;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += jac[j * n + i] ** 2;
    d[j] = Math.sqrt(s);
    if (d[j] === 0) {
      bad.add(j);
      d[j] = 1;
      warnings.add(`covariance: the residuals do not depend on ${names[j]}; its standard error is undetermined`);
      continue;
    }
    for (let i = 0; i < n; i++) jac[j * n + i] /= d[j];
  }
  const svd = jacobiSvd(jac, n, p);
  const rcond = Math.max(n, p) * EPS * 10;
  const { matrix, rank } = inverseGram(svd, rcond);
  const covarianceUnscaled = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) covarianceUnscaled[i * p + j] = matrix[i * p + j] / (d[i] * d[j]);
  const sMax = svd.singularValues[0];
  const sMin = svd.singularValues[p - 1];
  if (rank < p - bad.size) {
    // Parameters with a sizeable component along a dropped singular vector are undetermined.
    const involved: number[] = [];
    for (let k = 0; k < p; k++) {
      if (svd.singularValues[k] > rcond * sMax && svd.singularValues[k] !== 0) continue;
      for (let j = 0; j < p; j++) if (Math.abs(svd.v[k * p + j]) > 0.1 && !involved.includes(j)) involved.push(j);
    }
    for (const j of involved) bad.add(j);
    warnings.add(
      `covariance: the Jacobian is singular (rank ${rank} of ${p}); standard errors of ${involved.map((j) => names[j]).join(", ")} are undetermined`,
    );
  } else if (sMin > 0 && sMax / sMin > 1e10) {
    warnings.add(
      `covariance: the column-scaled Jacobian is ill-conditioned (condition number ${(sMax / sMin).toExponential(2)}); standard errors may be inaccurate`,
    );
  }
  for (const j of bad) {
    for (let k = 0; k < p; k++) {
      covarianceUnscaled[j * p + k] = Number.NaN;
      covarianceUnscaled[k * p + j] = Number.NaN;
    }
  }
  const nu = n - p;
  let scale = 1;
  if (scaleCovar) {
    if (nu > 0) scale = chi2 / nu;
    else {
      scale = Number.NaN;
      warnings.add(`covariance: no degrees of freedom (n = ${n}, p = ${p}); the scaled covariance is undefined`);
    }
  }
  const covariance = covarianceUnscaled.map((c) => c * scale);
  const stderr = new Float64Array(p);
  const stderrUnscaled = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    stderr[j] = Math.sqrt(covariance[j * p + j]);
    stderrUnscaled[j] = Math.sqrt(covarianceUnscaled[j * p + j]);
  }
  return {
    covarianceUnscaled,
    covariance,
    stderr,
    stderrUnscaled,
    correlation: correlationFromCovariance(covariance, p),
    rank,
  };
}

function statusMessage(status: LeastSquaresStatus, iterations: number, evaluations: number): string {
  switch (status) {
    case "chi2":
      return `converged: relative χ² reduction below ftol after ${iterations} iterations (${evaluations} evaluations)`;
    case "parameters":
      return `converged: relative parameter step below xtol after ${iterations} iterations (${evaluations} evaluations)`;
    case "gradient":
      return `converged: gradient below gtol after ${iterations} iterations (${evaluations} evaluations)`;
    case "zeroChi2":
      return `converged: χ² is zero after ${iterations} iterations (${evaluations} evaluations)`;
    case "maxEvaluations":
      return `not converged: evaluation budget exhausted after ${iterations} iterations (${evaluations} evaluations)`;
    case "cancelled":
      return `not converged: cancelled by the progress callback after ${iterations} iterations (${evaluations} evaluations)`;
  }
}

/**
 * Bounded Levenberg–Marquardt least squares: minimises χ² = Σ residuals(θ)²
 * within the objective's bounds, then computes the covariance at the solution.
 * Neither the objective nor `options.initial` is modified.
 *
 * @param objective residuals, bounds and starting values (see {@link FitObjective})
 * @param options tolerances, budget, difference scheme, progress callback (see {@link LevenbergMarquardtOptions})
 * @returns the best point found and its uncertainties; `converged` says whether a stopping criterion was met
 * @throws {ValidationError} on inconsistent objective shapes, bad options, or a start outside the bounds
 * @throws {FitAbortedError} (reason `"nan"`) if the residuals are not finite at the start, or on both sides of a point while differentiating
 * @example
 * ```ts
 * const objective = curveObjective({
 *   names: ["a", "k"],
 *   model: (t, x, out) => { for (let i = 0; i < x.length; i++) out[i] = t[0] * Math.exp(-t[1] * x[i]); },
 *   x, y, sigma, initial: [1, 0.1],
 * });
 * const fit = levenbergMarquardt(objective);
 * console.log(fit.values, fit.stderr, fit.reducedChi2);
 * ```
 */
export function levenbergMarquardt(objective: FitObjective, options: LevenbergMarquardtOptions = {}): LeastSquaresResult {
  const opts = resolveLevenbergMarquardtOptions(objective, options);
  const names = [...objective.names];
  const p = names.length;
  const n = objective.nResiduals;
  const lower = Float64Array.from(objective.lower);
  const upper = Float64Array.from(objective.upper);
  const warnings = new Warnings();
  const transform = new BoundsTransform(lower, upper);
  const evaluator = new Evaluator(objective, n);

  // Starting point, moved off any bound where the transform has zero slope.
  const x = Float64Array.from(opts.initial);
  for (let j = 0; j < p; j++) {
    const kind = transform.kind[j];
    if (kind === BoundKind.None) continue;
    const range = kind === BoundKind.Both ? upper[j] - lower[j] : Math.max(1, Math.abs(kind === BoundKind.Lower ? lower[j] : upper[j]));
    // between two bounds, near a bound is as bad as on it; one-sided bounds have no scale
    const both = kind === BoundKind.Both;
    const inside = both ? NEAR_BOUND_FRACTION * range : 1e-8 * range;
    const below = x[j] - lower[j];
    const above = upper[j] - x[j];
    if (both ? below < inside : below === 0) {
      x[j] = lower[j] + inside;
      warnings.add(`${names[j]} started ${below === 0 ? "on its lower bound" : `${below} above its lower bound`} ${lower[j]}; moved to ${x[j]} because the bounds transform is ${below === 0 ? "flat" : "nearly flat"} there`);
    } else if (both ? above < inside : above === 0) {
      x[j] = upper[j] - inside;
      warnings.add(`${names[j]} started ${above === 0 ? "on its upper bound" : `${above} below its upper bound`} ${upper[j]}; moved to ${x[j]} because the bounds transform is ${above === 0 ? "flat" : "nearly flat"} there`);
    }
  }
  const u = new Float64Array(p);
  transform.toInternal(x, u);
  transform.fromInternal(u, x);

  let r = new Float64Array(n);
  let chi2 = evaluator.chi2(x, r);
  if (!Number.isFinite(chi2)) {
    throw new FitAbortedError("nan", `levenbergMarquardt: non-finite residuals at the starting point ${describeTheta(names, x)}`);
  }

  const jac = new Float64Array(n * p);
  const scaled = new Float64Array(n * p);
  const d = new Float64Array(p);
  const g = new Float64Array(p);
  const c = new Float64Array(p);
  const delta = new Float64Array(p);
  const uTrial = new Float64Array(p);
  const xTrial = new Float64Array(p);
  let rTrial = new Float64Array(n);
  const scratch = { u: new Float64Array(p), x: new Float64Array(p), rPlus: new Float64Array(n), rMinus: new Float64Array(n) };
  const trustRegion = opts.damping === "trust-region";

  let scheme = opts.jacobian;
  let diffStep = opts.diffStep;
  let refining = false;
  let mu = Number.NaN;
  let nu = 2;
  let radius = Number.NaN;
  let firstStep = true;
  let iterations = 0;
  let status: LeastSquaresStatus | undefined;

  /** Writes the damped step (scaled coordinates) for damping m into `delta`; returns its norm. */
  const dampedStep = (svd: ThinSvd, m: number): number => {
    delta.fill(0);
    for (let i = 0; i < p; i++) {
      const s = svd.singularValues[i];
      const denom = s * s + m;
      if (denom === 0) continue;
      const f = -c[i] / denom;
      if (f === 0 || !Number.isFinite(f)) continue;
      for (let j = 0; j < p; j++) delta[j] += f * svd.v[i * p + j];
    }
    let sn = 0;
    for (let j = 0; j < p; j++) sn += delta[j] * delta[j];
    return Math.sqrt(sn);
  };

  /**
   * Moré's trust-region step: μ = 0 if the Gauss–Newton step fits in the radius,
   * otherwise μ solving ‖δ(μ)‖ = radius to 10 % (safeguarded Newton on the secular equation).
   */
  const trustRegionStep = (svd: ThinSvd, gradientNorm: number): number => {
    const gaussNewton = dampedStep(svd, 0);
    if (gaussNewton <= 1.1 * radius) {
      mu = 0;
      return gaussNewton;
    }
    let lo = 0;
    let hi = gradientNorm / radius;
    if (!(mu > lo && mu < hi)) mu = hi * 1e-3;
    let stepNorm = dampedStep(svd, mu);
    for (let it = 0; it < 40; it++) {
      const phi = stepNorm - radius;
      if (Math.abs(phi) <= 0.1 * radius) break;
      if (phi > 0) lo = mu;
      else hi = mu;
      let dphi = 0;
      for (let i = 0; i < p; i++) {
        const s = svd.singularValues[i];
        dphi -= (c[i] * c[i]) / (s * s + mu) ** 3;
      }
      dphi /= stepNorm;
      let next = mu - (phi / dphi) * (stepNorm / radius);
      if (!(next > lo && next < hi)) next = lo > 0 ? Math.sqrt(lo * hi) : hi * 1e-3;
      mu = next;
      stepNorm = dampedStep(svd, mu);
    }
    return stepNorm;
  };

  outer: for (;;) {
    if (chi2 === 0) {
      status = "zeroChi2";
      break;
    }
    if (evaluator.evaluations + (scheme === "forward" ? p : 2 * p) >= opts.maxEvaluations) {
      status = "maxEvaluations";
      break;
    }
    internalJacobian(evaluator, transform, names, u, r, scheme, diffStep, jac, scratch);
    iterations++;
    if (opts.progress) {
      const keepGoing = opts.progress({ iteration: iterations, evaluations: evaluator.evaluations, chi2, values: Float64Array.from(x) });
      if (keepGoing === false) {
        status = "cancelled";
        break;
      }
    }

    // Scaling D (running maximum of the column norms), scaled Jacobian, gradient g = (JD⁻¹)ᵀr.
    const rNorm = Math.sqrt(chi2);
    let gradientCosine = 0;
    let gradientNorm = 0;
    let maxDiag = 0;
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += jac[j * n + i] ** 2;
      const colNorm = Math.sqrt(s);
      d[j] = Math.max(d[j], colNorm);
      if (d[j] === 0) d[j] = 1;
      let gj = 0;
      for (let i = 0; i < n; i++) {
        const v = jac[j * n + i] / d[j];
        scaled[j * n + i] = v;
        gj += v * r[i];
      }
      g[j] = gj;
      gradientNorm += gj * gj;
      maxDiag = Math.max(maxDiag, (colNorm / d[j]) ** 2);
      if (colNorm > 0) gradientCosine = Math.max(gradientCosine, Math.abs(gj * d[j]) / (colNorm * rNorm));
    }
    gradientNorm = Math.sqrt(gradientNorm);
    let uNorm = 0;
    for (let j = 0; j < p; j++) uNorm += (d[j] * u[j]) ** 2;
    uNorm = Math.sqrt(uNorm);

    let stop: LeastSquaresStatus | undefined;
    if (gradientCosine <= opts.gtol) stop = "gradient";
    else {
      const svd = jacobiSvd(scaled, n, p);
      for (let i = 0; i < p; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += svd.w[i * n + k] * r[k];
        c[i] = s;
      }
      if (trustRegion && Number.isNaN(radius)) radius = uNorm > 0 ? opts.stepBound * uNorm : opts.stepBound;
      if (!trustRegion && Number.isNaN(mu)) mu = opts.initialDamping * (maxDiag > 0 ? maxDiag : 1);

      // Inner loop: try steps until one lowers χ² (or a stopping test fires).
      for (;;) {
        let stepNorm: number;
        if (trustRegion) {
          stepNorm = trustRegionStep(svd, gradientNorm);
          if (firstStep) radius = Math.min(radius, stepNorm);
        } else {
          stepNorm = dampedStep(svd, mu);
        }
        firstStep = false;
        // Predicted reduction of the linear model, δᵀ(μδ − g) = ‖Jδ‖² + 2μ‖δ‖² ≥ 0.
        let predicted = 0;
        let directional = 0;
        for (let j = 0; j < p; j++) {
          predicted += delta[j] * (mu * delta[j] - g[j]);
          directional += delta[j] * g[j];
          uTrial[j] = u[j] + delta[j] / d[j];
        }
        if (evaluator.evaluations >= opts.maxEvaluations) {
          stop = "maxEvaluations";
          break;
        }
        transform.fromInternal(uTrial, xTrial);
        const chi2Trial = evaluator.chi2(xTrial, rTrial);
        const finite = Number.isFinite(chi2Trial);
        const predictedRelative = predicted / chi2;
        let accept: boolean;
        if (trustRegion) {
          // MINPACK lmdif's bookkeeping (Moré 1978).
          const actualRelative = finite && 0.1 * Math.sqrt(chi2Trial) < rNorm ? 1 - chi2Trial / chi2 : -1;
          const ratio = predictedRelative > 0 ? actualRelative / predictedRelative : 0;
          if (ratio <= 0.25) {
            const dirder = directional / chi2;
            let temp = actualRelative >= 0 ? 0.5 : (0.5 * dirder) / (dirder + 0.5 * actualRelative);
            if (!finite || 0.1 * Math.sqrt(chi2Trial) >= rNorm || temp < 0.1) temp = 0.1;
            radius = temp * Math.min(radius, stepNorm / 0.1);
          } else if (mu === 0 || ratio >= 0.75) {
            radius = stepNorm / 0.5;
          }
          accept = ratio >= 1e-4;
          if (accept && chi2Trial === 0) stop = "zeroChi2";
          else if (Math.abs(actualRelative) <= opts.ftol && predictedRelative <= opts.ftol && ratio <= 2) stop = "chi2";
          else if (radius <= opts.xtol * uNorm) stop = "parameters";
          else if (!accept && predictedRelative <= EPS) stop = "chi2";
        } else {
          // Nielsen's damping update.
          accept = finite && chi2Trial < chi2;
          const tinyStep = stepNorm <= opts.xtol * (uNorm + opts.xtol);
          if (accept) {
            const rho = predicted > 0 ? (chi2 - chi2Trial) / predicted : 0;
            mu *= Math.max(1 / 3, 1 - (2 * rho - 1) ** 3);
            nu = 2;
            const actualRelative = (chi2 - chi2Trial) / chi2;
            if (chi2Trial === 0) stop = "zeroChi2";
            else if (actualRelative <= opts.ftol && predictedRelative <= opts.ftol && rho <= 2) stop = "chi2";
            else if (tinyStep) stop = "parameters";
          } else {
            mu *= nu;
            nu *= 2;
            if (tinyStep || !Number.isFinite(mu)) stop = "parameters";
            else if (predictedRelative <= EPS) stop = "chi2";
          }
        }
        if (accept) {
          u.set(uTrial);
          x.set(xTrial);
          [r, rTrial] = [rTrial, r];
          chi2 = chi2Trial;
        }
        if (accept || stop !== undefined) break;
      }
    }
    if (stop === undefined) continue;
    if (stop === "maxEvaluations") {
      status = stop;
      break;
    }
    if (opts.refine && scheme === "forward" && !refining && stop !== "zeroChi2") {
      // Converged on forward differences, whose O(h) error biases the solution:
      // continue with central differences from a fresh step bound.
      refining = true;
      scheme = "central";
      diffStep = Math.cbrt(EPS);
      radius = Number.NaN;
      mu = Number.NaN;
      nu = 2;
      firstStep = true;
      continue outer;
    }
    status = stop;
    break;
  }

  if (evaluator.nonFinite > 0) {
    warnings.add(`non-finite residuals at ${evaluator.nonFinite} trial point(s); those steps were rejected`);
  }
  if (status === "maxEvaluations") warnings.add(`maxEvaluations (${opts.maxEvaluations}) reached before convergence`);
  if (status === "cancelled") warnings.add("cancelled by the progress callback");
  for (let j = 0; j < p; j++) {
    const tol = 1e-8 * Math.max(1, Math.abs(x[j]));
    if (x[j] - lower[j] <= tol || upper[j] - x[j] <= tol) {
      warnings.add(`${names[j]} = ${x[j]} is at its bound; its standard error ignores the bound`);
    }
  }

  const finalStatus: LeastSquaresStatus = status ?? "maxEvaluations";
  let block: CovarianceBlock;
  if (opts.computeCovariance) {
    block = covarianceAt(evaluator, objective, x, r, chi2, opts.scaleCovar, warnings);
  } else {
    const nan = new Float64Array(p * p).fill(Number.NaN);
    block = {
      covariance: nan,
      covarianceUnscaled: Float64Array.from(nan),
      correlation: Float64Array.from(nan),
      stderr: new Float64Array(p).fill(Number.NaN),
      stderrUnscaled: new Float64Array(p).fill(Number.NaN),
      rank: Number.NaN,
    };
  }
  const nuDof = n - p;
  return {
    names: Object.freeze(names),
    values: Float64Array.from(x),
    initial: Float64Array.from(opts.initial),
    stderr: block.stderr,
    stderrUnscaled: block.stderrUnscaled,
    covariance: block.covariance,
    covarianceUnscaled: block.covarianceUnscaled,
    correlation: block.correlation,
    scaleCovar: opts.scaleCovar,
    chi2,
    reducedChi2: nuDof > 0 ? chi2 / nuDof : Number.NaN,
    nFree: p,
    nData: n,
    residuals: Float64Array.from(r),
    evaluations: evaluator.evaluations,
    iterations,
    converged: finalStatus !== "maxEvaluations" && finalStatus !== "cancelled",
    status: finalStatus,
    message: statusMessage(finalStatus, iterations, evaluator.evaluations),
    rank: block.rank,
    warnings: warnings.toArray(),
  };
}
