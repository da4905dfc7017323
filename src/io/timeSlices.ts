/**
 * @module io/timeSlices
 * Time windows of event-sliced (time-resolved) neutron reflectivity: the reduction JSON
 * of the SNS event splitter (`r<run>_eis_reduction.json`: `run_number`, `duration` (s),
 * `intervals[] {label, interval_type, start, end}`, `reduced_files[]`), optionally
 * beside `reduction_options.json` (`event_file`, `n_intervals`, `scan_index`, …).
 *
 * Pairing of slice files and windows: the splitter writes interval k to
 * `r<run>_<label>.txt`; `reduced_files[k]` names that file, so the pairing is by label
 * (and checked against `reduced_files` when present). In the April 2025 SNS set
 * (../shared/realdata/sns-cu-thf-2025/tnr_during_eis) the 130 intervals are 30 s
 * `hold` windows and 15 `eis` windows labelled `sequence_<i>_eis_<i>`: slice file
 * `r218389_sequence_<i>_eis_<i>.txt` is the window of impedance spectrum i (EC-Lab
 * `PEIS_seq<i>`), whose end is the spectrum's last point — the splitter took the
 * windows from the potentiostat files (`eis_interval_extractor.py`, source_README.md).
 * {@link TimeSlice.index} is that i (1-based), read from the label.
 *
 * Clocks: the interval times carry no zone — they are the potentiostat PC's local
 * clock (EC-Lab's `Acquisition started on` of the first spectrum equals the first
 * interval's start to the millisecond). The SNS run start in a reduced file's header is
 * UTC. Times are therefore given relative to an origin: the run start when
 * `runStart` (ISO with zone) and `utcOffset` (the zone of the interval clock, e.g.
 * "-04:00" for EDT) are both given — every window must then lie inside the run
 * (`runStart` … `runStart + duration`), which catches a wrong offset; otherwise the
 * first interval's start. The offset is never guessed.
 *
 * Units: times s or h as named; absolute times ISO 8601.
 */
import fs from "node:fs";
import path from "node:path";
import { ParseError, ValidationError } from "../core/errors.ts";
import { parseJsonText } from "./json.ts";

/** One interval of the reduction JSON. */
export interface SliceInterval {
  /** e.g. "sequence_3_eis_3", "hold_gap_2_5" */
  readonly label: string;
  /** e.g. "eis", "hold" */
  readonly type: string;
  /** start and end as written in the file (zone-less local clock unless the text has a zone) */
  readonly startText: string;
  readonly endText: string;
  /** start and end, s since the origin ({@link TimeSlices.origin}) */
  readonly start_s: number;
  readonly end_s: number;
  /** the reduced file the splitter wrote for this interval (basename), when listed */
  readonly reducedFile?: string;
}

/** One time slice paired with its window. */
export interface TimeSlice extends SliceInterval {
  /** slice number i from the `…_<i>` labels (`sequence_<i>_eis_<i>` → i) when they all carry distinct numbers ≥ 1, else the 1-based position by start time */
  readonly index: number;
  /** start, end, duration in hours since the origin */
  readonly start_h: number;
  readonly end_h: number;
  readonly duration_s: number;
  /** absolute start and end, ISO 8601 UTC when the interval clock's offset is known */
  readonly startUtc?: string;
  readonly endUtc?: string;
  /** the slice's data file in the JSON's folder (`r<run>_<label>.txt`), when it exists */
  readonly file?: string;
}

/** The windows of one event-sliced run. */
export interface TimeSlices {
  readonly source: string;
  readonly run: string;
  /** run duration (s) as the JSON states it */
  readonly runDuration_s: number | undefined;
  /** what times are measured from: "run-start" (runStart and utcOffset given) or "first-interval" */
  readonly originKind: "run-start" | "first-interval";
  /** the origin as text: ISO UTC for "run-start", the first interval's start text otherwise */
  readonly origin: string;
  /** every interval, in file order */
  readonly intervals: readonly SliceInterval[];
  /** the intervals of the selected type (default "eis"), ordered by start */
  readonly slices: readonly TimeSlice[];
  /** reduction_options.json beside the JSON, when present */
  readonly options?: Readonly<Record<string, unknown>>;
  readonly warnings: readonly string[];
}

/** Options of {@link readTimeSlices}. */
export interface ReadTimeSlicesOptions {
  /** interval type taken as slices. @default "eis" */
  type?: string;
  /** the run's start, ISO 8601 with a zone (an SNS reduced file's `header.startTime`) */
  runStart?: string;
  /** zone of the intervals' clock, `±HH:MM` or `Z` (needed with runStart) */
  utcOffset?: string;
}

/** Windows may overrun the run's end by this much (s): the JSON's duration is rounded to the pulse. */
const RUN_END_SLACK_S = 1;

/**
 * Read the time windows of an event-sliced run and pair each slice with its window.
 * @param file - the reduction JSON (`r<run>_eis_reduction.json`)
 * @param options - slice type; run start and interval clock zone for times since the run start
 * @returns every interval, and the selected slices with start, end, duration (h since origin) and data file
 * @throws ParseError naming the file for malformed JSON, a bad time, an end before its start, duplicate labels
 * @throws ValidationError for a bad option, or windows outside the run (a wrong utcOffset)
 * @example
 * const { slices } = readTimeSlices("tnr/r218389_eis_reduction.json", { runStart: "2025-04-20T14:54:15.487Z", utcOffset: "-04:00" });
 * slices[0].start_h; // 0.158
 */
export function readTimeSlices(file: string, options: ReadTimeSlicesOptions = {}): TimeSlices {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ParseError(file, `cannot read file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const dir = path.dirname(file);
  let reductionOptions: Record<string, unknown> | undefined;
  const optionsFile = path.join(dir, "reduction_options.json");
  if (fs.existsSync(optionsFile)) {
    const parsed = parseJsonText(fs.readFileSync(optionsFile, "utf8"), optionsFile);
    if (!isRecord(parsed)) throw new ParseError(optionsFile, "must hold a JSON object");
    reductionOptions = parsed;
  }
  return parseTimeSlices(text, file, options, reductionOptions, (name) => fs.existsSync(path.join(dir, name)));
}

/**
 * {@link readTimeSlices} on text in memory.
 * @param text - the reduction JSON
 * @param source - named in errors; slice files are looked for in its folder
 * @param options - see {@link ReadTimeSlicesOptions}
 * @param reductionOptions - parsed reduction_options.json, when there is one
 * @param exists - whether a slice file of that basename exists beside the JSON
 */
export function parseTimeSlices(
  text: string,
  source: string,
  options: ReadTimeSlicesOptions = {},
  reductionOptions?: Record<string, unknown>,
  exists: (basename: string) => boolean = () => false,
): TimeSlices {
  const type = options.type ?? "eis";
  if (typeof type !== "string" || type === "") throw new ValidationError("type", "must be a non-empty interval type", type);
  const offset = options.utcOffset === undefined ? undefined : utcOffsetSeconds(options.utcOffset);
  let runStartMs: number | undefined;
  if (options.runStart !== undefined) {
    runStartMs = typeof options.runStart === "string" && /(Z|[+-]\d{2}:?\d{2})$/.test(options.runStart) ? Date.parse(options.runStart) : Number.NaN;
    if (!Number.isFinite(runStartMs)) throw new ValidationError("runStart", "must be an ISO 8601 date-time with a zone (Z or ±HH:MM)", options.runStart);
    if (offset === undefined) throw new ValidationError("utcOffset", "is required with runStart: the intervals' times carry no zone (e.g. \"-04:00\" for a US Eastern clock in summer)");
  }
  const doc = parseJsonText(text, source);
  if (!isRecord(doc)) throw new ParseError(source, "must hold a JSON object {run_number, intervals, …}");
  const runValue = doc["run_number"];
  if (!(typeof runValue === "number" && Number.isInteger(runValue)) && !(typeof runValue === "string" && runValue !== "")) {
    throw new ParseError(source, `run_number must be an integer or a string (got ${JSON.stringify(runValue) ?? "nothing"})`);
  }
  const run = String(runValue);
  const durationValue = doc["duration"];
  if (durationValue !== undefined && !(typeof durationValue === "number" && Number.isFinite(durationValue) && durationValue > 0)) {
    throw new ParseError(source, `duration must be a number of seconds > 0 (got ${JSON.stringify(durationValue)})`);
  }
  const runDuration_s = durationValue;
  const list = doc["intervals"];
  if (!Array.isArray(list) || list.length === 0) throw new ParseError(source, "intervals must be a non-empty array of {label, interval_type, start, end}");
  const declared = doc["n_intervals"];
  const warnings: string[] = [];
  if (declared !== undefined && declared !== list.length) warnings.push(`${source}: n_intervals says ${JSON.stringify(declared)} but intervals holds ${list.length}`);
  const reduced = doc["reduced_files"];
  if (reduced !== undefined && !(Array.isArray(reduced) && reduced.every((f) => typeof f === "string"))) throw new ParseError(source, "reduced_files must be an array of file names");
  const reducedNames = new Set((reduced ?? []).map((f) => basename(f)));

  const seen = new Set<string>();
  const raw = list.map((entry: unknown, k: number) => {
    const at = `intervals[${k}]`;
    if (!isRecord(entry)) throw new ParseError(source, `${at} must be an object {label, interval_type, start, end}`);
    const label = entry["label"];
    const kind = entry["interval_type"];
    if (typeof label !== "string" || label === "") throw new ParseError(source, `${at}.label must be a non-empty string (got ${JSON.stringify(label) ?? "nothing"})`);
    if (typeof kind !== "string") throw new ParseError(source, `${at}.interval_type must be a string (got ${JSON.stringify(kind) ?? "nothing"})`);
    if (seen.has(label)) throw new ParseError(source, `${at}.label ${JSON.stringify(label)} is used twice; labels name the slice files`);
    seen.add(label);
    const startText = entry["start"];
    const endText = entry["end"];
    const start = clockMs(startText, source, `${at}.start`);
    const end = clockMs(endText, source, `${at}.end`);
    if (!(end > start)) throw new ParseError(source, `${at} ends (${String(endText)}) before or when it starts (${String(startText)})`);
    const expected = `r${run}_${label}.txt`;
    return { label, type: kind, startText: startText as string, endText: endText as string, start, end, reducedFile: reducedNames.has(expected) ? expected : undefined };
  });
  if (reduced !== undefined && reduced.length === list.length) {
    reduced.forEach((f, k) => {
      if (basename(f) !== `r${run}_${raw[k].label}.txt`) warnings.push(`${source}: reduced_files[${k}] is ${basename(f)}, not r${run}_${raw[k].label}.txt as intervals[${k}].label gives`);
    });
  }
  if (reductionOptions) {
    const event = reductionOptions["event_file"];
    if (event !== undefined && !((typeof event === "string" || typeof event === "number") && String(event) === run)) warnings.push(`${source}: reduction_options.json names event file ${JSON.stringify(event)}, not run ${run}`);
    const n = reductionOptions["n_intervals"];
    if (n !== undefined && n !== list.length) warnings.push(`${source}: reduction_options.json says n_intervals ${JSON.stringify(n)}, the JSON holds ${list.length}`);
  }

  // origin: the run start (UTC) when the interval clock's zone is known, else the first interval
  const firstStart = Math.min(...raw.map((r) => r.start));
  let originMs = firstStart;
  let originKind: TimeSlices["originKind"] = "first-interval";
  let origin = raw.find((r) => r.start === firstStart)!.startText;
  if (runStartMs !== undefined && offset !== undefined) {
    // zone-less times were parsed as UTC: the true UTC instant is that minus the offset
    originMs = runStartMs + offset * 1000;
    originKind = "run-start";
    origin = new Date(runStartMs).toISOString();
    const lastEnd = Math.max(...raw.map((r) => r.end));
    const before = (firstStart - originMs) / 1000;
    const after = runDuration_s === undefined ? undefined : (lastEnd - originMs) / 1000 - runDuration_s;
    if (before < 0 || (after !== undefined && after > RUN_END_SLACK_S)) {
      // local = UTC + offset and the first window starts at or after the run start: offset ≤ first − start
      const hours = Math.floor((firstStart - runStartMs) / 3.6e6);
      const where = before < 0 ? `the first starts ${(-before).toFixed(0)} s before the run start` : `the last ends ${after!.toFixed(0)} s after the run's end (duration ${runDuration_s} s)`;
      throw new ValidationError("utcOffset", `puts the intervals outside run ${run} (${where}); the interval clock is more likely at ${formatOffset(hours)}`, options.utcOffset);
    }
  }
  const intervals: SliceInterval[] = raw.map((r) => ({
    label: r.label,
    type: r.type,
    startText: r.startText,
    endText: r.endText,
    start_s: (r.start - originMs) / 1000,
    end_s: (r.end - originMs) / 1000,
    ...(r.reducedFile !== undefined ? { reducedFile: r.reducedFile } : {}),
  }));
  const selected = intervals.map((interval, k) => ({ interval, k })).filter(({ interval }) => interval.type === type);
  selected.sort((a, b) => a.interval.start_s - b.interval.start_s);
  // slice numbers from the labels when every selected label ends in a distinct number ≥ 1, else positions
  const numbers = selected.map(({ interval }) => {
    const m = /_(\d+)$/.exec(interval.label);
    return m ? Number(m[1]) : 0;
  });
  const byLabel = numbers.every((n) => n >= 1) && new Set(numbers).size === numbers.length;
  if (!byLabel && selected.length > 0) warnings.push(`${source}: the ${type} labels do not all end in distinct numbers ≥ 1; slices numbered by start time instead`);
  const slices: TimeSlice[] = selected.map(({ interval, k }, position) => {
    const index = byLabel ? numbers[position] : position + 1;
    const name = `r${run}_${interval.label}.txt`;
    const utc = (ms: number): string => new Date(ms - (offset ?? 0) * 1000).toISOString();
    return {
      ...interval,
      index,
      start_h: interval.start_s / 3600,
      end_h: interval.end_s / 3600,
      duration_s: interval.end_s - interval.start_s,
      ...(offset !== undefined ? { startUtc: utc(raw[k].start), endUtc: utc(raw[k].end) } : {}),
      ...(exists(name) ? { file: name } : {}),
    };
  });
  if (slices.length === 0) warnings.push(`${source}: no interval of type ${JSON.stringify(type)} (types: ${[...new Set(intervals.map((i) => i.type))].join(", ")})`);
  return {
    source,
    run,
    runDuration_s,
    originKind,
    origin,
    intervals,
    slices,
    ...(reductionOptions ? { options: reductionOptions } : {}),
    warnings,
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const basename = (file: string): string => file.split(/[\\/]/).pop() ?? file;

/** A zone-less clock reading (or one with a zone), as ms with the zone-less reading taken as UTC. */
function clockMs(value: unknown, source: string, at: string): number {
  const m = typeof value === "string" ? /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(value) : null;
  if (!m) throw new ParseError(source, `${at} must be an ISO 8601 date-time (got ${JSON.stringify(value) ?? "nothing"})`);
  const frac = (m[7] ?? "0").padEnd(3, "0");
  const zone = m[8] === undefined ? "Z" : m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8];
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${frac.slice(0, 3)}${zone}`);
  // sub-millisecond digits kept (the windows are given to the microsecond; doubles hold ~0.2 µs at this magnitude)
  const extra = frac.length > 3 ? Number(`0.${frac.slice(3)}`) : 0;
  if (!Number.isFinite(ms)) throw new ParseError(source, `${at} is not a valid date-time (got ${JSON.stringify(value)})`);
  return ms + extra;
}

function utcOffsetSeconds(text: unknown): number {
  if (text === "Z") return 0;
  const m = typeof text === "string" ? /^([+-])(\d{2}):(\d{2})$/.exec(text) : null;
  if (!m || Number(m[2]) > 23 || Number(m[3]) > 59) throw new ValidationError("utcOffset", 'must be "Z" or ±HH:MM (e.g. "-04:00")', text);
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60);
}

function formatOffset(hours: number): string {
  const h = Math.abs(hours);
  return `${hours < 0 ? "-" : "+"}${String(h).padStart(2, "0")}:00`;
}
