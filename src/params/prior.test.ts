import { describe, expect, it } from "vitest";
import { ValidationError } from "../core/errors.ts";
import { logNormalInterval } from "./special.ts";
import { compileLogPrior, logPrior, PRIOR_KINDS, priorBounds, priorStandardDeviation, samplePrior, validatePrior } from "./prior.ts";
import { PRIOR_SD_RTOL } from "../../test/tolerances.ts";
import type { Prior } from "./prior.ts";

/** Required accuracy of ∫ p(x) dx = 1. */
const NORMALISATION_ATOL = 1e-6;

/** Composite Simpson's rule on [a, b] with n (even) intervals. */
function simpson(f: (x: number) => number, a: number, b: number, n = 20_000): number {
  const h = (b - a) / n;
  let sum = f(a) + f(b);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}

/** ∫ over the prior's support of its density; scale-free priors are integrated in t = ln x. */
function integrate(prior: Prior): number {
  const density = compileLogPrior(prior);
  const p = (x: number): number => Math.exp(density(x));
  switch (prior.kind) {
    case "uniform":
    case "truncnormal": {
      const lo = Number.isFinite(prior.min) ? prior.min : ("mean" in prior ? prior.mean - 40 * prior.sd : 0);
      const hi = Number.isFinite(prior.max) ? prior.max : ("mean" in prior ? prior.mean + 40 * prior.sd : 0);
      return simpson(p, lo, hi);
    }
    case "normal":
      return simpson(p, prior.mean - 40 * prior.sd, prior.mean + 40 * prior.sd);
    case "halfnormal":
      return simpson(p, 0, 40 * prior.sd);
    case "loguniform":
      return simpson((t) => p(Math.exp(t)) * Math.exp(t), Math.log(prior.min), Math.log(prior.max));
    case "lognormal":
      return simpson((t) => p(Math.exp(t)) * Math.exp(t), prior.mu - 40 * prior.sigma, prior.mu + 40 * prior.sigma);
  }
}

const PRIORS: readonly Prior[] = [
  { kind: "uniform", min: -2, max: 3 },
  { kind: "uniform", min: 1e-6, max: 2e-6 },
  { kind: "loguniform", min: 1e-3, max: 1e3 },
  { kind: "normal", mean: 1.5, sd: 0.3 },
  { kind: "normal", mean: -200, sd: 50 },
  { kind: "truncnormal", mean: 0, sd: 1, min: -1, max: 2 },
  { kind: "truncnormal", mean: 10, sd: 2, min: 0, max: Infinity },
  { kind: "truncnormal", mean: 5, sd: 1, min: -Infinity, max: 4 },
  { kind: "truncnormal", mean: 0, sd: 1, min: 8, max: 9 }, // deep upper tail: mass ≈ 6e-16
  { kind: "truncnormal", mean: 0, sd: 1, min: -40, max: -38 }, // mass ≈ 1e-314 would underflow without logs
  { kind: "halfnormal", sd: 2 },
  { kind: "lognormal", mu: 1, sigma: 0.5 },
  { kind: "lognormal", mu: -3, sigma: 2 },
];

describe("logPrior normalisation", () => {
  it.each(PRIORS.map((p) => [JSON.stringify(p), p] as const))("%s integrates to 1", (_, prior) => {
    expect(Math.abs(integrate(prior) - 1)).toBeLessThan(NORMALISATION_ATOL);
  });

  it("covers every kind", () => {
    expect(new Set(PRIORS.map((p) => p.kind))).toEqual(new Set(PRIOR_KINDS));
  });

  it("matches closed forms", () => {
    expect(logPrior({ kind: "normal", mean: 0, sd: 1 }, 0)).toBeCloseTo(-0.5 * Math.log(2 * Math.PI), 15);
    expect(logPrior({ kind: "uniform", min: 0, max: 4 }, 1)).toBeCloseTo(-Math.log(4), 15);
    expect(logPrior({ kind: "halfnormal", sd: 1 }, 0)).toBeCloseTo(Math.log(2) - 0.5 * Math.log(2 * Math.PI), 15);
    expect(logPrior({ kind: "loguniform", min: 1, max: Math.E }, 2)).toBeCloseTo(-Math.log(2), 15);
    expect(logPrior({ kind: "lognormal", mu: 0, sigma: 1 }, 1)).toBeCloseTo(-0.5 * Math.log(2 * Math.PI), 15);
    // Truncating a standard normal to [0, ∞) doubles its density.
    expect(logPrior({ kind: "truncnormal", mean: 0, sd: 1, min: 0, max: Infinity }, 0.7)).toBeCloseTo(
      logPrior({ kind: "halfnormal", sd: 1 }, 0.7),
      14,
    );
  });
});

describe("logPrior outside the support", () => {
  it.each<[Prior, number[], number[]]>([
    [{ kind: "uniform", min: -2, max: 3 }, [-2, 0, 3], [-2.000001, 3.000001, -Infinity, Infinity]],
    [{ kind: "loguniform", min: 1, max: 10 }, [1, 10], [0.999, 10.001, 0, -1]],
    [{ kind: "normal", mean: 0, sd: 1 }, [-30, 0, 30], [Infinity, -Infinity]],
    [{ kind: "truncnormal", mean: 0, sd: 1, min: -1, max: 2 }, [-1, 2], [-1.0001, 2.0001]],
    [{ kind: "halfnormal", sd: 1 }, [0, 5], [-1e-300, -1, -Infinity]],
    [{ kind: "lognormal", mu: 0, sigma: 1 }, [1e-300, 1, 1e300], [0, -1, Infinity]],
  ])("%j", (prior, inside, outside) => {
    for (const x of inside) expect(logPrior(prior, x), `x = ${x}`).toBeGreaterThan(-Infinity);
    for (const x of outside) expect(logPrior(prior, x), `x = ${x}`).toBe(-Infinity);
    expect(logPrior(prior, NaN)).toBe(-Infinity);
  });
});

describe("priorBounds", () => {
  it("reports each support", () => {
    expect(priorBounds({ kind: "uniform", min: 1, max: 2 })).toEqual([1, 2]);
    expect(priorBounds({ kind: "loguniform", min: 1, max: 2 })).toEqual([1, 2]);
    expect(priorBounds({ kind: "normal", mean: 0, sd: 1 })).toEqual([-Infinity, Infinity]);
    expect(priorBounds({ kind: "truncnormal", mean: 0, sd: 1, min: 0, max: Infinity })).toEqual([0, Infinity]);
    expect(priorBounds({ kind: "halfnormal", sd: 1 })).toEqual([0, Infinity]);
    expect(priorBounds({ kind: "lognormal", mu: 0, sigma: 1 })).toEqual([0, Infinity]);
  });
});

describe("validatePrior", () => {
  function failure(prior: unknown): ValidationError {
    try {
      validatePrior(prior, "parameters.t_sei.prior");
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return error as ValidationError;
    }
    throw new Error(`expected ${JSON.stringify(prior)} to be refused`);
  }

  it("accepts every valid example", () => {
    for (const prior of PRIORS) expect(() => validatePrior(prior, "p")).not.toThrow();
  });

  it.each<[unknown, string, string]>([
    [{ kind: "normal", mean: 0, sd: 0 }, "parameters.t_sei.prior.sd", "(got 0)"],
    [{ kind: "normal", mean: 0, sd: -1 }, "parameters.t_sei.prior.sd", "(got -1)"],
    [{ kind: "normal", mean: 0, sd: NaN }, "parameters.t_sei.prior.sd", "(got NaN)"],
    [{ kind: "normal", mean: NaN, sd: 1 }, "parameters.t_sei.prior.mean", "(got NaN)"],
    [{ kind: "normal", mean: Infinity, sd: 1 }, "parameters.t_sei.prior.mean", "(got Infinity)"],
    [{ kind: "normal", mean: 0 }, "parameters.t_sei.prior.sd", "a normal prior requires sd"],
    [{ kind: "normal", mean: 0, sd: "1" }, "parameters.t_sei.prior.sd", '(got "1")'],
    [{ kind: "normal", mean: 0, sigma: 1 }, "parameters.t_sei.prior.sigma", "(got 1)"],
    [{ kind: "uniform", min: 5, max: 5 }, "parameters.t_sei.prior.min", "(got 5)"],
    [{ kind: "uniform", min: 6, max: 5 }, "parameters.t_sei.prior.min", "(got 6)"],
    [{ kind: "uniform", min: 0, max: Infinity }, "parameters.t_sei.prior.max", "(got Infinity)"],
    [{ kind: "loguniform", min: 0, max: 5 }, "parameters.t_sei.prior.min", "(got 0)"],
    [{ kind: "truncnormal", mean: 0, sd: 1, min: 2, max: 1 }, "parameters.t_sei.prior.min", "(got 2)"],
    [{ kind: "halfnormal", sd: 0 }, "parameters.t_sei.prior.sd", "(got 0)"],
    [{ kind: "lognormal", mu: 0, sigma: -2 }, "parameters.t_sei.prior.sigma", "(got -2)"],
    [{ kind: "gaussian", mean: 0, sd: 1 }, "parameters.t_sei.prior.kind", '(got "gaussian")'],
    [{ kind: "constructor" }, "parameters.t_sei.prior.kind", '(got "constructor")'],
    [{ mean: 0, sd: 1 }, "parameters.t_sei.prior.kind", "undefined"],
    [null, "parameters.t_sei.prior", "(got null)"],
    [[1, 2], "parameters.t_sei.prior", "(got [1,2])"],
  ])("%j is refused at %s", (prior, path, shown) => {
    const error = failure(prior);
    expect(error.path).toBe(path);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
    if (shown !== "undefined") expect(error.message).toContain(shown);
  });
});

/** A small seeded uniform generator (mulberry32), for reproducible sampling tests. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function phi(z: number): number {
  return Number.isFinite(z) ? Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI) : 0;
}

/** Exact mean and standard deviation of N(0, 1) truncated to [a, b]. */
function truncatedMoments(a: number, b: number): [number, number] {
  const z = Math.exp(logNormalInterval(a, b));
  const zphi = (x: number): number => (Number.isFinite(x) ? x * phi(x) : 0);
  const mean = (phi(a) - phi(b)) / z;
  return [mean, Math.sqrt(1 + (zphi(a) - zphi(b)) / z - mean * mean)];
}

function plus(mean: number, sd: number, [m, s]: [number, number]): [number, number] {
  return [mean + sd * m, sd * s];
}

describe("samplePrior", () => {
  const N = 20_000;
  it.each<[Prior, number, number]>([
    // prior, exact mean, exact standard deviation
    [{ kind: "uniform", min: -2, max: 3 }, 0.5, 5 / Math.sqrt(12)],
    [{ kind: "loguniform", min: 1, max: 100 }, 99 / Math.log(100), Math.sqrt((100 * 100 - 1) / (2 * Math.log(100)) - (99 / Math.log(100)) ** 2)],
    [{ kind: "normal", mean: 3, sd: 2 }, 3, 2],
    [{ kind: "halfnormal", sd: 2 }, 2 * Math.sqrt(2 / Math.PI), 2 * Math.sqrt(1 - 2 / Math.PI)],
    [{ kind: "lognormal", mu: 0.5, sigma: 0.25 }, Math.exp(0.5 + 0.25 ** 2 / 2), Math.exp(0.5 + 0.25 ** 2 / 2) * Math.sqrt(Math.expm1(0.25 ** 2))],
    [{ kind: "truncnormal", mean: 0, sd: 1, min: -1, max: 2 }, ...truncatedMoments(-1, 2)],
    [{ kind: "truncnormal", mean: 5, sd: 2, min: 5 + 2 * 8, max: Infinity }, ...plus(5, 2, truncatedMoments(8, Infinity))],
    [{ kind: "truncnormal", mean: 0, sd: 1, min: -Infinity, max: -8 }, ...truncatedMoments(-Infinity, -8)],
    [{ kind: "truncnormal", mean: 0, sd: 1, min: 30, max: 30.5 }, ...truncatedMoments(30, 30.5)],
  ])("%j: inside the support, mean within 5 standard errors", (prior, mean, sd) => {
    const rng = mulberry32(12345);
    const [lo, hi] = priorBounds(prior);
    const density = compileLogPrior(prior);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < N; i++) {
      const x = samplePrior(prior, rng);
      if (!(x >= lo && x <= hi && density(x) > -Infinity)) outside++;
      sum += x;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / N - mean)).toBeLessThan((5 * sd) / Math.sqrt(N));
  });

  it("is a deterministic function of the uniform stream", () => {
    const prior: Prior = { kind: "normal", mean: 0, sd: 1 };
    const a = mulberry32(7);
    const b = mulberry32(7);
    for (let i = 0; i < 100; i++) expect(samplePrior(prior, a)).toBe(samplePrior(prior, b));
  });
});

describe("priorStandardDeviation: the sd of a prior restricted to the bounds, against closed forms", () => {
  // textbook moments (not computed by Strata): uniform (b − a)/√12; N(μ, σ) σ; |N(0, σ)| σ√(1 − 2/π);
  // N(0, 1) truncated to [−1, 1]: √(1 − 2φ(1)/(Φ(1) − Φ(−1))); lognormal √((e^{σ²} − 1)e^{2μ+σ²});
  // loguniform on [a, b]: E x = (b − a)/ln(b/a), E x² = (b² − a²)/(2 ln(b/a))
  const PHI1 = Math.exp(-0.5) / Math.sqrt(2 * Math.PI);
  const MASS1 = 0.6826894921370859; // Φ(1) − Φ(−1)
  const cases: { label: string; prior: Prior | undefined; lo: number; hi: number; sd: number }[] = [
    { label: "no prior, bounds [0, 12]", prior: undefined, lo: 0, hi: 12, sd: 12 / Math.sqrt(12) },
    { label: "uniform [2, 5] inside wider bounds", prior: { kind: "uniform", min: 2, max: 5 }, lo: 0, hi: 100, sd: 3 / Math.sqrt(12) },
    { label: "normal far from zero, unbounded", prior: { kind: "normal", mean: 500, sd: 0.004 }, lo: -Infinity, hi: Infinity, sd: 0.004 },
    { label: "normal cut by bounds at ±1 sd", prior: { kind: "normal", mean: 5.854, sd: 0.1 }, lo: 5.754, hi: 5.954, sd: 0.1 * Math.sqrt(1 - (2 * PHI1) / MASS1) },
    { label: "truncnormal [−1, 1]", prior: { kind: "truncnormal", mean: 0, sd: 1, min: -1, max: 1 }, lo: -Infinity, hi: Infinity, sd: Math.sqrt(1 - (2 * PHI1) / MASS1) },
    { label: "halfnormal", prior: { kind: "halfnormal", sd: 3 }, lo: 0, hi: Infinity, sd: 3 * Math.sqrt(1 - 2 / Math.PI) },
    { label: "lognormal", prior: { kind: "lognormal", mu: 1, sigma: 0.3 }, lo: 0, hi: Infinity, sd: Math.sqrt(Math.expm1(0.09) * Math.exp(2 + 0.09)) },
    {
      label: "loguniform [1e-4, 1]",
      prior: { kind: "loguniform", min: 1e-4, max: 1 },
      lo: 0,
      hi: Infinity,
      sd: Math.sqrt((1 - 1e-8) / (2 * Math.log(1e4)) - ((1 - 1e-4) / Math.log(1e4)) ** 2),
    },
  ];
  for (const c of cases) {
    it(c.label, () => {
      const sd = priorStandardDeviation(c.prior, c.lo, c.hi);
      expect(sd).toBeDefined();
      expect(Math.abs(sd! / c.sd - 1)).toBeLessThan(PRIOR_SD_RTOL);
    });
  }
  it("improper (flat with an infinite bound) or no mass inside the bounds: undefined", () => {
    expect(priorStandardDeviation(undefined, 0, Infinity)).toBeUndefined();
    expect(priorStandardDeviation({ kind: "uniform", min: 0, max: 1 }, 2, 3)).toBeUndefined();
  });
});
