/**
 * @module api/fit
 * Fitting a PROBLEM.json (see the README): least squares (Levenberg–Marquardt), differential
 * evolution polished by LM, or an MCMC posterior after LM, jointly over every dataset. The
 * first optimisation starts where `start` says (api/learnedStart: the learned estimator's
 * estimate, the problem's values, or a global search); result.json's `start` says which and why.
 * Parameters carry the units of the model field they stand for (Å, 10⁻⁶ Å⁻², …).
 */
import fs from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { siblingModule } from "../core/worker.ts";
import { ValidationError } from "../core/errors.ts";
import { unknownKeyPolicy, withUnknownKeyPolicy } from "../core/keys.ts";
import { parseProblemFile, readProblemFile } from "../io/problemFile.ts";
import { differentialEvolution } from "../optimize/differentialEvolution.ts";
import { ensembleSamplerAsync, mixingSummary, startFromFit, writeSamples, type EnsembleResult } from "../optimize/ensembleSampler.ts";
import { levenbergMarquardt } from "../optimize/levenbergMarquardt.ts";
import type { LeastSquaresResult } from "../optimize/result.ts";
import { buildProblem, type Problem } from "../fit/problem.ts";
import { comparePosteriorWithPrior, type PriorComparison } from "../fit/priorComparison.ts";
import type { ProblemDataset } from "../io/problemFile.ts";
import { fitReport as fitReportPage, type UncertaintyWords } from "../report/fitReport.ts";
import type { FitStart } from "../io/problemFile.ts";
import { checkAborted, plainJson } from "./json.ts";
import { defaultStart, resolveStart, type ResolvedStart, type StartRecord } from "./learnedStart.ts";
import { datasetGroups, subProblem } from "./problemStructure.ts";
import { readJsonFile } from "../io/json.ts";

/** MCMC worker threads when `fit.mcmc.threads` is not given: the machine's cores, at most this many. */
const MAX_MCMC_THREADS = 4;

export type { Problem, LeastSquaresResult, EnsembleResult, UncertaintyWords, FitStart, StartRecord };

/** Progress of a fit: the stage ("least squares", "differential evolution", "MCMC"), the fraction done (1 when it ends) and a detail. */
export type FitProgress = (stage: string, fraction: number, detail: string) => void;

export interface FitSettings {
  /** overrides the problem's `fit.method` */
  method?: "lm" | "de" | "mcmc";
  /** override the problem's `fit.mcmc` mixing targets, wall-time cap (s) and threads (the calling one included) */
  mcmc?: { minEss?: number; tauFactor?: number; maxSeconds?: number; threads?: number };
  /** overrides the problem's `fit.seed` */
  seed?: number;
  /** overrides the problem's `fit.start` (api/learnedStart: auto | ml | nominal | global) */
  start?: FitStart;
  /** measure of column files' dQ for datasets that declare none (`--dq-measure`) */
  dqMeasure?: "fwhm" | "sigma";
  /** unknown keys in the problem are warnings (in the result's `warnings`) instead of errors (`--lenient`) */
  lenient?: boolean;
  progress?: FitProgress;
  /** aborts between stages and between MCMC steps (the promise rejects with the signal's reason) */
  signal?: AbortSignal;
}

interface FitOutcome {
  leastSquares: LeastSquaresResult;
  sampler: EnsembleResult | undefined;
  json: Record<string, unknown>;
  bestValues: Float64Array;
  uncertainty: UncertaintyWords;
  start: StartRecord;
}

/**
 * Reduced χ² from which the least-squares error (scaled by √χ²_red) and the posterior
 * (unscaled) visibly part: at 2 the scaled error is 1.41× the unscaled one.
 */
export const MISFIT_REDUCED_CHI2 = 2;

/** `stderrKind` of a parameter in the JSON: what its `stderr` is. */
export type StderrKind = "scaled by sqrt(reducedChi2)" | "unscaled" | "none (constrained)";

/** A fitted problem; `toJSON()` is `strata fit --json` (and result.json). */
export class FitReport {
  readonly problem: Problem;
  readonly leastSquares: LeastSquaresResult;
  /** the MCMC result, with method "mcmc" */
  readonly sampler: EnsembleResult | undefined;
  /** What each uncertainty is, in the words the text output, the JSON and report.html share. */
  readonly uncertainty: UncertaintyWords;
  readonly #outcome: FitOutcome;

  constructor(problem: Problem, outcome: FitOutcome) {
    this.problem = problem;
    this.leastSquares = outcome.leastSquares;
    this.sampler = outcome.sampler;
    this.uncertainty = outcome.uncertainty;
    this.#outcome = outcome;
  }

  toJSON(): Record<string, unknown> {
    return plainJson(this.#outcome.json) as Record<string, unknown>;
  }

  /** The self-contained report page: data, fits and residuals, SLD profiles (with the posterior band after MCMC), corner and trace plots. */
  html(): string {
    const outcome = this.#outcome;
    return fitReportPage({
      title: `Fit of ${path.basename(this.problem.file)}`,
      problem: this.problem,
      leastSquares: outcome.leastSquares,
      sampler: outcome.sampler,
      method: String(outcome.json["method"]),
      uncertainty: outcome.uncertainty,
      warnings: outcome.json["warnings"] as string[],
      start: { used: outcome.start.used, reason: outcome.start.reason },
      priorComparison: outcome.json["priorComparison"] as PriorComparison,
      ...(networkTable(outcome) ? { networkStart: networkTable(outcome) } : {}),
    });
  }

  /** Write result.json, each dataset's curve (`curveK.dat`: Q, R, dR, model), report.html and, after MCMC, samples.csv. */
  write(dir: string): void {
    writeOutputs(dir, this.problem, this.#outcome);
    fs.writeFileSync(path.join(dir, "report.html"), this.html());
  }
}

/**
 * Fit a problem: the path of a PROBLEM.json file, or its parsed JSON (datasets then resolve
 * against `source`'s folder, default the working directory).
 * @throws ValidationError naming the problem's field; ParseError naming a data file's line
 */
export async function fit(problem: string | Record<string, unknown>, settings: FitSettings = {}, source?: string): Promise<FitReport> {
  return fitProblem(problem, settings, source, true);
}

/** {@link fit}; `staging` false for a group's own fit inside a staged start (no stages within stages). */
async function fitProblem(problem: string | Record<string, unknown>, settings: FitSettings, source: string | undefined, staging: boolean): Promise<FitReport> {
  checkAborted(settings.signal);
  const file = typeof problem === "string" ? problem : undefined;
  const fileOptions = settings.dqMeasure === undefined ? {} : { dqMeasure: settings.dqMeasure };
  // lenient unknown-key warnings go to the result's warnings as well as to the process policy's printer
  const keyWarnings: string[] = [];
  const printer = unknownKeyPolicy().warn;
  const warn = (message: string): void => {
    keyWarnings.push(message);
    printer?.(message);
  };
  const spec = withUnknownKeyPolicy({ lenient: settings.lenient, warn }, () =>
    typeof problem === "string" ? readProblemFile(problem, fileOptions) : parseProblemFile(problem, source ?? path.join(process.cwd(), "problem.json"), fileOptions),
  );
  if (spec.settings.sequence !== undefined) throw new ValidationError("fit.sequence", "a sequence is fitted one dataset after another (strata fit --sequence, fitSequence), not as one joint fit; remove fit.sequence for a joint fit", "sequence");
  const built = buildProblem(spec);
  built.warnings.unshift(...new Set(keyWarnings));
  if (settings.method !== undefined) built.settings.method = settings.method;
  if (settings.seed !== undefined) built.settings.seed = settings.seed;
  for (const key of ["minEss", "tauFactor", "maxSeconds", "threads"] as const) {
    const value = settings.mcmc?.[key];
    if (value !== undefined) built.settings.mcmc[key] = value;
  }
  const requested = settings.start ?? built.settings.start ?? defaultStart(built.settings.method);
  let start = resolveStart(built, spec.datasets, requested);
  const progress = settings.progress ?? (() => undefined);
  if (staging && requested === "auto" && start.record.used === "global") {
    // a co-fit the network cannot take whole (several states, each its own stack): its groups of datasets may each be in its domain
    const raw = typeof problem === "string" ? readJsonFile(problem) : problem;
    const sourceFile = file ?? source ?? path.join(process.cwd(), "problem.json");
    start = (await stagedStart(raw as Record<string, unknown>, sourceFile, built, start.record, settings, progress)) ?? start;
  }
  const outcome = await runFit(built, file, likelihoodWords(spec.datasets), start, progress, settings.signal);
  return new FitReport(built, outcome);
}

/**
 * The staged start of a co-fit (`--start auto` when the whole problem is not in the learned
 * estimator's domain): when its datasets fall into groups that share only parameters every
 * dataset uses (api/problemStructure datasetGroups: the states of a multi-state co-fit, each
 * with its own layers and intensities, sharing the solvent's and the film's SLD), each group
 * is fitted alone with the auto start — the network's estimate when that group is in its
 * domain, else its own global search — and LM on the whole problem starts from their answers
 * (a parameter several groups fit, from their mean). This is how practitioners build a
 * co-refinement (fit each state, then refine together), and it replaces one global search in
 * all parameters at once, which on the SNS Cu/THF steady states (23 parameters) took 20–38 s
 * and stopped in a worse optimum on 1 seed of 5 (χ² 2648 against 2592.5), by two
 * low-dimensional ones (1.4–2.2 s there, χ² 2592.5 on every seed).
 * @returns undefined when the problem is one group (the global search then runs as before)
 */
async function stagedStart(raw: Record<string, unknown>, sourceFile: string, built: Problem, fallback: StartRecord, settings: FitSettings, progress: FitProgress): Promise<ResolvedStart | undefined> {
  const groups = datasetGroups(raw);
  if (groups === undefined) return undefined;
  const objective = built.objective;
  const found = new Map<string, number[]>();
  const records: NonNullable<StartRecord["groups"]>[number][] = [];
  for (const [k, group] of groups.entries()) {
    checkAborted(settings.signal);
    const report = await fitProblem(
      subProblem(raw, group),
      {
        method: "de",
        seed: built.settings.seed,
        start: "auto",
        ...(settings.dqMeasure !== undefined ? { dqMeasure: settings.dqMeasure } : {}),
        ...(settings.lenient !== undefined ? { lenient: settings.lenient } : {}),
        ...(settings.signal !== undefined ? { signal: settings.signal } : {}),
        progress: (stage, fraction, detail) => progress(`group ${k + 1} of ${groups.length}: ${stage}`, fraction, detail),
      },
      sourceFile,
      false,
    );
    const groupStart = report.toJSON()["start"] as StartRecord;
    records.push({ datasets: group, used: groupStart.used, chi2: report.leastSquares.chi2, points: report.leastSquares.nData });
    report.problem.objective.names.forEach((name, i) => found.set(name, [...(found.get(name) ?? []), report.leastSquares.values[i]]));
  }
  const initial = Float64Array.from(objective.space.varying.map((p) => p.value));
  objective.names.forEach((name, i) => {
    const values = found.get(name);
    if (values === undefined) return;
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    initial[i] = Math.min(objective.space.upper[i], Math.max(objective.space.lower[i], mean));
  });
  const described = records.map((r) => `datasets ${r.datasets.join(", ")}: ${r.used === "ml" ? "network" : r.used} start, χ² ${r.chi2.toPrecision(6)}`).join("; ");
  const reason = `${fallback.reason.replace(/: global search$/, "")}; its ${groups.length} groups of datasets (sharing only parameters every dataset uses) fitted alone (${described}), then LM on the whole problem from their answers`;
  return { record: { requested: fallback.requested, used: "staged", reason, groups: records }, initial };
}

/** The report's "network estimate (start) vs refined value" rows, when the network gave the start. */
function networkTable(outcome: FitOutcome): { name: string; network: number; sigma: number; refined: number | undefined }[] | undefined {
  const network = outcome.start.network;
  if (outcome.start.used !== "ml" || network === undefined) return undefined;
  const parameters = outcome.json["parameters"] as Record<string, { value: number }>;
  return Object.entries(network).map(([name, e]) => ({ name, network: e.value, sigma: e.sigma, refined: parameters[name]?.value }));
}


/** What the likelihood takes the data's errors to be, over every dataset of the problem. */
function likelihoodWords(datasets: readonly ProblemDataset[]): string {
  const words = new Set<string>();
  for (const dataset of datasets) {
    if (dataset.options.likelihood === "poisson") words.add("Poisson likelihood of the counts");
    else if (dataset.options.errorInflation) words.add("Gaussian likelihood with a fitted error inflation f: σ² = dR² + f²·R_model²");
    else words.add("unscaled likelihood: dR taken as the true σ");
  }
  return [...words].join("; ");
}

/**
 * The words for each uncertainty: the least-squares error (scaled by √χ²_red or not), the
 * unscaled one, the posterior's (after MCMC), and why they differ when χ²_red ≥ {@link MISFIT_REDUCED_CHI2}.
 */
export function uncertaintyWords(leastSquares: LeastSquaresResult, likelihood: string, posterior: boolean): UncertaintyWords {
  const scale = Math.sqrt(leastSquares.reducedChi2);
  const scaled = leastSquares.scaleCovar && Number.isFinite(scale);
  const words: { -readonly [K in keyof UncertaintyWords]: UncertaintyWords[K] } = {
    stderr: scaled ? `LM standard error, scaled by √χ²_red = ${scale.toPrecision(3)}` : "LM standard error, unscaled (dR taken as the true σ)",
    stderrUnscaled: "LM standard error, unscaled (dR taken as the true σ)",
  };
  if (posterior) {
    words.posterior = `posterior median and central credible intervals (${likelihood}; prior: the parameters' bounds and priors)`;
    words.likelihood = likelihood;
  }
  if (leastSquares.reducedChi2 >= MISFIT_REDUCED_CHI2) {
    words.note =
      `reduced χ² = ${leastSquares.reducedChi2.toPrecision(3)} ≫ 1: the model does not reach the data within dR. ` +
      (scaled ? `The LM standard error is scaled by √χ²_red = ${scale.toPrecision(3)} (as if every dR were that much too small)` : "The LM standard error is not scaled") +
      (posterior ? `; the posterior is not (${likelihood}), so its intervals are narrower by about that factor. ` : ". ") +
      "Neither accounts for the misfit itself: improve the model (or the error bars) before relying on either.";
  }
  return words;
}

async function runFit(problem: Problem, file: string | undefined, likelihood: string, start: ResolvedStart, progress: FitProgress, signal: AbortSignal | undefined): Promise<FitOutcome> {
  const objective = problem.objective;
  const settings = problem.settings;
  let leastSquares: LeastSquaresResult | undefined;
  let sampler: EnsembleResult | undefined;
  if (start.record.used === "global") {
    const de = differentialEvolution(objective, {
      seed: settings.seed,
      ...(settings.de.populationSize ? { populationSize: settings.de.populationSize } : {}),
      ...(settings.de.maxGenerations ? { maxGenerations: settings.de.maxGenerations } : {}),
      polish: settings.de.polish,
      progress: (info) => progress("differential evolution", Math.min(0.99, 1 / Math.max(info.convergence, 1)), `χ² ${info.bestEnergy.toPrecision(5)}`),
    });
    progress("differential evolution", 1, "");
    checkAborted(signal);
    leastSquares = de.polish ?? levenbergMarquardt(objective, { initial: de.values });
  } else {
    leastSquares = levenbergMarquardt(objective, {
      ...(start.initial ? { initial: start.initial } : {}),
      progress: (info) => progress("least squares", Math.min(0.99, info.iteration / 50), `χ² ${info.chi2.toPrecision(6)}`),
    });
    progress("least squares", 1, "");
    checkAborted(signal);
  }
  if (settings.method === "mcmc") {
    const mcmc = settings.mcmc;
    sampler = await ensembleSamplerAsync(objective, {
      steps: mcmc.steps,
      burn: mcmc.burn,
      thin: mcmc.thin,
      seed: settings.seed,
      ...(mcmc.walkers ? { walkers: mcmc.walkers } : {}),
      start: startFromFit(leastSquares, 1),
      // run until every parameter has mixed (ESS and chain length against τ), within the wall-time cap
      tauFactor: mcmc.tauFactor,
      untilMixed: { minEss: mcmc.minEss, maxSeconds: mcmc.maxSeconds },
      threads: Math.max(1, mcmc.threads ?? Math.min(availableParallelism(), MAX_MCMC_THREADS)),
      // worker threads rebuild the objective from the problem file; a problem given as an object runs in this thread
      ...(file !== undefined
        ? { worker: { module: fileURLToPath(siblingModule(import.meta.url, "../fit/problem")), export: "objectiveFromProblemFile", spec: { file: path.resolve(file) } } }
        : { threads: 1 }),
      progress: (info) => {
        checkAborted(signal);
        progress("MCMC", Math.min(0.99, info.step / info.totalSteps), `acceptance ${info.acceptance.toFixed(2)}`);
      },
    });
    progress("MCMC", 1, "");
  }
  const names = objective.names;
  const words = uncertaintyWords(leastSquares, likelihood, sampler !== undefined);
  const stderrKind: StderrKind = leastSquares.scaleCovar ? "scaled by sqrt(reducedChi2)" : "unscaled";
  const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const parameters: Record<string, { value: number; stderr: number | null; stderrKind: StderrKind; stderrUnscaled: number | null }> = {};
  names.forEach((name, i) => {
    parameters[name] = { value: leastSquares.values[i], stderr: finiteOrNull(leastSquares.stderr[i]), stderrKind, stderrUnscaled: finiteOrNull(leastSquares.stderrUnscaled[i]) };
  });
  // constrained parameters: their value at the optimum
  const values = objective.valuesAt(leastSquares.values);
  for (const parameter of objective.space.parameters) {
    if (parameter.constrained) parameters[problem.displayName(parameter)] = { value: values[objective.space.slotOf(parameter)], stderr: null, stderrKind: "none (constrained)", stderrUnscaled: null };
  }
  const p = names.length;
  const covariance = Array.from({ length: p }, (_, i) => Array.from(leastSquares.covariance.subarray(i * p, (i + 1) * p), (x) => (Number.isFinite(x) ? x : null)));
  const json: Record<string, unknown> = {
    method: settings.method,
    start: start.record,
    parameters,
    chi2: leastSquares.chi2,
    reducedChi2: leastSquares.reducedChi2,
    nData: leastSquares.nData,
    nFree: leastSquares.nFree,
    covariance,
    correlation: Array.from({ length: p }, (_, i) => Array.from(leastSquares.correlation.subarray(i * p, (i + 1) * p), (x) => (Number.isFinite(x) ? x : null))),
    converged: leastSquares.converged,
    evaluations: leastSquares.evaluations,
    warnings: [...problem.warnings, ...leastSquares.warnings],
    uncertainty: {
      stderr: words.stderr,
      stderrScale: leastSquares.scaleCovar ? finiteOrNull(Math.sqrt(leastSquares.reducedChi2)) : 1,
      stderrUnscaled: words.stderrUnscaled,
      ...(words.posterior !== undefined ? { posterior: words.posterior } : {}),
      ...(words.likelihood !== undefined ? { likelihood: words.likelihood } : {}),
      ...(words.note !== undefined ? { note: words.note } : {}),
    },
  };
  if (sampler) {
    const posterior: Record<string, unknown> = {};
    const tau: Record<string, number> = {};
    const ess: Record<string, number> = {};
    sampler.summaries.forEach((s, i) => {
      posterior[s.name] = { median: s.median, lo68: s.lo68, hi68: s.hi68, lo95: s.lo95, hi95: s.hi95, mean: s.mean, sd: s.sd, tau: sampler.autocorrelationTime[i], ess: sampler.effectiveSampleSize[i] };
      tau[s.name] = sampler.autocorrelationTime[i];
      ess[s.name] = sampler.effectiveSampleSize[i];
    });
    const mixing = sampler.mixing;
    json["posterior"] = posterior;
    json["autocorrelationTime"] = tau;
    json["effectiveSampleSize"] = ess;
    // acceptance of the kept chain (after burn-in and any proposal refresh)
    json["acceptance"] = mixing.keptAcceptance;
    json["samples"] = { walkers: sampler.walkers, keptSteps: sampler.keptSteps, burn: sampler.burn, thin: sampler.thin, stepsRun: sampler.stepsRun };
    json["mixing"] = { ...mixingSummary(mixing), refreshes: mixing.refreshes };
    (json["warnings"] as string[]).push(...sampler.warnings);
  }
  // which parameters the data constrain: posterior width against the prior's
  json["priorComparison"] = sampler
    ? comparePosteriorWithPrior(objective.space, names, Float64Array.from(sampler.summaries, (s) => s.sd), true)
    : comparePosteriorWithPrior(objective.space, names, leastSquares.stderr, false);
  return { leastSquares, sampler, json, bestValues: leastSquares.values, uncertainty: words, start: start.record };
}

function writeOutputs(dir: string, problem: Problem, outcome: FitOutcome): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "result.json"), `${JSON.stringify(outcome.json, null, 2)}\n`);
  const objective = problem.objective;
  const values = objective.valuesAt(outcome.bestValues);
  problem.terms.forEach((term, k) => {
    const model = problem.models.get(problem.datasetModels[k])!;
    const fill = model.bind(objective.space);
    const slabs = new Float64Array(model.rows * 4);
    const scalars = new Float64Array(model.scalarCount);
    fill(values, slabs, scalars);
    const curve = term.evaluateAt(slabs, scalars[0], scalars[1], scalars);
    const lines = ["# Q (1/angstrom)\tR data\tdR\tR model"];
    for (let i = 0; i < term.q.length; i++) lines.push(`${term.q[i]}\t${term.y[i]}\t${term.sigma[i]}\t${curve[i]}`);
    fs.writeFileSync(path.join(dir, `curve${k}.dat`), `${lines.join("\n")}\n`);
  });
  if (outcome.sampler) void writeSamples(path.join(dir, "samples.csv"), outcome.sampler);
}

