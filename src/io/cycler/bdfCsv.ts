/**
 * @module io/cycler/bdfCsv
 * Battery Data Format CSV (`.bdf.csv`, `.bdf`): one header row, comma
 * separated, fixed BDF units. Both label styles are accepted: preferred labels
 * `Quantity / unit` (`Test Time / s`, `Cycle Count / 1`) and machine names
 * `quantity_unit` (`test_time_second`). Required: test time, voltage, current.
 * Current sign: BDF's own, positive = charging the test object
 * (`"charge-positive"`).
 *
 * The deprecated label `step_index` (a program step id that may repeat) is
 * read as `step_id`; `step_type` strings become {@link STEP_TYPE_CODE} codes.
 * Other columns are kept under their machine names. `startTime` comes from
 * `unix_time_second` when present (UTC).
 */
import { ParseError } from "../../core/errors.ts";
import { Pipeline, STEP_TYPE_CODE, linearMapper } from "./cyclerTable.ts";
import type { LinearOutput, ReadContext, StepTypeName } from "./cyclerTable.ts";
import type { ByteSource } from "./byteSource.ts";
import { uniqueNames } from "./biologic.ts";
import { DEFAULT_CHUNK_BYTES, FieldKind, LineCursor, TextRowParser, formatUnixIso, readDelimitedRows, splitHeaderLine } from "./textScan.ts";

/** BDF preferred-label units → machine-name suffixes. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  s: "second", v: "volt", a: "ampere", ah: "ah", wh: "wh", w: "watt", degc: "celsius", "°c": "celsius", c: "celsius",
  ohm: "ohm", "ω": "ohm", hz: "hertz", pa: "pa", deg: "degree", "°": "degree", "1": "", "-": "",
};

/**
 * BDF machine name of a header label, or undefined when the label is neither style.
 *
 * @param label - `Test Time / s` or `test_time_second`
 * @returns e.g. `test_time_second`
 */
export function bdfMachineName(label: string): string | undefined {
  const trimmed = label.trim();
  if (/^[a-z][a-z0-9_]*$/.test(trimmed)) return trimmed;
  // split at the last "/" by hand (a regex with a lazy group is quadratic on long junk labels)
  const slash = trimmed.lastIndexOf("/");
  if (slash <= 0) return undefined;
  const unitText = trimmed.slice(slash + 1).trim();
  if (unitText === "" || /\s/.test(unitText)) return undefined;
  const unit = UNIT_WORDS[unitText.toLowerCase()];
  if (unit === undefined) return undefined;
  const quantity = trimmed.slice(0, slash).trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").split("_").filter((w) => w !== "").join("_");
  if (quantity === "") return undefined;
  return unit === "" ? quantity : `${quantity}_${unit}`;
}

/** BDF step-type strings → codes. */
const BDF_STEP_TYPES: Readonly<Record<string, StepTypeName>> = {
  CC_CHG: "CC_CHG", CC_DCH: "CC_DCH", CV_CHG: "CV_CHG", CV_DCH: "CV_DCH", CCCV_CHG: "CCCV_CHG", CCCV_DCH: "CCCV_DCH",
  REST: "REST", OCV: "OCV", EIS: "EIS", CHG: "CHG", DCH: "DCH",
};

/**
 * Reads a BDF CSV into a {@link Pipeline} (rows committed, not finished).
 *
 * @param source - the file's bytes
 * @param ctx - read context
 * @returns the pipeline holding the rows
 * @throws ParseError on a label that is neither BDF style, a missing required column, or a malformed row
 */
export function readBdfCsv(source: ByteSource, ctx: ReadContext): Pipeline {
  const file = ctx.file;
  const cursor = new LineCursor(source, file, ctx.options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  if (!cursor.next()) throw new ParseError(file, "empty file; expected a BDF header row", { line: 1 });
  const labels = splitHeaderLine(cursor.line(), ",");
  const names = uniqueNames(labels);
  const linear: LinearOutput[] = [];
  const kinds: FieldKind[] = [];
  const used = new Set<string>();
  const parserCodes: ((text: string) => number)[] = [];
  labels.forEach((label, j) => {
    let machine = bdfMachineName(label);
    if (machine === undefined) throw new ParseError(file, `column ${j + 1}: ${JSON.stringify(label)} is not a BDF label ('Quantity / unit' or 'quantity_unit')`, { line: 1 });
    if (machine === "step_index") {
      ctx.warnings.add("deprecated BDF label step_index read as step_id");
      machine = "step_id";
    } else if (machine === "cycle_index") machine = "cycle_count";
    kinds.push(machine === "step_type" ? FieldKind.Code : FieldKind.Number);
    parserCodes[j] = (text) => STEP_TYPE_CODE[BDF_STEP_TYPES[text.toUpperCase()] ?? "UNKNOWN"];
    if (used.has(machine)) {
      ctx.warnings.add(`repeated BDF column ${machine}: the first is used`);
      return;
    }
    used.add(machine);
    linear.push({ out: machine, src: j });
  });
  for (const required of ["test_time_second", "voltage_volt", "current_ampere"]) {
    if (!used.has(required)) throw new ParseError(file, `missing required BDF column ${required} (columns: ${labels.join(", ")})`, { line: 1 });
  }
  ctx.metadata.sourceColumnNames = names;
  ctx.metadata.labelStyle = labels.every((l) => /^[a-z][a-z0-9_]*$/.test(l.trim())) ? "machine" : "preferred";
  ctx.currentSource = "charge-positive";
  const unix = linear.find((l) => l.out === "unix_time_second")?.src ?? -1;
  const time = linear.find((l) => l.out === "test_time_second")!.src;
  let start: number | undefined;
  const mapper = linearMapper(linear, {
    outputs: [],
    needs: unix >= 0 ? [unix, time] : [],
    map(src) {
      if (start === undefined && unix >= 0) start = src[unix][0] - src[time][0];
    },
  });
  const pipeline = new Pipeline(ctx, names, mapper);
  pipeline.dataStartByte = cursor.byteEnd;
  pipeline.bytePosition = () => cursor.byteEnd;
  ctx.afterFinish.push(() => {
    if (start !== undefined) ctx.startTime = formatUnixIso(start);
  });
  const parser = new TextRowParser(file, kinds.map((k, j) => (pipeline.need[j] ? k : FieldKind.Skip)), names);
  parser.codes = parserCodes;
  readDelimitedRows(cursor, pipeline, parser, ",", names.length, file, true);
  return pipeline;
}
