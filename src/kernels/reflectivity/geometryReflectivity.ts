/**
 * @module kernels/reflectivity/geometryReflectivity
 * Reflectivity of a slab stack as seen through the geometry of the measurement
 * (operando.md §2): measured at nominal Q, the curve is
 *
 *   R_obs(Q) = scale · F(α′) · T(α′) · R_smeared(Q′) + background + B_inc(α′),
 *   α = asin(Qλ/4π),  α′ = α + δ + δ_z(α),  Q′ = 4π/λ · sin α′,
 *
 * with δ the sample's angle offset; δ_z(α) = ½ atan(2Δz cos α / D) the apparent
 * angle error of a sample-height offset Δz read by a detector at distance D;
 * F the over-illumination (footprint) factor of a top-hat or Gaussian beam of
 * height h on a sample of length L, whose centre a height offset moves by
 * Δz / tan α′ along the sample; T(α′) = exp(−2 A_g / sin α′ − A_h − A_b / cos α′)
 * the transmission of the cell's entry path (A_g = Σ μᵢtᵢ of the windows and
 * electrolyte film crossed at the grazing angle, A_h = Σ μᵢLᵢ of a fixed
 * horizontal path, A_b = μL of a substrate block entered through its side faces);
 * and B_inc(α′) = b · sin 1° / sin α′ the incoherent background of an electrolyte
 * film, whose illuminated path grows as 1/sin α′ (b is its level at 1°).
 *
 * One angle for every term (issue 13 point 5): α′ is the angle at which the beam
 * meets the sample — the angle whose Q′ the reflectivity is evaluated at — so the
 * footprint, the entry path and the film background are taken there too, not at
 * the nominal α (a 0.004° offset is a 6 % footprint error at α = 0.07°). Where
 * α′ ≤ 0 the beam no longer meets the sample's face: F·T = 0 and B_inc = 0.
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
 * Units: Q, σ Å⁻¹; wavelength Å; δ rad; h, L, Δz, D mm; A_g, A_h, A_b dimensionless;
 * b reflectivity units.
 */
import { reflectivity } from "./abeles.ts";
import { footprintFactor, footprintFactors } from "./geometry.ts";
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
  /** A sample-height offset is modelled, read by a detector at this distance from the rotation centre (mm). */
  heightOffset?: { detectorDistance_mm: number };
  /** The entry-path transmission T(α′) is modelled. @default false */
  attenuation?: boolean;
  /** The electrolyte film's incoherent background B_inc(α) is modelled. @default false */
  incoherentBackground?: boolean;
  /** Half range Δ (rad) of δ the auxiliary grid covers before a rebuild. @default 0.05° */
  offsetRange?: number;
  /** Auxiliary nodes per σ (interpolation error ∝ its −4th power). @default 8 */
  auxPerSigma?: number;
}

/**
 * Layout of the `scalars` array of {@link GeometryReflectivity.evaluateScalars}:
 * scale, background, δ (rad), beam height h (mm), sample length L (mm), height
 * offset Δz (mm), A_g, A_h, A_b (dimensionless μ·t sums), b (incoherent
 * background at α = 1°). Entries of corrections not modelled are ignored.
 */
export const GEOMETRY_SCALAR = {
  scale: 0,
  background: 1,
  angleOffset: 2,
  beamHeight: 3,
  sampleLength: 4,
  heightOffset: 5,
  grazingAttenuation: 6,
  horizontalAttenuation: 7,
  blockAttenuation: 8,
  incoherentBackground: 9,
} as const;
/** Length of the geometry scalars array. */
export const GEOMETRY_SCALAR_COUNT = 10;
/** sin 1°: the incoherent background b is given at α = 1°. */
const SIN_ONE_DEGREE = Math.sin(Math.PI / 180);

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
  /**
   * R_obs at the nominal points with every modelled correction.
   * @param scalars - laid out as {@link GEOMETRY_SCALAR} (length ≥ {@link GEOMETRY_SCALAR_COUNT})
   * @param out - optional output buffer (length ≥ q.length)
   */
  evaluateScalars(slabs: Float64Array, scalars: ArrayLike<number>, out?: Float64Array): Float64Array;
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
  const alpha = sinAlpha.map(Math.asin);
  const factor = new Float64Array(n);
  const shifted = new Float64Array(n);
  // α′ and sin α′ of the last evaluation with an offset modelled (otherwise α and sin α are used)
  const trueAlpha = new Float64Array(n);
  const sinTrueAlpha = new Float64Array(n);
  const modelsAngle = options.angleOffset ?? true;
  const detectorDistance = options.heightOffset?.detectorDistance_mm;
  if (detectorDistance !== undefined && !(detectorDistance > 0)) throw new RangeError(`detector distance must be > 0 mm, got ${detectorDistance}`);
  const modelsHeight = detectorDistance !== undefined;
  const modelsOffset = modelsAngle || modelsHeight;
  const modelsAttenuation = options.attenuation ?? false;
  const modelsIncoherent = options.incoherentBackground ?? false;
  const profile = options.footprint;
  const legacy = new Float64Array(GEOMETRY_SCALAR_COUNT);
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

  const evaluateScalars = (slabs: Float64Array, scalars: ArrayLike<number>, out?: Float64Array): Float64Array => {
    const result = out ?? new Float64Array(n);
    const angleOffset = modelsAngle ? scalars[GEOMETRY_SCALAR.angleOffset] : 0;
    const heightOffset = modelsHeight ? scalars[GEOMETRY_SCALAR.heightOffset] : 0;
    if (!modelsOffset) {
      if (nominalSmear) nominalSmear.evaluate(slabs, 1, 0, result);
      else reflectivity(q, slabs, 1, 0, result);
    } else {
      // α′ = α + δ + δ_z(α), the angle at which the beam meets the sample; Q′ = k sin α′
      if (heightOffset === 0) for (let i = 0; i < n; i++) trueAlpha[i] = alpha[i] + angleOffset;
      else {
        const ratio = (2 * heightOffset) / detectorDistance!;
        for (let i = 0; i < n; i++) trueAlpha[i] = alpha[i] + angleOffset + 0.5 * Math.atan(ratio * Math.cos(alpha[i]));
      }
      for (let i = 0; i < n; i++) {
        sinTrueAlpha[i] = Math.sin(trueAlpha[i]);
        shifted[i] = k * sinTrueAlpha[i];
      }
      if (!sigma) {
        reflectivity(shifted, slabs, 1, 0, result);
      } else {
        // the largest angle shift of any point: |δ| + ½ atan(2|Δz|/D) bounds δ + δ_z(α)
        const reach = Math.abs(angleOffset) + (heightOffset === 0 ? 0 : 0.5 * Math.atan((2 * Math.abs(heightOffset)) / detectorDistance!));
        if (!aux || reach > range) {
          if (aux) rebuildCount++;
          range = Math.max(range, 2 * reach);
          aux = buildAux(range);
        }
        const grid = aux;
        grid.smear.evaluate(slabs, 1, 0, grid.r);
        for (let i = 0; i < grid.r.length; i++) grid.r[i] = Math.log(Math.max(grid.r[i], 1e-300));
        for (let i = 0; i < n; i++) result[i] = Math.exp(interpolate(grid, Math.min(Math.max(shifted[i], grid.lo), grid.hi)));
      }
    }
    const scale = scalars[GEOMETRY_SCALAR.scale];
    const background = scalars[GEOMETRY_SCALAR.background];
    // every angle-dependent factor at α′ (= α when no offset is modelled)
    const angle = modelsOffset ? trueAlpha : alpha;
    const sinAngle = modelsOffset ? sinTrueAlpha : sinAlpha;
    if (profile) {
      const beamHeight = scalars[GEOMETRY_SCALAR.beamHeight];
      const sampleLength = scalars[GEOMETRY_SCALAR.sampleLength];
      // a height offset moves the footprint's centre by Δz / tan α′ along the sample
      if (heightOffset === 0) footprintFactors(profile, sampleLength, beamHeight, sinAngle, factor);
      else for (let i = 0; i < n; i++) factor[i] = footprintFactor(profile, sampleLength, beamHeight, sinAngle[i], heightOffset / Math.tan(angle[i]));
    } else if (modelsAttenuation) factor.fill(1);
    if (modelsAttenuation) {
      const grazing = 2 * scalars[GEOMETRY_SCALAR.grazingAttenuation];
      const horizontal = scalars[GEOMETRY_SCALAR.horizontalAttenuation];
      const block = scalars[GEOMETRY_SCALAR.blockAttenuation];
      for (let i = 0; i < n; i++) factor[i] *= Math.exp(-grazing / sinAngle[i] - horizontal - block / Math.cos(angle[i]));
    }
    // F·T multiplies only when some factor is modelled (no pass over a factor of ones otherwise);
    // α′ ≤ 0 (only reachable with an offset) lights no part of the sample's face
    const factored = profile !== undefined || modelsAttenuation;
    const level = modelsIncoherent ? scalars[GEOMETRY_SCALAR.incoherentBackground] * SIN_ONE_DEGREE : 0;
    if (factored) for (let i = 0; i < n; i++) result[i] = (sinAngle[i] > 0 ? scale * factor[i] * result[i] : 0) + background;
    else for (let i = 0; i < n; i++) result[i] = scale * result[i] + background;
    if (modelsIncoherent) for (let i = 0; i < n; i++) if (sinAngle[i] > 0) result[i] += level / sinAngle[i];
    return result;
  };

  return {
    evaluate(slabs, scale, background, angleOffset, beamHeight_mm, sampleLength_mm, out) {
      legacy[GEOMETRY_SCALAR.scale] = scale;
      legacy[GEOMETRY_SCALAR.background] = background;
      legacy[GEOMETRY_SCALAR.angleOffset] = angleOffset;
      legacy[GEOMETRY_SCALAR.beamHeight] = beamHeight_mm;
      legacy[GEOMETRY_SCALAR.sampleLength] = sampleLength_mm;
      return evaluateScalars(slabs, legacy, out);
    },
    evaluateScalars,
    auxPoints: () => aux?.q.length ?? 0,
    rebuilds: () => rebuildCount,
  };
}
