import { describe, expect, it } from "vitest";
import { ValidationError } from "../core/errors.ts";
import { CELL_CONTRADICTION_DELTA, pooledLawChoice, populationStage, resolveLaws, type Diagnosis } from "./diagnose.ts";
import type { LawName } from "../models/growthLaws.ts";

/** A cell as populationStage reads it: a posterior, a best fit, the law it chose and its law fits. */
const cell = (id: string, law: string, posterior = true): Diagnosis["cells"][number] =>
  ({ id, interphase: "SEI", trace: undefined, diagnosis: { detail: { bestLaw: law, lawFits: posterior ? [{ law, aicc: 0 }] : [], ...(posterior ? { posterior: {}, best: {} } : {}) } } }) as unknown as Diagnosis["cells"][number];

/** A cell's law fits as pooledLawChoice reads them: AICc per law. */
const fits = (aicc: Partial<Record<LawName, number>>) => Object.entries(aicc).map(([law, value]) => ({ law: law as LawName, aicc: value }));

describe("library messages speak of options, with a code for callers", () => {
  it("a cell without a posterior: code population-needs-posteriors", async () => {
    const population = (await populationStage([cell("A", "linear"), cell("B", "linear", false)], { seed: 1, mcmc: { walkers: 8, steps: 10, burn: 5 } }))!;
    expect(population).toMatchObject({ fitted: false, code: "population-needs-posteriors" });
    expect(population.reason).not.toMatch(/--|rerun/);
  });

  it("no law compared in every cell: code population-needs-common-law", async () => {
    const population = (await populationStage([cell("A", "linear"), cell("B", "parabolic")], { seed: 1, mcmc: { walkers: 8, steps: 10, burn: 5 } }))!;
    expect(population).toMatchObject({ fitted: false, code: "population-needs-common-law" });
  });
  it("resolveLaws names the option `laws` unless the caller names its own flag", () => {
    expect(() => resolveLaws("parabolic,cubic")).toThrow(new ValidationError("laws", "unknown law (expected linear, parabolic, mixed, logarithmic, charge)", "cubic"));
    expect(() => resolveLaws(" , ", "--laws")).toThrow(/^--laws: names no law/);
    expect(resolveLaws(undefined)).toHaveLength(5);
  });
});

describe("the population's law is the pooled evidence of all cells (issue 13 part 4)", () => {
  it("cells preferring different laws alone: the sum of their AICc differences chooses, each cell's own law shown beside it", () => {
    // A prefers linear by 1, B parabolic by 3: summed, parabolic is 2 better (weight e^1/(1+e^1))
    const choice = pooledLawChoice([
      { id: "A", ownLaw: "linear", lawFits: fits({ linear: 100, parabolic: 101 }) },
      { id: "B", ownLaw: "parabolic", lawFits: fits({ linear: 53, parabolic: 50 }) },
    ])!;
    expect(choice.pooled.map((p) => p.law)).toEqual(["parabolic", "linear"]);
    expect(choice.pooled[1].deltaIC).toBeCloseTo(2, 12);
    expect(choice.pooled[0].weight).toBeCloseTo(Math.E / (1 + Math.E), 12);
    expect(choice.cells).toEqual([
      { cell: "A", ownLaw: "linear", deltaIC: 1, contradicts: false },
      { cell: "B", ownLaw: "parabolic", deltaIC: 0, contradicts: false },
    ]);
  });

  it(`a cell whose own ΔAICc for the pooled law exceeds ${CELL_CONTRADICTION_DELTA} is flagged; laws missing in a cell are not candidates`, () => {
    const choice = pooledLawChoice([
      { id: "A", ownLaw: "parabolic", lawFits: fits({ parabolic: 0, linear: 5, charge: 0.5 }) },
      { id: "B", ownLaw: "parabolic", lawFits: fits({ parabolic: 0, linear: 5 }) },
      { id: "C", ownLaw: "linear", lawFits: fits({ parabolic: 8, linear: 0 }) },
    ])!;
    expect(choice.pooled.map((p) => p.law)).toEqual(["parabolic", "linear"]); // sums 8 and 10
    expect(choice.cells.find((c) => c.cell === "C")).toEqual({ cell: "C", ownLaw: "linear", deltaIC: 8, contradicts: true });
    expect(choice.pooled.some((p) => p.law === "charge")).toBe(false);
  });
});
