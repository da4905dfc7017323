/**
 * @module optimize/sharedPool
 * Batches of objective evaluations spread over the calling thread and worker threads
 * through shared memory, for the ensemble sampler's half-ensembles and differential
 * evolution's trial vectors.
 *
 * The points of a batch (count × p, row-major) and their results live in
 * SharedArrayBuffers; nothing is structured-cloned per batch. A batch is cut into
 * contiguous blocks of `block` points. The calling thread publishes a batch by bumping a
 * generation counter (Atomics.store + Atomics.notify), then claims blocks itself through an
 * atomic block counter, as the workers do: a worker that is slow to wake, or a machine whose
 * other core is busy, costs only the blocks it actually claimed. "2 threads" means the
 * calling thread and one worker. Workers block in Atomics.wait between batches (after
 * spinning briefly, since the next batch usually follows within microseconds); the calling
 * thread never blocks: it spins for the short time the last claimed blocks take, then polls
 * with Atomics.waitAsync, so the event loop of a service keeps running, and it yields to the
 * event loop every {@link YIELD_EVERY_MS} ms.
 *
 * Which thread evaluates which point does not change any result, so a run is identical
 * for every thread count (given that the workers' objectives compute what the caller's does).
 * A worker's error is a one-line error of the batch; a worker that dies or a block that
 * takes longer than `timeoutMs` fails the batch instead of hanging it.
 *
 * Units: times in ms; everything else is counts.
 */

import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { EngineError, ValidationError } from "../core/errors.ts";
import { siblingModule, workerBootstrap } from "../core/worker.ts";

/** How a worker rebuilds the objective: `(await import(module))[export](spec)` must return a FitObjective (or a promise of one). */
export interface WorkerObjectiveSpec {
  /** Absolute path or file: URL of an ES module (`.ts` files need `"type": "module"` or the `.mts` extension). */
  readonly module: string;
  /** Name of the exported factory function. */
  readonly export: string;
  /** JSON-serialisable (structured-clonable) argument of the factory. */
  readonly spec: unknown;
}

/**
 * What a worker computes at a point: `logPosterior` (the sampler; NaN is returned as NaN),
 * `chi2` (Σ residuals²) or `negLogPosterior` (differential evolution; a FitAbortedError of
 * reason "nan" becomes NaN, as in the calling thread).
 */
export type EvaluationKind = "logPosterior" | "chi2" | "negLogPosterior";

/** Slots of the control array (Int32). */
export const CONTROL = {
  /** Batch generation, 1…GENERATION_MODULUS−1 (0 before the first batch); STOP ends the workers. */
  generation: 0,
  /** (generation << 16) | next unclaimed block; CLOSED between batches. */
  next: 16,
  /** Blocks finished in the current batch. */
  done: 32,
  count: 48,
  block: 49,
  p: 50,
  /** 1 when a worker failed; the message is in the error bytes. */
  error: 51,
  errorLength: 52,
  /** Slots in all (each hot counter on its own 64-byte line). */
  size: 64,
} as const;
/** Generation value that ends the workers' loops. */
export const STOP = -1;
/** Generations wrap below this (16 bits of the block counter word hold the block index). */
export const GENERATION_MODULUS = 0x7fff;
/** Block-counter value between batches: its generation field matches none. */
export const CLOSED = 0x7fff << 16;
/** Largest number of blocks in one batch. */
export const MAX_BLOCKS = 0xffff;
/** Bytes of a worker's error message kept. */
export const ERROR_BYTES = 1024;

/**
 * Claims blocks of generation `generation` until none is left, evaluating each with `run`
 * (first point, end point) and counting it done. Returns how many blocks this thread ran.
 */
export function claimBlocks(control: Int32Array, generation: number, run: (begin: number, end: number) => void): number {
  const count = control[CONTROL.count];
  const block = control[CONTROL.block];
  const blocks = Math.ceil(count / block);
  const tag = generation << 16;
  let ran = 0;
  for (;;) {
    const word = Atomics.load(control, CONTROL.next);
    if ((word & ~0xffff) !== tag) return ran;
    const index = word & 0xffff;
    if (index >= blocks) return ran;
    if (Atomics.compareExchange(control, CONTROL.next, word, word + 1) !== word) continue;
    const begin = index * block;
    try {
      run(begin, Math.min(count, begin + block));
    } finally {
      if (Atomics.add(control, CONTROL.done, 1) + 1 === blocks) Atomics.notify(control, CONTROL.done);
    }
    ran++;
  }
}

/** Data a pool worker receives (see optimize/mcmcWorker). */
export interface PoolWorkerData {
  readonly module: string;
  readonly export: string;
  readonly spec: unknown;
  readonly kind: EvaluationKind;
  readonly control: SharedArrayBuffer;
  readonly errorText: SharedArrayBuffer;
  readonly positions: SharedArrayBuffer;
  readonly results: SharedArrayBuffer;
  /** How long a worker spins for the next batch before it blocks in Atomics.wait (ms). */
  readonly spinMs: number;
}

/** Options of {@link SharedEvaluator.create}. */
export interface SharedEvaluatorOptions {
  /** Threads evaluating a batch, the calling thread included (≥ 2: threads − 1 workers are started). */
  readonly threads: number;
  readonly worker: WorkerObjectiveSpec;
  /** The calling thread's parameter names; each worker's objective must have the same. */
  readonly names: readonly string[];
  /** Most points in one batch. */
  readonly capacity: number;
  readonly kind: EvaluationKind;
  /** Points per block. @default {@link defaultBlock} */
  readonly block?: number;
  /** Longest wait for the blocks the workers claimed in one batch (ms). @default 120000 */
  readonly timeoutMs?: number;
  /** How long a worker spins for the next batch before blocking (ms). @default 2 */
  readonly spinMs?: number;
  /** Label of error messages (the algorithm using the pool). @default "worker" */
  readonly label?: string;
}

/** Atomics.waitAsync (Node ≥ 16; not yet in the TypeScript library this project targets). */
const waitAsync = (Atomics as unknown as {
  waitAsync: (this: void, array: Int32Array, index: number, value: number, timeoutMs: number) => { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** Wall time after which a waiting calling thread stops spinning and polls (ms). */
const MAIN_SPIN_MS = 5;
/** Poll interval while waiting with Atomics.waitAsync (ms): how soon a dead worker is noticed. */
const POLL_MS = 20;
/** The calling thread yields to its event loop at least this often while batches run (ms). */
export const YIELD_EVERY_MS = 50;
/** Default timeout of the workers' share of a batch (ms). */
const DEFAULT_TIMEOUT_MS = 120_000;
/** Default worker spin before blocking (ms). */
const DEFAULT_SPIN_MS = 2;
/** Block sizes are chosen so that every thread gets at least this many blocks of a batch. */
const BLOCKS_PER_THREAD = 8;

/**
 * Points per block for a batch of `count` points over `threads` threads: small enough
 * that each thread gets ≥ 8 blocks (the last blocks balance the threads' shares), at
 * least 1. Claiming a block costs one atomic compare-and-swap, so even single-point blocks
 * pay for a 25-µs likelihood; the signalling is per batch, not per block.
 */
export function defaultBlock(count: number, threads: number): number {
  return Math.max(1, Math.floor(count / (threads * BLOCKS_PER_THREAD)));
}

/** A worker error or crash, as one line. */
export class WorkerFailure extends EngineError {
  constructor(message: string) {
    super("fit-aborted", message.replace(/\s*\n\s*/g, " "));
  }
}

/**
 * Evaluates batches of points on the calling thread and `threads − 1` workers (see the
 * module comment). Write a batch's points into {@link positions}, call {@link evaluate},
 * read {@link results}. Create once per run, {@link close} at its end.
 */
export class SharedEvaluator {
  /** capacity × p points of the next batch, row-major (shared with the workers). */
  readonly positions: Float64Array;
  /** Results of the last batch (shared with the workers). */
  readonly results: Float64Array;
  private readonly control: Int32Array;
  private readonly errorText: Uint8Array;
  private generation = 0;
  private failure: WorkerFailure | undefined;
  private closed = false;
  private lastYield = performance.now();
  private readonly theta: Float64Array;

  private constructor(
    private readonly workers: Worker[],
    buffers: { control: SharedArrayBuffer; errorText: SharedArrayBuffer; positions: SharedArrayBuffer; results: SharedArrayBuffer },
    readonly p: number,
    readonly capacity: number,
    readonly threads: number,
    private readonly block: number | undefined,
    private readonly timeoutMs: number,
    private readonly label: string,
  ) {
    this.control = new Int32Array(buffers.control);
    this.errorText = new Uint8Array(buffers.errorText);
    this.positions = new Float64Array(buffers.positions);
    this.results = new Float64Array(buffers.results);
    this.theta = new Float64Array(p);
    for (const worker of workers) {
      worker.on("error", (error: Error) => this.fail(new WorkerFailure(`${label}: a worker thread failed: ${error.message}`)));
      worker.on("exit", (code: number) => {
        if (!this.closed) this.fail(new WorkerFailure(`${label}: a worker thread exited (code ${code}) during the run`));
      });
    }
  }

  /** The first failure (a method, so that checks after an await are not narrowed away). */
  private failed(): WorkerFailure | undefined {
    return this.failure;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private fail(error: WorkerFailure): WorkerFailure {
    this.failure ??= error;
    return this.failure;
  }

  /**
   * Starts the workers and waits until each has rebuilt its objective.
   * @throws {ValidationError} when a worker cannot build the objective or its names differ
   */
  static async create(options: SharedEvaluatorOptions): Promise<SharedEvaluator> {
    const { threads, capacity } = options;
    const p = options.names.length;
    if (!Number.isInteger(threads) || threads < 2) throw new ValidationError("threads", "a shared pool needs ≥ 2 threads", threads);
    if (!Number.isInteger(capacity) || capacity < 1) throw new ValidationError("capacity", "must be a positive integer", capacity);
    if (options.block !== undefined && (!Number.isInteger(options.block) || options.block < 1)) throw new ValidationError("block", "must be a positive integer", options.block);
    const label = options.label ?? "worker";
    const buffers = {
      control: new SharedArrayBuffer(CONTROL.size * 4),
      errorText: new SharedArrayBuffer(ERROR_BYTES),
      positions: new SharedArrayBuffer(capacity * p * 8),
      results: new SharedArrayBuffer(capacity * 8),
    };
    const control = new Int32Array(buffers.control);
    Atomics.store(control, CONTROL.next, CLOSED);
    const spec = options.worker;
    const moduleUrl = spec.module.startsWith("file:") ? spec.module : pathToFileURL(spec.module).href;
    const data: PoolWorkerData = {
      module: moduleUrl,
      export: spec.export,
      spec: spec.spec,
      kind: options.kind,
      ...buffers,
      spinMs: options.spinMs ?? DEFAULT_SPIN_MS,
    };
    const bootstrap = workerBootstrap(siblingModule(import.meta.url, "./mcmcWorker"));
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < threads - 1; i++) {
      const worker = new Worker(bootstrap, { eval: true, workerData: data });
      workers.push(worker);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onMessage = (msg: { ready?: boolean; names?: string[]; error?: string }): void => {
            if (msg.error !== undefined) reject(new ValidationError("worker", msg.error, spec.module));
            else if (msg.ready) {
              if (JSON.stringify(msg.names) !== JSON.stringify(options.names)) {
                reject(new ValidationError("worker.spec", "the worker's objective has different parameter names", msg.names));
              } else resolve();
            } else return;
            cleanup();
          };
          const onError = (error: Error): void => {
            cleanup();
            reject(new ValidationError("worker", `the worker thread failed while starting: ${error.message.split("\n")[0]}`, spec.module));
          };
          const onExit = (code: number): void => {
            cleanup();
            reject(new ValidationError("worker", `the worker thread exited (code ${code}) while starting`, spec.module));
          };
          const cleanup = (): void => {
            worker.off("message", onMessage);
            worker.off("error", onError);
            worker.off("exit", onExit);
          };
          worker.on("message", onMessage);
          worker.on("error", onError);
          worker.on("exit", onExit);
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      Atomics.store(control, CONTROL.generation, STOP);
      Atomics.notify(control, CONTROL.generation);
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new SharedEvaluator(workers, buffers, p, capacity, threads, options.block, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, label);
  }

  /**
   * Evaluates the first `count` points of {@link positions}: the workers with their own
   * objectives, this thread with `local` (given a private copy of each point). Returns
   * results[0, count).
   * @throws {WorkerFailure} when a worker threw, died, or its blocks took longer than the timeout
   */
  async evaluate(count: number, local: (theta: Float64Array) => number): Promise<Float64Array> {
    this.throwIfFailed();
    if (this.closed) throw new WorkerFailure(`${this.label}: the pool is closed`);
    if (!Number.isInteger(count) || count < 1 || count > this.capacity) throw new ValidationError("count", `must be an integer in [1, ${this.capacity}]`, count);
    const { control, p, theta, results, positions } = this;
    const block = Math.max(this.block ?? defaultBlock(count, this.threads), Math.ceil(count / MAX_BLOCKS));
    const blocks = Math.ceil(count / block);
    this.generation = (this.generation % (GENERATION_MODULUS - 1)) + 1;
    const generation = this.generation;
    control[CONTROL.count] = count;
    control[CONTROL.block] = block;
    control[CONTROL.p] = p;
    Atomics.store(control, CONTROL.done, 0);
    Atomics.store(control, CONTROL.next, generation << 16);
    Atomics.store(control, CONTROL.generation, generation);
    Atomics.notify(control, CONTROL.generation);
    let localError: Error | undefined;
    claimBlocks(control, generation, (begin, end) => {
      if (localError !== undefined) return;
      try {
        for (let k = begin; k < end; k++) {
          for (let j = 0; j < p; j++) theta[j] = positions[k * p + j];
          results[k] = local(theta);
        }
      } catch (error) {
        localError = error instanceof Error ? error : new Error(String(error));
      }
    });
    // the workers' last blocks: spin briefly, then poll without blocking the event loop
    const started = performance.now();
    let spins = 0;
    while (Atomics.load(control, CONTROL.done) < blocks) {
      if ((++spins & 1023) !== 0 || performance.now() - started < MAIN_SPIN_MS) continue;
      const done = Atomics.load(control, CONTROL.done);
      if (done >= blocks) break;
      const waited = waitAsync(control, CONTROL.done, done, POLL_MS);
      if (waited.async) await waited.value;
      this.lastYield = performance.now();
      if (this.failed()) break;
      if (performance.now() - started > this.timeoutMs) {
        this.fail(new WorkerFailure(`${this.label}: the worker threads did not finish a batch of ${count} points within ${this.timeoutMs} ms`));
        break;
      }
    }
    Atomics.store(control, CONTROL.next, CLOSED);
    if (localError !== undefined) throw localError;
    this.throwIfFailed();
    if (Atomics.load(control, CONTROL.error) !== 0) {
      const length = Atomics.load(control, CONTROL.errorLength);
      const text = new TextDecoder().decode(this.errorText.slice(0, length));
      throw this.fail(new WorkerFailure(`${this.label}: ${text}`));
    }
    if (performance.now() - this.lastYield > YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.lastYield = performance.now();
      this.throwIfFailed();
    }
    return results.subarray(0, count);
  }

  /** Stops and terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, CONTROL.generation, STOP);
    Atomics.notify(this.control, CONTROL.generation);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
