/**
 * @module io/ort
 * ORSO `.ort` reflectivity text files: a lenient reader ({@link parseOrt},
 * {@link readOrt}), a writer of 1.2-standard files in orsopy's layout with
 * schema-valid columns and dataset ids ({@link writeOrt}), and
 * {@link ortReflectivity}, which turns one dataset into canonical Q, R, dR, dQ
 * arrays. The header tree is passed through as it is: validating its content
 * against the ORSO JSON schema is a separate (strict) step, not done here.
 *
 * Units: Q and its resolution in Å⁻¹ (1/angstrom) after {@link ortReflectivity};
 * files may hold 1/nm (× 0.1). R, dR dimensionless. Every uncertainty or
 * resolution returned is a 1-σ standard deviation (FWHM columns are converted
 * at this edge). The raw column arrays of {@link OrtDataset} are exactly the
 * numbers in the file, unconverted.
 *
 * Format (reflectometry.md §3, ORSO file_format specification, orsopy as the
 * reference implementation): line 1 is the magic line; every line starting with
 * `#` is a header line, fed to a YAML 1.2 core-schema parser after removing
 * exactly its first character; every other non-blank line is a data row of
 * whitespace-separated numbers. The first `# data_set` line belongs to dataset 0
 * wherever it sits in that header; each later one starts a new dataset whose
 * header is *partial* and is merged recursively onto dataset 0's header (maps
 * merged, lists and scalars replaced; never chained from dataset i − 1).
 *
 * @see https://www.reflectometry.org/file_format/specification
 */
import fs from "node:fs";
import { Document, isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, YAMLError } from "yaml";
import type { ScalarTag, Node as YamlNode } from "yaml";
import { formatValue, ParseError, ValidationError } from "../core/errors.ts";
import { suggestKey } from "../core/keys.ts";

/** One column of a dataset, as declared in the header's `columns` list. */
export interface OrtColumn {
  /** `name`, or the implicit `s<error_of>` of an error column. */
  name: string;
  /**
   * The unit string as written (`''`, `null`, `'1'` all mean dimensionless), `null`
   * when absent. Error columns without their own `unit` take the referenced column's unit.
   */
  unit: string | null;
  /** `physical_quantity` (or the legacy 0.1-draft key `dimension`). */
  physicalQuantity?: string;
  /** Set for error columns: the name of the column this one is the error of. */
  errorOf?: string;
  /** Error columns only. @default "uncertainty" */
  errorType?: "uncertainty" | "resolution";
  /** Error columns only. @default "sigma" */
  valueIs?: "sigma" | "FWHM";
  /**
   * Error columns only, lower-cased: `gaussian | uniform | triangular | lorentzian`
   * (the spec prose's `rectangular` is treated as, and written as, `uniform`). @default "gaussian"
   */
  distribution?: string;
  /** The column's mapping exactly as read, unknown keys included. */
  raw: Record<string, unknown>;
}

/** One dataset of an `.ort` file. */
export interface OrtDataset {
  /** The full header: dataset 0's header with this dataset's partial header merged onto it. */
  header: Record<string, unknown>;
  columns: OrtColumn[];
  /** Column-major: one array per column, each of length {@link OrtDataset.rows}. Exactly the file's numbers. */
  data: Float64Array[];
  rows: number;
  /** 1-based line of the dataset's first data row. */
  firstDataLine: number;
}

/** A parsed `.ort` file. */
export interface OrtFile {
  /** The version in the magic line, e.g. `"1.2"`. */
  version: string;
  datasets: OrtDataset[];
  /** Non-fatal issues, de-duplicated, each prefixed `<source>[:<line>]:`. */
  warnings: string[];
}

/** Input of {@link writeOrt}: a header, its columns and column-major data. */
export interface OrtWriteDataset {
  header: Record<string, unknown>;
  columns: OrtColumn[] | Record<string, unknown>[];
  data: ArrayLike<number>[];
}

/** Canonical arrays of one dataset (see {@link ortReflectivity}). */
export interface OrtReflectivity {
  /** Momentum transfer, Å⁻¹. */
  q: Float64Array;
  /** Reflectivity (not necessarily normalised). */
  r: Float64Array;
  /** 1-σ uncertainty of R; undefined if there is no such column or it is all NaN. */
  dr: Float64Array | undefined;
  /** 1-σ Q resolution, Å⁻¹; undefined if there is no such column or it is all NaN. */
  dq: Float64Array | undefined;
  warnings: string[];
}

/** The magic line after removing the first `#` and leading spaces (reflectometry.md §3.1). */
const MAGIC =
  /^# ORSO reflectivity data file \| ([0-9]+\.?[0-9]*|\.[0-9]+) standard \| YAML encoding \| https:\/\/www\.reflectometry\.org\/$/;
/** The magic line this writer emits. */
const MAGIC_LINE = "# # ORSO reflectivity data file | 1.2 standard | YAML encoding | https://www.reflectometry.org/";
/** Major versions of the standard this reader knows (0.x drafts, 1.x releases). */
const KNOWN_MAJORS = new Set([0, 1]);
/** A data token: a decimal float, `nan` or `inf`/`infinity` (any case, optional sign) — what `%e` and numpy produce. */
const NUMBER_TOKEN = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|nan|inf|infinity)$/i;
/** Deeper headers are refused: no real header comes close, and it bounds recursion. */
const MAX_HEADER_DEPTH = 128;
/**
 * Limits on YAML shapes for which the `yaml` parser (2.9) takes super-linear time —
 * 400 nested `? ` explicit keys take 17 s, 800 take minutes; long runs of `- - - …`
 * seconds. Real headers nest flow collections 2–3 deep, use no explicit keys and
 * at most a couple of `- ` per line. (The same limit serves both counts.)
 */
const MAX_FLOW_DEPTH = 64;
const MAX_EXPLICIT_KEYS = 64;
/** FWHM → σ for the distributions ORSO names (reflectometry.md §2.1). */
const FWHM_TO_SIGMA: Record<string, number> = {
  gaussian: 1 / (2 * Math.sqrt(2 * Math.LN2)),
  triangular: 1 / Math.sqrt(6),
  uniform: 1 / Math.sqrt(12),
  rectangular: 1 / Math.sqrt(12),
};
/** Error distributions the schema allows. */
const SCHEMA_DISTRIBUTIONS = new Set(["gaussian", "triangular", "uniform", "lorentzian"]);
/** Q units the schema allows for the first two columns (the R column shares the enum). */
const SCHEMA_QR_UNITS = new Set<string | null>([null, "1/nm", "1/angstrom", "1", "1/s"]);

// ---------------------------------------------------------------------------
// Small helpers on plain header trees
// ---------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Sets an own enumerable property, also for keys such as `__proto__`. */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function hasOwn(target: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

/** Deep equality on plain trees; numbers compared with `Object.is` (NaN equals NaN, 0 ≠ −0). */
function treeEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!treeEqual(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!hasOwn(b, k) || !treeEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** A deep copy of a plain tree (lists and maps copied, scalars shared). */
function cloneTree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneTree);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setKey(out, k, cloneTree(v));
    return out;
  }
  return value;
}

/**
 * Dataset i's header: `base` recursively updated with `partial` (maps merged,
 * lists and scalars replaced). Returns a new tree; neither input is modified.
 */
function mergeHeader(base: Record<string, unknown>, partial: Record<string, unknown>): Record<string, unknown> {
  const out = cloneTree(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(partial)) {
    const current = hasOwn(out, k) ? out[k] : undefined;
    setKey(out, k, isPlainObject(v) && isPlainObject(current) ? mergeHeader(current, v) : cloneTree(v));
  }
  return out;
}

/**
 * Keys of `target` that differ from `base` (recursing into maps on both sides).
 * Keys only in `base` are left out: on reading they are inherited.
 */
function headerDiff(base: Record<string, unknown>, target: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target)) {
    if (!hasOwn(base, k)) {
      setKey(out, k, v);
      continue;
    }
    const b = base[k];
    if (isPlainObject(v) && isPlainObject(b)) {
      const d = headerDiff(b, v);
      if (Object.keys(d).length > 0) setKey(out, k, d);
    } else if (!treeEqual(b, v)) {
      setKey(out, k, v);
    }
  }
  return out;
}

function warn(warnings: string[], message: string): void {
  if (!warnings.includes(message)) warnings.push(message);
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/** The `#` lines of one dataset's header, with the file line each came from. */
interface HeaderBlock {
  /** YAML text: the lines with their first character removed, joined by `\n`. */
  yaml: string[];
  /** `fileLines[k]` is the 1-based file line of YAML line k + 1. */
  fileLines: number[];
  /** 1-based file lines of the data rows. */
  dataLines: number[];
  /** 1-based line where the dataset starts (1, or its `# data_set` line). */
  startLine: number;
}

/** A parsed YAML header with what is needed to point back into the file. */
interface ParsedHeader {
  value: unknown;
  doc: ReturnType<typeof parseDocument>;
  counter: LineCounter;
  block: HeaderBlock;
}

/**
 * Parse the text of an ORSO `.ort` file.
 *
 * Lenient where the format is in practice (any version with a known major, CRLF,
 * a UTF-8 BOM, `R.unit: ''`, legacy `dimension` keys, unknown keys kept), strict
 * where guessing would be wrong: the magic line must match, every data row must
 * have one number per declared column, and every token must be a number, `nan` or `inf`.
 *
 * @param text - the whole file
 * @param source - file name or label used in errors and warnings
 * @returns the version, the datasets (headers merged, data column-major) and warnings
 * @throws {ParseError} naming the line: no magic line, invalid YAML, missing or invalid
 *   `columns`, a non-rectangular row, a token that is not a number, a dataset without rows
 * @example
 * ```ts
 * const file = parseOrt(fs.readFileSync("scan.ort", "utf8"), "scan.ort");
 * const [q, r] = file.datasets[0].data;
 * ```
 */
export function parseOrt(text: string, source: string): OrtFile {
  const warnings: string[] = [];
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\r|\n/);

  const first = lines[0];
  const magic = first.startsWith("#") ? MAGIC.exec(first.slice(1).replace(/^ +/, "")) : null;
  if (!magic) {
    throw new ParseError(
      source,
      `not an ORSO file: the first line must be "# # ORSO reflectivity data file | <version> standard | YAML encoding | https://www.reflectometry.org/" (got ${formatValue(first)})`,
      { line: 1 },
    );
  }
  const version = magic[1];
  const major = Number(version.split(".")[0] || "0");
  if (!KNOWN_MAJORS.has(major)) {
    warn(warnings, `${source}:1: unknown ORSO standard version ${version} (major ${major}); reading it as 1.x`);
  }

  const blocks = splitDatasets(lines);
  const headers = blocks.map((block, i) => parseHeaderBlock(block, i, source, warnings));

  const base = headers[0].value;
  if (!isPlainObject(base)) {
    throw new ParseError(source, `the header of dataset 0 must be a YAML mapping (got ${describe(base)})`, {
      line: headers[0].block.fileLines[0] ?? 1,
    });
  }

  const datasets: OrtDataset[] = [];
  const ids = new Map<string, number>();
  for (let i = 0; i < headers.length; i++) {
    const parsed = headers[i];
    let header: Record<string, unknown>;
    if (i === 0) {
      header = base;
    } else {
      const partial = parsed.value;
      if (partial !== null && !isPlainObject(partial)) {
        throw new ParseError(source, `the partial header of dataset ${i} must be a YAML mapping (got ${describe(partial)})`, {
          line: parsed.block.startLine,
        });
      }
      header = partial === null ? (cloneTree(base) as Record<string, unknown>) : mergeHeader(base, partial);
    }
    // Columns come from the last document that set them: the partial header, or dataset 0's.
    const columnsFrom = i > 0 && isPlainObject(parsed.value) && hasOwn(parsed.value, "columns") ? parsed : headers[0];
    const columns = readColumns(header, columnsFrom, i, source, warnings);
    const { data, rows } = readRows(lines, parsed.block, columns.length, i, source, warnings);

    const id = header.data_set;
    if (typeof id === "string" || typeof id === "number") {
      const key = `${typeof id}:${id}`;
      const previous = ids.get(key);
      if (previous !== undefined) {
        warn(warnings, `${source}:${parsed.block.startLine}: datasets ${previous} and ${i} have the same data_set ${formatValue(id)}`);
      } else {
        ids.set(key, i);
      }
    }
    datasets.push({ header, columns, data, rows, firstDataLine: parsed.block.dataLines[0] });
  }
  return { version, datasets, warnings };
}

/**
 * The ORSO `data_set` of each dataset as text (`spin_up`, `0`), its index where the
 * header has none.
 * @example
 * ```ts
 * ortDataSetNames(readOrt("test_example2.ort")); // ["spin_up", "spin_down"]
 * ```
 */
export function ortDataSetNames(file: OrtFile): string[] {
  return file.datasets.map((dataset, index) => {
    const id = dataset.header["data_set"];
    return typeof id === "string" || typeof id === "number" ? String(id) : String(index);
  });
}

/**
 * Which of a file's datasets an input selects: by ORSO `data_set` name (a string,
 * matched first) or by 0-based index (an integer). A file with two or more datasets
 * needs a selector — fitting spin-up and spin-down (or two temperatures) as one curve
 * is never what was meant.
 *
 * @param names - the file's data set names ({@link ortDataSetNames}; one entry for a column file)
 * @param selector - the input's value (undefined when absent)
 * @param path - JSON path of the selector, named in messages (e.g. `datasets[0].dataset`)
 * @param file - the data file as written in the input, named in messages
 * @param what - what the file holds, for messages (`curves` for a campaign's scans, whose files may be NeXus)
 * @returns the 0-based index
 * @throws {ValidationError} one line listing the data set names
 * @example
 * ```ts
 * selectDataSet(["spin_up", "spin_down"], "spin_down", "datasets[0].dataset", "pol.ort"); // 1
 * selectDataSet(["spin_up", "spin_down"], undefined, "datasets[0].dataset", "pol.ort");   // throws
 * ```
 */
export function selectDataSet(names: readonly string[], selector: unknown, path: string, file: string, what = "ORSO data sets"): number {
  const list = names.map((n) => `'${n}'`).join(", ");
  if (selector === undefined) {
    if (names.length <= 1) return 0;
    throw new ValidationError(
      path,
      `is required: ${file} holds ${names.length} ${what} (${list}); select one by name ("dataset": "${names[0]}") or 0-based index, and give one entry per data set to use several`,
    );
  }
  if (typeof selector === "string") {
    const index = names.indexOf(selector);
    if (index >= 0) return index;
    const suggestion = suggestKey(selector, names);
    throw new ValidationError(path, `names no data set of ${file}${suggestion === undefined ? "" : `; did you mean '${suggestion}'?`} (its data sets: ${list})`, selector);
  }
  if (typeof selector !== "number" || !Number.isInteger(selector) || selector < 0) {
    throw new ValidationError(path, `must be a data set name or a 0-based index (${file} holds ${list})`, selector);
  }
  if (selector >= names.length) throw new ValidationError(path, `must be < ${names.length} (${file} holds ${names.length === 1 ? "one" : `${names.length} ${what}`}: ${list})`, selector);
  return selector;
}

/**
 * Read an ORSO `.ort` file (UTF-8; invalid byte sequences are replaced and reported as a warning).
 *
 * @param file - path, also used in errors and warnings
 * @returns see {@link parseOrt}
 * @throws {ParseError} if the file cannot be read or is not a valid `.ort` file
 * @example
 * ```ts
 * const { datasets } = readOrt("data/prist5_10K_m_025.Rqz.ort");
 * const { q, r, dr, dq } = ortReflectivity(datasets[0], "prist5_10K_m_025.Rqz.ort");
 * ```
 */
export function readOrt(file: string): OrtFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new ParseError(file, `cannot read file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let text: string;
  let invalidUtf8 = false;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder("utf-8").decode(bytes);
    invalidUtf8 = true;
  }
  const result = parseOrt(text, file);
  if (invalidUtf8) result.warnings.unshift(`${file}: the file is not valid UTF-8; invalid bytes were replaced by U+FFFD`);
  return result;
}

/** Splits the lines after the magic line into datasets (orsopy's rule, see the module header). */
function splitDatasets(lines: string[]): HeaderBlock[] {
  const blocks: HeaderBlock[] = [{ yaml: [lines[0].slice(1)], fileLines: [1], dataLines: [], startLine: 1 }];
  let current = blocks[0];
  let sawFirstDataSet = false;
  for (let l = 1; l < lines.length; l++) {
    const line = lines[l];
    if (!line.startsWith("#")) {
      if (line.trim() !== "") current.dataLines.push(l + 1);
      continue;
    }
    if (line.startsWith("# data_set")) {
      // The first one belongs to dataset 0 wherever it is in that header; a later
      // one, or one after dataset 0's data rows, starts a new dataset.
      if (sawFirstDataSet || current.dataLines.length > 0) {
        current = { yaml: [], fileLines: [], dataLines: [], startLine: l + 1 };
        blocks.push(current);
      }
      sawFirstDataSet = true;
    }
    current.yaml.push(line.slice(1));
    current.fileLines.push(l + 1);
  }
  return blocks;
}

function fileLineOf(block: HeaderBlock, yamlLine: number): number {
  if (block.fileLines.length === 0) return block.startLine;
  return block.fileLines[Math.min(Math.max(yamlLine, 1), block.fileLines.length) - 1];
}

/** 1-based file line of a character offset in a block's YAML text. */
function fileLineAtOffset(block: HeaderBlock, text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return fileLineOf(block, line);
}

/**
 * Refuses header text the YAML parser would chew on for seconds to minutes (see
 * {@link MAX_FLOW_DEPTH}). A conservative character scan: brackets, `? ` and `- `
 * inside strings count too, which real headers never come close to needing.
 */
function checkYamlShape(text: string, block: HeaderBlock, index: number, source: string): void {
  const blank = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || Number.isNaN(c);
  let depth = 0;
  let explicitKeys = 0;
  let dashes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_FLOW_DEPTH) {
        throw new ParseError(source, `the header of dataset ${index} nests [ or { more than ${MAX_FLOW_DEPTH} deep`, {
          line: fileLineAtOffset(block, text, i),
        });
      }
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) {
      depth--;
    } else if (c === 0x0a) {
      dashes = 0;
    } else if (c === 0x2d && blank(text.charCodeAt(i + 1)) && (i === 0 || blank(text.charCodeAt(i - 1)))) {
      if (++dashes > MAX_EXPLICIT_KEYS) {
        throw new ParseError(source, `the header of dataset ${index} has a line with more than ${MAX_EXPLICIT_KEYS} "- " indicators`, {
          line: fileLineAtOffset(block, text, i),
        });
      }
    } else if (c === 0x3f) {
      const before = i === 0 ? 0x0a : text.charCodeAt(i - 1);
      if (blank(text.charCodeAt(i + 1)) && (blank(before) || before === 0x5b || before === 0x7b || before === 0x2c)) {
        if (++explicitKeys > MAX_EXPLICIT_KEYS) {
          throw new ParseError(source, `the header of dataset ${index} has more than ${MAX_EXPLICIT_KEYS} explicit "? " keys`, {
            line: fileLineAtOffset(block, text, i),
          });
        }
      }
    }
  }
}

function parseHeaderBlock(block: HeaderBlock, index: number, source: string, warnings: string[]): ParsedHeader {
  const text = block.yaml.join("\n");
  checkYamlShape(text, block, index, source);
  const counter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  let value: unknown;
  try {
    doc = parseDocument(text, {
      version: "1.2",
      schema: "core",
      lineCounter: counter,
      prettyErrors: true,
      // PyYAML (orsopy) accepts duplicate keys, the last one winning; so do we.
      uniqueKeys: false,
      // The library would print some warnings to stderr; they are collected below instead.
      logLevel: "error",
    });
    if (doc.errors.length > 0) {
      const error = doc.errors[0];
      throw new ParseError(source, `invalid YAML in the header of dataset ${index}: ${yamlMessage(error)}`, {
        line: fileLineOf(block, error.linePos?.[0].line ?? 1),
      });
    }
    for (const w of doc.warnings) {
      warn(warnings, `${source}:${fileLineOf(block, w.linePos?.[0].line ?? 1)}: ${yamlMessage(w)}`);
    }
    const lineOf = (node: YamlNode | null | undefined) => fileLineOf(block, counter.linePos(node?.range?.[0] ?? 0).line);
    visit(doc, {
      Map(_, map) {
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          const key = pair.key;
          if (isCollection(key)) {
            warn(warnings, `${source}:${lineOf(key)}: a mapping key is itself a list or mapping; it was turned into a string`);
          } else if (isScalar(key)) {
            if (seen.has(key.value)) warn(warnings, `${source}:${lineOf(key)}: duplicate key ${formatValue(key.value)}; the last value is used`);
            seen.add(key.value);
          }
        }
      },
    });
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof ParseError) throw error;
    // The YAML library throws (rather than reporting) on alias-expansion attacks, and
    // overflows the stack on absurd nesting.
    const message = error instanceof RangeError ? "nested too deeply" : (error as Error).message.split("\n")[0];
    throw new ParseError(source, `invalid YAML in the header of dataset ${index}: ${message}`, { line: block.startLine });
  }
  return { value: plainTree(value, source, block.startLine, 0, new Set()), doc, counter, block };
}

/** The first line of a YAML error without the library's own (header-relative) position. */
function yamlMessage(error: YAMLError): string {
  const message = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  return message.startsWith("Maximum call stack size exceeded") ? "nested too deeply" : message;
}

/**
 * Checks a parsed header tree: no cycles (a YAML alias inside its own anchor), no
 * absurd depth; aliases are expanded into independent copies.
 */
function plainTree(value: unknown, source: string, line: number, depth: number, ancestors: Set<object>): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_HEADER_DEPTH) throw new ParseError(source, `header nested more than ${MAX_HEADER_DEPTH} levels deep`, { line });
  if (ancestors.has(value)) throw new ParseError(source, "header contains a recursive YAML alias", { line });
  ancestors.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => plainTree(v, source, line, depth + 1, ancestors));
  } else {
    const map: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setKey(map, k, plainTree(v, source, line, depth + 1, ancestors));
    out = map;
  }
  ancestors.delete(value);
  return out;
}

function describe(value: unknown): string {
  if (value === null) return "nothing";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  return `${typeof value} ${formatValue(value)}`;
}

/** 1-based file line of a YAML node of a parsed header, or of the header's start. */
function lineOfNode(parsed: ParsedHeader, node: YamlNode | null | undefined): number {
  const offset = node?.range?.[0];
  if (offset === undefined) return parsed.block.startLine;
  return fileLineOf(parsed.block, parsed.counter.linePos(offset).line);
}

/** The YAML node of `columns[index]` (or of `columns` when index is undefined) for error lines. */
function columnsNode(parsed: ParsedHeader, index?: number): YamlNode | undefined {
  const root = parsed.doc.contents;
  if (!isMap(root)) return undefined;
  const node = root.get("columns", true) as YamlNode | undefined;
  if (index === undefined || !isSeq(node)) return node;
  return (node.items[index] as YamlNode | undefined) ?? node;
}

function readColumns(
  header: Record<string, unknown>,
  parsed: ParsedHeader,
  datasetIndex: number,
  source: string,
  warnings: string[],
): OrtColumn[] {
  const list = header.columns;
  if (!Array.isArray(list) || list.length === 0) {
    const what = list === undefined ? "has no `columns` key" : `has an invalid \`columns\` value (${describe(list)}; expected a non-empty list)`;
    throw new ParseError(source, `the header of dataset ${datasetIndex} ${what}`, {
      line: list === undefined ? parsed.block.startLine : lineOfNode(parsed, columnsNode(parsed)),
    });
  }
  const columns = list.map((entry, c) => {
    try {
      return columnFromRecord(entry, `columns[${c}]`);
    } catch (error) {
      if (error instanceof ValidationError) {
        throw new ParseError(source, `dataset ${datasetIndex}: ${error.message}`, { line: lineOfNode(parsed, columnsNode(parsed, c)) });
      }
      throw error;
    }
  });
  resolveErrorUnits(columns, (message) => warn(warnings, `${source}:${lineOfNode(parsed, columnsNode(parsed))}: dataset ${datasetIndex}: ${message}`));
  return columns;
}

/** Error columns without a unit of their own take the unit of the column they refer to. */
function resolveErrorUnits(columns: OrtColumn[], onWarning: (message: string) => void): void {
  for (const column of columns) {
    if (column.errorOf === undefined) continue;
    const target = columns.find((other) => other.errorOf === undefined && other.name === column.errorOf);
    if (!target) {
      onWarning(`error column "${column.name}" refers to "${column.errorOf}", which is not a column`);
      continue;
    }
    if (!hasOwn(column.raw, "unit")) column.unit = target.unit;
  }
}

function optionalString(record: Record<string, unknown>, key: string, path: string): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new ValidationError(`${path}.${key}`, "must be a string", value);
}

function enumValue<T extends string>(record: Record<string, unknown>, key: string, path: string, allowed: readonly T[], fallback: T): T {
  const value = optionalString(record, key, path);
  if (value === undefined) return fallback;
  const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (match === undefined) throw new ValidationError(`${path}.${key}`, `must be one of ${allowed.join(", ")}`, value);
  return match;
}

/**
 * An {@link OrtColumn} from a `columns` entry (schema form, or legacy keys).
 * @throws {ValidationError} if the entry is not a mapping, has neither `name` nor
 *   `error_of`, or has an unknown `error_type` / `value_is` (guessing σ vs FWHM is the costly bug)
 */
function columnFromRecord(entry: unknown, path: string): OrtColumn {
  if (!isPlainObject(entry)) throw new ValidationError(path, "must be a mapping", entry);
  const raw = cloneTree(entry) as Record<string, unknown>;
  const errorOf = optionalString(raw, "error_of", path);
  const unitValue = raw.unit;
  if (unitValue !== undefined && unitValue !== null && typeof unitValue !== "string" && typeof unitValue !== "number") {
    throw new ValidationError(`${path}.unit`, "must be a string", unitValue);
  }
  const unit = unitValue === undefined || unitValue === null ? null : String(unitValue);
  const physicalQuantity = optionalString(raw, "physical_quantity", path) ?? optionalString(raw, "dimension", path);
  if (errorOf !== undefined) {
    const column: OrtColumn = {
      name: optionalString(raw, "name", path) ?? `s${errorOf}`,
      unit,
      errorOf,
      errorType: enumValue(raw, "error_type", path, ["uncertainty", "resolution"] as const, "uncertainty"),
      valueIs: enumValue(raw, "value_is", path, ["sigma", "FWHM"] as const, "sigma"),
      distribution: (optionalString(raw, "distribution", path) ?? "gaussian").toLowerCase(),
      raw,
    };
    if (physicalQuantity !== undefined) column.physicalQuantity = physicalQuantity;
    return column;
  }
  const name = optionalString(raw, "name", path);
  if (name === undefined) throw new ValidationError(path, "needs a `name` (or `error_of` for an error column)", entry);
  const column: OrtColumn = { name, unit, raw };
  if (physicalQuantity !== undefined) column.physicalQuantity = physicalQuantity;
  return column;
}

function readRows(
  lines: string[],
  block: HeaderBlock,
  width: number,
  datasetIndex: number,
  source: string,
  warnings: string[],
): { data: Float64Array[]; rows: number } {
  const rows = block.dataLines.length;
  if (rows === 0) {
    throw new ParseError(source, `dataset ${datasetIndex} has no data rows`, { line: block.startLine });
  }
  const data = Array.from({ length: width }, () => new Float64Array(rows));
  for (let r = 0; r < rows; r++) {
    const lineNumber = block.dataLines[r];
    const tokens = lines[lineNumber - 1].trim().split(/\s+/);
    if (tokens.length !== width) {
      throw new ParseError(
        source,
        `expected ${width} values (one per entry of \`columns\` in dataset ${datasetIndex}), found ${tokens.length}`,
        { line: lineNumber },
      );
    }
    for (let c = 0; c < width; c++) {
      const token = tokens[c];
      if (!NUMBER_TOKEN.test(token)) {
        throw new ParseError(source, `value ${c + 1} is not a number: ${formatValue(token)}`, { line: lineNumber });
      }
      const lower = token.toLowerCase();
      let value: number;
      if (lower.endsWith("nan")) value = Number.NaN;
      else if (lower.endsWith("inf") || lower.endsWith("infinity")) value = lower.startsWith("-") ? -Infinity : Infinity;
      else {
        value = Number(token);
        if (!Number.isFinite(value)) {
          warn(warnings, `${source}:${lineNumber}: value ${c + 1} (${formatValue(token)}) overflows to ${value}`);
        }
      }
      data[c][r] = value;
    }
  }
  return { data, rows };
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/**
 * `%-22.16e` as C prints it: 17 significant digits (exact for every double), at least
 * two exponent digits, left-justified in 22 characters; `nan`, `inf`, `-inf`.
 */
function formatField(x: number): string {
  let s: string;
  if (Number.isNaN(x)) s = "nan";
  else if (x === Infinity) s = "inf";
  else if (x === -Infinity) s = "-inf";
  else {
    const e = Math.abs(x).toExponential(16);
    const at = e.indexOf("e");
    let mantissa = e.slice(0, at);
    // ECMAScript rounds an exact tie up, C (glibc) to even: fix the last digit on a tie.
    const last = mantissa.charCodeAt(mantissa.length - 1) - 48;
    if (last % 2 === 1 && isDecimalTie(Math.abs(x))) mantissa = mantissa.slice(0, -1) + String(last - 1);
    const sign = x < 0 || Object.is(x, -0) ? "-" : "";
    s = `${sign}${mantissa}e${e[at + 1]}${e.slice(at + 2).padStart(2, "0")}`;
  }
  return s.padEnd(22);
}

/** Whether positive finite `x` lies exactly halfway between two 17-significant-digit decimals. */
function isDecimalTie(x: number): boolean {
  const exact18 = x.toExponential(17);
  // A tie has exactly 18 significant digits, the last a 5; toExponential(17) is then exact.
  if (exact18.charCodeAt(exact18.indexOf("e") - 1) !== 53) return false;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const k = biased === 0 ? -1074 : biased - 1075; // x = m · 2^k
  const p = 16 - Number(exact18.slice(exact18.indexOf("e") + 1)); // x · 10^p has 17 integer digits
  let numerator = m;
  let denominator = 1n;
  if (k >= 0) numerator <<= BigInt(k);
  else denominator <<= BigInt(-k);
  if (p >= 0) numerator *= 10n ** BigInt(p);
  else denominator *= 10n ** BigInt(-p);
  return 2n * (numerator % denominator) === denominator;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks that a header value can be written as YAML and read back identically,
 * and returns a plain copy without `undefined` map entries.
 */
function writableTree(value: unknown, path: string, depth: number, ancestors: Set<object>): unknown {
  if (value === null || typeof value === "boolean" || typeof value === "number") return value;
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) throw new ValidationError(path, "contains an unpaired UTF-16 surrogate", value);
    return value;
  }
  if (typeof value !== "object") throw new ValidationError(path, `cannot be written to a YAML header (a ${typeof value})`, value);
  if (depth > MAX_HEADER_DEPTH) throw new ValidationError(path, `nested more than ${MAX_HEADER_DEPTH} levels deep`);
  if (ancestors.has(value)) throw new ValidationError(path, "is circular");
  ancestors.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v, i) => {
      if (v === undefined) throw new ValidationError(`${path}[${i}]`, "is undefined (use null)");
      return writableTree(v, `${path}[${i}]`, depth + 1, ancestors);
    });
  } else if (isPlainObject(value)) {
    const map: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (LONE_SURROGATE.test(k)) throw new ValidationError(path, "has a key with an unpaired UTF-16 surrogate", k);
      if (v !== undefined) setKey(map, k, writableTree(v, `${path}.${k}`, depth + 1, ancestors));
    }
    out = map;
  } else {
    throw new ValidationError(path, "must be null, a boolean, number, string, list or plain object (write dates as ISO 8601 strings)", value);
  }
  ancestors.delete(value);
  return out;
}

function isOrtColumn(column: OrtColumn | Record<string, unknown>): column is OrtColumn {
  return (
    typeof column.name === "string" &&
    isPlainObject(column.raw) &&
    (column.unit === null || typeof column.unit === "string") &&
    !hasOwn(column, "error_of") &&
    !hasOwn(column, "physical_quantity")
  );
}

/** The schema form of one column: managed keys first, every other key of `raw` kept. */
function columnToRecord(column: OrtColumn, index: number, path: string): Record<string, unknown> {
  const managed = new Set(["name", "unit", "physical_quantity", "error_of", "error_type", "value_is", "distribution"]);
  const rest = Object.entries(column.raw).filter(([k]) => !managed.has(k));
  const out: Record<string, unknown> = {};
  if (column.errorOf !== undefined) {
    if (column.name !== `s${column.errorOf}`) setKey(out, "name", column.name);
    setKey(out, "error_of", column.errorOf);
    setKey(out, "error_type", column.errorType ?? "uncertainty");
    setKey(out, "value_is", column.valueIs ?? "sigma");
    const distribution = (column.distribution ?? "gaussian").toLowerCase();
    const schemaDistribution = distribution === "rectangular" ? "uniform" : distribution;
    if (!SCHEMA_DISTRIBUTIONS.has(schemaDistribution)) {
      throw new ValidationError(`${path}.distribution`, `must be one of ${[...SCHEMA_DISTRIBUTIONS].join(", ")}`, column.distribution);
    }
    setKey(out, "distribution", schemaDistribution);
    // An error column's unit is implicit (that of error_of); keep one only if it was given explicitly.
    if (hasOwn(column.raw, "unit")) setKey(out, "unit", column.unit);
  } else {
    let unit = column.unit;
    if (index === 1 && (unit === null || unit === "")) unit = "1";
    if (index <= 1 && !SCHEMA_QR_UNITS.has(unit)) {
      throw new ValidationError(`${path}.unit`, `must be one of ${[...SCHEMA_QR_UNITS].map((u) => formatValue(u)).join(", ")} for ${column.name}`, unit);
    }
    setKey(out, "name", column.name);
    if (unit !== null) setKey(out, "unit", unit);
    if (column.physicalQuantity !== undefined) setKey(out, "physical_quantity", column.physicalQuantity);
  }
  for (const [k, v] of rest) setKey(out, k, v);
  return out;
}

function normaliseColumns(columns: OrtColumn[] | Record<string, unknown>[], path: string): { records: Record<string, unknown>[]; columns: OrtColumn[] } {
  if (!Array.isArray(columns)) throw new ValidationError(path, "must be a list", columns);
  const typed = columns.map((column: OrtColumn | Record<string, unknown>, c) => {
    if (!isPlainObject(column)) throw new ValidationError(`${path}[${c}]`, "must be a column object", column);
    if (isOrtColumn(column)) {
      const raw = writableTree(column.raw, `${path}[${c}].raw`, 1, new Set()) as Record<string, unknown>;
      return { ...column, raw };
    }
    return columnFromRecord(writableTree(column, `${path}[${c}]`, 1, new Set()), `${path}[${c}]`);
  });
  const expected: [string, "column" | "error"][] = [
    ["Qz", "column"],
    ["R", "column"],
    ["R", "error"],
    ["Qz", "error"],
  ];
  if (typed.length < 4) {
    throw new ValidationError(path, "ORSO needs at least the columns Qz, R, sR, sQz (fill unknown ones with NaN)", typed.map((t) => t.name));
  }
  expected.forEach(([name, kind], c) => {
    const column = typed[c];
    const ok = kind === "column" ? column.errorOf === undefined && column.name === name : column.errorOf === name;
    if (!ok) {
      throw new ValidationError(
        `${path}[${c}]`,
        kind === "column" ? `must be the column "${name}"` : `must be the error column of "${name}" (error_of: ${name})`,
        column.raw,
      );
    }
  });
  return { records: typed.map((column, c) => columnToRecord(column, c, `${path}[${c}]`)), columns: typed };
}

function labelLine(records: Record<string, unknown>[]): string {
  // orsopy's column_header(): "name (unit)" padded to 23 characters, the first 4 narrower; cosmetic only.
  const parts = records.map((record, c) => {
    const name = typeof record.name === "string" ? record.name : `s${String(record.error_of)}`;
    const unit = hasOwn(record, "error_of") ? null : record.unit;
    const label = typeof unit === "string" ? `${name} (${unit})` : name;
    return label.replace(/[\p{Cc}\u2028\u2029]/gu, " ").padEnd(c === 0 ? 19 : 23);
  });
  return `# # ${parts.join("").trimEnd()}`;
}

/**
 * Numbers whose shortest form has an exponent but no dot (`1e-300`, `1e+21`) are
 * strings to YAML 1.1 (PyYAML, hence orsopy): write them as `1.0e-300`, which both
 * YAML versions read as the same float; −0 as `-0.0`.
 */
const PORTABLE_FLOAT: ScalarTag = {
  identify: (value) => typeof value === "number" && (Object.is(value, -0) || (Number.isFinite(value) && /^[-0-9]+e/.test(String(value)))),
  default: true,
  tag: "tag:yaml.org,2002:float",
  test: /^-?[0-9]+\.0e[-+][0-9]+$/,
  resolve: (text) => Number.parseFloat(text),
  stringify: ({ value }) => (Object.is(value, -0) ? "-0.0" : String(value).replace("e", ".0e")),
};

/** YAML 1.1's `=` (value) tag: listed only so that a string "=" is quoted. */
const YAML11_VALUE: ScalarTag = {
  identify: () => false,
  default: true,
  tag: "tag:yaml.org,2002:value",
  test: /^=$/,
  resolve: (text) => text,
};

function yamlLines(header: Record<string, unknown>): string[] {
  const doc = new Document(header, {
    version: "1.2",
    schema: "core",
    // Quote strings YAML 1.1 would read as something else (yes, no, dates …), for PyYAML readers.
    compat: "yaml-1.1",
    customTags: (tags) => [PORTABLE_FLOAT, YAML11_VALUE, ...tags],
    aliasDuplicateObjects: false,
  });
  const columns = isMap(doc.contents) ? doc.contents.get("columns", true) : undefined;
  if (isSeq(columns)) for (const item of columns.items) if (isMap(item)) item.flow = true;
  const text = doc.toString({ lineWidth: 0, indentSeq: false, singleQuote: true, flowCollectionPadding: false });
  return text.replace(/\n$/, "").split("\n").map((line) => `# ${line}`);
}

function isDataSetId(value: unknown): value is number | string {
  return (typeof value === "number" && Number.isSafeInteger(value)) || (typeof value === "string" && value !== "");
}

/**
 * Write datasets as an ORSO `.ort` text file (1.2 standard).
 *
 * Layout as orsopy writes it: the magic line; dataset 0's full YAML header
 * (`data_set` just before `columns`; each line prefixed `# `); a column-label
 * comment; the rows as `%-22.16e` fields joined by one space (17 significant
 * digits, so every double reads back bit-for-bit; `nan`, `inf`). Every later
 * dataset: `# data_set: <id>`, then only the header keys that differ from
 * dataset 0 (maps compared recursively), labels, rows.
 *
 * Columns are written in schema form (error columns with explicit
 * `error_type`, `value_is`, `distribution`; an empty or missing R unit as `'1'`);
 * unknown keys of headers and columns are kept. The `columns` argument replaces
 * any `columns` in the header. `data_set` defaults to the dataset's index.
 * A header key present in dataset 0 but absent from dataset i is *inherited* by
 * dataset i on reading (the format has no way to delete a key; set it to `null`).
 *
 * @param datasets - headers (plain JSON-like trees; dates as ISO 8601 strings), columns
 *   ({@link OrtColumn}s or raw `columns` entries) and column-major data
 * @returns the file text (`\n` line ends, trailing newline)
 * @throws {ValidationError} naming the path: no datasets; first four columns not
 *   Qz, R, sR (error of R), sQz (error of Qz); a Qz/R unit outside the schema's list;
 *   data not one equal-length array per column, or no rows; duplicate or invalid
 *   `data_set` ids; a top-level header key other than `data_set` starting with
 *   `data_set` (it would split the file); values YAML cannot round-trip
 * @example
 * ```ts
 * const text = writeOrt([{ header, columns: [
 *   { name: "Qz", unit: "1/angstrom" }, { name: "R", unit: "1" },
 *   { error_of: "R" }, { error_of: "Qz", error_type: "resolution" },
 * ], data: [q, r, dr, dq] }]);
 * fs.writeFileSync("out.ort", text);
 * ```
 */
export function writeOrt(datasets: OrtWriteDataset[]): string {
  if (!Array.isArray(datasets) || datasets.length === 0) throw new ValidationError("datasets", "must be a non-empty list", datasets);
  const prepared = datasets.map((dataset, i) => prepareDataset(dataset, i));

  const seen = new Map<string, number>();
  prepared.forEach((p, i) => {
    const key = `${typeof p.id}:${String(p.id)}`;
    const other = seen.get(key);
    if (other !== undefined) throw new ValidationError(`datasets[${i}].header.data_set`, `duplicates that of dataset ${other}; ids must be unique`, p.id);
    seen.set(key, i);
  });

  const out: string[] = [MAGIC_LINE];
  const first = prepared[0];
  out.push(...yamlLines(first.header), labelLine(first.records));
  pushRows(out, first.data);
  for (let i = 1; i < prepared.length; i++) {
    const p = prepared[i];
    const diff = headerDiff(first.header, p.header);
    const partial: Record<string, unknown> = { data_set: p.id };
    for (const [k, v] of Object.entries(diff)) if (k !== "data_set") setKey(partial, k, v);
    out.push(...yamlLines(partial), labelLine(p.records));
    pushRows(out, p.data);
  }
  return out.join("\n") + "\n";
}

interface PreparedDataset {
  id: number | string;
  /** Full header in write order: other keys, then `data_set`, then `columns`. */
  header: Record<string, unknown>;
  /** The columns in schema form, as written. */
  records: Record<string, unknown>[];
  data: ArrayLike<number>[];
}

function prepareDataset(dataset: OrtWriteDataset, i: number): PreparedDataset {
  const path = `datasets[${i}]`;
  if (!isPlainObject(dataset)) throw new ValidationError(path, "must be an object", dataset);
  if (!isPlainObject(dataset.header)) throw new ValidationError(`${path}.header`, "must be a plain object", dataset.header);
  const header = writableTree(dataset.header, `${path}.header`, 0, new Set()) as Record<string, unknown>;
  const { records, columns } = normaliseColumns(dataset.columns, `${path}.columns`);

  const given = header.data_set;
  let id: number | string;
  if (given === undefined || given === null || given === "") id = i;
  else if (isDataSetId(given)) id = given;
  else throw new ValidationError(`${path}.header.data_set`, "must be an integer or a non-empty string", given);

  const ordered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(header)) {
    if (k === "data_set" || k === "columns") continue;
    if (k.startsWith("data_set")) {
      throw new ValidationError(`${path}.header.${k}`, 'a top-level key starting with "data_set" would start a new dataset in the file');
    }
    setKey(ordered, k, v);
  }
  setKey(ordered, "data_set", id);
  setKey(ordered, "columns", records);

  const data = dataset.data;
  if (!Array.isArray(data) || data.length !== columns.length) {
    throw new ValidationError(`${path}.data`, `must hold one array per column (${columns.length})`, Array.isArray(data) ? data.length : data);
  }
  const rows = data[0]?.length;
  if (typeof rows !== "number" || rows === 0) throw new ValidationError(`${path}.data`, "must have at least one row", rows);
  data.forEach((column, c) => {
    if (column?.length !== rows) throw new ValidationError(`${path}.data[${c}]`, `must have ${rows} values like data[0]`, column?.length);
    for (let r = 0; r < rows; r++) {
      if (typeof column[r] !== "number") throw new ValidationError(`${path}.data[${c}][${r}]`, "must be a number", column[r]);
    }
  });
  return { id, header: ordered, records, data };
}

function pushRows(out: string[], data: ArrayLike<number>[]): void {
  const rows = data[0].length;
  const fields = new Array<string>(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < data.length; c++) fields[c] = formatField(data[c][r]);
    out.push(fields.join(" "));
  }
}

// ---------------------------------------------------------------------------
// Canonical arrays
// ---------------------------------------------------------------------------

/** Factor to Å⁻¹ for a Q unit, with a warning for lenient spellings; undefined if unknown. */
function qUnitFactor(unit: string | null): { factor: number; note?: string } | undefined {
  if (unit === "1/angstrom") return { factor: 1 };
  if (unit === "1/nm") return { factor: 0.1 };
  if (unit === null || unit === "") return { factor: 1, note: "has no unit; assuming 1/angstrom" };
  const u = unit.replace(/\s+/g, "").toLowerCase();
  if (["1/å", "1/a", "å^-1", "a^-1", "angstrom^-1", "angstrom**-1", "1/angstroms", "å-1", "a-1"].includes(u)) {
    return { factor: 1, note: `has the non-ORSO unit ${formatValue(unit)}; read as 1/angstrom` };
  }
  if (["nm^-1", "nm**-1", "nm-1"].includes(u)) return { factor: 0.1, note: `has the non-ORSO unit ${formatValue(unit)}; read as 1/nm` };
  return undefined;
}

/** Multiplier taking an error column's values to 1 σ. */
function sigmaFactor(column: OrtColumn, path: string): number {
  if (column.valueIs !== "FWHM") return 1;
  const distribution = column.distribution ?? "gaussian";
  const factor = FWHM_TO_SIGMA[distribution];
  if (factor === undefined) {
    throw new ValidationError(
      `${path}.distribution`,
      distribution === "lorentzian" ? "a Lorentzian FWHM has no standard deviation; cannot convert to σ" : "unknown distribution; cannot convert a FWHM to σ",
      distribution,
    );
  }
  return factor;
}

function scaled(values: Float64Array, factor: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * factor;
  return out;
}

function allNaN(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) return false;
  return true;
}

/**
 * Q, R, dR, dQ of one dataset in canonical units: Q and dQ in Å⁻¹ (1/nm × 0.1),
 * dR and dQ as 1 σ (a FWHM column × 1/(2√(2 ln 2)) for Gaussian, 1/√6 triangular,
 * 1/√12 uniform). Every row is kept; suspicious ones are counted in `warnings`
 * (R = 0 with sR = 0 — empty bins —, R ≤ 0, non-finite values, dR ≤ 0).
 *
 * Columns are found by name (`Qz`, `R`; dR = the `uncertainty` error column of R,
 * dQ = the `resolution` error column of Qz), falling back to positions 1 and 2 for Q and R.
 *
 * @param dataset - one dataset of {@link parseOrt}
 * @param source - file name for messages
 * @returns new arrays (the dataset is not modified); `dr`/`dq` undefined if absent or all NaN
 * @throws {ValidationError} if Q's unit is not a reciprocal length, or a FWHM column's
 *   distribution has no σ (Lorentzian) or is unknown
 * @example
 * ```ts
 * const { q, r, dr, dq, warnings } = ortReflectivity(readOrt("scan.ort").datasets[0], "scan.ort");
 * ```
 * @see reflectometry.md §2.1 (σ versus FWHM), §3.4 (columns)
 */
export function ortReflectivity(dataset: OrtDataset, source: string): OrtReflectivity {
  const warnings: string[] = [];
  const { columns, data } = dataset;
  const plain = (name: string) => columns.findIndex((c) => c.errorOf === undefined && c.name === name);
  let qi = plain("Qz");
  if (qi < 0) {
    qi = 0;
    warn(warnings, `${source}: no column named Qz; using column 1 (${formatValue(columns[0]?.name)}) as Q`);
  }
  let ri = plain("R");
  if (ri < 0) {
    ri = 1;
    warn(warnings, `${source}: no column named R; using column 2 (${formatValue(columns[1]?.name)}) as R`);
  }
  if (ri >= columns.length || qi === ri) throw new ValidationError(`${source}: columns`, "needs a Q and an R column", columns.map((c) => c.name));
  const qColumn = columns[qi];
  const rColumn = columns[ri];

  const qUnit = qUnitFactor(qColumn.unit);
  if (!qUnit) throw new ValidationError(`${source}: columns[${qi}].unit`, "Q must be in 1/angstrom or 1/nm", qColumn.unit);
  if (qUnit.note) warn(warnings, `${source}: column ${qColumn.name} ${qUnit.note}`);
  const q = scaled(data[qi], qUnit.factor);
  const r = Float64Array.from(data[ri]);
  if (!(rColumn.unit === null || rColumn.unit === "" || rColumn.unit === "1")) {
    warn(warnings, `${source}: column R has unit ${formatValue(rColumn.unit)}, not dimensionless; values used as they are`);
  }

  let dr: Float64Array | undefined;
  const dri = columns.findIndex((c) => c.errorOf === rColumn.name && c.errorType === "uncertainty");
  if (dri < 0) {
    warn(warnings, `${source}: no uncertainty column for R`);
  } else if (allNaN(data[dri])) {
    warn(warnings, `${source}: the uncertainty column of R is all NaN`);
  } else {
    dr = scaled(data[dri], sigmaFactor(columns[dri], `${source}: columns[${dri}]`));
  }

  let dq: Float64Array | undefined;
  const dqi = columns.findIndex((c) => c.errorOf === qColumn.name && c.errorType === "resolution");
  if (dqi < 0) {
    warn(warnings, `${source}: no Q resolution column`);
  } else if (allNaN(data[dqi])) {
    warn(warnings, `${source}: the Q resolution column is all NaN`);
  } else {
    const dqColumn = columns[dqi];
    let unitFactor = qUnit.factor;
    if (dqColumn.unit !== qColumn.unit) {
      const own = qUnitFactor(dqColumn.unit);
      if (!own) throw new ValidationError(`${source}: columns[${dqi}].unit`, "the Q resolution must be in 1/angstrom or 1/nm", dqColumn.unit);
      unitFactor = own.factor;
    }
    dq = scaled(data[dqi], unitFactor * sigmaFactor(dqColumn, `${source}: columns[${dqi}]`));
  }

  let emptyBins = 0;
  let nonPositive = 0;
  let nonFinite = 0;
  let badSigma = 0;
  for (let i = 0; i < q.length; i++) {
    if (!Number.isFinite(q[i]) || !Number.isFinite(r[i])) nonFinite++;
    else if (r[i] === 0 && dr !== undefined && dr[i] === 0) emptyBins++;
    else if (r[i] <= 0) nonPositive++;
    if (dr !== undefined && Number.isFinite(r[i]) && !(dr[i] > 0) && !(r[i] === 0 && dr[i] === 0)) badSigma++;
  }
  if (emptyBins > 0) warn(warnings, `${source}: ${emptyBins} rows have R = 0 and dR = 0 (empty bins)`);
  if (nonPositive > 0) warn(warnings, `${source}: ${nonPositive} rows have R ≤ 0`);
  if (nonFinite > 0) warn(warnings, `${source}: ${nonFinite} rows have a non-finite Q or R`);
  if (badSigma > 0) warn(warnings, `${source}: ${badSigma} rows have dR ≤ 0 or NaN`);
  return { q, r, dr, dq, warnings };
}
