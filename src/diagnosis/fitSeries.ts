/**
 * @module diagnosis/fitSeries
 * The three fits of an operando series:
 * (a) independent per-scan fits with warm starts (thickness, roughness and density
 *     free for each scan) — the baseline users know, followed by a weighted
 *     regression of thickness on time for each law;
 * (b) the law-constrained joint fit of every scan at once (LM), then MCMC;
 * (c) comparison of laws by information criteria with weights.
 * Units: thickness Å, time s, reduction charge per area C/cm².
 */
import { levenbergMarquardt } from "../optimize/levenbergMarquardt.ts";
import { availableParallelism } from "node:os";
import { ensembleSamplerAsync, startFromFit, usableProposalCovariance, type EnsembleResult } from "../optimize/ensembleSampler.ts";
import { curveObjective } from "../optimize/curveObjective.ts";
import type { LeastSquaresResult } from "../optimize/result.ts";
import { startingAt, withGaussianPriors, type FitObjective, type GaussianPriorResidual } from "../optimize/objective.ts";
import { GROWTH_LAWS, type LawName, type SeriesScales } from "../models/growthLaws.ts";
import { DAMAGE_MODELS, type DamageName } from "../models/damageModels.ts";
import { nuisanceSpecs, perScanBase, seriesObjective, seriesScales, validateLawName, validateScanNumbers, validateSeries, type SeriesInput, type SeriesObjective, type SeriesScan } from "./seriesModel.ts";
import { ValidationError } from "../core/errors.ts";
import { globalStart, profileParameter } from "./globalStart.ts";
import { runTasks, siblingModule } from "../core/worker.ts";
import { learnedSeriesStart } from "./learnedSeriesStart.ts";
import { chiSquareUpperTail, isMisfit } from "./misfit.ts";

export interface IndependentScanFit {
  id: string;
  time_s: number;
  thickness: number;
  thicknessStderr: number;
  roughness: number;
  roughnessStderr: number;
  density: number | undefined;
  densityStderr: number | undefined;
  chi2: number;
  points: number;
  converged: boolean;
  /** lag-1 autocorrelation of the normalised residuals (structure indicator) */
  residualAutocorrelation: number;
  /** this scan's values of the campaign-constant parameters (free per scan here) */
  nuisance: Record<string, number>;
  /** set when a repair pass refitted this scan from a neighbouring scan's answer: that scan's id and this scan's χ² before the first repair */
  refitted?: { from: string; chi2Before: number };
  /** standard errors of {@link nuisance} (NaN where the covariance is singular) */
  nuisanceStderr?: Record<string, number>;
  /**
   * a scan fitted with `prior: "previous"`: the scan whose answer gave the priors, and per
   * parameter the prior (mean, sd) beside the fitted value and standard error (scaled by
   * √χ²_red as every LM error here, and unscaled: (JᵀJ)⁻¹ with the prior's rows, never above
   * the prior's sd) — where the unscaled error is close to the prior's sd the scan's data did
   * not constrain it
   */
  prior?: {
    from: string;
    parameters: Record<string, { mean: number; sd: number; value: number; stderr: number; stderrUnscaled: number }>;
    /** the prior contradicted the data ({@link PRIOR_CONFLICT_P}) and was dropped: this scan's values are its own fit's; `parameters` keep the prior fit's */
    conflict?: { chi2WithPrior: number; chi2Without: number; p: number };
  };
}

/** What the global stage on the first scan found, and which basin the series followed (diagnosis.json `globalStart`). */
export interface GlobalStartSummary {
  /** energy evaluations of the evolution and its polishes */
  evaluations: number;
  /** the retry's wider search (issue 13 part 2) */
  widened: boolean;
  /** each basin: its first-scan χ², the χ² summed over the series it starts, and its values */
  basins: { firstScanChi2: number; seriesChi2: number; values: Record<string, number> }[];
  /** index of the basin the series follows (the lowest series χ²) */
  chosen: number;
}

/** Where a series' first fit starts (`strata diagnose --start`, issue 19 part 3): see {@link seriesPlan}. */
export type SeriesStart = "auto" | "ml" | "global";
export const SERIES_STARTS: readonly SeriesStart[] = ["auto", "ml", "global"];

/** What started the series (diagnosis.json `start`). */
export interface SeriesStartRecord {
  requested: SeriesStart;
  /** "ml": LM from the network's estimate (or from the nominal values, whichever fitted the first scan better); "global": the global stage */
  used: "ml" | "global";
  reason: string;
  /** the first scan's curve's out-of-distribution score (when the network was consulted) */
  ood?: { score: number; threshold: number; inDomain: boolean };
  /** the network's estimate per first-scan parameter (a start only, never a result) */
  network?: Record<string, { value: number; sigma: number }>;
  /** with used "ml": which LM start fitted the first scan better, and both χ² */
  firstScan?: { from: "network" | "nominal"; chi2: number; networkChi2: number; nominalChi2: number; points: number };
}

/** Options of the per-scan series: the global stage (or another start), its seed, threads. */
export interface SeriesOptions {
  /** run the global stage (default true); false: the first scan starts from the manifest's nominal values */
  global?: boolean;
  widened?: boolean;
  seed?: number;
  /** where the first fit starts when `global` is not false (default "global") */
  start?: SeriesStart;
}

/** Per-scan fits of a series, and the global stage they started from. */
export interface IndependentSeries {
  fits: IndependentScanFit[];
  /** undefined when the global stage was not run */
  global: GlobalStartSummary | undefined;
  /** what started the series (undefined when `global: false`) */
  start?: SeriesStartRecord;
}

/** Basins of the global stage whose series are fitted and compared (the best and one alternative). */
const SERIES_FROM_BASINS = 2;

/**
 * (a) Each scan on its own, warm-started from the previous scan's answer.
 * @throws ValidationError for a series of no scans or a bad scan (checked up front, named by its index in the series)
 */
export function independentFits(input: SeriesInput): IndependentScanFit[] {
  return independentSeries(input, { global: false }).fits;
}

/**
 * (a) with the global stage (issue 13 part 1): differential evolution over the plausible
 * range of every parameter of the first scan's fit (diagnosis/globalStart), then the
 * warm-started per-scan fits from its best basin — and, when another basin fits the
 * first scan nearly as well, from that one too, keeping the series of lower total χ².
 * @param options.global - run the global stage (default true); false: the first scan starts from the manifest's nominal values
 * @param options.widened - the retry's wider search box and larger budget
 * @param options.seed - seed of the evolution (default 1)
 */
export function independentSeries(input: SeriesInput, options: SeriesOptions = {}): IndependentSeries {
  const plan = seriesPlan(input, options);
  return chosenSeries(plan, plan.starts.map((start) => fitSeriesFrom(input, plan.scales, start)));
}

/**
 * {@link independentSeries} on `threads` threads (this one included). By default the series
 * of the global stage's basins (two when a second basin fits the first scan nearly as well)
 * are fitted at once: the same result as independentSeries for every thread count, in about
 * half the wall time when there are two.
 *
 * With `segment: S` (opt-in) each basin's series is also cut into segments of S scans: the
 * segments' first scans are fitted in a chain here (each warm-started from the previous
 * segment's first scan, S scans earlier), then the segments' other scans in parallel, each
 * chain warm-started from its segment's first scan. The result depends on S, and on the
 * thread count only as far as a worker's objective differs from this thread's (at present
 * the free X-ray per-scan objective evaluates ~1e-6 relative apart in a worker: see the
 * issue-21 report); it differs from the unsegmented chain where a fit started S scans back
 * lands elsewhere than one started one scan back (on a 40-scan X-ray series, S = 10:
 * thicknesses within 5e-9 relative, the same total χ²).
 * @param options.threads - threads to use, this one included @default 1
 * @param options.segment - scans per segment (≥ 2); undefined: one chain per basin
 */
export async function independentSeriesAsync(input: SeriesInput, options: SeriesOptions & { threads?: number; segment?: number } = {}): Promise<IndependentSeries> {
  const plan = seriesPlan(input, options);
  const threads = options.threads ?? 1;
  const segment = options.segment;
  const entry = siblingModule(import.meta.url, "./scanFitWorker");
  const label = "per-scan fits";
  if (segment === undefined || input.scans.length <= segment) {
    const runs = await runTasks({ entry, tasks: plan.starts.map((start): ScanSeriesTask => ({ input, scales: plan.scales, start })), threads, local: runScanSeries, label });
    return chosenSeries(plan, runs);
  }
  if (!Number.isInteger(segment) || segment < 2) throw new ValidationError("segment", "must be an integer ≥ 2", segment);
  const runs: IndependentScanFit[][] = [];
  for (const start of plan.starts) {
    const heads: IndependentScanFit[] = [];
    for (let first = 0; first < input.scans.length; first += segment) {
      heads.push(fitSeriesFrom({ ...input, scans: [input.scans[first]] }, plan.scales, start, heads[heads.length - 1])[0]);
    }
    const tasks = heads.map((head, k): ScanSeriesTask => ({ input: { ...input, scans: input.scans.slice(k * segment + 1, (k + 1) * segment) }, scales: plan.scales, start, previous: head }));
    const rests = await runTasks({ entry, tasks, threads, local: runScanSeries, label });
    runs.push(heads.flatMap((head, k) => [head, ...rests[k]]));
  }
  return chosenSeries(plan, runs);
}

/** What a worker needs to fit a series of scans from one start (structured-clonable). */
export interface ScanSeriesTask {
  input: SeriesInput;
  scales: SeriesScales;
  start: Float64Array;
  /** the scan fitted just before this series' first, which warm-starts it */
  previous?: ScanWarmStart;
}

/** The warm-started per-scan fits of a task (in this thread or a worker's). */
export function runScanSeries(task: ScanSeriesTask): IndependentScanFit[] {
  return fitSeriesFrom(task.input, task.scales, task.start, task.previous);
}

/** A series' plan: where its per-scan fits start, the global stage (when it ran) and what started it. */
interface SeriesPlan {
  scales: SeriesScales;
  starts: Float64Array[];
  stage: ReturnType<typeof globalStart> | undefined;
  start?: SeriesStartRecord;
}

/** LM budget of each first-scan fit of the learned start (as a polish of the global stage). */
const LEARNED_START_EVALUATIONS = 1500;
/**
 * Before LM, each thickness of the network's start is set to the best of
 * {@link LEARNED_PROFILE_POINTS} values across its estimate ± this many of the network's σ
 * (within the fit's bounds), in {@link LEARNED_PROFILE_PASSES} passes: a fringe phase is the
 * landscape's roughest direction, and a 500 Å film's estimate a few Å off its fringe sends
 * LM into a wrong basin (measured: χ² 111151 from the raw estimate, 148 after profiling, on a
 * 140-point first scan of the X-ray through-electrolyte family).
 */
const LEARNED_PROFILE_SIGMAS = 2;
const LEARNED_PROFILE_POINTS = 200;
const LEARNED_PROFILE_PASSES = 2;

/** The network's start with each thickness profiled across its estimate ± {@link LEARNED_PROFILE_SIGMAS} σ (see there). */
function profiledLearnedStart(objective: FitObjective, start: Float64Array, network: Record<string, { value: number; sigma: number }>): Float64Array {
  const x = Float64Array.from(start);
  for (let pass = 0; pass < LEARNED_PROFILE_PASSES; pass++) {
    objective.names.forEach((name, i) => {
      const estimate = network[name];
      if (!/(^thickness_\d+|_thickness)$/.test(name) || !estimate || !(estimate.sigma > 0)) return;
      const lo = Math.max(objective.lower[i], x[i] - LEARNED_PROFILE_SIGMAS * estimate.sigma);
      const hi = Math.min(objective.upper[i], x[i] + LEARNED_PROFILE_SIGMAS * estimate.sigma);
      profileParameter(objective, x, i, lo, hi, LEARNED_PROFILE_POINTS);
    });
  }
  return x;
}

/**
 * Where the per-scan fits start: the geometry-scanned first start, and with the global stage
 * its best basins. `start` (default "global"): "ml" — LM on the first scan from the learned
 * estimator's estimate (diagnosis/learnedSeriesStart; its thicknesses first profiled across the
 * network's ± 2σ) and from the nominal start, the better
 * kept, instead of the global stage (a ValidationError when the series is outside the
 * network's domain); "auto" — the same when the series is in the domain, its out-of-distribution
 * score is at most the threshold and the kept first-scan fit is not a misfit (diagnosis/misfit),
 * else the global stage.
 * @throws ValidationError for "ml" outside the network's domain
 */
function seriesPlan(input: SeriesInput, options: SeriesOptions): SeriesPlan {
  validateSeries(input, { kind: "free" });
  const scales = seriesScales(input, 10);
  const first = seriesObjective({ ...input, scans: [input.scans[0]] }, { kind: "free" }, scales, {});
  // fitted geometry terms: LM from the prior's centre can lock onto a wrong critical edge
  // (an angle or height offset) or stall (a beam height far off); the first scan starts
  // each from the best value of a scan over its bounds, in turn (later scans are
  // warm-started from their predecessor)
  const start = first.objective.initial();
  for (const name of GEOMETRY_SCANNED) {
    const at = first.objective.names.indexOf(name);
    if (at >= 0) start[at] = bestOffset(first.objective, start, at);
  }
  if (options.global === false) return { scales, starts: [start], stage: undefined };
  const requested = options.start ?? "global";
  let record: SeriesStartRecord = { requested, used: "global", reason: "the global stage on the first scan (--start global)" };
  if (requested !== "global" && !options.widened) {
    const learned = learnedSeriesStart(input, first.objective);
    if (!learned.inDomain) {
      if (requested === "ml") throw new ValidationError("--start ml", `cell "${input.cell}" is not in the learned estimator's domain: ${learned.reason}`, input.cell);
      record = { requested, used: "global", reason: `not in the network's domain (${learned.reason}): the global stage` };
    } else if (requested === "auto" && !learned.ood.inDomain) {
      record = { requested, used: "global", reason: `out-of-distribution score ${learned.ood.score.toFixed(3)} > threshold ${learned.ood.threshold.toFixed(3)} (${learned.family}): the global stage`, ood: learned.ood, network: learned.network };
    } else {
      // the network's start, with a fitted geometry term from the scan over its bounds when that fits better
      const fromNetwork = levenbergMarquardt(startingAt(first.objective, profiledLearnedStart(first.objective, learned.start, learned.network)), { maxEvaluations: LEARNED_START_EVALUATIONS });
      const fromNominal = levenbergMarquardt(startingAt(first.objective, start), { maxEvaluations: LEARNED_START_EVALUATIONS });
      const network = fromNetwork.chi2 <= fromNominal.chi2;
      const best = network ? fromNetwork : fromNominal;
      const entry = scanFitEntry(input.scans[0], best, first);
      const firstScan = { from: network ? ("network" as const) : ("nominal" as const), chi2: best.chi2, networkChi2: fromNetwork.chi2, nominalChi2: fromNominal.chi2, points: best.nData };
      const misfit = isMisfit(entry, first.objective.names.length);
      const ood = learned.ood;
      const oodNote = ood.inDomain ? `out-of-distribution score ${ood.score.toFixed(3)} ≤ ${ood.threshold.toFixed(3)}` : `out-of-distribution score ${ood.score.toFixed(3)} > threshold ${ood.threshold.toFixed(3)}: the curve is unlike the training set`;
      if (requested === "ml" || !misfit) {
        const fitNote = `first scan χ² ${best.chi2.toFixed(1)} over ${best.nData} points from the ${firstScan.from} start${misfit ? ", a misfit" : ""}`;
        record = { requested, used: "ml", reason: `LM from the network's estimate (${learned.family}; ${oodNote}; ${fitNote})`, ood, network: learned.network, firstScan };
        return { scales, starts: [Float64Array.from(best.values)], stage: undefined, start: record };
      }
      record = { requested, used: "global", reason: `the network's start misfits the first scan (χ² ${best.chi2.toFixed(1)} over ${best.nData} points; ${learned.family}): the global stage`, ood, network: learned.network, firstScan };
    }
  } else if (requested !== "global") record = { requested, used: "global", reason: "the wider retry is a global stage" };
  const stage = globalStart(startingAt(first.objective, start), { seed: options.seed ?? 1, widened: options.widened === true });
  return { scales, starts: stage.basins.slice(0, SERIES_FROM_BASINS).map((basin) => basin.values), stage, start: record };
}

/** The series of lowest total χ² among the basins' (one per start of the plan). */
function chosenSeries(plan: SeriesPlan, series: IndependentScanFit[][]): IndependentSeries {
  const { stage } = plan;
  const start = plan.start ? { start: plan.start } : {};
  if (!stage) return { fits: series[0], global: undefined, ...start };
  const runs = series.map((fits, i) => ({ basin: stage.basins[i], fits, chi2: fits.reduce((a, f) => a + f.chi2, 0) }));
  let chosen = 0;
  runs.forEach((run, i) => {
    if (run.chi2 < runs[chosen].chi2) chosen = i;
  });
  return {
    fits: runs[chosen].fits,
    global: {
      evaluations: stage.evaluations,
      widened: stage.widened,
      basins: runs.map((run) => ({ firstScanChi2: run.basin.chi2, seriesChi2: run.chi2, values: Object.fromEntries(stage.names.map((name, j) => [name, run.basin.values[j]])) })),
      chosen,
    },
    ...start,
  };
}

/** The {@link IndependentScanFit} of one scan's free fit (`objective`: that scan's free series objective). */
export function scanFitEntry(scan: { id: string; time_s: number }, fit: LeastSquaresResult, objective: SeriesObjective): IndependentScanFit {
  const index = (name: string): number => objective.objective.names.indexOf(name);
  const it = index("thickness_0");
  const ir = index("interphase_roughness");
  const id = index("interphase_density");
  return {
    id: scan.id,
    time_s: scan.time_s,
    thickness: fit.values[it],
    thicknessStderr: fit.stderr[it],
    roughness: fit.values[ir],
    roughnessStderr: fit.stderr[ir],
    density: id >= 0 ? fit.values[id] : undefined,
    densityStderr: id >= 0 ? fit.stderr[id] : undefined,
    chi2: fit.chi2,
    points: fit.nData,
    converged: fit.converged,
    residualAutocorrelation: lagOneAutocorrelation(fit.residuals),
    nuisance: Object.fromEntries([...objective.nuisance.keys()].map((name) => [name, fit.values[index(name)]])),
    nuisanceStderr: Object.fromEntries([...objective.nuisance.keys()].map((name) => [name, fit.stderr[index(name)]])),
  };
}

/** What a per-scan fit is warm-started from: the previous scan's answer (with its standard errors and id, the priors of a scan fitted with `prior: "previous"`). */
export type ScanWarmStart = Pick<IndependentScanFit, "thickness" | "roughness" | "density" | "nuisance"> &
  Partial<Pick<IndependentScanFit, "id" | "roughnessStderr" | "densityStderr" | "nuisanceStderr">>;

/**
 * The warm-started per-scan fits, the first from `previous` when given (a scan fitted before
 * this run), else from `firstStart` (values of the first scan's free fit).
 */
function fitSeriesFrom(input: SeriesInput, scales: SeriesScales, firstStart: Float64Array, from?: ScanWarmStart): IndependentScanFit[] {
  const results: IndependentScanFit[] = [];
  let previous: ScanWarmStart | undefined = from;
  for (const scan of input.scans) {
    const entry = fitScanFrom(input, scan, scales, previous ?? firstStart);
    results.push(entry);
    previous = warmStartOf(entry);
  }
  // repair passes: a scan fitted far worse than its neighbour is refitted from the
  // neighbour's answer, kept only where χ² falls. Backward first (a first scan whose global
  // stage missed, or a warm start that jumped a fringe, when the later scans found the
  // basin), then forward from any scan the backward pass repaired: the scans warm-started
  // from a wrong answer before it inherited that basin (uncorrected geometry seed 38: the
  // first scan's basin wrong at χ²/N 514, scans 2–12 warm-started from it at χ²/N 181–519
  // with the electrolyte density at 1.12 g/cm³; the backward pass repairs scan 1 from
  // scan 2, and the forward pass then carries scan 1's basin, χ²/N 0.87, to the rest)
  const refitFrom = (k: number, from: number): boolean => {
    if (!worseThanNeighbour(results[k], results[from])) return false;
    const again = fitScanFrom(input, input.scans[k], scales, warmStartOf(results[from]));
    if (!(again.chi2 < results[k].chi2)) return false;
    results[k] = { ...again, refitted: { from: results[from].id, chi2Before: results[k].refitted?.chi2Before ?? results[k].chi2 } };
    return true;
  };
  for (let k = results.length - 2; k >= 0; k--) refitFrom(k, k + 1);
  for (let k = 1; k < results.length; k++) refitFrom(k, k - 1);
  return results;
}

/** A scan's answer as the warm start of another's fit. */
function warmStartOf(entry: IndependentScanFit): ScanWarmStart {
  return {
    id: entry.id,
    thickness: entry.thickness,
    roughness: entry.roughness,
    roughnessStderr: entry.roughnessStderr,
    density: entry.density,
    densityStderr: entry.densityStderr,
    nuisance: entry.nuisance,
    ...(entry.nuisanceStderr ? { nuisanceStderr: entry.nuisanceStderr } : {}),
  };
}

/**
 * A scan's reduced χ² is above its neighbour's by more than {@link BACKWARD_REFIT_RATIO} and
 * above what its error bars allow ({@link BACKWARD_REFIT_REDUCED_CHI2}): worth refitting from
 * the neighbour's answer.
 */
function worseThanNeighbour(fit: IndependentScanFit, neighbour: IndependentScanFit): boolean {
  const reduced = fit.chi2 / Math.max(fit.points, 1);
  const other = neighbour.chi2 / Math.max(neighbour.points, 1);
  return reduced > BACKWARD_REFIT_REDUCED_CHI2 && reduced > BACKWARD_REFIT_RATIO * other;
}
/** See {@link worseThanNeighbour}: a reduced χ² this high is already far beyond 140 points' error bars (p ≈ 1e-5). */
const BACKWARD_REFIT_REDUCED_CHI2 = 1.6;
const BACKWARD_REFIT_RATIO = 1.5;

/**
 * One scan's free fit: LM from `from` — the values of a first scan's fit (a start vector), or
 * another scan's answer (a warm start, whose interphase thickness is first profiled; the live
 * diagnosis's per-scan fits use it too).
 */
export function fitScanFrom(input: SeriesInput, scan: SeriesInput["scans"][number], scales: SeriesScales, from: Float64Array | ScanWarmStart): IndependentScanFit {
  const warm = from instanceof Float64Array ? undefined : from;
  const single = seriesObjective({ ...input, scans: [scan] }, { kind: "free" }, scales, {
    ...(warm ? { thickness: [warm.thickness], roughness: warm.roughness, nuisance: warm.nuisance, ...(warm.density !== undefined ? { density: warm.density } : {}) } : {}),
  });
  const start = warm ? single.objective.initial() : Float64Array.from(from as Float64Array);
  // a scan declared `prior: "previous"`: the previous answer's values as normal priors
  const priors = warm && scan.prior === "previous" ? previousPriors(input, scan, single, warm) : [];
  const objective = priors.length > 0 ? withGaussianPriors(single.objective, priors) : single.objective;
  const n = single.objective.nResiduals;
  let fit = dataOnly(levenbergMarquardt(startingAt(objective, start), { maxEvaluations: 1500 }), n);
  // a warm start that misfits: the interphase thickness profiled from the same start, LM
  // again, the better kept. Only then — profiling every scan moved well-fitted scans too
  // (their LM standard errors and the joint X-ray + neutron posterior of
  // test/diagnosis/jointBeams.test.ts, seed 1: 95 % width 0.30 → 1.29 Å)
  if (warm && fit.chi2 / Math.max(fit.nData, 1) > BACKWARD_REFIT_REDUCED_CHI2) {
    const profiled = single.objective.initial();
    profileInterphaseThickness(single.objective, profiled, warm.thickness);
    const again = dataOnly(levenbergMarquardt(startingAt(objective, profiled), { maxEvaluations: 1500 }), n);
    if (again.objectiveChi2 < fit.objectiveChi2) fit = again;
  }
  if (priors.length === 0) return scanFitEntry(scan, fit, single);
  const parameters = Object.fromEntries(priors.map((p) => [single.objective.names[p.index], { mean: p.mean, sd: p.sd, value: fit.values[p.index], stderr: fit.stderr[p.index], stderrUnscaled: fit.stderrUnscaled[p.index] }]));
  const prior = { from: warm!.id ?? "previous", parameters };
  // the data's own answer from the same start: where the prior costs the data far more χ²
  // than its parameters' count allows, the previous answer contradicts this scan and is dropped
  const own = levenbergMarquardt(startingAt(single.objective, start), { maxEvaluations: 1500 });
  const excess = fit.chi2 - own.chi2;
  const p = chiSquareUpperTail(Math.max(excess, 0), priors.length);
  if (p < PRIOR_CONFLICT_P) {
    return { ...scanFitEntry(scan, own, single), prior: { ...prior, conflict: { chi2WithPrior: fit.chi2, chi2Without: own.chi2, p } } };
  }
  return { ...scanFitEntry(scan, fit, single), prior };
}

/**
 * A prior from the previous scan is dropped when it raises this scan's data χ² beyond what
 * its number of parameters allows: the χ²(k) upper tail of the excess below this (k the
 * number of priors) — the previous answer contradicts this scan's data (a jump, a wrong
 * branch of a degenerate pair carried forward), and the scan keeps its own fit.
 */
export const PRIOR_CONFLICT_P = 1e-3;

/**
 * How much wider than the previous scan's standard error a prior from it is (the default
 * `--prior-width` of `strata fit --sequence --carry prior`): its variance ×9 per scan, a
 * forgetting factor — a parameter that drifts slowly (a layer's SLD or roughness by a law) is
 * not pinned by the accumulated earlier scans, and one the data constrain is still decided by
 * them. A chain of priors carries the previous answers' errors forward (a first scan whose two
 * roughnesses traded places leaves the next scans near that answer), so `prior: "previous"` is
 * for slices that cannot fix the stack alone, not for scans that can.
 */
export const PREVIOUS_PRIOR_WIDENING = 3;

/**
 * The normal priors of a scan fitted with `prior: "previous"`: every free parameter of its
 * fit but the interphase's thickness and the scan's declared own values (`fit.<property>.perScan`,
 * an own intensity), at the previous scan's value (the same name, or its own value of the same
 * property: `Ti_sld@s2` from `Ti_sld@s1`) with sd {@link PREVIOUS_PRIOR_WIDENING} × its
 * standard error; a parameter whose previous standard error is not finite and positive has none.
 */
function previousPriors(input: SeriesInput, scan: SeriesScan, single: SeriesObjective, warm: ScanWarmStart): GaussianPriorResidual[] {
  const own = new Set(nuisanceSpecs({ ...input, scans: [scan] }).filter((spec) => spec.ownPerScan).map((spec) => spec.name));
  const previous = (name: string): { value: number; stderr: number } | undefined => {
    if (name === "interphase_roughness") return warm.roughnessStderr === undefined ? undefined : { value: warm.roughness, stderr: warm.roughnessStderr };
    if (name === "interphase_density") return warm.density === undefined || warm.densityStderr === undefined ? undefined : { value: warm.density, stderr: warm.densityStderr };
    const base = perScanBase(name) ?? name;
    // another scan's value of the same property — not another alignment's angle offset
    const key = name in warm.nuisance ? name : base === "angle_offset" ? undefined : Object.keys(warm.nuisance).find((other) => (perScanBase(other) ?? other) === base);
    const stderr = key === undefined ? undefined : warm.nuisanceStderr?.[key];
    return key === undefined || stderr === undefined ? undefined : { value: warm.nuisance[key], stderr };
  };
  const priors: GaussianPriorResidual[] = [];
  single.objective.names.forEach((name, index) => {
    if (name === "thickness_0" || own.has(name)) return;
    const p = previous(name);
    if (!p || !(p.stderr > 0 && Number.isFinite(p.stderr)) || !Number.isFinite(p.value)) return;
    priors.push({ index, mean: p.value, sd: PREVIOUS_PRIOR_WIDENING * p.stderr });
  });
  return priors;
}

/** An LM result over data and prior residuals as the data's: χ², points and residuals of the first `n` (the prior-inclusive χ² kept as objectiveChi2). */
function dataOnly(fit: LeastSquaresResult, n: number): LeastSquaresResult & { objectiveChi2: number } {
  if (fit.nData === n) return { ...fit, objectiveChi2: fit.chi2 };
  const residuals = fit.residuals.slice(0, n);
  let chi2 = 0;
  for (let i = 0; i < n; i++) chi2 += residuals[i] * residuals[i];
  return { ...fit, chi2, nData: n, residuals, objectiveChi2: fit.chi2 };
}

/** Grid points of the interphase-thickness profile that restarts a warm-started per-scan fit that misfits. */
const WARM_PROFILE_POINTS = 96;
/** The profile spans [previous / this, previous × this + {@link WARM_PROFILE_MARGIN_A}] (within the bounds). */
const WARM_PROFILE_FACTOR = 2.5;
const WARM_PROFILE_MARGIN_A = 40;

/**
 * A warm start's interphase thickness set to the best of a grid around the previous scan's
 * (the other parameters held at the previous scan's answer); updates `start`.
 *
 * Why: between two scans the interphase can grow by as much as it had (15 → 31 Å in the first
 * 50 min of a logarithmic law); LM from the previous thickness then meets the new fringes half
 * a period out of phase and slides into a neighbouring basin — the Cu and Si roughnesses
 * exchanged and the electrolyte density off, χ²/N ≈ 140–570 on every later scan (uncorrected
 * X-ray geometry family, seed 32) — although the first scan's global stage found the truth.
 * The thickness is the landscape's roughest direction, so a 1-D grid over it (≈ 100
 * evaluations, against LM's few hundred) puts LM in the right fringe.
 */
function profileInterphaseThickness(objective: FitObjective, start: Float64Array, previous: number): void {
  const at = objective.names.indexOf("thickness_0");
  if (at < 0 || !Number.isFinite(previous)) return;
  const lo = Math.max(objective.lower[at], previous / WARM_PROFILE_FACTOR);
  const hi = Math.min(objective.upper[at], previous * WARM_PROFILE_FACTOR + WARM_PROFILE_MARGIN_A);
  profileParameter(objective, start, at, lo, hi, WARM_PROFILE_POINTS);
}

/** The objective with another starting point (optimize/objective; re-exported for the diagnosis's callers). */
export { startingAt };

/** Fitted geometry terms whose start the first per-scan fit takes from a scan over their bounds, in this order. */
const GEOMETRY_SCANNED = ["angle_offset", "height_offset", "beam_height"] as const;

/** Points of the geometry scan that starts a first per-scan fit. */
const OFFSET_SCAN_POINTS = 41;

/** The value of parameter `at` (between its bounds) with the smallest χ², the rest held at `start`. */
function bestOffset(objective: FitObjective, start: Float64Array, at: number): number {
  const residuals = new Float64Array(objective.nResiduals);
  const trial = Float64Array.from(start);
  let best = start[at];
  let bestChi2 = Infinity;
  for (let i = 0; i < OFFSET_SCAN_POINTS; i++) {
    trial[at] = objective.lower[at] + ((objective.upper[at] - objective.lower[at]) * (i + 0.5)) / OFFSET_SCAN_POINTS;
    objective.residuals(trial, residuals);
    let chi2 = 0;
    for (let k = 0; k < residuals.length; k++) chi2 += residuals[k] * residuals[k];
    if (chi2 < bestChi2) {
      bestChi2 = chi2;
      best = trial[at];
    }
  }
  return best;
}

export function lagOneAutocorrelation(r: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < r.length; i++) {
    den += r[i] * r[i];
    if (i > 0) num += r[i] * r[i - 1];
  }
  return den > 0 ? num / den : 0;
}

export interface RegressionFit {
  law: LawName;
  values: Float64Array;
  stderr: Float64Array;
  names: readonly string[];
  chi2: number;
  converged: boolean;
}

/**
 * Starting points per law parameter besides L0, as factors of its spec's starting value:
 * the thickness regression is a small nonlinear fit (≤ 3 parameters, one point per scan)
 * whose time-scale parameters (the logarithmic law's tau, the mixed law's A) have local
 * minima decades apart, so LM is run from each factor, one parameter at a time, and the
 * lowest χ² is kept. A law left in a worse local minimum than its neighbours would lose a
 * comparison it should tie (population seed 8 of issue 13: one cell's logarithmic fit
 * 31 χ² units behind its parabolic one, which the logarithmic law reproduces to 1).
 */
const REGRESSION_START_FACTORS = [1e-2, 1e-1, 10, 100] as const;

/**
 * A law fitted to thicknesses at the scans of `input` (weighted by `sigma`): LM from the
 * spec's starting values and from {@link REGRESSION_START_FACTORS}, the lowest χ² kept.
 * Deterministic. Scans are assumed validated.
 */
function regressLaw(input: SeriesInput, thickness: readonly number[], sigma: readonly number[], law: LawName, scales: SeriesScales): RegressionFit {
  const spec = GROWTH_LAWS[law].parameters(scales);
  const x = input.scans.map((s, k) => ({ t: s.time_s, q: s.qred_C_per_cm2, k }));
  const lower = spec.map((p) => p.min);
  const upper = spec.map((p) => p.max);
  const initial = spec.map((p) => p.initial);
  const starts: number[][] = [initial];
  for (let j = 1; j < spec.length; j++) {
    for (const factor of REGRESSION_START_FACTORS) {
      const value = initial[j] * factor;
      if (value > lower[j] && value < upper[j]) starts.push(initial.map((v, i) => (i === j ? value : v)));
    }
  }
  let best: RegressionFit | undefined;
  for (const start of starts) {
    const objective = curveObjective({
      names: spec.map((p) => p.name),
      model: (theta, xs: typeof x, out) => {
        for (let i = 0; i < xs.length; i++) out[i] = GROWTH_LAWS[law].evaluate(theta, xs[i].t, xs[i].q, input.thicknessPerCharge);
      },
      x,
      y: [...thickness],
      sigma: [...sigma],
      lower,
      upper,
      initial: start,
      nanPolicy: "propagate",
    });
    const fit = levenbergMarquardt(objective, { scaleCovar: false });
    if (!Number.isFinite(fit.chi2)) continue;
    if (best === undefined || fit.chi2 < best.chi2) best = { law, values: fit.values, stderr: fit.stderr, names: fit.names, chi2: fit.chi2, converged: fit.converged };
  }
  if (best === undefined) throw new ValidationError("thickness", `no start of the ${law} law gives a finite χ² against the thicknesses of cell "${input.cell}"`, thickness.join(", "));
  return best;
}

/** A per-scan fit's thickness standard error as a regression weight (1 Å when it has none). */
const regressionSigma = (f: IndependentScanFit): number => (Number.isFinite(f.thicknessStderr) && f.thicknessStderr > 0 ? f.thicknessStderr : 1);

/**
 * The law fitted to the independent thicknesses (weighted by their standard errors): the users' baseline.
 * @param fits - one per scan of `input`, in its order
 * @throws ValidationError for an unknown law, no scans, fits not one per scan, or a non-finite time (or charge, charge law)
 */
export function regressOnThickness(input: SeriesInput, fits: IndependentScanFit[], law: LawName, scales: SeriesScales): RegressionFit {
  validateLawName(law);
  if (input.scans.length === 0) throw new ValidationError("scans", `must hold at least one scan (cell "${input.cell}")`, input.scans);
  if (fits.length !== input.scans.length) throw new ValidationError("fits", `must hold one per-scan fit for each of the ${input.scans.length} scans`, fits.length);
  input.scans.forEach((scan, k) => validateScanNumbers(scan, k, law));
  return regressLaw(
    input,
    fits.map((f) => f.thickness),
    fits.map(regressionSigma),
    law,
    scales,
  );
}

export interface LawFit {
  law: LawName;
  damage: DamageName;
  series: SeriesObjective;
  fit: LeastSquaresResult;
  /** number of free parameters k, points n */
  k: number;
  n: number;
  aicc: number;
  bic: number;
  /** how the objective was built (workers rebuild it from this) */
  build: SeriesWorkerSpec;
}

/** Everything a worker thread needs to rebuild a law fit's objective (structured-clonable). */
export interface SeriesWorkerSpec {
  input: SeriesInput;
  law: LawName;
  damage: DamageName;
  scales: SeriesScales;
  start: { law: Record<string, number>; damage?: Record<string, number>; roughness: number; density?: number; nuisance: Record<string, number> };
}

/** Where a law-constrained joint fit starts: the regression of the independent fits, the median per-scan roughness, density and nuisance values, and damage terms when modelled. */
export interface LawFitStart {
  regression: RegressionFit;
  roughness: number;
  density: number | undefined;
  nuisance: Record<string, number>;
  damage?: Record<string, number>;
}

/** The structured-clonable description of a law-constrained joint fit (what {@link runLawFit} fits, in this thread or a worker's). */
export function lawFitSpec(input: SeriesInput, law: LawName, scales: SeriesScales, start: LawFitStart, damage: DamageName = "none"): SeriesWorkerSpec {
  const lawStart: Record<string, number> = {};
  start.regression.names.forEach((name, i) => (lawStart[name] = start.regression.values[i]));
  return {
    input,
    law,
    damage,
    scales: { ...scales },
    start: { law: lawStart, ...(start.damage ? { damage: start.damage } : {}), roughness: start.roughness, nuisance: start.nuisance, ...(start.density !== undefined ? { density: start.density } : {}) },
  };
}

/** The objective a law fit's spec describes. */
export function lawFitObjective(build: SeriesWorkerSpec): SeriesObjective {
  return seriesObjective(build.input, { kind: "law", law: build.law, damage: build.damage }, build.scales, build.start);
}

/**
 * The LM fit of a law fit's spec, with the settings a law comparison needs: statistical
 * precision only (χ² to 1e-9 relative, no central-difference refinement); the covariance is
 * computed for the winner only (see withCovariance). Deterministic: the same spec gives the
 * same result in any thread.
 */
export function runLawFit(build: SeriesWorkerSpec, series: SeriesObjective = lawFitObjective(build)): LeastSquaresResult {
  return levenbergMarquardt(series.objective, { maxEvaluations: 100 * (series.objective.names.length + 1), ftol: 1e-9, xtol: 1e-9, refine: false, computeCovariance: false });
}

/** A law fit from its spec and LM result (AICc and BIC from χ², k and n). */
export function lawFitFrom(build: SeriesWorkerSpec, fit: LeastSquaresResult, series: SeriesObjective = lawFitObjective(build)): LawFit {
  const k = fit.nFree;
  const n = fit.nData;
  const aicc = fit.chi2 + 2 * k + (2 * k * (k + 1)) / Math.max(n - k - 1, 1);
  const bic = fit.chi2 + k * Math.log(n);
  return { law: build.law, damage: build.damage, series, fit, k, n, aicc, bic, build };
}

/** (b) The law-constrained joint fit, started from the regression of the independent fits (in this thread; see lawFitPool for several at once). */
export function jointLawFit(input: SeriesInput, law: LawName, scales: SeriesScales, start: LawFitStart, damage: DamageName = "none"): LawFit {
  const build = lawFitSpec(input, law, scales, start, damage);
  const series = lawFitObjective(build);
  return lawFitFrom(build, runLawFit(build, series), series);
}

/** The thickness (Å) a law fit predicts at every scan of `input`, damage term included. */
export function lawFitThickness(lawFit: LawFit, input: SeriesInput): number[] {
  const law = GROWTH_LAWS[lawFit.law];
  const names = lawFit.fit.names;
  const values = Float64Array.from(lawFit.series.lawSpec.map((spec) => lawFit.fit.values[names.indexOf(spec.name)]));
  const damage = DAMAGE_MODELS[lawFit.damage];
  const damageValues = Float64Array.from(lawFit.series.damageSpec.map((spec) => lawFit.fit.values[names.indexOf(spec.name)]));
  return input.scans.map((scan) => law.evaluate(values, scan.time_s, scan.qred_C_per_cm2, input.thicknessPerCharge) + damage.evaluate(damageValues, scan.dose_Gy ?? 0));
}

/** A law fit more than this χ² behind the best law's is tried from the best law's answer (see {@link crossStartLawFits}). */
export const CROSS_START_MARGIN_CHI2 = 1;

/** A law fit {@link crossStartLawFits} replaced: restarted from the `from` law's answer, χ² before and after. */
export interface LawRestart {
  law: LawName;
  damage: DamageName;
  from: LawName;
  chi2Before: number;
  chi2After: number;
}

/**
 * Law fits restarted from the best law's answer where they stopped in a worse local minimum.
 * For every law fit more than {@link CROSS_START_MARGIN_CHI2} behind the best (lowest χ²)
 * one, the law is regressed onto the best fit's thickness trajectory (weighted by the
 * per-scan standard errors), and that point — with the best fit's roughness, density and
 * nuisance values — is evaluated on the law's joint objective. Only when it is already
 * better than where the law's own LM stopped (the fit is then demonstrably not at its
 * optimum) is LM rerun from it, and the restart kept where its χ² is lower. The law
 * comparison is then between optima, not between where each law's LM happened to stop
 * (issue 13's population seed 8: one cell's logarithmic fit 31 χ² units behind its
 * parabolic one changed the pooled law). A law that cannot follow the best trajectory
 * costs one objective evaluation. Fits with a damage term are compared among fits with
 * the same term.
 */
export function crossStartLawFits(input: SeriesInput, fits: readonly LawFit[], independent: readonly IndependentScanFit[], scales: SeriesScales): { fits: LawFit[]; restarted: LawRestart[] } {
  const out = [...fits];
  const restarted: LawRestart[] = [];
  const sigma = independent.map(regressionSigma);
  for (const damage of new Set(fits.map((f) => f.damage))) {
    const group = fits.filter((f) => f.damage === damage && Number.isFinite(f.fit.chi2));
    if (group.length < 2) continue;
    const best = group.reduce((a, b) => (b.fit.chi2 < a.fit.chi2 ? b : a));
    const trajectory = lawFitThickness(best, input);
    if (!trajectory.every(Number.isFinite)) continue;
    const value = (name: string): number => best.fit.values[best.fit.names.indexOf(name)];
    const nuisance = Object.fromEntries([...best.series.nuisance.keys()].map((name) => [name, value(name)]));
    for (const fit of group) {
      if (fit === best || !(fit.fit.chi2 - best.fit.chi2 > CROSS_START_MARGIN_CHI2)) continue;
      const start: LawFitStart = {
        regression: regressLaw(input, trajectory, sigma, fit.law, scales),
        roughness: value("interphase_roughness"),
        density: best.series.density ? value("interphase_density") : undefined,
        nuisance,
        ...(fit.build.start.damage ? { damage: fit.build.start.damage } : {}),
      };
      const build = lawFitSpec(input, fit.law, scales, start, fit.damage);
      const series = lawFitObjective(build);
      const residuals = series.objective.residuals(series.objective.initial());
      let chi2AtStart = 0;
      for (let i = 0; i < residuals.length; i++) chi2AtStart += residuals[i] * residuals[i];
      if (!(chi2AtStart < fit.fit.chi2)) continue;
      const restart = lawFitFrom(build, runLawFit(build, series), series);
      if (restart.fit.chi2 < fit.fit.chi2) {
        out[out.indexOf(fit)] = restart;
        restarted.push({ law: fit.law, damage: fit.damage, from: best.law, chi2Before: fit.fit.chi2, chi2After: restart.fit.chi2 });
      }
    }
  }
  return { fits: out, restarted };
}

/** The law fit polished from its own solution with the full covariance (Ridders Jacobian). */
export function withCovariance(lawFit: LawFit): LawFit {
  const polished = levenbergMarquardt(startingAt(lawFit.series.objective, lawFit.fit.values), { maxEvaluations: 3000 });
  return { ...lawFit, fit: polished.chi2 <= lawFit.fit.chi2 * (1 + 1e-9) ? polished : lawFit.fit };
}

export interface LawComparisonEntry {
  law: LawName;
  chi2: number;
  k: number;
  deltaIC: number;
  weight: number;
  /** false when the fit stopped on its budget: its χ² is an upper bound, its weight a lower bound */
  converged: boolean;
  /**
   * Predictive check against the per-scan evidence: χ² of (L_independent − L_law)/σ_independent
   * over the scans, and its upper-tail p-value for that many scans minus the law's parameters.
   * A small p means the law cannot reproduce what each scan says on its own.
   */
  check?: { chi2: number; dof: number; p: number };
}

/** The per-scan predictive check of a law fit (see LawComparisonEntry.check). */
export function perScanCheck(lawFit: LawFit, fits: IndependentScanFit[], input: SeriesInput, upperTail: (x: number, k: number) => number): { chi2: number; dof: number; p: number } {
  const predicted = lawFitThickness(lawFit, input);
  let chi2 = 0;
  let used = 0;
  input.scans.forEach((_scan, k) => {
    const f = fits[k];
    if (!f || !(f.thicknessStderr > 0) || !Number.isFinite(f.thickness)) return;
    chi2 += ((f.thickness - predicted[k]) / f.thicknessStderr) ** 2;
    used++;
  });
  const dof = Math.max(used - lawFit.series.lawSpec.length - lawFit.series.damageSpec.length, 1);
  return { chi2, dof, p: upperTail(chi2, dof) };
}

/** (c) Akaike weights from AICc differences (BIC kept beside). */
export function compareLaws(fits: LawFit[]): LawComparisonEntry[] {
  const best = Math.min(...fits.map((f) => f.aicc));
  const raw = fits.map((f) => Math.exp(-0.5 * (f.aicc - best)));
  const total = raw.reduce((a, b) => a + b, 0);
  return fits
    .map((f, i) => ({ law: f.law, chi2: f.fit.chi2, k: f.k, deltaIC: f.aicc - best, weight: raw[i] / total, converged: f.fit.converged }))
    .sort((a, b) => a.deltaIC - b.deltaIC);
}

/**
 * When a posterior counts as mixed, and how long it may run to get there: kept steps ≥
 * tauFactor·τ and ESS ≥ minEss for every parameter and every scan's thickness (emcee's
 * conventions: τ is estimated reliably from ≥ 50 τ), within maxSeconds of wall time per
 * chain. The cap keeps the example diagnosis (9.5 s on an idle 2-core machine, most of it
 * the MCMC's 450 steps) within its 30-s budget even if its chain never mixed; the example's
 * chain (τ ≤ 6.8 steps, ESS ≥ 1417) in fact mixes within its first 400 steps and never
 * extends. A harder posterior that needs longer is flagged (mcmc-time-cap) and can be given
 * more time; a chain stopped by the cap depends on the machine's speed, one that mixes does not.
 */
export const POSTERIOR_MIXING_DEFAULTS = { minEss: 400, tauFactor: 50, maxSeconds: 20 } as const;

/**
 * The diagnosis posterior's independence proposal around the LM fit (issue 21 part 3).
 * Measured on the example (parabolic law, 11 parameters, 24 walkers; bench/proposal.ts,
 * `node --import tsx bench/run.ts proposal`): the former proposal (70 % of
 * steps, t₅ scaled 1.2, re-centred on the walkers' burn-in covariance) gave τ ≤ 6.6 steps;
 * without the re-centring τ ≤ 4.5 (the burn-in ensemble, started at half the Laplace width,
 * is still narrower than the posterior, so the "adapted" proposal was too narrow); with 90 %
 * of steps from a t₃₀ at the Laplace scale τ ≤ 1.5 — a chain mixed to 50 τ in ~75 steps
 * instead of ~330. Still exact MH for any proposal; a posterior far from its Laplace
 * approximation shows up as a long τ and the chain is extended (and refreshed when the
 * acceptance drops), so the heavier t tails are not what keeps it honest.
 */
export const LAPLACE_PROPOSAL = { fraction: 0.9, dof: 30, scale: 1, adapt: false } as const;

export interface PosteriorOptions {
  walkers: number;
  /** steps kept after burn-in before the first mixing check (the chain is extended until mixed) */
  steps: number;
  burn: number;
  seed: number;
  /** ESS every parameter and scan thickness must reach. @default 400 */
  minEss?: number;
  /** kept steps ≥ tauFactor·τ for each of them. @default 50 */
  tauFactor?: number;
  /** wall-time cap (s) of the chain; reaching it unmixed is reported. @default 20 */
  maxSeconds?: number;
  /** worker threads; @default min(available cores, 4) when the series has ≥ 4 scans, else 1 */
  threads?: number;
  progress?: (fraction: number) => void;
}

/** Names of the derived quantities {@link samplePosterior} checks for mixing: the law's thickness at each scan, and with damage the observed one. */
export function posteriorDerivedNames(lawFit: LawFit): string[] {
  const scans = lawFit.build.input.scans;
  return [...scans.map((s) => `thickness_A@${s.id}`), ...(lawFit.damage === "none" ? [] : scans.map((s) => `observedThickness_A@${s.id}`))];
}

/** The law's thickness at each scan (and the observed one, law + damage, when damage is modelled) from a sample. */
function posteriorDerived(lawFit: LawFit): { names: string[]; evaluate: (theta: Float64Array, out: Float64Array) => void } {
  const input = lawFit.build.input;
  const scans = input.scans;
  const names = lawFit.series.objective.names;
  const lawIndices = lawFit.series.lawSpec.map((s) => names.indexOf(s.name));
  const damageIndices = lawFit.series.damageSpec.map((s) => names.indexOf(s.name));
  const law = GROWTH_LAWS[lawFit.law];
  const damage = DAMAGE_MODELS[lawFit.damage];
  const values = new Float64Array(lawIndices.length);
  const damageValues = new Float64Array(damageIndices.length);
  const withDamage = lawFit.damage !== "none";
  return {
    names: posteriorDerivedNames(lawFit),
    evaluate: (theta, out) => {
      for (let j = 0; j < lawIndices.length; j++) values[j] = theta[lawIndices[j]];
      for (let j = 0; j < damageIndices.length; j++) damageValues[j] = theta[damageIndices[j]];
      scans.forEach((scan, k) => {
        out[k] = law.evaluate(values, scan.time_s, scan.qred_C_per_cm2, input.thicknessPerCharge);
        if (withDamage) out[scans.length + k] = out[k] + damage.evaluate(damageValues, scan.dose_Gy ?? 0);
      });
    },
  };
}

/** Rebuilds a law fit's objective inside an MCMC worker thread. */
export function seriesWorkerObjective(spec: SeriesWorkerSpec): SeriesObjective["objective"] {
  return seriesObjective(spec.input, { kind: "law", law: spec.law, damage: spec.damage }, spec.scales, spec.start).objective;
}

/**
 * MCMC of a law fit, started from its LM covariance: independence moves from the
 * LM fit's Laplace approximation (70 % of steps) and differential-evolution moves,
 * half-ensembles evaluated on worker threads. The chain runs until mixed: after burn-in
 * and `steps`, it is extended in blocks until every parameter and every scan's thickness
 * reach ESS ≥ minEss with kept steps ≥ tauFactor·τ, or the wall-time cap stops it (see
 * `result.mixing`); a block with acceptance below 0.15 re-centres the independence
 * proposal on the chain's covariance (then halves its share and mixes DE with stretch moves).
 */
export async function samplePosterior(lawFit: LawFit, options: PosteriorOptions): Promise<EnsembleResult> {
  const threads = options.threads ?? (lawFit.build.input.scans.length >= 4 ? Math.min(availableParallelism(), 4) : 1);
  return ensembleSamplerAsync(lawFit.series.objective, {
    walkers: Math.max(options.walkers + (options.walkers % 2), 2 * lawFit.k + 2),
    steps: options.steps,
    burn: options.burn,
    seed: options.seed,
    move: "de",
    // the LM fit's Laplace approximation as an independence proposal (exact MH; τ of a
    // step or two when the posterior is near-Gaussian, DE moves keep it honest when not)
    // (not when the LM covariance is singular — a direction the fit could not determine: the
    // chain then starts on DE moves alone, and a block of low acceptance adds a proposal from
    // the chain's own covariance)
    ...(usableProposalCovariance(lawFit.fit.covariance, lawFit.fit.values.length) ? { independence: { ...LAPLACE_PROPOSAL, center: lawFit.fit.values, covariance: lawFit.fit.covariance } } : {}),
    threads,
    // a smeared objective's last digits depend on what its thread evaluated before (the
    // smearing plan cache): static lanes keep which thread evaluates which walker fixed, so
    // a diagnosis repeats exactly for a given --threads
    staticLanes: true,
    ...(threads > 1 ? { worker: { module: new URL(import.meta.url).href, export: "seriesWorkerObjective", spec: lawFit.build } } : {}),
    start: startFromFit(lawFit.fit, 0.5),
    tauFactor: options.tauFactor ?? POSTERIOR_MIXING_DEFAULTS.tauFactor,
    untilMixed: { minEss: options.minEss ?? POSTERIOR_MIXING_DEFAULTS.minEss, maxSeconds: options.maxSeconds ?? POSTERIOR_MIXING_DEFAULTS.maxSeconds },
    derived: posteriorDerived(lawFit),
    // the fraction of the steps planned so far (the plan grows when the chain is extended)
    ...(options.progress ? { progress: (info: { step: number; totalSteps: number }) => options.progress!(info.step / info.totalSteps) } : {}),
  });
}
