import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { globalStart, ALTERNATIVE_DELTA_CHI2 } from "./globalStart.ts";
import { seriesObjective, seriesScales } from "./seriesModel.ts";
import { cellInput } from "./diagnose.ts";
import { startingAt } from "./fitSeries.ts";
import { levenbergMarquardt } from "../optimize/levenbergMarquardt.ts";
import type { FitObjective } from "../optimize/objective.ts";
import { simulateCampaign } from "../simulation/simulate.ts";
import { loadCampaign } from "../campaign/campaign.ts";
import { xrayElectrolyteScenario } from "../../test/diagnosis/families.ts";

/** A converged fit of a scan with counting errors: reduced χ² within this of 1 (140 points: 2σ of χ²/N is 0.24). */
const GOOD_REDUCED_CHI2 = 1.5;
/** The Cu film thickness found within this of the truth (Å; its standard error is ≈ 0.1 Å). */
const CU_THICKNESS_TOLERANCE_A = 1;

/** r(x) = 10(x² − 1), r(y) = y − 0.3: two exact minima x = ±1 of χ² 0 (closed form). */
function twoBasins(): FitObjective {
  const residuals = (t: Float64Array, out = new Float64Array(2)): Float64Array => {
    out[0] = 10 * (t[0] * t[0] - 1);
    out[1] = t[1] - 0.3;
    return out;
  };
  const chi2 = (t: Float64Array): number => {
    const r = residuals(t);
    return r[0] * r[0] + r[1] * r[1];
  };
  return {
    names: ["x", "y"],
    lower: Float64Array.from([-2, -1]),
    upper: Float64Array.from([2, 1]),
    nResiduals: 2,
    initial: () => Float64Array.from([0.1, 0]),
    residuals,
    logPrior: () => 0,
    logLikelihood: (t) => -0.5 * chi2(t),
    logPosterior: (t) => -0.5 * chi2(t),
  };
}

describe("global start of a series (issue 13 part 1)", () => {
  it("keeps both of two equally good basins (x = ±1) as distinct optima", () => {
    const result = globalStart(twoBasins(), { seed: 3 });
    expect(result.basins).toHaveLength(2);
    const xs = result.basins.map((b) => b.values[0]).sort((a, b) => a - b);
    expect(xs[0]).toBeCloseTo(-1, 6);
    expect(xs[1]).toBeCloseTo(1, 6);
    for (const b of result.basins) expect(b.chi2).toBeLessThan(ALTERNATIVE_DELTA_CHI2);
  });

  it("finds the true basin of a through-electrolyte X-ray scan whose Cu film is off its nominal thickness, where LM from nominal does not", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-global-"));
    try {
      const truth = simulateCampaign(xrayElectrolyteScenario(2, "linear"), dir) as unknown as { cells: { A: { stack: { name: string; thickness_A?: number }[] } } };
      const campaign = await loadCampaign(dir);
      const input = cellInput(campaign, campaign.cells[0], "xray", { energy_keV: 17.48 });
      const series = input.series;
      const objective = seriesObjective({ ...series, scans: [series.scans[0]] }, { kind: "free" }, seriesScales(series, 10), {}).objective;
      const n = objective.nResiduals;
      const local = levenbergMarquardt(objective, { maxEvaluations: 1500 });
      expect(local.chi2 / n).toBeGreaterThan(GOOD_REDUCED_CHI2);
      const result = globalStart(startingAt(objective, objective.initial()), { seed: 1 });
      const best = result.basins[0];
      expect(best.chi2 / n).toBeLessThan(GOOD_REDUCED_CHI2);
      const trueCu = truth.cells.A.stack.find((l) => l.name === "Cu")!.thickness_A!;
      expect(Math.abs(best.values[objective.names.indexOf("Cu_thickness")] - trueCu)).toBeLessThan(CU_THICKNESS_TOLERANCE_A);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
