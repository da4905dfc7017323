/**
 * Issue 13, wrong basins within a series: the per-scan fits after the global stage keep the
 * basin the first scan found (a warm start that misfits is retried with its interphase
 * thickness profiled), and a first scan the global stage missed is recovered from the scans
 * after it. Regression cases from bench/robustStudy.ts (uncorrected-geometry family),
 * the first scans of each campaign:
 * - seed 32: the global stage finds the truth on the first scan, but between scans 1 and 2 the
 *   SEI grows 16 → 32 Å; LM warm-started at 16 Å slid into the basin with the Cu and Si
 *   roughnesses exchanged (χ²/N ≈ 140 at scan 2, ≈ 570 later), and the diagnosis was marked
 *   untrustworthy. A warm start that misfits is now retried from a profiled interphase thickness.
 * - seed 38: the global stage returns a wrong first-scan basin (≈ 88 Å of SEI at 1.0 g/cm³,
 *   χ²/N ≈ 510). Which basin the later scans, warm-started from it, find is fragile: before
 *   LM moved starts off near-bound values (dffcb49) scan 2 found the truth, and a backward
 *   pass refitted the first scan from the second's answer; since then scans 2–12 keep a wrong
 *   basin (χ²/N 181–519, electrolyte density 1.12 g/cm³), the backward pass still repairs
 *   scan 1 from scan 2 (χ²/N 0.87), and a forward pass carries that answer to every later scan.
 * Kind: statistics on Strata's own simulator (nuisance drawn off nominal,
 * test/diagnosis/families.ts) — it checks the search, not the physics.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { cellInput } from "../../src/diagnosis/diagnose.ts";
import { independentSeries } from "../../src/diagnosis/fitSeries.ts";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { FAMILY_LAWS, xrayUncorrectedScenario } from "./families.ts";

/**
 * Scans of each campaign fitted: seed 32's failure began at scan 2, so 4 scans show it; seed 38
 * needs its whole campaign — with 4 scans every scan is warm-started from the wrong first basin
 * and none reaches the truth for the backward pass to start from (χ²/N 180–500).
 */
const SCANS: Record<number, number> = { 32: 4, 38: 12 };
/** Every scan's χ²/N at most this (140 points: p ≈ 1e-5 under the error bars). */
const REDUCED_CHI2_MAX = 1.6;
/** Every fitted SEI thickness within this many of its standard errors of the simulated truth. */
const THICKNESS_Z_MAX = 4;

async function seriesOf(seed: number): Promise<{ fits: ReturnType<typeof independentSeries>; truth: number[] }> {
  const law = FAMILY_LAWS[seed % FAMILY_LAWS.length];
  const { scenario } = xrayUncorrectedScenario(seed, law);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-series-basins-"));
  try {
    const truth = simulateCampaign({ ...scenario, scans: { ...(scenario["scans"] as object), count: SCANS[seed] } }, dir) as unknown as { cells: { A: { scans: { thickness_A: number }[] } } };
    const campaign = await loadCampaign(dir);
    const manifest = campaign.manifest as unknown as { beam: { probe: "xray" | "neutron"; energy_keV?: number } };
    const input = cellInput(campaign, campaign.cells[0], manifest.beam.probe, manifest.beam, { damage: "off", cellIndex: 0 });
    return { fits: independentSeries(input.series, { seed: 1 }), truth: truth.cells.A.scans.map((s) => s.thickness_A) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function expectEveryScanFitted(run: Awaited<ReturnType<typeof seriesOf>>, label: string): void {
  expect(run.fits.fits).toHaveLength(run.truth.length);
  run.fits.fits.forEach((fit, k) => {
    const reduced = fit.chi2 / fit.points;
    expect(reduced, `${label} scan ${k + 1}: χ²/N ${reduced.toFixed(2)}`).toBeLessThanOrEqual(REDUCED_CHI2_MAX);
    const z = Math.abs(fit.thickness - run.truth[k]) / fit.thicknessStderr;
    expect(z, `${label} scan ${k + 1}: ${fit.thickness.toFixed(2)} Å vs ${run.truth[k].toFixed(2)} Å (±${fit.thicknessStderr.toFixed(3)})`).toBeLessThanOrEqual(THICKNESS_Z_MAX);
  });
}

describe("per-scan fits keep the right basin through a series (issue 13)", () => {
  it("a warm start across a fast-growing interval keeps the basin the global stage found (uncorrected geometry, seed 32)", async () => {
    const run = await seriesOf(32);
    expect(run.fits.global!.basins[0].firstScanChi2 / run.fits.fits[0].points).toBeLessThanOrEqual(REDUCED_CHI2_MAX);
    expectEveryScanFitted(run, "seed 32");
  }, 120_000);

  it("a first scan the global stage missed is refitted from the second scan's answer (uncorrected geometry, seed 38)", async () => {
    const run = await seriesOf(38);
    // the global stage's own first-scan basin is wrong here: the backward pass is what recovers it
    expect(run.fits.global!.basins[0].firstScanChi2 / run.fits.fits[0].points).toBeGreaterThan(10 * REDUCED_CHI2_MAX);
    expectEveryScanFitted(run, "seed 38");
    // …and says so (diagnosis.json's quality flags list it)
    expect(run.fits.fits[0].refitted?.from).toBe(run.fits.fits[1].id);
    expect(run.fits.fits[0].refitted!.chi2Before).toBeGreaterThan(run.fits.fits[0].chi2);
    // every scan a repair pass touched says from which neighbour, and was worse before
    for (const [k, fit] of run.fits.fits.entries()) {
      if (!fit.refitted) continue;
      expect([run.fits.fits[k - 1]?.id, run.fits.fits[k + 1]?.id]).toContain(fit.refitted.from);
      expect(fit.refitted.chi2Before).toBeGreaterThan(fit.chi2);
    }
  }, 120_000);
});
