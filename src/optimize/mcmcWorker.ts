/**
 * @module optimize/mcmcWorker
 * Worker-thread entry of {@link SharedEvaluator} (optimize/sharedPool), used by
 * {@link ensembleSamplerAsync} and {@link differentialEvolutionAsync}. It rebuilds the
 * objective once from `workerData` — `(await import(module))[export](spec)` — reports
 * `{ ready, names }`, then serves batches through shared memory until told to stop:
 * it waits for a new batch generation (spinning `spinMs`, then Atomics.wait), claims
 * blocks of points, computes each point's log posterior (or χ², or −log posterior) into
 * its own memory and commits the block (compare-and-swap on the block's state word, copy,
 * mark done) unless the calling thread has taken it over meanwhile. An exception is
 * written into the shared error text; the block is left for the calling thread.
 * Not meant to be imported. No units.
 */

import { parentPort, workerData } from "node:worker_threads";
import { FitAbortedError } from "../core/errors.ts";
import type { FitObjective } from "./objective.ts";
import { CONTROL, DONE, ERROR_BYTES, STOP, beginCommit, blockState, claimBlocks, type PoolWorkerData } from "./sharedPool.ts";

/** Longest single Atomics.wait between checks of the generation (ms). */
const WAIT_SLICE_MS = 1000;
/**
 * Until the first batch arrives, the worker evaluates the objective at its initial point,
 * for up to this long (ms) or {@link WARMUP_CALLS} times, so that its code is compiled: a
 * cold worker computes its first batches several times slower than the warm calling
 * thread, which then takes its blocks over (wasted work). After `ready`, so that an
 * objective that hangs there cannot hang the start.
 */
const WARMUP_MS = 150;
const WARMUP_CALLS = 2000;

function isObjective(value: unknown): value is FitObjective {
  return (
    typeof value === "object" &&
    value !== null &&
    Array.isArray((value as FitObjective).names) &&
    typeof (value as FitObjective).logPosterior === "function"
  );
}

/** The function of a point this worker computes. */
function evaluator(objective: FitObjective, kind: PoolWorkerData["kind"]): (theta: Float64Array) => number {
  if (kind === "logPosterior") return (theta) => objective.logPosterior(theta);
  const guarded = (f: (theta: Float64Array) => number) => (theta: Float64Array) => {
    try {
      return f(theta);
    } catch (error) {
      if (error instanceof FitAbortedError && error.reason === "nan") return Number.NaN;
      throw error;
    }
  };
  if (kind === "negLogPosterior") return guarded((theta) => -objective.logPosterior(theta));
  const residuals = new Float64Array(objective.nResiduals);
  return guarded((theta) => {
    const r = objective.residuals(theta, residuals);
    let s = 0;
    for (let i = 0; i < r.length; i++) s += r[i] * r[i];
    return s;
  });
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("mcmcWorker must run in a worker thread");
  const init = workerData as PoolWorkerData;
  let objective: FitObjective;
  try {
    const mod = (await import(init.module)) as Record<string, unknown>;
    const factory = mod[init.export];
    if (typeof factory !== "function") throw new Error(`${init.module} has no exported function "${init.export}"`);
    const built: unknown = await (factory as (spec: unknown) => unknown)(init.spec);
    if (!isObjective(built)) throw new Error(`${init.export}(spec) did not return a FitObjective`);
    objective = built;
  } catch (error) {
    port.postMessage({ error: `worker could not build the objective: ${error instanceof Error ? error.message : String(error)}` });
    return;
  }
  const control = new Int32Array(init.control);
  const errorText = new Uint8Array(init.errorText);
  const positions = new Float64Array(init.positions);
  const results = new Float64Array(init.results);
  const states = new Int32Array(init.states);
  const own = new Float64Array(results.length);
  const f = evaluator(objective, init.kind);
  const p = objective.names.length;
  const theta = new Float64Array(p);
  const report = (error: unknown): void => {
    if (Atomics.load(control, CONTROL.error) !== 0) return;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const bytes = new TextEncoder().encode(message.replace(/\s*\n\s*/g, " ")).slice(0, ERROR_BYTES);
    errorText.set(bytes);
    Atomics.store(control, CONTROL.errorLength, bytes.length);
    Atomics.store(control, CONTROL.error, 1);
  };
  let generation = 0;
  const run = (index: number, begin: number, end: number): void => {
    try {
      for (let k = begin; k < end; k++) {
        for (let j = 0; j < p; j++) theta[j] = positions[k * p + j];
        own[k] = f(theta);
      }
    } catch (error) {
      report(error);
      return;
    }
    if (!beginCommit(control, states, generation, index)) return;
    results.set(own.subarray(begin, end), begin);
    Atomics.store(states, index, blockState(generation, DONE));
  };
  port.postMessage({ ready: true, names: [...objective.names] });
  let seen = Atomics.load(control, CONTROL.generation);
  const start = Float64Array.from(objective.initial());
  const warmUntil = performance.now() + WARMUP_MS;
  try {
    for (let calls = 0; calls < WARMUP_CALLS && performance.now() < warmUntil && Atomics.load(control, CONTROL.generation) === seen; calls++) f(start);
  } catch {
    // an objective that fails at its own start reports that on a real batch
  }
  for (;;) {
    // the next batch usually follows within microseconds: spin, then block
    const until = performance.now() + init.spinMs;
    generation = Atomics.load(control, CONTROL.generation);
    for (let spins = 1; generation === seen; spins++) {
      if ((spins & 255) === 0 && performance.now() > until) Atomics.wait(control, CONTROL.generation, seen, WAIT_SLICE_MS);
      generation = Atomics.load(control, CONTROL.generation);
    }
    if (generation === STOP) break;
    seen = generation;
    claimBlocks(control, generation, run, init.lane, init.lanes);
  }
  port.close();
}

await main();
