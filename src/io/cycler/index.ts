/**
 * @module io/cycler
 * Battery-cycler file readers: BioLogic `.mpr`/`.mpt`, Arbin CSV, Maccor text,
 * Neware regular-export CSV and Battery Data Format CSV, all mapped to one
 * {@link CyclerTable}. Imports only from `core`.
 *
 * Units (BDF): time s, potential V, current A, charge Ah, energy Wh, power W,
 * resistance and impedance Ω, temperature °C, frequency Hz. Current sign:
 * positive = anodic (oxidation) at the working electrode (`"anodic-positive"`);
 * the file's own vocabulary is recorded in `table.currentSign.source`.
 * Absolute times are ISO 8601 (local without zone unless a UTC offset is
 * known). Readers stream: a file is read in chunks and memory grows only with
 * the output columns ({@link streamCyclerFile} keeps none).
 */
export { readCyclerFile, parseCyclerBuffer, streamCyclerFile, detectCyclerFormat, resolveCyclerFormat, CYCLER_FORMATS } from "./readCycler.ts";
export { STEP_TYPES, STEP_TYPE_CODE, TABLE_CURRENT_SIGN, REQUIRED_COLUMNS, stepTypeName } from "./cyclerTable.ts";
export type {
  CyclerTable, CyclerFormat, CyclerReadOptions, CyclerChunk, CyclerStreamSummary, CurrentSignConvention, StepTypeName,
} from "./cyclerTable.ts";
export { MPR_COLUMNS } from "./biologicMpr.ts";
export type { MprType } from "./biologicMpr.ts";
export { bdfMachineName } from "./bdfCsv.ts";
export { parseArbinMetadata } from "./arbinCsv.ts";
export type { NewareCycleSummary } from "./newareCsv.ts";
