/**
 * @module service/queueWorker
 * `strata worker`: a BullMQ Worker on the `strata` queue running Strata's jobs (service/queue),
 * each in its own thread (service/queueJob) so the lock is renewed while it computes. A job:
 * 1. is logged as started (`queue_runs`);
 * 2. is answered from its result row when one exists (a retry after a worker died between
 *    storing and acknowledging) — nothing is computed twice that was stored once;
 * 3. materialises its input bundle from the shared store (cached by hash under the work folder);
 * 4. computes (terminated after JOB_TIMEOUT_MS);
 * 5. stores its result with `ON CONFLICT DO NOTHING` (a concurrent duplicate stores nothing).
 * A failure is logged with its one line and thrown: BullMQ retries it (attempts, backoff) and
 * then keeps it failed with that reason.
 * Units: ms.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker as ThreadWorker } from "node:worker_threads";
import { Worker, type Job } from "bullmq";
import { EngineError } from "../core/errors.ts";
import { siblingModule, workerBootstrap } from "../core/worker.ts";
import { JOB_TIMEOUT_MS, LOCK_DURATION_MS, MAX_STALLED_COUNT, QUEUE_NAME, QueueStore, REMOVE_ON_COMPLETE, REMOVE_ON_FAIL, STALLED_INTERVAL_MS, oneLine, redisOptions, workerName, type JobData } from "./queue.ts";

export interface QueueWorkerOptions {
  queue: string;
  store: string;
  /** jobs at once (threads) @default 1 */
  concurrency?: number;
  /** where bundles are materialised @default a folder under the system's temporary folder */
  workDir?: string;
  /** @default LOCK_DURATION_MS */
  lockDurationMs?: number;
  /** @default STALLED_INTERVAL_MS */
  stalledIntervalMs?: number;
  /** @default JOB_TIMEOUT_MS */
  timeoutMs?: number;
  /** a line per job finished or failed */
  log?: (line: string) => void;
}

/** Run one job's computation in a thread; terminated (and failed) after `timeoutMs`. */
function inThread(input: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const thread = new ThreadWorker(workerBootstrap(siblingModule(import.meta.url, "./queueJob")), { eval: true, workerData: input });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void thread.terminate();
      fn();
    };
    const timer = setTimeout(() => settle(() => reject(new EngineError("data", `the job ran longer than its timeout (${timeoutMs} ms)`))), timeoutMs);
    thread.once("message", (message: { result?: Record<string, unknown>; error?: string }) =>
      settle(() => (message.error !== undefined ? reject(new EngineError("data", message.error)) : resolve(message.result ?? {}))),
    );
    thread.once("error", (error) => settle(() => reject(error)));
    thread.once("exit", (code) => settle(() => reject(new Error(`the job's thread exited (code ${code}) without an answer`))));
  });
}

export class QueueWorker {
  readonly name = workerName();
  private readonly store: QueueStore;
  private readonly worker: Worker;
  private readonly workDir: string;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(options: QueueWorkerOptions) {
    this.store = new QueueStore(options.store);
    this.workDir = options.workDir ?? path.join(os.tmpdir(), `strata-worker-${process.pid}`);
    fs.mkdirSync(this.workDir, { recursive: true });
    this.timeoutMs = options.timeoutMs ?? JOB_TIMEOUT_MS;
    this.log = options.log ?? (() => undefined);
    const lockDuration = options.lockDurationMs ?? LOCK_DURATION_MS;
    this.worker = new Worker(QUEUE_NAME, (job: Job) => this.process(job), {
      connection: redisOptions(options.queue),
      concurrency: options.concurrency ?? 1,
      lockDuration,
      stalledInterval: options.stalledIntervalMs ?? STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
      removeOnComplete: REMOVE_ON_COMPLETE,
      removeOnFail: REMOVE_ON_FAIL,
      autorun: false,
    });
    // a Redis restart shows up here as connection errors; ioredis reconnects by itself
    this.worker.on("error", () => undefined);
  }

  /** Migrate the shared store's queue tables and start taking jobs. */
  async start(): Promise<void> {
    await this.store.migrate();
    void this.worker.run();
    await this.worker.waitUntilReady();
  }

  /** Stop taking jobs; jobs in progress finish first (`force`: they are abandoned to the stalled check). */
  async close(force = false): Promise<void> {
    await this.worker.close(force);
    await this.store.close();
  }

  private async process(job: Job): Promise<Record<string, unknown>> {
    const data = job.data as JobData;
    const jobId = job.id!;
    const attempt = job.attemptsMade + 1;
    await this.store.logRun({ jobId, worker: this.name, attempt, outcome: "started" });
    try {
      if (await this.store.getResult(jobId)) {
        await this.store.logRun({ jobId, worker: this.name, attempt, outcome: "duplicate" });
        return { jobId, stored: false };
      }
      const started = Date.now();
      const result = await this.compute(data);
      const created = await this.store.putResult({ jobId, kind: data.kind, input: data.input, result, worker: this.name });
      await this.store.logRun({ jobId, worker: this.name, attempt, outcome: created ? "stored" : "duplicate" });
      this.log(`${data.kind} ${data.label ?? jobId.slice(0, 12)}: ${created ? "stored" : "already stored"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return { jobId, stored: created };
    } catch (error) {
      const reason = oneLine(error);
      await this.store.logRun({ jobId, worker: this.name, attempt, outcome: "failed", error: reason }).catch(() => undefined);
      this.log(`${data.kind} ${data.label ?? jobId.slice(0, 12)}: failed (attempt ${attempt}): ${reason}`);
      throw new Error(reason);
    }
  }

  private async compute(data: JobData): Promise<Record<string, unknown>> {
    if (data.kind === "diagnose" || data.kind === "full") {
      const dir = await this.store.materialise(data.input, this.workDir);
      return inThread({ kind: data.kind, dir, options: data.options }, this.timeoutMs);
    }
    const scenario = JSON.parse((await this.store.getBlob(data.input)).toString("utf8")) as unknown;
    const out = fs.mkdtempSync(path.join(this.workDir, `${data.kind}-`));
    try {
      const result = await inThread({ kind: data.kind, scenario, out, options: data.options }, this.timeoutMs);
      // a simulated shard is itself content: its folder becomes a bundle others can diagnose
      return data.kind === "simulate" ? { bundle: await this.store.putFolder(out), truth: result } : result;
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
}
