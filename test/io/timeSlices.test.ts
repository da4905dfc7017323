/**
 * Event-sliced SNS data (run 218389, ../shared/realdata/sns-cu-thf-2025/tnr_during_eis):
 * the 15 slice windows of the reduction JSON, each paired with its slice file and checked
 * against the independent clock of the potentiostat — the EC-Lab file of impedance
 * spectrum i (`eis/PEIS_seq<i>.mpt`: `Acquisition started on` + its `time/s` column) spans
 * exactly the window of slice i.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError, ValidationError } from "../../src/core/errors.ts";
import { readReflectivityData } from "../../src/io/reflectivityData.ts";
import { parseTimeSlices, readTimeSlices } from "../../src/io/timeSlices.ts";
import { sharedRoot } from "../paths.ts";

const sns = path.join(sharedRoot, "realdata", "sns-cu-thf-2025");
const json = path.join(sns, "tnr_during_eis", "r218389_eis_reduction.json");
/** The JSON gives times to 1 µs and EC-Lab's time column to 1 ps; doubles at ~1.7e12 ms hold ~0.2 µs. */
const CLOCK_TOL_S = 2e-6;

/** Start and end (ms, the local clock read as UTC) of an EC-Lab spectrum, parsed here independently of the readers. */
function ecLabSpan(file: string): { first: number; last: number } {
  const lines = fs.readFileSync(file, "latin1").split(/\r?\n/);
  const headerLines = Number(/Nb header lines : (\d+)/.exec(lines[1])![1]);
  const started = /Acquisition started on : (\d\d)\/(\d\d)\/(\d{4}) (\d\d:\d\d:\d\d)\.(\d+)/.exec(lines.find((l) => l.startsWith("Acquisition started on"))!)!;
  const t0 = Date.parse(`${started[3]}-${started[1]}-${started[2]}T${started[4]}Z`) + Number(`0.${started[5]}`) * 1000;
  const column = lines[headerLines - 1].split("\t").indexOf("time/s");
  const times = lines.slice(headerLines).filter((l) => l.trim() !== "").map((l) => Number(l.split("\t")[column]));
  return { first: t0 + times[0] * 1000, last: t0 + times[times.length - 1] * 1000 };
}

describe("time slices of run 218389", () => {
  it("15 eis windows among 130 intervals, slice i paired with r218389_sequence_i_eis_i.txt, no warnings", () => {
    const slices = readTimeSlices(json);
    expect(slices.run).toBe("218389");
    expect(slices.intervals).toHaveLength(130);
    expect(slices.warnings).toEqual([]);
    expect(slices.options?.["event_file"]).toBe("218389");
    expect(slices.slices.map((s) => s.index)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    for (const s of slices.slices) {
      expect(s.file).toBe(`r218389_sequence_${s.index}_eis_${s.index}.txt`);
      expect(s.reducedFile).toBe(s.file);
      // each file reads (dQ is the FWHM, data README)
      expect(readReflectivityData(path.join(sns, "tnr_during_eis", s.file!), { dqMeasure: "fwhm" })[0].q.length).toBe(261);
    }
    // origin without a zone: the first interval
    expect(slices.originKind).toBe("first-interval");
    expect(slices.intervals[0].start_s).toBe(0);
  });

  it("each window is exactly the span of impedance spectrum i's time column (EC-Lab clock)", () => {
    const { slices, origin } = readTimeSlices(json);
    const originMs = Date.parse(`${origin.slice(0, 23)}Z`);
    for (const s of slices) {
      const span = ecLabSpan(path.join(sns, "eis", `PEIS_seq${String(s.index).padStart(2, "0")}.mpt`));
      expect(Math.abs((span.first - originMs) / 1000 - s.start_s)).toBeLessThan(CLOCK_TOL_S);
      expect(Math.abs((span.last - originMs) / 1000 - s.end_s)).toBeLessThan(CLOCK_TOL_S);
      expect(s.duration_s).toBeCloseTo((span.last - span.first) / 1000, 5);
    }
  });

  it("with the run start of the SNS header and the potentiostat's zone (EDT), hours since the run start; a wrong zone is refused", () => {
    const header = readReflectivityData(path.join(sns, "steady", "REFL_218389_combined_data_auto.txt"))[0].header!;
    const start = header.startTime!;
    const slices = readTimeSlices(json, { runStart: start, utcOffset: "-04:00" });
    expect(slices.originKind).toBe("run-start");
    expect(slices.origin).toBe(start);
    const first = slices.slices[0];
    // 11:03:44.483170 EDT = 15:03:44.483170 UTC
    expect(first.startUtc).toBe("2025-04-20T15:03:44.483Z");
    expect(first.start_h).toBeCloseTo((Date.parse("2025-04-20T15:03:44.483Z") - Date.parse(start)) / 3.6e6, 6);
    for (const s of slices.slices) {
      expect(s.start_h).toBeGreaterThan(0);
      expect(s.end_s).toBeLessThan(slices.runDuration_s!);
      expect(s.end_h - s.start_h).toBeCloseTo(s.duration_s / 3600, 12);
    }
    for (const wrong of ["-05:00", "-03:00", "Z"]) {
      expect(() => readTimeSlices(json, { runStart: start, utcOffset: wrong })).toThrow(/utcOffset: puts the intervals outside run 218389.*more likely at -04:00/);
    }
    expect(() => readTimeSlices(json, { runStart: start })).toThrow(ValidationError);
    expect(() => readTimeSlices(json, { runStart: "2025-04-20T14:54:15", utcOffset: "-04:00" })).toThrow(/runStart: must be an ISO 8601 date-time with a zone/);
  });

  it("labels without distinct numbers ≥ 1 (found by the fuzzer: sequence_1_eis_0) number the slices by start time, with a warning", () => {
    const at = (minute: number, label: string): Record<string, string> => ({ label, interval_type: "eis", start: `2025-04-20T11:0${minute}:00`, end: `2025-04-20T11:0${minute}:30` });
    const zero = parseTimeSlices(JSON.stringify({ run_number: 7, intervals: [at(2, "seq_b_0"), at(1, "seq_a_3")] }), "r.json");
    expect(zero.slices.map((s) => [s.label, s.index])).toEqual([["seq_a_3", 1], ["seq_b_0", 2]]);
    expect(zero.warnings).toEqual(["r.json: the eis labels do not all end in distinct numbers ≥ 1; slices numbered by start time instead"]);
    const numbered = parseTimeSlices(JSON.stringify({ run_number: 7, intervals: [at(2, "seq_b_2"), at(1, "seq_a_5")] }), "r.json");
    expect(numbered.slices.map((s) => [s.label, s.index])).toEqual([["seq_a_5", 5], ["seq_b_2", 2]]);
    expect(numbered.warnings).toEqual([]);
  });

  it("malformed documents are ParseErrors naming the field", () => {
    const bad = (doc: unknown, pattern: RegExp): void => {
      let error: unknown;
      try {
        parseTimeSlices(JSON.stringify(doc), "r.json");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ParseError);
      expect(String(error)).toMatch(pattern);
    };
    const interval = { label: "sequence_1_eis_1", interval_type: "eis", start: "2025-04-20T11:00:00", end: "2025-04-20T11:01:00" };
    bad({ intervals: [interval] }, /run_number/);
    bad({ run_number: 1, intervals: [] }, /intervals must be a non-empty array/);
    bad({ run_number: 1, intervals: [{ ...interval, end: interval.start }] }, /intervals\[0\] ends .* before or when it starts/);
    bad({ run_number: 1, intervals: [{ ...interval, start: "11:00" }] }, /intervals\[0\]\.start must be an ISO 8601 date-time/);
    bad({ run_number: 1, intervals: [interval, interval] }, /intervals\[1\]\.label "sequence_1_eis_1" is used twice/);
    bad({ run_number: 1, intervals: [interval], duration: -3 }, /duration must be a number of seconds > 0/);
  });
});
