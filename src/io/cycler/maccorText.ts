/**
 * @module io/cycler/maccorText
 * Maccor text export (`.NNN`, e.g. `.052`): tab separated, CRLF, a metadata
 * line (`Today's Date … Date of Test: … Filename: … Procedure: …
 * Comment/Barcode: …`; some variants have up to a dozen preamble lines), then
 * the header `Rec#, Cyc#, Step, Test (Sec), Step (Sec), Amp-hr, Watt-hr, Amps,
 * Volts, State, ES, DPt Time, …` and rows with a trailing tab.
 *
 * Units: s, Ah, Wh, A, V. Test and step times may be written as
 * `0d 00:00:01.0000`; decimal commas are accepted; `N/A` (waveform columns) is
 * NaN. `State` (C charge, D discharge, R rest, O other, …) gives the direction:
 * the table's current is +|Amps| in C, −|Amps| in D and Amps otherwise, so
 * signed and unsigned exports give the same table (`"charge-positive"`).
 * `Amp-hr`/`Watt-hr` are per step and unsigned: they become
 * `step_charging_capacity_ah` / `step_discharging_capacity_ah` (and energies),
 * and cumulative-within-cycle capacities are rebuilt (a new step starts when
 * `Step` changes, after an end-of-step row (`ES` ≥ 128), or when `Amp-hr`
 * falls; the totals reset when `Cyc#` changes). In the source columns, `State`
 * is stored as the character code of its first letter. `DPt Time` is local
 * time; `startTime` = first `DPt Time` − first `Test (Sec)` (1 s resolution).
 */
import { ParseError } from "../../core/errors.ts";
import { CycleCapacityAccumulator, Pipeline, STEP_TYPE_CODE, linearMapper } from "./cyclerTable.ts";
import type { LinearOutput, ReadContext } from "./cyclerTable.ts";
import type { ByteSource } from "./byteSource.ts";
import { uniqueNames } from "./biologic.ts";
import { DEFAULT_CHUNK_BYTES, FieldKind, LineCursor, TextRowParser, decodeHeaderText, formatLocalIso, readDelimitedRows, splitHeaderLine } from "./textScan.ts";

/** Preamble lines searched for the `Rec#` header. */
const MAX_PREAMBLE_LINES = 64;

/**
 * Reads a Maccor text export into a {@link Pipeline} (rows committed, not finished).
 *
 * @param source - the file's bytes
 * @param ctx - read context
 * @returns the pipeline holding the rows
 * @throws ParseError when no `Rec#` header is found, a required column is missing, or a row is malformed
 */
export function readMaccorText(source: ByteSource, ctx: ReadContext): Pipeline {
  const file = ctx.file;
  const cursor = new LineCursor(source, file, ctx.options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  const preamble: string[] = [];
  let names: string[] | undefined;
  while (cursor.next()) {
    const line = cursor.line();
    if (/^Rec#\t/.test(line)) {
      names = uniqueNames(splitHeaderLine(line, "\t"));
      break;
    }
    preamble.push(decodeHeaderText(line));
    if (cursor.lineNo >= MAX_PREAMBLE_LINES) break;
  }
  if (!names) throw new ParseError(file, `no Maccor header line starting with 'Rec#<TAB>' in the first ${MAX_PREAMBLE_LINES} lines`, { line: cursor.lineNo });
  describePreamble(preamble, ctx);
  const index = (name: string): number => names.indexOf(name);
  const col = {
    rec: index("Rec#"), cycle: index("Cyc#"), step: index("Step"), test: index("Test (Sec)"), stepTime: index("Step (Sec)"),
    ah: index("Amp-hr"), wh: index("Watt-hr"), amps: index("Amps"), volts: index("Volts"), state: index("State"),
    es: index("ES"), date: index("DPt Time"), acImp: index("ACImp/Ohms"), dcir: index("DCIR/Ohms"),
  };
  for (const [key, name] of [["test", "Test (Sec)"], ["volts", "Volts"], ["amps", "Amps"]] as const) {
    if (col[key] < 0) throw new ParseError(file, `no ${JSON.stringify(name)} column (columns: ${names.join(", ")})`, { line: cursor.lineNo });
  }
  const kinds: FieldKind[] = names.map(() => FieldKind.Number);
  if (col.test >= 0) kinds[col.test] = FieldKind.Duration;
  if (col.stepTime >= 0) kinds[col.stepTime] = FieldKind.Duration;
  if (col.date >= 0) kinds[col.date] = FieldKind.DateTime;
  if (col.state >= 0) kinds[col.state] = FieldKind.Code;

  const linear: LinearOutput[] = [
    { out: "test_time_second", src: col.test },
    { out: "voltage_volt", src: col.volts },
  ];
  if (col.rec >= 0) linear.push({ out: "record_index", src: col.rec });
  if (col.cycle >= 0) linear.push({ out: "cycle_count", src: col.cycle });
  if (col.step >= 0) linear.push({ out: "step_id", src: col.step });
  if (col.stepTime >= 0) linear.push({ out: "step_time_second", src: col.stepTime });
  if (col.acImp >= 0) linear.push({ out: "ac_internal_resistance_ohm", src: col.acImp });
  if (col.dcir >= 0) linear.push({ out: "dc_internal_resistance_ohm", src: col.dcir });
  const outputs = ["current_ampere"];
  const needs = [col.amps];
  const hasState = col.state >= 0;
  if (hasState) {
    outputs.push("step_type");
    needs.push(col.state);
  }
  const capacities = hasState && col.ah >= 0;
  if (capacities) {
    outputs.push("step_charging_capacity_ah", "step_discharging_capacity_ah", "cycle_charging_capacity_ah", "cycle_discharging_capacity_ah");
    needs.push(col.ah);
    if (col.cycle >= 0) needs.push(col.cycle);
    if (col.step >= 0) needs.push(col.step);
    if (col.es >= 0) needs.push(col.es);
  }
  const energies = hasState && col.wh >= 0;
  if (energies) {
    outputs.push("cycle_charging_energy_wh", "cycle_discharging_energy_wh");
    needs.push(col.wh);
  }
  if (col.date >= 0) needs.push(col.date);
  const C = 67;
  const D = 68;
  const R = 82;
  const capacity = new CycleCapacityAccumulator();
  const energy = new CycleCapacityAccumulator();
  let execution = 0;
  let previousStep = NaN;
  let previousEs = 0;
  let startLocal: number | undefined;
  const mapper = linearMapper(linear, {
    outputs,
    needs,
    map(src, n, out) {
      const amps = src[col.amps];
      const state = hasState ? src[col.state] : undefined;
      if (startLocal === undefined && col.date >= 0) startLocal = src[col.date][0] - src[col.test][0];
      const current = out[0];
      for (let i = 0; i < n; i++) {
        const s = state ? state[i] : NaN;
        current[i] = s === C ? Math.abs(amps[i]) : s === D ? -Math.abs(amps[i]) : amps[i];
      }
      if (!state) return;
      const type = out[1];
      for (let i = 0; i < n; i++) {
        const s = state[i];
        type[i] = s === C ? STEP_TYPE_CODE.CHG : s === D ? STEP_TYPE_CODE.DCH : s === R ? STEP_TYPE_CODE.REST : STEP_TYPE_CODE.UNKNOWN;
      }
      if (!capacities) return;
      const ah = src[col.ah];
      const cyc = col.cycle >= 0 ? src[col.cycle] : undefined;
      const stp = col.step >= 0 ? src[col.step] : undefined;
      const es = col.es >= 0 ? src[col.es] : undefined;
      const wh = energies ? src[col.wh] : undefined;
      for (let i = 0; i < n; i++) {
        const step = stp ? stp[i] : 0;
        if (!Object.is(step, previousStep) || previousEs >= 128) execution++;
        previousStep = step;
        previousEs = es ? es[i] : 0;
        const s = state[i];
        const direction = s === C ? 1 : s === D ? -1 : 0;
        const cycle = cyc ? cyc[i] : 0;
        const value = Math.abs(ah[i]);
        out[2][i] = direction > 0 ? value : 0;
        out[3][i] = direction < 0 ? value : 0;
        const [charged, discharged] = capacity.push(cycle, execution, direction, ah[i]);
        out[4][i] = charged;
        out[5][i] = discharged;
        if (wh) {
          const [ec, ed] = energy.push(cycle, execution, direction, wh[i]);
          out[6][i] = ec;
          out[7][i] = ed;
        }
      }
    },
  });
  ctx.metadata.sourceColumnNames = names;
  ctx.currentSource = "charge-positive";
  const pipeline = new Pipeline(ctx, names, mapper);
  pipeline.dataStartByte = cursor.byteEnd;
  pipeline.bytePosition = () => cursor.byteEnd;
  ctx.afterFinish.push(() => {
    if (startLocal !== undefined) {
      ctx.startTime = formatLocalIso(startLocal, ctx.options.utcOffsetMinutes);
      ctx.metadata.startTimeResolution_s = 1;
    } else ctx.warnings.add("no 'DPt Time' column: the file has no absolute start time");
  });
  const parser = new TextRowParser(file, kinds.map((k, j) => (pipeline.need[j] ? k : FieldKind.Skip)), names);
  if (col.state >= 0) parser.codes[col.state] = (text) => (text.length > 0 ? text.charCodeAt(0) : NaN);
  readDelimitedRows(cursor, pipeline, parser, "\t", names.length, file);
  return pipeline;
}

function describePreamble(lines: readonly string[], ctx: ReadContext): void {
  // regexes on bounded text: a junk preamble line can be megabytes long
  const text = lines.map((l) => l.slice(0, 2000)).join("\n");
  const grab = (re: RegExp): string | undefined => re.exec(text)?.[1]?.trim();
  const info: Record<string, string> = {};
  const entries: [string, RegExp][] = [
    ["dateOfTest", /Date of Test:\s*([^\t\n]+)/],
    ["filename", /Filename:\s*(.+?)(?=\s+Procedure:|\t|\n|$)/],
    ["procedure", /Procedure:\s*([^\t\n]+)/],
    ["comment", /Comment\/Barcode:\s*([^\t\n]*)/],
  ];
  for (const [key, re] of entries) {
    const value = grab(re);
    if (value !== undefined) info[key] = value;
  }
  ctx.metadata.preamble = lines.slice();
  ctx.metadata.maccor = info;
}
