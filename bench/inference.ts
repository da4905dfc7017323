/**
 * Issue 3 benchmark: the cost of one likelihood evaluation relative to its bare kernel
 * call (2-layer, 200-point reflectivity problem; refnx: ~116 µs per evaluation against
 * 25 µs for its kernel, ratio ≈ 4.6), and MCMC walker-steps per second on 1 and 2 threads.
 * Issue 21: the same rates on a 10-scan X-ray series' joint posterior (the objective the
 * diagnosis samples, with its moves), and the worker start-up, reported apart from the rate
 * (the rate is timed from the end of the first step to the end of the last), and
 * differential evolution's energy evaluations per second (deferred updating, timed from
 * the end of the first generation). A 2-thread number needs 2 idle cores.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { reflectivity } from "../src/kernels/reflectivity/abeles.ts";
import { parseReflectModel } from "../src/models/reflectModel.ts";
import { JointObjective } from "../src/fit/jointObjective.ts";
import { reflectivityTerm } from "../src/fit/reflectivityTerm.ts";
import { ensembleSamplerAsync, startFromFit, type EnsembleSamplerAsyncOptions } from "../src/optimize/ensembleSampler.ts";
import type { FitObjective } from "../src/optimize/objective.ts";
import { differentialEvolutionAsync } from "../src/optimize/differentialEvolution.ts";
import { objectiveFromProblemFile } from "../src/fit/problem.ts";
import { simulateCampaign } from "../src/simulation/simulate.ts";
import { loadCampaign } from "../src/campaign/campaign.ts";
import { cellInput } from "../src/diagnosis/diagnose.ts";
import { independentFits, jointLawFit, regressOnThickness, withCovariance } from "../src/diagnosis/fitSeries.ts";
import { seriesScales } from "../src/diagnosis/seriesModel.ts";
import { time, type Timing } from "./harness.ts";

const slabs = Float64Array.from([0, 0, 0, 0, 120, 3.47, 0, 3, 45, 6.0, 0.01, 3, 0, 2.07, 0, 3]);
const q = Float64Array.from({ length: 200 }, (_, i) => 0.005 + (0.295 * i) / 199);

function model() {
  return parseReflectModel({
    probe: "neutron",
    layers: [
      { sld: 0 },
      { thickness: { value: 120, vary: true, min: 50, max: 200 }, sld: { value: 3.47, vary: true, min: 1, max: 5 }, roughness: { value: 3, vary: true, min: 0, max: 15 } },
      { thickness: { value: 45, vary: true, min: 20, max: 80 }, sld: { value: 6.0, vary: true, min: 4, max: 8 }, isld: 0.01, roughness: { value: 3, vary: true, min: 0, max: 15 } },
      { sld: 2.07, roughness: { value: 3, vary: true, min: 0, max: 15 } },
    ],
    scale: 1,
    background: 0,
  });
}

/** Walkers per block of the 2-thread runs (undefined: the sampler's default); the tuning runs of issue 21 set it. */
export async function benchInference(block?: number): Promise<Record<string, Timing | number | string>> {
  const truth = reflectivity(q, slabs);
  const dr = truth.map((r) => 0.05 * r);
  const term = reflectivityTerm(model(), { source: "bench", q, r: truth, dr, dq: undefined, warnings: [] });
  const objective = new JointObjective([term]);
  const theta = objective.initial();
  const out = new Float64Array(200);
  const kernel = time(() => reflectivity(q, slabs, 1, 0, out), { calls: 2000 });
  const likelihood = time(() => objective.logPosterior(theta), { calls: 2000 });

  // MCMC throughput: the same problem through a PROBLEM.json so workers can rebuild it
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-"));
  const dataFile = path.join(dir, "curve.dat");
  fs.writeFileSync(dataFile, Array.from(q, (x, i) => `${x} ${truth[i]} ${dr[i]}`).join("\n"));
  const problemFile = path.join(dir, "problem.json");
  fs.writeFileSync(
    problemFile,
    JSON.stringify({
      models: {
        film: {
          probe: "neutron",
          layers: [
            { sld: 0 },
            { thickness: { value: 120, vary: true, min: 50, max: 200 }, sld: { value: 3.47, vary: true, min: 1, max: 5 }, roughness: { value: 3, vary: true, min: 0, max: 15 } },
            { thickness: { value: 45, vary: true, min: 20, max: 80 }, sld: { value: 6.0, vary: true, min: 4, max: 8 }, isld: 0.01, roughness: { value: 3, vary: true, min: 0, max: 15 } },
            { sld: 2.07, roughness: { value: 3, vary: true, min: 0, max: 15 } },
          ],
        },
      },
      datasets: [{ file: dataFile, model: "film" }],
    }),
  );
  const mcmcObjective = await objectiveFromProblemFile({ file: problemFile });
  const rates: Record<string, number> = {};
  const twoLayer = { module: path.resolve(import.meta.dirname, "../src/fit/problem.ts"), export: "objectiveFromProblemFile", spec: { file: problemFile } };
  for (const threads of [1, 2]) {
    const run = await mcmcRate(mcmcObjective, { walkers: 64, steps: 1500, burn: 0, seed: 1, start: { kind: "ball", spread: 1e-3 }, threads, worker: twoLayer, ...(block !== undefined ? { block } : {}) });
    rates[`mcmc_walker_steps_per_s_${threads}_thread${threads > 1 ? "s" : ""}`] = run.rate;
    if (threads > 1) rates[`mcmc_worker_startup_s_${threads}_threads`] = run.startup;
  }
  // differential evolution, a generation's trials as one batch (deferred updating)
  for (const threads of [1, 2]) {
    let first = { at: 0, evaluations: 0 };
    let last = 0;
    const de = await differentialEvolutionAsync(mcmcObjective, {
      seed: 1,
      maxGenerations: 400,
      tol: 0,
      polish: false,
      threads,
      worker: twoLayer,
      progress: ({ generation, evaluations }) => {
        last = performance.now();
        if (generation === 1) first = { at: last, evaluations };
      },
    });
    rates[`de_evaluations_per_s_${threads}_thread${threads > 1 ? "s" : ""}`] = (de.evaluations - first.evaluations) / ((last - first.at) / 1000);
  }
  const series = await seriesPosterior(dir);
  for (const threads of [1, 2]) {
    const run = await mcmcRate(series.objective, { ...series.options, threads, worker: series.worker, ...(block !== undefined ? { block } : {}) });
    rates[`mcmc_series10_walker_steps_per_s_${threads}_thread${threads > 1 ? "s" : ""}`] = run.rate;
  }
  rates["mcmc_series10_log_posterior_us"] = time(() => series.objective.logPosterior(series.theta), { calls: 200 }).medianUs;
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    kernel_2layers_200q_us: kernel,
    log_posterior_2layers_200q_us: likelihood,
    likelihood_over_kernel: likelihood.minUs / kernel.minUs,
    likelihood_over_kernel_median: likelihood.medianUs / kernel.medianUs,
    ...rates,
  };
}

/** Walker-steps per second of a fixed-length run from the end of its first step to its end, and the seconds before the first step (workers' start-up). */
async function mcmcRate(objective: FitObjective, options: EnsembleSamplerAsyncOptions): Promise<{ rate: number; startup: number }> {
  const started = performance.now();
  let first = 0;
  let last = 0;
  let firstStepSeconds = 0;
  const result = await ensembleSamplerAsync(objective, {
    ...options,
    progress: ({ step }) => {
      const now = performance.now();
      if (step === 1) first = now;
      if (step === 2) firstStepSeconds = (now - first) / 1000;
      last = now;
    },
  });
  const rate = (result.walkers * (result.stepsRun - 1)) / ((last - first) / 1000);
  return { rate, startup: (first - started) / 1000 - firstStepSeconds };
}

/**
 * The joint posterior of a simulated 10-scan X-ray series under the linear law, as the
 * diagnosis samples it: per-scan fits, regression, the law's joint fit with its covariance,
 * then DE + independence moves from that fit (fixed length here).
 */
export async function seriesPosterior(dir: string): Promise<{ objective: FitObjective; theta: Float64Array; options: EnsembleSamplerAsyncOptions; worker: EnsembleSamplerAsyncOptions["worker"] }> {
  const campaignDir = path.join(dir, "series10");
  simulateCampaign(
    {
      seed: 21,
      probe: "xray",
      law: { name: "linear", parameters: { L0: 20, k: 8e-4 } },
      faradaicFraction: 1,
      scans: { count: 10, interval_s: 2700, exposure_s: 300, qMin: 0.012, qMax: 0.28, points: 80, dqOverQ_fwhm: 0.05, incident: 2e6, background: 0 },
    },
    campaignDir,
  );
  const campaign = await loadCampaign(campaignDir);
  const cell = campaign.cells[0];
  const probe = (campaign.manifest as unknown as { beam: { probe: "xray" | "neutron"; energy_keV?: number; wavelength_A?: number } }).beam;
  const input = cellInput(campaign, cell, probe.probe, probe, { damage: "off", cellIndex: 0 }).series;
  const fits = independentFits(input);
  const scales = seriesScales(input, Math.max(Math.abs(fits[fits.length - 1].thickness - fits[0].thickness), 1));
  scales.firstThickness = Math.max(fits[0].thickness, 1);
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const nuisance: Record<string, number> = {};
  for (const name of Object.keys(fits[0].nuisance)) nuisance[name] = median(fits.map((f) => f.nuisance[name]));
  const densities = fits.map((f) => f.density).filter((d): d is number => d !== undefined);
  const regression = regressOnThickness(input, fits, "linear", scales);
  const lawFit = withCovariance(
    jointLawFit(input, "linear", scales, { regression, roughness: median(fits.map((f) => f.roughness)), density: densities.length > 0 ? median(densities) : undefined, nuisance }),
  );
  const objective = lawFit.series.objective;
  return {
    objective,
    theta: Float64Array.from(lawFit.fit.values),
    worker: { module: path.resolve(import.meta.dirname, "../src/diagnosis/fitSeries.ts"), export: "seriesWorkerObjective", spec: lawFit.build },
    options: {
      walkers: 32,
      steps: 150,
      burn: 0,
      seed: 1,
      move: "de",
      independence: { fraction: 0.7, center: lawFit.fit.values, covariance: lawFit.fit.covariance },
      start: startFromFit(lawFit.fit, 0.5),
    },
  };
}
