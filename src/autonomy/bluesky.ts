/**
 * @module autonomy/bluesky
 * Bluesky event-model documents → one reflectivity scan as an ORSO `.ort` text (issue 18, the
 * agent's `tell`). The documents arrive as bluesky's callbacks receive them: `[name, doc]`
 * pairs, `name` one of `start`, `descriptor`, `event`, `event_page`, `stop`.
 *
 * - **RunStart** (`uid`, `time` in s since the epoch, `plan_name`) carries a `strata` key naming
 *   where the scan belongs: `{"strata": {"cell": "A", "spot": "P1", "file": "xrr/A0031.ort",
 *   "scan": "A0031"}}` (`scan` defaults to the file's name without extension; `keys` optionally
 *   maps the columns: `{"Q": "q", "R": "refl", "dR": "refl_err", "dQ": "q_res"}`).
 * - **EventDescriptor** (`uid`, `run_start`, `data_keys`): the stream holding Q and R
 *   (`data_keys[k] = {source, dtype, shape, units}`). Q (and dQ) in `1/angstrom` (Å⁻¹, 1/Å,
 *   A^-1 …) or `1/nm` (converted ×0.1); R and dR dimensionless (`""`, `"1"`, none). A scalar
 *   key (`shape: []`) gives one point per event, as a step scan does; an array key (`shape:
 *   [N]`) gives N points per event.
 * - **Event** (`descriptor`, `seq_num`, `time`, `data`, `timestamps`) and **EventPage** (the same
 *   fields as arrays, one entry per event) give the points, ordered by `seq_num`.
 * - **RunStop** (`run_start`, `time`, `exit_status`): only `"success"` completes a scan;
 *   `"abort"`/`"fail"` (or no stop document) is refused with the reason.
 *
 * Every refusal is one line naming the document (`bluesky[3] (event)`) and the field.
 * The `.ort` text is read back with io/ort before it is returned. It does not carry the run's
 * uid (returned beside it): the same data told twice is the same file, stored once.
 *
 * Units: Q, dQ Å⁻¹ (converted from nm⁻¹); R, dR dimensionless; times s since the epoch
 * (documents) and ISO-8601 UTC (output).
 */
import path from "node:path";
import { ValidationError } from "../core/errors.ts";
import { ortReflectivity, parseOrt, writeOrt } from "../io/ort.ts";
import { STRATA_VERSION } from "../core/version.ts";

/** The RunStart key holding Strata's metadata. */
export const STRATA_START_KEY = "strata";
/** Document names understood. */
export const DOCUMENT_NAMES = ["start", "descriptor", "event", "event_page", "stop"] as const;
/** Column names tried, in order, when the start document's `strata.keys` does not name them. */
export const DEFAULT_KEYS = {
  Q: ["Q", "q", "Qz", "qz", "q_z"],
  R: ["R", "r", "reflectivity", "refl"],
  dR: ["dR", "dr", "sR", "R_err", "r_err", "refl_err", "reflectivity_err"],
  dQ: ["dQ", "dq", "sQz", "Q_res", "q_res", "dQz"],
} as const;

const Q_UNITS_ANGSTROM = ["1/angstrom", "1/å", "1/a", "å^-1", "a^-1", "angstrom^-1", "1/angstroms", "å-1", "a-1", "1/ang", "ang^-1"];
const Q_UNITS_NM = ["1/nm", "nm^-1", "nm-1"];
/** nm⁻¹ → Å⁻¹ */
const PER_NM_TO_PER_ANGSTROM = 0.1;
const DIMENSIONLESS = ["", "1", "dimensionless", "none", "a.u.", "arb"];

/** One `[name, doc]` pair as bluesky's callbacks receive it. */
export type BlueskyDocument = [string, Record<string, unknown>];

/** What {@link blueskyToScan} makes of a run. */
export interface BlueskyScan {
  /** the ORSO text (read back) */
  ort: string;
  /** the campaign-relative path (`strata.file`) */
  file: string;
  cell: string;
  spot: string;
  /** the scan id (`strata.scan`, or the file's name without extension) */
  scan: string;
  /** RunStart time, ISO-8601 UTC */
  start: string;
  /** RunStop time, ISO-8601 UTC */
  end: string;
  /** the run's uid */
  uid: string;
  points: number;
  /** how Q was converted ("1/angstrom" or "1/nm → 1/angstrom") */
  qUnit: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** seconds since the epoch → ISO-8601 UTC (ms precision) */
function isoOf(seconds: number): string {
  return new Date(Math.round(seconds * 1000)).toISOString();
}

function qFactor(units: unknown, where: string): { factor: number; unit: string } {
  const text = typeof units === "string" ? units.replace(/\s+/g, "").toLowerCase() : undefined;
  if (text !== undefined && Q_UNITS_ANGSTROM.includes(text)) return { factor: 1, unit: "1/angstrom" };
  if (text !== undefined && Q_UNITS_NM.includes(text)) return { factor: PER_NM_TO_PER_ANGSTROM, unit: "1/nm → 1/angstrom" };
  throw new ValidationError(`${where}.units`, "Q must be in 1/angstrom or 1/nm", units ?? null);
}

function checkDimensionless(units: unknown, where: string): void {
  if (units === undefined || units === null) return;
  if (typeof units === "string" && DIMENSIONLESS.includes(units.trim().toLowerCase())) return;
  throw new ValidationError(`${where}.units`, "R and dR must be dimensionless (\"\", \"1\" or none)", units);
}

/** The values of one key in one event: a number, or an array of numbers (shape [N]). */
function valuesOf(value: unknown, where: string): number[] {
  if (typeof value === "number" && Number.isFinite(value)) return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "number" && Number.isFinite(v))) return value as number[];
  throw new ValidationError(where, "must be a finite number or an array of finite numbers", Array.isArray(value) ? `array of ${value.length}` : value);
}

interface Row {
  seq: number;
  where: string;
  data: Record<string, unknown>;
}

/**
 * Convert one run's event-model documents into a scan (see the module header).
 * @param docs - `[name, doc]` pairs of one run, in any order
 * @param label - how messages name the list (default `bluesky`)
 * @throws {ValidationError} one line naming the document and field: not a list of pairs, an
 *   unknown document name, no or several starts, no `strata` metadata, a descriptor or event of
 *   another run, no Q/R/dR key, a Q unit other than Å⁻¹/nm⁻¹, a duplicate seq_num, a RunStop
 *   without `exit_status: "success"`, or none
 */
export function blueskyToScan(docs: unknown, label = "bluesky"): BlueskyScan {
  if (!Array.isArray(docs) || docs.length === 0) throw new ValidationError(label, "must be a non-empty list of [name, document] pairs", Array.isArray(docs) ? "[]" : docs);
  const starts: { doc: Record<string, unknown>; where: string }[] = [];
  const descriptors: { doc: Record<string, unknown>; where: string }[] = [];
  const events: { doc: Record<string, unknown>; where: string; page: boolean }[] = [];
  const stops: { doc: Record<string, unknown>; where: string }[] = [];
  docs.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || !isObject(pair[1])) throw new ValidationError(`${label}[${i}]`, "must be a [name, document] pair", pair);
    const [name, doc] = pair as [string, Record<string, unknown>];
    const where = `${label}[${i}] (${name})`;
    if (name === "start") starts.push({ doc, where });
    else if (name === "descriptor") descriptors.push({ doc, where });
    else if (name === "event") events.push({ doc, where, page: false });
    else if (name === "event_page") events.push({ doc, where, page: true });
    else if (name === "stop") stops.push({ doc, where });
    else throw new ValidationError(`${label}[${i}][0]`, `must be one of ${DOCUMENT_NAMES.join(", ")} (external data — resource, datum — is not read)`, name);
  });

  if (starts.length !== 1) throw new ValidationError(label, `must hold exactly one start document (RunStart)`, `${starts.length}`);
  const start = starts[0];
  const uid = start.doc["uid"];
  if (typeof uid !== "string" || uid === "") throw new ValidationError(`${start.where}.uid`, "must be a non-empty string", uid ?? null);
  const startTime = start.doc["time"];
  if (typeof startTime !== "number" || !Number.isFinite(startTime)) throw new ValidationError(`${start.where}.time`, "must be a number (s since the epoch)", startTime ?? null);
  const meta = start.doc[STRATA_START_KEY];
  if (!isObject(meta)) throw new ValidationError(`${start.where}.${STRATA_START_KEY}`, 'must name the scan: {"cell": …, "spot": …, "file": "xrr/A0031.ort"}', meta ?? null);
  const text = (key: string): string => {
    const value = meta[key];
    if (typeof value !== "string" || value.trim() === "") throw new ValidationError(`${start.where}.${STRATA_START_KEY}.${key}`, "must be a non-empty string", value ?? null);
    return value.trim();
  };
  const cell = text("cell");
  const spot = text("spot");
  const file = text("file");
  if (!file.toLowerCase().endsWith(".ort")) throw new ValidationError(`${start.where}.${STRATA_START_KEY}.file`, "must end in .ort (the scan is written as ORSO text)", file);
  const scan = meta["scan"] === undefined ? path.posix.basename(file).replace(/\.ort$/i, "") : text("scan");
  const keyMap = meta["keys"] === undefined ? {} : meta["keys"];
  if (!isObject(keyMap)) throw new ValidationError(`${start.where}.${STRATA_START_KEY}.keys`, 'must map Q, R, dR, dQ to data keys ({"Q": "q", …})', keyMap);

  if (stops.length === 0) throw new ValidationError(label, "has no stop document (RunStop): the run is not complete");
  if (stops.length > 1) throw new ValidationError(label, "must hold one stop document (RunStop)", `${stops.length}`);
  const stop = stops[0];
  if (stop.doc["run_start"] !== uid) throw new ValidationError(`${stop.where}.run_start`, `must be the start's uid ${JSON.stringify(uid)}`, stop.doc["run_start"] ?? null);
  const status = stop.doc["exit_status"];
  if (status !== "success") {
    const reason = typeof stop.doc["reason"] === "string" && stop.doc["reason"] !== "" ? ` (reason: ${String(stop.doc["reason"]).replace(/\s*\n\s*/g, " ")})` : "";
    throw new ValidationError(`${stop.where}.exit_status`, `the run did not succeed${reason}: only a successful run is a scan`, status ?? null);
  }
  const stopTime = stop.doc["time"];
  if (typeof stopTime !== "number" || !Number.isFinite(stopTime)) throw new ValidationError(`${stop.where}.time`, "must be a number (s since the epoch)", stopTime ?? null);
  if (stopTime <= startTime) throw new ValidationError(`${stop.where}.time`, `must be after the start's time ${startTime}`, stopTime);

  // the descriptor whose data_keys hold Q and R
  const pick = (role: keyof typeof DEFAULT_KEYS, dataKeys: Record<string, unknown>): string | undefined => {
    const named = keyMap[role];
    if (typeof named === "string") return named in dataKeys ? named : undefined;
    return DEFAULT_KEYS[role].find((k) => k in dataKeys);
  };
  let chosen: { doc: Record<string, unknown>; where: string; keys: { Q: string; R: string; dR: string | undefined; dQ: string | undefined }; dataKeys: Record<string, unknown> } | undefined;
  for (const d of descriptors) {
    if (d.doc["run_start"] !== uid) throw new ValidationError(`${d.where}.run_start`, `must be the start's uid ${JSON.stringify(uid)}`, d.doc["run_start"] ?? null);
    const dataKeys = d.doc["data_keys"];
    if (!isObject(dataKeys)) throw new ValidationError(`${d.where}.data_keys`, "must be an object", dataKeys ?? null);
    const Q = pick("Q", dataKeys);
    const R = pick("R", dataKeys);
    if (Q !== undefined && R !== undefined && chosen === undefined) chosen = { doc: d.doc, where: d.where, keys: { Q, R, dR: pick("dR", dataKeys), dQ: pick("dQ", dataKeys) }, dataKeys };
  }
  if (!chosen) {
    const wanted = (["Q", "R"] as const).map((role) => (typeof keyMap[role] === "string" ? String(keyMap[role]) : DEFAULT_KEYS[role].join("|"))).join(" and ");
    throw new ValidationError(descriptors.length === 0 ? label : `${descriptors[0].where}.data_keys`, `no descriptor has data keys for ${wanted}`, descriptors.length === 0 ? "no descriptor" : Object.keys(descriptors[0].doc["data_keys"] as object).join(", "));
  }
  const { keys, dataKeys } = chosen;
  if (keys.dR === undefined) throw new ValidationError(`${chosen.where}.data_keys`, `has no uncertainty of R (${typeof keyMap["dR"] === "string" ? String(keyMap["dR"]) : DEFAULT_KEYS.dR.join("|")}); a fit needs one`, Object.keys(dataKeys).join(", "));
  const keyDoc = (key: string): Record<string, unknown> => (isObject(dataKeys[key]) ? dataKeys[key] : {});
  const q = qFactor(keyDoc(keys.Q)["units"], `${chosen.where}.data_keys.${keys.Q}`);
  const dq = keys.dQ === undefined ? undefined : qFactor(keyDoc(keys.dQ)["units"], `${chosen.where}.data_keys.${keys.dQ}`);
  checkDimensionless(keyDoc(keys.R)["units"], `${chosen.where}.data_keys.${keys.R}`);
  checkDimensionless(keyDoc(keys.dR)["units"], `${chosen.where}.data_keys.${keys.dR}`);
  const descriptorUid = chosen.doc["uid"];

  // events of the chosen stream, one row per event (an EventPage is unpacked)
  const rows: Row[] = [];
  for (const e of events) {
    if (e.doc["descriptor"] !== descriptorUid) {
      if (!descriptors.some((d) => d.doc["uid"] === e.doc["descriptor"])) throw new ValidationError(`${e.where}.descriptor`, "names no descriptor of this run", e.doc["descriptor"] ?? null);
      continue;
    }
    const data = e.doc["data"];
    if (!isObject(data)) throw new ValidationError(`${e.where}.data`, "must be an object", data ?? null);
    if (!e.page) {
      const seq = e.doc["seq_num"];
      if (!Number.isInteger(seq)) throw new ValidationError(`${e.where}.seq_num`, "must be an integer", seq ?? null);
      rows.push({ seq: seq as number, where: e.where, data });
      continue;
    }
    const seqs = e.doc["seq_num"];
    if (!Array.isArray(seqs) || !seqs.every((s) => Number.isInteger(s))) throw new ValidationError(`${e.where}.seq_num`, "must be a list of integers", seqs ?? null);
    for (const [key, column] of Object.entries(data)) {
      if (!Array.isArray(column) || column.length !== seqs.length) throw new ValidationError(`${e.where}.data.${key}`, `must be a list of ${seqs.length} values (one per seq_num)`, Array.isArray(column) ? `${column.length} values` : column);
    }
    seqs.forEach((seq: number, j) => rows.push({ seq, where: `${e.where}[${j}]`, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, (v as unknown[])[j]])) }));
  }
  if (rows.length === 0) throw new ValidationError(label, `has no event of the descriptor ${JSON.stringify(descriptorUid)} (the stream with ${keys.Q} and ${keys.R})`);
  rows.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < rows.length; i++) if (rows[i].seq === rows[i - 1].seq) throw new ValidationError(`${rows[i].where}.seq_num`, `duplicates that of ${rows[i - 1].where}`, rows[i].seq);

  const Q: number[] = [];
  const R: number[] = [];
  const dR: number[] = [];
  const dQ: number[] = [];
  for (const row of rows) {
    const get = (key: string): number[] => {
      if (!(key in row.data)) throw new ValidationError(`${row.where}.data.${key}`, "is missing");
      return valuesOf(row.data[key], `${row.where}.data.${key}`);
    };
    const qs = get(keys.Q);
    const columns = [get(keys.R), get(keys.dR), ...(keys.dQ === undefined ? [] : [get(keys.dQ)])];
    columns.forEach((c, k) => {
      if (c.length !== qs.length) throw new ValidationError(`${row.where}.data.${[keys.R, keys.dR, keys.dQ][k]}`, `must have as many values as ${keys.Q} (${qs.length})`, c.length);
    });
    for (let j = 0; j < qs.length; j++) {
      Q.push(qs[j] * q.factor);
      R.push(columns[0][j]);
      dR.push(columns[1][j]);
      dQ.push(dq === undefined ? Number.NaN : columns[2][j] * dq.factor);
    }
  }

  const startIso = isoOf(startTime);
  const endIso = isoOf(stopTime);
  const planName = typeof start.doc["plan_name"] === "string" ? start.doc["plan_name"] : "bluesky run";
  const header = {
    data_source: {
      owner: { name: "bluesky (converted by strata)", affiliation: null },
      experiment: { title: planName, instrument: typeof start.doc["beamline_id"] === "string" ? start.doc["beamline_id"] : "bluesky", start_date: startIso, probe: typeof start.doc["probe"] === "string" ? start.doc["probe"] : "x-ray" },
      sample: { name: scan },
      measurement: { instrument_settings: { incident_angle: { magnitude: null, unit: "deg" }, wavelength: { magnitude: null, unit: "angstrom" } }, data_files: [{ file: `${scan}.bluesky`, timestamp: startIso }] },
    },
    reduction: { software: { name: "strata (autonomy/bluesky)", version: STRATA_VERSION } },
  };
  const columns = [
    { name: "Qz", unit: "1/angstrom", physical_quantity: "normal momentum transfer" },
    { name: "R", unit: "1", physical_quantity: "specular reflectivity" },
    { error_of: "R", error_type: "uncertainty", value_is: "sigma", distribution: "gaussian" },
    { error_of: "Qz", error_type: "resolution", value_is: "sigma", distribution: "gaussian" },
  ];
  let ort: string;
  try {
    ort = writeOrt([{ header, columns, data: [Q, R, dR, dQ] }]);
  } catch (error) {
    throw new ValidationError(label, `cannot be written as ORSO: ${(error as Error).message}`);
  }
  // read back as the campaign's readers will
  const back = ortReflectivity(parseOrt(ort, file).datasets[0], file);
  if (back.q.length !== Q.length || !back.dr) throw new ValidationError(label, `the ORSO text did not read back (${back.q.length} of ${Q.length} points)`);
  return { ort, file, cell, spot, scan, start: startIso, end: endIso, uid, points: Q.length, qUnit: q.unit };
}
