/**
 * @module io/cycler/biologicMpr
 * BioLogic EC-Lab binary file (`.mpr`), little-endian, walked module by module
 * through each module's length field (never by searching for `MODULE`, which
 * can occur inside data).
 *
 * File: 52-byte header `BIO-LOGIC MODULAR FILE\x1a` (space padded to 48) + 4
 * zero bytes, then modules `MODULE` + header + body:
 * - old header (EC-Lab ≤ 11.4x, 51 bytes): short name char[10], long name
 *   char[25], length u32, version u32, date char[8];
 * - new header (≥ 11.50, 59 bytes; header bytes 35..38 = `FF FF FF FF`):
 *   short name, long name, max_length u32, length u32, version u32, newver u32, date.
 *
 * Data module (`VMP data`): n_points u32 @0, n_columns u8 @4, then the column
 * ids and the packed records:
 * - old header, version 2 / 3: u16 LE ids @5, records @405 / @406;
 * - old header, version 0 (very old): u8 ids @5, records @100;
 * - new header: u16 LE ids @6, records @1007 (0x3EF). The reference notes
 *   describe this as big-endian u16 @5, which reads the same bytes and agrees
 *   for ids < 256 but not for larger ids: `d3 01` after `00` is 467 (LE @6,
 *   "Q charge/discharge", as in the old-layout files) rather than 211 (BE @5).
 *   Both name and type agree through the `id mod 256` fallback, so either
 *   reading decodes the fixtures identically; LE @6 is the consistent one.
 * Record fields follow the id order with the types of {@link MPR_COLUMNS}, except
 * that all flag ids (1, 2, 3, 21, 31, 65) share one u8 placed where the first
 * flag id appears. n_points × record size must equal the bytes after the ids.
 * Unknown ids (neither in the table nor by `id mod 256`) fail loudly, naming the
 * id and the preceding column: a wrong size would corrupt every later field.
 *
 * Flags byte: mode = bits 0–1 (1 CC, 2 CV, 3 rest), ox/red = 0x04, error = 0x08,
 * control changes = 0x10, Ns changes = 0x20, counter inc. = 0x80.
 *
 * Other modules: `VMP Set` (technique id byte 0, a few Pascal strings and f32
 * values), `VMP LOG` (OLE Automation start date f64 @0x249, local time; channel,
 * EC-Lab version, device S/N), `VMP loop` (u32 count + u32 start indexes).
 * Source columns keep EC-Lab names and units (mA, mA·h); the table is in A, Ah.
 */
import { ParseError } from "../../core/errors.ts";
import { Pipeline } from "./cyclerTable.ts";
import type { ReadContext } from "./cyclerTable.ts";
import type { ByteSource } from "./byteSource.ts";
import { biologicMapper, uniqueNames } from "./biologic.ts";
import { formatLocalIso, latin1 } from "./textScan.ts";

/** Field types of `.mpr` records. */
export type MprType = "f32" | "f64" | "u8" | "u16" | "u32" | "flag";

/** Column ids known to the reader: name and record type. */
export const MPR_COLUMNS: ReadonlyMap<number, { name: string; type: MprType }> = new Map<number, { name: string; type: MprType }>(
  (
    [
      [1, "mode", "flag"], [2, "ox/red", "flag"], [3, "error", "flag"], [21, "control changes", "flag"],
      [31, "Ns changes", "flag"], [65, "counter inc.", "flag"],
      [4, "time/s", "f64"], [5, "control/V/mA", "f32"], [6, "Ewe/V", "f32"], [7, "dq/mA.h", "f64"], [8, "I/mA", "f32"],
      [9, "Ece/V", "f32"], [11, "<I>/mA", "f64"], [13, "(Q-Qo)/mA.h", "f64"], [16, "Analog IN 1/V", "f32"],
      [17, "Analog IN 2/V", "f32"], [19, "control/V", "f32"], [20, "control/mA", "f32"], [23, "dQ/mA.h", "f64"],
      [24, "cycle number", "f64"], [26, "Rapp/Ohm", "f32"], [27, "Ewe-Ece/V", "f32"], [32, "freq/Hz", "f32"],
      [33, "|Ewe|/V", "f32"], [34, "|I|/A", "f32"], [35, "Phase(Z)/deg", "f32"], [36, "|Z|/Ohm", "f32"],
      [37, "Re(Z)/Ohm", "f32"], [38, "-Im(Z)/Ohm", "f32"], [39, "I Range", "u16"], [69, "R/Ohm", "f32"], [70, "P/W", "f32"],
      [74, "|Energy|/W.h", "f64"], [76, "<I>/mA", "f32"], [77, "<Ewe>/V", "f32"], [96, "|Ece|/V", "f32"],
      [98, "Phase(Zce)/deg", "f32"], [99, "|Zce|/Ohm", "f32"], [100, "Re(Zce)/Ohm", "f32"], [101, "-Im(Zce)/Ohm", "f32"],
      [123, "Energy charge/W.h", "f64"], [124, "Energy discharge/W.h", "f64"], [125, "Capacitance charge/µF", "f64"],
      [126, "Capacitance discharge/µF", "f64"], [131, "Ns", "u16"], [169, "Cs/µF", "f32"], [172, "Cp/µF", "f32"],
      [174, "<Ewe>/V", "f32"], [178, "(Q-Qo)/C", "f32"], [179, "dQ/C", "f32"], [211, "Q charge/discharge/mA.h", "f64"],
      [212, "half cycle", "u32"], [213, "z cycle", "u32"],
      [217, "THD Ewe/%", "f32"], [218, "THD I/%", "f32"], [220, "NSD Ewe/%", "f32"], [221, "NSD I/%", "f32"],
      [223, "NSR Ewe/%", "f32"], [224, "NSR I/%", "f32"],
      [230, "|Ewe h2|/V", "f32"], [231, "|Ewe h3|/V", "f32"], [232, "|Ewe h4|/V", "f32"], [233, "|Ewe h5|/V", "f32"],
      [234, "|Ewe h6|/V", "f32"], [235, "|Ewe h7|/V", "f32"], [236, "|I h2|/A", "f32"], [237, "|I h3|/A", "f32"],
      [238, "|I h4|/A", "f32"], [239, "|I h5|/A", "f32"], [240, "|I h6|/A", "f32"], [241, "|I h7|/A", "f32"],
      [434, "(Q-Qo)/C", "f32"], [435, "dQ/C", "f32"], [438, "step time/s", "f64"], [462, "Temperature/°C", "f32"],
      [467, "Q charge/discharge/mA.h", "f64"], [468, "half cycle", "u32"], [469, "z cycle", "u32"],
      [498, "Q charge/mA.h", "f64"], [499, "Q discharge/mA.h", "f64"], [500, "step time/s", "f64"],
      [501, "Efficiency/%", "f64"], [502, "Capacity/mA.h", "f64"], [505, "Rdc/Ohm", "f32"], [509, "Acir/Dcir Control", "u8"],
    ] as [number, string, MprType][]
  ).map(([id, name, type]) => [id, { name, type }]),
);

/** Bit masks of the flag columns in the shared flags byte. */
const FLAG_MASKS: ReadonlyMap<number, number> = new Map([[1, 0x03], [2, 0x04], [3, 0x08], [21, 0x10], [31, 0x20], [65, 0x80]]);
const FLAG_SHIFTS: ReadonlyMap<number, number> = new Map([[1, 0], [2, 2], [3, 3], [21, 4], [31, 5], [65, 7]]);
const TYPE_SIZE: Record<MprType, number> = { f32: 4, f64: 8, u8: 1, u16: 2, u32: 4, flag: 1 };

/** Technique ids of the settings module (byte 0). */
const TECHNIQUES: Record<number, string> = {
  0x04: "GCPL", 0x06: "CV", 0x30: "CV", 0x0b: "OCV", 0x16: "MP", 0x18: "CA", 0x19: "CP", 0x1c: "WAIT", 0x1d: "PEIS",
  0x1e: "GEIS", 0x32: "ZIR", 0x33: "CVA", 0x6c: "LSV", 0x75: "coV", 0x76: "coC", 0x77: "GCPL", 0x7f: "MB", 0x88: "BCD",
};

const MAGIC = "BIO-LOGIC MODULAR FILE\x1a";
const FILE_HEADER_BYTES = 52;
/** Records read per block. */
const BLOCK_BYTES = 1 << 20;

interface ModuleInfo {
  shortName: string;
  longName: string;
  newLayout: boolean;
  version: number;
  newVersion: number | undefined;
  date: string;
  bodyStart: number;
  length: number;
  offset: number;
}

/** Resolves a column id: the table, else `id mod 256`. */
function lookup(id: number): { name: string; type: MprType } | undefined {
  return MPR_COLUMNS.get(id) ?? MPR_COLUMNS.get(id % 256);
}

/**
 * Reads an `.mpr` file into a {@link Pipeline} (rows committed, not finished).
 *
 * @param source - the file's bytes (read in blocks; the file is never held whole)
 * @param ctx - read context; receives metadata, warnings and the start time
 * @returns the pipeline holding the rows
 * @throws ParseError on a bad magic, a module running past the end of the file,
 *   an unknown column id (naming it), or a record count that does not fit the module
 */
export function readBiologicMpr(source: ByteSource, ctx: ReadContext): Pipeline {
  const file = ctx.file;
  const head = source.read(0, FILE_HEADER_BYTES);
  if (head.length < FILE_HEADER_BYTES || latin1(head.subarray(0, MAGIC.length)) !== MAGIC) {
    throw new ParseError(file, "not a BioLogic .mpr file: expected 'BIO-LOGIC MODULAR FILE' at the start", { offset: 0 });
  }
  const modules = walkModules(source, file);
  const data = modules.find((m) => m.shortName === "VMP data");
  if (!data) throw new ParseError(file, `no 'VMP data' module (modules: ${modules.map((m) => m.shortName).join(", ") || "none"})`, { offset: FILE_HEADER_BYTES });
  ctx.currentSource = "anodic-positive";
  ctx.metadata.modules = modules.map((m) => ({ name: m.shortName, longName: m.longName, layout: m.newLayout ? "new" : "old", version: m.version, newVersion: m.newVersion, date: m.date, length: m.length }));
  let technique = "";
  const settings = modules.find((m) => m.shortName === "VMP Set");
  if (settings) technique = readSettings(source, settings, ctx);
  const log = modules.find((m) => m.shortName === "VMP LOG");
  if (log) readLog(source, log, ctx);
  else ctx.warnings.add("no 'VMP LOG' module: the file has no absolute start time");
  const loop = modules.find((m) => m.shortName === "VMP loop");
  if (loop) readLoop(source, loop, ctx);
  return readData(source, data, ctx, /PEIS|GEIS/.test(technique));
}

function walkModules(source: ByteSource, file: string): ModuleInfo[] {
  const modules: ModuleInfo[] = [];
  let offset = FILE_HEADER_BYTES;
  while (offset < source.size) {
    const h = source.read(offset, 6 + 59);
    if (h.length < 6 + 51 || latin1(h.subarray(0, 6)) !== "MODULE") {
      throw new ParseError(file, `expected 'MODULE' and a module header at byte ${offset}${h.length < 57 ? " (file truncated)" : ""}`, { offset });
    }
    const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
    const shortName = latin1(h.subarray(6, 16)).trim();
    const longName = latin1(h.subarray(16, 41)).replace(/\0.*$/s, "").trim();
    const newLayout = view.getUint32(6 + 35, true) === 0xffffffff;
    let length: number;
    let version: number;
    let newVersion: number | undefined;
    let date: string;
    let bodyStart: number;
    if (newLayout) {
      if (h.length < 6 + 59) throw new ParseError(file, `module header at byte ${offset} cut short (file truncated)`, { offset });
      length = view.getUint32(6 + 39, true);
      version = view.getUint32(6 + 43, true);
      newVersion = view.getUint32(6 + 47, true);
      date = latin1(h.subarray(6 + 51, 6 + 59));
      bodyStart = offset + 6 + 59;
    } else {
      length = view.getUint32(6 + 35, true);
      version = view.getUint32(6 + 39, true);
      date = latin1(h.subarray(6 + 43, 6 + 51));
      bodyStart = offset + 6 + 51;
    }
    if (bodyStart + length > source.size) {
      throw new ParseError(file, `module '${shortName}' at byte ${offset} declares ${length} body bytes but only ${source.size - bodyStart} remain (file truncated or corrupt)`, { offset });
    }
    modules.push({ shortName, longName, newLayout, version, newVersion, date: date.replace(/\0/g, "").trim(), bodyStart, length, offset });
    offset = bodyStart + length;
  }
  return modules;
}

function pascal(body: Uint8Array, at: number): string | undefined {
  if (at >= body.length) return undefined;
  const n = body[at];
  if (at + 1 + n > body.length) return undefined;
  return latin1(body.subarray(at + 1, at + 1 + n)).replace(/\0/g, "").trim();
}

function f32At(body: Uint8Array, at: number): number | undefined {
  if (at + 4 > body.length) return undefined;
  return new DataView(body.buffer, body.byteOffset, body.byteLength).getFloat32(at, true);
}

/** Settings module: technique and a few descriptive fields (the protocol itself is not decoded). */
function readSettings(source: ByteSource, m: ModuleInfo, ctx: ReadContext): string {
  const body = source.read(m.bodyStart, Math.min(m.length, 0x1000)).slice();
  if (body.length === 0) return "";
  const id = body[0];
  const technique = TECHNIQUES[id] ?? `unknown (0x${id.toString(16).padStart(2, "0")})`;
  ctx.metadata.technique = technique;
  ctx.metadata.techniqueId = id;
  const startDate = parseModuleDate(m.date);
  if (startDate) ctx.metadata.startDate = startDate;
  const fields: Record<string, unknown> = {
    comments: pascal(body, 0x0007),
    activeMaterialMass: f32At(body, 0x0107),
    electrodeMaterial: pascal(body, 0x011e),
    electrolyte: pascal(body, 0x01c0),
    electrodeArea: f32At(body, 0x0211),
    referenceElectrode: pascal(body, 0x0215),
    characteristicMass: f32At(body, 0x024c),
    batteryCapacity: f32At(body, 0x025c),
  };
  for (const [key, value] of Object.entries(fields)) if (value === undefined || (typeof value === "number" && !Number.isFinite(value))) delete fields[key];
  ctx.metadata.settings = fields;
  return technique;
}

/** `MM/DD/YY` (or `-`, `.`) → `YYYY-MM-DD`. */
function parseModuleDate(date: string): string | undefined {
  const match = /^(\d{2})[/.-](\d{2})[/.-](\d{2})$/.exec(date);
  if (!match) return undefined;
  return `20${match[3]}-${match[1]}-${match[2]}`;
}

/** LOG module: OLE Automation start date (local time), channel, version, serial number. */
function readLog(source: ByteSource, m: ModuleInfo, ctx: ReadContext): void {
  const body = source.read(m.bodyStart, Math.min(m.length, 0x1000)).slice();
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let days: number | undefined;
  for (const at of [0x0249, 465, 469, 473]) {
    if (at + 8 > body.length) continue;
    const v = view.getFloat64(at, true);
    if (v >= 40000 && v <= 50000) {
      days = v;
      break;
    }
  }
  const log: Record<string, unknown> = {};
  if (body.length > 0x09) log.channel = body[0x09];
  const version = pascal(body, 0x03b7);
  if (version) log.ecLabVersion = version;
  const serial = pascal(body, 0x03cf);
  if (serial) log.deviceSerial = serial;
  ctx.metadata.log = log;
  if (days === undefined) {
    ctx.warnings.add("no OLE start date in the LOG module: no absolute start time");
    return;
  }
  // OLE Automation date: days since 1899-12-30, local clock; 25569 days to 1970-01-01
  const localSeconds = (days - 25569) * 86400;
  ctx.metadata.oleStartDays = days;
  ctx.metadata.acquisitionStartLocal = formatLocalIso(localSeconds, undefined);
  ctx.startTime = formatLocalIso(localSeconds, ctx.options.utcOffsetMinutes);
}

/** Loop module: indexes of the first point of each loop (trailing zeros trimmed). */
function readLoop(source: ByteSource, m: ModuleInfo, ctx: ReadContext): void {
  const body = source.read(m.bodyStart, m.length).slice();
  if (body.length < 4) return;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const n = view.getUint32(0, true);
  const count = Math.min(n, Math.floor((body.length - 4) / 4));
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) indexes.push(view.getUint32(4 + 4 * i, true));
  while (indexes.length > 1 && indexes[indexes.length - 1] === 0) indexes.pop();
  ctx.metadata.loopIndexes = indexes;
}

interface Field {
  /** Byte offset inside a record. */
  at: number;
  type: MprType;
  /** Source columns filled from this field (several for the flags byte). */
  columns: { index: number; mask: number; shift: number }[];
}

function readData(source: ByteSource, m: ModuleInfo, ctx: ReadContext, isImpedance: boolean): Pipeline {
  const file = ctx.file;
  const headBytes = source.read(m.bodyStart, Math.min(m.length, 1100)).slice();
  if (headBytes.length < 6) throw new ParseError(file, `'VMP data' module too short (${m.length} bytes)`, { offset: m.bodyStart });
  const view = new DataView(headBytes.buffer, headBytes.byteOffset, headBytes.byteLength);
  const nPoints = view.getUint32(0, true);
  const nColumns = m.newLayout ? view.getUint16(4, true) : headBytes[4];
  let ids: number[];
  let recordsAt: number;
  if (m.newLayout) {
    recordsAt = 0x3ef;
    ids = readIds(headBytes, 6, nColumns, "u16", file, m, recordsAt);
  } else if (m.version === 2 || m.version === 3) {
    recordsAt = m.version === 2 ? 0x195 : 0x196;
    ids = readIds(headBytes, 5, nColumns, "u16", file, m, recordsAt);
  } else if (m.version === 0 && headBytes[5] !== 0) {
    recordsAt = 100;
    ids = readIds(headBytes, 5, nColumns, "u8", file, m, recordsAt);
  } else {
    throw new ParseError(file, `unsupported 'VMP data' module version ${m.version} (old header layout)`, { offset: m.bodyStart });
  }
  // record layout
  const names: string[] = [];
  const fields: Field[] = [];
  let flagsField: Field | undefined;
  let size = 0;
  let previous = "(start of record)";
  const hasEwe = ids.includes(6) || ids.includes(77);
  for (const id of ids) {
    const known = lookup(id);
    if (!known) {
      throw new ParseError(file, `unknown column id ${id} in 'VMP data' (after column ${previous}): its type and size are unknown, so the records cannot be decoded`, { offset: m.bodyStart + (m.newLayout ? 6 : 5) });
    }
    const name = id === 174 && hasEwe ? "Phase(Zwe-ce)/deg" : known.name;
    previous = `"${name}" (id ${id})`;
    if (known.type === "flag") {
      if (!flagsField) {
        flagsField = { at: size, type: "flag", columns: [] };
        fields.push(flagsField);
        size += 1;
      }
      if (!names.includes(name)) {
        flagsField.columns.push({ index: names.length, mask: FLAG_MASKS.get(id % 256) ?? 0, shift: FLAG_SHIFTS.get(id % 256) ?? 0 });
        names.push(name);
      }
      continue;
    }
    fields.push({ at: size, type: known.type, columns: [{ index: names.length, mask: 0, shift: 0 }] });
    names.push(name);
    size += TYPE_SIZE[known.type];
  }
  if (fields.length === 0 || size === 0) throw new ParseError(file, "'VMP data' module declares no columns", { offset: m.bodyStart + 4 });
  if (flagsField) {
    names.push("flags");
    flagsField.columns.push({ index: names.length - 1, mask: 0xff, shift: 0 });
  }
  const remaining = m.length - recordsAt;
  if (remaining < 0 || nPoints * size !== remaining) {
    throw new ParseError(file, `'VMP data' declares ${nPoints} points of ${size} bytes (${nPoints * size} bytes) but ${remaining} bytes follow the column table`, { offset: m.bodyStart });
  }
  const unique = uniqueNames(names);
  ctx.metadata.columnIds = ids;
  ctx.metadata.recordBytes = size;
  ctx.metadata.points = nPoints;
  ctx.metadata.sourceColumnNames = unique;
  const mapper = biologicMapper(unique, ctx, isImpedance && !flagsField);
  const pipeline = new Pipeline(ctx, unique, mapper);
  pipeline.reserve(nPoints);
  const active = fields
    .map((f) => ({ ...f, columns: f.columns.filter((c) => pipeline.need[c.index]) }))
    .filter((f) => f.columns.length > 0);
  const recordsPerBlock = Math.max(1, Math.floor(BLOCK_BYTES / size));
  const src = pipeline.src;
  let position = m.bodyStart + recordsAt;
  for (let done = 0; done < nPoints; ) {
    const count = Math.min(recordsPerBlock, nPoints - done);
    const block = source.read(position, count * size);
    if (block.length < count * size) throw new ParseError(file, "file ends inside the data records", { offset: position + block.length });
    const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
    for (let r = 0; r < count; ) {
      // fill the batch up to its end or the block's end
      const rows = Math.min(count - r, pipeline.batchRows - pipeline.n);
      for (const f of active) decodeField(dv, f, r, rows, size, src, pipeline.n);
      r += rows;
      pipeline.commitRows(rows);
    }
    position += count * size;
    done += count;
  }
  return pipeline;
}

function readIds(bytes: Uint8Array, at: number, n: number, type: "u8" | "u16", file: string, m: ModuleInfo, recordsAt: number): number[] {
  const width = type === "u8" ? 1 : 2;
  if (at + n * width > Math.min(bytes.length, recordsAt)) throw new ParseError(file, `'VMP data' column table (${n} ids) runs past the module`, { offset: m.bodyStart + at });
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push(type === "u8" ? bytes[at + i] : bytes[at + 2 * i] | (bytes[at + 2 * i + 1] << 8));
  return ids;
}

/** Decodes `rows` records (from record `r0` of the block) of one field into the batch, from batch row `out0`. */
function decodeField(dv: DataView, f: Field, r0: number, rows: number, size: number, src: Float64Array[], out0: number): void {
  let p = r0 * size + f.at;
  switch (f.type) {
    case "f64": {
      const o = src[f.columns[0].index];
      for (let i = 0; i < rows; i++, p += size) o[out0 + i] = dv.getFloat64(p, true);
      return;
    }
    case "f32": {
      const o = src[f.columns[0].index];
      for (let i = 0; i < rows; i++, p += size) o[out0 + i] = dv.getFloat32(p, true);
      return;
    }
    case "u16": {
      const o = src[f.columns[0].index];
      for (let i = 0; i < rows; i++, p += size) o[out0 + i] = dv.getUint16(p, true);
      return;
    }
    case "u32": {
      const o = src[f.columns[0].index];
      for (let i = 0; i < rows; i++, p += size) o[out0 + i] = dv.getUint32(p, true);
      return;
    }
    case "u8": {
      const o = src[f.columns[0].index];
      for (let i = 0; i < rows; i++, p += size) o[out0 + i] = dv.getUint8(p);
      return;
    }
    case "flag": {
      for (const c of f.columns) {
        const o = src[c.index];
        let q = p;
        for (let i = 0; i < rows; i++, q += size) o[out0 + i] = (dv.getUint8(q) & c.mask) >> c.shift;
      }
      return;
    }
  }
}
