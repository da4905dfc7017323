/**
 * campaign/scanTimes: scan start and end taken from the file's header when the manifest
 * leaves them out — on real files: PSI Amor's prist5_10K_m_025.Rqz.ort (a zone-less
 * local timestamp), orsopy's test_example.ort (three zoned data-file timestamps), an SNS
 * Liquids Reflectometer partial file (UTC run start); and a NeXus file written here with
 * start_time/end_time. Times in s; every expected instant is worked out by hand from the
 * header text in the comments.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import h5wasm from "h5wasm/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { closeNexusReader } from "../../src/io/nexus.ts";
import { conformanceRoot, repoRoot } from "../paths.ts";
import { runCli } from "../cli/run.ts";

const AMOR = path.join(conformanceRoot, "ort", "prist5_10K_m_025.Rqz.ort");
const ORSO_EXAMPLE = path.join(conformanceRoot, "ort", "test_example.ort");
const SNS = path.join(repoRoot, "examples", "sns-cu-thf-2025", "data", "REFL_218386_1_218386_partial.txt");

type Json = Record<string, unknown>;
let tmp = "";
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-scan-times-"));
});
afterAll(async () => {
  await closeNexusReader();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A one-cell neutron campaign whose only scan is `scan` (file paths absolute). */
function campaign(name: string, t0: string, scan: Json): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const manifest = {
    format: "strata-campaign/1",
    name,
    cells: [
      {
        id: "A",
        architecture: "thin-film-reflectometry",
        electrodeArea_cm2: 1,
        stack: [
          { name: "Si", role: "substrate", material: { neutron: { sld: 2.07 } } },
          { name: "film", role: "electrode", material: { neutron: { sld: 1 } }, thickness_A: 90 },
          { name: "ambient", role: "ambient", material: { neutron: { sld: 0 } } },
        ],
      },
    ],
    beam: { probe: "neutron" },
    t0,
    scans: [{ id: "s1", cell: "A", spot: "P1", ...scan }],
  };
  fs.writeFileSync(path.join(dir, "campaign.json"), JSON.stringify(manifest, null, 2));
  return dir;
}

const utc = (iso: string): number => Date.parse(iso) / 1000;

describe("scan times from file headers", () => {
  it("Amor .ort: the zone-less data_files timestamp is taken with the scan's utcOffset, the end from duration_s", async () => {
    // header: data_files[0].timestamp 2023-11-29T10:12:45 (local time at PSI, CET = +01:00)
    const dir = campaign("amor", "2023-11-29T09:00:00Z", { file: AMOR, utcOffset: "+01:00", duration_s: 1800 });
    const loaded = await loadCampaign(dir);
    const [scan] = loaded.cells[0].scans;
    expect(scan.startFrom).toBe("header measurement.data_files[0].timestamp");
    expect(scan.endFrom).toBe("duration_s");
    expect(scan.start_s).toBe(utc("2023-11-29T09:12:45Z") - utc("2023-11-29T09:00:00Z")); // 765
    expect(scan.end_s - scan.start_s).toBe(1800);
    const timed = loaded.manifest.scans[0];
    expect(timed.start?.iso).toBe("2023-11-29T10:12:45+01:00");
    expect(timed.end?.iso).toBe("2023-11-29T09:42:45.000Z");
  });

  it("Amor .ort without utcOffset is refused naming the field, the file's time and what to give — never a guessed zone", async () => {
    const dir = campaign("amor-no-zone", "2023-11-29T09:00:00Z", { file: AMOR, duration_s: 1800 });
    await expect(loadCampaign(dir)).rejects.toThrow(
      `scans[0].utcOffset: is required: ${AMOR} states measurement.data_files[0].timestamp 2023-11-29T10:12:45 without a time zone; give the zone of the instrument's clock as utcOffset ("+01:00", "Z" …), or give start and end`,
    );
  });

  it("an end no header states is asked for (end or duration_s)", async () => {
    const dir = campaign("amor-no-end", "2023-11-29T09:00:00Z", { file: AMOR, utcOffset: "+01:00" });
    await expect(loadCampaign(dir)).rejects.toThrow(`scans[0].end: is required: the header of ${AMOR} states when the scan started but not when it ended; give end, or duration_s (s)`);
  });

  it("orsopy's test_example.ort: the earliest of three zoned data-file timestamps starts the scan; a utcOffset is then unused and said so", async () => {
    // timestamps 14:27:45+01:00, 14:37:15+01:00, 14:27:02+01:00 → the third, 13:27:02Z
    const dir = campaign("orso", "2020-02-03T13:00:00Z", { file: ORSO_EXAMPLE, end: "2020-02-03T14:00:00Z", utcOffset: "+02:00" });
    const loaded = await loadCampaign(dir);
    const [scan] = loaded.cells[0].scans;
    expect(scan.startFrom).toBe("header measurement.data_files[2].timestamp");
    expect(scan.endFrom).toBe("manifest");
    expect(scan.start_s).toBe(27 * 60 + 2);
    expect(scan.end_s).toBe(3600);
    expect(loaded.warnings).toContain("scans[0].utcOffset: unused (every time of this scan has a zone or is given by the manifest)");
  });

  it("SNS partial file: the UTC run start (2025-04-20T13:42:43.100443667) starts the scan; a manifest start 5 s off wins with a warning", async () => {
    const dir = campaign("sns", "2025-04-20T13:00:00Z", { file: SNS, duration_s: 600, dqMeasure: "fwhm" });
    const [scan] = (await loadCampaign(dir)).cells[0].scans;
    expect(scan.startFrom).toBe("header Run start time");
    expect(scan.start_s).toBeCloseTo(42 * 60 + 43.1, 3); // the reader keeps milliseconds
    expect(scan.end_s - scan.start_s).toBeCloseTo(600, 9);

    const manual = campaign("sns-manual", "2025-04-20T13:00:00Z", { file: SNS, start: "2025-04-20T13:42:48Z", duration_s: 600 });
    const loaded = await loadCampaign(manual);
    expect(loaded.cells[0].scans[0].startFrom).toBe("manifest");
    expect(loaded.cells[0].scans[0].start_s).toBe(42 * 60 + 48);
    expect(loaded.warnings.some((w) => w.startsWith(`scans[0].start (2025-04-20T13:42:48Z) differs from the header of ${SNS} (Run start time 2025-04-20T13:42:43.100Z) by 4.9 s`))).toBe(true);
  });

  it("NeXus: start_time and end_time of the entry", async () => {
    await h5wasm.ready;
    const file = path.join(tmp, "scan.nxs");
    const h5 = new h5wasm.File(file, "w");
    try {
      const entry = h5.create_group("entry");
      entry.create_attribute("NX_class", "NXentry");
      entry.create_dataset({ name: "start_time", data: "2026-03-01T11:00:00+01:00" });
      entry.create_dataset({ name: "end_time", data: "2026-03-01T10:05:00Z" });
      const data = entry.create_group("data");
      data.create_attribute("NX_class", "NXdata");
      data.create_dataset({ name: "Q", data: Float64Array.of(0.01, 0.02, 0.03) }).create_attribute("units", "1/angstrom");
      data.create_dataset({ name: "R", data: Float64Array.of(0.9, 0.1, 0.01) });
      data.create_dataset({ name: "dR", data: Float64Array.of(0.01, 0.005, 0.001) });
    } finally {
      h5.close();
    }
    const dir = campaign("nexus", "2026-03-01T09:00:00Z", { file, nexus: { q: "data/Q", r: "data/R", dr: "data/dR" } });
    const [scan] = (await loadCampaign(dir)).cells[0].scans;
    expect([scan.startFrom, scan.endFrom]).toEqual(["header start_time", "header end_time"]);
    expect([scan.start_s, scan.end_s]).toEqual([3600, 3900]);
  });

  it("manifest: end and duration_s together are refused", async () => {
    const dir = campaign("both", "2023-11-29T09:00:00Z", { file: AMOR, start: "2023-11-29T09:12:45Z", end: "2023-11-29T09:42:45Z", duration_s: 1800 });
    await expect(loadCampaign(dir)).rejects.toThrow("scans[0].duration_s: give end or duration_s, not both (got 1800)");
  });
});

describe("strata inspect with header times (spawned CLI)", () => {
  it("shows where each time came from, and refuses a zone-less header time in one line with exit 2", () => {
    const ok = campaign("cli-amor", "2023-11-29T09:00:00Z", { file: AMOR, utcOffset: "+01:00", duration_s: 1800 });
    const result = runCli(["inspect", ok]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^s1 +P1 +\S+prist5_10K_m_025\.Rqz\.ort +765 +2565 +71 .*start: header measurement\.data_files\[0\]\.timestamp; end: duration_s$/m);
    const json = JSON.parse(runCli(["inspect", ok, "--json"]).stdout) as { cells: { scans: { startFrom: string; endFrom: string }[] }[] };
    expect(json.cells[0].scans[0]).toMatchObject({ startFrom: "header measurement.data_files[0].timestamp", endFrom: "duration_s" });

    const refused = runCli(["inspect", campaign("cli-amor-no-zone", "2023-11-29T09:00:00Z", { file: AMOR, duration_s: 1800 })]);
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/^strata: scans\[0\]\.utcOffset: is required: .*prist5_10K_m_025\.Rqz\.ort states measurement\.data_files\[0\]\.timestamp 2023-11-29T10:12:45 without a time zone; .*\n$/);
  });
});
