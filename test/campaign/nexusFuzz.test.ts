/** Bounded mutation fuzz of the NeXus/HDF5 reader (`npm run fuzz` runs 10 000). */
import { describe, expect, it } from "vitest";
import { fuzzNexus } from "../../src/io/nexusFuzz.ts";

const BOUNDED_INPUTS = 300;

describe("NeXus reader under mutation", () => {
  it("gives curves or a ParseError for every mutated file and still reads intact files afterwards", async () => {
    const report = await fuzzNexus(BOUNDED_INPUTS, "npm-test");
    expect(report.failures).toEqual([]);
    expect(report.inputs).toBe(BOUNDED_INPUTS);
    expect(report.parsed).toBeGreaterThan(0);
    expect(report.rejected).toBeGreaterThan(0);
  }, 60_000);
});
