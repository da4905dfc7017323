/**
 * @module service/queue
 * Strata's heavy work on a real job queue: BullMQ on Redis carries the jobs, PostgreSQL (the
 * shared store) carries their inputs and results, so a worker anywhere needs only the two URLs.
 *
 * - **Inputs are content-addressed**: a campaign folder becomes blobs (`queue_blobs`, keyed by
 *   SHA-256) and a bundle (`strata-bundle/1`: the sorted (path, sha256) list, itself a blob);
 *   a job carries the bundle's hash, never the campaign — Redis holds a few hundred bytes per job.
 * - **Idempotent**: a job's id is the SHA-256 of its kind, input and options ({@link jobIdOf}),
 *   so adding the same work twice while it is known to Redis adds nothing (BullMQ dedupes by id),
 *   and its result row (`queue_results`, keyed by the same id) is inserted with
 *   `ON CONFLICT DO NOTHING`: a job run twice (a worker killed after storing, before acking)
 *   stores one result, and a job whose result exists is answered from it without computing.
 * - Every execution is logged (`queue_runs`: job, worker, attempt, outcome), which is what the
 *   fault tests count.
 *
 * The retry, lock and retention settings are below with their reasons.
 * Units: ms for durations, bytes for sizes.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { EngineError, ValidationError } from "../core/errors.ts";
import { redactUrl } from "../store/common.ts";

/** The BullMQ queue every Strata service and worker of one deployment shares. */
export const QUEUE_NAME = "strata";
/** The kinds of job a worker runs. */
export const JOB_KINDS = ["diagnose", "full", "fit", "twin", "simulate"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * Attempts per job. A job fails for three reasons: its worker died (counted by the stalled
 * check, not here), a transient fault (PostgreSQL restarting, a full disk) or bad input. Three
 * attempts with backoff ride out the transient ones; a poisoned input fails three times and
 * ends `failed` with its one-line reason instead of being retried for ever.
 */
export const JOB_ATTEMPTS = 3;
/** Exponential backoff base between attempts: 2 s, 4 s — long enough for a restarting database. */
export const JOB_BACKOFF_MS = 2000;
/**
 * How long a worker's lock on a job lasts without renewal. The job's computation runs in its
 * own thread, so the worker's event loop renews the lock every lockDuration/2 however long the
 * job computes; the lock only expires when the worker process is gone (SIGKILL, power loss,
 * network partition). 30 s is then the longest a dead worker's job waits before another takes it.
 */
export const LOCK_DURATION_MS = 30_000;
/** How often each worker looks for jobs whose lock expired (moved back to wait: retried elsewhere). */
export const STALLED_INTERVAL_MS = 15_000;
/**
 * A job may stall (its worker die) this many times before it is failed: a job that kills its
 * worker every time (out of memory) must not take the whole pool down one by one for ever.
 */
export const MAX_STALLED_COUNT = 2;
/** A job computing longer than this is failed (its thread terminated): an MCMC run that cannot end is a fault, not work. */
export const JOB_TIMEOUT_MS = 20 * 60_000;
/**
 * Completed jobs kept in Redis (for the job table and for dedup by id): a day or 10,000 jobs.
 * The result itself lives in PostgreSQL for good, so an expired job re-added is answered from it.
 */
export const REMOVE_ON_COMPLETE = { age: 24 * 3600, count: 10_000 };
/** Failed jobs kept for a week: someone has to read the reason. */
export const REMOVE_ON_FAIL = { age: 7 * 24 * 3600 };
/** Largest campaign file a bundle takes (bytes): the same order as ingest's limit. */
export const MAX_BUNDLE_FILE_BYTES = 256 * 1024 * 1024;

/** What a queue job carries in Redis. */
export interface JobData {
  kind: JobKind;
  /** the bundle's (or scenario's) SHA-256 */
  input: string;
  options: Record<string, unknown>;
  /** the campaign id in the service, when the service enqueued it (the job table shows it) */
  campaignId?: string;
  /** a label for the job table (a folder name, a seed) */
  label?: string;
}

/** The content-addressed description of a campaign folder. */
export interface Bundle {
  format: "strata-bundle/1";
  files: { path: string; sha256: string; size: number }[];
}

const sha256 = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex");

/** JSON with sorted keys: the same options give the same id whatever order they were written in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A job's id: the SHA-256 of kind, input and options (hex: BullMQ ids may not contain ':'). */
export function jobIdOf(kind: JobKind, input: string, options: Record<string, unknown>): string {
  return sha256(canonicalJson({ kind, input, options }));
}

/**
 * Redis connection options for a `--queue redis://[:PASSWORD@]HOST:PORT[/DB]` URL.
 * `maxRetriesPerRequest: null`: a worker's blocking calls wait through a Redis restart instead
 * of failing (BullMQ requires it for workers).
 * @throws {ValidationError} naming `--queue` for anything else
 */
export function redisOptions(url: string): { host: string; port: number; password?: string; db?: number; maxRetriesPerRequest: null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError("--queue", "expected redis://HOST:PORT", redactUrl(url));
  }
  if (parsed.protocol !== "redis:" || parsed.hostname === "") throw new ValidationError("--queue", "expected redis://HOST:PORT", redactUrl(url));
  const port = parsed.port === "" ? 6379 : Number(parsed.port);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  if (db !== undefined && !(Number.isInteger(db) && db >= 0)) throw new ValidationError("--queue", "the database after the port must be a number", redactUrl(url));
  const password = decodeURIComponent(parsed.password) || undefined;
  return { host: parsed.hostname, port, ...(password ? { password } : {}), ...(db !== undefined ? { db } : {}), maxRetriesPerRequest: null };
}

/** The default options of every job added (see the constants' reasons). */
export function defaultJobOptions(): { attempts: number; backoff: { type: "exponential"; delay: number }; removeOnComplete: typeof REMOVE_ON_COMPLETE; removeOnFail: typeof REMOVE_ON_FAIL } {
  return { attempts: JOB_ATTEMPTS, backoff: { type: "exponential", delay: JOB_BACKOFF_MS }, removeOnComplete: REMOVE_ON_COMPLETE, removeOnFail: REMOVE_ON_FAIL };
}

/** A result row. */
export interface QueueResult {
  jobId: string;
  kind: string;
  input: string;
  result: Record<string, unknown>;
  worker: string;
  createdAt: string;
}

/**
 * The queue's tables in the shared PostgreSQL store (`postgres://…[?schema=NAME]`, the same URL
 * as `strata serve --store`): blobs, results and the run log. Created when absent.
 */
export class QueueStore {
  readonly where: string;
  private readonly pool: pg.Pool;
  private readonly schema: string | undefined;
  private ready: Promise<void> | undefined;

  constructor(url: string) {
    this.where = redactUrl(url);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ValidationError("--store", "not a valid postgres:// URL", this.where);
    }
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new ValidationError("--store", "the queue's shared store must be postgres://USER:PASSWORD@HOST:PORT/DATABASE", this.where);
    const schema = parsed.searchParams.get("schema") || undefined;
    parsed.searchParams.delete("schema");
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new ValidationError("schema", "expected lower-case letters, digits and underscores", schema);
    this.schema = schema;
    this.pool = new pg.Pool({ connectionString: parsed.toString(), max: 4, connectionTimeoutMillis: 10_000, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
    this.pool.on("error", () => undefined);
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    await this.migrate();
    return this.raw<R>(text, values);
  }

  private async raw<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (error) {
      throw new EngineError("data", `${this.where}: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`);
    }
  }

  /** Create the schema and tables when absent (idempotent; concurrent callers serialised by an advisory lock). */
  migrate(): Promise<void> {
    this.ready ??= (async () => {
      const client = await this.pool.connect().catch((error: unknown) => {
        throw new EngineError("data", `${this.where}: ${error instanceof Error ? error.message : String(error)}`);
      });
      try {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock(hashtext('strata:queue:migrate'))");
        if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await client.query("CREATE TABLE IF NOT EXISTS queue_blobs (sha256 text PRIMARY KEY, bytes bytea NOT NULL)");
        await client.query(
          "CREATE TABLE IF NOT EXISTS queue_results (job_id text PRIMARY KEY, kind text NOT NULL, input text NOT NULL, result jsonb NOT NULL, worker text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
        );
        await client.query(
          "CREATE TABLE IF NOT EXISTS queue_runs (id bigserial PRIMARY KEY, job_id text NOT NULL, worker text NOT NULL, attempt integer NOT NULL, outcome text NOT NULL, error text, at timestamptz NOT NULL DEFAULT now())",
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        this.ready = undefined;
        throw new EngineError("data", `${this.where}: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`);
      } finally {
        client.release();
      }
    })();
    return this.ready;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Store bytes under their SHA-256 (nothing written when already there). */
  async putBlob(bytes: Uint8Array): Promise<string> {
    const hash = sha256(bytes);
    await this.query("INSERT INTO queue_blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING", [hash, Buffer.from(bytes)]);
    return hash;
  }

  /** The bytes of a blob, verified against their hash. */
  async getBlob(hash: string): Promise<Buffer> {
    const rows = await this.query<{ bytes: Buffer }>("SELECT bytes FROM queue_blobs WHERE sha256 = $1", [hash]);
    if (rows.length === 0) throw new EngineError("data", `blob ${hash}: not in the shared store ${this.where}`);
    if (sha256(rows[0].bytes) !== hash) throw new EngineError("data", `blob ${hash}: corrupted in the shared store`);
    return rows[0].bytes;
  }

  /** Store a job's result once: false when the job already had one (the first stays). */
  async putResult(row: Omit<QueueResult, "createdAt">): Promise<boolean> {
    const rows = await this.query("INSERT INTO queue_results (job_id, kind, input, result, worker) VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (job_id) DO NOTHING RETURNING job_id", [
      row.jobId,
      row.kind,
      row.input,
      JSON.stringify(row.result),
      row.worker,
    ]);
    return rows.length === 1;
  }

  async getResult(jobId: string): Promise<QueueResult | undefined> {
    const rows = await this.query<{ job_id: string; kind: string; input: string; result: Record<string, unknown>; worker: string; created_at: Date }>(
      "SELECT job_id, kind, input, result, worker, created_at FROM queue_results WHERE job_id = $1",
      [jobId],
    );
    const r = rows[0];
    return r && { jobId: r.job_id, kind: r.kind, input: r.input, result: r.result, worker: r.worker, createdAt: r.created_at.toISOString() };
  }

  async logRun(run: { jobId: string; worker: string; attempt: number; outcome: "started" | "stored" | "duplicate" | "failed"; error?: string }): Promise<void> {
    await this.query("INSERT INTO queue_runs (job_id, worker, attempt, outcome, error) VALUES ($1, $2, $3, $4, $5)", [run.jobId, run.worker, run.attempt, run.outcome, run.error ?? null]);
  }

  /** The run log (tests, diagnosis of a deployment). */
  async runs(jobId?: string): Promise<{ jobId: string; worker: string; attempt: number; outcome: string; error: string | null }[]> {
    const rows = await this.query<{ job_id: string; worker: string; attempt: number; outcome: string; error: string | null }>(
      `SELECT job_id, worker, attempt, outcome, error FROM queue_runs ${jobId ? "WHERE job_id = $1" : ""} ORDER BY id`,
      jobId ? [jobId] : [],
    );
    return rows.map((r) => ({ jobId: r.job_id, worker: r.worker, attempt: r.attempt, outcome: r.outcome, error: r.error }));
  }

  /**
   * A campaign folder's files as blobs and its bundle; returns the bundle's hash. Extras such as
   * `truth.json` are kept (the folder as it is), hidden files are not.
   */
  async putFolder(dir: string): Promise<string> {
    const rels = listFiles(dir);
    if (!rels.includes("campaign.json")) throw new ValidationError(path.join(dir, "campaign.json"), "not found (a campaign folder has one)", dir);
    return this.putFiles(dir, rels);
  }

  /** A bundle of the files `rels` (relative to `root`, `/`-separated): their blobs stored, then the bundle's; returns its hash. */
  async putFiles(root: string, rels: readonly string[]): Promise<string> {
    const files: Bundle["files"] = [];
    for (const rel of [...new Set(rels)].sort()) {
      const bytes = fs.readFileSync(path.join(root, rel));
      if (bytes.byteLength > MAX_BUNDLE_FILE_BYTES) throw new ValidationError(path.join(root, rel), `larger than ${MAX_BUNDLE_FILE_BYTES} bytes`, bytes.byteLength);
      files.push({ path: rel, sha256: await this.putBlob(bytes), size: bytes.byteLength });
    }
    const bundle: Bundle = { format: "strata-bundle/1", files };
    return this.putBlob(Buffer.from(canonicalJson(bundle)));
  }

  /**
   * The folder of a bundle under `root` (`root/<hash>/`), written from the blobs when absent
   * (into a temporary folder renamed into place, so a killed worker leaves no half folder).
   */
  async materialise(hash: string, root: string): Promise<string> {
    const dir = path.join(root, hash);
    if (fs.existsSync(dir)) return dir;
    const bundle = JSON.parse((await this.getBlob(hash)).toString("utf8")) as Bundle;
    if (bundle.format !== "strata-bundle/1" || !Array.isArray(bundle.files)) throw new EngineError("data", `blob ${hash}: not a strata-bundle/1`);
    const temp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    for (const f of bundle.files) {
      const target = path.resolve(temp, f.path);
      if (!target.startsWith(`${path.resolve(temp)}${path.sep}`)) throw new EngineError("data", `blob ${hash}: path ${f.path} leaves the folder`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, await this.getBlob(f.sha256));
    }
    try {
      fs.renameSync(temp, dir);
    } catch (error) {
      // another job materialised it meanwhile: same content
      fs.rmSync(temp, { recursive: true, force: true });
      if (!fs.existsSync(dir)) throw error;
    }
    return dir;
  }
}

/**
 * Every regular file under `dir`, relative, `/`-separated, sorted; hidden entries are skipped (the
 * service's `.staging/` of files being ingested, editors' and temporary files): they are not the campaign.
 */
function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/** This worker's name in the run log: host and pid. */
export function workerName(): string {
  return `${os.hostname()}:${process.pid}`;
}

/** A one-line reason. */
export { oneLineMessage as oneLine } from "../core/errors.ts";

/** A diagnosis document without what differs between two runs of the same inputs (when it was made, how long it took). */
export function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !VOLATILE_KEYS.has(k))
        .map(([k, v]) => [k, comparable(v)]),
    );
  }
  return value;
}
/** Keys of a document that are wall-clock facts, not results. */
export const VOLATILE_KEYS = new Set(["generated", "seconds", "elapsed_s", "full_ms"]);
