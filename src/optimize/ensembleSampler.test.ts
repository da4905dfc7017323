import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../core/errors.ts";
import { createRandom } from "../core/random.ts";
import { MCMC_BIMODAL_MIN_FRACTION, MCMC_MEAN_SD_FRACTION, MCMC_SD_RTOL } from "../../test/tolerances.ts";
import { curveObjective } from "./curveObjective.ts";
import { ensembleSampler, ensembleSamplerAsync, flatSamples, startFromFit, usableProposalCovariance, writeSamples } from "./ensembleSampler.ts";
import { levenbergMarquardt } from "./levenbergMarquardt.ts";
import type { FitObjective } from "./objective.ts";

/** Straight-line data; with a flat prior the posterior of (a, b) is exactly Gaussian. */
function lineSpec(seed: number): { x: number[]; y: number[]; sigma: number[] } {
  const rng = createRandom(seed);
  const x = Array.from({ length: 15 }, (_, i) => i * 0.4);
  const sigma = x.map(() => 0.3);
  const y = x.map((xi) => 1 + 0.5 * xi + 0.3 * rng.normal());
  return { x, y, sigma };
}

function lineObjective(spec: { x: number[]; y: number[]; sigma: number[] }): FitObjective {
  return curveObjective({
    names: ["a", "b"],
    model: (t, xs: Float64Array, out) => {
      for (let i = 0; i < xs.length; i++) out[i] = t[0] + t[1] * xs[i];
    },
    x: Float64Array.from(spec.x),
    y: spec.y,
    sigma: spec.sigma,
    initial: [0, 0],
  });
}

/** Equal mixture of N(−3, 0.5²) and N(3, 0.5²) in x, times N(0, 1) in y, inside [−10, 10]². */
const bimodal: FitObjective = {
  names: ["x", "y"],
  lower: Float64Array.from([-10, -10]),
  upper: Float64Array.from([10, 10]),
  nResiduals: 1,
  initial: () => Float64Array.from([0, 0]),
  residuals: (_t, out) => out ?? new Float64Array(1),
  logPrior: (t) => (Math.abs(t[0]) <= 10 && Math.abs(t[1]) <= 10 ? 0 : -Infinity),
  logLikelihood: (t) => {
    const a = -0.5 * ((t[0] + 3) / 0.5) ** 2;
    const b = -0.5 * ((t[0] - 3) / 0.5) ** 2;
    const m = Math.max(a, b);
    return m + Math.log(Math.exp(a - m) + Math.exp(b - m)) - 0.5 * t[1] * t[1];
  },
  logPosterior(t) {
    const lp = this.logPrior(t);
    return lp === -Infinity ? lp : lp + this.logLikelihood(t);
  },
};

describe("ensembleSampler", () => {
  const spec = lineSpec(1);
  const objective = lineObjective(spec);
  const fit = levenbergMarquardt(objective, { scaleCovar: false });

  it("reproduces the mean and sd of a Gaussian posterior (seeded)", () => {
    const result = ensembleSampler(objective, { walkers: 32, burn: 500, steps: 4000, seed: 1, start: startFromFit(fit) });
    expect(result.status).toBe("completed");
    expect(result.warnings).toEqual([]);
    expect(result.meanAcceptanceFraction).toBeGreaterThan(0.3);
    expect(result.meanAcceptanceFraction).toBeLessThan(0.9);
    for (let j = 0; j < 2; j++) {
      const s = result.summaries[j];
      const sd = fit.stderrUnscaled[j];
      expect(Math.abs(s.mean - fit.values[j]) / sd).toBeLessThan(MCMC_MEAN_SD_FRACTION);
      expect(Math.abs(s.median - fit.values[j]) / sd).toBeLessThan(MCMC_MEAN_SD_FRACTION);
      expect(Math.abs(s.sd / sd - 1)).toBeLessThan(MCMC_SD_RTOL);
      expect(Math.abs((s.hi68 - s.lo68) / 2 / sd - 1)).toBeLessThan(MCMC_SD_RTOL);
      expect(Math.abs((s.hi95 - s.lo95) / 2 / (1.959964 * sd) - 1)).toBeLessThan(MCMC_SD_RTOL);
      expect(result.autocorrelationTime[j]).toBeGreaterThan(1);
      expect(result.autocorrelationTime[j]).toBeLessThan(4000 / 50);
    }
    expect(result.chain.length).toBe(4000 * 32 * 2);
    expect(result.logProbabilities.length).toBe(4000 * 32);
    expect(result.acceptanceFraction.length).toBe(32);
  });

  it("DE move: samples a correlated 5-D Gaussian exactly and mixes faster than the stretch move", () => {
    // N(μ, Σ) with Σ_ij = s_i·s_j·ρ^|i−j|, ρ = 0.9, scales spanning 4 decades
    const p = 5;
    const mu = [1, -2, 30, 0.5, 1e3];
    const sd = [0.1, 1, 5, 0.01, 20];
    const cov = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) cov[i * p + j] = sd[i] * sd[j] * 0.9 ** Math.abs(i - j);
    // precision matrix by Gauss–Jordan
    const a = Float64Array.from(cov);
    const inv = new Float64Array(p * p);
    for (let i = 0; i < p; i++) inv[i * p + i] = 1;
    for (let c = 0; c < p; c++) {
      const pivot = a[c * p + c];
      for (let j = 0; j < p; j++) { a[c * p + j] /= pivot; inv[c * p + j] /= pivot; }
      for (let r = 0; r < p; r++) {
        if (r === c) continue;
        const f = a[r * p + c];
        for (let j = 0; j < p; j++) { a[r * p + j] -= f * a[c * p + j]; inv[r * p + j] -= f * inv[c * p + j]; }
      }
    }
    const gaussian: FitObjective = {
      names: ["x0", "x1", "x2", "x3", "x4"],
      lower: new Float64Array(p).fill(-Infinity),
      upper: new Float64Array(p).fill(Infinity),
      nResiduals: 1,
      initial: () => Float64Array.from(mu),
      residuals: (_t, out) => out ?? new Float64Array(1),
      logPrior: () => 0,
      logLikelihood: (t) => {
        let q = 0;
        for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) q += (t[i] - mu[i]) * inv[i * p + j] * (t[j] - mu[j]);
        return -0.5 * q;
      },
      logPosterior(t) {
        return this.logLikelihood(t);
      },
    };
    const start = { kind: "covariance" as const, center: mu, covariance: cov, scale: 0.5 };
    const common = { walkers: 24, burn: 300, steps: 3000, seed: 5, start };
    const de = ensembleSampler(gaussian, { ...common, move: "de" });
    const stretch = ensembleSampler(gaussian, { ...common, move: "stretch" });
    for (let j = 0; j < p; j++) {
      const s = de.summaries[j];
      expect(Math.abs(s.mean - mu[j]) / sd[j]).toBeLessThan(MCMC_MEAN_SD_FRACTION);
      expect(Math.abs(s.sd / sd[j] - 1)).toBeLessThan(MCMC_SD_RTOL);
      expect(Math.abs((s.hi95 - s.lo95) / 2 / (1.959964 * sd[j]) - 1)).toBeLessThan(MCMC_SD_RTOL);
    }
    const worst = (r: typeof de): number => Math.max(...r.autocorrelationTime);
    console.log(`5-D Gaussian (ρ = 0.9): max τ stretch ${worst(stretch).toFixed(1)}, DE ${worst(de).toFixed(1)} steps; acceptance ${stretch.meanAcceptanceFraction.toFixed(2)} vs ${de.meanAcceptanceFraction.toFixed(2)}`);
    expect(worst(de)).toBeLessThan(worst(stretch));
    expect(() => ensembleSampler(gaussian, { ...common, move: { de: 2 } })).toThrow(ValidationError);

    // independence moves from the exact Laplace approximation: τ of a few steps
    const laplace = ensembleSampler(gaussian, { ...common, move: "de", independence: { fraction: 0.7, center: mu, covariance: cov } });
    // ... and from a deliberately wrong one (centre off by 1 sd, covariance without correlation, too narrow): still exact
    const wrongCov = new Float64Array(p * p);
    for (let i = 0; i < p; i++) wrongCov[i * p + i] = (0.5 * sd[i]) ** 2;
    const wrong = ensembleSampler(gaussian, { ...common, steps: 6000, move: "de", independence: { fraction: 0.5, center: mu.map((m, i) => m + sd[i]), covariance: wrongCov } });
    for (const r of [laplace, wrong]) {
      for (let j = 0; j < p; j++) {
        const s = r.summaries[j];
        expect(Math.abs(s.mean - mu[j]) / sd[j]).toBeLessThan(MCMC_MEAN_SD_FRACTION);
        expect(Math.abs(s.sd / sd[j] - 1)).toBeLessThan(MCMC_SD_RTOL);
      }
    }
    console.log(`with independence moves: max τ ${worst(laplace).toFixed(1)} steps (exact Laplace), ${worst(wrong).toFixed(1)} (wrong proposal)`);
    expect(worst(laplace)).toBeLessThan(worst(de) / 2);
  });

  it("finds both modes of a bimodal posterior", () => {
    const result = ensembleSampler(bimodal, { walkers: 64, burn: 300, steps: 2000, seed: 2, start: { kind: "uniform" } });
    const samples = flatSamples(result);
    let right = 0;
    let nearModes = 0;
    const count = samples.length / 2;
    for (let i = 0; i < count; i++) {
      const x = samples[2 * i];
      if (x > 0) right++;
      if (Math.abs(Math.abs(x) - 3) < 2) nearModes++;
    }
    expect(right / count).toBeGreaterThan(MCMC_BIMODAL_MIN_FRACTION);
    expect(1 - right / count).toBeGreaterThan(MCMC_BIMODAL_MIN_FRACTION);
    expect(nearModes / count).toBeGreaterThan(0.99);
  });

  it("warns when the chain is too short to estimate τ", () => {
    const result = ensembleSampler(objective, { walkers: 16, steps: 40, seed: 3, start: startFromFit(fit) });
    expect(result.warnings.some((w) => w.startsWith("chain too short to estimate τ reliably"))).toBe(true);
  });

  it("is deterministic for a seed, honours burn/thin, and stores float32 on request", () => {
    const options = { walkers: 8, burn: 10, steps: 25, thin: 5, seed: 4, start: startFromFit(fit) } as const;
    const a = ensembleSampler(objective, options);
    const b = ensembleSampler(objective, options);
    expect(a.chain).toEqual(b.chain);
    expect(a.keptSteps).toBe(5);
    expect(a.stepsRun).toBe(35);
    const c = ensembleSampler(objective, { ...options, precision: "float32" });
    expect(c.chain).toBeInstanceOf(Float32Array);
    expect(Float64Array.from(c.chain)).toEqual(Float64Array.from(Float32Array.from(a.chain)));
    const d = ensembleSampler(objective, { ...options, seed: 5 });
    expect(d.chain).not.toEqual(a.chain);
  });

  it("does not mutate the objective or the start positions", () => {
    const positions = Float64Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 1 : 0.5) + 0.01 * i);
    const copy = Float64Array.from(positions);
    ensembleSampler(objective, { walkers: 8, steps: 20, seed: 6, start: { kind: "positions", positions } });
    expect(positions).toEqual(copy);
    expect(objective.initial()).toEqual(Float64Array.from([0, 0]));
  });

  it("validates options and start positions", () => {
    expect(() => ensembleSampler(objective, { walkers: 7, steps: 10 })).toThrow(ValidationError);
    expect(() => ensembleSampler(objective, { walkers: 2, steps: 10 })).toThrow(/walkers/);
    const outside = Float64Array.from({ length: 16 }, () => 20);
    expect(() => ensembleSampler(bimodal, { walkers: 8, steps: 5, start: { kind: "positions", positions: outside } })).toThrow(
      /start\.positions\[0\]/,
    );
  });

  it("stops when the progress callback returns false", () => {
    const result = ensembleSampler(objective, { walkers: 8, steps: 100, seed: 7, progress: ({ step }) => step < 10 });
    expect(result.status).toBe("cancelled");
    expect(result.stepsRun).toBe(10);
    expect(result.keptSteps).toBe(10);
    expect(result.warnings.some((w) => w.startsWith("cancelled"))).toBe(true);
  });

  describe("writeSamples and workers", () => {
    let dir = "";
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "strata-mcmc-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("writes CSV and NPY samples", async () => {
      const result = ensembleSampler(objective, { walkers: 8, steps: 6, thin: 2, seed: 8, start: startFromFit(fit) });
      const csvPath = path.join(dir, "samples.csv");
      await writeSamples(csvPath, result);
      const lines = (await readFile(csvPath, "utf8")).trimEnd().split("\n");
      expect(lines[0]).toBe("a,b,log_posterior");
      expect(lines).toHaveLength(1 + 3 * 8);
      expect(Number(lines[1].split(",")[0])).toBe(result.chain[0]);
      const npyPath = path.join(dir, "samples.npy");
      await writeSamples(npyPath, result);
      const bytes = await readFile(npyPath);
      expect(bytes.subarray(0, 6).toString("latin1")).toBe("\x93NUMPY");
      const headerLength = bytes.readUInt16LE(8);
      expect((10 + headerLength) % 64).toBe(0);
      expect(bytes.subarray(10, 10 + headerLength).toString("latin1")).toContain("'shape': (24, 2)");
      expect(bytes.readDoubleLE(10 + headerLength)).toBe(result.chain[0]);
      expect(bytes.length).toBe(10 + headerLength + 24 * 2 * 8);
    });

    it("gives the same chain on two worker threads as serially", async () => {
      const moduleFile = path.join(dir, "lineObjective.mts");
      const curveUrl = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "curveObjective.ts")).href;
      await writeFile(
        moduleFile,
        [
          `import { curveObjective } from ${JSON.stringify(curveUrl)};`,
          "export function makeLine(spec: { x: number[]; y: number[]; sigma: number[] }) {",
          "  return curveObjective({ names: ['a', 'b'], x: Float64Array.from(spec.x), y: spec.y, sigma: spec.sigma, initial: [0, 0],",
          "    model: (t: Float64Array, xs: Float64Array, out: Float64Array) => { for (let i = 0; i < xs.length; i++) out[i] = t[0] + t[1] * xs[i]; } });",
          "}",
        ].join("\n"),
      );
      const options = { walkers: 16, steps: 30, seed: 9, start: startFromFit(fit) } as const;
      const serial = ensembleSampler(objective, options);
      const parallel = await ensembleSamplerAsync(objective, {
        ...options,
        threads: 2,
        worker: { module: moduleFile, export: "makeLine", spec },
      });
      expect(parallel.chain).toEqual(serial.chain);
      expect(parallel.logProbabilities).toEqual(serial.logProbabilities);
      await expect(ensembleSamplerAsync(objective, { ...options, threads: 2 })).rejects.toThrow(/worker/);
      await expect(
        ensembleSamplerAsync(objective, { ...options, threads: 2, worker: { module: moduleFile, export: "missing", spec } }),
      ).rejects.toThrow(/missing/);
    });
  });
});

describe("usableProposalCovariance (a least-squares covariance as the independence proposal's)", () => {
  it("accepts a positive-definite covariance and refuses a singular, non-finite or mis-sized one, as the sampler would", () => {
    // a covariance of rank 1: two parameters the data trade off exactly (seen in a diagnosis: x-ray seed 32 of bench/robustStudy.ts)
    const singular = Float64Array.of(1, 1, 1, 1);
    const positive = Float64Array.of(2, 0.5, 0.5, 1);
    expect(usableProposalCovariance(positive, 2)).toBe(true);
    expect(usableProposalCovariance(singular, 2)).toBe(false);
    expect(usableProposalCovariance(Float64Array.of(1, 0, 0, Number.NaN), 2)).toBe(false);
    expect(usableProposalCovariance(positive, 3)).toBe(false);
    // what the sampler does with the refused one: a one-line error naming the option
    const objective = { names: ["a", "b"], logPosterior: (x: ArrayLike<number>) => -0.5 * (x[0] * x[0] + x[1] * x[1]) } as unknown as Parameters<typeof ensembleSampler>[0];
    expect(() => ensembleSampler(objective, { walkers: 8, steps: 2, seed: 1, start: [0, 0], independence: { fraction: 0.5, center: [0, 0], covariance: Array.from(singular) } } as unknown as Parameters<typeof ensembleSampler>[1])).toThrow(/independence\.covariance/);
  });
});
