/**
 * @module bench/fuzz/nexusFuzz
 * Seeded mutation fuzzer for the NeXus/HDF5 reader — a test helper, not used by the
 * engine. `npm run fuzz` runs 10 000 inputs; `npm test` a bounded budget.
 *
 * Corpus: two files this module writes with h5wasm — an NXrefscan entry (detector
 * counts, 2θ, monochromator wavelength, monitor: read with the preset) and a plain
 * entry with Q, R, dR datasets (read with a mapping). Mutations, one per input:
 * 1–8 bit flips, truncation at a random byte, overwritten doubles (NaN, ±huge, −1, 0)
 * at random offsets, overwritten 4-byte integers (lengths, offsets, counts: 0, −1,
 * 2³¹−1) at random offsets.
 *
 * Oracle: {@link readNexusReflectivity}, given `timeLimitMs` as its time limit, resolves
 * with curves whose Q, R, dR have equal length, or rejects with a ParseError — never
 * another error — and answers within the time limit plus {@link WATCHDOG_SLACK_MS}
 * (a file on which the HDF5 library loops is abandoned by the reader's watchdog: a
 * ParseError, counted in `abandoned`); and the library still reads the intact files
 * afterwards (a crash inside the library must not poison later reads).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ParseError } from "../../src/core/errors.ts";
import { createRandom, type Seed } from "../../src/core/random.ts";
import { nexusReaderStarts, readNexusReflectivity, type ReadNexusOptions } from "../../src/io/nexus.ts";

/** Time allowed beyond the reader's time limit for abandoning a read and answering, ms. */
export const WATCHDOG_SLACK_MS = 1000;

export interface NexusFuzzReport {
  seed: Seed;
  inputs: number;
  parsed: number;
  rejected: number;
  /** ParseErrors from reads abandoned at the time limit (files on which the HDF5 library loops). */
  abandoned: number;
  /** HDF5 worker threads started during the run (the reader replaces its thread after a crash or a hang). */
  workerStarts: number;
  failures: { input: number; corpus: string; problem: string }[];
}

type H5Group = import("h5wasm/node").Group;

async function writeCorpus(dir: string): Promise<{ name: string; file: string; options: ReadNexusOptions }[]> {
  const { default: h5wasm } = await import("h5wasm/node");
  await h5wasm.ready;
  const write = (name: string, build: (root: H5Group) => void): string => {
    const file = path.join(dir, name);
    const h5 = new h5wasm.File(file, "w");
    try {
      build(h5);
    } finally {
      h5.close();
    }
    return file;
  };
  const cls = (g: H5Group, c: string): H5Group => {
    g.create_attribute("NX_class", c);
    return g;
  };
  const n = 60;
  const twoTheta = Float64Array.from({ length: n }, (_, i) => 0.1 + 0.05 * i);
  const refscan = write("refscan.nxs", (root) => {
    const entry = cls(root.create_group("entry"), "NXentry");
    entry.create_dataset({ name: "definition", data: "NXrefscan" });
    entry.create_dataset({ name: "start_time", data: "2026-03-01T10:00:00Z" });
    const instrument = cls(entry.create_group("instrument"), "NXinstrument");
    const mono = cls(instrument.create_group("monochromator"), "NXmonochromator");
    mono.create_dataset({ name: "wavelength", data: Float64Array.of(1.54) }).create_attribute("units", "angstrom");
    const detector = cls(instrument.create_group("pilatus"), "NXdetector");
    detector.create_dataset({ name: "data", data: Int32Array.from({ length: n }, (_, i) => Math.round(1e6 / (1 + i * i))) }).create_attribute("units", "counts");
    detector.create_dataset({ name: "polar_angle", data: twoTheta }).create_attribute("units", "degrees");
    const sample = cls(entry.create_group("sample"), "NXsample");
    sample.create_dataset({ name: "rotation_angle", data: twoTheta.map((x) => x / 2) }).create_attribute("units", "degrees");
    const control = cls(entry.create_group("control"), "NXmonitor");
    control.create_dataset({ name: "data", data: Float64Array.of(1e6) });
  });
  const plain = write("plain.nxs", (root) => {
    const entry = cls(root.create_group("entry"), "NXentry");
    entry.create_dataset({ name: "Q", data: Float64Array.from({ length: n }, (_, i) => 0.01 + 0.004 * i) }).create_attribute("units", "1/angstrom");
    entry.create_dataset({ name: "R", data: Float64Array.from({ length: n }, (_, i) => 1 / (1 + i)) });
    entry.create_dataset({ name: "dR", data: Float64Array.from({ length: n }, (_, i) => 0.05 / (1 + i)) });
  });
  return [
    { name: "refscan.nxs", file: refscan, options: {} },
    { name: "plain.nxs", file: plain, options: { mapping: { q: "Q", r: "R", dr: "dR" } } },
  ];
}

/**
 * Mutation-fuzz the NeXus reader.
 * @param iterations - mutated inputs in all (10 000 for the acceptance run)
 * @param seed - run seed; input i uses the generator `${seed}:${i}`
 */
export async function fuzzNexus(
  iterations: number,
  seed: Seed,
  options: { timeLimitMs?: number; maxFailures?: number; onInput?: (input: number) => void } = {},
): Promise<NexusFuzzReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-nexus-fuzz-"));
  const report: NexusFuzzReport = { seed, inputs: 0, parsed: 0, rejected: 0, abandoned: 0, workerStarts: 0, failures: [] };
  const startsBefore = nexusReaderStarts();
  const timeLimit = options.timeLimitMs ?? 2000;
  const maxFailures = options.maxFailures ?? 20;
  try {
    const corpus = await writeCorpus(dir);
    const originals = corpus.map((c) => fs.readFileSync(c.file));
    const target = path.join(dir, "mutated.nxs");
    for (let i = 0; i < iterations && report.failures.length < maxFailures; i++) {
      options.onInput?.(i);
      const k = i % corpus.length;
      const rng = createRandom(`${String(seed)}:${i}`);
      let bytes = Buffer.from(originals[k]);
      const op = rng.integer(4);
      if (op === 0) for (let j = 0, m = 1 + rng.integer(8); j < m; j++) bytes[rng.integer(bytes.length)] ^= 1 << rng.integer(8);
      else if (op === 1) bytes = bytes.subarray(0, rng.integer(bytes.length));
      else if (op === 2) for (let j = 0, m = 1 + rng.integer(4); j < m; j++) bytes.writeDoubleLE([Number.NaN, 1e308, -1e308, -1, 0][rng.integer(5)], rng.integer(bytes.length - 8));
      else for (let j = 0, m = 1 + rng.integer(4); j < m; j++) bytes.writeInt32LE([0, -1, 2147483647, 1 << 20][rng.integer(4)], rng.integer(bytes.length - 4));
      fs.writeFileSync(target, bytes);
      report.inputs++;
      const started = performance.now();
      try {
        const curves = await readNexusReflectivity(target, { ...corpus[k].options, timeoutMs: timeLimit });
        report.parsed++;
        for (const c of curves) {
          if (c.r.length !== c.q.length || c.dr.length !== c.q.length) report.failures.push({ input: i, corpus: corpus[k].name, problem: "columns of different lengths" });
        }
      } catch (error) {
        if (error instanceof ParseError) {
          report.rejected++;
          if (error.message.includes("did not finish reading")) report.abandoned++;
        }
        else report.failures.push({ input: i, corpus: corpus[k].name, problem: `${(error as Error).name}: ${(error as Error).message}` });
      }
      const elapsed = performance.now() - started;
      if (elapsed > timeLimit + WATCHDOG_SLACK_MS) report.failures.push({ input: i, corpus: corpus[k].name, problem: `took ${elapsed.toFixed(0)} ms` });
    }
    // the library still reads intact files afterwards
    for (const c of corpus) {
      try {
        await readNexusReflectivity(c.file, c.options);
      } catch (error) {
        report.failures.push({ input: -1, corpus: c.name, problem: `intact file no longer reads after fuzzing: ${(error as Error).message}` });
      }
    }
    report.workerStarts = nexusReaderStarts() - startsBefore;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
