/**
 * Issue 6 §3(c): the law comparison carries a predictive check against the per-scan
 * evidence. On the committed example (parabolic growth under a potentiostatic hold) the
 * parabolic and charge laws pass it and the linear law fails it by a wide margin.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { diagnoseCampaign } from "../../src/diagnosis/diagnose.ts";
import { repoRoot } from "../paths.ts";

/** A law that describes the data must not be rejected at this level… */
const PASS_P = 0.01;
/** …and a wrong one must be rejected far below it. */
const FAIL_P = 1e-6;

describe("per-scan predictive check of each law", () => {
  it("passes the laws that describe the example and rejects linear growth", async () => {
    const campaign = await loadCampaign(path.join(repoRoot, "examples", "campaign"));
    const diagnosis = await diagnoseCampaign(campaign, { mode: "joint", laws: ["parabolic", "charge", "linear"], seed: 1, mcmc: { walkers: 24, steps: 40, burn: 20, threads: 1, minEss: 0, tauFactor: 0 } });
    const cells = diagnosis.json["cells"] as Record<string, { growth: Record<string, { comparison: { law: string; perScanCheck: { chi2: number; dof: number; p: number } }[] }> }>;
    const comparison = cells["A"].growth["SEI"].comparison;
    const check = (law: string): { chi2: number; dof: number; p: number } => comparison.find((c) => c.law === law)!.perScanCheck;
    console.log(comparison.map((c) => `${c.law}: χ² ${c.perScanCheck.chi2.toFixed(1)} / ${c.perScanCheck.dof}, p ${c.perScanCheck.p.toExponential(2)}`).join("; "));
    expect(check("parabolic").dof).toBe(24 - 2);
    expect(check("parabolic").p).toBeGreaterThan(PASS_P);
    expect(check("charge").p).toBeGreaterThan(PASS_P);
    expect(check("linear").p).toBeLessThan(FAIL_P);
  }, 120_000);
});
