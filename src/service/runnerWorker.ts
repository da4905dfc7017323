/**
 * @module service/runnerWorker
 * Worker-thread entry of {@link ThreadRunner} (service/threadRunner): opens the data folder and
 * its own store connection, runs the {@link Runner} (ingest, watched folders, live diagnosis)
 * there, answers the main thread's calls (`registerCampaign`, `ingest`, `ingestState`, `watch`)
 * and forwards every event the runner hands out. The live diagnosis computes for hundreds of
 * milliseconds at a time; in this thread it does not hold up the HTTP server's event loop.
 *
 * The thread lowers its own scheduling priority ({@link RUNNER_NICE}; Linux, where nice is per
 * thread and inherited by the threads it starts, such as the engine's and MCMC's workers), so the
 * HTTP thread answers promptly while a diagnosis computes on a busy machine.
 *
 * Messages in: `{type: "call", id, method, args}`, `{type: "stop"}`. Out: `{type: "ready"}`,
 * `{type: "fatal", error}`, `{type: "result", id, result | error}`, `{type: "event", event}`,
 * `{type: "stopped"}`. Errors travel as `{message, code?}`: an EngineError's code is kept so
 * the HTTP side still answers 400 with its one line.
 *
 * Units: none.
 */
import fs from "node:fs";
import os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { EngineError } from "../core/errors.ts";
import type { EventRecord } from "../store/types.ts";
import { openDataDir } from "./dataDir.ts";
import { Runner, type RunnerOptions } from "./runner.ts";

/** Nice value of the runner's thread (0 normal, 19 lowest): computing yields to answering. */
export const RUNNER_NICE = 10;

/** Lower this thread's priority (Linux: /proc/thread-self names the thread id); elsewhere nothing. */
function lowerPriority(): void {
  try {
    const tid = Number(fs.readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, Math.max(os.getPriority(tid), RUNNER_NICE));
  } catch {
    // no /proc (macOS, Windows) or not permitted: the runner keeps the normal priority
  }
}

/** What the main thread gives the worker. */
export interface RunnerWorkerData {
  dataDir: string;
  store?: string;
  options: Omit<RunnerOptions, "engine">;
}

/** An error as it crosses the thread boundary. */
export interface WireError {
  message: string;
  /** an EngineError's code (a user's error), absent for a bug */
  code?: string;
}

export function toWireError(error: unknown): WireError {
  if (error instanceof EngineError) return { message: error.message, code: error.code };
  return { message: error instanceof Error ? error.message : String(error) };
}

type Call = { type: "call"; id: number; method: "registerCampaign" | "ingest" | "ingestState" | "watch"; args: unknown[] };

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as RunnerWorkerData;
  lowerPriority();
  let runner: Runner;
  let close: () => Promise<void>;
  try {
    const opened = await openDataDir(data.dataDir, data.store === undefined ? {} : { store: data.store });
    runner = new Runner({ store: opened.store, blobs: opened.blobs, dataDir: opened.dir, options: data.options });
    runner.on("event", (event: EventRecord) => port.postMessage({ type: "event", event }));
    await runner.start();
    close = () => opened.store.close();
  } catch (error) {
    port.postMessage({ type: "fatal", error: toWireError(error) });
    return;
  }
  port.on("message", (message: Call | { type: "stop" }) => {
    if (message.type === "stop") {
      void (async () => {
        await runner.stop().catch(() => undefined);
        await close().catch(() => undefined);
        port.postMessage({ type: "stopped" });
        port.close();
      })();
      return;
    }
    const { id, method, args } = message;
    void (async () => {
      try {
        let result: unknown;
        if (method === "registerCampaign") result = await runner.registerCampaign(args[0] as Parameters<Runner["registerCampaign"]>[0]);
        else if (method === "ingest") result = await runner.ingest(args[0] as string, args[1] as string, args[2] as Uint8Array, args[3] as Parameters<Runner["ingest"]>[3]);
        else if (method === "ingestState") result = await runner.ingestState(args[0] as string);
        else runner.watch(args[0] as string, args[1] as string);
        port.postMessage({ type: "result", id, result });
      } catch (error) {
        port.postMessage({ type: "result", id, error: toWireError(error) });
      }
    })();
  });
  port.postMessage({ type: "ready" });
}

await main();
