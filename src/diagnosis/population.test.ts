/**
 * diagnosis/population against its own generative model: cells' log-parameters drawn
 * from N(μ, τ²), each cell's posterior draws N(ln θ_c, s_c²) around a noisy estimate.
 * Seeded coverage of τ and μ, pooling narrows every cell, limits (τ → 0 favours
 * complete pooling; very different cells favour no/partial pooling).
 */
import { describe, expect, it } from "vitest";
import { createRandom } from "../core/random.ts";
import { ValidationError } from "../core/errors.ts";
import { populationModel, type CellDraws } from "./population.ts";

const COVERAGE_SEEDS = 200;
/** 95 % intervals: coverage within ±3.5 binomial sd of 0.95 over COVERAGE_SEEDS, and never below 0.9 */
const COVERAGE_MIN = 0.9;

type SimulatedCell = CellDraws & { truth: number };

function simulateCells(seed: number, J: number, mu: number, tau: number, s: number): SimulatedCell[] {
  const random = createRandom(`population:${seed}`);
  return Array.from({ length: J }, (_, j) => {
    const truth = mu + tau * random.normal();
    const estimate = truth + s * random.normal();
    return { cell: String.fromCharCode(65 + j), draws: Float64Array.from({ length: 2000 }, () => Math.exp(estimate + s * random.normal())), truth: Math.exp(truth) };
  });
}

describe("populationModel (log-normal hierarchy across cells)", () => {
  it(`covers the population log-sd and median at ≥ ${COVERAGE_MIN * 100} % over ${COVERAGE_SEEDS} seeded 6-cell populations`, () => {
    let tauCovered = 0;
    let muCovered = 0;
    let cellsCovered = 0;
    let cellCount = 0;
    let narrower = 0;
    let widthRatio = 0;
    for (let seed = 0; seed < COVERAGE_SEEDS; seed++) {
      const cells = simulateCells(seed, 6, Math.log(8e-4), 0.2, 0.02);
      const result = populationModel("k", "Å/s", cells, seed);
      if (result.logSd.lo95 <= 0.2 && 0.2 <= result.logSd.hi95) tauCovered++;
      if (result.populationMedian.lo95 <= 8e-4 && 8e-4 <= result.populationMedian.hi95) muCovered++;
      result.perCell.forEach((c, j) => {
        const truth = cells[j].truth;
        cellCount++;
        if (c.partialPooling.lo95 <= truth && truth <= c.partialPooling.hi95) cellsCovered++;
        const ratio = (c.partialPooling.hi95 - c.partialPooling.lo95) / (c.noPooling.hi95 - c.noPooling.lo95);
        widthRatio += ratio;
        if (ratio < 1) narrower++;
      });
    }
    expect(tauCovered / COVERAGE_SEEDS).toBeGreaterThanOrEqual(COVERAGE_MIN);
    expect(muCovered / COVERAGE_SEEDS).toBeGreaterThanOrEqual(COVERAGE_MIN);
    expect(cellsCovered / cellCount).toBeGreaterThanOrEqual(COVERAGE_MIN);
    console.log(`population: τ covered ${tauCovered}/${COVERAGE_SEEDS}, μ ${muCovered}/${COVERAGE_SEEDS}, cells ${cellsCovered}/${cellCount}; partial pooling narrower in ${narrower}/${cellCount} cells, mean width ratio ${(widthRatio / cellCount).toFixed(4)}`);
    // measured well (s = 0.02 against τ = 0.2), cells gain little from pooling; an outlying cell can
    // even widen a little (how far to shrink it is uncertain), but on average pooling narrows
    expect(widthRatio / cellCount).toBeLessThan(1);
  });

  it("cells measured about as precisely as they differ (s = τ): pooling narrows the cells' intervals clearly", () => {
    let ratio = 0;
    let count = 0;
    for (let seed = 0; seed < 20; seed++) {
      for (const c of populationModel("k", "Å/s", simulateCells(1000 + seed, 6, Math.log(8e-4), 0.2, 0.2), seed).perCell) {
        ratio += Math.log(c.partialPooling.hi95 / c.partialPooling.lo95) / Math.log(c.noPooling.hi95 / c.noPooling.lo95);
        count++;
      }
    }
    expect(ratio / count).toBeLessThan(0.9);
  });

  it("identical cells: τ near 0, complete or partial pooling beats no pooling, and pooling shrinks intervals a lot", () => {
    const cells = simulateCells(1, 6, Math.log(1e-3), 0, 0.2);
    const result = populationModel("k", "Å/s", cells, 1);
    expect(result.logSd.median).toBeLessThan(0.2);
    expect(result.comparison[result.comparison.length - 1].model).toBe("no pooling");
    for (const c of result.perCell) expect(c.partialPooling.hi95 / c.partialPooling.lo95).toBeLessThan(0.8 * (c.noPooling.hi95 / c.noPooling.lo95));
  });

  it("very different, precisely measured cells: no pooling beats complete pooling, and pooling barely moves each cell", () => {
    const cells = simulateCells(2, 6, Math.log(1e-3), 1, 0.005);
    const result = populationModel("k", "Å/s", cells, 2);
    const score = (model: string): number => result.comparison.find((c) => c.model === model)!.elpd;
    expect(score("no pooling")).toBeGreaterThan(score("complete pooling"));
    expect(score("partial pooling")).toBeGreaterThan(score("complete pooling"));
    for (const c of result.perCell) expect(Math.abs(c.partialPooling.median / c.noPooling.median - 1)).toBeLessThan(0.01);
  });

  it("refuses one cell and non-positive draws", () => {
    expect(() => populationModel("k", "Å/s", [{ cell: "A", draws: Float64Array.of(1, 2) }])).toThrow(ValidationError);
    expect(() => populationModel("k", "Å/s", [{ cell: "A", draws: Float64Array.of(1, 2) }, { cell: "B", draws: Float64Array.of(1, -2) }])).toThrow(/positive and finite/);
  });
});
