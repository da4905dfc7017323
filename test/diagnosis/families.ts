/**
 * Independent-looking campaign families (issue 13 part 6): each cell's truth is drawn
 * away from the nominal values its manifest states, as in real cells — electrode
 * thickness within ±3 %, every roughness 2.5–6.5 Å, densities within ±2 %, scale within
 * ±3 % and a residual background up to 2e-7 — and the growth itself is drawn per seed.
 *
 * - X-ray through-electrolyte: EC electrolyte fronting | LiF-like SEI growing from 15 Å to
 *   60–90 Å over 10 h | Cu film, nominal 500 Å | Si backing; 17.48 keV; 140 points over
 *   Q 0.02–0.5 Å⁻¹; 5 % dQ/Q (FWHM); 12 scans at the measured spot every 50 min, with a
 *   control-spot design (a fresh spot after scans 4, 8 and 12: 15 scans). The issue's
 *   campaigns had 30 scans; 12 keep a 40-seed calibration within CI's time.
 * - Neutron through-substrate: Si fronting | Cu 494 Å | SEI | deuterated EC; 12 scans.
 * - X-ray uncorrected geometry: the through-electrolyte cell measured without footprint
 *   correction (beam 0.05–0.2 mm on a 10–20 mm sample) and 0.002–0.006° off its nominal
 *   angle, the offset declared only through a prior N(0, 0.01°²).
 *
 * Kind: statistics on Strata's own simulator, with the nuisance drawn off nominal so
 * that the diagnosis must find the truth rather than start on it.
 */
import type { LawName } from "../../src/models/growthLaws.ts";

/** Every nuisance draw of the families (issue 13 part 6). */
export const FAMILY_NUISANCE = { thicknessRelative: 0.03, roughness_A: [2.5, 6.5], densityRelative: 0.02, scaleRelative: 0.03, background: [0, 2e-7] };

/** The hours over which the interphase grows. */
const DURATION_S = 36_000;
const FIRST_A = 15;

/** A uniform draw in [lo, hi) from the seed (splitmix-style hash; independent of the simulator's streams). */
export function uniform(seed: number, salt: number, lo: number, hi: number): number {
  let x = (BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(salt) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  x ^= x >> 31n;
  return lo + ((hi - lo) * Number(x >> 11n)) / 2 ** 53;
}

/** Law parameters growing 15 Å to `final` Å over 10 h. */
export function familyLaw(law: "parabolic" | "linear" | "logarithmic", final: number): Record<string, number> {
  switch (law) {
    case "parabolic":
      return { L0: FIRST_A, kp: (final * final - FIRST_A * FIRST_A) / DURATION_S };
    case "linear":
      return { L0: FIRST_A, k: (final - FIRST_A) / DURATION_S };
    case "logarithmic":
      return { L0: FIRST_A, a: (final - FIRST_A) / Math.log(1 + DURATION_S / 3000), tau: 3000 };
  }
}

/** The X-ray through-electrolyte family; `damageRate` in Å/Gy (0: none). */
export function xrayElectrolyteScenario(seed: number, law: "parabolic" | "linear" | "logarithmic", damageRate = 0): Record<string, unknown> {
  const final = uniform(seed, 1, 60, 90);
  return {
    seed,
    name: `X-ray through-electrolyte, ${law}, seed ${seed}`,
    probe: "xray",
    energy_keV: 17.48,
    law: { name: law, parameters: familyLaw(law, final) },
    faradaicFraction: 1,
    stack: [
      { name: "electrolyte", role: "electrolyte", material: { formula: "C3H4O3", density: 1.32 }, roughness_A: 4.5 },
      { name: "SEI", role: "interphase", material: { formula: "LiF", density: 2.635 }, thickness_A: FIRST_A, roughness_A: 4.5, electronsPerFormula: 1 },
      { name: "Cu", role: "electrode", material: { formula: "Cu", density: 8.96 }, thickness_A: 500, roughness_A: 4.5 },
      { name: "Si", role: "substrate", material: { formula: "Si", density: 2.33 }, roughness_A: 4.5 },
    ],
    geometry: { beamEntry: "through-electrolyte", electrolytePath_mm: 10 },
    scans: { count: 12, interval_s: 3000, exposure_s: 300, qMin: 0.02, qMax: 0.5, points: 140, dqOverQ_fwhm: 0.05, incident: 1e8, background: 0, firstAt_s: 0 },
    damage: { model: "linear", rate_A_per_Gy: damageRate, fresh: [3, 7, 11] },
    nuisance: FAMILY_NUISANCE,
  };
}

/** The X-ray through-electrolyte cell, reduced without footprint correction and off its nominal angle (no damage). */
export function xrayUncorrectedScenario(seed: number, law: "parabolic" | "linear" | "logarithmic"): { scenario: Record<string, unknown>; angleOffset_deg: number } {
  const base = xrayElectrolyteScenario(seed, law);
  const angleOffset_deg = uniform(seed, 3, 0.002, 0.006);
  const height = uniform(seed, 4, 0.05, 0.2);
  const sampleLength = uniform(seed, 5, 10, 20);
  const { damage: _damage, ...withoutDamage } = base;
  return {
    angleOffset_deg,
    scenario: {
      ...withoutDamage,
      name: `X-ray uncorrected geometry, ${law}, seed ${seed}`,
      beam: { flux_per_s: 1e11, height_mm: height, width_mm: 0.2, profile: "tophat" },
      geometry: { beamEntry: "through-electrolyte", electrolytePath_mm: 10, footprint: true, sampleLength_mm: sampleLength, angleOffset_deg, offsetPriorSd_deg: 0.01 },
    },
  };
}

/** The neutron through-substrate family (the simulator's default neutron stack, nuisance drawn). */
export function neutronScenario(seed: number, law: "parabolic" | "linear" | "logarithmic"): Record<string, unknown> {
  const final = uniform(seed, 2, 60, 90);
  return {
    seed,
    name: `neutron through-substrate, ${law}, seed ${seed}`,
    probe: "neutron",
    law: { name: law, parameters: familyLaw(law, final) },
    faradaicFraction: 1,
    scans: { count: 12, interval_s: 3000, exposure_s: 600, qMin: 0.01, qMax: 0.25, points: 100, dqOverQ_fwhm: 0.05, incident: 3e6, background: 0, firstAt_s: 0 },
    nuisance: FAMILY_NUISANCE,
  };
}

/** The laws of the families, cycled over seeds. */
export const FAMILY_LAWS: ("parabolic" | "linear" | "logarithmic")[] = ["parabolic", "linear", "logarithmic"];
export type FamilyLaw = (typeof FAMILY_LAWS)[number] & LawName;
