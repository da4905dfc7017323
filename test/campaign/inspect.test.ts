/** `strata inspect` spawned as a user runs it: a valid campaign (table and --json), invalid manifests, a 2000-scan campaign. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run.ts";
import { ALIGN_RTOL } from "../tolerances.ts";
import { analyticState, programIntegrals, RECORD_LEAD_S, regularScans, SCANS, set, writeCampaign, type Json } from "./fixtures.ts";

/** Issue 5: inspect of a 2000-scan campaign "finishes in seconds"; the bound leaves room for a loaded 2-core machine. */
const INSPECT_2000_MAX_S = 20;

let tmp = "";
let counter = 0;
const folder = (): string => path.join(tmp, `c${++counter}`);
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-inspect-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface ScanJson {
  id: string;
  spot: string;
  start_s: number;
  end_s: number;
  points: number;
  state: { chargeAtMid_C: number; meanPotential_V: number; reductionChargeAtMid_C: number; stepType: string } | null;
}
interface InspectJson {
  format: string;
  cells: { id: string; scans: ScanJson[]; spectra: { id: string; state: unknown }[]; exposure: { spot: string; role: string; scans: number; exposure_s: number }[] }[];
  warnings: string[];
}

describe("strata inspect (spawned CLI)", () => {
  it("prints the scans, spectra, exposure per spot and warnings of a valid campaign", () => {
    const dir = folder();
    writeCampaign(dir);
    const result = runCli(["inspect", dir]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/^campaign "Cu in EC, formation" \(strata-campaign\/1\): 1 cell, 10 scans, 2 spectra; t0 2026-03-01T10:00:00Z; beam xray 17\.4 keV/);
    expect(out).toMatch(/cell A \(thin-film-reflectometry, 2 cm², through-substrate\): Si \| Cu 500 Å \| SEI 10 Å \| electrolyte/);
    expect(out).toMatch(/^scan +spot +file +start_s +end_s +points +E_V +I_A +Q_C +Qred_C +cycle +half +step +times_from$/m);
    for (const s of SCANS) expect(out).toMatch(new RegExp(`^${s.id} +${s.spot} +xrr/${s.id}\\.ort +${s.start} +${s.end} +40 `, "m"));
    expect(out).toMatch(/^s06 .* CV_DCH +manifest$/m);
    expect(out).toMatch(/^spectrum +file/m);
    expect(out).toMatch(/^ {2}P1 +measured +8 +2399\.875$/m);
    expect(out).toMatch(/^ {2}C1 +control +0 +0$/m);
    expect(out).toMatch(/^warnings/m);
  });

  it("--json gives the same as data", () => {
    const dir = folder();
    writeCampaign(dir);
    const result = runCli(["inspect", dir, "--json"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const data = JSON.parse(result.stdout) as InspectJson;
    expect(data.format).toBe("strata-campaign/1");
    const cell = data.cells[0];
    expect(cell.scans.map((s) => s.id)).toEqual(SCANS.map((s) => s.id));
    SCANS.forEach((spec, k) => {
      const want = analyticState(spec.start, spec.end);
      const got = cell.scans[k].state!;
      const scale = Math.abs(programIntegrals(-RECORD_LEAD_S, 20000).reduction);
      expect(Math.abs(got.chargeAtMid_C - want.chargeAtMid_C) / Math.max(Math.abs(want.chargeAtMid_C), scale)).toBeLessThanOrEqual(ALIGN_RTOL);
      expect(Math.abs(got.reductionChargeAtMid_C - want.reductionChargeAtMid_C) / Math.max(Math.abs(want.reductionChargeAtMid_C), scale)).toBeLessThanOrEqual(ALIGN_RTOL);
      expect(Math.abs(got.meanPotential_V - want.meanPotential_V) / Math.abs(want.meanPotential_V)).toBeLessThanOrEqual(ALIGN_RTOL);
    });
    expect(cell.spectra.map((s) => s.id)).toEqual(["eis1", "eis2"]);
    expect(cell.exposure).toEqual([
      { spot: "P1", role: "measured", scans: 8, exposure_s: 2399.875 },
      { spot: "P2", role: "fresh", scans: 2, exposure_s: 600 },
      { spot: "C1", role: "control", scans: 0, exposure_s: 0 },
    ]);
    expect(Array.isArray(data.warnings)).toBe(true);
  });

  const invalid: [string, (m: Json) => void, string][] = [
    ["negative thickness", (m) => set(m, "cells[0].stack[2].thickness_A", -5), "strata: cells[0].stack[2].thickness_A: must be ≥ 0 (got -5)"],
    ["time without zone", (m) => set(m, "scans[1].start", "2026-03-01T10:09:10"), 'strata: scans[1].start: has no time zone (add Z or ±hh:mm); local times are ambiguous (got "2026-03-01T10:09:10")'],
    ["unknown cell", (m) => set(m, "scans[4].cell", "Q"), 'strata: scans[4].cell: names no cell (cells are "A") (got "Q")'],
    ["duplicate scan id", (m) => set(m, "scans[2].id", "s01"), 'strata: scans[2].id: duplicates scans[0].id; scan ids must be unique (got "s01")'],
  ];
  for (const [name, edit, message] of invalid) {
    it(`an invalid manifest (${name}): one line naming the path and value, exit code 2`, () => {
      const dir = folder();
      writeCampaign(dir, { edit });
      const result = runCli(["inspect", dir]);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(`${message}\n`);
    });
  }

  it("a missing file and a JSON syntax error: exit code 2, one line", () => {
    const dir = folder();
    writeCampaign(dir, { edit: (m) => set(m, "scans[3].file", "xrr/missing.ort") });
    let result = runCli(["inspect", dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^strata: .*campaign\.json: scans\[3\]\.file: file not found: xrr\/missing\.ort .*\n$/);
    fs.writeFileSync(path.join(dir, "campaign.json"), '{"format": "strata-campaign/1",\n "name": }');
    result = runCli(["inspect", dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^strata: .*campaign\.json(:2)?: invalid JSON.*\n$/);
    result = runCli(["inspect", path.join(dir, "nowhere")]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot read file \(ENOENT\)/);
  });

  it(`inspects a 2000-scan campaign in under ${INSPECT_2000_MAX_S} s`, () => {
    const dir = folder();
    writeCampaign(dir, { scans: regularScans(2000, 5, 4, ["P1", "P2", "P3", "P4"]), spectra: [], points: 30, edit: (m) => set(m, "cells[0].spots", []) });
    const started = process.hrtime.bigint();
    // the table rather than --json: 2000 states as JSON exceed spawnSync's 1 MB output buffer
    const result = runCli(["inspect", dir]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const rows = result.stdout.split("\n").filter((line) => /^s\d{5} /.test(line));
    expect(rows).toHaveLength(2000);
    expect(rows.every((line) => !/ - +- +- +- /.test(line))).toBe(true); // every scan has a state
    expect(result.stdout).toMatch(/^ {2}P4 +measured +500 +2000$/m);
    console.log(`strata inspect of 2000 scans: ${seconds.toFixed(2)} s (spawned, including start-up)`);
    expect(seconds).toBeLessThan(INSPECT_2000_MAX_S);
  });
});
