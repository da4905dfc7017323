/**
 * Issue 7 benchmarks: wall-clock time of `strata diagnose` (spawned as a user would,
 * default settings, all five laws) on a simulated 3-spot, 100-scan X-ray campaign with
 * beam damage at the measured spot (target ≤ 180 s): 98 scans at P1 and one scan each
 * at fresh spots F1 and F2 (after scans 49 and 98); and on 6 replicate cells of 12
 * scans each whose growth rate is drawn from a log-normal population (log-sd 0.2),
 * diagnosed with the hierarchical model (`--laws linear`: the population needs one law).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { simulateCampaign } from "../src/simulation/simulate.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function benchConfounders(): Record<string, number | string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-confounders-"));
  try {
    const scenario = JSON.parse(fs.readFileSync(path.join(root, "examples", "scenario.json"), "utf8")) as Record<string, unknown>;
    const scans = scenario["scans"] as Record<string, number>;
    const damaged = {
      ...scenario,
      name: "3-spot 100-scan X-ray campaign with beam damage (benchmark)",
      law: { name: "parabolic", parameters: { L0: 18, kp: 0.0025 } },
      scans: { ...scans, count: 98, interval_s: 900, exposure_s: 120 },
      damage: { model: "linear", rate_A_per_Gy: 0.3, fresh: [48, 97] },
    };
    const dir = path.join(work, "damage");
    simulateCampaign(damaged, dir);
    const started = performance.now();
    const result = spawnSync(process.execPath, [path.join(root, "bin", "strata.js"), "diagnose", dir, "--out", path.join(work, "damage-out")], { encoding: "utf8" });
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 0) throw new Error(`strata diagnose failed: ${result.stderr}`);
    const diagnosis = JSON.parse(fs.readFileSync(path.join(work, "damage-out", "diagnosis.json"), "utf8")) as { cells: Record<string, { damage: { detected?: boolean; model?: string; parameters?: Record<string, { median: number; lo95: number; hi95: number }> } }> };
    const damage = diagnosis.cells["A"].damage;
    const rate = damage.parameters?.["damage_rate"];
    const replicates = {
      ...scenario,
      name: "6 replicate cells (benchmark)",
      law: { name: "linear", parameters: { L0: 20, k: 8e-4 } },
      cells: 6,
      population: { k: 0.2 },
      scans: { ...scans, count: 12, interval_s: 2700, exposure_s: 300 },
    };
    const popDir = path.join(work, "replicates");
    simulateCampaign(replicates, popDir);
    const popStarted = performance.now();
    const pop = spawnSync(process.execPath, [path.join(root, "bin", "strata.js"), "diagnose", popDir, "--out", path.join(work, "replicates-out"), "--laws", "linear"], { encoding: "utf8" });
    const popSeconds = (performance.now() - popStarted) / 1000;
    if (pop.status !== 0) throw new Error(`strata diagnose (replicates) failed: ${pop.stderr}`);
    return {
      "6-cell hierarchical diagnosis (6 × 12 scans, MCMC per cell, population model) s": popSeconds,
      "population verdict": pop.stdout.split("\n").find((l) => l.startsWith("Population")) ?? "",
      [`3-spot 100-scan damage-aware diagnosis (${scans["points"]} points each, 5 laws × damage models, MCMC) s`]: seconds,
      "damage found": `${damage.detected ? damage.model : "none"}${rate ? `, rate ${rate.median.toPrecision(3)} [${rate.lo95.toPrecision(3)}, ${rate.hi95.toPrecision(3)}] Å/Gy (true 0.3)` : ""}`,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
