/**
 * Issue 19 acceptance point 2, timed (a benchmark, not a test): the real SNS OCV states
 * (examples/sns-cu-thf-2025: OCV1 = PROBLEM-ocv1.json, Si | Ti | Cu | CuOx | THF, three angles,
 * 733 points, 13 free parameters; OCV2 = the OCV2 models and datasets of PROBLEM-steady.json,
 * 732 points, 12 free) each fitted in process by `fit()` with `--start ml` (the learned
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
const folder = path.join("examples", "sns-cu-thf-2025");
interface ProblemJson {
  parameters: Record<string, unknown>;
  models: Record<string, unknown>;
  datasets: { file: string; model: string }[];
}
/** OCV2 alone: PROBLEM-steady.json's OCV2 models, datasets and the parameters they name. */
function ocv2(): ProblemJson {
  const steady = JSON.parse(fs.readFileSync(path.join(folder, "PROBLEM-steady.json"), "utf8")) as ProblemJson & Record<string, unknown>;
  const models = Object.fromEntries(Object.entries(steady.models).filter(([id]) => id.startsWith("OCV2")));
  const text = JSON.stringify(models);
  const parameters = Object.fromEntries(Object.entries(steady.parameters).filter(([name]) => text.includes(`"${name}"`)));
  return { ...steady, parameters, models, datasets: steady.datasets.filter((d) => d.model.startsWith("OCV2")) };
}
const problems: { name: string; problem: string | ProblemJson }[] = [
  { name: "OCV1", problem: path.join(folder, "PROBLEM-ocv1.json") },
  { name: "OCV2", problem: ocv2() },
];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results: Record<string, unknown> = {};
for (const { name, problem } of problems) {
  const runs: { start: string; seed: number; chi2: number; seconds: number; reason: string }[] = [];
  for (let r = 0; r < flags.repeats; r++) {
    for (const start of ["ml", "global", "nominal"] as const) {
      const seed = r + 1;
      const t0 = performance.now();
      const report = typeof problem === "string" ? await fit(problem, { start, seed }) : await fit(problem as unknown as Record<string, unknown>, { start, seed }, path.join(folder, "PROBLEM-steady.json"));
      const seconds = (performance.now() - t0) / 1000;
      const json = report.toJSON();
      const record = json["start"] as { reason: string };
      runs.push({ start, seed, chi2: json["chi2"] as number, seconds, reason: record.reason });
      process.stdout.write(`${name} ${start.padEnd(8)} seed ${seed}: χ² ${(json["chi2"] as number).toFixed(3)} in ${seconds.toFixed(2)} s\n`);
    }
  }
  const of = (start: string): { medianSeconds: number; chi2: number[] } => ({ medianSeconds: median(runs.filter((x) => x.start === start).map((x) => x.seconds)), chi2: runs.filter((x) => x.start === start).map((x) => x.chi2) });
  const best = Math.min(...runs.map((x) => x.chi2));
  const ml = of("ml");
  const global = of("global");
  results[name] = { bestChi2: best, ml, global, nominal: of("nominal"), mlWithinOnePercentOfBest: ml.chi2.every((x) => x <= 1.01 * best), runs };
  process.stdout.write(`${name}: median wall ml ${ml.medianSeconds.toFixed(2)} s, global ${global.medianSeconds.toFixed(2)} s (${(global.medianSeconds / ml.medianSeconds).toFixed(1)}×)\n`);
}
const summary = {
  command: `nice -n 10 node --import tsx bench/learnRealData.ts --repeats ${flags.repeats}`,
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load ${os.loadavg()[0].toFixed(2)}`,
  problems: results,
};
fs.writeFileSync(flags.out, `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`wrote ${flags.out}\n`);
