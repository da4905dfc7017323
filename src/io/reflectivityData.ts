/**
 * @module io/reflectivityData
 * A measured reflectivity curve, from an ORSO `.ort` file (every dataset in it) or a
 * whitespace-separated column file `Q R dR [dQ]`. Units: Q, dQ Å⁻¹.
 *
 * The returned `dq` is always the 1-σ Gaussian Q resolution. A column file's 4th column
 * may be a FWHM or a σ, and nothing in the numbers tells which (a factor 2.355 in the
 * resolution, the costly silent bug), so its measure must be declared: by the file's
 * header (SNS `dQ [FWHM]`, or any header line naming dQ with FWHM or sigma/σ and not
 * both) or by the `dqMeasure` option (PROBLEM.json dataset `"dqMeasure"`, manifest scan
 * `"dqMeasure"`, CLI `--dq-measure`). No declaration is a ParseError saying how to give
 * one; an option contradicting the header is a ParseError too. FWHM → σ uses
 * {@link FWHM_TO_SIGMA}. ORSO files declare their own columns (`value_is`), so the
 * option does not apply to them.
 *
 * Mantid's MFT text (ILL D17/FIGARO and ISIS exports from SaveReflectometryAscii/SaveMFT:
 * `MFT`, `Name : value` header lines, a blank line, `q refl refl_err q_res (FWHM)`) is read
 * with its header as metadata; its column line declares the dQ as FWHM.
 *
 * SNS Liquids Reflectometer (REF_L) reduced text — the stitched
 * `REFL_<run>_combined_data_auto.txt` and the per-angle `REFL_<run>_<i>_<run+i-1>_partial.txt`
 * — is recognised by its header (`# Experiment IPTS-… Run …` and the `DataRun NormRun
 * TwoTheta(deg) …` table) and its metadata returned in {@link ReflectivityMetadata}:
 * run, title, start time, the angle table and, for partial files, the `# Meta:{json}`
 * line. Two facts about that header, checked on the April 2025 data
 * (../shared/realdata/sns-cu-thf-2025): the Meta `theta` is in radians (0.0078536 rad =
 * 0.44998°, half the table's TwoTheta 0.899957°, and 4π sin θ/λ_max reproduces its
 * q_min to 6 digits); the `Run start time` carries no zone and is UTC (the reduction of
 * run 218386, started 13:42:43, is stamped 09:45 local EDT, and the potentiostat's local
 * EIS windows of run 218389 begin 61 s after its 14:54:15 start at UTC−4).
 * `dq_over_q` in the Meta line is the relative FWHM (it equals dQ[FWHM]/Q of the rows).
 *
 * Points are checked here, at the edge: a NaN, a zero or negative error is a
 * ParseError naming the file and line — except ORSO's empty bins (R = 0 and
 * dR = 0), which are dropped with a warning as the format's README asks. Q must lie in
 * (0, 3] Å⁻¹ (see {@link qRangeProblem}): a larger Q is a unit slip, most often nm⁻¹.
 */
import fs from "node:fs";
import path from "node:path";
import { ParseError, ValidationError } from "../core/errors.ts";
import { FWHM_TO_SIGMA } from "../kernels/reflectivity/smear.ts";
import { parseColumns, type HeaderLine } from "./columns.ts";
import { ortReflectivity, readOrt } from "./ort.ts";

/** How a dQ column measures the resolution: full width at half maximum, or 1-σ. */
export type DqMeasure = "fwhm" | "sigma";

/** The accepted values of a `dqMeasure` declaration, for validators. */
export const DQ_MEASURES: readonly DqMeasure[] = ["fwhm", "sigma"];

/** Options of {@link readReflectivityData}. */
export interface ReadReflectivityOptions {
  /**
   * Measure of a column file's 4th column (dQ) when the header does not declare it
   * (must agree with the header when it does). Ignored for `.ort` files and 3-column files.
   */
  dqMeasure?: DqMeasure;
}

/** One row of the SNS angle table (`# DataRun NormRun TwoTheta(deg) …`). */
export interface SnsAngle {
  readonly run: string;
  readonly normRun: string;
  /** scattering angle 2θ (degrees) */
  readonly twoTheta_deg: number;
  /** wavelength band (Å) */
  readonly wavelengthRange_A: [number, number];
  /** Q range of this angle (Å⁻¹) */
  readonly qRange: [number, number];
  /** the reduction's scaling factors SF_A, SF_B */
  readonly scale: [number, number];
}

/** What a facility file's header says about the measurement (every field optional). */
export interface ReflectivityMetadata {
  /** format recognised, e.g. "sns-liquids-reflectometer" */
  readonly format: string;
  readonly facility?: string;
  readonly instrument?: string;
  /** proposal / experiment id (SNS: IPTS-…) */
  readonly experiment?: string;
  /** run number as written */
  readonly run?: string;
  readonly title?: string;
  /** run start, ISO 8601 UTC (`…Z`, millisecond precision) */
  readonly startTime?: string;
  /** SNS: "combined" (`…_combined_data_auto.txt`: the angles of a sequence stitched, or one angle) or "partial" (one angle of a sequence, with a Meta line) */
  readonly kind?: "combined" | "partial";
  /** incidence angle θ (degrees), one-angle files only */
  readonly angle_deg?: number;
  /** wavelength band (Å), one-angle files only */
  readonly wavelengthRange_A?: [number, number];
  /** Q range of the measurement (Å⁻¹) as the header states it */
  readonly qRange?: [number, number];
  /** relative resolution dQ/Q as a FWHM, when the header states it */
  readonly dqOverQ_fwhm?: number;
  /** position of this angle in the sequence (SNS partial files: 1, 2, 3) and the sequence's first run */
  readonly sequenceNumber?: number;
  readonly sequenceId?: string;
  /** the angle table (SNS), one row per angle combined into the file */
  readonly angles?: readonly SnsAngle[];
  /** the raw `Meta:` JSON of SNS partial files */
  readonly meta?: Readonly<Record<string, unknown>>;
}

export interface ReflectivityData {
  /** File (and dataset) the curve came from, for messages. */
  readonly source: string;
  readonly q: Float64Array;
  readonly r: Float64Array;
  /** 1-σ uncertainty of R (all > 0). */
  readonly dr: Float64Array;
  /** 1-σ Gaussian Q resolution (Å⁻¹), when the file has it (converted from FWHM where declared so). */
  readonly dq: Float64Array | undefined;
  /** the measure of the file's dQ column before conversion, when there is one */
  readonly dqMeasure?: DqMeasure;
  /**
   * What the header of a recognised facility format says (run, title, start time, angle …).
   * Named `header` because NeXus curves already carry a string `metadata` record.
   */
  readonly header?: ReflectivityMetadata;
  readonly warnings: readonly string[];
}

/** Largest Q (Å⁻¹) accepted in measured reflectivity: no specular reflectometry goes beyond. */
export const MAX_SPECULAR_Q = 3;

/**
 * The first implausible Q of a measured curve, if any: Q ≤ 0, or a largest Q above
 * {@link MAX_SPECULAR_Q} Å⁻¹ (with the hint "Q in nm⁻¹? divide by 10" when it is within
 * 10× of that). Readers throw it as a ParseError at their own location.
 * @param q - Q values (finite, checked before)
 * @returns the offending index and a one-line message, or undefined when every Q is plausible
 */
export function qRangeProblem(q: ArrayLike<number>): { index: number; message: string } | undefined {
  let max = 0;
  for (let i = 0; i < q.length; i++) {
    if (!(q[i] > 0)) return { index: i, message: `Q must be > 0 Å⁻¹ (got ${q[i]}); specular reflectivity is measured at Q > 0` };
    if (q[i] > q[max]) max = i;
  }
  if (q.length === 0 || q[max] <= MAX_SPECULAR_Q) return undefined;
  const slip = q[max] <= 10 * MAX_SPECULAR_Q ? "Q in nm⁻¹? divide by 10" : "is the first column Q in Å⁻¹ (not an angle or a count)?";
  return { index: max, message: `Q reaches ${q[max]} Å⁻¹, beyond any specular reflectometry (Q ≤ ${MAX_SPECULAR_Q} Å⁻¹ expected): ${slip}` };
}

/**
 * Read every curve in a file (.ort: one per dataset; other: one).
 * @param file - path of a `.ort` or column file (named in errors)
 * @param options - `dqMeasure`: the measure of a column file's dQ when its header does not declare it
 * @returns the curves, `dq` as 1-σ (Å⁻¹), with the header's metadata where the format is recognised
 * @throws ParseError naming the file (and line) for unreadable data, an undeclared or contradicted dQ measure
 * @example
 * const [curve] = readReflectivityData("r218389_sequence_1_eis_1.txt", { dqMeasure: "fwhm" });
 */
export function readReflectivityData(file: string, options: ReadReflectivityOptions = {}): ReflectivityData[] {
  if (options.dqMeasure !== undefined && !DQ_MEASURES.includes(options.dqMeasure)) {
    throw new ValidationError("dqMeasure", 'must be "fwhm" or "sigma"', options.dqMeasure);
  }
  if (path.extname(file).toLowerCase() === ".ort") {
    const ort = readOrt(file);
    return ort.datasets.map((dataset, index) => {
      const source = ort.datasets.length > 1 ? `${file} (dataset ${index})` : file;
      const curve = ortReflectivity(dataset, source);
      if (!curve.dr) throw new ParseError(file, `dataset ${index} has no uncertainty column for R (sR); a fit needs one`);
      const lines = Int32Array.from({ length: dataset.rows }, (_, i) => dataset.firstDataLine + i);
      return checkCurve(source, file, curve.q, curve.r, curve.dr, curve.dq, lines, [...ort.warnings, ...curve.warnings], true);
    });
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ParseError(file, `cannot read file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return [parseReflectivityColumns(text, file, options)];
}

/**
 * Parse a column file `Q R dR [dQ]` held in memory (see {@link readReflectivityData}).
 * @param text - the file's text
 * @param source - named in errors and as {@link ReflectivityData.source}
 * @param options - `dqMeasure` when the header does not declare it
 * @returns the curve, `dq` as 1-σ (Å⁻¹)
 * @throws ParseError naming the source (and line); ValidationError for a bad option
 */
export function parseReflectivityColumns(text: string, source: string, options: ReadReflectivityOptions = {}): ReflectivityData {
  if (options.dqMeasure !== undefined && !DQ_MEASURES.includes(options.dqMeasure)) {
    throw new ValidationError("dqMeasure", 'must be "fwhm" or "sigma"', options.dqMeasure);
  }
  const mft = /^\s*MFT\s*(\r?\n|$)/.test(text) ? mftAsComments(text) : undefined;
  const { columns, lines, header } = parseColumns(mft ? mft.text : text, source, 3);
  const warnings: string[] = [];
  const metadata = mft ? mftMetadata(mft.fields, columns[0].length, source, warnings) : snsMetadata(header, source, warnings);
  const withHeader = metadata ? { header: metadata } : {};
  if (columns.length < 4) return { ...checkCurve(source, source, columns[0], columns[1], columns[2], undefined, lines, warnings, false), ...withHeader };
  const measure = resolveDqMeasure(header, source, options.dqMeasure);
  const factor = measure === "fwhm" ? FWHM_TO_SIGMA : 1;
  const dq = factor === 1 ? columns[3] : columns[3].map((x) => x * factor);
  return { ...checkCurve(source, source, columns[0], columns[1], columns[2], dq, lines, warnings, false), dqMeasure: measure, ...withHeader };
}

/** The one-line instruction of the undeclared-measure error. */
export const DQ_MEASURE_HOW =
  'declare it with "dqMeasure": "fwhm" or "sigma" on the PROBLEM.json dataset or the campaign manifest scan, or --dq-measure fwhm|sigma on the command line';

/**
 * The measure of a column file's dQ: from its header, checked against the option, or the option.
 * Header rule: a comment line before the data that names dQ (a `dQ`/`sigma_q`/`resolution` word)
 * and says FWHM, or says sigma/σ/standard deviation — not both.
 */
function resolveDqMeasure(header: readonly HeaderLine[], file: string, option: DqMeasure | undefined): DqMeasure {
  let declared: { measure: DqMeasure; line: number } | undefined;
  for (const { line, text } of header) {
    if (/^meta\s*:/i.test(text)) continue;
    if (!/(^|[^a-z0-9_])(d\s*q[a-z]*|s\s*q[a-z]*|sigma_?q[a-z]*|q_?res[a-z]*|q[ _-]?resolution|resolution)($|[^a-z0-9_])/i.test(text)) continue;
    const fwhm = /fwhm|full[ -]width/i.test(text);
    const sigma = /sigma(?!_?q)|σ|std|standard[ -]deviation/i.test(text);
    if (!fwhm && !sigma) continue;
    if (fwhm && sigma) throw new ParseError(file, `the header names both FWHM and sigma for the resolution, so the measure of column 4 (dQ) is ambiguous: ${DQ_MEASURE_HOW} and remove one word from the header`, { line });
    const measure: DqMeasure = fwhm ? "fwhm" : "sigma";
    if (declared && declared.measure !== measure) {
      throw new ParseError(file, `the header declares dQ as ${declared.measure} (line ${declared.line}) and as ${measure}: the measure of column 4 (dQ) is ambiguous`, { line });
    }
    declared ??= { measure, line };
  }
  if (declared) {
    if (option !== undefined && option !== declared.measure) {
      throw new ParseError(file, `dqMeasure "${option}" contradicts the file's header, which declares column 4 (dQ) as ${declared.measure === "fwhm" ? "FWHM" : "sigma"}`, { line: declared.line });
    }
    return declared.measure;
  }
  if (option !== undefined) return option;
  throw new ParseError(file, `column 4 (dQ) has no declared measure (FWHM or 1-sigma) and none can be guessed: ${DQ_MEASURE_HOW}`);
}

/**
 * Mantid's MFT text (SaveReflectometryAscii / SaveMFT, written for ILL D17/FIGARO and
 * ISIS): `MFT`, then `Name : value` lines up to a blank line, then the column line
 * `q refl refl_err [q_res (FWHM)]`, then the rows. The header and column lines become
 * comments (line numbers kept), so the column line declares the dQ measure.
 */
function mftAsComments(text: string): { text: string; fields: Map<string, string> } {
  const lines = text.split(/\r?\n/);
  const fields = new Map<string, string>();
  let l = 0;
  while (l < lines.length && lines[l].trim() === "") l++;
  lines[l] = `# ${lines[l].trim()}`;
  for (l++; l < lines.length && lines[l].trim() !== ""; l++) {
    const field = /^\s*(.*?)\s*:\s*(.*?)\s*$/.exec(lines[l]);
    if (field && !fields.has(field[1])) fields.set(field[1], field[2]);
    lines[l] = `# ${lines[l]}`;
  }
  while (l < lines.length && lines[l].trim() === "") l++;
  if (l < lines.length && /^\s*q\s+refl\b/i.test(lines[l])) lines[l] = `# ${lines[l]}`;
  return { text: lines.join("\n"), fields };
}

function mftMetadata(fields: ReadonlyMap<string, string>, rows: number, source: string, warnings: string[]): ReflectivityMetadata {
  const defined = (key: string): string | undefined => {
    const value = fields.get(key);
    return value === undefined || value === "" || value === "Not defined" ? undefined : value;
  };
  const declared = defined("Number of data points");
  if (declared !== undefined && Number(declared) !== rows) warnings.push(`${source}: the header says ${declared} data points, the file holds ${rows}`);
  const instrument = defined("Instrument");
  const title = defined("Title");
  return { format: "mft", ...(instrument !== undefined ? { instrument } : {}), ...(title !== undefined ? { title } : {}), meta: Object.fromEntries(fields) };
}

const SNS_RUN = /^Experiment\s+(\S+)\s+Run\s+(\S+)\s*$/;
const SNS_TABLE = /^DataRun\s+NormRun\s+TwoTheta\(deg\)\s+LambdaMin\(A\)\s+LambdaMax\(A\)\s+Qmin\(1\/A\)\s+Qmax\(1\/A\)(\s+SF_A\s+SF_B)?\s*$/;

/**
 * SNS Liquids Reflectometer header (LR reduction text output), or undefined when the
 * header is not one. Malformed fields of a recognised header are ParseErrors.
 */
function snsMetadata(header: readonly HeaderLine[], file: string, warnings: string[]): ReflectivityMetadata | undefined {
  const first = header.length > 0 ? SNS_RUN.exec(header[0].text) : null;
  const tableAt = header.findIndex((h) => SNS_TABLE.test(h.text));
  if (!first || tableAt < 0) return undefined;
  let title: string | undefined;
  let startTime: string | undefined;
  let meta: Record<string, unknown> | undefined;
  let metaLine = 0;
  for (const { line, text } of header) {
    const field = /^([A-Za-z][A-Za-z ]*?)\s*:\s*(.*)$/.exec(text);
    if (!field) continue;
    const [, key, value] = field;
    if (key === "Run title") title = value;
    else if (key === "Run start time") startTime = isoUtc(value, file, line);
    else if (key === "Meta") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw new ParseError(file, "the Meta: line is not valid JSON", { line });
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ParseError(file, "the Meta: line must hold a JSON object", { line });
      meta = parsed as Record<string, unknown>;
      metaLine = line;
    }
  }
  const angles: SnsAngle[] = [];
  for (let h = tableAt + 1; h < header.length; h++) {
    const fields = header[h].text.split(/\s+/);
    if (!/^\d+$/.test(fields[0] ?? "")) break;
    const n = fields.slice(2).map(Number);
    if (fields.length < 7 || n.some((x) => !Number.isFinite(x))) throw new ParseError(file, `angle table row must be DataRun NormRun TwoTheta LambdaMin LambdaMax Qmin Qmax [SF_A SF_B] numbers: ${JSON.stringify(header[h].text)}`, { line: header[h].line });
    angles.push({ run: fields[0], normRun: fields[1], twoTheta_deg: n[0], wavelengthRange_A: [n[1], n[2]], qRange: [n[3], n[4]], scale: [n[5] ?? 1, n[6] ?? 0] });
  }
  if (angles.length === 0) throw new ParseError(file, "the SNS angle table (DataRun NormRun TwoTheta …) has no rows", { line: header[tableAt].line });
  const base: ReflectivityMetadata = {
    format: "sns-liquids-reflectometer",
    facility: "SNS",
    instrument: "REF_L",
    experiment: first[1],
    run: first[2],
    ...(title !== undefined ? { title } : {}),
    ...(startTime !== undefined ? { startTime } : {}),
    kind: meta ? "partial" : "combined",
    angles,
  };
  if (!meta) {
    if (angles.length !== 1) return base;
    const a = angles[0];
    return { ...base, angle_deg: a.twoTheta_deg / 2, wavelengthRange_A: a.wavelengthRange_A, qRange: a.qRange };
  }
  const num = (key: string): number | undefined => {
    const v = meta[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new ParseError(file, `Meta "${key}" must be a finite number`, { line: metaLine });
    return v;
  };
  const theta = num("theta");
  const wlMin = num("wl_min");
  const wlMax = num("wl_max");
  const qMin = num("q_min");
  const qMax = num("q_max");
  const dqOverQ = num("dq_over_q");
  const sequenceNumber = num("sequence_number");
  const sequenceId = meta["sequence_id"];
  // Meta theta is in radians (see the module header); the table's 2θ is in degrees.
  const angle = theta === undefined ? (angles.length === 1 ? angles[0].twoTheta_deg / 2 : undefined) : (theta * 180) / Math.PI;
  const row = angles.find((a) => a.run === base.run) ?? (angles.length === 1 ? angles[0] : undefined);
  if (angle !== undefined && row && Math.abs(row.twoTheta_deg / 2 - angle) > SNS_ANGLE_AGREEMENT_DEG) {
    warnings.push(`${file}: Meta theta ${angle.toFixed(5)}° differs from half the table's TwoTheta ${(row.twoTheta_deg / 2).toFixed(5)}°`);
  }
  const metaStart = typeof meta["start_time"] === "string" ? isoUtc(meta["start_time"], file, metaLine) : undefined;
  return {
    ...base,
    ...(base.startTime === undefined && metaStart !== undefined ? { startTime: metaStart } : {}),
    ...(angle !== undefined ? { angle_deg: angle } : {}),
    ...(wlMin !== undefined && wlMax !== undefined ? { wavelengthRange_A: [wlMin, wlMax] as [number, number] } : row ? { wavelengthRange_A: row.wavelengthRange_A } : {}),
    ...(qMin !== undefined && qMax !== undefined ? { qRange: [qMin, qMax] as [number, number] } : {}),
    ...(dqOverQ !== undefined ? { dqOverQ_fwhm: dqOverQ } : {}),
    ...(sequenceNumber !== undefined ? { sequenceNumber } : {}),
    ...(typeof sequenceId === "number" || typeof sequenceId === "string" ? { sequenceId: String(sequenceId) } : {}),
    meta,
  };
}

/** The Meta θ and half the table's 2θ agree to this many degrees (the table prints 2θ to 6 digits). */
const SNS_ANGLE_AGREEMENT_DEG = 1e-4;

/** A zone-less SNS timestamp (UTC, up to nanoseconds) as ISO 8601 UTC with milliseconds. */
function isoUtc(text: string, file: string, line: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  const ms = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${(m[7] ?? "0").padEnd(3, "0").slice(0, 3)}${m[8] ?? "Z"}`) : Number.NaN;
  if (!Number.isFinite(ms)) throw new ParseError(file, `start time must be an ISO date and time (got ${JSON.stringify(text)})`, { line });
  return new Date(ms).toISOString();
}

function checkCurve(
  source: string,
  file: string,
  q: Float64Array,
  r: Float64Array,
  dr: Float64Array,
  dq: Float64Array | undefined,
  lines: Int32Array,
  warnings: string[],
  dropEmptyBins: boolean,
): ReflectivityData {
  const keep: number[] = [];
  let empty = 0;
  for (let i = 0; i < q.length; i++) {
    const line = lines[i];
    if (!Number.isFinite(q[i])) throw new ParseError(file, `Q is not a finite number (${q[i]})`, { line });
    if (!Number.isFinite(r[i])) throw new ParseError(file, `R is not a finite number (${r[i]})`, { line });
    if (!Number.isFinite(dr[i])) throw new ParseError(file, `dR is not a finite number (${dr[i]})`, { line });
    if (dq && !(Number.isFinite(dq[i]) && dq[i] >= 0)) throw new ParseError(file, `dQ must be a finite number ≥ 0 (got ${dq[i]})`, { line });
    if (dropEmptyBins && r[i] === 0 && dr[i] === 0) {
      empty++;
      continue;
    }
    if (!(dr[i] > 0)) throw new ParseError(file, `dR must be > 0 (got ${dr[i]}); a fit weights each point by 1/dR`, { line });
    keep.push(i);
  }
  const problem = qRangeProblem(q);
  if (problem) throw new ParseError(file, problem.message, { line: lines[problem.index] });
  if (empty > 0) warnings.push(`${source}: dropped ${empty} empty bins (R = 0 and dR = 0)`);
  if (keep.length === 0) throw new ParseError(file, "no valid points");
  const pick = (a: Float64Array): Float64Array => Float64Array.from(keep, (i) => a[i]);
  return { source, q: pick(q), r: pick(r), dr: pick(dr), dq: dq ? pick(dq) : undefined, warnings };
}
