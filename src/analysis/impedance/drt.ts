/**
 * @module analysis/impedance/drt
 * Distribution of relaxation times (DRT) by Tikhonov-regularised non-negative
 * least squares.
 *
 * Units: frequency in Hz, ω = 2πf (rad/s), τ in s, γ in Ω (per unit ln τ, so
 * ∫γ d ln τ is a resistance), R∞ in Ω, inductance in H. Sign convention:
 * Z″ < 0 capacitive.
 *
 * Model: `Z(ω) = jωL + R∞ + ∫ γ(ln τ) / (1 + jωτ) d ln τ`, with
 * `γ(ln τ) = Σ_m x_m φ_m(ln τ)` on a grid of τ_m uniform in ln τ:
 *
 * - anchored at τ = 1/(2π f_max) (not pyDRTtools' 1/f), with the data's mean
 *   spacing in ln f (at least 10 points per decade), so for log-spaced data the
 *   collocation points are exactly τ_n = 1/(2π f_n);
 * - extended `extendDecades` (default 1) beyond 1/(2π f_max) and 1/(2π f_min),
 *   so a process just inside the sweep (e.g. an SEI arc at 70 kHz in a 100 kHz
 *   sweep) has basis functions on both sides and is not absorbed into R∞.
 *   γ outside the measured window is flagged (`inWindow`, `peak.outsideWindow`).
 *
 * Bases: Gaussian RBF φ_m = exp(−(ε (ln τ − ln τ_m))²) with
 * ε = shapeFactor · 2√ln2 / Δ (pyDRTtools' "FWHM coefficient": each Gaussian's
 * FWHM is Δ/shapeFactor), or piecewise-linear hats (x_m = γ(τ_m)). Matrix
 * entries `A′ = ∫φ/(1 + ω²τ²)`, `A″ = −∫φ ωτ/(1 + ω²τ²)` are integrated by the
 * trapezoidal rule (Gaussian; exponentially convergent) or 8-point
 * Gauss–Legendre per hat half (piecewise-linear).
 *
 * Solve: minimise ‖A x − Z‖² + λ xᵀ M x subject to x ≥ 0, where x = [x_m, R∞, L]
 * (R∞ and L unpenalised, also ≥ 0) and M is the Gram matrix of the basis
 * functions' first (default) or second derivatives (closed form for Gaussians;
 * difference matrices for hats). The NNLS is the Lawson–Hanson active-set
 * method in normal-equation form (Bro & de Jong's FNNLS) on column-scaled
 * normal equations.
 *
 * λ: fixed, or chosen by GCV, mGCV, rGCV (Maradesa et al. 2023) or the L-curve
 * corner, all scored on the unconstrained ridge. One generalised eigen-
 * decomposition makes every score O(K) per λ, so the whole log grid
 * (`lambdaRange`, 4 points per decade) is scored, then the best bracket is
 * refined by golden-section search — no local optimiser that can stall at its
 * start value on a flat GCV curve. The score curve is returned.
 *
 * Credible band (optional): a Laplace approximation around the NNLS solution —
 * Gaussian posterior with precision (AᵀA + λM)/σ² restricted to the coefficients
 * that are not pinned at zero, σ² = RSS/(2N − tr K). The band is pointwise
 * γ ± 1.96 sd (≈95 %), lower edge clipped at 0. It ignores the uncertainty of
 * coefficients held at the x ≥ 0 bound, so it is narrower than pyDRTtools'
 * truncated-Gaussian HMC band where γ is near 0.
 *
 * Peaks: local maxima of γ with prominence ≥ `peakProminence`·max γ; peaks with
 * less than `minorPeakFraction` of the area inside the measured window are merged into a neighbour
 * (regularisation ripples on a broad process's tails); area = ∫γ d ln τ
 * between the neighbouring minima (the peak's resistance), τ at the maximum
 * (parabolic refinement in ln τ), width = full width at half maximum in decades
 * of τ. A peak with more than {@link DRT_EDGE_FRACTION} of its area beyond an
 * edge of the measured window is flagged `truncated` (and warned about): a
 * process at the highest frequencies is reported, not absorbed into R∞, and an
 * arc that does not close is said to be extrapolated.
 *
 * @see T. H. Wan, M. Saccoccio, C. Chen, F. Ciucci, Electrochim. Acta 184 (2015) 483 (RBF discretisation)
 * @see A. Maradesa et al., J. Electrochem. Soc. 170 (2023) 030502 (λ selection)
 * @see R. Bro, S. de Jong, J. Chemometrics 11 (1997) 393 (FNNLS)
 */
import { ValidationError } from "../../core/errors.ts";
import { choleskyWithJitter, forwardSubstitution, symmetricEigen } from "../../core/linalg.ts";
import { nnlsNormalEquations } from "../../core/nnls.ts";
import { gaussLegendreUnit } from "../../core/quadrature.ts";
import type { ImpedanceSpectrum } from "../../io/impedance.ts";
import { checkSpectrum, type SpectrumData } from "./spectrumData.ts";

/** How λ is chosen. */
export type DrtLambdaMethod = "gcv" | "mgcv" | "rgcv" | "lcurve";

/** Options of {@link drt}. */
export interface DrtOptions {
  /** Basis for γ. @default "rbf" (Gaussian) */
  basis?: "rbf" | "piecewise-linear";
  /**
   * Regularisation: a fixed λ ≥ 0, or a selection rule. Plain GCV is often flat with several minima
   * and undersmooths noisy spectra (spurious peaks); robust GCV (Lukas' rGCV, as in Maradesa et al.)
   * penalises that, so it is the default.
   * @default "rgcv"
   */
  lambda?: number | DrtLambdaMethod;
  /** Search range for λ. @default [1e-10, 10] */
  lambdaRange?: [number, number];
  /** pyDRTtools' FWHM coefficient: each Gaussian's FWHM is Δ/shapeFactor (Δ = grid spacing in ln τ). @default 0.5 */
  shapeFactor?: number;
  /** Decades the τ grid extends beyond 1/(2π f_max) and 1/(2π f_min). @default 1 */
  extendDecades?: number;
  /** Basis functions per decade of τ. @default the data's mean density (points per decade of f), at least 10 */
  pointsPerDecade?: number;
  /**
   * Fit a series inductance L ≥ 0.
   * @default true when a point in the upper half of the (log) frequency range has Z″ > 0; otherwise
   *   false, because on purely capacitive data a free L only trades off against R∞ and the fastest process
   */
  inductance?: boolean;
  /** Order of the derivative penalised. @default 1 */
  derivative?: 1 | 2;
  /** Row weights: none (pyDRTtools) or 1/|Z| (relative errors). @default "none" */
  weighting?: "none" | "modulus";
  /** Compute a Laplace-approximation 95 % band for γ. @default false */
  credibleBand?: boolean;
  /** Output points per basis spacing for `tau`/`gamma`. @default 5 */
  oversample?: number;
  /** Minimum peak prominence as a fraction of max γ. @default 0.01 */
  peakProminence?: number;
  /**
   * Peaks whose area is below this fraction of ∫γ d ln τ inside the measured window are merged into the neighbour they share the
   * higher valley with: the side lobes regularisation leaves on the tails of a broad (ZARC-like)
   * process belong to it, not to separate processes. 0 keeps every peak. @default 0.05
   */
  minorPeakFraction?: number;
}

/** A DRT peak: one relaxation process. */
export interface DrtPeak {
  /** τ at the maximum (s). */
  tau: number;
  /** Characteristic frequency 1/(2πτ) (Hz). */
  frequency: number;
  /** Area ∫γ d ln τ between the neighbouring minima (Ω). */
  resistance: number;
  /** Full width at half maximum (decades of τ). */
  width: number;
  /** γ at the maximum (Ω). */
  height: number;
  /** The maximum lies outside [1/(2π f_max), 1/(2π f_min)]. */
  outsideWindow: boolean;
  /** Fraction of the peak's area lying outside the measured window (0…1). */
  outsideFraction: number;
  /**
   * The peak is cut by an edge of the measured window: more than {@link DRT_EDGE_FRACTION} of its area lies
   * beyond 1/(2π f_max) ("high", a process near or above the highest frequency) or beyond 1/(2π f_min)
   * ("low", an arc that does not close), so its resistance is extrapolated. Absent otherwise.
   */
  truncated?: "high" | "low";
}

/** Fraction of a peak's area beyond an edge of the measured window above which the peak is flagged `truncated`. */
export const DRT_EDGE_FRACTION = 0.25;

/** Result of {@link drt}. */
export interface DrtResult {
  /** Output grid τ (s), ascending, `oversample` points per basis spacing. */
  tau: Float64Array;
  /** γ(τ) on `tau` (Ω per unit ln τ). */
  gamma: Float64Array;
  /** 1 where τ lies inside the measured window [1/(2π f_max), 1/(2π f_min)]. */
  inWindow: Uint8Array;
  /** Basis centres τ_m (s). */
  basisTau: Float64Array;
  /** Basis coefficients x_m (Ω), all ≥ 0. */
  coefficients: Float64Array;
  /** High-frequency resistance R∞ (Ω). */
  rInf: number;
  /** Series inductance (H); 0 when not fitted. */
  inductance: number;
  /** ∫γ d ln τ over the whole grid (Ω): includes γ extrapolated beyond the measured window. */
  polarizationResistance: number;
  /**
   * ∫γ(τ)·W(τ) d ln τ with the smooth window W = 1/(1 + (ω_min τ)²) − 1/(1 + (ω_max τ)²) (Ω): the part of
   * the polarisation the sweep resolves, = Z′_DRT(ω_min) − Z′_DRT(ω_max). W is ½ at the window's edges and
   * falls off over about a decade beyond them, so a narrow peak sitting on an edge counts half, not all or nothing.
   */
  polarizationInWindow: number;
  /** λ used. */
  lambda: number;
  /** How λ was chosen. */
  lambdaMethod: DrtLambdaMethod | "fixed";
  /** The scored λ grid (absent for a fixed λ): lower is better (the L-curve's score is −curvature). */
  lambdaScores?: { lambda: Float64Array; score: Float64Array };
  /** Peaks in ascending τ. */
  peaks: DrtPeak[];
  /** Model impedance at the measured frequencies (Ω). */
  fit: { real: Float64Array; imag: Float64Array };
  /** (Z − Z_fit)/|Z| per point. */
  residuals: { real: Float64Array; imag: Float64Array };
  /** Laplace-approximation band on `tau` (see the module notes). */
  band?: { lo: Float64Array; hi: Float64Array; level: number; method: "laplace" };
  /** Basis used and its shape parameter ε (0 for piecewise-linear). */
  basis: "rbf" | "piecewise-linear";
  epsilon: number;
  /** Non-fatal issues (λ at the edge of its range, flat score, unfittable points). */
  warnings: string[];
}

/**
 * Distribution of relaxation times of an impedance spectrum.
 *
 * @param spectrum - frequencies (Hz, > 0) and Z′, Z″ (Ω); at least 4 points
 * @param options - see {@link DrtOptions}
 * @returns γ(τ), R∞, L, λ and how it was chosen, peaks (τ, resistance, width), fit and residuals
 * @throws {ValidationError} for invalid spectra or options
 * @example
 * ```ts
 * const result = drt(spectrum);                  // Gaussian RBF, λ by robust GCV
 * for (const p of result.peaks) console.log(p.tau, p.resistance);
 * const fixed = drt(spectrum, { lambda: 1e-3 });  // compare with pyDRTtools at a fixed λ
 * ```
 */
export function drt(spectrum: ImpedanceSpectrum, options: DrtOptions = {}): DrtResult {
  const opts = resolveOptions(options);
  const data = checkSpectrum(spectrum, "DRT", 4);
  const n = data.f.length;
  const rows = 2 * n;
  const warnings: string[] = [];

  // τ grid (ln τ uniform), anchored at 1/(2π f_max).
  const lnTauLo = -Math.log(2 * Math.PI * data.fMax);
  const lnTauHi = -Math.log(2 * Math.PI * data.fMin);
  const step = opts.pointsPerDecade !== undefined ? Math.LN10 / opts.pointsPerDecade : Math.min((lnTauHi - lnTauLo) / (n - 1), Math.LN10 / 10);
  const extend = opts.extendDecades * Math.LN10;
  const before = Math.ceil(extend / step - 1e-9);
  const after = Math.ceil((lnTauHi - lnTauLo + extend) / step - 1e-9);
  const K = before + after + 1;
  const lnTau = Float64Array.from({ length: K }, (_, m) => lnTauLo + (m - before) * step);
  const epsilon = opts.basis === "rbf" ? (opts.shapeFactor * 2 * Math.sqrt(Math.LN2)) / step : 0;

  const fitInductance = opts.inductance ?? hasHighFrequencyInductance(data);

  // Design matrix, column-major (rows: N real parts then N imaginary parts), columns: K basis, R∞, [L].
  const p = K + 1 + (fitInductance ? 1 : 0);
  const iR = K;
  const iL = fitInductance ? K + 1 : -1;
  const a = new Float64Array(rows * p);
  if (opts.basis === "rbf") fillRbfColumns(a, rows, data.omega, lnTau, epsilon);
  else fillHatColumns(a, rows, data.omega, lnTau, step);
  for (let i = 0; i < n; i++) {
    a[iR * rows + i] = 1;
    if (iL >= 0) a[iL * rows + n + i] = data.omega[i];
  }
  const b = new Float64Array(rows);
  b.set(data.re, 0);
  b.set(data.im, n);
  if (opts.weighting === "modulus") {
    for (let i = 0; i < n; i++) {
      const w = 1 / data.abs[i];
      for (let j = 0; j < p; j++) {
        a[j * rows + i] *= w;
        a[j * rows + n + i] *= w;
      }
      b[i] *= w;
      b[n + i] *= w;
    }
  }
  if (opts.inductance === false && hasHighFrequencyInductance(data)) {
    warnings.push("the high-frequency end has Z'' > 0 (inductive), which cannot be fitted without the inductance");
  }

  const penalty = opts.basis === "rbf" ? rbfPenalty(lnTau, epsilon, opts.derivative) : hatPenalty(K, step, opts.derivative);

  // Normal equations AᵀA, Aᵀb (the penalty is added once λ is known).
  const h = new Float64Array(p * p);
  const g = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const oj = j * rows;
    for (let k = 0; k <= j; k++) {
      const ok = k * rows;
      let s = 0;
      for (let r = 0; r < rows; r++) s += a[oj + r] * a[ok + r];
      h[j * p + k] = s;
      h[k * p + j] = s;
    }
    let s = 0;
    for (let r = 0; r < rows; r++) s += a[oj + r] * b[r];
    g[j] = s;
  }
  // λ
  let lambda: number;
  let lambdaScores: DrtResult["lambdaScores"];
  let spectral: RidgeSpectrum | null = null;
  if (typeof opts.lambda === "number") {
    lambda = opts.lambda;
  } else {
    spectral = ridgeSpectrum(a, rows, p, K, b, h, g, penalty);
    const chosen = chooseLambda(spectral, opts.lambda, opts.lambdaRange, warnings);
    lambda = chosen.lambda;
    lambdaScores = chosen.scores;
  }

  // Constrained solve of (AᵀA + λM) x = Aᵀb, x ≥ 0.
  for (let j = 0; j < K; j++) for (let k = 0; k < K; k++) h[j * p + k] += lambda * penalty[j * K + k];
  const x = nnlsNormalEquations(h, g, p);

  // Fit and residuals (undoing the row weights).
  const fitRe = new Float64Array(n);
  const fitIm = new Float64Array(n);
  const resRe = new Float64Array(n);
  const resIm = new Float64Array(n);
  const model = new Float64Array(rows);
  for (let j = 0; j < p; j++) {
    if (x[j] === 0) continue;
    const o = j * rows;
    for (let r = 0; r < rows; r++) model[r] += a[o + r] * x[j];
  }
  let rss = 0;
  for (let r = 0; r < rows; r++) rss += (b[r] - model[r]) ** 2;
  for (let i = 0; i < n; i++) {
    const unweight = opts.weighting === "modulus" ? data.abs[i] : 1;
    fitRe[i] = model[i] * unweight;
    fitIm[i] = model[n + i] * unweight;
    resRe[i] = (data.re[i] - fitRe[i]) / data.abs[i];
    resIm[i] = (data.im[i] - fitIm[i]) / data.abs[i];
  }

  // γ on the output grid.
  const sub = opts.oversample;
  const outCount = (K - 1) * sub + 1;
  const tau = new Float64Array(outCount);
  const gamma = new Float64Array(outCount);
  const inWindow = new Uint8Array(outCount);
  const lnOut = new Float64Array(outCount);
  for (let q = 0; q < outCount; q++) {
    const y = lnTau[0] + (q * step) / sub;
    lnOut[q] = y;
    tau[q] = Math.exp(y);
    let s = 0;
    for (let m = 0; m < K; m++) if (x[m] !== 0) s += x[m] * basisValue(opts.basis, y - lnTau[m], epsilon, step);
    gamma[q] = s;
    inWindow[q] = y >= lnTauLo - 1e-9 && y <= lnTauHi + 1e-9 ? 1 : 0;
  }
  const basisArea = opts.basis === "rbf" ? Math.sqrt(Math.PI) / epsilon : step;
  let polarizationResistance = 0;
  for (let m = 0; m < K; m++) polarizationResistance += x[m] * basisArea;

  const peaks = findPeaks(lnOut, gamma, opts.peakProminence, opts.minorPeakFraction, lnTauLo, lnTauHi);
  for (const peak of peaks) {
    if (peak.truncated === undefined) continue;
    const pct = Math.round(100 * peak.outsideFraction);
    warnings.push(
      peak.truncated === "high"
        ? `a process at τ = ${peak.tau.toExponential(2)} s (${peak.frequency.toPrecision(3)} Hz) sits at the high-frequency edge: ${pct} % of its ${peak.resistance.toPrecision(3)} Ω lies beyond 1/(2π f_max), so that resistance is extrapolated (measure to higher frequency to resolve it)`
        : `a process at τ = ${peak.tau.toExponential(2)} s (${peak.frequency.toPrecision(3)} Hz) does not close inside the sweep: ${pct} % of its ${peak.resistance.toPrecision(3)} Ω lies beyond 1/(2π f_min), so that resistance and the total polarisation are extrapolated`,
    );
  }
  const result: DrtResult = {
    tau,
    gamma,
    inWindow,
    basisTau: lnTau.map(Math.exp),
    coefficients: x.slice(0, K),
    rInf: x[iR],
    inductance: iL >= 0 ? x[iL] : 0,
    polarizationResistance,
    lambda,
    lambdaMethod: typeof opts.lambda === "number" ? "fixed" : opts.lambda,
    lambdaScores,
    polarizationInWindow: windowedArea(lnOut, gamma, data.fMin, data.fMax),
    peaks,
    fit: { real: fitRe, imag: fitIm },
    residuals: { real: resRe, imag: resIm },
    basis: opts.basis,
    epsilon,
    warnings: [...new Set(warnings)],
  };
  if (opts.credibleBand) {
    const dof = spectral ? rows - spectral.traceInfluence(lambda) : rows - effectiveParameters(h, a, rows, p, x);
    result.band = laplaceBand(h, p, x, rss / Math.max(dof, 1), lnOut, lnTau, opts.basis, epsilon, step);
  }
  return result;
}

// ---------------------------------------------------------------------------
// Options and data

interface ResolvedDrtOptions {
  basis: "rbf" | "piecewise-linear";
  lambda: number | DrtLambdaMethod;
  lambdaRange: [number, number];
  shapeFactor: number;
  extendDecades: number;
  pointsPerDecade: number | undefined;
  inductance: boolean | undefined;
  derivative: 1 | 2;
  weighting: "none" | "modulus";
  credibleBand: boolean;
  oversample: number;
  peakProminence: number;
  minorPeakFraction: number;
}

function resolveOptions(options: DrtOptions): ResolvedDrtOptions {
  const basis = options.basis ?? "rbf";
  if (basis !== "rbf" && basis !== "piecewise-linear") throw new ValidationError("basis", 'must be "rbf" or "piecewise-linear"', basis);
  const lambda = options.lambda ?? "rgcv";
  if (typeof lambda === "number") {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new ValidationError("lambda", "must be a finite number ≥ 0", lambda);
  } else if (!["gcv", "mgcv", "rgcv", "lcurve"].includes(lambda)) {
    throw new ValidationError("lambda", 'must be a number or "gcv", "mgcv", "rgcv", "lcurve"', lambda);
  }
  const lambdaRange = options.lambdaRange ?? [1e-10, 10];
  if (!(lambdaRange[0] > 0 && lambdaRange[1] > lambdaRange[0])) throw new ValidationError("lambdaRange", "must be [lo, hi] with 0 < lo < hi", lambdaRange);
  const shapeFactor = options.shapeFactor ?? 0.5;
  if (!(shapeFactor > 0)) throw new ValidationError("shapeFactor", "must be positive", shapeFactor);
  const extendDecades = options.extendDecades ?? 1;
  if (!(extendDecades >= 0)) throw new ValidationError("extendDecades", "must be ≥ 0", extendDecades);
  const pointsPerDecade = options.pointsPerDecade;
  if (pointsPerDecade !== undefined && !(pointsPerDecade > 0)) throw new ValidationError("pointsPerDecade", "must be positive", pointsPerDecade);
  const derivative = options.derivative ?? 1;
  if (derivative !== 1 && derivative !== 2) throw new ValidationError("derivative", "must be 1 or 2", derivative);
  const weighting = options.weighting ?? "none";
  if (weighting !== "none" && weighting !== "modulus") throw new ValidationError("weighting", 'must be "none" or "modulus"', weighting);
  const oversample = options.oversample ?? 5;
  if (!(Number.isInteger(oversample) && oversample >= 1)) throw new ValidationError("oversample", "must be a positive integer", oversample);
  const peakProminence = options.peakProminence ?? 0.01;
  if (!(peakProminence >= 0 && peakProminence < 1)) throw new ValidationError("peakProminence", "must be in [0, 1)", peakProminence);
  const minorPeakFraction = options.minorPeakFraction ?? 0.05;
  if (!(minorPeakFraction >= 0 && minorPeakFraction < 1)) throw new ValidationError("minorPeakFraction", "must be in [0, 1)", minorPeakFraction);
  return {
    basis,
    lambda,
    lambdaRange,
    shapeFactor,
    extendDecades,
    pointsPerDecade,
    inductance: options.inductance,
    derivative,
    weighting,
    credibleBand: options.credibleBand ?? false,
    oversample,
    peakProminence,
    minorPeakFraction,
  };
}


/** Some point in the upper half of the log-frequency range has Z″ > 0. */
function hasHighFrequencyInductance(data: SpectrumData): boolean {
  const middle = Math.sqrt(data.fMin * data.fMax);
  for (let i = 0; i < data.f.length; i++) if (data.f[i] > middle && data.im[i] > 0) return true;
  return false;
}

// ---------------------------------------------------------------------------
// Basis functions and their impedance integrals

function basisValue(basis: "rbf" | "piecewise-linear", u: number, epsilon: number, step: number): number {
  if (basis === "rbf") {
    const t = epsilon * u;
    return Math.exp(-t * t);
  }
  const v = 1 - Math.abs(u) / step;
  return v > 0 ? v : 0;
}

/** Trapezoid nodes for ∫ exp(−(εu)²) k(u) du: step ≤ 0.5/ε (aliasing < 1e-17) and ≤ 0.25 (kernel), |u| ≤ 6.5/ε. */
function rbfNodes(epsilon: number): { expU: Float64Array; weight: Float64Array } {
  const h = Math.min(0.5 / epsilon, 0.25);
  const half = Math.ceil(6.5 / epsilon / h);
  const expU = new Float64Array(2 * half + 1);
  const weight = new Float64Array(2 * half + 1);
  for (let k = -half; k <= half; k++) {
    const u = k * h;
    expU[k + half] = Math.exp(u);
    weight[k + half] = h * Math.exp(-(epsilon * u) * (epsilon * u));
  }
  return { expU, weight };
}

function fillRbfColumns(a: Float64Array, rows: number, omega: Float64Array, lnTau: Float64Array, epsilon: number): void {
  const n = omega.length;
  const { expU, weight } = rbfNodes(epsilon);
  const nodes = expU.length;
  for (let m = 0; m < lnTau.length; m++) {
    const tauM = Math.exp(lnTau[m]);
    const o = m * rows;
    for (let i = 0; i < n; i++) {
      const wt0 = omega[i] * tauM;
      let re = 0;
      let im = 0;
      for (let k = 0; k < nodes; k++) {
        const wt = wt0 * expU[k];
        const d = weight[k] / (1 + wt * wt);
        re += d;
        im -= d * wt;
      }
      a[o + i] = re;
      a[o + n + i] = im;
    }
  }
}

/** 8-point Gauss–Legendre rule on [0, 1], for each half of a hat. */
const GL8 = gaussLegendreUnit(8);

/** [A′, A″] of one hat (half-width `step` in ln τ) at ω. */
function hatEntry(omega: number, lnTauM: number, step: number): [number, number] {
  let re = 0;
  let im = 0;
  for (let side = -1; side <= 1; side += 2) {
    for (let k = 0; k < 8; k++) {
      const t = GL8.nodes[k];
      const wt = omega * Math.exp(lnTauM + side * t * step);
      const d = (GL8.weights[k] * step * (1 - t)) / (1 + wt * wt);
      re += d;
      im -= d * wt;
    }
  }
  return [re, im];
}

function fillHatColumns(a: Float64Array, rows: number, omega: Float64Array, lnTau: Float64Array, step: number): void {
  const n = omega.length;
  for (let m = 0; m < lnTau.length; m++) {
    for (let i = 0; i < n; i++) {
      const [re, im] = hatEntry(omega[i], lnTau[m], step);
      a[m * rows + i] = re;
      a[m * rows + n + i] = im;
    }
  }
}

/**
 * Gram matrix of the Gaussians' derivatives, closed form: with C(d) = √(π/2)/ε · e^{−ε²d²/2}
 * (the overlap of two Gaussians d apart), ∫φ′φ′ = −C″(d) = (ε² − ε⁴d²) C(d) and
 * ∫φ″φ″ = C⁗(d) = ε⁴(ε⁴d⁴ − 6ε²d² + 3) C(d).
 */
function rbfPenalty(lnTau: Float64Array, epsilon: number, derivative: 1 | 2): Float64Array {
  const K = lnTau.length;
  const m = new Float64Array(K * K);
  const e2 = epsilon * epsilon;
  const c0 = Math.sqrt(Math.PI / 2) / epsilon;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const d = lnTau[i] - lnTau[j];
      const d2 = d * d;
      const c = c0 * Math.exp((-e2 * d2) / 2);
      m[i * K + j] = derivative === 1 ? (e2 - e2 * e2 * d2) * c : e2 * e2 * (e2 * e2 * d2 * d2 - 6 * e2 * d2 + 3) * c;
    }
  }
  return m;
}

/** Hats: Gram of first derivatives (tridiagonal 2, −1 over Δ) or DᵀD/Δ³ for second differences (zero beyond the grid). */
function hatPenalty(K: number, step: number, derivative: 1 | 2): Float64Array {
  const m = new Float64Array(K * K);
  if (derivative === 1) {
    for (let i = 0; i < K; i++) {
      m[i * K + i] = 2 / step;
      if (i > 0) m[i * K + i - 1] = m[(i - 1) * K + i] = -1 / step;
    }
    return m;
  }
  // D has rows x_{r−1} − 2x_r + x_{r+1} for r = 0…K−1.
  const s = 1 / (step * step * step);
  for (let r = 0; r < K; r++) {
    const idx = [r - 1, r, r + 1];
    const coef = [1, -2, 1];
    for (let u = 0; u < 3; u++) {
      for (let v = 0; v < 3; v++) {
        const i = idx[u];
        const j = idx[v];
        if (i < 0 || j < 0 || i >= K || j >= K) continue;
        m[i * K + j] += coef[u] * coef[v] * s;
      }
    }
  }
  return m;
}

// ---------------------------------------------------------------------------
// λ selection on the unconstrained ridge

/** Everything needed to score any λ in O(K): eigenvalues of L⁻¹GL⁻ᵀ and the projected data. */
interface RidgeSpectrum {
  rows: number;
  /** Rank of the unpenalised columns (R∞, L). */
  fixedRank: number;
  eigenvalues: Float64Array;
  /** d_i² for each eigenvalue. */
  d2: Float64Array;
  /** ‖P b‖² minus its part inside the range of the basis: the residual floor. */
  floor: number;
  traceInfluence(lambda: number): number;
}

/**
 * Generalised eigendecomposition of the penalised problem. P projects out the
 * unpenalised columns (R∞, L); G = (PA₁)ᵀ(PA₁), M = LLᵀ (Cholesky, with a
 * tiny ridge); S = L⁻¹GL⁻ᵀ = UΛUᵀ. Then for the ridge at λ:
 * tr K = rank(A₀) + Σ λ_i/(λ_i + λ), RSS = floor + Σ (d_i²/λ_i)(λ/(λ_i + λ))²,
 * xᵀMx = Σ d_i²/(λ_i + λ)², with d = Uᵀ L⁻¹ (PA₁)ᵀ b.
 */
function ridgeSpectrum(
  a: Float64Array,
  rows: number,
  p: number,
  K: number,
  b: Float64Array,
  h0: Float64Array,
  g0: Float64Array,
  penalty: Float64Array,
): RidgeSpectrum {
  // Orthonormal basis Q₀ of the unpenalised columns (modified Gram–Schmidt, twice).
  const q: Float64Array[] = [];
  for (let j = K; j < p; j++) {
    const v = a.slice(j * rows, j * rows + rows);
    for (let pass = 0; pass < 2; pass++) {
      for (const u of q) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += u[r] * v[r];
        for (let r = 0; r < rows; r++) v[r] -= dot * u[r];
      }
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += v[r] * v[r];
    norm = Math.sqrt(norm);
    if (norm > 1e-12) q.push(v.map((x) => x / norm));
  }
  // G = A₁ᵀPA₁ = A₁ᵀA₁ − (A₁ᵀQ₀)(A₁ᵀQ₀)ᵀ, c = A₁ᵀPb, ‖Pb‖² from the normal equations already formed.
  const gram = new Float64Array(K * K);
  for (let j = 0; j < K; j++) for (let k = 0; k < K; k++) gram[j * K + k] = h0[j * p + k];
  const c = g0.slice(0, K);
  let bb = 0;
  for (let r = 0; r < rows; r++) bb += b[r] * b[r];
  const aq = new Float64Array(K);
  for (const u of q) {
    let qb = 0;
    for (let r = 0; r < rows; r++) qb += u[r] * b[r];
    bb -= qb * qb;
    for (let j = 0; j < K; j++) {
      let dot = 0;
      const o = j * rows;
      for (let r = 0; r < rows; r++) dot += a[o + r] * u[r];
      aq[j] = dot;
      c[j] -= dot * qb;
    }
    for (let j = 0; j < K; j++) for (let k = 0; k < K; k++) gram[j * K + k] -= aq[j] * aq[k];
  }
  bb = Math.max(bb, 0);
  // M + δI, δ relative to M's diagonal so the Cholesky factor exists for the hat and Gaussian Grams alike.
  let maxDiag = 0;
  for (let i = 0; i < K; i++) maxDiag = Math.max(maxDiag, penalty[i * K + i]);
  const mReg = Float64Array.from(penalty);
  for (let i = 0; i < K; i++) mReg[i * K + i] += 1e-10 * maxDiag;
  const l = choleskyWithJitter(mReg, K, 1e-10 * maxDiag);
  // X = L⁻¹ G (column by column), S = L⁻¹ Xᵀ.
  const xmat = new Float64Array(K * K);
  const col = new Float64Array(K);
  for (let j = 0; j < K; j++) {
    for (let i = 0; i < K; i++) col[i] = gram[i * K + j];
    forwardSubstitution(l, K, col);
    for (let i = 0; i < K; i++) xmat[i * K + j] = col[i];
  }
  const s = new Float64Array(K * K);
  for (let j = 0; j < K; j++) {
    for (let i = 0; i < K; i++) col[i] = xmat[j * K + i];
    forwardSubstitution(l, K, col);
    for (let i = 0; i < K; i++) s[i * K + j] = col[i];
  }
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (s[i * K + j] + s[j * K + i]);
      s[i * K + j] = v;
      s[j * K + i] = v;
    }
  }
  const lc = Float64Array.from(c);
  forwardSubstitution(l, K, lc);
  const { values, projection } = symmetricEigen(s, K, lc);
  const d2 = new Float64Array(K);
  let lamMax = 0;
  for (let i = 0; i < K; i++) lamMax = Math.max(lamMax, values[i]);
  let inside = 0;
  for (let i = 0; i < K; i++) {
    d2[i] = projection![i] * projection![i];
    if (!(values[i] > 1e-14 * lamMax)) {
      values[i] = 0;
      d2[i] = 0;
      continue;
    }
    inside += d2[i] / values[i];
  }
  const fixedRank = q.length;
  const eigenvalues = values;
  return {
    rows,
    fixedRank,
    eigenvalues,
    d2,
    floor: Math.max(0, bb - inside),
    traceInfluence(lambda: number): number {
      let t = fixedRank;
      for (let i = 0; i < K; i++) if (eigenvalues[i] > 0) t += eigenvalues[i] / (eigenvalues[i] + lambda);
      return t;
    },
  };
}

interface RidgeScores {
  rss: number;
  penalty: number;
  trace: number;
  traceSquared: number;
}

function ridgeScores(sp: RidgeSpectrum, lambda: number): RidgeScores {
  let rss = sp.floor;
  let penalty = 0;
  let trace = sp.fixedRank;
  let traceSquared = sp.fixedRank;
  for (let i = 0; i < sp.eigenvalues.length; i++) {
    const li = sp.eigenvalues[i];
    if (li === 0) continue;
    const denom = li + lambda;
    const shrink = lambda / denom;
    rss += (sp.d2[i] / li) * shrink * shrink;
    penalty += sp.d2[i] / (denom * denom);
    const hi = li / denom;
    trace += hi;
    traceSquared += hi * hi;
  }
  return { rss, penalty, trace, traceSquared };
}

/** Score to minimise at ln λ = t. */
function lambdaScore(sp: RidgeSpectrum, method: DrtLambdaMethod, t: number): number {
  const n = sp.rows;
  if (method === "lcurve") {
    // Signed curvature of (log RSS, log xᵀMx) along t = ln λ, by central differences; the corner maximises it.
    const hstep = 0.05;
    const point = (tt: number): [number, number] => {
      const s = ridgeScores(sp, Math.exp(tt));
      return [Math.log(Math.max(s.rss, 1e-300)), Math.log(Math.max(s.penalty, 1e-300))];
    };
    const [x0, y0] = point(t - hstep);
    const [x1, y1] = point(t);
    const [x2, y2] = point(t + hstep);
    const dx = (x2 - x0) / (2 * hstep);
    const dy = (y2 - y0) / (2 * hstep);
    const ddx = (x2 - 2 * x1 + x0) / (hstep * hstep);
    const ddy = (y2 - 2 * y1 + y0) / (hstep * hstep);
    const speed = dx * dx + dy * dy;
    return speed > 0 ? -(dx * ddy - dy * ddx) / speed ** 1.5 : 0;
  }
  const s = ridgeScores(sp, Math.exp(t));
  const gcv = (n * s.rss) / Math.max((n - s.trace) ** 2, 1e-300);
  if (method === "gcv") return gcv;
  if (method === "mgcv") {
    const rho = n < 50 ? 1.3 : 2;
    return (n * s.rss) / Math.max((n - rho * s.trace) ** 2, 1e-300);
  }
  const xi = n < 100 ? 0.2 : 0.3;
  return (xi + (1 - xi) * (s.traceSquared / n)) * gcv;
}

/** Grid over ln λ (4 per decade), then golden-section refinement inside the best grid bracket. */
function chooseLambda(
  sp: RidgeSpectrum,
  method: DrtLambdaMethod,
  range: [number, number],
  warnings: string[],
): { lambda: number; scores: { lambda: Float64Array; score: Float64Array } } {
  const lo = Math.log(range[0]);
  const hi = Math.log(range[1]);
  const count = Math.max(3, Math.ceil(((hi - lo) / Math.LN10) * 4) + 1);
  const grid = new Float64Array(count);
  const score = new Float64Array(count);
  let best = 0;
  for (let i = 0; i < count; i++) {
    const t = lo + ((hi - lo) * i) / (count - 1);
    grid[i] = Math.exp(t);
    score[i] = lambdaScore(sp, method, t);
    if (score[i] < score[best]) best = i;
  }
  let smin = Infinity;
  let smax = -Infinity;
  for (const v of score) {
    smin = Math.min(smin, v);
    smax = Math.max(smax, v);
  }
  if (smax - smin <= 1e-9 * Math.max(Math.abs(smin), Math.abs(smax))) {
    warnings.push(`the ${method} score is flat over λ ∈ [${range[0]}, ${range[1]}]: λ is not determined by the data`);
  } else if (method !== "lcurve" && smin > 0) {
    // A wide band of λ within 1 % of the best GCV-type score: the rule barely prefers one λ (GCV's typical failure).
    let first = best;
    let last = best;
    const cut = smin * 1.01;
    while (first > 0 && score[first - 1] <= cut) first--;
    while (last < count - 1 && score[last + 1] <= cut) last++;
    if (grid[last] / grid[first] > 1e3) {
      const alternative = method === "gcv" ? '"rgcv" or "lcurve"' : '"lcurve"';
      warnings.push(
        `the ${method} score is nearly flat: within 1 % of its minimum for λ from ${grid[first].toExponential(1)} to ${grid[last].toExponential(1)}; λ is poorly determined (compare ${alternative})`,
      );
    }
  }
  const dt = (hi - lo) / (count - 1);
  let a = lo + Math.max(0, best - 1) * dt;
  let b = lo + Math.min(count - 1, best + 1) * dt;
  const phi = (Math.sqrt(5) - 1) / 2;
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = lambdaScore(sp, method, c);
  let fd = lambdaScore(sp, method, d);
  for (let iter = 0; iter < 40 && b - a > 1e-4; iter++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = lambdaScore(sp, method, c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = lambdaScore(sp, method, d);
    }
  }
  let t = fc <= fd ? c : d;
  if (Math.min(fc, fd) > score[best]) t = lo + best * dt;
  if (best === 0 || best === count - 1) {
    warnings.push(`λ = ${Math.exp(t).toExponential(2)} is at the edge of the search range [${range[0]}, ${range[1]}] (${method})`);
  }
  return { lambda: Math.exp(t), scores: { lambda: grid, score } };
}

// ---------------------------------------------------------------------------
// Credible band, degrees of freedom, peaks

/** tr K of the constrained solution (fixed λ): the passive-set ridge's trace tr(H_PP⁻¹ A_Pᵀ A_P). */
function effectiveParameters(h: Float64Array, a: Float64Array, rows: number, p: number, x: Float64Array): number {
  const idx: number[] = [];
  for (let j = 0; j < p; j++) if (x[j] > 0) idx.push(j);
  const k = idx.length;
  if (k === 0) return 0;
  const sub = new Float64Array(k * k);
  for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) sub[u * k + v] = h[idx[u] * p + idx[v]];
  const l = choleskyWithJitter(sub, k, 1e-13);
  let trace = 0;
  const col = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < k; u++) col[u] = a[idx[u] * rows + r];
    forwardSubstitution(l, k, col);
    for (let u = 0; u < k; u++) trace += col[u] * col[u];
  }
  return trace;
}

function laplaceBand(
  h: Float64Array,
  p: number,
  x: Float64Array,
  sigma2: number,
  lnOut: Float64Array,
  lnTau: Float64Array,
  basis: "rbf" | "piecewise-linear",
  epsilon: number,
  step: number,
): { lo: Float64Array; hi: Float64Array; level: number; method: "laplace" } {
  // All free (x > 0) coefficients, R∞ and L included, so γ's variance is marginal over them.
  const K = lnTau.length;
  const idx: number[] = [];
  for (let j = 0; j < p; j++) if (x[j] > 0) idx.push(j);
  const k = idx.length;
  const lo = new Float64Array(lnOut.length);
  const hi = new Float64Array(lnOut.length);
  const z = 1.959963984540054;
  const sub = new Float64Array(k * k);
  for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) sub[u * k + v] = h[idx[u] * p + idx[v]];
  const l = k > 0 ? choleskyWithJitter(sub, k, 1e-13) : new Float64Array(0);
  const phi = new Float64Array(k);
  for (let q = 0; q < lnOut.length; q++) {
    let gamma = 0;
    for (let u = 0; u < k; u++) {
      phi[u] = idx[u] < K ? basisValue(basis, lnOut[q] - lnTau[idx[u]], epsilon, step) : 0;
      gamma += phi[u] * x[idx[u]];
    }
    forwardSubstitution(l, k, phi);
    let variance = 0;
    for (let u = 0; u < k; u++) variance += phi[u] * phi[u];
    const sd = Math.sqrt(sigma2 * variance);
    lo[q] = Math.max(0, gamma - z * sd);
    hi[q] = gamma + z * sd;
  }
  return { lo, hi, level: 0.95, method: "laplace" };
}

/** ∫γ W d ln τ with W = 1/(1 + (ω_min τ)²) − 1/(1 + (ω_max τ)²), trapezoidal on the output grid. */
function windowedArea(lnOut: Float64Array, gamma: Float64Array, fMin: number, fMax: number): number {
  const wMin = 2 * Math.PI * fMin;
  const wMax = 2 * Math.PI * fMax;
  const weighted = (q: number): number => {
    const tau = Math.exp(lnOut[q]);
    return gamma[q] * (1 / (1 + (wMin * tau) ** 2) - 1 / (1 + (wMax * tau) ** 2));
  };
  let area = 0;
  for (let q = 0; q + 1 < lnOut.length; q++) area += 0.5 * (weighted(q) + weighted(q + 1)) * (lnOut[q + 1] - lnOut[q]);
  return area;
}

function findPeaks(lnOut: Float64Array, gamma: Float64Array, prominence: number, minorFraction: number, lnTauLo: number, lnTauHi: number): DrtPeak[] {
  const count = gamma.length;
  let gmax = 0;
  for (const v of gamma) gmax = Math.max(gmax, v);
  if (!(gmax > 0)) return [];
  const step = lnOut[1] - lnOut[0];
  // Local maxima (plateaus count once, at their left end).
  const maxima: number[] = [];
  for (let q = 0; q < count; q++) {
    const left = q > 0 ? gamma[q - 1] : -Infinity;
    let right = q + 1;
    while (right < count && gamma[right] === gamma[q]) right++;
    const next = right < count ? gamma[right] : -Infinity;
    if (gamma[q] > left && gamma[q] > next && gamma[q] > 0) maxima.push(q);
  }
  // Valleys between consecutive maxima; the outer bounds are the grid ends.
  const bounds: number[] = [0];
  for (let i = 0; i + 1 < maxima.length; i++) {
    let v = maxima[i];
    for (let q = maxima[i]; q <= maxima[i + 1]; q++) if (gamma[q] < gamma[v]) v = q;
    bounds.push(v);
  }
  bounds.push(count - 1);
  // Merge maxima whose prominence over the higher neighbouring valley is too small into their higher neighbour.
  let peaks = maxima.map((q, i) => ({ top: q, left: bounds[i], right: bounds[i + 1] }));
  let merged = true;
  while (merged && peaks.length > 1) {
    merged = false;
    let worst = -1;
    let worstProminence = Infinity;
    for (let i = 0; i < peaks.length; i++) {
      const pk = peaks[i];
      const valley = Math.max(i > 0 ? gamma[pk.left] : 0, i + 1 < peaks.length ? gamma[pk.right] : 0);
      const prom = gamma[pk.top] - valley;
      if (prom < worstProminence) {
        worstProminence = prom;
        worst = i;
      }
    }
    if (worstProminence < prominence * gmax) {
      const pk = peaks[worst];
      const leftNeighbour = worst > 0 ? peaks[worst - 1] : null;
      const rightNeighbour = worst + 1 < peaks.length ? peaks[worst + 1] : null;
      const intoLeft = leftNeighbour !== null && (rightNeighbour === null || gamma[pk.left] >= gamma[pk.right]);
      if (intoLeft) {
        leftNeighbour.right = pk.right;
        if (gamma[pk.top] > gamma[leftNeighbour.top]) leftNeighbour.top = pk.top;
      } else if (rightNeighbour) {
        rightNeighbour.left = pk.left;
        if (gamma[pk.top] > gamma[rightNeighbour.top]) rightNeighbour.top = pk.top;
      }
      peaks = peaks.filter((_, i) => i !== worst);
      merged = true;
    }
  }
  // Merge minor peaks (side lobes on a broad process's tails) into the neighbour across the higher valley.
  const areaBetween = (a: number, b: number): number => {
    let area = 0;
    for (let q = a; q < b; q++) area += 0.5 * (gamma[q] + gamma[q + 1]) * step;
    return area;
  };
  // Reference area: γ inside the measured window (an extrapolated arc beyond f_min must not make a resolved process "minor").
  let first = 0;
  while (first < count - 1 && lnOut[first] < lnTauLo - 1e-9) first++;
  let last = count - 1;
  while (last > first && lnOut[last] > lnTauHi + 1e-9) last--;
  const totalArea = areaBetween(first, last);
  while (minorFraction > 0 && peaks.length > 1) {
    let smallest = -1;
    let smallestArea = Infinity;
    peaks.forEach((pk, i) => {
      const area = areaBetween(pk.left, pk.right);
      if (area < smallestArea) {
        smallestArea = area;
        smallest = i;
      }
    });
    if (!(smallestArea < minorFraction * totalArea)) break;
    const pk = peaks[smallest];
    const leftNeighbour = smallest > 0 ? peaks[smallest - 1] : null;
    const rightNeighbour = smallest + 1 < peaks.length ? peaks[smallest + 1] : null;
    const intoLeft = leftNeighbour !== null && (rightNeighbour === null || gamma[pk.left] >= gamma[pk.right]);
    if (intoLeft) {
      leftNeighbour.right = pk.right;
      if (gamma[pk.top] > gamma[leftNeighbour.top]) leftNeighbour.top = pk.top;
    } else if (rightNeighbour) {
      rightNeighbour.left = pk.left;
      if (gamma[pk.top] > gamma[rightNeighbour.top]) rightNeighbour.top = pk.top;
    }
    peaks = peaks.filter((_, i) => i !== smallest);
  }
  const out: DrtPeak[] = [];
  for (const pk of peaks) {
    if (gamma[pk.top] < prominence * gmax) continue;
    const area = areaBetween(pk.left, pk.right);
    let below = 0;
    let above = 0;
    for (let q = pk.left; q < pk.right; q++) {
      const slice = 0.5 * (gamma[q] + gamma[q + 1]) * step;
      const mid = 0.5 * (lnOut[q] + lnOut[q + 1]);
      if (mid < lnTauLo) below += slice;
      else if (mid > lnTauHi) above += slice;
    }
    let lnPeak = lnOut[pk.top];
    if (pk.top > 0 && pk.top < count - 1) {
      const y0 = gamma[pk.top - 1];
      const y1 = gamma[pk.top];
      const y2 = gamma[pk.top + 1];
      const denom = y0 - 2 * y1 + y2;
      if (denom < 0) lnPeak += (0.5 * (y0 - y2) * step) / denom;
    }
    const half = gamma[pk.top] / 2;
    let a = pk.top;
    while (a > pk.left && gamma[a] > half) a--;
    let b = pk.top;
    while (b < pk.right && gamma[b] > half) b++;
    const crossing = (i: number, j: number): number => {
      const gi = gamma[i];
      const gj = gamma[j];
      return gi === gj ? lnOut[i] : lnOut[i] + ((half - gi) / (gj - gi)) * (lnOut[j] - lnOut[i]);
    };
    const lnA = gamma[a] <= half && a < pk.top ? crossing(a, a + 1) : lnOut[a];
    const lnB = gamma[b] <= half && b > pk.top ? crossing(b - 1, b) : lnOut[b];
    const tauPeak = Math.exp(lnPeak);
    out.push({
      tau: tauPeak,
      frequency: 1 / (2 * Math.PI * tauPeak),
      resistance: area,
      width: (lnB - lnA) / Math.LN10,
      height: gamma[pk.top],
      outsideWindow: lnPeak < lnTauLo - 1e-9 || lnPeak > lnTauHi + 1e-9,
      outsideFraction: area > 0 ? (below + above) / area : 0,
      ...(area > 0 && below / area > DRT_EDGE_FRACTION ? { truncated: "high" as const } : area > 0 && above / area > DRT_EDGE_FRACTION ? { truncated: "low" as const } : {}),
    });
  }
  return out;
}
