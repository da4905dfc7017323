/** campaign/campaign + campaign/align on synthetic campaigns with a known current program. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import h5wasm from "h5wasm/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParseError, ValidationError } from "../../src/core/errors.ts";
import { loadCampaign, type Campaign } from "../../src/campaign/campaign.ts";
import type { ElectrochemicalState } from "../../src/campaign/align.ts";
import { writeOrt } from "../../src/io/ort.ts";
import { stateAt } from "../../src/analysis/electrochemistry/index.ts";
import { ALIGN_RTOL } from "../tolerances.ts";
import { conformanceRoot } from "../paths.ts";
import { analyticState, iso, programIntegrals, RECORD_LEAD_S, SCANS, set, SPECTRA, writeCampaign, type Json, type ScanSpec } from "./fixtures.ts";

let tmp = "";
let counter = 0;
const folder = (): string => path.join(tmp, `c${++counter}`);
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-campaign-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Charge scale of the program (C): analytic zeros are compared absolutely against ALIGN_RTOL × this. */
const CHARGE_SCALE = Math.abs(programIntegrals(-RECORD_LEAD_S, 20000).reduction);

function expectClose(got: number, want: number, scale: number, what: string): void {
  const err = Math.abs(got - want) / Math.max(Math.abs(want), scale);
  expect(err, `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(ALIGN_RTOL);
}

function expectAnalytic(state: ElectrochemicalState | undefined, spec: ScanSpec): void {
  expect(state, spec.id).toBeDefined();
  const want = analyticState(spec.start, spec.end);
  const s = state!;
  expect(s.coverage).toBe(1);
  expect(s.duration_s).toBe(spec.end - spec.start);
  expect(s.time_s).toBe((spec.start + spec.end) / 2);
  expect(s.tStart_s).toBe(spec.start);
  expect(s.tEnd_s).toBe(spec.end);
  const scales: Record<keyof typeof want, number> = {
    meanPotential_V: 1e-3,
    meanCurrent_A: CHARGE_SCALE / 1e4,
    charge_C: CHARGE_SCALE,
    reductionCharge_C: CHARGE_SCALE,
    chargeAtStart_C: CHARGE_SCALE,
    chargeAtMid_C: CHARGE_SCALE,
    chargeAtEnd_C: CHARGE_SCALE,
    reductionChargeAtStart_C: CHARGE_SCALE,
    reductionChargeAtMid_C: CHARGE_SCALE,
    reductionChargeAtEnd_C: CHARGE_SCALE,
  };
  for (const key of Object.keys(want) as (keyof typeof want)[]) expectClose(s[key], want[key], scales[key], `${spec.id} ${key}`);
}

describe("loadCampaign + alignment", () => {
  let campaign: Campaign;
  beforeAll(async () => {
    const dir = folder();
    writeCampaign(dir);
    campaign = await loadCampaign(dir);
  });

  it("tags every scan with the analytic charge passed and mean potential (1e-9 relative)", () => {
    const cell = campaign.cells[0];
    expect(cell.scans.map((s) => s.id)).toEqual(SCANS.map((s) => s.id));
    SCANS.forEach((spec, k) => {
      const scan = cell.scans[k];
      expect(scan.start_s).toBe(spec.start);
      expect(scan.end_s).toBe(spec.end);
      expectAnalytic(scan.state, spec);
    });
    // the current before t0 (1e-5 A for 100 s) is not "since t0"
    expect(cell.scans[0].state!.chargeAtEnd_C).toBe(0);
    // reduction and step labels
    const s06 = cell.scans[5].state!;
    expect(s06.stepType).toBe("CV_DCH");
    expect(s06.cycle).toBe(1);
    expect(s06.reductionChargeAtMid_C).toBeGreaterThan(0.3);
    expect(cell.scans[8].state!.stepType).toBe("CC_CHG");
  });

  it("tags every spectrum the same way", () => {
    const cell = campaign.cells[0];
    expect(cell.spectra.map((s) => s.id)).toEqual(["eis1", "eis2"]);
    SPECTRA.forEach((spec, k) => expectAnalytic(cell.spectra[k].state, spec));
    expect(cell.spectra[0].spectrum.frequency.length).toBe(4);
  });

  it("adds up exposure per spot, and per scan the spot's earlier exposure", () => {
    const cell = campaign.cells[0];
    const sum = (spot: string): number => SCANS.filter((s) => s.spot === spot).reduce((t, s) => t + (s.end - s.start), 0);
    expect(cell.exposureBySpot).toEqual({ P1: sum("P1"), P2: sum("P2"), C1: 0 });
    expect(cell.scans.map((s) => s.spotExposureBefore_s)).toEqual([0, 300, 600, 0, 899.75, 1199.75, 300, 1499.875, 1799.875, 2099.875]);
  });

  it("has no clock warnings on a clean campaign", () => {
    expect(campaign.warnings.filter((w) => w.startsWith("cell "))).toEqual([]);
    expect(campaign.cells[0].cycler!.rows).toBeGreaterThan(1000);
    expect(campaign.cells[0].cyclerOffset_s).toBe(-RECORD_LEAD_S);
  });
});

describe("clock problems are reported", () => {
  it("scans outside the record, overlaps on one spot and across spots, long gaps, a record starting after t0", async () => {
    const scans: ScanSpec[] = [
      { id: "a1", spot: "P1", start: 0, end: 100 },
      { id: "a2", spot: "P1", start: 200, end: 300 },
      { id: "a3", spot: "P1", start: 250, end: 350 }, // overlaps a2 on P1
      { id: "a4", spot: "P2", start: 340, end: 400 }, // overlaps a3 on another spot
      { id: "a5", spot: "P1", start: 500, end: 600 },
      { id: "a6", spot: "P1", start: 5000, end: 5100 }, // gap
      { id: "a7", spot: "P1", start: 10700, end: 11000 }, // partly after the record (ends at 10800)
      { id: "a8", spot: "P2", start: 20000, end: 20100 }, // outside
    ];
    const dir = folder();
    writeCampaign(dir, { scans, spectra: [{ id: "late", spot: "", start: 30000, end: 30100 }], edit: (m) => set(m, "electrochemistry[0].start", iso(50)) });
    const campaign = await loadCampaign(dir);
    const w = campaign.warnings.join("\n");
    expect(w).toContain("cell A: the cycler record starts 50 s after t0; charge before it is unknown and counted as 0");
    expect(w).toContain("cell A: spot P1: scans a2 and a3 overlap by 50 s");
    expect(w).toContain("cell A: scans a3 (spot P1) and a4 (spot P2) overlap by 10 s; one beam cannot be on two spots");
    expect(w).toMatch(/cell A: gap of 4500 s between the starts of scans a5 and a6 \(\d+\.\d × the median interval \d+ s\)/);
    expect(w).toMatch(/cell A: scan a8 \(20000–20100 s since t0\) lies outside the cycler record \(50–10950 s\); no electrochemical state/);
    expect(w).toMatch(/cell A: scan a7 \(10700–11000 s since t0\) is only 83\.3 % inside the cycler record/);
    expect(w).toMatch(/cell A: spectrum late .* lies outside the cycler record/);
    expect(w).toMatch(/cell A: scan a1 \(0–100 s since t0\) is only 50\.0 % inside/);
    const cell = campaign.cells[0];
    expect(cell.scans[7].state).toBeUndefined();
    expect(cell.scans[6].state!.coverage).toBeCloseTo(250 / 300, 12);
    // charge is counted from the record's start (50 s after t0): a2 at mid-window 250 s is record time 0–200 s,
    // which programIntegrals (record time = t + RECORD_LEAD_S) spans as [−100, 100]
    const want = programIntegrals(-RECORD_LEAD_S, 200 - RECORD_LEAD_S).charge;
    expect(Math.abs(cell.scans[1].state!.chargeAtMid_C - want)).toBeLessThanOrEqual(ALIGN_RTOL * CHARGE_SCALE);
  });

  it("counts repeated findings after the first ten", async () => {
    const scans: ScanSpec[] = Array.from({ length: 30 }, (_, k) => ({ id: `o${k}`, spot: "P1", start: 100 + 10 * k, end: 130 + 10 * k }));
    const dir = folder();
    writeCampaign(dir, { scans, spectra: [] });
    const campaign = await loadCampaign(dir);
    const overlaps = campaign.warnings.filter((w) => w.includes("overlap by"));
    expect(overlaps).toHaveLength(10);
    expect(campaign.warnings).toContain("cell A: 19 more overlapping scans on one spot (29 in all)");
  });

  it("a cell without a cycler record: no state, one warning", async () => {
    const dir = folder();
    writeCampaign(dir, { cycler: false });
    const campaign = await loadCampaign(dir);
    expect(campaign.cells[0].cycler).toBeUndefined();
    expect(campaign.cells[0].scans.every((s) => s.state === undefined)).toBe(true);
    expect(campaign.warnings).toContain("cell A: no cycler record in the manifest; scans and spectra carry no electrochemical state");
  });
});

describe("loadCampaign errors", () => {
  const expectError = async (edit: (m: Json) => void, type: typeof ParseError | typeof ValidationError, pattern: RegExp, prepare?: (dir: string) => void): Promise<void> => {
    const dir = folder();
    writeCampaign(dir, { edit });
    prepare?.(dir);
    const error = await loadCampaign(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(pattern);
  };

  it("a missing scan file names the manifest, the JSON path and the file", async () => {
    await expectError((m) => set(m, "scans[3].file", "xrr/nope.ort"), ParseError, /campaign\.json: scans\[3\]\.file: file not found: xrr\/nope\.ort/);
    await expectError((m) => set(m, "electrochemistry[0].file", "echem/B.mpr"), ParseError, /electrochemistry\[0\]\.file: file not found: echem\/B\.mpr/);
    await expectError((m) => set(m, "impedance[1].file", "eis/none.csv"), ParseError, /impedance\[1\]\.file: file not found/);
  });

  it("an unreadable scan keeps the reader's file and line and adds the JSON path", async () => {
    await expectError(() => {}, ParseError, /s03\.ort.*\(scans\[2\]\.file\)/, (dir) => fs.writeFileSync(path.join(dir, "xrr", "s03.ort"), "# not an ort file\n1 2 3\n"));
  });

  it("an invalid manifest is a ValidationError naming the path and value", async () => {
    await expectError((m) => set(m, "cells[0].stack[2].thickness_A", -5), ValidationError, /^cells\[0\]\.stack\[2\]\.thickness_A: must be ≥ 0 \(got -5\)$/);
  });

  it("a record without an absolute clock needs electrochemistry[].start", async () => {
    await expectError((m) => set(m, "electrochemistry[0]", { cell: "A", file: "echem/A.bdf.csv" }), ValidationError, /electrochemistry\[0\]\.start: is required: echem\/A\.bdf\.csv has no absolute clock/);
  });

  it("a record clock without a zone needs start or utcOffset; with utcOffset the file's clock is used", async () => {
    const mpt = path.join(conformanceRoot, "echem", "biologic", "gcpl.issue_149.mpt");
    const withMpt = (extra: Json) => (m: Json): void => {
      set(m, "t0", "2024-01-10T10:00:00Z");
      set(m, "scans", [{ id: "x1", cell: "A", spot: "P1", file: "xrr/s01.ort", start: "2024-01-10T10:03:29.886Z", end: "2024-01-10T10:05:29.886Z" }]);
      set(m, "impedance", []);
      set(m, "electrochemistry", [{ cell: "A", file: mpt, ...extra }]);
    };
    await expectError(withMpt({}), ValidationError, /^electrochemistry\[0\]\.start: is required: the clock of .*gcpl\.issue_149\.mpt \(2024-01-10T11:02:29\.886\) has no time zone/);
    const dir = folder();
    writeCampaign(dir, { edit: withMpt({ utcOffset: "+01:00" }) });
    const campaign = await loadCampaign(dir);
    const cell = campaign.cells[0];
    // 11:02:29.886+01:00 is 2 min 29.886 s after t0
    expect(cell.cyclerOffset_s).toBeCloseTo(149.886, 9);
    const scan = cell.scans[0];
    expect(scan.start_s).toBeCloseTo(209.886, 9);
    expect(scan.state!.coverage).toBe(1);
    expect(scan.state!.tStart_s).toBeCloseTo(209.886, 9);
    // the same window asked of the table directly, on its own axis
    const direct = stateAt(cell.cycler!, 60, 180);
    expect(scan.state!.charge_C).toBeCloseTo(direct.charge_C, 15);
    expect(scan.state!.meanPotential_V).toBeCloseTo(direct.meanPotential_V, 12);
    // a manifest start overrides the file's clock and a disagreement is reported
    const dir2 = folder();
    writeCampaign(dir2, { edit: withMpt({ utcOffset: "+01:00", start: "2024-01-10T10:02:00Z" }) });
    const other = await loadCampaign(dir2);
    expect(other.cells[0].cyclerOffset_s).toBe(120);
    expect(other.warnings.some((w) => /electrochemistry\[0\]\.start \(2024-01-10T10:02:00Z\) differs from the clock of .* by 29\.9 s; using the manifest/.test(w))).toBe(true);
  });

  it("a file with several curves needs scans[].dataset, which must exist", async () => {
    const two = (dir: string): void => {
      const q = Float64Array.of(0.01, 0.02, 0.03);
      const cols = [{ name: "Qz", unit: "1/angstrom" }, { name: "R", unit: "1" }, { error_of: "R" }, { error_of: "Qz", error_type: "resolution" }];
      const header = { data_source: { owner: { name: "x" }, experiment: { title: "t", instrument: "i", start_date: "2026-03-01T10:00:00", probe: "x-ray" }, sample: { name: "s" }, measurement: { instrument_settings: { incident_angle: { magnitude: 1, unit: "deg" }, wavelength: { magnitude: 1, unit: "angstrom" } }, data_files: [] } }, reduction: { software: { name: "t" } } };
      const data = [q, Float64Array.of(1, 0.5, 0.1), Float64Array.of(0.1, 0.05, 0.01), Float64Array.of(0.001, 0.001, 0.001)];
      fs.writeFileSync(path.join(dir, "xrr", "s01.ort"), writeOrt([{ header: { ...header, data_set: 0 }, columns: cols, data }, { header: { ...header, data_set: 1 }, columns: cols, data }]));
    };
    await expectError(() => {}, ValidationError, /^scans\[0\]\.dataset: is required: xrr\/s01\.ort holds 2 curves/, two);
    await expectError((m) => set(m, "scans[0].dataset", 2), ValidationError, /^scans\[0\]\.dataset: must be < 2 .*\(got 2\)$/, two);
    const dir = folder();
    writeCampaign(dir, { edit: (m) => set(m, "scans[0].dataset", 1) });
    two(dir);
    const campaign = await loadCampaign(dir);
    expect(campaign.cells[0].scans[0].data.source).toContain("(dataset 1)");
  });

  it("reads NeXus scans through the manifest's mapping", async () => {
    await h5wasm.ready;
    const dir = folder();
    writeCampaign(dir, {
      edit: (m) => {
        set(m, "scans[1].file", "xrr/s02.nxs");
        set(m, "scans[1].nexus", { q: "Q", r: "R", dr: "dR" });
      },
    });
    const h5 = new h5wasm.File(path.join(dir, "xrr", "s02.nxs"), "w");
    const entry = h5.create_group("entry");
    entry.create_attribute("NX_class", "NXentry");
    entry.create_dataset({ name: "Q", data: Float64Array.of(0.01, 0.02) }).create_attribute("units", "1/angstrom");
    entry.create_dataset({ name: "R", data: Float64Array.of(1, 0.2) });
    entry.create_dataset({ name: "dR", data: Float64Array.of(0.1, 0.02) });
    h5.close();
    const campaign = await loadCampaign(dir);
    const scan = campaign.cells[0].scans[1];
    expect(scan.file).toBe("xrr/s02.nxs");
    expect(Array.from(scan.data.r)).toEqual([1, 0.2]);
    expectAnalytic(scan.state, SCANS[1]);
  });
});
