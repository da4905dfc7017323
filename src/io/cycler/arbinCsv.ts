/**
 * @module io/cycler/arbinCsv
 * Arbin MITS Pro CSV export of `Channel_Normal_Table`: one header line, comma
 * separated, columns `Data_Point, Test_Time, DateTime, Step_Time, Step_Index,
 * Cycle_Index, Current, Voltage, Charge_Capacity, Discharge_Capacity,
 * Charge_Energy, Discharge_Energy, dV/dt, Internal_Resistance, Temperature`
 * (s, Unix s, A, V, Ah, Wh, V/s, Ω, °C). Names with units in parentheses
 * (`Current(mA)`, `Test_Time(s)`) are converted to BDF units.
 *
 * Current sign: `"charge-positive"`. `Charge_Capacity`/`Discharge_Capacity` are
 * cumulative within a cycle and unsigned (→ `cycle_charging_capacity_ah`,
 * `cycle_discharging_capacity_ah`). Step and cycle columns may be empty in every
 * row; they are then omitted with a warning (segment by current sign instead).
 * `startTime` = first `DateTime` − first `Test_Time` (UTC; a `Date_Time` written
 * as text is local time, shifted by `utcOffsetMinutes` when given). A sibling
 * `<name>_Metadata.csv` is read by `readCyclerFile`, not here.
 */
import { ParseError } from "../../core/errors.ts";
import { Pipeline, linearMapper } from "./cyclerTable.ts";
import type { LinearOutput, ReadContext } from "./cyclerTable.ts";
import type { ByteSource } from "./byteSource.ts";
import { uniqueNames } from "./biologic.ts";
import { DEFAULT_CHUNK_BYTES, FieldKind, LineCursor, TextRowParser, UNIT_SCALE, formatLocalIso, formatUnixIso, nameAndUnit, readDelimitedRows, splitHeaderLine } from "./textScan.ts";

/** Arbin column keys (lower case, unit stripped) → BDF name. */
const ARBIN_COLUMNS: Readonly<Record<string, string>> = {
  data_point: "record_index",
  test_time: "test_time_second",
  datetime: "unix_time_second",
  date_time: "unix_time_second",
  step_time: "step_time_second",
  step_index: "step_id",
  cycle_index: "cycle_count",
  current: "current_ampere",
  voltage: "voltage_volt",
  charge_capacity: "cycle_charging_capacity_ah",
  discharge_capacity: "cycle_discharging_capacity_ah",
  charge_energy: "cycle_charging_energy_wh",
  discharge_energy: "cycle_discharging_energy_wh",
  internal_resistance: "internal_resistance_ohm",
  temperature: "temperature_t1_celsius",
  aux_temperature_1: "temperature_t1_celsius",
};

/**
 * Reads an Arbin CSV export into a {@link Pipeline} (rows committed, not finished).
 *
 * @param source - the file's bytes
 * @param ctx - read context
 * @returns the pipeline holding the rows
 * @throws ParseError on a missing time, voltage or current column, an unknown unit, or a malformed row
 */
export function readArbinCsv(source: ByteSource, ctx: ReadContext): Pipeline {
  const file = ctx.file;
  const cursor = new LineCursor(source, file, ctx.options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  if (!cursor.next()) throw new ParseError(file, "empty file; expected an Arbin CSV header line", { line: 1 });
  const names = uniqueNames(splitHeaderLine(cursor.line(), ","));
  const linear: LinearOutput[] = [];
  const used = new Set<string>();
  const kinds: FieldKind[] = names.map(() => FieldKind.Number);
  let unixIndex = -1;
  let timeIndex = -1;
  names.forEach((name, j) => {
    const { key, unit } = nameAndUnit(name);
    const out = ARBIN_COLUMNS[key];
    if (out === undefined || used.has(out)) return;
    const scale = out === "unix_time_second" ? 1 : UNIT_SCALE[unit];
    if (scale === undefined) throw new ParseError(file, `column ${JSON.stringify(name)}: unknown unit ${JSON.stringify(unit)}`, { line: 1 });
    used.add(out);
    linear.push({ out, src: j, scale });
    if (out === "unix_time_second") {
      kinds[j] = FieldKind.NumberOrDateTime;
      unixIndex = j;
    }
    if (out === "test_time_second") timeIndex = j;
  });
  for (const required of ["test_time_second", "voltage_volt", "current_ampere"]) {
    if (!used.has(required)) throw new ParseError(file, `no column for ${required} (Arbin columns: ${names.join(", ")})`, { line: 1 });
  }
  ctx.metadata.sourceColumnNames = names;
  ctx.currentSource = "charge-positive";
  let firstUnix = NaN;
  let firstTime = NaN;
  let seenFirst = false;
  // DateTime is Unix seconds in Arbin CSV exports; a text date is local time, shifted by utcOffsetMinutes when given
  const offsetSeconds = (ctx.options.utcOffsetMinutes ?? 0) * 60;
  const parser = new TextRowParser(file, kinds.slice(), names);
  const unixLinear = linear.findIndex((l) => l.out === "unix_time_second");
  if (unixLinear >= 0) linear.splice(unixLinear, 1);
  const mapper = linearMapper(linear, {
    outputs: unixIndex >= 0 ? ["unix_time_second"] : [],
    needs: unixIndex >= 0 ? [unixIndex, timeIndex] : [],
    map(src, n, out) {
      if (unixIndex < 0) return;
      const shift = parser.dateTextSeen ? offsetSeconds : 0;
      const u = src[unixIndex];
      for (let i = 0; i < n; i++) out[0][i] = u[i] - shift;
      if (seenFirst) return;
      firstUnix = out[0][0];
      firstTime = src[timeIndex][0];
      seenFirst = true;
    },
  });
  const pipeline = new Pipeline(ctx, names, mapper);
  pipeline.dataStartByte = cursor.byteEnd;
  pipeline.bytePosition = () => cursor.byteEnd;
  ctx.afterFinish.push(() => {
    if (unixIndex < 0) ctx.warnings.add("no DateTime column: the file has no absolute start time");
    else if (parser.dateTextSeen && ctx.options.utcOffsetMinutes === undefined) {
      ctx.warnings.add("DateTime holds local date-time text: unix_time_second assumes UTC (pass utcOffsetMinutes)");
      ctx.startTime = formatLocalIso(firstUnix - firstTime, undefined);
    } else ctx.startTime = formatUnixIso(firstUnix - firstTime);
  });
  names.forEach((_, j) => {
    if (!pipeline.need[j]) parser.kinds[j] = FieldKind.Skip;
  });
  readDelimitedRows(cursor, pipeline, parser, ",", names.length, file, true);
  return pipeline;
}

/**
 * Parses an Arbin `_Metadata.csv` (one header line, one data row, a leading
 * unnamed index column): numbers where a field is numeric, strings otherwise.
 *
 * @param text - the file's text
 * @returns field → value
 */
export function parseArbinMetadata(text: string): Record<string, string | number> {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length < 2) return {};
  const names = splitHeaderLine(lines[0], ",");
  const values = splitHeaderLine(lines[1] + ",", ",");
  const out: Record<string, string | number> = {};
  names.forEach((name, k) => {
    if (name === "" || k >= values.length) return;
    const raw = values[k];
    const number = raw.trim() === "" ? NaN : Number(raw);
    out[name] = Number.isFinite(number) ? number : raw;
  });
  return out;
}
