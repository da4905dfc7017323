/**
 * @module store/types
 * The store behind `strata serve`: campaigns, ingested files (content-addressed, one row per
 * distinct content), diagnosis versions, an append-only event log, access tokens and
 * background work. One interface, two implementations: embedded SQLite in the data folder
 * (store/sqlite, the default) and PostgreSQL for a team (store/postgres); both pass the same
 * test suite. Raw bytes live beside the store in a content-addressed folder (store/blobs);
 * rows hold their SHA-256. Times are ISO-8601 UTC strings; sizes in bytes.
 */

/** A campaign the service follows. */
export interface CampaignRecord {
  /** URL-safe id chosen at registration ([a-z0-9][a-z0-9-]{0,62}) */
  id: string;
  /** the manifest's `name` */
  name: string;
  /** the `campaign.json` document as registered (latest version) */
  manifest: Record<string, unknown>;
  /** a folder the service watches for this campaign's files, or null (uploads only) */
  watchDir: string | null;
  createdAt: string;
}

/** Where an ingested file stands. */
export type FileStatus = "ingested" | "rejected";

/** One version of one file of a campaign: a new content under the same path is a new version. */
export interface FileRecord {
  campaignId: string;
  /** path relative to the campaign folder, `/`-separated, as the manifest names it */
  path: string;
  /** 1, 2, … per (campaign, path) */
  version: number;
  /** hex SHA-256 of the bytes */
  sha256: string;
  size: number;
  /** "scan" | "cycler" | "impedance" | "manifest" | "other" */
  kind: string;
  status: FileStatus;
  /** the one-line reason when rejected */
  error: string | null;
  ingestedAt: string;
}

/** An immutable, timestamped diagnosis of a campaign. */
export interface DiagnosisVersionRecord {
  campaignId: string;
  /** 1, 2, … per campaign */
  version: number;
  /** "live" (incremental update) or "full" (a complete re-run) */
  kind: "live" | "full";
  /** how many scans it saw */
  scans: number;
  /** the diagnosis document (strata-live/1 for live, strata-diagnosis/1 for full) */
  document: Record<string, unknown>;
  createdAt: string;
}

/** One entry of the append-only event log (what the live page and clients follow). */
export interface EventRecord {
  /** global, strictly increasing */
  seq: number;
  campaignId: string | null;
  /** e.g. "campaign.registered", "file.ingested", "file.rejected", "diagnosis.updated", "work.failed" */
  type: string;
  payload: Record<string, unknown>;
  at: string;
}

export type TokenScope = "read" | "write";

export interface TokenRecord {
  /** public id (shown, used to revoke) */
  id: string;
  label: string;
  scope: TokenScope;
  createdAt: string;
  /** when it was revoked (listTokens shows revoked tokens; tokenByHash never returns them) */
  revokedAt?: string;
}

/** Background work that must survive a crash: queued → running → done | failed. */
export interface WorkRecord {
  id: number;
  campaignId: string;
  /** e.g. "live-update", "full-diagnosis" */
  kind: string;
  state: "queued" | "running" | "done" | "failed";
  payload: Record<string, unknown>;
  error: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * The store. Every method is atomic (one transaction); every write that the service
 * acknowledges is durable when the promise resolves (SQLite WAL with synchronous=FULL,
 * PostgreSQL commit).
 */
export interface Store {
  /** "sqlite" | "postgres" */
  readonly kind: string;
  /** apply pending migrations (idempotent); called by openStore */
  migrate(): Promise<void>;
  close(): Promise<void>;

  putCampaign(campaign: Omit<CampaignRecord, "createdAt">): Promise<CampaignRecord>;
  getCampaign(id: string): Promise<CampaignRecord | undefined>;
  listCampaigns(): Promise<CampaignRecord[]>;

  /**
   * Record a file version exactly once: when (campaign, path) already has a version with
   * this sha256 as its latest, returns it with `created: false` and writes nothing;
   * otherwise appends version n+1 and its event in the same transaction.
   */
  recordFile(file: Omit<FileRecord, "version" | "ingestedAt">): Promise<{ file: FileRecord; created: boolean }>;
  listFiles(campaignId: string): Promise<FileRecord[]>;

  /** append the next version and its "diagnosis.updated" event in one transaction */
  putDiagnosis(diagnosis: Omit<DiagnosisVersionRecord, "version" | "createdAt">): Promise<DiagnosisVersionRecord>;
  latestDiagnosis(campaignId: string, kind?: "live" | "full"): Promise<DiagnosisVersionRecord | undefined>;
  listDiagnoses(campaignId: string): Promise<Omit<DiagnosisVersionRecord, "document">[]>;
  /** one version (`?version=N`); both stores implement it */
  diagnosis?(campaignId: string, version: number): Promise<DiagnosisVersionRecord | undefined>;

  appendEvent(event: Omit<EventRecord, "seq" | "at">): Promise<EventRecord>;
  /** events with seq > afterSeq (optionally of one campaign), oldest first, at most limit */
  events(afterSeq: number, options?: { campaignId?: string; limit?: number }): Promise<EventRecord[]>;
  /** the newest event's seq, 0 when there is none; both stores implement it */
  lastSeq?(): Promise<number>;

  /** store a token's hash (SHA-256 of the secret); the secret itself is never stored */
  putToken(token: TokenRecord & { hash: string }): Promise<void>;
  tokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string): Promise<boolean>;

  enqueueWork(work: { campaignId: string; kind: string; payload: Record<string, unknown> }): Promise<WorkRecord>;
  /**
   * oldest queued work of one of these kinds (any kind when `kinds` is empty), marked running,
   * attempts+1; each queued row is claimed by one caller only (work left running by a crashed
   * process is queued again by `requeueRunning` at start-up)
   */
  claimWork(kinds: readonly string[]): Promise<WorkRecord | undefined>;
  finishWork(id: number, outcome: { state: "done" } | { state: "failed"; error: string }): Promise<void>;
  /** put every "running" row back to "queued" (at start-up: the process that ran it is gone) */
  requeueRunning(): Promise<number>;
  listWork(campaignId?: string): Promise<WorkRecord[]>;
}
