/**
 * @module diagnosis/lawFitWorker
 * Worker-thread entry for {@link jointLawFits}: answers `{ id, build }` (a law fit's
 * structured-clonable spec) with `{ id, fit }` (its LM result, computed by runLawFit exactly
 * as the calling thread would) or `{ id, error }` (one line). Not meant to be imported.
 * Units: none of its own (the spec's).
 */
import { parentPort } from "node:worker_threads";
import { runLawFit, type SeriesWorkerSpec } from "./fitSeries.ts";

const port = parentPort;
if (!port) throw new Error("lawFitWorker must run in a worker thread");
port.on("message", (message: { id: number; build: SeriesWorkerSpec }) => {
  try {
    port.postMessage({ id: message.id, fit: runLawFit(message.build) });
  } catch (error) {
    port.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
