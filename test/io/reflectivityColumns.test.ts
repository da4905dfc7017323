/**
 * Column files and the SNS Liquids Reflectometer reduced text, on the real April 2025 data
 * (../shared/realdata/sns-cu-thf-2025, BSD-3, from mdoucet/experiments-2025): point counts,
 * Q ranges and header metadata checked against what the files' own headers state and the
 * data README (slices: 261 points over Q ≈ 0.014–0.053 Å⁻¹; dQ is the FWHM); and the dQ
 * measure rule (declared by the header or the option, never guessed).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../src/core/errors.ts";
import { FWHM_TO_SIGMA } from "../../src/kernels/reflectivity/smear.ts";
import { parseReflectivityColumns, readReflectivityData } from "../../src/io/reflectivityData.ts";
import { sharedRoot } from "../paths.ts";

const sns = path.join(sharedRoot, "realdata", "sns-cu-thf-2025");
const steady = path.join(sns, "steady");
const slices = path.join(sns, "tnr_during_eis");

/** Relative agreement of dQ/Q with the Meta `dq_over_q`: both are written from the same reduction to ≥ 15 digits. */
const DQ_OVER_Q_RTOL = 1e-9;
/** The Meta θ against half the table's 2θ (printed to 6 significant digits). */
const ANGLE_TOL_DEG = 1e-4;

/** Data rows counted independently of the reader: non-blank lines not starting with `#`. */
function dataRows(file: string): string[][] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => l.split(/\s+/));
}

function parseErrorOf(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error("expected a ParseError");
}

describe("SNS Liquids Reflectometer reduced files", () => {
  const files = fs.readdirSync(steady).filter((f) => f.endsWith(".txt")).sort();

  it("every steady file reads with its header's metadata, dQ converted from FWHM to σ", () => {
    expect(files).toHaveLength(9);
    for (const name of files) {
      const file = path.join(steady, name);
      const [curve] = readReflectivityData(file);
      const rows = dataRows(file);
      expect(curve.q.length, name).toBe(rows.length);
      expect(curve.dqMeasure).toBe("fwhm");
      const text = fs.readFileSync(file, "utf8");
      const run = /^# Experiment (\S+) Run (\d+)$/m.exec(text)!;
      const header = curve.header!;
      expect(header.format).toBe("sns-liquids-reflectometer");
      expect(header.experiment).toBe(run[1]);
      expect(header.run).toBe(run[2]);
      expect(header.title).toBe(/^# Run title: (.*)$/m.exec(text)![1]);
      // the file's zone-less start time, read as UTC
      expect(header.startTime).toBe(`${/^# Run start time: (.{23})/m.exec(text)![1]}Z`);
      for (let i = 0; i < rows.length; i++) {
        expect(curve.q[i]).toBe(Number(rows[i][0]));
        expect(curve.dq![i]).toBe(Number(rows[i][3]) * FWHM_TO_SIGMA);
      }
      // Q within the range the angle table states for the angles combined
      const qMin = Math.min(...header.angles!.map((a) => a.qRange[0]));
      const qMax = Math.max(...header.angles!.map((a) => a.qRange[1]));
      expect(curve.q[0]).toBeGreaterThanOrEqual(qMin);
      expect(curve.q[curve.q.length - 1]).toBeLessThanOrEqual(qMax);
      const partial = /_partial\.txt$/.test(name);
      expect(header.kind).toBe(partial ? "partial" : "combined");
      if (partial) {
        const meta = JSON.parse(/^# Meta:(.*)$/m.exec(text)![1]) as Record<string, number | string>;
        expect(header.angles).toHaveLength(1);
        // Meta theta is in radians: θ in degrees is half the table's 2θ
        expect(header.angle_deg!).toBeCloseTo(header.angles![0].twoTheta_deg / 2, -Math.log10(ANGLE_TOL_DEG));
        expect(header.angle_deg).toBe(((meta["theta"] as number) * 180) / Math.PI);
        // and λ_max, θ give the stated q_min: Q = 4π sin θ / λ
        expect((4 * Math.PI * Math.sin(meta["theta"] as number)) / (meta["wl_max"] as number)).toBeCloseTo(meta["q_min"] as number, 7);
        expect(header.wavelengthRange_A).toEqual([meta["wl_min"], meta["wl_max"]]);
        expect(header.sequenceNumber).toBe(Number(/_(\d)_\d+_partial/.exec(name)![1]));
        // Meta dq_over_q is the relative FWHM of the rows' dQ
        for (let i = 0; i < curve.q.length; i++) expect(curve.dq![i] / curve.q[i] / FWHM_TO_SIGMA / (meta["dq_over_q"] as number)).toBeCloseTo(1, -Math.log10(DQ_OVER_Q_RTOL));
      } else if (name.includes("218389")) {
        expect(header.angles).toHaveLength(1);
        expect(header.angle_deg).toBe(header.angles![0].twoTheta_deg / 2);
      } else {
        // the steady states were measured at three angles (data README)
        expect(header.angles).toHaveLength(3);
        expect(header.angle_deg).toBeUndefined();
      }
    }
  });

  it("the three partial files of a state start at increasing times and angles", () => {
    for (const run of ["218386", "218393"]) {
      const parts = files.filter((f) => f.startsWith(`REFL_${run}_`) && f.endsWith("_partial.txt")).map((f) => readReflectivityData(path.join(steady, f))[0].header!);
      expect(parts).toHaveLength(3);
      for (let i = 1; i < 3; i++) {
        expect(Date.parse(parts[i].startTime!)).toBeGreaterThan(Date.parse(parts[i - 1].startTime!));
        expect(parts[i].angle_deg!).toBeGreaterThan(parts[i - 1].angle_deg!);
        expect(parts[i].sequenceId).toBe(run);
      }
    }
  });

  it("the 15 headerless slices need the declaration; with it they read 261 points over Q ≈ 0.014–0.053 Å⁻¹", () => {
    for (let i = 1; i <= 15; i++) {
      const file = path.join(slices, `r218389_sequence_${i}_eis_${i}.txt`);
      const error = parseErrorOf(() => readReflectivityData(file));
      expect(error.message).toMatch(/column 4 \(dQ\) has no declared measure.*"dqMeasure": "fwhm" or "sigma".*--dq-measure fwhm\|sigma/);
      expect(error.message).not.toMatch(/\n/);
      const [curve] = readReflectivityData(file, { dqMeasure: "fwhm" });
      expect(curve.q.length).toBe(261);
      expect(curve.q[0]).toBeGreaterThan(0.014);
      expect(curve.q[0]).toBeLessThan(0.015);
      expect(curve.q[260]).toBeGreaterThan(0.052);
      expect(curve.q[260]).toBeLessThan(0.054);
      expect(curve.header).toBeUndefined();
      const rows = dataRows(file);
      expect(curve.dq![0]).toBe(Number(rows[0][3]) * FWHM_TO_SIGMA);
      const sigma = readReflectivityData(file, { dqMeasure: "sigma" })[0];
      expect(sigma.dq![0]).toBe(Number(rows[0][3]));
    }
  });
});

describe("Mantid MFT text (ILL/ISIS SaveReflectometryAscii)", () => {
  it("reads the example file of Mantid's SaveReflectometryAscii documentation: header as metadata, q_res (FWHM) converted to σ", () => {
    // docs/source/algorithms/SaveReflectometryAscii-v1.rst (mantidproject/mantid): the writer pads every value to 28 characters
    const pad = (cells: string[]): string => cells.map((c) => c.padStart(28)).join("");
    const header = ["Instrument : Not defined", "User-local contact : Not defined", "Title : MyTest", "Subtitle : Not defined", "Start date + time : Not defined", "End date + time : Not defined", "Theta 1 + dir + ref numbers : Not defined", "Theta 2 + dir + ref numbers : Not defined", "Theta 3 + dir + ref numbers : Not defined", "d : 0.29999999999999999", ...Array.from({ length: 8 }, () => "Parameter  : Not defined"), "Number of file format : 40", "Number of data points : 3"];
    const rows = [["5.000000000000000e-01", "0.000000000000000e+00", "1.000000000000000e+00", "9.500000000000000e+00"], ["1.500000000000000e+00", "1.000000000000000e+00", "1.000000000000000e+00", "9.500000000000000e+00"], ["2.500000000000000e+00", "2.000000000000000e+00", "1.000000000000000e+00", "9.500000000000000e+00"]];
    const text = ["MFT", ...header, "", pad(["q", "refl", "refl_err", "q_res (FWHM)"]), ...rows.map(pad), ""].join("\n");
    const curve = parseReflectivityColumns(text, "MyTest.mft");
    expect(Array.from(curve.q)).toEqual([0.5, 1.5, 2.5]);
    expect(Array.from(curve.r)).toEqual([0, 1, 2]);
    expect(curve.dqMeasure).toBe("fwhm");
    expect(Array.from(curve.dq!)).toEqual([9.5, 9.5, 9.5].map((x) => x * FWHM_TO_SIGMA));
    expect(curve.header?.format).toBe("mft");
    expect(curve.header?.title).toBe("MyTest");
    expect(curve.header?.instrument).toBeUndefined();
    expect(curve.header?.meta?.["d"]).toBe("0.29999999999999999");
    expect(curve.warnings).toEqual([]);
    // a wrong point count is reported; a bad row names its line (header lines counted)
    expect(parseReflectivityColumns(text.replace("Number of data points : 3", "Number of data points : 4"), "n.mft").warnings).toEqual(["n.mft: the header says 4 data points, the file holds 3"]);
    expect(parseErrorOf(() => parseReflectivityColumns(text.replace("2.000000000000000e+00", "nan"), "nan.mft")).message).toMatch(/^nan\.mft:26: column 2 is not a finite number/);
  });
});

describe("the dQ measure of column files", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-dq-"));
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const rows = "0.01 0.9 0.01 0.0004\n0.02 0.5 0.01 0.0008\n";

  it("a header naming dQ as sigma or FWHM declares it; a contradicting option is refused", () => {
    const sigma = write("sigma.dat", `# Q R dR dQ(sigma)\n${rows}`);
    expect(Array.from(readReflectivityData(sigma)[0].dq!)).toEqual([0.0004, 0.0008]);
    expect(Array.from(readReflectivityData(sigma, { dqMeasure: "sigma" })[0].dq!)).toEqual([0.0004, 0.0008]);
    expect(parseErrorOf(() => readReflectivityData(sigma, { dqMeasure: "fwhm" })).message).toMatch(/sigma\.dat:1: dqMeasure "fwhm" contradicts the file's header, which declares column 4 \(dQ\) as sigma/);
    const fwhm = write("fwhm.dat", `# q  refl  refl_err  dq (FWHM)\n${rows}`);
    expect(readReflectivityData(fwhm)[0].dq![0]).toBe(0.0004 * FWHM_TO_SIGMA);
    const greek = write("greek.dat", `# Q R dR dQ σ\n${rows}`);
    expect(readReflectivityData(greek)[0].dqMeasure).toBe("sigma");
  });

  it("no declaration or an ambiguous one is a one-line error; a 3-column file needs none", () => {
    const bare = write("bare.dat", `# Q R dR dQ\n${rows}`);
    const error = parseErrorOf(() => readReflectivityData(bare));
    expect(error.message).toMatch(/^.*bare\.dat: column 4 \(dQ\) has no declared measure/);
    const both = write("both.dat", `# Q R dR dQ (FWHM, not sigma)\n${rows}`);
    expect(parseErrorOf(() => readReflectivityData(both)).message).toMatch(/both\.dat:1: .*ambiguous/);
    const three = write("three.dat", "0.01 0.9 0.01\n0.02 0.5 0.01\n");
    const [curve] = readReflectivityData(three);
    expect(curve.dq).toBeUndefined();
    expect(curve.dqMeasure).toBeUndefined();
  });
});
