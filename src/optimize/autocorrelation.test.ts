import { describe, expect, it } from "vitest";
import { createRandom } from "../core/random.ts";
import { AR1_TAU_RTOL } from "../../test/tolerances.ts";
import {
  autocorrelationFunction,
  ensembleAutocorrelationTime,
  integratedAutocorrelationTime,
  sokalWindow,
} from "./autocorrelation.ts";

/** AR(1) x_t = φ x_{t−1} + ε_t started from its stationary distribution; τ = (1 + φ)/(1 − φ). */
function ar1(phi: number, length: number, seed: number): Float64Array {
  const rng = createRandom(seed);
  const out = new Float64Array(length);
  out[0] = rng.normal() / Math.sqrt(1 - phi * phi);
  for (let t = 1; t < length; t++) out[t] = phi * out[t - 1] + rng.normal();
  return out;
}

describe("autocorrelationFunction", () => {
  it("matches the direct O(n²) sum", () => {
    const x = ar1(0.6, 257, 1);
    const rho = autocorrelationFunction(x);
    let mean = 0;
    for (const v of x) mean += v / x.length;
    const c = (k: number): number => {
      let s = 0;
      for (let t = 0; t + k < x.length; t++) s += (x[t] - mean) * (x[t + k] - mean);
      return s;
    };
    const c0 = c(0);
    for (const k of [0, 1, 2, 5, 50, 256]) expect(rho[k]).toBeCloseTo(c(k) / c0, 12);
  });

  it("is [1, 0, 0, …] for a constant series", () => {
    expect(Array.from(autocorrelationFunction([2, 2, 2, 2]))).toEqual([1, 0, 0, 0]);
  });
});

describe("integrated autocorrelation time", () => {
  it("is ≈ 1 for white noise", () => {
    const rng = createRandom(2);
    const x = Float64Array.from({ length: 50_000 }, () => rng.normal());
    expect(Math.abs(integratedAutocorrelationTime(x) - 1)).toBeLessThan(0.1);
  });

  it("matches (1 + φ)/(1 − φ) for a long AR(1) series (φ = 0.5)", () => {
    const tau = integratedAutocorrelationTime(ar1(0.5, 200_000, 3));
    expect(Math.abs(tau - 3) / 3).toBeLessThan(AR1_TAU_RTOL);
  });

  it("matches (1 + φ)/(1 − φ) = 19 for an ensemble of AR(1) walkers (φ = 0.9), both estimators", () => {
    const steps = 20_000;
    const walkers = 32;
    const chain = new Float64Array(steps * walkers);
    for (let w = 0; w < walkers; w++) {
      const series = ar1(0.9, steps, 100 + w);
      for (let s = 0; s < steps; s++) chain[s * walkers + w] = series[s];
    }
    const [tau] = ensembleAutocorrelationTime(chain, steps, walkers, 1);
    expect(Math.abs(tau - 19) / 19).toBeLessThan(AR1_TAU_RTOL);
    const [tauMean] = ensembleAutocorrelationTime(chain, steps, walkers, 1, { method: "walkerMean" });
    // Independent walkers: the walker-mean chain has the same τ, with fewer effective samples.
    expect(Math.abs(tauMean - 19) / 19).toBeLessThan(2 * AR1_TAU_RTOL);
  });

  it("chooses Sokal's window: the first M ≥ c·τ(M)", () => {
    const rho = Float64Array.from({ length: 100 }, (_, k) => 0.5 ** k);
    const { tau, window } = sokalWindow(rho, 5);
    // τ(M) = 1 + 2·Σ_{k=1..M} 2^−k = 3 − 2^(1−M): M = 14 gives 5τ > 14, M = 15 gives 5τ < 15.
    expect(window).toBe(15);
    expect(tau).toBeCloseTo(3 - 2 ** -14, 12);
  });
});
