/**
 * The twin study (issue 18 part 5): seeded 2-h twin scenarios spanning the five growth laws, with
 * and without beam damage (none, and rates up to the level that inflates the last fixed-schedule
 * scan's thickness by ~10 %), each run with the three policies on the same seed — the fixed
 * schedule first, then `greedy` and `strata` with the fixed run's total dose as their total
 * budget (equal total dose at most). Optional gating runs add a potential step and measure
 * the delay of the next scan.
 *
 * Each run is the compiled CLI (`bin/strata.js twin`, run `npm run build` first) in a child
 * process at nice 10, `--jobs` at a time; each finished run is appended to
 * bench/twin-study.runs.jsonl, so an interrupted study keeps its runs and `--resume` goes on.
 * The summary (bench/twin-study.json and a Markdown table on stdout and in
 * bench/twin-study.md) is computed from the runs there are:
 * - the 95 % width of the target growth parameter, fixed / strata and fixed / greedy, per
 *   scenario (median and distribution; a run whose posterior law lacks the parameter has no
 *   width and counts as not covered);
 * - coverage of the 95 % intervals per policy; law identification rate per policy;
 * - damaged scenarios: bias of the rate in posterior σ, |bias| ≤ 1 σ for strata, > 2 σ for fixed;
 * - gating runs: delay from the potential step to the next scan's start.
 *
 * Usage: node --import tsx bench/twinStudy.ts [--scenarios 20] [--from 0] [--jobs 2] [--gating 5] [--resume] [--report]
 * (`--from K`: only scenarios K … scenarios−1, beside another process; `--report`: the summary of the runs file only)
 * Units: time s, dose Gy, thickness Å.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const RUNS_FILE = path.join(here, "twin-study.runs.jsonl");
const SUMMARY_FILE = path.join(here, "twin-study.json");
const TABLE_FILE = path.join(here, "twin-study.md");

/** The laws and their parameters (3-h beam time, ~10–20 Å of growth). */
const LAWS: Record<string, Record<string, number>> = {
  linear: { L0: 18, k: 1e-3 },
  parabolic: { L0: 18, kp: 0.05 },
  mixed: { L0: 18, A: 20, B: 0.1 },
  logarithmic: { L0: 18, a: 8, tau: 1500 },
  charge: { L0: 18, f: 0.85 },
};
/** Damage rates, Å/Gy: none, half, and the level that inflates the last fixed scan by ~10 % (~2 Å at ~6.5 Gy on ~25 Å). */
const DAMAGE_RATES = [0, 0, 0.2, 0.4];
/** The issue's acceptance: width ratio, coverage range, bias thresholds, gating delay. */
const ACCEPT = { widthRatio: 2, coverage: [0.9, 0.99], strataBiasSigma: 1, strataBiasFraction: 0.9, fixedBiasSigma: 2, gatingDelay_s: 120, gatingFraction: 0.9 } as const;
const POLICIES = ["fixed", "greedy", "strata"] as const;
/** Niceness of the runs (the machine is shared). */
const NICE = 5;
/** The study's beam time (2 h: the fixed schedule's 6 scans), s. */
const STUDY_BEAM_TIME_S = 7200;
/** The batch diagnosis's chain in every run (examples/twin.json's: shorter than the twin's default, so that 60 runs fit in an hour on a shared 2-core machine). */
const STUDY_MCMC = { walkers: 12, steps: 100, burn: 20, minEss: 100, tauFactor: 50, maxSeconds: 300 };

interface RunRecord {
  key: string;
  scenario: number;
  law: string;
  damage: number;
  seed: number;
  policy: string;
  gating: boolean;
  ok: boolean;
  error?: string;
  elapsed_s: number;
  doc?: {
    totalDose_Gy: number;
    maxSpotDose_Gy: number;
    budgetExceeded: boolean;
    scans: number;
    spots: Record<string, number>;
    target: { parameter: string | null; truth: number | null; median: number | null; lo95: number | null; hi95: number | null; covered: boolean | null; biasSigma: number | null };
    law: { truth: string; identified: string | null; identifiedKinetic: string | null };
    damage: { posterior: unknown };
    step: { delay_s: number | null } | null;
    refused: number;
  };
}

function scenarioOf(index: number, gating: boolean): { law: string; damage: number; seed: number; spec: Record<string, unknown> } {
  const lawNames = Object.keys(LAWS);
  const law = lawNames[index % lawNames.length];
  const damage = gating ? 0 : DAMAGE_RATES[Math.floor(index / lawNames.length) % DAMAGE_RATES.length];
  const seed = 1000 + index + (gating ? 500 : 0);
  const spec = JSON.parse(fs.readFileSync(path.join(root, "examples", "twin.json"), "utf8")) as Record<string, unknown>;
  const twin = spec["twin"] as Record<string, unknown>;
  spec["seed"] = seed;
  spec["law"] = { name: law, parameters: LAWS[law] };
  if (damage > 0) spec["damage"] = { model: "linear", rate_A_per_Gy: damage };
  else delete spec["damage"];
  const kinetic = ["linear", "parabolic", "mixed", "logarithmic"];
  // the twin's cycler current is computed from the true thickness: for a kinetic truth the
  // charge law is an exact re-parametrisation of it, so only the kinetic laws are compared
  twin["laws"] = law === "charge" ? [...kinetic, "charge"] : kinetic;
  twin["target"] = { kind: "parameter", name: { linear: "k", parabolic: "kp", mixed: "B", logarithmic: "a", charge: "f" }[law] };
  // the study's chain, whatever the example's (which is kept short for its test)
  twin["mcmc"] = STUDY_MCMC;
  twin["maxFullRuns"] = 1;
  twin["beamTime_s"] = STUDY_BEAM_TIME_S;
  if (gating) twin["step"] = { at_s: 3600 + 97 * (index % 7), deltaV_V: -0.1, factor: 1 };
  return { law, damage, seed, spec };
}

function runOne(specFile: string, policy: string, out: string, budget?: number): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve) => {
    const args = ["-n", String(NICE), process.execPath, path.join(root, "bin", "strata.js"), "twin", specFile, "--policy", policy, "--out", out, "--force", "--json", ...(budget !== undefined ? ["--budget", String(budget)] : [])];
    const child = spawn("nice", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    child.on("close", (code) => resolve(code === 0 ? { ok: true } : { ok: false, error: `exit ${code}: ${stderr.trim().split("\n").slice(-1)[0] ?? ""}` }));
  });
}

function summarize(doc: Record<string, unknown>): RunRecord["doc"] {
  const d = doc as unknown as NonNullable<RunRecord["doc"]> & { actions: { kind: string }[]; budgets: Record<string, { dose_Gy: number }>; refused: unknown[] };
  return {
    totalDose_Gy: d.totalDose_Gy,
    maxSpotDose_Gy: d.maxSpotDose_Gy,
    budgetExceeded: d.budgetExceeded,
    scans: d.actions.filter((a) => a.kind === "reflectivity").length,
    spots: Object.fromEntries(Object.entries(d.budgets).map(([k, v]) => [k, v.dose_Gy])),
    target: d.target,
    law: d.law,
    damage: d.damage,
    step: d.step,
    refused: (d.refused as unknown[]).length,
  };
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs: number[], p: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
};
const rate = (xs: boolean[]): number | null => (xs.length === 0 ? null : xs.filter(Boolean).length / xs.length);

function report(all: RunRecord[]): { summary: Record<string, unknown>; table: string } {
  // one record per run (a resumed or parallel study may have run one twice: the last counts)
  const runs = [...new Map(all.map((r) => [r.key, r])).values()];
  const main = runs.filter((r) => !r.gating);
  const byScenario = new Map<number, Map<string, RunRecord>>();
  for (const r of main) {
    if (!byScenario.has(r.scenario)) byScenario.set(r.scenario, new Map());
    byScenario.get(r.scenario)!.set(r.policy, r);
  }
  const width = (r: RunRecord | undefined): number | null => (r?.ok && r.doc?.target.hi95 != null && r.doc.target.lo95 != null ? r.doc.target.hi95 - r.doc.target.lo95 : null);
  const ratios: Record<string, number[]> = { strata: [], greedy: [] };
  const perScenario: Record<string, unknown>[] = [];
  for (const [index, policies] of [...byScenario.entries()].sort((a, b) => a[0] - b[0])) {
    const fixed = policies.get("fixed");
    const row: Record<string, unknown> = { scenario: index, law: fixed?.law ?? policies.values().next().value?.law, damage: fixed?.damage, seed: fixed?.seed };
    for (const p of POLICIES) {
      const r = policies.get(p);
      row[p] = r?.ok ? { width: width(r), covered: r.doc!.target.covered, biasSigma: r.doc!.target.biasSigma, law: r.doc!.law.identified, dose: r.doc!.totalDose_Gy, maxSpot: r.doc!.maxSpotDose_Gy, scans: r.doc!.scans } : { error: r?.error ?? "not run" };
    }
    const wf = width(fixed);
    for (const p of ["strata", "greedy"] as const) {
      const w = width(policies.get(p));
      if (wf !== null && w !== null && w > 0) ratios[p].push(wf / w);
    }
    perScenario.push(row);
  }
  const policyStats = Object.fromEntries(
    POLICIES.map((p) => {
      const rs = main.filter((r) => r.policy === p && r.ok);
      const damaged = rs.filter((r) => r.damage > 0);
      const bias = damaged.map((r) => r.doc!.target.biasSigma).filter((b): b is number => b !== null);
      return [
        p,
        {
          runs: rs.length,
          failed: main.filter((r) => r.policy === p && !r.ok).length,
          coverage: rate(rs.map((r) => r.doc!.target.covered === true)),
          withInterval: rs.filter((r) => r.doc!.target.median !== null).length,
          lawIdentified: rate(rs.map((r) => r.doc!.law.identified === r.law)),
          budgetExceeded: rs.filter((r) => r.doc!.budgetExceeded).length,
          meanTotalDose_Gy: rs.length ? rs.reduce((a, r) => a + r.doc!.totalDose_Gy, 0) / rs.length : null,
          damaged: { runs: damaged.length, withBias: bias.length, absBiasWithin1Sigma: rate(bias.map((b) => Math.abs(b) <= ACCEPT.strataBiasSigma)), absBiasBeyond2Sigma: rate(bias.map((b) => Math.abs(b) > ACCEPT.fixedBiasSigma)), medianBiasSigma: median(bias) },
        },
      ];
    }),
  );
  const gating = runs.filter((r) => r.gating && r.ok);
  const gatingStats = Object.fromEntries(
    POLICIES.map((p) => {
      const delays = gating.filter((r) => r.policy === p).map((r) => r.doc!.step?.delay_s ?? Infinity);
      return [p, { runs: delays.length, delays_s: delays, within2min: rate(delays.map((d) => d <= ACCEPT.gatingDelay_s)) }];
    }),
  );
  const ratioStats = Object.fromEntries(Object.entries(ratios).map(([p, xs]) => [p, { n: xs.length, median: median(xs), q10: quantile(xs, 0.1), q25: quantile(xs, 0.25), q75: quantile(xs, 0.75), q90: quantile(xs, 0.9), values: xs }]));
  const summary = {
    format: "strata-twin-study/1",
    generated: new Date().toISOString(),
    machine: { cpus: os.cpus().length, loadavg: os.loadavg() },
    acceptance: ACCEPT,
    scenarios: byScenario.size,
    widthRatioFixedOver: ratioStats,
    policies: policyStats,
    gating: gatingStats,
    perScenario,
  };
  const f = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? "–" : Number.isFinite(x) ? x.toFixed(d) : String(x));
  const pct = (x: number | null | undefined): string => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(0)} %`);
  const lines = [
    `| policy | runs | 95 % width: fixed / policy (median [10 %, 90 %]) | coverage | with interval | law identified | damaged: abs bias ≤ 1 σ | damaged: abs bias > 2 σ | gating: next scan ≤ 2 min | budgets exceeded | mean total dose (Gy) |`,
    `|---|---|---|---|---|---|---|---|---|---|---|`,
    ...POLICIES.map((p) => {
      const s = policyStats[p] as { runs: number; coverage: number | null; withInterval: number; lawIdentified: number | null; budgetExceeded: number; meanTotalDose_Gy: number | null; damaged: { runs: number; absBiasWithin1Sigma: number | null; absBiasBeyond2Sigma: number | null } };
      const r = p === "fixed" ? null : (ratioStats[p] as { median: number | null; q10: number | null; q90: number | null; n: number });
      const g = gatingStats[p] as { runs: number; within2min: number | null };
      return `| ${p} | ${s.runs} | ${r ? `${f(r.median)} [${f(r.q10)}, ${f(r.q90)}] (n ${r.n})` : "1"} | ${pct(s.coverage)} | ${s.withInterval} | ${pct(s.lawIdentified)} | ${pct(s.damaged.absBiasWithin1Sigma)} (${s.damaged.runs}) | ${pct(s.damaged.absBiasBeyond2Sigma)} | ${g.runs ? `${pct(g.within2min)} (${g.runs})` : "–"} | ${s.budgetExceeded} | ${f(s.meanTotalDose_Gy)} |`;
    }),
  ];
  return { summary, table: `${lines.join("\n")}\n` };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const option = (name: string, fallback: number): number => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const scenarios = option("--scenarios", 20);
  const jobs = option("--jobs", 2);
  const gatingRuns = option("--gating", 5);
  const resume = argv.includes("--resume");
  if (argv.includes("--report")) {
    const runs = fs.readFileSync(RUNS_FILE, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as RunRecord);
    const { summary, table } = report(runs);
    fs.writeFileSync(SUMMARY_FILE, `${JSON.stringify(summary, null, 2)}\n`);
    fs.writeFileSync(TABLE_FILE, table);
    process.stdout.write(table);
    return;
  }
  const done = new Set<string>();
  if (resume && fs.existsSync(RUNS_FILE)) for (const l of fs.readFileSync(RUNS_FILE, "utf8").split("\n").filter(Boolean)) done.add((JSON.parse(l) as RunRecord).key);
  else fs.writeFileSync(RUNS_FILE, "");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "strata-twin-study-"));
  // one task per scenario: fixed, then greedy and strata at the fixed run's total dose
  const tasks: (() => Promise<void>)[] = [];
  const record = (r: RunRecord): void => {
    fs.appendFileSync(RUNS_FILE, `${JSON.stringify(r)}\n`);
    process.stderr.write(`${r.key}: ${r.ok ? `${r.doc!.scans} scans, ${r.doc!.totalDose_Gy.toFixed(2)} Gy, ${r.doc!.target.parameter} ${r.doc!.target.median?.toPrecision(4) ?? "–"} [${r.doc!.target.lo95?.toPrecision(4) ?? "–"}, ${r.doc!.target.hi95?.toPrecision(4) ?? "–"}] truth ${r.doc!.target.truth}, law ${r.doc!.law.identified}` : r.error} (${r.elapsed_s.toFixed(0)} s)\n`);
  };
  const runPolicy = async (index: number, gating: boolean, policy: string, budget?: number): Promise<RunRecord> => {
    const { law, damage, seed, spec } = scenarioOf(index, gating);
    const key = `${gating ? "g" : "s"}${index}-${policy}`;
    const specFile = path.join(work, `${key}.json`);
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const out = path.join(work, key);
    const started = Date.now();
    const result = await runOne(specFile, policy, out, budget);
    const rec: RunRecord = { key, scenario: index, law, damage, seed, policy, gating, ok: result.ok, ...(result.error ? { error: result.error } : {}), elapsed_s: (Date.now() - started) / 1000 };
    if (result.ok) rec.doc = summarize(JSON.parse(fs.readFileSync(path.join(out, "twin.json"), "utf8")) as Record<string, unknown>);
    fs.rmSync(out, { recursive: true, force: true });
    return rec;
  };
  for (let index = option("--from", 0); index < scenarios; index++) {
    tasks.push(async () => {
      let fixedDose: number | undefined;
      const fixedKey = `s${index}-fixed`;
      if (!done.has(fixedKey)) {
        const r = await runPolicy(index, false, "fixed");
        record(r);
        fixedDose = r.doc?.totalDose_Gy;
      } else {
        const line = fs.readFileSync(RUNS_FILE, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as RunRecord).find((r) => r.key === fixedKey);
        fixedDose = line?.doc?.totalDose_Gy;
      }
      for (const policy of ["strata", "greedy"]) {
        if (done.has(`s${index}-${policy}`)) continue;
        record(await runPolicy(index, false, policy, fixedDose));
      }
    });
  }
  for (let index = 0; index < gatingRuns; index++) {
    for (const policy of ["strata"]) {
      if (done.has(`g${index}-${policy}`)) continue;
      tasks.push(async () => record(await runPolicy(index, true, policy)));
    }
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      while (next < tasks.length) await tasks[next++]();
    }),
  );
  fs.rmSync(work, { recursive: true, force: true });
  const runs = fs.readFileSync(RUNS_FILE, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as RunRecord);
  const { summary, table } = report(runs);
  fs.writeFileSync(SUMMARY_FILE, `${JSON.stringify(summary, null, 2)}\n`);
  fs.writeFileSync(TABLE_FILE, table);
  process.stdout.write(table);
}

await main();
