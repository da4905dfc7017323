/**
 * @module bench/fuzz/facilityFuzz
 * Seeded mutation fuzzer for the facility readers of issue 15 — a test helper, not used
 * by the engine. `npm run fuzz` runs 10 000 inputs per reader; `npm test` a bounded budget.
 *
 * Readers and corpora (../shared):
 * - `columns`: {@link parseReflectivityColumns} on the SNS Liquids Reflectometer files
 *   (realdata/sns-cu-thf-2025/steady, header with `dQ [FWHM]`, Meta JSON, angle table), a
 *   Mantid MFT file (the example of its documentation) and two headerless time slices (read with `dqMeasure: "fwhm"`, and without, which must be
 *   the undeclared-measure ParseError);
 * - `time-slices`: {@link parseTimeSlices} on the reduction JSON of run 218389;
 * - `mpr-impedance`: {@link parseImpedanceMpr} on the BioLogic PEIS and GCPL `.mpr` of
 *   conformance/echem/biologic.
 * Mutations (1–3 per input): truncation, bit flips, byte insertion/deletion, line
 * deletion/duplication/swap, junk tokens (NaN, Inf, huge numbers, text, JSON of the wrong
 * type), line-end changes; for the binary `.mpr` also 32-bit words overwritten with
 * extreme values (lengths, counts, column ids).
 *
 * Oracle: a reader returns a well-formed result (columns of equal length ≥ 1, Q in
 * (0, 3] Å⁻¹, dR > 0, dQ ≥ 0 and finite; slices with finite start < end; spectra with
 * f > 0 and finite Z) or throws a ParseError or ValidationError; never another
 * exception; and it returns within `timeLimitMs`.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ParseError, ValidationError } from "../../src/core/errors.ts";
import { createRandom, type Random, type Seed } from "../../src/core/random.ts";
import { MAX_SPECULAR_Q, parseReflectivityColumns, type ReflectivityData } from "../../src/io/reflectivityData.ts";
import { parseTimeSlices, type TimeSlices } from "../../src/io/timeSlices.ts";
import { parseImpedanceMpr, type ImpedanceSpectrum } from "../../src/io/impedance.ts";

export interface FacilityFuzzFailure {
  reader: string;
  corpusFile: string;
  input: number;
  problem: string;
}

export interface FacilityFuzzReport {
  seed: Seed;
  iterations: number;
  inputs: number;
  readers: Record<string, { inputs: number; parsed: number; rejected: number }>;
  slowestMs: number;
  failures: FacilityFuzzFailure[];
}

interface CorpusFile {
  name: string;
  bytes: Uint8Array;
  /** reads the (mutated) bytes; returns a problem with the result, or undefined when it is well formed */
  read: (bytes: Uint8Array, name: string) => string | undefined;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const SHARED = path.resolve(here, "..", "..", "..", "shared");

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");

function checkCurve(curve: ReflectivityData): string | undefined {
  const n = curve.q.length;
  if (n < 1) return "empty curve returned";
  if (curve.r.length !== n || curve.dr.length !== n || (curve.dq && curve.dq.length !== n)) return "columns of different lengths";
  for (let i = 0; i < n; i++) {
    if (!(curve.q[i] > 0 && curve.q[i] <= MAX_SPECULAR_Q)) return `Q ${curve.q[i]} at row ${i}`;
    if (!Number.isFinite(curve.r[i])) return `R ${curve.r[i]} at row ${i}`;
    if (!(curve.dr[i] > 0 && Number.isFinite(curve.dr[i]))) return `dR ${curve.dr[i]} at row ${i}`;
    if (curve.dq && !(curve.dq[i] >= 0 && Number.isFinite(curve.dq[i]))) return `dQ ${curve.dq[i]} at row ${i}`;
  }
  if (curve.dq && curve.dqMeasure === undefined) return "dQ returned without its measure";
  const h = curve.header;
  if (h) {
    if (h.angle_deg !== undefined && !Number.isFinite(h.angle_deg)) return `angle ${h.angle_deg}`;
    if (h.startTime !== undefined && !Number.isFinite(Date.parse(h.startTime))) return `start time ${h.startTime}`;
    for (const a of h.angles ?? []) if (![a.twoTheta_deg, ...a.wavelengthRange_A, ...a.qRange].every(Number.isFinite)) return "non-finite angle table entry";
  }
  return undefined;
}

function checkSlices(slices: TimeSlices): string | undefined {
  if (slices.intervals.length < 1) return "no intervals returned";
  for (const s of slices.intervals) if (!(Number.isFinite(s.start_s) && Number.isFinite(s.end_s) && s.end_s > s.start_s)) return `interval ${s.label}: ${s.start_s} → ${s.end_s}`;
  for (const s of slices.slices) {
    if (!(Number.isInteger(s.index) && s.index >= 1)) return `slice index ${s.index}`;
    if (!(s.duration_s > 0 && Number.isFinite(s.start_h) && Number.isFinite(s.end_h))) return `slice ${s.label}: duration ${s.duration_s}`;
  }
  return undefined;
}

function checkSpectrum(spectrum: ImpedanceSpectrum): string | undefined {
  const n = spectrum.frequency.length;
  if (n < 1) return "empty spectrum returned";
  if (spectrum.real.length !== n || spectrum.imag.length !== n || (spectrum.cycle && spectrum.cycle.length !== n)) return "columns of different lengths";
  for (let i = 0; i < n; i++) {
    if (!(spectrum.frequency[i] > 0 && Number.isFinite(spectrum.frequency[i]))) return `frequency ${spectrum.frequency[i]} at row ${i}`;
    if (!Number.isFinite(spectrum.real[i]) || !Number.isFinite(spectrum.imag[i])) return `non-finite Z at row ${i}`;
  }
  return undefined;
}

function corpus(shared: string): Map<string, CorpusFile[]> {
  const sns = path.join(shared, "realdata", "sns-cu-thf-2025");
  const steady = path.join(sns, "steady");
  const slices = path.join(sns, "tnr_during_eis");
  const bytes = (file: string): Uint8Array => new Uint8Array(fs.readFileSync(file));
  const columns: CorpusFile[] = fs
    .readdirSync(steady)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((name) => ({ name, bytes: bytes(path.join(steady, name)), read: (b, n) => checkCurve(parseReflectivityColumns(text(b), n)) }));
  for (const i of [1, 12]) {
    const name = `r218389_sequence_${i}_eis_${i}.txt`;
    const data = bytes(path.join(slices, name));
    columns.push({ name, bytes: data, read: (b, n) => checkCurve(parseReflectivityColumns(text(b), n, { dqMeasure: "fwhm" })) });
    columns.push({ name: `${name} (undeclared)`, bytes: data, read: (b, n) => checkCurve(parseReflectivityColumns(text(b), n)) });
  }
  // Mantid's MFT (the example of its SaveReflectometryAscii documentation, values padded to 28 characters)
  const pad = (cells: string[]): string => cells.map((c) => c.padStart(28)).join("");
  const mft = ["MFT", "Instrument : Not defined", "Title : MyTest", "Start date + time : Not defined", "d : 0.29999999999999999", "Number of file format : 40", "Number of data points : 3", "", pad(["q", "refl", "refl_err", "q_res (FWHM)"])];
  for (const [q, r] of [["5.000000000000000e-01", "0.000000000000000e+00"], ["1.500000000000000e+00", "1.000000000000000e+00"], ["2.500000000000000e+00", "2.000000000000000e+00"]]) mft.push(pad([q, r, "1.000000000000000e+00", "9.500000000000000e+00"]));
  columns.push({ name: "MyTest.mft", bytes: new Uint8Array(Buffer.from(`${mft.join("\n")}\n`)), read: (b, n) => checkCurve(parseReflectivityColumns(text(b), n)) });
  const json = "r218389_eis_reduction.json";
  const timeSlices: CorpusFile[] = [
    { name: json, bytes: bytes(path.join(slices, json)), read: (b, n) => checkSlices(parseTimeSlices(text(b), n)) },
    { name: `${json} (run start, EDT)`, bytes: bytes(path.join(slices, json)), read: (b, n) => checkSlices(parseTimeSlices(text(b), n, { runStart: "2025-04-20T14:54:15.487Z", utcOffset: "-04:00" })) },
  ];
  const biologic = path.join(shared, "conformance", "echem", "biologic");
  const mpr: CorpusFile[] = ["peis.issue_149.mpr", "peis.issue_149.mpr", "peis.issue_149.mpr", "gcpl.issue_149.mpr"].map((name) => ({
    name,
    bytes: bytes(path.join(biologic, name)),
    read: (b, n) => checkSpectrum(parseImpedanceMpr(b, n)),
  }));
  return new Map([
    ["columns", columns],
    ["time-slices", timeSlices],
    ["mpr-impedance", mpr],
  ]);
}

const JUNK = ["NaN", "nan", "Inf", "-Infinity", "1e999", "-1e308", "9".repeat(400), "abc", "", "\t", "0", "-1", "1e-320", "null", "[]", "{}", '"x"', "true", "—", "\u0000", "FWHM", "sigma"];

function mutateText(source: Uint8Array, rng: Random): Uint8Array {
  let bytes = Uint8Array.from(source);
  const operations = 1 + rng.integer(3);
  for (let k = 0; k < operations; k++) {
    if (bytes.length === 0) break;
    const op = rng.integer(10);
    if (op === 0) bytes = bytes.subarray(0, rng.integer(bytes.length));
    else if (op === 1) {
      for (let j = 0, n = 1 + rng.integer(8); j < n; j++) bytes[rng.integer(bytes.length)] ^= 1 << rng.integer(8);
    } else if (op === 2) {
      const at = rng.integer(bytes.length);
      bytes = Uint8Array.from([...bytes.subarray(0, at), rng.integer(256), ...bytes.subarray(at)]);
    } else if (op === 3) {
      const at = rng.integer(bytes.length);
      bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + rng.integer(16))]);
    } else {
      const lines = Buffer.from(bytes).toString("latin1").split(/(?<=\n)/);
      const i = rng.integer(lines.length);
      let out: string;
      if (op === 4) out = lines.filter((_, j) => j !== i).join("");
      else if (op === 5) out = [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)].join("");
      else if (op === 6) {
        const j = rng.integer(lines.length);
        [lines[i], lines[j]] = [lines[j], lines[i]];
        out = lines.join("");
      } else if (op === 7 || op === 8) {
        // a token (number, JSON value, header word) replaced by junk, or dropped
        const fields = lines[i].split(/([\s,:[\]{}]+)/);
        const f = 2 * rng.integer(Math.ceil(fields.length / 2));
        if (rng.next() < 0.25) fields.splice(f, 2);
        else fields[f] = JUNK[rng.integer(JUNK.length)];
        lines[i] = fields.join("");
        out = lines.join("");
      } else {
        const ends = ["\r\n", "\n", "\r"];
        out = lines.join("").replace(/\r?\n|\r/g, ends[rng.integer(3)]);
      }
      bytes = new Uint8Array(Buffer.from(out, "latin1"));
    }
  }
  return bytes;
}

const EXTREME_U32 = [0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 0x10000, 1007, 13439];

function mutateBinary(source: Uint8Array, rng: Random): Uint8Array {
  let bytes = Uint8Array.from(source);
  const operations = 1 + rng.integer(3);
  for (let k = 0; k < operations; k++) {
    if (bytes.length < 8) break;
    const op = rng.integer(6);
    if (op === 0) bytes = bytes.subarray(0, rng.integer(bytes.length));
    else if (op === 1) {
      for (let j = 0, n = 1 + rng.integer(8); j < n; j++) bytes[rng.integer(bytes.length)] ^= 1 << rng.integer(8);
    } else if (op === 2) {
      const at = rng.integer(bytes.length);
      bytes = Uint8Array.from([...bytes.subarray(0, at), ...Array.from({ length: 1 + rng.integer(8) }, () => rng.integer(256)), ...bytes.subarray(at)]);
    } else if (op === 3) {
      const at = rng.integer(bytes.length);
      bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + rng.integer(64))]);
    } else if (op === 4) {
      // overwrite a 32-bit word: near a module header or the data module's head more often
      const text = Buffer.from(bytes).toString("latin1");
      const marks = [...text.matchAll(/MODULE/g)].map((m) => m.index);
      const base = marks.length > 0 && rng.next() < 0.7 ? marks[rng.integer(marks.length)] + rng.integer(80) : rng.integer(bytes.length - 4);
      const at = Math.min(Math.max(0, base), bytes.length - 4);
      new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(at, EXTREME_U32[rng.integer(EXTREME_U32.length)], true);
    } else {
      // a float record value made NaN / Inf / 0 / negative
      const at = rng.integer(bytes.length - 4);
      new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setFloat32(at, [Number.NaN, Infinity, -Infinity, 0, -1, 3e38][rng.integer(6)], true);
    }
  }
  return bytes;
}

/**
 * Mutation-fuzz the facility readers.
 * @param iterations - inputs per reader (10 000 for the acceptance run)
 * @param seed - run seed; input i of reader r uses the generator `${seed}:${r}:${i}`
 * @param options - shared folder, per-input time limit (ms), failure cap
 */
export function fuzzFacility(iterations: number, seed: Seed, options: { sharedDir?: string; timeLimitMs?: number; maxFailures?: number } = {}): FacilityFuzzReport {
  const readers = corpus(options.sharedDir ?? SHARED);
  const report: FacilityFuzzReport = { seed, iterations, inputs: 0, readers: {}, slowestMs: 0, failures: [] };
  const timeLimit = options.timeLimitMs ?? 1000;
  const maxFailures = options.maxFailures ?? 20;
  for (const [reader, group] of readers) {
    const counts = { inputs: 0, parsed: 0, rejected: 0 };
    report.readers[reader] = counts;
    for (let i = 0; i < iterations && report.failures.length < maxFailures; i++) {
      const file = group[i % group.length];
      const rng = createRandom(`${String(seed)}:${reader}:${i}`);
      const input = reader === "mpr-impedance" ? mutateBinary(file.bytes, rng) : mutateText(file.bytes, rng);
      counts.inputs++;
      report.inputs++;
      const started = performance.now();
      try {
        const problem = file.read(input, file.name);
        counts.parsed++;
        if (problem) report.failures.push({ reader, corpusFile: file.name, input: i, problem });
      } catch (error) {
        if (error instanceof ParseError || error instanceof ValidationError) counts.rejected++;
        else report.failures.push({ reader, corpusFile: file.name, input: i, problem: `${(error as Error).name}: ${(error as Error).message}` });
      }
      const elapsed = performance.now() - started;
      report.slowestMs = Math.max(report.slowestMs, elapsed);
      if (elapsed > timeLimit) report.failures.push({ reader, corpusFile: file.name, input: i, problem: `took ${elapsed.toFixed(0)} ms` });
    }
  }
  return report;
}
