/**
 * @module optimize/curveObjective
 * A generic {@link FitObjective} for y = f(θ; x) + noise with known (or unit)
 * Gaussian uncertainties σ and a flat prior inside the bounds. Used by the
 * NIST StRD suite and by callers fitting a plain function.
 *
 * Residuals are (model − y)/σ. Log-likelihood is the full Gaussian
 * −½χ² − Σ ln σᵢ − (n/2) ln 2π. The flat prior is improper: log-prior = 0 inside
 * the bounds, −∞ outside (the constant −Σ ln(upper − lower) is omitted; it
 * matters to neither fitting nor sampling).
 */

import { FitAbortedError, ValidationError, formatValue } from "../core/errors.ts";
import type { FitObjective } from "./objective.ts";

/** Options of {@link curveObjective}. X is the type of the predictor data (a Float64Array, or anything the model understands). */
export interface CurveObjectiveOptions<X> {
  /** Parameter names, in vector order. */
  readonly names: readonly string[];
  /**
   * Writes f(θ; x) for all points into `out` (length = y.length). Must not
   * modify θ or x, and should not allocate.
   */
  readonly model: (theta: Float64Array, x: X, out: Float64Array) => void;
  /** Predictor data, passed through to `model` unchanged. */
  readonly x: X;
  /** Observations. */
  readonly y: ArrayLike<number>;
  /** Standard deviations of y (all > 0). @default all ones */
  readonly sigma?: ArrayLike<number>;
  /** Lower bounds. @default all −Infinity */
  readonly lower?: ArrayLike<number>;
  /** Upper bounds. @default all +Infinity */
  readonly upper?: ArrayLike<number>;
  /** Starting values. */
  readonly initial: ArrayLike<number>;
  /** Name used in error messages. @default "curve" */
  readonly name?: string;
  /**
   * What to do when the model returns NaN: `"raise"` throws {@link FitAbortedError}
   * naming the objective and θ; `"propagate"` returns the NaN residuals to the
   * fitter (which rejects that point). @default "raise"
   */
  readonly nanPolicy?: "raise" | "propagate";
}

function toArray(path: string, values: ArrayLike<number>, length: number): Float64Array {
  if (values.length !== length) throw new ValidationError(path, `must have ${length} values`, values.length);
  return Float64Array.from(values);
}

/**
 * Builds a {@link FitObjective} for a curve fit. All inputs are copied; the
 * objective is immutable and safe to share between fitters.
 *
 * @param options names, model, data (x, y, σ), bounds and starting values
 * @returns the objective
 * @throws {ValidationError} on inconsistent lengths, non-positive σ, NaN data, or bounds with lower ≥ upper
 * @example
 * ```ts
 * const x = Float64Array.from([1, 2, 3, 4]);
 * const objective = curveObjective({
 *   names: ["a", "b"],
 *   model: (t, xs: Float64Array, out) => { for (let i = 0; i < xs.length; i++) out[i] = t[0] + t[1] * xs[i]; },
 *   x, y: [2.1, 3.9, 6.2, 7.8], initial: [0, 1],
 * });
 * ```
 */
export function curveObjective<X>(options: CurveObjectiveOptions<X>): FitObjective {
  const names = Object.freeze([...options.names]);
  const p = names.length;
  const n = options.y.length;
  const label = options.name ?? "curve";
  if (n === 0) throw new ValidationError("y", "must not be empty", n);
  const y = Float64Array.from(options.y);
  for (let i = 0; i < n; i++) if (Number.isNaN(y[i])) throw new ValidationError(`y[${i}]`, "must not be NaN", y[i]);
  const sigma = options.sigma ? toArray("sigma", options.sigma, n) : new Float64Array(n).fill(1);
  let sumLogSigma = 0;
  for (let i = 0; i < n; i++) {
    if (!(sigma[i] > 0) || !Number.isFinite(sigma[i])) throw new ValidationError(`sigma[${i}]`, "must be positive and finite", sigma[i]);
    sumLogSigma += Math.log(sigma[i]);
  }
  const inverseSigma = sigma.map((s) => 1 / s);
  const lower = options.lower ? toArray("lower", options.lower, p) : new Float64Array(p).fill(-Infinity);
  const upper = options.upper ? toArray("upper", options.upper, p) : new Float64Array(p).fill(Infinity);
  for (let j = 0; j < p; j++) {
    if (Number.isNaN(lower[j]) || Number.isNaN(upper[j]) || !(lower[j] < upper[j])) {
      throw new ValidationError(`bounds.${names[j]}`, "lower must be < upper", [lower[j], upper[j]]);
    }
  }
  const initial = toArray("initial", options.initial, p);
  const nanPolicy = options.nanPolicy ?? "raise";
  const model = options.model;
  const xData = options.x;
  const logNorm = -sumLogSigma - 0.5 * n * Math.log(2 * Math.PI);
  const scratch = new Float64Array(n);

  const residuals = (theta: Float64Array, out?: Float64Array): Float64Array => {
    const target = out ?? new Float64Array(n);
    model(theta, xData, target);
    for (let i = 0; i < n; i++) target[i] = (target[i] - y[i]) * inverseSigma[i];
    if (nanPolicy === "raise") {
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(target[i])) {
          throw new FitAbortedError(
            "nan",
            `${label}: model returned NaN at point ${i} for ${names.map((name, j) => `${name}=${formatValue(theta[j])}`).join(", ")}`,
          );
        }
      }
    }
    return target;
  };
  const logPrior = (theta: Float64Array): number => {
    for (let j = 0; j < p; j++) if (!(theta[j] >= lower[j] && theta[j] <= upper[j])) return -Infinity;
    return 0;
  };
  const logLikelihood = (theta: Float64Array): number => {
    residuals(theta, scratch);
    let chi2 = 0;
    for (let i = 0; i < n; i++) chi2 += scratch[i] * scratch[i];
    return Number.isNaN(chi2) ? Number.NaN : -0.5 * chi2 + logNorm;
  };
  return Object.freeze({
    names,
    lower: Float64Array.from(lower),
    upper: Float64Array.from(upper),
    nResiduals: n,
    initial: () => Float64Array.from(initial),
    residuals,
    logPrior,
    logLikelihood,
    logPosterior: (theta: Float64Array): number => {
      const lp = logPrior(theta);
      if (lp === -Infinity) return -Infinity;
      return lp + logLikelihood(theta);
    },
  });
}
