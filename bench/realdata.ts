/**
 * Issue 15 benchmark: a real-data fit of one state, the SNS Cu/THF OCV1 state (three
 * angles, 733 points, 13 free parameters of the authors' model: examples/sns-cu-thf-2025/
 * PROBLEM-ocv1.json), timed end to end as `strata fit` runs it: the default global fit
 * (differential evolution from the middle of the authors' bounds, then LM) and the MCMC
 * posterior (LM, then the sampler with the file's settings, run until mixed within the
 * default 60 s wall-time cap; whether it mixed is reported). Targets: ≤ 10 s and ≤ 60 s.
 * Units: seconds.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fit } from "../src/api/fit.ts";

const problem = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "examples", "sns-cu-thf-2025", "PROBLEM-ocv1.json");

export async function benchRealData(): Promise<Record<string, number | string>> {
  let started = Date.now();
  const global = await fit(problem, { method: "de", seed: 1 });
  const globalSeconds = (Date.now() - started) / 1000;
  started = Date.now();
  const posterior = await fit(problem, { method: "mcmc", seed: 1 });
  const mcmcSeconds = (Date.now() - started) / 1000;
  const samples = posterior.toJSON()["samples"] as { walkers: number; stepsRun: number };
  const mixing = posterior.toJSON()["mixing"] as { mixed: boolean; stop: string; maxTau: { name: string; tau: number }; minEss: { name: string; ess: number } } | undefined;
  return {
    "OCV1 global fit (DE + LM), s": globalSeconds,
    "OCV1 global fit reduced χ²": global.toJSON()["reducedChi2"] as number,
    "OCV1 MCMC posterior (LM + sampler), s": mcmcSeconds,
    "OCV1 MCMC walkers × steps": `${samples.walkers} × ${samples.stepsRun}`,
    "OCV1 MCMC mixing": mixing ? `${mixing.mixed ? "mixed" : "not mixed"} (${mixing.stop}); largest τ ${mixing.maxTau.tau.toFixed(0)} steps (${mixing.maxTau.name}), smallest ESS ${mixing.minEss.ess.toFixed(0)} (${mixing.minEss.name})` : "—",
  };
}
