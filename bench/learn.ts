/**
 * Issue 19's acceptance measures for the learned estimator (a benchmark, not a test):
 * on held-apart generator curves (seed `--seed`, default "bench-19": streams
 * `learn:bench-19:<i>`, disjoint from training's `learn:<n>:<i>` and `learn:<n>-test:<i>`),
 * each curve fitted by χ² over its family's parameters inside its own drawn bounds
 * (learn/generator sampleObjective):
 * (a) ML start + LM (optimize/levenbergMarquardt from the network's estimate) reaches χ²
 *     within 1 % of the best of `--restarts` differential-evolution runs (seeds 0..restarts−1,
 *     SciPy-like defaults, LM polish) — the rate;
 * (a′) the same with the best of LM from the estimate and from 4 starts drawn from the network's
 *     Gaussian (its σ), clipped into the bounds;
 * (b) LM from the family's nominal values (the middle of the bounds) — the same rate;
 * (c) median wall time of ML + LM (inference included) against one DE run and against the
 *     restarts together;
 * (d) inference µs per curve (min and median over all curves, repeated).
 * Curves run one after another; each finished curve is appended to `<out>.runs.jsonl` and the
 * summary `<out>.json` is rewritten, marked partial until `--curves` are done (`--resume`
 * skips curves already in the runs file).
 *
 * Usage: nice -n 15 node --import tsx bench/learn.ts [--curves 1000] [--restarts 10]
 *        [--de-population 15] [--seed bench-19] [--out bench/learn-results] [--resume]
 * Units: wall time ms, inference µs; χ² dimensionless.
 */
import fs from "node:fs";
import os from "node:os";
import { generateSample, presentIndices, sampleObjective, type LearnSample } from "../src/learn/generator.ts";
import { estimateOnGrid, loadEstimator, type Estimator } from "../src/learn/estimator.ts";
import { levenbergMarquardt } from "../src/optimize/levenbergMarquardt.ts";
import { differentialEvolution } from "../src/optimize/differentialEvolution.ts";
import { createRandom } from "../src/core/random.ts";

const CHI2_RELATIVE_TOLERANCE = 0.01;
/** Extra LM starts drawn from N(estimate, σ²) (clipped into the bounds) for the multi-start variant. */
const ML_DRAWS = 4;

interface Flags {
  curves: number;
  restarts: number;
  seed: string;
  out: string;
  resume: boolean;
  /** DE population per free parameter (SciPy's popsize; 15 is its default). */
  dePopulation: number;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { curves: 1000, restarts: 10, seed: "bench-19", out: "bench/learn-results", resume: false, dePopulation: 15 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--resume") flags.resume = true;
    else if (arg === "--curves" || arg === "--restarts" || arg === "--de-population") {
      const value = Number(argv[++i]);
      if (!(Number.isInteger(value) && value > 0)) throw new Error(`${arg} must be a positive integer: ${argv[i]}`);
      flags[arg === "--curves" ? "curves" : arg === "--restarts" ? "restarts" : "dePopulation"] = value;
    } else if (arg === "--seed" || arg === "--out") {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      flags[arg === "--seed" ? "seed" : "out"] = value;
    } else throw new Error(`unknown flag ${arg} (flags: --curves, --restarts, --de-population, --seed, --out, --resume)`);
  }
  return flags;
}

interface Run {
  index: number;
  probe: string;
  layers: number;
  parameters: number;
  chi2Ml: number;
  /** Best of LM from the estimate and from {@link ML_DRAWS} starts drawn from the network's Gaussian. */
  chi2MlMulti: number;
  chi2Nominal: number;
  chi2De: number;
  mlOk: boolean;
  mlMultiOk: boolean;
  nominalOk: boolean;
  inference_us: number;
  mlLm_ms: number;
  mlMulti_ms: number;
  nominalLm_ms: number;
  de_ms: number[];
  deEvaluations: number[];
  deChi2: number[];
}

function mlStart(estimator: Estimator, sample: LearnSample, indices: number[]): { start: Float64Array; sigma: Float64Array } {
  const { values, sigma } = estimateOnGrid(estimator, sample.prior, sample.reflectivity, sample.mask, sample.lower, sample.upper);
  return { start: Float64Array.from(indices, (j) => values[j]), sigma: Float64Array.from(indices, (j) => sigma[j]) };
}

function runCurve(estimator: Estimator, flags: Flags, index: number): Run {
  const sample = generateSample(flags.seed, index);
  const indices = presentIndices(sample.prior);
  const objective = sampleObjective(sample);

  let t = performance.now();
  const { start, sigma } = mlStart(estimator, sample, indices);
  const inference_us = (performance.now() - t) * 1000;
  const ml = levenbergMarquardt(objective, { initial: start });
  const mlLm_ms = performance.now() - t;
  let chi2MlMulti = ml.chi2;
  const random = createRandom(`bench-learn-draws:${index}`);
  for (let d = 0; d < ML_DRAWS; d++) {
    const draw = start.map((v, m) => Math.min(objective.upper[m], Math.max(objective.lower[m], v + sigma[m] * random.normal())));
    chi2MlMulti = Math.min(chi2MlMulti, levenbergMarquardt(objective, { initial: draw }).chi2);
  }
  const mlMulti_ms = performance.now() - t;

  t = performance.now();
  const nominal = levenbergMarquardt(objective);
  const nominalLm_ms = performance.now() - t;

  let chi2De = Infinity;
  const de_ms: number[] = [];
  const deEvaluations: number[] = [];
  const deChi2: number[] = [];
  for (let r = 0; r < flags.restarts; r++) {
    t = performance.now();
    const de = differentialEvolution(objective, { seed: r, populationSize: Math.max(10, flags.dePopulation * indices.length) });
    de_ms.push(performance.now() - t);
    deEvaluations.push(de.evaluations + (de.polish?.evaluations ?? 0));
    chi2De = Math.min(chi2De, de.chi2);
    deChi2.push(de.chi2);
  }
  const within = (chi2: number): boolean => chi2 <= chi2De * (1 + CHI2_RELATIVE_TOLERANCE);
  return {
    index,
    probe: sample.prior.probe,
    layers: sample.prior.layers,
    parameters: indices.length,
    chi2Ml: ml.chi2,
    chi2MlMulti,
    chi2Nominal: nominal.chi2,
    chi2De,
    mlOk: within(ml.chi2),
    mlMultiOk: within(chi2MlMulti),
    nominalOk: within(nominal.chi2),
    inference_us,
    mlLm_ms,
    mlMulti_ms,
    nominalLm_ms,
    de_ms,
    deEvaluations,
    deChi2,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
};
const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));

function inferenceTiming(estimator: Estimator, flags: Flags, count: number): { min_us: number; median_us: number; curves: number; repeats: number } {
  const samples = Array.from({ length: count }, (_, i) => generateSample(flags.seed, i));
  const repeats = 20;
  const perCurve: number[] = [];
  let fastest = Infinity;
  for (const s of samples) {
    const t0 = performance.now();
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      estimateOnGrid(estimator, s.prior, s.reflectivity, s.mask, s.lower, s.upper);
      fastest = Math.min(fastest, performance.now() - t);
    }
    perCurve.push(((performance.now() - t0) / repeats) * 1000);
  }
  // min: the fastest single call; median: of each curve's mean over its repeats
  return { min_us: round(fastest * 1000), median_us: round(median(perCurve)), curves: count, repeats };
}

function summarise(runs: Run[], flags: Flags, inference: ReturnType<typeof inferenceTiming>, started: number): Record<string, unknown> {
  const n = runs.length;
  const rate = (ok: (r: Run) => boolean): number => round(runs.filter(ok).length / Math.max(1, n));
  const byFamily: Record<string, { curves: number; mlRate: number; mlMultiRate: number; nominalRate: number }> = {};
  for (const r of runs) {
    const key = `${r.probe}-${r.layers}`;
    byFamily[key] ??= { curves: 0, mlRate: 0, mlMultiRate: 0, nominalRate: 0 };
    byFamily[key].curves++;
    byFamily[key].mlRate += r.mlOk ? 1 : 0;
    byFamily[key].mlMultiRate += r.mlMultiOk ? 1 : 0;
    byFamily[key].nominalRate += r.nominalOk ? 1 : 0;
  }
  for (const f of Object.values(byFamily)) {
    f.mlRate = round(f.mlRate / f.curves);
    f.mlMultiRate = round(f.mlMultiRate / f.curves);
    f.nominalRate = round(f.nominalRate / f.curves);
  }
  const mlMedian = median(runs.map((r) => r.mlLm_ms));
  const deOne = median(runs.flatMap((r) => r.de_ms));
  const deAll = median(runs.map((r) => r.de_ms.reduce((a, b) => a + b, 0)));
  return {
    partial: n < flags.curves,
    curves: n,
    requestedCurves: flags.curves,
    seed: flags.seed,
    restarts: flags.restarts,
    command: `nice -n 15 node --import tsx bench/learn.ts --curves ${flags.curves} --restarts ${flags.restarts} --de-population ${flags.dePopulation} --seed ${flags.seed} --out ${flags.out}`,
    de: `differentialEvolution defaults (best1bin, tol 0.01, ≤ 1000 generations, LM polish) with population ${flags.dePopulation} × free parameters, seeds 0..${flags.restarts - 1}`,
    medianEvaluations: { deOneRun: median(runs.flatMap((r) => r.deEvaluations)) },
    criterion: `χ² ≤ (1 + ${CHI2_RELATIVE_TOLERANCE}) × the best χ² of ${flags.restarts} DE runs`,
    mlLmRate: rate((r) => r.mlOk),
    mlMultiStartRate: rate((r) => r.mlMultiOk),
    mlMultiStart: `best of LM from the estimate and from ${ML_DRAWS} starts drawn from N(estimate, σ²) clipped into the bounds`,
    nominalLmRate: rate((r) => r.nominalOk),
    deSingleRunRate: round(runs.flatMap((r) => r.deChi2.map((c) => c <= r.chi2De * (1 + CHI2_RELATIVE_TOLERANCE))).filter(Boolean).length / Math.max(1, runs.length * flags.restarts)),
    byFamily,
    median_ms: { mlPlusLm: round(mlMedian), mlMultiStart: round(median(runs.map((r) => r.mlMulti_ms))), nominalLm: round(median(runs.map((r) => r.nominalLm_ms))), deOneRun: round(deOne), deAllRestarts: round(deAll) },
    speedup: { versusOneDeRun: round(deOne / mlMedian, 3), versusAllRestarts: round(deAll / mlMedian, 3) },
    inference,
    machine: { cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`, loadAverage: os.loadavg().map((x) => round(x, 3)) },
    wallTime_s: round((performance.now() - started) / 1000),
  };
}

function main(): void {
  const flags = parseFlags(process.argv.slice(2));
  const started = performance.now();
  const estimator = loadEstimator();
  const runsFile = `${flags.out}.runs.jsonl`;
  const runs: Run[] = [];
  if (flags.resume && fs.existsSync(runsFile)) {
    for (const line of fs.readFileSync(runsFile, "utf8").split("\n")) if (line.trim()) runs.push(JSON.parse(line) as Run);
  } else fs.writeFileSync(runsFile, "");
  const inference = inferenceTiming(estimator, flags, Math.min(1000, flags.curves));
  console.log(`inference: min ${inference.min_us} µs, median ${inference.median_us} µs per curve`);
  const done = new Set(runs.map((r) => r.index));
  for (let i = 0; i < flags.curves; i++) {
    if (done.has(i)) continue;
    const run = runCurve(estimator, flags, i);
    runs.push(run);
    fs.appendFileSync(runsFile, JSON.stringify(run) + "\n");
    const summary = summarise(runs, flags, inference, started);
    fs.writeFileSync(`${flags.out}.json`, JSON.stringify(summary, null, 2) + "\n");
    console.log(
      `#${i} ${run.probe}-${run.layers}: χ² ML ${run.chi2Ml.toFixed(1)} nominal ${run.chi2Nominal.toFixed(1)} DE ${run.chi2De.toFixed(1)} — ML ${run.mlOk ? "ok" : "miss"} (multi ${run.mlMultiOk ? "ok" : "miss"}), nominal ${run.nominalOk ? "ok" : "miss"}; ${run.mlLm_ms.toFixed(0)} ms vs DE ${median(run.de_ms).toFixed(0)} ms/run; rates ${String(summary.mlLmRate)} / ${String(summary.nominalLmRate)}`,
    );
  }
}

try {
  main();
} catch (error) {
  console.error(`bench/learn: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
