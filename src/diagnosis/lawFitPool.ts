/**
 * @module diagnosis/lawFitPool
 * Several law-constrained joint fits at once (the law comparison's five, the damage stage's
 * per-law fits) spread over the calling thread and worker threads. Each fit is a task of
 * 0.1–3 s, so a plain task queue pays: the fits are independent and each is deterministic,
 * so the results are the same for every thread count — only the wall time changes.
 * The calling thread takes tasks too ("2 threads" = this thread + one worker), and hands the
 * next task to an idle worker between its own. Units: none of its own.
 */
import { Worker } from "node:worker_threads";
import { WorkerFailure } from "../optimize/sharedPool.ts";
import { bundledWorkerSource, siblingModule } from "../core/worker.ts";
import { lawFitFrom, runLawFit, type LawFit, type SeriesWorkerSpec } from "./fitSeries.ts";
import type { LeastSquaresResult } from "../optimize/result.ts";

/** Below this many scans a series is fitted in the calling thread: its fits take less than a worker takes to start. */
export const MIN_SCANS_FOR_POOL = 8;

type Reply = { id: number; fit: LeastSquaresResult } | { id: number; error: string };

/**
 * The law fits of the given specs, in order.
 * @param builds - one spec per fit (see lawFitSpec)
 * @param threads - threads to use, this one included (1: all here)
 * @param progress - called as each fit starts, with its spec and its index
 */
export async function jointLawFits(builds: readonly SeriesWorkerSpec[], threads: number, progress?: (build: SeriesWorkerSpec, index: number) => void): Promise<LawFit[]> {
  const results: (LeastSquaresResult | undefined)[] = builds.map(() => undefined);
  const workerCount = Math.min(Math.max(threads - 1, 0), builds.length - 1);
  if (workerCount <= 0 || (builds[0]?.input.scans.length ?? 0) < MIN_SCANS_FOR_POOL) {
    return builds.map((build, i) => {
      progress?.(build, i);
      return lawFitFrom(build, runLawFit(build));
    });
  }
  const source = await bundledWorkerSource(siblingModule(import.meta.url, "./lawFitWorker"), []);
  const workers = Array.from({ length: workerCount }, () => new Worker(source, { eval: true }));
  let next = 0;
  let failure: Error | undefined;
  const idle: Worker[] = [];
  const outstanding = new Set<Promise<void>>();
  const give = (worker: Worker): void => {
    const id = next++;
    progress?.(builds[id], id);
    const done = new Promise<void>((resolve) => {
      const onMessage = (reply: Reply): void => {
        if (reply.id !== id) return;
        worker.off("message", onMessage);
        worker.off("error", onError);
        if ("error" in reply) failure ??= new WorkerFailure(`law fit (${builds[id].law}${builds[id].damage === "none" ? "" : `, ${builds[id].damage} damage`}) in a worker thread failed: ${reply.error}`);
        else results[id] = reply.fit;
        idle.push(worker);
        resolve();
      };
      const onError = (error: Error): void => {
        worker.off("message", onMessage);
        failure ??= new WorkerFailure(`law fit worker thread failed: ${error.message}`);
        resolve();
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
    });
    outstanding.add(done);
    void done.then(() => outstanding.delete(done));
    worker.postMessage({ id, build: builds[id] });
  };
  try {
    for (const worker of workers) if (next < builds.length) give(worker);
    while (next < builds.length && !failure) {
      // this thread's own task, then let replies in and hand idle workers the next ones
      const id = next++;
      progress?.(builds[id], id);
      results[id] = runLawFit(builds[id]);
      await new Promise((resolve) => setImmediate(resolve));
      while (idle.length > 0 && next < builds.length) give(idle.pop()!);
    }
    while (outstanding.size > 0) {
      await Promise.race(outstanding);
      while (idle.length > 0 && next < builds.length && !failure) give(idle.pop()!);
    }
    if (failure) throw failure;
    return builds.map((build, i) => lawFitFrom(build, results[i]!));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
