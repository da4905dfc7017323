/**
 * One cell measured by X-rays and neutrons (issue 15 part 7): the scenario and the scoring
 * shared by jointBeams.test.ts (default suite, 2 seeds) and jointBeams.calibration.test.ts
 * (calibration project, ≥ 20 seeds).
 *
 * The design: a Cu film on a Si block with a LiF-like SEI growing under deuterated EC,
 * measured through the Si block both by neutrons (4.75 Å, the usual operando NR
 * geometry) and by hard X-rays, so that both probes see the same interface of the same
 * cell — a through-electrolyte X-ray cell and a through-Si neutron cell would be two
 * cells. The X-rays are at 30 keV, the upper end of Strata's Henke tables (facilities use
 * 50–70 keV for buried interfaces; at 30 keV Si's photoabsorption is 0.27 mm⁻¹ against
 * 1.40 mm⁻¹ at 17.48 keV, so a few mm of Si pass); the curves are taken as corrected for
 * the entry path (the manifest's default). The campaign beam is the X-ray one; `beams.nr`
 * is the neutron one. Every scan counts for the same 600 s, 80 points up to Q = 0.12 Å⁻¹,
 * 2·10⁴ incident at the lowest Q (∝ Q² above: the X-ray counts those left after the
 * block). At that Q range either probe alone measures mostly the product of the SEI's
 * thickness and its SLD contrast; the two contrasts depend on the density differently
 * (at 2.3 g/cm³, X-ray 18.1 against the electrolyte's 11.7; neutron 2.0 against 5.8, in
 * 10⁻⁶ Å⁻²), which the joint fit separates.
 *
 * Three campaigns per seed with the same truth (seed → growth, stack draws), the same
 * scan times and the same exposure: joint (scans alternating X-ray and neutron), X-ray
 * only and neutron only.
 *
 * Kind: statistics on Strata's own simulator, fitted by Strata's model, with the nuisance
 * drawn off nominal (families.ts's FAMILY_NUISANCE: electrode ±3 %, roughness 2.5–6.5 Å,
 * densities ±2 % — the SEI's too, so its true density is not the manifest's — scale ±3 %,
 * background up to 2e-7, drawn per beam for the scale and background).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { diagnoseCampaign } from "../../src/diagnosis/diagnose.ts";
import type { DiagnoseOptions } from "../../src/diagnosis/diagnoseCell.ts";
import { FAMILY_NUISANCE, uniform } from "./families.ts";

/** Which beams measure the scans: alternating, X-ray only (the campaign beam), neutron only (`beams.nr`). */
export type JointVariant = "joint" | "xray" | "neutron";
export const JOINT_VARIANTS: JointVariant[] = ["joint", "xray", "neutron"];

/** Scans per campaign (every variant), s between scans, s of exposure. */
export const JOINT_SCANS = 10;
const INTERVAL_S = 3600;
const EXPOSURE_S = 600;
const FIRST_A = 15;
const DURATION_S = JOINT_SCANS * INTERVAL_S;

/** MCMC of these diagnoses: reduced, as other default statistics tests, and mixing targets (ESS ≥ 200, kept steps ≥ 30 τ, at most 10 s of sampling: a 6-s cap, hit on a loaded machine, left two of 20 joint chains in the wrong one of two density modes) that keep the 20-seed calibration within CI's budget. */
export const JOINT_MCMC: DiagnoseOptions["mcmc"] = { walkers: 16, steps: 300, burn: 150, threads: 1, minEss: 200, tauFactor: 30, maxSeconds: 10 };

/** The scenario of one seed and variant (see the module header). */
export function jointScenario(seed: number, variant: JointVariant): Record<string, unknown> {
  const final = uniform(seed, 7, 50, 80);
  const pattern = variant === "joint" ? [null, "nr"] : variant === "xray" ? [null] : ["nr"];
  return {
    seed,
    name: `joint X-ray + neutron through Si (${variant}), seed ${seed}`,
    probe: "xray",
    energy_keV: 30,
    law: { name: "parabolic", parameters: { L0: FIRST_A, kp: (final * final - FIRST_A * FIRST_A) / DURATION_S } },
    faradaicFraction: 1,
    stack: [
      { name: "Si", role: "substrate", material: { formula: "Si", density: 2.33 }, roughness_A: 3 },
      { name: "Cu", role: "electrode", material: { formula: "Cu", density: 8.96 }, thickness_A: 500, roughness_A: 4.5 },
      { name: "SEI", role: "interphase", material: { formula: "LiF", density: 2.3 }, thickness_A: FIRST_A, roughness_A: 4.5, electronsPerFormula: 1 },
      { name: "d-electrolyte", role: "electrolyte", material: { formula: "C3D4O3", density: 1.38 }, roughness_A: 4.5 },
    ],
    beam: { flux_per_s: 1e11, height_mm: 0.02, width_mm: 0.2, profile: "gaussian" },
    beams: { nr: { probe: "neutron", wavelength_A: 4.75, flux_per_s: 1e6, height_mm: 0.5, width_mm: 30, profile: "tophat", incident: 2e4 } },
    scans: { count: JOINT_SCANS, interval_s: INTERVAL_S, exposure_s: EXPOSURE_S, qMin: 0.01, qMax: 0.12, points: 80, dqOverQ_fwhm: 0.05, incident: 2e4, background: 0, firstAt_s: 0, beams: pattern },
    nuisance: FAMILY_NUISANCE,
  };
}

interface IntervalJson {
  median: number;
  lo95: number;
  hi95: number;
}

/** What one diagnosis gives against the truth. */
export interface JointOutcome {
  variant: JointVariant;
  seed: number;
  /** per scan: the thickness interval covers the truth */
  thicknessCovered: boolean[];
  /** mean over scans of the 95 % thickness interval's width, Å */
  thicknessWidth: number;
  densityCovered: boolean;
  /** width of the 95 % interval of the SEI density, g/cm³ */
  densityWidth: number;
  /** the beams the diagnosis reports per scan (undefined: the campaign's) */
  beams: (string | undefined)[];
  seconds: number;
  summary: string;
}

/** Simulate one variant of one seed, diagnose it (parabolic law, joint mode) and score it. */
export async function runJoint(seed: number, variant: JointVariant, mcmc: DiagnoseOptions["mcmc"] = JOINT_MCMC): Promise<JointOutcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-joint-"));
  const started = performance.now();
  try {
    const truth = simulateCampaign(jointScenario(seed, variant), dir) as unknown as {
      cells: Record<string, { stack: { name: string; density: number }[]; scans: { scan: string; thickness_A: number }[] }>;
    };
    const diagnosis = await diagnoseCampaign(await loadCampaign(dir), { mode: "joint", laws: ["parabolic"], seed: 1, mcmc, damage: "off" });
    const cell = (diagnosis.json["cells"] as Record<string, { timeline: { scan: string; beam?: string; layers: Record<string, { thickness_A: IntervalJson; density_g_cm3?: IntervalJson }> }[] }>)["A"];
    const trueCell = truth.cells["A"];
    const trueDensity = trueCell.stack.find((l) => l.name === "SEI")!.density;
    const thicknessCovered = cell.timeline.map((t) => {
      const x = trueCell.scans.find((s) => s.scan === t.scan)!.thickness_A;
      return t.layers["SEI"].thickness_A.lo95 <= x && x <= t.layers["SEI"].thickness_A.hi95;
    });
    const thicknessWidth = cell.timeline.reduce((a, t) => a + t.layers["SEI"].thickness_A.hi95 - t.layers["SEI"].thickness_A.lo95, 0) / cell.timeline.length;
    const density = cell.timeline[0].layers["SEI"].density_g_cm3!;
    const densityCovered = density.lo95 <= trueDensity && trueDensity <= density.hi95;
    const seconds = (performance.now() - started) / 1000;
    const summary =
      `seed ${seed} ${variant}: thickness covered ${thicknessCovered.filter(Boolean).length}/${thicknessCovered.length}, mean 95 % width ${thicknessWidth.toFixed(2)} Å; ` +
      `density [${density.lo95.toFixed(3)}, ${density.hi95.toFixed(3)}] vs ${trueDensity.toFixed(3)} (width ${(density.hi95 - density.lo95).toFixed(3)}); ${seconds.toFixed(1)} s`;
    return { variant, seed, thicknessCovered, thicknessWidth, densityCovered, densityWidth: density.hi95 - density.lo95, beams: cell.timeline.map((t) => t.beam), seconds, summary };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
