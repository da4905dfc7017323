/**
 * core/worker's task pool: tasks spread over the calling thread and workers come back in
 * order and equal to the calling thread's own results; a worker's error or exit is one
 * line. Real worker threads started from a module written here (bundled by esbuild).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTasks } from "./worker.ts";

/** A task that takes a few ms: the sum of sin(k·x) over a range. */
function work(task: { x: number; n: number }): { x: number; sum: number; thread: string } {
  let sum = 0;
  for (let k = 1; k <= task.n; k++) sum += Math.sin(k * task.x);
  return { x: task.x, sum, thread: "main" };
}

describe("runTasks", () => {
  let dir: string;
  let entry: URL;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "strata-tasks-"));
    const workerModule = path.join(path.dirname(fileURLToPath(import.meta.url)), "worker.ts");
    const file = path.join(dir, "taskWorker.ts");
    await writeFile(
      file,
      [
        `import { serveTasks } from ${JSON.stringify(workerModule)};`,
        "await serveTasks((task: { x: number; n: number }) => {",
        "  if (task.x < 0) throw new Error('negative x\\nsecond line');",
        "  if (task.n === 0) process.exit(4);",
        "  let sum = 0;",
        "  for (let k = 1; k <= task.n; k++) sum += Math.sin(k * task.x);",
        "  return { x: task.x, sum, thread: 'worker' };",
        "});",
      ].join("\n"),
    );
    entry = pathToFileURL(file);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns every task's result in order, the same on 1 and 2 threads, with the worker taking part", async () => {
    const tasks = Array.from({ length: 12 }, (_, i) => ({ x: 0.1 + i / 7, n: 200_000 }));
    const one = await runTasks({ entry, tasks, threads: 1, local: work, label: "sum" });
    const two = await runTasks({ entry, tasks, threads: 2, local: work, label: "sum" });
    expect(two.map((r) => [r.x, r.sum])).toEqual(one.map((r) => [r.x, r.sum]));
    expect(one.every((r) => r.thread === "main")).toBe(true);
    expect(two.some((r) => r.thread === "worker")).toBe(true);
  });

  it("fails with one line when a worker throws or exits", async () => {
    const slow = (task: { x: number; n: number }): ReturnType<typeof work> => work({ ...task, n: 2_000_000 });
    // static lanes: task 1 is the worker's (task i runs on thread i mod 2, 0 being this one)
    await expect(runTasks({ entry, tasks: [{ x: 1, n: 10 }, { x: -1, n: 10 }], threads: 2, local: slow, label: "sum" })).rejects.toThrow(/^sum 1 in a worker thread failed: negative x second line$/);
    await expect(runTasks({ entry, tasks: [{ x: 1, n: 10 }, { x: 1, n: 0 }], threads: 2, local: slow, label: "sum" })).rejects.toThrow(/exited \(code 4\)/);
  });
});
