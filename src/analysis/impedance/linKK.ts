/**
 * @module analysis/impedance/linKK
 * Kramers–Kronig validation of an impedance spectrum by the linear Lin-KK test
 * (Schönleber et al. 2014).
 *
 * Units: frequency in Hz, ω = 2πf in rad/s, impedance and resistances in Ω,
 * time constants τ in s, inductance in H, capacitance in F. Residuals are
 * relative to |Z| (dimensionless). Sign convention: Z″ < 0 capacitive.
 *
 * Model (always KK-consistent): `Z_KK(ω) = R₀ + jωL + Σ_{k=1..M} R_k / (1 + jωτ_k)`
 * (+ `1/(jωC)` with `addCapacitance`), τ_k fixed and log-spaced from
 * 1/(2π f_max) to 1/(2π f_min). The fit is linear least squares on data
 * normalised by |Z|. A spectrum the model cannot reproduce violates the KK
 * relations (drift, non-linearity, non-stationarity) or has too short a
 * frequency range.
 *
 * Two ways to choose M:
 *
 * - `method: "mu"` reproduces impedance.py 1.7.1's `linKK(f, Z, c, max_M, fit_type, add_cap)`
 *   (mode `real` by default, μ rule with `c`, pseudo-inverse solves): for M = 1, 2, …
 *   stop at the first M with μ = 1 − Σ_{R_k<0}|R_k| / Σ_{R_k≥0}|R_k| ≤ c. Known
 *   weakness: μ is not monotone in M, so the loop often stops at M = 3–4 with
 *   30–56 % residuals on exactly consistent data. One deliberate difference: the
 *   loop stops at `maxM` (impedance.py may evaluate `max_M + 1` elements when μ
 *   never reaches c).
 * - `method: "residual"` (default): complex fit; M is swept from 1 up to a dense
 *   grid (`tauPerDecade` per decade, at most as many unknowns as half the
 *   equations; every M up to 10, then ~15 % steps) and the smallest M whose
 *   reduced pseudo-χ² is within 10 % of the best over the sweep is taken — residuals stop improving there, so noise is
 *   not chased while no KK-consistent structure is left unfitted. A series
 *   capacitance is added automatically when the low-frequency end is a
 *   capacitive tail (see {@link LinKKOptions.addCapacitance}).
 *
 * Both return a verdict: the spectrum is judged KK-consistent when the largest
 * relative residual (real or imaginary part) is at most `threshold`. The verdict
 * says which fit decided it (mode and M rule) and, by default, what the other two
 * modes and the other M rule say and why they can disagree: a real-part fit
 * tests the imaginary part against the real part and vice versa, each mode
 * chooses its own M, and the threshold is a hard cut on one residual.
 *
 * Linear algebra (core/linalg): impedance.py-compatible solves use the pseudo-inverse through a
 * one-sided Jacobi SVD (rcond 1e-15, like numpy.linalg.pinv); the residual sweep
 * uses a column-scaled Householder QR with column pivoting (rank-revealing),
 * which is ~30× cheaper per M.
 *
 * @see M. Schönleber, D. Klotz, E. Ivers-Tiffée, Electrochim. Acta 131 (2014) 20–27, doi:10.1016/j.electacta.2014.01.034
 * @see B. A. Boukamp, J. Electrochem. Soc. 142 (1995) 1885 (weighted R₀ for the imaginary fit)
 */
import { ValidationError } from "../../core/errors.ts";
import { leastSquaresPinv, leastSquaresQr } from "../../core/linalg.ts";
import type { ImpedanceSpectrum } from "../../io/impedance.ts";
import { checkSpectrum, type SpectrumData } from "./spectrumData.ts";

/** Which parts of the data the linear fit uses (impedance.py's `fit_type`). */
export type LinKKMode = "complex" | "real" | "imag";

/** Options of {@link linKK}. */
export interface LinKKOptions {
  /**
   * Fit the real part (then L, C from the imaginary remainder), the imaginary part
   * (then R₀ by Boukamp's weighted mean), or both.
   * @default "real" with method "mu" (impedance.py), "complex" with method "residual"
   */
  mode?: LinKKMode;
  /**
   * μ cut-off for method "mu" (impedance.py's `c`). Giving `c` without `method` selects "mu".
   * @default 0.85
   */
  c?: number;
  /**
   * Largest number of RC elements tried.
   * @default 50 for "mu"; for "residual" ⌈decades · tauPerDecade⌉ + 1, capped by the data
   */
  maxM?: number;
  /** Use exactly this many RC elements (impedance.py's `c=None, max_M=M`); overrides the M choice. */
  M?: number;
  /**
   * Add a series capacitance (impedance.py's `add_cap`), for spectra without a low-frequency intercept.
   * @default false for "mu"; for "residual", true when the lowest-frequency point lies on a capacitive
   *   tail steeper than 45° measured from the high-frequency intercept (−Z″ > Z′ − min Z′)
   */
  addCapacitance?: boolean;
  /**
   * How M is chosen: impedance.py's μ rule, or the residual-based sweep.
   * @default "mu" when `c` is given, otherwise "residual"
   */
  method?: "mu" | "residual";
  /**
   * Largest |relative residual| (real or imaginary part) for a KK-consistent verdict.
   * @default 0.01 (1 % of |Z|)
   */
  threshold?: number;
  /**
   * RC elements per decade of frequency at the top of the "residual" sweep.
   * @default 10
   */
  tauPerDecade?: number;
  /**
   * Also run the test in the other modes (same M rule) and with the other M rule, to report whether they
   * agree ({@link LinKKResult.otherModes}). @default true
   */
  crossCheck?: boolean;
}

/** The test in another mode or with another M rule (see {@link LinKKResult.otherModes}). */
export interface LinKKModeCheck {
  mode: LinKKMode;
  method: "mu" | "residual" | "fixed";
  M: number;
  maxResidual: number;
  /** Frequency (Hz) of the largest residual. */
  maxResidualFrequency: number;
  /** Which part the largest residual is in. */
  maxResidualPart: "real" | "imag";
  valid: boolean;
}

/** Result of {@link linKK}. */
export interface LinKKResult {
  /** Number of RC elements used. */
  M: number;
  /** μ = 1 − Σ|R_k<0| / Σ|R_k≥0| for the final fit (1 when all R_k ≥ 0). */
  mu: number;
  /** Time constants τ_k (s), ascending. */
  tau: Float64Array;
  /** R_k (Ω) of the RC elements, aligned with `tau`. */
  resistances: Float64Array;
  /** Series (ohmic) resistance R₀ (Ω). */
  seriesResistance: number;
  /** Series capacitance C (F) when `addCapacitance` was used (1/0 → Infinity). */
  capacitance?: number;
  /** Series inductance L (H). */
  inductance: number;
  /** Z_KK at the measured frequencies (Ω). */
  fit: { real: Float64Array; imag: Float64Array };
  /** (Z − Z_KK)/|Z| per point, real and imaginary parts. */
  residuals: { real: Float64Array; imag: Float64Array };
  /** max |residual| over both parts. */
  maxResidual: number;
  /** Frequency (Hz) where `maxResidual` occurs. */
  maxResidualFrequency: number;
  /** Σ (ΔRe² + ΔIm²)/|Z|² over the points (Boukamp's pseudo-χ²). */
  pseudoChi2: number;
  /** Threshold the verdict used. */
  threshold: number;
  /** maxResidual ≤ threshold. */
  valid: boolean;
  /**
   * The verdict with the numbers behind it, then which fit decided it ({@link decidedBy}), what the other
   * modes say ({@link otherModes}) and why modes can disagree ({@link explanation}).
   */
  verdict: string;
  /** The first sentence of {@link verdict}: consistent or not, the largest residual, M, mode and M rule. */
  summary: string;
  /** Which fit decided the verdict, in words: the mode (which parts were fitted, which part tests consistency) and how M was chosen. */
  decidedBy: string;
  /**
   * The same test in the other two modes with the same M rule, then with the other M rule: impedance.py's μ rule
   * (real fit, c = 0.85 unless given) after the residual sweep, the default (complex, residual sweep) after the μ
   * rule or a fixed M. Empty with `crossCheck: false`.
   */
  otherModes: LinKKModeCheck[];
  /** One or two sentences: why the modes can disagree, naming the cause when some do. */
  explanation: string;
  /** Which part the largest residual is in. */
  maxResidualPart: "real" | "imag";
  /** How M was chosen ("fixed" when `M` was given). */
  method: "mu" | "residual" | "fixed";
  /** Fit mode used. */
  mode: LinKKMode;
  /** Whether a series capacitance was fitted. */
  addCapacitance: boolean;
  /** The M sweep: M tried, μ and pseudo-χ² for each (in the order evaluated). */
  scan: { M: Int32Array; mu: Float64Array; pseudoChi2: Float64Array };
}

/**
 * Lin-KK test of a spectrum: fit a KK-consistent chain of RC elements and report residuals and a verdict.
 *
 * @param spectrum - frequencies (Hz, > 0) and Z′, Z″ (Ω); at least 3 points
 * @param options - see {@link LinKKOptions}
 * @returns M, μ, the RC chain, fit, residuals relative to |Z|, and the verdict
 * @throws {ValidationError} for invalid spectra or options
 * @example
 * ```ts
 * const kk = linKK(spectrum);               // residual-based default
 * if (!kk.valid) console.log(kk.verdict);
 * const compat = linKK(spectrum, { c: 0.85 }); // impedance.py's μ rule, fit_type "real"
 * ```
 * @see M. Schönleber et al., Electrochim. Acta 131 (2014) 20, eq. 14 and the μ criterion (eq. 21)
 */
export function linKK(spectrum: ImpedanceSpectrum, options: LinKKOptions = {}): LinKKResult {
  const result = linKKOnce(spectrum, options);
  if (options.crossCheck === false) return result;
  const others = crossChecks(spectrum, options, result);
  const explanation = disagreementText(result, others, spectrum.frequency);
  const otherText =
    others.length === 0
      ? ""
      : ` Other modes: ${others.map((o) => `${modeWords(o.mode, o.method)} ${o.valid ? "KK-consistent" : "NOT KK-consistent"} (M = ${o.M}, max |residual| ${o.maxResidual.toPrecision(2)} in ${o.maxResidualPart === "real" ? "Z′" : "Z″"} at ${o.maxResidualFrequency.toPrecision(2)} Hz)`).join("; ")}.`;
  return {
    ...result,
    otherModes: others,
    explanation,
    verdict: `${result.summary}. Decided by ${result.decidedBy}.${otherText} ${explanation}`,
  };
}

/** Below this μ a consistent verdict is flagged: most of the chain's resistance is negative. */
const MU_OVERFIT = 0.5;

/**
 * The other two modes with the same M rule, then the other M rule in its default mode: impedance.py's μ rule
 * (real) against the residual sweep, the default (complex, residual sweep) against μ or a fixed M.
 */
function crossChecks(spectrum: ImpedanceSpectrum, options: LinKKOptions, result: LinKKResult): LinKKModeCheck[] {
  const base: LinKKOptions = { ...options, crossCheck: false };
  const runs: LinKKOptions[] = (["complex", "real", "imag"] as const).filter((m) => m !== result.mode).map((mode) => ({ ...base, mode }));
  if (result.method === "residual") runs.push({ ...base, method: "mu", mode: "real", c: options.c ?? 0.85 });
  else runs.push({ threshold: result.threshold, crossCheck: false }); // μ rule or a fixed M: against the default
  return runs.map((o) => {
    const r = linKKOnce(spectrum, o);
    return { mode: r.mode, method: r.method, M: r.M, maxResidual: r.maxResidual, maxResidualFrequency: r.maxResidualFrequency, maxResidualPart: r.maxResidualPart, valid: r.valid };
  });
}

/** "complex fit", "real-part fit with impedance.py's μ rule", … */
function modeWords(mode: LinKKMode, method: "mu" | "residual" | "fixed"): string {
  const fit = mode === "complex" ? "complex fit" : mode === "real" ? "real-part fit" : "imaginary-part fit";
  return `${fit} (${method === "mu" ? "μ rule" : method === "fixed" ? "fixed M" : "residual-based M"})`;
}

/** Why the modes can disagree, naming the cause when some disagree with `result`. */
function disagreementText(result: LinKKResult, others: readonly LinKKModeCheck[], frequency: ArrayLike<number>): string {
  let minFrequency = Infinity;
  let maxFrequency = -Infinity;
  for (let i = 0; i < frequency.length; i++) {
    minFrequency = Math.min(minFrequency, frequency[i]);
    maxFrequency = Math.max(maxFrequency, frequency[i]);
  }
  const general =
    "Modes can disagree because a real-part fit predicts Z″ from Z′ (its Z″ residuals test the imaginary part's consistency with the real part) and an imaginary-part fit the reverse, while the complex fit spreads the misfit over both; because each chooses its own M (impedance.py's μ rule often stops at 3–5 RC elements, too few to follow the spectrum); and because the verdict is a hard cut on the single largest residual.";
  const disagreeing = others.filter((o) => o.valid !== result.valid);
  if (disagreeing.length === 0) return `All modes agree. ${general}`;
  // A chain whose resistances are largely negative (μ ≪ 1) is not a physical relaxation and can follow non-KK structure.
  const overfit =
    result.valid && result.mu < MU_OVERFIT
      ? ` This fit's μ = ${result.mu.toPrecision(2)}: its RC chain has large negative resistances, so it may be following structure that is not KK-consistent; the failing modes deserve the weight.`
      : "";
  const causes = disagreeing.map((o) => {
    const who = modeWords(o.mode, o.method);
    const few = (o.method === "mu" && !o.valid && o.M <= 5) || (result.method === "mu" && !result.valid && result.M <= 5);
    if (few) return `the ${who} differs mainly in M (${o.M} against ${result.M}): the μ rule stopped at too few RC elements`;
    if (o.method !== result.method && o.M !== result.M) return `the ${who} differs in how M was chosen (${o.M} RC elements against ${result.M})`;
    const near = Math.max(o.maxResidual, result.maxResidual) <= 2 * Math.min(o.maxResidual, result.maxResidual);
    if (near) return `the ${who} and this one both have largest residuals near the ${result.threshold.toPrecision(2)} threshold (${o.maxResidual.toPrecision(2)} against ${result.maxResidual.toPrecision(2)}): the hard cut decides`;
    const failing = o.valid ? result : o;
    const part = failing.maxResidualPart === "imag" ? "Z″" : "Z′";
    const other = failing.maxResidualPart === "imag" ? "Z′" : "Z″";
    const edge = failing.maxResidualFrequency === minFrequency || failing.maxResidualFrequency === maxFrequency ? " (at the edge of the window, where what lies beyond it is missing from the transform)" : "";
    return `${failing === o ? `the ${who}` : `this ${modeWords(result.mode, result.method)}`} leaves ${failing.maxResidual.toPrecision(2)} in ${part} at ${failing.maxResidualFrequency.toPrecision(2)} Hz: ${part} there is not what ${other} implies${edge}`;
  });
  return `Here ${causes.join("; ")}.${overfit} ${general}`;
}

function linKKOnce(spectrum: ImpedanceSpectrum, options: LinKKOptions): LinKKResult {
  const data = checkSpectrum(spectrum, "Lin-KK", 3);
  const n = data.f.length;
  const method: "mu" | "residual" = options.method ?? (options.c !== undefined ? "mu" : "residual");
  if (method !== "mu" && method !== "residual") throw new ValidationError("method", 'must be "mu" or "residual"', method);
  const mode: LinKKMode = options.mode ?? (method === "mu" ? "real" : "complex");
  if (mode !== "complex" && mode !== "real" && mode !== "imag") throw new ValidationError("mode", 'must be "complex", "real" or "imag"', mode);
  const threshold = options.threshold ?? 0.01;
  if (!(threshold > 0)) throw new ValidationError("threshold", "must be positive", threshold);
  const addCapacitance = options.addCapacitance ?? (method === "mu" ? false : hasCapacitiveTail(data));
  const extra = addCapacitance ? 3 : 2;
  const fixedM = options.M;
  if (fixedM !== undefined && !(Number.isInteger(fixedM) && fixedM >= 1)) throw new ValidationError("M", "must be a positive integer", fixedM);

  const scanM: number[] = [];
  const scanMu: number[] = [];
  const scanChi2: number[] = [];
  let best: LinearFit;

  if (fixedM !== undefined || method === "mu") {
    const maxM = options.maxM ?? 50;
    if (!(Number.isInteger(maxM) && maxM >= 1)) throw new ValidationError("maxM", "must be a positive integer", maxM);
    const c = options.c ?? 0.85;
    if (!Number.isFinite(c)) throw new ValidationError("c", "must be a finite number", c);
    if (fixedM !== undefined) {
      best = fitLinKK(data, fixedM, mode, addCapacitance, "pinv");
      record(best);
    } else {
      best = fitLinKK(data, 1, mode, addCapacitance, "pinv");
      record(best);
      for (let m = 2; m <= maxM && best.mu > c; m++) {
        best = fitLinKK(data, m, mode, addCapacitance, "pinv");
        record(best);
      }
    }
  } else {
    const tauPerDecade = options.tauPerDecade ?? 10;
    if (!(tauPerDecade > 0)) throw new ValidationError("tauPerDecade", "must be positive", tauPerDecade);
    const equations = mode === "complex" ? 2 * n : n;
    const capacity = Math.max(1, Math.floor(equations / 2) - extra);
    const decades = Math.log10(data.fMax / data.fMin);
    const dense = Math.ceil(decades * tauPerDecade) + 1;
    if (options.maxM !== undefined && !(Number.isInteger(options.maxM) && options.maxM >= 1)) {
      throw new ValidationError("maxM", "must be a positive integer", options.maxM);
    }
    const top = Math.max(1, Math.min(options.maxM ?? dense, capacity));
    const fits: LinearFit[] = [];
    const reduced: number[] = [];
    // Every M up to 10, then steps of ~15 %: the cost is dominated by the largest M anyway.
    for (const m of sweepValues(top)) {
      const trial = fitLinKK(data, m, mode, addCapacitance, "qr");
      fits.push(trial);
      record(trial);
      reduced.push(trial.pseudoChi2 / Math.max(1, equations - (m + extra)));
    }
    const floor = Math.min(...reduced);
    let chosen = reduced.length - 1;
    for (let i = 0; i < reduced.length; i++) {
      if (reduced[i] <= floor * 1.1) {
        chosen = i;
        break;
      }
    }
    best = fits[chosen];
  }

  function record(fit: LinearFit): void {
    scanM.push(fit.M);
    scanMu.push(fit.mu);
    scanChi2.push(fit.pseudoChi2);
  }

  const usedMethod = fixedM !== undefined ? "fixed" : method;
  const valid = best.maxResidual <= threshold;
  const summary = verdictText(best, threshold, valid, usedMethod, mode, data);
  const result: LinKKResult = {
    M: best.M,
    mu: best.mu,
    tau: best.tau,
    resistances: best.resistances,
    seriesResistance: best.seriesResistance,
    inductance: best.inductance,
    fit: best.fit,
    residuals: best.residuals,
    maxResidual: best.maxResidual,
    maxResidualFrequency: best.maxResidualFrequency,
    pseudoChi2: best.pseudoChi2,
    threshold,
    valid,
    verdict: summary,
    summary,
    decidedBy: decidedByText(mode, usedMethod, best.M, options.c ?? 0.85),
    otherModes: [],
    explanation: "",
    maxResidualPart: best.maxResidualPart,
    method: usedMethod,
    mode,
    addCapacitance,
    scan: { M: Int32Array.from(scanM), mu: Float64Array.from(scanMu), pseudoChi2: Float64Array.from(scanChi2) },
  };
  if (addCapacitance) result.capacitance = 1 / best.inverseCapacitance;
  return result;
}

/**
 * Lin-KK time constants, impedance.py's `get_tc_distribution`: τ₁ = 1/(2π f_max),
 * τ_M = 1/(2π f_min), log-spaced in between (τ = 1/(2π f_min) alone when M = 1).
 *
 * @param fMin - lowest frequency (Hz)
 * @param fMax - highest frequency (Hz)
 * @param M - number of RC elements
 * @returns τ_k (s), ascending
 */
export function linKKTimeConstants(fMin: number, fMax: number, M: number): Float64Array {
  const tMax = 1 / (2 * Math.PI * fMin);
  const tMin = 1 / (2 * Math.PI * fMax);
  const ts = new Float64Array(M);
  ts[0] = tMin;
  ts[M - 1] = tMax;
  for (let k = 2; k < M; k++) ts[k - 1] = 10 ** (Math.log10(tMin) + ((k - 1) / (M - 1)) * Math.log10(tMax / tMin));
  return ts;
}

// ---------------------------------------------------------------------------
// Data checks and the linear fit


/** Low-frequency end is a capacitive tail steeper than 45° from the high-frequency intercept. */
function hasCapacitiveTail(data: SpectrumData): boolean {
  let lowest = 0;
  let minRe = Infinity;
  for (let i = 0; i < data.f.length; i++) {
    if (data.f[i] < data.f[lowest]) lowest = i;
    minRe = Math.min(minRe, data.re[i]);
  }
  return data.im[lowest] < 0 && -data.im[lowest] > data.re[lowest] - minRe;
}

interface LinearFit {
  M: number;
  tau: Float64Array;
  resistances: Float64Array;
  seriesResistance: number;
  inductance: number;
  inverseCapacitance: number;
  mu: number;
  fit: { real: Float64Array; imag: Float64Array };
  residuals: { real: Float64Array; imag: Float64Array };
  maxResidual: number;
  maxResidualFrequency: number;
  maxResidualPart: "real" | "imag";
  pseudoChi2: number;
}

/**
 * One Lin-KK fit with M elements, following impedance.py's `fit_linKK`.
 * Unknowns x = [R₀, R₁…R_M, (1/C), L]; columns are normalised by |Z|.
 */
function fitLinKK(data: SpectrumData, M: number, mode: LinKKMode, addCap: boolean, solver: "pinv" | "qr"): LinearFit {
  const n = data.f.length;
  const tau = linKKTimeConstants(data.fMin, data.fMax, M);
  const p = M + (addCap ? 3 : 2);
  const iC = addCap ? M + 1 : -1;
  const iL = p - 1;
  // Column-major design matrices for the real and imaginary parts (divided by |Z|).
  const aRe = new Float64Array(n * p);
  const aIm = new Float64Array(n * p);
  const bRe = new Float64Array(n);
  const bIm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = data.omega[i];
    const inv = 1 / data.abs[i];
    aRe[i] = inv;
    for (let k = 0; k < M; k++) {
      const wt = w * tau[k];
      const d = 1 / (1 + wt * wt);
      aRe[(k + 1) * n + i] = d * inv;
      aIm[(k + 1) * n + i] = -wt * d * inv;
    }
    if (addCap) aIm[iC * n + i] = -inv / w;
    aIm[iL * n + i] = w * inv;
    bRe[i] = data.re[i] * inv;
    bIm[i] = data.im[i] * inv;
  }
  const solve = solver === "pinv" ? leastSquaresPinv : leastSquaresQr;
  let x: Float64Array;
  if (mode === "complex") {
    const a = new Float64Array(2 * n * p);
    for (let j = 0; j < p; j++) {
      a.set(aRe.subarray(j * n, j * n + n), j * 2 * n);
      a.set(aIm.subarray(j * n, j * n + n), j * 2 * n + n);
    }
    const b = new Float64Array(2 * n);
    b.set(bRe, 0);
    b.set(bIm, n);
    x = solve(a, 2 * n, p, b);
  } else if (mode === "real") {
    x = solve(aRe, n, p, bRe);
    // The real part says nothing about L and C: fit them to what is left of the imaginary part.
    if (addCap) x[iC] = 1e-18; // impedance.py's placeholder ("nullifies series C")
    x[iL] = 0;
    const a2 = new Float64Array(2 * n);
    const rest = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const w = data.omega[i];
      const inv = 1 / data.abs[i];
      let zi = -(addCap ? x[iC] : 0) / w;
      for (let k = 0; k < M; k++) {
        const wt = w * tau[k];
        zi -= (x[k + 1] * wt) / (1 + wt * wt);
      }
      if (addCap) a2[i] = -inv / w;
      a2[n + i] = w * inv;
      rest[i] = (data.im[i] - zi) * inv;
    }
    const coefs = solve(a2, n, 2, rest);
    if (addCap) x[iC] = coefs[0];
    x[iL] = coefs[1];
  } else {
    x = solve(aIm, n, p, bIm);
    // Boukamp (1995) eq. 7: R₀ as the |Z|⁻²-weighted mean of what the RC chain leaves of Z′.
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const w = data.omega[i];
      let zr = x[0];
      for (let k = 0; k < M; k++) {
        const wt = w * tau[k];
        zr += x[k + 1] / (1 + wt * wt);
      }
      const ws = 1 / (data.abs[i] * data.abs[i]);
      num += ws * (data.re[i] - zr);
      den += ws;
    }
    x[0] = num / den;
  }

  const resistances = x.slice(1, M + 1);
  const fitRe = new Float64Array(n);
  const fitIm = new Float64Array(n);
  const resRe = new Float64Array(n);
  const resIm = new Float64Array(n);
  let maxResidual = 0;
  let maxResidualFrequency = data.f[0];
  let maxResidualPart: "real" | "imag" = "real";
  let chi2 = 0;
  for (let i = 0; i < n; i++) {
    const w = data.omega[i];
    let zr = x[0];
    let zi = w * x[iL] - (addCap ? x[iC] / w : 0);
    for (let k = 0; k < M; k++) {
      const wt = w * tau[k];
      const d = x[k + 1] / (1 + wt * wt);
      zr += d;
      zi -= d * wt;
    }
    fitRe[i] = zr;
    fitIm[i] = zi;
    resRe[i] = (data.re[i] - zr) / data.abs[i];
    resIm[i] = (data.im[i] - zi) / data.abs[i];
    chi2 += resRe[i] * resRe[i] + resIm[i] * resIm[i];
    const r = Math.max(Math.abs(resRe[i]), Math.abs(resIm[i]));
    if (r > maxResidual) {
      maxResidual = r;
      maxResidualFrequency = data.f[i];
      maxResidualPart = Math.abs(resRe[i]) >= Math.abs(resIm[i]) ? "real" : "imag";
    }
  }
  return {
    M,
    tau,
    resistances,
    seriesResistance: x[0],
    inductance: x[iL],
    inverseCapacitance: addCap ? x[iC] : 0,
    mu: calcMu(resistances),
    fit: { real: fitRe, imag: fitIm },
    residuals: { real: resRe, imag: resIm },
    maxResidual,
    maxResidualFrequency,
    maxResidualPart,
    pseudoChi2: chi2,
  };
}

/** Which fit decided the verdict, in words. */
function decidedByText(mode: LinKKMode, method: "mu" | "residual" | "fixed", M: number, c: number): string {
  const fit =
    mode === "complex"
      ? "the complex fit (Z′ and Z″ fitted together; the residuals of both test consistency)"
      : mode === "real"
        ? "the real-part fit (Z′ fitted; the Z″ residuals test whether the imaginary part is what the real part implies)"
        : "the imaginary-part fit (Z″ fitted; the Z′ residuals test whether the real part is what the imaginary part implies)";
  const how =
    method === "mu"
      ? `M = ${M} chosen by impedance.py's μ rule (the first M with μ ≤ c = ${c})`
      : method === "fixed"
        ? `M = ${M} fixed by the user`
        : `M = ${M} chosen by the residual sweep (the smallest M within 10 % of the best reduced pseudo-χ²)`;
  return `${fit}, ${how}`;
}

/** 1, 2, …, 10, then ~15 % steps, always ending at `top`. */
function sweepValues(top: number): number[] {
  const values: number[] = [];
  for (let m = 1; m <= top; m = m < 10 ? m + 1 : Math.ceil(m * 1.15)) values.push(m);
  if (values[values.length - 1] !== top) values.push(top);
  return values;
}

/** impedance.py's `calc_mu`: 1 − Σ|R_k<0| / Σ|R_k≥0| (−∞ when no R_k ≥ 0 is non-zero but some are negative; 1 when all are 0). */
function calcMu(resistances: Float64Array): number {
  let neg = 0;
  let pos = 0;
  for (const r of resistances) {
    if (r < 0) neg -= r;
    else pos += r;
  }
  if (pos === 0) return neg === 0 ? 1 : -Infinity;
  return 1 - neg / pos;
}

function verdictText(fit: LinearFit, threshold: number, valid: boolean, method: string, mode: LinKKMode, data: SpectrumData): string {
  const fmt = (v: number): string => v.toPrecision(2);
  const how = `M = ${fit.M}, ${mode} fit, ${method === "mu" ? "μ rule" : method === "fixed" ? "fixed M" : "residual-based M"}, pseudo-χ² ${fmt(fit.pseudoChi2)}`;
  if (valid) return `KK-consistent: max |residual| ${fmt(fit.maxResidual)} ≤ threshold ${fmt(threshold)} (${how})`;
  const hints: string[] = [];
  const r = lagOneCorrelation(fit.residuals.real, fit.residuals.imag);
  if (r > 0.5) hints.push(`residuals vary smoothly with frequency (lag-1 correlation ${r.toFixed(2)}): drift, non-stationarity or non-linearity rather than noise`);
  else if (r < 0.3) hints.push(`residuals look like random noise (lag-1 correlation ${r.toFixed(2)}): the data may be consistent but noisier than the threshold`);
  if (method === "mu" && fit.mu <= 0.85 && fit.M <= 5) hints.push(`the μ rule stopped at M = ${fit.M}; method "residual" does not stop early`);
  const edge = fit.maxResidualFrequency === data.fMin || fit.maxResidualFrequency === data.fMax;
  if (edge) hints.push("largest residual at the edge of the frequency range (a capacitive tail needs addCapacitance; an inductive tail is fitted by L)");
  const tail = hints.length > 0 ? `; ${hints.join("; ")}` : "";
  return `NOT KK-consistent: max |residual| ${fmt(fit.maxResidual)} at ${fmt(fit.maxResidualFrequency)} Hz exceeds threshold ${fmt(threshold)} (${how})${tail}`;
}

/** Lag-1 autocorrelation of the residuals in frequency order (both parts pooled): near 1 for smooth, systematic structure. */
function lagOneCorrelation(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (const x of [a, b]) {
    let mean = 0;
    for (const v of x) mean += v;
    mean /= x.length;
    for (let i = 0; i < x.length; i++) {
      const d = x[i] - mean;
      den += d * d;
      if (i > 0) num += d * (x[i - 1] - mean);
    }
  }
  return den > 0 ? num / den : 0;
}
