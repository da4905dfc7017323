/**
 * SNS Cu/THF (examples/sns-cu-thf-2025) from the middle of the authors' bounds, three seeds
 * (calibration project: the 21-curve LM takes a minute per seed on 2 cores):
 * 1. the default global fit of the steady states (PROBLEM-steady.json, OCV1 and OCV2
 *    co-fitted) reaches a χ² no larger than the authors' best values give, in total and on
 *    each state. The default is the staged start (api/fit: each state alone from the learned
 *    estimator's start, then the co-fit by LM), which is deterministic, so the three seeds give
 *    one answer (OCV1 1303.6, OCV2 1288.9 against their 1434.5 and 1334.6); the one global
 *    search in all 23 parameters it replaced stopped in a worse optimum on seed 1 (OCV2 1340.8);
 * 2. LM on all 21 curves (PROBLEM-full.json) from there, slices starting at the middle of their
 *    bounds, reaches a χ² no larger than the authors' in total (7541 against 7641 at their best
 *    values; 7557 against 7656 with their own resolution). A joint fit trades the curves
 *    against one another: OCV1 (1437.7 against 1434.5) and 3 of the 15 slices end slightly above
 *    the authors' χ² (by ≤ 0.8 %), OCV2 and 12 slices below; each is held within
 *    {@link JOINT_TRADE_OFF} of theirs.
 * Only the media's SLDs are compared with the authors' values: the lower-χ² optima lie in
 * other basins of the Ti/Cu/CuOx partition (the total film thickness agrees, its split does
 * not), so the layer parameters and the slices' Cu thickness are not asserted here (the
 * slices given the authors' steady states are in snsCoFit.test.ts).
 */
import { describe, expect, it } from "vitest";
import { fit } from "../../src/api/fit.ts";
import { buildProblem } from "../../src/fit/problem.ts";
import { parseProblemFile } from "../../src/io/problemFile.ts";
import { levenbergMarquardt } from "../../src/optimize/levenbergMarquardt.ts";
import { authorsByName, chi2PerDataset, exampleProblem, sumOf, withinAuthors, type ProblemJson } from "./snsCuThf.ts";

const SEEDS = [1, 2, 3];
/** LM budget on the 21 curves (40 parameters): ~75 Jacobians. */
const FULL_BUDGET = 3000;
/** In the 21-curve joint fit, each state's and slice's χ² is at most this fraction above the authors' (measured: ≤ 0.8 %). */
const JOINT_TRADE_OFF = 0.01;

const authors = authorsByName();
const within = (name: string, value: number): boolean => withinAuthors(authors, name, value);

/** χ² of each state (OCV1: datasets 0–2, OCV2: 3–5, then each slice: 6–20) and in total at the given values. */
function chi2ByState(json: ProblemJson, file: string, values: Map<string, number>): { total: number; states: number[] } {
  const perDataset = chi2PerDataset(json, file, values);
  const states = [sumOf(perDataset, 0, 3), sumOf(perDataset, 3, 6), ...perDataset.slice(6)];
  return { total: sumOf(states), states };
}

const authorsValues = new Map([...authors].map(([name, a]) => [name, a.best]));

describe("SNS Cu/THF from the middle of the authors' bounds", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: χ² no larger than the authors' (steady states, then all 21 curves)`, async () => {
      const steady = exampleProblem("PROBLEM-steady.json");
      const global = (await fit(steady.json, { method: "de", seed }, steady.file)).toJSON();
      const fitted = new Map(Object.entries(global["parameters"] as Record<string, { value: number }>).map(([name, p]) => [name, p.value]));
      const ours = chi2ByState(steady.json, steady.file, fitted);
      const theirs = chi2ByState(steady.json, steady.file, authorsValues);
      expect(ours.total).toBeLessThanOrEqual(theirs.total);
      ours.states.forEach((chi2, k) => expect(chi2, `OCV${k + 1}: χ² ${chi2} against the authors' ${theirs.states[k]}`).toBeLessThanOrEqual(theirs.states[k]));
      for (const name of ["THF_sld", "Cu_sld"]) expect(within(name, fitted.get(name)!), `${name} ${fitted.get(name)}`).toBe(true);

      // all 21 curves by LM from the steady states (the slices' own parameters at the middle of their bounds)
      const full = exampleProblem("PROBLEM-full.json");
      const start = structuredClone(full.json);
      for (const [name, spec] of Object.entries(start.parameters)) spec.value = fitted.get(name) ?? spec.value;
      const { objective } = buildProblem(parseProblemFile(start, full.file));
      const lm = levenbergMarquardt(objective, { maxEvaluations: FULL_BUDGET });
      const theirsFull = chi2ByState(full.json, full.file, authorsValues);
      expect(lm.chi2).toBeLessThanOrEqual(theirsFull.total);
      const oursFull = chi2ByState(full.json, full.file, new Map(objective.names.map((name, i) => [name, lm.values[i]])));
      const label = (k: number): string => (k < 2 ? `OCV${k + 1}` : `slice ${k - 2}`);
      oursFull.states.forEach((chi2, k) => expect(chi2, `${label(k)}: χ² ${chi2} against the authors' ${theirsFull.states[k]}`).toBeLessThanOrEqual(theirsFull.states[k] * (1 + JOINT_TRADE_OFF)));
    }, 1_200_000);
  }
});
