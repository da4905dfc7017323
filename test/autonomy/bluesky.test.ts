/**
 * Bluesky event-model documents → an ORSO scan (autonomy/bluesky): documents written here from
 * the example campaign's first scan — a step scan (one Event per point, Q in nm⁻¹), the same run
 * as one EventPage of array readings in Å⁻¹ — read back by the campaign's own reader
 * (io/reflectivityData) equal to the original file's points; a run whose RunStop is not a
 * success, a unit that is not a reciprocal length and a missing field are refused with one line
 * naming the document and the field.
 *
 * Units: Q Å⁻¹ (nm⁻¹ in the step-scan documents), times s since the epoch.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { blueskyToScan, type BlueskyDocument } from "../../src/autonomy/bluesky.ts";
import { readReflectivityData } from "../../src/io/reflectivityData.ts";
import { repoRoot } from "../paths.ts";

const SOURCE = path.join(repoRoot, "examples", "campaign", "xrr", "A0001.ort");
/** relative agreement of a value converted nm⁻¹ → Å⁻¹ and written with 17 digits */
const CONVERSION_TOLERANCE = 1e-14;
const START_TIME = Date.parse("2026-03-01T10:10:00Z") / 1000;
const STOP_TIME = START_TIME + 300;

const [original] = readReflectivityData(SOURCE);
const q = Array.from(original.q);
const r = Array.from(original.r);
const dr = Array.from(original.dr);
const dq = Array.from(original.dq!);
const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bluesky-"));
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

function start(extra: Record<string, unknown> = {}): BlueskyDocument {
  return ["start", { uid: "run-1", time: START_TIME, plan_name: "reflectivity_scan", strata: { cell: "A", spot: "P1", file: "xrr/A0031.ort" }, ...extra }];
}
const stop = (exit_status = "success", reason = ""): BlueskyDocument => ["stop", { uid: "stop-1", time: STOP_TIME, run_start: "run-1", exit_status, reason, num_events: { primary: q.length } }];

/** a step scan: one Event per point, Q and dQ in nm⁻¹ */
function stepScan(): BlueskyDocument[] {
  const descriptor: BlueskyDocument = [
    "descriptor",
    {
      uid: "desc-1",
      run_start: "run-1",
      time: START_TIME,
      name: "primary",
      data_keys: {
        q: { source: "PV:q", dtype: "number", shape: [], units: "1/nm" },
        R: { source: "PV:R", dtype: "number", shape: [], units: "" },
        dR: { source: "PV:dR", dtype: "number", shape: [] },
        dQ: { source: "PV:dQ", dtype: "number", shape: [], units: "nm^-1" },
      },
    },
  ];
  // events out of order: seq_num orders them
  const events: BlueskyDocument[] = q.map((_, i) => ["event", { uid: `ev-${i}`, descriptor: "desc-1", seq_num: i + 1, time: START_TIME + i, data: { q: q[i] * 10, R: r[i], dR: dr[i], dQ: dq[i] * 10 }, timestamps: { q: START_TIME + i, R: START_TIME + i, dR: START_TIME + i, dQ: START_TIME + i } }]);
  return [start(), descriptor, ...events.reverse(), stop()];
}

/** the same run as one EventPage of array readings (shape [N]) in Å⁻¹, and a baseline stream to ignore */
function pagedRun(): BlueskyDocument[] {
  const half = Math.floor(q.length / 2);
  const arrays = (from: number, to: number): Record<string, number[]> => ({ Q: q.slice(from, to), R: r.slice(from, to), dR: dr.slice(from, to), dQ: dq.slice(from, to) });
  return [
    start(),
    ["descriptor", { uid: "base", run_start: "run-1", time: START_TIME, name: "baseline", data_keys: { temperature: { source: "PV:T", dtype: "number", shape: [], units: "K" } } }],
    ["descriptor", { uid: "desc-2", run_start: "run-1", time: START_TIME, name: "primary", data_keys: Object.fromEntries(["Q", "R", "dR", "dQ"].map((k) => [k, { source: `det:${k}`, dtype: "array", shape: [half], units: k.includes("Q") ? "1/angstrom" : "1" }])) }],
    ["event", { uid: "b1", descriptor: "base", seq_num: 1, time: START_TIME, data: { temperature: 298 }, timestamps: { temperature: START_TIME } }],
    ["event_page", { uid: ["p1", "p2"], descriptor: "desc-2", seq_num: [1, 2], time: [START_TIME, START_TIME + 150], data: Object.fromEntries(Object.entries(arrays(0, half)).map(([k, v]) => [k, [v, arrays(half, q.length)[k]]])), timestamps: {} }],
    stop(),
  ];
}

function readBack(ort: string, name: string): ReturnType<typeof readReflectivityData>[number] {
  const file = path.join(folder, name);
  fs.writeFileSync(file, ort);
  return readReflectivityData(file)[0];
}

describe("bluesky documents → ORSO scan", () => {
  it("converts a step scan in nm⁻¹ (one Event per point, out of order) to the original points in Å⁻¹", () => {
    const scan = blueskyToScan(stepScan());
    expect(scan).toMatchObject({ file: "xrr/A0031.ort", cell: "A", spot: "P1", scan: "A0031", uid: "run-1", points: q.length, start: "2026-03-01T10:10:00.000Z", end: "2026-03-01T10:15:00.000Z", qUnit: "1/nm → 1/angstrom" });
    const back = readBack(scan.ort, "step.ort");
    expect(back.q.length).toBe(q.length);
    back.q.forEach((value, i) => expect(Math.abs(value - q[i]) / q[i]).toBeLessThan(CONVERSION_TOLERANCE));
    back.dq!.forEach((value, i) => expect(Math.abs(value - dq[i]) / dq[i]).toBeLessThan(CONVERSION_TOLERANCE));
    expect(Array.from(back.r)).toEqual(r);
    expect(Array.from(back.dr)).toEqual(dr);
    expect(scan.ort).toContain("start_date: '2026-03-01T10:10:00.000Z'");
  });

  it("converts an EventPage of array readings, ignoring another stream", () => {
    const scan = blueskyToScan(pagedRun());
    const back = readBack(scan.ort, "paged.ort");
    expect(Array.from(back.q)).toEqual(q);
    expect(Array.from(back.r)).toEqual(r);
    expect(Array.from(back.dr)).toEqual(dr);
    expect(scan.qUnit).toBe("1/angstrom");
  });

  it("refuses a failed run, a bad unit, missing metadata and a missing field with one line naming the document", () => {
    const failed = [...stepScan().slice(0, -1), stop("abort", "beam dump\nat 10:14")];
    expect(() => blueskyToScan(failed)).toThrow(/^bluesky\[\d+\] \(stop\)\.exit_status: the run did not succeed \(reason: beam dump at 10:14\): only a successful run is a scan \(got "abort"\)$/);
    expect(() => blueskyToScan(stepScan().slice(0, -1))).toThrow(/^bluesky: has no stop document \(RunStop\): the run is not complete$/);

    const degrees = stepScan();
    ((degrees[1][1]["data_keys"] as Record<string, Record<string, unknown>>)["q"])["units"] = "deg";
    expect(() => blueskyToScan(degrees)).toThrow(/^bluesky\[1\] \(descriptor\)\.data_keys\.q\.units: Q must be in 1\/angstrom or 1\/nm \(got "deg"\)$/);

    const anonymous = stepScan();
    anonymous[0] = ["start", { uid: "run-1", time: START_TIME }];
    expect(() => blueskyToScan(anonymous)).toThrow(/^bluesky\[0\] \(start\)\.strata: must name the scan/);

    const holed = stepScan();
    delete (holed[5][1]["data"] as Record<string, unknown>)["R"];
    expect(() => blueskyToScan(holed)).toThrow(/^bluesky\[5\] \(event\)\.data\.R: is missing$/);

    expect(() => blueskyToScan([["resource", {}]])).toThrow(/^bluesky\[0\]\[0\]: must be one of start, descriptor, event, event_page, stop/);
    for (const bad of [[start(), stop("fail")], stepScan().slice(0, -1)]) {
      try {
        blueskyToScan(bad);
      } catch (error) {
        expect((error as Error).message).not.toContain("\n");
      }
    }
  });
});
