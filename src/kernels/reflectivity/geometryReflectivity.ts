/**
 * @module kernels/reflectivity/geometryReflectivity
 * Reflectivity of a slab stack as seen through the geometry of the measurement
 * (operando.md §2): measured at nominal Q, the curve is
 *
 *   R_obs(Q) = scale · F(α) · R_smeared(Q′) + background,
 *   α = asin(Qλ/4π),  Q′ = 4π/λ · sin(α + δ),
 *
 * with δ the sample's angle offset and F the over-illumination (footprint) factor
 * of a top-hat or Gaussian beam of height h on a sample of length L (centred).
 * The smearing is evaluated at the shifted points Q′, with widths interpolated
 * linearly in Q from the nominal points' widths (extrapolated beyond them; exact
 * for a constant dQ/Q).
 *
 * Smearing at shifted points without replanning: a smearing plan is tied to its
 * output Q (plans are cached by Q content), so a fitted δ would replan at every
 * step. Instead the smeared curve is computed on a fixed auxiliary grid that
 * covers every Q′ reachable with |δ| ≤ Δ (nodes every min(σ/8, half the local
 * data spacing)), planned once, and ln R is interpolated to Q′ by 4-point
 * Lagrange cubics. The interpolation error is measured in
 * geometryReflectivity.test.ts (`SHIFTED_SMEAR_INTERP_RTOL`). A δ beyond Δ
 * rebuilds the auxiliary grid (allocates; counted by `rebuilds()`). Without
 * resolution R(Q′) is evaluated exactly; without an angle offset the nominal
 * plan is used and only F applies.
 *
 * Units: Q, σ Å⁻¹; wavelength Å; δ rad; h, L mm.
 */
import { reflectivity } from "./abeles.ts";
import { footprintFactors, shiftQ } from "./geometry.ts";
import { createSmearedReflectivity } from "./smearedReflectivity.ts";
import type { SmearOptions } from "./smear.ts";

export interface GeometryReflectivityOptions {
  /** Wavelength λ (Å) converting Q to angles. */
  wavelength_A: number;
  /** 1-σ resolution widths (Å⁻¹) at the nominal points; omitted = unsmeared. */
  sigma?: Float64Array;
  /** Smearing options. @default {} */
  smear?: SmearOptions;
  /** Whether an angle offset is modelled (otherwise δ is ignored). @default true */
  angleOffset?: boolean;
  /** Beam profile of the footprint factor; omitted = no footprint factor. */
  footprint?: "tophat" | "gaussian";
  /** Half range Δ (rad) of δ the auxiliary grid covers before a rebuild. @default 0.05° */
  offsetRange?: number;
  /** Auxiliary nodes per σ (interpolation error ∝ its −4th power). @default 8 */
  auxPerSigma?: number;
}

/** Default half range of the angle offset covered by the auxiliary grid: 0.05° (rad). */
export const DEFAULT_OFFSET_RANGE = (0.05 * Math.PI) / 180;

export interface GeometryReflectivity {
  /**
   * R_obs at the nominal points.
   * @param angleOffset - δ (rad)
   * @param beamHeight_mm - h (mm; FWHM for a Gaussian beam)
   * @param sampleLength_mm - L (mm)
   * @param out - optional output buffer (length ≥ q.length)
   */
  evaluate(slabs: Float64Array, scale: number, background: number, angleOffset: number, beamHeight_mm: number, sampleLength_mm: number, out?: Float64Array): Float64Array;
  /** Number of auxiliary points (0 when none are used). */
  auxPoints(): number;
  /** Times the auxiliary grid was rebuilt for an offset beyond its range. */
  rebuilds(): number;
}

interface AuxGrid {
  q: Float64Array;
  r: Float64Array;
  lo: number;
  hi: number;
  smear: ReturnType<typeof createSmearedReflectivity>;
}

/**
 * Build a geometry-aware reflectivity function for fixed nominal Q points.
 * @param q - nominal Q (Å⁻¹), > 0
 * @param options - wavelength, resolution, which corrections apply
 */
export function createGeometryReflectivity(q: Float64Array, options: GeometryReflectivityOptions): GeometryReflectivity {
  const n = q.length;
  const wavelength = options.wavelength_A;
  const k = (4 * Math.PI) / wavelength;
  const sinAlpha = q.map((x) => x / k);
  const factor = new Float64Array(n);
  const shifted = new Float64Array(n);
  const modelsOffset = options.angleOffset ?? true;
  const profile = options.footprint;
  const sigma = options.sigma;
  const smearOptions = options.smear ?? {};
  const auxPerSigma = options.auxPerSigma ?? 8;
  const nominalSmear = sigma && !modelsOffset ? createSmearedReflectivity(q, sigma, smearOptions) : undefined;

  // sorted nominal points (for σ and spacing at an arbitrary Q)
  const order = Array.from(q, (_, i) => i).sort((a, b) => q[a] - q[b]);
  const qs = Float64Array.from(order, (i) => q[i]);
  const ss = sigma ? Float64Array.from(order, (i) => sigma[i]) : new Float64Array(n);
  const locate = (x: Float64Array, value: number): number => {
    // largest j with x[j] ≤ value, clamped to [0, x.length − 2]
    let lo = 0;
    let hi = x.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (x[mid] <= value) lo = mid;
      else hi = mid;
    }
    return Math.min(lo, Math.max(x.length - 2, 0));
  };
  const sigmaAt = (x: number): number => {
    if (n === 1) return ss[0];
    // linear in Q between the nominal points and extrapolated beyond them (exact for dQ/Q constant)
    const j = locate(qs, x);
    const t = (x - qs[j]) / (qs[j + 1] - qs[j]);
    return Math.max(ss[j] + t * (ss[j + 1] - ss[j]), 0);
  };
  const spacingAt = (x: number): number => {
    if (n === 1) return Infinity;
    const j = locate(qs, x);
    return qs[j + 1] - qs[j];
  };

  let aux: AuxGrid | undefined;
  let rebuildCount = 0;
  const buildAux = (range: number): AuxGrid => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const alpha = Math.asin(q[i] / k);
      lo = Math.min(lo, k * Math.sin(Math.max(alpha - range, 0)));
      hi = Math.max(hi, k * Math.sin(Math.min(alpha + range, Math.PI / 2)));
    }
    lo = Math.max(lo, 1e-6);
    const hMin = (hi - lo) * 1e-5;
    const nodes: number[] = [];
    // two extra nodes beyond each end keep the cubic stencils inside the grid
    let x = lo;
    for (let e = 0; e < 2; e++) x = Math.max(x - Math.max(hMin, Math.min(sigmaAt(x) / auxPerSigma, spacingAt(x) / 2)), 0.5 * lo);
    while (x < hi) {
      nodes.push(x);
      x += Math.max(hMin, Math.min(sigmaAt(x) / auxPerSigma, spacingAt(x) / 2));
    }
    for (let e = 0; e < 3; e++) {
      nodes.push(x);
      x += Math.max(hMin, Math.min(sigmaAt(x) / auxPerSigma, spacingAt(x) / 2));
    }
    const auxQ = Float64Array.from(nodes);
    const auxSigma = auxQ.map(sigmaAt);
    return { q: auxQ, r: new Float64Array(auxQ.length), lo, hi, smear: createSmearedReflectivity(auxQ, auxSigma, smearOptions) };
  };
  let range = Math.max(options.offsetRange ?? DEFAULT_OFFSET_RANGE, 0);

  const interpolate = (grid: AuxGrid, x: number): number => {
    const g = grid.q;
    const m = g.length;
    const j = Math.min(Math.max(locate(g, x) - 1, 0), m - 4);
    const x0 = g[j], x1 = g[j + 1], x2 = g[j + 2], x3 = g[j + 3];
    const y = grid.r;
    const d0 = x - x0, d1 = x - x1, d2 = x - x2, d3 = x - x3;
    return (
      (y[j] * d1 * d2 * d3) / ((x0 - x1) * (x0 - x2) * (x0 - x3)) +
      (y[j + 1] * d0 * d2 * d3) / ((x1 - x0) * (x1 - x2) * (x1 - x3)) +
      (y[j + 2] * d0 * d1 * d3) / ((x2 - x0) * (x2 - x1) * (x2 - x3)) +
      (y[j + 3] * d0 * d1 * d2) / ((x3 - x0) * (x3 - x1) * (x3 - x2))
    );
  };

  return {
    evaluate(slabs, scale, background, angleOffset, beamHeight_mm, sampleLength_mm, out) {
      const result = out ?? new Float64Array(n);
      if (!modelsOffset) {
        if (nominalSmear) nominalSmear.evaluate(slabs, 1, 0, result);
        else reflectivity(q, slabs, 1, 0, result);
      } else {
        shiftQ(q, wavelength, angleOffset, shifted);
        if (!sigma) {
          reflectivity(shifted, slabs, 1, 0, result);
        } else {
          if (!aux || Math.abs(angleOffset) > range) {
            if (aux) rebuildCount++;
            range = Math.max(range, 2 * Math.abs(angleOffset));
            aux = buildAux(range);
          }
          const grid = aux;
          grid.smear.evaluate(slabs, 1, 0, grid.r);
          for (let i = 0; i < grid.r.length; i++) grid.r[i] = Math.log(Math.max(grid.r[i], 1e-300));
          for (let i = 0; i < n; i++) result[i] = Math.exp(interpolate(grid, Math.min(Math.max(shifted[i], grid.lo), grid.hi)));
        }
      }
      if (profile) {
        footprintFactors(profile, sampleLength_mm, beamHeight_mm, sinAlpha, factor);
        for (let i = 0; i < n; i++) result[i] = scale * factor[i] * result[i] + background;
      } else {
        for (let i = 0; i < n; i++) result[i] = scale * result[i] + background;
      }
      return result;
    },
    auxPoints: () => aux?.q.length ?? 0,
    rebuilds: () => rebuildCount,
  };
}
