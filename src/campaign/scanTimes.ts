/**
 * @module campaign/scanTimes
 * A scan's exposure window when the manifest leaves it (or part of it) to the file:
 * the times a reflectivity file's header states, and which of them become the scan's
 * start and end, each with where it came from (shown by `strata inspect`).
 *
 * Header times read:
 * - ORSO `.ort`: `data_source.measurement.data_files[].timestamp` (the start of each raw
 *   file; the earliest is the scan's start), else `data_source.experiment.start_date`
 *   when it is a date-time (a date alone is no time). ORSO states no end.
 * - SNS Liquids Reflectometer reduced text: `# Run start time:` (UTC; io/reflectivityData's
 *   `header.startTime`). No end.
 * - NeXus/HDF5: the entry's `start_time` and `end_time`.
 * An end the header lacks comes from the manifest's `end` or `duration_s`; without them
 * the scan is refused with a line saying which to give. A header time without a zone
 * (Amor writes local times) takes the scan's `utcOffset`; without one it is refused —
 * never guessed. Times the manifest gives win; a header start more than
 * {@link HEADER_MISMATCH_S} away from the manifest's is a warning.
 *
 * Units: seconds; times as {@link IsoTime} (UTC epoch seconds + fraction).
 */
import { ValidationError } from "../core/errors.ts";
import { readOrt } from "../io/ort.ts";
import type { ReflectivityData } from "../io/reflectivityData.ts";
import { checkTimeFromT0, parseIsoTime, secondsBetween, USUAL_WINDOW_S, type IsoTime, type ManifestScan } from "./manifest.ts";

/** A time as a file's header writes it. */
export interface HeaderTime {
  /** The text as written (possibly without a zone). */
  readonly text: string;
  /** Where in the header, e.g. `measurement.data_files[0].timestamp`. */
  readonly key: string;
}

/** What a file's header says about a scan's times. */
export interface HeaderTimes {
  /** Candidate starts; the earliest is the scan's start. */
  readonly starts: readonly HeaderTime[];
  readonly end: HeaderTime | undefined;
}

/** A manifest scan with its window resolved (what `loadCampaign` returns in `manifest.scans`). */
export type TimedScan = ManifestScan & ScanTimes;

/** A scan's resolved window and where each end came from. */
export interface ScanTimes {
  readonly start: IsoTime;
  readonly end: IsoTime;
  /** `manifest`, or `header <key>` of the file. */
  readonly startFrom: string;
  /** `manifest`, `duration_s`, or `header <key>`. */
  readonly endFrom: string;
}

/** A manifest start this many seconds away from the header's is reported (s). */
export const HEADER_MISMATCH_S = 1;

/**
 * The times a reflectivity file's header states (see the module header).
 * @param file - the file's path (an `.ort` file is read again for its header)
 * @param curve - the curve read from it (SNS header, NeXus metadata)
 * @param dataset - 0-based dataset of a multi-dataset `.ort` file
 * @returns candidate starts and the end, each with its header key; empty when the format states none
 * @example
 * ```ts
 * headerTimes("prist5_10K_m_025.Rqz.ort", curve, 0).starts[0]; // {text: "2023-11-29T10:12:45", key: "measurement.data_files[0].timestamp"}
 * ```
 */
export function headerTimes(file: string, curve: ReflectivityData, dataset: number): HeaderTimes {
  if (file.toLowerCase().endsWith(".ort")) {
    const header = readOrt(file).datasets[dataset]?.header ?? {};
    const source = record(header["data_source"]);
    const files = record(source["measurement"])["data_files"];
    const starts: HeaderTime[] = [];
    if (Array.isArray(files)) {
      files.forEach((entry, i) => {
        const timestamp = record(entry)["timestamp"];
        if (typeof timestamp === "string" && timestamp.trim() !== "") starts.push({ text: timestamp.trim(), key: `measurement.data_files[${i}].timestamp` });
      });
    }
    const startDate = record(source["experiment"])["start_date"];
    if (starts.length === 0 && typeof startDate === "string" && startDate.includes("T")) starts.push({ text: startDate.trim(), key: "experiment.start_date" });
    return { starts, end: undefined };
  }
  const metadata = (curve as { metadata?: Record<string, string> }).metadata;
  if (metadata !== undefined && typeof metadata === "object") {
    const start = metadata["start_time"];
    const end = metadata["end_time"];
    return { starts: start ? [{ text: start.trim(), key: "start_time" }] : [], end: end ? { text: end.trim(), key: "end_time" } : undefined };
  }
  const start = curve.header?.startTime;
  return { starts: start ? [{ text: start, key: "Run start time" }] : [], end: undefined };
}

/**
 * The scan's window: the manifest's times where given, else the header's (see the module header).
 * @param scan - the manifest's scan
 * @param jsonPath - `scans[i]`, for messages
 * @param header - what the file's header states ({@link headerTimes})
 * @param t0 - the campaign's time zero (a start before it is a warning)
 * @param warnings - receives a manifest/header mismatch, an unused utcOffset, a start before t0
 * @throws {ValidationError} naming `scans[i].start`, `.end` or `.utcOffset`: a time neither
 *   the manifest nor the header gives, a zone-less header time without utcOffset, end not after start
 */
export function resolveScanTimes(scan: ManifestScan, jsonPath: string, header: HeaderTimes, t0: IsoTime, warnings: string[]): ScanTimes {
  let usedOffset = false;
  const parseHeader = (time: HeaderTime): IsoTime => {
    const where = `${jsonPath}.file`;
    if (hasZone(time.text)) return parseIsoTime(time.text, `${where} (header ${time.key} of ${scan.file})`);
    if (scan.utcOffset === undefined) {
      throw new ValidationError(
        `${jsonPath}.utcOffset`,
        `is required: ${scan.file} states ${time.key} ${time.text} without a time zone; give the zone of the instrument's clock as utcOffset ("+01:00", "Z" …), or give start and end`,
      );
    }
    usedOffset = true;
    return parseIsoTime(`${time.text}${scan.utcOffset}`, `${where} (header ${time.key} of ${scan.file} with utcOffset ${scan.utcOffset})`);
  };

  const headerStarts = header.starts.map((time) => ({ time, at: parseHeader(time) }));
  const earliest = headerStarts.reduce<(typeof headerStarts)[number] | undefined>((best, s) => (best === undefined || secondsBetween(s.at, best.at) > 0 ? s : best), undefined);
  let start: IsoTime;
  let startFrom: string;
  if (scan.start) {
    start = scan.start;
    startFrom = "manifest";
    if (earliest) {
      const differs = Math.abs(secondsBetween(earliest.at, scan.start));
      if (differs > HEADER_MISMATCH_S) warnings.push(`${jsonPath}.start (${scan.start.iso}) differs from the header of ${scan.file} (${earliest.time.key} ${earliest.time.text}) by ${differs.toFixed(1)} s; using the manifest`);
    }
  } else if (earliest) {
    start = earliest.at;
    startFrom = `header ${earliest.time.key}`;
  } else {
    throw new ValidationError(`${jsonPath}.start`, `is required: the header of ${scan.file} states no start time (read from .ort data_files timestamps or start_date, SNS "Run start time", NeXus start_time)`);
  }

  let end: IsoTime;
  let endFrom: string;
  if (scan.end) {
    end = scan.end;
    endFrom = "manifest";
  } else if (scan.duration_s !== undefined) {
    const whole = Math.floor(start.fraction + scan.duration_s);
    const epochSeconds = start.epochSeconds + whole;
    const fraction = start.fraction + scan.duration_s - whole;
    end = { iso: new Date((epochSeconds + fraction) * 1000).toISOString(), epochSeconds, fraction };
    endFrom = "duration_s";
  } else if (header.end) {
    end = parseHeader(header.end);
    endFrom = `header ${header.end.key}`;
  } else {
    throw new ValidationError(`${jsonPath}.end`, `is required: the header of ${scan.file} states ${startFrom === "manifest" ? "no times" : "when the scan started but not when it ended"}; give end, or duration_s (s)`);
  }

  if (!(secondsBetween(start, end) > 0)) throw new ValidationError(`${jsonPath}.end`, `must be after the start (${start.iso}, from ${startFrom}); the end is ${end.iso} (from ${endFrom})`);
  if (startFrom !== "manifest") {
    if (secondsBetween(t0, start) < 0) warnings.push(`${jsonPath}: starts ${(-secondsBetween(t0, start)).toPrecision(4)} s before t0 (start from ${startFrom} of ${scan.file})`);
    checkTimeFromT0(start, `${jsonPath}.start (${startFrom} of ${scan.file})`, t0, warnings);
  }
  const duration = secondsBetween(start, end);
  if (endFrom !== "manifest" && duration > USUAL_WINDOW_S) warnings.push(`${jsonPath}: the window from ${startFrom} to ${endFrom} lasts ${(duration / 86400).toPrecision(3)} days, longer than any single scan: check the times`);
  if (scan.utcOffset !== undefined && !usedOffset) warnings.push(`${jsonPath}.utcOffset: unused (every time of this scan has a zone or is given by the manifest)`);
  return { start, end, startFrom, endFrom };
}

const hasZone = (text: string): boolean => /(Z|[+-]\d{2}:\d{2})$/.test(text);

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
