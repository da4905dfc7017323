import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { ValidationError } from "../core/errors.ts";
import { readProblemFile } from "../io/problemFile.ts";
import { differentialEvolution } from "../optimize/differentialEvolution.ts";
import { ensembleSamplerAsync, startFromFit, writeSamples, type EnsembleResult } from "../optimize/ensembleSampler.ts";
import { levenbergMarquardt } from "../optimize/levenbergMarquardt.ts";
import { buildProblem, type Problem } from "../fit/problem.ts";
import type { LeastSquaresResult } from "../optimize/result.ts";
import { printJson } from "./output.ts";
import { progressBar } from "./progress.ts";

interface FitOptions {
  method?: string;
  seed?: string;
  out?: string;
  json?: boolean;
}

export function registerFit(program: Command): void {
  program
    .command("fit")
    .description("Fit reflectivity models to data: least squares (lm), global search (de) or MCMC posterior (mcmc)")
    .argument("<PROBLEM.json>", '{"parameters": {NAME: SPEC}, "models": {ID: MODEL}, "datasets": [{"file", "model"}], "fit": {...}}')
    .option("--method <lm|de|mcmc>", "override fit.method")
    .option("--seed <N>", "override fit.seed")
    .option("--out <DIR>", "write result.json, the model curves and (MCMC) samples.csv here")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `
A parameter SPEC is a number (fixed), {"value", "vary", "min", "max", "prior", "unit"},
{"ref": NAME} (a shared parameter) or {"expr": "2*t_sei + 3"}.
Priors: {"kind": "uniform"|"normal"|"lognormal"|"truncnormal"|..., ...}.
MCMC settings: "fit": {"mcmc": {"walkers", "steps", "burn", "thin", "threads"}}.`,
    )
    .action(async (file: string, options: FitOptions) => {
      const problem = buildProblem(readProblemFile(file));
      const settings = problem.settings;
      if (options.method !== undefined) {
        if (options.method !== "lm" && options.method !== "de" && options.method !== "mcmc") throw new ValidationError("--method", 'must be "lm", "de" or "mcmc"', options.method);
        settings.method = options.method;
      }
      if (options.seed !== undefined) {
        const seed = Number(options.seed);
        if (!Number.isInteger(seed) || seed < 0) throw new ValidationError("--seed", "must be a non-negative integer", options.seed);
        settings.seed = seed;
      }
      const result = await runFit(problem, file);
      if (options.out) writeOutputs(options.out, problem, result);
      if (options.json) printJson(result.json);
      else printSummary(problem, result);
    });
}

interface FitOutcome {
  leastSquares: LeastSquaresResult | undefined;
  sampler: EnsembleResult | undefined;
  json: Record<string, unknown>;
  bestValues: Float64Array;
}

async function runFit(problem: Problem, file: string): Promise<FitOutcome> {
  const objective = problem.objective;
  const settings = problem.settings;
  let leastSquares: LeastSquaresResult | undefined;
  let sampler: EnsembleResult | undefined;
  if (settings.method === "de") {
    const bar = progressBar("differential evolution");
    const de = differentialEvolution(objective, {
      seed: settings.seed,
      ...(settings.de.populationSize ? { populationSize: settings.de.populationSize } : {}),
      ...(settings.de.maxGenerations ? { maxGenerations: settings.de.maxGenerations } : {}),
      polish: settings.de.polish,
      progress: (info) => bar.update(Math.min(1, 1 / Math.max(info.convergence, 1)), `χ² ${info.bestEnergy.toPrecision(5)}`),
    });
    bar.done();
    leastSquares = de.polish ?? levenbergMarquardt(objective, { initial: de.values });
  } else {
    const bar = progressBar("least squares");
    leastSquares = levenbergMarquardt(objective, { progress: (info) => bar.update(Math.min(0.99, info.iteration / 50), `χ² ${info.chi2.toPrecision(6)}`) });
    bar.done();
  }
  if (settings.method === "mcmc") {
    const bar = progressBar("MCMC");
    const mcmc = settings.mcmc;
    sampler = await ensembleSamplerAsync(objective, {
      steps: mcmc.steps,
      burn: mcmc.burn,
      thin: mcmc.thin,
      seed: settings.seed,
      ...(mcmc.walkers ? { walkers: mcmc.walkers } : {}),
      start: startFromFit(leastSquares, 1),
      threads: mcmc.threads,
      worker: {
        module: fileURLToPath(new URL("../fit/problem.ts", import.meta.url)),
        export: "objectiveFromProblemFile",
        spec: { file: path.resolve(file) },
      },
      progress: (info) => bar.update(info.step / info.totalSteps, `acceptance ${info.acceptance.toFixed(2)}`),
    });
    bar.done();
  }
  const names = objective.names;
  const parameters: Record<string, { value: number; stderr: number | null; unit?: string }> = {};
  names.forEach((name, i) => {
    const stderr = leastSquares.stderr[i];
    parameters[name] = { value: leastSquares.values[i], stderr: Number.isFinite(stderr) ? stderr : null };
  });
  // constrained parameters: their value at the optimum
  const values = objective.valuesAt(leastSquares.values);
  for (const parameter of objective.space.parameters) {
    if (parameter.constrained) parameters[problem.displayName(parameter)] = { value: values[objective.space.slotOf(parameter)], stderr: null };
  }
  const p = names.length;
  const covariance = Array.from({ length: p }, (_, i) => Array.from(leastSquares.covariance.subarray(i * p, (i + 1) * p), (x) => (Number.isFinite(x) ? x : null)));
  const json: Record<string, unknown> = {
    method: settings.method,
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
  };
  if (sampler) {
    const posterior: Record<string, unknown> = {};
    const tau: Record<string, number> = {};
    sampler.summaries.forEach((s, i) => {
      posterior[s.name] = { median: s.median, lo68: s.lo68, hi68: s.hi68, lo95: s.lo95, hi95: s.hi95, mean: s.mean, sd: s.sd };
      tau[s.name] = sampler.autocorrelationTime[i];
    });
    json["posterior"] = posterior;
    json["autocorrelationTime"] = tau;
    json["acceptance"] = sampler.meanAcceptanceFraction;
    json["samples"] = { walkers: sampler.walkers, keptSteps: sampler.keptSteps, burn: sampler.burn, thin: sampler.thin };
    (json["warnings"] as string[]).push(...sampler.warnings);
  }
  return { leastSquares, sampler, json, bestValues: leastSquares.values };
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

function printSummary(problem: Problem, outcome: FitOutcome): void {
  const json = outcome.json;
  const lines: string[] = [];
  lines.push(`method ${String(json["method"])}: χ² = ${(json["chi2"] as number).toPrecision(6)}, reduced χ² = ${(json["reducedChi2"] as number).toPrecision(4)} (${String(json["nData"])} points, ${String(json["nFree"])} free)`);
  const posterior = json["posterior"] as Record<string, { median: number; lo95: number; hi95: number }> | undefined;
  for (const [name, p] of Object.entries(json["parameters"] as Record<string, { value: number; stderr: number | null }>)) {
    const post = posterior?.[name];
    lines.push(
      `  ${name.padEnd(40)} ${p.value.toPrecision(6).padStart(12)} ± ${p.stderr === null ? "—" : p.stderr.toPrecision(3)}` +
        (post ? `   posterior median ${post.median.toPrecision(6)} [95 %: ${post.lo95.toPrecision(5)}, ${post.hi95.toPrecision(5)}]` : ""),
    );
  }
  for (const warning of json["warnings"] as string[]) lines.push(`warning: ${warning}`);
  if (problem.terms.length > 1) lines.push(`${problem.terms.length} datasets fitted jointly; shared parameters counted once`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
