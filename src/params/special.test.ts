import { describe, expect, it } from "vitest";
import { erf, erfc, logErfc, logNormalInterval, logNormalUpperTail, upperTailQuantile } from "./special.ts";

/** Reference values from CPython's math.erf / math.erfc (libm) and statistics.NormalDist. */
const REFERENCE: readonly [number, number, number][] = [
  [0.1, 0.1124629160182849, 0.8875370839817152],
  [0.5, 0.5204998778130465, 0.4795001221869535],
  [1, 0.8427007929497149, 0.15729920705028513],
  [1.5, 0.9661051464753108, 0.033894853524689274],
  [2, 0.9953222650189527, 0.004677734981047265],
  [3, 0.9999779095030014, 2.2090496998585438e-5],
  [5, 0.9999999999984626, 1.5374597944280351e-12],
  [10, 1, 2.088487583762545e-45],
  [20, 1, 5.3958656116079005e-176],
  [26, 1, 5.663192408856143e-296],
];
const RTOL = 1e-14;

function expectClose(actual: number, expected: number, rtol = RTOL): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rtol * Math.abs(expected));
}

describe("erf / erfc", () => {
  it.each(REFERENCE)("x = %d", (x, erfRef, erfcRef) => {
    expectClose(erf(x), erfRef);
    expectClose(erf(-x), -erfRef);
    expectClose(erfc(x), erfcRef);
    expectClose(erfc(-x), 2 - erfcRef);
    expectClose(logErfc(x), Math.log(erfcRef));
  });

  it("stays finite in log space beyond underflow", () => {
    expect(erfc(40)).toBe(0);
    // ln erfc(x) ≈ −x² − ln(x√π) − 1/(2x²) for large x.
    const x = 40;
    expectClose(logErfc(x), -x * x - Math.log(x * Math.sqrt(Math.PI)) - 1 / (2 * x * x), 1e-9);
    expect(logErfc(Infinity)).toBe(-Infinity);
  });

  it("handles NaN and zero", () => {
    expect(erf(NaN)).toBeNaN();
    expect(erfc(NaN)).toBeNaN();
    expect(erf(0)).toBe(0);
    expect(erfc(0)).toBe(1);
  });
});

describe("normal tails", () => {
  it("gives interval probabilities with and without straddling 0", () => {
    expectClose(Math.exp(logNormalInterval(-1, 1)), 0.6826894921370859, 1e-13);
    expectClose(Math.exp(logNormalInterval(-Infinity, Infinity)), 1);
    expectClose(Math.exp(logNormalInterval(0, Infinity)), 0.5);
    expectClose(logNormalInterval(10, 11), logNormalInterval(-11, -10));
    // Deep in the tail: Q(30) − Q(31), where Q(31)/Q(30) is negligible.
    expectClose(logNormalInterval(30, 31), logNormalUpperTail(30), 1e-12);
  });

  it.each([
    [1e-10, -6.361340902404056],
    [0.001, -3.090232306167813],
    [0.025, -1.9599639845400538],
    [0.3, -0.5244005127080407],
    [0.9, 1.2815515655446008],
  ])("inverts Φ at p = %d", (p, z) => {
    // Φ(z) = p ⇔ Q(z) = 1 − p.
    expect(Math.abs(upperTailQuantile(Math.log1p(-p)) - z)).toBeLessThan(1e-12);
    expect(Math.abs(upperTailQuantile(Math.log(p)) + z)).toBeLessThan(1e-12);
  });

  it("inverts far into the tail", () => {
    const z = upperTailQuantile(-500);
    expect(Math.abs(logNormalUpperTail(z) + 500)).toBeLessThan(1e-10);
    expect(upperTailQuantile(0)).toBe(-Infinity);
    expect(upperTailQuantile(-Infinity)).toBe(Infinity);
    expect(upperTailQuantile(1)).toBeNaN();
  });
});
