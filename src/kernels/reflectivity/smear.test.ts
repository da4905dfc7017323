import { describe, expect, it } from "vitest";
import { applySmearing, FWHM_TO_SIGMA, planSmearing } from "./smear.ts";
import { createSmearedReflectivity, smearedReflectivity } from "./smearedReflectivity.ts";
import { erf } from "../../core/quadrature.ts";
import { seededUniform } from "../../../test/reference/transferMatrix.ts";
import { FAST_SMEAR_RTOL, FIRST_PRINCIPLES_RTOL } from "../../../test/tolerances.ts";

const linspace = (a: number, b: number, n: number): Float64Array =>
  Float64Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
const logspace = (a: number, b: number, n: number): Float64Array =>
  Float64Array.from({ length: n }, (_, i) => a * Math.pow(b / a, i / (n - 1)));

describe("resolution smearing", () => {
  it("FWHM to σ is 1/(2√(2 ln 2))", () => {
    expect(FWHM_TO_SIGMA).toBeCloseTo(0.42466090014400953, 15);
  });

  it("conserves the mean of a constant curve: erf(3.5/√2) by default, exactly 1 when renormalised", () => {
    const q = linspace(0.01, 0.3, 80);
    const sigma = q.map((x) => 0.03 * x);
    for (const renormalise of [false, true]) {
      const plan = planSmearing(q, sigma, { renormalise });
      const constant = new Float64Array(plan.grid.length).fill(0.25);
      const out = applySmearing(plan, constant, new Float64Array(q.length));
      const expected = renormalise ? 0.25 : 0.25 * erf(3.5 / Math.SQRT2);
      for (const value of out) expect(Math.abs(value - expected) / expected).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
    }
  });

  it("reproduces the exact Gaussian average of a smooth function (a quadratic: mean + σ²)", () => {
    const q = linspace(0.02, 0.2, 40);
    const sigma = q.map((x) => 0.02 * x);
    const plan = planSmearing(q, sigma, { cutoff: 8, renormalise: true });
    const values = plan.grid.map((x) => x * x);
    const out = applySmearing(plan, values, new Float64Array(q.length));
    for (let i = 0; i < q.length; i++) {
      const expected = q[i] * q[i] + sigma[i] * sigma[i];
      expect(Math.abs(out[i] - expected) / expected).toBeLessThanOrEqual(1e-10);
    }
  });

  it(`fast grid smearing agrees with brute-force convolution within ${FAST_SMEAR_RTOL} on random stacks (seed 11)`, () => {
    const random = seededUniform(11);
    for (let trial = 0; trial < 12; trial++) {
      const rows: number[][] = [[0, random() < 0.5 ? 0 : 2.07, 0, 0]];
      const layers = 1 + Math.floor(random() * 6);
      for (let j = 0; j < layers; j++) rows.push([10 + random() * 250, random() * 8 - 1, random() * 0.05, random() * 6]);
      rows.push([0, 2 + random() * 5, 0, 1 + random() * 5]);
      const slabs = Float64Array.from(rows.flat());
      const q = random() < 0.5 ? linspace(0.005, 0.3, 150) : logspace(0.005, 0.3, 150);
      const dqOverQ = 0.02 + random() * 0.06; // FWHM 2–8 %
      const sigma = q.map((x) => x * dqOverQ * FWHM_TO_SIGMA);
      const fast = createSmearedReflectivity(q, sigma).evaluate(slabs);
      const brute = smearedReflectivity(planSmearing(q, sigma, { method: "pointwise", nodes: 4001 }), slabs);
      for (let i = 0; i < q.length; i++) {
        expect(Math.abs(fast[i] - brute[i]) / brute[i], `trial ${trial} Q=${q[i]}`).toBeLessThanOrEqual(FAST_SMEAR_RTOL);
      }
    }
  });

  it("zero resolution returns the unsmeared curve; pointwise σ and constant dQ/Q give the same answer", () => {
    const slabs = Float64Array.from([0, 0, 0, 0, 150, 4, 0.01, 3, 0, 2.07, 0, 2]);
    const q = linspace(0.01, 0.25, 60);
    const sigma = q.map((x) => 0.02 * x);
    const a = createSmearedReflectivity(q, sigma).evaluate(slabs);
    const b = createSmearedReflectivity(q, Float64Array.from(sigma)).evaluate(slabs);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("plans once per bucket of total thickness (5 %) and reuses the plan inside it", () => {
    const q = linspace(0.01, 0.25, 60);
    // widths used by no other test, so the process-wide plan cache starts empty for them
    const smear = createSmearedReflectivity(q, q.map((x) => 0.0237 * x));
    const slabs = Float64Array.from([0, 0, 0, 0, 150, 4, 0.01, 3, 0, 2.07, 0, 2]);
    smear.evaluate(slabs);
    slabs[5] = 4.3; // a layer SLD moves: same bucket
    slabs[4] = 150.5;
    smear.evaluate(slabs);
    expect(smear.plans()).toBe(1);
    slabs[4] = 170;
    smear.evaluate(slabs);
    expect(smear.plans()).toBe(2);
    slabs[4] = 150;
    smear.evaluate(slabs);
    expect(smear.plans()).toBe(2);
  });
});
