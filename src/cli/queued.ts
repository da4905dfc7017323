/**
 * @module cli/queued
 * The batch side of `--queue` (service/queueClient): `strata diagnose --queue` over a folder of
 * campaigns and `strata twin --seeds A-B --queue` fan their jobs out to `strata worker`s and
 * gather the results into OUT, with a progress line (`12/24 done, 0 failed`). `--store` (or
 * `STRATA_STORE`) names the shared PostgreSQL store the workers read inputs from and write
 * results to. Units: s for the elapsed time.
 */
import fs from "node:fs";
import path from "node:path";
import type { JobData } from "../service/queue.ts";
import { progressBar } from "./progress.ts";
import { UsageError } from "./output.ts";

/** The shared store of a queued run: `--store` or `STRATA_STORE`. */
export function queueStoreOf(store: string | undefined): string {
  const url = store ?? process.env["STRATA_STORE"];
  if (!url) throw new UsageError("--store: --queue needs the shared store the workers use (postgres://…), or set STRATA_STORE");
  return url;
}

/** The campaigns of a folder: itself when it has campaign.json, else its sub-folders that have one (sorted). */
export function campaignFolders(dir: string): string[] {
  if (fs.existsSync(path.join(dir, "campaign.json"))) return [dir];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    throw new UsageError(`${dir}: not a folder`);
  }
  const found = entries
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, "campaign.json")))
    .map((e) => path.join(dir, e.name))
    .sort();
  if (found.length === 0) throw new UsageError(`${dir}: no campaign.json in it nor in its sub-folders`);
  return found;
}

/** `A-B` or `N` as the seeds A…B. */
export function seedRange(text: string): number[] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--seeds ${text}: expected N or A-B (e.g. 1-200)`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (b < a) throw new UsageError(`--seeds ${text}: the range ends before it starts`);
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/**
 * Add the jobs (inputs made by `prepare`, in order), wait for all with a progress line, and
 * hand each result (or error) to `each`; returns how many failed and the wall time.
 */
export async function fanOut<T>(
  options: { queue: string; store: string; title: string },
  items: readonly T[],
  prepare: (client: import("../service/queueClient.ts").QueueClient, item: T) => Promise<JobData>,
  each: (item: T, outcome: PromiseSettledResult<Record<string, unknown>>) => void,
): Promise<{ failed: number; seconds: number }> {
  const { QueueClient } = await import("../service/queueClient.ts");
  const client = new QueueClient({ queue: options.queue, store: options.store });
  const started = Date.now();
  try {
    const bar = progressBar(options.title);
    // each job is added as soon as its input is stored: workers start while the rest upload
    const outcomes = await client.pipeline(items, (item) => prepare(client, item), (done, failed, total) => bar.update((done + failed) / total, `${done}/${total} done, ${failed} failed`));
    bar.done();
    outcomes.forEach((o, i) => each(items[i], o));
    return { failed: outcomes.filter((o) => o.status === "rejected").length, seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.close();
  }
}
