/**
 * @module service/queueJob
 * Worker-thread entry of queue jobs (service/queueWorker keeps one such thread per unit of
 * concurrency and reuses it): the computation runs here so that the worker's event loop stays
 * free to renew the job's lock in Redis however long the job computes, and a thread that has
 * run a job keeps its loaded modules and compiled code for the next (a fresh thread per job
 * spent ≈ 0.7 s of a 1-s diagnosis on loading and compiling). Messages in:
 * `{id, input: {kind, dir?, scenario?, options, out?}}`; out: `{id, result}` or `{id, error}`
 * (one line). Before each job the shared smearing plans are forgotten, so a job's numbers do
 * not depend on which jobs the thread ran before (the same seed gives the same numbers as a
 * fresh process).
 * - `diagnose`: the batch diagnosis of the campaign folder `dir` (`strata diagnose`), the
 *   strata-diagnosis/1 document;
 * - `full`: the live engine's full re-run of `dir` (what `strata serve` runs when a campaign is quiet);
 * - `fit`: `strata fit` of the problem file `options.problem` (relative to the bundle `dir`, which
 *   holds its data), the fit's JSON (`FitReport.toJSON`);
 * - `twin`: a simulated beam time of `scenario` (`strata twin`), the strata-twin/1 document;
 * - `simulate`: the synthetic campaign of `scenario` written into `out` (the caller stores it).
 * Units: as the APIs named.
 */
import { parentPort } from "node:worker_threads";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { oneLineMessage } from "../core/errors.ts";
import { forgetSharedSmearingPlans } from "../kernels/reflectivity/smearedReflectivity.ts";
import type { LawName } from "../models/growthLaws.ts";

interface JobInput {
  kind: "diagnose" | "full" | "fit" | "twin" | "simulate";
  dir?: string;
  scenario?: unknown;
  out?: string;
  options: Record<string, unknown>;
}

async function run(input: JobInput): Promise<Record<string, unknown>> {
  const o = input.options;
  if (input.kind === "diagnose") {
    const { diagnose } = await import("../api/diagnosis.ts");
    const result = await diagnose(input.dir!, {
      ...(o["mode"] !== undefined ? { mode: o["mode"] as "independent" | "joint" | "auto" } : {}),
      ...(Array.isArray(o["laws"]) ? { laws: o["laws"] as LawName[] } : {}),
      ...(typeof o["seed"] === "number" ? { seed: o["seed"] } : {}),
      ...(o["mcmc"] !== undefined ? { mcmc: o["mcmc"] as Record<string, number> } : {}),
      ...(o["damage"] !== undefined ? { damage: o["damage"] as "auto" | "off" } : {}),
      ...(o["start"] !== undefined ? { start: o["start"] as "auto" | "ml" | "global" } : {}),
    });
    return result.toJSON();
  }
  if (input.kind === "full") {
    const { loadCampaign } = await import("../campaign/campaign.ts");
    const { LiveDiagnosis } = await import("../diagnosis/live.ts");
    const campaign = await loadCampaign(input.dir!, { presentOnly: true, lenient: false });
    const scans = campaign.cells.reduce((n, c) => n + c.scans.length, 0);
    const document = scans === 0 ? null : (JSON.parse(JSON.stringify(await new LiveDiagnosis().full(campaign))) as Record<string, unknown>);
    return { document, scans };
  }
  if (input.kind === "fit") {
    const { fit } = await import("../api/fit.ts");
    const report = await fit(path.join(input.dir!, String(o["problem"])), {
      ...(o["method"] !== undefined ? { method: o["method"] as "lm" | "de" | "mcmc" } : {}),
      ...(typeof o["seed"] === "number" ? { seed: o["seed"] } : {}),
      ...(o["dqMeasure"] !== undefined ? { dqMeasure: o["dqMeasure"] as "fwhm" | "sigma" } : {}),
      // one thread per job, as a queued diagnosis: the worker's concurrency is what spreads jobs over the cores
      mcmc: { threads: 1, ...(o["mcmc"] as Record<string, number> | undefined) },
    });
    return JSON.parse(JSON.stringify(report.toJSON())) as Record<string, unknown>;
  }
  if (input.kind === "twin") {
    const { runTwin } = await import("../autonomy/twin.ts");
    const dir = fs.mkdtempSync(path.join(input.out!, "twin-"));
    try {
      const result = await runTwin(input.scenario, { policy: o["policy"] as "fixed" | "greedy" | "strata", ...(typeof o["seed"] === "number" ? { seed: o["seed"] } : {}), dir });
      return JSON.parse(JSON.stringify(result.document)) as Record<string, unknown>;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const { simulateCampaign } = await import("../simulation/simulate.ts");
  const spec = typeof o["seed"] === "number" && typeof input.scenario === "object" && input.scenario !== null ? { ...input.scenario, seed: o["seed"] } : input.scenario;
  return JSON.parse(JSON.stringify(simulateCampaign(spec, input.out!))) as Record<string, unknown>;
}

/** The campaign a thread diagnoses before its first job: the example scenario (examples/scenario.json), cut to 3 scans of 40 points. */
const WARM_UP_SCANS = 3;
const WARM_UP_POINTS = 40;
const WARM_UP_MCMC = { walkers: 12, steps: 40, burn: 10, minEss: 0, tauFactor: 0, threads: 1 };

/**
 * Load the diagnosis and run it once on a small simulated campaign, so that the worker's first
 * jobs do not pay for compiling the hot code (measured: the first diagnosis of a cold thread
 * took 1.2 s against 0.8 s for the next; 1.7 s when two cold threads compiled at once). The
 * warm-up's numbers are thrown away and the shared smearing plans forgotten before any job, so
 * a job's result is what a fresh process gives. Without the example scenario (an installation
 * without examples/) only the modules are loaded. Never throws: a warm-up that fails leaves a
 * thread that compiles during its first job, as before.
 */
async function warmUp(): Promise<number> {
  const started = performance.now();
  const { diagnose } = await import("../api/diagnosis.ts");
  const scenarioFile = fileURLToPath(new URL("../../examples/scenario.json", import.meta.url));
  if (!fs.existsSync(scenarioFile)) return (performance.now() - started) / 1000;
  const { simulateCampaign } = await import("../simulation/simulate.ts");
  const scenario = JSON.parse(fs.readFileSync(scenarioFile, "utf8")) as Record<string, unknown>;
  delete scenario["impedance"];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-warm-up-"));
  try {
    simulateCampaign({ ...scenario, scans: { ...(scenario["scans"] as object), count: WARM_UP_SCANS, points: WARM_UP_POINTS } }, dir);
    await diagnose(dir, { laws: ["parabolic", "linear"], seed: 1, mcmc: WARM_UP_MCMC });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    forgetSharedSmearingPlans();
  }
  return (performance.now() - started) / 1000;
}

const warmed: Promise<void> = warmUp().then(
  (seconds) => parentPort!.postMessage({ warm: true, seconds }),
  (error: unknown) => parentPort!.postMessage({ warm: false, error: oneLineMessage(error) }),
);

// one job at a time: the worker sends the next only after this one's answer (a job sent during the warm-up waits for its end)
parentPort!.on("message", (message: { id: number; input: JobInput }) => {
  warmed
    .then(() => {
      forgetSharedSmearingPlans();
      return run(message.input);
    })
    .then(
      (result) => parentPort!.postMessage({ id: message.id, result }),
      (error: unknown) => parentPort!.postMessage({ id: message.id, error: oneLineMessage(error) }),
    );
});
