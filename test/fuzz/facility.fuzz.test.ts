/**
 * Mutation fuzzing of the facility readers of issue 15 — SNS/column reflectivity files with
 * their dQ declaration, the event-slice reduction JSON and BioLogic `.mpr` impedance (see
 * `bench/fuzz/facilityFuzz.ts` for the corpora, mutations and oracle): each mutated input
 * gives a well-formed result or a ParseError/ValidationError, within the time limit.
 */
import { describe, expect, it } from "vitest";
import { fuzzFacility } from "../../bench/fuzz/facilityFuzz.ts";
import { seedCount } from "../calibrationScale.ts";
import { sharedRoot } from "../paths.ts";

/** The long run (10 000 per reader) under test:calibration, 1000 per reader in the default suite. */
const INPUTS_PER_READER = seedCount(10_000, 1000);
/** No reader may take longer on one mutated input (the real files parse in a few ms). */
const TIME_LIMIT_MS = 1000;

describe("facility readers under mutation", () => {
  it(`${INPUTS_PER_READER} mutated inputs per reader: a valid result or a ParseError/ValidationError, each in < ${TIME_LIMIT_MS} ms`, () => {
    const report = fuzzFacility(INPUTS_PER_READER, 20261206, { sharedDir: sharedRoot, timeLimitMs: TIME_LIMIT_MS });
    expect(report.failures.slice(0, 5)).toEqual([]);
    expect(Object.keys(report.readers).sort()).toEqual(["columns", "mpr-impedance", "time-slices"]);
    for (const counts of Object.values(report.readers)) {
      expect(counts.inputs).toBe(INPUTS_PER_READER);
      // the mutations must leave some inputs readable and break others
      expect(counts.parsed).toBeGreaterThan(INPUTS_PER_READER / 20);
      expect(counts.rejected).toBeGreaterThan(INPUTS_PER_READER / 20);
    }
    expect(report.slowestMs).toBeLessThan(TIME_LIMIT_MS);
  }, 900_000);

  it("is reproducible: the same seed gives the same counts", () => {
    const a = fuzzFacility(50, "repeat", { sharedDir: sharedRoot });
    const b = fuzzFacility(50, "repeat", { sharedDir: sharedRoot });
    expect(a.readers).toEqual(b.readers);
    expect(a.failures).toEqual(b.failures);
  });
});
