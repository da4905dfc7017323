/**
 * @module bench/fuzz/cyclerFuzz
 * Seeded mutation fuzzer for the cycler readers — a test helper, not used by
 * the engine. `cycler.fuzz.test.ts` runs a bounded budget in `npm test`; the
 * issue's acceptance run is `fuzzCycler(10_000, seed)` (10 000 inputs per reader):
 *
 * ```ts
 * const report = fuzzCycler(10_000, "nightly-1");
 * if (report.failures.length > 0) { console.error(report.failures); process.exitCode = 1; }
 * ```
 *
 * Corpus: the conformance files of `../shared/conformance/echem`, grouped by
 * reader (`.mpr`, `.mpt`, Arbin, Maccor, Neware, BDF). Text files longer than
 * `maxCorpusBytes` are cut at a line boundary so that one input stays cheap.
 * For each reader, input `i` mutates corpus file `i mod n` of that reader with
 * 1–3 operators: truncation, bit flips, byte insertion/deletion, line
 * deletion/duplication/swaps, wrong encodings (UTF-16, UTF-8 mojibake of
 * Latin-1), huge numbers, NaN and junk tokens, missing columns (header or row),
 * header-count changes, CRLF/LF/CR line ends, and — for `.mpr` — overwritten
 * length/count fields and column ids.
 *
 * Oracle for each input (parsed with {@link parseCyclerBuffer}, named with the
 * corpus file's extension):
 * 1. it returns a table or throws a `ParseError` — never another exception;
 * 2. a table is consistent: time, voltage and current present, every column a
 *    `Float64Array` of `rows` values, and `rows` ≤ input bytes (memory bounded
 *    by the input, not by counts written in it);
 * 3. every fourth input is parsed again with 61-byte read chunks and must give
 *    the identical table or the identical error (chunk boundaries are invisible);
 * 4. the parse is faster than `timeLimitMs` (measured; a parse that never
 *    returned would hang the caller, so run under a test timeout).
 * Input `i` of corpus file `f` uses its own generator seeded `${seed}:${f}:${i}`,
 * so a failure is replayed with {@link cyclerFuzzInput} alone.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ParseError } from "../../src/core/errors.ts";
import { createRandom } from "../../src/core/random.ts";
import type { Random, Seed } from "../../src/core/random.ts";
import { detectCyclerFormat, parseCyclerBuffer } from "../../src/io/cycler/readCycler.ts";
import type { CyclerFormat, CyclerTable } from "../../src/io/cycler/cyclerTable.ts";
import { latin1 } from "../../src/io/cycler/textScan.ts";

/** One seed file. */
export interface CyclerFuzzCorpusFile {
  name: string;
  format: CyclerFormat;
  bytes: Uint8Array;
}

export interface CyclerFuzzOptions {
  /** Seed files. @default the cycler files under `corpusDir` */
  corpus?: CyclerFuzzCorpusFile[];
  /** @default `<repo>/../shared/conformance/echem` */
  corpusDir?: string;
  /** Longer text corpus files are cut at a line boundary, bytes. @default 32768 */
  maxCorpusBytes?: number;
  /** A slower parse is a failure, ms. @default 1000 */
  timeLimitMs?: number;
  /** Stop after this many failures. @default 20 */
  maxFailures?: number;
}

export interface CyclerFuzzFailure {
  file: string;
  iteration: number;
  mutations: string[];
  kind: "exception" | "slow" | "invariant" | "chunking";
  message: string;
  /** The mutated input, base64 (write it to a file to reproduce). */
  inputBase64: string;
}

export interface CyclerFuzzReport {
  seed: Seed;
  /** Inputs asked for per reader. */
  iterations: number;
  /** Inputs tried in all. */
  inputs: number;
  parsed: number;
  rejected: number;
  /** Per reader (format of the corpus file): inputs, parsed, rejected. */
  readers: Record<string, { inputs: number; parsed: number; rejected: number }>;
  /** Inputs per mutation operator. */
  operators: Record<string, number>;
  slowestMs: number;
  /** Largest input, bytes. */
  largestInput: number;
  failures: CyclerFuzzFailure[];
}

function defaultCorpusDir(): string {
  return fileURLToPath(new URL("../../../shared/conformance/echem/", import.meta.url));
}

function cut(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && bytes[end - 1] !== 10) end--;
  return bytes.slice(0, end > 0 ? end : max);
}

/**
 * Loads the fuzz corpus: every cycler file below `dir` (Arbin `_Metadata.csv` files excluded).
 *
 * @param dir - the conformance directory
 * @param maxBytes - text files are cut at a line boundary after this many bytes
 * @returns the corpus, sorted by name
 */
export function loadCyclerCorpus(dir: string, maxBytes = 32768): CyclerFuzzCorpusFile[] {
  const out: CyclerFuzzCorpusFile[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!entry.name.endsWith(".md") && !entry.name.includes("_Metadata")) {
        const bytes = new Uint8Array(fs.readFileSync(full));
        const format = detectCyclerFormat(bytes.subarray(0, 8192), entry.name);
        if (!format) continue;
        out.push({ name: path.relative(dir, full), format, bytes: format === "biologic-mpr" ? bytes : cut(bytes, maxBytes) });
      }
    }
  };
  walk(dir);
  return out;
}

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

const TOKENS = [
  "1e400", "-1e309", "1e-400", "9".repeat(400), "123456789012345678901234567890", "NaN", "nan", "N/A", "inf", "-Infinity",
  "", "-", "+", ".", ",", "1,5", "1.5.5", "1e", "0x1F", "∞", "\u0000", "abc", "12:34:56", "99:99:99", "01/02/2003 04:05:06",
  "2026-13-45 25:61:61", "Rest", "CC Chg", "\"", "\"a,b\"", "0d 00:00:01.0000", "1d", "4294967296", "-0",
];

type Mutator = (bytes: Uint8Array, rng: Random, format: CyclerFormat) => Uint8Array;

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[rng.integer(items.length)];
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

function toBytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "latin1"));
}

function lines(bytes: Uint8Array): string[] {
  return latin1(bytes).split("\n");
}

function separator(format: CyclerFormat): string {
  return format === "biologic-mpt" || format === "maccor-text" ? "\t" : ",";
}

/** Index of the line holding the column names (approximate for mutated inputs). */
function headerLine(list: string[], format: CyclerFormat): number {
  switch (format) {
    case "biologic-mpt": {
      const m = /(\d+)/.exec(list[1] ?? "");
      return m ? Math.max(0, Math.min(Number(m[1]) - 1, list.length - 1)) : 0;
    }
    case "maccor-text":
      return Math.max(0, list.findIndex((l) => l.startsWith("Rec#")));
    case "neware-csv":
      return Math.min(2, list.length - 1);
    default:
      return 0;
  }
}

const MUTATORS: Record<string, Mutator> = {
  truncate: (b, rng) => b.slice(0, rng.integer(b.length + 1)),
  "bit-flip": (b, rng) => {
    const out = b.slice();
    const flips = 1 + rng.integer(8);
    for (let k = 0; k < flips && out.length > 0; k++) out[rng.integer(out.length)] ^= 1 << rng.integer(8);
    return out;
  },
  "insert-bytes": (b, rng) => {
    const special = toBytes("\n\r\t,;.:-+eE\"\0 ");
    const n = 1 + rng.integer(4);
    const insert = Uint8Array.from({ length: n }, () => (rng.next() < 0.6 ? special[rng.integer(special.length)] : rng.integer(256)));
    return splice(b, rng.integer(b.length + 1), 0, insert);
  },
  "delete-bytes": (b, rng) => {
    const at = rng.integer(b.length + 1);
    return splice(b, at, Math.min(1 + rng.integer(16), b.length - at));
  },
  "delete-line": (b, rng) => {
    const list = lines(b);
    list.splice(rng.integer(list.length), 1);
    return toBytes(list.join("\n"));
  },
  "duplicate-line": (b, rng) => {
    const list = lines(b);
    list.splice(rng.integer(list.length + 1), 0, list[rng.integer(list.length)]);
    return toBytes(list.join("\n"));
  },
  "swap-lines": (b, rng) => {
    const list = lines(b);
    const i = rng.integer(list.length);
    const j = rng.integer(list.length);
    [list[i], list[j]] = [list[j], list[i]];
    return toBytes(list.join("\n"));
  },
  "utf16-encoding": (b, rng) => {
    const text = latin1(b);
    const out = new Uint8Array(2 * text.length + 2);
    const bom = rng.next() < 0.5;
    if (bom) { out[0] = 0xff; out[1] = 0xfe; }
    for (let i = 0; i < text.length; i++) out[(bom ? 2 : 0) + 2 * i] = text.charCodeAt(i);
    return bom ? out : out.subarray(0, 2 * text.length);
  },
  "utf8-mojibake": (b) => new TextEncoder().encode(latin1(b)),
  "huge-number": (b, rng, format) => replaceToken(b, rng, format, pick(rng, ["1e400", "-1e309", "9".repeat(400), "123456789012345678901234567890", "4294967296e300"])),
  "nan-token": (b, rng, format) => replaceToken(b, rng, format, pick(rng, ["NaN", "nan", "N/A", "inf", "-", ""])),
  "junk-token": (b, rng, format) => replaceToken(b, rng, format, pick(rng, TOKENS)),
  "missing-column": (b, rng, format) => {
    const list = lines(b);
    const sep = separator(format);
    const i = Math.min(rng.next() < 0.5 ? headerLine(list, format) : rng.integer(list.length), list.length - 1);
    const fields = list[i].split(sep);
    if (fields.length > 1) fields.splice(rng.integer(fields.length), 1);
    list[i] = fields.join(sep);
    return toBytes(list.join("\n"));
  },
  "header-count": (b, rng) => {
    const text = latin1(b);
    const n = pick(rng, [0, 1, 2, 3, 4, 80, 82, 99999, 100001, 4294967296, rng.integer(200)]);
    return toBytes(text.replace(/Nb header lines : \d+/, `Nb header lines : ${n}`));
  },
  "line-ends": (b, rng) => {
    const text = latin1(b).replace(/\r\n/g, "\n");
    return toBytes(pick(rng, [text, text.replace(/\n/g, "\r\n"), text.replace(/\n/g, "\r")]));
  },
  "long-line": (b, rng) => splice(b, rng.integer(b.length + 1), 0, toBytes(pick(rng, ["x", "1\t", "1,", "\t"]).repeat(1000 + rng.integer(50000)))),
  "mpr-field": (b, rng, format) => {
    if (format !== "biologic-mpr") return MUTATORS["bit-flip"](b, rng, format);
    const out = b.slice();
    const text = latin1(b);
    const modules: number[] = [];
    for (let p = text.indexOf("MODULE"); p >= 0; p = text.indexOf("MODULE", p + 1)) modules.push(p);
    if (modules.length === 0) return out;
    const m = pick(rng, modules);
    // module length fields (both layouts), n_points, n_columns and column ids of a data module
    const at = m + pick(rng, [6 + 35, 6 + 39, 6 + 43, 6 + 47, 6 + 59, 6 + 59 + 4, 6 + 59 + 6, 6 + 59 + 8 + 2 * rng.integer(20), 6 + 51, 6 + 51 + 4, 6 + 51 + 5]);
    const value = pick(rng, [0xffffffff, 0x7fffffff, 0, 1, 2, 3, rng.integer(0x10000), rng.integer(512)]);
    for (let k = 0; k < 4 && at + k < out.length; k++) out[at + k] = (value >>> (8 * k)) & 0xff;
    return out;
  },
};
const OPERATOR_NAMES = Object.keys(MUTATORS);

function replaceToken(b: Uint8Array, rng: Random, format: CyclerFormat, token: string): Uint8Array {
  if (format === "biologic-mpr") {
    // put the token's bytes over a float in the records
    const at = rng.integer(b.length + 1);
    return splice(b, at, Math.min(token.length, 8, b.length - at), toBytes(token.slice(0, 8)));
  }
  const list = lines(b);
  const data = list.flatMap((line, i) => (/\d/.test(line) && i > 0 ? [i] : []));
  if (data.length === 0) return b;
  const i = pick(rng, data);
  const sep = separator(format);
  const fields = list[i].split(sep);
  fields[rng.integer(fields.length)] = token;
  list[i] = fields.join(sep);
  return toBytes(list.join("\n"));
}

/**
 * The mutated input number `iteration` of a corpus file — exactly what {@link fuzzCycler} tried.
 *
 * @param file - the corpus file
 * @param seed - the run's seed
 * @param iteration - 0-based input number for this file's reader
 * @returns the input bytes and the operators applied, in order
 */
export function cyclerFuzzInput(file: CyclerFuzzCorpusFile, seed: Seed, iteration: number): { input: Uint8Array; mutations: string[] } {
  const rng = createRandom(`${String(seed)}:${file.name}:${iteration}`);
  let bytes = file.bytes;
  const mutations: string[] = [];
  const count = 1 + rng.integer(3);
  for (let k = 0; k < count; k++) {
    const name = pick(rng, OPERATOR_NAMES);
    mutations.push(name);
    bytes = MUTATORS[name](bytes, rng, file.format);
  }
  return { input: bytes, mutations };
}

// ---------------------------------------------------------------------------
// Oracle
// ---------------------------------------------------------------------------

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack?.split("\n").slice(1, 4).join("\n") ?? ""}`;
  return `non-Error thrown: ${String(error)}`;
}

function checkTable(t: CyclerTable, inputBytes: number): string | undefined {
  if (!Number.isInteger(t.rows) || t.rows < 0) return `rows = ${t.rows}`;
  if (t.rows > inputBytes) return `${t.rows} rows from ${inputBytes} bytes`;
  for (const name of ["test_time_second", "voltage_volt", "current_ampere"]) if (!(t.columns[name] instanceof Float64Array)) return `no ${name}`;
  for (const [name, c] of [...Object.entries(t.columns), ...Object.entries(t.sourceColumns)]) {
    if (!(c instanceof Float64Array) || c.length !== t.rows) return `column ${name} is not ${t.rows} long`;
  }
  if (!Array.isArray(t.warnings) || t.warnings.some((w) => typeof w !== "string")) return "warnings are not strings";
  return undefined;
}

type Outcome = { ok: true; table: CyclerTable } | { ok: false; error: unknown };

function attempt(input: Uint8Array, name: string, chunkBytes?: number): Outcome {
  try {
    return { ok: true, table: parseCyclerBuffer(input, name, undefined, chunkBytes === undefined ? {} : { chunkBytes }) };
  } catch (error) {
    return { ok: false, error };
  }
}

function sameOutcome(a: Outcome, b: Outcome): string | undefined {
  if (!a.ok || !b.ok) {
    if (a.ok !== b.ok) return `one parse ${a.ok ? "succeeded" : "failed"}, the other ${b.ok ? "succeeded" : "failed"}`;
    const ma = (a as { error: unknown }).error instanceof Error ? ((a as { error: Error }).error.message) : String((a as { error: unknown }).error);
    const mb = (b as { error: unknown }).error instanceof Error ? ((b as { error: Error }).error.message) : String((b as { error: unknown }).error);
    return ma === mb ? undefined : `different errors: ${ma} / ${mb}`;
  }
  const ta = a.table;
  const tb = b.table;
  if (ta.rows !== tb.rows) return `${ta.rows} vs ${tb.rows} rows`;
  const names = Object.keys(ta.columns);
  if (names.join() !== Object.keys(tb.columns).join()) return "different columns";
  for (const n of names) {
    const x = ta.columns[n];
    const y = tb.columns[n];
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return `${n}[${i}]: ${x[i]} vs ${y[i]}`;
  }
  if (ta.startTime !== tb.startTime) return "different start times";
  return undefined;
}

/**
 * Runs the fuzzer: `iterations` mutated inputs per reader.
 *
 * @param iterations - inputs per reader (spread round-robin over that reader's corpus files)
 * @param seed - run seed
 * @param options - corpus, limits
 * @returns the report; `failures` lists every broken oracle (up to `maxFailures`)
 */
export function fuzzCycler(iterations: number, seed: Seed, options: CyclerFuzzOptions = {}): CyclerFuzzReport {
  const corpus = options.corpus ?? loadCyclerCorpus(options.corpusDir ?? defaultCorpusDir(), options.maxCorpusBytes ?? 32768);
  const timeLimit = options.timeLimitMs ?? 1000;
  const maxFailures = options.maxFailures ?? 20;
  const report: CyclerFuzzReport = {
    seed, iterations, inputs: 0, parsed: 0, rejected: 0, readers: {}, operators: Object.fromEntries(OPERATOR_NAMES.map((n) => [n, 0])),
    slowestMs: 0, largestInput: 0, failures: [],
  };
  const byFormat = new Map<CyclerFormat, CyclerFuzzCorpusFile[]>();
  for (const f of corpus) byFormat.set(f.format, [...(byFormat.get(f.format) ?? []), f]);
  for (const [format, files] of byFormat) {
    const stats = { inputs: 0, parsed: 0, rejected: 0 };
    report.readers[format] = stats;
    for (let i = 0; i < iterations && report.failures.length < maxFailures; i++) {
      const file = files[i % files.length];
      const iteration = Math.floor(i / files.length);
      const { input, mutations } = cyclerFuzzInput(file, seed, iteration);
      for (const m of mutations) report.operators[m]++;
      report.inputs++;
      stats.inputs++;
      report.largestInput = Math.max(report.largestInput, input.length);
      const name = `fuzz/${path.basename(file.name)}`;
      const fail = (kind: CyclerFuzzFailure["kind"], message: string): void => {
        report.failures.push({ file: file.name, iteration, mutations, kind, message, inputBase64: Buffer.from(input).toString("base64") });
      };
      const started = performance.now();
      const outcome = attempt(input, name);
      const elapsed = performance.now() - started;
      report.slowestMs = Math.max(report.slowestMs, elapsed);
      if (elapsed > timeLimit) fail("slow", `${elapsed.toFixed(0)} ms`);
      if (outcome.ok) {
        report.parsed++;
        stats.parsed++;
        const problem = checkTable(outcome.table, input.length);
        if (problem) fail("invariant", problem);
      } else if (outcome.error instanceof ParseError) {
        report.rejected++;
        stats.rejected++;
      } else {
        fail("exception", describeError(outcome.error));
        continue;
      }
      if (i % 4 === 0) {
        const difference = sameOutcome(outcome, attempt(input, name, 61));
        if (difference) fail("chunking", difference);
      }
    }
  }
  return report;
}
