/**
 * Derived electrochemistry on the real cycler files of
 * `../shared/conformance/echem/` (README values): half-cycle charges and
 * coulombic efficiencies rebuilt from the raw BioLogic records, and Neware
 * per-cycle capacities against the instrument's own cycle rows.
 */
import { describe, expect, it } from "vitest";
import path from "node:path";
import { repoRoot } from "../../../test/paths.ts";
import { CYCLER_README_RTOL, NEWARE_SUMMARY_ATOL_AH } from "../../../test/tolerances.ts";
import { readCyclerFile } from "../../io/cycler/index.ts";
import type { NewareCycleSummary } from "../../io/cycler/index.ts";
import { analyzeCycling, stateAt } from "./derived.ts";

const echem = path.resolve(repoRoot, "../shared/conformance/echem");
const read = (relative: string) => readCyclerFile(path.join(echem, relative));

function close(actual: number, expected: number, rtol = CYCLER_README_RTOL): void {
  expect(Math.abs(actual - expected) <= rtol * Math.abs(expected), `${actual} vs ${expected} (rtol ${rtol})`).toBe(true);
}

describe("BioLogic GCPL: coulombic efficiency rebuilt from the raw records", () => {
  const halfSums_mAh = [8.336163e-5, -8.331483e-5, 8.335643e-5, -8.332225e-5, 8.334833e-5, -8.332939e-5, 8.335184e-5, -8.33241e-5];
  const efficiencies = [99.943863, 99.958992, 99.977272, 99.966713];
  for (const name of ["gcpl.issue_149.mpr", "gcpl.issue_149.mpt"]) {
    it(name, () => {
      const table = read(`biologic/${name}`);
      const a = analyzeCycling(table);
      expect(a.sources.charge).toBe("instrument");
      expect(a.halfCycles.map((h) => h.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(a.halfCycles.map((h) => h.direction)).toEqual(["charge", "discharge", "charge", "discharge", "charge", "discharge", "charge", "discharge"]);
      a.halfCycles.forEach((h, k) => close(h.net_C / 3.6, halfSums_mAh[k]));
      expect(a.cycles.map((c) => c.cycle)).toEqual([0, 1, 2, 3]);
      a.cycles.forEach((c, k) => {
        close(c.efficiency_pct, efficiencies[k]);
        close(c.charge_C / 3.6, halfSums_mAh[2 * k]);
        close(c.discharge_C / 3.6, -halfSums_mAh[2 * k + 1]);
      });
      const irreversible = a.cycles.reduce((sum, c) => sum + c.charge_C - c.discharge_C, 0);
      close(a.cycles[3].cumulativeIrreversible_C, irreversible, 1e-12);
      close(a.reductionCharge_C[a.rows - 1], -3.6 * (halfSums_mAh[1] + halfSums_mAh[3] + halfSums_mAh[5] + halfSums_mAh[7]));
    });
  }
  it("half cycles from current-sign changes equal the instrument's counter; cycles = ⌊half cycle / 2⌋", () => {
    const mpr = read("biologic/gcpl.issue_149.mpr");
    const fromCurrent = analyzeCycling(mpr, { halfCycleSource: "current" });
    expect(Array.from(fromCurrent.halfCycle)).toEqual(Array.from(mpr.columns.half_cycle_count));
    const mpt = read("biologic/gcpl.issue_149.mpt");
    expect(Array.from(analyzeCycling(mpr).cycle)).toEqual(Array.from(mpt.columns.cycle_count));
  });
  it("stateAt over a charge half cycle", () => {
    const mpr = read("biologic/gcpl.issue_149.mpr");
    const a = analyzeCycling(mpr);
    const h = a.halfCycles[2];
    const s = stateAt(mpr, h.startTime_s, h.endTime_s);
    expect(s.halfCycle).toBe(2);
    expect(s.cycle).toBe(1);
    expect(s.meanCurrent_A).toBeGreaterThan(0);
    expect(s.stepTypes).toContain("CC_CHG");
  });
});

describe("BioLogic MB: half-cycle charges", () => {
  it("+0.2778203 / −0.1805086 mA·h", () => {
    const a = analyzeCycling(read("biologic/mb.issue_95.mpr"));
    close(a.halfCycles[0].net_C / 3.6, 0.2778203);
    close(a.halfCycles[1].net_C / 3.6, -0.1805086);
  });
});

describe("Neware: per-cycle capacities from the records agree with the instrument's cycle rows", () => {
  it("20 cycles", () => {
    const t = read("neware/nw_regular_export_ife_example.csv");
    const cycles = t.metadata.cycles as NewareCycleSummary[];
    const a = analyzeCycling(t);
    expect(a.sources.charge).toBe("instrument");
    expect(a.cycles).toHaveLength(20);
    a.cycles.forEach((c, k) => {
      expect(c.cycle).toBe(cycles[k].cycle);
      expect(Math.abs(c.charge_C / 3600 - cycles[k]["Chg. Cap.(Ah)"])).toBeLessThanOrEqual(NEWARE_SUMMARY_ATOL_AH);
      expect(Math.abs(c.discharge_C / 3600 - cycles[k]["DChg. Cap.(Ah)"])).toBeLessThanOrEqual(NEWARE_SUMMARY_ATOL_AH);
    });
    // the first cycle starts mid-way: 1465 % (README)
    close(a.cycles[0].efficiency_pct, 1465.46, 1e-3);
    close(a.cycles[19].efficiency_pct, 98.44, 1e-3);
    expect(a.steps).toHaveLength(81);
    expect(new Set(a.steps.map((s) => s.type))).toEqual(new Set(["REST", "CC_CHG", "CC_DCH"]));
  });
});

describe("Arbin without step or cycle columns: segmentation by current sign", () => {
  it("2017-05-09_test-TC-contact_CH33.csv", () => {
    const a = analyzeCycling(read("arbin/2017-05-09_test-TC-contact_CH33.csv"));
    expect(a.sources.step).toBe("current");
    expect(a.sources.cycle).toBe("half-cycles");
    expect(a.steps.length).toBeGreaterThan(0);
    expect(a.steps[0].type).toMatch(/CHG/);
  });
});
