/**
 * @module io/columns
 * Whitespace-separated numeric column files (Q, R, dR, dQ …): `#` comments, blank
 * lines ignored; every value must be a finite number. The comment lines before the
 * first data row (the header) are returned with their line numbers, for readers that
 * take metadata from them (e.g. the resolution measure of a dQ column).
 */
import fs from "node:fs";
import { ParseError } from "../core/errors.ts";

/**
 * Read a numeric column file.
 * @param file - path (named in errors)
 * @param minColumns - rows with fewer columns are an error
 * @returns columns as Float64Arrays (column-major), and the 1-based source line of each row
 */
/** A header comment line: its 1-based line number and its text without the leading `#`. */
export interface HeaderLine {
  readonly line: number;
  readonly text: string;
}

/** Columns of a numeric column file (column-major) with the source line of each row. */
export interface ColumnTable {
  readonly columns: Float64Array[];
  /** 1-based source line of each row */
  readonly lines: Int32Array;
  /** `#` comment lines before the first data row */
  readonly header: HeaderLine[];
}

export function readColumnFile(file: string, minColumns = 1): ColumnTable {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ParseError(file, `cannot read file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return parseColumns(text, file, minColumns);
}

/**
 * Parse the text of a numeric column file.
 * @param text - file contents
 * @param source - named in errors
 * @param minColumns - rows with fewer columns are an error
 * @throws ParseError naming the source and line of the first bad row
 */
export function parseColumns(text: string, source: string, minColumns = 1): ColumnTable {
  const rows: number[][] = [];
  const lines: number[] = [];
  const header: HeaderLine[] = [];
  let width = -1;
  const split = text.split(/\r?\n/);
  for (let l = 0; l < split.length; l++) {
    const line = split[l].trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      if (rows.length === 0) header.push({ line: l + 1, text: line.slice(1).trim() });
      continue;
    }
    const fields = line.split(/[\s,;]+/);
    const values = fields.map(Number);
    for (let f = 0; f < values.length; f++) {
      if (!Number.isFinite(values[f])) {
        throw new ParseError(source, `column ${f + 1} is not a finite number: ${JSON.stringify(fields[f])}`, { line: l + 1 });
      }
    }
    if (values.length < minColumns) {
      throw new ParseError(source, `expected at least ${minColumns} columns, found ${values.length}`, { line: l + 1 });
    }
    if (width === -1) width = values.length;
    else if (values.length !== width) {
      throw new ParseError(source, `expected ${width} columns like the first data row, found ${values.length}`, { line: l + 1 });
    }
    rows.push(values);
    lines.push(l + 1);
  }
  if (rows.length === 0) throw new ParseError(source, "no data rows");
  const columns = Array.from({ length: width }, (_, c) => Float64Array.from(rows, (row) => row[c]));
  return { columns, lines: Int32Array.from(lines), header };
}
