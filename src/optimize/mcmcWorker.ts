/**
 * @module optimize/mcmcWorker
 * Worker-thread entry for {@link ensembleSamplerAsync}. It rebuilds the
 * objective once from `workerData` — `(await import(module))[export](spec)` —
 * then answers batches: `{ id, positions, count, p }` → `{ id, logps }`, where
 * positions is count × p row-major and logps[k] = objective.logPosterior(θ_k).
 * Not meant to be imported.
 */

import { parentPort, workerData } from "node:worker_threads";
import type { FitObjective } from "./objective.ts";

interface WorkerInit {
  readonly module: string;
  readonly export: string;
  readonly spec: unknown;
}

interface Batch {
  readonly id: number;
  readonly positions: Float64Array;
  readonly count: number;
  readonly p: number;
}

function isObjective(value: unknown): value is FitObjective {
  return (
    typeof value === "object" &&
    value !== null &&
    Array.isArray((value as FitObjective).names) &&
    typeof (value as FitObjective).logPosterior === "function"
  );
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("mcmcWorker must run in a worker thread");
  const init = workerData as WorkerInit;
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
  port.on("message", (batch: Batch) => {
    const logps = new Float64Array(batch.count);
    const theta = new Float64Array(batch.p);
    try {
      for (let k = 0; k < batch.count; k++) {
        theta.set(batch.positions.subarray(k * batch.p, (k + 1) * batch.p));
        logps[k] = objective.logPosterior(theta);
      }
      port.postMessage({ id: batch.id, logps }, [logps.buffer]);
    } catch (error) {
      port.postMessage({ id: batch.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
  port.postMessage({ ready: true, names: [...objective.names] });
}

await main();
