/** Bounded mutation fuzz of the impedance readers (`npm run fuzz` runs 10 000 per reader). */
import { describe, expect, it } from "vitest";
import { fuzzImpedance } from "../../bench/fuzz/impedanceFuzz.ts";
import { seedCount } from "../calibrationScale.ts";

/** The long run (10 000 per reader) under test:calibration, 300 in the default suite. */
const BOUNDED_INPUTS_PER_READER = seedCount(10_000, 300);

describe("impedance readers under mutation", () => {
  it("give a valid spectrum or a ParseError for every mutated input, quickly", () => {
    const report = fuzzImpedance(BOUNDED_INPUTS_PER_READER, "npm-test");
    expect(report.failures).toEqual([]);
    expect(Object.keys(report.readers).sort()).toEqual(["autolab", "biologic", "chinstruments", "csv", "gamry", "parstat", "powersuite", "versastudio", "zplot"]);
    for (const counts of Object.values(report.readers)) {
      expect(counts.inputs).toBe(BOUNDED_INPUTS_PER_READER);
      expect(counts.parsed).toBeGreaterThan(0);
      expect(counts.rejected).toBeGreaterThan(0);
    }
  }, 900_000);
});
