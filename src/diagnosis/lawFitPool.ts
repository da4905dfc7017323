/**
 * @module diagnosis/lawFitPool
 * Several law-constrained joint fits at once (the law comparison's five, the damage stage's
 * per-law fits) spread over the calling thread and worker threads with core/worker's task
 * pool. Each fit is a task of 0.1–3 s; the fits are independent and each is deterministic,
 * so the results are the same for every thread count — only the wall time changes.
 * Units: none of its own.
 */
import { runTasks, siblingModule } from "../core/worker.ts";
import { lawFitFrom, runLawFit, type LawFit, type SeriesWorkerSpec } from "./fitSeries.ts";

/** Below this many scans a series' law fits stay in the calling thread: they take less than a worker takes to start. */
export const MIN_SCANS_FOR_POOL = 8;

/**
 * The law fits of the given specs, in order.
 * @param builds - one spec per fit (see lawFitSpec)
 * @param threads - threads to use, this one included (1: all here)
 * @param progress - called as a fit starts in this thread, with its spec and index
 */
export async function jointLawFits(builds: readonly SeriesWorkerSpec[], threads: number, progress?: (build: SeriesWorkerSpec, index: number) => void): Promise<LawFit[]> {
  const fits = await runTasks({
    entry: siblingModule(import.meta.url, "./lawFitWorker"),
    tasks: builds,
    threads: (builds[0]?.input.scans.length ?? 0) < MIN_SCANS_FOR_POOL ? 1 : threads,
    local: (build, index) => {
      progress?.(build, index);
      return runLawFit(build);
    },
    label: "law fits",
  });
  return builds.map((build, i) => lawFitFrom(build, fits[i]));
}
