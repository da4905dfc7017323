/**
 * diagnosis/populationMcmc, the two-stage joint sampler of the hierarchy:
 * - agreement with the exact grid solution (diagnosis/population) where that solution is
 *   exact (cells' posteriors normal in ln θ under a flat prior in ln θ);
 * - seeded calibration against its generative model with the diagnosis's stage-1 prior,
 *   uniform in θ, where each cell's posterior of ln θ is N(y + s², s²) and the sampler must
 *   divide that prior out (the 1/θ of the log-normal density);
 * - whole rows move together: a second parameter carried in the rows follows the first;
 * - bad input.
 */
import { describe, expect, it } from "vitest";
import { createRandom } from "../core/random.ts";
import { ValidationError } from "../core/errors.ts";
import { populationModel } from "./population.ts";
import { twoStagePopulation, type CellChain } from "./populationMcmc.ts";
import { TWO_STAGE_GRID_AGREEMENT } from "../../test/tolerances.ts";

const COVERAGE_SEEDS = 100;
/** 95 % intervals over COVERAGE_SEEDS seeds: binomial sd ≈ 2.2 %, so ≥ 90 % */
const COVERAGE_MIN = 0.9;
const DRAWS = 3000;

/** Stage-1 chains of J cells, one column (θ), from ln θ_c ~ N(μ, τ²), an estimate y_c ~ N(ln θ_c, s²), and draws of ln θ from N(y_c + shift, s²). */
function chains(seed: number, J: number, mu: number, tau: number, s: number, shift: number): { cells: CellChain[]; truth: number[] } {
  const random = createRandom(`two-stage:${seed}`);
  const truth: number[] = [];
  const cells = Array.from({ length: J }, (_, j): CellChain => {
    const logTheta = mu + tau * random.normal();
    truth.push(Math.exp(logTheta));
    const y = logTheta + s * random.normal();
    return { cell: String.fromCharCode(65 + j), rows: Float64Array.from({ length: DRAWS }, () => Math.exp(y + shift + s * random.normal())), count: DRAWS, width: 1 };
  });
  return { cells, truth };
}

const K = [{ name: "k", unit: "Å/s", column: 0 }];

describe("twoStagePopulation (hierarchy sampled jointly with the cells' own draws)", () => {
  it(`agrees with the exact grid solution within ${TWO_STAGE_GRID_AGREEMENT} of the 95 % width where that solution is exact`, () => {
    let worst = 0;
    for (const [seed, s] of [
      [1, 0.02],
      [2, 0.1],
      [3, 0.2],
    ] as const) {
      const { cells } = chains(seed, 6, Math.log(8e-4), 0.2, s, 0);
      const grid = populationModel("k", "Å/s", cells.map((c) => ({ cell: c.cell, draws: Float64Array.from(c.rows) })), seed);
      const mcmc = twoStagePopulation(K, cells, { seed, stageOnePrior: "log-uniform" }).parameters[0];
      const off = (a: { median: number; lo95: number; hi95: number }, b: typeof a): number =>
        Math.max(Math.abs(a.median - b.median), Math.abs(a.lo95 - b.lo95), Math.abs(a.hi95 - b.hi95)) / (b.hi95 - b.lo95);
      const errors = [off(mcmc.logSd, grid.logSd), off(mcmc.populationMedian, grid.populationMedian), ...mcmc.perCell.map((c, j) => off(c.partialPooling, grid.perCell[j].partialPooling))];
      worst = Math.max(worst, ...errors);
      console.log(`s = ${s}: τ ${mcmc.logSd.median.toFixed(4)} [${mcmc.logSd.lo95.toFixed(4)}, ${mcmc.logSd.hi95.toFixed(4)}] vs grid ${grid.logSd.median.toFixed(4)} [${grid.logSd.lo95.toFixed(4)}, ${grid.logSd.hi95.toFixed(4)}]; worst offset ${Math.max(...errors).toFixed(4)} of the width`);
    }
    expect(worst).toBeLessThan(TWO_STAGE_GRID_AGREEMENT);
  });

  it(`with the diagnosis's uniform-in-θ stage-1 prior, covers τ, the population median and every cell at ≥ ${COVERAGE_MIN * 100} % over ${COVERAGE_SEEDS} seeds`, () => {
    const mu = Math.log(8e-4);
    const tau = 0.2;
    const s = 0.15;
    let tauCovered = 0;
    let muCovered = 0;
    let cellsCovered = 0;
    let cellCount = 0;
    let narrower = 0;
    for (let seed = 0; seed < COVERAGE_SEEDS; seed++) {
      // the posterior of ln θ under a prior uniform in θ is N(y + s², s²)
      const { cells, truth } = chains(seed, 6, mu, tau, s, s * s);
      const result = twoStagePopulation(K, cells, { seed, iterations: 6000, burn: 1000 }).parameters[0];
      if (result.logSd.lo95 <= tau && tau <= result.logSd.hi95) tauCovered++;
      if (result.populationMedian.lo95 <= Math.exp(mu) && Math.exp(mu) <= result.populationMedian.hi95) muCovered++;
      result.perCell.forEach((c, j) => {
        cellCount++;
        if (c.partialPooling.lo95 <= truth[j] && truth[j] <= c.partialPooling.hi95) cellsCovered++;
        if (c.partialPooling.hi95 - c.partialPooling.lo95 < c.noPooling.hi95 - c.noPooling.lo95) narrower++;
      });
    }
    console.log(`two-stage: τ covered ${tauCovered}/${COVERAGE_SEEDS}, median ${muCovered}/${COVERAGE_SEEDS}, cells ${cellsCovered}/${cellCount}; partial pooling narrower in ${narrower}/${cellCount}`);
    expect(tauCovered / COVERAGE_SEEDS).toBeGreaterThanOrEqual(COVERAGE_MIN);
    expect(muCovered / COVERAGE_SEEDS).toBeGreaterThanOrEqual(COVERAGE_MIN);
    expect(cellsCovered / cellCount).toBeGreaterThanOrEqual(COVERAGE_MIN);
    expect(narrower / cellCount).toBeGreaterThan(0.5);
  }, 240_000); // 100 seeded samplers in one synchronous loop: 100 s on a machine running other work

  it("moves whole rows: a parameter carried in the rows without a population follows the pooled one", () => {
    // two columns: θ and L = 10 + 1000·θ (perfectly correlated in every cell's draws)
    const { cells } = chains(5, 6, Math.log(8e-4), 0.2, 0.1, 0);
    const wide = cells.map((c): CellChain => {
      const rows = new Float64Array(c.count * 2);
      for (let r = 0; r < c.count; r++) {
        rows[2 * r] = c.rows[r];
        rows[2 * r + 1] = 10 + 1000 * c.rows[r];
      }
      return { ...c, rows, width: 2 };
    });
    const result = twoStagePopulation(K, wide, { seed: 5, iterations: 4000 });
    wide.forEach((c, j) => {
      const pooledK = result.parameters[0].perCell[j].partialPooling.median;
      const carried = Float64Array.from(result.rowIndices[j], (r) => c.rows[2 * r + 1]).sort();
      expect(Math.abs(carried[carried.length >> 1] - (10 + 1000 * pooledK))).toBeLessThan(1e-9 + 1e-3 * (10 + 1000 * pooledK));
    });
    expect(result.sampling.cells.every((d) => d.acceptance > 0 && d.distinctRows > 100)).toBe(true);
    expect(result.sampling.warnings).toEqual([]);
  });

  it("flags a cell whose own draws barely reach the population", () => {
    const { cells } = chains(8, 6, Math.log(8e-4), 0.05, 0.01, 0);
    // a cell whose data barely constrain θ (ln θ spread over ±10) among precise, similar cells:
    // the population pulls it into a sliver of its own draws
    const random = createRandom("vague");
    const outlier: CellChain = { cell: "Z", rows: Float64Array.from({ length: DRAWS }, () => 8e-4 * Math.exp(10 * random.normal())), count: DRAWS, width: 1 };
    const result = twoStagePopulation(K, [...cells, outlier], { seed: 8, iterations: 4000 });
    const z = result.sampling.cells.find((d) => d.cell === "Z")!;
    console.log(`outlier cell: acceptance ${z.acceptance.toFixed(4)}, distinct rows ${z.distinctRows}`);
    expect(result.sampling.warnings.some((w) => w.startsWith("population: cell Z"))).toBe(true);
  });

  it("rejects one cell, an empty chain and non-positive draws", () => {
    const { cells } = chains(9, 2, 0, 0.2, 0.1, 0);
    expect(() => twoStagePopulation(K, cells.slice(0, 1))).toThrow(ValidationError);
    expect(() => twoStagePopulation(K, [cells[0], { ...cells[1], count: 1 }])).toThrow(/population\.B: needs at least 2 posterior draws/);
    const bad = Float64Array.from(cells[1].rows);
    bad[7] = -1e-5;
    expect(() => twoStagePopulation(K, [cells[0], { ...cells[1], rows: bad }])).toThrow(/population\.B\.k: draws must be positive and finite/);
  });
});
