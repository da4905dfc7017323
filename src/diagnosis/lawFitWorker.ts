/**
 * @module diagnosis/lawFitWorker
 * Worker-thread entry for {@link jointLawFits}: fits a law fit's structured-clonable spec
 * exactly as the calling thread would (runLawFit), through core/worker's task protocol.
 * Not meant to be imported. Units: none of its own (the spec's).
 */
import { serveTasks } from "../core/worker.ts";
import { runLawFit } from "./fitSeries.ts";

await serveTasks(runLawFit);
