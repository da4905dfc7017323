/**
 * Issue 15 benchmark: a real-data fit of one state, the SNS Cu/THF OCV1 state (three
 * angles, 733 points, 13 free parameters of the authors' model: examples/sns-cu-thf-2025/
 * PROBLEM-ocv1.json), timed end to end as `strata fit` runs it: the default global fit
 * (differential evolution from the middle of the authors' bounds, then LM) and the MCMC
 * posterior (the default fit's start, then the sampler with the file's settings on the
 * machine's cores, run until mixed within the default 60 s wall-time cap; whether it mixed
 * is reported). Targets: ≤ 10 s and ≤ 60 s.
 * The default fit of one state is the learned estimator's start then LM (api/learnedStart:
 * OCV1 is in its domain); `--start global` (differential evolution, then LM) is timed beside
 * it. The steady states' co-fit (PROBLEM-steady.json, 23 parameters) is timed with the default
 * (staged: each state alone, then the co-fit) and with `--start global`.
 * Units: seconds.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fit } from "../src/api/fit.ts";

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "examples", "sns-cu-thf-2025");
const problem = path.join(example, "PROBLEM-ocv1.json");
const steady = path.join(example, "PROBLEM-steady.json");

async function timed(file: string, start: "auto" | "global"): Promise<{ seconds: number; chi2: number; used: string }> {
  const started = Date.now();
  const report = await fit(file, { method: "de", seed: 1, start });
  return { seconds: (Date.now() - started) / 1000, chi2: report.leastSquares.chi2, used: (report.toJSON()["start"] as { used: string }).used };
}

export async function benchRealData(): Promise<Record<string, number | string>> {
  const ocv1Global = await timed(problem, "global");
  const steadyDefault = await timed(steady, "auto");
  const steadyGlobal = await timed(steady, "global");
  let started = Date.now();
  const global = await fit(problem, { method: "de", seed: 1 });
  const globalSeconds = (Date.now() - started) / 1000;
  started = Date.now();
  // the MCMC starts where the default fit does (the network's estimate, then LM): from the
  // problem's own values (the middle of the authors' bounds) LM alone stops at χ² ≈ 86 600
  const posterior = await fit(problem, { method: "mcmc", seed: 1, start: "auto" });
  const mcmcSeconds = (Date.now() - started) / 1000;
  const samples = posterior.toJSON()["samples"] as { walkers: number; stepsRun: number };
  const mixing = posterior.toJSON()["mixing"] as { mixed: boolean; stop: string; maxTau: { name: string; tau: number }; minEss: { name: string; ess: number } } | undefined;
  return {
    "OCV1 default fit (start auto), s": globalSeconds,
    "OCV1 default fit start": (global.toJSON()["start"] as { used: string }).used,
    "OCV1 --start global (DE + LM), s": ocv1Global.seconds,
    "OCV1 --start global χ²": ocv1Global.chi2,
    "steady co-fit default (start auto), s": steadyDefault.seconds,
    "steady co-fit default start": steadyDefault.used,
    "steady co-fit default χ²": steadyDefault.chi2,
    "steady co-fit --start global (DE + LM), s": steadyGlobal.seconds,
    "steady co-fit --start global χ²": steadyGlobal.chi2,
    "OCV1 default fit reduced χ²": global.toJSON()["reducedChi2"] as number,
    "OCV1 MCMC posterior (start auto, then the sampler), s": mcmcSeconds,
    "OCV1 MCMC walkers × steps": `${samples.walkers} × ${samples.stepsRun}`,
    "OCV1 MCMC mixing": mixing ? `${mixing.mixed ? "mixed" : "not mixed"} (${mixing.stop}); largest τ ${mixing.maxTau.tau.toFixed(0)} steps (${mixing.maxTau.name}), smallest ESS ${mixing.minEss.ess.toFixed(0)} (${mixing.minEss.name})` : "—",
  };
}
