/**
 * The two-stage population sampler runs until mixed (issue 13 part 3): a Gibbs chain of
 * too few sweeps is extended until every reported draw — population median, log-sd and
 * each cell's partially pooled value — has ESS ≥ 400 and the chain ≥ 50 τ; every interval
 * carries its τ (sweeps) and ESS; the sweep cap stops it with a warning naming both. The
 * τ and ESS reported are checked against the estimator applied here to the returned draws.
 */
import { describe, expect, it } from "vitest";
import { createRandom } from "../core/random.ts";
import { integratedAutocorrelationTime } from "../optimize/autocorrelation.ts";
import { twoStagePopulation, type CellChain } from "./populationMcmc.ts";

/** Six cells whose stage-1 draws of ln k are N(y_c, 0.15²), y_c scattered by 0.2 around ln 8e-4. */
function cells(seed: number): CellChain[] {
  const random = createRandom(`mixing:${seed}`);
  return Array.from({ length: 6 }, (_, j): CellChain => {
    const y = Math.log(8e-4) + 0.2 * random.normal();
    return { cell: String.fromCharCode(65 + j), rows: Float64Array.from({ length: 2000 }, () => Math.exp(y + 0.15 * random.normal())), count: 2000, width: 1 };
  });
}
const K = [{ name: "k", unit: "Å/s", column: 0 }];
const MIN_ESS = 400;
const TAU_FACTOR = 50;

describe("twoStagePopulation until mixed", () => {
  it("extends a 100-sweep chain until every reported draw has ESS ≥ 400 and ≥ 50 τ", () => {
    const result = twoStagePopulation(K, cells(1), { seed: 1, iterations: 100, burn: 200, maxIterations: 20000 });
    const { sampling } = result;
    console.log(`population Gibbs: 100 sweeps asked, ${sampling.iterations} kept after ${sampling.extensions} extensions; τ ≤ ${sampling.maxTau.tau.toFixed(1)} sweeps (${sampling.maxTau.name}), ESS ≥ ${sampling.minEssReached.ess.toFixed(0)}`);
    expect(sampling).toMatchObject({ mixed: true, minEss: MIN_ESS, tauFactor: TAU_FACTOR });
    expect(sampling.extensions).toBeGreaterThan(0);
    expect(sampling.iterations).toBeGreaterThan(100);
    expect(result.rowIndices[0]).toHaveLength(sampling.iterations);
    const parameter = result.parameters[0];
    const intervals = [parameter.populationMedian, parameter.logSd, ...parameter.perCell.map((c) => c.partialPooling)];
    for (const interval of intervals) {
      expect(interval.ess).toBeGreaterThanOrEqual(MIN_ESS);
      expect(sampling.iterations).toBeGreaterThanOrEqual(TAU_FACTOR * interval.tau);
      expect(interval.ess).toBeCloseTo(sampling.iterations / interval.tau, 9);
    }
    // the cell's reported τ is that of its pooled draws, recomputed here from the returned rows
    const rows = cells(1)[2].rows;
    const pooled = Float64Array.from(result.rowIndices[2], (r) => rows[r]);
    expect(parameter.perCell[2].partialPooling.tau).toBeCloseTo(integratedAutocorrelationTime(pooled), 9);
    expect(sampling.maxTau.tau).toBe(Math.max(...intervals.map((i) => i.tau)));
    expect(sampling.warnings.filter((w) => /did not mix/.test(w))).toEqual([]);
  });

  it("stops at maxIterations with a warning naming τ and ESS", () => {
    const result = twoStagePopulation(K, cells(2), { seed: 2, iterations: 100, burn: 200, maxIterations: 150 });
    expect(result.sampling).toMatchObject({ mixed: false, iterations: 150 });
    const warning = result.sampling.warnings.find((w) => /did not mix/.test(w));
    expect(warning).toContain(`did not mix within 150 sweeps: τ up to ${result.sampling.maxTau.tau.toPrecision(3)} sweeps (${result.sampling.maxTau.name})`);
    expect(() => twoStagePopulation(K, cells(2), { iterations: 100, maxIterations: 50 })).toThrow(/population\.maxIterations/);
    expect(() => twoStagePopulation(K, cells(2), { minEss: -1 })).toThrow(/population\.minEss/);
  });
});
