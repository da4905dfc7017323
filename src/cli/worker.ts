/**
 * @module cli/worker
 * `strata worker --queue redis://HOST:PORT --store postgres://… [--concurrency N]`: a worker of
 * the job queue (service/queueWorker). Runs until SIGINT/SIGTERM, then finishes the jobs it
 * has (a second signal abandons them to the other workers' stalled check). `STRATA_QUEUE` and
 * `STRATA_STORE` stand in for the options. Units: ms for the lock.
 */
import type { Command } from "commander";
import { integerOption } from "./numbers.ts";
import { UsageError } from "./output.ts";

interface WorkerCliOptions {
  queue?: string;
  store?: string;
  concurrency: string;
  workDir?: string;
  lockMs?: string;
}

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description("Run queued jobs (diagnoses, full runs, twin seeds, simulation shards) from Redis, with inputs and results in the shared PostgreSQL store")
    .option("--queue <URL>", "the job queue, redis://HOST:PORT (default $STRATA_QUEUE)")
    .option("--store <URL>", "the shared store, postgres://USER:PASSWORD@HOST:PORT/DB[?schema=NAME] (default $STRATA_STORE)")
    .option("--concurrency <N>", "jobs at once, each in its own thread (about one per core)", "1")
    .option("--work-dir <DIR>", "where input campaigns are unpacked (default a temporary folder)")
    .option("--lock-ms <MS>", "how long a job's lock lasts without renewal: a dead worker's job is retried elsewhere this long after it died (default 30000)")
    .action(async (options: WorkerCliOptions) => {
      const queue = options.queue ?? process.env["STRATA_QUEUE"];
      const store = options.store ?? process.env["STRATA_STORE"];
      if (!queue) throw new UsageError("--queue: required (redis://HOST:PORT) or set STRATA_QUEUE");
      if (!store) throw new UsageError("--store: required (postgres://…) or set STRATA_STORE");
      const concurrency = integerOption(options.concurrency, "--concurrency", 1);
      const lockMs = options.lockMs === undefined ? undefined : integerOption(options.lockMs, "--lock-ms", 1000);
      const { QueueWorker } = await import("../service/queueWorker.ts");
      const worker = new QueueWorker({
        queue,
        store,
        concurrency,
        ...(options.workDir ? { workDir: options.workDir } : {}),
        // the stalled check runs twice per lock period, so a dead worker's job waits at most 1.5 locks
        ...(lockMs !== undefined ? { lockDurationMs: lockMs, stalledIntervalMs: Math.max(500, Math.round(lockMs / 2)) } : {}),
        log: (line: string) => process.stderr.write(`strata worker: ${line}\n`),
      });
      await worker.start();
      process.stderr.write(`strata worker ${worker.name}: ready (concurrency ${concurrency})\n`);
      await new Promise<void>((resolve) => {
        let signals = 0;
        const stop = (): void => {
          signals++;
          if (signals === 1) void worker.close(false).then(resolve, resolve);
          else void worker.close(true).then(resolve, resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
