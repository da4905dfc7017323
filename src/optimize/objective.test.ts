import { describe, expect, it } from "vitest";
import { curveObjective } from "./curveObjective.ts";
import { levenbergMarquardt } from "./levenbergMarquardt.ts";
import { expandHeld, holding } from "./objective.ts";

/** y = a + b·x + c·x² on five exact points (a, b, c) = (1, 2, 0.5). */
const x = Float64Array.from([0, 1, 2, 3, 4]);
const y = Array.from(x, (v) => 1 + 2 * v + 0.5 * v * v);
const objective = curveObjective({
  names: ["a", "b", "c"],
  model: (t: Float64Array, xs: Float64Array, out: Float64Array) => {
    for (let i = 0; i < xs.length; i++) out[i] = t[0] + t[1] * xs[i] + t[2] * xs[i] * xs[i];
  },
  x,
  y,
  initial: [0, 0, 0],
  lower: [-10, -10, -10],
  upper: [10, 10, 10],
});

describe("holding: an objective with one parameter held", () => {
  it("drops the parameter from names, bounds and vectors and inserts it in every call", () => {
    const held = holding(objective, 1, 2, [5, 7, 9]);
    expect(held.names).toEqual(["a", "c"]);
    expect(Array.from(held.lower)).toEqual([-10, -10]);
    expect(Array.from(held.initial())).toEqual([5, 9]);
    const r = held.residuals(Float64Array.from([1, 0.5]));
    for (const v of r) expect(v).toBe(0);
    expect(held.logPosterior(Float64Array.from([1, 0.5]))).toBe(objective.logPosterior(Float64Array.from([1, 2, 0.5])));
    expect(Array.from(expandHeld([1, 0.5], 1, 2))).toEqual([1, 2, 0.5]);
  });

  it("a fit over the others recovers them with the held value at its truth, and the held value's bias otherwise", () => {
    const exact = levenbergMarquardt(holding(objective, 2, 0.5));
    expect(exact.values[0]).toBeCloseTo(1, 10);
    expect(exact.values[1]).toBeCloseTo(2, 10);
    const biased = levenbergMarquardt(holding(objective, 2, 0));
    // least squares of a straight line to y = 1 + 2x + x²/2 on x = 0…4: slope 2 + 0.5·4 = 4, intercept 1 − 0.5·2 = 0 (hand values)
    expect(biased.values[0]).toBeCloseTo(0, 8);
    expect(biased.values[1]).toBeCloseTo(4, 8);
  });
});
