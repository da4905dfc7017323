/**
 * The binomial thresholds of the seeded suites (test/calibrationScale.ts) against values
 * worked by hand from the binomial formula.
 */
import { describe, expect, it } from "vitest";
import { binomialBelow, binomialPmf, coverageThreshold, falseAlarmThreshold } from "./calibrationScale.ts";

/** Hand arithmetic below is to four digits. */
const HAND_ATOL = 5e-5;

describe("k-of-n thresholds", () => {
  it("Binomial(8, 0.95): P(X = 8) = 0.6634, P(X = 7) = 0.2793, P(X = 6) = 0.0515, so P(X < 6) = 0.0058 and P(X < 7) = 0.0572", () => {
    expect(binomialPmf(8, 8, 0.95)).toBeCloseTo(0.95 ** 8, 14);
    expect(Math.abs(binomialPmf(7, 8, 0.95) - 0.2793)).toBeLessThan(HAND_ATOL);
    expect(Math.abs(binomialPmf(6, 8, 0.95) - 0.0515)).toBeLessThan(HAND_ATOL);
    expect(Math.abs(binomialBelow(6, 8, 0.95) - 0.0058)).toBeLessThan(HAND_ATOL);
    expect(Math.abs(binomialBelow(7, 8, 0.95) - 0.0572)).toBeLessThan(HAND_ATOL);
    expect(coverageThreshold(8, 0.95)).toBe(6);
  });

  it("the probabilities of all outcomes add up to 1", () => {
    for (const [n, p] of [[6, 0.95], [40, 0.95], [40, 0.01], [13, 0.5]] as const) {
      let sum = 0;
      for (let k = 0; k <= n; k++) sum += binomialPmf(k, n, p);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
    }
  });

  it("Binomial(6, 0.01): P(X > 0) = 1 − 0.99⁶ = 0.0585 and P(X > 1) = 0.0015, so at most 1 false alarm in 6", () => {
    expect(Math.abs(1 - binomialBelow(1, 6, 0.01) - (1 - 0.99 ** 6))).toBeLessThan(1e-14);
    expect(Math.abs(1 - binomialBelow(2, 6, 0.01) - 0.0015)).toBeLessThan(HAND_ATOL);
    expect(falseAlarmThreshold(6, 0.01)).toBe(1);
  });

  it("1 of 2 when P(X < 2) = 1 − 0.95² = 0.0975 > 1 %", () => {
    expect(coverageThreshold(2, 0.95)).toBe(1);
  });
});
