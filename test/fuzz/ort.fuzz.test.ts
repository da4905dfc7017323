/**
 * Mutation fuzzing of the `.ort` reader and writer over the conformance files
 * (see `ortFuzz.ts` for the mutations and the oracle). `npm test` runs 2000
 * inputs with a fixed seed; `fuzzOrt(10_000, seed)` is the long run.
 */
import { describe, expect, it } from "vitest";
import path from "node:path";
import { conformanceRoot } from "../paths.ts";
import { fuzzOrt } from "../../bench/fuzz/ortFuzz.ts";
import { seedCount } from "../calibrationScale.ts";

/** Mutated files: the long run (10 000) under test:calibration, 2000 in the default suite. */
const INPUTS = seedCount(10_000, 2000);

describe("ort fuzzing", () => {
  it(`${INPUTS} mutated conformance files: each parses or throws ParseError in < 1 s, and round-trips`, () => {
    const report = fuzzOrt(INPUTS, 20240611, { corpusDir: path.join(conformanceRoot, "ort"), timeLimitMs: 1000 });
    // On failure, show the first few in full (mutations, message and the input to replay).
    expect(report.failures.slice(0, 3)).toEqual([]);
    expect(report.inputs).toBe(INPUTS);
    expect(report.slowestMs).toBeLessThan(1000);
    // the mutations must leave enough inputs intact to exercise the writer, and break enough
    expect(report.parsed).toBeGreaterThan(200);
    expect(report.rejected).toBeGreaterThan(200);
    expect(report.roundTripped).toBeGreaterThan(200);
    for (const [operator, count] of Object.entries(report.operators)) expect(count, operator).toBeGreaterThan(20);
  }, 900_000);

  it("is reproducible: the same seed gives the same report", () => {
    const a = fuzzOrt(100, "repeat");
    const b = fuzzOrt(100, "repeat");
    const { slowestMs: _a, ...restA } = a;
    const { slowestMs: _b, ...restB } = b;
    expect(restA).toEqual(restB);
  });
});
