/**
 * Issue 13 part 3 in the diagnosis: a cell's chain asked for fewer steps than it needs is
 * extended until every parameter and every scan's thickness has ESS ≥ 400 and the chain
 * ≥ 50 τ; every reported posterior interval in diagnosis.json carries its τ and ESS; a
 * chain stopped by the wall-time cap is a coded quality flag naming the τ and ESS reached.
 * On every third scan of the committed example (8 of its 24 X-ray scans), parabolic law
 * only, to keep it short.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCampaign, type Campaign } from "../../src/campaign/campaign.ts";
import { diagnoseCampaign } from "../../src/diagnosis/diagnose.ts";
import { repoRoot } from "../paths.ts";

interface IntervalJson {
  median: number;
  tau?: number;
  ess?: number;
}
interface CellJson {
  growth: Record<string, { parameters: Record<string, IntervalJson> }>;
  shared: Record<string, IntervalJson>;
  timeline: { scan: string; layers: Record<string, { thickness_A: IntervalJson; roughness_A: IntervalJson; density_g_cm3?: IntervalJson }> }[];
  quality: { level: string; message: string; code?: string }[];
  mcmc: {
    walkers: number;
    steps: number;
    burn: number;
    stepsRun: number;
    acceptance: number;
    mixed: boolean;
    stop: string;
    criteria: { minEss: number; tauFactor: number; maxSeconds: number };
    extensions: number;
    maxTau: { name: string; tau: number };
    minEss: { name: string; ess: number };
    parameters: Record<string, { tau: number; ess: number }>;
    derived: Record<string, { tau: number; ess: number }>;
  };
}

/** Far fewer steps than 50 τ for τ ≈ 5–7 steps (the example's). */
const SHORT = { walkers: 24, steps: 40, burn: 20, threads: 1 } as const;
/** The defaults of `strata diagnose`. */
const MIN_ESS = 400;
const TAU_FACTOR = 50;
const SCANS = 8;
/** A cap the extension cannot reach even on a loaded machine (about 10 s of sampling here when idle): this test is about mixing, the next about the cap. */
const GENEROUS_CAP_S = 600;

function everyInterval(cell: CellJson): [string, IntervalJson][] {
  const out: [string, IntervalJson][] = [];
  for (const [interphase, growth] of Object.entries(cell.growth)) for (const [name, i] of Object.entries(growth.parameters)) out.push([`growth.${interphase}.${name}`, i]);
  for (const [name, i] of Object.entries(cell.shared)) out.push([`shared.${name}`, i]);
  for (const t of cell.timeline) {
    for (const [layer, l] of Object.entries(t.layers)) {
      out.push([`${t.scan}.${layer}.thickness_A`, l.thickness_A], [`${t.scan}.${layer}.roughness_A`, l.roughness_A]);
      if (l.density_g_cm3) out.push([`${t.scan}.${layer}.density_g_cm3`, l.density_g_cm3]);
    }
  }
  return out;
}

describe("diagnosis MCMC until mixed", () => {
  let campaign: Campaign;
  beforeAll(async () => {
    const full = await loadCampaign(path.join(repoRoot, "examples", "campaign"));
    campaign = { ...full, cells: full.cells.map((c) => ({ ...c, scans: c.scans.filter((_, k) => k % 3 === 0) })) };
  });

  it("extends a 40-step chain until every parameter and scan thickness has mixed, and reports τ and ESS with every posterior", async () => {
    const diagnosis = await diagnoseCampaign(campaign, { mode: "joint", laws: ["parabolic"], seed: 1, mcmc: { ...SHORT, minEss: MIN_ESS, tauFactor: TAU_FACTOR, maxSeconds: GENEROUS_CAP_S } });
    const cell = (diagnosis.json["cells"] as Record<string, CellJson>)["A"];
    const { mcmc } = cell;
    console.log(`example, parabolic: ${SHORT.steps} steps asked, ${mcmc.steps} kept after ${mcmc.extensions} extensions; τ ≤ ${mcmc.maxTau.tau.toFixed(1)} steps (${mcmc.maxTau.name}), ESS ≥ ${mcmc.minEss.ess.toFixed(0)} (${mcmc.minEss.name})`);
    expect(mcmc).toMatchObject({ walkers: SHORT.walkers, burn: SHORT.burn, mixed: true, stop: "mixed", criteria: { minEss: MIN_ESS, tauFactor: TAU_FACTOR } });
    expect(mcmc.extensions).toBeGreaterThan(0);
    expect(mcmc.steps).toBeGreaterThan(SHORT.steps);
    expect(mcmc.stepsRun).toBe(SHORT.burn + mcmc.steps);
    const quantities = [...Object.entries(mcmc.parameters), ...Object.entries(mcmc.derived)];
    // every sampled parameter, and the thickness of each of the 24 scans
    expect(Object.keys(mcmc.derived)).toHaveLength(SCANS);
    for (const [, q] of quantities) {
      expect(q.ess).toBeGreaterThanOrEqual(MIN_ESS);
      expect(mcmc.steps).toBeGreaterThanOrEqual(TAU_FACTOR * q.tau);
    }
    expect(mcmc.maxTau.tau).toBe(Math.max(...quantities.map(([, q]) => q.tau)));
    // every reported posterior interval carries the τ and ESS of the draws it comes from
    const intervals = everyInterval(cell);
    expect(intervals.length).toBeGreaterThan(SCANS * 2);
    for (const [name, interval] of intervals) {
      expect(Number.isFinite(interval.tau), name).toBe(true);
      expect(interval.ess, name).toBeGreaterThanOrEqual(MIN_ESS);
    }
    const last = cell.timeline[SCANS - 1];
    expect(last.layers["SEI"].thickness_A).toMatchObject(mcmc.derived[`thickness_A@${last.scan}`]);
    expect(cell.quality.filter((q) => q.code?.startsWith("mcmc"))).toEqual([]);
  }, 60_000);

  it("flags a chain stopped by the wall-time cap, naming the τ and ESS it reached", async () => {
    const diagnosis = await diagnoseCampaign(campaign, { mode: "joint", laws: ["parabolic"], seed: 1, mcmc: { ...SHORT, maxSeconds: 1e-3 } });
    const cell = (diagnosis.json["cells"] as Record<string, CellJson>)["A"];
    expect(cell.mcmc).toMatchObject({ mixed: false, stop: "time-cap", steps: SHORT.steps, extensions: 0 });
    const flags = cell.quality.filter((q) => q.code === "mcmc-time-cap");
    expect(flags).toHaveLength(1);
    expect(flags[0].level).toBe("warning");
    expect(flags[0].message).toContain("wall-time cap of 0.001 s before mixing");
    expect(flags[0].message).toContain(`τ up to ${cell.mcmc.maxTau.tau.toPrecision(3)} steps (${cell.mcmc.maxTau.name})`);
    expect(flags[0].message).toContain(`ESS down to ${cell.mcmc.minEss.ess.toPrecision(3)} (${cell.mcmc.minEss.name}) against ${MIN_ESS}`);
  }, 60_000);
});
