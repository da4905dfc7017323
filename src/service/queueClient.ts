/**
 * @module service/queueClient
 * The producer's side of the job queue (service/queue): `strata diagnose --queue`, `strata
 * twin --queue` and `strata serve --queue` add jobs and gather their results here.
 *
 * Waiting for a job polls its result row in PostgreSQL (the truth) and its state in Redis
 * (for a failure's reason): a job Redis no longer knows (expired, or Redis lost it) and
 * without a result is added again under the same id — harmless, since the id and the result
 * row make it idempotent. So a gatherer rides out a Redis restart and a service restart.
 * BullMQ's queue events (a job completed or failed) wake a waiter at once, so a result is
 * gathered when it is stored, not up to a polling interval later; the polling stays the truth
 * when an event is missed (Redis restarting, events trimmed).
 * Units: ms.
 */
import { Queue, QueueEvents, type Job } from "bullmq";
import { EngineError } from "../core/errors.ts";
import { QUEUE_NAME, QueueStore, defaultJobOptions, jobIdOf, redisOptions, type JobData, type JobKind } from "./queue.ts";

/**
 * How soon a waiting producer looks at a job again (ms) when no event woke it; the interval then
 * grows by WAIT_POLL_GROWTH. The queue's events wake a waiter the moment its job ends, so the
 * polling only catches what an event missed (Redis restarting): it can be slow, and on a machine
 * shared with the workers (the one-machine demonstration, the benchmark) it takes little from them.
 */
export const WAIT_POLL_MS = 1000;
/** The longest interval between two looks (ms): 200 jobs gathered at once cost ≤ 40 lookups/s. */
export const WAIT_POLL_MAX_MS = 5000;
export const WAIT_POLL_GROWTH = 1.5;

/** One job's state as the API and the live page show it. */
export interface JobView {
  id: string;
  kind: string;
  state: "queued" | "running" | "done" | "failed";
  campaignId: string | null;
  label: string | null;
  attempts: number;
  /** the one-line reason of a failed job (its last attempt's) */
  reason: string | null;
  createdAt: string | null;
  finishedAt: string | null;
}

/** BullMQ's states in the four the service speaks of. */
function stateOf(state: string): JobView["state"] {
  if (state === "completed") return "done";
  if (state === "failed") return "failed";
  if (state === "active") return "running";
  return "queued";
}

export class QueueClient {
  readonly store: QueueStore;
  readonly queue: Queue;
  private readonly queueUrl: string;
  private events: QueueEvents | undefined;
  /** waiters to wake when their job completes or fails, by job id */
  private readonly wakers = new Map<string, Set<() => void>>();

  constructor(options: { queue: string; store: string }) {
    this.store = new QueueStore(options.store);
    this.queueUrl = options.queue;
    this.queue = new Queue(QUEUE_NAME, { connection: redisOptions(options.queue), defaultJobOptions: defaultJobOptions() });
    this.queue.on("error", () => undefined);
  }

  async close(): Promise<void> {
    await this.events?.close();
    await this.queue.close();
    await this.store.close();
  }

  /** Listen to the queue's events (once, when the first waiter needs them). */
  private listen(): void {
    if (this.events) return;
    const events = new QueueEvents(QUEUE_NAME, { connection: redisOptions(this.queueUrl) });
    events.on("error", () => undefined);
    const wake = ({ jobId }: { jobId: string }): void => {
      for (const fn of this.wakers.get(jobId) ?? []) fn();
    };
    events.on("completed", wake);
    events.on("failed", wake);
    this.events = events;
  }

  /** Add a job (nothing added when Redis knows its id already); returns its id. */
  async add(data: JobData): Promise<string> {
    const jobId = jobIdOf(data.kind, data.input, data.options);
    await this.queue.add(data.kind, data, { jobId });
    return jobId;
  }

  /** Add a diagnosis of a campaign folder (its files stored as blobs first). */
  async addFolder(kind: Extract<JobKind, "diagnose" | "full">, dir: string, options: Record<string, unknown>, extra: { campaignId?: string; label?: string } = {}): Promise<string> {
    const input = await this.store.putFolder(dir);
    return this.add({ kind, input, options, ...extra });
  }

  /** Add a job of a JSON input (a scenario): the input is stored as a blob. */
  async addJson(kind: Extract<JobKind, "twin" | "simulate">, value: unknown, options: Record<string, unknown>, extra: { label?: string } = {}): Promise<string> {
    const input = await this.store.putBlob(Buffer.from(JSON.stringify(value)));
    return this.add({ kind, input, options, ...extra });
  }

  /**
   * The job's result once stored; rejects with the job's reason when it ended failed.
   * `signal` stops waiting (resolves undefined).
   */
  async wait(jobId: string, data: JobData, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
    this.listen();
    let interval = WAIT_POLL_MS;
    let woken = false;
    let wakeNow: (() => void) | undefined;
    const waker = (): void => {
      woken = true;
      wakeNow?.();
    };
    let set = this.wakers.get(jobId);
    if (!set) this.wakers.set(jobId, (set = new Set()));
    set.add(waker);
    const pause = async (): Promise<void> => {
      if (!woken) await delay(interval, signal, (fn) => (wakeNow = fn));
      wakeNow = undefined;
      woken = false;
      interval = Math.min(WAIT_POLL_MAX_MS, interval * WAIT_POLL_GROWTH);
    };
    try {
      return await this.poll(jobId, data, pause, signal);
    } finally {
      set.delete(waker);
      if (set.size === 0) this.wakers.delete(jobId);
    }
  }

  private async poll(jobId: string, data: JobData, pause: () => Promise<void>, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
    for (;;) {
      if (signal?.aborted) return undefined;
      const stored = await this.store.getResult(jobId);
      if (stored) return stored.result;
      let job: Job | undefined;
      try {
        job = await this.queue.getJob(jobId);
      } catch {
        job = undefined; // Redis restarting: ask again
        await pause();
        continue;
      }
      if (!job) {
        // expired or lost and never stored: add it again (idempotent)
        await this.queue.add(data.kind, data, { jobId }).catch(() => undefined);
      } else {
        const state = await job.getState();
        const again = state === "failed" || state === "completed" ? await this.store.getResult(jobId) : undefined;
        if (again) return again.result;
        if (state === "failed") throw new EngineError("data", `job ${jobId.slice(0, 12)} (${data.kind}${data.label ? ` ${data.label}` : ""}) failed after ${job.attemptsMade} attempts: ${job.failedReason}`);
        if (state === "completed") {
          // completed, yet its result is not in this store (another store, or restored from a backup): run it again
          await job.remove().catch(() => undefined);
          await this.queue.add(data.kind, data, { jobId }).catch(() => undefined);
        }
      }
      await pause();
    }
  }

  /**
   * Fan out and gather: add every job, then wait for all; `progress(done, failed, total)` after each.
   * Failures do not stop the others; each settles to its result or its error.
   */
  async runAll(jobs: readonly JobData[], progress?: (done: number, failed: number, total: number) => void): Promise<PromiseSettledResult<Record<string, unknown>>[]> {
    return this.pipeline(jobs, (job) => Promise.resolve(job), progress);
  }

  /**
   * Fan out as inputs become ready and gather: `prepare(item)` (e.g. storing a campaign's files)
   * and the job's addition run one item after another, and each job is added as soon as its input
   * is stored, so workers start on the first while the rest are still being stored;
   * `progress(done, failed, total)` after each result. A failed preparation settles that item
   * rejected and the others go on.
   */
  async pipeline<T>(items: readonly T[], prepare: (item: T) => Promise<JobData>, progress?: (done: number, failed: number, total: number) => void): Promise<PromiseSettledResult<Record<string, unknown>>[]> {
    let done = 0;
    let failed = 0;
    progress?.(0, 0, items.length);
    const waits: Promise<Record<string, unknown>>[] = [];
    for (const item of items) {
      const added = (async () => {
        const job = await prepare(item);
        return { job, id: await this.add(job) };
      })();
      // the next item is prepared only once this one's job is added (one upload at a time)
      await added.catch(() => undefined);
      waits.push(
        (async () => {
          try {
            const { job, id } = await added;
            const result = (await this.wait(id, job))!;
            done++;
            return result;
          } catch (error) {
            failed++;
            throw error;
          } finally {
            progress?.(done, failed, items.length);
          }
        })(),
      );
    }
    return Promise.allSettled(waits);
  }

  /** The latest jobs (newest first, at most `limit`), as the job table shows them. */
  async jobs(limit = 100): Promise<JobView[]> {
    const jobs = await this.queue.getJobs(["active", "waiting", "delayed", "prioritized", "completed", "failed"], 0, limit - 1, false);
    const views = await Promise.all(
      jobs.filter((j): j is Job => j !== undefined && j !== null && typeof j.id === "string").map(async (job) => {
        const data = job.data as JobData;
        const state = stateOf(await job.getState());
        return {
          id: job.id!,
          kind: data.kind,
          state,
          campaignId: data.campaignId ?? null,
          label: data.label ?? null,
          attempts: job.attemptsMade,
          reason: state === "failed" ? (job.failedReason ?? null) : null,
          createdAt: job.timestamp ? new Date(job.timestamp).toISOString() : null,
          finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
        } satisfies JobView;
      }),
    );
    return views.sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? "")).slice(0, limit);
  }
}

/** Wait `ms`, or less when `signal` aborts or the function handed to `wake` is called (the abort listener is removed either way: the wait loop would pile them up). */
function delay(ms: number, signal?: AbortSignal, wake?: (fn: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    wake?.(onAbort);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
