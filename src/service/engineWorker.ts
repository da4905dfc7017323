/**
 * @module service/engineWorker
 * Worker-thread entry holding the runner's live engines (one `LiveDiagnosis` per campaign), so
 * the CPU-bound updates run beside the service's own thread, which keeps ingesting, watching
 * and answering HTTP while a posterior is updated. Requests (`{id, op, campaignId, …}`):
 * - `update` `{dir, resume}`: load the materialised folder (`presentOnly`) and update the
 *   campaign's engine (created, or resumed from `resume`, the latest stored document, when this
 *   thread has none yet); answers `{document, scans, needsFull, load_ms, update_ms}` (`document`
 *   null when no scan has arrived);
 * - `adopt` `{document}`: the engine resumes from this document (a full run's);
 * - `drop`: forget the campaign's engine.
 * Every answer carries the request's `id`; a failure answers `{error}` (one line).
 * Units: ms.
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadCampaign } from "../campaign/campaign.ts";
import { LiveDiagnosis, type LiveDocument, type LiveOptions } from "../diagnosis/live.ts";

/** The engines' options from the runner (`strata serve --start`): where a cell's first fit starts. */
const engineOptions: LiveOptions = (workerData as { start?: LiveOptions["start"] } | null)?.start ? { start: (workerData as { start: LiveOptions["start"] }).start } : {};

interface Request {
  id: number;
  op: "update" | "adopt" | "drop";
  campaignId: string;
  dir?: string;
  resume?: Record<string, unknown> | null;
  document?: Record<string, unknown>;
  /** a refinement (the campaign quiet): more moves when nothing is new */
  refine?: boolean;
}

const engines = new Map<string, LiveDiagnosis>();
const port = parentPort!;
let queue: Promise<unknown> = Promise.resolve();

async function handle(request: Request): Promise<Record<string, unknown>> {
  if (request.op === "drop") {
    engines.delete(request.campaignId);
    return {};
  }
  if (request.op === "adopt") {
    engines.set(request.campaignId, LiveDiagnosis.fromDocument(request.document as unknown as LiveDocument, engineOptions));
    return {};
  }
  const started = Date.now();
  const campaign = await loadCampaign(request.dir!, { presentOnly: true, lenient: false });
  const loaded = Date.now();
  const scans = campaign.cells.reduce((n, c) => n + c.scans.length, 0);
  if (scans === 0) return { document: null, scans, needsFull: false, load_ms: loaded - started, update_ms: 0 };
  let engine = engines.get(request.campaignId);
  if (!engine) {
    engine = request.resume ? resumed(request.resume) : new LiveDiagnosis(engineOptions);
    engines.set(request.campaignId, engine);
  }
  const document = await engine.update(campaign, { refine: request.refine === true });
  return { document, scans, needsFull: engine.needsFull, load_ms: loaded - started, update_ms: Date.now() - loaded };
}

/** An engine from a stored document; a document it cannot resume from (another format) starts afresh. */
function resumed(document: Record<string, unknown>): LiveDiagnosis {
  try {
    return LiveDiagnosis.fromDocument(document as unknown as LiveDocument, engineOptions);
  } catch {
    return new LiveDiagnosis(engineOptions);
  }
}

port.on("message", (request: Request) => {
  // one request at a time, in order
  queue = queue.then(async () => {
    try {
      port.postMessage({ id: request.id, ...(await handle(request)) });
    } catch (error) {
      port.postMessage({ id: request.id, error: (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ") });
    }
  });
});
port.postMessage({ ready: true });
