/**
 * @module api/impedance
 * Impedance spectra: reading any supported instrument export, fitting an impedance.py-style
 * circuit, the Lin-KK Kramers–Kronig test and the distribution of relaxation times.
 * Frequencies in Hz, impedances in Ω (Z'' < 0 is capacitive), τ in s.
 */
import { ValidationError } from "../core/errors.ts";
import { createRandom } from "../core/random.ts";
import { readImpedanceFile, type ImpedanceSpectrum, type ReadImpedanceOptions } from "../io/impedance.ts";
import { fitCircuit as fitCircuitModel, type CircuitFitResult, type FitCircuitOptions } from "../fit/circuitObjective.ts";
import { linKK, type LinKKOptions, type LinKKResult } from "../analysis/impedance/linKK.ts";
import { drt, type DrtOptions, type DrtResult } from "../analysis/impedance/drt.ts";
import { circuitModel } from "../models/circuit/circuitModel.ts";
import { readImpedanceTimes, type ImpedanceTimes } from "../io/impedanceTime.ts";
import {
  arcParameters,
  impedanceSequence as fitSequence,
  type ArcParameters,
  type CapacitanceFormula,
  type ImpedanceSequence,
  type ImpedanceSequenceOptions,
  type SequenceSpectrum,
} from "../analysis/impedance/sequence.ts";
import { circuitPolarisation, type CircuitPolarisation } from "../analysis/impedance/polarisation.ts";
import { plainJson } from "./json.ts";
import nodePath from "node:path";

export type { ImpedanceSpectrum, CircuitFitResult, FitCircuitOptions, LinKKOptions, LinKKResult, DrtOptions, DrtResult };
export type { ImpedanceTimes, ArcParameters, CapacitanceFormula, ImpedanceSequence, ImpedanceSequenceOptions, SequenceSpectrum, CircuitPolarisation };
export { arcParameters, circuitPolarisation };

/** When each point of a BioLogic `.mpt` spectrum was measured: `time/s` per point and the header's acquisition start. */
export function readSpectrumTimes(file: string): ImpedanceTimes {
  return readImpedanceTimes(file);
}

/** A sequence of fitted spectra; `toJSON()` is `strata eis sequence --json`. */
export interface ImpedanceSequenceReport {
  sequence: ImpedanceSequence;
  toJSON(): Record<string, unknown>;
}

/**
 * Fit one circuit to a sequence of spectra (files or spectra with times) and follow each arc's
 * resistance and effective capacitance over time. A file's time is the mid-point of its `.mpt`
 * `time/s` column (seconds since the header's acquisition start, which is reported as `startTime`);
 * `dropInductive` keeps only the points with Z'' < 0.
 */
export function impedanceSequence(
  circuit: string,
  spectra: readonly (string | SequenceSpectrum)[],
  options: ImpedanceSequenceOptions & { dropInductive?: boolean } = {},
): ImpedanceSequenceReport {
  const { dropInductive, ...rest } = options;
  const items = spectra.map((item): SequenceSpectrum => {
    if (typeof item !== "string") return dropInductive ? { ...item, spectrum: capacitiveOnly(toSpectrum(item.spectrum)) } : item;
    const spectrum = readImpedanceFile(item);
    const times = readImpedanceTimes(item);
    return {
      spectrum: dropInductive ? capacitiveOnly(spectrum) : spectrum,
      time_s: times.mid_s,
      label: nodePath.basename(item),
      ...(times.startTime ? { startTime: times.startTime } : {}),
    };
  });
  const sequence = fitSequence(circuit, items, rest);
  return { sequence, toJSON: () => plainJson(sequenceJson(sequence)) as Record<string, unknown> };
}

const toSpectrum = (data: SequenceSpectrum["spectrum"]): ImpedanceSpectrum => ({
  frequency: data.frequency,
  real: data.real,
  imag: data.imag,
  source: data.source ?? "spectrum",
  format: "data",
  warnings: [],
});

/** `strata eis sequence --json`. */
export function sequenceJson(sequence: ImpedanceSequence): Record<string, unknown> {
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    circuit: sequence.circuit,
    capacitanceFormula: sequence.capacitanceFormula,
    notConverged: sequence.notConverged,
    points: sequence.points.map((p) => ({
      label: p.label,
      time_s: p.time_s,
      ...(p.startTime ? { startTime: p.startTime } : {}),
      converged: p.fit.converged,
      reducedChi2: finite(p.fit.reducedChi2),
      parameters: Object.fromEntries(p.fit.parameters.map((q) => [q.name, { value: q.value, stderr: finite(q.stderr) }])),
      arcs: p.arcs.map((a) => ({ ...a, resistanceStderr: finite(a.resistanceStderr), capacitanceStderr: finite(a.capacitanceStderr) })),
    })),
  };
}

/** Read an impedance file (plain CSV, BioLogic .mpt, Gamry .DTA, ZPlot .z, Autolab, CH Instruments, Parstat, VersaStudio, PowerSuite). */
export function readSpectrum(file: string, options: ReadImpedanceOptions = {}): ImpedanceSpectrum {
  return readImpedanceFile(file, options);
}

const spectrumOf = (spectrum: string | ImpedanceSpectrum): ImpedanceSpectrum => (typeof spectrum === "string" ? readImpedanceFile(spectrum) : spectrum);

/** A circuit fit; `toJSON()` is `strata eis fit --json`. */
export interface CircuitFitReport {
  fit: CircuitFitResult;
  spectrum: ImpedanceSpectrum;
  toJSON(): Record<string, unknown>;
}

/**
 * Fit an impedance.py circuit string (`R0-p(R1,CPE1)`) to a spectrum (or a file) by
 * Levenberg–Marquardt on stacked Z', Z'' residuals, optionally after a global search.
 * `dropInductive` keeps only the points with Z'' < 0 (impedance.py's ignoreBelowX).
 */
export function fitCircuit(circuit: string, spectrum: string | ImpedanceSpectrum, options: FitCircuitOptions & { dropInductive?: boolean } = {}): CircuitFitReport {
  let data = spectrumOf(spectrum);
  const { dropInductive, ...fitOptions } = options;
  if (dropInductive) data = capacitiveOnly(data);
  const fit = fitCircuitModel(circuit, data, fitOptions);
  return { fit, spectrum: data, toJSON: () => plainJson(circuitFitJson(fit, data)) as Record<string, unknown> };
}

/** A Lin-KK test; `toJSON()` is `strata eis linkk --json`. */
export interface KramersKronigReport {
  result: LinKKResult;
  spectrum: ImpedanceSpectrum;
  toJSON(): Record<string, unknown>;
}

/** The Lin-KK Kramers–Kronig test (Schönleber 2014; impedance.py's μ rule with `c`). */
export function kramersKronig(spectrum: string | ImpedanceSpectrum, options: LinKKOptions = {}): KramersKronigReport {
  const data = spectrumOf(spectrum);
  const result = linKK(data, options);
  return { result, spectrum: data, toJSON: () => plainJson(kramersKronigJson(result, data)) as Record<string, unknown> };
}

/** A DRT; `toJSON()` is `strata eis drt --json`. */
export interface DrtReport {
  result: DrtResult;
  spectrum: ImpedanceSpectrum;
  toJSON(): Record<string, unknown>;
}

/** The distribution of relaxation times (Tikhonov-regularised, non-negative). */
export function distributionOfRelaxationTimes(spectrum: string | ImpedanceSpectrum, options: DrtOptions = {}): DrtReport {
  const data = spectrumOf(spectrum);
  const result = drt(data, options);
  return { result, spectrum: data, toJSON: () => plainJson(drtJson(result, data)) as Record<string, unknown> };
}

/**
 * The impedance of a circuit with the given parameter values (in circuit order, or by name).
 * @returns Z' and Z'' (Ω) at each frequency
 */
export function circuitImpedance(circuit: string, values: number[] | Record<string, number>, frequency: Float64Array): { re: Float64Array; im: Float64Array } {
  return circuitModel(circuit, { initial: values }).evaluate(frequency);
}

/** A simulated spectrum; `toJSON()` is `strata eis simulate --json`. */
export interface SimulatedSpectrum {
  circuit: string;
  parameters: Record<string, number>;
  frequency: Float64Array;
  real: Float64Array;
  imag: Float64Array;
  toJSON(): Record<string, unknown>;
}

/**
 * The impedance of a circuit on a frequency grid, optionally with Gaussian noise of
 * σ = noise·|Z| on Z' and Z'' (test data), deterministic given the seed.
 */
export function simulateSpectrum(circuit: string, values: number[] | Record<string, number>, frequency: Float64Array, options: { noise?: number; seed?: number } = {}): SimulatedSpectrum {
  const noise = options.noise ?? 0;
  if (!(noise >= 0)) throw new ValidationError("noise", "must be ≥ 0", noise);
  const model = circuitModel(circuit, { initial: values });
  const z = model.evaluate(frequency);
  if (noise > 0) {
    const rng = createRandom(options.seed ?? 0);
    for (let i = 0; i < frequency.length; i++) {
      const m = Math.hypot(z.re[i], z.im[i]);
      z.re[i] += noise * m * rng.normal();
      z.im[i] += noise * m * rng.normal();
    }
  }
  const parameters = Object.fromEntries(model.names.map((n, i) => [n, model.parameters[i].value]));
  const result = { circuit: model.circuit.circuit, parameters, frequency, real: z.re, imag: z.im };
  return { ...result, toJSON: () => ({ circuit: result.circuit, parameters, frequency: Array.from(frequency), real: Array.from(z.re), imag: Array.from(z.im) }) };
}

/** `strata eis linkk --json`. */
export function kramersKronigJson(kk: LinKKResult, spectrum: ImpedanceSpectrum): Record<string, unknown> {
  return {
          M: kk.M,
          mu: kk.mu,
          residualsReal: kk.residuals.real,
          residualsImag: kk.residuals.imag,
          consistent: kk.valid,
          threshold: kk.threshold,
          maxResidual: kk.maxResidual,
          maxResidualFrequency: kk.maxResidualFrequency,
          pseudoChi2: kk.pseudoChi2,
          verdict: kk.verdict,
          decidedBy: kk.decidedBy,
          otherModes: kk.otherModes,
          explanation: kk.explanation,
          method: kk.method,
          mode: kk.mode,
          addCapacitance: kk.addCapacitance,
          seriesResistance: kk.seriesResistance,
          inductance: kk.inductance,
          ...(kk.capacitance !== undefined ? { capacitance: kk.capacitance } : {}),
          frequency: spectrum.frequency,
          fitReal: kk.fit.real,
          fitImag: kk.fit.imag,
          warnings: spectrum.warnings,
        };
}

/** `strata eis drt --json`. */
export function drtJson(result: DrtResult, spectrum: ImpedanceSpectrum): Record<string, unknown> {
  return {
          tau: result.tau,
          gamma: result.gamma,
          lambda: result.lambda,
          lambdaMethod: result.lambdaMethod,
          rInf: result.rInf,
          inductance: result.inductance,
          polarizationResistance: result.polarizationResistance,
          polarizationInWindow: result.polarizationInWindow,
          peaks: result.peaks,
          ...(result.band ? { band: result.band } : {}),
          ...(result.lambdaScores ? { lambdaScores: result.lambdaScores } : {}),
          warnings: [...spectrum.warnings, ...result.warnings],
        };
}

/** The points with Z″ < 0 (impedance.py's `ignoreBelowX`). */
export function capacitiveOnly(spectrum: ImpedanceSpectrum, option = "dropInductive"): ImpedanceSpectrum {
  const keep: number[] = [];
  for (let i = 0; i < spectrum.frequency.length; i++) if (spectrum.imag[i] < 0) keep.push(i);
  if (keep.length === 0) throw new ValidationError(option, `${spectrum.source} has no point with Z'' < 0`);
  const pick = (a: Float64Array): Float64Array => Float64Array.from(keep, (i) => a[i]);
  const dropped = spectrum.frequency.length - keep.length;
  return {
    ...spectrum,
    frequency: pick(spectrum.frequency),
    real: pick(spectrum.real),
    imag: pick(spectrum.imag),
    warnings: dropped > 0 ? [...spectrum.warnings, `${dropped} points with Z'' ≥ 0 dropped (${option})`] : spectrum.warnings,
  };
}

export function circuitFitJson(fit: CircuitFitResult, spectrum: ImpedanceSpectrum): Record<string, unknown> {
  const p = fit.names.length;
  const correlation: Record<string, Record<string, number | null>> = {};
  fit.names.forEach((a, i) => {
    correlation[a] = {};
    fit.names.forEach((b, j) => {
      const r = fit.correlation[i * p + j];
      correlation[a][b] = Number.isFinite(r) ? r : null;
    });
  });
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    circuit: fit.circuit,
    source: spectrum.source,
    points: fit.nPoints,
    parameters: Object.fromEntries(
      fit.parameters.map((q) => [
        q.name,
        { value: q.value, stderr: finite(q.stderr), stderrUnscaled: finite(q.stderrUnscaled), fixed: q.fixed, initial: q.initial, ...(q.unit ? { unit: q.unit } : {}) },
      ]),
    ),
    chi2: fit.chi2,
    reducedChi2: finite(fit.reducedChi2),
    dof: fit.dof,
    rss: fit.rss,
    aic: finite(fit.aic),
    bic: finite(fit.bic),
    correlation,
    weighting: fit.weighting,
    admittance: fit.admittance,
    global: fit.global,
    initialSource: fit.initialSource,
    initialNotes: fit.initialNotes,
    ...(fit.starts ? { starts: fit.starts.map((s) => ({ source: s.source, chi2: s.chi2, converged: s.converged, values: s.values })) } : {}),
    ...(fit.alternatives
      ? {
          alternatives: fit.alternatives.map((a) => ({
            source: a.source,
            chi2: a.chi2,
            rss: a.rss,
            converged: a.converged,
            parameters: Object.fromEntries(a.parameters.map((q) => [q.name, { value: q.value, stderr: finite(q.stderr) }])),
            differences: a.differences,
          })),
        }
      : {}),
    converged: fit.converged,
    status: fit.status,
    message: fit.message,
    evaluations: fit.evaluations,
    fitted: { frequency: spectrum.frequency, real: fit.fitted.re, imag: fit.fitted.im },
    warnings: [...spectrum.warnings, ...fit.warnings],
  };
}

