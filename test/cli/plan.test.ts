/**
 * `strata plan` as a user runs it (the compiled bin/strata.js; issue 18 part 1): on a small
 * simulated campaign (4 scans) it runs the live diagnosis and prints the strata-plan/1
 * document with --json (also written to --out DIR/plan.json) and saves the live document
 * (--save-live); with --live it plans from that document and prints the ranked actions (the
 * tests run in order: the later ones use the saved document); every action respects the spots' budgets; bad
 * constraints and a bad target are one line on stderr naming the field, exit 2.
 *
 * Units: time s, dose Gy.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import type { PlanResult } from "../../src/autonomy/types.ts";
import { repoRoot } from "../paths.ts";
import { runCli } from "./run.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-plan-cli-"));
const campaignDir = path.join(tmp, "campaign");
const constraintsFile = path.join(tmp, "constraints.json");
const liveFile = path.join(tmp, "live.json");
const BUDGET_GY = 8;

const CONSTRAINTS = {
  end_s: 30000,
  minSpacing_s: 600,
  spots: [
    { id: "P1", budget_Gy: BUDGET_GY },
    { id: "P2", dose_Gy: 0, budget_Gy: BUDGET_GY, fresh: true },
  ],
  settings: [
    { qMin: 0.012, qMax: 0.3, points: 40, countTime_s: 300 },
    { qMin: 0.012, qMax: 0.3, points: 40, countTime_s: 60 },
  ],
  impedance: false,
};

beforeAll(() => {
  const scenario = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "scenario.json"), "utf8")) as { scans: Record<string, unknown> };
  simulateCampaign({ ...scenario, scans: { ...scenario.scans, count: 4, points: 40 }, impedance: undefined }, campaignDir);
  fs.writeFileSync(constraintsFile, JSON.stringify(CONSTRAINTS));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("strata plan", () => {
  it("runs the live diagnosis and writes the strata-plan/1 document (--json, --out) and the live document (--save-live)", () => {
    const out = path.join(tmp, "out");
    const run = runCli(["--quiet", "plan", campaignDir, "--constraints", constraintsFile, "--json", "--n", "20", "--out", out, "--save-live", liveFile]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as PlanResult;
    expect(result.format).toBe("strata-plan/1");
    expect(result.target).toEqual({ kind: "parameter", name: "k" });
    expect(JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8"))).toEqual(result);
    expect(result.actions.length).toBeGreaterThan(0);
    expect(result.actions[0].gain_nats).toBeGreaterThan(0);
    expect((JSON.parse(fs.readFileSync(liveFile, "utf8")) as { format: string }).format).toBe("strata-live/1");
    // P1's dose so far comes from the ledger; no action takes a spot over its budget
    const lines = fs.readFileSync(path.join(campaignDir, "campaign.json"), "utf8");
    expect(lines).toContain('"spot": "P1"');
    for (const a of result.actions) {
      if (a.action.kind !== "reflectivity") continue;
      expect(a.cost.dose_Gy).toBeGreaterThan(0);
      const spent = a.action.spot === "P2" ? 0 : Number(/\(([\d.]+) Gy so far\)/.exec(a.reason)![1]);
      expect(spent + a.cost.dose_Gy).toBeLessThanOrEqual(BUDGET_GY);
    }
  }, 60_000);

  it("plans from a stored live document (--live) and prints a table with one reason per action", () => {
    const run = runCli(["plan", campaignDir, "--constraints", constraintsFile, "--live", liveFile, "--target", "thickness@20000", "--n", "3"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^plan for cell A, target thickness at 20000 s \(now [\d.]+ ± [\d.]+\); \d+ candidates in \d+ ms$/);
    expect(lines.some((l) => /^ {2}#\s+action\s+gain nats\s+dose Gy\s+time s\s+score$/.test(l))).toBe(true);
    expect(lines.filter((l) => /^ {2}[123]\. (fresh )?spot P[12] .*expected σ\(L\(20000 s\)\) −\d+ % for [\d.]+ Gy$/.test(l))).toHaveLength(3);
  });

  it("bad constraints and a bad target: one line naming the field, exit 2", () => {
    const bad = path.join(tmp, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ ...CONSTRAINTS, spots: [{ id: "P1", budget_Gy: -5 }] }));
    const run = runCli(["plan", campaignDir, "--constraints", bad, "--live", liveFile]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/bad\.json: constraints\.spots\[0\]\.budget_Gy: must be a dose > 0 \(Gy\), or null for none \(got -5\)/);
    const target = runCli(["plan", campaignDir, "--constraints", constraintsFile, "--live", liveFile, "--target", "kq"]);
    expect(target.status).toBe(2);
    expect(target.stderr.trim().split("\n")).toHaveLength(1);
    expect(target.stderr).toMatch(/target\.name: is not a parameter of the posterior \((linear|parabolic) law: .*L0/);
    const notJson = path.join(tmp, "not.json");
    fs.writeFileSync(notJson, "{ end_s: ");
    const parse = runCli(["plan", campaignDir, "--constraints", notJson]);
    expect(parse.status).toBe(2);
    expect(parse.stderr.trim().split("\n")).toHaveLength(1);
    expect(parse.stderr).toContain("not.json");
  });
});
