import { describe, expect, it } from "vitest";
import { curveObjective } from "./curveObjective.ts";
import { levenbergMarquardt } from "./levenbergMarquardt.ts";
import { expandHeld, holding, withGaussianPriors } from "./objective.ts";

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

describe("withGaussianPriors: normal priors as extra residuals", () => {
  // y = a + b·x on five points with unit errors and a prior a ~ N(mu, s²): the MAP and its
  // covariance are the weighted least squares of the data rows plus the row (a − mu)/s, solved
  // here by the 2 × 2 normal equations
  const xs = Float64Array.from([0, 1, 2, 3, 4]);
  const ys = [1.3, 2.8, 5.4, 6.9, 9.2];
  const line = curveObjective({
    names: ["a", "b"],
    model: (t: Float64Array, xv: Float64Array, out: Float64Array) => {
      for (let i = 0; i < xv.length; i++) out[i] = t[0] + t[1] * xv[i];
    },
    x: xs,
    y: ys,
    initial: [0, 0],
    lower: [-100, -100],
    upper: [100, 100],
  });
  const mu = 0.2;
  const s = 0.25;
  /** The MAP and its covariance by hand. */
  function byHand(): { a: number; b: number; varA: number; varB: number } {
    let saa = 1 / (s * s);
    let sab = 0;
    let sbb = 0;
    let ra = mu / (s * s);
    let rb = 0;
    xs.forEach((xv, i) => {
      saa += 1;
      sab += xv;
      sbb += xv * xv;
      ra += ys[i];
      rb += xv * ys[i];
    });
    const det = saa * sbb - sab * sab;
    return { a: (sbb * ra - sab * rb) / det, b: (saa * rb - sab * ra) / det, varA: sbb / det, varB: saa / det };
  }

  it("LM on it gives the MAP and the posterior covariance of the data and the prior", () => {
    const withPrior = withGaussianPriors(line, [{ index: 0, mean: mu, sd: s }]);
    expect(withPrior.nResiduals).toBe(line.nResiduals + 1);
    const fit = levenbergMarquardt(withPrior);
    const expected = byHand();
    expect(fit.values[0]).toBeCloseTo(expected.a, 8);
    expect(fit.values[1]).toBeCloseTo(expected.b, 8);
    expect(fit.stderrUnscaled[0]).toBeCloseTo(Math.sqrt(expected.varA), 6);
    expect(fit.stderrUnscaled[1]).toBeCloseTo(Math.sqrt(expected.varB), 6);
    // without the prior a is the data's alone (farther from mu)
    const free = levenbergMarquardt(line);
    expect(Math.abs(free.values[0] - mu)).toBeGreaterThan(Math.abs(fit.values[0] - mu));
  });

  it("the data's residuals come first, the prior's last; logPrior adds the normal density, logLikelihood is the data's", () => {
    const withPrior = withGaussianPriors(line, [{ index: 1, mean: 2, sd: 0.5 }]);
    const theta = Float64Array.from([1, 2.5]);
    const r = withPrior.residuals(theta);
    const data = line.residuals(theta);
    expect(Array.from(r.subarray(0, data.length))).toEqual(Array.from(data));
    expect(r[data.length]).toBeCloseTo((2.5 - 2) / 0.5, 14);
    const logNormal = -Math.log(0.5) - 0.5 * Math.log(2 * Math.PI) - 0.5 * 1;
    expect(withPrior.logPrior(theta)).toBeCloseTo(line.logPrior(theta) + logNormal, 12);
    expect(withPrior.logLikelihood(theta)).toBe(line.logLikelihood(theta));
    expect(withPrior.logPosterior(theta)).toBeCloseTo(line.logPrior(theta) + logNormal + line.logLikelihood(theta), 12);
  });

  it("a prior with sd ≤ 0 or an index outside θ is refused", () => {
    expect(() => withGaussianPriors(line, [{ index: 0, mean: 0, sd: 0 }])).toThrow(/sd 0 must be finite with sd > 0/);
    expect(() => withGaussianPriors(line, [{ index: 2, mean: 0, sd: 1 }])).toThrow(/prior index 2 outside 0…1/);
  });
});
