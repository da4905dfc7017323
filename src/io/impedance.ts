/**
 * @module io/impedance
 * Readers for impedance spectra exported by electrochemical instruments.
 *
 * Units: frequency in Hz, impedance in Ω. Sign convention: Z = Z′ + jZ″ with
 * **Z″ < 0 for capacitive behaviour**; files that store −Im(Z) (BioLogic) are
 * negated on reading. The file's row order is kept (most instruments sweep
 * high → low frequency; PowerSuite sweeps low → high).
 *
 * Formats (the `format` names accepted by {@link readImpedanceFile}):
 *
 * | format | file | how it is read |
 * |---|---|---|
 * | `csv` | plain text, 3 columns f, Z′, Z″ | separators `,` `;` tab or spaces; `#` comments; one optional header row (columns located by name, e.g. `Frequency (Hz);Z' (Ω);-Z'' (Ω)`) |
 * | `biologic` | EC-Lab `.mpt` (Latin-1) | `Nb header lines : n` → line n holds tab-separated column names; `freq/Hz`, `Re(Z)/Ohm`, `-Im(Z)/Ohm` (negated); decimal commas accepted; `cycle number` kept as {@link ImpedanceSpectrum.cycle} |
 * | `gamry` | Gamry `.DTA` | the `ZCURVE TABLE`: column-name line, units line, then tab-indented rows (`Freq`, `Zreal`, `Zimag`) until the first non-indented line (`EXPERIMENTABORTED`, next table); decimal commas accepted |
 * | `zplot` | Scribner ZPlot `.z` | after `End Comments` (tab-separated), or after the last line containing `Freq` (`ZPlotW` text, `, ` separated); columns 0, 4, 5 |
 * | `autolab` | "Z60W Data File" text (UTF-8 BOM) | after the last line containing `Freq`; comma-separated; columns 0, 4, 5 |
 * | `chinstruments` | CH Instruments text | after the `Freq/Hz, Z'/ohm, Z"/ohm, …` header; columns 0, 1, 2 |
 * | `parstat` | Parstat text | one header line (`Frequency (Hz)`, `Zre (ohms)`, `Zim (ohms)` located by name); rows with f = 0 (DC pre-conditioning) are dropped with a warning |
 * | `versastudio` | VersaStudio `.par` | rows between `<Segment1>` and `</Segment1>` after `Type=`, `Version=`, `Definition=` (column names: `Frequency(Hz)`, `Z Real`, `Z Imag`) |
 * | `powersuite` | PowerSuite text (CR CR LF) | header `Frequency Zre Zimg`, tab-separated rows |
 *
 * Whitespace-separated three-column files (pyDRTtools' `LIB_data.txt`) are `csv`
 * (reported as `whitespace` in {@link ImpedanceSpectrum.format}).
 *
 * Binary BioLogic `.mpr` files (PEIS/GEIS; detected by the `BIO-LOGIC MODULAR FILE`
 * magic or the extension, or forced with format `mpr`) are decoded by the cycler
 * reader's module walker (io/cycler/biologicMpr) and reported as format
 * `biologic-mpr`: `freq/Hz`, `Re(Z)/Ohm`, `-Im(Z)/Ohm` (float32 in the file, negated to
 * Z″ like the `.mpt`), `cycle number` as {@link ImpedanceSpectrum.cycle}; metadata
 * gives the technique, the acquisition start (local clock, OLE date of the LOG module)
 * and the loop indexes. A `.mpr` of another technique (GCPL, CA, …) is refused.
 *
 * Bytes are decoded as UTF-8 when they are valid UTF-8 (a BOM is stripped),
 * otherwise as Latin-1 (EC-Lab and Gamry write `µ`, `°` in Latin-1). Lines end
 * in LF, CR LF, CR or CR CR LF (PowerSuite); whitespace-only lines are skipped.
 *
 * Errors are {@link ParseError}s naming the file and the 1-based line: text in a
 * number column, missing columns, non-positive or non-finite frequencies,
 * non-finite impedances, a missing frequency/impedance column, no data rows.
 */
import fs from "node:fs";
import nodePath from "node:path";
import { ParseError, ValidationError } from "../core/errors.ts";
import { parseCyclerBuffer } from "./cycler/index.ts";

/** One impedance spectrum as read from a file (frequency in Hz, impedance in Ω, Z″ < 0 capacitive). */
export interface ImpedanceSpectrum {
  /** Frequencies f (Hz), > 0, in the file's row order. */
  frequency: Float64Array;
  /** Z′ (Ω). */
  real: Float64Array;
  /** Z″ (Ω); negative for capacitive behaviour. */
  imag: Float64Array;
  /** Where the data came from (file path or the caller's label). */
  source: string;
  /** The reader used (one of {@link IMPEDANCE_FORMATS}, or `whitespace` for whitespace-separated `csv`). */
  format: string;
  /** Non-fatal issues (dropped rows, aborted experiment), de-duplicated. */
  warnings: string[];
  /** Sweep/cycle index per point when the file records one (BioLogic `cycle number`). */
  cycle?: Int32Array;
  /** What was read: instrument, columns used, the file's sign convention. */
  metadata?: Record<string, string>;
}

/** The `format` names understood by {@link readImpedanceFile} and {@link parseImpedanceText}. */
export const IMPEDANCE_FORMATS = [
  "csv",
  "biologic",
  "gamry",
  "zplot",
  "autolab",
  "chinstruments",
  "parstat",
  "versastudio",
  "powersuite",
] as const;

export type ImpedanceFormat = (typeof IMPEDANCE_FORMATS)[number];

/** Options of {@link readImpedanceFile}. */
export interface ReadImpedanceOptions {
  /**
   * Force a reader instead of detecting it (case-insensitive; aliases: `mpt` → biologic,
   * `dta` → gamry, `z` → zplot, `par` → versastudio, `chi`/`ch` → chinstruments,
   * `txt`/`text`/`whitespace`/`pydrttools` → csv).
   * @default detected from the content, then the extension
   */
  format?: string;
}

const ALIASES: Record<string, ImpedanceFormat> = {
  mpt: "biologic",
  "ec-lab": "biologic",
  eclab: "biologic",
  dta: "gamry",
  z: "zplot",
  par: "versastudio",
  chi: "chinstruments",
  ch: "chinstruments",
  txt: "csv",
  text: "csv",
  whitespace: "csv",
  pydrttools: "csv",
};

/**
 * Read an impedance spectrum from an instrument export.
 *
 * @param path - file to read (named in errors)
 * @param options - `format` to force a reader; detected otherwise
 * @returns the spectrum, frequency in Hz and Z in Ω with Z″ < 0 capacitive
 * @throws {ParseError} when the file cannot be read or its content is not a valid spectrum (names file and line)
 * @throws {ValidationError} for an unknown `format`
 * @example
 * ```ts
 * const spectrum = readImpedanceFile("cell.mpt");
 * console.log(spectrum.frequency.length, spectrum.format);
 * ```
 */
export function readImpedanceFile(path: string, options: ReadImpedanceOptions = {}): ImpedanceSpectrum {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (error) {
    throw new ParseError(path, `cannot read file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const ext = nodePath.extname(path).toLowerCase();
  const forced = options.format?.trim().toLowerCase();
  if (forced === "mpr" || forced === "biologic-mpr" || (forced === undefined && (ext === ".mpr" || startsWithBytes(bytes, MPR_MAGIC)))) {
    return parseImpedanceMpr(bytes, path);
  }
  return parseWithHint(decodeText(bytes), path, options.format);
}

const MPR_MAGIC = "BIO-LOGIC MODULAR FILE";

/**
 * Read the impedance spectrum of a BioLogic `.mpr` (PEIS or GEIS) held in memory.
 *
 * @param bytes - the file's bytes
 * @param source - named in errors and as {@link ImpedanceSpectrum.source}
 * @returns the spectrum (Hz, Ω, Z″ < 0 capacitive), every sweep in record order with `cycle`
 * @throws {ParseError} for a malformed `.mpr` (naming the byte offset), a technique without impedance columns, non-finite values
 * @example
 * ```ts
 * const s = parseImpedanceMpr(fs.readFileSync("peis.mpr"), "peis.mpr");
 * console.log(s.frequency[0], s.metadata?.technique); // 199998.14 PEIS
 * ```
 */
export function parseImpedanceMpr(bytes: Uint8Array, source: string): ImpedanceSpectrum {
  if (!startsWithBytes(bytes, MPR_MAGIC)) throw new ParseError(source, "not a BioLogic .mpr file: expected 'BIO-LOGIC MODULAR FILE' at the start", { offset: 0 });
  const table = parseCyclerBuffer(bytes, source, "biologic-mpr");
  const technique = typeof table.metadata["technique"] === "string" ? table.metadata["technique"] : "unknown";
  const frequency = table.columns["frequency_hertz"];
  const real = table.columns["real_impedance_ohm"];
  // the cycler table already holds Z'' = −(−Im(Z)), the sign of this module
  const imag = table.columns["imaginary_impedance_ohm"];
  if (!frequency || !real || !imag) {
    throw new ParseError(source, `BioLogic .mpr of technique ${technique} has no impedance columns (freq/Hz, Re(Z)/Ohm, -Im(Z)/Ohm); read it as a cycler record instead`);
  }
  for (let i = 0; i < table.rows; i++) {
    if (!(Number.isFinite(frequency[i]) && frequency[i] > 0)) throw new ParseError(source, `record ${i}: frequency must be a positive number, got ${frequency[i]}`);
    if (!Number.isFinite(real[i]) || !Number.isFinite(imag[i])) throw new ParseError(source, `record ${i}: impedance is not finite (Re(Z) ${real[i]}, -Im(Z) ${-imag[i]})`);
  }
  if (table.rows === 0) throw new ParseError(source, "no impedance data rows found");
  const metadata: Record<string, string> = {
    instrument: "BioLogic EC-Lab (.mpr)",
    technique,
    columns: "freq/Hz, Re(Z)/Ohm, -Im(Z)/Ohm",
    signConvention: "file stores -Im(Z)/Ohm (positive capacitive); negated to Z'' < 0 capacitive",
  };
  const start = table.metadata["acquisitionStartLocal"];
  if (typeof start === "string") metadata["acquisitionStartLocal"] = start;
  const loops = table.metadata["loopIndexes"];
  if (Array.isArray(loops)) metadata["loopIndexes"] = loops.join(", ");
  const spectrum: ImpedanceSpectrum = {
    frequency: Float64Array.from(frequency),
    real: Float64Array.from(real),
    imag: Float64Array.from(imag),
    source,
    format: "biologic-mpr",
    warnings: [...new Set(table.warnings)],
    metadata,
  };
  const cycle = table.columns["cycle_count"];
  if (cycle) spectrum.cycle = Int32Array.from(cycle, (c) => (Number.isFinite(c) ? Math.round(c) : 0));
  return spectrum;
}

/**
 * Parse impedance data already in memory.
 *
 * @param text - file content; bytes are decoded as UTF-8 when valid, else Latin-1
 * @param source - label for errors and {@link ImpedanceSpectrum.source} (usually the file name; its extension helps detection)
 * @param format - force a reader (see {@link ReadImpedanceOptions.format})
 * @returns the spectrum (Hz, Ω, Z″ < 0 capacitive)
 * @throws {ParseError} naming `source` and the line on invalid content
 * @example
 * ```ts
 * const s = parseImpedanceText("1000,10,-1\n100,12,-3\n", "inline.csv");
 * // s.imag[1] === -3
 * ```
 */
export function parseImpedanceText(text: string | Uint8Array, source: string, format?: string): ImpedanceSpectrum {
  const decoded = typeof text === "string" ? stripBom(text) : decodeText(text);
  return parseWithHint(decoded, source, format);
}

/**
 * Guess the format of an impedance export from its content, then its extension.
 *
 * @param text - decoded file content
 * @param source - file name (only its extension is used)
 * @returns the reader to use; `csv` when nothing more specific matches
 */
export function detectImpedanceFormat(text: string, source = ""): ImpedanceFormat {
  const head = text.slice(0, 4096);
  const firstLine = head.split(/\r*\n|\r/, 1)[0].trim();
  if (/^EC-Lab ASCII FILE/i.test(firstLine) || /^Nb header lines\s*:/im.test(head)) return "biologic";
  if (/^freq\/Hz\t/m.test(head)) return "biologic";
  if (firstLine === "EXPLAIN" || /^ZCURVE\s+TABLE/m.test(text)) return "gamry";
  if (/^ZPLOT2 ASCII/i.test(firstLine) || /ZPlotW Data File/i.test(firstLine)) return "zplot";
  if (/Z60W Data File/i.test(firstLine)) return "autolab";
  if (/^Freq\/Hz\s*,\s*Z'/m.test(head)) return "chinstruments";
  if (/Frequency \(Hz\)/.test(firstLine) && /Zre \(ohms\)/.test(firstLine)) return "parstat";
  if (firstLine === "<Application>" || /^<Segment1>\s*$/m.test(text)) return "versastudio";
  if (/^Frequency\s+Zre\s+Zimg/i.test(firstLine)) return "powersuite";
  const ext = nodePath.extname(source).toLowerCase();
  if (ext === ".mpt") return "biologic";
  if (ext === ".dta") return "gamry";
  if (ext === ".z") return "zplot";
  if (ext === ".par") return "versastudio";
  return "csv";
}

/**
 * Split a spectrum holding several consecutive sweeps into one spectrum per sweep:
 * by {@link ImpedanceSpectrum.cycle} when present, otherwise where the frequency
 * sweep restarts (its direction reverses).
 *
 * @param spectrum - e.g. a BioLogic PEIS file with repeated sweeps
 * @returns the sweeps in file order (the input itself when there is only one)
 */
export function splitImpedanceSweeps(spectrum: ImpedanceSpectrum): ImpedanceSpectrum[] {
  const n = spectrum.frequency.length;
  const starts: number[] = [0];
  if (spectrum.cycle) {
    for (let i = 1; i < n; i++) if (spectrum.cycle[i] !== spectrum.cycle[i - 1]) starts.push(i);
  } else if (n > 2) {
    let direction = Math.sign(spectrum.frequency[1] - spectrum.frequency[0]);
    for (let i = 1; i < n; i++) {
      const step = Math.sign(spectrum.frequency[i] - spectrum.frequency[i - 1]);
      if (step !== 0 && direction !== 0 && step !== direction) {
        starts.push(i);
        direction = i + 1 < n ? Math.sign(spectrum.frequency[i + 1] - spectrum.frequency[i]) : direction;
      } else if (direction === 0) direction = step;
    }
  }
  if (starts.length === 1) return [spectrum];
  starts.push(n);
  const out: ImpedanceSpectrum[] = [];
  for (let k = 0; k + 1 < starts.length; k++) {
    const a = starts[k];
    const b = starts[k + 1];
    out.push({
      ...spectrum,
      frequency: spectrum.frequency.slice(a, b),
      real: spectrum.real.slice(a, b),
      imag: spectrum.imag.slice(a, b),
      cycle: spectrum.cycle?.slice(a, b),
      warnings: [...spectrum.warnings],
      metadata: spectrum.metadata ? { ...spectrum.metadata, sweep: String(k + 1) } : { sweep: String(k + 1) },
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Decoding and line handling

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeText(bytes: Uint8Array): string {
  try {
    return stripBom(utf8.decode(bytes));
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  }
}

function startsWithBytes(bytes: Uint8Array, prefix: string): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

/** Physical lines; CR CR LF (PowerSuite) counts as one line break. */
function splitLines(text: string): string[] {
  return text.split(/\r*\n|\r/);
}

function resolveFormat(format: string): ImpedanceFormat {
  const key = format.trim().toLowerCase();
  if ((IMPEDANCE_FORMATS as readonly string[]).includes(key)) return key as ImpedanceFormat;
  const alias = ALIASES[key];
  if (alias) return alias;
  throw new ValidationError("format", `unknown impedance format (known: ${IMPEDANCE_FORMATS.join(", ")})`, format);
}

function parseWithHint(text: string, source: string, format: string | undefined): ImpedanceSpectrum {
  const resolved = format !== undefined ? resolveFormat(format) : detectImpedanceFormat(text, source);
  const lines = splitLines(text);
  switch (resolved) {
    case "biologic":
      return parseBiologic(lines, source);
    case "gamry":
      return parseGamry(lines, source);
    case "zplot":
      return parseZplot(lines, source);
    case "autolab":
      return parseZ60Text(lines, source, "autolab", "Z60W data file (Autolab)");
    case "chinstruments":
      return parseChInstruments(lines, source);
    case "parstat":
      return parseParstat(lines, source);
    case "versastudio":
      return parseVersaStudio(lines, source);
    case "powersuite":
      return parsePowerSuite(lines, source);
    case "csv":
      return parseDelimited(lines, source);
  }
}

// ---------------------------------------------------------------------------
// Shared row → spectrum conversion

interface Row {
  fields: string[];
  /** 1-based physical line. */
  line: number;
}

interface ColumnPlan {
  frequency: number;
  real: number;
  imag: number;
  /** Human-readable names for messages. */
  names: [string, string, string];
  /** The file stores −Im(Z): negate. */
  negateImag?: boolean;
  /** Replace `,` by `.` in numbers (tab-separated formats written in decimal-comma locales). */
  decimalComma?: boolean;
  /** Drop rows with f = 0 (Parstat DC pre-conditioning points). */
  dropZeroFrequency?: boolean;
  /** Optional integer column copied to `cycle`. */
  cycle?: number;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?$/;

function parseNumberField(raw: string | undefined, decimalComma: boolean): number {
  if (raw === undefined) return NaN;
  let s = raw.trim();
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) s = s.slice(1, -1).trim();
  if (decimalComma) s = s.replace(",", ".");
  if (!NUMBER.test(s)) return NaN;
  return Number(s.replace(/[dD]/, "e"));
}

function isNumeric(raw: string): boolean {
  return !Number.isNaN(parseNumberField(raw, false));
}

function buildSpectrum(
  rows: Row[],
  plan: ColumnPlan,
  source: string,
  format: string,
  warnings: string[],
  metadata: Record<string, string>,
): ImpedanceSpectrum {
  const f: number[] = [];
  const re: number[] = [];
  const im: number[] = [];
  const cycles: number[] = [];
  const needed = Math.max(plan.frequency, plan.real, plan.imag) + 1;
  let droppedZero = 0;
  const columns: [number, number, number] = [plan.frequency, plan.real, plan.imag];
  for (const row of rows) {
    if (row.fields.length < needed) {
      throw new ParseError(source, `expected at least ${needed} columns (${plan.names.join(", ")}), found ${row.fields.length}`, {
        line: row.line,
      });
    }
    const values = [0, 0, 0];
    for (let k = 0; k < 3; k++) {
      const raw = row.fields[columns[k]];
      const value = parseNumberField(raw, plan.decimalComma ?? false);
      if (!Number.isFinite(value)) {
        throw new ParseError(
          source,
          `column ${columns[k] + 1} (${plan.names[k]}) is not a finite number: ${JSON.stringify(raw.trim())}`,
          { line: row.line },
        );
      }
      values[k] = value;
    }
    if (values[0] === 0 && plan.dropZeroFrequency) {
      droppedZero++;
      continue;
    }
    if (!(values[0] > 0)) {
      throw new ParseError(source, `frequency must be positive, got ${values[0]}`, { line: row.line });
    }
    f.push(values[0]);
    re.push(values[1]);
    im.push(plan.negateImag ? -values[2] : values[2]);
    if (plan.cycle !== undefined) {
      const c = parseNumberField(row.fields[plan.cycle], plan.decimalComma ?? false);
      cycles.push(Number.isFinite(c) ? Math.round(c) : 0);
    }
  }
  if (droppedZero > 0) warnings.push(`dropped ${droppedZero} rows with frequency 0 (DC pre-conditioning points)`);
  if (f.length === 0) throw new ParseError(source, "no impedance data rows found");
  const spectrum: ImpedanceSpectrum = {
    frequency: Float64Array.from(f),
    real: Float64Array.from(re),
    imag: Float64Array.from(im),
    source,
    format,
    warnings: [...new Set(warnings)],
    metadata: {
      ...metadata,
      columns: plan.names.join(", "),
      signConvention: plan.negateImag
        ? `file stores ${plan.names[2]} (positive capacitive); negated to Z'' < 0 capacitive`
        : "file stores Z'' (negative capacitive); used as is",
    },
  };
  if (plan.cycle !== undefined) spectrum.cycle = Int32Array.from(cycles);
  return spectrum;
}

function splitTabs(line: string): string[] {
  return line.split("\t");
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

/** Index of a header column matching `pattern`, or -1. */
function findColumn(names: string[], pattern: RegExp): number {
  return names.findIndex((name) => pattern.test(name.trim()));
}

// ---------------------------------------------------------------------------
// BioLogic EC-Lab .mpt

function parseBiologic(lines: string[], source: string): ImpedanceSpectrum {
  let headerIndex = -1;
  const countMatch = lines.length > 1 ? /^Nb header lines\s*:\s*(\d+)/i.exec(lines[1].trim()) : null;
  if (countMatch) {
    headerIndex = Number(countMatch[1]) - 1;
    if (headerIndex < 1 || headerIndex >= lines.length) {
      throw new ParseError(source, `"Nb header lines : ${countMatch[1]}" points outside the file (${lines.length} lines)`, { line: 2 });
    }
  } else {
    // Exports without the header block start directly with the column-name line.
    headerIndex = lines.findIndex((line) => line.includes("\t") && /(^|\t)(freq\/Hz|Re\(Z\)\/Ohm)\t/.test(line));
    if (headerIndex < 0) throw new ParseError(source, 'not an EC-Lab .mpt file: no "Nb header lines" and no column-name line', { line: 1 });
  }
  const names = splitTabs(lines[headerIndex]);
  const listed = names.map((n) => n.trim()).filter((n) => n !== "");
  const shown = listed.length > 8 ? `${listed.slice(0, 8).join(", ")}, …` : listed.join(", ");
  const where = { line: headerIndex + 1 };
  const frequency = findColumn(names, /^freq\/Hz$/);
  if (frequency < 0) throw new ParseError(source, `column "freq/Hz" not found in the column headers (${shown})`, where);
  const real = findColumn(names, /^Re\(Z\)\/Ohm$/);
  if (real < 0) throw new ParseError(source, `column "Re(Z)/Ohm" not found in the column headers (${shown})`, where);
  let imag = findColumn(names, /^-Im\(Z\)\/Ohm$/);
  let negateImag = true;
  if (imag < 0) {
    imag = findColumn(names, /^Im\(Z\)\/Ohm$/);
    negateImag = false;
  }
  if (imag < 0) throw new ParseError(source, `column "-Im(Z)/Ohm" not found in the column headers (${shown})`, where);
  const cycle = findColumn(names, /^cycle number$/);
  const rows: Row[] = [];
  for (let l = headerIndex + 1; l < lines.length; l++) {
    if (isBlank(lines[l])) continue;
    rows.push({ fields: splitTabs(lines[l]), line: l + 1 });
  }
  return buildSpectrum(
    rows,
    {
      frequency,
      real,
      imag,
      names: ["freq/Hz", "Re(Z)/Ohm", negateImag ? "-Im(Z)/Ohm" : "Im(Z)/Ohm"],
      negateImag,
      decimalComma: true,
      cycle: cycle >= 0 ? cycle : undefined,
    },
    source,
    "biologic",
    [],
    { instrument: "BioLogic EC-Lab (.mpt)", headerLines: String(headerIndex + 1) },
  );
}

// ---------------------------------------------------------------------------
// Gamry .DTA

function parseGamry(lines: string[], source: string): ImpedanceSpectrum {
  const start = lines.findIndex((line) => /^ZCURVE\s+TABLE/.test(line));
  if (start < 0) throw new ParseError(source, 'Gamry .DTA: no "ZCURVE TABLE" section (not an impedance experiment?)');
  if (start + 2 >= lines.length) throw new ParseError(source, "Gamry .DTA: ZCURVE table has no column-name and units lines", { line: start + 1 });
  const names = splitTabs(lines[start + 1]);
  const where = { line: start + 2 };
  const frequency = findColumn(names, /^Freq$/);
  const real = findColumn(names, /^Zreal$/);
  const imag = findColumn(names, /^Zimag$/);
  for (const [index, name] of [
    [frequency, "Freq"],
    [real, "Zreal"],
    [imag, "Zimag"],
  ] as const) {
    if (index < 0) throw new ParseError(source, `Gamry .DTA: column "${name}" not found in the ZCURVE column names`, where);
  }
  const declared = /^ZCURVE\s+TABLE\s+(\d+)/.exec(lines[start]);
  const warnings: string[] = [];
  const rows: Row[] = [];
  let aborted = false;
  for (let l = start + 3; l < lines.length; l++) {
    const line = lines[l];
    if (isBlank(line)) continue;
    if (!/^[\t ]/.test(line)) {
      aborted = /^EXPERIMENTABORTED/.test(line);
      break;
    }
    rows.push({ fields: splitTabs(line), line: l + 1 });
  }
  if (aborted) warnings.push(`experiment aborted: ${rows.length} points recorded before EXPERIMENTABORTED`);
  if (declared && Number(declared[1]) !== rows.length) {
    warnings.push(`ZCURVE table declares ${declared[1]} points, ${rows.length} found`);
  }
  return buildSpectrum(
    rows,
    { frequency, real, imag, names: ["Freq", "Zreal", "Zimag"], decimalComma: true },
    source,
    "gamry",
    warnings,
    { instrument: "Gamry Framework (.DTA)", aborted: String(aborted) },
  );
}

// ---------------------------------------------------------------------------
// Scribner ZPlot .z, "Z60W" (Autolab) text

function parseZplot(lines: string[], source: string): ImpedanceSpectrum {
  const end = lines.findIndex((line) => line.trim() === "End Comments");
  if (end < 0) return parseZ60Text(lines, source, "zplot", "Scribner ZPlot (.z, no comment block)");
  const rows: Row[] = [];
  for (let l = end + 1; l < lines.length; l++) {
    if (isBlank(lines[l])) continue;
    rows.push({ fields: lines[l].trim().split(/\s*,\s*|\t|\s+/), line: l + 1 });
  }
  return buildSpectrum(rows, { frequency: 0, real: 4, imag: 5, names: ["Freq(Hz)", "Z'(a)", "Z''(b)"] }, source, "zplot", [], {
    instrument: "Scribner ZPlot (.z)",
  });
}

/** ZPlotW / Z60W text: the last line containing `Freq` is the column header; rows are `, `-separated (or tabs). */
function parseZ60Text(lines: string[], source: string, format: string, instrument: string): ImpedanceSpectrum {
  let header = -1;
  for (let l = 0; l < lines.length; l++) if (lines[l].includes("Freq")) header = l;
  if (header < 0) throw new ParseError(source, `${instrument}: no column-header line containing "Freq"`);
  const rows: Row[] = [];
  for (let l = header + 1; l < lines.length; l++) {
    if (isBlank(lines[l])) continue;
    rows.push({ fields: lines[l].trim().split(/\s*,\s*|\t/), line: l + 1 });
  }
  return buildSpectrum(rows, { frequency: 0, real: 4, imag: 5, names: ["Freq (Hz)", "Z'(a)", "Z''(b)"] }, source, format, [], {
    instrument,
  });
}

// ---------------------------------------------------------------------------
// CH Instruments, Parstat, VersaStudio, PowerSuite

function parseChInstruments(lines: string[], source: string): ImpedanceSpectrum {
  const header = lines.findIndex((line) => /^Freq\/Hz\s*,/.test(line.trim()));
  if (header < 0) throw new ParseError(source, 'CH Instruments: no "Freq/Hz, Z\'/ohm, Z"/ohm" header line');
  const names = lines[header].split(",").map((n) => n.trim());
  const real = Math.max(findColumn(names, /^Z'\/ohm$/i), 1);
  const imag = Math.max(findColumn(names, /^Z"\/ohm$|^Z''\/ohm$/i), 2);
  const rows: Row[] = [];
  for (let l = header + 1; l < lines.length; l++) {
    if (isBlank(lines[l])) continue;
    rows.push({ fields: lines[l].split(","), line: l + 1 });
  }
  return buildSpectrum(rows, { frequency: 0, real, imag, names: ["Freq/Hz", "Z'/ohm", 'Z"/ohm'] }, source, "chinstruments", [], {
    instrument: "CH Instruments",
  });
}

function parseParstat(lines: string[], source: string): ImpedanceSpectrum {
  const header = lines.findIndex((line) => !isBlank(line));
  if (header < 0) throw new ParseError(source, "empty file");
  const names = splitTabs(lines[header]);
  let frequency = findColumn(names, /^Frequency \(Hz\)$/);
  let real = findColumn(names, /^Zre \(ohms\)$/);
  let imag = findColumn(names, /^Zim \(ohms\)$/);
  if (frequency < 0 || real < 0 || imag < 0) {
    // Header not tab-separated: fall back to the documented positions.
    frequency = 3;
    real = 4;
    imag = 5;
  }
  const rows: Row[] = [];
  for (let l = header + 1; l < lines.length; l++) {
    if (isBlank(lines[l])) continue;
    rows.push({ fields: lines[l].trim().split(/\s+/), line: l + 1 });
  }
  return buildSpectrum(
    rows,
    { frequency, real, imag, names: ["Frequency (Hz)", "Zre (ohms)", "Zim (ohms)"], dropZeroFrequency: true },
    source,
    "parstat",
    [],
    { instrument: "Parstat" },
  );
}

function parseVersaStudio(lines: string[], source: string): ImpedanceSpectrum {
  const open = lines.findIndex((line) => line.trim() === "<Segment1>");
  if (open < 0) throw new ParseError(source, "VersaStudio .par: no <Segment1> data block");
  const close = lines.findIndex((line, i) => i > open && line.trim() === "</Segment1>");
  if (close < 0) throw new ParseError(source, "VersaStudio .par: <Segment1> is not closed by </Segment1>", { line: open + 1 });
  let l = open + 1;
  let definition: string[] | null = null;
  while (l < close && /^(Type|Version|Definition)=/.test(lines[l].trim())) {
    const line = lines[l].trim();
    if (line.startsWith("Definition=")) definition = line.slice("Definition=".length).split(",").map((n) => n.trim());
    l++;
  }
  let frequency = 9;
  let real = 14;
  let imag = 15;
  if (definition) {
    frequency = findColumn(definition, /^Frequency\s*\(Hz\)$/);
    real = findColumn(definition, /^Z Real$/);
    imag = findColumn(definition, /^Z Imag$/);
    const missing = [
      [frequency, "Frequency(Hz)"],
      [real, "Z Real"],
      [imag, "Z Imag"],
    ].find(([index]) => (index as number) < 0);
    if (missing) throw new ParseError(source, `VersaStudio .par: column "${missing[1]}" not found in Definition=`, { line: l });
  }
  const rows: Row[] = [];
  for (; l < close; l++) {
    if (isBlank(lines[l])) continue;
    rows.push({ fields: lines[l].split(","), line: l + 1 });
  }
  const warnings: string[] = [];
  const segments = lines.filter((line) => /^<Segment\d+>\s*$/.test(line.trim())).length;
  if (segments > 1) warnings.push(`file has ${segments} data segments; only <Segment1> was read`);
  return buildSpectrum(rows, { frequency, real, imag, names: ["Frequency(Hz)", "Z Real", "Z Imag"] }, source, "versastudio", warnings, {
    instrument: "VersaStudio (.par)",
  });
}

function parsePowerSuite(lines: string[], source: string): ImpedanceSpectrum {
  const header = lines.findIndex((line) => /^\s*Frequency\s+Zre\s+Zimg/i.test(line));
  if (header < 0) throw new ParseError(source, 'PowerSuite: no "Frequency Zre Zimg" header line');
  const rows: Row[] = [];
  for (let l = header + 1; l < lines.length; l++) {
    if (isBlank(lines[l])) continue;
    rows.push({ fields: lines[l].trim().split(/\s*\t\s*|\s+/), line: l + 1 });
  }
  return buildSpectrum(rows, { frequency: 0, real: 1, imag: 2, names: ["Frequency", "Zre", "Zimg"] }, source, "powersuite", [], {
    instrument: "PowerSuite",
  });
}

// ---------------------------------------------------------------------------
// Plain delimited columns (CSV, whitespace)

function parseDelimited(lines: string[], source: string): ImpedanceSpectrum {
  let plan: ColumnPlan = { frequency: 0, real: 1, imag: 2, names: ["f", "Z'", "Z''"] };
  const warnings: string[] = [];
  const rows: Row[] = [];
  let comma = false;
  let sawData = false;
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l].trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.includes(",")) comma = true;
    const fields = /[,;\t]/.test(line) ? line.split(/\s*[,;\t]\s*/) : line.split(/\s+/);
    if (!sawData && rows.length === 0 && fields.every((field) => !isNumeric(field))) {
      plan = headerPlan(fields, source, l + 1, warnings);
      sawData = true;
      continue;
    }
    sawData = true;
    rows.push({ fields, line: l + 1 });
  }
  return buildSpectrum(rows, plan, source, comma ? "csv" : "whitespace", warnings, { instrument: "plain columns" });
}

/** Locate f, Z′, Z″ in a text header such as `Frequency (Hz);Z' (Ω);-Z'' (Ω)` or `freq,Re(Z),Im(Z)`. */
function headerPlan(names: string[], source: string, line: number, warnings: string[]): ColumnPlan {
  const clean = names.map((n) => n.replace(/^"|"$/g, "").trim());
  const frequency = findColumn(clean, /^freq/i);
  const real = findColumn(clean, /^(z'|z_?re(al)?\b|re\s*\(z\)|zre|z\s+real|real)(?!')/i);
  let imag = findColumn(clean, /^(z''|z"|z_?im(ag)?\b|im\s*\(z\)|zim|z\s+imag|imag)/i);
  let negateImag = false;
  if (imag < 0) {
    imag = findColumn(clean, /^-\s*(z''|z"|z_?im(ag)?\b|im\s*\(z\)|zim|imag)/i);
    negateImag = imag >= 0;
  }
  if (frequency < 0 || real < 0 || imag < 0) {
    warnings.push(`header on line ${line} not recognised; columns 1-3 read as f, Z', Z''`);
    return { frequency: 0, real: 1, imag: 2, names: ["f", "Z'", "Z''"] };
  }
  if (new Set([frequency, real, imag]).size !== 3) {
    throw new ParseError(source, `header names the same column twice for f, Z', Z'' (${clean.join(", ")})`, { line });
  }
  return { frequency, real, imag, names: [clean[frequency], clean[real], clean[imag]], negateImag };
}
