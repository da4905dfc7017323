/**
 * `strata serve --store postgres://… --queue redis://…` with a `strata worker` (real processes,
 * a redis-server and a PostgreSQL schema of the test's own): a watched campaign gets its live
 * updates in the service and, once quiet, its full run as a queue job. The service is SIGKILLed
 * while that job runs on the worker and started again: the job is still tracked (the restarted
 * service adds the same job id and gathers its result), the full diagnosis is stored, the job
 * has exactly one result row, and `GET /api/jobs` shows it done with its campaign.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { launchBrowser } from "../report/browser.ts";
import { PgSchema, RedisServer, WorkerProcess, bin, smallScenario, until } from "./queueHarness.ts";

/** Seconds of quiet before the full run (`--full-after`). */
const FULL_AFTER_S = 2;
/** How long the whole run may take on a loaded 2-core machine (ms). */
const RUN_TIMEOUT_MS = 180_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-queue-service-"));
const schema = new PgSchema();
let redis: RedisServer;
let worker: WorkerProcess;
let service: ChildProcess | undefined;
let secret = "";

/** Start `strata serve --queue`; resolves with its base URL (from its one stdout line). */
async function startService(dataDir: string, watchDir: string): Promise<string> {
  const child = spawn(process.execPath, [bin, "serve", "--data", dataDir, "--port", "0", "--store", schema.url, "--queue", redis.url, "--full-after", String(FULL_AFTER_S), "--watch", `ex=${watchDir}`], { stdio: ["ignore", "pipe", "pipe"] });
  service = child;
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`strata serve exited ${code}: ${stderr.slice(-400)}`)));
  });
  expect(line).toMatch(/store postgres, queue\)$/);
  return /^strata serve: (http:\/\/\S+)\/ /.exec(line)![1];
}

beforeAll(async () => {
  await schema.check();
  redis = await RedisServer.start();
  worker = new WorkerProcess(redis.url, schema.url, { lockMs: 3000 });
  await worker.ready();
});

afterAll(async () => {
  service?.kill("SIGKILL");
  await worker?.kill("SIGKILL");
  await redis?.destroy();
  await schema.drop().catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("strata serve --queue", () => {
  it("runs the full diagnosis on a worker and keeps tracking it across a SIGKILL of the service", async () => {
    const watchDir = path.join(tmp, "watch");
    simulateCampaign(smallScenario(7), watchDir);
    const dataDir = path.join(tmp, "data");
    secret = execFileSync(process.execPath, [bin, "serve", "token", "create", "--data", dataDir, "--store", schema.url, "--scope", "read"], { encoding: "utf8" }).trim();
    let base = await startService(dataDir, watchDir);
    const get = async (url: string): Promise<Response> => fetch(base + url, { headers: { authorization: `Bearer ${secret}` } });
    // the full run's job starts on the worker
    await until("the full run's job to start on the worker", async () => (await schema.query<{ n: string }>("SELECT count(*) AS n FROM queue_runs WHERE outcome = 'started'").catch(() => [{ n: "0" }]))[0].n !== "0", RUN_TIMEOUT_MS, 100);
    const listed = (await (await get("/api/jobs")).json()) as { queue: boolean; jobs: { kind: string; state: string; campaignId: string | null }[] };
    expect(listed.queue).toBe(true);
    expect(listed.jobs.some((j) => j.kind === "full" && j.campaignId === "ex")).toBe(true);
    // the service dies while the worker computes; started again, it still tracks the job
    service!.kill("SIGKILL");
    await new Promise((r) => service!.once("exit", r));
    base = await startService(dataDir, watchDir);
    await until(
      "the full diagnosis",
      async () => (await get("/api/campaigns/ex/diagnosis?kind=full")).status === 200,
      RUN_TIMEOUT_MS,
      250,
    );
    const full = (await (await get("/api/campaigns/ex/diagnosis?kind=full")).json()) as Record<string, unknown>;
    const rows = await schema.query<{ job_id: string; input: string; result: { document: Record<string, unknown> } }>("SELECT job_id, input, result FROM queue_results WHERE kind = 'full'");
    if (rows.length !== 1) {
      for (const r of rows) console.log(r.job_id, (await schema.query<{ bytes: Buffer }>("SELECT bytes FROM queue_blobs WHERE sha256 = $1", [r.input]))[0].bytes.toString());
    }
    expect(rows).toHaveLength(1);
    // the stored full diagnosis is the worker's document (the service adds what it was computed from)
    const { inputs: _inputs, ...fromService } = full;
    expect(fromService).toEqual(rows[0].result.document);
    const stored = (await schema.query<{ n: string }>("SELECT count(*) AS n FROM queue_runs WHERE job_id = $1 AND outcome = 'stored'", [rows[0].job_id]))[0].n;
    expect(stored).toBe("1");
    const after = (await (await get("/api/jobs")).json()) as { jobs: { id: string; state: string; campaignId: string | null }[] };
    expect(after.jobs.find((j) => j.id === rows[0].job_id)).toMatchObject({ state: "done", campaignId: "ex" });
    // the live page's job table shows it (a real browser)
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${base}/?access_token=${secret}`);
      const row = page.locator('section[data-panel="jobs"] tr[data-state="done"]');
      await row.first().waitFor({ timeout: 20_000 });
      expect(await row.first().innerText()).toMatch(/^full\s+ex\s+done\s+1\b/);
    } finally {
      await browser.close();
    }
  }, RUN_TIMEOUT_MS * 2);
});
