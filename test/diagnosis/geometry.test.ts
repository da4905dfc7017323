/**
 * Issue 7 acceptance, geometry inside `strata diagnose`: a simulated X-ray campaign
 * measured with a sample angle offset of 0.005° and a 0.1 mm (FWHM, Gaussian) beam
 * over-illuminating at low angles on a 20 mm sample, curves not footprint-corrected.
 * The manifest declares the offset unknown (prior sd 0.01°) and the curves uncorrected:
 * the diagnosis fits the shared offset and applies the footprint factor, recovering the
 * offset, the growth rate and the thickness within their intervals. The same data with
 * the geometry left out of the manifest give a biased, flagged diagnosis.
 * The thin-layer cell's height offset, attenuation and film background are in
 * geometryThinLayer.test.ts (calibration project only).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { diagnoseCampaign } from "../../src/diagnosis/diagnose.ts";
import { scenarioFor, TRUE_PARAMETERS } from "./helpers.ts";
import { coverageThreshold, FULL_CALIBRATION } from "../calibrationScale.ts";
import { covers, fmt, THIN_LAYER_STACK, type CellJson } from "./geometryFixtures.ts";

const TRUE_OFFSET_DEG = 0.005;
/** The simulated interphase roughness (DEFAULT_STACK), Å. */
const TRUE_ROUGHNESS_A = 6;
/** A bias in the last thickness that no one would call noise, Å. */
const BLIND_BIAS_MIN_A = 5;
const MCMC = { walkers: 16, steps: 250, burn: 100, threads: 1 };

/** Beam height (FWHM, Gaussian) of the footprint test, mm. */
const TRUE_BEAM_HEIGHT_MM = 0.1;
/** Six seeds under test:calibration, one in the default suite (npm test within 10 minutes). */
const FOOTPRINT_SEEDS = FULL_CALIBRATION ? [2, 4, 8, 10, 12, 14] : [2];
/** Covered in all but one of the six seeds under test:calibration; k of n at α = 1 % (1 of 2) in the default suite. */
const FOOTPRINT_MIN_COVERED = FULL_CALIBRATION ? FOOTPRINT_SEEDS.length - 1 : coverageThreshold(FOOTPRINT_SEEDS.length, 0.95);


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

  it(`fits the footprint's beam height when the manifest gives it with an uncertainty (declared 0.13 ± 0.03 mm, true 0.1 mm), ${FOOTPRINT_SEEDS.length} seeds`, async () => {
    let heightCovered = 0;
    let kCovered = 0;
    let thicknessCovered = 0;
    for (const seed of FOOTPRINT_SEEDS) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-footprint-"));
      try {
        const scenario = scenarioFor("linear", seed, {
          probe: "xray",
          beam: { flux_per_s: 1e11, height_mm: TRUE_BEAM_HEIGHT_MM, width_mm: 0.2, profile: "gaussian" },
          geometry: { footprint: true, declaredBeamHeight_mm: 0.13, beamHeightSd_mm: 0.03 },
        });
        const truth = simulateCampaign(scenario, dir) as { cells: Record<string, { scans: { thickness_A: number }[] }> };
        const cell = ((await diagnoseCampaign(await loadCampaign(dir), { mode: "joint", laws: ["linear"], seed: 1, damage: "off", mcmc: MCMC })).json["cells"] as Record<string, CellJson>)["A"];
        console.log(`footprint, seed ${seed}: beam height ${fmt(cell.shared["beam_height"])} mm (true ${TRUE_BEAM_HEIGHT_MM}), k ${fmt(cell.growth["SEI"].parameters["k"])}`);
        if (covers(cell.shared["beam_height"], TRUE_BEAM_HEIGHT_MM)) heightCovered++;
        if (covers(cell.growth["SEI"].parameters["k"], TRUE_PARAMETERS.linear["k"])) kCovered++;
        if (covers(cell.timeline.at(-1)!.layers["SEI"].thickness_A, truth.cells["A"].scans.at(-1)!.thickness_A)) thicknessCovered++;
        // the data pin the height far more tightly than the manifest's ± 0.03 mm
        expect(cell.shared["beam_height"].hi95 - cell.shared["beam_height"].lo95).toBeLessThan(0.01);
        expect(cell.quality.some((q) => /did not converge|reduced χ²/.test(q.message))).toBe(false);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    // 95 % intervals: ≥ 5 of 6 (P(≤ 4 of 6) = 3 % for a calibrated interval)
    expect(heightCovered).toBeGreaterThanOrEqual(FOOTPRINT_MIN_COVERED);
    expect(kCovered).toBeGreaterThanOrEqual(FOOTPRINT_MIN_COVERED);
    expect(thicknessCovered).toBeGreaterThanOrEqual(FOOTPRINT_MIN_COVERED);
  }, 900_000);
});

describe("geometry bad input (issue 7)", () => {
  it("a window without composition: the attenuation correction is named as not computable, and the diagnosis continues without it and flags it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-thinlayer-bad-"));
    try {
      const scenario = scenarioFor("linear", 6, {
        probe: "xray",
        stack: THIN_LAYER_STACK,
        scans: { count: 4, interval_s: 2700, exposure_s: 300, qMin: 0.012, qMax: 0.28, points: 80, dqOverQ_fwhm: 0.05, incident: 2e6, background: 0 },
        geometry: { beamEntry: "through-window", windows: [{ name: "Kapton", material: { formula: "C22H10N2O5", density: 1.42 }, thickness_um: 8 }], electrolytePath_mm: 0.005, attenuation: true },
      });
      simulateCampaign(scenario, dir);
      const file = path.join(dir, "campaign.json");
      const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { cells: { windows: { material: Record<string, unknown> }[] }[] };
      manifest.cells[0].windows[0].material = { xray: { sld: 13.4, isld: 0.01 } };
      fs.writeFileSync(file, JSON.stringify(manifest));
      const diagnosis = await diagnoseCampaign(await loadCampaign(dir), { mode: "joint", laws: ["linear"], seed: 1, damage: "off", mcmc: { walkers: 16, steps: 60, burn: 30, threads: 1, minEss: 0, tauFactor: 0 } });
      const cell = (diagnosis.json["cells"] as Record<string, CellJson>)["A"];
      const flag = cell.quality.find((q) => /attenuation correction cannot be computed/.test(q.message));
      expect(flag?.level).toBe("warning");
      expect(flag?.message).toMatch(/cells\[0\]\.windows\[0\]\.material has no composition \(formula and density\) for window "Kapton".*; the curves are fitted as if corrected for it/);
      expect(flag?.message).not.toContain("\n");
      expect(cell.shared["attenuation_factor"]).toBeUndefined();
      expect(Number.isFinite(cell.growth["SEI"].parameters["k"].median)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
