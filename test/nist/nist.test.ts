/**
 * NIST StRD nonlinear least-squares conformance (../shared/conformance/nist-strd/).
 * Every problem is fitted from start 1 and start 2 with levenbergMarquardt at its
 * default settings and scored in digits of agreement with the certified values.
 * From start 1, MGH09, MGH17 and BoxBOD may fail with plain LM (as MINPACK does);
 * for them the global path (differential evolution in a box derived from the start
 * values, then LM polish) must pass. The Nielsen damping option is held to the same
 * bar from start 2. See nistRun.ts for the scoring conventions.
 */
import { describe, expect, it } from "vitest";
import { NIST_FLOAT64_LIMITED_STDERR_DIGITS, NIST_MIN_DIGITS } from "../tolerances.ts";
import { loadNistProblems } from "./nistData.ts";
import { nistModels, nistObjective } from "./nistModels.ts";
import { NIST_FLOAT64_LIMITED_RSS, NIST_GLOBAL_START1, scoreNist } from "./nistRun.ts";
import type { NistScore } from "./nistRun.ts";

const problems = loadNistProblems();

function expectPasses(score: NistScore): void {
  const label = `${score.problem} start ${score.start} (${score.method}, ${score.status}${score.error ? `: ${score.error}` : ""})`;
  expect(score.params, `${label}: parameter digits`).toBeGreaterThanOrEqual(NIST_MIN_DIGITS);
  expect(score.stderrCertifiedRss, `${label}: stderr digits (certified RSS)`).toBeGreaterThanOrEqual(NIST_MIN_DIGITS);
  const limited = (NIST_FLOAT64_LIMITED_RSS as readonly string[]).includes(score.problem);
  expect(score.stderrOwn, `${label}: stderr digits (own RSS)`).toBeGreaterThanOrEqual(
    limited ? NIST_FLOAT64_LIMITED_STDERR_DIGITS : NIST_MIN_DIGITS,
  );
}

describe("NIST StRD data", () => {
  it("has all 27 problems, each with a model", () => {
    expect(problems).toHaveLength(27);
    for (const p of problems) expect(nistModels[p.name], p.name).toBeDefined();
  });

  it.each(problems.map((p) => [p.name, p] as const))("%s: the model reproduces the certified RSS at the certified values", (_name, problem) => {
    const objective = nistObjective(problem, { start: "certified" });
    const r = objective.residuals(objective.initial());
    let rss = 0;
    for (const v of r) rss += v * v;
    if (problem.rssCertified < 1e-16) expect(rss).toBeLessThan(1e-16);
    else expect(Math.abs(rss - problem.rssCertified) / problem.rssCertified).toBeLessThan(1e-7);
  });
});

describe("NIST StRD with levenbergMarquardt", () => {
  it.each(problems.map((p) => [p.name, p] as const))("%s from start 2", (_name, problem) => {
    expectPasses(scoreNist(problem, 2, "lm"));
  });

  const start1 = problems.filter((p) => !(NIST_GLOBAL_START1 as readonly string[]).includes(p.name));
  it.each(start1.map((p) => [p.name, p] as const))("%s from start 1", (_name, problem) => {
    expectPasses(scoreNist(problem, 1, "lm"));
  });
});

describe("NIST StRD with levenbergMarquardt, Nielsen damping, from start 2", () => {
  it.each(problems.map((p) => [p.name, p] as const))("%s", (_name, problem) => {
    expectPasses(scoreNist(problem, 2, "lm", { damping: "nielsen" }));
  });
});

describe("NIST StRD global path (differential evolution + LM polish) from start 1", () => {
  const hard = problems.filter((p) => (NIST_GLOBAL_START1 as readonly string[]).includes(p.name));
  it.each(hard.map((p) => [p.name, p] as const))("%s", (_name, problem) => {
    expectPasses(scoreNist(problem, 1, "global"));
  });
});
