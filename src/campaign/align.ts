/**
 * @module campaign/align
 * Puts a cell's scans and impedance spectra on the campaign's time axis and tags
 * each with the electrochemical state over its own exposure window, from the
 * cell's cycler record; adds up beam exposure per spot; reports clock problems.
 *
 * Time axis: seconds since the manifest's `t0`. The cycler record's test time τ
 * maps to t = τ + (record start − t0), the record start being the manifest's
 * `electrochemistry[].start` or the file's own (zoned) clock.
 *
 * Units and signs: potential V, current A, charge C (= A·s), times s. Current is
 * the cycler table's: anodic-positive at the working electrode (positive =
 * oxidation). "Charge since t0" is the net ∫I dt from t0 (or from the record's
 * start when that is later: charge before the record is unknown, counted as 0 and
 * warned); "reduction charge" is ∫max(0, −I) dt, the charge that reduced the
 * working electrode (SEI formation, plating).
 *
 * Window integrals come from `stateAt` of analysis/electrochemistry (time-weighted
 * means over the window, signals linear between samples, window edges
 * interpolated exactly); the state here is `stateAt`'s with its times and
 * "charge at" values re-based from the record's first sample to t0.
 *
 * Clock problems are reported, never hidden: scans or spectra (partly) outside the
 * cycler record, overlapping scans on one spot, scans of one cell overlapping on
 * different spots (one beam), gaps between consecutive scans longer than
 * `gapFactor` × the median interval, a record that starts after t0, a cell with
 * scans but no record. Repeated findings are listed up to {@link MAX_LISTED}
 * times per kind and cell, then counted.
 */
import { stateAt } from "../analysis/electrochemistry/index.ts";
import type { ElectrochemicalState as WindowState } from "../analysis/electrochemistry/index.ts";
import type { CyclerTable } from "../io/cycler/index.ts";
import type { ImpedanceSpectrum } from "../io/impedance.ts";
import type { ReflectivityData } from "../io/reflectivityData.ts";
import { secondsBetween } from "./manifest.ts";
import type { CampaignManifest, IsoTime, ManifestCell, ManifestImpedance } from "./manifest.ts";
import type { TimedScan } from "./scanTimes.ts";

/**
 * The electrochemical state over one exposure window: analysis/electrochemistry's
 * state (same field names, so code written against either reads both) re-based to
 * the campaign: `tStart_s`/`tEnd_s` are s since t0, and every `…At…_C` value is
 * counted from t0 (or from the record's start when that is later), not from the
 * record's first sample. `charge_C` and `reductionCharge_C` are over the window.
 */
export interface ElectrochemicalState extends WindowState {
  /** Mid-window time since t0, s. */
  time_s: number;
  /** Length of the window inside the cycler record, s. */
  duration_s: number;
  /** Net charge passed since t0 at mid-window, C. */
  chargeAtMid_C: number;
  /** Reduction charge since t0 at mid-window, C (≥ 0). */
  reductionChargeAtMid_C: number;
}

/** A reflectivity scan on the campaign time axis. */
export interface AlignedScan {
  id: string;
  spot: string;
  /** The file as named in the manifest. */
  file: string;
  /** Exposure start and end, s since t0. */
  start_s: number;
  end_s: number;
  /** Where the start and the end came from: `manifest`, `duration_s` or `header <key>` (campaign/scanTimes). */
  startFrom: string;
  endFrom: string;
  data: ReflectivityData;
  /** Undefined when the cell has no cycler record or the window lies outside it. */
  state: ElectrochemicalState | undefined;
  /** This scan's exposure, s (end − start). */
  exposure_s: number;
  /** Exposure of the same spot by earlier scans (by start time), s. */
  spotExposureBefore_s: number;
}

/** An impedance spectrum on the campaign time axis. */
export interface AlignedSpectrum {
  id?: string;
  file: string;
  start_s: number;
  end_s: number;
  spectrum: ImpedanceSpectrum;
  state: ElectrochemicalState | undefined;
}

/** A cycler record and the absolute time of its test time 0. */
export interface CycleClock {
  table: CyclerTable;
  start: IsoTime;
}

export interface AlignCellInput {
  manifest: CampaignManifest;
  cell: ManifestCell;
  clock: CycleClock | undefined;
  scans: { scan: TimedScan; data: ReflectivityData }[];
  spectra: { entry: ManifestImpedance & { start: IsoTime; end: IsoTime }; spectrum: ImpedanceSpectrum }[];
  /** Gaps longer than this many median intervals are reported. */
  gapFactor: number;
  /** Receives the clock problems. */
  warnings: string[];
}

/** Findings of one kind listed per cell before the rest are only counted. */
export const MAX_LISTED = 10;

/**
 * Align one cell: scan and spectrum windows in s since t0, the electrochemical
 * state over each window, exposure per spot, clock warnings.
 *
 * @param input - the manifest, the cell, its cycler record and clock, its scans and spectra
 * @returns aligned scans and spectra (manifest order) and the total exposure per spot (s)
 * @example
 * ```ts
 * const { scans } = alignCell({ manifest, cell, clock, scans: [{ scan, data }], spectra: [], gapFactor: 5, warnings: [] });
 * console.log(scans[0].state?.meanPotential_V);
 * ```
 */
export function alignCell(input: AlignCellInput): { scans: AlignedScan[]; spectra: AlignedSpectrum[]; exposureBySpot: Record<string, number> } {
  const { manifest, cell, clock, gapFactor, warnings } = input;
  const t0 = manifest.t0;
  const windowOf = (start: IsoTime, end: IsoTime): [number, number] => [secondsBetween(t0, start), secondsBetween(t0, end)];
  const scanWindows = input.scans.map(({ scan }) => windowOf(scan.start, scan.end));
  const spectrumWindows = input.spectra.map(({ entry }) => windowOf(entry.start, entry.end));

  const record = clock ? new RecordIntegrator(clock, t0) : undefined;
  if (!record && input.scans.length + input.spectra.length > 0) {
    warnings.push(`cell ${cell.id}: no cycler record in the manifest; scans and spectra carry no electrochemical state`);
  }
  if (record && record.start > 0) {
    warnings.push(`cell ${cell.id}: the cycler record starts ${fmt(record.start)} s after t0; charge before it is unknown and counted as 0`);
  }

  const outside = new Findings(`cell ${cell.id}`, "windows outside the cycler record", warnings);
  const stateFor = (label: string, [s, e]: [number, number]): ElectrochemicalState | undefined => {
    if (!record) return undefined;
    const state = record.state(s, e);
    if (state === undefined) outside.add(`${label} (${fmt(s)}–${fmt(e)} s since t0) lies outside the cycler record (${fmt(record.start)}–${fmt(record.end)} s); no electrochemical state`);
    else if (state.coverage < 1 - 1e-12) {
      outside.add(`${label} (${fmt(s)}–${fmt(e)} s since t0) is only ${(100 * state.coverage).toFixed(1)} % inside the cycler record (${fmt(record.start)}–${fmt(record.end)} s); state over the covered part`);
    }
    return state;
  };

  // Exposure per spot, in start order.
  const exposureBySpot: Record<string, number> = {};
  for (const spot of cell.spots) exposureBySpot[spot.id] = 0;
  const order = input.scans.map((_, i) => i).sort((a, b) => scanWindows[a][0] - scanWindows[b][0] || scanWindows[a][1] - scanWindows[b][1]);
  const before = new Float64Array(input.scans.length);
  for (const i of order) {
    const spot = input.scans[i].scan.spot;
    const [s, e] = scanWindows[i];
    before[i] = exposureBySpot[spot] ?? 0;
    exposureBySpot[spot] = before[i] + (e - s);
  }

  const scans = input.scans.map(({ scan, data }, i): AlignedScan => {
    const [s, e] = scanWindows[i];
    return {
      id: scan.id,
      spot: scan.spot,
      file: scan.file,
      start_s: s,
      end_s: e,
      startFrom: scan.startFrom,
      endFrom: scan.endFrom,
      data,
      state: stateFor(`scan ${scan.id}`, scanWindows[i]),
      exposure_s: e - s,
      spotExposureBefore_s: before[i],
    };
  });
  const spectra = input.spectra.map(({ entry, spectrum }, i): AlignedSpectrum => {
    const [s, e] = spectrumWindows[i];
    const label = entry.id !== undefined ? `spectrum ${entry.id}` : `spectrum ${entry.file}`;
    return { ...(entry.id !== undefined ? { id: entry.id } : {}), file: entry.file, start_s: s, end_s: e, spectrum, state: stateFor(label, spectrumWindows[i]) };
  });
  outside.flush();

  clockChecks(cell.id, scans, order, gapFactor, warnings);
  return { scans, spectra, exposureBySpot };
}

/** Overlaps on one spot, overlaps across spots of the cell, and long gaps. */
function clockChecks(cellId: string, scans: AlignedScan[], order: number[], gapFactor: number, warnings: string[]): void {
  const sameSpot = new Findings(`cell ${cellId}`, "overlapping scans on one spot", warnings);
  const otherSpot = new Findings(`cell ${cellId}`, "scans overlapping on different spots", warnings);
  const lastOnSpot = new Map<string, AlignedScan>();
  let latest: AlignedScan | undefined;
  for (const i of order) {
    const scan = scans[i];
    const previous = lastOnSpot.get(scan.spot);
    if (previous && scan.start_s < previous.end_s) {
      sameSpot.add(`spot ${scan.spot}: scans ${previous.id} and ${scan.id} overlap by ${fmt(Math.min(previous.end_s, scan.end_s) - scan.start_s)} s`);
    }
    if (latest && latest.spot !== scan.spot && scan.start_s < latest.end_s) {
      otherSpot.add(`scans ${latest.id} (spot ${latest.spot}) and ${scan.id} (spot ${scan.spot}) overlap by ${fmt(Math.min(latest.end_s, scan.end_s) - scan.start_s)} s; one beam cannot be on two spots`);
    }
    if (!previous || scan.end_s > previous.end_s) lastOnSpot.set(scan.spot, scan);
    if (!latest || scan.end_s > latest.end_s) latest = scan;
  }
  sameSpot.flush();
  otherSpot.flush();

  if (order.length < 3) return;
  const intervals = new Float64Array(order.length - 1);
  for (let k = 1; k < order.length; k++) intervals[k - 1] = scans[order[k]].start_s - scans[order[k - 1]].start_s;
  const median = medianOf(intervals);
  if (!(median > 0)) return;
  const gaps = new Findings(`cell ${cellId}`, "long gaps between scans", warnings);
  for (let k = 1; k < order.length; k++) {
    const interval = intervals[k - 1];
    if (interval > gapFactor * median) {
      gaps.add(`gap of ${fmt(interval)} s between the starts of scans ${scans[order[k - 1]].id} and ${scans[order[k]].id} (${(interval / median).toFixed(1)} × the median interval ${fmt(median)} s)`);
    }
  }
  gaps.flush();
}

function medianOf(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

const fmt = (seconds: number): string => (Math.abs(seconds) >= 1e5 || Number.isInteger(seconds) ? seconds.toFixed(0) : seconds.toPrecision(6).replace(/\.?0+$/, ""));

/** Lists the first {@link MAX_LISTED} findings of a kind, then one line counting the rest. */
class Findings {
  private count = 0;
  constructor(
    private readonly scope: string,
    private readonly kind: string,
    private readonly warnings: string[],
  ) {}
  add(message: string): void {
    if (++this.count <= MAX_LISTED) this.warnings.push(`${this.scope}: ${message}`);
  }
  flush(): void {
    if (this.count > MAX_LISTED) this.warnings.push(`${this.scope}: ${this.count - MAX_LISTED} more ${this.kind} (${this.count} in all)`);
  }
}

/** The cycler record on the campaign time axis: one `stateAt` per window, charges re-based to t0. */
class RecordIntegrator {
  /** Record span, s since t0. */
  readonly start: number;
  readonly end: number;
  /** Record time = campaign time − offset. */
  private readonly offset: number;
  /** Charge and reduction charge from the record's first sample to the reference (t0, or the record start). */
  private readonly referenceCharge: number;
  private readonly referenceReduction: number;

  constructor(private readonly clock: CycleClock, t0: IsoTime) {
    const time = clock.table.columns["test_time_second"];
    this.offset = secondsBetween(t0, clock.start);
    this.start = this.offset + time[0];
    this.end = this.offset + time[time.length - 1];
    const reference = stateAt(clock.table, -this.offset, -this.offset);
    this.referenceCharge = reference.chargeAtStart_C;
    this.referenceReduction = reference.reductionChargeAtStart_C;
  }

  /** The state over [s, e] (s since t0), or undefined when no part of it is in the record. */
  state(s: number, e: number): ElectrochemicalState | undefined {
    const w = stateAt(this.clock.table, s - this.offset, e - this.offset);
    if (!(w.coverage > 0)) return undefined;
    const midTime = 0.5 * (s + e);
    const mid = stateAt(this.clock.table, midTime - this.offset, midTime - this.offset);
    return {
      ...w,
      tStart_s: s,
      tEnd_s: e,
      chargeAtStart_C: w.chargeAtStart_C - this.referenceCharge,
      chargeAtEnd_C: w.chargeAtEnd_C - this.referenceCharge,
      reductionChargeAtStart_C: w.reductionChargeAtStart_C - this.referenceReduction,
      reductionChargeAtEnd_C: w.reductionChargeAtEnd_C - this.referenceReduction,
      time_s: midTime,
      duration_s: Math.min(e, this.end) - Math.max(s, this.start),
      chargeAtMid_C: mid.chargeAtStart_C - this.referenceCharge,
      reductionChargeAtMid_C: mid.reductionChargeAtStart_C - this.referenceReduction,
    };
  }
}
