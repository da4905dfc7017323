/**
 * @module store/sqlite
 * The embedded store: one SQLite file in the data folder (better-sqlite3), the default of
 * `strata serve`. WAL journal with `synchronous=FULL`, so a write is on disk when its promise
 * resolves and a crash leaves a prefix of whole transactions; `foreign_keys=ON`; a busy
 * timeout so a second process (`strata serve token create` beside a running service) waits
 * for the write lock instead of failing. Every write is one `BEGIN IMMEDIATE` transaction.
 * better-sqlite3 is synchronous: the async methods run to completion before they resolve.
 * Units: times are ISO-8601 UTC strings; sizes in bytes; the busy timeout in ms.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
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

/** How long a writer waits for another process's write lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** The schema, step by step; a step is applied once, in one transaction, and recorded in schema_migrations. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "campaigns, files, diagnoses, events, tokens, work",
    statements: [
      `CREATE TABLE campaigns (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        manifest TEXT NOT NULL,
        watch_dir TEXT,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE files (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign_id TEXT NOT NULL REFERENCES campaigns(id),
        path TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size >= 0),
        kind TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ingested', 'rejected')),
        error TEXT,
        ingested_at TEXT NOT NULL,
        UNIQUE (campaign_id, path, version)
      )`,
      `CREATE INDEX files_sha256 ON files (sha256)`,
      `CREATE TABLE diagnoses (
        campaign_id TEXT NOT NULL REFERENCES campaigns(id),
        version INTEGER NOT NULL CHECK (version >= 1),
        kind TEXT NOT NULL CHECK (kind IN ('live', 'full')),
        scans INTEGER NOT NULL,
        document TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (campaign_id, version)
      )`,
      `CREATE INDEX diagnoses_kind ON diagnoses (campaign_id, kind, version)`,
      `CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign_id TEXT,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        at TEXT NOT NULL
      )`,
      `CREATE INDEX events_campaign ON events (campaign_id, seq)`,
      `CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      )`,
      `CREATE TABLE work (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign_id TEXT NOT NULL REFERENCES campaigns(id),
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        payload TEXT NOT NULL,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX work_state ON work (state, kind, id)`,
    ],
  },
];

interface CampaignRow {
  id: string;
  name: string;
  manifest: string;
  watch_dir: string | null;
  created_at: string;
}
interface FileRow {
  campaign_id: string;
  path: string;
  version: number;
  sha256: string;
  size: number;
  kind: string;
  status: FileRecord["status"];
  error: string | null;
  ingested_at: string;
}
interface DiagnosisRow {
  campaign_id: string;
  version: number;
  kind: DiagnosisVersionRecord["kind"];
  scans: number;
  document?: string;
  created_at: string;
}
interface EventRow {
  seq: number;
  campaign_id: string | null;
  type: string;
  payload: string;
  at: string;
}
interface TokenRow {
  id: string;
  label: string;
  scope: TokenRecord["scope"];
  created_at: string;
  revoked_at: string | null;
}
interface WorkRow {
  id: number;
  campaign_id: string;
  kind: string;
  state: WorkRecord["state"];
  payload: string;
  error: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
}

const campaignOf = (r: CampaignRow): CampaignRecord => ({
  id: r.id,
  name: r.name,
  manifest: JSON.parse(r.manifest) as Record<string, unknown>,
  watchDir: r.watch_dir,
  createdAt: r.created_at,
});
const fileOf = (r: FileRow): FileRecord => ({
  campaignId: r.campaign_id,
  path: r.path,
  version: r.version,
  sha256: r.sha256,
  size: r.size,
  kind: r.kind,
  status: r.status,
  error: r.error,
  ingestedAt: r.ingested_at,
});
const eventOf = (r: EventRow): EventRecord => ({
  seq: r.seq,
  campaignId: r.campaign_id,
  type: r.type,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  at: r.at,
});
const tokenOf = (r: TokenRow): TokenRecord => ({
  id: r.id,
  label: r.label,
  scope: r.scope,
  createdAt: r.created_at,
  ...(r.revoked_at === null ? {} : { revokedAt: r.revoked_at }),
});
const workOf = (r: WorkRow): WorkRecord => ({
  id: r.id,
  campaignId: r.campaign_id,
  kind: r.kind,
  state: r.state,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  error: r.error,
  attempts: r.attempts,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const FILE_COLUMNS = "campaign_id, path, version, sha256, size, kind, status, error, ingested_at";
const WORK_COLUMNS = "id, campaign_id, kind, state, payload, error, attempts, created_at, updated_at";

export interface SqliteStoreOptions {
  /** @default SQLITE_BUSY_TIMEOUT_MS */
  busyTimeoutMs?: number;
}

export class SqliteStore implements Store {
  readonly kind = "sqlite";
  /** the database file */
  readonly file: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (creating when absent) the database file and its folder; call `migrate()` before use. */
  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.file = path.resolve(file);
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
    } catch (error) {
      throw this.failure(error);
    }
    try {
      this.db = new Database(this.file);
    } catch (error) {
      throw this.failure(error);
    }
    try {
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS}`);
      const mode = this.db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new Error(`journal mode is ${String(mode)}, not wal`);
      this.db.pragma("synchronous = FULL");
      this.db.pragma("foreign_keys = ON");
    } catch (error) {
      this.db.close();
      throw this.failure(error);
    }
  }

  /** A statement compiled once per connection (the same SQL text reuses it). */
  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** One line naming the database for anything SQLite throws. */
  private failure(error: unknown): Error {
    if (error instanceof EngineError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new EngineError("data", `${this.file}: ${message.split("\n")[0]}`);
  }

  /** Runs `fn` in one BEGIN IMMEDIATE transaction (the write lock first: no upgrade deadlock between processes). */
  private write<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.db.transaction(fn).immediate());
    } catch (error) {
      return Promise.reject(this.failure(error));
    }
  }

  private read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(this.failure(error));
    }
  }

  /** The version recorded in schema_migrations (0 for a new database). */
  schemaVersion(): number {
    const row = this.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null };
    return row.v ?? 0;
  }

  migrate(): Promise<void> {
    const known = SQLITE_MIGRATIONS.length === 0 ? 0 : SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version;
    try {
      this.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
      checkSchemaVersion(this.file, this.schemaVersion(), known);
      for (const step of SQLITE_MIGRATIONS) {
        if (this.schemaVersion() >= step.version) continue; // nothing to do: no write lock taken
        this.db
          .transaction(() => {
            // re-read inside the write lock: another process may have applied it meanwhile
            if (this.schemaVersion() >= step.version) return;
            for (const statement of step.statements) this.db.exec(statement);
            this.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(step.version, now());
          })
          .immediate();
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.failure(error));
    }
  }

  /**
   * A consistent copy of the database at `destination` while the service keeps writing
   * (SQLite's online backup); the copy opens as a store of its own.
   */
  async backup(destination: string): Promise<void> {
    try {
      await this.db.backup(path.resolve(destination));
    } catch (error) {
      throw this.failure(error);
    }
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  private campaignExists(id: string): boolean {
    return this.prepare("SELECT 1 FROM campaigns WHERE id = ?").get(id) !== undefined;
  }

  private insertEvent(campaignId: string | null, type: string, payload: Record<string, unknown>): EventRecord {
    const at = now();
    const text = JSON.stringify(payload);
    const info = this.prepare("INSERT INTO events (campaign_id, type, payload, at) VALUES (?, ?, ?, ?)").run(campaignId, type, text, at);
    return { seq: Number(info.lastInsertRowid), campaignId, type, payload, at };
  }

  putCampaign(campaign: Omit<CampaignRecord, "createdAt">): Promise<CampaignRecord> {
    return this.write(() => {
      checkCampaignId(campaign.id);
      if (typeof campaign.name !== "string") throw new ValidationError("campaign.name", "expected a string", campaign.name);
      this.prepare(
          `INSERT INTO campaigns (id, name, manifest, watch_dir, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, manifest = excluded.manifest, watch_dir = excluded.watch_dir`,
        )
        .run(campaign.id, campaign.name, JSON.stringify(campaign.manifest), campaign.watchDir, now());
      return campaignOf(this.prepare("SELECT * FROM campaigns WHERE id = ?").get(campaign.id) as CampaignRow);
    });
  }

  getCampaign(id: string): Promise<CampaignRecord | undefined> {
    return this.read(() => {
      const row = this.prepare("SELECT * FROM campaigns WHERE id = ?").get(id) as CampaignRow | undefined;
      return row && campaignOf(row);
    });
  }

  listCampaigns(): Promise<CampaignRecord[]> {
    return this.read(() => (this.prepare("SELECT * FROM campaigns ORDER BY created_at, id").all() as CampaignRow[]).map(campaignOf));
  }

  recordFile(file: Omit<FileRecord, "version" | "ingestedAt">): Promise<{ file: FileRecord; created: boolean }> {
    return this.write(() => {
      checkFile(file);
      if (!this.campaignExists(file.campaignId)) throw unknownCampaign(file.campaignId);
      const latest = this.prepare(`SELECT ${FILE_COLUMNS} FROM files WHERE campaign_id = ? AND path = ? ORDER BY version DESC LIMIT 1`)
        .get(file.campaignId, file.path) as FileRow | undefined;
      if (latest && latest.sha256 === file.sha256) return { file: fileOf(latest), created: false };
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
      this.prepare(`INSERT INTO files (${FILE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(record.campaignId, record.path, record.version, record.sha256, record.size, record.kind, record.status, record.error, record.ingestedAt);
      const event = fileEvent(record);
      this.insertEvent(record.campaignId, event.type, event.payload);
      return { file: record, created: true };
    });
  }

  listFiles(campaignId: string): Promise<FileRecord[]> {
    return this.read(() =>
      (this.prepare(`SELECT ${FILE_COLUMNS} FROM files WHERE campaign_id = ? ORDER BY id`).all(campaignId) as FileRow[]).map(fileOf),
    );
  }

  putDiagnosis(diagnosis: Omit<DiagnosisVersionRecord, "version" | "createdAt">): Promise<DiagnosisVersionRecord> {
    return this.write(() => {
      checkDiagnosisKind(diagnosis.kind);
      const text = JSON.stringify(diagnosis.document);
      if (!this.campaignExists(diagnosis.campaignId)) throw unknownCampaign(diagnosis.campaignId);
      const row = this.prepare("SELECT max(version) AS v FROM diagnoses WHERE campaign_id = ?").get(diagnosis.campaignId) as { v: number | null };
      const record: DiagnosisVersionRecord = {
        campaignId: diagnosis.campaignId,
        version: (row.v ?? 0) + 1,
        kind: diagnosis.kind,
        scans: diagnosis.scans,
        document: diagnosis.document,
        createdAt: now(),
      };
      this.prepare("INSERT INTO diagnoses (campaign_id, version, kind, scans, document, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        .run(record.campaignId, record.version, record.kind, record.scans, text, record.createdAt);
      this.insertEvent(record.campaignId, DIAGNOSIS_EVENT, { version: record.version, kind: record.kind, scans: record.scans });
      return record;
    });
  }

  latestDiagnosis(campaignId: string, kind?: "live" | "full"): Promise<DiagnosisVersionRecord | undefined> {
    return this.read(() => {
      const row = (
        kind === undefined
          ? this.prepare("SELECT * FROM diagnoses WHERE campaign_id = ? ORDER BY version DESC LIMIT 1").get(campaignId)
          : this.prepare("SELECT * FROM diagnoses WHERE campaign_id = ? AND kind = ? ORDER BY version DESC LIMIT 1").get(campaignId, kind)
      ) as DiagnosisRow | undefined;
      return row && this.diagnosisOf(row);
    });
  }

  /** One version of a campaign's diagnosis (optional method: `?version=N` of the API). */
  diagnosis(campaignId: string, version: number): Promise<DiagnosisVersionRecord | undefined> {
    return this.read(() => {
      const row = this.prepare("SELECT * FROM diagnoses WHERE campaign_id = ? AND version = ?").get(campaignId, version) as DiagnosisRow | undefined;
      return row && this.diagnosisOf(row);
    });
  }

  private diagnosisOf(row: DiagnosisRow): DiagnosisVersionRecord {
    return {
      campaignId: row.campaign_id,
      version: row.version,
      kind: row.kind,
      scans: row.scans,
      document: JSON.parse(row.document!) as Record<string, unknown>,
      createdAt: row.created_at,
    };
  }

  listDiagnoses(campaignId: string): Promise<Omit<DiagnosisVersionRecord, "document">[]> {
    return this.read(() =>
      (
        this.prepare("SELECT campaign_id, version, kind, scans, created_at FROM diagnoses WHERE campaign_id = ? ORDER BY version")
          .all(campaignId) as DiagnosisRow[]
      ).map((r) => ({ campaignId: r.campaign_id, version: r.version, kind: r.kind, scans: r.scans, createdAt: r.created_at })),
    );
  }

  appendEvent(event: Omit<EventRecord, "seq" | "at">): Promise<EventRecord> {
    return this.write(() => this.insertEvent(event.campaignId, event.type, event.payload));
  }

  events(afterSeq: number, options: { campaignId?: string; limit?: number } = {}): Promise<EventRecord[]> {
    return this.read(() => {
      const limit = eventLimit(options.limit);
      const rows = (
        options.campaignId === undefined
          ? this.prepare("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?").all(afterSeq, limit)
          : this.prepare("SELECT * FROM events WHERE campaign_id = ? AND seq > ? ORDER BY seq LIMIT ?").all(options.campaignId, afterSeq, limit)
      ) as EventRow[];
      return rows.map(eventOf);
    });
  }

  /** The newest event's seq (0 when none): where a follower that wants only new events starts. */
  lastSeq(): Promise<number> {
    return this.read(() => (this.prepare("SELECT max(seq) AS s FROM events").get() as { s: number | null }).s ?? 0);
  }

  putToken(token: TokenRecord & { hash: string }): Promise<void> {
    return this.write(() => {
      checkScope(token.scope);
      this.prepare("INSERT INTO tokens (id, label, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)")
        .run(token.id, token.label, token.scope, token.hash, token.createdAt);
    });
  }

  tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.read(() => {
      const row = this.prepare("SELECT * FROM tokens WHERE hash = ? AND revoked_at IS NULL").get(hash) as TokenRow | undefined;
      return row && tokenOf(row);
    });
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.read(() => (this.prepare("SELECT * FROM tokens ORDER BY created_at, id").all() as TokenRow[]).map(tokenOf));
  }

  revokeToken(id: string): Promise<boolean> {
    return this.write(() => this.prepare("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(now(), id).changes === 1);
  }

  enqueueWork(work: { campaignId: string; kind: string; payload: Record<string, unknown> }): Promise<WorkRecord> {
    return this.write(() => {
      if (!this.campaignExists(work.campaignId)) throw unknownCampaign(work.campaignId);
      const at = now();
      const info = this.prepare("INSERT INTO work (campaign_id, kind, state, payload, error, attempts, created_at, updated_at) VALUES (?, ?, 'queued', ?, NULL, 0, ?, ?)")
        .run(work.campaignId, work.kind, JSON.stringify(work.payload), at, at);
      return {
        id: Number(info.lastInsertRowid),
        campaignId: work.campaignId,
        kind: work.kind,
        state: "queued",
        payload: work.payload,
        error: null,
        attempts: 0,
        createdAt: at,
        updatedAt: at,
      };
    });
  }

  claimWork(kinds: readonly string[]): Promise<WorkRecord | undefined> {
    return this.write(() => {
      const filter = kinds.length === 0 ? "" : `AND kind IN (${kinds.map(() => "?").join(", ")})`;
      const row = this.prepare(`SELECT id FROM work WHERE state = 'queued' ${filter} ORDER BY id LIMIT 1`).get(...kinds) as
        | { id: number }
        | undefined;
      if (!row) return undefined;
      this.prepare("UPDATE work SET state = 'running', attempts = attempts + 1, updated_at = ? WHERE id = ?").run(now(), row.id);
      return workOf(this.prepare(`SELECT ${WORK_COLUMNS} FROM work WHERE id = ?`).get(row.id) as WorkRow);
    });
  }

  finishWork(id: number, outcome: { state: "done" } | { state: "failed"; error: string }): Promise<void> {
    return this.write(() => {
      const error = outcome.state === "failed" ? outcome.error : null;
      const changes = this.prepare("UPDATE work SET state = ?, error = ?, updated_at = ? WHERE id = ?").run(outcome.state, error, now(), id).changes;
      if (changes !== 1) throw new ValidationError("work.id", "no such work", id);
    });
  }

  requeueRunning(): Promise<number> {
    return this.write(() => this.prepare("UPDATE work SET state = 'queued', updated_at = ? WHERE state = 'running'").run(now()).changes);
  }

  listWork(campaignId?: string): Promise<WorkRecord[]> {
    return this.read(() =>
      (
        (campaignId === undefined
          ? this.prepare(`SELECT ${WORK_COLUMNS} FROM work ORDER BY id`).all()
          : this.prepare(`SELECT ${WORK_COLUMNS} FROM work WHERE campaign_id = ? ORDER BY id`).all(campaignId)) as WorkRow[]
      ).map(workOf),
    );
  }
}
