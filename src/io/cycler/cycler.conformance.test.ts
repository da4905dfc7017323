/**
 * Cycler readers against `../shared/conformance/echem/README.md`: row counts,
 * column names, first/last values, per-cycle charges and efficiencies, `.mpr`
 * vs `.mpt` agreement at float32 precision, files that must be rejected, and
 * the reading machinery (tiny chunks, streaming) giving identical tables.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../../../test/paths.ts";
import { CYCLER_MPR_MPT_RTOL, CYCLER_README_RTOL } from "../../../test/tolerances.ts";
import { ParseError } from "../../core/errors.ts";
import { parseCyclerBuffer, readCyclerFile, streamCyclerFile, STEP_TYPE_CODE } from "./index.ts";
import type { CyclerTable, NewareCycleSummary } from "./index.ts";

const echem = path.resolve(repoRoot, "../shared/conformance/echem");
const file = (relative: string): string => path.join(echem, relative);
const read = (relative: string): CyclerTable => readCyclerFile(file(relative), { sourceColumns: true });

function close(actual: number, expected: number, rtol = CYCLER_README_RTOL): void {
  const ok = Object.is(actual, expected) || Math.abs(actual - expected) <= rtol * Math.abs(expected);
  expect(ok, `${actual} vs ${expected} (rtol ${rtol})`).toBe(true);
}

function firstLast(values: Float64Array | undefined, first: number, last: number, rtol = CYCLER_README_RTOL): void {
  expect(values).toBeDefined();
  close(values![0], first, rtol);
  close(values![values!.length - 1], last, rtol);
}

function distinct(values: Float64Array): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

const GCPL_MPR_COLUMNS = ["mode", "ox/red", "error", "control changes", "Ns changes", "counter inc.", "Ns", "time/s", "dq/mA.h", "(Q-Qo)/mA.h", "control/V/mA", "Ewe/V", "I Range", "Q charge/discharge/mA.h", "half cycle", "P/W", "flags"];
const GCPL_MPT_COLUMNS = [
  "mode", "ox/red", "error", "control changes", "Ns changes", "counter inc.", "Ns", "time/s", "dq/mA.h", "(Q-Qo)/mA.h", "control/V/mA",
  "Ewe/V", "I Range", "Q charge/discharge/mA.h", "half cycle", "P/W", "Energy charge/W.h", "Energy discharge/W.h", "Capacitance charge/µF",
  "Capacitance discharge/µF", "step time/s", "<I>/mA", "Q discharge/mA.h", "Q charge/mA.h", "Capacity/mA.h", "Efficiency/%", "control/V",
  "control/mA", "cycle number",
];
const MB_MPR_COLUMNS = ["mode", "ox/red", "error", "control changes", "Ns changes", "counter inc.", "Ns", "I Range", "time/s", "control/mA", "Ewe/V", "I/mA", "dq/mA.h", "(Q-Qo)/mA.h", "|Energy|/W.h", "Q charge/discharge/mA.h", "half cycle", "Energy charge/W.h", "Energy discharge/W.h", "Capacitance charge/µF", "Capacitance discharge/µF", "flags"];
const MB_MPT_COLUMNS = [
  "mode", "ox/red", "error", "control changes", "Ns changes", "counter inc.", "Ns", "I Range", "time/s", "control/mA", "Ewe/V", "I/mA",
  "dq/mA.h", "(Q-Qo)/mA.h", "|Energy|/W.h", "Q charge/discharge/mA.h", "half cycle", "Energy charge/W.h", "Energy discharge/W.h",
  "Capacitance charge/µF", "Capacitance discharge/µF", "x", "Q discharge/mA.h", "Q charge/mA.h", "Capacity/mA.h", "Efficiency/%",
  "cycle number", "P/W", "R/Ohm",
];
const PEIS_MPR_COLUMNS = [
  "freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm", "|Z|/Ohm", "Phase(Z)/deg", "time/s", "<Ewe>/V", "<I>/mA", "Cs/µF", "Cp/µF", "cycle number", "I Range",
  "|Ewe|/V", "|I|/A", "Ns", "(Q-Qo)/mA.h", "P/W", "THD Ewe/%", "NSD Ewe/%", "NSR Ewe/%", "|Ewe h2|/V", "|Ewe h3|/V", "|Ewe h4|/V", "|Ewe h5|/V",
  "|Ewe h6|/V", "|Ewe h7|/V", "THD I/%", "NSD I/%", "NSR I/%", "|I h2|/A", "|I h3|/A", "|I h4|/A", "|I h5|/A", "|I h6|/A", "|I h7|/A",
];

describe("BioLogic gcpl.issue_149", () => {
  const mpr = read("biologic/gcpl.issue_149.mpr");
  const mpt = read("biologic/gcpl.issue_149.mpt");

  it(".mpr: new module layout, 132 rows, the flag byte and columns of the README", () => {
    expect(mpr.format).toBe("biologic-mpr");
    expect(mpr.rows).toBe(132);
    expect(mpr.metadata.columnIds).toEqual([1, 2, 3, 21, 31, 65, 131, 4, 7, 13, 5, 6, 39, 467, 468, 70]);
    expect(mpr.metadata.recordBytes).toBe(53);
    expect((mpr.metadata.modules as { name: string; layout: string }[]).map((m) => [m.name, m.layout])).toEqual([
      ["VMP Set", "new"], ["VMP data", "new"], ["VMP LOG", "new"], ["VMP loop", "new"],
    ]);
    expect(mpr.metadata.technique).toBe("GCPL");
    expect(Object.keys(mpr.sourceColumns)).toEqual(GCPL_MPR_COLUMNS);
    const s = mpr.sourceColumns;
    expect(distinct(s.mode)).toEqual([1, 3]);
    expect(distinct(s["ox/red"])).toEqual([0, 1]);
    expect(distinct(s.error)).toEqual([0]);
    expect(distinct(s["control changes"])).toEqual([0, 1]);
    expect(distinct(s["Ns changes"])).toEqual([0, 1]);
    expect(distinct(s["counter inc."])).toEqual([0]);
    expect(distinct(s.Ns)).toEqual([0, 1, 2]);
    firstLast(s["time/s"], 30.15299923827115, 659.9857963771647);
    firstLast(s["Ewe/V"], 3.4228720664978027, Math.fround(3.4320145));
    firstLast(s["half cycle"], 0, 7);
    expect(s["cycle number"]).toBeUndefined();
  });

  it(".mpr: no I column, so current = dq/Δt·3600 (= the .mpt's <I>/mA); SI table", () => {
    expect(mpr.warnings.some((w) => w.includes("current derived"))).toBe(true);
    firstLast(mpr.columns.current_ampere, 0, -0.02999591381717431 / 1000);
    firstLast(mpr.columns.test_time_second, 30.15299923827115, 659.9857963771647);
    firstLast(mpr.columns.voltage_volt, 3.4228720664978027, Math.fround(3.4320145));
    expect(mpr.currentSign).toEqual({ source: "anodic-positive", table: "anodic-positive" });
    expect(distinct(mpr.columns.step_type)).toEqual([STEP_TYPE_CODE.REST, STEP_TYPE_CODE.CC_CHG, STEP_TYPE_CODE.CC_DCH].sort());
  });

  it(".mpr: LOG timestamp, settings date and loop indexes", () => {
    expect(mpr.startTime).toBe("2024-01-10T11:02:29.886");
    expect(mpr.metadata.startDate).toBe("2024-01-10");
    expect(mpr.metadata.loopIndexes).toEqual([0, 33, 66, 99, 132]);
    const zoned = readCyclerFile(file("biologic/gcpl.issue_149.mpr"), { utcOffsetMinutes: 60 });
    expect(zoned.startTime).toBe("2024-01-10T11:02:29.886+01:00");
  });

  it(".mpt: 81 header lines, decimal commas, Latin-1, 29 columns", () => {
    expect(mpt.format).toBe("biologic-mpt");
    expect(mpt.metadata.headerLines).toBe(81);
    expect(mpt.rows).toBe(132);
    expect(Object.keys(mpt.sourceColumns)).toEqual(GCPL_MPT_COLUMNS);
    const s = mpt.sourceColumns;
    firstLast(s["time/s"], 30.15299923827115, 659.9857963771647);
    firstLast(s["Ewe/V"], 3.4228721, 3.4320145);
    firstLast(s["<I>/mA"], 0, -0.02999591381717431);
    firstLast(s["cycle number"], 0, 3);
    for (let i = 0; i < mpt.rows; i++) expect(s["cycle number"][i]).toBe(Math.floor(s["half cycle"][i] / 2));
    expect(mpt.startTime).toBe("2024-01-10T11:02:29.886");
    expect(mpt.metadata.technique).toBe("Galvanostatic Cycling with Potential Limitation");
    expect((mpt.metadata.settings as Record<string, string>)["Electrode surface area"]).toBe("0,000 cm²");
    expect((mpt.metadata.parameters as Record<string, string[]>).Is).toEqual(["0,000", "30,000", "-30,000"]);
    expect((mpt.metadata.parameters as Record<string, string[]>)["unit Is"]).toEqual(["mA", "µA", "µA"]);
  });

  it(".mpt: per-cycle max Q charge / Q discharge and last efficiency", () => {
    const expected = [
      [8.336163e-5, 8.331483e-5, 99.943863],
      [8.335643e-5, 8.332225e-5, 99.958992],
      [8.334833e-5, 8.332939e-5, 99.977272],
      [8.335184e-5, 8.33241e-5, 99.966713],
    ];
    const s = mpt.sourceColumns;
    expected.forEach(([charge, discharge, efficiency], cycle) => {
      let qc = -Infinity;
      let qd = -Infinity;
      let eff = NaN;
      for (let i = 0; i < mpt.rows; i++) {
        if (s["cycle number"][i] !== cycle) continue;
        qc = Math.max(qc, s["Q charge/mA.h"][i]);
        qd = Math.max(qd, s["Q discharge/mA.h"][i]);
        eff = s["Efficiency/%"][i];
      }
      close(qc, charge);
      close(qd, discharge);
      close(eff, efficiency);
    });
  });
});

describe("BioLogic mb.issue_95 (old module layout, data version 3)", () => {
  const mpr = read("biologic/mb.issue_95.mpr");
  it(".mpr", () => {
    expect(mpr.rows).toBe(33);
    expect(mpr.metadata.columnIds).toEqual([1, 2, 3, 21, 31, 65, 131, 39, 4, 20, 6, 8, 7, 13, 74, 467, 468, 123, 124, 125, 126]);
    expect(mpr.metadata.recordBytes).toBe(93);
    expect((mpr.metadata.modules as { layout: string; version: number; name: string }[]).find((m) => m.name === "VMP data")).toMatchObject({ layout: "old", version: 3 });
    expect(Object.keys(mpr.sourceColumns)).toEqual(MB_MPR_COLUMNS);
    const s = mpr.sourceColumns;
    firstLast(s["time/s"], 0, 30.00019924211665);
    firstLast(s["Ewe/V"], 2.327854633331299, 2.3260788917541504);
    firstLast(s["I/mA"], 0, -64.98027801513672);
    firstLast(s["half cycle"], 0, 1);
    close(s["Q charge/discharge/mA.h"][32], -0.1805086487871806);
    close(s["(Q-Qo)/mA.h"][32], 0.09731169646453858);
    firstLast(mpr.columns.current_ampere, 0, -64.98027801513672 / 1000);
    expect(mpr.startTime).toBe("2022-12-08T14:36:53.355");
    expect(mpr.metadata.loopIndexes).toBeUndefined();
  });
  it(".mpt and .de.mpt (decimal comma, one more header line) are numerically identical", () => {
    const mpt = read("biologic/mb.issue_95.mpt");
    const de = read("biologic/mb.issue_95.de.mpt");
    expect(mpt.metadata.headerLines).toBe(93);
    expect(de.metadata.headerLines).toBe(94);
    for (const t of [mpt, de]) {
      expect(t.rows).toBe(33);
      expect(Object.keys(t.sourceColumns)).toEqual(MB_MPT_COLUMNS);
      firstLast(t.sourceColumns["time/s"], 0, 30.00019924211665);
      firstLast(t.sourceColumns["Ewe/V"], 2.3278546, 2.3260789);
      firstLast(t.sourceColumns["I/mA"], 0, -64.980278);
      firstLast(t.sourceColumns["cycle number"], 0, 0);
      close(t.sourceColumns["Efficiency/%"][32], 64.97316);
    }
    for (const name of MB_MPT_COLUMNS) expect(Array.from(de.sourceColumns[name]), name).toEqual(Array.from(mpt.sourceColumns[name]));
  });
});

describe("BioLogic peis.issue_149", () => {
  const mpr = read("biologic/peis.issue_149.mpr");
  const mpt = read("biologic/peis.issue_149.mpt");
  it(".mpr and .mpt", () => {
    expect(mpr.rows).toBe(84);
    expect(mpt.rows).toBe(84);
    expect(mpr.metadata.recordBytes).toBe(148);
    expect(mpr.metadata.technique).toBe("PEIS");
    expect(mpr.metadata.loopIndexes).toEqual([0, 21, 42, 63, 84]);
    expect(Object.keys(mpr.sourceColumns)).toEqual(PEIS_MPR_COLUMNS);
    expect(Object.keys(mpt.sourceColumns)).toHaveLength(63);
    for (const t of [mpr, mpt]) {
      const s = t.sourceColumns;
      firstLast(s["freq/Hz"], 199998.140625, 99.9681625366211);
      firstLast(s["Re(Z)/Ohm"], 12.753284454345703, 82.63318634033203);
      firstLast(s["-Im(Z)/Ohm"], 0.9616784453392029, 17.386201858520508);
      firstLast(s["time/s"], 80.34147426584968, 694.5446237785654);
      firstLast(s["<Ewe>/V"], 3.4222958087921143, 3.4402315616607666);
      firstLast(s["<I>/mA"], 0.025175875052809715, 0.008883479051291943);
      firstLast(s["cycle number"], 1, 4);
      firstLast(t.columns.imaginary_impedance_ohm, -0.9616784453392029, -17.386201858520508);
      expect(distinct(t.columns.step_type)).toEqual([STEP_TYPE_CODE.EIS]);
    }
  });
});

describe(".mpr and .mpt of the same run agree to float32 precision", () => {
  const skip = /THD|NSD|NSR| h\d\|/; // EIS quality indicators are not exported (−1 / 0 in the .mpt)
  for (const base of ["gcpl.issue_149", "mb.issue_95", "peis.issue_149"]) {
    it(base, () => {
      const mpr = read(`biologic/${base}.mpr`);
      const mpt = read(`biologic/${base}.mpt`);
      let compared = 0;
      const compare = (name: string, a: Float64Array, b: Float64Array): void => {
        expect(a.length).toBe(b.length);
        for (let i = 0; i < a.length; i++) {
          const tol = CYCLER_MPR_MPT_RTOL * Math.max(Math.abs(a[i]), Math.abs(b[i]));
          if (!(Math.abs(a[i] - b[i]) <= tol)) expect.fail(`${base} ${name}[${i}]: .mpr ${a[i]} vs .mpt ${b[i]}`);
        }
        compared++;
      };
      for (const [name, values] of Object.entries(mpr.sourceColumns)) if (mpt.sourceColumns[name] && !skip.test(name)) compare(name, values, mpt.sourceColumns[name]);
      for (const [name, values] of Object.entries(mpr.columns)) if (mpt.columns[name]) compare(`table ${name}`, values, mpt.columns[name]);
      expect(compared).toBeGreaterThan(15);
    });
  }
});

describe("Arbin CSV", () => {
  it("2017-05-09_test-TC-contact_CH33.csv: empty step/cycle columns are tolerated", () => {
    const t = read("arbin/2017-05-09_test-TC-contact_CH33.csv");
    expect(t.format).toBe("arbin-csv");
    expect(t.rows).toBe(287);
    expect(Object.keys(t.sourceColumns)).toEqual([
      "Data_Point", "Test_Time", "DateTime", "Step_Time", "Step_Index", "Cycle_Index", "Current", "Voltage", "Charge_Capacity",
      "Discharge_Capacity", "Charge_Energy", "Discharge_Energy", "dV/dt", "Internal_Resistance", "Temperature",
    ]);
    firstLast(t.columns.test_time_second, 0, 1022.8913);
    firstLast(t.columns.unix_time_second, 1494377253.17, 1494378276.0613);
    firstLast(t.columns.voltage_volt, 3.298668384552002, 3.4119858741760254);
    firstLast(t.columns.current_ampere, 6.600444793701172, 1.1000289916992188);
    close(t.columns.cycle_charging_capacity_ah[286], 0.6082700490951538);
    expect(t.columns.step_id).toBeUndefined();
    expect(t.columns.cycle_count).toBeUndefined();
    expect(t.warnings).toContain("column step_id is empty in every row; omitted");
    expect(t.startTime).toBe("2017-05-10T00:47:33.170Z");
    expect(t.currentSign).toEqual({ source: "charge-positive", table: "anodic-positive" });
  });
  it("FastCharge_000025_CH8.csv with its _Metadata.csv", () => {
    const t = read("arbin/FastCharge_000025_CH8.csv");
    expect(t.rows).toBe(248);
    firstLast(t.columns.test_time_second, 10.0024, 1800.0104);
    firstLast(t.columns.voltage_volt, 3.3011441, 3.3009677);
    firstLast(t.columns.current_ampere, 0, 0);
    firstLast(t.columns.cycle_count, 0, 0);
    expect(distinct(t.columns.step_id)).toEqual([0]);
    firstLast(t.columns.unix_time_second, 1494645243.4715, 1494647033.4795);
    expect(t.metadata.arbinMetadata).toMatchObject({
      test_id: 153, device_id: 60369369, iv_ch_id: 7, first_start_datetime: 1494645214,
      schedule_file_name: "2017-05-12_TESTS\\20170512-4_4C-80PER_4_4C.SDU", item_id: "EL150800453116",
    });
  });
});

describe("Maccor text", () => {
  it("PredictionDiagnostics_000151_test.052", () => {
    const t = read("maccor/PredictionDiagnostics_000151_test.052");
    expect(t.format).toBe("maccor-text");
    expect(t.rows).toBe(333);
    expect(Object.keys(t.sourceColumns)).toHaveLength(38);
    const s = t.sourceColumns;
    firstLast(s["Rec#"], 249791, 250123);
    firstLast(t.columns.test_time_second, 769267.24, 769270.57);
    firstLast(t.columns.voltage_volt, 3.86823835, 3.86251621);
    firstLast(t.columns.current_ampere, -4.8400091554, -4.8402380407);
    firstLast(t.columns.cycle_count, 37, 37);
    expect(distinct(t.columns.step_id)).toEqual([44]);
    expect(distinct(s.State)).toEqual(["D".charCodeAt(0)]);
    expect(distinct(t.columns.step_type)).toEqual([STEP_TYPE_CODE.DCH]);
    expect(distinct(s.ES)).toEqual([1]);
    firstLast(s["Amp-hr"], 0.0191579754, 0.0236349063);
    firstLast(t.columns.step_discharging_capacity_ah, 0.0191579754, 0.0236349063);
    // DPt Time crosses midnight: 10/21/2019 23:59:59 → 10/22/2019 00:00:02
    expect(s["DPt Time"][332] - s["DPt Time"][0]).toBe(3);
    expect(new Date(s["DPt Time"][0] * 1000).toISOString()).toBe("2019-10-21T23:59:59.000Z");
    expect(Number.isNaN(s["WF Chg Cap"][0])).toBe(true);
    expect(t.metadata.maccor).toMatchObject({ dateOfTest: "10/10/2019", procedure: "PredictionDiagnostics_000151.000", comment: "00001E" });
  });
});

describe("Neware regular export", () => {
  const t = read("neware/nw_regular_export_ife_example.csv");
  it("three header levels: 20 cycle rows, 81 step rows, 9295 records", () => {
    expect(t.format).toBe("neware-csv");
    expect(t.metadata.cycleRows).toBe(20);
    expect(t.metadata.stepRows).toBe(81);
    expect(t.rows).toBe(9295);
    firstLast(t.sourceColumns.DataPoint, 1, 9295);
    firstLast(t.columns.test_time_second, 0, 100543);
    const time = t.columns.test_time_second;
    for (let i = 1; i < t.rows; i++) if (!(time[i] >= time[i - 1])) expect.fail(`time decreases at row ${i}`);
    firstLast(t.columns.voltage_volt, 4.3185, 4.1544);
    firstLast(t.columns.current_ampere, 0, 0);
    let min = Infinity;
    let max = -Infinity;
    for (const v of t.columns.current_ampere) { min = Math.min(min, v); max = Math.max(max, v); }
    close(min, -0.5, 0.01);
    close(max, 0.5, 0.01);
    firstLast(t.columns.cycle_count, 1, 20);
    expect(distinct(t.columns.step_type)).toEqual([STEP_TYPE_CODE.REST, STEP_TYPE_CODE.CC_CHG, STEP_TYPE_CODE.CC_DCH]);
    expect(t.startTime).toBe("2026-03-06T12:37:25.000");
    const date = t.sourceColumns.Date;
    expect(new Date(date[date.length - 1] * 1000).toISOString()).toBe("2026-03-07T16:33:03.000Z");
  });
  it("cycle summary rows", () => {
    const cycles = t.metadata.cycles as NewareCycleSummary[];
    expect(cycles[0]).toMatchObject({ cycle: 1, "Chg. Cap.(Ah)": 0.02256, "DChg. Cap.(Ah)": 0.33067, "Chg.-DChg. Eff(%)": 1465.46 });
    expect(cycles[19]).toMatchObject({ cycle: 20, "Chg. Cap.(Ah)": 0.26738, "DChg. Cap.(Ah)": 0.2632, "Chg.-DChg. Eff(%)": 98.44 });
  });
});

describe("Battery Data Format", () => {
  it("machine-name labels (SINTEF Landt reference)", () => {
    const t = read("bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv");
    expect(t.format).toBe("bdf-csv");
    expect(t.rows).toBe(25162);
    expect(t.metadata.labelStyle).toBe("machine");
    firstLast(t.columns.test_time_second, 0.02, 262657.764);
    firstLast(t.columns.voltage_volt, 2.9215, 0.1086);
    firstLast(t.columns.current_ampere, 0, -0.0002);
    firstLast(t.columns.step_id, 1, 2);
    expect(distinct(t.columns.step_id)).toHaveLength(3);
    expect(Math.max(...t.columns.charging_capacity_ah)).toBe(0.0032);
    expect(Math.max(...t.columns.discharging_capacity_ah)).toBe(0.0063);
    expect(distinct(t.columns.ambient_temperature_celsius)).toEqual([0]);
    expect(t.warnings).toContain("deprecated BDF label step_index read as step_id");
  });
  it("preferred labels (sample.bdf.csv)", () => {
    const t = read("bdf/sample.bdf.csv");
    expect(t.rows).toBe(3);
    expect(t.metadata.labelStyle).toBe("preferred");
    expect(Object.keys(t.columns)).toEqual(["test_time_second", "voltage_volt", "current_ampere"]);
    firstLast(t.columns.test_time_second, 0, 2);
    firstLast(t.columns.voltage_volt, 3.7, 3.5);
    firstLast(t.columns.current_ampere, 0.1, 0.1);
  });
});

describe("files that must be rejected", () => {
  const gcpl = new Uint8Array(fs.readFileSync(file("biologic/gcpl.issue_149.mpr")));
  const dataBody = 7135; // body of the 'VMP data' module in this file
  const reject = (bytes: Uint8Array, name: string, message: RegExp): ParseError => {
    let caught: unknown;
    try {
      parseCyclerBuffer(bytes, name);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ParseError);
    expect((caught as ParseError).message).toMatch(message);
    return caught as ParseError;
  };
  it(".mpr with an unknown column id names the id and the preceding column", () => {
    const bytes = gcpl.slice();
    bytes[dataBody + 6 + 2 * 12] = 250; // I Range (39) → 250
    const error = reject(bytes, "unknown.mpr", /unknown column id 250 .*after column "Ewe\/V" \(id 6\)/);
    expect(error.file).toBe("unknown.mpr");
  });
  it(".mpr truncated inside a module, or with a record count that does not fit", () => {
    reject(gcpl.slice(0, 12000), "cut.mpr", /declares \d+ body bytes but only \d+ remain/);
    const bytes = gcpl.slice();
    bytes[dataBody] = 133; // n_points 132 → 133
    reject(bytes, "count.mpr", /declares 133 points of 53 bytes/);
  });
  it("a wrong magic, a cut header, a bad row, a missing BDF column, an unknown format", () => {
    reject(new TextEncoder().encode("BIO-LOGIC MODULAR FILX\x1a"), "x.mpr", /not a BioLogic \.mpr/);
    reject(new TextEncoder().encode("EC-Lab ASCII FILE\nNb header lines : 50\n\nGCPL\n"), "x.mpt", /file ends in the header/);
    reject(new TextEncoder().encode("EC-Lab ASCII FILE\nNb header lines : 3\ntime/s\tEwe/V\tI/mA\t\n1\t2\t3\t\n1\t2,5x\t3\t\n"), "x.mpt", /column 2 \(Ewe\/V\): cannot read "2,5x"/);
    reject(new TextEncoder().encode("EC-Lab ASCII FILE\nNb header lines : 3\ntime/s\tEwe/V\tI/mA\t\n1\t2\t3\t\n1\t2\t\n"), "x.mpt", /expected 3 fields/);
    reject(new TextEncoder().encode("Test Time / s,Voltage / V\n0,3.7\n"), "x.bdf.csv", /missing required BDF column current_ampere/);
    reject(new TextEncoder().encode("hello,world\n1,2\n"), "x.csv", /cannot tell the cycler format/);
    reject(new TextEncoder().encode("Test Time / s,Voltage / V,Current / A\n0,3.7,1e400\n"), "x.bdf.csv", /cannot read "1e400"/);
  });
  it("a missing file is a ParseError", () => {
    expect(() => readCyclerFile(path.join(os.tmpdir(), "strata-no-such-file.mpr"))).toThrow(ParseError);
  });
});

describe("reading machinery", () => {
  const all = [
    "biologic/gcpl.issue_149.mpr", "biologic/gcpl.issue_149.mpt", "biologic/mb.issue_95.de.mpt", "biologic/peis.issue_149.mpr",
    "arbin/2017-05-09_test-TC-contact_CH33.csv", "maccor/PredictionDiagnostics_000151_test.052", "bdf/sample.bdf.csv",
  ];
  it("tiny read chunks give identical tables (lines and records split across chunks)", () => {
    for (const name of all) {
      const whole = read(name);
      const chunked = readCyclerFile(file(name), { sourceColumns: true, chunkBytes: 7 });
      expect(chunked.rows, name).toBe(whole.rows);
      for (const [k, v] of Object.entries(whole.columns)) expect(Array.from(chunked.columns[k]), `${name} ${k}`).toEqual(Array.from(v));
      for (const [k, v] of Object.entries(whole.sourceColumns)) expect(Array.from(chunked.sourceColumns[k]), `${name} ${k}`).toEqual(Array.from(v));
    }
  });
  it("CRLF and LF give identical tables; a buffer gives what the file gives", () => {
    const lf = fs.readFileSync(file("biologic/gcpl.issue_149.mpt"));
    const crlf = Buffer.from(lf.toString("latin1").replace(/\n/g, "\r\n"), "latin1");
    const a = parseCyclerBuffer(new Uint8Array(lf), "lf.mpt");
    const b = parseCyclerBuffer(new Uint8Array(crlf), "crlf.mpt");
    const c = read("biologic/gcpl.issue_149.mpt");
    for (const k of Object.keys(a.columns)) {
      expect(Array.from(b.columns[k])).toEqual(Array.from(a.columns[k]));
      expect(Array.from(c.columns[k])).toEqual(Array.from(a.columns[k]));
    }
  });
  it("streamCyclerFile delivers the same rows in chunks without keeping them", () => {
    const whole = read("neware/nw_regular_export_ife_example.csv");
    const voltage = new Float64Array(whole.rows);
    let rows = 0;
    const summary = streamCyclerFile(file("neware/nw_regular_export_ife_example.csv"), (chunk) => {
      expect(chunk.firstRow).toBe(rows);
      voltage.set(chunk.columns.voltage_volt.subarray(0, chunk.rows), chunk.firstRow);
      rows += chunk.rows;
    });
    expect(rows).toBe(whole.rows);
    expect(summary.rows).toBe(whole.rows);
    expect(summary.startTime).toBe(whole.startTime);
    expect(summary.columnNames).toContain("voltage_volt");
    expect(Array.from(voltage)).toEqual(Array.from(whole.columns.voltage_volt));
  });
  it("the columns option keeps only the named BDF columns (plus time, voltage, current)", () => {
    const t = readCyclerFile(file("biologic/gcpl.issue_149.mpr"), { columns: ["half_cycle_count"] });
    expect(Object.keys(t.columns).sort()).toEqual(["current_ampere", "half_cycle_count", "test_time_second", "voltage_volt"]);
    expect(t.sourceColumns).toEqual({});
  });
});

describe("format variants named in electrochemistry.md (synthetic)", () => {
  const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "latin1"));
  it("Maccor: preamble lines, decimal commas, d hh:mm:ss test time, unsigned Amps with State, capacities rebuilt per cycle", () => {
    const preamble = Array.from({ length: 11 }, (_, k) => `Preamble line ${k}`).join("\r\n");
    const header = "Rec#\tCyc#\tStep\tTest (Sec)\tStep (Sec)\tAmp-hr\tWatt-hr\tAmps\tVolts\tState\tES\tDPt Time\t";
    const rows = [
      "1\t1\t1\t0d 00:00:01,0000\t1,0\t0,001\t0,004\t1,5\t3,70\tC\t0\t03/02/2021 10:00:01\t",
      "2\t1\t1\t0d 00:00:02,0000\t2,0\t0,002\t0,008\t1,5\t3,80\tC\t133\t03/02/2021 10:00:02\t",
      "3\t1\t2\t0d 00:00:03,0000\t1,0\t0,001\t0,004\t1,5\t3,60\tD\t0\t03/02/2021 10:00:03\t",
      "4\t1\t3\t0d 00:00:04,0000\t1,0\t0,001\t0,004\t1,5\t3,90\tC\t0\t03/02/2021 10:00:04\t",
      "5\t2\t4\t1d 00:00:05,0000\t1,0\t0,0005\t0,002\t1,5\t3,50\tD\t0\t03/03/2021 10:00:05\t",
    ];
    const t = parseCyclerBuffer(bytes(`${preamble}\r\n${header}\r\n${rows.join("\r\n")}\r\n`), "variant.001");
    expect(t.format).toBe("maccor-text");
    expect(Array.from(t.columns.test_time_second)).toEqual([1, 2, 3, 4, 86405]);
    expect(Array.from(t.columns.current_ampere)).toEqual([1.5, 1.5, -1.5, 1.5, -1.5]);
    expect(Array.from(t.columns.voltage_volt)).toEqual([3.7, 3.8, 3.6, 3.9, 3.5]);
    expect(Array.from(t.columns.cycle_charging_capacity_ah)).toEqual([0.001, 0.002, 0.002, 0.003, 0]);
    expect(Array.from(t.columns.cycle_discharging_capacity_ah)).toEqual([0, 0, 0.001, 0.001, 0.0005]);
    expect(t.startTime).toBe("2021-03-02T10:00:00.000");
    expect((t.metadata.preamble as string[]).length).toBe(11);
  });
  it("BDF: unix time gives the start time; step_type strings become codes; quoted labels", () => {
    const t = parseCyclerBuffer(
      bytes('"Test Time / s","Voltage / V","Current / A","Unix Time / s","Step Type / -","Cycle Count / 1"\n10,3.7,0.1,1700000010,CC_CHG,0\n20,3.8,0,1700000020,REST,0\n'),
      "x.bdf.csv",
    );
    expect(Object.keys(t.columns)).toEqual(["test_time_second", "voltage_volt", "current_ampere", "unix_time_second", "step_type", "cycle_count"]);
    expect(Array.from(t.columns.step_type)).toEqual([STEP_TYPE_CODE.CC_CHG, STEP_TYPE_CODE.REST]);
    expect(t.startTime).toBe("2023-11-14T22:13:20.000Z");
  });
  it("Arbin with units in the names (mA, mAh) and a string Date_Time", () => {
    const t = parseCyclerBuffer(
      bytes("Data_Point,Test_Time(s),Date_Time,Current(mA),Voltage(V),Charge_Capacity(mAh),Discharge_Capacity(mAh)\n1,0,05/09/2017 10:00:00,500,3.5,0,0\n2,10,05/09/2017 10:00:10,500,3.6,1.4,0\n"),
      "units.csv",
    );
    expect(t.format).toBe("arbin-csv");
    expect(Array.from(t.columns.current_ampere)).toEqual([0.5, 0.5]);
    expect(Array.from(t.columns.cycle_charging_capacity_ah)).toEqual([0, 0.0014]);
    expect(t.startTime).toBe("2017-05-09T10:00:00.000");
    expect(t.warnings.some((w) => w.includes("local date-time text"))).toBe(true);
    const zoned = parseCyclerBuffer(
      bytes("Data_Point,Test_Time(s),Date_Time,Current(mA),Voltage(V)\n1,0,05/09/2017 10:00:00,500,3.5\n"), "units.csv", undefined, { utcOffsetMinutes: 120 },
    );
    expect(zoned.startTime).toBe("2017-05-09T08:00:00.000Z");
  });
  it("an EC-Lab header-only file (N = 3) reads as zero rows", () => {
    const t = parseCyclerBuffer(bytes("EC-Lab ASCII FILE\r\nNb header lines : 3\r\ntime/s\tEwe/V\tI/mA\t\r\n"), "empty.mpt");
    expect(t.rows).toBe(0);
    expect(t.startTime).toBeUndefined();
    expect(t.columns.voltage_volt).toHaveLength(0);
  });
});

describe("paths", () => {
  it("a directory is a ParseError", () => {
    expect(() => readCyclerFile(os.tmpdir())).toThrow(ParseError);
  });
});
