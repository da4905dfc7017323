import { describe, expect, it } from "vitest";
import { ValidationError } from "../core/errors.ts";
import { populationStage, resolveLaws, type Diagnosis } from "./diagnose.ts";

/** A cell as populationStage reads it: a posterior, a best fit and the law it chose. */
const cell = (id: string, law: string, posterior = true): Diagnosis["cells"][number] =>
  ({ id, interphase: "SEI", trace: undefined, diagnosis: { detail: { bestLaw: law, ...(posterior ? { posterior: {}, best: {} } : {}) } } }) as unknown as Diagnosis["cells"][number];

describe("library messages speak of options, with a code for callers", () => {
  it("cells that chose different laws: not fitted, code population-needs-one-law, no command-line flag in the reason", () => {
    const population = populationStage([cell("A", "linear"), cell("B", "parabolic")], 1)!;
    expect(population.fitted).toBe(false);
    expect(population.code).toBe("population-needs-one-law");
    expect(population.reason).toBe('the cells chose different growth laws (A: linear, B: parabolic): a population model needs one law; choose one with the "laws" option');
  });

  it("a cell without a posterior: code population-needs-posteriors", () => {
    const population = populationStage([cell("A", "linear"), cell("B", "linear", false)], 1)!;
    expect(population).toMatchObject({ fitted: false, code: "population-needs-posteriors" });
    expect(population.reason).not.toMatch(/--|rerun/);
  });

  it("resolveLaws names the option `laws` unless the caller names its own flag", () => {
    expect(() => resolveLaws("parabolic,cubic")).toThrow(new ValidationError("laws", "unknown law (expected linear, parabolic, mixed, logarithmic, charge)", "cubic"));
    expect(() => resolveLaws(" , ", "--laws")).toThrow(/^--laws: names no law/);
    expect(resolveLaws(undefined)).toHaveLength(5);
  });
});
