/**
 * Issue 20's throughput acceptance: 24 simulated single-cell campaigns (6 scans each,
 * test/service-long/queueHarness's small scenario, seeds 1–24) diagnosed through the job queue —
 * `strata diagnose FOLDER --queue` (a real process) against a redis-server of its own and
 * PostgreSQL — with 1 worker, then with 2 (`strata worker` processes, concurrency 1 each, a
 * fresh schema each time so that no result is reused), and in process for reference. Reports the
 * wall times, the ratio 2 workers / 1 worker (target ≤ 0.6) and whether every queued result
 * equals the in-process one (same seed → same numbers, wall-clock fields aside).
 *
 *   npm run build && node --import tsx bench/queue.ts [--campaigns 24] [--repeat N] [--json] [--out bench/queue-results.json]
 *
 * `--repeat N` runs N (1 worker, 2 workers) pairs alternately and reports the median pair.
 *
 * A benchmark on 2 cores: run it idle; it records `uptime` before and after.
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { canonicalJson, comparable } from "../src/service/queue.ts";
import { PgSchema, RedisServer, SMALL_DIAGNOSIS_FLAGS, WorkerProcess, bin, diagnoseInProcess, simulateCampaigns } from "../test/service-long/queueHarness.ts";

export interface QueueBenchResult {
  campaigns: number;
  /** wall seconds, enqueue to last result gathered */
  oneWorker_s: number;
  twoWorkers_s: number;
  ratio: number;
  /** with --repeat N: every (1 worker, 2 workers) pair in the order run, alternating, with the load before each pair */
  pairs: { oneWorker_s: number; twoWorkers_s: number; ratio: number; loadavg1: number }[];
  /** the 24 diagnoses one after another, `strata diagnose` each (the reference) */
  inProcess_s: number;
  /** every queued result equals the in-process one */
  equal: boolean;
  mismatches: string[];
  uptimeBefore: string;
  uptimeAfter: string;
  cpus: number;
  date: string;
}


function uptime(): string {
  try {
    return execFileSync("uptime", { encoding: "utf8" }).trim();
  } catch {
    return `loadavg ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`;
  }
}

/** `strata diagnose ROOT --queue` with `workers` workers; returns the wall time and the results by folder name. */
async function queued(root: string, redis: RedisServer, workers: number, out: string, log: (line: string) => void): Promise<{ seconds: number; results: Map<string, unknown> }> {
  const schema = new PgSchema();
  const procs = Array.from({ length: workers }, () => new WorkerProcess(redis.url, schema.url));
  try {
    await Promise.all(procs.map((p) => p.ready()));
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, "diagnose", root, "--queue", redis.url, "--store", schema.url, "--out", out, ...SMALL_DIAGNOSIS_FLAGS], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        for (const line of d.toString().split("\n")) if (line.trim()) log(`  ${line.trim()}`);
      });
      child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`strata diagnose --queue exited ${code}: ${stderr.slice(-400)}`))));
    });
    const seconds = (Date.now() - started) / 1000;
    const results = new Map<string, unknown>();
    for (const name of fs.readdirSync(out)) {
      const file = path.join(out, name, "diagnosis.json");
      if (fs.existsSync(file)) results.set(name, JSON.parse(fs.readFileSync(file, "utf8")));
    }
    return { seconds, results };
  } finally {
    await Promise.all(procs.map((p) => p.kill("SIGTERM")));
    await schema.drop().catch(() => undefined);
  }
}

export async function measureQueueThroughput(options: { campaigns?: number; repeat?: number; log?: (line: string) => void } = {}): Promise<QueueBenchResult> {
  const n = options.campaigns ?? 24;
  const log = options.log ?? (() => undefined);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-queue-bench-"));
  const redis = await RedisServer.start();
  const uptimeBefore = uptime();
  try {
    await new PgSchema().check();
    const root = path.join(tmp, "campaigns");
    const folders = simulateCampaigns(root, n);
    log(`${n} campaigns simulated; ${uptimeBefore}`);
    // pairs run alternately, so that load drifting on a shared machine falls on both sides; the median pair is reported
    const pairs: QueueBenchResult["pairs"] = [];
    let one = { seconds: 0, results: new Map<string, unknown>() };
    let two = one;
    for (let k = 0; k < (options.repeat ?? 1); k++) {
      const loadavg1 = os.loadavg()[0];
      one = await queued(root, redis, 1, path.join(tmp, `out1-${k}`), log);
      log(`1 worker: ${one.seconds.toFixed(1)} s`);
      two = await queued(root, redis, 2, path.join(tmp, `out2-${k}`), log);
      log(`2 workers: ${two.seconds.toFixed(1)} s (ratio ${(two.seconds / one.seconds).toFixed(2)})`);
      pairs.push({ oneWorker_s: one.seconds, twoWorkers_s: two.seconds, ratio: two.seconds / one.seconds, loadavg1 });
    }
    const median = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor((pairs.length - 1) / 2)];
    const started = Date.now();
    const mismatches: string[] = [];
    for (const folder of folders) {
      const name = path.basename(folder);
      const reference = canonicalJson(comparable(await diagnoseInProcess(folder)));
      for (const [label, run] of [["1 worker", one], ["2 workers", two]] as const) {
        const got = run.results.get(name);
        if (got === undefined || canonicalJson(comparable(got)) !== reference) mismatches.push(`${name} (${label})`);
      }
    }
    const inProcess_s = (Date.now() - started) / 1000;
    log(`in process: ${inProcess_s.toFixed(1)} s; ${mismatches.length === 0 ? "all results equal" : `differ: ${mismatches.join(", ")}`}`);
    return {
      campaigns: n,
      oneWorker_s: median.oneWorker_s,
      twoWorkers_s: median.twoWorkers_s,
      ratio: median.ratio,
      pairs,
      inProcess_s,
      equal: mismatches.length === 0,
      mismatches,
      uptimeBefore,
      uptimeAfter: uptime(),
      cpus: os.cpus().length,
      date: new Date().toISOString(),
    };
  } finally {
    await redis.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const result = await measureQueueThroughput({ campaigns: Number(value("--campaigns") ?? 24), repeat: Number(value("--repeat") ?? 1), log: (line) => process.stderr.write(`${line}\n`) });
  const out = value("--out");
  if (out) fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  if (args.includes("--json")) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`queue: ${result.campaigns} campaigns, 1 worker ${result.oneWorker_s.toFixed(1)} s, 2 workers ${result.twoWorkers_s.toFixed(1)} s, ratio ${result.ratio.toFixed(2)} (target ≤ 0.6); results ${result.equal ? "equal" : "DIFFER"}; ${result.uptimeAfter}\n`);
}
