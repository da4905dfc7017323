/**
 * @module kernels/reflectivity/dataPointSmear
 * Resolution smearing on the measured points themselves, refl1d's default scheme
 * (`refl1d.lib.convolve.convolve_gaussian` when a probe is not oversampled): the
 * reflectivity is computed only at the data's Q points, taken as a piecewise-linear
 * function of Q, and each point's value is the exact integral of that function
 * against the point's Gaussian, over whole segments from the last point at or
 * below Q − L to the first at or above Q + L, L = σ·√(−2 ln 10⁻³) ≈ 3.72σ, divided
 * by the Gaussian's mass over those segments (a window cut by the ends of the data is
 * renormalised to what it covers). Coarser than kernels/reflectivity/smear (a curve
 * with fringes finer than the point spacing is under-resolved), but it is the model
 * refl1d fits with: refl1d results are reproduced only with it.
 *
 * Time-of-flight angle offset: data measured at a fixed angle θ with many
 * wavelengths have Q′ = Q·sin(θ + δ)/sin θ for a sample-angle offset δ (refl1d's
 * `theta_offset`: T + δ at each point's own λ). The curve is then computed at the
 * shifted points Q′ and smeared there with the nominal widths, as refl1d does.
 *
 * The weights (a banded matrix) are planned at the nominal points and replanned only when
 * the angle offset changes (one erf and one exp per point in each window). Evaluation
 * allocates nothing, except to grow the weights when an offset widens a window beyond
 * every size met before.
 *
 * Units: Q, σ Å⁻¹; angles rad.
 */
import { erf } from "../../core/quadrature.ts";
import { reflectivity } from "./abeles.ts";

/** √(−2 ln 10⁻³): the half window in σ (refl1d's LOG_RESLIMIT = ln 10⁻³). */
export const DATA_POINT_WINDOW = Math.sqrt(-2 * Math.log(1e-3));
const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export interface DataPointSmearOptions {
  /** Fixed incidence angle θ (rad) of a time-of-flight measurement; needed for an angle offset. */
  fixedAngle?: number;
}

export interface DataPointSmearedReflectivity {
  /**
   * R_obs at the measured points: scale·(G ⊗ R_lin)(Q′) + background.
   * @param angleOffset - δ (rad), used only with `fixedAngle`; 0 otherwise
   * @param out - output buffer (length ≥ q.length); allocated when omitted
   */
  evaluate(slabs: Float64Array, scale: number, background: number, angleOffset: number, out?: Float64Array): Float64Array;
}

/**
 * Plan data-point smearing for fixed measured points.
 * @param q - measured Q (Å⁻¹), any order
 * @param sigma - 1-σ widths (Å⁻¹), one per point, ≥ 0 (0: the point's own value)
 * @throws RangeError when the lengths differ, a width is negative, or an offset needs θ and θ is not in (0, π/2)
 */
export function createDataPointSmearedReflectivity(q: Float64Array, sigma: Float64Array, options: DataPointSmearOptions = {}): DataPointSmearedReflectivity {
  const n = q.length;
  if (sigma.length !== n) throw new RangeError(`${sigma.length} widths for ${n} Q points`);
  for (let i = 0; i < n; i++) if (!(sigma[i] >= 0)) throw new RangeError(`resolution width ${sigma[i]} at point ${i} must be ≥ 0`);
  const theta = options.fixedAngle;
  if (theta !== undefined && !(theta > 0 && theta < Math.PI / 2)) throw new RangeError(`fixed angle ${theta} rad must lie in (0, π/2)`);
  // sorted copy (refl1d sorts the probe by Q); results are written back in the caller's order
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => q[a] - q[b]);
  const qs = Float64Array.from(order, (i) => q[i]);
  const ss = Float64Array.from(order, (i) => sigma[i]);
  const x = new Float64Array(n);
  const r = new Float64Array(n);
  const sinTheta = theta === undefined ? 1 : Math.sin(theta);

  // weights of one output point over its window, written into `w` from `first`; returns the count
  const windowWeights = (o: number, w: Float64Array, at: number, first: Int32Array): number => {
    const s = ss[o];
    const xo = x[o];
    if (!(s > 0) || n === 1) {
      first[o] = o;
      w[at] = 1;
      return 1;
    }
    const limit = s * DATA_POINT_WINDOW;
    // the last point at or below xo − limit (or the first point)
    let start = o;
    while (start > 0 && x[start] > xo - limit) start--;
    let k = start;
    const twoS2 = 2 * s * s;
    const z = xo - x[k];
    let gLo = Math.exp((-z * z) / twoS2);
    let erfLo = erf(-z / (SQRT2 * s));
    const erfMin = erfLo;
    first[o] = start;
    let count = 1;
    w[at] = 0;
    while (k < n - 1) {
      k++;
      if (x[k] === x[k - 1]) {
        w[at + count++] = 0;
        continue;
      }
      const zHi = xo - x[k];
      const gHi = Math.exp((-zHi * zHi) / twoS2);
      const erfHi = erf(-zHi / (SQRT2 * s));
      const h = x[k] - x[k - 1];
      // ∫ (m x + b) G over the segment with m = (r_k − r_{k−1})/h, b = r_k − m x_k:
      // ½ΔE·(r_k + m z_hi) − σ/√(2π)·m·ΔG, split between r_{k−1} and r_k
      const dE = 0.5 * (erfHi - erfLo);
      const dG = s * INV_SQRT_2PI * (gHi - gLo);
      w[at + count - 1] += -dE * (zHi / h) + dG / h;
      w[at + count] = dE * (1 + zHi / h) - dG / h;
      count++;
      gLo = gHi;
      erfLo = erfHi;
      if (x[k] >= xo + limit) break;
    }
    const norm = 2 / (erfLo - erfMin);
    for (let j = 0; j < count; j++) w[at + j] *= norm;
    return count;
  };

  // banded weights for the points' current positions: planned at the nominal points and
  // replanned only when an angle offset moves them (the buffer grows only if a window does)
  const first = new Int32Array(n);
  const counts = new Int32Array(n);
  const offsets = new Int32Array(n + 1);
  let weights = new Float64Array(0);
  let plannedFactor = NaN;
  const plan = (factor: number): void => {
    for (let i = 0; i < n; i++) x[i] = qs[i] * factor;
    let total = 0;
    for (let o = 0; o < n; o++) {
      offsets[o] = total;
      if (weights.length < total + n) {
        const grown = new Float64Array(Math.max(2 * weights.length, total + n));
        grown.set(weights.subarray(0, total));
        weights = grown;
      }
      counts[o] = windowWeights(o, weights, total, first);
      total += counts[o];
    }
    offsets[n] = total;
    plannedFactor = factor;
  };
  plan(1);

  return {
    evaluate(slabs, scale, background, angleOffset, out) {
      const result = out ?? new Float64Array(n);
      const factor = theta === undefined || angleOffset === 0 ? 1 : Math.sin(theta + angleOffset) / sinTheta;
      if (factor !== plannedFactor) plan(factor);
      reflectivity(x, slabs, 1, 0, r);
      for (let o = 0; o < n; o++) {
        let value = 0;
        const at = offsets[o];
        const j0 = first[o];
        for (let j = 0; j < counts[o]; j++) value += weights[at + j] * r[j0 + j];
        result[order[o]] = scale * value + background;
      }
      return result;
    },
  };
}
