/**
 * Issue 5 benchmark: `strata inspect` of a generated 2000-scan campaign (small `.ort`
 * scans, a BDF cycler record, 4 spots), timed in-process: loading and validating the
 * manifest and every file, aligning, and rendering the report. Target: seconds.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadCampaign } from "../src/campaign/campaign.ts";
import { inspectionText } from "../src/cli/inspect.ts";
import { regularScans, set, writeCampaign } from "../test/campaign/fixtures.ts";

/** Number of scans in the generated campaign. */
export const BENCH_SCANS = 2000;

/**
 * Time `inspect` of a generated 2000-scan campaign.
 * @returns seconds for load (manifest + files + alignment), report rendering and their total, and the scan count
 */
export async function benchInspect(): Promise<Record<string, number | string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-campaign-"));
  try {
    writeCampaign(dir, { scans: regularScans(BENCH_SCANS, 5, 4, ["P1", "P2", "P3", "P4"]), spectra: [], points: 30, edit: (m) => set(m, "cells[0].spots", []) });
    const t0 = process.hrtime.bigint();
    const campaign = await loadCampaign(dir);
    const t1 = process.hrtime.bigint();
    const text = inspectionText(campaign);
    const t2 = process.hrtime.bigint();
    if (campaign.cells[0].scans.length !== BENCH_SCANS || text.length === 0) throw new Error("benchInspect: incomplete campaign");
    return {
      scans: BENCH_SCANS,
      "load + align (s)": Number(t1 - t0) / 1e9,
      "report (s)": Number(t2 - t1) / 1e9,
      "inspect total (s)": Number(t2 - t0) / 1e9,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
