/**
 * Issue 18 benchmark: the latency of `ask` — one call of the planner (autonomy/planner
 * plan()) on a 30-scan posterior with ~50 candidate actions (4 start times × 4 spots × 3
 * settings, impedance, 3 waits). The campaign is examples/scenario.json with `scans.count:
 * 30`, simulated into a temporary folder and diagnosed once by the live engine (its full
 * run, as `strata plan` does); the plan is then timed warm for each target kind, and the
 * first (cold) call beside. Target: ≤ 200 ms per ask.
 *
 *   node --import tsx bench/plan.ts [--json]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadCampaign } from "../src/campaign/campaign.ts";
import { LiveDiagnosis } from "../src/diagnosis/live.ts";
import { simulateCampaign } from "../src/simulation/simulate.ts";
import { plan } from "../src/autonomy/planner.ts";
import type { Constraints, PlanRequest, Target } from "../src/autonomy/types.ts";
import { time, type Timing } from "./harness.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The ask latency the issue asks for, ms. */
export const ASK_TARGET_MS = 200;

/** Timings of plan() on a 30-scan posterior (µs per call), the cold first call and the candidate count. */
export async function benchPlan(): Promise<Record<string, Timing | number | string>> {
  const scenario = JSON.parse(fs.readFileSync(path.join(here, "..", "examples", "scenario.json"), "utf8")) as { scans: Record<string, unknown> };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-plan-"));
  try {
    simulateCampaign({ ...scenario, scans: { ...scenario.scans, count: 30 } }, dir);
    const campaign = await loadCampaign(dir, { presentOnly: true });
    const started = performance.now();
    const live = await new LiveDiagnosis().full(campaign);
    const diagnosis_ms = performance.now() - started;
    const scans = campaign.cells[0].scans;
    const lastEnd = Math.max(...scans.map((s) => s.end_s));
    const exposed = live.cells[0].dose_Gy?.["P1"] ?? 0;
    const constraints: Constraints = {
      now_s: lastEnd + 1200,
      end_s: lastEnd + 12 * 3600,
      minSpacing_s: 900,
      spots: [
        { id: "P1", dose_Gy: exposed, budget_Gy: 200, fresh: false },
        { id: "P2", dose_Gy: 5, budget_Gy: 200, fresh: false },
        { id: "P3", dose_Gy: 0, budget_Gy: 200, fresh: true },
        { id: "P4", dose_Gy: 0, budget_Gy: 200, fresh: true },
      ],
      settings: [
        { qMin: 0.012, qMax: 0.3, points: 110, countTime_s: 300 },
        { qMin: 0.012, qMax: 0.3, points: 110, countTime_s: 60 },
        { qMin: 0.05, qMax: 0.3, points: 80, countTime_s: 300 },
      ],
      impedance: true,
      impedanceDuration_s: 120,
      waitSteps_s: [1800, 3600, 7200],
      totalBudget_Gy: 300,
    };
    const request = (target: Target): PlanRequest => ({ campaign, live, constraints, target, n: 5 });
    const law = live.cells[0].posterior!.law;
    const rate = law === "linear" ? "k" : law === "parabolic" ? "kp" : law === "mixed" ? "B" : law === "logarithmic" ? "a" : "f";
    const coldStart = performance.now();
    const first = plan(request({ kind: "parameter", name: rate }));
    const cold_ms = performance.now() - coldStart;
    const options = { calls: 1, rounds: 9, warmupCalls: 1 };
    return {
      scans: scans.length,
      candidates: first.considered,
      "posterior law": law,
      "live diagnosis (once) ms": Math.round(diagnosis_ms),
      "ask first call ms": Math.round(cold_ms),
      "target of the main row": rate,
      "ask 30 scans 50 candidates": time(() => void plan(request({ kind: "parameter", name: rate })), options),
      "ask 30 scans 50 candidates, target thickness": time(() => void plan(request({ kind: "thickness", at_s: lastEnd + 6 * 3600 })), options),
      "ask 30 scans 50 candidates, target law": time(() => void plan(request({ kind: "law" })), options),
      "ask 30 scans 50 candidates, target damage": time(() => void plan(request({ kind: "damage" })), options),
      loadavg: os.loadavg().map((x) => x.toFixed(2)).join(" "),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await benchPlan();
  if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    for (const [key, value] of Object.entries(result)) {
      const text = typeof value === "object" ? `min ${(value.minUs / 1000).toFixed(1)} ms, median ${(value.medianUs / 1000).toFixed(1)} ms (target ≤ ${ASK_TARGET_MS} ms)` : String(value);
      process.stdout.write(`${key}: ${text}\n`);
    }
  }
}
