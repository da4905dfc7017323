/**
 * @module io/cycler/biologicMpt
 * BioLogic EC-Lab text export (`.mpt`): Latin-1/cp1252, CRLF or LF, decimal
 * point or decimal comma (Windows locale), tab-separated rows with a trailing
 * tab.
 *
 * Layout: line 1 `EC-Lab ASCII FILE` (or `BT-Lab ASCII FILE`); line 2
 * `Nb header lines : N`, where N counts the magic line, that line and the
 * column-name line, so the column names are line N and data start at N + 1.
 * Header-only files have N = 3. Settings (`key : value`), the technique name
 * (line 4) and the fixed-width technique parameter table (20 characters per
 * column) go into `metadata`. `Acquisition started on : MM/DD/YYYY HH:MM:SS.fff`
 * is local time without zone; it becomes `startTime` (with the zone given by
 * the `utcOffsetMinutes` option, if any).
 *
 * Units and mapping to the table: see `biologic.ts` (mA → A, mA·h → Ah).
 */
import { ParseError } from "../../core/errors.ts";
import { Pipeline } from "./cyclerTable.ts";
import type { ReadContext } from "./cyclerTable.ts";
import type { ByteSource } from "./byteSource.ts";
import { biologicMapper, uniqueNames } from "./biologic.ts";
import { DEFAULT_CHUNK_BYTES, FieldKind, LineCursor, TextRowParser, decodeHeaderText, formatLocalIso, numberStatus, parseDateTimeText, readDelimitedRows } from "./textScan.ts";

/** Most header lines accepted (EC-Lab writes < 200). */
const MAX_HEADER_LINES = 100_000;

/**
 * Reads an `.mpt` file into a {@link Pipeline} (rows committed, not finished).
 *
 * @param source - the file's bytes
 * @param ctx - read context; receives metadata, warnings, start time
 * @returns the pipeline holding the rows
 * @throws ParseError on a missing magic line or header count, a header cut short, or a malformed row (naming the line)
 */
export function readBiologicMpt(source: ByteSource, ctx: ReadContext): Pipeline {
  const file = ctx.file;
  const cursor = new LineCursor(source, file, ctx.options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  if (!cursor.next()) throw new ParseError(file, "empty file; expected 'EC-Lab ASCII FILE'", { line: 1 });
  const magic = cursor.line().trim();
  if (magic !== "EC-Lab ASCII FILE" && magic !== "BT-Lab ASCII FILE") {
    throw new ParseError(file, `expected 'EC-Lab ASCII FILE' or 'BT-Lab ASCII FILE', found ${JSON.stringify(magic.slice(0, 40))}`, { line: 1 });
  }
  if (!cursor.next()) throw new ParseError(file, "file ends after the first line; expected 'Nb header lines : N'", { line: 2 });
  const countMatch = /^Nb header lines\s*:\s*(\d+)\s*$/.exec(cursor.line());
  if (!countMatch) throw new ParseError(file, `expected 'Nb header lines : N', found ${JSON.stringify(cursor.line().slice(0, 40))}`, { line: 2 });
  const headerLines = Number(countMatch[1]);
  if (headerLines < 3 || headerLines > MAX_HEADER_LINES) {
    throw new ParseError(file, `'Nb header lines' must be between 3 and ${MAX_HEADER_LINES}, found ${headerLines}`, { line: 2 });
  }
  const header: string[] = [];
  while (cursor.lineNo < headerLines - 1) {
    if (!cursor.next()) throw new ParseError(file, `file ends in the header (line ${cursor.lineNo + 1} of ${headerLines} announced header lines)`, { line: cursor.lineNo + 1 });
    header.push(decodeHeaderText(cursor.line()));
  }
  if (!cursor.next()) throw new ParseError(file, `file ends before the column-name line (line ${headerLines})`, { line: headerLines });
  const rawNames = decodeHeaderText(cursor.line()).split("\t");
  if (rawNames.length > 1 && rawNames[rawNames.length - 1].trim() === "") rawNames.pop();
  if (rawNames.length === 0 || rawNames.some((n) => n.trim() === "")) {
    throw new ParseError(file, `column-name line has an empty name: ${JSON.stringify(rawNames.join("\t").slice(0, 80))}`, { line: headerLines });
  }
  const names = uniqueNames(rawNames.map((n) => n.trim()));
  describeHeader(header, ctx);
  ctx.currentSource = "anodic-positive";
  const technique = typeof ctx.metadata.technique === "string" ? ctx.metadata.technique : "";
  const mapper = biologicMapper(names, ctx, /impedance|PEIS|GEIS/i.test(technique));
  const pipeline = new Pipeline(ctx, names, mapper);
  pipeline.dataStartByte = cursor.byteEnd;
  pipeline.bytePosition = () => cursor.byteEnd;
  ctx.metadata.headerLines = headerLines;
  ctx.metadata.sourceColumnNames = names;

  const kinds = names.map((_, j) => (pipeline.need[j] ? FieldKind.Number : FieldKind.Skip));
  readDelimitedRows(cursor, pipeline, new TextRowParser(file, kinds, names), "\t", names.length, file, false, "strip");
  return pipeline;
}

/** Technique, settings, parameter table and start time from the header lines (lines 3 … N − 1). */
function describeHeader(header: readonly string[], ctx: ReadContext): void {
  const settings: Record<string, string> = {};
  const parameters: Record<string, string[]> = {};
  // line 3 is blank, line 4 names the technique (when the header has settings)
  const technique = header.length >= 2 ? header[1].trim() : "";
  if (technique !== "") ctx.metadata.technique = technique;
  let inTable = false;
  let tableDone = false;
  for (const line of header) {
    if (!tableDone && /^Ns {2,}/.test(line) && line.length > 20) inTable = true;
    if (inTable) {
      if (line.trim() === "" || line.length <= 20 || / : /.test(line.slice(0, 22))) {
        inTable = false;
        tableDone = true;
      } else {
        const name = line.slice(0, 20).trim();
        const values: string[] = [];
        for (let p = 20; p < line.length; p += 20) values.push(line.slice(p, p + 20).trim());
        while (values.length > 0 && values[values.length - 1] === "") values.pop();
        if (!(name in parameters)) parameters[name] = values;
        continue;
      }
    }
    const colon = line.indexOf(" : ");
    if (colon > 0) {
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 3).trim();
      if (key !== "" && !(key in settings)) settings[key] = value;
    }
  }
  ctx.metadata.settings = settings;
  if (Object.keys(parameters).length > 0) ctx.metadata.parameters = parameters;
  const started = settings["Acquisition started on"];
  if (started !== undefined) {
    numberStatus.ok = true;
    const local = parseDateTimeText(started);
    if (numberStatus.ok && Number.isFinite(local)) {
      ctx.metadata.acquisitionStartLocal = formatLocalIso(local, undefined);
      ctx.startTime = formatLocalIso(local, ctx.options.utcOffsetMinutes);
    } else {
      numberStatus.ok = true;
      ctx.warnings.add(`cannot read 'Acquisition started on : ${started}' as MM/DD/YYYY HH:MM:SS; no start time`);
    }
  } else {
    ctx.warnings.add("no 'Acquisition started on' line: the file has no absolute start time");
  }
}
