/**
 * @module diagnosis/diagnoseCell
 * The diagnosis of one cell's operando series: independent fits, law-constrained
 * joint fits, law comparison, posterior by MCMC, cross-modality consistency, and
 * quality flags. Produces the `cells[CELL]` entry of diagnosis.json plus what the
 * report draws. Units: thickness/roughness Å, density g/cm³, time s, charge C/cm²,
 * conductivity S/m, permittivity (relative), resistance Ω, capacitance F.
 */
import { createRandom } from "../core/random.ts";
import { erfc } from "../params/special.ts";
import { chiSquareUpperTail, isMisfit, RESIDUAL_AUTOCORRELATION_LIMIT } from "./misfit.ts";
import { GROWTH_LAWS, type LawName } from "../models/growthLaws.ts";
import { fitCircuit } from "../fit/circuitObjective.ts";
import { interphaseRC } from "./interphaseCircuit.ts";
import type { ImpedanceSpectrum } from "../io/impedance.ts";
import { centralIntervals } from "../core/quantiles.ts";
import { VACUUM_PERMITTIVITY } from "../core/constants.ts";
import { mixingSummary, type EnsembleResult } from "../optimize/ensembleSampler.ts";
import { availableParallelism } from "node:os";
import { constrainedBy, DATA_CONSTRAINED_RATIO, PRIOR_DOMINATED_RATIO } from "../fit/priorComparison.ts";
import { compareLaws, crossStartLawFits, perScanCheck, withCovariance, independentSeriesAsync, jointLawFit, lawFitSpec, regressOnThickness, samplePosterior, type IndependentScanFit, type LawComparisonEntry, type LawFit, type SeriesStart, type SeriesStartRecord } from "./fitSeries.ts";
import { jointLawFits } from "./lawFitPool.ts";
import { perScanBase, seriesScales, type SeriesInput } from "./seriesModel.ts";
import { DAMAGE_MODELS } from "../models/damageModels.ts";
import type { SeriesScales } from "../models/growthLaws.ts";

export interface Interval {
  median: number;
  lo95: number;
  hi95: number;
  lo68?: number;
  hi68?: number;
  unit?: string;
  /** integrated autocorrelation time (MCMC steps) of the draws this interval comes from */
  tau?: number;
  /** their effective sample size, walkers·kept steps/τ */
  ess?: number;
}

/**
 * Machine-readable kinds of quality flag, for callers that act on a flag (the CLI adds
 * the command-line option that addresses it). Flags without a code are informational.
 */
export type QualityCode =
  | "charge-law-needs-cycler"
  | "no-law-applies"
  | "mcmc-time-cap"
  | "mcmc-not-mixed"
  | "untrustworthy"
  | "fits-not-converged"
  | "too-few-scans"
  | "laws-indistinguishable";

/**
 * Codes that make a diagnosis not trustworthy (issue 16 part 2): its headline leads with
 * the reason and `strata diagnose` exits 3. Each says the reported numbers may be wrong or
 * unsupported: the fits do not reach the data (`untrustworthy`); a fit whose numbers are
 * reported stopped on its evaluation budget (`fits-not-converged`); the posterior's chain
 * did not mix, so its intervals are not reliable (`mcmc-*`); too few scans for any growth
 * law to be tested (`too-few-scans`).
 */
export const NOT_TRUSTWORTHY_CODES: readonly QualityCode[] = ["untrustworthy", "fits-not-converged", "mcmc-time-cap", "mcmc-not-mixed", "too-few-scans"];

/**
 * Codes that qualify a trustworthy diagnosis without making its numbers wrong: the data do
 * not tell the best growth law from a rival, so the headline names both (thicknesses and
 * intervals stand). `strata diagnose --strict` exits 4 on these and on any warning.
 */
export const QUALIFYING_CODES: readonly QualityCode[] = ["laws-indistinguishable"];

/** A rival law within this ΔAICc of the best is not told apart by the data (Burnham & Anderson: "substantial support"). */
export const INDISTINGUISHABLE_DELTA_IC = 2;

/**
 * Fewest scans a growth-law comparison needs: through two thicknesses every two-parameter
 * law passes exactly (χ² = 0, no degree of freedom), so the evidence weights would only
 * reflect parameter counts.
 */
export const MIN_SCANS_FOR_LAWS = 3;

/** How far a cell's quality flags let its headline go. */
export interface Trust {
  /** false when any flag has a {@link NOT_TRUSTWORTHY_CODES} code */
  trustworthy: boolean;
  /** the flags that make it not trustworthy */
  reasons: QualityFlag[];
  /** the flags that qualify a trustworthy headline ({@link QUALIFYING_CODES}) */
  qualifications: QualityFlag[];
  /** warning- and error-level flags (what `--strict` refuses besides the qualifications) */
  warnings: QualityFlag[];
}

/** Classify a cell's quality flags: not trustworthy, qualified, or solid. */
export function trustOf(quality: readonly QualityFlag[]): Trust {
  const reasons = quality.filter((q) => q.code !== undefined && NOT_TRUSTWORTHY_CODES.includes(q.code));
  return {
    trustworthy: reasons.length === 0,
    reasons,
    qualifications: quality.filter((q) => q.code !== undefined && QUALIFYING_CODES.includes(q.code)),
    warnings: quality.filter((q) => q.level !== "info"),
  };
}

/**
 * The trust classification as diagnosis.json carries it per cell (`trust`), so a script
 * need not re-derive it from the flag codes: `level` is what the exit status of `strata
 * diagnose` says (3 for "not trustworthy"; 4 under --strict for "qualified").
 */
export function trustJson(trust: Trust): { level: "trustworthy" | "qualified" | "not trustworthy"; reasons: QualityFlag[]; qualifications: QualityFlag[]; warnings: number } {
  const level = !trust.trustworthy ? "not trustworthy" : trust.qualifications.length > 0 || trust.warnings.length > 0 ? "qualified" : "trustworthy";
  return { level, reasons: trust.reasons, qualifications: trust.qualifications, warnings: trust.warnings.length };
}

export interface QualityFlag {
  level: "error" | "warning" | "info";
  message: string;
  /** what kind of flag this is, when a caller can act on it */
  code?: QualityCode;
}

export interface CellSpectrum {
  id: string;
  time_s: number;
  spectrum: ImpedanceSpectrum;
}

export interface CellDiagnosisInput {
  series: SeriesInput;
  area_cm2: number;
  spectra: CellSpectrum[];
  /** which circuit elements are the interphase's resistance and capacitance */
  circuit: { circuit: string; resistance: string; capacitance: string } | undefined;
  /** the Faradaic fraction the manifest declares (fixed), if any */
  declaredFaradaicFraction: number | undefined;
  /** the cycler trace for the report (time s, potential V, current A) */
  trace: { time_s: Float64Array; potential_V: Float64Array; current_A: Float64Array } | undefined;
  /** whether a cycler record exists (needed by the charge law) */
  hasCharge: boolean;
  warnings: string[];
  /** whether the scans carry doses (`modelled`), or why beam damage is not modelled */
  damage?: { status: "modelled" | "neutron" | "unavailable" | "off"; reason?: string };
}

export interface DiagnoseOptions {
  mode: "independent" | "joint" | "auto";
  laws: LawName[];
  seed: number;
  /** walkers, steps before the first mixing check, burn-in, and the mixing targets and wall-time cap (see samplePosterior) */
  mcmc: { walkers: number; steps: number; burn: number; threads?: number; minEss?: number; tauFactor?: number; maxSeconds?: number };
  /** model beam damage when the dose ledger can be computed (`auto`, default) or never (`off`) */
  damage?: "auto" | "off";
  /** where the first scan's fit starts (diagnosis/fitSeries seriesPlan; default "global") */
  start?: SeriesStart;
  progress?: (stage: string, fraction: number) => void;
}

export interface CellDiagnosis {
  json: Record<string, unknown>;
  /** for the report */
  detail: {
    mode: "independent" | "joint";
    independent: IndependentScanFit[];
    best: LawFit | undefined;
    bestLaw: LawName;
    posterior: EnsembleResult | undefined;
    /**
     * The joint fit of every law compared, as the cell's selection saw them (with the
     * damage term when damage was detected): what a population model under another law
     * than the cell's own starts from. Empty in independent mode.
     */
    lawFits: LawFit[];
    timeline: { scan: string; time_s: number; spot?: string; dose_Gy?: number; thickness: Interval; observedThickness?: Interval; roughness: Interval; density: Interval | undefined }[];
    curves: { scan: string; q: Float64Array; r: Float64Array; dr: Float64Array; model: Float64Array }[];
    profiles: { scan: string; z: Float64Array; sld: Float64Array }[];
    comparison: LawComparisonEntry[];
    /** the damage section of diagnosis.json (modelled or not, evidence, parameters, fits compared) */
    damage: Record<string, unknown>;
    impedance: { id: string; time_s: number; frequency: Float64Array; real: Float64Array; imag: Float64Array; fitReal: Float64Array; fitImag: Float64Array; resistance: number; resistanceStderr: number; capacitance: number; capacitanceStderr: number; alpha?: number }[];
    quality: QualityFlag[];
  };
}

/** Thresholds of the quality flags. */
const ACCEPTANCE_RANGE = [0.15, 0.8] as const;
/** A series is in a wrong basin (retried, then untrustworthy) when more than this fraction of its scans are badly fitted or structured. */
const WRONG_BASIN_FRACTION = 0.5;
const REDUCED_CHI2_LIMIT = 2;
const LAW_VS_FREE_P = 1e-3;
const CONSISTENCY_P = 0.01;
const AMBIGUOUS_WEIGHT = 0.7;
/** Beam damage is reported (and modelled in the posterior) when the likelihood-ratio test against no damage gives p below this. */
export const DAMAGE_P = 0.01;
/** Threads for the law fits when not given (as for the MCMC: a worker per core, at most this many). */
const MAX_FIT_THREADS = 4;

function intervalFromSamples(samples: Float64Array, unit?: string): Interval {
  return { ...centralIntervals(samples), ...(unit ? { unit } : {}) };
}

function gaussianInterval(value: number, stderr: number, unit?: string): Interval {
  const s = Number.isFinite(stderr) ? stderr : NaN;
  return { median: value, lo68: value - s, hi68: value + s, lo95: value - 1.959964 * s, hi95: value + 1.959964 * s, ...(unit ? { unit } : {}) };
}

/** The badly fitted scans of a series: χ² beyond what the error bars allow (p < diagnosis/misfit MISFIT_P), or structured residuals. */
function misfitScans(fits: IndependentScanFit[]): { count: number; medianReducedChi2: number } {
  const count = fits.filter((f) => isMisfit(f, 3 + Object.keys(f.nuisance).length)).length;
  const reduced = fits.map((f) => f.chi2 / Math.max(f.points, 1)).sort((a, b) => a - b);
  return { count, medianReducedChi2: reduced.length > 0 ? reduced[reduced.length >> 1] : NaN };
}

/** diagnosis.json `start`: the record, with the network's estimate beside the first scan's refined values. */
function startJson(record: SeriesStartRecord, firstFit: IndependentScanFit | undefined): Record<string, unknown> {
  if (!record.network || !firstFit) return { ...record };
  const refined: Record<string, number> = { thickness_0: firstFit.thickness, interphase_roughness: firstFit.roughness, ...(firstFit.density !== undefined ? { interphase_density: firstFit.density } : {}), ...firstFit.nuisance };
  const network = Object.fromEntries(Object.entries(record.network).map(([name, e]) => [name, { ...e, ...(refined[name] !== undefined ? { firstScan: refined[name] } : {}) }]));
  return { ...record, network };
}

/** Upper tail of χ²(k) (re-exported from diagnosis/misfit). */
export { chiSquareUpperTail };

/**
 * Diagnose one cell.
 */
export async function diagnoseCell(input: CellDiagnosisInput, options: DiagnoseOptions): Promise<CellDiagnosis> {
  const { series } = input;
  const quality: QualityFlag[] = input.warnings.map((message) => ({ level: "warning", message }));
  const progress = options.progress ?? (() => undefined);
  if (series.scans.length === 0) {
    quality.push({ level: "error", message: "no reflectivity scans with valid points: nothing to diagnose" });
  }
  progress("global start and per-scan fits", 0);
  // issue 13 parts 1–2: a global stage on the first scan starts the series; when most scans
  // are then fitted far worse than their error bars allow, the global stage is rerun wider
  // before anything is reported, and a series still failing is marked untrustworthy
  // threads for the fits (the global stage's basins' series, the laws' fits) as for the MCMC
  const fitThreads = options.mcmc.threads ?? (series.scans.length >= 4 ? Math.min(availableParallelism(), MAX_FIT_THREADS) : 1);
  let first = await independentSeriesAsync(series, { seed: options.seed, threads: fitThreads, start: options.start ?? "global" });
  // what started the series (the learned estimator or the global stage), kept when the retry replaces the series
  const startRecord = first.start;
  let misfit = misfitScans(first.fits);
  const retried = series.scans.length > 0 && misfit.count > WRONG_BASIN_FRACTION * first.fits.length;
  if (retried) {
    progress("wider global start (retry)", 0.5);
    const wider = await independentSeriesAsync(series, { seed: options.seed + 1, widened: true, threads: fitThreads });
    const total = (fits: IndependentScanFit[]): number => fits.reduce((a, f) => a + f.chi2, 0);
    if (total(wider.fits) < total(first.fits)) first = { ...wider, ...(startRecord ? { start: { ...startRecord, reason: `${startRecord.reason}; most scans then misfit and the wider global stage replaced the series` } } : {}) };
    misfit = misfitScans(first.fits);
  }
  const independent = first.fits;
  const refitted = independent.filter((f) => f.refitted !== undefined);
  if (refitted.length > 0) {
    const list = refitted.map((f) => `${f.id} from ${f.refitted!.from}'s answer (χ²/N ${(f.refitted!.chi2Before / f.points).toPrecision(3)} → ${(f.chi2 / f.points).toPrecision(3)})`).join(", ");
    quality.push({ level: "info", message: `${refitted.length} per-scan fit${refitted.length > 1 ? "s" : ""} landed far worse than a neighbouring scan and ${refitted.length > 1 ? "were" : "was"} refitted from that scan's answer: ${list}` });
  }
  const untrustworthy = series.scans.length > 0 && misfit.count > WRONG_BASIN_FRACTION * independent.length;
  if (untrustworthy) {
    quality.push({
      level: "error",
      code: "untrustworthy",
      message: `the fits do not reach the data${retried ? " even after a wider global search" : ""}: ${misfit.count} of ${independent.length} scans are fitted far worse than their error bars allow (median χ²/N = ${misfit.medianReducedChi2.toFixed(2)}) or leave structured residuals — a wrong basin or a model that misses a feature; these numbers are not trustworthy`,
    });
  } else if (retried) {
    quality.push({ level: "info", message: `the first global search left ${misfit.count} badly fitted scans before the retry; a wider search fixed it` });
  }
  const mode = options.mode === "auto" ? (series.scans.length >= MIN_SCANS_FOR_LAWS ? "joint" : "independent") : options.mode;
  const badIndependent = independent.filter((f) => !f.converged).length;
  if (badIndependent > 0) {
    // in independent mode the per-scan fits are the reported numbers; in joint mode they only start and check the joint fit
    const reported = mode === "independent";
    quality.push({
      level: "warning",
      message: `${badIndependent} of ${independent.length} per-scan fits did not converge${reported ? " (their thicknesses are the reported numbers)" : ""}`,
      ...(reported ? { code: "fits-not-converged" as const } : {}),
    });
  }
  const withPrior = independent.filter((f) => f.prior !== undefined);
  if (withPrior.length > 0) {
    // which parameters the prior-taking scans' own data constrain (posterior well inside the prior)
    // by property: a scan's own value of a law property (`Ti_sld@slice03`) counts as `Ti_sld`
    const property = (name: string): string => perScanBase(name) ?? name;
    const names = [...new Set(withPrior.flatMap((f) => Object.keys(f.prior!.parameters).map(property)))];
    // each property's verdict at the median of its scans' width ratios
    const verdict = new Map<string, string>();
    for (const name of names) {
      const ratios = withPrior.flatMap((f) => Object.entries(f.prior!.parameters).filter(([other]) => property(other) === name).map(([, p]) => p.stderrUnscaled / p.sd)).filter(Number.isFinite).sort((a, b) => a - b);
      if (ratios.length > 0) verdict.set(name, constrainedBy(ratios[Math.floor(ratios.length / 2)]));
    }
    const having = (kind: string): string[] => names.filter((name) => verdict.get(name) === kind);
    const parts = [
      having("data").length > 0 ? `their own data fix ${having("data").join(", ")}` : undefined,
      having("data and prior").length > 0 ? `data and prior share ${having("data and prior").join(", ")}` : undefined,
      having("prior").length > 0 ? `${having("prior").join(", ")} ${having("prior").length === 1 ? "is" : "are"} the prior's` : undefined,
    ].filter((x) => x !== undefined);
    quality.push({
      level: "info",
      message: `${withPrior.length} scans fitted with priors from the previous scan's answer: ${parts.join("; ")} (median over the scans of the unscaled error against the prior's sd: ≤ ${DATA_CONSTRAINED_RATIO} data, ≥ ${PRIOR_DOMINATED_RATIO} prior) — per scan in diagnosis.json independent[].prior`,
    });
    const conflicts = withPrior.filter((f) => f.prior!.conflict !== undefined);
    if (conflicts.length > 0) {
      quality.push({
        level: "warning",
        message: `the previous scan's answer contradicts ${conflicts.map((f) => `${f.id} (χ² ${f.prior!.conflict!.chi2WithPrior.toFixed(1)} with its prior, ${f.prior!.conflict!.chi2Without.toFixed(1)} without, p = ${f.prior!.conflict!.p.toExponential(1)})`).join(", ")}: ${conflicts.length === 1 ? "that scan keeps" : "those scans keep"} their own fit — a jump between scans, or an earlier answer on the wrong branch of a degenerate pair`,
      });
    }
  }
  const structured = independent.filter((f) => f.residualAutocorrelation > RESIDUAL_AUTOCORRELATION_LIMIT).length;
  if (structured > 0.2 * independent.length) {
    quality.push({ level: "warning", message: `residuals with structure in ${structured} of ${independent.length} scans (lag-1 autocorrelation > ${RESIDUAL_AUTOCORRELATION_LIMIT}): the layer model may miss a feature` });
  }
  const growthGuess = independent.length > 0 ? independent[independent.length - 1].thickness - independent[0].thickness : 10;
  const scales = seriesScales(series, Math.max(Math.abs(growthGuess), 1));
  scales.firstThickness = Math.max(independent[0]?.thickness ?? scales.firstThickness, 1);
  const laws = options.laws.filter((law) => {
    if (law === "charge" && !input.hasCharge) {
      quality.push({ level: "warning", message: "the charge law needs a cycler record and the campaign has none for this cell: law left out", code: "charge-law-needs-cycler" });
      return false;
    }
    return true;
  });
  if (options.laws.length > 0 && laws.length === 0) {
    quality.push({ level: "error", message: `none of the requested laws (${options.laws.join(", ")}) can apply to this cell: per-scan fits only, no growth law`, code: "no-law-applies" });
  }
  if (laws.length > 0 && series.scans.length > 0 && series.scans.length < MIN_SCANS_FOR_LAWS) {
    quality.push({
      level: "error",
      code: "too-few-scans",
      message: `${series.scans.length} scan${series.scans.length > 1 ? "s are" : " is"} too few to compare growth laws (at least ${MIN_SCANS_FOR_LAWS}: through two thicknesses every two-parameter law passes exactly): per-scan thicknesses only, no growth law is a finding`,
    });
  } else if (options.mode === "auto" && mode === "independent") quality.push({ level: "info", message: `fewer than ${MIN_SCANS_FOR_LAWS} scans: independent fits only` });
  const medianRoughness = upperMedian(independent.map((f) => f.roughness));
  const densities = independent.map((f) => f.density).filter((d): d is number => d !== undefined);
  const medianDensity = densities.length > 0 ? upperMedian(densities) : undefined;
  const medianNuisance: Record<string, number> = {};
  // (a campaign with several beams: each beam's scale and background from the scans that have them)
  const nuisanceNames = [...new Set(independent.flatMap((f) => Object.keys(f.nuisance)))];
  for (const name of nuisanceNames) medianNuisance[name] = upperMedian(independent.filter((f) => name in f.nuisance).map((f) => f.nuisance[name]));
  const regressions = laws.map((law) => regressOnThickness(series, independent, law, scales));
  let comparison: LawComparisonEntry[];
  let bestLaw: LawName;
  let best: LawFit | undefined;
  let posterior: EnsembleResult | undefined;
  let lawFits: LawFit[] = [];
  const timeline: CellDiagnosis["detail"]["timeline"] = [];
  const growthParameters: Record<string, Interval> = {};
  const sharedParameters: Record<string, Interval> = {};
  let damage: Record<string, unknown> = damageNotModelled(input, quality);
  const damageParameters: Record<string, Interval> = {};
  if (mode === "joint" && laws.length > 0) {
    // the laws' fits are independent: spread over this thread and workers (same results for any count)
    const fits = await jointLawFits(
      laws.map((law, i) => lawFitSpec(series, law, scales, { regression: regressions[i], roughness: medianRoughness, density: medianDensity, nuisance: medianNuisance })),
      fitThreads,
      (build, i) => progress(`joint fit (${build.law})`, i / laws.length),
    );
    // the mixed law nests the parabolic one (A → 0): when its own start left it worse,
    // restart it from the parabolic solution so the comparison is between optima
    const mixedIndex = fits.findIndex((f) => f.law === "mixed");
    const parabolic = fits.find((f) => f.law === "parabolic");
    if (mixedIndex >= 0 && parabolic && fits[mixedIndex].fit.chi2 > parabolic.fit.chi2) {
      const value = (name: string): number => parabolic.fit.values[parabolic.fit.names.indexOf(name)];
      const nuisance = Object.fromEntries([...parabolic.series.nuisance.keys()].map((name) => [name, value(name)]));
      const restart = jointLawFit(series, "mixed", scales, {
        regression: { law: "mixed", names: ["L0", "A", "B"], values: Float64Array.from([value("L0"), 1e-3, value("kp")]), stderr: new Float64Array(3), chi2: NaN, converged: true },
        roughness: value("interphase_roughness"),
        density: parabolic.series.density ? value("interphase_density") : undefined,
        nuisance,
      });
      if (restart.fit.chi2 < fits[mixedIndex].fit.chi2) fits[mixedIndex] = restart;
    }
    // any law left behind the best by more than it lacks to follow the best's trajectory: restarted from it
    const crossed = crossStartLawFits(series, fits, independent, scales);
    fits.splice(0, fits.length, ...crossed.fits);
    for (const r of crossed.restarted) {
      quality.push({ level: "info", message: `the ${r.law} law's joint fit stopped in a worse local minimum (χ² ${r.chi2Before.toFixed(2)}); restarted from the ${r.from} law's answer it reaches χ² ${r.chi2After.toFixed(2)}, which the comparison uses` });
    }
    comparison = compareLaws(fits).map((c) => ({ ...c, check: perScanCheck(fits.find((f) => f.law === c.law)!, independent, series, chiSquareUpperTail) }));
    bestLaw = comparison[0].law;
    const damaged = await damageStage(input, fits, comparison, scales, quality, progress, fitThreads);
    damage = damaged.json;
    if (damaged.selected) bestLaw = damaged.selected.law;
    best = withCovariance(damaged.selected ?? fits.find((f) => f.law === bestLaw)!);
    lawFits = (damaged.perLaw ?? fits).map((f) => (f.law === bestLaw ? best! : f));
    const bestCheck = damaged.selected ? perScanCheck(damaged.selected, independent, series, chiSquareUpperTail) : comparison[0].check;
    if (damaged.selected) damage = { ...damage, perScanCheck: bestCheck };
    if (bestCheck && bestCheck.p < LAW_VS_FREE_P) {
      quality.push({ level: "warning", message: `the ${bestLaw} law does not reproduce the per-scan thicknesses (χ² = ${bestCheck.chi2.toFixed(1)} for ${bestCheck.dof} degrees of freedom, p = ${bestCheck.p.toExponential(1)})` });
    }
    if (!best.fit.converged) quality.push({ level: "warning", code: "fits-not-converged", message: `the joint ${bestLaw} fit did not converge (${best.fit.message})` });
    if (best.fit.reducedChi2 > REDUCED_CHI2_LIMIT) quality.push({ level: "warning", message: `the joint ${bestLaw} fit leaves reduced χ² = ${best.fit.reducedChi2.toFixed(2)}: the model or the error bars are wrong` });
    // law versus free per-scan thickness (likelihood ratio against the independent fits)
    const freeChi2 = independent.reduce((a, f) => a + f.chi2, 0);
    const freeParameters = independent.length * ((medianDensity !== undefined ? 3 : 2) + Object.keys(medianNuisance).length);
    const dof = freeParameters - best.k;
    const delta = best.fit.chi2 - freeChi2;
    const p = chiSquareUpperTail(Math.max(delta, 0), dof);
    if (p < LAW_VS_FREE_P) {
      quality.push({ level: "warning", message: `the ${bestLaw} law fits worse than free per-scan thicknesses (Δχ² = ${delta.toFixed(1)} for ${dof} fewer parameters, p = ${p.toExponential(1)}): its numbers are not solid` });
    }
    progress("posterior (MCMC)", 0);
    posterior = await samplePosterior(best, { ...options.mcmc, seed: options.seed, progress: (fraction) => progress("posterior (MCMC)", fraction) });
    quality.push(...mcmcFlags(posterior));
    // posterior intervals of law parameters and of the per-scan quantities
    const names = best.series.objective.names;
    const p2 = posterior.params;
    const count = posterior.keptSteps * posterior.walkers;
    const column = (j: number): Float64Array => Float64Array.from({ length: count }, (_, i) => posterior!.chain[i * p2 + j]);
    const sampled = posterior;
    // a parameter's interval, with the τ and ESS of its chain
    const parameterInterval = (name: string, unit?: string): Interval => {
      const j = names.indexOf(name);
      return { ...intervalFromSamples(column(j), unit), ...mixingOf(sampled.autocorrelationTime[j], sampled.effectiveSampleSize[j]) };
    };
    // a scan's thickness: the τ and ESS of the derived quantity the sampler checked
    const derivedMixing = (name: string): Partial<Interval> => {
      const k = sampled.derived?.names.indexOf(name) ?? -1;
      return k >= 0 ? mixingOf(sampled.derived!.autocorrelationTime[k], sampled.derived!.effectiveSampleSize[k]) : {};
    };
    for (const spec of best.series.lawSpec) growthParameters[spec.name] = parameterInterval(spec.name, spec.unit);
    for (const [name, parameter] of best.series.nuisance) sharedParameters[name] = parameterInterval(name, parameter.unit);
    const densityIndex = names.indexOf("interphase_density");
    const lawIndices = best.series.lawSpec.map((s) => names.indexOf(s.name));
    const values = new Float64Array(lawIndices.length);
    const law = GROWTH_LAWS[bestLaw];
    const roughnessInterval = parameterInterval("interphase_roughness", "Å");
    const densityInterval = densityIndex >= 0 ? parameterInterval("interphase_density", "g/cm³") : undefined;
    for (const spec of best.series.damageSpec) damageParameters[spec.name] = parameterInterval(spec.name, spec.unit);
    const damageModel = DAMAGE_MODELS[best.damage];
    const damageIndices = best.series.damageSpec.map((s) => names.indexOf(s.name));
    const damageValues = new Float64Array(damageIndices.length);
    for (const scan of series.scans) {
      const thickness = new Float64Array(count);
      const observed = best.damage === "none" ? undefined : new Float64Array(count);
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < lawIndices.length; j++) values[j] = posterior.chain[i * p2 + lawIndices[j]];
        thickness[i] = law.evaluate(values, scan.time_s, scan.qred_C_per_cm2, series.thicknessPerCharge);
        if (observed) {
          for (let j = 0; j < damageIndices.length; j++) damageValues[j] = posterior.chain[i * p2 + damageIndices[j]];
          observed[i] = thickness[i] + damageModel.evaluate(damageValues, scan.dose_Gy ?? 0);
        }
      }
      timeline.push({
        scan: scan.id,
        time_s: scan.time_s,
        spot: scan.spot,
        ...(scan.dose_Gy !== undefined ? { dose_Gy: scan.dose_Gy } : {}),
        thickness: { ...intervalFromSamples(thickness, "Å"), ...derivedMixing(`thickness_A@${scan.id}`) },
        ...(observed ? { observedThickness: { ...intervalFromSamples(observed, "Å"), ...derivedMixing(`observedThickness_A@${scan.id}`) } } : {}),
        roughness: roughnessInterval,
        density: densityInterval,
      });
    }
    if (best.damage !== "none") damage = { ...damage, parameters: damageParameters };
  } else {
    // independent mode: per-scan values with their standard errors, law chosen on the regression
    const n = independent.length;
    comparison = regressions.length > 0 ? compareRegressions(regressions, n) : [];
    bestLaw = comparison[0]?.law ?? "linear";
    const regression = regressions.find((r) => r.law === bestLaw);
    if (regression) regression.names.forEach((name, i) => (growthParameters[name] = gaussianInterval(regression.values[i], regression.stderr[i], unitOf(bestLaw, name))));
    if (regression && !regression.converged && !quality.some((q) => q.code === "too-few-scans")) {
      quality.push({ level: "warning", code: "fits-not-converged", message: `the ${bestLaw} regression on the per-scan thicknesses did not converge` });
    }
    for (const f of independent) {
      timeline.push({
        scan: f.id,
        time_s: f.time_s,
        thickness: gaussianInterval(f.thickness, f.thicknessStderr, "Å"),
        roughness: gaussianInterval(f.roughness, f.roughnessStderr, "Å"),
        density: f.density !== undefined ? gaussianInterval(f.density, f.densityStderr ?? NaN, "g/cm³") : undefined,
      });
    }
  }
  // laws the data do not tell apart qualify the headline (it names them all); with too few scans no law is compared at all
  const rivals = comparison.slice(1).filter((c) => c.deltaIC < INDISTINGUISHABLE_DELTA_IC);
  if (comparison.length > 1 && !quality.some((q) => q.code === "too-few-scans") && (rivals.length > 0 || comparison[0].weight < AMBIGUOUS_WEIGHT)) {
    const shown = rivals.length > 0 ? [comparison[0], ...rivals] : comparison.slice(0, 2);
    quality.push({
      level: "info",
      code: "laws-indistinguishable",
      message: `the data do not single out a law: ${shown.map((c) => `${c.law} ${(100 * c.weight).toFixed(0)} %`).join(", ")}${rivals.length > 0 ? ` (within ΔAICc ${INDISTINGUISHABLE_DELTA_IC} of the best)` : ""}`,
    });
  }
  // regression baseline of the same law, for the precision comparison
  const baseline = regressions.find((r) => r.law === bestLaw);
  const baselineParameters: Record<string, Interval> = {};
  if (baseline) baseline.names.forEach((name, i) => (baselineParameters[name] = gaussianInterval(baseline.values[i], baseline.stderr[i], unitOf(bestLaw, name))));

  const consistency = consistencyChecks(input, bestLaw, best, posterior, quality);
  const interphaseName = series.stack[series.interphase].name;
  // the beam of each scan measured with one of the manifest's `beams` (absent: the campaign's beam)
  const scanBeamName = new Map(series.scans.filter((s) => s.beam !== undefined).map((s) => [s.id, s.beam!.name]));
  const beamField = (scan: string): Record<string, string> => (scanBeamName.has(scan) ? { beam: scanBeamName.get(scan)! } : {});
  const json: Record<string, unknown> = {
    mode,
    timeline: timeline.map((t) => ({
      scan: t.scan,
      ...beamField(t.scan),
      time_s: t.time_s,
      ...(t.spot !== undefined ? { spot: t.spot } : {}),
      ...(t.dose_Gy !== undefined ? { dose_Gy: t.dose_Gy } : {}),
      layers: {
        [interphaseName]: {
          thickness_A: t.thickness,
          ...(t.observedThickness ? { observedThickness_A: t.observedThickness } : {}),
          roughness_A: t.roughness,
          ...(t.density ? { density_g_cm3: t.density } : {}),
        },
      },
    })),
    growth: {
      [interphaseName]: {
        law: bestLaw,
        parameters: growthParameters,
        comparison: comparison.map((c) => ({ law: c.law, deltaIC: c.deltaIC, weight: c.weight, chi2: c.chi2, parameters: c.k, converged: c.converged, ...(c.check ? { perScanCheck: c.check } : {}) })),
        criterion: mode === "joint" ? "AICc of the joint fits" : "AICc of the regressions on per-scan thickness",
        independentRegression: baselineParameters,
      },
    },
    consistency: consistency.json,
    damage,
    quality,
    ...(Object.keys(sharedParameters).length > 0 ? { shared: sharedParameters } : {}),
    ...(first.start ? { start: startJson(first.start, independent[0]) } : {}),
    ...(first.global ? { globalStart: { ...first.global, retried, trustworthy: !untrustworthy } } : {}),
    independent: independent.map((f) => ({ scan: f.id, ...beamField(f.id), time_s: f.time_s, thickness_A: f.thickness, thicknessStderr_A: f.thicknessStderr, roughness_A: f.roughness, density_g_cm3: f.density, chi2: f.chi2, points: f.points, converged: f.converged, ...(f.prior ? { prior: priorReport(f.prior) } : {}) })),
    ...(best ? { fit: { law: bestLaw, damage: best.damage, chi2: best.fit.chi2, reducedChi2: best.fit.reducedChi2, points: best.n, parameters: best.k, converged: best.fit.converged } } : {}),
    ...(posterior ? { mcmc: mcmcJson(posterior) } : {}),
  };
  const { curves, profiles } = modelCurves(input, bestLaw, best, posterior, independent);
  return { json, detail: { mode, independent, best, bestLaw, posterior, lawFits, timeline, curves, profiles, comparison, impedance: consistency.impedance, quality, damage } };
}

/** τ (steps) and ESS of a chain, for an interval. */
function mixingOf(tau: number, ess: number): { tau: number; ess: number } {
  return { tau, ess };
}

/**
 * The quality flags of a posterior: its acceptance (over the kept chain) outside the usual
 * range, a chain stopped by the wall-time or step cap before mixing (coded, naming τ and
 * ESS reached), proposal refreshes, and the sampler's other warnings.
 */
function mcmcFlags(posterior: EnsembleResult): QualityFlag[] {
  const flags: QualityFlag[] = [];
  const { mixing } = posterior;
  const acceptance = mixing.keptAcceptance;
  // a high acceptance says local moves are too timid; the diagnosis chain moves mostly by
  // independence proposals from the Laplace approximation, where a high acceptance says the
  // proposal is close to the posterior — so above the range it is flagged only when the
  // measured τ and ESS do not show the chain mixed
  if (acceptance < ACCEPTANCE_RANGE[0] || (acceptance > ACCEPTANCE_RANGE[1] && !mixing.mixed)) {
    flags.push({ level: "warning", message: `MCMC acceptance ${acceptance.toFixed(2)} is outside [${ACCEPTANCE_RANGE.join(", ")}]: the chain may not have mixed` });
  }
  for (const w of posterior.warnings) {
    if (/before mixing/.test(w)) flags.push({ level: "warning", message: `MCMC: ${w}`, code: mixing.stop === "time-cap" ? "mcmc-time-cap" : "mcmc-not-mixed" });
    else flags.push({ level: /initial draw|proposal|independence fraction/.test(w) ? "info" : "warning", message: `MCMC: ${w}` });
  }
  return flags;
}

/** The mcmc section of a cell: chain length, walkers, acceptance, mixing criteria and outcome, τ (steps) and ESS of every parameter and scan thickness. */
function mcmcJson(posterior: EnsembleResult): Record<string, unknown> {
  const { mixing } = posterior;
  const perQuantity = (names: readonly string[], tau: ArrayLike<number>, ess: ArrayLike<number>): Record<string, { tau: number; ess: number }> => Object.fromEntries(names.map((n, i) => [n, mixingOf(tau[i], ess[i])]));
  return {
    walkers: posterior.walkers,
    steps: posterior.keptSteps * posterior.thin,
    burn: posterior.burn,
    stepsRun: posterior.stepsRun,
    acceptance: mixing.keptAcceptance,
    acceptanceAllSteps: posterior.meanAcceptanceFraction,
    ...mixingSummary(mixing),
    ...(mixing.refreshes.length > 0 ? { refreshes: mixing.refreshes } : {}),
    parameters: perQuantity(posterior.names, posterior.autocorrelationTime, posterior.effectiveSampleSize),
    ...(posterior.derived ? { derived: perQuantity(posterior.derived.names, posterior.derived.autocorrelationTime, posterior.derived.effectiveSampleSize) } : {}),
    autocorrelationTime: Object.fromEntries(posterior.names.map((n, i) => [n, posterior.autocorrelationTime[i]])),
  };
}

/** The damage section when damage is not modelled (and the flag saying why, when it matters). */
function damageNotModelled(input: CellDiagnosisInput, quality: QualityFlag[]): Record<string, unknown> {
  const status = input.damage?.status ?? "off";
  const reason = input.damage?.reason ?? (status === "modelled" ? "beam damage is modelled in the joint fits only (independent mode)" : "beam damage not modelled");
  if (status === "unavailable") quality.push({ level: "warning", message: `${reason}; the diagnosis continues without that correction` });
  else if (status === "neutron") quality.push({ level: "info", message: reason });
  return { modelled: false, status, reason };
}

/** Starting values of a joint fit taken from another fit's solution. */
function startFrom(fit: LawFit, damage?: Record<string, number>): Parameters<typeof jointLawFit>[3] {
  const value = (name: string): number => fit.fit.values[fit.fit.names.indexOf(name)];
  const lawNames = fit.series.lawSpec.map((p) => p.name);
  return {
    regression: { law: fit.law, names: lawNames, values: Float64Array.from(lawNames, value), stderr: new Float64Array(lawNames.length), chi2: NaN, converged: true },
    roughness: value("interphase_roughness"),
    density: fit.series.density ? value("interphase_density") : undefined,
    nuisance: Object.fromEntries([...fit.series.nuisance.keys()].map((name) => [name, value(name)])),
    ...(damage ? { damage } : {}),
  };
}

/**
 * Beam damage (issue 7 part 2): when the scans carry doses and more than one spot was
 * measured, each law is refitted with a linear damage term of the spot's accumulated
 * dose (and the best of those with a saturating term); damage is reported when the
 * likelihood-ratio test of the best damage model against no damage, for the same law,
 * gives p < DAMAGE_P. With one spot only, the dose grows with time like the chemistry
 * and the two cannot be told apart: the section says so and suggests a fresh spot.
 */
async function damageStage(
  input: CellDiagnosisInput,
  fits: LawFit[],
  comparison: LawComparisonEntry[],
  scales: SeriesScales,
  quality: QualityFlag[],
  progress: (stage: string, fraction: number) => void,
  threads: number,
): Promise<{ json: Record<string, unknown>; selected?: LawFit; perLaw?: LawFit[] }> {
  const series = input.series;
  if (input.damage?.status !== "modelled") return { json: damageNotModelled(input, []) };
  const doses = series.scans.map((s) => s.dose_Gy ?? 0);
  const maxDose = Math.max(...doses);
  const spots = [...new Set(series.scans.map((s) => s.spot))];
  if (spots.length < 2 || !(maxDose > 0)) {
    const last = series.scans[series.scans.length - 1];
    const oneScan = 2 * Math.min(...doses.filter((d) => d > 0));
    const reason = `the design cannot separate beam damage from chemistry: all ${series.scans.length} scans are at spot ${spots[0]}, whose accumulated dose (up to ${maxDose.toPrecision(3)} Gy) grows with time as the interphase does`;
    const suggestion = `measure a fresh spot at t ≈ ${Math.round(last.time_s)} s (after the last scan): its dose would be one scan's, ≈ ${oneScan.toPrecision(3)} Gy, against ${maxDose.toPrecision(3)} Gy at ${spots[0]}, and the difference between the two spots is the damage`;
    quality.push({ level: "warning", message: `${reason}; ${suggestion}` });
    return { json: { modelled: true, separable: false, reason, suggestion, spots, maxDose_Gy: maxDose } };
  }
  const linear = await jointLawFits(
    fits.map((f) => lawFitSpec(series, f.law, scales, startFrom(f, { damage_rate: 0 }), "linear")),
    threads,
    (build, i) => progress(`damage fit (${build.law}, linear)`, i / (fits.length + 1)),
  );
  const bestLinear = linear.reduce((a, b) => (b.aicc < a.aicc ? b : a));
  progress(`damage fit (${bestLinear.law}, saturating)`, fits.length / (fits.length + 1));
  const rate = bestLinear.fit.values[bestLinear.fit.names.indexOf("damage_rate")];
  const saturating = jointLawFit(series, bestLinear.law, scales, startFrom(bestLinear, { damage_rate: rate, damage_dose: maxDose }), "saturating");
  const candidates = [...fits, ...linear, saturating];
  const bestOverall = candidates.reduce((a, b) => (b.aicc < a.aicc ? b : a));
  const law = bestOverall.law;
  const none = fits.find((f) => f.law === law)!;
  const withDamage = [linear.find((f) => f.law === law)!, ...(saturating.law === law ? [saturating] : [])].reduce((a, b) => (b.aicc < a.aicc ? b : a));
  const deltaChi2 = none.fit.chi2 - withDamage.fit.chi2;
  const dof = withDamage.k - none.k;
  const p = chiSquareUpperTail(Math.max(deltaChi2, 0), dof);
  const detected = p < DAMAGE_P;
  const minAicc = Math.min(...candidates.map((c) => c.aicc));
  const raw = candidates.map((c) => Math.exp(-0.5 * (c.aicc - minAicc)));
  const total = raw.reduce((a, b) => a + b, 0);
  const json: Record<string, unknown> = {
    modelled: true,
    separable: true,
    spots,
    maxDose_Gy: maxDose,
    detected,
    model: detected ? withDamage.damage : "none",
    evidence: {
      law,
      against: withDamage.damage,
      deltaChi2,
      dof,
      p,
      deltaAICc: none.aicc - withDamage.aicc,
      log10BayesFactorBIC: (none.bic - withDamage.bic) / (2 * Math.LN10),
      threshold: DAMAGE_P,
    },
    comparison: candidates
      .map((c, i) => ({ law: c.law, damage: c.damage, chi2: c.fit.chi2, parameters: c.k, deltaIC: c.aicc - minAicc, weight: raw[i] / total, converged: c.fit.converged }))
      .sort((a, b) => a.deltaIC - b.deltaIC),
  };
  if (!detected) {
    const value = withDamage.fit.values[withDamage.fit.names.indexOf("damage_rate")];
    json["undetected"] = { damage_rate: value, unit: "Å/Gy", note: `the best damage term (${withDamage.damage}) improves χ² by ${deltaChi2.toFixed(1)} for ${dof} parameter(s), p = ${p.toPrecision(2)} ≥ ${DAMAGE_P}: not significant` };
    // the no-damage law the comparison chose stays selected
    return { json };
  }
  const ignoring = withCovariance(none);
  const ignoringParameters: Record<string, Interval> = {};
  ignoring.series.lawSpec.forEach((spec) => {
    const j = ignoring.fit.names.indexOf(spec.name);
    ignoringParameters[spec.name] = gaussianInterval(ignoring.fit.values[j], ignoring.fit.stderr[j], spec.unit);
  });
  json["ignoringDamage"] = { law, parameters: ignoringParameters, chi2: ignoring.fit.chi2, note: "the same law fitted without the damage term (LM, 1σ from the covariance): what a damage-blind analysis reports" };
  const bestComparison = comparison[0];
  quality.push({
    level: "warning",
    message: `beam damage detected (${withDamage.damage} in dose, Δχ² = ${deltaChi2.toFixed(1)} for ${dof} parameter(s), p = ${p.toExponential(1)}): the growth law is reported at zero dose${bestComparison.law !== law ? `; without the damage term the ${bestComparison.law} law would have been chosen` : ""}`,
  });
  // every law with its better damage term, for a population model under another law than this cell's
  const perLaw = fits.map((f) => [...linear, saturating].filter((c) => c.law === f.law).reduce((a, b) => (b.aicc < a.aicc ? b : a)));
  return { json, selected: withDamage, perLaw };
}

/** The upper median sorted[⌊n/2⌋] (no interpolation: for even n the larger middle value), for robust start values. */
function upperMedian(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

function unitOf(law: LawName, name: string): string {
  return GROWTH_LAWS[law].parameters({ duration: 1, firstThickness: 1, growth: 1, thicknessPerCharge: 1 }).find((p) => p.name === name)?.unit ?? "";
}

function compareRegressions(regressions: ReturnType<typeof regressOnThickness>[], n: number): LawComparisonEntry[] {
  const aicc = regressions.map((r) => {
    const k = r.values.length;
    return r.chi2 + 2 * k + (2 * k * (k + 1)) / Math.max(n - k - 1, 1);
  });
  const best = Math.min(...aicc);
  const raw = aicc.map((a) => Math.exp(-0.5 * (a - best)));
  const total = raw.reduce((a, b) => a + b, 0);
  return regressions.map((r, i) => ({ law: r.law, chi2: r.chi2, k: r.values.length, deltaIC: aicc[i] - best, weight: raw[i] / total, converged: r.converged })).sort((a, b) => a.deltaIC - b.deltaIC);
}

/** Posterior samples of L(t) − L0 at each scan (or at the best-fit values when there is no posterior). */
function growthSamples(input: CellDiagnosisInput, law: LawName, best: LawFit | undefined, posterior: EnsembleResult | undefined, times: { t: number; q: number }[]): Float64Array[] | undefined {
  if (!best) return undefined;
  const names = best.series.objective.names;
  const indices = best.series.lawSpec.map((s) => names.indexOf(s.name));
  const values = new Float64Array(indices.length);
  const lawDefinition = GROWTH_LAWS[law];
  const perCharge = input.series.thicknessPerCharge;
  const draws = posterior ? posterior.keptSteps * posterior.walkers : 1;
  const stride = Math.max(1, Math.floor(draws / 2000));
  const out = times.map(() => new Float64Array(Math.ceil(draws / stride)));
  for (let i = 0, s = 0; i < draws; i += stride, s++) {
    for (let j = 0; j < indices.length; j++) values[j] = posterior ? posterior.chain[i * posterior.params + indices[j]] : best.fit.values[indices[j]];
    const l0 = lawDefinition.evaluate(values, 0, 0, perCharge);
    times.forEach((x, k) => (out[k][s] = lawDefinition.evaluate(values, x.t, x.q, perCharge) - l0));
  }
  return out;
}

function consistencyChecks(
  input: CellDiagnosisInput,
  law: LawName,
  best: LawFit | undefined,
  posterior: EnsembleResult | undefined,
  quality: QualityFlag[],
): { json: Record<string, unknown>; impedance: CellDiagnosis["detail"]["impedance"] } {
  const json: Record<string, unknown> = {};
  const scans = input.series.scans;
  const perCharge = input.series.thicknessPerCharge;
  const checks: { name: string; p: number; agree: boolean }[] = [];
  // charge: ΔL = f·(M/zFρ)·Qred/A
  if (input.hasCharge && best && scans.length > 0) {
    const points = scans.map((s) => ({ t: s.time_s, q: s.qred_C_per_cm2 }));
    const samples = growthSamples(input, law, best, posterior, points)!;
    const draws = samples[0].length;
    const fSamples = new Float64Array(draws);
    for (let i = 0; i < draws; i++) {
      let num = 0;
      let den = 0;
      points.forEach((x, k) => {
        const predicted = perCharge * x.q;
        num += samples[k][i] * predicted;
        den += predicted * predicted;
      });
      fSamples[i] = den > 0 ? num / den : NaN;
    }
    const f = law === "charge" && posterior ? intervalFromSamples(columnOf(posterior, best, "f")) : intervalFromSamples(fSamples);
    const last = scans[scans.length - 1];
    const lastGrowth = intervalFromSamples(samples[samples.length - 1], "Å");
    const declared = input.declaredFaradaicFraction;
    const entry: Record<string, unknown> = {
      faradaicFraction: { ...f, unit: "1" },
      thicknessGrowthFromReflectivity_A: lastGrowth,
      atTime_s: last.time_s,
      reductionCharge_C_per_cm2: last.qred_C_per_cm2,
    };
    if (declared !== undefined) {
      const sd = Math.max((f.hi95 - f.lo95) / 3.92, 1e-12);
      const z = (f.median - declared) / sd;
      const p = 2 * 0.5 * erfc(Math.abs(z) / Math.SQRT2);
      const agree = p >= CONSISTENCY_P;
      entry["declaredFaradaicFraction"] = declared;
      entry["thicknessGrowthFromCharge_A"] = declared * perCharge * last.qred_C_per_cm2;
      entry["z"] = z;
      entry["p"] = p;
      entry["agree"] = agree;
      checks.push({ name: "charge", p, agree });
      if (!agree) {
        quality.push({
          level: "warning",
          message: `reflectivity and charge disagree: the film holds f = ${f.median.toFixed(3)} [${f.lo95.toFixed(3)}, ${f.hi95.toFixed(3)}] of the reduction charge, not the declared ${declared} (p = ${p.toExponential(1)}): charge is going to soluble products, gas or another electrode`,
        });
      }
    }
    json["charge"] = entry;
  }
  // impedance: R = L/(σA), C = εε0A/L
  const impedance: CellDiagnosis["detail"]["impedance"] = [];
  if (input.spectra.length > 0 && input.circuit) {
    const circuit = input.circuit;
    const areaM2 = input.area_cm2 * 1e-4;
    const resistances: { t: number; value: number; stderr: number }[] = [];
    const capacitances: { t: number; value: number; stderr: number }[] = [];
    for (const s of input.spectra) {
      try {
        const fit = fitCircuit(circuit.circuit, s.spectrum);
        const rc = interphaseRC(fit, circuit.resistance, circuit.capacitance);
        resistances.push({ t: s.time_s, value: rc.resistance, stderr: rc.resistanceStderr });
        capacitances.push({ t: s.time_s, value: rc.capacitance, stderr: rc.capacitanceStderr });
        const z = fit.fitted;
        impedance.push({
          id: s.id,
          time_s: s.time_s,
          frequency: s.spectrum.frequency,
          real: s.spectrum.real,
          imag: s.spectrum.imag,
          fitReal: z.re,
          fitImag: z.im,
          resistance: rc.resistance,
          resistanceStderr: rc.resistanceStderr,
          capacitance: rc.capacitance,
          capacitanceStderr: rc.capacitanceStderr,
          ...(rc.alpha !== undefined ? { alpha: rc.alpha } : {}),
        });
      } catch (error) {
        quality.push({ level: "warning", message: `impedance ${s.id}: circuit fit failed (${(error as Error).message})` });
      }
    }
    if (best && resistances.length > 0) {
      const times = resistances.map((r) => ({ t: r.t, q: qredAt(scans, r.t) }));
      const samples = growthSamples(input, law, best, posterior, times)!;
      const l0 = lawL0Samples(best, posterior);
      const draws = samples[0].length;
      // per draw: σ and ε by weighted least squares over spectra, with the circuits' errors
      const sigma = new Float64Array(draws);
      const epsilon = new Float64Array(draws);
      const random = createRandom(7);
      for (let i = 0; i < draws; i++) {
        let sNum = 0;
        let sDen = 0;
        let eNum = 0;
        let eDen = 0;
        resistances.forEach((r, k) => {
          const lengthM = (l0[i % l0.length] + samples[k][i]) * 1e-10;
          // R = L/(σA) → 1/σ = R·A/L; weight by (σ_R A/L)⁻²
          const rDraw = r.value + r.stderr * random.normal();
          const inv = (rDraw * areaM2) / lengthM;
          const w = 1 / Math.max((r.stderr * areaM2) / lengthM, 1e-300) ** 2;
          sNum += w * inv;
          sDen += w;
          const c = capacitances[k];
          const cDraw = c.value + c.stderr * random.normal();
          const eps = (cDraw * lengthM) / (VACUUM_PERMITTIVITY * areaM2);
          const we = 1 / Math.max((c.stderr * lengthM) / (VACUUM_PERMITTIVITY * areaM2), 1e-300) ** 2;
          eNum += we * eps;
          eDen += we;
        });
        sigma[i] = sDen / sNum;
        epsilon[i] = eNum / eDen;
      }
      const sigmaInterval = { ...intervalFromSamples(sigma), unit: "S/m" };
      const epsilonInterval = { ...intervalFromSamples(epsilon), unit: "1" };
      // constancy: χ² of per-spectrum ε around the joint value, using the reflectivity thickness at the best fit
      const bestSamples = growthSamples(input, law, best, undefined, times)!;
      const bestL0 = lawL0Samples(best, undefined)[0];
      let chi2 = 0;
      capacitances.forEach((c, k) => {
        const lengthM = (bestL0 + bestSamples[k][0]) * 1e-10;
        const eps = (c.value * lengthM) / (VACUUM_PERMITTIVITY * areaM2);
        const epsErr = (c.stderr * lengthM) / (VACUUM_PERMITTIVITY * areaM2);
        chi2 += ((eps - epsilonInterval.median) / epsErr) ** 2;
      });
      const dof = capacitances.length - 1;
      const p = dof > 0 ? chiSquareUpperTail(chi2, dof) : 1;
      const agree = p >= CONSISTENCY_P;
      checks.push({ name: "impedance", p, agree });
      json["impedance"] = {
        conductivity: sigmaInterval,
        permittivity: epsilonInterval,
        spectra: resistances.length,
        thicknessFromCapacitance_A: capacitances.map((c, k) => ({ time_s: c.t, value: (epsilonInterval.median * VACUUM_PERMITTIVITY * areaM2) / c.value / 1e-10, fromReflectivity: bestL0 + bestSamples[k][0] })),
        chi2,
        p,
        agree,
      };
      if (!agree) quality.push({ level: "warning", message: `impedance and reflectivity disagree on how the interphase grows (capacitance-derived permittivity not constant, p = ${p.toExponential(1)})` });
    }
  }
  json["agree"] = checks.every((c) => c.agree);
  json["checks"] = checks;
  return { json, impedance };
}

function qredAt(scans: SeriesInput["scans"], t: number): number {
  // linear interpolation of the scans' reduction charge in time (the spectra sit between scans)
  if (scans.length === 0) return 0;
  if (t <= scans[0].time_s) return scans[0].qred_C_per_cm2 * (t / Math.max(scans[0].time_s, 1e-9));
  for (let k = 1; k < scans.length; k++) {
    if (t <= scans[k].time_s) {
      const a = scans[k - 1];
      const b = scans[k];
      return a.qred_C_per_cm2 + ((b.qred_C_per_cm2 - a.qred_C_per_cm2) * (t - a.time_s)) / (b.time_s - a.time_s);
    }
  }
  return scans[scans.length - 1].qred_C_per_cm2;
}

function columnOf(posterior: EnsembleResult, best: LawFit, name: string): Float64Array {
  const j = best.series.objective.names.indexOf(name);
  const count = posterior.keptSteps * posterior.walkers;
  return Float64Array.from({ length: count }, (_, i) => posterior.chain[i * posterior.params + j]);
}

function lawL0Samples(best: LawFit, posterior: EnsembleResult | undefined): Float64Array {
  if (!posterior) return Float64Array.of(best.fit.values[best.series.objective.names.indexOf("L0")]);
  const draws = posterior.keptSteps * posterior.walkers;
  const stride = Math.max(1, Math.floor(draws / 2000));
  const col = columnOf(posterior, best, "L0");
  return Float64Array.from({ length: Math.ceil(draws / stride) }, (_, s) => col[s * stride]);
}

/** Model curves at the best fit for each scan, and SLD profiles, for the report. */
function modelCurves(input: CellDiagnosisInput, _law: LawName, best: LawFit | undefined, _posterior: EnsembleResult | undefined, independent: IndependentScanFit[]): { curves: CellDiagnosis["detail"]["curves"]; profiles: CellDiagnosis["detail"]["profiles"] } {
  const curves: CellDiagnosis["detail"]["curves"] = [];
  const profiles: CellDiagnosis["detail"]["profiles"] = [];
  const scans = input.series.scans;
  if (best) {
    const objective = best.series.objective;
    const values = objective.valuesAt(best.fit.values);
    best.series.terms.forEach((term, k) => {
      const model = best.series.models[k];
      const fill = model.bind(objective.space);
      const slabs = new Float64Array(model.rows * 4);
      const scalars = new Float64Array(model.scalarCount);
      fill(values, slabs, scalars);
      curves.push({ scan: scans[k].id, q: term.q, r: term.y, dr: term.sigma, model: term.evaluateAt(slabs, scalars[0], scalars[1], scalars) });
      profiles.push({ scan: scans[k].id, ...profileOf(slabs) });
    });
  } else {
    scans.forEach((scan, k) => {
      const f = independent[k];
      curves.push({ scan: scan.id, q: scan.data.q, r: scan.data.r, dr: scan.data.dr, model: new Float64Array(0) });
      void f;
    });
  }
  return { curves, profiles };
}

import { profileDepths, sldProfile } from "../kernels/reflectivity/profile.ts";

function profileOf(slabs: Float64Array): { z: Float64Array; sld: Float64Array } {
  const z = profileDepths(slabs, 300);
  return { z, sld: sldProfile(slabs, z).sld };
}

/**
 * A scan's fit with priors from the previous scan's, as diagnosis.json reports it: per
 * parameter the prior, the fitted value and standard errors, and `widthRatio` = unscaled
 * standard error / prior sd (≤ 1), and the verdict `strata fit` gives (fit/priorComparison:
 * "data" ≤ 0.5, "prior" ≥ 0.9, "data and prior" between).
 */
function priorReport(prior: NonNullable<IndependentScanFit["prior"]>): Record<string, unknown> {
  return {
    from: prior.from,
    ...(prior.conflict ? { conflict: prior.conflict } : {}),
    parameters: Object.fromEntries(
      Object.entries(prior.parameters).map(([name, p]) => {
        const ratio = p.stderrUnscaled / p.sd;
        return [name, { priorMean: p.mean, priorSd: p.sd, value: p.value, stderr: finiteOrNull(p.stderr), stderrUnscaled: finiteOrNull(p.stderrUnscaled), widthRatio: finiteOrNull(ratio), constrainedBy: Number.isFinite(ratio) ? constrainedBy(ratio) : null }];
      }),
    ),
  };
}



function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
