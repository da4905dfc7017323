/**
 * Issue 15 part 2: an interphase of unknown composition. The manifest gives the SEI by an
 * explicit SLD — a guess 1.0 × 10⁻⁶ Å⁻² off the truth, as a user's would be — and
 * `"fit": {"sld": {"min", "max"}}`; the diagnosis fits that SLD (shared by every scan, reported
 * with its interval under the cell's `shared` parameters) beside the growth law. With the SLD
 * held at the wrong guess instead, the same data are fitted worse and the SEI thickness is
 * biased. A bad `fit` block gets a one-line error naming the field.
 *
 * Kind: statistics on Strata's own simulator (a neutron campaign, parabolic growth: the SEI
 * is LiF at 2.3 g/cm³ in the simulation) fitted by Strata's model; the truth's SLD comes from
 * the materials tables (Sears scattering lengths), not from the fit. Reduced MCMC as the other
 * default statistics tests. Units: SLD 10⁻⁶ Å⁻², thickness Å.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { parseManifest, resolveMaterialSld } from "../../src/campaign/manifest.ts";
import { diagnoseCampaign } from "../../src/diagnosis/diagnose.ts";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { minimalNeutronManifest, REDUCED_MCMC, scenarioFor, TRUE_PARAMETERS, type CellSummaryJson } from "./helpers.ts";

/** The user's guess of the SEI's SLD is this far above the truth (10⁻⁶ Å⁻²). */
const GUESS_OFFSET = 1.0;
/** The declared search range around the guess (10⁻⁶ Å⁻²). */
const SLD_RANGE = { below: 3, above: 2 };
/** With the SLD held at the wrong guess, the SEI thickness at the last scan is off the truth by at least this (Å). */
const MIN_BIAS_A = 2;
async function diagnoseWith(dir: string, edit: (sei: Record<string, unknown>) => void): Promise<{ cell: CellSummaryJson; chi2: number }> {
  const file = path.join(dir, "campaign.json");
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { cells: { stack: Record<string, unknown>[] }[] };
  edit(manifest.cells[0].stack.find((l) => l["role"] === "interphase")!);
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
  const diagnosis = await diagnoseCampaign(await loadCampaign(dir), { mode: "joint", laws: ["parabolic"], seed: 1, mcmc: REDUCED_MCMC, damage: "off" });
  const cells = diagnosis.json["cells"] as Record<string, CellSummaryJson>;
  const cell = Object.values(cells)[0];
  return { cell, chi2: cell.fit.chi2 };
}

describe("an interphase of unknown composition (manifest fit.sld)", () => {
  it("fits the SEI's SLD from a wrong guess, covers the truth, and recovers the thickness the fixed guess biases", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-unknown-sld-"));
    try {
      const truth = simulateCampaign(scenarioFor("parabolic", 3), dir) as unknown as { cells: Record<string, { scans: { scan: string; thickness_A: number }[] }> };
      const manifest = parseManifest(JSON.parse(fs.readFileSync(path.join(dir, "campaign.json"), "utf8")), "campaign.json");
      expect(manifest.beam.probe).toBe("neutron");
      const sei = manifest.cells[0].stack.find((l) => l.role === "interphase")!;
      const trueSld = resolveMaterialSld(sei.material, manifest.beam);
      const guess = trueSld.sld + GUESS_OFFSET;
      const original = fs.readFileSync(path.join(dir, "campaign.json"), "utf8");

      const fitted = await diagnoseWith(dir, (layer) => {
        layer["material"] = { sld: guess, isld: trueSld.isld };
        layer["fit"] = { sld: { min: guess - SLD_RANGE.below, max: guess + SLD_RANGE.above } };
      });
      const sld = fitted.cell.shared?.["SEI_sld"];
      expect(sld, `shared parameters: ${Object.keys(fitted.cell.shared ?? {}).join(", ")}`).toBeDefined();
      expect(sld!.lo95, `SEI SLD [${sld!.lo95}, ${sld!.hi95}] against the truth ${trueSld.sld}`).toBeLessThanOrEqual(trueSld.sld);
      expect(sld!.hi95).toBeGreaterThanOrEqual(trueSld.sld);
      const kp = fitted.cell.growth["SEI"].parameters["kp"];
      expect(kp.lo95 <= TRUE_PARAMETERS.parabolic.kp && TRUE_PARAMETERS.parabolic.kp <= kp.hi95, `kp [${kp.lo95}, ${kp.hi95}] against ${TRUE_PARAMETERS.parabolic.kp}`).toBe(true);
      const trueScans = Object.values(truth.cells)[0].scans;
      const last = trueScans[trueScans.length - 1];
      const lastFitted = fitted.cell.timeline.find((t) => t.scan === last.scan)!.layers["SEI"].thickness_A;
      expect(lastFitted.lo95 <= last.thickness_A && last.thickness_A <= lastFitted.hi95, `last thickness [${lastFitted.lo95}, ${lastFitted.hi95}] against ${last.thickness_A}`).toBe(true);

      // the same data with the SLD held at the guess: a worse fit and a biased thickness
      fs.writeFileSync(path.join(dir, "campaign.json"), original);
      const held = await diagnoseWith(dir, (layer) => {
        layer["material"] = { sld: guess, isld: trueSld.isld };
      });
      expect(held.cell.shared?.["SEI_sld"]).toBeUndefined();
      expect(held.chi2).toBeGreaterThan(fitted.chi2);
      const lastHeld = held.cell.timeline.find((t) => t.scan === last.scan)!.layers["SEI"].thickness_A;
      expect(Math.abs(lastHeld.median - last.thickness_A), `held-SLD thickness ${lastHeld.median} against ${last.thickness_A}`).toBeGreaterThanOrEqual(MIN_BIAS_A);
      console.log(
        `unknown SLD: truth ${trueSld.sld.toFixed(3)}, guess ${guess.toFixed(3)}, fitted ${sld!.median.toFixed(3)} [${sld!.lo95.toFixed(3)}, ${sld!.hi95.toFixed(3)}]; ` +
          `last thickness truth ${last.thickness_A.toFixed(2)} Å, fitted ${lastFitted.median.toFixed(2)} [${lastFitted.lo95.toFixed(2)}, ${lastFitted.hi95.toFixed(2)}], held ${lastHeld.median.toFixed(2)}; χ² fitted ${fitted.chi2.toFixed(1)}, held ${held.chi2.toFixed(1)}`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it("a bad fit block: one line naming the field", () => {
    const base = minimalNeutronManifest();
    const withFit = (layer: number, fit: unknown): unknown => {
      const m = structuredClone(base) as { cells: { stack: Record<string, unknown>[] }[] };
      m.cells[0].stack[layer]["fit"] = fit;
      return m;
    };
    const message = (json: unknown): string => {
      try {
        parseManifest(json, "campaign.json");
        return "accepted";
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(message(withFit(2, { sld: { min: 0, max: 5 } }))).toBe("accepted");
    expect(message(withFit(3, { sld: { mean: 5.8, sd: 0.1 }, roughness_A: "fixed" }))).toBe("accepted");
    expect(message(withFit(1, { sld: { min: 0, max: 7 } }))).toMatch(/cells\[0\]\.stack\[1\]\.fit\.sld: needs explicit SLDs/);
    expect(message(withFit(2, { density: { min: 1, max: 2 } }))).toMatch(/cells\[0\]\.stack\[2\]\.fit\.density: needs a composition/);
    expect(message(withFit(2, { thickness_A: { min: 1, max: 2 } }))).toMatch(/fit\.thickness_A: the interphase's thickness is fitted per scan or by the growth law/);
    expect(message(withFit(2, { roughness_A: "fixed" }))).toMatch(/fit\.roughness_A: the interphase's roughness is always fitted/);
    expect(message(withFit(3, { thickness_A: { min: 1, max: 2 } }))).toMatch(/stack\[3\]\.fit\.thickness_A: is for a layer between the first and the last/);
    expect(message(withFit(2, { sld: { min: 5, max: 1 } }))).toMatch(/fit\.sld\.max: must be greater than min \(5\)/);
    expect(message(withFit(2, { sld: { mean: 2 } }))).toMatch(/fit\.sld: a prior needs both "mean" and "sd"/);
    expect(message(withFit(2, { sld: {} }))).toMatch(/fit\.sld: needs bounds/);
    expect(message(withFit(2, { sdl: { min: 0, max: 1 } }))).toMatch(/fit\.sdl: unknown field; did you mean 'sld'\?/);
  });
});
