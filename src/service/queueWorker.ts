/**
 * @module service/queueWorker
 * `strata worker`: a BullMQ Worker on the `strata` queue running Strata's jobs (service/queue)
 * in threads kept between jobs (service/queueJob), so the lock is renewed while a job computes
 * and a job does not pay for loading Strata again. A job:
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

/** the longest a worker waits for its threads' warm-up before it takes jobs anyway */
const WARM_UP_TIMEOUT_MS = 60_000;

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

/**
 * The threads that compute jobs: one per job in progress, kept between jobs so that a job does
 * not pay for loading and compiling Strata again (service/queueJob). A thread whose job timed
 * out, failed to answer or crashed is terminated and not reused.
 */
class JobThreads {
  private readonly idle: ThreadWorker[] = [];
  private readonly all = new Set<ThreadWorker>();
  private nextId = 1;
  constructor(private readonly timeoutMs: number) {}

  /** each thread's warm-up (service/queueJob): its seconds, or the one line it failed with */
  private readonly warmUps = new Map<ThreadWorker, Promise<{ seconds?: number; error?: string }>>();

  private start(): ThreadWorker {
    const thread = new ThreadWorker(workerBootstrap(siblingModule(import.meta.url, "./queueJob")), { eval: true });
    this.warmUps.set(
      thread,
      new Promise((resolve) => {
        const onWarm = (message: { warm?: boolean; seconds?: number; error?: string }): void => {
          if (message.warm === undefined) return;
          thread.off("message", onWarm);
          resolve(message.warm ? { seconds: message.seconds ?? 0 } : { error: message.error ?? "unknown" });
        };
        thread.on("message", onWarm);
        thread.once("exit", (code) => resolve({ error: `the thread exited (code ${code}) during its warm-up` }));
      }),
    );
    this.all.add(thread);
    // an idle thread's error must not become the process's uncaught error: the thread is dropped
    thread.on("error", () => undefined);
    thread.on("exit", () => {
      this.all.delete(thread);
      this.warmUps.delete(thread);
      const i = this.idle.indexOf(thread);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return thread;
  }

  /**
   * Start `n` threads ahead of the first jobs and wait (at most `timeoutMs`) until each has
   * loaded Strata and run its warm-up diagnosis. Resolves with one line on the warm-ups; a thread
   * not warm by then still takes jobs (its first job waits for the warm-up's end).
   */
  async prestart(n: number, timeoutMs = WARM_UP_TIMEOUT_MS): Promise<string> {
    while (this.all.size < n) this.idle.push(this.start());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const outcomes = await Promise.race([Promise.all([...this.warmUps.values()]), timeout]);
    clearTimeout(timer);
    if (outcomes === "timeout") return `warm-up not finished after ${timeoutMs / 1000} s; taking jobs anyway`;
    const failed = outcomes.find((o) => o.error !== undefined);
    if (failed) return `warm-up failed (${failed.error}); taking jobs anyway`;
    return `warmed up ${outcomes.length} thread${outcomes.length === 1 ? "" : "s"} in ${Math.max(...outcomes.map((o) => o.seconds ?? 0)).toFixed(1)} s`;
  }

  /** Run one job's computation; rejected (and its thread terminated) after the timeout. */
  run(input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const thread = this.idle.pop() ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (reuse: boolean, fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        thread.off("message", onMessage);
        thread.off("error", onError);
        thread.off("exit", onExit);
        if (reuse) this.idle.push(thread);
        else void thread.terminate();
        fn();
      };
      const onMessage = (message: { id: number; result?: Record<string, unknown>; error?: string }): void => {
        if (message.id !== id) return;
        finish(true, () => (message.error !== undefined ? reject(new EngineError("data", message.error)) : resolve(message.result ?? {})));
      };
      const onError = (error: Error): void => finish(false, () => reject(error));
      const onExit = (code: number): void => finish(false, () => reject(new Error(`the job's thread exited (code ${code}) without an answer`)));
      const timer = setTimeout(() => finish(false, () => reject(new EngineError("data", `the job ran longer than its timeout (${this.timeoutMs} ms)`))), this.timeoutMs);
      thread.on("message", onMessage);
      thread.on("error", onError);
      thread.on("exit", onExit);
      thread.postMessage({ id, input });
    });
  }

  /** Terminate every thread (jobs still running in one are abandoned). */
  async close(): Promise<void> {
    this.idle.length = 0;
    await Promise.all([...this.all].map((thread) => thread.terminate()));
  }
}

export class QueueWorker {
  readonly name = workerName();
  private readonly store: QueueStore;
  private readonly worker: Worker;
  private readonly workDir: string;
  private readonly threads: JobThreads;
  private readonly concurrency: number;
  private readonly log: (line: string) => void;

  constructor(options: QueueWorkerOptions) {
    this.store = new QueueStore(options.store);
    this.workDir = options.workDir ?? path.join(os.tmpdir(), `strata-worker-${process.pid}`);
    fs.mkdirSync(this.workDir, { recursive: true });
    this.threads = new JobThreads(options.timeoutMs ?? JOB_TIMEOUT_MS);
    this.concurrency = options.concurrency ?? 1;
    this.log = options.log ?? (() => undefined);
    const lockDuration = options.lockDurationMs ?? LOCK_DURATION_MS;
    this.worker = new Worker(QUEUE_NAME, (job: Job) => this.process(job), {
      connection: redisOptions(options.queue),
      concurrency: this.concurrency,
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
    // jobs are taken only once the threads are warm: a cold thread's first diagnosis is ≈ 1.5–2× slower
    this.log(await this.threads.prestart(this.concurrency));
    void this.worker.run();
    await this.worker.waitUntilReady();
  }

  /** Stop taking jobs; jobs in progress finish first (`force`: they are abandoned to the stalled check). */
  async close(force = false): Promise<void> {
    await this.worker.close(force);
    await this.threads.close();
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
    if (data.kind === "diagnose" || data.kind === "full" || data.kind === "fit") {
      const dir = await this.store.materialise(data.input, this.workDir);
      return this.threads.run({ kind: data.kind, dir, options: data.options });
    }
    const scenario = JSON.parse((await this.store.getBlob(data.input)).toString("utf8")) as unknown;
    const out = fs.mkdtempSync(path.join(this.workDir, `${data.kind}-`));
    try {
      const result = await this.threads.run({ kind: data.kind, scenario, out, options: data.options });
      // a simulated shard is itself content: its folder becomes a bundle others can diagnose
      return data.kind === "simulate" ? { bundle: await this.store.putFolder(out), truth: result } : result;
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
}
