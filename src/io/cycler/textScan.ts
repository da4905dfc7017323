/**
 * @module io/cycler/textScan
 * Incremental line and field scanning for the text cycler formats.
 *
 * Data lines are scanned and parsed as bytes (no string per line or field,
 * except for dates and codes); header lines are decoded as Latin-1 and then
 * re-decoded as UTF-8 or Windows-1252 by {@link decodeHeaderText}. A line is never longer
 * than {@link MAX_LINE_BYTES}, so memory stays bounded whatever the input.
 * Numbers accept `.` or `,` as the decimal separator (EC-Lab and Maccor follow
 * the Windows locale); times are seconds, dates are parsed as naive local time
 * and returned as "seconds since 1970-01-01 in that local clock".
 */
import { ParseError } from "../../core/errors.ts";
import type { ByteSource } from "./byteSource.ts";

/** Longest accepted line, bytes. */
export const MAX_LINE_BYTES = 1 << 22;
/** Default read size, bytes. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

interface NodeBufferLike {
  from(buffer: ArrayBufferLike, offset: number, length: number): { toString(encoding: string): string };
}
const NodeBuffer = (globalThis as { Buffer?: NodeBufferLike }).Buffer;

/** Latin-1 decoding: each byte becomes the code unit of the same value. */
export function latin1(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

const CP1252_HIGH: Record<number, string> = {
  0x80: "€", 0x82: "‚", 0x83: "ƒ", 0x84: "„", 0x85: "…", 0x86: "†", 0x87: "‡", 0x88: "ˆ", 0x89: "‰", 0x8a: "Š",
  0x8b: "‹", 0x8c: "Œ", 0x8e: "Ž", 0x91: "‘", 0x92: "’", 0x93: "“", 0x94: "”", 0x95: "•", 0x96: "–", 0x97: "—",
  0x98: "˜", 0x99: "™", 0x9a: "š", 0x9b: "›", 0x9c: "œ", 0x9e: "ž", 0x9f: "Ÿ",
};
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Re-decodes header text that was read as Latin-1: as UTF-8 when the bytes are
 * valid UTF-8, else as Windows-1252 (EC-Lab writes `µ`, `°`, `²` in cp1252).
 *
 * @param text - Latin-1 decoded text
 * @returns the text as the file meant it
 */
export function decodeHeaderText(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) { ascii = false; break; }
  if (ascii) return text;
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  try {
    return utf8.decode(bytes);
  } catch {
    return text.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0)] ?? c);
  }
}

/**
 * Pulls lines from a {@link ByteSource} one at a time, holding one chunk plus the
 * unfinished line. After {@link LineCursor.next} returns true the line is
 * `buf[start, end)` (without `\r\n`/`\n`), `lineNo` is 1-based and `byteEnd`
 * is the input offset just after the line break.
 */
export class LineCursor {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  lineNo = 0;
  byteEnd = 0;
  private pos = 0;
  private bufStartByte = 0;
  private readPos: number;
  private eof = false;
  constructor(
    private readonly source: ByteSource,
    private readonly file: string,
    private readonly chunkBytes: number = DEFAULT_CHUNK_BYTES,
    startByte = 0,
  ) {
    this.readPos = startByte;
    this.bufStartByte = startByte;
  }

  /** Advances to the next line; false at the end of the input. */
  next(): boolean {
    while (true) {
      const buf = this.buf;
      const nl = buf.indexOf(10, this.pos);
      if (nl >= 0) {
        this.start = this.pos;
        this.end = nl > this.pos && buf[nl - 1] === 13 ? nl - 1 : nl;
        this.pos = nl + 1;
        this.lineNo++;
        this.byteEnd = this.bufStartByte + this.pos;
        return true;
      }
      if (this.eof) {
        if (this.pos >= buf.length) return false;
        this.start = this.pos;
        this.end = buf.length;
        if (this.end > this.start && buf[this.end - 1] === 13) this.end--;
        this.pos = buf.length;
        this.lineNo++;
        this.byteEnd = this.bufStartByte + this.pos;
        return true;
      }
      const carry = buf.length - this.pos;
      if (carry > MAX_LINE_BYTES) {
        throw new ParseError(this.file, `line longer than ${MAX_LINE_BYTES} bytes (no line break found)`, { line: this.lineNo + 1 });
      }
      const bytes = this.source.read(this.readPos, this.chunkBytes);
      this.bufStartByte += this.pos;
      if (bytes.length === 0) {
        this.eof = true;
        this.buf = buf.subarray(this.pos);
        this.pos = 0;
        continue;
      }
      const next = new Uint8Array(carry + bytes.length);
      next.set(buf.subarray(this.pos), 0);
      next.set(bytes, carry);
      this.buf = next;
      this.pos = 0;
      this.readPos += bytes.length;
      if (this.readPos >= this.source.size) this.eof = true;
    }
  }

  /** The current line as a (Latin-1) string. */
  line(): string {
    return latin1(this.buf.subarray(this.start, this.end));
  }
}

/** Field boundaries of one line: `starts[k]`..`ends[k]` in the line's buffer. */
export class FieldSplitter {
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  count = 0;
  constructor(private readonly separator: number) {}
  /**
   * Splits `buf[start, end)` at the separator; CSV double quotes are honoured
   * when `quotes` is true (the field then excludes the quotes; `""` inside is not unescaped).
   */
  split(buf: Uint8Array, start: number, end: number, quotes = false): number {
    let count = 0;
    let pos = start;
    const sep = this.separator;
    while (true) {
      if (count === this.starts.length) this.grow();
      if (quotes && pos < end && buf[pos] === 34) {
        let q = pos + 1;
        while (q < end && !(buf[q] === 34 && !(q + 1 < end && buf[q + 1] === 34))) q += buf[q] === 34 ? 2 : 1;
        this.starts[count] = pos + 1;
        this.ends[count] = Math.min(q, end);
        count++;
        let next = q < end ? q + 1 : end;
        while (next < end && buf[next] !== sep) next++;
        if (next >= end) break;
        pos = next + 1;
        continue;
      }
      let s = pos;
      while (s < end && buf[s] !== sep) s++;
      this.starts[count] = pos;
      this.ends[count] = s;
      count++;
      if (s >= end) break;
      pos = s + 1;
    }
    this.count = count;
    return count;
  }
  private grow(): void {
    const starts = new Int32Array(this.starts.length * 2);
    starts.set(this.starts);
    const ends = new Int32Array(this.ends.length * 2);
    ends.set(this.ends);
    this.starts = starts;
    this.ends = ends;
  }
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const TWO_POW_53 = 9007199254740992;

/** Result flag of the field parsers: set to false when a field was not valid. */
export const numberStatus = { ok: true };

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** `buf[a, b)` as a Latin-1 string. */
export function slice(buf: Uint8Array, a: number, b: number): string {
  return latin1(buf.subarray(a, b));
}

/**
 * Parses `buf[a, b)` as a decimal number (`.` or `,` as decimal separator,
 * optional exponent). Empty fields and `NaN`/`nan`/`N/A` give NaN. Correctly
 * rounded: Clinger's fast path when the digits fit 2⁵³ and |exponent| ≤ 22,
 * else the engine's own conversion. Sets `numberStatus.ok = false` (and returns
 * NaN) on anything else, including values that overflow to ±∞.
 */
export function parseDecimal(buf: Uint8Array, a: number, b: number): number {
  while (a < b && isSpace(buf[a])) a++;
  while (b > a && isSpace(buf[b - 1])) b--;
  if (a === b) return NaN;
  let i = a;
  let c = buf[i];
  let negative = false;
  if (c === 45) { negative = true; i++; } else if (c === 43) i++;
  let mantissa = 0;
  let digits = 0;
  let exact = true;
  let scale = 0;
  let point = false;
  for (; i < b; i++) {
    c = buf[i];
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      digits++;
      if (mantissa < TWO_POW_53 / 10) {
        mantissa = mantissa * 10 + d;
        if (point) scale--;
      } else exact = false;
    } else if ((c === 46 || c === 44) && !point) {
      point = true;
    } else break;
  }
  if (digits === 0) return special(buf, a, b);
  let exponent = 0;
  if (i < b) {
    c = buf[i];
    if (c !== 101 && c !== 69) return fail();
    i++;
    let expNegative = false;
    c = buf[i];
    if (c === 45) { expNegative = true; i++; } else if (c === 43) i++;
    let expDigits = 0;
    for (; i < b; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) return fail();
      if (exponent < 100000) exponent = exponent * 10 + d;
      expDigits++;
    }
    if (expDigits === 0) return fail();
    if (expNegative) exponent = -exponent;
  }
  const e = scale + exponent;
  let value: number;
  if (exact && e >= -22 && e <= 22) value = e >= 0 ? mantissa * POW10[e] : mantissa / POW10[-e];
  else {
    value = Number(slice(buf, negative || buf[a] === 43 ? a + 1 : a, b).replace(",", "."));
    if (Number.isNaN(value)) return fail();
  }
  if (!Number.isFinite(value)) return fail();
  return negative ? -value : value;
}

function fail(): number {
  numberStatus.ok = false;
  return NaN;
}

function special(buf: Uint8Array, a: number, b: number): number {
  if (b - a > 4) return fail();
  const word = slice(buf, a, b).toLowerCase();
  if (word === "nan" || word === "n/a" || word === "-nan" || word === "na") return NaN;
  return fail();
}

/**
 * Parses a duration `[Nd ]H:MM:SS[.fff]` (hours may exceed 24) or a plain
 * number of seconds; NaN for an empty field. Sets `numberStatus.ok = false` on junk.
 */
export function parseDuration(buf: Uint8Array, a: number, b: number): number {
  while (a < b && isSpace(buf[a])) a++;
  while (b > a && isSpace(buf[b - 1])) b--;
  if (a === b) return NaN;
  let colon = a;
  while (colon < b && buf[colon] !== 58) colon++;
  if (colon === b) return parseDecimal(buf, a, b);
  let days = 0;
  let d = a;
  while (d < colon && buf[d] !== 100) d++;
  if (d < colon) {
    days = parseDecimal(buf, a, d);
    a = d + 1;
    while (a < b && isSpace(buf[a])) a++;
  }
  let total = 0;
  let parts = 0;
  let pos = a;
  while (true) {
    let next = pos;
    while (next < b && buf[next] !== 58) next++;
    const v = parseDecimal(buf, pos, next);
    if (!(v >= 0) || (parts > 0 && v >= 60)) return fail();
    total = total * 60 + v;
    parts++;
    if (next >= b) break;
    pos = next + 1;
  }
  if (parts < 2 || parts > 3 || !(days >= 0)) return fail();
  if (parts === 2) total *= 60;
  return days * 86400 + total;
}

/**
 * Parses a naive local date-time: `MM/DD/YYYY HH:MM:SS[.fff]` (`/`, `-` or `.`
 * between date parts) or `YYYY-MM-DD[ T]HH:MM:SS[.fff]`, as seconds since
 * 1970-01-01T00:00:00 of that same clock. NaN for an empty field; sets
 * `numberStatus.ok = false` on junk.
 */
export function parseDateTime(buf: Uint8Array, a: number, b: number): number {
  return parseDateTimeText(slice(buf, a, b));
}

/** {@link parseDateTime} on a string. */
export function parseDateTimeText(text: string): number {
  const trimmed = text.trim();
  if (trimmed === "") return NaN;
  const m = /^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}(?:[.,]\d*)?))?)?$/.exec(trimmed);
  if (!m) return fail();
  let year: number;
  let month: number;
  let day: number;
  if (m[1].length === 4) {
    year = Number(m[1]);
    month = Number(m[2]);
    day = Number(m[3]);
  } else {
    month = Number(m[1]);
    day = Number(m[2]);
    year = Number(m[3]);
    if (m[3].length <= 2) year += 2000;
  }
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6].replace(",", "."));
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second >= 61) return fail();
  return Date.UTC(year, month - 1, day, hour, minute, 0) / 1000 + second;
}

/**
 * Formats naive local seconds (see {@link parseDateTime}) as ISO 8601 with
 * milliseconds, with a zone when the UTC offset is known.
 *
 * @param localSeconds - seconds since 1970-01-01 of the local clock
 * @param utcOffsetMinutes - offset of that clock from UTC, or undefined for a zone-less local time
 * @returns e.g. `2024-01-10T11:02:29.886` or `2024-01-10T11:02:29.886+01:00`
 */
export function formatLocalIso(localSeconds: number, utcOffsetMinutes: number | undefined): string | undefined {
  if (!Number.isFinite(localSeconds) || Math.abs(localSeconds) > 8.64e12) return undefined;
  const iso = new Date(Math.round(localSeconds * 1000)).toISOString().slice(0, 23);
  if (utcOffsetMinutes === undefined) return iso;
  const sign = utcOffsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(Math.round(utcOffsetMinutes));
  return `${iso}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/**
 * Formats Unix seconds as ISO 8601 UTC.
 *
 * @param unixSeconds - seconds since 1970-01-01T00:00:00Z
 * @returns e.g. `2017-05-10T00:47:33.170Z`, undefined when not finite
 */
export function formatUnixIso(unixSeconds: number): string | undefined {
  if (!Number.isFinite(unixSeconds) || Math.abs(unixSeconds) > 8.64e12) return undefined;
  return new Date(Math.round(unixSeconds * 1000)).toISOString();
}

/**
 * How a text field is turned into a number: `Skip` (not read), `Number`,
 * `Duration`, `DateTime`, `NumberOrDateTime` (a number, else a date-time) or
 * `Code` (a dictionary, see {@link TextRowParser.codes}).
 */
export const FieldKind = { Skip: 0, Number: 1, Duration: 2, DateTime: 3, NumberOrDateTime: 4, Code: 5 } as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/**
 * Parses the fields of one delimited data line into a source batch, one
 * {@link FieldKind} per field, and reports the first bad field as a
 * {@link ParseError} naming the line, the column and the text.
 */
export class TextRowParser {
  /** Per field, a function from its text to a code (for `FieldKind.Code`). */
  codes: ((text: string) => number)[] = [];
  /** Set when a `NumberOrDateTime` field was read as a date-time text. */
  dateTextSeen = false;
  /**
   * @param file - file name for errors
   * @param kinds - kind of source column j
   * @param names - name of source column j
   * @param fieldOffset - source column j is field `j + fieldOffset` of the line
   */
  constructor(
    private readonly file: string,
    readonly kinds: FieldKind[],
    readonly names: readonly string[],
    private readonly fieldOffset = 0,
  ) {}

  /**
   * Parses the fields found by `fields` into `dest[j][row]`.
   *
   * @throws ParseError when a field of a parsed kind is not valid
   */
  parse(buf: Uint8Array, fields: FieldSplitter, dest: Float64Array[], row: number, lineNo: number): void {
    const kinds = this.kinds;
    const offset = this.fieldOffset;
    const n = Math.min(fields.count - offset, kinds.length);
    for (let j = 0; j < n; j++) {
      const kind = kinds[j];
      if (kind === FieldKind.Skip) continue;
      const a = fields.starts[j + offset];
      const b = fields.ends[j + offset];
      numberStatus.ok = true;
      let v: number;
      switch (kind) {
        case FieldKind.Number:
          v = parseDecimal(buf, a, b);
          break;
        case FieldKind.Duration:
          v = parseDuration(buf, a, b);
          break;
        case FieldKind.DateTime:
          v = parseDateTime(buf, a, b);
          break;
        case FieldKind.NumberOrDateTime:
          v = parseDecimal(buf, a, b);
          if (!numberStatus.ok) {
            numberStatus.ok = true;
            v = parseDateTime(buf, a, b);
            this.dateTextSeen = true;
          }
          break;
        default:
          v = this.codes[j](slice(buf, a, b).trim());
      }
      if (!numberStatus.ok) {
        const raw = slice(buf, a, Math.min(b, a + 40));
        throw new ParseError(this.file, `column ${j + offset + 1} (${this.names[j]}): cannot read ${JSON.stringify(raw)} as ${kindName(kind)}`, { line: lineNo });
      }
      dest[j][row] = v;
    }
  }
}

function kindName(kind: FieldKind): string {
  switch (kind) {
    case FieldKind.Duration:
      return "a duration";
    case FieldKind.DateTime:
      return "a date and time";
    case FieldKind.NumberOrDateTime:
      return "a number or a date";
    default:
      return "a number";
  }
}

/**
 * Splits a header line into trimmed names (CSV double quotes honoured), decoded
 * with {@link decodeHeaderText}; a trailing empty name is dropped.
 *
 * @param line - the line (Latin-1 decoded)
 * @param separator - field separator character
 * @returns the names
 */
export function splitHeaderLine(line: string, separator: string): string[] {
  const names: string[] = [];
  let pos = 0;
  while (true) {
    let a = pos;
    while (a < line.length && (line[a] === " " || line[a] === "\t") && line[a] !== separator) a++;
    let field: string;
    let next: number;
    if (line[a] === '"') {
      let q = a + 1;
      let text = "";
      while (q < line.length) {
        const close = line.indexOf('"', q);
        if (close < 0) { text += line.slice(q); q = line.length; break; }
        text += line.slice(q, close);
        if (line[close + 1] === '"') { text += '"'; q = close + 2; continue; }
        q = close + 1;
        break;
      }
      field = text;
      next = line.indexOf(separator, q);
    } else {
      next = line.indexOf(separator, pos);
      field = line.slice(pos, next < 0 ? line.length : next);
    }
    names.push(decodeHeaderText(field).trim());
    if (next < 0) break;
    pos = next + 1;
  }
  if (names.length > 1 && names[names.length - 1] === "") names.pop();
  return names;
}

/** Unit scale factors to BDF units (s, V, A, Ah, Wh, W, Ω, °C); keys lower case. */
export const UNIT_SCALE: Readonly<Record<string, number>> = {
  "": 1, s: 1, sec: 1, second: 1, min: 60, h: 3600, hr: 3600,
  v: 1, mv: 1e-3, a: 1, ma: 1e-3, ua: 1e-6, "µa": 1e-6,
  ah: 1, mah: 1e-3, "a.h": 1, "ma.h": 1e-3, wh: 1, mwh: 1e-3, "w.h": 1, "mw.h": 1e-3,
  w: 1, mw: 1e-3, ohm: 1, mohm: 1e-3, "ω": 1, "mω": 1e-3,
  c: 1, "°c": 1, degc: 1, "?": 1, "%": 1, "v/s": 1,
};

/**
 * Splits `Name(unit)` / `Name (unit)` into a lower-case key (spaces and dots as `_`) and a unit.
 *
 * @param name - a column name such as `Current(mA)` or `Test_Time(s)`
 * @returns the key (`current`) and unit (`ma`, lower case; "" when absent)
 */
export function nameAndUnit(name: string): { key: string; unit: string } {
  // by hand: regexes with lazy groups are quadratic on long junk names
  const trimmed = name.trim();
  let base = trimmed;
  let unit = "";
  if (trimmed.endsWith(")")) {
    const open = trimmed.lastIndexOf("(");
    if (open >= 0 && !trimmed.slice(open + 1, -1).includes(")")) {
      unit = trimmed.slice(open + 1, -1).trim().toLowerCase();
      base = trimmed.slice(0, open);
    }
  }
  const key = base.trim().toLowerCase().split(/[\s.]+/).filter((w) => w !== "").join("_");
  let end = key.length;
  while (end > 0 && key[end - 1] === "_") end--;
  return { key: key.slice(0, end), unit };
}

/**
 * Reads delimited data rows into the pipeline until the end of the input.
 *
 * @param cursor - positioned before the first data line
 * @param pipeline - receives the rows
 * @param parser - field kinds (fields of source columns the pipeline does not need should be `Skip`)
 * @param separator - field separator
 * @param columns - expected fields per row
 * @param file - file name for errors
 * @param quotes - honour CSV double quotes
 * @param trailing - `"strip"`: the format ends rows with a separator, so an empty last field is dropped (EC-Lab, Maccor);
 *   `"extra"`: an empty extra field after `columns` fields is accepted (CSV)
 * @throws ParseError on a row with the wrong number of fields or an unreadable field
 */
export function readDelimitedRows(
  cursor: LineCursor,
  pipeline: { src: Float64Array[]; n: number; commitRow(): void },
  parser: TextRowParser,
  separator: string,
  columns: number,
  file: string,
  quotes = false,
  trailing: "strip" | "extra" = "extra",
): void {
  const fields = new FieldSplitter(separator.charCodeAt(0));
  const strip = trailing === "strip";
  while (cursor.next()) {
    const buf = cursor.buf;
    let a = cursor.start;
    const b = cursor.end;
    while (a < b && isSpace(buf[a])) a++;
    if (a === b) continue;
    let count = fields.split(buf, cursor.start, b, quotes);
    if ((strip ? count > 1 : count === columns + 1) && fields.starts[count - 1] === fields.ends[count - 1]) count--;
    if (count !== columns) throw new ParseError(file, `expected ${columns} fields separated by ${JSON.stringify(separator)}, found ${count}`, { line: cursor.lineNo });
    parser.parse(buf, fields, pipeline.src, pipeline.n, cursor.lineNo);
    pipeline.commitRow();
  }
}
