import path from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError, ValidationError } from "../core/errors.ts";
import { repoRoot } from "../../test/paths.ts";
import { CYCLER_MPR_MPT_RTOL, EIS_READER_RTOL } from "../../test/tolerances.ts";
import { detectImpedanceFormat, parseImpedanceMpr, parseImpedanceText, readImpedanceFile, splitImpedanceSweeps } from "./impedance.ts";

const eisRoot = path.resolve(repoRoot, "../shared/conformance/eis");
const echemRoot = path.resolve(repoRoot, "../shared/conformance/echem");

type Point = [number, number, number];
/** Expected values from shared/conformance/eis/README.md (what impedance.py's readers return). */
const cases: { file: string; format: string; n: number; first: Point; last: Point; warning?: RegExp }[] = [
  { file: "impedance.py/exampleData.csv", format: "csv", n: 66, first: [0.0031623, 0.0494998977640506, -0.020438698544418925], last: [10000.0, 0.015771482660485933, 0.010157474564938236] },
  { file: "impedance.py/exampleDataBioLogic.mpt", format: "biologic", n: 43, first: [1000.3201, 65.470886, -0.38998979], last: [0.01689554, 110.97003, -2.3458567] },
  { file: "impedance.py/exampleDataGamry.DTA", format: "gamry", n: 72, first: [200015.6, 825.8584, -1367.239], last: [0.0158898, 17007.49, -6635.557] },
  { file: "impedance.py/exampleDataGamryABORT.DTA", format: "gamry", n: 72, first: [200015.6, 825.8584, -1367.239], last: [0.0158898, 17007.49, -6635.557], warning: /aborted/ },
  { file: "impedance.py/exampleDataZPlot.z", format: "zplot", n: 21, first: [300000.0, 147.77, -11.335], last: [3000.0, 613.68, -137.13] },
  { file: "impedance.py/exampleDataZPlot_noComments.z", format: "zplot", n: 31, first: [300000.0, 642.62, -85.821], last: [300.0, 1305.3, -195.01] },
  { file: "impedance.py/Circuit3_EIS_1.z", format: "zplot", n: 53, first: [150000.0, 1493.7, 10.377], last: [1.0, 6137.5, 17.89] },
  { file: "impedance.py/exampleDataAutolab.txt", format: "autolab", n: 41, first: [10000.0, 0.013785863964281, 0.007191946305823], last: [0.1, 0.0345697771923854, -0.00390292888845954] },
  { file: "impedance.py/exampleDataCHInstruments.txt", format: "chinstruments", n: 73, first: [99610.0, 98.91, -2.748], last: [0.1, 5685.0, -15860.0] },
  { file: "impedance.py/exampleDataParstat.txt", format: "parstat", n: 31, first: [10000.0, -0.00049816280376104, 0.0175143479976367], last: [10.0, 0.0270946491457229, -0.00399791080333837], warning: /frequency 0/ },
  { file: "impedance.py/exampleDataVersaStudio.par", format: "versastudio", n: 61, first: [100000.0, 55.31571, 4.575431], last: [0.02154435, 1516.313, -122.8279] },
  { file: "impedance.py/exampleDataPowersuite.txt", format: "powersuite", n: 30, first: [0.1, 423929.46, -49014.063], last: [2000000.0, -470.54113, -1397.7358] },
  { file: "pyDRTtools/LIB_data.txt", format: "whitespace", n: 107, first: [999.040405, 0.112362966, 0.00318273902], last: [0.00500083202, 0.151735559, -0.0137396762] },
  { file: "pyDRTtools/data_1.csv", format: "csv", n: 107, first: [999.040405, 0.109963283, 0.003569859], last: [0.005000832, 0.145364374, -0.021382034] },
];

function expectClose(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(EIS_READER_RTOL * Math.abs(expected));
}

function expectPoint(spectrum: ReturnType<typeof readImpedanceFile>, index: number, expected: Point): void {
  expectClose(spectrum.frequency[index], expected[0]);
  expectClose(spectrum.real[index], expected[1]);
  expectClose(spectrum.imag[index], expected[2]);
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

describe("readImpedanceFile: shared/conformance/eis", () => {
  it.each(cases)("$file → N, first and last point ($format)", ({ file, format, n, first, last, warning }) => {
    const spectrum = readImpedanceFile(path.join(eisRoot, file));
    expect(spectrum.format).toBe(format);
    expect(spectrum.frequency.length).toBe(n);
    expect(spectrum.real.length).toBe(n);
    expect(spectrum.imag.length).toBe(n);
    expectPoint(spectrum, 0, first);
    expectPoint(spectrum, n - 1, last);
    if (warning) expect(spectrum.warnings.some((w) => warning.test(w))).toBe(true);
    else expect(spectrum.warnings).toEqual([]);
  });

  it("detects the format from the content even when forced names differ in case", () => {
    const spectrum = readImpedanceFile(path.join(eisRoot, "impedance.py/exampleDataBioLogic.mpt"), { format: "MPT" });
    expect(spectrum.format).toBe("biologic");
    expect(spectrum.metadata?.signConvention).toMatch(/negated/);
  });

  it("fails on the BioLogic file without a freq/Hz column, naming the file, line and column", () => {
    const file = path.join(eisRoot, "impedance.py/exampleDataBioLogic_MissingFreq.mpt");
    const error = parseErrorOf(() => readImpedanceFile(file));
    expect(error.file).toBe(file);
    expect(error.line).toBe(61);
    expect(error.message).toContain('"freq/Hz" not found in the column headers');
    expect(error.message).toContain("exampleDataBioLogic_MissingFreq.mpt:61");
  });
});

describe("readImpedanceFile: BioLogic PEIS (shared/conformance/echem/biologic)", () => {
  const file = path.join(echemRoot, "biologic/peis.issue_149.mpt");

  it("reads 84 rows of four 21-point sweeps with -Im(Z) negated (values per echem README)", () => {
    const spectrum = readImpedanceFile(file);
    expect(spectrum.format).toBe("biologic");
    expect(spectrum.frequency.length).toBe(84);
    expectPoint(spectrum, 0, [199998.14, 12.753284, -0.96167845]);
    expectPoint(spectrum, 83, [99.968163, 82.633186, -17.386202]);
    expect(spectrum.cycle?.[0]).toBe(1);
    expect(spectrum.cycle?.[83]).toBe(4);
  });

  it("splits into one spectrum per sweep", () => {
    const sweeps = splitImpedanceSweeps(readImpedanceFile(file));
    expect(sweeps.map((s) => s.frequency.length)).toEqual([21, 21, 21, 21]);
    expect(sweeps.map((s) => s.cycle?.[0])).toEqual([1, 2, 3, 4]);
    expect(sweeps[3].metadata?.sweep).toBe("4");
    expectClose(sweeps[1].frequency[0], sweeps[0].frequency[0]);
  });

  it("splits on a restarted sweep when there is no cycle column", () => {
    const text = "1000,1,-1\n100,2,-2\n10,3,-3\n1000,1,-1\n100,2,-2\n";
    expect(splitImpedanceSweeps(parseImpedanceText(text, "two.csv")).map((s) => s.frequency.length)).toEqual([3, 2]);
  });

  it("reads a binary PEIS .mpr: the values shared/conformance/echem/README.md gives (galvani), and the same spectrum as its .mpt export", () => {
    const mpr = readImpedanceFile(path.join(echemRoot, "biologic/peis.issue_149.mpr"));
    expect(mpr.format).toBe("biologic-mpr");
    expect(mpr.metadata?.technique).toBe("PEIS");
    expect(mpr.frequency.length).toBe(84);
    // README: freq 199998.140625 → 99.9681625366211 Hz; Re(Z) 12.753284454345703 → 82.63318634033203 Ω; −Im(Z) 0.9616784453392029 → 17.386201858520508 Ω
    expectClose(mpr.frequency[0], 199998.140625);
    expectClose(mpr.frequency[83], 99.9681625366211);
    expectClose(mpr.real[0], 12.753284454345703);
    expectClose(mpr.real[83], 82.63318634033203);
    expectClose(mpr.imag[0], -0.9616784453392029);
    expectClose(mpr.imag[83], -17.386201858520508);
    // 4 sweeps of 21 points, cycle number 1 → 4; loop indexes [0, 21, 42, 63, 84]; acquisition 01/10/2024 11:02:29.886
    expect(splitImpedanceSweeps(mpr).map((s) => [s.cycle?.[0], s.frequency.length])).toEqual([[1, 21], [2, 21], [3, 21], [4, 21]]);
    expect(mpr.metadata?.loopIndexes).toBe("0, 21, 42, 63, 84");
    expect(mpr.metadata?.acquisitionStartLocal).toBe("2024-01-10T11:02:29.886");
    const mpt = readImpedanceFile(path.join(echemRoot, "biologic/peis.issue_149.mpt"));
    expect(Array.from(mpr.cycle!)).toEqual(Array.from(mpt.cycle!));
    for (let i = 0; i < 84; i++) {
      // float32 in the .mpr against 8 significant digits in the .mpt
      for (const key of ["frequency", "real", "imag"] as const) expect(Math.abs(mpr[key][i] - mpt[key][i])).toBeLessThanOrEqual(CYCLER_MPR_MPT_RTOL * Math.abs(mpt[key][i]));
    }
  });

  it("refuses a .mpr of a technique without impedance columns, and bytes that are not a .mpr", () => {
    expect(parseErrorOf(() => readImpedanceFile(path.join(echemRoot, "biologic/gcpl.issue_149.mpr"))).message).toMatch(/technique GCPL has no impedance columns/);
    expect(parseErrorOf(() => parseImpedanceMpr(Buffer.from("freq/Hz\tRe(Z)/Ohm\n"), "x.mpr")).message).toMatch(/not a BioLogic \.mpr file/);
  });
});

describe("parseImpedanceText", () => {
  it("accepts Latin-1 bytes and decimal commas in an EC-Lab export", () => {
    const header = "EC-Lab ASCII FILE\nNb header lines : 4\n\nfreq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\tCs/\xb5F\n";
    const bytes = Buffer.from(`${header}1,0000E+003\t6,5E+001\t3,9E-001\t1\n`, "latin1");
    const spectrum = parseImpedanceText(bytes, "comma.mpt");
    expect(Array.from(spectrum.frequency)).toEqual([1000]);
    expect(spectrum.real[0]).toBeCloseTo(65, 12);
    expect(spectrum.imag[0]).toBeCloseTo(-0.39, 12);
  });

  it("reads impedance.py's saveCSV output (# header) and header-named columns, negating -Z''", () => {
    const saved = parseImpedanceText("# freq,Re(Z),Im(Z)\n100,1.5,-0.5\n10,2.5,-1.5\n", "saved.csv");
    expect(Array.from(saved.imag)).toEqual([-0.5, -1.5]);
    const nova = parseImpedanceText("Frequency (Hz);Z' (Ω);-Z'' (Ω);Z (Ω)\n100;1.5;0.5;1.6\n", "nova.txt");
    expect(Array.from(nova.real)).toEqual([1.5]);
    expect(Array.from(nova.imag)).toEqual([-0.5]);
  });

  it("counts CR CR LF as one line break (PowerSuite) when naming lines", () => {
    const text = "Frequency\t Zre\t Zimg\r\r\n0.1\t 1\t -1\r\r\n0.2\t x\t -1\r\r\n";
    const error = parseErrorOf(() => parseImpedanceText(text, "ps.txt"));
    expect(error.line).toBe(3);
    expect(error.message).toContain("column 2 (Zre)");
  });

  it("rejects text in a number column, naming file, line and column", () => {
    const error = parseErrorOf(() => parseImpedanceText("1000,1,-1\n100,abc,-2\n", "bad.csv"));
    expect(error.file).toBe("bad.csv");
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/bad\.csv:2: column 2 \(Z'\) is not a finite number: "abc"/);
  });

  it("rejects missing columns", () => {
    const error = parseErrorOf(() => parseImpedanceText("1000,1,-1\n100,2\n", "short.csv"));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/expected at least 3 columns/);
  });

  it("rejects non-positive frequencies (except Parstat's f = 0 DC rows, which are dropped)", () => {
    expect(parseErrorOf(() => parseImpedanceText("1000,1,-1\n0,2,-2\n", "zero.csv")).message).toMatch(/zero\.csv:2: frequency must be positive, got 0/);
    expect(parseErrorOf(() => parseImpedanceText("1000 1 -1\n-5 2 -2\n", "neg.txt")).line).toBe(2);
    const parstat = "Potential (V)\tCurrent (A)\tElapsed Time (s)\tFrequency (Hz)\tZre (ohms)\tZim (ohms)\t\n3.5\t0\t1\t0\t0\t0\t\n3.5\t0\t2\t100\t1\t-1\t\n";
    const spectrum = parseImpedanceText(parstat, "p.txt");
    expect(spectrum.format).toBe("parstat");
    expect(Array.from(spectrum.frequency)).toEqual([100]);
    expect(spectrum.warnings).toEqual(["dropped 1 rows with frequency 0 (DC pre-conditioning points)"]);
  });

  it("rejects an empty table and an unknown format", () => {
    expect(parseErrorOf(() => parseImpedanceText("# nothing\n\n", "empty.csv")).message).toMatch(/no impedance data rows/);
    expect(() => parseImpedanceText("1,1,1\n", "x.csv", "nonsense")).toThrow(ValidationError);
  });

  it("detects formats by extension when the content is ambiguous", () => {
    expect(detectImpedanceFormat("1,2,3\n", "a.csv")).toBe("csv");
    expect(detectImpedanceFormat("1\t2\t3\n", "a.mpt")).toBe("biologic");
    expect(detectImpedanceFormat("1\t2\t3\n", "a.par")).toBe("versastudio");
  });
});
