/**
 * Run-until-mixed (issue 13 part 3): a posterior on which the default-length chain has
 * not mixed is extended until τ and ESS meet their targets, and the extended chain's
 * mean and variance agree with the closed form; the wall-time cap stops a chain and says
 * so; a proposal that leaves acceptance below 0.15 is refreshed.
 *
 * The target is a Gaussian written here in closed form, not through any Strata code: in
 * P = 8 dimensions, x_i = μ_i + s_i·u_i, u an AR(1) sequence of correlation ρ = 0.95
 * (R_ij = ρ^|i−j|), scales s_i spanning four decades. The precision matrix of u is the
 * tridiagonal closed form of R⁻¹: (1/(1−ρ²))·[1, 1+ρ², …, 1+ρ², 1] on the diagonal and
 * −ρ/(1−ρ²) beside it. The stretch move is affine invariant, so the scales do not hurt
 * it, but the strong correlation in 8 dimensions gives τ of order 10² steps: far more
 * than 400 steps / 50.
 */
import { describe, expect, it } from "vitest";
import { ensembleSampler } from "./ensembleSampler.ts";
import type { FitObjective } from "./objective.ts";

const P = 8;
const RHO = 0.95;
const MU = Float64Array.from({ length: P }, (_, i) => 3 - i);
const SCALE = Float64Array.from({ length: P }, (_, i) => 10 ** (i / 2 - 2));

/** ln π(x) up to a constant: −½ uᵀR⁻¹u with u_i = (x_i − μ_i)/s_i. */
function logDensity(x: ArrayLike<number>): number {
  let q = 0;
  const c = 1 / (1 - RHO * RHO);
  let previous = 0;
  for (let i = 0; i < P; i++) {
    const u = (x[i] - MU[i]) / SCALE[i];
    const diagonal = i === 0 || i === P - 1 ? 1 : 1 + RHO * RHO;
    q += c * diagonal * u * u;
    if (i > 0) q -= 2 * c * RHO * u * previous;
    previous = u;
  }
  return -0.5 * q;
}

const gaussian: FitObjective = {
  names: Array.from({ length: P }, (_, i) => `x${i}`),
  lower: new Float64Array(P).fill(-Infinity),
  upper: new Float64Array(P).fill(Infinity),
  nResiduals: 1,
  initial: () => Float64Array.from(MU, (m, i) => m + 0.5 * SCALE[i]),
  residuals: (_t, out) => out ?? new Float64Array(1),
  logPrior: () => 0,
  logLikelihood: logDensity,
  logPosterior: logDensity,
};

/** The sum x0 + x7 as a derived quantity: mean μ0 + μ7, variance s0² + s7² + 2ρ⁷s0s7. */
const derived = {
  names: ["x0+x7"],
  evaluate: (theta: Float64Array, out: Float64Array) => {
    out[0] = theta[0] + theta[P - 1];
  },
};
const SUM_MEAN = MU[0] + MU[P - 1];
const SUM_VARIANCE = SCALE[0] ** 2 + SCALE[P - 1] ** 2 + 2 * RHO ** (P - 1) * SCALE[0] * SCALE[P - 1];

/**
 * Agreement with the closed form in Monte-Carlo standard errors given the chain's ESS:
 * the mean's is sd/√ESS, the variance's var·√(2/ESS) (Gaussian fourth moment). Five of
 * them fail by chance with probability < 10⁻⁶ per quantity.
 */
const MC_STANDARD_ERRORS = 5;
/** The defaults of `strata diagnose`: 24 walkers would do; 32 because the stretch move needs ≥ 2·P and mixes better with more. */
const DEFAULT_LENGTH = { walkers: 32, steps: 400, burn: 50 } as const;
/** Emcee's conventions: τ reliable from ≥ 50 τ; ESS ≥ 400. */
const TAU_FACTOR = 50;
const MIN_ESS = 400;

function sampleMoments(chain: ArrayLike<number>, count: number, j: number): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < count; i++) mean += chain[i * P + j] / count;
  let variance = 0;
  for (let i = 0; i < count; i++) variance += (chain[i * P + j] - mean) ** 2 / (count - 1);
  return { mean, variance };
}

describe("ensembleSampler until mixed", () => {
  const start = { kind: "ball", spread: 1e-3 } as const;

  it("extends a chain that had not mixed at the default length until it has, and then agrees with the closed form", () => {
    const fixed = ensembleSampler(gaussian, { ...DEFAULT_LENGTH, seed: 11, start, derived });
    expect(fixed.mixing.requested).toBe(false);
    expect(fixed.mixing.stop).toBe("fixed-length");
    expect(fixed.mixing.mixed).toBe(false);
    const fixedTau = Math.max(...fixed.autocorrelationTime);
    const fixedEss = Math.min(...fixed.effectiveSampleSize);
    // not mixed at the default length: shorter than 50 τ (and ESS short of 400 with it)
    expect(fixed.keptSteps).toBeLessThan(TAU_FACTOR * fixedTau);
    expect(fixed.warnings.some((w) => /chain too short/.test(w))).toBe(true);

    const extended = ensembleSampler(gaussian, { ...DEFAULT_LENGTH, seed: 11, start, derived, tauFactor: TAU_FACTOR, untilMixed: { minEss: MIN_ESS } });
    const tau = Math.max(...extended.autocorrelationTime, ...extended.derived!.autocorrelationTime);
    const ess = Math.min(...extended.effectiveSampleSize, ...extended.derived!.effectiveSampleSize);
    console.log(
      `8-D Gaussian (ρ = ${RHO}): at ${fixed.keptSteps} steps τ ≤ ${fixedTau.toFixed(1)}, ESS ≥ ${fixedEss.toFixed(0)}; extended ${extended.mixing.extensions} times to ${extended.keptSteps} steps: τ ≤ ${tau.toFixed(1)}, ESS ≥ ${ess.toFixed(0)}, ${extended.mixing.seconds.toFixed(2)} s`,
    );
    expect(extended.mixing).toMatchObject({ requested: true, mixed: true, stop: "mixed", minEss: MIN_ESS, tauFactor: TAU_FACTOR });
    expect(extended.mixing.extensions).toBeGreaterThan(0);
    expect(extended.keptSteps).toBeGreaterThan(DEFAULT_LENGTH.steps);
    expect(extended.keptSteps).toBeGreaterThanOrEqual(TAU_FACTOR * tau);
    expect(ess).toBeGreaterThanOrEqual(MIN_ESS);
    expect(extended.warnings.filter((w) => /too short|cap/.test(w))).toEqual([]);
    // the extended chain is the fixed one continued: same seed, same first 400 kept steps
    expect(Array.from(extended.chain.subarray(0, fixed.chain.length))).toEqual(Array.from(fixed.chain));

    const count = extended.keptSteps * extended.walkers;
    for (let j = 0; j < P; j++) {
      const { mean, variance } = sampleMoments(extended.chain, count, j);
      const n = extended.effectiveSampleSize[j];
      expect(Math.abs(mean - MU[j])).toBeLessThan((MC_STANDARD_ERRORS * SCALE[j]) / Math.sqrt(n));
      expect(Math.abs(variance / SCALE[j] ** 2 - 1)).toBeLessThan(MC_STANDARD_ERRORS * Math.sqrt(2 / n));
    }
    const sums = Float64Array.from({ length: count }, (_, i) => extended.chain[i * P] + extended.chain[i * P + P - 1]);
    const sumMean = sums.reduce((a, b) => a + b, 0) / count;
    const sumVariance = sums.reduce((a, b) => a + (b - sumMean) ** 2, 0) / (count - 1);
    const n = extended.derived!.effectiveSampleSize[0];
    expect(Math.abs(sumMean - SUM_MEAN)).toBeLessThan((MC_STANDARD_ERRORS * Math.sqrt(SUM_VARIANCE)) / Math.sqrt(n));
    expect(Math.abs(sumVariance / SUM_VARIANCE - 1)).toBeLessThan(MC_STANDARD_ERRORS * Math.sqrt(2 / n));
  });

  it("stops at the wall-time cap and says how far it got", () => {
    const capped = ensembleSampler(gaussian, { ...DEFAULT_LENGTH, seed: 12, start, untilMixed: { minEss: MIN_ESS, maxSeconds: 0.05 } });
    expect(capped.mixing).toMatchObject({ requested: true, mixed: false, stop: "time-cap", maxSeconds: 0.05 });
    // the requested steps are always kept; the cap only cuts the extension
    expect(capped.keptSteps).toBeGreaterThanOrEqual(DEFAULT_LENGTH.steps);
    const warning = capped.warnings.find((w) => /wall-time cap/.test(w));
    expect(warning).toMatch(/wall-time cap of 0\.05 s before mixing/);
    expect(warning).toContain(`τ up to ${capped.mixing.maxTau.tau.toPrecision(3)} steps (${capped.mixing.maxTau.name})`);
    expect(warning).toContain(`ESS down to ${capped.mixing.minEssReached.ess.toPrecision(3)}`);
    expect(capped.mixing.maxTau.tau).toBe(Math.max(...capped.autocorrelationTime));
  });

  it("stops at the step cap", () => {
    const capped = ensembleSampler(gaussian, { ...DEFAULT_LENGTH, seed: 13, start, untilMixed: { maxSteps: 600 } });
    expect(capped.mixing).toMatchObject({ mixed: false, stop: "step-cap" });
    expect(capped.keptSteps).toBe(600);
    expect(capped.warnings.some((w) => /cap of 600 kept steps before mixing/.test(w))).toBe(true);
  });

  it("refreshes an independence proposal that leaves acceptance below 0.15", () => {
    // a Laplace approximation centred 30 sd off and 100 times too narrow: nearly every independence proposal fails
    const center = Float64Array.from(MU, (m, i) => m + 30 * SCALE[i]);
    const covariance = new Float64Array(P * P);
    for (let i = 0; i < P; i++) covariance[i * P + i] = (0.01 * SCALE[i]) ** 2;
    const result = ensembleSampler(gaussian, {
      ...DEFAULT_LENGTH,
      seed: 14,
      move: "de",
      start: { kind: "ball", center: MU, spread: 1e-2 },
      independence: { fraction: 0.7, center, covariance },
      untilMixed: { minEss: MIN_ESS },
    });
    expect(result.mixing.refreshes.length).toBeGreaterThanOrEqual(1);
    const first = result.mixing.refreshes[0];
    expect(first.acceptance).toBeLessThan(0.15);
    expect(first.action).toMatch(/independence proposal re-centred on the mean and covariance/);
    expect(first.step).toBe(DEFAULT_LENGTH.burn + DEFAULT_LENGTH.steps);
    // the block before the refresh became burn-in; after it the chain accepts and mixes
    expect(result.burn).toBe(result.mixing.refreshes.at(-1)!.step);
    expect(result.mixing.keptAcceptance).toBeGreaterThan(0.15);
    expect(result.mixing).toMatchObject({ mixed: true, stop: "mixed" });
    const count = result.keptSteps * result.walkers;
    for (let j = 0; j < P; j++) {
      const { mean } = sampleMoments(result.chain, count, j);
      expect(Math.abs(mean - MU[j])).toBeLessThan((MC_STANDARD_ERRORS * SCALE[j]) / Math.sqrt(result.effectiveSampleSize[j]));
    }
  });

  it("estimates τ of many derived quantities in chunks: a copy of a parameter has that parameter's τ", () => {
    // 400 copies × 32 walkers × 400 steps = 5.1 M values, more than one chunk holds
    const copies = 400;
    const result = ensembleSampler(gaussian, {
      ...DEFAULT_LENGTH,
      seed: 15,
      start,
      derived: { names: Array.from({ length: copies }, (_, q) => `copy${q}`), evaluate: (theta, out) => { for (let q = 0; q < copies; q++) out[q] = theta[q % P]; } },
    });
    const derivedTau = result.derived!.autocorrelationTime;
    for (let q = 0; q < copies; q++) expect(derivedTau[q]).toBe(result.autocorrelationTime[q % P]);
  });

  it("validates the run-until-mixed options", () => {
    expect(() => ensembleSampler(gaussian, { ...DEFAULT_LENGTH, untilMixed: { minEss: -1 } })).toThrow(/untilMixed\.minEss/);
    expect(() => ensembleSampler(gaussian, { ...DEFAULT_LENGTH, untilMixed: { maxSeconds: 0 } })).toThrow(/untilMixed\.maxSeconds/);
    expect(() => ensembleSampler(gaussian, { ...DEFAULT_LENGTH, untilMixed: { maxSteps: 100 } })).toThrow(/untilMixed\.maxSteps/);
    expect(() => ensembleSampler(gaussian, { ...DEFAULT_LENGTH, untilMixed: { refreshBelow: 1 } })).toThrow(/untilMixed\.refreshBelow/);
    expect(() => ensembleSampler(gaussian, { ...DEFAULT_LENGTH, tauFactor: Number.NaN })).toThrow(/tauFactor/);
  });
});
