/**
 * @module bench/fuzz/impedanceFuzz
 * Seeded mutation fuzzer for the impedance-spectrum readers (issue 5's fuzz acceptance
 * extended to the readers reused from issue 4) — a test helper, not used by the engine.
 * `npm run fuzz` runs 10 000 inputs per reader; `npm test` a bounded budget.
 *
 * Corpus: the instrument exports of `../shared/conformance/eis` (CSV, BioLogic .mpt,
 * Gamry .DTA, ZPlot .z, Autolab, CH Instruments, Parstat, VersaStudio, PowerSuite),
 * grouped by the format each is detected as. Mutations (1–3 per input): truncation,
 * bit flips, byte insertion/deletion, line deletion/duplication/swap, huge numbers,
 * NaN/Inf and junk tokens, a column dropped from a line, wrong encodings (UTF-16LE,
 * UTF-8 mojibake of Latin-1), CRLF/LF/CR line ends.
 *
 * Oracle: {@link parseImpedanceText} returns a spectrum whose three columns have the same
 * length ≥ 1, frequencies finite and > 0, Z finite — or throws a ParseError; never
 * another exception; and it returns within `timeLimitMs`.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ParseError } from "../../src/core/errors.ts";
import { createRandom, type Random, type Seed } from "../../src/core/random.ts";
import { detectImpedanceFormat, parseImpedanceText } from "../../src/io/impedance.ts";

export interface ImpedanceFuzzFailure {
  reader: string;
  corpusFile: string;
  input: number;
  problem: string;
}

export interface ImpedanceFuzzReport {
  seed: Seed;
  iterations: number;
  inputs: number;
  readers: Record<string, { inputs: number; parsed: number; rejected: number }>;
  failures: ImpedanceFuzzFailure[];
}

interface CorpusFile {
  name: string;
  reader: string;
  bytes: Uint8Array;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_CORPUS = path.resolve(here, "..", "..", "..", "shared", "conformance", "eis");

function corpus(dir: string): CorpusFile[] {
  const files: CorpusFile[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!/README|\.md$/i.test(entry.name)) {
        const bytes = new Uint8Array(fs.readFileSync(full));
        let reader: string;
        try {
          reader = detectImpedanceFormat(Buffer.from(bytes).toString("latin1"), entry.name);
        } catch {
          continue;
        }
        files.push({ name: path.relative(dir, full), reader, bytes });
      }
    }
  };
  walk(dir);
  return files;
}

const JUNK = ["NaN", "nan", "Inf", "-Infinity", "1e999", "-1e308", "9".repeat(400), "abc", "", "\t", ",,", "0x1F", "1,5", "—", "\u0000"];

function mutate(source: Uint8Array, rng: Random): Uint8Array {
  let bytes = Uint8Array.from(source);
  const operations = 1 + rng.integer(3);
  for (let k = 0; k < operations; k++) {
    const op = rng.integer(10);
    if (bytes.length === 0) break;
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
      const text = Buffer.from(bytes).toString("latin1");
      const lines = text.split(/(?<=\n)/);
      const i = rng.integer(lines.length);
      let out: string;
      if (op === 4) out = lines.filter((_, j) => j !== i).join("");
      else if (op === 5) out = [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)].join("");
      else if (op === 6) {
        const j = rng.integer(lines.length);
        [lines[i], lines[j]] = [lines[j], lines[i]];
        out = lines.join("");
      } else if (op === 7) {
        // replace a number or a field with junk, or drop a column from a line
        const fields = lines[i].split(/([,;\t ]+)/);
        const f = 2 * rng.integer(Math.ceil(fields.length / 2));
        if (rng.next() < 0.3) fields.splice(f, 2);
        else fields[f] = JUNK[rng.integer(JUNK.length)];
        lines[i] = fields.join("");
        out = lines.join("");
      } else if (op === 8) {
        const ends = ["\r\n", "\n", "\r"];
        out = text.replace(/\r?\n|\r/g, ends[rng.integer(3)]);
      } else {
        return rng.next() < 0.5 ? new Uint8Array(Buffer.from(text, "utf16le")) : new Uint8Array(Buffer.from(Buffer.from(text, "latin1").toString("latin1"), "utf8"));
      }
      bytes = new Uint8Array(Buffer.from(out, "latin1"));
    }
  }
  return bytes;
}

function check(spectrum: ReturnType<typeof parseImpedanceText>): string | undefined {
  const n = spectrum.frequency.length;
  if (n < 1) return "empty spectrum returned";
  if (spectrum.real.length !== n || spectrum.imag.length !== n) return `columns of different lengths ${n}, ${spectrum.real.length}, ${spectrum.imag.length}`;
  for (let i = 0; i < n; i++) {
    if (!(spectrum.frequency[i] > 0) || !Number.isFinite(spectrum.frequency[i])) return `frequency ${spectrum.frequency[i]} at row ${i}`;
    if (!Number.isFinite(spectrum.real[i]) || !Number.isFinite(spectrum.imag[i])) return `non-finite Z at row ${i}`;
  }
  return undefined;
}

/**
 * Mutation-fuzz every impedance reader.
 * @param iterations - inputs per reader (10 000 for the acceptance run)
 * @param seed - run seed; input i of corpus file f uses the generator `${seed}:${f}:${i}`
 * @param options - corpus folder, per-input time limit, failure cap
 */
export function fuzzImpedance(iterations: number, seed: Seed, options: { corpusDir?: string; timeLimitMs?: number; maxFailures?: number } = {}): ImpedanceFuzzReport {
  const files = corpus(options.corpusDir ?? DEFAULT_CORPUS);
  const byReader = new Map<string, CorpusFile[]>();
  for (const f of files) byReader.set(f.reader, [...(byReader.get(f.reader) ?? []), f]);
  const report: ImpedanceFuzzReport = { seed, iterations, inputs: 0, readers: {}, failures: [] };
  const timeLimit = options.timeLimitMs ?? 1000;
  const maxFailures = options.maxFailures ?? 20;
  for (const [reader, group] of byReader) {
    const counts = { inputs: 0, parsed: 0, rejected: 0 };
    report.readers[reader] = counts;
    for (let i = 0; i < iterations && report.failures.length < maxFailures; i++) {
      const file = group[i % group.length];
      const input = mutate(file.bytes, createRandom(`${String(seed)}:${file.name}:${i}`));
      counts.inputs++;
      report.inputs++;
      const started = performance.now();
      try {
        const spectrum = parseImpedanceText(input, file.name);
        counts.parsed++;
        const problem = check(spectrum);
        if (problem) report.failures.push({ reader, corpusFile: file.name, input: i, problem });
      } catch (error) {
        if (error instanceof ParseError) counts.rejected++;
        else report.failures.push({ reader, corpusFile: file.name, input: i, problem: `${(error as Error).name}: ${(error as Error).message}` });
      }
      const elapsed = performance.now() - started;
      if (elapsed > timeLimit) report.failures.push({ reader, corpusFile: file.name, input: i, problem: `took ${elapsed.toFixed(0)} ms` });
    }
  }
  return report;
}
