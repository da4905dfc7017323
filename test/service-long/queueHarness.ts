/**
 * Shared pieces of the queue tests and the queue bench: a redis-server of their own (random
 * free port, temporary --dir, --appendonly yes, --save ''), a PostgreSQL schema of their own,
 * small simulated single-cell campaigns, `strata worker` processes (compiled bin/strata.js) and
 * the in-process diagnosis the queued one must equal. No mocks: real Redis, PostgreSQL, processes.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { redactUrl } from "../../src/store/common.ts";
import { repoRoot } from "../paths.ts";

export const bin = path.join(repoRoot, "bin", "strata.js");
export const PG_URL = process.env.STRATA_TEST_POSTGRES ?? "postgres://strata:strata@127.0.0.1:5432/strata_test";
export const REDIS_SERVER = process.env.STRATA_REDIS_SERVER ?? "/usr/bin/redis-server";

/**
 * The diagnosis options of a queued job and of its in-process twin: two laws, a short chain,
 * one MCMC thread, no mixing targets — a campaign in a few seconds, deterministic given the seed.
 */
export const SMALL_DIAGNOSIS = { laws: ["parabolic", "linear"], seed: 1, mcmc: { threads: 1, walkers: 12, steps: 100, burn: 20, minEss: 0, tauFactor: 0 } };

/** `strata diagnose` flags equal to SMALL_DIAGNOSIS. */
export const SMALL_DIAGNOSIS_FLAGS = ["--laws", "parabolic,linear", "--seed", "1", "--threads", "1", "--walkers", "12", "--steps", "100", "--burn", "20", "--min-ess", "0", "--tau-factor", "0"];

/**
 * The diagnosis of a folder by `strata diagnose` with SMALL_DIAGNOSIS (its own process, the
 * compiled code the workers run): what a user gets without the queue. A process per campaign,
 * since a second diagnosis in one process can differ from a first in the last digits.
 */
export async function diagnoseInProcess(folder: string): Promise<Record<string, unknown>> {
  try {
    return await diagnoseOnce(folder);
  } catch {
    // once more: a concurrent `npm run build` rewriting dist/ can fail one start of the CLI
    await new Promise((r) => setTimeout(r, CLI_RETRY_MS));
    return diagnoseOnce(folder);
  }
}

/** Pause before the one retry of a reference diagnosis (ms). */
const CLI_RETRY_MS = 3000;

async function diagnoseOnce(folder: string): Promise<Record<string, unknown>> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "strata-queue-ref-"));
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, [bin, "--quiet", "diagnose", folder, "--out", out, "--force", ...SMALL_DIAGNOSIS_FLAGS], (error, _stdout, stderr) => {
        // exit 3: written but flagged untrustworthy — still the diagnosis to compare
        if (error && (error as { code?: number }).code !== 3) reject(new Error(`strata diagnose ${folder}: ${stderr.trim().split("\n").pop() ?? error.message}`));
        else resolve();
      });
    });
    return JSON.parse(fs.readFileSync(path.join(out, "diagnosis.json"), "utf8")) as Record<string, unknown>;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** A small single-cell scenario (6 scans of 60 points, no impedance): one diagnosis takes ≈ 2 s. */
export function smallScenario(seed: number, scans = 6): Record<string, unknown> {
  const scenario = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "scenario.json"), "utf8")) as Record<string, unknown>;
  delete scenario["impedance"];
  return { ...scenario, seed, scans: { ...(scenario["scans"] as object), count: scans, points: 60 } };
}

/** `count` simulated campaigns under `root` (c01, c02, …); returns their folders. */
export function simulateCampaigns(root: string, count: number, firstSeed = 1): string[] {
  return Array.from({ length: count }, (_, i) => {
    const dir = path.join(root, `c${String(i + 1).padStart(2, "0")}`);
    simulateCampaign(smallScenario(firstSeed + i), dir);
    return dir;
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own; `restart()` stops it cleanly (SIGTERM: the AOF is flushed) and starts it again on the same port and folder. */
export class RedisServer {
  private process: ChildProcess | undefined;
  readonly dir: string;
  constructor(readonly port: number) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-redis-"));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.up();
    return server;
  }

  private async up(): Promise<void> {
    if (!fs.existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER}: not found; install Debian's redis-server (scripts/system-packages.sh) or set STRATA_REDIS_SERVER`);
    const child = spawn(REDIS_SERVER, ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--appendonly", "yes", "--save", "", "--daemonize", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    this.process = child;
    let log = "";
    child.stdout.on("data", (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!/Ready to accept connections/.test(log)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start: ${log.slice(-400)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.up();
  }

  async destroy(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child && child.exitCode === null) await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A PostgreSQL schema of the test's own; its URL carries `?schema=`. */
export class PgSchema {
  readonly name = `q_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  get url(): string {
    return `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}schema=${this.name}`;
  }

  /** Fails with one clear line when PostgreSQL is not there (tests do not skip). */
  async check(): Promise<void> {
    const client = new pg.Client({ connectionString: PG_URL });
    try {
      await client.connect();
      await client.query("SELECT 1");
    } catch (error) {
      throw new Error(`PostgreSQL is not reachable at ${redactUrl(PG_URL)} (${(error as Error).message}): run scripts/services.sh or set STRATA_TEST_POSTGRES`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${this.name}` });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  async drop(): Promise<void> {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`);
    } finally {
      await client.end();
    }
  }
}

/** A `strata worker` process; its stderr is kept (`log`). */
export class WorkerProcess {
  readonly child: ChildProcess;
  log = "";
  constructor(queue: string, store: string, options: { concurrency?: number; lockMs?: number; env?: NodeJS.ProcessEnv } = {}) {
    const args = [bin, "worker", "--queue", queue, "--store", store, "--concurrency", String(options.concurrency ?? 1)];
    if (options.lockMs !== undefined) args.push("--lock-ms", String(options.lockMs));
    this.child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...options.env } });
    this.child.stderr!.on("data", (d: Buffer) => (this.log += d.toString()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves when the worker says it is ready. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!/: ready/.test(this.log)) {
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`strata worker did not start: ${this.log.slice(-400)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.kill(signal);
    });
  }
}

/** Poll until `check` is true (or throw after `timeoutMs`, naming `what`). */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
