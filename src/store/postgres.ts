/**
 * @module store/postgres
 * The team store: PostgreSQL through a pg Pool, the same tables and the same behaviour as
 * store/sqlite (one test suite runs against both). Documents and payloads are jsonb, the event
 * log's seq a bigserial. Every write is one READ COMMITTED transaction; writers of one
 * campaign (recordFile, putDiagnosis) first lock the campaign's row, so concurrent recordFile
 * of one content makes one row and version numbers never collide; every transaction that
 * appends an event takes a transaction-scoped advisory lock just before the insert and holds
 * it to commit, so events become visible in seq order and a follower paging with `afterSeq`
 * never skips one. Work is claimed with `FOR UPDATE SKIP LOCKED`. The `schema` option (or
 * `?schema=` in the URL) sets the search_path, creating the schema when absent.
 * Units: times are ISO-8601 UTC strings (timestamptz in the database); sizes in bytes.
 */
import pg from "pg";
import { EngineError, ValidationError } from "../core/errors.ts";
import {
  DIAGNOSIS_EVENT,
  checkCampaignId,
  checkDiagnosisKind,
  checkFile,
  checkSchemaVersion,
  checkScope,
  eventLimit,
  fileEvent,
  now,
  redactUrl,
  unknownCampaign,
  type Migration,
} from "./common.ts";
import type {
  CampaignRecord,
  DiagnosisVersionRecord,
  EventRecord,
  FileRecord,
  Store,
  TokenRecord,
  WorkRecord,
} from "./types.ts";

/** A schema name the store accepts (it goes into search_path and CREATE SCHEMA unquoted-safe). */
export const PG_SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Connections of the pool. */
export const PG_POOL_SIZE = 10;
/** How long a new connection may take before the store gives up. */
export const PG_CONNECT_TIMEOUT_MS = 10_000;

/** The schema, step by step (the same steps as SQLITE_MIGRATIONS, in PostgreSQL's types). */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "campaigns, files, diagnoses, events, tokens, work",
    statements: [
      `CREATE TABLE campaigns (
        id text PRIMARY KEY,
        name text NOT NULL,
        manifest jsonb NOT NULL,
        watch_dir text,
        created_at timestamptz NOT NULL
      )`,
      `CREATE TABLE files (
        id bigserial PRIMARY KEY,
        campaign_id text NOT NULL REFERENCES campaigns(id),
        path text NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        sha256 text NOT NULL,
        size bigint NOT NULL CHECK (size >= 0),
        kind text NOT NULL,
        status text NOT NULL CHECK (status IN ('ingested', 'rejected')),
        error text,
        ingested_at timestamptz NOT NULL,
        UNIQUE (campaign_id, path, version)
      )`,
      `CREATE INDEX files_sha256 ON files (sha256)`,
      `CREATE TABLE diagnoses (
        campaign_id text NOT NULL REFERENCES campaigns(id),
        version integer NOT NULL CHECK (version >= 1),
        kind text NOT NULL CHECK (kind IN ('live', 'full')),
        scans integer NOT NULL,
        document jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (campaign_id, version)
      )`,
      `CREATE INDEX diagnoses_kind ON diagnoses (campaign_id, kind, version)`,
      `CREATE TABLE events (
        seq bigserial PRIMARY KEY,
        campaign_id text,
        type text NOT NULL,
        payload jsonb NOT NULL,
        at timestamptz NOT NULL
      )`,
      `CREATE INDEX events_campaign ON events (campaign_id, seq)`,
      `CREATE TABLE tokens (
        id text PRIMARY KEY,
        label text NOT NULL,
        scope text NOT NULL CHECK (scope IN ('read', 'write')),
        hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL,
        revoked_at timestamptz
      )`,
      `CREATE TABLE work (
        id bigserial PRIMARY KEY,
        campaign_id text NOT NULL REFERENCES campaigns(id),
        kind text NOT NULL,
        state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        payload jsonb NOT NULL,
        error text,
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`,
      `CREATE INDEX work_state ON work (state, kind, id)`,
    ],
  },
];

const iso = (value: Date | string | null): string | null =>
  value === null ? null : value instanceof Date ? value.toISOString() : new Date(value).toISOString();
const json = (value: unknown): string => JSON.stringify(value);

interface CampaignRow {
  id: string;
  name: string;
  manifest: Record<string, unknown>;
  watch_dir: string | null;
  created_at: Date;
}
interface FileRow {
  campaign_id: string;
  path: string;
  version: number;
  sha256: string;
  size: string;
  kind: string;
  status: FileRecord["status"];
  error: string | null;
  ingested_at: Date;
}
interface DiagnosisRow {
  campaign_id: string;
  version: number;
  kind: DiagnosisVersionRecord["kind"];
  scans: number;
  document?: Record<string, unknown>;
  created_at: Date;
}
interface EventRow {
  seq: string;
  campaign_id: string | null;
  type: string;
  payload: Record<string, unknown>;
  at: Date;
}
interface TokenRow {
  id: string;
  label: string;
  scope: TokenRecord["scope"];
  created_at: Date;
  revoked_at: Date | null;
}
interface WorkRow {
  id: string;
  campaign_id: string;
  kind: string;
  state: WorkRecord["state"];
  payload: Record<string, unknown>;
  error: string | null;
  attempts: number;
  created_at: Date;
  updated_at: Date;
}

const campaignOf = (r: CampaignRow): CampaignRecord => ({
  id: r.id,
  name: r.name,
  manifest: r.manifest,
  watchDir: r.watch_dir,
  createdAt: iso(r.created_at)!,
});
const fileOf = (r: FileRow): FileRecord => ({
  campaignId: r.campaign_id,
  path: r.path,
  version: r.version,
  sha256: r.sha256,
  size: Number(r.size),
  kind: r.kind,
  status: r.status,
  error: r.error,
  ingestedAt: iso(r.ingested_at)!,
});
const diagnosisOf = (r: DiagnosisRow): DiagnosisVersionRecord => ({
  campaignId: r.campaign_id,
  version: r.version,
  kind: r.kind,
  scans: r.scans,
  document: r.document!,
  createdAt: iso(r.created_at)!,
});
const eventOf = (r: EventRow): EventRecord => ({
  seq: Number(r.seq),
  campaignId: r.campaign_id,
  type: r.type,
  payload: r.payload,
  at: iso(r.at)!,
});
const tokenOf = (r: TokenRow): TokenRecord => ({
  id: r.id,
  label: r.label,
  scope: r.scope,
  createdAt: iso(r.created_at)!,
  ...(r.revoked_at === null ? {} : { revokedAt: iso(r.revoked_at)! }),
});
const workOf = (r: WorkRow): WorkRecord => ({
  id: Number(r.id),
  campaignId: r.campaign_id,
  kind: r.kind,
  state: r.state,
  payload: r.payload,
  error: r.error,
  attempts: r.attempts,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

const FILE_COLUMNS = "campaign_id, path, version, sha256, size, kind, status, error, ingested_at";
const WORK_COLUMNS = "id, campaign_id, kind, state, payload, error, attempts, created_at, updated_at";

export interface PostgresStoreOptions {
  /** the schema the tables live in (search_path); created by migrate() when absent. @default the server's search_path (public) */
  schema?: string;
  /** @default PG_POOL_SIZE */
  poolSize?: number;
}

export class PostgresStore implements Store {
  readonly kind = "postgres";
  /** the URL without its password: what messages name */
  readonly where: string;
  readonly schema: string | undefined;
  private readonly pool: pg.Pool;
  private readonly password: string | undefined;

  /**
   * `url` is `postgres://USER:PASSWORD@HOST:PORT/DB[?schema=NAME]`; nothing connects until the
   * first query (call `migrate()`).
   */
  constructor(url: string, options: PostgresStoreOptions = {}) {
    this.where = redactUrl(url);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ValidationError("--store", "not a valid postgres:// URL", this.where);
    }
    const schema = options.schema ?? (parsed.searchParams.get("schema") || undefined);
    parsed.searchParams.delete("schema");
    if (schema !== undefined && !PG_SCHEMA_NAME.test(schema)) {
      throw new ValidationError("schema", "expected lower-case letters, digits and underscores, not starting with a digit", schema);
    }
    this.schema = schema;
    this.password = decodeURIComponent(parsed.password) || parsed.searchParams.get("password") || undefined;
    this.pool = new pg.Pool({
      connectionString: parsed.toString(),
      max: options.poolSize ?? PG_POOL_SIZE,
      connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // an idle connection the server dropped: the pool replaces it on the next query
    this.pool.on("error", () => undefined);
  }

  /** One line naming the (redacted) database for anything pg throws; never the password. */
  private failure(error: unknown): Error {
    if (error instanceof EngineError) return error;
    let message = error instanceof Error ? error.message : String(error);
    if (error instanceof AggregateError && error.errors.length > 0) {
      message = (error.errors as unknown[]).map((e) => (e instanceof Error ? e.message : String(e))).join("; ");
    }
    message = message.split("\n")[0];
    if (this.password !== undefined && this.password.length > 0) message = message.split(this.password).join("***");
    return new EngineError("data", `${this.where}: ${message}`);
  }

  private async client(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** Runs `fn` in one transaction on one connection; rolls back on any error. */
  private async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.client();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollback: Error) => {
        broken = rollback;
      });
      throw this.failure(error);
    } finally {
      client.release(broken);
    }
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (error) {
      throw this.failure(error);
    }
  }

  private lockKey(what: string): string {
    return `strata:${what}:${this.schema ?? "public"}`;
  }

  /** Locks the campaign's row to the end of the transaction; false when there is no such campaign. */
  private async lockCampaign(client: pg.PoolClient, id: string): Promise<boolean> {
    return (await client.query("SELECT 1 FROM campaigns WHERE id = $1 FOR NO KEY UPDATE", [id])).rowCount === 1;
  }

  /** Appends an event; holds the events lock to commit so seq order is commit order. */
  private async insertEvent(client: pg.PoolClient, campaignId: string | null, type: string, payload: Record<string, unknown>): Promise<EventRecord> {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [this.lockKey("events")]);
    const at = now();
    const { rows } = await client.query<{ seq: string }>("INSERT INTO events (campaign_id, type, payload, at) VALUES ($1, $2, $3::jsonb, $4) RETURNING seq", [
      campaignId,
      type,
      json(payload),
      at,
    ]);
    return { seq: Number(rows[0].seq), campaignId, type, payload, at };
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations");
    return rows[0].v ?? 0;
  }

  async migrate(): Promise<void> {
    const known = POSTGRES_MIGRATIONS.length === 0 ? 0 : POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1].version;
    for (const step of [undefined, ...POSTGRES_MIGRATIONS]) {
      await this.tx(async (client) => {
        // one migrator at a time (two services starting together); re-read the version under the lock
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [this.lockKey("migrate")]);
        if (this.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)");
        const { rows } = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations");
        const current = rows[0].v ?? 0;
        checkSchemaVersion(this.where, current, known);
        if (step === undefined || current >= step.version) return;
        for (const statement of step.statements) await client.query(statement);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [step.version, now()]);
      });
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  async putCampaign(campaign: Omit<CampaignRecord, "createdAt">): Promise<CampaignRecord> {
    checkCampaignId(campaign.id);
    if (typeof campaign.name !== "string") throw new ValidationError("campaign.name", "expected a string", campaign.name);
    const rows = await this.query<CampaignRow>(
      `INSERT INTO campaigns (id, name, manifest, watch_dir, created_at) VALUES ($1, $2, $3::jsonb, $4, $5)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, manifest = excluded.manifest, watch_dir = excluded.watch_dir
       RETURNING *`,
      [campaign.id, campaign.name, json(campaign.manifest), campaign.watchDir, now()],
    );
    return campaignOf(rows[0]);
  }

  async getCampaign(id: string): Promise<CampaignRecord | undefined> {
    const rows = await this.query<CampaignRow>("SELECT * FROM campaigns WHERE id = $1", [id]);
    return rows.length === 0 ? undefined : campaignOf(rows[0]);
  }

  async listCampaigns(): Promise<CampaignRecord[]> {
    return (await this.query<CampaignRow>("SELECT * FROM campaigns ORDER BY created_at, id")).map(campaignOf);
  }

  async recordFile(file: Omit<FileRecord, "version" | "ingestedAt">): Promise<{ file: FileRecord; created: boolean }> {
    checkFile(file);
    return this.tx(async (client) => {
      if (!(await this.lockCampaign(client, file.campaignId))) throw unknownCampaign(file.campaignId);
      const { rows } = await client.query<FileRow>(
        `SELECT ${FILE_COLUMNS} FROM files WHERE campaign_id = $1 AND path = $2 ORDER BY version DESC LIMIT 1`,
        [file.campaignId, file.path],
      );
      const latest = rows[0];
      if (latest !== undefined && latest.sha256 === file.sha256) return { file: fileOf(latest), created: false };
      const record: FileRecord = {
        campaignId: file.campaignId,
        path: file.path,
        version: (latest?.version ?? 0) + 1,
        sha256: file.sha256,
        size: file.size,
        kind: file.kind,
        status: file.status,
        error: file.error ?? null,
        ingestedAt: now(),
      };
      await client.query(`INSERT INTO files (${FILE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
        record.campaignId,
        record.path,
        record.version,
        record.sha256,
        record.size,
        record.kind,
        record.status,
        record.error,
        record.ingestedAt,
      ]);
      const event = fileEvent(record);
      await this.insertEvent(client, record.campaignId, event.type, event.payload);
      return { file: record, created: true };
    });
  }

  async listFiles(campaignId: string): Promise<FileRecord[]> {
    return (await this.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE campaign_id = $1 ORDER BY id`, [campaignId])).map(fileOf);
  }

  async putDiagnosis(diagnosis: Omit<DiagnosisVersionRecord, "version" | "createdAt">): Promise<DiagnosisVersionRecord> {
    checkDiagnosisKind(diagnosis.kind);
    const text = json(diagnosis.document);
    return this.tx(async (client) => {
      if (!(await this.lockCampaign(client, diagnosis.campaignId))) throw unknownCampaign(diagnosis.campaignId);
      const { rows } = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM diagnoses WHERE campaign_id = $1", [diagnosis.campaignId]);
      const record: DiagnosisVersionRecord = {
        campaignId: diagnosis.campaignId,
        version: (rows[0].v ?? 0) + 1,
        kind: diagnosis.kind,
        scans: diagnosis.scans,
        document: diagnosis.document,
        createdAt: now(),
      };
      await client.query("INSERT INTO diagnoses (campaign_id, version, kind, scans, document, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6)", [
        record.campaignId,
        record.version,
        record.kind,
        record.scans,
        text,
        record.createdAt,
      ]);
      await this.insertEvent(client, record.campaignId, DIAGNOSIS_EVENT, { version: record.version, kind: record.kind, scans: record.scans });
      return record;
    });
  }

  async latestDiagnosis(campaignId: string, kind?: "live" | "full"): Promise<DiagnosisVersionRecord | undefined> {
    const rows =
      kind === undefined
        ? await this.query<DiagnosisRow>("SELECT * FROM diagnoses WHERE campaign_id = $1 ORDER BY version DESC LIMIT 1", [campaignId])
        : await this.query<DiagnosisRow>("SELECT * FROM diagnoses WHERE campaign_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1", [campaignId, kind]);
    return rows.length === 0 ? undefined : diagnosisOf(rows[0]);
  }

  async diagnosis(campaignId: string, version: number): Promise<DiagnosisVersionRecord | undefined> {
    const rows = await this.query<DiagnosisRow>("SELECT * FROM diagnoses WHERE campaign_id = $1 AND version = $2", [campaignId, version]);
    return rows.length === 0 ? undefined : diagnosisOf(rows[0]);
  }

  async listDiagnoses(campaignId: string): Promise<Omit<DiagnosisVersionRecord, "document">[]> {
    const rows = await this.query<DiagnosisRow>(
      "SELECT campaign_id, version, kind, scans, created_at FROM diagnoses WHERE campaign_id = $1 ORDER BY version",
      [campaignId],
    );
    return rows.map((r) => ({ campaignId: r.campaign_id, version: r.version, kind: r.kind, scans: r.scans, createdAt: iso(r.created_at)! }));
  }

  async appendEvent(event: Omit<EventRecord, "seq" | "at">): Promise<EventRecord> {
    return this.tx((client) => this.insertEvent(client, event.campaignId, event.type, event.payload));
  }

  async events(afterSeq: number, options: { campaignId?: string; limit?: number } = {}): Promise<EventRecord[]> {
    const limit = eventLimit(options.limit);
    const rows =
      options.campaignId === undefined
        ? await this.query<EventRow>("SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2", [afterSeq, limit])
        : await this.query<EventRow>("SELECT * FROM events WHERE campaign_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", [options.campaignId, afterSeq, limit]);
    return rows.map(eventOf);
  }

  async lastSeq(): Promise<number> {
    const rows = await this.query<{ s: string | null }>("SELECT max(seq) AS s FROM events");
    return rows[0].s === null ? 0 : Number(rows[0].s);
  }

  async putToken(token: TokenRecord & { hash: string }): Promise<void> {
    checkScope(token.scope);
    await this.query("INSERT INTO tokens (id, label, scope, hash, created_at) VALUES ($1, $2, $3, $4, $5)", [
      token.id,
      token.label,
      token.scope,
      token.hash,
      token.createdAt,
    ]);
  }

  async tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const rows = await this.query<TokenRow>("SELECT * FROM tokens WHERE hash = $1 AND revoked_at IS NULL", [hash]);
    return rows.length === 0 ? undefined : tokenOf(rows[0]);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.query<TokenRow>("SELECT * FROM tokens ORDER BY created_at, id")).map(tokenOf);
  }

  async revokeToken(id: string): Promise<boolean> {
    const rows = await this.query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id", [now(), id]);
    return rows.length === 1;
  }

  async enqueueWork(work: { campaignId: string; kind: string; payload: Record<string, unknown> }): Promise<WorkRecord> {
    const at = now();
    const rows = await this.query<WorkRow>(
      `INSERT INTO work (campaign_id, kind, state, payload, error, attempts, created_at, updated_at)
       SELECT id, $2, 'queued', $3::jsonb, NULL, 0, $4, $4 FROM campaigns WHERE id = $1
       RETURNING ${WORK_COLUMNS}`,
      [work.campaignId, work.kind, json(work.payload), at],
    );
    if (rows.length === 0) throw unknownCampaign(work.campaignId);
    return workOf(rows[0]);
  }

  async claimWork(kinds: readonly string[]): Promise<WorkRecord | undefined> {
    const rows = await this.query<WorkRow>(
      `UPDATE work SET state = 'running', attempts = attempts + 1, updated_at = $2
       WHERE id = (SELECT id FROM work WHERE state = 'queued' AND (cardinality($1::text[]) = 0 OR kind = ANY($1::text[]))
                   ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING ${WORK_COLUMNS}`,
      [kinds, now()],
    );
    return rows.length === 0 ? undefined : workOf(rows[0]);
  }

  async finishWork(id: number, outcome: { state: "done" } | { state: "failed"; error: string }): Promise<void> {
    const error = outcome.state === "failed" ? outcome.error : null;
    const rows = await this.query("UPDATE work SET state = $1, error = $2, updated_at = $3 WHERE id = $4 RETURNING id", [outcome.state, error, now(), id]);
    if (rows.length !== 1) throw new ValidationError("work.id", "no such work", id);
  }

  async requeueRunning(): Promise<number> {
    return (await this.query("UPDATE work SET state = 'queued', updated_at = $1 WHERE state = 'running' RETURNING id", [now()])).length;
  }

  async listWork(campaignId?: string): Promise<WorkRecord[]> {
    const rows =
      campaignId === undefined
        ? await this.query<WorkRow>(`SELECT ${WORK_COLUMNS} FROM work ORDER BY id`)
        : await this.query<WorkRow>(`SELECT ${WORK_COLUMNS} FROM work WHERE campaign_id = $1 ORDER BY id`, [campaignId]);
    return rows.map(workOf);
  }
}
