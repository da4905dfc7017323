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
 * atomic block counter, as the workers do. "2 threads" means the calling thread and one
 * worker. Workers block in Atomics.wait between batches (after spinning briefly, since the
 * next batch usually follows within microseconds); the calling thread never blocks.
 *
 * A worker computes a block into its own memory and commits it with a compare-and-swap on
 * the block's state word (tagged with the generation), then copies it. When the calling
 * thread has run out of blocks and a worker's block is still not committed after about
 * twice the time a block takes, the calling thread computes that block itself and marks it
 * done (whoever commits first wins; both computed the same numbers). So a worker that is
 * descheduled on a busy machine, slow to wake, hung or dead costs at most that grace time:
 * a run on 2 threads is not slower than on 1 by more than the signalling. A worker that is
 * late commits nothing into a newer batch (its compare-and-swap fails).
 *
 * Which thread evaluates which point does not change any result, so a run is identical
 * for every thread count (given that the workers' objectives compute what the caller's does).
 * A worker's exception is a one-line error of the batch; a worker that exits fails the run
 * at the next yield to the event loop (at least every {@link YIELD_EVERY_MS} ms).
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
  count: 32,
  block: 33,
  p: 34,
  /** 1 when a worker failed; the message is in the error bytes. */
  error: 35,
  errorLength: 36,
  /** Slots in all (each hot word on its own 64-byte line). */
  size: 48,
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
/** Block state (low 2 bits of the state word; the high bits hold the generation): a worker is copying its results. */
export const COMMITTING = 3;
/** Block state: the block's results are in place. */
export const DONE = 2;

/** The state word of a block in `generation` (see {@link DONE}, {@link COMMITTING}). */
export function blockState(generation: number, state: number): number {
  return (generation << 2) | state;
}

/**
 * Claims blocks of generation `generation` until none is left, running `run(index, begin, end)`
 * on each (points [begin, end)). Returns how many blocks this thread claimed.
 */
export function claimBlocks(control: Int32Array, generation: number, run: (index: number, begin: number, end: number) => void, lane = 0, lanes = 0): number {
  const count = control[CONTROL.count];
  const block = control[CONTROL.block];
  const blocks = Math.ceil(count / block);
  const tag = generation << 16;
  let ran = 0;
  if (lanes > 0) {
    // static lanes: this thread's blocks only, while the batch is open
    for (let index = lane; index < blocks; index += lanes) {
      if ((Atomics.load(control, CONTROL.next) & ~0xffff) !== tag) return ran;
      const begin = index * block;
      run(index, begin, Math.min(count, begin + block));
      ran++;
    }
    return ran;
  }
  for (;;) {
    const word = Atomics.load(control, CONTROL.next);
    if ((word & ~0xffff) !== tag) return ran;
    const index = word & 0xffff;
    if (index >= blocks) return ran;
    if (Atomics.compareExchange(control, CONTROL.next, word, word + 1) !== word) continue;
    const begin = index * block;
    run(index, begin, Math.min(count, begin + block));
    ran++;
  }
}

/**
 * A worker's commit of block `index` of `generation`: true when this worker may copy its
 * results (the state is then COMMITTING; set DONE after copying), false when the calling
 * thread already did the block or the batch is over.
 */
export function beginCommit(control: Int32Array, states: Int32Array, generation: number, index: number): boolean {
  for (;;) {
    const state = Atomics.load(states, index);
    if (state === blockState(generation, DONE)) return false;
    // a state of this batch or older: the batch is still running only while the generation is ours
    if (Atomics.load(control, CONTROL.generation) !== generation) return false;
    if (Atomics.compareExchange(states, index, state, blockState(generation, COMMITTING)) === state) return true;
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
  /** One state word per block (Int32). */
  readonly states: SharedArrayBuffer;
  readonly positions: SharedArrayBuffer;
  readonly results: SharedArrayBuffer;
  /** How long a worker spins for the next batch before it blocks in Atomics.wait (ms). */
  readonly spinMs: number;
  /** With static lanes: this worker's lane (1…lanes−1; the calling thread is lane 0) and the lane count; 0 = claim blocks dynamically. */
  readonly lane: number;
  readonly lanes: number;
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
  /** The calling thread takes over a worker's unfinished block after this many times the time a block takes (its own blocks' mean). @default 2 */
  readonly stealAfter?: number;
  /**
   * Static lanes: block i is computed by thread i mod threads (0 = the calling thread), and
   * the calling thread takes a worker's block over only after {@link STATIC_STEAL_MS}. Which
   * thread computes a point then never depends on timing, so a run is repeatable even when an
   * objective's numbers depend on what its thread evaluated before (the smearing plan cache
   * makes a smeared curve differ ~1e-6 relative between threads). @default false
   */
  readonly staticLanes?: boolean;
  /**
   * How long a worker spins for the next batch before blocking (ms). Long enough for the
   * calling thread's work between batches (acceptance and proposals: microseconds); short,
   * so that a worker whose calling thread was descheduled on a busy machine sleeps instead
   * of taking CPU from it. @default 0.2
   */
  readonly spinMs?: number;
  /** Label of error messages (the algorithm using the pool). @default "worker" */
  readonly label?: string;
}

/**
 * Shortest wait before the calling thread takes over a worker's block (ms). A worker
 * spinning for the batch claims within a microsecond; one that has not committed a
 * single-point block this long after the calling thread ran out of work is most likely
 * descheduled (a busy machine) or still waking from Atomics.wait.
 */
const STEAL_MIN_MS = 0.05;
/** With static lanes, a worker's block is taken over only after this long (ms): a hung or long-descheduled worker, not a slow one. */
export const STATIC_STEAL_MS = 2000;
/** Default of {@link SharedEvaluatorOptions.stealAfter}. */
const DEFAULT_STEAL_AFTER = 2;
/** The calling thread yields to its event loop at least this often while batches run (ms). */
export const YIELD_EVERY_MS = 50;
/** Default worker spin before blocking (ms); on a machine loaded 8 on 2 cores, 2 ms of spinning halved the 2-thread rate. */
const DEFAULT_SPIN_MS = 0.2;
/** Block sizes are chosen so that every thread gets at least this many blocks of a batch. */
const BLOCKS_PER_THREAD = 32;

/**
 * Points per block for a batch of `count` points over `threads` threads: small enough
 * that each thread gets ≥ 32 blocks (the last block of each thread is what the others may
 * wait for), at least 1. Claiming a block costs one atomic compare-and-swap (≈ 0.1 µs),
 * so single-point blocks pay even for a 10-µs likelihood: the signalling is per batch
 * (one store and notify), not per block.
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

/** What the calling thread did in the batches so far (for benchmarks and tests). */
export interface SharedEvaluatorStats {
  readonly batches: number;
  /** Points evaluated by the calling thread, its own blocks and those it took over. */
  readonly localPoints: number;
  /** Workers' blocks the calling thread took over. */
  readonly stolenBlocks: number;
}

/**
 * Evaluates batches of points on the calling thread and `threads − 1` workers (see the
 * module comment). Write a batch's points into {@link positions}, call {@link evaluate},
 * read its result. Create once per run, {@link close} at its end.
 */
export class SharedEvaluator {
  /** capacity × p points of the next batch, row-major (shared with the workers). */
  readonly positions: Float64Array;
  /** Results of the last batch (shared with the workers). */
  readonly results: Float64Array;
  private readonly control: Int32Array;
  private readonly states: Int32Array;
  private readonly errorText: Uint8Array;
  private generation = 0;
  private failure: WorkerFailure | undefined;
  private closed = false;
  private lastYield = performance.now();
  private readonly theta: Float64Array;
  private counts = { batches: 0, localPoints: 0, stolenBlocks: 0 };

  private constructor(
    private readonly workers: Worker[],
    buffers: { control: SharedArrayBuffer; errorText: SharedArrayBuffer; states: SharedArrayBuffer; positions: SharedArrayBuffer; results: SharedArrayBuffer },
    readonly p: number,
    readonly capacity: number,
    readonly threads: number,
    private readonly block: number | undefined,
    private readonly stealAfter: number,
    private readonly label: string,
    private readonly staticLanes: boolean = false,
  ) {
    this.control = new Int32Array(buffers.control);
    this.states = new Int32Array(buffers.states);
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

  /** Batches run, and the calling thread's share of them. */
  get stats(): SharedEvaluatorStats {
    return { ...this.counts };
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
    const stealAfter = options.stealAfter ?? DEFAULT_STEAL_AFTER;
    if (!(stealAfter >= 0)) throw new ValidationError("stealAfter", "must be ≥ 0", stealAfter);
    const label = options.label ?? "worker";
    const buffers = {
      control: new SharedArrayBuffer(CONTROL.size * 4),
      errorText: new SharedArrayBuffer(ERROR_BYTES),
      states: new SharedArrayBuffer(Math.min(capacity, MAX_BLOCKS) * 4),
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
      lane: 0,
      lanes: 0,
    };
    const bootstrap = workerBootstrap(siblingModule(import.meta.url, "./mcmcWorker"));
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < threads - 1; i++) {
      const worker = new Worker(bootstrap, { eval: true, workerData: { ...data, lane: options.staticLanes ? i + 1 : 0, lanes: options.staticLanes ? threads : 0 } });
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
    return new SharedEvaluator(workers, buffers, p, capacity, threads, options.block, stealAfter, label, options.staticLanes ?? false);
  }

  /**
   * Evaluates the first `count` points of {@link positions}: the workers with their own
   * objectives, this thread with `local` (given a private copy of each point). Returns
   * results[0, count).
   * @throws {WorkerFailure} when a worker threw or exited
   */
  async evaluate(count: number, local: (theta: Float64Array) => number): Promise<Float64Array> {
    this.throwIfFailed();
    if (this.closed) throw new WorkerFailure(`${this.label}: the pool is closed`);
    if (!Number.isInteger(count) || count < 1 || count > this.capacity) throw new ValidationError("count", `must be an integer in [1, ${this.capacity}]`, count);
    const { control, states, p, theta, results, positions } = this;
    const block = Math.max(this.block ?? defaultBlock(count, this.threads), Math.ceil(count / MAX_BLOCKS));
    const blocks = Math.ceil(count / block);
    this.generation = (this.generation % (GENERATION_MODULUS - 1)) + 1;
    const generation = this.generation;
    const done = blockState(generation, DONE);
    control[CONTROL.count] = count;
    control[CONTROL.block] = block;
    control[CONTROL.p] = p;
    Atomics.store(control, CONTROL.next, generation << 16);
    Atomics.store(control, CONTROL.generation, generation);
    Atomics.notify(control, CONTROL.generation);
    const compute = (begin: number, end: number): void => {
      for (let k = begin; k < end; k++) {
        for (let j = 0; j < p; j++) theta[j] = positions[k * p + j];
        results[k] = local(theta);
      }
      this.counts.localPoints += end - begin;
    };
    const started = performance.now();
    let ownPoints = 0;
    try {
      claimBlocks(
        control,
        generation,
        (index, begin, end) => {
          compute(begin, end);
          ownPoints += end - begin;
          Atomics.store(states, index, done);
        },
        0,
        this.staticLanes ? this.threads : 0,
      );
      // the workers' blocks: wait about two block times, then take over what is still not done
      const finished = performance.now();
      const blockMs = ownPoints > 0 ? ((finished - started) / ownPoints) * block : 0;
      const graceMs = this.staticLanes ? STATIC_STEAL_MS : Math.max(STEAL_MIN_MS, this.stealAfter * blockMs);
      for (let index = 0; index < blocks; index++) {
        for (let spins = 1; ; spins++) {
          const state = Atomics.load(states, index);
          if (state === done) break;
          if ((state & 3) === COMMITTING && state >>> 2 === generation) continue;
          if ((spins & 63) !== 0 || performance.now() - finished < graceMs) continue;
          const begin = index * block;
          compute(begin, Math.min(count, begin + block));
          if (Atomics.compareExchange(states, index, state, done) === state) {
            this.counts.stolenBlocks++;
            break;
          }
        }
      }
    } finally {
      Atomics.store(control, CONTROL.next, CLOSED);
    }
    this.counts.batches++;
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
