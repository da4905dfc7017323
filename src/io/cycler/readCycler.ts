/**
 * @module io/cycler/readCycler
 * Entry points of the cycler readers: format detection (content first, then
 * extension), whole-table reads from a file or a buffer, and chunked streaming.
 * Table layout, units and the current-sign convention: see `cyclerTable.ts`.
 */
import fs from "node:fs";
import nodePath from "node:path";
import { EngineError, ParseError, ValidationError } from "../../core/errors.ts";
import { TABLE_CURRENT_SIGN, createContext } from "./cyclerTable.ts";
import type { CyclerChunk, CyclerFormat, CyclerReadOptions, CyclerStreamSummary, CyclerTable, Pipeline, ReadContext } from "./cyclerTable.ts";
import { bufferSource, fileSource } from "./byteSource.ts";
import type { ByteSource } from "./byteSource.ts";
import { readBiologicMpr } from "./biologicMpr.ts";
import { readBiologicMpt } from "./biologicMpt.ts";
import { parseArbinMetadata, readArbinCsv } from "./arbinCsv.ts";
import { readMaccorText } from "./maccorText.ts";
import { readNewareCsv } from "./newareCsv.ts";
import { readBdfCsv } from "./bdfCsv.ts";
import { latin1 } from "./textScan.ts";

/** Every supported format. */
export const CYCLER_FORMATS: readonly CyclerFormat[] = ["biologic-mpr", "biologic-mpt", "arbin-csv", "maccor-text", "neware-csv", "bdf-csv"];

const READERS: Record<CyclerFormat, (source: ByteSource, ctx: ReadContext) => Pipeline> = {
  "biologic-mpr": readBiologicMpr,
  "biologic-mpt": readBiologicMpt,
  "arbin-csv": readArbinCsv,
  "maccor-text": readMaccorText,
  "neware-csv": readNewareCsv,
  "bdf-csv": readBdfCsv,
};

const ALIASES: Record<string, CyclerFormat> = {
  mpr: "biologic-mpr", mpt: "biologic-mpt", arbin: "arbin-csv", maccor: "maccor-text", neware: "neware-csv", bdf: "bdf-csv",
};

/**
 * Canonical format name of a `format` option.
 *
 * @param format - a {@link CyclerFormat} or an alias (`mpr`, `mpt`, `arbin`, `maccor`, `neware`, `bdf`)
 * @returns the format
 * @throws ValidationError for anything else
 */
export function resolveCyclerFormat(format: string): CyclerFormat {
  const key = format.trim().toLowerCase();
  if ((CYCLER_FORMATS as readonly string[]).includes(key)) return key as CyclerFormat;
  const alias = ALIASES[key];
  if (alias) return alias;
  throw new ValidationError("format", `unknown cycler format; expected one of ${CYCLER_FORMATS.join(", ")}`, format);
}

/**
 * Guesses the format from the first bytes, then from the file name.
 *
 * @param head - the first few kilobytes of the file
 * @param name - file name or path (for the extension)
 * @returns the format, or undefined when neither content nor extension tells
 * @example detectCyclerFormat(new TextEncoder().encode("EC-Lab ASCII FILE\r\n"), "x.mpt") // "biologic-mpt"
 */
export function detectCyclerFormat(head: Uint8Array, name: string): CyclerFormat | undefined {
  const text = latin1(head.subarray(0, 8192));
  if (text.startsWith("BIO-LOGIC MODULAR FILE")) return "biologic-mpr";
  if (/^(EC|BT)-Lab ASCII FILE/.test(text)) return "biologic-mpt";
  if (text.startsWith("Today's Date") || /(^|\n)Rec#\t/.test(text)) return "maccor-text";
  const lines = text.split("\n", 3).map((l) => l.replace(/\r$/, ""));
  const first = lines[0] ?? "";
  if (first.startsWith("Cycle Index,") && (lines[1] ?? "").startsWith(",Step Index")) return "neware-csv";
  const labels = first.split(",").map((l) => l.trim().replace(/^"|"$/g, ""));
  if (labels.includes("test_time_second") || labels.includes("Test Time / s")) return "bdf-csv";
  if (labels.some((l) => l.startsWith("Test_Time")) && labels.some((l) => /^(Data_Point|Current|Voltage)/.test(l))) return "arbin-csv";
  const lower = name.toLowerCase();
  if (lower.endsWith(".mpr")) return "biologic-mpr";
  if (lower.endsWith(".mpt")) return "biologic-mpt";
  if (lower.endsWith(".bdf") || lower.endsWith(".bdf.csv")) return "bdf-csv";
  if (/\.\d{3}$/.test(lower)) return "maccor-text";
  return undefined;
}

function checkOptions(options: CyclerReadOptions): void {
  const { chunkBytes, utcOffsetMinutes } = options;
  if (chunkBytes !== undefined && !(Number.isInteger(chunkBytes) && chunkBytes >= 1 && chunkBytes <= 1 << 30)) {
    throw new ValidationError("chunkBytes", "must be an integer between 1 and 2^30", chunkBytes);
  }
  if (utcOffsetMinutes !== undefined && !(Number.isFinite(utcOffsetMinutes) && Math.abs(utcOffsetMinutes) <= 1080)) {
    throw new ValidationError("utcOffsetMinutes", "must be a number of minutes within ±18 h", utcOffsetMinutes);
  }
}

interface RunResult {
  format: CyclerFormat;
  ctx: ReadContext;
  columns: Record<string, Float64Array>;
  sourceColumns: Record<string, Float64Array>;
  rows: number;
  columnNames: string[];
  sourceColumnNames: string[];
}

function run(source: ByteSource, name: string, options: CyclerReadOptions, onChunk?: (chunk: CyclerChunk) => void): RunResult {
  checkOptions(options);
  let format: CyclerFormat | undefined;
  if (options.format !== undefined) format = resolveCyclerFormat(options.format);
  else format = detectCyclerFormat(source.read(0, 8192).slice(), name);
  if (!format) {
    throw new ParseError(name, `cannot tell the cycler format from the content or the extension (supported: ${CYCLER_FORMATS.join(", ")}); pass the format option`);
  }
  const ctx = createContext(name, options, source.size, onChunk);
  const pipeline = READERS[format](source, ctx);
  const result = pipeline.finish();
  for (const hook of ctx.afterFinish) hook();
  ctx.metadata.rows = result.rows;
  return { format, ctx, ...result, columnNames: pipeline.tableNames().filter((n) => onChunk !== undefined || n in result.columns), sourceColumnNames: pipeline.sourceNamesKept() };
}

function toTable(name: string, r: RunResult): CyclerTable {
  return {
    source: name,
    format: r.format,
    columns: r.columns,
    rows: r.rows,
    startTime: r.ctx.startTime,
    currentSign: { source: r.ctx.currentSource, table: TABLE_CURRENT_SIGN },
    metadata: r.ctx.metadata,
    warnings: r.ctx.warnings.list,
    sourceColumns: r.sourceColumns,
  };
}

function openFile(path: string): ByteSource {
  try {
    return fileSource(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ParseError(path, `cannot open the file${typeof code === "string" ? ` (${code})` : ""}`);
  }
}

function withSource<T>(source: ByteSource, body: () => T): T {
  try {
    return body();
  } finally {
    source.close();
  }
}

/** Adds the sibling `<name>_Metadata.csv` of an Arbin export, when there is one. */
function addArbinMetadata(path: string, table: { metadata: Record<string, unknown>; warnings: string[] }): void {
  const sibling = path.replace(/\.csv$/i, "_Metadata.csv");
  if (sibling === path || !fs.existsSync(sibling)) return;
  try {
    table.metadata.arbinMetadata = parseArbinMetadata(fs.readFileSync(sibling, "latin1"));
    table.metadata.arbinMetadataFile = nodePath.basename(sibling);
  } catch (error) {
    if (!(error instanceof EngineError)) table.warnings.push(`cannot read ${nodePath.basename(sibling)}`);
  }
}

/**
 * Reads a cycler file into one {@link CyclerTable}, reading the file in chunks
 * (the input is never held whole; memory ≈ the output columns).
 *
 * @param path - file path; the format is detected from the content, then the extension
 * @param options - format, kept columns, UTC offset, chunk size
 * @returns the table (SI/BDF units, anodic-positive current)
 * @throws ParseError for an unreadable, unrecognised or malformed file (naming the line or byte offset)
 * @throws ValidationError for invalid options
 * @example
 * const table = readCyclerFile("echem/A.mpr");
 * const charge = table.columns.current_ampere;
 */
export function readCyclerFile(path: string, options: CyclerReadOptions = {}): CyclerTable {
  const source = openFile(path);
  const table = withSource(source, () => toTable(path, run(source, path, options)));
  if (table.format === "arbin-csv") addArbinMetadata(path, table);
  return table;
}

/**
 * Parses a cycler file held in memory.
 *
 * @param buffer - the file's bytes
 * @param source - name used in errors and as `table.source` (its extension helps detection)
 * @param format - force a format (see {@link resolveCyclerFormat}); detected when omitted
 * @param options - further options (kept columns, UTC offset)
 * @returns the table
 * @throws ParseError for an unrecognised or malformed file
 * @example parseCyclerBuffer(new TextEncoder().encode("Test Time / s,Voltage / V,Current / A\n0,3.7,0.1\n"), "x.bdf.csv").rows // 1
 */
export function parseCyclerBuffer(buffer: Uint8Array, source: string, format?: string, options: CyclerReadOptions = {}): CyclerTable {
  return toTable(source, run(bufferSource(buffer), source, format === undefined ? options : { ...options, format }));
}

/**
 * Streams a cycler file: rows arrive in chunks of at most 8192 through
 * `onChunk` and are not kept, so memory does not grow with the file.
 *
 * @param path - file path
 * @param onChunk - receives each chunk; its arrays are reused afterwards (copy what you keep)
 * @param options - as for {@link readCyclerFile}
 * @returns everything but the data (metadata, start time, warnings, column names)
 * @throws ParseError for an unreadable or malformed file (chunks before the error have been delivered)
 * @example
 * let charge = 0;
 * streamCyclerFile("big.mpr", (c) => { for (let i = 0; i < c.rows; i++) charge += c.columns.current_ampere[i]; });
 */
export function streamCyclerFile(path: string, onChunk: (chunk: CyclerChunk) => void, options: CyclerReadOptions = {}): CyclerStreamSummary {
  const source = openFile(path);
  const r = withSource(source, () => run(source, path, options, onChunk));
  const { columns: _columns, sourceColumns: _sources, ...rest } = toTable(path, r);
  const summary: CyclerStreamSummary = { ...rest, columnNames: r.columnNames, sourceColumnNames: r.sourceColumnNames };
  if (summary.format === "arbin-csv") addArbinMetadata(path, summary);
  return summary;
}
