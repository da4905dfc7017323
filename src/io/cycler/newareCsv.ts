/**
 * @module io/cycler/newareCsv
 * Neware BTS "regular export" CSV: three nested header levels.
 * Line 1 is the cycle header (`Cycle Index, Chg. Cap.(Ah), …`), line 2 the step
 * header (empty field, `Step Index, Step Number, Step Type, …`), line 3 the
 * record header (two empty fields, `DataPoint, Time, Total Time, Current(A),
 * Voltage(V), Capacity(Ah), Energy(Wh), Date, …`). A data line is a cycle row
 * when field 0 is non-empty, a step row when field 0 is empty and field 1 is
 * not, else a record row. The first cycle row may also carry the first step in
 * the fields after the cycle header's.
 *
 * Units from the names (`Current(A)` or `Current(mA)`; `?` stands for a lost
 * degree sign); times `HH:MM:SS` with hours > 24. Current sign:
 * `"charge-positive"`. In the step table, `Step Index` is the program step
 * (→ `step_id`, repeats) and `Step Number` counts step executions
 * (→ `step_count`). Record `Capacity`/`Energy` are per step and unsigned: they
 * become step capacities signed by the step type, and cumulative-within-cycle
 * capacities are rebuilt. Cycle-row summaries go to `metadata.cycles`.
 * `Date` is local time; `startTime` = first `Date` − first `Total Time`.
 * Source columns: the record columns plus `Cycle Index`, `Step Index`,
 * `Step Number` and `Step Type` (the {@link STEP_TYPE_CODE} code) of each record.
 */
import { ParseError } from "../../core/errors.ts";
import { CycleCapacityAccumulator, Pipeline, STEP_TYPE_CODE, linearMapper } from "./cyclerTable.ts";
import type { LinearOutput, ReadContext, StepTypeName } from "./cyclerTable.ts";
import type { ByteSource } from "./byteSource.ts";
import { uniqueNames } from "./biologic.ts";
import {
  DEFAULT_CHUNK_BYTES, FieldKind, FieldSplitter, LineCursor, TextRowParser, UNIT_SCALE, formatLocalIso, nameAndUnit,
  numberStatus, parseDecimal, parseDuration, slice, splitHeaderLine,
} from "./textScan.ts";

/** Neware step names (lower case, without spaces and dots) → step type. */
const NEWARE_STEPS: Readonly<Record<string, StepTypeName>> = {
  rest: "REST", ccchg: "CC_CHG", ccdchg: "CC_DCH", cvchg: "CV_CHG", cvdchg: "CV_DCH", cccvchg: "CCCV_CHG",
  cccvdchg: "CCCV_DCH", cpchg: "CHG", cpdchg: "DCH", crdchg: "DCH", chg: "CHG", dchg: "DCH",
};

function stepCode(text: string, ctx: ReadContext): number {
  const key = text.toLowerCase().replace(/[\s._-]+/g, "");
  const type = NEWARE_STEPS[key];
  if (type === undefined) {
    ctx.warnings.add(`unknown Neware step type ${JSON.stringify(text.slice(0, 40))}: step_type UNKNOWN`);
    return STEP_TYPE_CODE.UNKNOWN;
  }
  return STEP_TYPE_CODE[type];
}

function direction(code: number): number {
  switch (code) {
    case STEP_TYPE_CODE.CC_CHG:
    case STEP_TYPE_CODE.CV_CHG:
    case STEP_TYPE_CODE.CCCV_CHG:
    case STEP_TYPE_CODE.CHG:
      return 1;
    case STEP_TYPE_CODE.CC_DCH:
    case STEP_TYPE_CODE.CV_DCH:
    case STEP_TYPE_CODE.CCCV_DCH:
    case STEP_TYPE_CODE.DCH:
      return -1;
    default:
      return 0;
  }
}

/** Summary of one cycle row (units from the cycle header). */
export interface NewareCycleSummary {
  cycle: number;
  [field: string]: number;
}

/**
 * Reads a Neware regular-export CSV into a {@link Pipeline} (rows committed, not finished).
 *
 * @param source - the file's bytes
 * @param ctx - read context
 * @returns the pipeline holding the record rows
 * @throws ParseError on missing header levels, a missing time/voltage/current column, or a malformed row
 */
export function readNewareCsv(source: ByteSource, ctx: ReadContext): Pipeline {
  const file = ctx.file;
  const cursor = new LineCursor(source, file, ctx.options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  const headers: string[][] = [];
  for (let k = 0; k < 3; k++) {
    if (!cursor.next()) throw new ParseError(file, `file ends in the three-line Neware header`, { line: k + 1 });
    headers.push(splitHeaderLine(cursor.line(), ","));
  }
  const [cycleHeader, stepHeader, recordHeader] = headers;
  if (cycleHeader[0] !== "Cycle Index") throw new ParseError(file, `expected the cycle header 'Cycle Index,…', found ${JSON.stringify(cycleHeader.slice(0, 3).join(","))}`, { line: 1 });
  if (stepHeader[0] !== "" || stepHeader.length < 4) throw new ParseError(file, `expected the step header ',Step Index,Step Number,Step Type,…'`, { line: 2 });
  if (recordHeader[0] !== "" || recordHeader[1] !== "" || recordHeader.length < 4) throw new ParseError(file, `expected the record header ',,DataPoint,…'`, { line: 3 });
  const recordNames = uniqueNames(recordHeader.slice(2));
  const names = [...recordNames, "Cycle Index", "Step Index", "Step Number", "Step Type"];
  const [CYCLE, STEP_ID, STEP_NUMBER, STEP_TYPE] = [recordNames.length, recordNames.length + 1, recordNames.length + 2, recordNames.length + 3];
  const kinds: FieldKind[] = recordNames.map(() => FieldKind.Number);
  const linear: LinearOutput[] = [];
  const used = new Set<string>();
  let capacityCol = -1;
  let capacityScale = 1;
  let energyCol = -1;
  let energyScale = 1;
  let dateCol = -1;
  let totalCol = -1;
  recordNames.forEach((name, j) => {
    const { key, unit } = nameAndUnit(name);
    const scale = UNIT_SCALE[unit];
    const take = (out: string): void => {
      if (used.has(out)) return;
      if (scale === undefined) throw new ParseError(file, `record column ${JSON.stringify(name)}: unknown unit ${JSON.stringify(unit)}`, { line: 3 });
      used.add(out);
      linear.push({ out, src: j, scale });
    };
    switch (key) {
      case "datapoint":
        take("record_index");
        break;
      case "time":
        kinds[j] = FieldKind.Duration;
        take("step_time_second");
        break;
      case "total_time":
        kinds[j] = FieldKind.Duration;
        totalCol = j;
        take("test_time_second");
        break;
      case "current":
        take("current_ampere");
        break;
      case "voltage":
        take("voltage_volt");
        break;
      case "power":
        take("power_watt");
        break;
      case "t1":
        take("temperature_t1_celsius");
        break;
      case "capacity":
        capacityCol = j;
        capacityScale = scale ?? 1;
        break;
      case "energy":
        energyCol = j;
        energyScale = scale ?? 1;
        break;
      case "date":
        kinds[j] = FieldKind.DateTime;
        dateCol = j;
        break;
    }
  });
  for (const required of ["test_time_second", "voltage_volt", "current_ampere"]) {
    if (!used.has(required)) throw new ParseError(file, `no record column for ${required} (record columns: ${recordNames.join(", ")})`, { line: 3 });
  }
  linear.push({ out: "cycle_count", src: CYCLE }, { out: "step_id", src: STEP_ID }, { out: "step_count", src: STEP_NUMBER }, { out: "step_type", src: STEP_TYPE });
  const outputs: string[] = [];
  const needs: number[] = [CYCLE, STEP_NUMBER, STEP_TYPE];
  if (capacityCol >= 0) {
    outputs.push("step_charging_capacity_ah", "step_discharging_capacity_ah", "cycle_charging_capacity_ah", "cycle_discharging_capacity_ah");
    needs.push(capacityCol);
  }
  if (energyCol >= 0) {
    outputs.push("cycle_charging_energy_wh", "cycle_discharging_energy_wh");
    needs.push(energyCol);
  }
  if (dateCol >= 0) needs.push(dateCol, totalCol);
  const capacity = new CycleCapacityAccumulator();
  const energy = new CycleCapacityAccumulator();
  let startLocal: number | undefined;
  const mapper = linearMapper(linear, {
    outputs,
    needs,
    map(src, n, out) {
      if (startLocal === undefined && dateCol >= 0) startLocal = src[dateCol][0] - src[totalCol][0];
      let k = 0;
      const cyc = src[CYCLE];
      const stepNumber = src[STEP_NUMBER];
      const type = src[STEP_TYPE];
      if (capacityCol >= 0) {
        const c = src[capacityCol];
        for (let i = 0; i < n; i++) {
          const d = direction(type[i]);
          const value = Math.abs(c[i] * capacityScale);
          out[0][i] = d > 0 ? value : 0;
          out[1][i] = d < 0 ? value : 0;
          const [charged, discharged] = capacity.push(cyc[i], stepNumber[i], d, value);
          out[2][i] = charged;
          out[3][i] = discharged;
        }
        k = 4;
      }
      if (energyCol >= 0) {
        const e = src[energyCol];
        for (let i = 0; i < n; i++) {
          const [charged, discharged] = energy.push(cyc[i], stepNumber[i], direction(type[i]), e[i] * energyScale);
          out[k][i] = charged;
          out[k + 1][i] = discharged;
        }
      }
    },
  });
  ctx.currentSource = "charge-positive";
  ctx.metadata.sourceColumnNames = names;
  const pipeline = new Pipeline(ctx, names, mapper);
  pipeline.dataStartByte = cursor.byteEnd;
  pipeline.bytePosition = () => cursor.byteEnd;
  ctx.afterFinish.push(() => {
    if (startLocal !== undefined && Number.isFinite(startLocal)) ctx.startTime = formatLocalIso(startLocal, ctx.options.utcOffsetMinutes);
    else ctx.warnings.add("no record Date column: the file has no absolute start time");
  });
  const parser = new TextRowParser(file, kinds.map((k, j) => (pipeline.need[j] ? k : FieldKind.Skip)), recordNames, 2);

  const cycleScales = cycleHeader.map((name) => {
    const { key, unit } = nameAndUnit(name);
    return { key, scale: UNIT_SCALE[unit] ?? 1, isTime: /time/.test(key) };
  });
  const cycles: NewareCycleSummary[] = [];
  const fields = new FieldSplitter(44);
  let cycle = NaN;
  let stepId = NaN;
  let stepNumber = NaN;
  let stepType: number = STEP_TYPE_CODE.UNKNOWN;
  let stepRows = 0;
  const number = (buf: Uint8Array, a: number, b: number, what: string, duration = false): number => {
    numberStatus.ok = true;
    const v = duration ? parseDuration(buf, a, b) : parseDecimal(buf, a, b);
    if (!numberStatus.ok) throw new ParseError(file, `${what}: cannot read ${JSON.stringify(slice(buf, a, Math.min(b, a + 40)))}`, { line: cursor.lineNo });
    return v;
  };
  const readStep = (buf: Uint8Array, first: number): void => {
    if (fields.count < first + 3) throw new ParseError(file, "step row without Step Index, Step Number and Step Type", { line: cursor.lineNo });
    stepId = number(buf, fields.starts[first], fields.ends[first], "Step Index");
    stepNumber = number(buf, fields.starts[first + 1], fields.ends[first + 1], "Step Number");
    stepType = stepCode(slice(buf, fields.starts[first + 2], fields.ends[first + 2]).trim(), ctx);
    stepRows++;
  };
  const recordFields = recordHeader.length;
  const src = pipeline.src;
  while (cursor.next()) {
    const text = cursor.buf;
    const a = cursor.start;
    const b = cursor.end;
    let c = a;
    while (c < b && (text[c] === 32 || text[c] === 9)) c++;
    if (c === b) continue;
    let count = fields.split(text, a, b);
    if (fields.ends[0] > fields.starts[0]) {
      // cycle row
      cycle = number(text, fields.starts[0], fields.ends[0], "Cycle Index");
      const summary: NewareCycleSummary = { cycle };
      for (let k = 1; k < Math.min(count, cycleHeader.length); k++) {
        const info = cycleScales[k];
        summary[cycleHeader[k]] = number(text, fields.starts[k], fields.ends[k], cycleHeader[k], info.isTime) * (info.isTime ? 1 : info.scale);
      }
      cycles.push(summary);
      if (count > cycleHeader.length + 2) readStep(text, cycleHeader.length);
      continue;
    }
    if (count > 1 && fields.ends[1] > fields.starts[1]) {
      readStep(text, 1);
      continue;
    }
    if (count === recordFields + 1 && fields.starts[count - 1] === fields.ends[count - 1]) count--;
    if (count !== recordFields) throw new ParseError(file, `record row: expected ${recordFields} fields, found ${count}`, { line: cursor.lineNo });
    const row = pipeline.n;
    parser.parse(text, fields, src, row, cursor.lineNo);
    src[CYCLE][row] = cycle;
    src[STEP_ID][row] = stepId;
    src[STEP_NUMBER][row] = stepNumber;
    src[STEP_TYPE][row] = stepType;
    pipeline.commitRow();
  }
  ctx.metadata.cycles = cycles;
  ctx.metadata.cycleRows = cycles.length;
  ctx.metadata.stepRows = stepRows;
  return pipeline;
}
