import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError, ValidationError } from "../core/errors.ts";
import { createRandom } from "../core/random.ts";
import { conformanceRoot } from "../../test/paths.ts";
import { ortReflectivity, parseOrt, readOrt, writeOrt } from "./ort.ts";
import type { OrtDataset } from "./ort.ts";

const ortDir = path.join(conformanceRoot, "ort");
const conformance = (name: string): string => path.join(ortDir, name);
const read = (name: string): string => fs.readFileSync(conformance(name), "utf8");

/** Dig into a header by a dotted path (numbers index lists). */
function at(tree: unknown, dotted: string): unknown {
  let node = tree;
  for (const key of dotted.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Expects a ParseError at `line` (`null`: any line). */
function expectParseError(run: () => unknown, line: number | undefined | null, message?: RegExp): ParseError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ParseError);
  const error = caught as ParseError;
  if (line !== null) expect(error.line).toBe(line);
  if (message) expect(error.message).toMatch(message);
  return error;
}

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** A minimal schema-valid header plus unknown keys at several levels. */
function sampleHeader(): Record<string, unknown> {
  return {
    data_source: {
      owner: { name: "A. Person", affiliation: null, contact: "b''" },
      experiment: {
        title: "Operando Li plating on Cu",
        instrument: "OFFSPEC",
        start_date: "2024-03-05T08:00:00+01:00",
        probe: "neutron",
        proposalID: "20230368",
      },
      sample: { name: "Cu|LP57", model: { stack: "Si | Cu 50 | electrolyte" }, cell_id: "C-7" },
      measurement: {
        instrument_settings: {
          incident_angle: { min: 0.3, max: 2.5, unit: "deg" },
          wavelength: { min: 2, max: 14, unit: "angstrom" },
          polarization: "unpolarized",
          potential: { magnitude: -0.05, unit: "V", comment: "vs Li/Li+" },
        },
        data_files: [{ file: "raw/run1.nxs", timestamp: "2024-03-05T08:00:00" }, "raw/run2.nxs"],
        scheme: "angle-dispersive",
      },
    },
    reduction: { software: { name: "strata", version: "0.1" }, corrections: ["footprint", "background"] },
    // unknown keys, and strings a YAML writer must quote
    operando: {
      cycle: 3,
      flags: [true, false, null],
      numbers: [1e-300, -0.5, 2 ** 64, -0, Number.NaN, Infinity],
      strings: ["1", "yes", "no", "2021-05-12", " lead", "trail ", "a: b", "# hash", "multi\nline\n", "", "Å µ ±", "'", '"', "null", "~", "0x10", "data_set: 9"],
      nested: { deeper: { deepest: { list: [[1, 2], { a: [] }, {}] } } },
    },
    comment: "written by the test",
  };
}

const COLUMNS = [
  { name: "Qz", unit: "1/angstrom", physical_quantity: "normal momentum transfer" },
  { name: "R", unit: "1", physical_quantity: "specular reflectivity" },
  { error_of: "R", error_type: "uncertainty", value_is: "sigma", distribution: "gaussian" },
  { error_of: "Qz", error_type: "resolution", value_is: "sigma", distribution: "gaussian" },
  { name: "lambda", unit: "angstrom", physical_quantity: "wavelength", flag_is: ["a", "b"], extra_key: { x: 1 } },
];

/** Random doubles over the whole bit space, plus the awkward ones. */
function awkwardColumn(seed: number, n: number): Float64Array {
  const rng = createRandom(seed);
  const special = [0, -0, Number.NaN, Infinity, -Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, 0.1 + 0.2, 1 / 3, 1e21, 1e-7, 123456789012345680000];
  const out = new Float64Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    if (i < special.length) out[i] = special[i];
    else {
      bits[2 * i] = rng.nextUint32();
      bits[2 * i + 1] = rng.nextUint32();
    }
  }
  return out;
}

describe("parseOrt on the conformance files", () => {
  describe("prist5_10K_m_025.Rqz.ort (1.0 standard, real Amor file)", () => {
    const file = readOrt(conformance("prist5_10K_m_025.Rqz.ort"));
    const ds = file.datasets[0];
    const h = ds.header;

    it("reads one dataset of 79 × 4 with data_set 0 before columns", () => {
      expect(file.version).toBe("1.0");
      expect(file.warnings).toEqual([]);
      expect(file.datasets).toHaveLength(1);
      expect(h.data_set).toBe(0);
      expect(ds.rows).toBe(79);
      expect(ds.columns).toHaveLength(4);
      expect(ds.data).toHaveLength(4);
      expect(ds.firstDataLine).toBe(46);
      expect(ds.firstDataLine + ds.rows - 1).toBe(124);
      for (const column of ds.data) expect(column.some(Number.isNaN)).toBe(false);
    });

    it("reads the columns, R.unit '' and all", () => {
      expect(ds.columns.map(({ raw: _raw, ...rest }) => rest)).toEqual([
        { name: "Qz", unit: "1/angstrom", physicalQuantity: "normal momentum transfer" },
        { name: "R", unit: "", physicalQuantity: "specular reflectivity" },
        { name: "sR", unit: "", errorOf: "R", errorType: "uncertainty", valueIs: "sigma", distribution: "gaussian" },
        { name: "sQz", unit: "1/angstrom", errorOf: "Qz", errorType: "resolution", valueIs: "sigma", distribution: "gaussian" },
      ]);
      expect(ds.columns[1].raw).toEqual({ name: "R", unit: "", physical_quantity: "specular reflectivity" });
      expect(ds.columns[3].raw).toEqual({ error_of: "Qz", error_type: "resolution", value_is: "sigma" });
    });

    it("reads the first and last rows exactly and the 8 empty bins", () => {
      const row = (i: number) => ds.data.map((c) => c[i]);
      expect(row(0)).toEqual([2.1999999999999997e-3, 4.7241193897215048e-3, 4.7241193897215048e-3, 1.9999999999999987e-4]);
      expect(row(78)).toEqual([1.0386554310314079e-1, 0, 0, 2.0773108620628228e-3]);
      let empty = 0;
      for (let i = 0; i < ds.rows; i++) if (ds.data[1][i] === 0 && ds.data[2][i] === 0) empty++;
      expect(empty).toBe(8);
    });

    it("reads the header values (b'' contact, quoted numbers, two-line flow mapping, user keys)", () => {
      expect(at(h, "data_source.owner")).toEqual({ name: "Artur Glavic", affiliation: null, contact: "b''" });
      expect(at(h, "data_source.experiment")).toEqual({
        title: "Structural evolution of the CO2/Water interface",
        instrument: "Amor",
        start_date: "2023-11-29T10:12:45",
        probe: "neutron",
        facility: "SINQ@PSI",
        proposalID: "20230368",
      });
      expect(at(h, "data_source.sample.name")).toBe("prist4");
      expect(at(h, "data_source.sample.model.stack")).toBe("vacuum | Al2O3 2 | Ti0.27Co0.73 9.3 | Si");
      expect(at(h, "data_source.sample.sample_parameters.tempMean")).toEqual({ magnitude: -9999 });
      const settings = at(h, "data_source.measurement.instrument_settings") as Record<string, unknown>;
      expect(settings.incident_angle).toEqual({ min: 0.0950000000000002, max: 1.495, unit: "deg" });
      expect(settings.wavelength).toEqual({ min: 3, max: 12, unit: "angstrom" });
      expect(settings.mu).toEqual({ magnitude: 0.25, unit: "deg", comment: "sample angle to referece direction" });
      expect(settings.nu).toEqual({ magnitude: 1.0450000000000002, unit: "deg", comment: "detector angle to referece direction" });
      expect(settings).not.toHaveProperty("polarization");
      expect(at(h, "data_source.measurement.data_files")).toEqual([
        { file: "raw/amor2023n000848.hdf", timestamp: "2023-11-29T10:12:45", amor_monitor: 1792.443302905 },
      ]);
      expect(at(h, "data_source.measurement.references")).toEqual([]);
      expect(at(h, "data_source.measurement.scheme")).toBe("angle- and energy-dispersive");
      expect(at(h, "data_source.measurement.amor_monitor")).toBe(1792.443302905);
      expect(h.reduction).toEqual({
        software: { name: "eos", version: "2.0" },
        timestamp: "2023-11-29T10:57:48.480339",
        computer: "amor.psi.ch",
        call: "eos.py -a 0.04 -F 0.0093,0.0101 -n 848 prist5_10K_m_025",
      });
    });

    it("gives Q, R, dR, dQ as they are (1/angstrom, σ) and warns about the empty bins", () => {
      const curve = ortReflectivity(ds, "prist5");
      expect(bitsEqual(curve.q, ds.data[0])).toBe(true);
      expect(bitsEqual(curve.r, ds.data[1])).toBe(true);
      expect(bitsEqual(curve.dr!, ds.data[2])).toBe(true);
      expect(bitsEqual(curve.dq!, ds.data[3])).toBe(true);
      expect(curve.warnings).toEqual(["prist5: 8 rows have R = 0 and dR = 0 (empty bins)"]);
    });
  });

  describe("test_example.ort (0.1 draft, legacy keys)", () => {
    const file = readOrt(conformance("test_example.ort"));
    const ds = file.datasets[0];
    const h = ds.header;

    it("reads one dataset of 2 × 4 with data_set after columns", () => {
      expect(file.version).toBe("0.1");
      expect(file.warnings).toEqual([]);
      expect(file.datasets).toHaveLength(1);
      expect(h.data_set).toBe("spin_up");
      expect(ds.rows).toBe(2);
      expect(ds.firstDataLine).toBe(73);
      expect(ds.data.map((c) => c[0])).toEqual([1.03563296e-2, 3.88100068, 4.33909068, 5.17816478e-5]);
      expect(ds.data.map((c) => c[1])).toEqual([1.06717294e-2, 1.16430511e1, 8.89252719, 5.33586471e-5]);
    });

    it("applies ErrorColumn defaults and keeps the legacy `dimension` key", () => {
      expect(ds.columns.map(({ raw: _raw, ...rest }) => rest)).toEqual([
        { name: "Qz", unit: "1/angstrom", physicalQuantity: "WW transfer" },
        { name: "R", unit: null, physicalQuantity: "reflectivity" },
        { name: "sR", unit: null, errorOf: "R", errorType: "uncertainty", valueIs: "sigma", distribution: "gaussian" },
        { name: "sQz", unit: "1/angstrom", errorOf: "Qz", errorType: "resolution", valueIs: "sigma", distribution: "gaussian" },
      ]);
      expect(ds.columns[0].raw).toEqual({ name: "Qz", unit: "1/angstrom", dimension: "WW transfer" });
    });

    it("reads the header values (dates as strings, block literal, irregular indentation)", () => {
      expect(at(h, "data_source.owner")).toEqual({ name: "T. Proposer", affiliation: "The Institute (TI)", contact: "t_proposer@institute.org" });
      expect(at(h, "data_source.experiment")).toEqual({
        facility: "Paul Scherrer Institut, SINQ",
        ID: "2020 0304",
        start_date: "2021-05-12",
        title: "Generation of input for formatting purposes",
        instrument: "Amor",
        probe: "neutron",
      });
      expect(at(h, "data_source.sample")).toEqual({ name: "Ni1000", description: "amb: air\nlayer: Ni, thickness 100 nm\nsub: Si\n" });
      const settings = at(h, "data_source.measurement.instrument_settings") as Record<string, unknown>;
      expect(settings.incident_angle).toEqual({ unit: "deg", min: 0.4, max: 1, resolution: { type: "constant", unit: "deg", value: 0.01 } });
      expect(settings.wavelength).toEqual({ unit: "angstrom", min: 3, max: 12.5, resolution: { type: "proportional", value: 0.022 } });
      expect(settings.polarization).toBe("po");
      expect(settings.sample_rotation).toEqual({ alias: "mu", unit: "deg", value: 0.7 });
      const files = at(h, "data_source.measurement.data_files") as unknown[];
      expect(files).toHaveLength(3);
      expect(files[0]).toEqual({ file: "amor2020n001925.hdf", timestamp: "2020-02-03T14:27:45+01:00" });
      expect(at(h, "data_source.measurement.additional_files")).toEqual([{ file: "amor2020n001064.hdf", timestamp: "2020-02-02T15:38:17+01:00" }]);
      expect(at(h, "reduction.software")).toEqual({ name: "eos.py" });
      expect(at(h, "reduction.corrections")).toEqual(["footprint", "incident intensity", "detector efficiency"]);
      expect(at(h, "reduction.comment")).toBe("corrections performed by normalisation to measurement on reference sample");
    });

    it("accepts R > 1 (not normalised) and uses the defaulted σ columns", () => {
      const curve = ortReflectivity(ds, "test_example");
      expect(Array.from(curve.r)).toEqual([3.88100068, 11.6430511]);
      expect(Array.from(curve.dr!)).toEqual([4.33909068, 8.89252719]);
      expect(Array.from(curve.dq!)).toEqual([5.17816478e-5, 5.33586471e-5]);
      expect(curve.warnings).toEqual([]);
    });
  });

  describe("test_example2.ort (two datasets, partial header)", () => {
    const file = readOrt(conformance("test_example2.ort"));
    const [first, second] = file.datasets;

    it("reads two datasets with different row counts", () => {
      expect(file.version).toBe("0.1");
      expect(file.datasets).toHaveLength(2);
      expect(first.header.data_set).toBe("spin_up");
      expect(second.header.data_set).toBe("spin_down");
      expect([first.rows, second.rows]).toEqual([2, 4]);
      expect([first.firstDataLine, second.firstDataLine]).toEqual([70, 77]);
      expect(second.data.map((c) => c[2])).toEqual([1.03563296e-2, 3.88100068, 4.33909068, 5.17816478e-5]);
      expect(second.data.map((c) => c[3])).toEqual(first.data.map((c) => c[1]));
    });

    it("merges dataset 1's partial header onto dataset 0's", () => {
      expect(at(first.header, "data_source.measurement.instrument_settings.polarization")).toBe("po");
      expect(at(second.header, "data_source.measurement.instrument_settings.polarization")).toBe("mo");
      expect(at(second.header, "data_source.measurement.instrument_settings.wavelength")).toEqual(
        at(first.header, "data_source.measurement.instrument_settings.wavelength"),
      );
      expect(at(second.header, "data_source.owner")).toEqual(at(first.header, "data_source.owner"));
      expect(at(second.header, "data_source.sample.description")).toBe("air | material Ni, thickness 100 nm | Si");
      expect(at(second.header, "data_source.measurement.references")).toEqual([{ file: "amor2020n001064.hdf", timestamp: "2020-02-02T15:38:17" }]);
      expect(second.columns).toEqual(first.columns);
      const { data_set: _a, data_source: _b, ...restFirst } = first.header;
      const { data_set: _c, data_source: _d, ...restSecond } = second.header;
      expect(restSecond).toEqual(restFirst);
    });

    it("does not share objects between the datasets' headers", () => {
      (at(second.header, "data_source.owner") as Record<string, unknown>).name = "changed";
      expect(at(first.header, "data_source.owner.name")).toBe("T. Proposer");
    });
  });

  it("rejects not_orso.ort (no magic line) naming line 1", () => {
    expectParseError(() => readOrt(conformance("not_orso.ort")), 1, /not an ORSO file/);
  });
});

describe("parseOrt rules", () => {
  const prist = read("prist5_10K_m_025.Rqz.ort");
  const example = read("test_example.ort");
  const replaceLine = (text: string, line: number, content: string) => {
    const lines = text.split("\n");
    lines[line - 1] = content;
    return lines.join("\n");
  };

  it("accepts the magic line of every version, warns on an unknown major", () => {
    for (const version of ["0.1", "1.0", "1.1", "1.2", "1", "1.", ".5"]) {
      const text = example.replace("| 0.1 standard", `| ${version} standard`);
      const file = parseOrt(text, "v.ort");
      expect(file.version).toBe(version);
      expect(file.warnings).toEqual([]);
    }
    const future = parseOrt(example.replace("| 0.1 standard", "| 2.0 standard"), "v.ort");
    expect(future.version).toBe("2.0");
    expect(future.warnings).toEqual(["v.ort:1: unknown ORSO standard version 2.0 (major 2); reading it as 1.x"]);
    // leading spaces after the first '#' are allowed, as in orsopy
    expect(parseOrt(example.replace(/^# #/, "#   #"), "v.ort").version).toBe("0.1");
  });

  it("rejects a wrong magic line naming line 1", () => {
    const magic = example.split("\n")[0];
    for (const bad of [
      magic.slice(2), // without the leading '#'
      magic + " ", // trailing space
      magic.replace("https", "http"),
      magic.replace("0.1", "v1"),
      magic.replace("YAML", "JSON"),
      "",
    ]) {
      expectParseError(() => parseOrt(replaceLine(example, 1, bad), "bad.ort"), 1, /not an ORSO file/);
    }
    expectParseError(() => parseOrt("", "empty.ort"), 1);
    expectParseError(() => parseOrt("\n" + example, "shifted.ort"), 1);
  });

  it("tolerates CRLF, CR and a BOM", () => {
    const reference = parseOrt(prist, "p.ort");
    for (const text of [prist.replace(/\n/g, "\r\n"), prist.replace(/\n/g, "\r"), "\uFEFF" + prist]) {
      const file = parseOrt(text, "p.ort");
      expect(file.datasets[0].header).toEqual(reference.datasets[0].header);
      expect(file.datasets[0].firstDataLine).toBe(46);
      expect(file.datasets[0].data).toEqual(reference.datasets[0].data);
    }
  });

  it("ignores blank lines and reads nan (any case), inf and overflow", () => {
    const lines = prist.split("\n");
    lines.splice(46, 0, "", "   ", "\t");
    lines[45] = "nan  NaN\t-inf 1e309";
    const file = parseOrt(lines.join("\n"), "p.ort");
    const ds = file.datasets[0];
    expect(ds.rows).toBe(79);
    expect(ds.data.map((c) => c[0])).toEqual([Number.NaN, Number.NaN, -Infinity, Infinity]);
    expect(file.warnings).toEqual(['p.ort:46: value 4 ("1e309") overflows to Infinity']);
  });

  it("requires rectangular rows with one value per column, naming the line", () => {
    const lines = prist.split("\n");
    lines[49] = lines[49] + " 1.0";
    expectParseError(() => parseOrt(lines.join("\n"), "p.ort"), 50, /expected 4 values .* found 5/);
    lines[49] = "1 2 3";
    expectParseError(() => parseOrt(lines.join("\n"), "p.ort"), 50, /expected 4 values .* found 3/);
  });

  it("requires numeric tokens, naming the line and the token", () => {
    for (const token of ["0x10", "1,5", "abc", "1e", "--1", "1_000", "\u0000", "Infinityx"]) {
      const text = replaceLine(prist, 60, `1.0 2.0 ${token} 4.0`);
      const error = expectParseError(() => parseOrt(text, "p.ort"), 60, /value 3 is not a number/);
      expect(error.message).toContain(JSON.stringify(token));
    }
  });

  it("requires a columns list and data rows", () => {
    const noColumns = prist
      .split("\n")
      .filter((line) => !/^# (columns:|- \{)/.test(line))
      .join("\n");
    expectParseError(() => parseOrt(noColumns, "p.ort"), 1, /no `columns` key/);
    expectParseError(() => parseOrt(prist.replace("# columns:", "# columns: 5\n# old_columns:"), "p.ort"), 40, /invalid `columns`/);
    const columnLine = prist.split("\n").findIndex((line) => line.startsWith("# - {error_of: R")) + 1;
    expectParseError(
      () => parseOrt(prist.replace("{error_of: R, error_type: uncertainty, value_is: sigma}", "{error_of: R, value_is: HWHM}"), "p.ort"),
      columnLine,
      /value_is: must be one of sigma, FWHM \(got "HWHM"\)/,
    );
    const headerOnly = prist.split("\n").slice(0, 45).join("\n");
    expectParseError(() => parseOrt(headerOnly, "p.ort"), 1, /dataset 0 has no data rows/);
  });

  it("reports invalid YAML with the file line", () => {
    const text = replaceLine(prist, 10, "#     start_date: [2023-11-29");
    const error = expectParseError(() => parseOrt(text, "p.ort"), null);
    expect(error.line).toBeGreaterThanOrEqual(10); // where the parser notices the unclosed bracket
    expect(error.line).toBeLessThanOrEqual(11);
    expect(error.message).toMatch(/invalid YAML in the header of dataset 0/);
    expectParseError(() => parseOrt(replaceLine(prist, 3, "#\tname: x"), "p.ort"), 3, /invalid YAML/);
  });

  it("refuses recursive aliases and alias bombs, and keeps __proto__ as a plain key", () => {
    expectParseError(() => parseOrt(prist.replace("# reduction:", "# loop: &a [*a]\n# reduction:"), "p.ort"), 1, /recursive YAML alias/);
    const bomb = [
      "# a: &a [x, x, x, x, x, x, x, x, x, x]",
      "# b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "# c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "# d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "# e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
    ].join("\n");
    expectParseError(() => parseOrt(prist.replace("# reduction:", `${bomb}\n# reduction:`), "p.ort"), 1, /alias/);
    const file = parseOrt(prist.replace("# reduction:", "# __proto__: {polluted: true}\n# reduction:"), "p.ort");
    expect(Object.prototype.hasOwnProperty.call(file.datasets[0].header, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses, quickly, YAML shapes the parser would take minutes over", () => {
    for (const [line, message] of [
      ["# k: " + "? ".repeat(800) + "x", /more than 64 explicit "\? " keys/], // 800 nested explicit keys: minutes in yaml 2.9
      ["# k:\n#  " + "? - ".repeat(400) + "x", /explicit "\? " keys/],
      ["# k: " + "[".repeat(100_000), /nests \[ or \{ more than 64 deep/],
      ["# k:\n# " + "- ".repeat(100_000) + "x", /more than 64 "- " indicators/],
    ] as const) {
      const start = performance.now();
      expectParseError(() => parseOrt(prist.replace("# reduction:", `${line}\n# reduction:`), "p.ort"), null, message);
      expect(performance.now() - start).toBeLessThan(1000);
    }
  });

  it("merges every later partial header onto dataset 0's, not onto the previous one", () => {
    const rows = prist.split("\n").slice(45, 48).join("\n");
    const text = [
      prist.trimEnd(),
      "# data_set: 1",
      "# data_source:",
      "#   measurement:",
      "#     instrument_settings:",
      "#       polarization: mo",
      "#       wavelength: {min: 4.0}",
      "#     references: [a.hdf]",
      "# operando: {potential: 0.1}",
      rows,
      "",
      "# data_set: two",
      "# data_source:",
      "#   sample:",
      "#     name: other",
      rows.split("\n")[0],
    ].join("\n");
    const file = parseOrt(text, "multi.ort");
    expect(file.datasets.map((d) => [d.header.data_set, d.rows])).toEqual([[0, 79], [1, 3], ["two", 1]]);
    const [d0, d1, d2] = file.datasets.map((d) => d.header);
    const settings = (h: unknown) => at(h, "data_source.measurement.instrument_settings") as Record<string, unknown>;
    expect(settings(d1).polarization).toBe("mo");
    expect(settings(d1).wavelength).toEqual({ min: 4, max: 12, unit: "angstrom" }); // maps merged
    expect(at(d1, "data_source.measurement.references")).toEqual(["a.hdf"]); // lists replaced
    expect(d1.operando).toEqual({ potential: 0.1 }); // new keys added
    // dataset 2 starts again from dataset 0
    expect(settings(d2)).toEqual(settings(d0));
    expect(d2).not.toHaveProperty("operando");
    expect(at(d2, "data_source.sample.name")).toBe("other");
    expect(at(d2, "data_source.sample.model")).toEqual(at(d0, "data_source.sample.model"));
    expect(file.datasets[1].firstDataLine).toBe(133);
  });

  it("starts a new dataset at a data_set line after dataset 0's rows even without one in dataset 0", () => {
    const withoutId = prist.replace("# data_set: 0\n", "");
    const text = `${withoutId.trimEnd()}\n# data_set: 1\n${prist.split("\n")[45]}\n`;
    const file = parseOrt(text, "p.ort");
    expect(file.datasets.map((d) => [d.header.data_set, d.rows])).toEqual([[undefined, 79], [1, 1]]);
  });

  it("keeps unknown keys at every level and reads columns with numbers as units", () => {
    const text = prist
      .replace("# reduction:", "# my_key: {a: [1, {b: null}]}\n# reduction:")
      .replace("{name: R, unit: '', physical_quantity: specular reflectivity}", "{name: R, unit: 1, flag_is: [x], note: kept}");
    const ds = parseOrt(text, "p.ort").datasets[0];
    expect(ds.header.my_key).toEqual({ a: [1, { b: null }] });
    expect(ds.columns[1]).toEqual({ name: "R", unit: "1", raw: { name: "R", unit: 1, flag_is: ["x"], note: "kept" } });
  });

  it("warns about duplicate keys (last wins, as in PyYAML) and collection keys", () => {
    const text = prist.replace("# reduction:", "# dup: 1\n# dup: 2\n# ? [a, b]\n# : x\n# reduction:");
    const file = parseOrt(text, "p.ort");
    expect(file.datasets[0].header.dup).toBe(2);
    expect(file.warnings).toEqual([
      "p.ort:35: duplicate key \"dup\"; the last value is used",
      "p.ort:36: a mapping key is itself a list or mapping; it was turned into a string",
    ]);
  });

  it("readOrt reads UTF-8, reports invalid bytes and unreadable files", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ort-"));
    try {
      const latin1 = path.join(dir, "latin1.ort");
      fs.writeFileSync(latin1, Buffer.from(prist.replace("name: prist4", "name: prist4 \u00c5"), "latin1"));
      const file = readOrt(latin1);
      expect(file.warnings).toEqual([`${latin1}: the file is not valid UTF-8; invalid bytes were replaced by U+FFFD`]);
      expect(at(file.datasets[0].header, "data_source.sample.name")).toBe("prist4 \uFFFD");
      expectParseError(() => readOrt(path.join(dir, "missing.ort")), undefined, /cannot read file \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("warns about duplicate data_set ids and dangling error columns", () => {
    const text = `${prist.trimEnd()}\n# data_set: 0\n# columns: [{name: Qz, unit: 1/nm}, {name: R}, {error_of: R}, {error_of: Q}]\n${prist.split("\n")[45]}\n`;
    const file = parseOrt(text, "p.ort");
    expect(file.warnings).toEqual([
      'p.ort:126: dataset 1: error column "sQ" refers to "Q", which is not a column',
      "p.ort:125: datasets 0 and 1 have the same data_set 0",
    ]);
    expect(file.datasets[1].columns[0].unit).toBe("1/nm");
  });
});

describe("writeOrt", () => {
  const prist = read("prist5_10K_m_025.Rqz.ort");

  it("writes orsopy's layout: magic line, data_set before columns, %-22.16e rows", () => {
    const file = parseOrt(prist, "p.ort");
    const text = writeOrt(file.datasets);
    const lines = text.split("\n");
    expect(lines[0]).toBe("# # ORSO reflectivity data file | 1.2 standard | YAML encoding | https://www.reflectometry.org/");
    expect(text.endsWith("\n")).toBe(true);
    const dataSetLine = lines.indexOf("# data_set: 0");
    expect(lines[dataSetLine + 1]).toBe("# columns:");
    expect(lines.slice(dataSetLine + 2, dataSetLine + 6)).toEqual([
      "# - {name: Qz, unit: 1/angstrom, physical_quantity: normal momentum transfer}",
      "# - {name: R, unit: '1', physical_quantity: specular reflectivity}",
      "# - {error_of: R, error_type: uncertainty, value_is: sigma, distribution: gaussian}",
      "# - {error_of: Qz, error_type: resolution, value_is: sigma, distribution: gaussian}",
    ]);
    expect(lines[dataSetLine + 6]).toBe("# # Qz (1/angstrom)    R (1)                  sR                     sQz");
    // orsopy wrote this file with the same format: every data line comes out byte for byte
    const originalRows = prist.split("\n").slice(45, 124);
    expect(lines.slice(dataSetLine + 7, dataSetLine + 7 + 79)).toEqual(originalRows);
    expect(lines.filter((line) => line.startsWith("# data_set"))).toHaveLength(1);
  });

  it("formats fields like C's %-22.16e (expected strings from Python's '%-22.16e' % x)", () => {
    const cases: [number, string][] = [
      [1, "1.0000000000000000e+00"],
      [-0, "-0.0000000000000000e+00"],
      [0.1, "1.0000000000000001e-01"],
      [0.1 + 0.2, "3.0000000000000004e-01"],
      [1 / 3, "3.3333333333333331e-01"],
      [-2.5e-300, "-2.5000000000000000e-300"],
      [5e-324, "4.9406564584124654e-324"],
      [2.2250738585072014e-308, "2.2250738585072014e-308"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [1e21, "1.0000000000000000e+21"],
      [9.999999999999999e-5, "9.9999999999999991e-05"],
      [123.456, "1.2345600000000000e+02"],
      // exact decimal ties: C rounds half to even, ECMAScript's toExponential rounds up
      [700248725371168.625, "7.0024872537116862e+14"],
      [-700248725371168.625, "-7.0024872537116862e+14"],
      [100000000000000.125, "1.0000000000000012e+14"],
      [100000000000000.375, "1.0000000000000038e+14"],
      [Number.NaN, "nan"],
      [Infinity, "inf"],
      [-Infinity, "-inf"],
    ];
    const column = cases.map(([x]) => x);
    const text = writeOrt([{ header: sampleHeader(), columns: COLUMNS.slice(0, 4), data: [column, column, column, column] }]);
    const rows = text.split("\n").slice(-column.length - 1, -1);
    rows.forEach((row, i) => expect(row).toBe(Array(4).fill(cases[i][1].padEnd(22)).join(" ")));
  });

  it("round-trips data bit for bit and headers exactly", () => {
    const n = 500;
    const data = [0, 1, 2, 3, 4].map((c) => awkwardColumn(100 + c, n));
    const header = { ...sampleHeader(), data_set: "scan 7" };
    const text = writeOrt([{ header, columns: COLUMNS, data }]);
    const back = parseOrt(text, "rt.ort");
    expect(back.version).toBe("1.2");
    expect(back.warnings).toEqual([]);
    const ds = back.datasets[0];
    expect(ds.rows).toBe(n);
    for (let c = 0; c < 5; c++) expect(bitsEqual(ds.data[c], data[c])).toBe(true);
    expect(ds.header).toEqual({ ...header, columns: COLUMNS });
    expect(ds.columns[4]).toEqual({ name: "lambda", unit: "angstrom", physicalQuantity: "wavelength", raw: COLUMNS[4] });
    // written again, the text is identical
    expect(writeOrt(back.datasets)).toBe(text);
  });

  it("round-trips every conformance file (data bit for bit, headers apart from normalised columns)", () => {
    for (const name of ["prist5_10K_m_025.Rqz.ort", "test_example.ort", "test_example2.ort"]) {
      const original = readOrt(conformance(name));
      const text = writeOrt(original.datasets);
      const back = parseOrt(text, name);
      expect(back.datasets).toHaveLength(original.datasets.length);
      original.datasets.forEach((d, i) => {
        const e = back.datasets[i];
        expect(e.rows).toBe(d.rows);
        d.data.forEach((column, c) => expect(bitsEqual(e.data[c], column)).toBe(true));
        const { columns: _a, ...headerD } = d.header;
        const { columns: _b, ...headerE } = e.header;
        expect(headerE).toEqual(headerD);
        expect(e.columns.map((c) => [c.name, c.errorOf, c.errorType, c.valueIs, c.distribution])).toEqual(
          d.columns.map((c) => [c.name, c.errorOf, c.errorType, c.valueIs, c.distribution]),
        );
      });
      expect(writeOrt(back.datasets)).toBe(text);
    }
  });

  it("writes later datasets as partial headers and reads them back whole", () => {
    const base = sampleHeader();
    const withPolarization = (p: string, extra: Record<string, unknown> = {}) => {
      const h = structuredClone(base);
      ((h.data_source as Record<string, Record<string, Record<string, unknown>>>).measurement.instrument_settings).polarization = p;
      return { ...h, ...extra };
    };
    const headers = [
      { ...base, data_set: "0 V" },
      { ...withPolarization("mo"), data_set: "-0.1 V" },
      { ...withPolarization("po", { operando: { ...(base.operando as object), cycle: 4 } }), data_set: "-0.2 V", new_key: [1, 2] },
    ];
    const rowsOf = [3, 1, 5];
    const datasets = headers.map((header, i) => ({
      header,
      columns: COLUMNS.slice(0, 4),
      data: [0, 1, 2, 3].map((c) => awkwardColumn(10 * i + c, rowsOf[i])),
    }));
    const text = writeOrt(datasets);
    const lines = text.split("\n");
    const starts = lines.flatMap((line, i) => (line.startsWith("# data_set") ? [i] : []));
    expect(starts.map((i) => lines[i])).toEqual(["# data_set: 0 V", "# data_set: -0.1 V", "# data_set: -0.2 V"]);
    // dataset 1: only the changed key, nested
    const partial1 = lines.slice(starts[1], lines.findIndex((line, i) => i > starts[1] && line.startsWith("# #")));
    expect(partial1).toEqual([
      "# data_set: -0.1 V",
      "# data_source:",
      "#   measurement:",
      "#     instrument_settings:",
      "#       polarization: mo",
    ]);
    const partial2 = lines.slice(starts[2], lines.findIndex((line, i) => i > starts[2] && line.startsWith("# #")));
    expect(partial2).toEqual([
      "# data_set: -0.2 V",
      "# data_source:",
      "#   measurement:",
      "#     instrument_settings:",
      "#       polarization: po",
      "# operando:",
      "#   cycle: 4",
      "# new_key:",
      "# - 1",
      "# - 2",
    ]);

    const back = parseOrt(text, "multi.ort");
    expect(back.datasets.map((d) => d.rows)).toEqual(rowsOf);
    back.datasets.forEach((d, i) => {
      expect(d.header).toEqual({ ...headers[i], columns: COLUMNS.slice(0, 4) });
      d.data.forEach((column, c) => expect(bitsEqual(column, datasets[i].data[c])).toBe(true));
    });
  });

  it("defaults data_set ids to the index and normalises columns", () => {
    const { data_set: _omit, ...header } = sampleHeader();
    const column = [0.01, 0.02];
    const text = writeOrt([
      { header, columns: [{ name: "Qz", unit: "1/nm" }, { name: "R", unit: "" }, { error_of: "R" }, { error_of: "Qz", error_type: "resolution", value_is: "FWHM" }], data: [column, column, column, column] },
      { header, columns: [{ name: "Qz", unit: "1/nm" }, { name: "R" }, { error_of: "R" }, { error_of: "Qz", error_type: "resolution", value_is: "FWHM" }], data: [column, column, column, column] },
    ]);
    expect(text).toContain("# - {name: R, unit: '1'}");
    const rectangular = writeOrt([
      { header, columns: [{ name: "Qz", unit: "1/nm" }, { name: "R" }, { error_of: "R", distribution: "rectangular" }, { error_of: "Qz" }], data: [column, column, column, column] },
    ]);
    expect(rectangular).toContain("# - {error_of: R, error_type: uncertainty, value_is: sigma, distribution: uniform}");
    expect(text).toContain("# - {error_of: Qz, error_type: resolution, value_is: FWHM, distribution: gaussian}");
    const back = parseOrt(text, "d.ort");
    expect(back.datasets.map((d) => d.header.data_set)).toEqual([0, 1]);
    expect(back.datasets[1].columns[1].unit).toBe("1");
  });

  it("refuses what it cannot write validly", () => {
    const column = [0.01];
    const data = [column, column, column, column];
    const header = sampleHeader();
    const ok = { header, columns: COLUMNS.slice(0, 4), data };
    const refuse = (datasets: Parameters<typeof writeOrt>[0], path: RegExp) => {
      let caught: unknown;
      try {
        writeOrt(datasets);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).path).toMatch(path);
    };
    refuse([], /^datasets$/);
    const withId = { ...ok, header: { ...header, data_set: "a" } };
    refuse([withId, withId], /datasets\[1\]\.header\.data_set/);
    refuse([{ ...ok, header: { ...header, data_set: 1 } }, ok], /datasets\[1\]\.header\.data_set/); // defaulted id 1 collides
    refuse([{ ...ok, columns: [COLUMNS[1], COLUMNS[0], COLUMNS[2], COLUMNS[3]] }], /columns\[0\]/);
    refuse([{ ...ok, columns: COLUMNS.slice(0, 3), data: data.slice(0, 3) }], /columns$/);
    refuse([{ ...ok, columns: [{ name: "Qz", unit: "1/Å" }, ...COLUMNS.slice(1, 4)] }], /columns\[0\]\.unit/);
    refuse([{ ...ok, columns: [COLUMNS[0], { name: "R", unit: "counts" }, COLUMNS[2], COLUMNS[3]] }], /columns\[1\]\.unit/);
    refuse([{ ...ok, columns: [...COLUMNS.slice(0, 3), { error_of: "Qz", distribution: "cauchy" }] }], /columns\[3\]\.distribution/);
    refuse([{ ...ok, data: [column, column, column] }], /data$/);
    refuse([{ ...ok, data: [column, column, column, [1, 2]] }], /data\[3\]/);
    refuse([{ ...ok, data: [[], [], [], []] }], /data$/);
    refuse([{ ...ok, header: { ...header, data_set_label: "x" } }], /header\.data_set_label/);
    refuse([{ ...ok, header: { ...header, data_set: 1.5 } }], /header\.data_set/);
    refuse([{ ...ok, header: { ...header, when: new Date(0) } }], /header\.when/);
    refuse([{ ...ok, header: { ...header, bad: "\uD800" } }], /header\.bad/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    refuse([{ ...ok, header: { ...header, circular } }], /header\.circular\.self/);
  });

  it("accepts OrtColumn objects as read, keeping their unknown keys", () => {
    const original = parseOrt(read("test_example.ort"), "e.ort").datasets[0];
    const text = writeOrt([{ header: original.header, columns: original.columns, data: original.data }]);
    expect(text).toContain("# - {name: Qz, unit: 1/angstrom, physical_quantity: WW transfer, dimension: WW transfer}");
    expect(text).toContain("# - {name: R, unit: '1', physical_quantity: reflectivity, dimension: reflectivity}");
  });
});

describe("ortReflectivity", () => {
  const base = (): OrtDataset => parseOrt(read("prist5_10K_m_025.Rqz.ort"), "p.ort").datasets[0];
  const withColumns = (dataset: OrtDataset, patch: (columns: Record<string, unknown>[]) => void): OrtDataset => {
    const columns = dataset.columns.map((c) => structuredClone(c.raw));
    patch(columns);
    const text = writeOrt([{ header: dataset.header, columns, data: dataset.data }]);
    return parseOrt(text, "patched.ort").datasets[0];
  };

  it("converts Q and dQ from 1/nm to 1/angstrom", () => {
    const original = base();
    const nm = withColumns(original, (c) => {
      c[0].unit = "1/nm";
    });
    expect(nm.columns[3].unit).toBe("1/nm");
    const curve = ortReflectivity(nm, "nm.ort");
    for (let i = 0; i < nm.rows; i++) {
      expect(curve.q[i]).toBe(original.data[0][i] * 0.1);
      expect(curve.dq![i]).toBe(original.data[3][i] * 0.1);
      expect(curve.r[i]).toBe(original.data[1][i]);
    }
  });

  it("converts FWHM columns to σ for each distribution", () => {
    const original = base();
    const cases: [string | undefined, number][] = [
      [undefined, 1 / (2 * Math.sqrt(2 * Math.log(2)))],
      ["gaussian", 1 / 2.3548200450309493],
      ["triangular", 1 / Math.sqrt(6)],
      ["uniform", 1 / Math.sqrt(12)],
    ];
    for (const [distribution, factor] of cases) {
      const fwhm = withColumns(original, (c) => {
        c[3].value_is = "FWHM";
        c[2].value_is = "FWHM";
        if (distribution) c[3].distribution = c[2].distribution = distribution;
        else delete c[3].distribution;
      });
      const curve = ortReflectivity(fwhm, "fwhm.ort");
      for (let i = 0; i < fwhm.rows; i++) {
        expect(curve.dq![i]).toBeCloseTo(original.data[3][i] * factor, 15);
        expect(curve.dr![i]).toBeCloseTo(original.data[2][i] * factor, 15);
      }
    }
    expect(0.05 / 2.3548200450309493).toBeCloseTo(0.021233, 6); // reflectometry.md §2.1
  });

  it("converts 1/nm and FWHM together", () => {
    const original = base();
    const both = withColumns(original, (c) => {
      c[0].unit = "1/nm";
      c[3].value_is = "FWHM";
    });
    const curve = ortReflectivity(both, "both.ort");
    expect(curve.dq![0]).toBeCloseTo(original.data[3][0] * 0.1 / 2.3548200450309493, 18);
  });

  it("refuses a Lorentzian FWHM and a non-reciprocal-length Q unit", () => {
    const original = base();
    const lorentz = withColumns(original, (c) => {
      c[3].value_is = "FWHM";
      c[3].distribution = "lorentzian";
    });
    expect(() => ortReflectivity(lorentz, "l.ort")).toThrow(ValidationError);
    expect(() => ortReflectivity(lorentz, "l.ort")).toThrow(/Lorentzian/);
    const seconds = withColumns(original, (c) => {
      c[0].unit = "1/s";
    });
    expect(() => ortReflectivity(seconds, "s.ort")).toThrow(/Q must be in 1\/angstrom or 1\/nm/);
  });

  it("returns dQ/dR undefined when the column is all NaN or absent", () => {
    const original = base();
    const nanColumns: OrtDataset = { ...original, data: [original.data[0], original.data[1], original.data[2].map(() => Number.NaN), original.data[3].map(() => Number.NaN)] };
    const curve = ortReflectivity(nanColumns, "nan.ort");
    expect(curve.dq).toBeUndefined();
    expect(curve.dr).toBeUndefined();
    expect(curve.warnings).toContain("nan.ort: the Q resolution column is all NaN");
    const twoColumns: OrtDataset = { ...original, columns: original.columns.slice(0, 2), data: original.data.slice(0, 2) };
    const bare = ortReflectivity(twoColumns, "bare.ort");
    expect(bare.dq).toBeUndefined();
    expect(bare.dr).toBeUndefined();
    expect(bare.warnings).toEqual(["bare.ort: no uncertainty column for R", "bare.ort: no Q resolution column", "bare.ort: 8 rows have R ≤ 0"]);
  });

  it("does not modify the dataset", () => {
    const original = base();
    const copy = original.data.map((c) => Float64Array.from(c));
    const curve = ortReflectivity(original, "p.ort");
    curve.q[0] = -1;
    curve.dq![0] = -1;
    original.data.forEach((c, i) => expect(bitsEqual(c, copy[i])).toBe(true));
  });
});

