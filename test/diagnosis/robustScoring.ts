/**
 * Scoring of the independent-looking campaign families (issue 13) against their truth,
 * shared by test/diagnosis/robust.test.ts (X-ray and neutron families, default and
 * calibration projects) and test/diagnosis/robustGeometry.test.ts (uncorrected geometry,
 * calibration project only). See robust.test.ts for the criteria.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { diagnoseCampaign } from "../../src/diagnosis/diagnose.ts";
import type { DiagnoseOptions } from "../../src/diagnosis/diagnoseCell.ts";
import { LAW_NAMES } from "../../src/models/growthLaws.ts";
import { FAMILY_LAWS, xrayElectrolyteScenario } from "./families.ts";
import { coverageThreshold, FULL_CALIBRATION } from "../calibrationScale.ts";

/** A trajectory is off when the RMS over its scans of (median − truth)/σ exceeds this. */
export const TRAJECTORY_OFF_SD = 3;
/** Damage injected in the damage seeds: the last measured scan's observed thickness exceeds the chemistry's by this (Å). */
export const DAMAGE_AT_LAST_SCAN_A = 8;
/** The coverage band for 95 % intervals under test:calibration. */
export const COVERAGE_BAND = [0.9, 0.99] as const;
/** Damage detection: ≥ 90 % of damage seeds; false alarms ≤ 5 % of the others (full sizes). */
export const DETECTION_MIN = 0.9;
export const FALSE_ALARM_MAX = 0.05;
/** Laws the data cannot tell apart (Burnham & Anderson). */
export const INDISTINGUISHABLE_DELTA_IC = 2;
/** The uncorrected family identifies the law at least this fraction as often as the corrected one. */
export const GEOMETRY_IDENTIFICATION_RATIO = 0.9;

/** The coverage band's upper end is asserted only from this many intervals on (a calibrated 95 % interval covers all of n with P = 0.95ⁿ, < 1 % from n = 90). */
export const UPPER_BAND_MIN_CHECKS = 90;
export const MCMC = { walkers: 24, steps: 400, burn: 50 };

export interface IntervalJson {
  median: number;
  lo68: number;
  hi68: number;
  lo95: number;
  hi95: number;
}
export interface CellJson {
  timeline: { scan: string; layers: Record<string, { thickness_A: IntervalJson }> }[];
  growth: Record<string, { law: string; parameters: Record<string, IntervalJson>; comparison: { law: string; deltaIC: number }[] }>;
  damage: { detected?: boolean };
  shared?: Record<string, IntervalJson>;
  quality: { level: string; code?: string; message: string }[];
}
export interface TruthJson {
  law: { name: string; parameters: Record<string, number> };
  faradaicFraction: number;
  cells: Record<string, { scans: { scan: string; thickness_A: number; dose_Gy?: number; observedThickness_A?: number }[] }>;
}

export interface Outcome {
  label: string;
  untrustworthy: boolean;
  rmsZ: number;
  identified: boolean;
  covered: number;
  checked: number;
  detected: boolean;
  offsetCovered?: boolean;
  summary: string;
  /** the true and the chosen law, the quality codes, and each checked parameter's truth beside its 95 % interval (for bench/robustStudy.ts) */
  trueLaw: string;
  chosenLaw: string;
  codes: string[];
  intervals: { name: string; truth: number | null; lo95: number | null; hi95: number | null }[];
  offset?: { truth: number; lo95: number; hi95: number };
}

export const covers = (i: IntervalJson, x: number): boolean => i.lo95 <= x && x <= i.hi95;

/** Simulate, diagnose with every law and damage auto, and score against the truth. */
export async function diagnoseAndScore(label: string, scenario: Record<string, unknown>, angleOffset_deg?: number, mcmc: DiagnoseOptions["mcmc"] = MCMC): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-robust-"));
  try {
    const truth = simulateCampaign(scenario, dir) as unknown as TruthJson;
    const diagnosis = await diagnoseCampaign(await loadCampaign(dir), { mode: "joint", laws: [...LAW_NAMES], seed: 1, mcmc });
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
    const intervals: Outcome["intervals"] = [];
    const names = expected ? Object.keys(expected) : Object.keys(truth.law.parameters);
    for (const name of names) {
      checked++;
      const interval = growth.parameters[name];
      if (expected && interval && covers(interval, expected[name])) covered++;
      intervals.push({ name, truth: expected ? expected[name] : null, lo95: interval?.lo95 ?? null, hi95: interval?.hi95 ?? null });
    }
    const untrustworthy = json.quality.some((q) => q.code === "untrustworthy");
    const offset = json.shared?.["angle_offset"];
    const offsetCovered = angleOffset_deg === undefined || offset === undefined ? undefined : covers(offset, angleOffset_deg);
    const summary =
      `${label}: law ${trueLaw}→${chosen}, RMS z ${rmsZ.toFixed(2)}, params ${covered}/${checked}` +
      (offset ? `, offset [${offset.lo95.toFixed(4)}, ${offset.hi95.toFixed(4)}] vs ${angleOffset_deg?.toFixed(4)}` : "") +
      `, damage ${json.damage.detected === true ? "detected" : "not detected"}${untrustworthy ? ", UNTRUSTWORTHY" : ""}`;
    const codes = json.quality.flatMap((q) => (q.code === undefined ? [] : [q.code]));
    return {
      label,
      untrustworthy,
      rmsZ,
      identified,
      covered,
      checked,
      detected: json.damage.detected === true,
      ...(offsetCovered !== undefined ? { offsetCovered } : {}),
      summary,
      trueLaw,
      chosenLaw: chosen,
      codes,
      intervals,
      ...(offset && angleOffset_deg !== undefined ? { offset: { truth: angleOffset_deg, lo95: offset.lo95, hi95: offset.hi95 } } : {}),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The X-ray scenario of a seed, its damage rate set so the last measured scan gains {@link DAMAGE_AT_LAST_SCAN_A}. */
export function xrayScenario(seed: number, damaged: boolean): Record<string, unknown> {
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
export function expectCoverage(covered: number, checked: number, what: string): void {
  expect(covered, `${what}: ${covered}/${checked}`).toBeGreaterThanOrEqual(FULL_CALIBRATION ? Math.min(Math.ceil(COVERAGE_BAND[0] * checked), coverageThreshold(checked, 0.95)) : coverageThreshold(checked, 0.95));
  if (FULL_CALIBRATION && checked >= UPPER_BAND_MIN_CHECKS) expect(covered / checked, `${what}: ${covered}/${checked}`).toBeLessThanOrEqual(COVERAGE_BAND[1]);
}

/** A family's trajectories off by > {@link TRAJECTORY_OFF_SD} σ while not flagged, and its growth parameters' coverage over the trusted diagnoses. */
export function familyCounts(outcomes: Outcome[]): { confidentlyWrong: Outcome[]; covered: number; checked: number } {
  const confidentlyWrong = outcomes.filter((o) => o.rmsZ > TRAJECTORY_OFF_SD && !o.untrustworthy);
  const trusted = outcomes.filter((o) => !o.untrustworthy);
  return { confidentlyWrong, covered: trusted.reduce((a, o) => a + o.covered, 0), checked: trusted.reduce((a, o) => a + o.checked, 0) };
}

/** No confidently wrong trajectory, and the growth parameters' coverage. */
export function expectHonestAndCovered(outcomes: Outcome[], family: string): void {
  const { confidentlyWrong, covered, checked } = familyCounts(outcomes);
  expect(confidentlyWrong.map((o) => o.summary), `${family}: trajectories off by > ${TRAJECTORY_OFF_SD} σ and not flagged`).toEqual([]);
  expectCoverage(covered, checked, `${family} growth parameters`);
}

