/**
 * `strata twin` as a user runs it (the compiled CLI, bin/strata.js, in child processes run
 * side by side): examples/twin.json with the fixed schedule and a spot budget that runs out
 * (the twin refuses and logs the scans over it), and with the dose-aware planner under a
 * total budget, twice with the same seed (the same action log). twin.json has the names outside
 * checks read; no spot ever exceeds its budget; the report page and the final diagnosis are
 * written. Units: dose Gy, time s.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../paths.ts";

/** The example's total budget for the planned runs here (about four full scans), Gy. */
const PLANNED_BUDGET_GY = 4.6;
/** The measured spot's budget in the fixed run (three full scans fit, a fourth does not), Gy. */
const FIXED_SPOT_BUDGET_GY = 3.5;
const RUN_TIMEOUT_MS = 600_000;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function strata(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin", "strata.js"), ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill(), RUN_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

interface TwinJson {
  format: string;
  policy: string;
  seed: number;
  totalDose_Gy: number;
  maxSpotDose_Gy: number;
  budgetExceeded: boolean;
  budgets: Record<string, { budget_Gy: number; dose_Gy: number; scans: number }>;
  target: { parameter: string; truth: number; median: number | null; lo95: number | null; hi95: number | null };
  actions: { kind: string; at_s: number; spot?: string; dose_Gy: number; spotDose_Gy?: number; reason: string }[];
  refused: { reason: string }[];
  information: unknown[];
  law: { truth: string; identified: string | null };
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), "strata-twin-cli-"));
const out = (name: string): string => path.join(root, name);
const read = (name: string): TwinJson => JSON.parse(fs.readFileSync(path.join(out(name), "twin.json"), "utf8")) as TwinJson;
let runs: Run[] = [];

beforeAll(async () => {
  const example = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "twin.json"), "utf8")) as { twin: { spots: { id: string; budget_Gy: number }[] } };
  example.twin.spots[0].budget_Gy = FIXED_SPOT_BUDGET_GY;
  const tight = path.join(root, "tight.json");
  fs.writeFileSync(tight, JSON.stringify(example));
  runs = await Promise.all([
    strata(["twin", tight, "--policy", "fixed", "--out", out("fixed")]),
    strata(["twin", "examples/twin.json", "--policy", "strata", "--budget", String(PLANNED_BUDGET_GY), "--seed", "7", "--out", out("strata-a")]),
    strata(["twin", "examples/twin.json", "--policy", "strata", "--budget", String(PLANNED_BUDGET_GY), "--seed", "7", "--out", out("strata-b"), "--json"]),
  ]);
}, 3 * RUN_TIMEOUT_MS);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("strata twin", () => {
  it("runs each policy and writes twin.json with the names outside checks read, diagnosis.json, twin.html and the campaign", () => {
    for (const run of runs) expect(run.status, run.stderr).toBe(0);
    for (const name of ["fixed", "strata-a"]) {
      const doc = read(name);
      expect(doc.format).toBe("strata-twin/1");
      for (const key of ["policy", "seed", "totalDose_Gy", "maxSpotDose_Gy", "budgetExceeded", "target"]) expect(doc).toHaveProperty(key);
      for (const key of ["parameter", "truth", "median", "lo95", "hi95"]) expect(doc.target).toHaveProperty(key);
      expect(doc.target.parameter).toBe("kp");
      expect(doc.target.truth).toBe(0.05);
      expect(doc.actions.length).toBeGreaterThan(2);
      for (const a of doc.actions) expect(a.reason.length).toBeGreaterThan(0);
      const diagnosis = JSON.parse(fs.readFileSync(path.join(out(name), "diagnosis.json"), "utf8")) as { cells: Record<string, unknown> };
      expect(Object.keys(diagnosis.cells)).toEqual(["A"]);
      const html = fs.readFileSync(path.join(out(name), "twin.html"), "utf8");
      expect(html).toContain("Decisions over the posterior thickness band");
      expect(html).toContain("Dose per spot");
      const manifest = JSON.parse(fs.readFileSync(path.join(out(name), "campaign", "campaign.json"), "utf8")) as { scans: { file: string }[] };
      expect(manifest.scans.length).toBe(doc.actions.filter((a) => a.kind === "reflectivity").length);
      for (const s of manifest.scans) expect(fs.existsSync(path.join(out(name), "campaign", s.file))).toBe(true);
    }
    expect(read("fixed").policy).toBe("fixed");
    expect(read("strata-a").policy).toBe("strata");
    expect(read("strata-a").seed).toBe(7);
    expect(JSON.parse(runs[2].stdout)).toMatchObject({ policy: "strata", seed: 7, budgetExceeded: false });
  });

  it("holds every budget: the fixed schedule's scans over its spot's budget are refused and logged, the planner stays under the total", () => {
    const fixed = read("fixed");
    expect(fixed.budgetExceeded).toBe(false);
    expect(fixed.budgets["P1"].dose_Gy).toBeLessThanOrEqual(FIXED_SPOT_BUDGET_GY);
    expect(fixed.budgets["P1"].scans).toBe(3);
    expect(fixed.refused.some((r) => /over its budget/.test(r.reason))).toBe(true);
    expect(fixed.actions.every((a) => a.spot === "P1")).toBe(true);
    const planned = read("strata-a");
    expect(planned.budgetExceeded).toBe(false);
    expect(planned.totalDose_Gy).toBeLessThanOrEqual(PLANNED_BUDGET_GY);
    for (const [spot, b] of Object.entries(planned.budgets)) expect(b.dose_Gy, spot).toBeLessThanOrEqual(b.budget_Gy);
    expect(planned.maxSpotDose_Gy).toBe(Math.max(...Object.values(planned.budgets).map((b) => b.dose_Gy)));
    // each logged spot dose is the running sum of that spot's scans
    const running = new Map<string, number>();
    for (const a of planned.actions.filter((x) => x.kind === "reflectivity")) {
      running.set(a.spot!, (running.get(a.spot!) ?? 0) + a.dose_Gy);
      expect(a.spotDose_Gy).toBeCloseTo(running.get(a.spot!)!, 9);
    }
  });

  it("is reproducible with the same seed: the same action log and the same final interval", () => {
    const a = read("strata-a");
    const b = read("strata-b");
    expect(b.actions).toEqual(a.actions);
    expect(b.target).toEqual(a.target);
  });

  it("refuses bad input in one line, exit 2", async () => {
    const bad = await strata(["twin", "examples/twin.json", "--policy", "random", "--out", out("bad")]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("--policy random");
    const nonEmpty = await strata(["twin", "examples/twin.json", "--policy", "fixed", "--out", out("fixed")]);
    expect(nonEmpty.status).toBe(2);
    expect(nonEmpty.stderr).toContain("not empty");
  });
});
