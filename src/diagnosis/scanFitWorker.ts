/**
 * @module diagnosis/scanFitWorker
 * Worker-thread entry of {@link independentSeriesAsync}: fits the warm-started per-scan
 * series of one start (a basin of the global stage) exactly as the calling thread would
 * (runScanSeries), through core/worker's task protocol. Not meant to be imported.
 * Units: none of its own (the series').
 */
import { serveTasks } from "../core/worker.ts";
import { runScanSeries } from "./fitSeries.ts";

await serveTasks(runScanSeries);
