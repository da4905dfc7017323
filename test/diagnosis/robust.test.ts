/**
 * Issue 13 acceptance, a diagnosis that cannot be confidently wrong, on independent-looking
 * campaigns (test/diagnosis/families.ts: every cell's truth drawn off the nominal values
 * its manifest states — electrode ±3 %, roughness 2.5–6.5 Å, densities ±2 %, scale and
 * background off). Kind: statistics on Strata's own simulator (the physics is tested
 * elsewhere against the ORSO suite and refnx); what is tested here is that the global
 * stage, the wrong-basin retry, the mixing MCMC and the damage and geometry terms find
 * the truth from nominal starts and say so honestly when they do not.
 *
 * Criteria (the issue's sizes are 40, 20 and 20 seeds; here 6, 3 and 1 under
 * test:calibration and 1, 1 and 0 in the default suite, see {@link X_RAY_SEEDS}; coverage
 * is asserted with k-of-n thresholds at α = 1 %, the band's upper end from 90 intervals):
 * - X-ray through-electrolyte (40 seeds: parabolic, linear and logarithmic growth, half
 *   with beam damage of 8 Å at the last measured scan under a control-spot design) and
 *   neutron through-substrate (20 seeds): no diagnosis whose thickness trajectory is off
 *   by more than {@link TRAJECTORY_OFF_SD} of its own standard deviations (RMS over the
 *   scans) without being marked untrustworthy; the 95 % intervals of the growth
 *   parameters cover the truth in 90–99 % of cases; damage detected in ≥ 90 % of the
 *   seeds with damage and reported in ≤ 5 % of those without;
 * - X-ray uncorrected geometry (20 seeds): the law identified as often as on the corrected
 *   family, the growth parameters' and the angle offset's 95 % intervals covering the
 *   truth in 90–99 % of cases.
 * A growth law counts as identified when the diagnosis chose it, or chose the charge law
 * (in a potentiostatic hold the current follows the growth, so the two tie), or the true
 * law is within ΔAICc 2 of the chosen one (the data cannot separate them).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { diagnoseCampaign } from "../../src/diagnosis/diagnose.ts";
import { LAW_NAMES } from "../../src/models/growthLaws.ts";
import { FAMILY_LAWS, neutronScenario, xrayElectrolyteScenario, xrayUncorrectedScenario } from "./families.ts";
import { coverageThreshold, falseAlarmThreshold, FULL_CALIBRATION, seedCount } from "../calibrationScale.ts";

/** A trajectory is off when the RMS over its scans of (median − truth)/σ exceeds this. */
const TRAJECTORY_OFF_SD = 3;
/** Damage injected in the damage seeds: the last measured scan's observed thickness exceeds the chemistry's by this (Å). */
const DAMAGE_AT_LAST_SCAN_A = 8;
/** The coverage band for 95 % intervals under test:calibration. */
const COVERAGE_BAND = [0.9, 0.99] as const;
/** Damage detection: ≥ 90 % of damage seeds; false alarms ≤ 5 % of the others (full sizes). */
const DETECTION_MIN = 0.9;
const FALSE_ALARM_MAX = 0.05;
/** Laws the data cannot tell apart (Burnham & Anderson). */
const INDISTINGUISHABLE_DELTA_IC = 2;
/** The uncorrected family identifies the law at least this fraction as often as the corrected one. */
const GEOMETRY_IDENTIFICATION_RATIO = 0.9;

/**
 * Seeds under test:calibration and in the default suite. Below the 40/20/20: one
 * X-ray diagnosis of this family takes ≈ 40 s here and an uncorrected-geometry one
 * ≈ 150–200 s (the offset moves every point's Q′, so each evaluation re-plans its
 * smearing: 2–4 ms against 0.4 ms), and CI runs every suite in 90 minutes on 2 cores.
 */
const X_RAY_SEEDS = seedCount(6, 1);
const NEUTRON_SEEDS = seedCount(3, 1);
const GEOMETRY_SEEDS = seedCount(1, 0);
/** The coverage band's upper end is asserted only from this many intervals on (a calibrated 95 % interval covers all of n with P = 0.95ⁿ, < 1 % from n = 90). */
const UPPER_BAND_MIN_CHECKS = 90;
const MCMC = { walkers: 24, steps: 400, burn: 50 };

interface IntervalJson {
  median: number;
  lo68: number;
  hi68: number;
  lo95: number;
  hi95: number;
}
interface CellJson {
  timeline: { scan: string; layers: Record<string, { thickness_A: IntervalJson }> }[];
  growth: Record<string, { law: string; parameters: Record<string, IntervalJson>; comparison: { law: string; deltaIC: number }[] }>;
  damage: { detected?: boolean };
  shared?: Record<string, IntervalJson>;
  quality: { level: string; code?: string; message: string }[];
}
interface TruthJson {
  law: { name: string; parameters: Record<string, number> };
  faradaicFraction: number;
  cells: Record<string, { scans: { scan: string; thickness_A: number; dose_Gy?: number; observedThickness_A?: number }[] }>;
}

interface Outcome {
  label: string;
  untrustworthy: boolean;
  rmsZ: number;
  identified: boolean;
  covered: number;
  checked: number;
  detected: boolean;
  offsetCovered?: boolean;
  summary: string;
}

const covers = (i: IntervalJson, x: number): boolean => i.lo95 <= x && x <= i.hi95;

/** Simulate, diagnose with every law and damage auto, and score against the truth. */
async function diagnoseAndScore(label: string, scenario: Record<string, unknown>, angleOffset_deg?: number): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-robust-"));
  try {
    const truth = simulateCampaign(scenario, dir) as unknown as TruthJson;
    const diagnosis = await diagnoseCampaign(await loadCampaign(dir), { mode: "joint", laws: [...LAW_NAMES], seed: 1, mcmc: MCMC });
    const cell = diagnosis.json["cells"] as Record<string, CellJson>;
    const json = cell["A"];
    const interphase = Object.keys(json.growth)[0];
    const growth = json.growth[interphase];
    const truthScans = truth.cells["A"].scans;
    let sumZ2 = 0;
    for (const entry of json.timeline) {
      const interval = entry.layers[interphase].thickness_A;
      const sd = (interval.hi68 - interval.lo68) / 2;
      const trueThickness = truthScans.find((s) => s.scan === entry.scan)!.thickness_A;
      sumZ2 += ((interval.median - trueThickness) / sd) ** 2;
    }
    const rmsZ = Math.sqrt(sumZ2 / json.timeline.length);
    const trueLaw = truth.law.name;
    const chosen = growth.law;
    const trueEntry = growth.comparison.find((c) => c.law === trueLaw);
    const identified = chosen === trueLaw || chosen === "charge" || (trueEntry !== undefined && trueEntry.deltaIC < INDISTINGUISHABLE_DELTA_IC);
    // the chosen law's parameters against the truth: the true law's, or the charge law's (L0 and the Faradaic fraction)
    const expected: Record<string, number> | undefined = chosen === trueLaw ? truth.law.parameters : chosen === "charge" ? { L0: truth.law.parameters["L0"], f: truth.faradaicFraction } : undefined;
    let covered = 0;
    let checked = 0;
    const names = expected ? Object.keys(expected) : Object.keys(truth.law.parameters);
    for (const name of names) {
      checked++;
      const interval = growth.parameters[name];
      if (expected && interval && covers(interval, expected[name])) covered++;
    }
    const untrustworthy = json.quality.some((q) => q.code === "untrustworthy");
    const offset = json.shared?.["angle_offset"];
    const offsetCovered = angleOffset_deg === undefined || offset === undefined ? undefined : covers(offset, angleOffset_deg);
    const summary =
      `${label}: law ${trueLaw}→${chosen}, RMS z ${rmsZ.toFixed(2)}, params ${covered}/${checked}` +
      (offset ? `, offset [${offset.lo95.toFixed(4)}, ${offset.hi95.toFixed(4)}] vs ${angleOffset_deg?.toFixed(4)}` : "") +
      `, damage ${json.damage.detected === true ? "detected" : "not detected"}${untrustworthy ? ", UNTRUSTWORTHY" : ""}`;
    return { label, untrustworthy, rmsZ, identified, covered, checked, detected: json.damage.detected === true, ...(offsetCovered !== undefined ? { offsetCovered } : {}), summary };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The X-ray scenario of a seed, its damage rate set so the last measured scan gains {@link DAMAGE_AT_LAST_SCAN_A}. */
function xrayScenario(seed: number, damaged: boolean): Record<string, unknown> {
  const law = FAMILY_LAWS[seed % FAMILY_LAWS.length];
  if (!damaged) return xrayElectrolyteScenario(seed, law, 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-robust-dose-"));
  try {
    // the doses do not depend on the rate: a pilot without damage gives the last measured scan's
    const pilot = simulateCampaign(xrayElectrolyteScenario(seed, law, 0), dir) as unknown as TruthJson;
    const measured = pilot.cells["A"].scans.filter((s) => !s.scan.includes("F"));
    return xrayElectrolyteScenario(seed, law, DAMAGE_AT_LAST_SCAN_A / measured[measured.length - 1].dose_Gy!);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Coverage within the band (full) or above the k-of-n threshold (reduced). */
function expectCoverage(covered: number, checked: number, what: string): void {
  expect(covered, `${what}: ${covered}/${checked}`).toBeGreaterThanOrEqual(FULL_CALIBRATION ? Math.min(Math.ceil(COVERAGE_BAND[0] * checked), coverageThreshold(checked, 0.95)) : coverageThreshold(checked, 0.95));
  if (FULL_CALIBRATION && checked >= UPPER_BAND_MIN_CHECKS) expect(covered / checked, `${what}: ${covered}/${checked}`).toBeLessThanOrEqual(COVERAGE_BAND[1]);
}

/** No confidently wrong trajectory, and the growth parameters' coverage. */
function expectHonestAndCovered(outcomes: Outcome[], family: string): void {
  const confidentlyWrong = outcomes.filter((o) => o.rmsZ > TRAJECTORY_OFF_SD && !o.untrustworthy);
  expect(confidentlyWrong.map((o) => o.summary), `${family}: trajectories off by > ${TRAJECTORY_OFF_SD} σ and not flagged`).toEqual([]);
  const trusted = outcomes.filter((o) => !o.untrustworthy);
  expectCoverage(
    trusted.reduce((a, o) => a + o.covered, 0),
    trusted.reduce((a, o) => a + o.checked, 0),
    `${family} growth parameters`,
  );
}

describe("a diagnosis that cannot be confidently wrong (issue 13)", () => {
  it(
    `X-ray through-electrolyte, nuisance drawn off nominal (${X_RAY_SEEDS} seeds, half with beam damage): honest trajectories, calibrated growth parameters, damage detected`,
    async () => {
      const outcomes: Outcome[] = [];
      for (let seed = 1; seed <= X_RAY_SEEDS; seed++) {
        // the default suite's one seed has damage
        const damaged = X_RAY_SEEDS === 1 || seed % 2 === 0;
        outcomes.push(await diagnoseAndScore(`x-ray seed ${seed}${damaged ? " (damage)" : ""}`, xrayScenario(seed, damaged)));
      }
      console.log(outcomes.map((o) => o.summary).join("\n"));
      expectHonestAndCovered(outcomes, "X-ray");
      const withDamage = outcomes.filter((o) => o.label.includes("damage"));
      const without = outcomes.filter((o) => !o.label.includes("damage"));
      const detected = withDamage.filter((o) => o.detected).length;
      const falseAlarms = without.filter((o) => o.detected).length;
      expect(detected, `damage detected in ${detected}/${withDamage.length}`).toBeGreaterThanOrEqual(FULL_CALIBRATION ? Math.ceil(DETECTION_MIN * withDamage.length) : coverageThreshold(withDamage.length, 0.95));
      expect(falseAlarms, `damage reported in ${falseAlarms}/${without.length} seeds without`).toBeLessThanOrEqual(FULL_CALIBRATION ? Math.floor(FALSE_ALARM_MAX * without.length) : falseAlarmThreshold(without.length, 0.01));
    },
    7_200_000,
  );

  it(
    `neutron through-substrate, nuisance drawn off nominal (${NEUTRON_SEEDS} seeds): honest trajectories, calibrated growth parameters`,
    async () => {
      const outcomes: Outcome[] = [];
      for (let seed = 1; seed <= NEUTRON_SEEDS; seed++) outcomes.push(await diagnoseAndScore(`neutron seed ${seed}`, neutronScenario(seed, FAMILY_LAWS[seed % FAMILY_LAWS.length])));
      console.log(outcomes.map((o) => o.summary).join("\n"));
      expectHonestAndCovered(outcomes, "neutron");
    },
    3_600_000,
  );

  it.skipIf(GEOMETRY_SEEDS === 0)(
    `X-ray without footprint correction, 0.002–0.006° off its angle (${GEOMETRY_SEEDS} seeds): the law identified as on corrected data, growth parameters and offset covered`,
    async () => {
      const corrected: Outcome[] = [];
      const uncorrected: Outcome[] = [];
      for (let seed = 1; seed <= GEOMETRY_SEEDS; seed++) {
        const law = FAMILY_LAWS[seed % FAMILY_LAWS.length];
        const { scenario, angleOffset_deg } = xrayUncorrectedScenario(seed, law);
        uncorrected.push(await diagnoseAndScore(`uncorrected seed ${seed}`, scenario, angleOffset_deg));
        // the same seed measured with correction and on its angle, for the identification rate
        corrected.push(await diagnoseAndScore(`corrected seed ${seed}`, xrayElectrolyteScenario(seed, law, 0)));
      }
      console.log([...uncorrected, ...corrected].map((o) => o.summary).join("\n"));
      expectHonestAndCovered(uncorrected, "uncorrected geometry");
      const identified = (list: Outcome[]): number => list.filter((o) => o.identified).length;
      expect(identified(uncorrected), `law identified in ${identified(uncorrected)} uncorrected vs ${identified(corrected)} corrected`).toBeGreaterThanOrEqual(Math.floor(GEOMETRY_IDENTIFICATION_RATIO * identified(corrected)));
      const offsets = uncorrected.filter((o) => o.offsetCovered !== undefined);
      expect(offsets.length).toBe(uncorrected.length);
      expectCoverage(offsets.filter((o) => o.offsetCovered).length, offsets.length, "angle offset");
    },
    7_200_000,
  );
});
