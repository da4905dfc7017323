/**
 * @module service/threadRunner
 * The runner of `strata serve` in a worker thread (service/runnerWorker), behind the same
 * interface the HTTP app uses ({@link ServiceRunner}). The live diagnosis is synchronous
 * number-crunching for hundreds of milliseconds per update; on the main thread it would stall
 * every HTTP request for that long (measured: p50 112 ms, p95 6.4 s for 20 clients reading
 * while one scan a second arrived). In its own thread it does not: the main thread only
 * serves requests, reading the store through its own connection (SQLite WAL readers never wait
 * for the writer; PostgreSQL has a pool per thread). Events the runner appends are forwarded
 * as they happen, so the event stream wakes at once.
 *
 * A worker that dies (an uncaught error, out of memory) fails every pending call and emits
 * `"failed"` with one line; `strata serve` then stops (a supervisor restarts it, and start-up
 * recovery resumes the work).
 *
 * Units: ms for timeouts.
 */
import { EventEmitter } from "node:events";
import { Worker } from "node:worker_threads";
import { EngineError, type EngineErrorCode } from "../core/errors.ts";
import { siblingModule, workerBootstrap } from "../core/worker.ts";
import type { CampaignRecord, EventRecord } from "../store/types.ts";
import type { IngestStateView, ServiceRunner } from "./app.ts";
import type { IngestOptions, IngestResult } from "./ingest.ts";
import type { RunnerWorkerData, WireError } from "./runnerWorker.ts";

/** How long stop() waits for the worker to finish its current update before terminating it. */
export const STOP_TIMEOUT_MS = 30_000;

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

function fromWire(error: WireError): Error {
  return error.code === undefined ? new Error(error.message) : new EngineError(error.code as EngineErrorCode, error.message);
}

export class ThreadRunner extends EventEmitter implements ServiceRunner {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(worker: Worker) {
    super();
    this.worker = worker;
    worker.on("message", (message: { type: string; id?: number; result?: unknown; error?: WireError; event?: EventRecord }) => {
      if (message.type === "event") this.emit("event", message.event);
      else if (message.type === "result" && message.id !== undefined) {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) pending?.reject(fromWire(message.error));
        else pending?.resolve(message.result);
      }
    });
    const die = (error: Error): void => {
      if (this.failure || this.stopping) return;
      this.failure = error;
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
      this.emit("failed", error);
    };
    worker.on("error", die);
    worker.on("exit", (code) => die(new Error(`the runner thread exited (code ${code})`)));
  }

  /** Start the worker, which opens the data folder and recovers; resolves when it is ready. */
  static async start(data: RunnerWorkerData): Promise<ThreadRunner> {
    const worker = new Worker(workerBootstrap(siblingModule(import.meta.url, "./runnerWorker")), { eval: true, workerData: data });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type: string; error?: WireError }): void => {
        if (message.type === "ready") done(undefined);
        else if (message.type === "fatal") done(fromWire(message.error ?? { message: "the runner failed to start" }));
      };
      const onError = (error: Error): void => done(error);
      const onExit = (code: number): void => done(new Error(`the runner thread exited (code ${code}) while starting`));
      const done = (error: Error | undefined): void => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        if (error) {
          void worker.terminate();
          reject(error);
        } else resolve();
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
    });
    return new ThreadRunner(worker);
  }

  private call<T>(method: string, args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.stopping) return Promise.reject(new EngineError("validation", "the service is stopping"));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ type: "call", id, method, args }, transfer);
    });
  }

  registerCampaign(campaign: { id: string; name?: string; manifest: Record<string, unknown>; watchDir: string | null }): Promise<CampaignRecord> {
    return this.call("registerCampaign", [{ id: campaign.id, manifest: campaign.manifest, watchDir: campaign.watchDir }]);
  }

  ingest(campaignId: string, relPath: string, bytes: Uint8Array, options: IngestOptions = {}): Promise<IngestResult> {
    // a private copy is moved to the worker rather than cloned (the request's buffer may share a pool)
    const copy = new Uint8Array(bytes);
    return this.call("ingest", [campaignId, relPath, copy, options], [copy.buffer]);
  }

  ingestState(campaignId: string): Promise<IngestStateView> {
    return this.call("ingestState", [campaignId]);
  }

  /** Follow a folder for a campaign (registered from its campaign.json when that appears). */
  watch(campaignId: string, dir: string): Promise<void> {
    return this.call("watch", [campaignId, dir]);
  }

  /** Stop the runner (an update in progress finishes) and its store connection, then the thread. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.failure) return;
      const stopped = new Promise<void>((resolve) => {
        const onMessage = (message: { type: string }): void => {
          if (message.type === "stopped") resolve();
        };
        this.worker.on("message", onMessage);
        this.worker.once("exit", () => resolve());
      });
      this.worker.postMessage({ type: "stop" });
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref());
      await Promise.race([stopped, timeout]);
      await this.worker.terminate();
    })();
    return this.stopping;
  }
}
