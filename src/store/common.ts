/**
 * @module store/common
 * What the two stores share: input checks with one-line errors, the event a recorded file or
 * a new diagnosis appends, and the schema-version guard of the migrations.
 * Units: times are ISO-8601 UTC strings; sizes in bytes.
 */
import { EngineError, ValidationError } from "../core/errors.ts";
import type { FileRecord, TokenScope } from "./types.ts";

/** Campaign ids are URL- and folder-safe: lower-case letters, digits and dashes, ≤ 63 characters. */
export const CAMPAIGN_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** A hex SHA-256 as rows hold it. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** How many events `events()` returns when the caller gives no limit. */
export const DEFAULT_EVENT_LIMIT = 1000;
/** The largest page `events()` returns, whatever the caller asks. */
export const MAX_EVENT_LIMIT = 10_000;
const FILE_STATUSES = new Set(["ingested", "rejected"]);
const DIAGNOSIS_KINDS = new Set(["live", "full"]);
const TOKEN_SCOPES = new Set<TokenScope>(["read", "write"]);

export const now = (): string => new Date().toISOString();

export function checkCampaignId(id: unknown, field = "campaign.id"): string {
  if (typeof id !== "string" || !CAMPAIGN_ID.test(id)) {
    throw new ValidationError(field, "expected lower-case letters, digits and dashes (at most 63, not starting with a dash)", id);
  }
  return id;
}

export function checkFile(file: Omit<FileRecord, "version" | "ingestedAt">): void {
  checkCampaignId(file.campaignId, "file.campaignId");
  if (typeof file.path !== "string" || file.path.length === 0) throw new ValidationError("file.path", "expected a relative path", file.path);
  if (typeof file.sha256 !== "string" || !SHA256_HEX.test(file.sha256)) {
    throw new ValidationError("file.sha256", "expected 64 lower-case hex digits", file.sha256);
  }
  if (!Number.isSafeInteger(file.size) || file.size < 0) throw new ValidationError("file.size", "expected a byte count", file.size);
  if (!FILE_STATUSES.has(file.status)) throw new ValidationError("file.status", 'expected "ingested" or "rejected"', file.status);
}

export function checkDiagnosisKind(kind: unknown): void {
  if (typeof kind !== "string" || !DIAGNOSIS_KINDS.has(kind)) throw new ValidationError("diagnosis.kind", 'expected "live" or "full"', kind);
}

export function checkScope(scope: unknown): void {
  if (typeof scope !== "string" || !TOKEN_SCOPES.has(scope as TokenScope)) {
    throw new ValidationError("token.scope", 'expected "read" or "write"', scope);
  }
}

export function eventLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_EVENT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ValidationError("events.limit", "expected a positive integer", limit);
  return Math.min(limit, MAX_EVENT_LIMIT);
}

/** The event `recordFile` appends with the new version, in the same transaction. */
export function fileEvent(file: FileRecord): { type: string; payload: Record<string, unknown> } {
  return {
    type: file.status === "ingested" ? "file.ingested" : "file.rejected",
    payload: {
      path: file.path,
      version: file.version,
      sha256: file.sha256,
      size: file.size,
      kind: file.kind,
      status: file.status,
      error: file.error,
    },
  };
}

/** The event `putDiagnosis` appends with the new version, in the same transaction. */
export const DIAGNOSIS_EVENT = "diagnosis.updated";

export function unknownCampaign(id: string): ValidationError {
  return new ValidationError("campaign", "no campaign registered with this id", id);
}

/**
 * Refuses a database written by a newer program: its migrations may have changed tables this
 * program would then misuse. `where` names the database (file or redacted URL).
 */
export function checkSchemaVersion(where: string, found: number, known: number): void {
  if (found > known) {
    throw new EngineError(
      "data",
      `${where}: schema version ${found} is newer than this program knows (${known}); use a newer strata or another --store`,
    );
  }
}

/** One migration: the statements that take the schema from `version - 1` to `version`. */
export interface Migration {
  version: number;
  /** what the step does, for the reader of the migrations list */
  description: string;
  statements: readonly string[];
}

/** The URL with its password (userinfo or `password=` parameter) replaced by `***`: what error messages show. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, "$1***@").replace(/([?&]password=)[^&]*/gi, "$1***");
}
