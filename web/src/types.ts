/**
 * @module web/types
 * What the live page reads from the service: the strata-live/1 document (as the contract of
 * issue 17 states it), the campaign list, the ingest state and the events. The page is built
 * separately from src/, so these are copies of the wire shapes, checked at the edge by
 * {@link asLiveDocument}. Units: Å (thickness), s (time), A, C, Ω, F, Gy, Å⁻¹ (q).
 */

export interface Interval {
  median: number;
  lo95: number;
  hi95: number;
}

export interface TimelineEntry {
  scan: string;
  time_s: number;
  spot?: string;
  thickness_A?: Interval | null;
  independent_A?: { value: number; stderr: number } | null;
}

export interface LatestScan {
  id: string;
  q: number[];
  r: number[];
  dr: number[];
  fit: number[];
  chi2red?: number;
}

export interface QualityFlag {
  severity: string;
  code?: string;
  message: string;
}

export interface LiveCell {
  id: string;
  headline?: string;
  law?: { best?: string; weights?: Record<string, number> } | null;
  timeline?: TimelineEntry[];
  parameters?: Record<string, { median: number; lo95: number; hi95: number; unit?: string }>;
  latestScan?: LatestScan | null;
  posterior?: { ess?: number } | null;
  dose_Gy?: Record<string, number> | null;
  current?: { time_s: number[]; current_A: number[]; charge_C: number[] } | null;
  impedance?: { id: string; time_s: number; R_int_ohm: number; C_int_F: number }[] | null;
  quality?: QualityFlag[];
  trust?: { level?: string; reasons?: string[]; qualifications?: { message: string }[] } | null;
}

export interface LiveDocument {
  format: string;
  campaign: string;
  generated: string;
  method: string;
  scans: number;
  pending?: string[];
  cells: LiveCell[];
}

export interface CampaignSummary {
  id: string;
  name: string;
  files?: number;
  scans?: number;
  diagnosisVersion?: number | null;
}

export interface IngestState {
  seen: number;
  ingested: number;
  waiting: { path: string; size: number; since: string }[];
  rejected: { path: string; error: string }[];
}

/** One server-sent event as the page receives it. */
export interface StrataEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

/** The document, or an error naming what is wrong with it (the page shows that line). */
export function asLiveDocument(value: unknown): LiveDocument {
  if (typeof value !== "object" || value === null) throw new Error(`diagnosis: expected a JSON object, got ${typeof value}`);
  const doc = value as Partial<LiveDocument>;
  if (doc.format !== "strata-live/1") throw new Error(`diagnosis: format is ${JSON.stringify(doc.format)}, expected "strata-live/1"`);
  if (!Array.isArray(doc.cells)) throw new Error("diagnosis: cells is not an array");
  return doc as LiveDocument;
}
