import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.ts";
import { fitCircuit } from "../../fit/circuitObjective.ts";
import type { ImpedanceData } from "../../fit/circuitObjective.ts";
import { arcParameters, impedanceSequence } from "./sequence.ts";
import { circuitPolarisation } from "./polarisation.ts";

/** Noise-free fits reach the generating values; derived quantities are then exact to this. */
const DERIVED_RTOL = 1e-6;

/** R0 + R1‖CPE1 + R2‖C2 written out (not through the circuit code), 10 kHz … 0.01 Hz. */
function spectrum(r1: number, q1: number, alpha: number, r2: number, c2: number, r0 = 5): ImpedanceData {
  const n = 61;
  const frequency = Float64Array.from({ length: n }, (_, i) => 10 ** (4 - i / 10));
  const real = new Float64Array(n);
  const imag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = 2 * Math.PI * frequency[i];
    const wa = w ** alpha;
    const a = 1 + r1 * q1 * wa * Math.cos((alpha * Math.PI) / 2);
    const b = r1 * q1 * wa * Math.sin((alpha * Math.PI) / 2);
    const x = w * r2 * c2;
    real[i] = r0 + (r1 * a) / (a * a + b * b) + r2 / (1 + x * x);
    imag[i] = (-r1 * b) / (a * a + b * b) - (r2 * x) / (1 + x * x);
  }
  return { frequency, real, imag, source: "synthetic" };
}

describe("arcParameters", () => {
  const data = spectrum(100, 2e-5, 0.85, 1000, 1e-3);
  const fit = fitCircuit("R0-p(R1,CPE1)-p(R2,C2)", data, { weights: "modulus" });

  it("Hsu–Mansfeld C_eff = Q^(1/α) R^((1−α)/α) for R‖CPE, C itself for R‖C, τ₀ = (RQ)^(1/α)", () => {
    const [cpe, cap] = arcParameters(fit);
    expect(cpe).toMatchObject({ arc: 1, kind: "CPE", resistanceName: "R1", capacitorName: "CPE1_0" });
    const expected = Math.pow(2e-5, 1 / 0.85) * Math.pow(100, (1 - 0.85) / 0.85);
    expect(Math.abs(cpe.capacitance / expected - 1)).toBeLessThan(DERIVED_RTOL);
    expect(Math.abs(cpe.tau / Math.pow(100 * 2e-5, 1 / 0.85) - 1)).toBeLessThan(DERIVED_RTOL);
    expect(cap).toMatchObject({ arc: 2, kind: "C", alpha: 1 });
    expect(Math.abs(cap.capacitance / 1e-3 - 1)).toBeLessThan(DERIVED_RTOL);
    expect(Math.abs(cap.frequency * 2 * Math.PI * 1000 * 1e-3 - 1)).toBeLessThan(DERIVED_RTOL);
  });

  it("Brug C_eff = Q^(1/α) (1/R_s + 1/R)^((α−1)/α) with R_s the series resistance", () => {
    const [cpe] = arcParameters(fit, "brug");
    const expected = Math.pow(2e-5, 1 / 0.85) * Math.pow(1 / 5 + 1 / 100, (0.85 - 1) / 0.85);
    expect(Math.abs(cpe.capacitance / expected - 1)).toBeLessThan(DERIVED_RTOL);
    expect(() => arcParameters(fit, "other" as "brug")).toThrow(ValidationError);
  });

  it("delta-method errors: C_eff's matches the hand-derived gradient through the fit's covariance", () => {
    const noisy = { ...data, real: data.real.map((v, i) => v * (1 + 0.01 * Math.sin(7 * i))), imag: data.imag.map((v, i) => v * (1 + 0.01 * Math.cos(5 * i))) };
    const f = fitCircuit("R0-p(R1,CPE1)-p(R2,C2)", noisy, { weights: "modulus" });
    const [cpe] = arcParameters(f);
    const j = (n: string): number => f.names.indexOf(n);
    const [r, q, a] = [f.values[j("R1")], f.values[j("CPE1_0")], f.values[j("CPE1_1")]];
    const c = Math.pow(q, 1 / a) * Math.pow(r, (1 - a) / a);
    // ∂C/∂R = C(1−α)/(αR), ∂C/∂Q = C/(αQ), ∂C/∂α = −C ln(RQ)/α²
    const g = new Map([[j("R1"), (c * (1 - a)) / (a * r)], [j("CPE1_0"), c / (a * q)], [j("CPE1_1"), (-c * Math.log(r * q)) / (a * a)]]);
    const p = f.names.length;
    let variance = 0;
    for (const [u, gu] of g) for (const [v, gv] of g) variance += gu * f.covariance[u * p + v] * gv;
    expect(Math.abs(cpe.capacitanceStderr / Math.sqrt(variance) - 1)).toBeLessThan(1e-4);
    expect(Math.abs(cpe.resistanceStderr / f.stderr[j("R1")] - 1)).toBeLessThan(1e-8);
  });
});

describe("impedanceSequence", () => {
  it("follows R and C_eff of every arc over time, and refuses bad input", () => {
    const items = [200, 400, 800].map((r2, k) => ({ spectrum: spectrum(100, 2e-5, 0.85, r2, 1e-3), time_s: 600 * k, label: `s${k}` }));
    const seq = impedanceSequence("R0-p(R1,CPE1)-p(R2,C2)", items, { weights: "modulus" });
    expect(seq.notConverged).toEqual([]);
    expect(Array.from(seq.trend.time_s)).toEqual([0, 600, 1200]);
    seq.trend.arcs[1].resistance.forEach((r, k) => expect(Math.abs(r / [200, 400, 800][k] - 1)).toBeLessThan(DERIVED_RTOL));
    seq.trend.arcs[1].capacitance.forEach((c) => expect(Math.abs(c / 1e-3 - 1)).toBeLessThan(DERIVED_RTOL));
    expect(seq.points.map((p) => p.label)).toEqual(["s0", "s1", "s2"]);
    expect(() => impedanceSequence("R0-p(R1,CPE1)", [])).toThrow(/spectra: the sequence has no spectra/);
    expect(() => impedanceSequence("R0-p(R1,CPE1)", [{ ...items[0], time_s: Number.NaN }])).toThrow(/spectra\[0\]\.time_s/);
    expect(() => impedanceSequence("R0-Zarc1", [items[0]])).toThrow(/no top-level p\(R, CPE\) or p\(R, C\) block/);
  });
});

describe("circuitPolarisation", () => {
  it("total = R1 + R2; in the window = Z′(ω_min) − Z′(ω_max) of the fitted model, written out here", () => {
    const data = spectrum(100, 2e-5, 0.85, 1000, 1e-3);
    const fit = fitCircuit("R0-p(R1,CPE1)-p(R2,C2)", data, { weights: "modulus" });
    const pol = circuitPolarisation(fit, data);
    expect(Math.abs(pol.total / 1100 - 1)).toBeLessThan(DERIVED_RTOL);
    const window = data.real[data.real.length - 1] - data.real[0];
    expect(Math.abs(pol.inWindow / window - 1)).toBeLessThan(DERIVED_RTOL);
    expect(pol.fMin).toBeCloseTo(0.01, 10);
    const blocking = fitCircuit("R0-p(R1,CPE1)-C2", data, { weights: "modulus" });
    expect(() => circuitPolarisation(blocking, data)).toThrow(/C2 \(C\) in series has no DC limit/);
  });
});
