/**
 * Seeded mutation fuzz of the `.mpt` time reader (io/impedanceTime): 10 000 inputs under test:calibration,
 * 300 in the default suite. Corpus: the 15 SNS Cu/THF PEIS exports and impedance.py's BioLogic example.
 * Mutations (1–3 per input): truncation, bit flips, byte insertion/deletion, line deletion/duplication/swap,
 * a field replaced by junk, line endings changed. Oracle: times (≥ 1 finite value, start ≤ mid ≤ end, ISO
 * start times or none) or a ParseError — never another exception — within 1 s per input.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../src/core/errors.ts";
import { createRandom, type Random } from "../../src/core/random.ts";
import { parseImpedanceTimes } from "../../src/io/impedanceTime.ts";
import { seedCount } from "../calibrationScale.ts";
import { conformanceRoot, sharedRoot } from "../paths.ts";

const INPUTS = seedCount(10_000, 300);
/** Longest a single parse may take (ms); the largest corpus file parses in < 5 ms. */
const TIME_LIMIT_MS = 1000;

const corpus = [
  ...Array.from({ length: 15 }, (_, i) => path.join(sharedRoot, "realdata", "sns-cu-thf-2025", "eis", `PEIS_seq${String(i + 1).padStart(2, "0")}.mpt`)),
  path.join(conformanceRoot, "eis", "impedance.py", "exampleDataBioLogic.mpt"),
].map((file) => fs.readFileSync(file).toString("latin1"));

const JUNK = ["NaN", "Inf", "1e999", "-1e308", "abc", "", "\t", "1,5", "\u0000", "13/45/2025 99:99:99", "04/20/2025"];

function mutate(text: string, rng: Random): string {
  let out = text;
  for (let k = 0, n = 1 + rng.integer(3); k < n && out.length > 0; k++) {
    const op = rng.integer(7);
    if (op === 0) out = out.slice(0, rng.integer(out.length));
    else if (op === 1) {
      const at = rng.integer(out.length);
      out = out.slice(0, at) + String.fromCharCode(out.charCodeAt(at) ^ (1 << rng.integer(8))) + out.slice(at + 1);
    } else if (op === 2) {
      const at = rng.integer(out.length);
      out = out.slice(0, at) + (rng.integer(2) === 0 ? String.fromCharCode(rng.integer(256)) : out.slice(at + 1 + rng.integer(16)));
    } else {
      const lines = out.split(/(?<=\n)/);
      const i = rng.integer(lines.length);
      if (op === 3) lines.splice(i, 1);
      else if (op === 4) lines.splice(i, 0, lines[rng.integer(lines.length)]);
      else if (op === 5) {
        const fields = lines[i].split(/([\t:]+)/);
        fields[2 * rng.integer(Math.ceil(fields.length / 2))] = JUNK[rng.integer(JUNK.length)];
        lines[i] = fields.join("");
      } else {
        out = out.replace(/\r?\n|\r/g, ["\r\n", "\n", "\r"][rng.integer(3)]);
        continue;
      }
      out = lines.join("");
    }
  }
  return out;
}

describe("the .mpt time reader under mutation", () => {
  it(`gives valid times or a ParseError for every one of ${INPUTS} mutated inputs, quickly`, () => {
    const rng = createRandom("impedance-time-fuzz");
    const failures: string[] = [];
    let parsed = 0;
    let rejected = 0;
    for (let k = 0; k < INPUTS; k++) {
      const input = mutate(corpus[rng.integer(corpus.length)], rng);
      const t0 = performance.now();
      try {
        const t = parseImpedanceTimes(input, `fuzz-${k}.mpt`);
        const ok =
          t.time_s.length >= 1 &&
          t.time_s.every(Number.isFinite) &&
          t.start_s <= t.mid_s &&
          t.mid_s <= t.end_s &&
          (t.startTime === undefined || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/.test(t.startTime));
        if (!ok) failures.push(`input ${k}: invalid times ${JSON.stringify({ start: t.start_s, end: t.end_s, startTime: t.startTime })}`);
        parsed++;
      } catch (error) {
        if (error instanceof ParseError) rejected++;
        else failures.push(`input ${k}: ${(error as Error).name}: ${(error as Error).message}`);
      }
      const ms = performance.now() - t0;
      if (ms > TIME_LIMIT_MS) failures.push(`input ${k}: ${ms.toFixed(0)} ms`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(parsed).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 900_000);
});
