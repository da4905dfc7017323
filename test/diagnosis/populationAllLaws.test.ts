/**
 * Issue 13 part 4, the population always runs: 6 replicate neutron cells in a
 * potentiostatic hold whose parabolic kp is drawn log-normally (log-sd 0.2), every law
 * compared (the default). Alone the cells prefer charge, parabolic or mixed (the charge
 * law ties with the kinetic law behind the hold's current); the law is chosen by their
 * pooled evidence and kp's population is reported in every seed (under the pooled law or
 * as the best kinetic law beside the charge law), its log-sd's 95 % interval covering 0.2
 * in ≥ 90 % of seeds. Kind: statistics (Strata's simulator fitted by Strata's model).
 *
 * Calibration project only (vitest.config.ts CALIBRATION_ONLY): one seed costs 2–3 minutes
 * of CPU (six cells, every law, population MCMC), more than the default suite's 10-minute
 * budget can carry; `npm run test:calibration` (run by CI) runs its 6 seeds.
 */
import { describe, expect, it } from "vitest";
import { allLawsPopulationScenario, parabolicKpPopulation, REPLICATE_LOG_SD, simulateAndDiagnose } from "./helpers.ts";
import { coverageThreshold, FULL_CALIBRATION, seedCount } from "../calibrationScale.ts";

/** Issue 13's population acceptance (20 seeds in the issue): 6 seeds (≈ 45 s to 3 min a seed with six cells; CI runs every suite in 90 minutes). */
const ALL_LAWS_SEEDS = seedCount(6, 1);
/** The issue's ≥ 90 %. */
const COVERAGE_MIN = 0.9;
/** Reduced: k of n at α = 1 % for X ~ Binomial(n, 0.95) (calibrationScale.ts). */
const coverageMinCount = (n: number): number => (FULL_CALIBRATION ? Math.ceil(COVERAGE_MIN * n) : coverageThreshold(n, 0.95));
const TRUE_LOG_SD = REPLICATE_LOG_SD;


describe("population across cells that disagree on the law (issue 13 part 4)", () => {
  it(
    `6 neutron cells, parabolic kp with log-sd ${TRUE_LOG_SD}, every law compared: the population is fitted under the pooled law in every seed and kp's spread is reported, its 95 % interval covering the truth in ≥ ${coverageMinCount(ALL_LAWS_SEEDS)} of ${ALL_LAWS_SEEDS} seeds`,
    async () => {
      let covered = 0;
      const lines: string[] = [];
      for (let seed = 1; seed <= ALL_LAWS_SEEDS; seed++) {
        const { diagnosis } = await simulateAndDiagnose(allLawsPopulationScenario(seed), { mcmc: { walkers: 16, steps: 250, burn: 100, threads: 1 } });
        const population = diagnosis.population!;
        expect(population.fitted).toBe(true);
        const choice = population.lawChoice!;
        // each cell's own preference is shown beside the pooled choice
        expect(choice.cells.map((c) => c.cell)).toEqual(diagnosis.cells.map((c) => c.id));
        for (const c of choice.cells) expect(c.ownLaw).toBe(diagnosis.cells.find((d) => d.id === c.cell)!.diagnosis.detail.bestLaw);
        expect(population.law).toBe(choice.pooled[0].law);
        const kp = parabolicKpPopulation(population);
        lines.push(`seed ${seed}: pooled ${choice.pooled.slice(0, 3).map((p) => `${p.law} ${p.deltaIC.toFixed(2)}`).join(", ")}; alone ${choice.cells.map((c) => c.ownLaw).join(" ")}; kp log-sd ${kp ? `${kp.logSd.median.toFixed(3)} [${kp.logSd.lo95.toFixed(3)}, ${kp.logSd.hi95.toFixed(3)}]` : "not reported"}`);
        expect(kp, lines[lines.length - 1]).toBeDefined();
        if (kp!.logSd.lo95 <= TRUE_LOG_SD && TRUE_LOG_SD <= kp!.logSd.hi95) covered++;
      }
      console.log(`population under the pooled law: kp's log-sd covered in ${covered}/${ALL_LAWS_SEEDS}\n${lines.join("\n")}`);
      expect(covered).toBeGreaterThanOrEqual(coverageMinCount(ALL_LAWS_SEEDS));
    },
    3_600_000,
  );
});
