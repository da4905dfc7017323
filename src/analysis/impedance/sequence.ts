/**
 * @module analysis/impedance/sequence
 * The interphase's resistance and capacitance over a sequence of impedance
 * spectra (an operando series): one circuit fitted to every spectrum from the
 * data-derived start, and for every arc of the circuit — each top-level
 * `p(R, CPE)` or `p(R, C)` block — its resistance and capacitance with
 * standard errors, against the time each spectrum was measured.
 *
 * Capacitance of an R‖CPE arc (CPE Z = 1/(Q (jω)^α)), selectable:
 * - `"hsu-mansfeld"` (default): C_eff = (R·Q)^(1/α) / R = Q^(1/α) R^((1−α)/α), the capacitance whose RC
 *   time constant is the arc's characteristic time τ₀ = (RQ)^(1/α) (Hsu & Mansfeld 2001; a normal,
 *   through-the-film distribution of time constants, the usual reading of a surface film such as an SEI);
 * - `"brug"`: C_eff = Q^(1/α) (1/R_s + 1/R)^((α−1)/α), R_s the series (top-level) resistance (Brug et al.
 *   1984; a surface distribution along the electrode, e.g. double-layer capacitance on a rough surface).
 * For α = 1 both are C = Q. A `p(R, C)` arc reports C itself.
 * Standard errors are first-order (delta method) from the fit's covariance (scaled by χ²/ν), so they
 * carry the correlations between R, Q and α; they do not include the choice of circuit.
 *
 * Units: time s, R Ω, Q Ω⁻¹ s^α, C F, τ s, frequency Hz.
 *
 * @see C. H. Hsu, F. Mansfeld, Corrosion 57 (2001) 747
 * @see G. J. Brug, A. L. G. van den Eeden, M. Sluyters-Rehbach, J. H. Sluyters, J. Electroanal. Chem. 176 (1984) 275
 */
import { ValidationError } from "../../core/errors.ts";
import { fitCircuit } from "../../fit/circuitObjective.ts";
import type { CircuitFitResult, FitCircuitOptions, ImpedanceData } from "../../fit/circuitObjective.ts";
import { parseCircuit } from "../../models/circuit/parseCircuit.ts";
import { topLevelArcs } from "../../models/circuit/interphaseElements.ts";

/** Which effective-capacitance formula turns an R‖CPE arc into a capacitance (see the module header). */
export type CapacitanceFormula = "hsu-mansfeld" | "brug";

/** One arc (top-level `p(R, CPE)` or `p(R, C)` block) of a fitted circuit. */
export interface ArcParameters {
  /** 1-based position among the circuit's arcs, in the order written. */
  readonly arc: number;
  /** Parameter names of its resistance and its capacitive element's first parameter (`R1`, `CPE1_0` or `C1`). */
  readonly resistanceName: string;
  readonly capacitorName: string;
  readonly kind: "CPE" | "C";
  /** R (Ω) and its standard error. */
  readonly resistance: number;
  readonly resistanceStderr: number;
  /** Q (Ω⁻¹ s^α; = C for a capacitor) and α (1 for a capacitor). */
  readonly q: number;
  readonly alpha: number;
  /** Capacitance C_eff (F) by the chosen formula, and its standard error. */
  readonly capacitance: number;
  readonly capacitanceStderr: number;
  /** Characteristic time τ₀ = (RQ)^(1/α) (s) and frequency 1/(2πτ₀) (Hz). */
  readonly tau: number;
  readonly frequency: number;
}

/**
 * The arcs of a fitted circuit with their resistance and effective capacitance.
 *
 * @param fit - a circuit fit (from `fitCircuit`)
 * @param formula - effective-capacitance formula for R‖CPE arcs @default "hsu-mansfeld"
 * @returns one entry per top-level `p(R, CPE)` / `p(R, C)` block, in the order written (other blocks are skipped)
 */
export function arcParameters(fit: CircuitFitResult, formula: CapacitanceFormula = "hsu-mansfeld"): ArcParameters[] {
  if (formula !== "hsu-mansfeld" && formula !== "brug") throw new ValidationError("capacitance", 'must be "hsu-mansfeld" or "brug"', formula);
  const parsed = parseCircuit(fit.circuit);
  const top = parsed.root.kind === "series" ? parsed.root.children : [parsed.root];
  const value = new Map(fit.parameters.map((p) => [p.name, p.value]));
  const seriesResistors = top.filter((node) => node.kind === "element" && node.type === "R").map((node) => (node as { parameterNames: readonly string[] }).parameterNames[0]);
  const arcs: ArcParameters[] = [];
  for (const { resistor, capacitor } of topLevelArcs(parsed)) {
    const arc: { r: string; q: string; alpha?: string } = { r: resistor.parameterNames[0], q: capacitor.parameterNames[0], ...(capacitor.type === "CPE" ? { alpha: capacitor.parameterNames[1] } : {}) };
    const names = [arc.r, arc.q, ...(arc.alpha ? [arc.alpha] : []), ...(formula === "brug" ? seriesResistors : [])];
    const capacitance = (v: (name: string) => number): number => {
      const r = v(arc.r);
      const q = v(arc.q);
      const alpha = arc.alpha ? v(arc.alpha) : 1;
      if (alpha === 1) return q;
      if (formula === "hsu-mansfeld") return Math.pow(r * q, 1 / alpha) / r;
      let rs = 0;
      for (const name of seriesResistors) rs += v(name);
      return Math.pow(q, 1 / alpha) * Math.pow(1 / rs + 1 / r, (alpha - 1) / alpha);
    };
    const c = capacitance((name) => value.get(name)!);
    const r = value.get(arc.r)!;
    const q = value.get(arc.q)!;
    const alpha = arc.alpha ? value.get(arc.alpha)! : 1;
    const tau = Math.pow(r * q, 1 / alpha);
    arcs.push({
      arc: arcs.length + 1,
      resistanceName: arc.r,
      capacitorName: arc.q,
      kind: arc.alpha ? "CPE" : "C",
      resistance: r,
      resistanceStderr: deltaStderr(fit, [arc.r], (v) => v(arc.r)),
      q,
      alpha,
      capacitance: c,
      capacitanceStderr: deltaStderr(fit, names, capacitance),
      tau,
      frequency: 1 / (2 * Math.PI * tau),
    });
  }
  return arcs;
}

/** First-order standard error of g(θ) from the fit's (scaled) covariance; constants contribute nothing. */
function deltaStderr(fit: CircuitFitResult, names: readonly string[], g: (v: (name: string) => number) => number): number {
  const base = new Map(fit.parameters.map((p) => [p.name, p.value]));
  const p = fit.names.length;
  const gradient = new Float64Array(p);
  const at = (override: string, x: number) => (name: string): number => (name === override ? x : base.get(name)!);
  for (const name of new Set(names)) {
    const j = fit.names.indexOf(name);
    if (j < 0) continue;
    const x = base.get(name)!;
    const h = 1e-6 * Math.max(Math.abs(x), 1e-12);
    gradient[j] = (g(at(name, x + h)) - g(at(name, x - h))) / (2 * h);
  }
  let variance = 0;
  for (let i = 0; i < p; i++) {
    if (gradient[i] === 0) continue;
    for (let j = 0; j < p; j++) if (gradient[j] !== 0) variance += gradient[i] * fit.covariance[i * p + j] * gradient[j];
  }
  return variance >= 0 ? Math.sqrt(variance) : Number.NaN;
}

/** One spectrum of a sequence. */
export interface SequenceSpectrum {
  readonly spectrum: ImpedanceData;
  /** When it was measured (s, any common origin; e.g. the mid-point of the `.mpt` time column). */
  readonly time_s: number;
  /** Name in reports. @default the spectrum's source, else its index */
  readonly label?: string;
  /** Absolute start as an ISO local date-time, when known. */
  readonly startTime?: string;
}

/** Options of {@link impedanceSequence}: those of `fitCircuit` plus the capacitance formula. */
export interface ImpedanceSequenceOptions extends FitCircuitOptions {
  /** @default "hsu-mansfeld" */
  readonly capacitance?: CapacitanceFormula;
  /** Called after each spectrum (index, fit). */
  readonly progress?: (index: number, fit: CircuitFitResult) => void;
}

/** One point of the trend. */
export interface ImpedanceSequencePoint {
  readonly label: string;
  readonly time_s: number;
  readonly startTime?: string;
  readonly fit: CircuitFitResult;
  readonly arcs: readonly ArcParameters[];
}

/** An arc's resistance and capacitance over the sequence. */
export interface ArcTrend {
  readonly arc: number;
  readonly resistanceName: string;
  readonly capacitorName: string;
  readonly resistance: Float64Array;
  readonly resistanceStderr: Float64Array;
  readonly capacitance: Float64Array;
  readonly capacitanceStderr: Float64Array;
  readonly frequency: Float64Array;
}

/** Result of {@link impedanceSequence}. */
export interface ImpedanceSequence {
  readonly circuit: string;
  readonly capacitanceFormula: CapacitanceFormula;
  readonly points: readonly ImpedanceSequencePoint[];
  /** Times (s) and per-arc series, in the order of `points`. */
  readonly trend: { readonly time_s: Float64Array; readonly arcs: readonly ArcTrend[] };
  /** Labels of spectra whose fit did not converge (their values are still in the trend). */
  readonly notConverged: readonly string[];
}

/**
 * Fits `circuit` to every spectrum (each from its own data-derived start, unless `initial` is given) and
 * returns the trend of each arc's resistance and effective capacitance over time.
 *
 * @param circuit - impedance.py circuit string with at least one top-level `p(R, CPE)` or `p(R, C)` block
 * @param spectra - the spectra with their times
 * @param options - fit options (weights, constants, bounds, …) and the capacitance formula
 * @returns fits, arcs per spectrum and the trend
 * @throws {ValidationError} for no spectra, a non-finite time, or a circuit without an R‖CPE / R‖C arc
 * @example
 * ```ts
 * const seq = impedanceSequence("R0-p(R1,CPE1)-p(R2,CPE2)", items, { weights: "modulus" });
 * seq.trend.arcs[1].resistance; // R2 over time
 * ```
 */
export function impedanceSequence(circuit: string, spectra: readonly SequenceSpectrum[], options: ImpedanceSequenceOptions = {}): ImpedanceSequence {
  if (spectra.length === 0) throw new ValidationError("spectra", "the sequence has no spectra", 0);
  const formula = options.capacitance ?? "hsu-mansfeld";
  const { capacitance: _formula, progress, ...fitOptions } = options;
  const points: ImpedanceSequencePoint[] = [];
  spectra.forEach((item, k) => {
    if (!Number.isFinite(item.time_s)) throw new ValidationError(`spectra[${k}].time_s`, "must be a finite number of seconds", item.time_s);
    const fit = fitCircuit(circuit, item.spectrum, fitOptions);
    const arcs = arcParameters(fit, formula);
    if (arcs.length === 0) throw new ValidationError("circuit", "has no top-level p(R, CPE) or p(R, C) block whose resistance and capacitance could be followed", circuit);
    points.push({ label: item.label ?? item.spectrum.source ?? `spectrum ${k + 1}`, time_s: item.time_s, ...(item.startTime ? { startTime: item.startTime } : {}), fit, arcs });
    progress?.(k, fit);
  });
  const column = (a: number, pick: (arc: ArcParameters) => number): Float64Array => Float64Array.from(points, (p) => pick(p.arcs[a]));
  const arcs: ArcTrend[] = points[0].arcs.map((arc, a) => ({
    arc: arc.arc,
    resistanceName: arc.resistanceName,
    capacitorName: arc.capacitorName,
    resistance: column(a, (x) => x.resistance),
    resistanceStderr: column(a, (x) => x.resistanceStderr),
    capacitance: column(a, (x) => x.capacitance),
    capacitanceStderr: column(a, (x) => x.capacitanceStderr),
    frequency: column(a, (x) => x.frequency),
  }));
  return {
    circuit: points[0].fit.circuit,
    capacitanceFormula: formula,
    points,
    trend: { time_s: Float64Array.from(points, (p) => p.time_s), arcs },
    notConverged: points.filter((p) => !p.fit.converged).map((p) => p.label),
  };
}
