import { describe, expect, it } from "vitest";
import { logGamma, poissonDeviate } from "./poisson.ts";
import { createRandom } from "./random.ts";

describe("Poisson deviates", () => {
  it("log Γ matches factorials and Γ(1/2) = √π", () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 11);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });

  it.each([0.7, 12, 45, 5000])("mean and variance equal λ = %s (200 000 draws, within 4 standard errors)", (lambda) => {
    const random = createRandom(42);
    const n = 200_000;
    let sum = 0;
    let sum2 = 0;
    let invalid = 0;
    for (let i = 0; i < n; i++) {
      const k = poissonDeviate(lambda, () => random.next());
      if (!(Number.isInteger(k) && k >= 0)) invalid++;
      sum += k;
      sum2 += k * k;
    }
    expect(invalid).toBe(0);
    const mean = sum / n;
    const variance = sum2 / n - mean * mean;
    expect(Math.abs(mean - lambda)).toBeLessThan(4 * Math.sqrt(lambda / n));
    // variance of the sample variance ≈ (μ4 − σ⁴)/n = (λ + 2λ²)/n for Poisson
    expect(Math.abs(variance - lambda)).toBeLessThan(4 * Math.sqrt((lambda + 2 * lambda * lambda) / n));
  });
});
