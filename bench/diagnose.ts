/**
 * Issue 6 benchmarks: wall-clock time of `strata diagnose` (spawned as a user would)
 * on the committed example (target ≤ 30 s) and on a simulated 200-scan X-ray campaign
 * with a law-constrained MCMC posterior (target ≤ 120 s), default settings.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { simulateCampaign } from "../src/simulation/simulate.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const LARGE_SCANS = 200;

function diagnoseSeconds(dir: string, out: string): { seconds: number; verdict: string } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [path.join(root, "bin", "strata.js"), "diagnose", dir, "--out", out, "--force"], { encoding: "utf8" });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`strata diagnose ${dir} failed: ${result.stderr}`);
  return { seconds, verdict: result.stdout.split("\n").find((l) => l.startsWith("Cell")) ?? "" };
}

export function benchDiagnose(): Record<string, number | string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-diagnose-"));
  try {
    const example = [0, 1].map(() => diagnoseSeconds(path.join(root, "examples", "campaign"), path.join(work, "example")));
    const scenario = JSON.parse(fs.readFileSync(path.join(root, "examples", "scenario.json"), "utf8")) as Record<string, unknown>;
    const scans = scenario["scans"] as Record<string, number>;
    const large = {
      ...scenario,
      name: `${LARGE_SCANS}-scan X-ray campaign (benchmark)`,
      law: { name: "parabolic", parameters: { L0: 18, kp: 0.0025 } },
      scans: { ...scans, count: LARGE_SCANS, interval_s: 900, exposure_s: 120 },
    };
    const dir = path.join(work, "large");
    simulateCampaign(large, dir);
    const big = diagnoseSeconds(dir, path.join(work, "large-out"));
    const times = example.map((e) => e.seconds).sort((a, b) => a - b);
    return {
      "example campaign (24 scans × 110 points, 5 laws, MCMC) min s": times[0],
      "example campaign median s": times[Math.floor(times.length / 2)],
      [`${LARGE_SCANS}-scan X-ray campaign (${scans["points"]} points each, 5 laws, MCMC) s`]: big.seconds,
      "200-scan verdict": big.verdict,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
