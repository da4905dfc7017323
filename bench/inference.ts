/**
 * Issue 3 benchmark: the cost of one likelihood evaluation relative to its bare kernel
 * call (2-layer, 200-point reflectivity problem; refnx: ~116 µs per evaluation against
 * 25 µs for its kernel, ratio ≈ 4.6), and MCMC walker-steps per second on 1 and 2 threads.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { reflectivity } from "../src/kernels/reflectivity/abeles.ts";
import { parseReflectModel } from "../src/models/reflectModel.ts";
import { JointObjective } from "../src/fit/jointObjective.ts";
import { reflectivityTerm } from "../src/fit/reflectivityTerm.ts";
import { ensembleSamplerAsync } from "../src/optimize/ensembleSampler.ts";
import { objectiveFromProblemFile } from "../src/fit/problem.ts";
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

export async function benchInference(): Promise<Record<string, Timing | number | string>> {
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
  const walkers = 64;
  const steps = 300;
  const rates: Record<string, number> = {};
  for (const threads of [1, 2]) {
    const started = process.hrtime.bigint();
    await ensembleSamplerAsync(mcmcObjective, {
      walkers,
      steps,
      burn: 0,
      seed: 1,
      start: { kind: "ball", spread: 1e-3 },
      threads,
      worker: { module: path.resolve(import.meta.dirname, "../src/fit/problem.ts"), export: "objectiveFromProblemFile", spec: { file: problemFile } },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates[`mcmc_walker_steps_per_s_${threads}_thread${threads > 1 ? "s" : ""}`] = (walkers * steps) / seconds;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    kernel_2layers_200q_us: kernel,
    log_posterior_2layers_200q_us: likelihood,
    likelihood_over_kernel: likelihood.minUs / kernel.minUs,
    likelihood_over_kernel_median: likelihood.medianUs / kernel.medianUs,
    ...rates,
  };
}
