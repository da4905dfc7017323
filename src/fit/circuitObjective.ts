/**
 * @module fit/circuitObjective
 * Equivalent-circuit fitting of impedance spectra on the project's inference
 * core: a {@link FitObjective} over stacked real/imaginary residuals
 * ({@link circuitObjective}), data-derived starting values
 * ({@link initialGuess}, and the arcs of a relaxation-time ladder from
 * `circuitStart`), a one-call fit with uncertainties ({@link fitCircuit}) whose
 * automatic start is global-then-local — every physically different assignment
 * of the arcs to the circuit's blocks plus a short differential evolution, the
 * lowest χ² kept, a warning when another minimum within
 * {@link UNDECIDED_CHI2_FACTOR} differs from it — and a warm-started fit of a
 * series of spectra ({@link fitCircuitSeries}).
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
import { GLOBAL_SPAN, arcAssignments, arcBlocks, assignmentLabel, differingParameters, globalSearchBox, relaxationArcs } from "./circuitStart.ts";
import type { MinimumParameter, ParameterDifference } from "./circuitStart.ts";
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
 * @param assignment - which arc each arc-making block gets: `assignment[b]` is the index (0 = highest apex
 *   frequency) of the arc given to the b-th block in the order written, a permutation of 0…k−1 for k blocks
 *   (see `arcAssignments` in `circuitStart`); default: in order, the highest-frequency arc to the first block
 * @returns values by parameter name, the features, and notes
 * @throws {CircuitSyntaxError} for a malformed circuit; {@link ValidationError} for invalid data or an
 *   assignment that is not a permutation of the blocks
 */
export function initialGuess(
  circuit: string | ParsedCircuit,
  spectrum: ImpedanceData,
  override?: InitialGuessOverride,
  assignment?: readonly number[],
): InitialGuess {
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

  if (assignment !== undefined) {
    const sorted = [...assignment].sort((a, b) => a - b);
    if (assignment.length !== arcs.length || sorted.some((k, i) => k !== i)) {
      throw new ValidationError("assignment", `must be a permutation of 0…${arcs.length - 1} (one arc per arc-making block of ${parsed.circuit})`, assignment);
    }
    const ordered = arcs;
    arcs = assignment.map((k) => ordered[k]);
    if (assignment.some((k, i) => k !== i)) notes.add("arcs given to the arc-making blocks in a permuted order (one of several starts)");
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
   * `initial_guess`), or values by name (the rest guessed; all of them named: that start alone, as a list).
   * @default data-derived, global-then-local: Levenberg–Marquardt from the arcs of the {@link initialGuess}
   * heuristics and of a relaxation-time ladder ({@link relaxationArcs}), given to the arc-making blocks in every
   * physically different order, and from the best members of a short differential-evolution search over the box
   * those starts span; the lowest χ² kept (every start in `starts`), runner-up minima within
   * {@link UNDECIDED_CHI2_FACTOR} that differ in some parameter in `alternatives` and `warnings`; differential
   * evolution after it if that fit did not converge
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
  /**
   * With a data-derived start: other minima with χ² within {@link UNDECIDED_CHI2_FACTOR} of this one's that
   * differ from it in some parameter (each also in `warnings`); empty when the data decide.
   */
  readonly alternatives?: readonly CircuitAlternative[];
}

/** The outcome of one candidate start of {@link fitCircuit}'s data-derived start. */
export interface CircuitStartOutcome {
  /**
   * Where the start came from: "spectrum shape" or "relaxation ladder" (arcs in order), with ", arcs 2,1"
   * when the arcs were given to the blocks in another order (block b took arc label[b], counted from the
   * highest apex frequency), "global search k", or "…, then differential evolution".
   */
  readonly source: string;
  /** χ² after the start's first descent (short budget; the best starts then continue to convergence). */
  readonly chi2: number;
  /** Whether that descent stopped on a convergence test rather than its budget. */
  readonly converged: boolean;
  /** Free parameters where the descent stopped. */
  readonly values: Readonly<Record<string, number>>;
}

/** A runner-up minimum of the data-derived start: χ² within {@link UNDECIDED_CHI2_FACTOR} of the fit's, different parameters. */
export interface CircuitAlternative {
  /** The start it was reached from (as in {@link CircuitStartOutcome.source}). */
  readonly source: string;
  readonly chi2: number;
  /** Unweighted residual sum of squares (Ω²). */
  readonly rss: number;
  readonly converged: boolean;
  /** Its free parameters with (scaled) standard errors. */
  readonly parameters: readonly { readonly name: string; readonly value: number; readonly stderr: number }[];
  /** The parameters in which it differs from the fit ({@link differingParameters}: `a` the fit's value, `b` this one's). */
  readonly differences: readonly ParameterDifference[];
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
    const free = parsed.parameterNames.filter((name) => !Object.hasOwn(constants, name));
    if (free.length > 0 && free.every((name) => Object.hasOwn(given, name))) {
      // every free parameter given by name: the user's start, as with a list
      const model = circuitModel(parsed, { initial: given, constants, bounds: options.bounds });
      return runFit(circuitObjective(model, spectrum, options), options, "user", initialNotes);
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
 * Distinct minima whose χ² is within this factor of the best one's are minima the data do not decide between:
 * the fit warns and names the parameters that differ. (On exampleData.csv the two arc assignments of
 * R0-p(R1,C1)-p(R2-Wo1,C2) end 1.38× apart.)
 */
export const UNDECIDED_CHI2_FACTOR = 1.5;
/** Levenberg–Marquardt budget of each start's first descent, per free parameter + 1 (the best ones then continue). */
const SCREEN_EVALUATIONS_PER_PARAMETER = 100;
/** Energy evaluations of the global stage's differential evolution. */
const GLOBAL_STAGE_EVALUATIONS = 3000;
/** Population of the global stage per free parameter (small, so that the budget buys generations). */
const GLOBAL_STAGE_POPULATION_PER_PARAMETER = 6;
/** Members of the global stage's final population that Levenberg–Marquardt polishes. */
const GLOBAL_STAGE_POLISHED = 3;
/** Two polished members count as one start when every coordinate (unit box, log where searched so) is within this. */
const GLOBAL_STAGE_SEPARATION = 0.05;
/** Runner-up minima fully refitted to be compared with the best one. */
const MAX_ALTERNATIVES = 3;

/** One candidate start of the automatic fit. */
interface StartCandidate {
  readonly source: string;
  readonly start: Float64Array;
  readonly notes: readonly string[];
}

/** A start after its first (screening) descent. */
interface ScreenedStart extends StartCandidate {
  readonly values: Float64Array;
  readonly chi2: number;
  readonly status: LeastSquaresStatus;
}

/**
 * The data-derived start of {@link fitCircuit}, global-then-local over several starts:
 * 1. candidate starts: the arcs read by the −Z″-peak heuristics of {@link initialGuess} and those of a
 *    non-negative relaxation-time ladder ({@link relaxationArcs}), each given to the arc-making blocks in every
 *    physically different order ({@link arcAssignments}: the data say where the arcs are, not which block made
 *    which); each descends by Levenberg–Marquardt on a short budget;
 * 2. a global stage: differential evolution (seed 0, a fixed budget) over a log box spanning every start's
 *    values and two decades around them ({@link globalSearchBox}); its best distinct members descend too;
 * 3. the lowest χ² continues to convergence (ties keep the earlier start), and so do the runner-up minima
 *    within {@link UNDECIDED_CHI2_FACTOR}; a runner-up that still differs from the best in some parameter
 *    ({@link differingParameters}) is kept in `alternatives` and warned about;
 * 4. if the best fit has not converged, differential evolution around its start, then LM again.
 * Every start's χ² is listed in `starts` and in the last note. Deterministic.
 */
function automaticFit(
  parsed: ParsedCircuit,
  spectrum: ImpedanceData,
  options: FitCircuitOptions,
  merge: (guess: InitialGuess) => Record<string, number>,
  initialSource: CircuitFitResult["initialSource"],
): CircuitFitResult {
  const constants = options.constants ?? {};
  const blocks = arcBlocks(parsed, new Set(Object.keys(constants)));
  const assignments = arcAssignments(blocks);
  const arcSources: { label: string; override?: InitialGuessOverride }[] = [{ label: "spectrum shape" }];
  const ladder = relaxationArcs(spectrum);
  if (ladder.arcs.length > 0) {
    arcSources.push({
      label: "relaxation ladder",
      override: {
        arcs: ladder.arcs,
        rInf: ladder.rInf > 0 ? ladder.rInf : undefined,
        inductance: ladder.inductance,
        note: "arcs (resistance, apex frequency) from a non-negative RC ladder fitted to the spectrum (τ grid extended two decades below f_min)",
      },
    });
  }
  // One objective for every start: the starts differ only in θ₀.
  let objective: CircuitObjective | undefined;
  const candidates: StartCandidate[] = [];
  const seen = new Set<string>();
  for (const source of arcSources) {
    for (const assignment of assignments) {
      const guess = initialGuess(parsed, spectrum, source.override, assignment);
      const merged = merge(guess);
      objective ??= circuitObjective(circuitModel(parsed, { initial: merged, constants, bounds: options.bounds }), spectrum, options);
      const start = Float64Array.from(objective.names, (name) => merged[name]);
      const key = Array.from(start, (v) => v.toPrecision(12)).join(",");
      if (seen.has(key)) continue;
      seen.add(key);
      const label = assignment.every((k, i) => k === i) ? source.label : `${source.label}, ${assignmentLabel(assignment)}`;
      candidates.push({ source: label, start, notes: guess.notes });
    }
  }
  const target = objective!;
  const p = target.names.length;
  const floor = START_FLOOR * zeroModelChi2(spectrum, options);
  let evaluations = 0;
  const screenBudget = Math.min(SCREEN_EVALUATIONS_PER_PARAMETER * (p + 1), options.levenbergMarquardt?.maxEvaluations ?? Infinity);
  const screen = (candidate: StartCandidate): ScreenedStart => {
    const lm = levenbergMarquardt(target, {
      ...options.levenbergMarquardt,
      initial: candidate.start,
      maxEvaluations: screenBudget,
      refine: false,
      computeCovariance: false,
    });
    evaluations += lm.evaluations;
    return { ...candidate, values: lm.values, chi2: lm.chi2, status: lm.status };
  };
  const screened = candidates.map(screen);

  // Global stage over the box the starts span.
  const exponents = new Set(parsed.elements.flatMap((e) => e.parameterNames.filter((_, i) => isExponent(e.type, i))));
  const box = globalSearchBox(
    [...candidates.map((c) => c.start), ...screened.map((s) => s.values)],
    target.lower,
    target.upper,
    target.names.map((name) => exponents.has(name)),
  );
  let de: ReturnType<typeof differentialEvolution> | undefined;
  try {
    de = differentialEvolution(target, {
      seed: 0,
      lower: box.lower,
      upper: box.upper,
      logScale: box.logScale,
      populationSize: Math.max(GLOBAL_STAGE_POPULATION_PER_PARAMETER * p, 10),
      maxEvaluations: GLOBAL_STAGE_EVALUATIONS,
      includeInitial: false,
      polish: false,
    });
    evaluations += de.evaluations;
  } catch (error) {
    // a degenerate box (bounds the user pinned to one value): the structured starts alone
    if (!(error instanceof ValidationError)) throw error;
  }
  const population = de?.population ?? new Float64Array(0);
  const energies = de?.populationEnergies ?? new Float64Array(0);
  const members = Array.from(energies.keys())
    .filter((i) => Number.isFinite(energies[i]))
    .sort((i, j) => energies[i] - energies[j]);
  const unit = (x: ArrayLike<number>, j: number): number =>
    box.logScale[j] ? Math.log(x[j] / box.lower[j]) / Math.log(box.upper[j] / box.lower[j]) : (x[j] - box.lower[j]) / (box.upper[j] - box.lower[j]);
  const picked: Float64Array[] = [];
  for (const i of members) {
    if (picked.length >= GLOBAL_STAGE_POLISHED) break;
    const x = population.slice(i * p, i * p + p);
    if (picked.some((y) => target.names.every((_, j) => Math.abs(unit(x, j) - unit(y, j)) <= GLOBAL_STAGE_SEPARATION))) continue;
    picked.push(x);
  }
  const globalNote = `a member of a differential-evolution search (seed 0, ${GLOBAL_STAGE_EVALUATIONS} evaluations) over every start's values ×/÷ ${GLOBAL_SPAN}, log-uniform (exponents over their bounds)`;
  picked.forEach((x, k) => screened.push(screen({ source: `global search ${k + 1}`, start: x, notes: [globalNote] })));

  // The best start, then the runner-up minima, refitted to convergence.
  const order = screened.map((_, i) => i).sort((i, j) => screenedOrder(screened[i], screened[j]));
  const runFrom = (s: ScreenedStart, global: FitCircuitOptions["global"]): CircuitFitResult => {
    let fit = runFit(target, { ...options, global }, initialSource, s.notes, s.values, s.start);
    evaluations += fit.evaluations;
    // A slow crawl along a flat valley (an exponent creeping to its bound, the resistance of an arc that does
    // not close): continue from where the budget ran out.
    for (let more = 0; more < START_CONTINUATIONS && fit.status === "maxEvaluations"; more++) {
      const next = runFit(target, { ...options, global: false }, initialSource, s.notes, fit.values, s.start);
      evaluations += next.evaluations;
      if (!(next.chi2 <= fit.chi2)) break;
      fit = next;
    }
    return fit;
  };
  let bestIndex = 0;
  for (let i = 1; i < screened.length; i++) if (betterChi2(screened[i].chi2, screened[bestIndex].chi2, floor)) bestIndex = i;
  const finals: { screened: ScreenedStart; fit: CircuitFitResult }[] = [{ screened: screened[bestIndex], fit: runFrom(screened[bestIndex], options.global ?? false) }];
  const bestScreenChi2 = screened[bestIndex].chi2;
  for (const i of order) {
    if (finals.length > MAX_ALTERNATIVES) break;
    const s = screened[i];
    if (i === bestIndex || !(s.chi2 <= UNDECIDED_CHI2_FACTOR * bestScreenChi2 + floor)) continue;
    // skip a start that already sits in a minimum being refitted
    const asMinimum = (values: Float64Array): Map<string, MinimumParameter> => new Map(target.names.map((name, j) => [name, { value: values[j], stderr: 0 }]));
    if (finals.some((f) => differingParameters(asMinimum(s.values), asMinimum(f.screened.values), blocks).length === 0)) continue;
    finals.push({ screened: s, fit: runFrom(s, false) });
  }
  let winner = 0;
  for (let k = 1; k < finals.length; k++) if (betterChi2(finals[k].fit.chi2, finals[winner].fit.chi2, floor)) winner = k;
  let best = finals[winner].fit;
  let bestSource = finals[winner].screened.source;
  const starts: CircuitStartOutcome[] = screened.map((s) => ({
    source: s.source,
    chi2: s.chi2,
    converged: s.status !== "maxEvaluations" && s.status !== "cancelled",
    values: Object.fromEntries(target.names.map((name, j) => [name, s.values[j]])),
  }));
  if (!best.converged && (options.global ?? false) === false) {
    const source = finals[winner].screened;
    const global = runFrom({ ...source, values: source.start }, { seed: 0 });
    starts.push({ source: `${bestSource}, then differential evolution`, chi2: global.chi2, converged: global.converged, values: recordOf(global) });
    if (betterChi2(global.chi2, best.chi2, floor) || (global.converged && global.chi2 <= best.chi2)) {
      best = global;
      bestSource = `${bestSource}, then differential evolution`;
    }
  }

  // Runner-up minima the data do not decide between.
  const minimumOf = (fit: CircuitFitResult): Map<string, MinimumParameter> =>
    new Map(fit.names.map((name, j) => [name, { value: fit.values[j], stderr: fit.stderr[j] }]));
  const warnings = new Warnings();
  warnings.addAll(best.warnings);
  const alternatives: CircuitAlternative[] = [];
  finals.forEach((f, k) => {
    if (k === winner || !(f.fit.chi2 <= UNDECIDED_CHI2_FACTOR * best.chi2 + floor)) return;
    const differences = differingParameters(minimumOf(best), minimumOf(f.fit), blocks);
    if (differences.length === 0) return;
    // the same runner-up reached from several starts (stopped at different places along an undetermined direction) counts once
    if (alternatives.some((a) => differingParameters(minimumOf(f.fit), new Map(a.parameters.map((q) => [q.name, q])), blocks, true).length === 0)) return;
    alternatives.push({
      source: f.screened.source,
      chi2: f.fit.chi2,
      rss: f.fit.rss,
      converged: f.fit.converged,
      parameters: f.fit.parameters.filter((q) => !q.fixed).map((q) => ({ name: q.name, value: q.value, stderr: q.stderr })),
      differences,
    });
  });
  for (const alt of alternatives) warnings.add(undecidedWarning(best, bestSource, alt));
  const startsNote = `start: ${bestSource} (χ² from each start: ${starts.map((s) => `${s.source} ${formatValue(s.chi2)}${s.converged ? "" : " (still descending)"}`).join("; ")})`;
  return {
    ...best,
    evaluations,
    warnings: warnings.toArray(),
    initialNotes: [...best.initialNotes, startsNote],
    starts,
    alternatives,
  };
}

/** Screened starts by χ² (NaN last); equal χ² keep their order. */
function screenedOrder(a: ScreenedStart, b: ScreenedStart): number {
  const x = Number.isNaN(a.chi2) ? Infinity : a.chi2;
  const y = Number.isNaN(b.chi2) ? Infinity : b.chi2;
  return x === y ? 0 : x < y ? -1 : 1;
}

function recordOf(fit: CircuitFitResult): Record<string, number> {
  return Object.fromEntries(fit.names.map((name, j) => [name, fit.values[j]]));
}

/** The warning for a runner-up minimum within {@link UNDECIDED_CHI2_FACTOR}: its χ², where it came from, what differs, how to start from it. */
function undecidedWarning(best: CircuitFitResult, bestSource: string, alt: CircuitAlternative): string {
  const v = (x: number): string => formatValue(Number(x.toPrecision(4)));
  const differ = alt.differences.map((d) => `${d.name} ${v(d.b)}${d.nameInB !== d.name ? ` (as ${d.nameInB})` : ""} vs ${v(d.a)}`).join(", ");
  return (
    `the data do not decide between two minima: χ² ${v(best.chi2)} (this fit, start: ${bestSource}) and ${v(alt.chi2)} ` +
    `(${(alt.chi2 / best.chi2).toFixed(2)}×, start: ${alt.source}), within the factor ${UNDECIDED_CHI2_FACTOR}; they differ in ${differ} ` +
    `(other vs this); to fit from the other: initial ${alt.parameters.map((q) => `${q.name}=${Number(q.value.toPrecision(6))}`).join(",")}`
  );
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

/** Whether χ² `candidate` beats `incumbent` by more than {@link START_IMPROVEMENT} and the round-off floor. */
function betterChi2(candidate: number, incumbent: number, floor: number): boolean {
  if (!Number.isFinite(candidate)) return false;
  if (!Number.isFinite(incumbent)) return true;
  return incumbent - candidate > Math.max(START_IMPROVEMENT * incumbent, floor);
}

function clampToBounds(value: number, bounds: readonly [number, number] | undefined): number {
  if (bounds === undefined) return value;
  const [lo, hi] = bounds;
  if (value >= lo && value <= hi) return value;
  if (Number.isFinite(lo) && Number.isFinite(hi)) return (lo + hi) / 2;
  return Number.isFinite(lo) ? lo + Math.abs(lo) + 1 : hi - Math.abs(hi) - 1;
}

/**
 * Levenberg–Marquardt (after differential evolution with `global`) from `from` (default the objective's
 * start), with uncertainties, RSS, AIC/BIC and warnings; `initial` is what the result reports as each
 * parameter's starting value (default `from`).
 */
function runFit(
  objective: CircuitObjective,
  options: FitCircuitOptions,
  initialSource: CircuitFitResult["initialSource"],
  initialNotes: readonly string[],
  from?: Float64Array,
  initial?: Float64Array,
): CircuitFitResult {
  const warnings = new Warnings();
  const start = from ?? objective.initial();
  const reported = initial ?? start;
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
      initial: fixed ? parameter.value : reported[j],
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
