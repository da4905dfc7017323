/**
 * @module service/replay
 * Replays a finished campaign folder into another folder at a chosen pace, as the instrument
 * and the cycler wrote it, so the live service (and a newcomer) can watch an experiment:
 * `campaign.json` first, then each scan and impedance spectrum at the end of its window, the
 * cycler record growing by appended chunks up to the replay's current campaign time.
 *
 * Pace: `speed` maps campaign time to wall time, wall = (t − t_first)/speed, t_first the
 * earliest time of any file or cycler row; `interval_s` instead puts a fixed wall interval
 * between consecutive files (the cycler record follows the campaign time interpolated between
 * them). Scans and spectra are written through a temporary hidden name and a rename, so they
 * appear complete; the cycler record is appended in place every {@link CYCLER_TICK_MS}.
 *
 * Units: campaign times in s since the manifest's t0; wall times in s (ms where named).
 */
import fs from "node:fs";
import path from "node:path";
import { ValidationError } from "../core/errors.ts";
import { loadCampaign } from "../campaign/campaign.ts";
import { secondsBetween } from "../campaign/manifest.ts";
import { MANIFEST_NAME, writeFileAtomic } from "./ingest.ts";

/** How often the growing cycler record is appended to during a replay (wall ms). */
export const CYCLER_TICK_MS = 1000;

/** One file the replay writes whole. */
export interface ReplayStep {
  kind: "manifest" | "scan" | "impedance";
  /** manifest-relative path (also the path inside the target folder) */
  path: string;
  /** the scan's or spectrum's id, when it has one */
  id: string | undefined;
  /** when the file is complete: end of the scan's or spectrum's window (s since t0) */
  time_s: number;
}

/** A cycler record split into a header and time-stamped lines. */
export interface CyclerGrowth {
  path: string;
  /** bytes before the first data line (header lines) */
  header: Buffer;
  /** each data line (with its line ending) */
  lines: Buffer[];
  /** campaign time of each data line (s since t0), non-decreasing */
  times: number[];
  /** a binary record cannot grow line by line: written whole at its last time */
  whole: Buffer | undefined;
}

export interface ReplayPlan {
  campaignDir: string;
  steps: ReplayStep[];
  cyclers: CyclerGrowth[];
  /** the earliest time of any file or cycler row (s since t0) */
  first_s: number;
  /** the latest (s since t0) */
  last_s: number;
}

/**
 * Read a campaign folder and plan its replay.
 * @param campaignDir - a folder holding campaign.json and its files (read with loadCampaign)
 * @throws the loader's one-line error for a bad campaign; ValidationError for an absolute file path in the manifest
 */
export async function replayPlan(campaignDir: string): Promise<ReplayPlan> {
  const campaign = await loadCampaign(campaignDir);
  const { manifest } = campaign;
  const relative = (file: string, where: string): string => {
    if (path.isAbsolute(file)) throw new ValidationError(where, "replay needs paths relative to the campaign folder", file);
    return path.posix.normalize(file.replaceAll("\\", "/"));
  };
  const steps: ReplayStep[] = [];
  const written = new Set<string>();
  campaign.cells.flatMap((cell) => cell.scans).forEach((scan) => {
    const p = relative(scan.file, `scans[${manifest.scans.findIndex((s) => s.id === scan.id)}].file`);
    const time = scan.end_s;
    const existing = steps.find((s) => s.path === p);
    if (existing) existing.time_s = Math.max(existing.time_s, time);
    else steps.push({ kind: "scan", path: p, id: scan.id, time_s: time });
    written.add(p);
  });
  manifest.impedance.forEach((entry, i) => {
    const p = relative(entry.file, `impedance[${i}].file`);
    if (written.has(p)) return;
    written.add(p);
    steps.push({ kind: "impedance", path: p, id: entry.id, time_s: secondsBetween(manifest.t0, entry.end) });
  });
  steps.sort((a, b) => a.time_s - b.time_s || a.path.localeCompare(b.path));

  const cyclers: CyclerGrowth[] = [];
  manifest.electrochemistry.forEach((entry, i) => {
    const p = relative(entry.file, `electrochemistry[${i}].file`);
    const cell = campaign.cells.find((c) => c.id === entry.cell);
    const table = cell?.cycler;
    const offset = cell?.cyclerOffset_s ?? 0;
    const bytes = fs.readFileSync(path.join(campaign.dir, p));
    const testTime = table?.columns["test_time_second"];
    const lastTime = testTime && testTime.length > 0 ? testTime[testTime.length - 1] + offset : 0;
    cyclers.push({ path: p, ...splitRecord(bytes, testTime, offset, lastTime) });
  });

  const times = [...steps.map((s) => s.time_s), ...cyclers.flatMap((c) => (c.times.length > 0 ? [c.times[0], c.times[c.times.length - 1]] : []))];
  const first_s = times.length > 0 ? Math.min(...times) : 0;
  const last_s = times.length > 0 ? Math.max(...times) : 0;
  steps.unshift({ kind: "manifest", path: MANIFEST_NAME, id: undefined, time_s: first_s });
  return { campaignDir: campaign.dir, steps, cyclers, first_s, last_s };
}

/** Split a cycler file into header and data lines, each line timed by the table's row (text formats); a binary record is kept whole. */
function splitRecord(bytes: Buffer, testTime: Float64Array | undefined, offset: number, lastTime: number): Omit<CyclerGrowth, "path"> {
  const binary = bytes.subarray(0, 4096).includes(0);
  const rows = testTime?.length ?? 0;
  if (binary || rows === 0) return { header: Buffer.alloc(0), lines: [], times: [], whole: bytes };
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 10) {
      lines.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  // trailing blank lines belong to no row
  let end = lines.length;
  while (end > 0 && lines[end - 1].toString("latin1").trim() === "") end--;
  const headerCount = end - rows;
  if (headerCount < 0) return { header: Buffer.alloc(0), lines: [], times: [], whole: bytes };
  const data = lines.slice(headerCount, end);
  data[data.length - 1] = Buffer.concat([data[data.length - 1], ...lines.slice(end)]);
  const times = Array.from(testTime!, (t) => t + offset);
  // a non-monotonic clock (a reset) keeps the file's order: times are made non-decreasing
  for (let i = 1; i < times.length; i++) if (!(times[i] >= times[i - 1])) times[i] = times[i - 1];
  return { header: Buffer.concat(lines.slice(0, headerCount)), lines: data, times: times.length > 0 ? times : [lastTime], whole: undefined };
}

/** What the replay reports as each file is written. */
export interface ReplayEvent {
  kind: ReplayStep["kind"];
  path: string;
  id: string | undefined;
  /** the file's campaign time (s since t0) */
  campaignTime_s: number;
  /** wall time since the replay started (s) */
  wall_s: number;
  /** when the file appeared complete (rename), ms since the epoch */
  writtenAtMs: number;
  /** 1-based index among the steps, and their number */
  index: number;
  total: number;
}

export interface ReplayOptions {
  /** campaign seconds per wall second @default 60 */
  speed?: number;
  /** a fixed wall interval between files (s), instead of speed */
  interval_s?: number;
  /** start at this scan: earlier files (and cycler rows) are written at once */
  from?: string;
  onStep?: (event: ReplayEvent) => void;
  signal?: AbortSignal;
}

/**
 * Run a planned replay into a folder (created when missing).
 * @returns the number of cycler rows appended
 */
export async function runReplay(plan: ReplayPlan, into: string, options: ReplayOptions = {}): Promise<{ files: number; cyclerRows: number; wall_s: number }> {
  const speed = options.speed ?? 60;
  const steps = plan.steps;
  let fromTime = plan.first_s;
  if (options.from !== undefined) {
    const step = steps.find((s) => s.kind === "scan" && (s.id === options.from || s.path === options.from));
    if (!step) throw new ValidationError("--from", "names no scan of the campaign", options.from);
    fromTime = step.time_s;
  }
  // wall time of each step (s), and campaign time as a function of wall time
  const wall: number[] = [];
  const knots: [number, number][] = [];
  if (options.interval_s !== undefined) {
    let k = 0;
    for (const step of steps) {
      if (step.kind === "manifest" || step.time_s < fromTime) wall.push(0);
      else wall.push(k++ * options.interval_s);
    }
    knots.push([0, fromTime]);
    steps.forEach((s, i) => {
      if (wall[i] > 0 || s.time_s >= fromTime) knots.push([wall[i], Math.max(s.time_s, fromTime)]);
    });
  } else {
    for (const step of steps) wall.push(step.kind === "manifest" ? 0 : Math.max(0, (step.time_s - fromTime) / speed));
    knots.push([0, fromTime], [(plan.last_s - fromTime) / speed, plan.last_s]);
  }
  knots.sort((a, b) => a[0] - b[0]);
  const endWall = Math.max(0, ...wall, options.interval_s === undefined ? (plan.last_s - fromTime) / speed : 0);
  const campaignTime = (w: number): number => {
    if (w >= endWall) return Infinity;
    let t = knots[0][1];
    for (let i = 1; i < knots.length; i++) {
      const [w0, t0] = knots[i - 1];
      const [w1, t1] = knots[i];
      if (w >= w1) t = t1;
      else if (w >= w0) t = w1 > w0 ? t0 + ((w - w0) / (w1 - w0)) * (t1 - t0) : t1;
    }
    return t;
  };

  fs.mkdirSync(into, { recursive: true });
  const grown = plan.cyclers.map(() => -1); // index of the last line written, -1: nothing yet
  let cyclerRows = 0;
  const growCyclers = (t: number): void => {
    plan.cyclers.forEach((c, k) => {
      const target = path.join(into, ...c.path.split("/"));
      if (c.whole) {
        if (grown[k] < 0 && t === Infinity) {
          writeFileAtomic(target, c.whole);
          grown[k] = 0;
        }
        return;
      }
      let upTo = grown[k];
      while (upTo + 1 < c.lines.length && c.times[upTo + 1] <= t) upTo++;
      if (upTo === grown[k]) return;
      const chunk = Buffer.concat(c.lines.slice(grown[k] + 1, upTo + 1));
      if (grown[k] < 0) writeFileAtomic(target, Buffer.concat([c.header, chunk]));
      else fs.appendFileSync(target, chunk);
      cyclerRows += upTo - grown[k];
      grown[k] = upTo;
    });
  };

  const started = Date.now();
  const elapsed = (): number => (Date.now() - started) / 1000;
  for (let i = 0; i < steps.length; i++) {
    while (true) {
      if (options.signal?.aborted) throw new Error("replay aborted");
      const now = elapsed();
      if (now >= wall[i]) break;
      await sleep(Math.min((wall[i] - now) * 1000, CYCLER_TICK_MS), options.signal);
      growCyclers(campaignTime(elapsed()));
    }
    const step = steps[i];
    // the cycler first: the record reaches the scan's time before the scan appears
    if (step.kind !== "manifest") growCyclers(Math.max(step.time_s, campaignTime(elapsed())));
    const bytes = fs.readFileSync(path.join(plan.campaignDir, ...step.path.split("/")));
    writeFileAtomic(path.join(into, ...step.path.split("/")), bytes);
    options.onStep?.({ kind: step.kind, path: step.path, id: step.id, campaignTime_s: step.time_s, wall_s: elapsed(), writtenAtMs: Date.now(), index: i + 1, total: steps.length });
  }
  // the rest of the record, at the same pace
  while (elapsed() < endWall) {
    if (options.signal?.aborted) throw new Error("replay aborted");
    await sleep(Math.min((endWall - elapsed()) * 1000, CYCLER_TICK_MS), options.signal);
    growCyclers(campaignTime(elapsed()));
  }
  growCyclers(Infinity);
  return { files: steps.length, cyclerRows, wall_s: elapsed() };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
