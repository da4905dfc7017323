/**
 * @module service/queueJob
 * Worker-thread entry of one queue job (service/queueWorker starts one thread per job): the
 * computation runs here so that the worker's event loop stays free to renew the job's lock in
 * Redis however long the job computes. `workerData`: `{kind, dir?, scenario?, options, out?}`;
 * posts `{result}` or `{error}` (one line) and ends.
 * - `diagnose`: the batch diagnosis of the campaign folder `dir` (`strata diagnose`), the
 *   strata-diagnosis/1 document;
 * - `full`: the live engine's full re-run of `dir` (what `strata serve` runs when a campaign is quiet);
 * - `twin`: a simulated beam time of `scenario` (`strata twin`), the strata-twin/1 document;
 * - `simulate`: the synthetic campaign of `scenario` written into `out` (the caller stores it).
 * Units: as the APIs named.
 */
import { parentPort, workerData } from "node:worker_threads";
import fs from "node:fs";
import path from "node:path";
import type { LawName } from "../models/growthLaws.ts";

interface JobInput {
  kind: "diagnose" | "full" | "twin" | "simulate";
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

try {
  parentPort!.postMessage({ result: await run(workerData as JobInput) });
} catch (error) {
  parentPort!.postMessage({ error: (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ").slice(0, 400) });
}
