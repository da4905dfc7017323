/**
 * @module campaign/campaign
 * Loading a campaign folder: `campaign.json` (see {@link parseManifest}) and every
 * file it names — reflectivity scans (`.ort`, NeXus/HDF5, or `Q R dR [dQ]` column
 * files), one cycler record per cell, impedance spectra — then putting them on
 * the campaign's time axis ({@link alignCell}).
 *
 * Paths in the manifest are relative to the campaign folder (absolute paths are
 * kept). Every file is checked before any is read, so a missing file is reported
 * as a ParseError naming the manifest, the JSON path (`scans[3].file`) and the
 * file. A file that fails to read keeps its own ParseError (file, line), with the
 * JSON path added. A file named by several scans is read once. A scan window the manifest
 * leaves out is taken from the file's header (campaign/scanTimes); a manifest still holding
 * `strata init` placeholders is refused first, naming them (campaign/template).
 *
 * Units: times in s since the manifest's t0 (a record's own test time τ is at
 * τ + `cyclerOffset_s`); charges C; potentials V; currents A (anodic-positive at
 * the working electrode, the cycler table's convention).
 */
import fs from "node:fs";
import path from "node:path";
import { ParseError, ValidationError } from "../core/errors.ts";
import { withUnknownKeyPolicy } from "../core/keys.ts";
import { readJsonFile } from "../io/json.ts";
import { readReflectivityData, type ReflectivityData } from "../io/reflectivityData.ts";
import { ortDataSetNames, readOrt, selectDataSet } from "../io/ort.ts";
import { readNexusReflectivity, type NexusMapping } from "../io/nexus.ts";
import { readImpedanceFile, type ImpedanceSpectrum } from "../io/impedance.ts";
import { readCyclerFile } from "../io/cycler/index.ts";
import type { CyclerTable } from "../io/cycler/index.ts";
import type { MaterialsOptions } from "../materials/index.ts";
import { checkTimeFromT0, manifestBeams, parseIsoTime, parseManifest, parseUtcOffset, resolveMaterialSld, secondsBetween } from "./manifest.ts";
import type { CampaignManifest, IsoTime, ManifestCell, ManifestElectrochemistry, ManifestImpedance, ManifestNexusMapping, ManifestTimeSlicesRef } from "./manifest.ts";
import { readTimeSlices, type TimeSlices } from "../io/timeSlices.ts";
import { readImpedanceTimes, type ImpedanceTimes } from "../io/impedanceTime.ts";
import { alignCell, type AlignedScan, type AlignedSpectrum, type CycleClock } from "./align.ts";
import { headerTimes, resolveScanTimes, type TimedScan } from "./scanTimes.ts";
import { checkNoPlaceholders } from "./template.ts";

/** Everything a campaign folder holds, aligned on one time axis. */
export interface Campaign {
  /** The campaign folder (absolute). */
  dir: string;
  /** The manifest with every scan's and present spectrum's window resolved (from the manifest, the file's header or clock, or a time-slice JSON). */
  manifest: Omit<CampaignManifest, "impedance"> & { readonly impedance: readonly TimedImpedance[] };
  /** One entry per manifest cell, in manifest order. */
  cells: CellData[];
  /** Manifest findings, reader warnings and clock problems, de-duplicated. */
  warnings: string[];
  /**
   * With `presentOnly`: the manifest's files not there yet (scans, cycler records, impedance
   * spectra; manifest-relative paths as written, each once, in manifest order). Otherwise absent.
   */
  pending?: string[];
}

/** One cell's data on the campaign time axis. */
export interface CellData {
  id: string;
  manifestCell: ManifestCell;
  /** The cell's scans in manifest order. */
  scans: AlignedScan[];
  /** The cell's impedance spectra in manifest order. */
  spectra: AlignedSpectrum[];
  /** The cycler record (anodic-positive current at the working electrode), when the manifest names one. */
  cycler: CyclerTable | undefined;
  /** Where the record's test time 0 sits on the campaign axis: t since t0 = `test_time_second` + this (s); undefined without a record. */
  cyclerOffset_s: number | undefined;
  /** Total beam exposure per spot, s (declared spots without scans have 0). */
  exposureBySpot: Record<string, number>;
}

export interface LoadCampaignOptions {
  /** A gap between consecutive scans of a cell longer than this many median intervals is reported. @default 5 */
  gapFactor?: number;
  /** Folder of the material tables (SLDs of the stack are checked at load). */
  materials?: MaterialsOptions;
  /** Measure of column files' dQ for scans that declare none (CLI `--dq-measure`); a scan's own `dqMeasure` must agree. */
  dqMeasure?: "fwhm" | "sigma";
  /** Unknown manifest keys are warnings instead of errors (`strata --lenient`). @default the process policy (core/keys): false */
  lenient?: boolean;
  /**
   * A campaign still being measured (`strata serve`): scans, cycler records and impedance
   * spectra whose files are not there yet are left out (listed in `campaign.pending`) instead
   * of being an error. A file that is there but unreadable is still an error. @default false
   */
  presentOnly?: boolean;
}

/** Extensions read as NeXus/HDF5. */
export const NEXUS_EXTENSIONS: readonly string[] = [".nxs", ".nx", ".nx5", ".h5", ".hdf5", ".hdf"];

/**
 * Read a campaign folder: validate the manifest, read every file, align.
 *
 * @param dir - the campaign folder holding `campaign.json` (or the path of a manifest file)
 * @param options - gap threshold, material tables
 * @returns the campaign: manifest, per-cell aligned scans and spectra, cycler tables, warnings
 * @throws {ValidationError} for an invalid manifest (names the JSON path and value)
 * @throws {ParseError} for a missing or unreadable file (names the manifest's JSON path and the file)
 * @example
 * ```ts
 * const campaign = await loadCampaign("runs/2026-03-cu-ec");
 * for (const scan of campaign.cells[0].scans) console.log(scan.id, scan.state?.charge_C);
 * ```
 */
export async function loadCampaign(dir: string, options: LoadCampaignOptions = {}): Promise<Campaign> {
  const gapFactor = options.gapFactor ?? 5;
  if (!(Number.isFinite(gapFactor) && gapFactor > 1)) throw new ValidationError("gapFactor", "must be a number > 1", gapFactor);
  let manifestFile = path.resolve(dir);
  if (!(fs.existsSync(manifestFile) && fs.statSync(manifestFile).isFile())) manifestFile = path.join(manifestFile, "campaign.json");
  const root = path.dirname(manifestFile);
  const warnings: string[] = [];
  const json = readJsonFile(manifestFile);
  checkNoPlaceholders(json); // a strata init template not filled in yet
  const manifest = withUnknownKeyPolicy({ lenient: options.lenient }, () => parseManifest(json, manifestFile, warnings));

  manifest.cells.forEach((cell, i) => {
    cell.stack.forEach((layer, j) => {
      try {
        // at every beam a scan may use (the campaign's `beam` and each of `beams`)
        for (const { beam } of manifestBeams(manifest)) resolveMaterialSld(layer.material, beam, options.materials);
      } catch (error) {
        if (error instanceof ValidationError) {
          throw new ValidationError(`cells[${i}].stack[${j}].material`, error.message.replace(/ \(got .*\)$/, ""), layer.material);
        }
        throw error;
      }
    });
  });

  const resolve = (file: string): string => path.resolve(root, file);
  const pending: string[] = [];
  /** whether the file is there; a missing one is an error, or (presentOnly) pending */
  const present = (jsonPath: string, file: string): boolean => {
    const full = resolve(file);
    if (fs.existsSync(full)) return true;
    if (!options.presentOnly) throw new ParseError(manifestFile, `${jsonPath}: file not found: ${file}${full !== file ? ` (${full})` : ""}`);
    if (!pending.includes(file)) pending.push(file);
    return false;
  };
  // indices into the manifest's lists (error messages keep naming the manifest's own index)
  const scanIndices = manifest.scans.flatMap((s, i) => (present(`scans[${i}].file`, s.file) ? [i] : []));
  const electrochemistryIndices = manifest.electrochemistry.flatMap((e, i) => (present(`electrochemistry[${i}].file`, e.file) ? [i] : []));
  const impedanceIndices = manifest.impedance.flatMap((e, i) => (present(`impedance[${i}].file`, e.file) ? [i] : []));

  // Scans: each file read once (per NeXus mapping); each time-slice JSON once per options.
  const curvesByFile = new Map<string, ReflectivityData[]>();
  const sliceFiles = new Map<string, TimeSlices>();
  const scanData: ReflectivityData[] = [];
  const timedScans: TimedScan[] = [];
  for (const i of scanIndices) {
    const scan = manifest.scans[i];
    const full = resolve(scan.file);
    const isNexus = NEXUS_EXTENSIONS.includes(path.extname(full).toLowerCase());
    if (scan.dqMeasure !== undefined && options.dqMeasure !== undefined && scan.dqMeasure !== options.dqMeasure) {
      throw new ValidationError(`scans[${i}].dqMeasure`, `contradicts --dq-measure ${options.dqMeasure}`, scan.dqMeasure);
    }
    const dqMeasure = scan.dqMeasure ?? options.dqMeasure;
    const key = isNexus ? `${full}\0${JSON.stringify(scan.nexus ?? "nxrefscan")}` : `${full}\0${dqMeasure ?? ""}`;
    let curves = curvesByFile.get(key);
    if (!curves) {
      try {
        curves = isNexus ? await readNexusReflectivity(full, { mapping: toNexusMapping(scan.nexus) }) : readReflectivityData(full, dqMeasure === undefined ? {} : { dqMeasure });
      } catch (error) {
        throw withContext(error, `scans[${i}].file`);
      }
      curvesByFile.set(key, curves);
      for (const curve of curves) for (const w of curve.warnings) warnings.push(w);
    }
    // by ORSO data_set name or index; a file of several curves must say which (issue 16)
    const isOrt = !isNexus && path.extname(full).toLowerCase() === ".ort";
    const names = isOrt && (curves.length > 1 || typeof scan.dataset === "string") ? ortDataSetNames(readOrt(full)) : curves.map((_, k) => String(k));
    const index = selectDataSet(names, scan.dataset, `scans[${i}].dataset`, scan.file, "curves");
    scanData.push(curves[index]);
    if (scan.timeSlices) {
      // an event-sliced scan: its window from the reduction's time-slice JSON
      const window = sliceWindow(scan.timeSlices, `scans[${i}].timeSlices`, scan.file, resolve, sliceFiles, warnings);
      const times = resolveScanTimes({ ...scan, ...window }, `scans[${i}]`, { starts: [], end: undefined }, manifest.t0, warnings);
      const from = `time slice ${scan.timeSlices.slice} of ${scan.timeSlices.file}`;
      timedScans.push({ ...scan, ...times, startFrom: from, endFrom: from });
      continue;
    }
    // a window the manifest leaves (partly) out comes from the file's header
    const header = scan.start && scan.end ? { starts: [], end: undefined } : headerTimes(full, curves[index], index);
    timedScans.push({ ...scan, ...resolveScanTimes(scan, `scans[${i}]`, header, manifest.t0, warnings) });
  }

  // Cycler records and their clocks.
  const clocks = new Map<string, CycleClock>();
  for (const i of electrochemistryIndices) {
    const entry = manifest.electrochemistry[i];
    const jsonPath = `electrochemistry[${i}]`;
    const utcOffset = entry.utcOffset === undefined ? undefined : parseUtcOffset(entry.utcOffset);
    let table: CyclerTable;
    try {
      table = readCyclerFile(resolve(entry.file), utcOffset === undefined ? {} : { utcOffsetMinutes: utcOffset / 60 });
    } catch (error) {
      throw withContext(error, `${jsonPath}.file`);
    }
    for (const w of table.warnings) warnings.push(`${entry.file}: ${w}`);
    clocks.set(entry.cell, { table, start: recordStart(entry, table, jsonPath, warnings) });
  }

  const spectra: ImpedanceSpectrum[] = impedanceIndices.map((i) => {
    const entry = manifest.impedance[i];
    try {
      const spectrum = readImpedanceFile(resolve(entry.file));
      for (const w of spectrum.warnings) warnings.push(w);
      return spectrum;
    } catch (error) {
      throw withContext(error, `impedance[${i}].file`);
    }
  });
  // a window the manifest leaves out comes from the file's clock
  // (an entry whose file is not there yet and whose window is the file's is left out until it is)
  const timedByIndex = manifest.impedance.map((entry, i): TimedImpedance | undefined => {
    if (entry.start && entry.end) return { ...entry, start: entry.start, end: entry.end };
    if (!impedanceIndices.includes(i)) return undefined;
    return { ...entry, ...spectrumWindow(entry, `impedance[${i}]`, resolve(entry.file), manifest.t0, warnings) };
  });
  const timedImpedance = timedByIndex.filter((entry): entry is TimedImpedance => entry !== undefined);
  const presentImpedance = impedanceIndices.map((i) => timedByIndex[i]!);

  const cells = manifest.cells.map((cell): CellData => {
    const clock = clocks.get(cell.id);
    const aligned = alignCell({
      manifest,
      cell,
      clock,
      scans: timedScans.flatMap((scan, i) => (scan.cell === cell.id ? [{ scan, data: scanData[i] }] : [])),
      spectra: presentImpedance.flatMap((entry, i) => (entry.cell === cell.id ? [{ entry, spectrum: spectra[i] }] : [])),
      gapFactor,
      warnings,
    });
    return {
      id: cell.id,
      manifestCell: cell,
      scans: aligned.scans,
      spectra: aligned.spectra,
      cycler: clock?.table,
      cyclerOffset_s: clock ? secondsBetween(manifest.t0, clock.start) : undefined,
      exposureBySpot: aligned.exposureBySpot,
    };
  });

  return { dir: root, manifest: { ...manifest, scans: timedScans, impedance: timedImpedance }, cells, warnings: [...new Set(warnings)], ...(options.presentOnly ? { pending } : {}) };
}

function toNexusMapping(mapping: ManifestNexusMapping | undefined): NexusMapping | "nxrefscan" {
  return mapping ?? "nxrefscan";
}

/** A spectrum whose window is known: the manifest's, or its file's clock. */
export type TimedImpedance = ManifestImpedance & { start: IsoTime; end: IsoTime };

/**
 * An event-sliced scan's window: slice `ref.slice` of the reduction JSON (io/timeSlices), in
 * UTC from the JSON's clock at `ref.utcOffset`. A slice file the JSON pairs with another
 * window than the scan's file is a warning (the scan's file is what is fitted).
 * @throws ValidationError naming `<path>.slice` for a slice the JSON does not hold
 */
function sliceWindow(ref: ManifestTimeSlicesRef, jsonPath: string, scanFile: string, resolve: (file: string) => string, cache: Map<string, TimeSlices>, warnings: string[]): { start: IsoTime; end: IsoTime } {
  const full = resolve(ref.file);
  const key = `${full}\0${ref.utcOffset}\0${ref.runStart ?? ""}\0${ref.type ?? ""}`;
  let slices = cache.get(key);
  if (!slices) {
    if (!fs.existsSync(full)) throw new ParseError(full, `file not found (${jsonPath}.file)`);
    try {
      slices = readTimeSlices(full, { utcOffset: ref.utcOffset, ...(ref.runStart !== undefined ? { runStart: ref.runStart } : {}), ...(ref.type !== undefined ? { type: ref.type } : {}) });
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(`${jsonPath}.${/utcOffset/.test(error.message) ? "utcOffset" : "file"}`, error.message.replace(/ \(got .*\)$/, ""), ref.utcOffset);
      throw withContext(error, `${jsonPath}.file`);
    }
    for (const w of slices.warnings) warnings.push(`${ref.file}: ${w}`);
    cache.set(key, slices);
  }
  const slice = slices.slices.find((s) => s.index === ref.slice);
  if (!slice || slice.startUtc === undefined || slice.endUtc === undefined) {
    const numbers = slices.slices.map((s) => s.index);
    throw new ValidationError(`${jsonPath}.slice`, `is not a slice of run ${slices.run} in ${ref.file} (its ${ref.type ?? "eis"} slices: ${numbers.length > 0 ? `${Math.min(...numbers)}–${Math.max(...numbers)}` : "none"})`, ref.slice);
  }
  if (slice.file !== undefined && slice.file !== path.basename(scanFile)) {
    warnings.push(`${jsonPath}: ${ref.file} pairs slice ${ref.slice} with ${slice.file}, not with the scan's file ${path.basename(scanFile)}`);
  }
  return { start: parseIsoTime(slice.startUtc, `${jsonPath}.file`), end: parseIsoTime(slice.endUtc, `${jsonPath}.file`) };
}

/**
 * A spectrum's window from its file's clock: the BioLogic `.mpt` acquisition start plus its
 * `time/s` column's first and last values (io/impedanceTime), at the entry's utcOffset.
 * @throws ValidationError naming `<path>.start` when the file has no clock, `<path>.utcOffset` when it is not given
 */
function spectrumWindow(entry: ManifestImpedance, jsonPath: string, full: string, t0: IsoTime, warnings: string[]): { start: IsoTime; end: IsoTime } {
  let times: ImpedanceTimes;
  try {
    times = readImpedanceTimes(full);
  } catch {
    throw new ValidationError(`${jsonPath}.start`, `is required: ${entry.file} has no acquisition clock (start and end are read only from a BioLogic .mpt's "Acquisition started on" and time/s column)`);
  }
  if (times.startTime === undefined || times.endTime === undefined) {
    throw new ValidationError(`${jsonPath}.start`, `is required: ${entry.file} has no "Acquisition started on" line; give start and end`);
  }
  if (entry.utcOffset === undefined) {
    throw new ValidationError(`${jsonPath}.utcOffset`, `is required: ${entry.file} states its acquisition start ${times.acquisitionStart} without a time zone; give the zone of the potentiostat's clock as utcOffset ("-04:00", "Z" …), or give start and end`);
  }
  const start = parseIsoTime(`${times.startTime}${entry.utcOffset}`, `${jsonPath}.file (clock of ${entry.file} with utcOffset ${entry.utcOffset})`);
  const end = parseIsoTime(`${times.endTime}${entry.utcOffset}`, `${jsonPath}.file (clock of ${entry.file} with utcOffset ${entry.utcOffset})`);
  if (!(secondsBetween(start, end) > 0)) throw new ValidationError(`${jsonPath}.file`, `the time/s column of ${entry.file} spans no time (one frequency?); give start and end`, entry.file);
  checkTimeFromT0(start, `${jsonPath}.file`, t0, warnings);
  return { start, end };
}

/** The absolute time of the record's test time 0: the manifest's `start`, else the file's clock (which needs a zone). */
function recordStart(entry: ManifestElectrochemistry, table: CyclerTable, jsonPath: string, warnings: string[]): IsoTime {
  let fileClock: IsoTime | undefined;
  if (table.startTime !== undefined) {
    try {
      fileClock = parseIsoTime(table.startTime, `${jsonPath}.file`);
    } catch {
      fileClock = undefined; // no zone (local instrument time) or not ISO: ambiguous, never guessed
    }
  }
  if (entry.start) {
    if (fileClock) {
      const differs = Math.abs(fileClock.epochSeconds - entry.start.epochSeconds + (fileClock.fraction - entry.start.fraction));
      if (differs > 1) warnings.push(`${jsonPath}.start (${entry.start.iso}) differs from the clock of ${entry.file} (${table.startTime}) by ${differs.toFixed(1)} s; using the manifest`);
    }
    return entry.start;
  }
  if (fileClock) return fileClock;
  if (table.startTime !== undefined) {
    throw new ValidationError(`${jsonPath}.start`, `is required: the clock of ${entry.file} (${table.startTime}) has no time zone; give start, or utcOffset for the file's clock`);
  }
  throw new ValidationError(`${jsonPath}.start`, `is required: ${entry.file} has no absolute clock`);
}

/** A reader's ParseError with the manifest's JSON path added (file and line kept); other errors unchanged. */
function withContext(error: unknown, jsonPath: string): unknown {
  if (!(error instanceof ParseError)) return error;
  const where: { line?: number; offset?: number } = {};
  if (error.line !== undefined) where.line = error.line;
  else if (error.offset !== undefined) where.offset = error.offset;
  const prefix = `${error.file}${error.line !== undefined ? `:${error.line}` : error.offset !== undefined ? ` (byte ${error.offset})` : ""}: `;
  const raw = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new ParseError(error.file, `${raw} (${jsonPath})`, where);
}
