/**
 * Prints a markdown table of the minimum digits of agreement with NIST's
 * certified values, per problem and start, for levenbergMarquardt at its
 * defaults (and the global DE + LM path from start 1 for MGH09, MGH17, BoxBOD).
 *
 *   npx tsx test/nist/digitsTable.ts
 *
 * Columns: P = parameters, SE = standard errors with the fitter's own RSS,
 * SE* = standard errors with the certified RSS (see nistRun.ts), then the status.
 */
import { NIST_MIN_DIGITS } from "../tolerances.ts";
import { loadNistProblems } from "./nistData.ts";
import { NIST_GLOBAL_START1, scoreNist } from "./nistRun.ts";
import type { NistScore } from "./nistRun.ts";

const fmt = (v: number): string => v.toFixed(1);
const cell = (s: NistScore): string => `${fmt(s.params)} | ${fmt(s.stderrOwn)} | ${fmt(s.stderrCertifiedRss)}`;

const lines: string[] = [
  `NIST StRD, minimum digits of agreement (−log10 relative error, capped at 15); pass = ≥ ${NIST_MIN_DIGITS}.`,
  "",
  "| Problem | Difficulty | LM start 1: P | SE | SE* | LM start 2: P | SE | SE* | Global start 1: P | SE | SE* | LM status s1 / s2 |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
];
let worst = Infinity;
for (const problem of loadNistProblems()) {
  const s1 = scoreNist(problem, 1, "lm");
  const s2 = scoreNist(problem, 2, "lm");
  const global = (NIST_GLOBAL_START1 as readonly string[]).includes(problem.name) ? scoreNist(problem, 1, "global") : undefined;
  worst = Math.min(worst, s2.params, global?.params ?? s1.params);
  lines.push(
    `| ${problem.name} | ${problem.difficulty} | ${cell(s1)} | ${cell(s2)} | ${global ? cell(global) : "– | – | –"} | ${s1.status} / ${s2.status} |`,
  );
}
lines.push("", `Worst parameter digits over the acceptance set: ${fmt(worst)}.`);
console.log(lines.join("\n"));
