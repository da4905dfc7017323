/**
 * The real SNS campaign of examples/sns-cu-thf-2025 (issue 15 part 4) as `loadCampaign`
 * reads it: the 15 slices' windows from the reduction's time-slice JSON
 * (`scans[k].timeSlices`), the 15 impedance spectra's from their EC-Lab clocks
 * (`impedance[k]` without start/end), the steady states' from their SNS headers. The two
 * clocks are independent — the neutron event splitter's JSON and the potentiostat's
 * `Acquisition started on` + `time/s` — and must agree: each spectrum spans its slice.
 * Bad references get one-line errors naming the manifest field.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { ValidationError } from "../../src/core/errors.ts";
import { repoRoot } from "../paths.ts";

const example = path.join(repoRoot, "examples", "sns-cu-thf-2025");
/** The JSON gives times to 1 µs, EC-Lab's time column to 1 ps; Strata's times are kept to 1 ms. */
const CLOCKS_AGREE_S = 2e-3;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sns-campaign-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** The parts of the manifest the variants change. */
interface Manifest {
  $schema?: string;
  scans: { file: string; start?: string; timeSlices?: { file: string; slice: number; utcOffset: string } }[];
  impedance: { file: string; start?: string; end?: string; utcOffset?: string }[];
}

/** A copy of the example's manifest, changed, beside the example's files (absolute paths). */
function variant(name: string, change: (m: Manifest) => void): string {
  const m = JSON.parse(fs.readFileSync(path.join(example, "campaign.json"), "utf8")) as Manifest;
  for (const s of m.scans) {
    s.file = path.join(example, s.file);
    if (s.timeSlices) s.timeSlices.file = path.join(example, s.timeSlices.file);
  }
  for (const e of m.impedance) e.file = path.join(example, e.file);
  delete m.$schema;
  change(m);
  const file = path.join(scratch, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(m));
  return file;
}

async function failure(file: string): Promise<Error> {
  try {
    await loadCampaign(file);
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the campaign to be refused");
}

describe("the SNS campaign's windows from the acquisition", () => {
  it("15 slices from the reduction JSON, 15 spectra from their EC-Lab clocks: each spectrum spans its slice", async () => {
    const campaign = await loadCampaign(example);
    expect(campaign.warnings.filter((w) => /pairs slice|differs from|clock of/.test(w))).toEqual([]);
    const cell = campaign.cells[0];
    expect(cell.scans).toHaveLength(17);
    expect(cell.spectra).toHaveLength(15);
    const slices = cell.scans.filter((s) => s.id.startsWith("slice"));
    expect(slices).toHaveLength(15);
    slices.forEach((scan, k) => {
      const spectrum = cell.spectra[k];
      expect(Math.abs(scan.start_s - spectrum.start_s)).toBeLessThan(CLOCKS_AGREE_S);
      expect(Math.abs(scan.end_s - spectrum.end_s)).toBeLessThan(CLOCKS_AGREE_S);
      expect(scan.data.q.length).toBe(261);
    });
    // slice 1: 11:03:44.483 EDT = 15:03:44.483 UTC; t0 13:42:43 UTC
    expect(slices[0].start_s).toBeCloseTo((Date.parse("2025-04-20T15:03:44.483Z") - Date.parse("2025-04-20T13:42:43Z")) / 1000, 3);
    // the steady states: start from the SNS header (UTC), 13:42:43.100
    expect(cell.scans[0].start_s).toBeCloseTo(0.1, 3);
    const timed = campaign.manifest.scans.find((s) => s.id === "slice03") as unknown as { startFrom: string };
    expect(timed.startFrom).toBe("time slice 3 of data/r218389_eis_reduction.json");
  });

  it("a slice the JSON does not hold, a wrong clock zone, a spectrum without its zone: one line naming the field", async () => {
    const noSlice = await failure(variant("noSlice", (m) => (m.scans[3].timeSlices!.slice = 16)));
    expect(noSlice).toBeInstanceOf(ValidationError);
    expect(noSlice.message).toMatch(/^scans\[3\]\.timeSlices\.slice: is not a slice of run 218389 in .*r218389_eis_reduction\.json \(its eis slices: 1–15\) \(got 16\)$/);
    const wrongZone = await failure(variant("wrongZone", (m) => (m.scans[2].timeSlices!.utcOffset = "-05:00")));
    expect(wrongZone.message).toMatch(/^scans\[2\]\.timeSlices\.utcOffset: .*outside run 218389.*-04:00/);
    expect(wrongZone.message.split("\n")).toHaveLength(1);
    const noZone = await failure(variant("noZone", (m) => delete m.impedance[4].utcOffset));
    expect(noZone.message).toMatch(/^impedance\[4\]\.utcOffset: is required: .*PEIS_seq05\.mpt states its acquisition start 2025-04-20T.* without a time zone/);
    const both = await failure(variant("both", (m) => (m.scans[5].start = "2025-04-20T15:30:00Z")));
    expect(both.message).toMatch(/^scans\[5\]\.start: is not given with timeSlices/);
    const oneEnd = await failure(variant("oneEnd", (m) => (m.impedance[0].end = "2025-04-20T15:30:00Z")));
    expect(oneEnd.message).toMatch(/^impedance\[0\]\.start: is required with end/);
  });

  it("a spectrum's window from its clock matches the manifest's own when both are there (start/end win)", async () => {
    const given = await loadCampaign(
      variant("given", (m) => {
        m.impedance[0].start = "2025-04-20T15:03:44.483Z";
        m.impedance[0].end = "2025-04-20T15:05:06.362Z";
      }),
    );
    const fromClock = await loadCampaign(example);
    expect(Math.abs(given.cells[0].spectra[0].start_s - fromClock.cells[0].spectra[0].start_s)).toBeLessThan(CLOCKS_AGREE_S);
    expect(Math.abs(given.cells[0].spectra[0].end_s - fromClock.cells[0].spectra[0].end_s)).toBeLessThan(CLOCKS_AGREE_S);
  });
});
