/**
 * Issue 15 part 3: an intensity (scale) per scan. Real operando series are normalised scan by
 * scan (per-angle files, event-sliced windows whose incident flux differs: the SNS slices'
 * intensity is 0.84 of the steady states'), so one scale shared by every scan misfits them.
 * Here each scan of a simulated neutron campaign is multiplied by its own factor (±12 %); with
 * `"intensity": "own"` on every scan the diagnosis fits `scale@<scan>` per scan, recovers each
 * factor and the growth law's kp; with the default shared scale the same data misfit.
 * `"intensity": <number>` fixes a scan's scale; anything else is a one-line error.
 *
 * Kind: statistics on Strata's own simulator fitted by Strata's model (the factors are the
 * test's, not the fit's). Reduced MCMC as the other default statistics tests.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { parseManifest } from "../../src/campaign/manifest.ts";
import { diagnoseCampaign } from "../../src/diagnosis/diagnose.ts";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { minimalNeutronManifest, REDUCED_MCMC, scenarioFor, TRUE_PARAMETERS, type CellSummaryJson } from "./helpers.ts";

/** Each scan's intensity factor: 1 + this × sin(1.7 k). */
const FACTOR_AMPLITUDE = 0.12;
/** A recovered scale is within this fraction of its factor. */
const SCALE_TOLERANCE = 0.02;
/** With one shared scale the joint fit's χ² is at least this times the per-scan fit's. */
const SHARED_MISFIT_RATIO = 3;
const factor = (k: number): number => 1 + FACTOR_AMPLITUDE * Math.sin(1.7 * k);

async function diagnose(dir: string, intensity: unknown): Promise<CellSummaryJson> {
  const file = path.join(dir, "campaign.json");
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { scans: Record<string, unknown>[] };
  for (const scan of manifest.scans) {
    if (intensity === undefined) delete scan["intensity"];
    else scan["intensity"] = intensity;
  }
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
  const diagnosis = await diagnoseCampaign(await loadCampaign(dir), { mode: "joint", laws: ["parabolic"], seed: 1, mcmc: REDUCED_MCMC, damage: "off" });
  return Object.values(diagnosis.json["cells"] as Record<string, CellSummaryJson>)[0];
}

describe("an intensity per scan (manifest scans[k].intensity)", () => {
  it('"own" recovers each scan\'s factor and kp; one shared scale misfits the same data', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-intensity-"));
    try {
      simulateCampaign(scenarioFor("parabolic", 3), dir);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, "campaign.json"), "utf8")) as { scans: { id: string; file: string }[] };
      // each scan's R and dR multiplied by its factor (the .ort columns Qz R sR sQz)
      manifest.scans.forEach((scan, k) => {
        const file = path.join(dir, scan.file);
        const lines = fs.readFileSync(file, "utf8").split("\n").map((line) => {
          if (line.startsWith("#") || line.trim() === "") return line;
          const columns = line.trim().split(/\s+/).map(Number);
          columns[1] *= factor(k);
          columns[2] *= factor(k);
          return columns.map((x) => x.toExponential(16)).join(" ");
        });
        fs.writeFileSync(file, lines.join("\n"));
      });

      const own = await diagnose(dir, "own");
      const kp = own.growth["SEI"].parameters["kp"];
      expect(kp.lo95 <= TRUE_PARAMETERS.parabolic.kp && TRUE_PARAMETERS.parabolic.kp <= kp.hi95, `kp [${kp.lo95}, ${kp.hi95}] against ${TRUE_PARAMETERS.parabolic.kp}`).toBe(true);
      const scales = manifest.scans.map((scan, k) => ({ scan: scan.id, truth: factor(k), fitted: own.shared?.[`scale@${scan.id}`]?.median }));
      expect(own.shared?.["scale"]).toBeUndefined();
      for (const s of scales) expect(Math.abs(s.fitted! / s.truth - 1), `scale@${s.scan} ${s.fitted} against ${s.truth}`).toBeLessThanOrEqual(SCALE_TOLERANCE);

      const shared = await diagnose(dir, undefined);
      expect(shared.shared?.["scale"]).toBeDefined();
      expect(shared.fit.chi2 / own.fit.chi2, `χ² shared ${shared.fit.chi2} against own ${own.fit.chi2}`).toBeGreaterThanOrEqual(SHARED_MISFIT_RATIO);
      console.log(
        `intensity per scan: χ² own ${own.fit.chi2.toFixed(1)} (${own.fit.points} points) against shared ${shared.fit.chi2.toFixed(1)}; kp ${kp.median.toPrecision(4)} [${kp.lo95.toPrecision(4)}, ${kp.hi95.toPrecision(4)}]; ` +
          `worst scale error ${(100 * Math.max(...scales.map((s) => Math.abs(s.fitted! / s.truth - 1)))).toFixed(2)} %`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it("a bad intensity: one line naming the field", () => {
    const manifest = (intensity: unknown): unknown => minimalNeutronManifest([{ id: "s1", cell: "A", spot: "P1", file: "s1.ort", start: "2026-01-01T00:00:00Z", end: "2026-01-01T00:10:00Z", intensity }]);
    expect(parseManifest(manifest("own"), "campaign.json").scans[0].intensity).toBe("own");
    expect(parseManifest(manifest(0.84), "campaign.json").scans[0].intensity).toBe(0.84);
    expect(parseManifest(manifest("shared"), "campaign.json").scans[0].intensity).toBeUndefined();
    for (const bad of ["per-scan", 0, -1]) expect(() => parseManifest(manifest(bad), "campaign.json")).toThrow(/^scans\[0\]\.intensity: must be "shared" .*"own" .*or a positive number/);
  });
});
