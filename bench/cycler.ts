/**
 * Cycler reader benchmark: writes a BioLogic `.mpr` (the layout of the
 * conformance file `gcpl.issue_149.mpr`: new module headers, 16 column ids,
 * 53-byte records) and a BDF CSV of 10⁶ and 10⁷ rows to `os.tmpdir()`, parses
 * each in a fresh child process (`readCyclerFile`, and `streamCyclerFile`
 * for the streaming path) and reports throughput and the child's peak RSS
 * (`process.resourceUsage().maxRSS`). Memory independent of file length
 * means: peak RSS grows by about the output columns' bytes per row (table
 * mode) or not at all (stream mode). Temporary files are removed.
 *
 * Run through `npm run bench` (bench/run.ts) or alone:
 * `node --import tsx bench/cycler.ts` (prints the result as JSON).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readCyclerFile, streamCyclerFile } from "../src/io/cycler/index.ts";

const here = fileURLToPath(import.meta.url);
const SMALL = 1_000_000;
const LARGE = 10_000_000;
/** Column ids of gcpl.issue_149.mpr and the record layout they imply (53 bytes). */
const IDS = [1, 2, 3, 21, 31, 65, 131, 4, 7, 13, 5, 6, 39, 467, 468, 70];
const RECORD = 53;

function moduleHeader(shortName: string, longName: string, length: number, newVersion: number): Uint8Array {
  const h = new Uint8Array(6 + 59);
  const view = new DataView(h.buffer);
  h.set(Buffer.from("MODULE", "latin1"), 0);
  h.set(Buffer.from(shortName.padEnd(10, " "), "latin1"), 6);
  h.set(Buffer.from(longName.padEnd(25, " "), "latin1"), 16);
  view.setUint32(6 + 35, 0xffffffff, true);
  view.setUint32(6 + 39, length, true);
  view.setUint32(6 + 43, 0, true);
  view.setUint32(6 + 47, newVersion, true);
  h.set(Buffer.from("01/10/24", "latin1"), 6 + 51);
  return h;
}

/** Writes a valid `.mpr` of `rows` GCPL records (±1 mA, 1 s steps, half cycles of 3600 s). */
export function writeBenchMpr(file: string, rows: number): void {
  const fd = fs.openSync(file, "w");
  try {
    const magic = new Uint8Array(52);
    magic.fill(0x20, 0, 48);
    magic.set(Buffer.from("BIO-LOGIC MODULAR FILE\x1a", "latin1"), 0);
    fs.writeSync(fd, magic);
    const settings = new Uint8Array(0x300);
    settings[0] = 0x04; // GCPL
    fs.writeSync(fd, moduleHeader("VMP Set", "VMP settings", settings.length, 10));
    fs.writeSync(fd, settings);
    const head = new Uint8Array(1007);
    const hv = new DataView(head.buffer);
    hv.setUint32(0, rows, true);
    hv.setUint16(4, IDS.length, true);
    IDS.forEach((id, k) => hv.setUint16(6 + 2 * k, id, true));
    fs.writeSync(fd, moduleHeader("VMP data", "VMP data", head.length + rows * RECORD, 11));
    fs.writeSync(fd, head);
    const block = 65536;
    const buffer = new Uint8Array(block * RECORD);
    const v = new DataView(buffer.buffer);
    let q = 0;
    for (let start = 0; start < rows; start += block) {
      const n = Math.min(block, rows - start);
      for (let r = 0; r < n; r++) {
        const i = start + r;
        const half = Math.floor(i / 3600);
        const charge = half % 2 === 0;
        const dq = (charge ? 1 : -1) / 3600; // mA·h per 1 s at 1 mA
        q += dq;
        const p = r * RECORD;
        v.setUint8(p, 1 | (charge ? 0x04 : 0) | (i % 3600 === 0 ? 0x30 : 0));
        v.setUint16(p + 1, charge ? 1 : 2, true);
        v.setFloat64(p + 3, i, true);
        v.setFloat64(p + 11, dq, true);
        v.setFloat64(p + 19, q, true);
        v.setFloat32(p + 27, charge ? 1 : -1, true);
        v.setFloat32(p + 31, 3.5 + 0.5 * ((i % 3600) / 3600) * (charge ? 1 : -1), true);
        v.setUint16(p + 35, 39, true);
        v.setFloat64(p + 37, (i % 3600) * dq, true);
        v.setUint32(p + 45, half, true);
        v.setFloat32(p + 49, 3.5e-3, true);
      }
      fs.writeSync(fd, buffer, 0, n * RECORD);
    }
    const log = new Uint8Array(0x300);
    new DataView(log.buffer).setFloat64(0x249, 45301.460068125, true);
    fs.writeSync(fd, moduleHeader("VMP LOG", "VMP LOG", log.length, 10));
    fs.writeSync(fd, log);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a BDF CSV (machine names) of `rows` rows with the same program as {@link writeBenchMpr}. */
export function writeBenchCsv(file: string, rows: number): void {
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, "test_time_second,voltage_volt,current_ampere,cycle_count,step_count,net_capacity_ah\n");
    const block = 100_000;
    let q = 0;
    for (let start = 0; start < rows; start += block) {
      const parts: string[] = [];
      for (let i = start; i < Math.min(rows, start + block); i++) {
        const half = Math.floor(i / 3600);
        const charge = half % 2 === 0;
        q += (charge ? 1e-3 : -1e-3) / 3600;
        const voltage = 3.5 + 0.5 * ((i % 3600) / 3600) * (charge ? 1 : -1);
        parts.push(`${i}.000,${voltage.toFixed(5)},${charge ? "0.001000" : "-0.001000"},${half >> 1},${half},${q.toExponential(8)}\n`);
      }
      fs.writeSync(fd, parts.join(""));
    }
  } finally {
    fs.closeSync(fd);
  }
}

interface ChildResult {
  seconds: number;
  rows: number;
  bytes: number;
  outputBytes: number;
  maxRssMB: number;
}

/** Child side: parse one file and print a ChildResult as JSON. */
function child(mode: string, file: string): void {
  const bytes = fs.statSync(file).size;
  const started = process.hrtime.bigint();
  let rows = 0;
  let outputBytes = 0;
  if (mode === "stream") {
    let sum = 0;
    const summary = streamCyclerFile(file, (chunk) => {
      const v = chunk.columns.voltage_volt;
      for (let i = 0; i < chunk.rows; i++) sum += v[i];
    });
    rows = summary.rows;
    if (!Number.isFinite(sum)) throw new Error("bad sum");
  } else {
    const table = readCyclerFile(file);
    rows = table.rows;
    for (const c of Object.values(table.columns)) outputBytes += c.byteLength;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result: ChildResult = { seconds, rows, bytes, outputBytes, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(mode: "table" | "stream", file: string): ChildResult {
  const out = spawnSync(process.execPath, ["--import", "tsx", here, "child", mode, file], { cwd: path.resolve(path.dirname(here), ".."), encoding: "utf8", maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`benchmark child failed (${mode} ${file}):\n${out.stderr}`);
  const line = out.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as ChildResult;
}

/**
 * Runs the cycler benchmark (≈ 1 GB of temporary files; a few minutes on a busy 2-core machine).
 *
 * @returns throughput (MB/s = 10⁶ bytes/s, rows/s) of the 10⁷-row files, peak RSS of each child, and bytes per row
 */
export async function benchCycler(): Promise<Record<string, number | string>> {
  await Promise.resolve();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-cycler-"));
  try {
    const files = {
      mprSmall: path.join(dir, "small.mpr"), mprLarge: path.join(dir, "large.mpr"),
      csvSmall: path.join(dir, "small.bdf.csv"), csvLarge: path.join(dir, "large.bdf.csv"),
    };
    writeBenchMpr(files.mprSmall, SMALL);
    writeBenchMpr(files.mprLarge, LARGE);
    writeBenchCsv(files.csvSmall, SMALL);
    writeBenchCsv(files.csvLarge, LARGE);
    const r = {
      mprSmall: runChild("table", files.mprSmall), mprLarge: runChild("table", files.mprLarge),
      csvSmall: runChild("table", files.csvSmall), csvLarge: runChild("table", files.csvLarge),
      mprStreamSmall: runChild("stream", files.mprSmall), mprStreamLarge: runChild("stream", files.mprLarge),
      csvStreamSmall: runChild("stream", files.csvSmall), csvStreamLarge: runChild("stream", files.csvLarge),
    };
    const perRow = (a: ChildResult, b: ChildResult): number => ((b.maxRssMB - a.maxRssMB) * 1024 * 1024) / (b.rows - a.rows);
    return {
      rows_small: SMALL,
      rows_large: LARGE,
      mpr_file_MB: r.mprLarge.bytes / 1e6,
      csv_file_MB: r.csvLarge.bytes / 1e6,
      mpr_MB_per_s: r.mprLarge.bytes / 1e6 / r.mprLarge.seconds,
      mpr_rows_per_s: r.mprLarge.rows / r.mprLarge.seconds,
      csv_MB_per_s: r.csvLarge.bytes / 1e6 / r.csvLarge.seconds,
      csv_rows_per_s: r.csvLarge.rows / r.csvLarge.seconds,
      mpr_stream_MB_per_s: r.mprStreamLarge.bytes / 1e6 / r.mprStreamLarge.seconds,
      csv_stream_MB_per_s: r.csvStreamLarge.bytes / 1e6 / r.csvStreamLarge.seconds,
      peak_rss_MB_small: r.mprSmall.maxRssMB,
      peak_rss_MB_large: r.mprLarge.maxRssMB,
      csv_peak_rss_MB_small: r.csvSmall.maxRssMB,
      csv_peak_rss_MB_large: r.csvLarge.maxRssMB,
      mpr_rss_bytes_per_row: perRow(r.mprSmall, r.mprLarge),
      mpr_output_bytes_per_row: r.mprLarge.outputBytes / r.mprLarge.rows,
      csv_rss_bytes_per_row: perRow(r.csvSmall, r.csvLarge),
      csv_output_bytes_per_row: r.csvLarge.outputBytes / r.csvLarge.rows,
      stream_peak_rss_MB_small: Math.max(r.mprStreamSmall.maxRssMB, r.csvStreamSmall.maxRssMB),
      stream_peak_rss_MB_large: Math.max(r.mprStreamLarge.maxRssMB, r.csvStreamLarge.maxRssMB),
      mpr_stream_rss_bytes_per_row: perRow(r.mprStreamSmall, r.mprStreamLarge),
      csv_stream_rss_bytes_per_row: perRow(r.csvStreamSmall, r.csvStreamLarge),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === here) {
  if (process.argv[2] === "child") child(process.argv[3], process.argv[4]);
  else void benchCycler().then((result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`));
}
