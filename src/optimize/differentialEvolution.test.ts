import { describe, expect, it } from "vitest";
import { ValidationError } from "../core/errors.ts";
import { DE_GLOBAL_ATOL } from "../../test/tolerances.ts";
import { curveObjective } from "./curveObjective.ts";
import { differentialEvolution } from "./differentialEvolution.ts";
import { levenbergMarquardt } from "./levenbergMarquardt.ts";

/** Rastrigin's function as least squares: Σ xⱼ² + 20 sin²(π xⱼ) = Σ xⱼ² + 10(1 − cos 2π xⱼ). Global minimum 0 at the origin. */
function rastrigin(dimension: number, initial: number[]) {
  return curveObjective({
    names: Array.from({ length: dimension }, (_, j) => `x${j + 1}`),
    model: (t, _x: null, out) => {
      for (let j = 0; j < dimension; j++) {
        out[2 * j] = t[j];
        out[2 * j + 1] = Math.sqrt(20) * Math.sin(Math.PI * t[j]);
      }
    },
    x: null,
    y: new Float64Array(2 * dimension),
    initial,
    lower: new Array<number>(dimension).fill(-5.12),
    upper: new Array<number>(dimension).fill(5.12),
  });
}

/** y = a·sin(ω x): χ²(ω) has many local minima. */
function sineFit(initial: number[]) {
  const x = Float64Array.from({ length: 120 }, (_, i) => i * 0.1);
  const y = Float64Array.from(x, (xi) => 2 * Math.sin(3.7 * xi));
  return curveObjective({
    names: ["amplitude", "omega"],
    model: (t, xs: Float64Array, out) => {
      for (let i = 0; i < xs.length; i++) out[i] = t[0] * Math.sin(t[1] * xs[i]);
    },
    x,
    y,
    initial,
    lower: [0.1, 0.5],
    upper: [5, 10],
  });
}

describe("differentialEvolution", () => {
  it("finds the global minimum of Rastrigin's function where LM stops in a local one", () => {
    const objective = rastrigin(3, [3.1, -2.2, 1.9]);
    const local = levenbergMarquardt(objective);
    expect(local.chi2).toBeGreaterThan(1);
    const result = differentialEvolution(objective, { seed: 1 });
    expect(result.converged).toBe(true);
    for (const v of result.values) expect(Math.abs(v)).toBeLessThan(DE_GLOBAL_ATOL);
    expect(result.chi2).toBeLessThan(DE_GLOBAL_ATOL ** 2);
  });

  it.each(["best1bin", "rand1bin"] as const)("finds the global minimum of a multimodal curve fit (%s)", (strategy) => {
    const objective = sineFit([1, 1]);
    const local = levenbergMarquardt(objective);
    expect(Math.abs(local.values[1] - 3.7)).toBeGreaterThan(0.1);
    const result = differentialEvolution(objective, { seed: 7, strategy });
    expect(result.values[0]).toBeCloseTo(2, 6);
    expect(Math.abs(result.values[1] - 3.7)).toBeLessThan(DE_GLOBAL_ATOL);
    expect(result.polish).not.toBeNull();
    expect(result.polish!.stderr.length).toBe(2);
  });

  it("is deterministic for a seed", () => {
    const objective = sineFit([1, 1]);
    const a = differentialEvolution(objective, { seed: 3, polish: false, maxGenerations: 20 });
    const b = differentialEvolution(objective, { seed: 3, polish: false, maxGenerations: 20 });
    const c = differentialEvolution(objective, { seed: 4, polish: false, maxGenerations: 20 });
    expect(a.population).toEqual(b.population);
    expect(a.values).toEqual(b.values);
    expect(a.population).not.toEqual(c.population);
  });

  it("needs finite bounds and names the parameter otherwise", () => {
    const x = Float64Array.from([1, 2, 3]);
    const objective = curveObjective({
      names: ["a", "b"],
      model: (t, xs: Float64Array, out) => {
        for (let i = 0; i < xs.length; i++) out[i] = t[0] + t[1] * xs[i];
      },
      x,
      y: [1, 2, 3],
      initial: [0, 0],
      lower: [0, -Infinity],
      upper: [1, Infinity],
    });
    expect(() => differentialEvolution(objective)).toThrow(ValidationError);
    expect(() => differentialEvolution(objective)).toThrow(/bounds\.b/);
    // A search box from the caller is enough.
    expect(differentialEvolution(objective, { lower: [0, -5], upper: [1, 5], maxGenerations: 5 }).values.length).toBe(2);
    expect(() => differentialEvolution(objective, { lower: [0, -5], upper: [1, 5], logScale: [false, true] })).toThrow(/logScale\.b/);
  });

  it("searches on a log scale when asked", () => {
    const x = Float64Array.from({ length: 30 }, (_, i) => i + 1);
    const y = Float64Array.from(x, (xi) => 0.003 * Math.exp(-xi / 12));
    const objective = curveObjective({
      names: ["scale", "length"],
      model: (t, xs: Float64Array, out) => {
        for (let i = 0; i < xs.length; i++) out[i] = t[0] * Math.exp(-xs[i] / t[1]);
      },
      x,
      y,
      initial: [1, 1],
    });
    const result = differentialEvolution(objective, { seed: 2, lower: [1e-6, 1e-2], upper: [1e2, 1e4], logScale: true });
    expect(result.values[0]).toBeCloseTo(0.003, 9);
    expect(result.values[1]).toBeCloseTo(12, 6);
  });

  it("minimises −log posterior on request (and skips the χ² polish with a warning)", () => {
    const objective = sineFit([1, 1]);
    const result = differentialEvolution(objective, { seed: 5, minimize: "negLogPosterior" });
    expect(result.polish).toBeNull();
    expect(result.warnings.some((w) => w.startsWith("polish skipped"))).toBe(true);
    expect(Math.abs(result.values[1] - 3.7)).toBeLessThan(1e-2);
  });

  it("does not mutate the objective", () => {
    const objective = sineFit([1, 1]);
    const lower = Float64Array.from(objective.lower);
    differentialEvolution(objective, { seed: 1, maxGenerations: 5 });
    expect(objective.initial()).toEqual(Float64Array.from([1, 1]));
    expect(objective.lower).toEqual(lower);
  });

  it("can be cancelled from the progress callback", () => {
    const result = differentialEvolution(sineFit([1, 1]), { seed: 1, progress: ({ generation }) => generation < 3 });
    expect(result.status).toBe("cancelled");
    expect(result.generations).toBe(3);
    expect(result.polish).toBeNull();
  });
});
