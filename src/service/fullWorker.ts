/**
 * @module service/fullWorker
 * Worker-thread entry of the runner's full re-run: loads the materialised campaign folder it
 * is given (`presentOnly`) and runs `LiveDiagnosis.full` (the batch diagnosis of `strata
 * diagnose`) with a fresh engine (started as the runner's `start` option says), so the service's own thread keeps serving and updating while it
 * runs, and the run can be stopped at once (the runner terminates the thread). Posts
 * `{document, scans}` or `{error}` (one line). Units: as diagnosis/live.
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadCampaign } from "../campaign/campaign.ts";
import { LiveDiagnosis, type LiveOptions } from "../diagnosis/live.ts";

const { dir, start } = workerData as { dir: string; start?: LiveOptions["start"] };
try {
  const campaign = await loadCampaign(dir, { presentOnly: true, lenient: false });
  const scans = campaign.cells.reduce((n, c) => n + c.scans.length, 0);
  const document = scans === 0 ? null : (JSON.parse(JSON.stringify(await new LiveDiagnosis(start ? { start } : {}).full(campaign))) as Record<string, unknown>);
  parentPort!.postMessage({ document, scans });
} catch (error) {
  parentPort!.postMessage({ error: (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ") });
}
