/**
 * @module io/cycler/cyclerTable
 * The one table every cycler reader produces, and the batch pipeline the readers
 * write into.
 *
 * Columns carry Battery Data Format (BDF) machine names in SI/BDF units:
 * time s, potential V, current A, charge Ah, energy Wh, power W, resistance Ω,
 * temperature °C, frequency Hz, impedance Ω, phase degrees. Strata extensions
 * (not in BDF) are `half_cycle_count` (the instrument's half-cycle counter),
 * `interval_net_capacity_ah` (signed charge since the previous row, as the
 * instrument integrated it) and
 * the numeric `step_type` code of {@link STEP_TYPES} (BDF writes step types as
 * strings; a column of the table is a `Float64Array`).
 *
 * **Current sign.** The table uses `"anodic-positive"`: positive current =
 * oxidation (anodic current) at the working electrode, i.e. current flowing
 * into the test object through the instrument's working/positive lead. A
 * cycler's "charge" direction (`"charge-positive"`, Arbin, Maccor, Neware, BDF)
 * is that same direction when the working electrode sits on the positive lead,
 * as it does in every cell these readers were made for, so no reader ever
 * flips a sign: `currentSign.source` records the vocabulary of the file and
 * `currentSign.table` is always `"anodic-positive"`. (For a graphite-vs-Li half
 * cell a positive current therefore delithiates graphite — "charge" on the
 * cycler, "discharge" of the half cell.)
 *
 * Memory: readers parse into fixed-size batches of {@link BATCH_ROWS} rows; the
 * table's columns grow by reallocation (×1.5, or once to an estimate from the
 * file size) and nothing else grows with the file length.
 */
import { ParseError } from "../../core/errors.ts";

/** Current-sign vocabularies; the first is the table's. */
export type CurrentSignConvention = "anodic-positive" | "charge-positive";

/** The sign convention of every {@link CyclerTable}: positive = oxidation at the working electrode. */
export const TABLE_CURRENT_SIGN: CurrentSignConvention = "anodic-positive";

/** Step types, indexed by the code stored in the `step_type` column (BDF spellings where BDF has one). */
export const STEP_TYPES = [
  "UNKNOWN",
  "REST",
  "CC_CHG",
  "CC_DCH",
  "CV_CHG",
  "CV_DCH",
  "CCCV_CHG",
  "CCCV_DCH",
  "OCV",
  "EIS",
  "CHG",
  "DCH",
] as const;
/** A step type name; `CHG`/`DCH` when the file gives the direction but not the control mode. */
export type StepTypeName = (typeof STEP_TYPES)[number];
/** Code of a step type in the `step_type` column. */
export const STEP_TYPE_CODE: Readonly<Record<StepTypeName, number>> = Object.freeze(
  Object.fromEntries(STEP_TYPES.map((name, code) => [name, code])) as Record<StepTypeName, number>,
);

/**
 * Name of a `step_type` code.
 *
 * @param code - value of the `step_type` column
 * @returns the name; `"UNKNOWN"` for NaN or codes outside {@link STEP_TYPES}
 * @example stepTypeName(2) // "CC_CHG"
 */
export function stepTypeName(code: number): StepTypeName {
  return Number.isInteger(code) && code >= 0 && code < STEP_TYPES.length ? STEP_TYPES[code] : "UNKNOWN";
}

/** A cycler record as one table (see the module header for names, units and sign). */
export interface CyclerTable {
  /** File path or the name given to {@link parseCyclerBuffer}. */
  source: string;
  /** Detected or requested format, e.g. `"biologic-mpr"`. */
  format: CyclerFormat;
  /** BDF-named columns in BDF units, each `rows` long. Always `test_time_second`, `voltage_volt`, `current_ampere`. */
  columns: Record<string, Float64Array>;
  rows: number;
  /** Absolute start of the record (time of `test_time_second = 0`), ISO 8601; local time without zone unless a UTC offset is known. */
  startTime: string | undefined;
  /** The file's own current-sign vocabulary, and the table's (always `"anodic-positive"`). */
  currentSign: { source: CurrentSignConvention; table: CurrentSignConvention };
  metadata: Record<string, unknown>;
  /** De-duplicated, non-fatal problems. */
  warnings: string[];
  /** Vendor columns under the file's own names and units, when asked for with `sourceColumns`. */
  sourceColumns: Record<string, Float64Array>;
}

/** Supported formats. */
export type CyclerFormat = "biologic-mpr" | "biologic-mpt" | "arbin-csv" | "maccor-text" | "neware-csv" | "bdf-csv";

/** Options of the cycler readers. */
export interface CyclerReadOptions {
  /** Force a format (a {@link CyclerFormat} or `mpr`, `mpt`, `arbin`, `maccor`, `neware`, `bdf`). @default detected from content, then extension */
  format?: string;
  /** Keep vendor columns in `sourceColumns`: `true` for all, or a list of names. @default false */
  sourceColumns?: boolean | readonly string[];
  /** Keep only these BDF columns (time, voltage and current are always kept). @default all the reader produces */
  columns?: readonly string[];
  /** UTC offset of the instrument's local clock, minutes (e.g. 60 for CET); makes `startTime` carry a zone. @default unknown */
  utcOffsetMinutes?: number;
  /** Bytes read per chunk from a file. @default 1 MiB */
  chunkBytes?: number;
}

/** Rows handed to a {@link streamCyclerFile} callback; the arrays are reused after the callback returns. */
export interface CyclerChunk {
  /** Index of the chunk's first row in the whole record. */
  firstRow: number;
  rows: number;
  columns: Record<string, Float64Array>;
  sourceColumns: Record<string, Float64Array>;
}

/** What {@link streamCyclerFile} returns: the table without its data. */
export type CyclerStreamSummary = Omit<CyclerTable, "columns" | "sourceColumns"> & {
  columnNames: string[];
  sourceColumnNames: string[];
};

/** Rows per parse batch. */
export const BATCH_ROWS = 8192;

/** Columns every table has. */
export const REQUIRED_COLUMNS = ["test_time_second", "voltage_volt", "current_ampere"] as const;

/** De-duplicated warnings. */
export class Warnings {
  private readonly seen = new Set<string>();
  readonly list: string[] = [];
  add(message: string): void {
    if (this.seen.has(message)) return;
    this.seen.add(message);
    this.list.push(message);
  }
}

/**
 * Converts one batch of source rows into table rows. `src[j]` is one batch
 * long (only columns in `needs` are filled); `out[k]` receives output `k`.
 */
export interface RowMapper {
  /** BDF names written, in `out` order. */
  readonly outputs: readonly string[];
  /** Source column indices read. */
  readonly needs: readonly number[];
  map(src: readonly Float64Array[], n: number, out: readonly Float64Array[]): void;
}

/** Shared state of one read: file name, options, metadata and warnings. */
export interface ReadContext {
  file: string;
  options: CyclerReadOptions;
  /** Total input size in bytes, when known (for sizing the columns). */
  totalBytes: number | undefined;
  metadata: Record<string, unknown>;
  warnings: Warnings;
  startTime: string | undefined;
  currentSource: CurrentSignConvention;
  /** Set by {@link streamCyclerFile}. */
  onChunk: ((chunk: CyclerChunk) => void) | undefined;
  /** Run after the last batch went through the mapper (e.g. to set `startTime` from the first row). */
  afterFinish: (() => void)[];
}

/** Creates a fresh {@link ReadContext}. */
export function createContext(file: string, options: CyclerReadOptions, totalBytes: number | undefined, onChunk?: (chunk: CyclerChunk) => void): ReadContext {
  return {
    file,
    options,
    totalBytes,
    metadata: {},
    warnings: new Warnings(),
    startTime: undefined,
    currentSource: "charge-positive",
    onChunk,
    afterFinish: [],
  };
}

/** Growable (accumulate) or reusable (stream) columns. */
class ColumnStore {
  readonly names: string[];
  private data: Float64Array[];
  private seenValue: boolean[];
  length = 0;
  private capacity = 0;
  constructor(names: string[], private readonly streaming: boolean) {
    this.names = names;
    this.data = names.map(() => new Float64Array(0));
    this.seenValue = names.map(() => false);
  }
  reserve(rows: number): void {
    if (this.streaming || rows <= this.capacity) return;
    this.data = this.data.map((column) => {
      const grown = new Float64Array(rows);
      grown.set(column.subarray(0, this.length));
      return grown;
    });
    this.capacity = rows;
  }
  /**
   * Appends a batch.
   *
   * @param hint - expected final row count (from the input position), used when the columns must grow
   */
  append(batch: readonly Float64Array[], n: number, hint = 0): void {
    if (this.streaming) {
      this.length = n;
      this.data = batch.map((column) => column.subarray(0, n));
      return;
    }
    if (this.length + n > this.capacity) {
      const grown = hint >= this.length + n ? hint : Math.max(this.length + n, Math.ceil(this.capacity * 1.5), 1024);
      this.reserve(grown);
    }
    for (let k = 0; k < this.names.length; k++) {
      const values = batch[k].subarray(0, n);
      this.data[k].set(values, this.length);
      if (!this.seenValue[k]) for (let i = 0; i < n; i++) if (!Number.isNaN(values[i])) { this.seenValue[k] = true; break; }
    }
    this.length += n;
  }
  /** Columns trimmed to `length` (views; copied only when more than a quarter would be wasted, to keep the peak low). */
  finish(): Record<string, Float64Array> {
    const out: Record<string, Float64Array> = {};
    for (let k = 0; k < this.names.length; k++) {
      const column = this.data[k];
      out[this.names[k]] = this.capacity - this.length > 0.25 * this.length + 1024 ? column.slice(0, this.length) : column.subarray(0, this.length);
      this.data[k] = new Float64Array(0);
    }
    return out;
  }
  views(): Record<string, Float64Array> {
    const out: Record<string, Float64Array> = {};
    for (let k = 0; k < this.names.length; k++) out[this.names[k]] = this.data[k];
    return out;
  }
  hasValues(k: number): boolean {
    return this.seenValue[k];
  }
}

/**
 * Drives one read: a format parser writes source rows into `src` (one row at a
 * time, `src[j][n]` for the needed columns, then {@link Pipeline.commitRow});
 * full batches go through the format's {@link RowMapper} into the table.
 */
export class Pipeline {
  /** Source batch columns (empty arrays for columns nobody reads). */
  readonly src: Float64Array[];
  /** 1 where the parser must fill source column j. */
  readonly need: Uint8Array;
  /** Rows in the current batch. */
  n = 0;
  /** Rows per batch: {@link BATCH_ROWS}, fewer for small inputs. */
  readonly batchRows: number;
  /** Rows flushed so far. */
  rowsDone = 0;
  private readonly out: Float64Array[];
  private readonly table: ColumnStore;
  private readonly keptOutputs: number[];
  private readonly source: ColumnStore;
  private readonly keptSources: number[];
  private readonly timeIndex: number;
  private lastTime = -Infinity;
  /** Byte offset where the data rows start (text formats), for sizing the columns. */
  dataStartByte = 0;
  /** Input bytes consumed so far (text formats), for sizing the columns after the first batch. */
  bytePosition: (() => number) | undefined = undefined;

  constructor(
    private readonly ctx: ReadContext,
    readonly sourceNames: readonly string[],
    private readonly mapper: RowMapper,
  ) {
    for (const name of REQUIRED_COLUMNS) {
      if (!mapper.outputs.includes(name)) throw new ParseError(ctx.file, `no column gives ${name}`);
    }
    const wanted = ctx.options.sourceColumns;
    this.keptSources = [];
    sourceNames.forEach((name, j) => {
      if (wanted === true || (Array.isArray(wanted) && wanted.includes(name))) this.keptSources.push(j);
    });
    this.need = new Uint8Array(sourceNames.length);
    for (const j of mapper.needs) this.need[j] = 1;
    for (const j of this.keptSources) this.need[j] = 1;
    const small = ctx.totalBytes === undefined ? BATCH_ROWS : 2 ** Math.ceil(Math.log2(Math.max(ctx.totalBytes, 1) / 16));
    this.batchRows = Math.min(BATCH_ROWS, Math.max(256, small));
    this.src = sourceNames.map((_, j) => (this.need[j] ? new Float64Array(this.batchRows) : new Float64Array(0)));
    this.out = mapper.outputs.map(() => new Float64Array(this.batchRows));
    const select = ctx.options.columns;
    this.keptOutputs = [];
    mapper.outputs.forEach((name, k) => {
      if (!select || select.includes(name) || (REQUIRED_COLUMNS as readonly string[]).includes(name)) this.keptOutputs.push(k);
    });
    const streaming = ctx.onChunk !== undefined;
    this.table = new ColumnStore(this.keptOutputs.map((k) => mapper.outputs[k]), streaming);
    this.source = new ColumnStore(this.keptSources.map((j) => sourceNames[j]), streaming);
    this.timeIndex = mapper.outputs.indexOf("test_time_second");
  }

  /** Sizes the columns for a known row count (binary files). */
  reserve(rows: number): void {
    this.table.reserve(rows);
    this.source.reserve(rows);
  }

  /** Ends the current row; flushes a full batch. */
  commitRow(): void {
    if (++this.n === this.batchRows) this.flush(this.bytePosition?.());
  }

  /** Ends `k` rows written directly into `src` (binary readers); never more than fit the batch. */
  commitRows(k: number): void {
    this.n += k;
    if (this.n >= this.batchRows) this.flush(this.bytePosition?.());
  }

  /**
   * Sends the current batch through the mapper into the table.
   *
   * @param bytesConsumed - input bytes read so far (text formats): after the first batch the columns are sized from the file size
   */
  flush(bytesConsumed?: number): void {
    const n = this.n;
    if (n === 0) return;
    this.mapper.map(this.src, n, this.out);
    const time = this.out[this.timeIndex];
    for (let i = 0; i < n; i++) {
      const t = time[i];
      if (!(t >= this.lastTime)) {
        if (Number.isNaN(t)) this.ctx.warnings.add(`test time is missing or NaN (first at row ${this.rowsDone + i + 1})`);
        else this.ctx.warnings.add(`test time decreases (first at row ${this.rowsDone + i + 1}: ${t} s after ${this.lastTime} s)`);
      }
      if (!Number.isNaN(t)) this.lastTime = t;
    }
    const outBatch = this.keptOutputs.map((k) => this.out[k]);
    const srcBatch = this.keptSources.map((j) => this.src[j]);
    // expected final rows from the input position (text formats), to size the columns once
    let hint = 0;
    if (bytesConsumed !== undefined && this.ctx.totalBytes !== undefined && bytesConsumed > this.dataStartByte) {
      const perRow = (bytesConsumed - this.dataStartByte) / (this.rowsDone + n);
      hint = Math.ceil(((this.ctx.totalBytes - this.dataStartByte) / perRow) * 1.02) + 64;
      if (this.rowsDone === 0) this.reserve(hint);
    }
    this.table.append(outBatch, n, hint);
    this.source.append(srcBatch, n, hint);
    if (this.ctx.onChunk) {
      this.ctx.onChunk({ firstRow: this.rowsDone, rows: n, columns: this.table.views(), sourceColumns: this.source.views() });
    }
    this.rowsDone += n;
    this.n = 0;
  }

  /** Flushes the last batch and returns the columns (all-NaN optional columns dropped, with a warning). */
  finish(): { columns: Record<string, Float64Array>; sourceColumns: Record<string, Float64Array>; rows: number } {
    this.flush(this.bytePosition?.());
    if (this.ctx.onChunk) return { columns: {}, sourceColumns: {}, rows: this.rowsDone };
    const columns = this.table.finish();
    if (this.rowsDone > 0) {
      this.table.names.forEach((name, k) => {
        if (!this.table.hasValues(k) && !(REQUIRED_COLUMNS as readonly string[]).includes(name)) {
          delete columns[name];
          this.ctx.warnings.add(`column ${name} is empty in every row; omitted`);
        }
      });
    }
    return { columns, sourceColumns: this.source.finish(), rows: this.rowsDone };
  }

  /** Output column names kept in the table. */
  tableNames(): string[] {
    return this.table.names.slice();
  }
  /** Source column names kept. */
  sourceNamesKept(): string[] {
    return this.source.names.slice();
  }
}

/** One output of a {@link linearMapper}: `out = src × scale + offset`. */
export interface LinearOutput {
  out: string;
  src: number;
  scale?: number;
}

/**
 * A mapper that copies source columns with a scale factor (unit conversion), plus
 * optional extra outputs written by `extra`.
 *
 * @param linear - copied columns
 * @param extra - further outputs, their source needs and a function filling them
 * @returns the combined mapper
 */
export function linearMapper(
  linear: readonly LinearOutput[],
  extra?: { outputs: readonly string[]; needs: readonly number[]; map(src: readonly Float64Array[], n: number, out: readonly Float64Array[]): void },
): RowMapper {
  const outputs = [...linear.map((l) => l.out), ...(extra?.outputs ?? [])];
  const needs = [...new Set([...linear.map((l) => l.src), ...(extra?.needs ?? [])])];
  const count = linear.length;
  return {
    outputs,
    needs,
    map(src, n, out) {
      for (let k = 0; k < count; k++) {
        const s = src[linear[k].src];
        const o = out[k];
        const scale = linear[k].scale ?? 1;
        if (scale === 1) o.set(s.subarray(0, n));
        else for (let i = 0; i < n; i++) o[i] = s[i] * scale;
      }
      if (extra) extra.map(src, n, out.slice(count));
    },
  };
}

/**
 * Rebuilds cumulative-within-cycle charge and discharge capacities from per-step,
 * unsigned capacities (Maccor `Amp-hr`, Neware `Capacity(Ah)`): completed steps
 * are added to the cycle's total at each new step; the totals reset when the
 * cycle number changes.
 */
export class CycleCapacityAccumulator {
  private cycle = NaN;
  private stepKey = NaN;
  private stepCharge = 0;
  private stepDischarge = 0;
  private lastStepValue = 0;
  private cycleCharge = 0;
  private cycleDischarge = 0;
  /**
   * Advances by one row.
   *
   * @param cycle - cycle number of the row
   * @param stepKey - anything that changes when a new step starts
   * @param direction - +1 charge, −1 discharge, 0 neither
   * @param stepValue - per-step unsigned capacity (or energy) of the row
   * @returns `[cycle charging, cycle discharging]` including this row
   */
  push(cycle: number, stepKey: number, direction: number, stepValue: number): [number, number] {
    const value = Number.isFinite(stepValue) ? Math.abs(stepValue) : 0;
    const newCycle = !Object.is(cycle, this.cycle) && !(Number.isNaN(cycle) && Number.isNaN(this.cycle));
    const newStep = newCycle || !Object.is(stepKey, this.stepKey) || value < this.lastStepValue;
    if (newStep) {
      this.cycleCharge += this.stepCharge;
      this.cycleDischarge += this.stepDischarge;
      this.stepCharge = 0;
      this.stepDischarge = 0;
    }
    if (newCycle) {
      this.cycleCharge = 0;
      this.cycleDischarge = 0;
    }
    this.cycle = cycle;
    this.stepKey = stepKey;
    this.lastStepValue = value;
    if (direction > 0) this.stepCharge = value;
    else if (direction < 0) this.stepDischarge = value;
    return [this.cycleCharge + this.stepCharge, this.cycleDischarge + this.stepDischarge];
  }
}
