import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.ts";
import type { ImpedanceSpectrum } from "../../io/impedance.ts";
import { DRT_EDGE_PROCESS_RTOL, DRT_PEAK_AREA_RTOL, DRT_PEAK_TAU_RTOL } from "../../../test/tolerances.ts";
import { drt, type DrtResult } from "./drt.ts";

type Complex = [number, number];
const add = (a: Complex, b: Complex): Complex => [a[0] + b[0], a[1] + b[1]];
const inv = (a: Complex): Complex => {
  const d = a[0] * a[0] + a[1] * a[1];
  return [a[0] / d, -a[1] / d];
};
const parallel = (a: Complex, b: Complex): Complex => inv(add(inv(a), inv(b)));
const capacitor = (w: number, c: number): Complex => [0, -1 / (w * c)];
/** ZARC R/(1 + (jωτ₀)^φ). */
const zarc = (w: number, r: number, tau0: number, phi: number): Complex => {
  const m = (w * tau0) ** phi;
  const z = inv([1 + m * Math.cos((phi * Math.PI) / 2), m * Math.sin((phi * Math.PI) / 2)]);
  return [r * z[0], r * z[1]];
};
/** Analytic ZARC DRT: (R/π) sin(πφ) x / (1 + 2 cos(πφ) x + x²), x = (τ/τ₀)^φ (impedance.md §5.5). */
const zarcGamma = (tau: number, r: number, tau0: number, phi: number): number => {
  const x = (tau / tau0) ** phi;
  return ((r / Math.PI) * Math.sin(Math.PI * phi) * x) / (1 + 2 * Math.cos(Math.PI * phi) * x + x * x);
};

function logFrequencies(hi: number, lo: number, perDecade: number): Float64Array {
  const n = Math.round((hi - lo) * perDecade) + 1;
  return Float64Array.from({ length: n }, (_, i) => 10 ** (hi - i / perDecade));
}

/** Seeded Park–Miller + Box–Muller, relative noise on both parts. */
function synthesize(f: Float64Array, z: (w: number) => Complex, noise = 0, seed = 12345): ImpedanceSpectrum {
  let state = seed;
  const uniform = (): number => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const real = new Float64Array(f.length);
  const imag = new Float64Array(f.length);
  f.forEach((fi, i) => {
    [real[i], imag[i]] = z(2 * Math.PI * fi);
    const m = Math.hypot(real[i], imag[i]);
    real[i] += noise * m * gauss();
    imag[i] += noise * m * gauss();
  });
  return { frequency: f, real, imag, source: "synthetic", format: "synthetic", warnings: [] };
}

const relativeError = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);
const f10 = logFrequencies(5, -2, 10);

function expectConsistentFit(spectrum: ImpedanceSpectrum, result: DrtResult): void {
  for (let i = 0; i < spectrum.frequency.length; i++) {
    const abs = Math.hypot(spectrum.real[i], spectrum.imag[i]);
    expect(result.residuals.real[i]).toBeCloseTo((spectrum.real[i] - result.fit.real[i]) / abs, 12);
    expect(result.residuals.imag[i]).toBeCloseTo((spectrum.imag[i] - result.fit.imag[i]) / abs, 12);
  }
  for (const x of result.coefficients) expect(x).toBeGreaterThanOrEqual(0);
  expect(result.rInf).toBeGreaterThanOrEqual(0);
  expect(result.inductance).toBeGreaterThanOrEqual(0);
}

describe("drt: analytic checks", () => {
  // R∞ = 10 Ω, RC with R = 100 Ω, τ = RC = 1e-3 s; 100 kHz … 10 mHz at 10 points/decade.
  const rc = synthesize(f10, (w) => add([10, 0], parallel([100, 0], capacitor(w, 1e-5))));

  it.each(["rbf", "piecewise-linear"] as const)("a single RC gives one peak at τ = RC with area R (%s basis)", (basis) => {
    const result = drt(rc, { basis });
    expect(result.peaks.length).toBe(1);
    const [peak] = result.peaks;
    expect(relativeError(peak.tau, 1e-3)).toBeLessThan(DRT_PEAK_TAU_RTOL);
    expect(relativeError(peak.resistance, 100)).toBeLessThan(DRT_PEAK_AREA_RTOL);
    expect(peak.outsideWindow).toBe(false);
    expect(relativeError(result.rInf, 10)).toBeLessThan(DRT_PEAK_AREA_RTOL);
    expect(result.inductance).toBe(0);
    expectConsistentFit(rc, result);
  });

  it("a ZARC matches its analytic distribution: area R and shape", () => {
    const r = 50;
    const tau0 = 1e-3;
    const phi = 0.8;
    const spectrum = synthesize(f10, (w) => add([10, 0], zarc(w, r, tau0, phi)));
    const result = drt(spectrum);
    expect(result.peaks.length).toBe(1);
    expect(relativeError(result.peaks[0].resistance, r)).toBeLessThan(DRT_PEAK_AREA_RTOL);
    expect(relativeError(result.polarizationResistance, r)).toBeLessThan(DRT_PEAK_AREA_RTOL);
    expect(relativeError(result.peaks[0].tau, tau0)).toBeLessThan(DRT_PEAK_TAU_RTOL);
    // ∫|γ − γ_exact| d ln τ relative to R: the shape, not only the area.
    let l1 = 0;
    let exactArea = 0;
    const step = Math.log(result.tau[1] / result.tau[0]);
    for (let q = 0; q < result.tau.length; q++) {
      const exact = zarcGamma(result.tau[q], r, tau0, phi);
      l1 += Math.abs(result.gamma[q] - exact) * step;
      exactArea += exact * step;
    }
    expect(relativeError(exactArea, r)).toBeLessThan(DRT_PEAK_AREA_RTOL); // the grid covers the distribution
    expect(l1 / r).toBeLessThan(0.05);
    expectConsistentFit(spectrum, result);
  });

  it("resolves a process at 70 kHz in a 100 kHz sweep instead of absorbing it into R∞", () => {
    // R∞ = 3 Ω; 4 Ω at τ = 2.3e-6 s (f = 1/(2πτ) ≈ 69 kHz); 20 Ω at τ = 1e-2 s; 100 kHz … 0.1 Hz.
    // pyDRTtools' τ = 1/f grid starts at 1e-5 s here and returns R∞ ≈ 7.1 Ω (impedance.md §5.4).
    const spectrum = synthesize(logFrequencies(5, -1, 10), (w) =>
      add(add([3, 0], parallel([4, 0], capacitor(w, 2.3e-6 / 4))), parallel([20, 0], capacitor(w, 1e-2 / 20))),
    );
    for (const noise of [0, 0.002]) {
      const result = drt(noise === 0 ? spectrum : synthesize(spectrum.frequency, (w) =>
        add(add([3, 0], parallel([4, 0], capacitor(w, 2.3e-6 / 4))), parallel([20, 0], capacitor(w, 1e-2 / 20))), noise));
      expect(relativeError(result.rInf, 3)).toBeLessThan(DRT_EDGE_PROCESS_RTOL);
      const fast = result.peaks.find((p) => p.tau < 1e-4);
      expect(fast).toBeDefined();
      expect(relativeError(fast!.tau, 2.3e-6)).toBeLessThan(DRT_EDGE_PROCESS_RTOL);
      expect(relativeError(fast!.resistance, 4)).toBeLessThan(DRT_EDGE_PROCESS_RTOL);
      expect(fast!.outsideWindow).toBe(false);
      const slow = result.peaks.find((p) => p.tau > 1e-3);
      expect(relativeError(slow!.resistance, 20)).toBeLessThan(DRT_PEAK_AREA_RTOL);
      // The τ grid is at 1/(2πf) and reaches a decade beyond the sweep on both sides.
      expect(result.basisTau[0]).toBeLessThan(0.11 / (2 * Math.PI * 1e5));
      expect(result.basisTau[result.basisTau.length - 1]).toBeGreaterThan(9.9 / (2 * Math.PI * 0.1));
    }
  });

  it("fits a series inductance when the high-frequency end is inductive", () => {
    const spectrum = synthesize(f10, (w) => add([5, w * 1e-6], parallel([40, 0], capacitor(w, 2.5e-5))));
    const result = drt(spectrum);
    expect(relativeError(result.inductance, 1e-6)).toBeLessThan(0.05);
    expect(relativeError(result.peaks[0].resistance, 40)).toBeLessThan(DRT_PEAK_AREA_RTOL);
    expect(drt(spectrum, { inductance: false }).warnings.some((w) => /Z'' > 0/.test(w))).toBe(true);
    expect(drt(spectrum).warnings.some((w) => /Z'' > 0/.test(w))).toBe(false);
  });
});

describe("drt: choosing λ", () => {
  // Two ZARCs with 1 % noise: the case where pyDRTtools' optimiser returns its start value 1e-3.
  const twoZarcs = synthesize(f10, (w) => add(add([10, 0], zarc(w, 30, 1e-4, 0.85)), zarc(w, 60, 1e-1, 0.75)), 0.01);

  it.each(["gcv", "mgcv", "rgcv", "lcurve"] as const)("%s: grid + golden section gives an interior λ and exposes the score curve", (method) => {
    const result = drt(twoZarcs, { lambda: method });
    expect(result.lambdaMethod).toBe(method);
    expect(result.lambda).toBeGreaterThan(1e-9);
    expect(result.lambda).toBeLessThan(1);
    expect(result.lambda).not.toBe(1e-3);
    expect(result.warnings).toEqual([]);
    expect(result.inductance).toBe(0);
    const scores = result.lambdaScores!;
    expect(scores.lambda.length).toBe(scores.score.length);
    expect(scores.lambda.length).toBeGreaterThan(40);
    // The refined λ lies within one grid step of the best grid point.
    let best = 0;
    for (let i = 1; i < scores.score.length; i++) if (scores.score[i] < scores.score[best]) best = i;
    expect(Math.abs(Math.log10(result.lambda / scores.lambda[best]))).toBeLessThanOrEqual(0.25 + 1e-9);
    expect(relativeError(result.polarizationResistance, 90)).toBeLessThan(0.05);
  });

  it.each(["rgcv", "mgcv", "lcurve"] as const)("%s resolves the two arcs without spurious major peaks", (method) => {
    const result = drt(twoZarcs, { lambda: method });
    const major = result.peaks.filter((p) => p.resistance > 0.05 * 90);
    expect(major.length).toBe(2);
    expect(relativeError(major[0].tau, 1e-4)).toBeLessThan(0.1);
    expect(relativeError(major[1].tau, 1e-1)).toBeLessThan(0.1);
    expect(relativeError(major[0].resistance, 30)).toBeLessThan(0.05);
    expect(relativeError(major[1].resistance, 60)).toBeLessThan(0.05);
  });

  it("rGCV (the default), mGCV and the L-curve regularise more than plain GCV", () => {
    const gcv = drt(twoZarcs, { lambda: "gcv" }).lambda;
    expect(drt(twoZarcs).lambdaMethod).toBe("rgcv");
    expect(drt(twoZarcs).lambda).toBeGreaterThan(gcv);
    expect(drt(twoZarcs, { lambda: "mgcv" }).lambda).toBeGreaterThan(gcv);
    expect(drt(twoZarcs, { lambda: "lcurve" }).lambda).toBeGreaterThan(gcv);
  });

  it("uses a fixed λ as given, without a score curve", () => {
    const result = drt(twoZarcs, { lambda: 1e-3 });
    expect(result.lambda).toBe(1e-3);
    expect(result.lambdaMethod).toBe("fixed");
    expect(result.lambdaScores).toBeUndefined();
  });

  it("says so when the score is flat over the searched range, still returning a λ inside it", () => {
    const result = drt(twoZarcs, { lambda: "gcv", lambdaRange: [1e-3, 1e-3 * (1 + 1e-13)] });
    expect(result.warnings.some((w) => /score is flat/.test(w))).toBe(true);
    expect(result.lambda).toBeGreaterThanOrEqual(1e-3 * (1 - 1e-12));
    expect(result.lambda).toBeLessThanOrEqual(1e-3 * (1 + 1e-12));
  });

  it("warns when λ runs into the edge of its range (noise-free data)", () => {
    const clean = synthesize(f10, (w) => add([10, 0], zarc(w, 50, 1e-3, 0.8)));
    expect(drt(clean).warnings.some((w) => /edge of the search range/.test(w))).toBe(true);
  });
});

describe("drt: credible band", () => {
  it("brackets γ, is non-negative and widens with noise (Laplace approximation)", () => {
    const make = (noise: number): ImpedanceSpectrum => synthesize(f10, (w) => add([10, 0], zarc(w, 50, 1e-3, 0.8)), noise);
    const width = (result: DrtResult): number => {
      let s = 0;
      for (let q = 0; q < result.tau.length; q++) s += result.band!.hi[q] - result.band!.lo[q];
      return s;
    };
    const quiet = drt(make(0.001), { credibleBand: true, lambda: 1e-3 });
    const noisy = drt(make(0.01), { credibleBand: true, lambda: 1e-3 });
    for (const result of [quiet, noisy]) {
      expect(result.band!.level).toBe(0.95);
      for (let q = 0; q < result.tau.length; q++) {
        expect(result.band!.lo[q]).toBeGreaterThanOrEqual(0);
        expect(result.band!.lo[q]).toBeLessThanOrEqual(result.gamma[q] + 1e-12);
        expect(result.band!.hi[q]).toBeGreaterThanOrEqual(result.gamma[q] - 1e-12);
      }
    }
    expect(width(noisy)).toBeGreaterThan(3 * width(quiet));
    expect(drt(make(0.01), { credibleBand: true }).band).toBeDefined();
  });
});

describe("drt: invalid input", () => {
  it("rejects too few points, bad frequencies and bad options", () => {
    const short = synthesize(Float64Array.from([100, 10, 1]), () => [1, -1]);
    expect(() => drt(short)).toThrow(ValidationError);
    const rc = synthesize(f10, (w) => add([10, 0], parallel([100, 0], capacitor(w, 1e-5))));
    const zero = { ...rc, frequency: Float64Array.from(rc.frequency, (f, i) => (i === 2 ? 0 : f)) };
    expect(() => drt(zero)).toThrow(/frequency\[2\]/);
    expect(() => drt(rc, { lambda: -1 })).toThrow(ValidationError);
    expect(() => drt(rc, { basis: "spline" as "rbf" })).toThrow(ValidationError);
    expect(() => drt(rc, { lambdaRange: [1, 0.1] })).toThrow(ValidationError);
  });

  it("supports modulus weighting and second-derivative penalties", () => {
    const rc = synthesize(f10, (w) => add([10, 0], parallel([100, 0], capacitor(w, 1e-5))));
    for (const options of [{ weighting: "modulus" as const }, { derivative: 2 as const }, { derivative: 2 as const, basis: "piecewise-linear" as const }]) {
      const result = drt(rc, options);
      expect(result.peaks.length).toBe(1);
      expect(relativeError(result.peaks[0].resistance, 100)).toBeLessThan(DRT_PEAK_AREA_RTOL);
    }
  });
});
