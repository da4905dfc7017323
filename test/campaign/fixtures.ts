/**
 * Synthetic campaigns for the campaign tests and benchmark: a cell with a known
 * current program written as a BDF CSV (piecewise-linear current and potential,
 * so every window integral has a closed form), small `.ort` scans written by
 * writeOrt, impedance spectra as CSV, and the manifest tying them together.
 */
import fs from "node:fs";
import path from "node:path";
import { writeOrt } from "../../src/io/ort.ts";

export type Json = Record<string, unknown>;

// ---------------------------------------------------------------- JSON path helpers

/** Walk a validator-style path (`cells[0].stack[2].thickness_A`) to its parent container and last key. */
function locate(root: Json, at: string): [Record<string | number, unknown>, string | number] {
  const parts = at.match(/[^.[\]]+/g)!.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  let node: unknown = root;
  for (const part of parts.slice(0, -1)) node = (node as Record<string | number, unknown>)[part];
  return [node as Record<string | number, unknown>, parts[parts.length - 1]];
}
/** Set a value at a path. */
export function set(root: Json, at: string, value: unknown): void {
  const [parent, key] = locate(root, at);
  parent[key] = value;
}
/** Delete the key at a path. */
export function del(root: Json, at: string): void {
  const [parent, key] = locate(root, at);
  delete parent[key];
}
/** Read the value at a path. */
export function get(root: Json, at: string): unknown {
  const [parent, key] = locate(root, at);
  return parent[key];
}

// ---------------------------------------------------------------- manifests

export const T0 = "2026-03-01T10:00:00Z";
const T0_MS = Date.parse(T0);
/** ISO time `seconds` after t0 (millisecond resolution, always with `Z`). */
export const iso = (seconds: number): string => new Date(T0_MS + Math.round(seconds * 1000)).toISOString();

/** The example of issue 5 §3, completed (files not on disk). */
export function exampleManifest(): Json {
  return {
    format: "strata-campaign/1",
    name: "Cu in EC, formation",
    cells: [
      {
        id: "A",
        architecture: "thin-film-reflectometry",
        electrodeArea_cm2: 2,
        stack: [
          { name: "Si", role: "substrate", material: { formula: "Si", density: 2.33 }, roughness_A: 3 },
          { name: "Cu", role: "electrode", material: { formula: "Cu", density: 8.96 }, thickness_A: 500, roughness_A: 5 },
          { name: "SEI", role: "interphase", material: { formula: "LiF", density: 2.0 }, thickness_A: 10, roughness_A: 5 },
          { name: "electrolyte", role: "electrolyte", material: { formula: "C3H4O3", density: 1.32 }, roughness_A: 5 },
        ],
        windows: [{ material: { formula: "C22H10N2O5", density: 1.42 }, thickness_um: 25 }],
        geometry: { sampleLength_mm: 20, beamEntry: "through-substrate", electrolytePath_mm: 10 },
        electrochemistry: { workingElectrode: "Cu", counterElectrode: "Li", currentSign: "anodic-positive" },
        spots: [
          { id: "P1", role: "measured" },
          { id: "P2", role: "fresh" },
          { id: "C1", role: "control", description: "measured once at the end" },
        ],
      },
    ],
    beam: { probe: "xray", energy_keV: 17.4, flux_per_s: 1e11, height_mm: 0.02, width_mm: 0.3, profile: "gaussian" },
    t0: T0,
    scans: [
      { id: "s0001", cell: "A", spot: "P1", file: "xrr/s0001.ort", start: "2026-03-01T10:05:00Z", end: "2026-03-01T10:10:00Z" },
      { id: "s0002", cell: "A", spot: "P1", file: "xrr/s0002.ort", start: "2026-03-01T11:05:00+01:00", end: "2026-03-01T10:20:00.250Z" },
    ],
    electrochemistry: [{ cell: "A", file: "echem/A.bdf.csv", start: T0 }],
    impedance: [{ cell: "A", file: "eis/A_0001.csv", start: "2026-03-01T10:30:00Z", end: "2026-03-01T10:40:00Z" }],
  };
}

// ---------------------------------------------------------------- the current program

/** One segment of the program in record time τ (s): current and potential linear in τ. */
export interface Segment {
  from: number;
  to: number;
  i: [number, number];
  v: [number, number];
  step: string;
}

/** The record starts this many seconds before t0 (with a small current, which must not count as "since t0"). */
export const RECORD_LEAD_S = 100;

/**
 * Rest with a small pre-t0 current, constant-current reduction, a potentiostatic hold
 * with linearly decaying cathodic current, constant-current oxidation, rest.
 * Current anodic-positive (A), potential V.
 */
export const PROGRAM: readonly Segment[] = [
  { from: 0, to: 100, i: [1e-5, 1e-5], v: [3.0, 3.0], step: "REST" },
  { from: 100, to: 700, i: [0, 0], v: [3.0, 2.9], step: "REST" },
  { from: 700, to: 4300, i: [-1e-4, -1e-4], v: [2.0, 0.5], step: "CC_DCH" },
  { from: 4300, to: 7900, i: [-1e-4, -2e-5], v: [0.5, 0.5], step: "CV_DCH" },
  { from: 7900, to: 9700, i: [2e-4, 2e-4], v: [0.5, 1.5], step: "CC_CHG" },
  { from: 9700, to: 10900, i: [0, 0], v: [1.2, 1.2], step: "REST" },
];

const lerp = (pair: [number, number], seg: Segment, tau: number): number => pair[0] + ((pair[1] - pair[0]) * (tau - seg.from)) / (seg.to - seg.from);

/** Exact integrals over [a, b] (campaign time, s since t0) of I, V and max(0, −I). */
export function programIntegrals(a: number, b: number): { charge: number; potential: number; reduction: number } {
  let charge = 0;
  let potential = 0;
  let reduction = 0;
  const ta = a + RECORD_LEAD_S;
  const tb = b + RECORD_LEAD_S;
  for (const seg of PROGRAM) {
    const lo = Math.max(ta, seg.from);
    const hi = Math.min(tb, seg.to);
    if (hi <= lo) continue;
    const q = ((hi - lo) * (lerp(seg.i, seg, lo) + lerp(seg.i, seg, hi))) / 2;
    charge += q;
    if (seg.i[0] <= 0 && seg.i[1] <= 0) reduction -= q;
    potential += ((hi - lo) * (lerp(seg.v, seg, lo) + lerp(seg.v, seg, hi))) / 2;
  }
  return { charge, potential, reduction };
}

/** The analytic state over a window [s, e] (s since t0), in the field names of the campaign's ElectrochemicalState. */
export function analyticState(s: number, e: number): Record<
  | "meanPotential_V" | "meanCurrent_A" | "charge_C" | "reductionCharge_C" | "chargeAtStart_C" | "chargeAtMid_C" | "chargeAtEnd_C"
  | "reductionChargeAtStart_C" | "reductionChargeAtMid_C" | "reductionChargeAtEnd_C",
  number
> {
  const w = programIntegrals(s, e);
  const start = programIntegrals(0, s);
  const mid = programIntegrals(0, (s + e) / 2);
  const end = programIntegrals(0, e);
  return {
    meanPotential_V: w.potential / (e - s),
    meanCurrent_A: w.charge / (e - s),
    charge_C: w.charge,
    reductionCharge_C: w.reduction,
    chargeAtStart_C: start.charge,
    chargeAtMid_C: mid.charge,
    chargeAtEnd_C: end.charge,
    reductionChargeAtStart_C: start.reduction,
    reductionChargeAtMid_C: mid.reduction,
    reductionChargeAtEnd_C: end.reduction,
  };
}

/** The program as a BDF CSV (preferred labels), sampled every `dt` s; a jump is two rows at the same time. */
export function programBdfCsv(dt = 10): string {
  const lines = ["Test Time / s,Voltage / V,Current / A,Cycle Count / 1,step_type"];
  for (const seg of PROGRAM) {
    for (let tau = seg.from; tau <= seg.to + 1e-9; tau += dt) {
      const t = Math.min(tau, seg.to);
      lines.push(`${t},${lerp(seg.v, seg, t)},${lerp(seg.i, seg, t)},1,${seg.step}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------- campaign folders

export interface ScanSpec {
  id: string;
  spot: string;
  /** s since t0 */
  start: number;
  end: number;
}

/** Scan windows of the aligned test campaign (some cross segment boundaries, some are off the sampling grid). */
export const SCANS: readonly ScanSpec[] = [
  { id: "s01", spot: "P1", start: 100, end: 400 },
  { id: "s02", spot: "P1", start: 550, end: 850 },
  { id: "s03", spot: "P1", start: 1234.5, end: 1534.25 },
  { id: "s04", spot: "P2", start: 2000, end: 2300 },
  { id: "s05", spot: "P1", start: 4100, end: 4400 },
  { id: "s06", spot: "P1", start: 5000, end: 5300.125 },
  { id: "s07", spot: "P2", start: 6000, end: 6300 },
  { id: "s08", spot: "P1", start: 7700, end: 8000 },
  { id: "s09", spot: "P1", start: 9000, end: 9300 },
  { id: "s10", spot: "P1", start: 9900, end: 10200 },
];

/** Impedance windows (s since t0). */
export const SPECTRA: readonly ScanSpec[] = [
  { id: "eis1", spot: "", start: 9550, end: 9650 },
  { id: "eis2", spot: "", start: 10300, end: 10500 },
];

/** A small reflectivity curve written as .ort text. */
export function ortText(points: number, seed: number): string {
  const q = Float64Array.from({ length: points }, (_, i) => 0.01 + (0.3 * i) / (points - 1));
  const r = q.map((x) => Math.min(1, (0.02 / x) ** 4) * (1 + 0.01 * Math.sin(seed + 50 * x)));
  const dr = r.map((x) => 0.05 * x);
  const dq = q.map((x) => 0.02 * x);
  const header = {
    data_source: {
      owner: { name: "Strata tests", affiliation: null },
      experiment: { title: "synthetic", instrument: "none", start_date: "2026-03-01T10:00:00", probe: "x-ray" },
      sample: { name: "Cu|EC" },
      measurement: { instrument_settings: { incident_angle: { magnitude: 0.5, unit: "deg" }, wavelength: { magnitude: 0.7126, unit: "angstrom" } }, data_files: [] },
    },
    reduction: { software: { name: "strata-tests" } },
  };
  return writeOrt([
    {
      header,
      columns: [{ name: "Qz", unit: "1/angstrom" }, { name: "R", unit: "1" }, { error_of: "R" }, { error_of: "Qz", error_type: "resolution" }],
      data: [q, r, dr, dq],
    },
  ]);
}

export interface CampaignOptions {
  scans?: readonly ScanSpec[];
  spectra?: readonly ScanSpec[];
  /** Write the record (and name it in the manifest). @default true */
  cycler?: boolean;
  /** Points per .ort file. @default 40 */
  points?: number;
  /** Edit the manifest before it is written. */
  edit?: (manifest: Json) => void;
}

/**
 * Write a campaign folder: `campaign.json`, `echem/A.bdf.csv`, `xrr/<id>.ort`, `eis/<id>.csv`.
 * @returns the manifest as written
 */
export function writeCampaign(dir: string, options: CampaignOptions = {}): Json {
  const scans = options.scans ?? SCANS;
  const spectra = options.spectra ?? SPECTRA;
  fs.mkdirSync(path.join(dir, "xrr"), { recursive: true });
  fs.mkdirSync(path.join(dir, "echem"), { recursive: true });
  fs.mkdirSync(path.join(dir, "eis"), { recursive: true });
  const points = options.points ?? 40;
  scans.forEach((s, k) => fs.writeFileSync(path.join(dir, "xrr", `${s.id}.ort`), ortText(points, k)));
  for (const s of spectra) fs.writeFileSync(path.join(dir, "eis", `${s.id}.csv`), "frequency,real,imag\n100000,10.5,-0.2\n1000,12,-3\n10,30,-8\n0.1,80,-20\n");
  if (options.cycler !== false) fs.writeFileSync(path.join(dir, "echem", "A.bdf.csv"), programBdfCsv());
  const manifest = exampleManifest();
  set(manifest, "scans", scans.map((s) => ({ id: s.id, cell: "A", spot: s.spot, file: `xrr/${s.id}.ort`, start: iso(s.start), end: iso(s.end) })));
  set(manifest, "impedance", spectra.map((s) => ({ id: s.id, cell: "A", file: `eis/${s.id}.csv`, start: iso(s.start), end: iso(s.end) })));
  set(manifest, "electrochemistry", options.cycler === false ? [] : [{ cell: "A", file: "echem/A.bdf.csv", start: iso(-RECORD_LEAD_S) }]);
  options.edit?.(manifest);
  fs.writeFileSync(path.join(dir, "campaign.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** `count` scans of `duration` s every `cadence` s, cycling over `spots`. */
export function regularScans(count: number, cadence: number, duration: number, spots: readonly string[] = ["P1", "P2"]): ScanSpec[] {
  return Array.from({ length: count }, (_, k) => ({ id: `s${String(k + 1).padStart(5, "0")}`, spot: spots[k % spots.length], start: k * cadence, end: k * cadence + duration }));
}
