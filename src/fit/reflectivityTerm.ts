/**
 * @module fit/reflectivityTerm
 * One measured reflectivity curve and the model that should explain it, as a term
 * of a {@link JointObjective}. Units: Q Å⁻¹, R dimensionless (or counts for Poisson).
 *
 * Likelihoods:
 * - `gaussian` (default): r_i = (m_i − y_i)/σ_i; log L = −½ Σ [r_i² + ln(2π σ_i²)].
 *   With an error-inflation parameter f: σ_i² → σ_i² + f²·m_i² (refnx's lnsigma idea
 *   in relative form), which adds the variance term of the normalisation.
 * - `poisson`: y are raw counts and m the expected counts (scale converts);
 *   log L = Σ [y ln m − m − ln y!]; LM sees deviance residuals sign(m − y)·√(2(m − y + y ln(y/m))).
 * The curve is the model's own (`ReflectModel.evaluator`, planned once per curve: plain,
 * smeared or geometry-corrected); the data's dQ column smears it when the model gives no
 * resolution.
 * Fitting log R (`transform: "logR"`) uses r_i = (ln m_i − ln y_i)/(σ_i/y_i), i.e. the
 * same Gaussian in log space with propagated errors; points with y ≤ 0 are masked.
 */
import { ValidationError } from "../core/errors.ts";
import { GEOMETRY_SCALAR } from "../kernels/reflectivity/geometryReflectivity.ts";
import { currentScalars, GEOMETRY_SCALARS, type ReflectModel } from "../models/reflectModel.ts";
import type { FitSpace, Parameter } from "../params/index.ts";
import type { ReflectivityData } from "../io/reflectivityData.ts";
import type { BoundTerm, ObjectiveTerm } from "./jointObjective.ts";

export interface ReflectivityTermOptions {
  /** @default "gaussian" */
  likelihood?: "gaussian" | "poisson";
  /** @default "none" */
  transform?: "none" | "logR";
  /** Keep only qMin ≤ Q ≤ qMax. */
  mask?: { qMin?: number; qMax?: number };
  /** Fitted fractional error inflation f (σ² → σ² + f²m²). */
  errorInflation?: Parameter;
}

const LN_2PI = Math.log(2 * Math.PI);

function logFactorial(n: number): number {
  // Stirling series beyond 20, exact sum below
  if (n < 20) {
    let s = 0;
    for (let k = 2; k <= n; k++) s += Math.log(k);
    return s;
  }
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n * n * n);
}

/**
 * Build the term for a curve.
 * @throws ValidationError when the mask leaves no points or Poisson data are not counts
 */
export function reflectivityTerm(model: ReflectModel, data: ReflectivityData, options: ReflectivityTermOptions = {}): ObjectiveTerm & {
  readonly q: Float64Array;
  readonly y: Float64Array;
  readonly sigma: Float64Array;
  readonly warnings: readonly string[];
  /**
   * Model curve on the term's Q points. `scalars` are those of `model.bind` (geometry
   * models read their corrections from entries 2 onwards, the kernel's GEOMETRY_SCALAR
   * layout); when omitted a geometry model uses its parameters' current values.
   */
  evaluateAt(slabs: Float64Array, scale: number, background: number, scalars?: ArrayLike<number>): Float64Array;
} {
  const likelihood = options.likelihood ?? "gaussian";
  const transform = options.transform ?? "none";
  const warnings: string[] = [...data.warnings];
  const keep: number[] = [];
  const qMin = options.mask?.qMin ?? -Infinity;
  const qMax = options.mask?.qMax ?? Infinity;
  let nonPositive = 0;
  for (let i = 0; i < data.q.length; i++) {
    if (data.q[i] < qMin || data.q[i] > qMax) continue;
    if (transform === "logR" && !(data.r[i] > 0)) {
      nonPositive++;
      continue;
    }
    keep.push(i);
  }
  if (nonPositive > 0) warnings.push(`${data.source}: ${nonPositive} points with R ≤ 0 left out of the log R fit`);
  if (keep.length === 0) throw new ValidationError(`${data.source}`, "no points left after masking");
  if (likelihood === "poisson") {
    for (const i of keep) {
      if (!(data.r[i] >= 0) || !Number.isInteger(data.r[i])) {
        throw new ValidationError(`${data.source}`, `Poisson likelihood needs raw counts (non-negative integers); point ${i + 1} has ${data.r[i]}`);
      }
    }
  }
  const pick = (a: Float64Array): Float64Array => Float64Array.from(keep, (i) => a[i]);
  const q = pick(data.q);
  const y = pick(data.r);
  const sigma = pick(data.dr);
  const dq = data.dq ? pick(data.dq) : undefined;
  const n = q.length;
  const modelCurve = model.evaluator(q, dq && dq.some((x) => x > 0) ? { sigma: dq } : {});
  if (!modelCurve.smeared) warnings.push(`${data.source}: no resolution given (no dQ column, none in the model): the curve is fitted unsmeared`);
  // data in the fitted space
  const yFit = transform === "logR" ? y.map(Math.log) : y;
  const sigmaFit = transform === "logR" ? sigma.map((s, i) => s / y[i]) : sigma;
  let logNormalisation = 0;
  if (likelihood === "gaussian" && !options.errorInflation) {
    for (let i = 0; i < n; i++) logNormalisation -= 0.5 * (LN_2PI + 2 * Math.log(sigmaFit[i]));
  }
  let poissonConstant = 0;
  if (likelihood === "poisson") for (let i = 0; i < n; i++) poissonConstant -= logFactorial(y[i]);
  const inverseSigma = sigmaFit.map((s) => 1 / s);

  const parameters = (): Parameter[] => {
    const list = model.parameters();
    if (options.errorInflation) list.push(options.errorInflation);
    return list;
  };

  return {
    name: data.source,
    q,
    y,
    sigma,
    warnings,
    evaluateAt: (slabs, scale, background, scalars) => {
      const g = scalars && scalars.length >= GEOMETRY_SCALARS ? Float64Array.from(scalars) : currentScalars(model);
      g[GEOMETRY_SCALAR.scale] = scale;
      g[GEOMETRY_SCALAR.background] = background;
      return modelCurve.evaluateWith(slabs, g, new Float64Array(n));
    },
    parameters,
    bind(space: FitSpace): BoundTerm {
      const fillCurve = modelCurve.bind(space);
      const curve = new Float64Array(n);
      const inflationSlot = options.errorInflation ? space.slotOf(options.errorInflation) : -1;
      const evaluate = (values: Float64Array): Float64Array => fillCurve(values, curve);
      if (likelihood === "poisson") {
        return {
          nResiduals: n,
          residuals(values, out, offset) {
            const m = evaluate(values);
            for (let i = 0; i < n; i++) {
              const mi = m[i];
              const yi = y[i];
              const deviance = yi > 0 ? 2 * (mi - yi + yi * Math.log(yi / mi)) : 2 * mi;
              out[offset + i] = (mi >= yi ? 1 : -1) * Math.sqrt(Math.max(deviance, 0));
            }
          },
          logLikelihood(_values, _residuals, _offset) {
            let total = poissonConstant;
            for (let i = 0; i < n; i++) {
              const mi = curve[i];
              if (!(mi > 0)) return y[i] === 0 && mi === 0 ? total : -Infinity;
              total += y[i] * Math.log(mi) - mi;
            }
            return total;
          },
        };
      }
      return {
        nResiduals: n,
        residuals(values, out, offset) {
          const m = evaluate(values);
          if (inflationSlot >= 0) {
            const f = values[inflationSlot];
            const f2 = f * f;
            for (let i = 0; i < n; i++) {
              const mi = transform === "logR" ? Math.log(m[i]) : m[i];
              const s2 = sigmaFit[i] * sigmaFit[i] + f2 * (transform === "logR" ? 1 : m[i] * m[i]);
              out[offset + i] = (mi - yFit[i]) / Math.sqrt(s2);
            }
          } else if (transform === "logR") {
            for (let i = 0; i < n; i++) out[offset + i] = (Math.log(m[i]) - yFit[i]) * inverseSigma[i];
          } else {
            for (let i = 0; i < n; i++) out[offset + i] = (m[i] - yFit[i]) * inverseSigma[i];
          }
        },
        logLikelihood(values, residuals, offset) {
          let chi2 = 0;
          for (let i = 0; i < n; i++) chi2 += residuals[offset + i] * residuals[offset + i];
          if (inflationSlot < 0) return logNormalisation - 0.5 * chi2;
          const f = values[inflationSlot];
          const f2 = f * f;
          let norm = 0;
          for (let i = 0; i < n; i++) {
            const s2 = sigmaFit[i] * sigmaFit[i] + f2 * (transform === "logR" ? 1 : curve[i] * curve[i]);
            norm -= 0.5 * (LN_2PI + Math.log(s2));
          }
          return norm - 0.5 * chi2;
        },
      };
    },
  };
}
