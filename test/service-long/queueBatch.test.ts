/**
 * Issue 20's batch commands beyond the diagnosis, as real processes: a redis-server of the test's
 * own, PostgreSQL in a schema of its own, one `strata worker` (bin/strata.js) whose job thread is
 * reused from job to job.
 * - `strata simulate SCENARIO --seeds 1-3 --queue`: each seed's folder is byte for byte what
 *   `strata simulate --seed N` writes in process.
 * - `strata fit P1 P2 --queue`: two real-data problems (the SNS example, whose data lie in a
 *   sibling folder, and one of its per-state problems) come back equal to `strata fit --json` in
 *   process (wall-clock fields aside), after the worker has run other jobs.
 * - a problem naming a missing data file is refused before anything is queued: one line, exit 2.
 * Physics: none here (the fits' agreement with the authors is test/realdata); this checks that the
 * queue changes nothing.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, comparable } from "../../src/service/queue.ts";
import { repoRoot } from "../paths.ts";
import { PgSchema, RedisServer, WorkerProcess, bin } from "./queueHarness.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-queue-batch-"));
let redis: RedisServer;
const schema = new PgSchema();
let worker: WorkerProcess;

function strata(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, STRATA_STORE: schema.url } }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Every file under `dir`, relative, with its bytes. */
function tree(dir: string, prefix = ""): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) for (const [k, v] of tree(dir, rel)) files.set(k, v);
    else files.set(rel, fs.readFileSync(path.join(dir, rel)));
  }
  return files;
}

beforeAll(async () => {
  await schema.check();
  redis = await RedisServer.start();
  worker = new WorkerProcess(redis.url, schema.url);
  await worker.ready();
});

afterAll(async () => {
  await worker?.kill("SIGTERM");
  await redis?.destroy();
  await schema.drop().catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("batch commands through the queue (issue 20)", () => {
  it("the worker warms its thread up (a diagnosis of a small simulated campaign) before it says ready", () => {
    // the line comes before `ready`; a failed or unfinished warm-up would say so instead
    expect(worker.log).toMatch(/warmed up 1 thread in \d+\.\d s[\s\S]*: ready/);
  });

  it("simulate --seeds 1-3 --queue writes each seed's campaign byte for byte as simulate --seed N", async () => {
    const out = path.join(tmp, "simulated");
    const queued = await strata(["simulate", "examples/scenario.json", "--seeds", "1-3", "--queue", redis.url, "--out", out]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stdout).toMatch(/3 of 3 campaigns through the queue/);
    const summary = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8")) as { failed: number; runs: Record<string, { folder?: string }> };
    expect(summary.failed).toBe(0);
    for (const seed of [1, 2, 3]) {
      const local = path.join(tmp, `local-${seed}`);
      const run = await strata(["simulate", "examples/scenario.json", "--seed", String(seed), "--out", local]);
      expect(run.code, run.stderr).toBe(0);
      const expected = tree(local);
      const got = tree(path.join(out, `seed-${seed}`));
      expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [file, bytes] of expected) expect(got.get(file)!.equals(bytes), `seed ${seed}: ${file}`).toBe(true);
    }
  });

  it("fit P1 P2 --queue gathers each problem's result, equal to strata fit --json in process", async () => {
    const problems = ["examples/fit/PROBLEM.json", "examples/sns-cu-thf-2025/PROBLEM-ocv1.json"];
    const out = path.join(tmp, "fits");
    const queued = await strata(["fit", ...problems, "--method", "lm", "--queue", redis.url, "--out", out]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stdout).toMatch(/2 of 2 problems through the queue/);
    for (const [problem, name] of [
      [problems[0], "PROBLEM"],
      [problems[1], "PROBLEM-ocv1"],
    ] as const) {
      const local = await strata(["fit", problem, "--method", "lm", "--json"]);
      expect(local.code, local.stderr).toBe(0);
      const got = JSON.parse(fs.readFileSync(path.join(out, name, "result.json"), "utf8")) as unknown;
      expect(canonicalJson(comparable(got))).toBe(canonicalJson(comparable(JSON.parse(local.stdout))));
    }
  });

  it("a problem naming a missing data file is refused before anything is queued: one line, exit 2", async () => {
    const dir = path.join(tmp, "broken");
    fs.mkdirSync(dir, { recursive: true });
    const problem = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples/fit/PROBLEM.json"), "utf8")) as { datasets: { file: string }[] };
    problem.datasets[0].file = "missing.ort";
    fs.writeFileSync(path.join(dir, "PROBLEM.json"), JSON.stringify(problem));
    const run = await strata(["fit", path.join(dir, "PROBLEM.json"), "--queue", redis.url, "--out", path.join(tmp, "never")]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/datasets\[0\]\.file missing\.ort: not found/);
  });
});
