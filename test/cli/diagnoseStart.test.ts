/**
 * `strata diagnose --start` (issue 19 part 3) as a spawned process: on a simulated X-ray
 * through-electrolyte campaign (test/diagnosis/families.ts, in the learned estimator's
 * 2-layer X-ray family: EC | LiF-like SEI | Cu | Si) `--start ml` starts the series from the
 * network and diagnosis.json says so with the network's estimate beside the first scan's
 * refined values; on the same cell reduced without footprint correction (a geometry term the
 * network's training curves do not have) `--start ml` exits 2 with one line, and on a neutron
 * cell whose layer roles no neutron family has `auto` runs the global stage, giving the reason.
 * Kind: statistics on Strata's own simulator fitted by Strata's own model — it checks the
 * start's plumbing and its first fit, not the physics.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./run.ts";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { neutronScenario, xrayElectrolyteScenario, xrayUncorrectedScenario } from "../diagnosis/families.ts";

/** Scans per simulated campaign (the simulator's minimum is 2; few keep the test fast). */
const SCANS = 3;
/** The first scan's refined SEI thickness within this of the simulated truth (Å; a wrong basin is tens of Å off). */
const FIRST_SCAN_THICKNESS_A = 3;
/** Per-scan fits only, one MCMC-free pass: the start is what is tested. */
const QUICK = ["--quiet", "--mode", "independent", "--threads", "1"];

interface StartJson {
  requested: string;
  used: string;
  reason: string;
  ood?: { score: number; threshold: number; inDomain: boolean };
  network?: Record<string, { value: number; sigma: number; firstScan?: number }>;
  firstScan?: { from: string; chi2: number; points: number };
}
interface CellJson {
  start?: StartJson;
  globalStart?: unknown;
  independent: { thickness_A: number; chi2: number; points: number }[];
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-diagnose-start-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function campaign(name: string, scenario: Record<string, unknown>): { dir: string; truth: number[] } {
  const { damage: _damage, ...rest } = scenario;
  const dir = path.join(tmp, name);
  const truth = simulateCampaign({ ...rest, scans: { ...(rest["scans"] as object), count: SCANS } }, dir) as unknown as { cells: { A: { scans: { thickness_A: number }[] } } };
  return { dir, truth: truth.cells.A.scans.map((s) => s.thickness_A) };
}

function diagnosed(dir: string, out: string, start: string): CellJson {
  const run = runCli(["diagnose", dir, "--out", path.join(tmp, out), "--start", start, ...QUICK]);
  // the simulator's neutron beam (1e11 /s) draws a manifest plausibility warning; nothing else may be printed
  for (const line of run.stderr.split("\n").filter((l) => l.length > 0)) expect(line).toMatch(/^strata: warning: beam\.flux_per_s/);
  expect([0, 3, 4]).toContain(run.status);
  const json = JSON.parse(fs.readFileSync(path.join(tmp, out, "diagnosis.json"), "utf8")) as { cells: Record<string, CellJson> };
  return json.cells["A"];
}

describe("strata diagnose --start", () => {
  it("in the network's domain, --start ml starts the series from the network and diagnosis.json shows its estimate beside the first scan's refined values", () => {
    const { dir, truth } = campaign("xray", xrayElectrolyteScenario(2, "linear"));
    const cell = diagnosed(dir, "xray-ml", "ml");
    expect(cell.start?.requested).toBe("ml");
    expect(cell.start?.used).toBe("ml");
    expect(cell.start?.reason).toMatch(/xray 2-layer family/);
    expect(cell.start?.ood?.inDomain).toBe(true);
    expect(cell.globalStart).toBeUndefined();
    const network = cell.start!.network!;
    for (const name of ["thickness_0", "interphase_roughness", "interphase_density", "Cu_thickness", "scale", "background"]) {
      expect(Number.isFinite(network[name]?.value), name).toBe(true);
      expect(Number.isFinite(network[name]?.firstScan), name).toBe(true);
    }
    expect(network["thickness_0"].firstScan).toBeCloseTo(cell.independent[0].thickness_A, 9);
    expect(Math.abs(cell.independent[0].thickness_A - truth[0])).toBeLessThanOrEqual(FIRST_SCAN_THICKNESS_A);
    // the report says the network started the series and shows its estimate beside the refined values
    const report = fs.readFileSync(path.join(tmp, "xray-ml", "report.html"), "utf8");
    expect(report).toContain("The learned estimator started the series (--start ml)");
    expect(report).toMatch(/<table class="network-start">.*<td>thickness_0<\/td>/s);
  }, 120_000);

  it("outside the domain (uncorrected footprint), --start ml exits 2 with one line naming the reason", () => {
    const { dir } = campaign("uncorrected", xrayUncorrectedScenario(2, "linear").scenario);
    const refused = runCli(["diagnose", dir, "--out", path.join(tmp, "uncorrected-ml"), "--start", "ml", ...QUICK]);
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(/--start ml.*not in the learned estimator's domain.*footprint/);
  }, 120_000);

  it("outside the domain (a neutron Si | Cu | SEI | electrolyte stack: no neutron family has those roles), auto runs the global stage and gives the reason", () => {
    // the neutron family rather than the uncorrected X-ray one: its global stage is ~1 s, not ~1 min
    const { dir } = campaign("neutron", neutronScenario(2, "linear"));
    const cell = diagnosed(dir, "neutron-auto", "auto");
    expect(cell.start?.requested).toBe("auto");
    expect(cell.start?.used).toBe("global");
    expect(cell.start?.reason).toMatch(/not in the network's domain \(layer roles electrode, interphase are not the neutron 2-layer family's/);
    expect(cell.globalStart).toBeDefined();
  }, 120_000);

  it("rejects an unknown --start with exit 2", () => {
    const run = runCli(["diagnose", tmp, "--out", path.join(tmp, "bad"), "--start", "nominal", "--quiet"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--start: must be one of auto, ml, global/);
  });
});
