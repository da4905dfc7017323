/** `strata dose` spawned as a user runs it: the ledger table and JSON, a plan over budget, and bad input (exit code 2, one line). */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { doseLedger } from "../../src/confounders/index.ts";
import { runCli } from "../cli/run.ts";
import { DOSE_HAND_RTOL } from "../tolerances.ts";
import { cell0, doseExampleManifest, writeDoseCampaign, type Json } from "./fixtures.ts";

let tmp = "";
let counter = 0;
const folder = (): string => path.join(tmp, `c${++counter}`);
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-dose-cli-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

interface LedgerJson {
  format: string;
  probe: string;
  rows: { scan: string; spot: string; exposure_s: number; dose_Gy: number; doseRate_Gy_per_s: number; cumulativeDose_Gy: number }[];
  spots: { spot: string; dose_Gy: number }[];
  model: string[];
}

function writePlan(file: string, budget: unknown): void {
  const example = doseExampleManifest();
  const cell = cell0(example);
  const plan = {
    format: "strata-dose-plan/1",
    name: "two spots",
    beam: example["beam"],
    cell: { stack: cell["stack"], windows: cell["windows"], geometry: cell["geometry"], spots: cell["spots"] },
    schedule: [
      { spot: "P1", exposure_s: 300, qMin: 0.01, qMax: 0.3, points: 50 },
      { spot: "P1", exposure_s: 300, qMin: 0.01, qMax: 0.3, points: 50 },
      { spot: "P2", exposure_s: 300, qMin: 0.01, qMax: 0.3, points: 50 },
    ],
    budget_Gy: budget,
  };
  fs.writeFileSync(file, JSON.stringify(plan));
}

describe("strata dose (spawned CLI)", () => {
  it("prints the ledger table (scan, spot, exposure, dose, dose rate, cumulative) with the model statements", () => {
    const dir = folder();
    writeDoseCampaign(dir);
    const result = runCli(["dose", dir]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^dose ledger of campaign "dose hand example": 3 exposures, X-ray 17\.3861 keV/);
    expect(result.stdout).toMatch(/^cell +scan +spot +exposure_s +dose_Gy +doseRate_Gy\/s +cumulative_Gy/m);
    expect(result.stdout).toMatch(/^A +s1 +P1 +100 +4\.1143e\+5 +4114\.3 +4\.1143e\+5 /m);
    expect(result.stdout).toMatch(/^A +s2 +P1 +200 +8\.2285e\+5 +4114\.3 +1\.2343e\+6 /m);
    expect(result.stdout).toMatch(/fluorescence escape and Compton deposition neglected/);
    expect(result.stdout).toMatch(/^ {2}A +C1 +control +0 +0 +0 +0$/m);
  });

  it("--json gives the ledger as data, equal to the in-process ledger", async () => {
    const dir = folder();
    writeDoseCampaign(dir);
    const result = runCli(["dose", dir, "--json"]);
    expect(result.status).toBe(0);
    const data = JSON.parse(result.stdout) as LedgerJson;
    expect(data.format).toBe("strata-dose-ledger/1");
    const ledger = doseLedger(await loadCampaign(dir));
    expect(data.rows.map((r) => r.scan)).toEqual(["s1", "s2", "s3"]);
    data.rows.forEach((r, i) => {
      expect(rel(r.dose_Gy, ledger.rows[i].dose_Gy!)).toBeLessThan(DOSE_HAND_RTOL);
      expect(rel(r.cumulativeDose_Gy, ledger.rows[i].cumulativeDose_Gy!)).toBeLessThan(DOSE_HAND_RTOL);
    });
  });

  it("--plan: an OVER BUDGET line and JSON flag for a spot over its budget, exit code 0", () => {
    const file = path.join(folder() + ".json");
    // each scan gives ≈ 2.17e6 Gy: P1 (two scans) exceeds 3e6 Gy, P2 (one scan) does not
    writePlan(file, { P1: 3e6, P2: 3e6 });
    const text = runCli(["dose", "--plan", file]);
    expect(text.stderr).toBe("");
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^OVER BUDGET: spot P1: 4\.335e\+6 Gy > budget 3000000 Gy \(144\.5 %\)$/m);
    expect(text.stdout).not.toMatch(/OVER BUDGET: spot P2/);
    const json = runCli(["dose", "--plan", file, "--json"]);
    expect(json.status).toBe(0);
    const data = JSON.parse(json.stdout) as { overBudget: boolean; spots: { spot: string; overBudget: boolean; dose_Gy: number; budget_Gy: number }[] };
    expect(data.overBudget).toBe(true);
    const p1 = data.spots.find((s) => s.spot === "P1")!;
    const p2 = data.spots.find((s) => s.spot === "P2")!;
    expect(p1.overBudget).toBe(true);
    expect(p2.overBudget).toBe(false);
    expect(rel(p1.dose_Gy, 2 * p2.dose_Gy)).toBeLessThan(DOSE_HAND_RTOL);
    const within = path.join(folder() + ".json");
    writePlan(within, 1e9);
    const ok = runCli(["dose", "--plan", within]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^all spots within budget$/m);
  });

  it("bad input: a beam without flux, a window without composition, an invalid plan — one line, exit code 2", () => {
    const noFlux = folder();
    writeDoseCampaign(noFlux, (m) => delete (m["beam"] as Json)["flux_per_s"]);
    const a = runCli(["dose", noFlux]);
    expect(a.status).toBe(2);
    expect(a.stdout).toBe("");
    expect(a.stderr).toMatch(/^strata: beam\.flux_per_s: is missing: the dose counts the photons on the sample and needs the incident flux \(photons\/s\) — the dose cannot be computed\n$/);

    const noComposition = folder();
    writeDoseCampaign(noComposition, (m) => ((cell0(m)["windows"] as Json[])[0]["material"] = { sld: 2.5 }));
    const b = runCli(["dose", noComposition]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/^strata: cells\[0\]\.windows\[0\]\.material: has no composition \(formula and density\) for window "Kapton", which the beam crosses: its X-ray attenuation is unknown .* — the dose cannot be computed\n$/);

    const plan = path.join(folder() + ".json");
    writePlan(plan, 1e6);
    const broken = JSON.parse(fs.readFileSync(plan, "utf8")) as Json;
    (broken["schedule"] as Json[])[1]["points"] = 0;
    fs.writeFileSync(plan, JSON.stringify(broken));
    const c = runCli(["dose", "--plan", plan]);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/^strata: schedule\[1\]\.points: must be ≥ 1 \(got 0\)\n$/);

    const d = runCli(["dose"]);
    expect(d.status).toBe(2);
    expect(d.stderr).toMatch(/^strata: dose: give CAMPAIGN_DIR or --plan PLAN\.json\n$/);
  });

  it("a neutron campaign prints fluence and says the dose is negligible", () => {
    const dir = folder();
    writeDoseCampaign(dir, (m) => {
      m["beam"] = { probe: "neutron", wavelength_A: 5, flux_per_s: 1e7, height_mm: 0.5, width_mm: 30, profile: "tophat" };
    });
    const result = runCli(["dose", dir]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/absorbed dose is negligible/);
    expect(result.stdout).toMatch(/^cell +scan +spot +exposure_s +fluence_n\/cm2 +cumulative_n\/cm2/m);
    expect(result.stdout).not.toMatch(/dose_Gy/);
  });
});
