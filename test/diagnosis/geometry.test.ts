/**
 * Issue 7 acceptance, geometry inside `strata diagnose`: a simulated X-ray campaign
 * measured with a sample angle offset of 0.005° and a 0.1 mm (FWHM, Gaussian) beam
 * over-illuminating at low angles on a 20 mm sample, curves not footprint-corrected.
 * The manifest declares the offset unknown (prior sd 0.01°) and the curves uncorrected:
 * the diagnosis fits the shared offset and applies the footprint factor, recovering the
 * offset, the growth rate and the thickness within their intervals. The same data with
 * the geometry left out of the manifest give a biased, flagged diagnosis.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { simulateCampaign } from "../../src/campaign/simulate.ts";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { diagnoseCampaign } from "../../src/diagnosis/diagnose.ts";
import { scenarioFor, TRUE_PARAMETERS } from "./helpers.ts";

const TRUE_OFFSET_DEG = 0.005;
/** The simulated interphase roughness (DEFAULT_STACK), Å. */
const TRUE_ROUGHNESS_A = 6;
/** A bias in the last thickness that no one would call noise, Å. */
const BLIND_BIAS_MIN_A = 5;
const MCMC = { walkers: 16, steps: 250, burn: 100, threads: 1 };

interface IntervalJson {
  median: number;
  lo95: number;
  hi95: number;
}
interface CellJson {
  shared: Record<string, IntervalJson>;
  growth: Record<string, { parameters: Record<string, IntervalJson> }>;
  timeline: { layers: Record<string, { thickness_A: IntervalJson; roughness_A: IntervalJson }> }[];
  quality: { level: string; message: string }[];
}
const covers = (i: IntervalJson, x: number): boolean => i.lo95 <= x && x <= i.hi95;

describe("operando-cell geometry in the diagnosis (issue 7)", () => {
  it("recovers a 0.005° angle offset and the footprint of a 0.1 mm beam on 20 mm; ignoring them biases the result", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-geometry-"));
    try {
      const scenario = scenarioFor("linear", 3, {
        probe: "xray",
        beam: { flux_per_s: 1e11, height_mm: 0.1, width_mm: 0.2, profile: "gaussian" },
        geometry: { angleOffset_deg: TRUE_OFFSET_DEG, footprint: true },
      });
      const truth = simulateCampaign(scenario, dir) as { cells: Record<string, { scans: { thickness_A: number }[] }> };
      const lastTruth = truth.cells["A"].scans.at(-1)!.thickness_A;
      const aware = (await diagnoseCampaign(await loadCampaign(dir), { mode: "joint", laws: ["linear"], seed: 1, mcmc: MCMC })).json["cells"] as Record<string, CellJson>;
      const cell = aware["A"];
      expect(covers(cell.shared["angle_offset"], TRUE_OFFSET_DEG)).toBe(true);
      expect(covers(cell.growth["SEI"].parameters["k"], TRUE_PARAMETERS.linear["k"])).toBe(true);
      expect(covers(cell.timeline.at(-1)!.layers["SEI"].thickness_A, lastTruth)).toBe(true);
      expect(covers(cell.timeline.at(-1)!.layers["SEI"].roughness_A, TRUE_ROUGHNESS_A)).toBe(true);
      expect(cell.quality.some((q) => /reduced χ²/.test(q.message))).toBe(false);

      // the same data, the geometry left out of the manifest
      const file = path.join(dir, "campaign.json");
      const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { cells: { geometry: Record<string, unknown> }[] };
      delete manifest.cells[0].geometry["angleOffset_deg"];
      delete manifest.cells[0].geometry["footprintCorrected"];
      fs.writeFileSync(file, JSON.stringify(manifest));
      const blind = ((await diagnoseCampaign(await loadCampaign(dir), { mode: "joint", laws: ["linear"], seed: 1, mcmc: MCMC })).json["cells"] as Record<string, CellJson>)["A"];
      const thickness = blind.timeline.at(-1)!.layers["SEI"].thickness_A;
      // (the blind fit is so far off that its interval is hundreds of Å wide: compare medians)
      expect(Math.abs(thickness.median - lastTruth)).toBeGreaterThan(BLIND_BIAS_MIN_A);
      expect(covers(blind.timeline.at(-1)!.layers["SEI"].roughness_A, TRUE_ROUGHNESS_A)).toBe(false);
      expect(blind.quality.some((q) => /reduced χ²/.test(q.message))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
