/** Bounded mutation fuzz of the NeXus/HDF5 reader (`npm run fuzz` runs 10 000). */
import { describe, expect, it } from "vitest";
import { fuzzNexus } from "../../bench/fuzz/nexusFuzz.ts";
import { seedCount } from "../calibrationScale.ts";

/** The long run (10 000 files) under test:calibration, 300 in the default suite. */
const BOUNDED_INPUTS = seedCount(10_000, 300);

describe("NeXus reader under mutation", () => {
  it("gives curves or a ParseError for every mutated file and still reads intact files afterwards", async () => {
    const report = await fuzzNexus(BOUNDED_INPUTS, "npm-test");
    expect(report.failures).toEqual([]);
    expect(report.inputs).toBe(BOUNDED_INPUTS);
    expect(report.parsed).toBeGreaterThan(0);
    expect(report.rejected).toBeGreaterThan(0);
    // this seed's inputs include files on which the HDF5 library crashes and one on which it
    // loops: the reader abandoned that read and replaced its worker, and intact files still read
    expect(report.abandoned).toBeGreaterThan(0);
    expect(report.workerStarts).toBeGreaterThan(report.abandoned);
  }, 900_000);
});
