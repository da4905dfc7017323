/**
 * Start-up of the `strata` command (spawned as a user would, compiled package in dist/):
 * wall time of `strata --version` and `strata sld LiF --density 2.635 --energy 8.048
 * --json`, 10 runs each (target ≤ 0.3 s median). `node -e 0` is the floor.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Timing } from "./harness.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = 10;

function wall(args: string[]): Timing {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
    times.push((performance.now() - started) * 1000);
    if (result.status !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
  }
  times.sort((a, b) => a - b);
  return { minUs: times[0], medianUs: 0.5 * (times[RUNS / 2 - 1] + times[RUNS / 2]), rounds: RUNS, callsPerRound: 1 };
}

export function benchStartup(): Record<string, Timing> {
  const bin = path.join(root, "bin", "strata.js");
  return {
    "node -e 0 (floor)": wall(["-e", "0"]),
    "strata --version": wall([bin, "--version"]),
    "strata sld LiF --density 2.635 --energy 8.048 --json": wall([bin, "sld", "LiF", "--density", "2.635", "--energy", "8.048", "--json"]),
  };
}
