/**
 * optimize/sharedPool and its users: the sampler and differential evolution give the same
 * run for every thread count (only the evaluation is spread; every draw stays in the calling
 * thread), and a worker that throws, dies or hangs fails the run with one line instead of
 * hanging it. Real worker threads, rebuilt from modules written here.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRandom } from "../core/random.ts";
import { curveObjective } from "./curveObjective.ts";
import { differentialEvolution, differentialEvolutionAsync } from "./differentialEvolution.ts";
import { ensembleSampler, ensembleSamplerAsync, startFromFit } from "./ensembleSampler.ts";
import { levenbergMarquardt } from "./levenbergMarquardt.ts";
import type { FitObjective } from "./objective.ts";
import { SharedEvaluator, defaultBlock } from "./sharedPool.ts";

/** A damped sine on 40 points: three parameters, a multimodal χ² in the frequency. */
interface SineSpec {
  x: number[];
  y: number[];
  sigma: number[];
}

function sineSpec(seed: number): SineSpec {
  const rng = createRandom(seed);
  const x = Array.from({ length: 40 }, (_, i) => i * 0.25);
  return { x, y: x.map((t) => 2 * Math.sin(1.3 * t) + 0.5 + 0.1 * rng.normal()), sigma: x.map(() => 0.1) };
}

function sineObjective(spec: SineSpec): FitObjective {
  return curveObjective({
    names: ["a", "w", "c"],
    x: Float64Array.from(spec.x),
    y: spec.y,
    sigma: spec.sigma,
    lower: [0, 0.1, -2],
    upper: [5, 3, 2],
    initial: [1.8, 1.25, 0.4],
    model: (t, xs: Float64Array, out) => {
      for (let i = 0; i < xs.length; i++) out[i] = t[0] * Math.sin(t[1] * xs[i]) + t[2];
    },
  });
}

/** The same objective as a worker module; `fault` makes the worker's copy (only) throw, exit or hang away from its initial point (where a worker warms up). */
function moduleSource(curveUrl: string, fault: "none" | "throw" | "exit" | "hang"): string {
  const faultCode = {
    none: "",
    throw: "throw new Error('worker objective failed\\nat a second line');",
    exit: "process.exit(3);",
    hang: "for (;;) {}",
  }[fault];
  return [
    `import { curveObjective } from ${JSON.stringify(curveUrl)};`,
    "export function makeSine(spec: { x: number[]; y: number[]; sigma: number[] }) {",
    "  const o = curveObjective({ names: ['a', 'w', 'c'], x: Float64Array.from(spec.x), y: spec.y, sigma: spec.sigma, lower: [0, 0.1, -2], upper: [5, 3, 2], initial: [1.8, 1.25, 0.4],",
    "    model: (t: Float64Array, xs: Float64Array, out: Float64Array) => { for (let i = 0; i < xs.length; i++) out[i] = t[0] * Math.sin(t[1] * xs[i]) + t[2]; } });",
    faultCode === "" ? "  return o;" : `  return { ...o, names: o.names, initial: () => o.initial(), residuals: (t: Float64Array, out: Float64Array) => { if (t[0] !== 1.8) { ${faultCode} } return o.residuals(t, out); }, logPosterior: (t: Float64Array) => { if (t[0] !== 1.8) { ${faultCode} } return o.logPosterior(t); } };`,
    "}",
  ].join("\n");
}

describe("shared-memory evaluation on worker threads", () => {
  let dir: string;
  const modules: Record<string, string> = {};
  const spec = sineSpec(21);
  const objective = sineObjective(spec);
  const fit = levenbergMarquardt(objective);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "strata-pool-"));
    const curveUrl = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "curveObjective.ts")).href;
    for (const fault of ["none", "throw", "exit", "hang"] as const) {
      modules[fault] = path.join(dir, `sine-${fault}.mts`);
      await writeFile(modules[fault], moduleSource(curveUrl, fault));
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives the identical chain on 1, 2 and 3 threads, with stretch, DE and independence moves and uneven blocks", async () => {
    const worker = { module: modules.none, export: "makeSine", spec };
    const stretch = { walkers: 22, steps: 40, burn: 10, seed: 5, start: startFromFit(fit) } as const;
    const serial = ensembleSampler(objective, stretch);
    for (const [threads, block] of [
      [2, undefined],
      [2, 1],
      [3, 4],
    ] as const) {
      const parallel = await ensembleSamplerAsync(objective, { ...stretch, threads, worker, ...(block !== undefined ? { block } : {}) });
      expect(parallel.chain).toEqual(serial.chain);
      expect(parallel.logProbabilities).toEqual(serial.logProbabilities);
      expect(parallel.acceptanceFraction).toEqual(serial.acceptanceFraction);
    }
    // the diagnosis's moves: DE with independence proposals from the fit, run until mixed
    const mixed = {
      walkers: 16,
      steps: 40,
      burn: 20,
      seed: 8,
      move: "de",
      independence: { fraction: 0.7, center: fit.values, covariance: fit.covariance, adapt: true },
      start: startFromFit(fit, 0.5),
      untilMixed: { minEss: 300 },
    } as const;
    const one = await ensembleSamplerAsync(objective, { ...mixed, threads: 1 });
    const two = await ensembleSamplerAsync(objective, { ...mixed, threads: 2, worker });
    expect(one.stepsRun).toBeGreaterThan(mixed.burn + mixed.steps);
    expect(two.stepsRun).toBe(one.stepsRun);
    expect(two.chain).toEqual(one.chain);
    expect(two.mixing.extensions).toBe(one.mixing.extensions);
  });

  it("gives the identical differential evolution on 1 and 2 threads (deferred updating), χ² and −log posterior", async () => {
    const worker = { module: modules.none, export: "makeSine", spec };
    for (const options of [
      { seed: 3, polish: false },
      { seed: 4, minimize: "negLogPosterior", maxEvaluations: 700, strategy: "rand1bin" },
    ] as const) {
      const serial = differentialEvolution(objective, { ...options, updating: "deferred" });
      const one = await differentialEvolutionAsync(objective, options);
      const two = await differentialEvolutionAsync(objective, { ...options, threads: 2, worker });
      expect(one.population).toEqual(serial.population);
      expect(two.population).toEqual(one.population);
      expect(two.populationEnergies).toEqual(one.populationEnergies);
      expect(two.values).toEqual(one.values);
      expect(two.evaluations).toBe(one.evaluations);
      expect(two.generations).toBe(one.generations);
    }
    await expect(differentialEvolutionAsync(objective, { threads: 2, worker, updating: "immediate" })).rejects.toThrow(/updating/);
    await expect(differentialEvolutionAsync(objective, { threads: 2 })).rejects.toThrow(/worker/);
  });

  it("evaluates batches of every size exactly as the calling thread does", async () => {
    const pool = await SharedEvaluator.create({ threads: 2, worker: { module: modules.none, export: "makeSine", spec }, names: objective.names, capacity: 50, kind: "logPosterior", block: 3 });
    try {
      const rng = createRandom(2);
      for (const count of [1, 7, 50]) {
        for (let i = 0; i < count * 3; i++) pool.positions[i] = [1 + rng.next(), 0.5 + rng.next(), rng.next() - 0.5][i % 3];
        const expected = Array.from({ length: count }, (_, k) => objective.logPosterior(pool.positions.slice(3 * k, 3 * k + 3)));
        const results = await pool.evaluate(count, (theta) => objective.logPosterior(theta));
        expect(Array.from(results)).toEqual(expected);
      }
    } finally {
      await pool.close();
    }
    expect(defaultBlock(32, 2)).toBe(1);
    expect(defaultBlock(1000, 2)).toBe(15);
    expect(defaultBlock(3, 2)).toBe(1);
  });

  it("fails with one line when a worker throws or exits, and takes over the blocks of a worker that hangs", async () => {
    const options = { walkers: 16, steps: 20, seed: 1, start: startFromFit(fit), block: 1 } as const;
    // the calling thread's copy is slow, so that the worker surely claims blocks
    const slow = (theta: Float64Array): number => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      return objective.logPosterior(theta);
    };
    const slowObjective: FitObjective = { ...objective, names: objective.names, initial: () => objective.initial(), residuals: (t, out) => objective.residuals(t, out), logPosterior: slow };
    const thrown = ensembleSamplerAsync(slowObjective, { ...options, threads: 2, worker: { module: modules.throw, export: "makeSine", spec } });
    await expect(thrown).rejects.toThrow(/^ensembleSampler: Error: worker objective failed at a second line$/);
    const exited = ensembleSamplerAsync(slowObjective, { ...options, threads: 2, worker: { module: modules.exit, export: "makeSine", spec } });
    await expect(exited).rejects.toThrow(/exited \(code 3\)/);
    const pool = await SharedEvaluator.create({ threads: 2, worker: { module: modules.hang, export: "makeSine", spec }, names: objective.names, capacity: 16, kind: "logPosterior", block: 1 });
    try {
      pool.positions.fill(1);
      // the worker claims a block and never finishes it: the calling thread takes it over
      for (let batch = 0; batch < 2; batch++) {
        const results = await pool.evaluate(16, slow);
        expect(Array.from(results)).toEqual(Array.from({ length: 16 }, () => objective.logPosterior(Float64Array.of(1, 1, 1))));
      }
      expect(pool.stats.stolenBlocks).toBeGreaterThanOrEqual(1);
      expect(pool.stats.localPoints).toBe(32);
    } finally {
      await pool.close();
    }
    await expect(
      SharedEvaluator.create({ threads: 2, worker: { module: modules.none, export: "missing", spec }, names: objective.names, capacity: 4, kind: "chi2" }),
    ).rejects.toThrow(/no exported function "missing"/);
  });
});
