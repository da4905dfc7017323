/**
 * Issue 19 acceptance point 2, timed (a benchmark, not a test): the real SNS OCV1 problem
 * (examples/sns-cu-thf-2025/PROBLEM-ocv1.json: Si | Ti | Cu | CuOx | THF, three angles, 733
 * points, 13 free parameters) fitted in process by `fit()` with `--start ml` (the learned
 * estimator's start, then LM), `--start global` (differential evolution with seeds 1..N, then
 * LM) and `--start nominal` (LM from the problem's values): χ² and wall time to the answer of
 * each, repeated; the first `ml` run also pays for loading the weights and statistics.
 *
 * Usage: nice -n 10 node --import tsx bench/learnRealData.ts [--repeats 3]
 *        [--out bench/learn-realdata-results.json]
 * Units: wall time s; χ² dimensionless.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fit } from "../src/api/fit.ts";

const flags = { repeats: 3, out: "bench/learn-realdata-results.json" };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  const value = argv[++i];
  if (arg === "--repeats" && Number.isInteger(Number(value)) && Number(value) > 0) flags.repeats = Number(value);
  else if (arg === "--out" && value !== undefined) flags.out = value;
  else throw new Error(`bad flag ${arg} ${value ?? ""} (flags: --repeats N, --out FILE)`);
}
const problem = path.join("examples", "sns-cu-thf-2025", "PROBLEM-ocv1.json");
const runs: { start: string; seed: number; chi2: number; seconds: number; reason: string }[] = [];
for (let r = 0; r < flags.repeats; r++) {
  for (const start of ["ml", "global", "nominal"] as const) {
    const seed = r + 1;
    const t0 = performance.now();
    const report = await fit(problem, { start, seed });
    const seconds = (performance.now() - t0) / 1000;
    const json = report.toJSON();
    const record = json["start"] as { reason: string };
    runs.push({ start, seed, chi2: json["chi2"] as number, seconds, reason: record.reason });
    process.stdout.write(`${start.padEnd(8)} seed ${seed}: χ² ${(json["chi2"] as number).toFixed(3)} in ${seconds.toFixed(2)} s\n`);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const of = (start: string): { medianSeconds: number; chi2: number[] } => ({ medianSeconds: median(runs.filter((x) => x.start === start).map((x) => x.seconds)), chi2: runs.filter((x) => x.start === start).map((x) => x.chi2) });
const best = Math.min(...runs.map((x) => x.chi2));
const summary = {
  command: `nice -n 10 node --import tsx bench/learnRealData.ts --repeats ${flags.repeats}`,
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load ${os.loadavg()[0].toFixed(2)}`,
  problem,
  bestChi2: best,
  ml: of("ml"),
  global: of("global"),
  nominal: of("nominal"),
  mlWithinOnePercentOfBest: runs.filter((x) => x.start === "ml").every((x) => x.chi2 <= 1.01 * best),
  runs,
};
fs.writeFileSync(flags.out, `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`median wall: ml ${summary.ml.medianSeconds.toFixed(2)} s, global ${summary.global.medianSeconds.toFixed(2)} s (${(summary.global.medianSeconds / summary.ml.medianSeconds).toFixed(1)}×), nominal ${summary.nominal.medianSeconds.toFixed(2)} s; wrote ${flags.out}\n`);
