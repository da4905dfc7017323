import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { ValidationError } from "../core/errors.ts";
import { repoRoot, sharedRoot } from "../../test/paths.ts";
import { elementSymbols, formulaMass, parseFormula, resolveFormula, type Formula } from "./formula.ts";
import { materialTables } from "./tables.ts";

/** Shorthand for expected atoms: [symbol, count] or [symbol, count, isotope]. */
function atoms(...entries: [string, number, number?][]): Formula {
  return entries.map(([symbol, count, isotope]) => ({ symbol, isotope, count }));
}

function thrown(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error("expected a ValidationError, nothing was thrown");
}

describe("parseFormula", () => {
  it.each<[string, Formula]>([
    ["Li2CO3", atoms(["Li", 2], ["C", 1], ["O", 3])],
    ["Ti0.27Co0.73", atoms(["Ti", 0.27], ["Co", 0.73])],
    ["C3H4O3", atoms(["C", 3], ["H", 4], ["O", 3])],
    ["LiCoO2", atoms(["Li", 1], ["Co", 1], ["O", 2])],
    ["Si", atoms(["Si", 1])],
    ["H[2]2O", atoms(["H", 2, 2], ["O", 1])],
    ["Li[6]F", atoms(["Li", 1, 6], ["F", 1])],
    ["D2O", atoms(["H", 2, 2], ["O", 1])],
    ["T2O", atoms(["H", 2, 3], ["O", 1])],
    ["HDO", atoms(["H", 1], ["H", 1, 2], ["O", 1])],
    ["Ca(OH)2", atoms(["Ca", 1], ["O", 2], ["H", 2])],
    ["(C2H4O)2", atoms(["C", 4], ["H", 8], ["O", 2])],
    ["Ca3(PO4)2", atoms(["Ca", 3], ["P", 2], ["O", 8])],
    ["((CH3)2N)3P", atoms(["C", 6], ["H", 18], ["N", 3], ["P", 1])],
    ["CH3CH2OH", atoms(["C", 2], ["H", 6], ["O", 1])],
    [" Li 2 C O 3 ", atoms(["Li", 2], ["C", 1], ["O", 3])],
    ["H.5", atoms(["H", 0.5])],
    ["Ds2Dy", atoms(["Ds", 2], ["Dy", 1])],
    ["Tb Ti", atoms(["Tb", 1], ["Ti", 1])],
  ])("%s", (text, expected) => {
    expect(parseFormula(text)).toEqual(expected);
  });

  it("names the unknown symbol and the formula", () => {
    const error = thrown(() => parseFormula("Xx2O"));
    expect(error.path).toBe("formula");
    expect(error.value).toBe("Xx2O");
    expect(error.message).toContain('"Xx"');
    expect(error.message).toContain("Xx2O");
    expect(thrown(() => parseFormula("LiQ")).message).toMatch(/unknown element "Q" at position 3/);
  });

  it.each([
    ["Li2(CO3", /unclosed "\(" at position 4/],
    ["Li2)CO3", /unmatched "\)" at position 4/],
    ["Ca()2", /empty parentheses at position 3/],
    ["", /empty formula/],
    ["   ", /empty formula/],
    ["li2CO3", /unexpected character "l" at position 1/],
    ["Li2-CO3", /unexpected character "-" at position 4/],
    ["H[]2O", /expected "\[mass number\]" at position 2/],
    ["H[2O", /expected "\[mass number\]" at position 2/],
    ["H[0]", /mass number must be positive/],
    ["D[2]2O", /already an isotope/],
    ["2H2O", /unexpected character "2" at position 1/],
  ])("rejects %j", (text, pattern) => {
    const error = thrown(() => parseFormula(text));
    expect(error.path).toBe("formula");
    expect(error.message).toMatch(pattern);
    expect(error.message).toContain(JSON.stringify(text));
  });

  it("knows exactly the symbols of elements.tsv", () => {
    for (const dir of [path.join(repoRoot, "data"), path.join(sharedRoot, "data")]) {
      const symbols = readFileSync(path.join(dir, "elements.tsv"), "utf8")
        .trim()
        .split(/\r?\n/)
        .slice(1)
        .map((line) => line.split("\t")[0]);
      expect(elementSymbols()).toEqual(symbols);
    }
  });
});

describe("resolveFormula", () => {
  it("merges and validates parsed atoms", () => {
    expect(resolveFormula(atoms(["H", 1], ["O", 1], ["H", 1]))).toEqual(atoms(["H", 2], ["O", 1]));
    expect(resolveFormula("SiO2")).toEqual(atoms(["Si", 1], ["O", 2]));
  });

  it.each<[Formula, RegExp]>([
    [[], /non-empty array/],
    [atoms(["Xx", 1]), /formula\[0\]\.symbol: unknown element "Xx"/],
    [atoms(["H", Number.NaN]), /formula\[0\]\.count: .*\(got NaN\)/],
    [atoms(["O", 1], ["H", -2]), /formula\[1\]\.count: .*\(got -2\)/],
    [atoms(["H", 1, 2.5]), /formula\[0\]\.isotope: .*\(got 2\.5\)/],
  ])("rejects %j", (formula, pattern) => {
    expect(thrown(() => resolveFormula(formula)).message).toMatch(pattern);
  });
});

describe("formulaMass", () => {
  const tables = materialTables();

  it("sums standard atomic weights from elements.tsv", () => {
    expect(formulaMass("H2O", tables)).toBe(1.008 * 2 + 15.999);
    expect(formulaMass("Li2CO3")).toBeCloseTo(73.89, 2);
  });

  it("uses isotope masses from scattering_lengths.tsv", () => {
    expect(formulaMass("D2O", tables)).toBe(2.01410177784 * 2 + 15.999);
    expect(formulaMass("Li[6]F", tables)).toBe(6.0151228874 + 18.998403162);
    expect(formulaMass("T", tables)).toBe(3.01604928132);
  });

  it("parentheses give the same mass as the expanded formula", () => {
    expect(formulaMass("Ca(OH)2", tables)).toBe(formulaMass("CaO2H2", tables));
    expect(formulaMass("(C2H4O)2", tables)).toBeCloseTo(formulaMass("C4H8O2", tables), 12);
  });

  it("rejects an isotope that is not in the table", () => {
    const error = thrown(() => formulaMass("Li[9]F", tables));
    expect(error.message).toContain("Li[9]");
  });
});
