/**
 * @module fit/circuitObjective
 * Equivalent-circuit fitting of impedance spectra on the project's inference
 * core: a {@link FitObjective} over stacked real/imaginary residuals
 * ({@link circuitObjective}), data-derived starting values
 * ({@link initialGuess}, and the arcs of a relaxation-time ladder from
 * `circuitStart`, tried in turn), a one-call fit with uncertainties
 * ({@link fitCircuit}), and a warm-started fit of a series of spectra
 * ({@link fitCircuitSeries}).
 *
 * Residuals, for N frequencies: rᵢ = (Z′_model − Z′ᵢ)/σ′ᵢ for i < N and
 * r_{N+i} = (Z″_model − Z″ᵢ)/σ″ᵢ, where σ follows the weighting:
 * - `"unit"`: σ = 1 (impedance.py's default; χ² is then the residual sum of squares in Ω²);
 * - `"modulus"`: σ′ᵢ = σ″ᵢ = |Zᵢ| (relative weighting, the usual choice for spectra spanning decades);
 * - `"proportional"`: σ′ᵢ = |Z′ᵢ|, σ″ᵢ = |Z″ᵢ| (every component weighted by its own size; a component equal to 0 is refused);
 * - user σ: N values (used for both halves) or 2N values (real then imaginary), in Ω.
 * With `admittance: true` the model and data are both inverted first (Y = 1/Z,
 * in S) and the weights refer to Y.
 *
 * Likelihood: Gaussian with these σ, −½χ² − Σ ln σ − n ln √(2π). The prior is
 * the parameters' (bounds are uniform priors when finite, else flat).
 * Standard errors come from the Levenberg–Marquardt covariance, reported both
 * scaled by χ²/ν (σ known only up to a factor: the meaningful choice for
 * `"unit"`, `"modulus"` and `"proportional"`) and unscaled (σ absolute: the
 * choice when the user gives real measurement σ).
 *
 * NaN policy: some elements are 0·∞ exactly on a bound (e.g. a Wo with Z0 = 0
 * and τ = 0). By default (`"propagate"`) such residuals go back to the fitter,
 * which rejects that step (Levenberg–Marquardt; it raises at the starting
 * point) or treats it as +∞ (differential evolution); `"raise"` throws
 * `FitAbortedError` naming the objective and θ.
 *
 * Units: frequency Hz, impedance Ω (admittance S), Z″ < 0 capacitive;
 * parameters in their elements' units.
 */

import { FitAbortedError, ValidationError, formatValue } from "../core/errors.ts";
import type { ReIm } from "../kernels/impedance/elements.ts";
import { circuitModel, isExponent, placeholderValue } from "../models/circuit/circuitModel.ts";
import type { CircuitModel } from "../models/circuit/circuitModel.ts";
import { parseCircuit } from "../models/circuit/parseCircuit.ts";
import { relaxationArcs } from "./circuitStart.ts";
import type { CircuitNode, ElementNode, ParsedCircuit } from "../models/circuit/parseCircuit.ts";
import { ParameterSet } from "../params/index.ts";
import type { FitSpace } from "../params/index.ts";
import { differentialEvolution } from "../optimize/differentialEvolution.ts";
import { levenbergMarquardt } from "../optimize/levenbergMarquardt.ts";
import type { LevenbergMarquardtOptions } from "../optimize/levenbergMarquardt.ts";
import type { FitObjective } from "../optimize/objective.ts";
import { Warnings } from "../optimize/result.ts";
import type { LeastSquaresResult, LeastSquaresStatus } from "../optimize/result.ts";

/** An impedance spectrum (structurally compatible with `io`'s `ImpedanceSpectrum`). */
export interface ImpedanceData {
  /** Frequencies f (Hz), > 0, any order. */
  readonly frequency: Float64Array;
  /** Z′ (Ω). */
  readonly real: Float64Array;
  /** Z″ (Ω), < 0 for capacitive behaviour. */
  readonly imag: Float64Array;
  /** Where the data came from (for messages). */
  readonly source?: string;
}

/** Weighting of the residuals (see the module header). */
export type CircuitWeighting = "unit" | "modulus" | "proportional";

/** Options of {@link circuitObjective}. */
export interface CircuitObjectiveOptions {
  /** Residual weighting; ignored when `sigma` is given. @default "unit" */
  readonly weights?: CircuitWeighting;
  /** Absolute uncertainties (Ω, or S when fitting the admittance): N values for both halves, or 2N (real, then imaginary). */
  readonly sigma?: ArrayLike<number>;
  /** Fit Y = 1/Z instead of Z. @default false */
  readonly admittance?: boolean;
  /** What a NaN residual does (see the module header). @default "propagate" */
  readonly nanPolicy?: "raise" | "propagate";
  /** Name used in messages. @default the data's source, else "circuit" */
  readonly name?: string;
}

/** A circuit objective: the {@link FitObjective} plus what callers need to interpret θ. */
export interface CircuitObjective extends FitObjective {
  readonly model: CircuitModel;
  readonly space: FitSpace;
  /** Number of frequencies N (nResiduals = 2N). */
  readonly nPoints: number;
  /** The weighting in use (`"sigma"` when user σ were given). */
  readonly weighting: CircuitWeighting | "sigma";
  readonly admittance: boolean;
  /** The data as given (Z, copies; not inverted when fitting Y). Do not modify. */
  readonly data: { readonly frequency: Float64Array; readonly real: Float64Array; readonly imag: Float64Array };
  /**
   * Model impedance Z(θ) at the data's frequencies (always Z, also when fitting Y).
   * Allocation-free when `out` is given.
   */
  impedance(theta: Float64Array, out?: ReIm): ReIm;
}

/**
 * Validates a spectrum.
 *
 * @param data - the spectrum
 * @param path - field name for messages
 * @throws {ValidationError} on unequal lengths, no points, non-positive or non-finite frequencies, non-finite Z
 */
export function checkImpedanceData(data: ImpedanceData, path = "spectrum"): void {
  const n = data.frequency?.length;
  if (!(n > 0)) throw new ValidationError(`${path}.frequency`, "the spectrum has no points", n);
  if (data.real?.length !== n || data.imag?.length !== n) {
    throw new ValidationError(path, `frequency, real and imag must have the same length (${n})`, [data.real?.length, data.imag?.length]);
  }
  for (let i = 0; i < n; i++) {
    const f = data.frequency[i];
    if (!(f > 0) || !Number.isFinite(f)) throw new ValidationError(`${path}.frequency[${i}]`, "frequencies must be positive and finite", f);
    if (!Number.isFinite(data.real[i]) || !Number.isFinite(data.imag[i])) {
      throw new ValidationError(`${path}[${i}]`, "impedance must be finite", [data.real[i], data.imag[i]]);
    }
  }
}

/**
 * Builds the objective of fitting `model` to a spectrum. The model's varying
 * parameters are θ (in circuit order); constants stay fixed.
 *
 * @param model - the circuit with its parameters (starting values = their current values)
 * @param data - the spectrum (copied)
 * @param options - weighting, σ, admittance, NaN policy
 * @returns the objective
 * @throws {ValidationError} on invalid data, σ of the wrong length or ≤ 0, a zero component under
 *   proportional weighting, or a circuit with no free parameter
 * @example
 * ```ts
 * const model = circuitModel("R0-p(R1,C1)", { initial: [10, 100, 1e-6] });
 * const objective = circuitObjective(model, spectrum, { weights: "modulus" });
 * const fit = levenbergMarquardt(objective);
 * ```
 */
export function circuitObjective(model: CircuitModel, data: ImpedanceData, options: CircuitObjectiveOptions = {}): CircuitObjective {
  checkImpedanceData(data);
  const n = data.frequency.length;
  const label = options.name ?? data.source ?? "circuit";
  const frequency = Float64Array.from(data.frequency);
  const admittance = options.admittance ?? false;
  const targetRe = Float64Array.from(data.real);
  const targetIm = Float64Array.from(data.imag);
  if (admittance) invertInPlace(targetRe, targetIm);

  const weightRe = new Float64Array(n);
  const weightIm = new Float64Array(n);
  let weighting: CircuitWeighting | "sigma";
  if (options.sigma !== undefined) {
    weighting = "sigma";
    const s = options.sigma;
    if (s.length !== n && s.length !== 2 * n) throw new ValidationError("sigma", `must have ${n} or ${2 * n} values`, s.length);
    for (let i = 0; i < 2 * n; i++) {
      const v = s.length === n ? s[i % n] : s[i];
      if (!(v > 0) || !Number.isFinite(v)) throw new ValidationError(`sigma[${s.length === n ? i % n : i}]`, "must be positive and finite", v);
      if (i < n) weightRe[i] = 1 / v;
      else weightIm[i - n] = 1 / v;
    }
  } else {
    weighting = options.weights ?? "unit";
    for (let i = 0; i < n; i++) {
      const re = targetRe[i];
      const im = targetIm[i];
      if (weighting === "unit") {
        weightRe[i] = 1;
        weightIm[i] = 1;
      } else if (weighting === "modulus") {
        const m = Math.hypot(re, im);
        if (!(m > 0)) throw new ValidationError(`spectrum[${i}]`, "modulus weighting needs |Z| > 0", m);
        weightRe[i] = 1 / m;
        weightIm[i] = 1 / m;
      } else if (weighting === "proportional") {
        if (re === 0 || im === 0) {
          throw new ValidationError(
            `spectrum[${i}]`,
            `proportional weighting divides by |${admittance ? "Y" : "Z"}′| and |${admittance ? "Y" : "Z"}″|, which are 0 at f = ${frequency[i]} Hz; use "modulus"`,
            [re, im],
          );
        }
        weightRe[i] = 1 / Math.abs(re);
        weightIm[i] = 1 / Math.abs(im);
      } else {
        throw new ValidationError("weights", 'must be "unit", "modulus" or "proportional"', weighting);
      }
    }
  }
  let sumLogSigma = 0;
  for (let i = 0; i < n; i++) sumLogSigma -= Math.log(weightRe[i]) + Math.log(weightIm[i]);
  const logNorm = -sumLogSigma - n * Math.log(2 * Math.PI);

  const space = new ParameterSet(model.parameters).fitSpace();
  if (space.dimension === 0) throw new ValidationError("constants", `every parameter of ${model.circuit.circuit} is constant: nothing to fit`);
  const evaluate = model.evaluator(space, frequency);
  const values = space.createValues();
  const zRe = new Float64Array(n);
  const zIm = new Float64Array(n);
  const z = { re: zRe, im: zIm };
  const nanPolicy = options.nanPolicy ?? "propagate";
  const names = space.names;
  const initial = space.toVector();

  const impedance = (theta: Float64Array, out?: ReIm): ReIm => {
    space.fromVector(theta, values);
    return evaluate(values, out ?? { re: new Float64Array(n), im: new Float64Array(n) });
  };
  const residuals = (theta: Float64Array, out?: Float64Array): Float64Array => {
    const r = out ?? new Float64Array(2 * n);
    space.fromVector(theta, values);
    evaluate(values, z);
    if (admittance) invertInPlace(zRe, zIm);
    for (let i = 0; i < n; i++) {
      r[i] = (zRe[i] - targetRe[i]) * weightRe[i];
      r[n + i] = (zIm[i] - targetIm[i]) * weightIm[i];
    }
    if (nanPolicy === "raise") {
      for (let i = 0; i < 2 * n; i++) {
        if (Number.isNaN(r[i])) {
          throw new FitAbortedError("nan", `${label}: circuit ${model.circuit.circuit} gave NaN at point ${i % n} for ${names.map((name, j) => `${name}=${formatValue(theta[j])}`).join(", ")}`);
        }
      }
    }
    return r;
  };
  const scratch = new Float64Array(2 * n);
  const logLikelihood = (theta: Float64Array): number => {
    residuals(theta, scratch);
    let chi2 = 0;
    for (let i = 0; i < 2 * n; i++) chi2 += scratch[i] * scratch[i];
    return Number.isNaN(chi2) ? Number.NaN : -0.5 * chi2 + logNorm;
  };
  const logPrior = (theta: Float64Array): number => space.logPrior(theta);
  return Object.freeze({
    names,
    lower: Float64Array.from(space.lower),
    upper: Float64Array.from(space.upper),
    nResiduals: 2 * n,
    nPoints: n,
    model,
    space,
    weighting,
    admittance,
    data: { frequency, real: Float64Array.from(data.real), imag: Float64Array.from(data.imag) },
    initial: () => Float64Array.from(initial),
    residuals,
    impedance,
    logPrior,
    logLikelihood,
    logPosterior: (theta: Float64Array): number => {
      const lp = logPrior(theta);
      if (lp === -Infinity) return -Infinity;
      return lp + logLikelihood(theta);
    },
  });
}

/** 1/(a + jb) in place, element-wise (Smith's algorithm). */
function invertInPlace(re: Float64Array, im: Float64Array): void {
  for (let i = 0; i < re.length; i++) {
    const a = re[i];
    const b = im[i];
    if (Math.abs(a) >= Math.abs(b)) {
      const r = b / a;
      const d = a + b * r;
      re[i] = 1 / d;
      im[i] = -r / d;
    } else {
      const r = a / b;
      const d = a * r + b;
      re[i] = r / d;
      im[i] = -1 / d;
    }
  }
}

// ---------------------------------------------------------------------------
// Initial guesses from the shape of the spectrum

/** One arc of the Nyquist plot found by {@link spectrumShape}. */
export interface SpectrumArc {
  /** Apex frequency (Hz). */
  readonly frequency: number;
  /** Arc diameter along Z′ (Ω). */
  readonly resistance: number;
  /** Apex height −Z″ (Ω). */
  readonly height: number;
  /** How it was found: a maximum of −Z″, or (for arcs hidden under others or under a tail) of −dZ′/d ln f. */
  readonly from: "imaginary" | "slope";
}

/** Low-frequency behaviour of −Z″ read from its log–log slope at the lowest frequencies. */
export type TailKind = "capacitive" | "warburg" | "resistive" | "none";

/** What {@link spectrumShape} reads off a spectrum. */
export interface SpectrumShape {
  /** High-frequency intercept R∞ (Ω). */
  readonly rInf: number;
  /** Arcs, from high to low apex frequency. */
  readonly arcs: readonly SpectrumArc[];
  /** Arcs seen only as maxima of −dZ′/d ln f, not yet in {@link arcs}, largest first. */
  readonly hiddenArcs: readonly SpectrumArc[];
  /** Slope d ln(−Z″)/d ln ω over the two lowest frequencies: < −0.75 capacitive, −0.75…−0.25 Warburg, else resistive. */
  readonly tail: TailKind;
  /** Semi-infinite Warburg coefficient A_W = −Z″·√ω (Ω s^-½), median over the low-frequency points with a Warburg-like slope. */
  readonly warburg: number;
  /** Largest −Z″ below the last arc (Ω) and its frequency (Hz): the apex of a transmissive (Ws) tail. */
  readonly tailPeak: { readonly frequency: number; readonly height: number };
  /** Series capacitance from the lowest frequency, 1/(ω_min·(−Z″)) (F); NaN if Z″ ≥ 0 there. */
  readonly lowFrequencyCapacitance: number;
  /** Series inductance Z″/ω at the highest frequency when Z″ > 0 there (H), else NaN. */
  readonly inductance: number;
  readonly fMin: number;
  readonly fMax: number;
  /** Z′ at the lowest frequency minus R∞ (Ω). */
  readonly polarisation: number;
  /** Largest |Z| (Ω). */
  readonly scale: number;
}

/** Indices of local maxima of `y` (interior points) with prominence ≥ `fraction` of max(y). */
function prominentPeaks(y: readonly number[], fraction: number): number[] {
  const n = y.length;
  const top = Math.max(0, ...y);
  const peaks: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    if (!(y[i] > 0 && y[i] > y[i - 1] && y[i] >= y[i + 1])) continue;
    // prominence: height above the higher of the lowest points separating it from a higher peak (or an end)
    let left = y[i];
    for (let k = i - 1; k >= 0 && y[k] <= y[i]; k--) left = Math.min(left, y[k]);
    let right = y[i];
    for (let k = i + 1; k < n && y[k] <= y[i]; k++) right = Math.min(right, y[k]);
    if (y[i] - Math.max(left, right) >= fraction * top) peaks.push(i);
  }
  return peaks;
}

const smooth3 = (y: readonly number[]): number[] =>
  y.map((_, i) => {
    const lo = Math.max(0, i - 1);
    const hi = Math.min(y.length - 1, i + 1);
    let s = 0;
    for (let k = lo; k <= hi; k++) s += y[k];
    return s / (hi - lo + 1);
  });

/**
 * Reads the features of a spectrum that starting values are built from (points ordered by frequency,
 * high to low; −Z″ and −dZ′/d ln f smoothed by a 3-point moving average):
 * - R∞: Z′ where Z″ crosses 0 at high frequency (linear interpolation between the last inductive and the
 *   first capacitive point), else Z′ of the highest-frequency capacitive point;
 * - arcs: maxima of −Z″ with a prominence ≥ 5 % of the largest −Z″; diameter = the larger of twice the
 *   height and the Z′ span between the minima of −Z″ on either side (R∞ on the high-frequency side);
 * - hidden arcs: maxima of −dZ′/d ln f (prominence ≥ 5 %) more than half a decade from every arc, with
 *   diameter twice the peak value (an RC arc has −dZ′/d ln ω = R/2 at its apex);
 * - the low-frequency tail: its kind from the log–log slope of −Z″ over the two lowest frequencies;
 *   A_W = median of −Z″·√ω over the points below the last arc whose local slope is within −0.75…−0.25
 *   (else over the three lowest frequencies); C_low = 1/(ω_min·(−Z″_min)); L = Z″/ω at f_max if inductive.
 *
 * @param data - the spectrum
 * @returns the features
 * @throws {ValidationError} on invalid data
 */
export function spectrumShape(data: ImpedanceData): SpectrumShape {
  checkImpedanceData(data);
  const n = data.frequency.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => data.frequency[b] - data.frequency[a]);
  const f = order.map((i) => data.frequency[i]);
  const lnw = f.map((v) => Math.log(2 * Math.PI * v));
  const re = order.map((i) => data.real[i]);
  const y = order.map((i) => -data.imag[i]);
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.hypot(re[i], y[i]));

  const firstCapacitive = y.findIndex((v) => v > 0);
  let rInf: number;
  if (firstCapacitive > 0) {
    const a = firstCapacitive - 1;
    const b = firstCapacitive;
    const t = -y[a] / (y[b] - y[a]);
    rInf = re[a] + t * (re[b] - re[a]);
  } else if (firstCapacitive === 0) {
    rInf = re[0];
  } else {
    rInf = Math.min(...re);
  }

  const ys = smooth3(y);
  const argMin = (from: number, to: number): number => {
    let best = from;
    for (let k = from; k <= to; k++) if (ys[k] < ys[best]) best = k;
    return best;
  };
  const peaks = prominentPeaks(ys, 0.05);
  const arcs: SpectrumArc[] = [];
  let leftRe = rInf;
  let lastValley = -1;
  peaks.forEach((peak, k) => {
    const valley = k + 1 < peaks.length ? argMin(peak, peaks[k + 1]) : argMin(peak, n - 1);
    arcs.push({ frequency: f[peak], height: ys[peak], resistance: Math.max(2 * ys[peak], re[valley] - leftRe), from: "imaginary" });
    leftRe = re[valley];
    lastValley = valley;
  });

  // −dZ′/d ln ω by central differences (ω decreases along the arrays).
  const slope = re.map((_, i) => {
    const a = Math.max(0, i - 1);
    const b = Math.min(n - 1, i + 1);
    return b > a ? (re[b] - re[a]) / (lnw[a] - lnw[b]) : 0;
  });
  const hiddenArcs = prominentPeaks(smooth3(slope), 0.05)
    .filter((i) => arcs.every((arc) => Math.abs(Math.log10(arc.frequency / f[i])) > 0.5))
    .map((i): SpectrumArc => ({ frequency: f[i], height: Math.max(0, y[i]), resistance: 2 * smooth3(slope)[i], from: "slope" }))
    .sort((a, b) => b.resistance - a.resistance);

  // Low-frequency tail: the points below the last arc's valley (or all capacitive points).
  const tailStart = lastValley >= 0 ? lastValley : Math.max(0, firstCapacitive);
  const tailIndices: number[] = [];
  for (let i = tailStart; i < n; i++) if (y[i] > 0) tailIndices.push(i);
  const localSlope = (a: number, b: number): number => (Math.log(y[b]) - Math.log(y[a])) / (lnw[b] - lnw[a]);
  const warburgLike: number[] = [];
  for (let k = 0; k + 1 < tailIndices.length; k++) {
    const a = tailIndices[k];
    const b = tailIndices[k + 1];
    const s = localSlope(a, b);
    if (s >= -0.75 && s <= -0.25) warburgLike.push(y[b] * Math.exp(lnw[b] / 2));
  }
  if (warburgLike.length === 0) {
    for (let i = Math.max(0, n - 3); i < n; i++) if (y[i] > 0) warburgLike.push(y[i] * Math.exp(lnw[i] / 2));
  }
  warburgLike.sort((a, b) => a - b);
  const warburg = warburgLike.length > 0 ? warburgLike[Math.floor(warburgLike.length / 2)] : Number.NaN;
  let tail: TailKind = "none";
  if (n >= 2 && y[n - 1] > 0 && y[n - 2] > 0) {
    const s = localSlope(n - 2, n - 1);
    tail = s < -0.75 ? "capacitive" : s <= -0.25 ? "warburg" : "resistive";
  }
  let peakIndex = tailStart;
  for (const i of tailIndices) if (y[i] > y[peakIndex]) peakIndex = i;
  return {
    rInf,
    arcs,
    hiddenArcs,
    tail,
    warburg,
    tailPeak: { frequency: f[peakIndex], height: Math.max(0, y[peakIndex]) },
    lowFrequencyCapacitance: y[n - 1] > 0 ? 1 / (2 * Math.PI * f[n - 1] * y[n - 1]) : Number.NaN,
    inductance: y[0] < 0 ? -y[0] / (2 * Math.PI * f[0]) : Number.NaN,
    fMin: f[n - 1],
    fMax: f[0],
    polarisation: re[n - 1] - rInf,
    scale,
  };
}

/** Arcs (and optionally R∞, L) that replace those read by {@link spectrumShape} in {@link initialGuess}. */
export interface InitialGuessOverride {
  /** Arcs: apex frequency (Hz) and resistance (Ω), any order. */
  readonly arcs: readonly { readonly frequency: number; readonly resistance: number }[];
  /** R∞ (Ω). @default the high-frequency intercept */
  readonly rInf?: number;
  /** Series inductance (H); used when > 0. @default Z″/ω at f_max when inductive */
  readonly inductance?: number;
  /** Note recorded in {@link InitialGuess.notes}. */
  readonly note: string;
}

/** Starting values from {@link initialGuess}. */
export interface InitialGuess {
  /** Every parameter, by name. */
  readonly values: Readonly<Record<string, number>>;
  /** The features they were built from. */
  readonly shape: SpectrumShape;
  /** How the values were guessed (one line per rule used, de-duplicated). */
  readonly notes: readonly string[];
}

const DIFFUSION = new Set(["W", "Wo", "Ws"]);
const INDUCTIVE = new Set(["L", "La", "Lb"]);
const ARC_ELEMENTS = new Set(["Zarc", "K", "G", "Gs", "TLMQ", "T"]);
const ARC_SPLIT = Math.sqrt(10);
/** Maximum of −Im(tanh s/s) over ωτ (at ωτ ≈ 2.54): the height of a Ws arc relative to Z0. */
const WS_PEAK_HEIGHT = 0.417;
const WS_PEAK_OMEGA_TAU = 2.54;

/**
 * Starting values for every parameter of `circuit` from the shape of the
 * spectrum ({@link spectrumShape}), when the user gives none. Heuristics:
 * - arcs are matched, from high to low apex frequency, to the arc-making parts of the top-level series in
 *   the order they are written: each `p(…)` block and each top-level Zarc, K, G, Gs, TLMQ or T. With more
 *   arc-makers than arcs, hidden arcs (maxima of −dZ′/d ln f) are added, largest first; then the largest
 *   arc is split in two (half its R each, half a decade either side of its apex). With fewer, the largest
 *   arcs are kept. With no arc at all, one arc of R = the polarisation at the geometric-mean frequency;
 * - inside a block with arc (R, f): resistors share R; C = 1/(2πfR); CPE α = 0.9, Q = 1/(R(2πf)^α);
 *   Zarc/K: R, τ = 1/(2πf), γ = 0.9; G, Gs: R_G = R, t_G = 1/(2πf), φ = 1; TLMQ: R_ion = 3R,
 *   Q = 1/(R(2πf)^γ), γ = 0.9; T: A = R, B = R/2, a = 1, b = 1/(2πf);
 * - top level: the first R gets R∞ (others 1 % of it); C and CPE (α = 0.9) from C_low at the lowest
 *   frequency; L = Z″/ω at the highest frequency if inductive, else 0.1 % of |Z|max/ω_max; La, Lb
 *   (α = 0.9) matched to the same |Z″| at f_max;
 * - diffusion (anywhere): W: A_W from the low-frequency slope (median −Z″·√ω where −Z″ ∝ ω^−½);
 *   Wo: if the tail turns capacitive, τ = 2(C_low·A_W)² and Z0 = τ/C_low (from Z ≈ Z0/(jωτ) below and
 *   A_W = Z0/√(2τ) above the corner), else τ = 3/ω_min and Z0 = A_W·√(2τ); Ws: if the tail turns resistive,
 *   τ = 2.54/ω at the tail's −Z″ maximum and Z0 = that maximum/0.417, else as Wo's second case.
 * Every value is made positive and finite (non-positive estimates fall back to 1 % of the largest |Z|).
 *
 * @param circuit - impedance.py circuit string or parsed circuit
 * @param spectrum - the data
 * @param override - arcs (and R∞, L) to use instead of those read off the spectrum, e.g. from
 *   {@link relaxationArcs}; the rules above then apply to them unchanged
 * @returns values by parameter name, the features, and notes
 * @throws {CircuitSyntaxError} for a malformed circuit; {@link ValidationError} for invalid data
 */
export function initialGuess(circuit: string | ParsedCircuit, spectrum: ImpedanceData, override?: InitialGuessOverride): InitialGuess {
  const parsed = typeof circuit === "string" ? parseCircuit(circuit) : circuit;
  const read = spectrumShape(spectrum);
  const notes = new Warnings();
  let shape = read;
  if (override !== undefined) {
    shape = {
      ...read,
      arcs: override.arcs.map((arc): SpectrumArc => ({ frequency: arc.frequency, resistance: arc.resistance, height: arc.resistance / 2, from: "slope" })),
      hiddenArcs: [],
      rInf: override.rInf ?? read.rInf,
      inductance: override.inductance !== undefined && override.inductance > 0 ? override.inductance : read.inductance,
    };
    notes.add(override.note);
  }
  const fallback = 0.01 * (shape.scale > 0 ? shape.scale : 1);
  const positive = (v: number, alt = fallback): number => (v > 0 && Number.isFinite(v) ? v : alt);
  const rInf = positive(shape.rInf);

  const top = parsed.root.kind === "series" ? parsed.root.children : [parsed.root];
  const arcMakers = top.filter((node) => node.kind === "parallel" || (node.kind === "element" && ARC_ELEMENTS.has(node.type)));
  let arcs = [...shape.arcs];
  const hidden = [...shape.hiddenArcs];
  while (arcs.length < arcMakers.length && hidden.length > 0) {
    arcs.push(hidden.shift()!);
    notes.add("arcs hidden under others or under the tail taken from maxima of −dZ′/d ln f");
  }
  arcs.sort((a, b) => b.frequency - a.frequency);
  if (arcs.length === 0 && arcMakers.length > 0) {
    arcs.push({ frequency: Math.sqrt(shape.fMin * shape.fMax), height: 0, resistance: positive(shape.polarisation), from: "slope" });
    notes.add("no arc found: one arc of R = Z′(f_min) − R∞ assumed at the geometric-mean frequency");
  }
  if (arcs.length > arcMakers.length) {
    arcs = [...arcs].sort((a, b) => b.resistance - a.resistance).slice(0, arcMakers.length).sort((a, b) => b.frequency - a.frequency);
  }
  while (arcs.length < arcMakers.length) {
    let largest = 0;
    for (let k = 1; k < arcs.length; k++) if (arcs[k].resistance > arcs[largest].resistance) largest = k;
    const a = arcs[largest];
    arcs.splice(
      largest,
      1,
      { ...a, frequency: a.frequency * ARC_SPLIT, resistance: a.resistance / 2, height: a.height / 2 },
      { ...a, frequency: a.frequency / ARC_SPLIT, resistance: a.resistance / 2, height: a.height / 2 },
    );
    notes.add("fewer arcs than arc-making blocks: the largest arc was split");
  }

  const omegaMax = 2 * Math.PI * shape.fMax;
  const omegaMin = 2 * Math.PI * shape.fMin;
  const aw = positive(shape.warburg, fallback * Math.sqrt(omegaMin));
  const cLow = positive(shape.lowFrequencyCapacitance, 1 / (omegaMin * fallback));
  const inductance = positive(shape.inductance, (1e-3 * shape.scale) / omegaMax);
  // Finite Warburgs, by the kind of tail.
  let woTau = 3 / omegaMin;
  let woZ0 = aw * Math.sqrt(2 * woTau);
  if (shape.tail === "capacitive") {
    woTau = 2 * (cLow * aw) ** 2;
    woZ0 = woTau / cLow;
  }
  let wsTau = woTau;
  let wsZ0 = aw * Math.sqrt(2 * (3 / omegaMin));
  if (shape.tail === "resistive" && shape.tailPeak.height > 0) {
    wsTau = WS_PEAK_OMEGA_TAU / (2 * Math.PI * shape.tailPeak.frequency);
    wsZ0 = shape.tailPeak.height / WS_PEAK_HEIGHT;
  } else {
    wsTau = 3 / omegaMin;
  }

  const values: Record<string, number> = {};
  let topResistors = 0;
  const assign = (element: ElementNode, arc: SpectrumArc | undefined, resistorShare: number): void => {
    const names = element.parameterNames;
    const set = (i: number, v: number): void => {
      values[names[i]] = isExponent(element.type, i) ? v : positive(v);
    };
    const R = arc ? positive(arc.resistance * resistorShare) : rInf;
    const w = arc ? 2 * Math.PI * arc.frequency : omegaMin;
    const tau = 1 / w;
    const alpha = 0.9;
    switch (element.type) {
      case "R":
        if (arc) set(0, R);
        else set(0, topResistors++ === 0 ? rInf : 0.01 * rInf);
        break;
      case "C":
        set(0, arc ? 1 / (w * R) : cLow);
        break;
      case "CPE":
        set(1, alpha);
        set(0, arc ? 1 / (R * Math.pow(w, alpha)) : (cLow * omegaMin) / Math.pow(omegaMin, alpha));
        break;
      case "L":
        set(0, inductance);
        break;
      case "La":
        set(1, alpha);
        set(0, Math.pow(inductance * omegaMax, 1 / alpha) / omegaMax);
        break;
      case "Lb":
        set(1, alpha);
        set(0, (inductance * omegaMax) / Math.pow(omegaMax, alpha));
        break;
      case "W":
        set(0, aw);
        break;
      case "Wo":
        set(0, woZ0);
        set(1, woTau);
        break;
      case "Ws":
        set(0, wsZ0);
        set(1, wsTau);
        break;
      case "Zarc":
        set(0, R);
        set(1, tau);
        set(2, alpha);
        break;
      case "K":
      case "G":
        set(0, R);
        set(1, tau);
        break;
      case "Gs":
        set(0, R);
        set(1, tau);
        set(2, 1);
        break;
      case "TLMQ":
        set(0, 3 * R);
        set(1, 1 / (R * Math.pow(w, alpha)));
        set(2, alpha);
        break;
      case "T":
        set(0, R);
        set(1, R / 2);
        set(2, 1);
        set(3, tau);
        break;
    }
    names.forEach((name, i) => {
      if (values[name] === undefined || !Number.isFinite(values[name])) values[name] = placeholderValue(element.type, i);
    });
  };

  const elementsOf = (node: CircuitNode): ElementNode[] => (node.kind === "element" ? [node] : node.children.flatMap(elementsOf));
  let arcIndex = 0;
  for (const node of top) {
    const isArcMaker = node.kind === "parallel" || (node.kind === "element" && ARC_ELEMENTS.has(node.type));
    const arc = isArcMaker ? arcs[arcIndex++] : undefined;
    const members = elementsOf(node);
    const resistors = members.filter((e) => e.type === "R").length;
    for (const element of members) {
      const inArc = arc !== undefined && !DIFFUSION.has(element.type) && !INDUCTIVE.has(element.type);
      assign(element, inArc ? arc : undefined, element.type === "R" && resistors > 1 ? 1 / resistors : 1);
    }
  }
  notes.add("R∞ from the high-frequency intercept; arcs (diameter, apex frequency) matched to p(…) blocks in the order written, high to low frequency");
  if (parsed.elements.some((e) => DIFFUSION.has(e.type))) {
    notes.add(`diffusion from the low-frequency tail (${shape.tail}): A_W = median −Z″·√ω where −Z″ ∝ ω^−½`);
  }
  return { values, shape, notes: notes.toArray() };
}

// ---------------------------------------------------------------------------
// Fitting

/** Options of a global search before the local fit. */
export interface GlobalFitOptions {
  /** Seed of differential evolution. @default 0 */
  readonly seed?: number;
  /** Search box: starting value ×/÷ this factor, within the parameter's bounds. @default 1000 */
  readonly factor?: number;
  /** Generation limit. @default 1000 */
  readonly maxGenerations?: number;
  /** Population size. @default max(15·p, 10) */
  readonly populationSize?: number;
}

/** Options of {@link fitCircuit}. */
export interface FitCircuitOptions extends CircuitObjectiveOptions {
  /**
   * Starting values: a list for the non-constant parameters in circuit order (impedance.py's
   * `initial_guess`), or values by name (the rest guessed). @default data-derived: Levenberg–Marquardt from
   * the {@link initialGuess} heuristics and from the arcs of a relaxation-time ladder ({@link relaxationArcs}),
   * the lower χ² kept (listed in `starts`); differential evolution after it if that fit did not converge
   */
  readonly initial?: ArrayLike<number> | Readonly<Record<string, number>>;
  /** Fixed parameters by name. @default none */
  readonly constants?: Readonly<Record<string, number>>;
  /** Bounds by name. @default impedance.py's (≥ 0; exponents ≤ 1) */
  readonly bounds?: Readonly<Record<string, readonly [number, number]>>;
  /**
   * Differential evolution before Levenberg–Marquardt, over the box start ×/÷ 1000 (within the bounds;
   * log-uniform for parameters without a finite upper bound, linear for exponents). @default false
   */
  readonly global?: boolean | GlobalFitOptions;
  /** Options passed to Levenberg–Marquardt (its `initial` is set here). */
  readonly levenbergMarquardt?: Omit<LevenbergMarquardtOptions, "initial">;
}

/** One parameter of a {@link CircuitFitResult}. */
export interface CircuitParameterResult {
  readonly name: string;
  readonly value: number;
  /** Standard error scaled by √(χ²/ν) (NaN for constants or when undetermined). */
  readonly stderr: number;
  /** Standard error assuming the σ are absolute (no χ² scaling). */
  readonly stderrUnscaled: number;
  /** Whether it was held constant. */
  readonly fixed: boolean;
  /** Starting value. */
  readonly initial: number;
  readonly unit: string | undefined;
}

/** Outcome of {@link fitCircuit}. */
export interface CircuitFitResult {
  /** Canonical circuit string. */
  readonly circuit: string;
  /** Every parameter in circuit order (constants included, with `fixed: true`). */
  readonly parameters: readonly CircuitParameterResult[];
  /** Names of the free parameters (the order of values, stderr and the matrices). */
  readonly names: readonly string[];
  readonly values: Float64Array;
  /** √diag of the covariance scaled by χ²/ν. */
  readonly stderr: Float64Array;
  /** √diag of the unscaled covariance (JᵀJ)⁻¹. */
  readonly stderrUnscaled: Float64Array;
  /** Scaled covariance, p×p row-major. */
  readonly covariance: Float64Array;
  /** Correlation matrix, p×p row-major. */
  readonly correlation: Float64Array;
  /** χ² = Σ (weighted residual)². */
  readonly chi2: number;
  /** χ²/ν. */
  readonly reducedChi2: number;
  /** ν = 2N − p. */
  readonly dof: number;
  /** Number of frequencies N. */
  readonly nPoints: number;
  /** Number of free parameters p. */
  readonly nFree: number;
  /** Unweighted residual sum of squares Σ |Z_model − Z|² (Ω²), whatever the weighting. */
  readonly rss: number;
  /** Akaike: n ln(χ²/n) + 2p, n = 2N. */
  readonly aic: number;
  /** Bayesian: n ln(χ²/n) + p ln n. */
  readonly bic: number;
  readonly weighting: CircuitWeighting | "sigma";
  readonly admittance: boolean;
  /** Where the starting values came from. */
  readonly initialSource: "user" | "guess" | "mixed";
  /** Notes from {@link initialGuess} (empty when the user gave every value). */
  readonly initialNotes: readonly string[];
  /** Whether differential evolution ran first. */
  readonly global: boolean;
  readonly converged: boolean;
  readonly status: LeastSquaresStatus;
  readonly message: string;
  /** Residual evaluations (global search included; with a data-derived start, every start's). */
  readonly evaluations: number;
  /** The fitted impedance at the data's frequencies. */
  readonly fitted: ReIm;
  readonly warnings: readonly string[];
  /** The underlying least-squares result. */
  readonly leastSquares: LeastSquaresResult;
  /** With a data-derived start: χ² reached from each candidate start, in the order tried. */
  readonly starts?: readonly CircuitStartOutcome[];
}

/** The outcome of one candidate start of {@link fitCircuit}'s data-derived start. */
export interface CircuitStartOutcome {
  /** Where the start came from ("spectrum shape", "relaxation ladder", "…, then differential evolution"). */
  readonly source: string;
  readonly chi2: number;
  readonly converged: boolean;
}

function isNumberList(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}

/**
 * Fits an equivalent circuit to a spectrum: Levenberg–Marquardt on stacked
 * real/imaginary residuals (optionally after differential evolution), with
 * standard errors with and without χ² scaling, correlations, χ²/ν, AIC/BIC and
 * warnings. Inputs are not modified.
 *
 * @param circuit - impedance.py circuit string (or parsed circuit)
 * @param spectrum - the data
 * @param options - starting values, constants, bounds, weighting, σ, admittance, global search, LM options
 * @returns the fit
 * @throws {CircuitSyntaxError} for a malformed circuit
 * @throws {ValidationError} for invalid data, fewer points than free parameters, a wrong number of
 *   starting values, unknown names in `constants`/`initial`/`bounds`, a start outside its bounds
 * @throws {FitAbortedError} if the model is not finite at the start
 * @example
 * ```ts
 * const fit = fitCircuit("R0-p(R1,C1)-p(R2-Wo1,C2)", spectrum, { initial: [0.01, 0.01, 100, 0.01, 0.05, 100, 1] });
 * fit.parameters.map((p) => `${p.name} = ${p.value} ± ${p.stderr}`);
 * ```
 */
export function fitCircuit(circuit: string | ParsedCircuit, spectrum: ImpedanceData, options: FitCircuitOptions = {}): CircuitFitResult {
  const parsed = typeof circuit === "string" ? parseCircuit(circuit) : circuit;
  checkImpedanceData(spectrum);
  const constants = options.constants ?? {};
  const freeCount = parsed.parameterNames.filter((name) => !Object.hasOwn(constants, name)).length;
  const n = spectrum.frequency.length;
  if (n < freeCount) {
    throw new ValidationError(
      spectrum.source ?? "spectrum",
      `has ${n} points but circuit ${parsed.circuit} has ${freeCount} free parameters; a fit needs at least as many points as free parameters`,
      n,
    );
  }
  let initial: ArrayLike<number> | Record<string, number>;
  let initialSource: CircuitFitResult["initialSource"];
  const initialNotes: readonly string[] = [];
  if (options.initial !== undefined && isNumberList(options.initial)) {
    initial = options.initial;
    initialSource = "user";
  } else {
    const given = options.initial ?? {};
    for (const [name, value] of Object.entries(given)) {
      if (!parsed.parameterNames.includes(name)) {
        throw new ValidationError(`initial.${name}`, `unknown parameter of ${parsed.circuit} (parameters: ${parsed.parameterNames.join(", ")})`, value);
      }
      if (Object.hasOwn(constants, name)) throw new ValidationError(`initial.${name}`, "is also given as a constant", value);
    }
    initialSource = Object.keys(given).length === 0 ? "guess" : "mixed";
    const merge = (guess: InitialGuess): Record<string, number> => {
      const merged: Record<string, number> = {};
      for (const name of parsed.parameterNames) {
        if (Object.hasOwn(constants, name)) continue;
        merged[name] = Object.hasOwn(given, name) ? given[name] : clampToBounds(guess.values[name], options.bounds?.[name]);
      }
      return merged;
    };
    return automaticFit(parsed, spectrum, options, merge, initialSource);
  }
  const model = circuitModel(parsed, { initial, constants, bounds: options.bounds });
  const objective = circuitObjective(model, spectrum, options);
  return runFit(objective, options, initialSource, initialNotes);
}

/** A fit from a candidate start replaces the one before only when its χ² is lower by this fraction (ties keep the first). */
const START_IMPROVEMENT = 1e-3;
/** …and by more than this fraction of the χ² of the zero model (noise-free data: both at round-off). */
const START_FLOOR = 1e-12;
/** Times Levenberg–Marquardt is restarted from where it stopped when it ran out of evaluations. */
const START_CONTINUATIONS = 2;

/**
 * The data-derived start of {@link fitCircuit}: Levenberg–Marquardt from each candidate start — the
 * −Z″-peak heuristics of {@link initialGuess}, then the arcs of a non-negative relaxation-time ladder
 * ({@link relaxationArcs}), which sizes arcs that do not close inside the window — keeping the lowest χ²;
 * if that fit has not converged, differential evolution around its start, then LM again.
 */
function automaticFit(
  parsed: ParsedCircuit,
  spectrum: ImpedanceData,
  options: FitCircuitOptions,
  merge: (guess: InitialGuess) => Record<string, number>,
  initialSource: CircuitFitResult["initialSource"],
): CircuitFitResult {
  const constants = options.constants ?? {};
  const candidates: { source: string; guess: InitialGuess }[] = [{ source: "spectrum shape", guess: initialGuess(parsed, spectrum) }];
  const ladder = relaxationArcs(spectrum);
  if (ladder.arcs.length > 0) {
    candidates.push({
      source: "relaxation ladder",
      guess: initialGuess(parsed, spectrum, {
        arcs: ladder.arcs,
        rInf: ladder.rInf > 0 ? ladder.rInf : undefined,
        inductance: ladder.inductance,
        note: "arcs (resistance, apex frequency) from a non-negative RC ladder fitted to the spectrum (τ grid extended two decades below f_min)",
      }),
    });
  }
  const fitFrom = (guess: InitialGuess, global: FitCircuitOptions["global"]): CircuitFitResult => {
    const model = circuitModel(parsed, { initial: merge(guess), constants, bounds: options.bounds });
    return runFit(circuitObjective(model, spectrum, options), { ...options, global }, initialSource, guess.notes);
  };
  const starts: CircuitStartOutcome[] = [];
  let evaluations = 0;
  let best: CircuitFitResult | undefined;
  let bestSource = "";
  const floor = START_FLOOR * zeroModelChi2(spectrum, options);
  for (const candidate of candidates) {
    const fit = fitFrom(candidate.guess, options.global ?? false);
    evaluations += fit.evaluations;
    starts.push({ source: candidate.source, chi2: fit.chi2, converged: fit.converged });
    if (best === undefined || betterStart(fit, best, floor)) {
      best = fit;
      bestSource = candidate.source;
    }
  }
  let winner = best!;
  // A slow crawl along a flat valley (an exponent creeping to its bound, the resistance of an arc that does
  // not close): continue from where the budget ran out.
  for (let more = 0; more < START_CONTINUATIONS && winner.status === "maxEvaluations"; more++) {
    const model = circuitModel(parsed, { initial: winner.values, constants, bounds: options.bounds });
    const next = runFit(circuitObjective(model, spectrum, options), { ...options, global: false }, initialSource, winner.initialNotes);
    evaluations += next.evaluations;
    if (!(next.chi2 <= winner.chi2)) break;
    winner = { ...next, parameters: next.parameters.map((q, k) => ({ ...q, initial: winner.parameters[k].initial })) };
    starts.push({ source: `${bestSource}, continued`, chi2: next.chi2, converged: next.converged });
  }
  if (!winner.converged && (options.global ?? false) === false) {
    const source = candidates.find((c) => c.source === bestSource)!;
    const global = fitFrom(source.guess, { seed: 0 });
    evaluations += global.evaluations;
    starts.push({ source: `${bestSource}, then differential evolution`, chi2: global.chi2, converged: global.converged });
    if (betterStart(global, winner, floor) || (global.converged && global.chi2 <= winner.chi2)) {
      winner = global;
      bestSource = `${bestSource}, then differential evolution`;
    }
  }
  return {
    ...winner,
    evaluations,
    initialNotes: [...winner.initialNotes, `start: ${bestSource} (χ² from each start: ${starts.map((s) => `${s.source} ${formatValue(s.chi2)}${s.converged ? "" : " (not converged)"}`).join("; ")})`],
    starts,
  };
}

/** χ² of the zero model, Σ (data/σ)² under the fit's weighting (the scale below which χ² differences are round-off). */
function zeroModelChi2(spectrum: ImpedanceData, options: FitCircuitOptions): number {
  const n = spectrum.frequency.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let re = spectrum.real[i];
    let im = spectrum.imag[i];
    if (options.admittance) {
      const m2 = re * re + im * im;
      re /= m2;
      im = -im / m2;
    }
    if (options.sigma !== undefined) {
      const sr = options.sigma[i];
      const si = options.sigma[options.sigma.length === n ? i : n + i];
      s += (re / sr) ** 2 + (im / si) ** 2;
    } else if ((options.weights ?? "unit") === "unit") {
      s += re * re + im * im;
    } else {
      s += options.weights === "modulus" ? 1 : 2;
    }
  }
  return s;
}

function betterStart(candidate: CircuitFitResult, incumbent: CircuitFitResult, floor: number): boolean {
  if (!Number.isFinite(candidate.chi2)) return false;
  if (!Number.isFinite(incumbent.chi2)) return true;
  return incumbent.chi2 - candidate.chi2 > Math.max(START_IMPROVEMENT * incumbent.chi2, floor);
}

function clampToBounds(value: number, bounds: readonly [number, number] | undefined): number {
  if (bounds === undefined) return value;
  const [lo, hi] = bounds;
  if (value >= lo && value <= hi) return value;
  if (Number.isFinite(lo) && Number.isFinite(hi)) return (lo + hi) / 2;
  return Number.isFinite(lo) ? lo + Math.abs(lo) + 1 : hi - Math.abs(hi) - 1;
}

function runFit(
  objective: CircuitObjective,
  options: FitCircuitOptions,
  initialSource: CircuitFitResult["initialSource"],
  initialNotes: readonly string[],
): CircuitFitResult {
  const warnings = new Warnings();
  const start = objective.initial();
  let lmStart = start;
  let evaluations = 0;
  const global = options.global ?? false;
  if (global !== false) {
    const settings: GlobalFitOptions = global === true ? {} : global;
    const factor = settings.factor ?? 1000;
    if (!(factor > 1)) throw new ValidationError("global.factor", "must be > 1", factor);
    const p = start.length;
    const lower = new Float64Array(p);
    const upper = new Float64Array(p);
    const log: boolean[] = [];
    for (let j = 0; j < p; j++) {
      const x = start[j];
      const lo = objective.lower[j];
      const hi = objective.upper[j];
      const magnitude = Math.abs(x) > 0 ? Math.abs(x) : 1e-6;
      let a = x > 0 ? x / factor : x - magnitude * factor;
      let b = x > 0 ? x * factor : x < 0 ? x / factor : magnitude * factor;
      a = Math.max(a, lo);
      b = Math.min(b, hi);
      if (!(a < b)) {
        a = lo;
        b = hi;
      }
      lower[j] = a;
      upper[j] = b;
      // log-uniform search for scale parameters (R, C, τ, …); exponents and other doubly bounded ones stay linear
      log.push(a > 0 && b / a > 10 && !Number.isFinite(hi));
    }
    const de = differentialEvolution(objective, {
      seed: settings.seed ?? 0,
      lower,
      upper,
      logScale: log,
      maxGenerations: settings.maxGenerations ?? 1000,
      ...(settings.populationSize === undefined ? {} : { populationSize: settings.populationSize }),
      polish: false,
    });
    evaluations += de.evaluations;
    warnings.addAll(de.warnings);
    lmStart = de.values;
  }
  const lm = levenbergMarquardt(objective, { ...options.levenbergMarquardt, initial: lmStart });
  evaluations += lm.evaluations;
  warnings.addAll(lm.warnings);
  if (!lm.converged) warnings.add(`the fit did not converge: ${lm.message}`);

  const model = objective.model;
  const space = objective.space;
  const n = objective.nPoints;
  const fitted = objective.impedance(lm.values);
  // RSS in impedance space, whatever the weighting (comparable with impedance.py's unweighted fits).
  const data = objective.data;
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (fitted.re[i] - data.real[i]) ** 2 + (fitted.im[i] - data.imag[i]) ** 2;

  const p = lm.nFree;
  const nData = lm.nData;
  const parameters: CircuitParameterResult[] = model.parameters.map((parameter, k) => {
    const name = model.names[k];
    const j = space.indexOf(parameter);
    const fixed = j < 0;
    return {
      name,
      value: fixed ? parameter.value : lm.values[j],
      stderr: fixed ? Number.NaN : lm.stderr[j],
      stderrUnscaled: fixed ? Number.NaN : lm.stderrUnscaled[j],
      fixed,
      initial: fixed ? parameter.value : start[j],
      unit: parameter.unit,
    };
  });
  for (let j = 0; j < p; j++) {
    const name = lm.names[j];
    const x = lm.values[j];
    const lo = objective.lower[j];
    const hi = objective.upper[j];
    const near = (b: number): boolean => Number.isFinite(b) && Math.abs(x - b) <= 1e-6 * Math.max(Math.abs(b), Math.abs(x), 1e-300);
    if (near(lo) || near(hi)) warnings.add(`${name} = ${formatValue(x)} is at its bound [${lo}, ${hi}]; its standard error is not meaningful`);
    if (Number.isNaN(lm.stderr[j])) warnings.add(`${name}: standard error undetermined (the data do not constrain it, or the Jacobian is singular)`);
  }
  const chi2 = lm.chi2;
  const aic = nData * Math.log(chi2 / nData) + 2 * p;
  const bic = nData * Math.log(chi2 / nData) + p * Math.log(nData);
  return {
    circuit: model.circuit.circuit,
    parameters,
    names: lm.names,
    values: lm.values,
    stderr: lm.stderr,
    stderrUnscaled: lm.stderrUnscaled,
    covariance: lm.covariance,
    correlation: lm.correlation,
    chi2,
    reducedChi2: lm.reducedChi2,
    dof: nData - p,
    nPoints: n,
    nFree: p,
    rss,
    aic,
    bic,
    weighting: objective.weighting,
    admittance: objective.admittance,
    initialSource,
    initialNotes,
    global: global !== false,
    converged: lm.converged,
    status: lm.status,
    message: lm.message,
    evaluations,
    fitted,
    warnings: warnings.toArray(),
    leastSquares: lm,
  };
}

/** Options of {@link fitCircuitSeries}. */
export interface FitCircuitSeriesOptions extends FitCircuitOptions {
  /**
   * Start each spectrum from the previous spectrum's fitted values (when that fit converged);
   * otherwise every spectrum starts from `initial` or {@link initialGuess}. @default true
   */
  readonly warmStart?: boolean;
  /** Called after each spectrum; return `false` to stop early. */
  readonly progress?: (index: number, fit: CircuitFitResult) => void | boolean;
}

/**
 * Fits one circuit to each spectrum of a series, in order, each fit started
 * from the previous one's result (warm start). `initial` (or the data-derived
 * guess) starts the first spectrum and any spectrum after a fit that did not
 * converge; `global` applies to the first spectrum only.
 *
 * @param circuit - impedance.py circuit string (or parsed circuit)
 * @param spectra - the spectra, in time order
 * @param options - as {@link fitCircuit}, plus `warmStart` and `progress`
 * @returns one result per spectrum fitted (fewer if `progress` stopped the run)
 * @throws as {@link fitCircuit}, for the first spectrum that fails
 * @example
 * ```ts
 * const fits = fitCircuitSeries("R0-p(R1,CPE1)", spectra, { weights: "modulus" });
 * const r1 = fits.map((fit) => fit.parameters[1].value);
 * ```
 */
export function fitCircuitSeries(
  circuit: string | ParsedCircuit,
  spectra: readonly ImpedanceData[],
  options: FitCircuitSeriesOptions = {},
): CircuitFitResult[] {
  const parsed = typeof circuit === "string" ? parseCircuit(circuit) : circuit;
  const warm = options.warmStart ?? true;
  const fits: CircuitFitResult[] = [];
  let previous: CircuitFitResult | undefined;
  for (let k = 0; k < spectra.length; k++) {
    const useWarm = warm && previous !== undefined && previous.converged && previous.values.every(Number.isFinite);
    const fit = fitCircuit(parsed, spectra[k], {
      ...options,
      initial: useWarm ? previous!.values : options.initial,
      global: k === 0 ? options.global : false,
    });
    fits.push(fit);
    previous = fit;
    if (options.progress?.(k, fit) === false) break;
  }
  return fits;
}
