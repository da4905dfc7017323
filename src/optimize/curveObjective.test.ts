import { describe, expect, it } from "vitest";
import { FitAbortedError, ValidationError } from "../core/errors.ts";
import { curveObjective } from "./curveObjective.ts";

const x = Float64Array.from([0, 1, 2]);
const y = [1, 2.5, 2.9];
const sigma = [0.5, 1, 2];
const model = (t: Float64Array, xs: Float64Array, out: Float64Array): void => {
  for (let i = 0; i < xs.length; i++) out[i] = t[0] + t[1] * xs[i];
};

describe("curveObjective", () => {
  const objective = curveObjective({ names: ["a", "b"], model, x, y, sigma, initial: [1, 1], lower: [0, -5], upper: [10, 5] });

  it("returns (model − y)/σ into the given buffer", () => {
    const out = new Float64Array(3);
    const r = objective.residuals(Float64Array.from([1, 1]), out);
    expect(r).toBe(out);
    [0, -0.5, 0.05].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 14));
    expect(objective.nResiduals).toBe(3);
  });

  it("has the full Gaussian log-likelihood and a flat prior inside the bounds", () => {
    const theta = Float64Array.from([1, 1]);
    const chi2 = 0 + 0.25 + 0.0025;
    const expected = -0.5 * chi2 - Math.log(0.5 * 1 * 2) - 1.5 * Math.log(2 * Math.PI);
    expect(objective.logLikelihood(theta)).toBeCloseTo(expected, 14);
    expect(objective.logPrior(theta)).toBe(0);
    expect(objective.logPosterior(theta)).toBeCloseTo(expected, 14);
    expect(objective.logPrior(Float64Array.from([-1, 1]))).toBe(-Infinity);
    expect(objective.logPosterior(Float64Array.from([1, 6]))).toBe(-Infinity);
  });

  it("copies its inputs: initial() is fresh each time and bounds are its own", () => {
    const a = objective.initial();
    a[0] = 99;
    expect(objective.initial()[0]).toBe(1);
    expect(Array.from(objective.lower)).toEqual([0, -5]);
  });

  it("raises on NaN by default, naming the objective and θ; propagates on request", () => {
    const sqrtModel = (t: Float64Array, xs: Float64Array, out: Float64Array): void => {
      for (let i = 0; i < xs.length; i++) out[i] = Math.sqrt(t[0]) * xs[i];
    };
    const raising = curveObjective({ name: "root", names: ["k"], model: sqrtModel, x, y, initial: [1] });
    expect(() => raising.residuals(Float64Array.from([-1]))).toThrow(FitAbortedError);
    expect(() => raising.residuals(Float64Array.from([-1]))).toThrow(/root: model returned NaN .* k=-1/);
    const propagating = curveObjective({ names: ["k"], model: sqrtModel, x, y, initial: [1], nanPolicy: "propagate" });
    expect(Number.isNaN(propagating.residuals(Float64Array.from([-1]))[0])).toBe(true);
  });

  it("validates lengths, σ and bounds", () => {
    expect(() => curveObjective({ names: ["a", "b"], model, x, y, sigma: [1, 1], initial: [0, 0] })).toThrow(ValidationError);
    expect(() => curveObjective({ names: ["a", "b"], model, x, y, sigma: [1, 0, 1], initial: [0, 0] })).toThrow(/sigma\[1\]/);
    expect(() => curveObjective({ names: ["a", "b"], model, x, y, initial: [0] })).toThrow(/initial/);
    expect(() => curveObjective({ names: ["a", "b"], model, x, y, initial: [0, 0], lower: [1, 0], upper: [1, 1] })).toThrow(/bounds\.a/);
  });
});
