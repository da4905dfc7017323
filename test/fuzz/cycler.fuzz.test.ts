/**
 * Mutation fuzzing of the cycler readers over the conformance files (see
 * `cyclerFuzz.ts` for the mutations and the oracle). `npm test` runs 1500
 * inputs per reader with a fixed seed; the acceptance run is
 * `fuzzCycler(10_000, seed)`.
 */
import { describe, expect, it } from "vitest";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { fuzzCycler } from "../../bench/fuzz/cyclerFuzz.ts";
import { seedCount } from "../calibrationScale.ts";

/** Mutated inputs per reader: the long run (10 000) under test:calibration, 1500 in the default suite. */
const INPUTS = seedCount(10_000, 1500);

const corpusDir = path.resolve(repoRoot, "../shared/conformance/echem");

describe("cycler fuzzing", () => {
  it(`${INPUTS} mutated inputs per reader: each reads or throws ParseError, in < 1 s, chunk-size independent`, () => {
    const report = fuzzCycler(INPUTS, 20260301, { corpusDir, timeLimitMs: 1000 });
    // on failure, show the first few in full (mutations, message; the input is in inputBase64)
    expect(report.failures.slice(0, 3)).toEqual([]);
    expect(Object.keys(report.readers).sort()).toEqual(["arbin-csv", "bdf-csv", "biologic-mpr", "biologic-mpt", "maccor-text", "neware-csv"]);
    expect(report.inputs).toBe(6 * INPUTS);
    for (const [reader, stats] of Object.entries(report.readers)) {
      // mutations must leave enough inputs readable, and break enough
      expect(stats.parsed, reader).toBeGreaterThan(150);
      expect(stats.rejected, reader).toBeGreaterThan(150);
    }
    for (const [operator, count] of Object.entries(report.operators)) expect(count, operator).toBeGreaterThan(100);
    expect(report.slowestMs).toBeLessThan(1000);
  }, 900_000);

  it("is reproducible: the same seed gives the same report", () => {
    const a = fuzzCycler(40, "repeat", { corpusDir });
    const b = fuzzCycler(40, "repeat", { corpusDir });
    const { slowestMs: _a, ...restA } = a;
    const { slowestMs: _b, ...restB } = b;
    expect(restA).toEqual(restB);
  });
});
