/**
 * @module io/impedanceTime
 * When an impedance spectrum was measured, from the instrument export: the
 * BioLogic EC-Lab `.mpt` header's `Acquisition started on : MM/DD/YYYY HH:MM:SS.fff`
 * (local time as written, no zone) and its `time/s` column (seconds since that
 * start, one value per frequency). The spectrum itself is read by
 * `io/impedance`; this reader only adds the times, so a sequence of spectra can
 * be placed on the clock of other measurements (e.g. reflectivity slices).
 *
 * Units: seconds; absolute times as ISO 8601 local date-times without zone
 * (`2025-04-20T10:55:16.521`), exactly as the instrument wrote them.
 */
import fs from "node:fs";
import { ParseError } from "../core/errors.ts";

/** Largest |time/s| accepted (s): 10⁵ years. */
const MAX_SECONDS = 3.2e12;

/** The times of one spectrum. */
export interface ImpedanceTimes {
  /** The file. */
  readonly source: string;
  /** Seconds since the acquisition start, per point, in the file's row order. */
  readonly time_s: Float64Array;
  /** First, last and mid-point of `time_s` (s). */
  readonly start_s: number;
  readonly end_s: number;
  readonly mid_s: number;
  /** The acquisition start as written in the header (ISO local, no zone), when the header has one. */
  readonly acquisitionStart?: string;
  /** acquisitionStart + start_s and + end_s (ISO local, no zone), when the header has a start. */
  readonly startTime?: string;
  readonly endTime?: string;
}

/**
 * Reads the acquisition start and the per-point `time/s` of a BioLogic `.mpt` impedance export.
 *
 * @param path - the `.mpt` file (Latin-1)
 * @returns times per point and the absolute start when the header gives it
 * @throws {ParseError} naming file and line: not an EC-Lab text file, a bad header count, no `time/s`
 *   column, or a `time/s` value that is not a finite number
 * @example
 * ```ts
 * const t = readImpedanceTimes("PEIS_seq01.mpt");
 * console.log(t.acquisitionStart, t.mid_s);
 * ```
 */
export function readImpedanceTimes(path: string): ImpedanceTimes {
  let text: string;
  try {
    text = fs.readFileSync(path).toString("latin1");
  } catch (error) {
    throw new ParseError(path, `cannot read file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return parseImpedanceTimes(text, path);
}

/**
 * As {@link readImpedanceTimes}, from the file's text.
 *
 * @param text - the whole `.mpt` text
 * @param source - file name for messages
 */
export function parseImpedanceTimes(text: string, source: string): ImpedanceTimes {
  const lines = text.split(/\r\n|\r|\n/);
  if (!/^(EC|BT)-Lab ASCII FILE/i.test(lines[0]?.trim() ?? "")) {
    throw new ParseError(source, `expected 'EC-Lab ASCII FILE' on the first line, found ${JSON.stringify((lines[0] ?? "").slice(0, 40))}; times are read from BioLogic .mpt exports only`, { line: 1 });
  }
  const count = /^Nb header lines\s*:\s*(\d+)\s*$/.exec(lines[1] ?? "");
  if (!count) throw new ParseError(source, `expected 'Nb header lines : N', found ${JSON.stringify((lines[1] ?? "").slice(0, 40))}`, { line: 2 });
  const headerLines = Number(count[1]);
  if (headerLines < 3 || headerLines > lines.length) throw new ParseError(source, `'Nb header lines' ${headerLines} does not fit a file of ${lines.length} lines`, { line: 2 });
  let acquisitionStart: string | undefined;
  for (let i = 2; i < headerLines - 1; i++) {
    const m = /^Acquisition started on\s*:\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)\s*$/.exec(lines[i]);
    if (m) {
      const [, month, day, year, hour, minute, second] = m;
      const iso = `${year}-${month.padStart(2, "0")}-${day.padStart(2, "0")}T${hour.padStart(2, "0")}:${minute}:${second.padStart(2, "0")}`;
      const ms = Date.parse(`${iso}Z`);
      // Date.parse rolls 31 April over to 1 May: require the calendar to give back what was written
      if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== iso.slice(0, 19)) {
        throw new ParseError(source, `'Acquisition started on' is not a valid MM/DD/YYYY HH:MM:SS date-time: ${JSON.stringify(lines[i].trim().slice(0, 60))}`, { line: i + 1 });
      }
      acquisitionStart = iso;
      break;
    }
  }
  const names = lines[headerLines - 1].split("\t").map((name) => name.trim());
  const column = names.indexOf("time/s");
  if (column < 0) throw new ParseError(source, `no time/s column (columns: ${names.filter((n) => n !== "").slice(0, 8).join(", ")}, …)`, { line: headerLines });
  const times: number[] = [];
  const rows: number[] = [];
  for (let i = headerLines; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    const raw = (lines[i].split("\t")[column] ?? "").trim().replace(",", ".");
    const value = raw === "" ? Number.NaN : Number(raw);
    if (!Number.isFinite(value)) throw new ParseError(source, `time/s (column ${column + 1}) is not a finite number: ${JSON.stringify(raw)}`, { line: i + 1 });
    times.push(value);
    rows.push(i + 1);
  }
  if (times.length === 0) throw new ParseError(source, "no data rows after the header", { line: headerLines + 1 });
  for (let k = 0; k < times.length; k++) {
    // beyond ±10⁵ years the absolute times leave the calendar (and no instrument export runs that long)
    if (Math.abs(times[k]) > MAX_SECONDS) throw new ParseError(source, `time/s ${times[k]} s is not a plausible time since the acquisition start`, { line: rows[k] });
  }
  const time_s = Float64Array.from(times);
  const start_s = Math.min(...times);
  const end_s = Math.max(...times);
  const shift = (seconds: number): string | undefined => (acquisitionStart === undefined ? undefined : addSeconds(acquisitionStart, seconds));
  return {
    source,
    time_s,
    start_s,
    end_s,
    mid_s: (start_s + end_s) / 2,
    ...(acquisitionStart === undefined ? {} : { acquisitionStart, startTime: shift(start_s), endTime: shift(end_s) }),
  };
}

/** A zone-less ISO local date-time plus seconds (calendar arithmetic in UTC, so no daylight-saving shifts). */
function addSeconds(local: string, seconds: number): string {
  const ms = Date.parse(`${local}Z`) + Math.round(seconds * 1000);
  return new Date(ms).toISOString().replace("Z", "");
}
