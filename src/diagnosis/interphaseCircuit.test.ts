/**
 * The interphase's R and C from a circuit whose capacitance is a constant-phase element:
 * spectra written here in closed form (Zarc: Z = R0 + R/(1 + (jωτ)^α), reference/impedance.md),
 * not by Strata's circuit kernels, fitted by the real circuit fit; and the manifest's
 * refusal of elements that cannot stand for the interphase.
 */
import { describe, expect, it } from "vitest";
import { fitCircuit } from "../fit/circuitObjective.ts";
import { parseCircuit } from "../models/circuit/parseCircuit.ts";
import { interphaseElementsProblem } from "../models/circuit/interphaseElements.ts";
import { interphaseRC } from "./interphaseCircuit.ts";

/** Relative agreement of a noiseless fit with the closed form. */
const EXACT_REL = 1e-5;

function zarcSpectrum(r0: number, r: number, tau: number, alpha: number): { frequency: Float64Array; real: Float64Array; imag: Float64Array } {
  const n = 50;
  const frequency = new Float64Array(n);
  const real = new Float64Array(n);
  const imag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = 10 ** (6 - (8 * i) / (n - 1));
    const x = (2 * Math.PI * f * tau) ** alpha;
    // (jωτ)^α = x (cos(απ/2) + j sin(απ/2)); Z = R0 + R / (1 + that)
    const a = 1 + x * Math.cos((alpha * Math.PI) / 2);
    const b = x * Math.sin((alpha * Math.PI) / 2);
    const d = a * a + b * b;
    frequency[i] = f;
    real[i] = r0 + (r * a) / d;
    imag[i] = (-r * b) / d;
  }
  return { frequency, real, imag };
}

describe("interphase R and C from a fitted circuit", () => {
  it("a CPE's effective capacitance is τ/R of the Zarc it makes with R (depressed arc, α = 0.8)", () => {
    const r1 = 250;
    const tau = 2e-3;
    const fit = fitCircuit("R0-p(R1,CPE1)", zarcSpectrum(12, r1, tau, 0.8));
    const rc = interphaseRC(fit, "R1", "CPE1");
    expect(rc.capacitanceFrom).toBe("CPE");
    expect(Math.abs(rc.resistance / r1 - 1)).toBeLessThan(EXACT_REL);
    expect(Math.abs(rc.alpha! / 0.8 - 1)).toBeLessThan(EXACT_REL);
    expect(Math.abs(rc.capacitance / (tau / r1) - 1)).toBeLessThan(EXACT_REL);
    // the CPE's Q itself is not the capacitance (here 5.3 times it)
    const q = fit.values[fit.names.indexOf("CPE1_0")];
    expect(q / rc.capacitance).toBeGreaterThan(2);
    expect(Number.isFinite(rc.capacitanceStderr)).toBe(true);
  });

  it("with α = 1 the effective capacitance is Q, and a capacitor's value is read as it is", () => {
    const spectrum = zarcSpectrum(5, 100, 1e-4, 1);
    const cpe = interphaseRC(fitCircuit("R0-p(R1,CPE1)", spectrum), "R1", "CPE1");
    const cap = interphaseRC(fitCircuit("R0-p(R1,C1)", spectrum), "R1", "C1");
    expect(cap.capacitanceFrom).toBe("C");
    expect(Math.abs(cap.capacitance / 1e-6 - 1)).toBeLessThan(EXACT_REL);
    expect(Math.abs(cpe.capacitance / cap.capacitance - 1)).toBeLessThan(EXACT_REL);
  });

  it("the delta-method error matches the spread of C over the fit's Gaussian errors", () => {
    // noisy spectrum: 1 % proportional noise, fixed pseudo-random sequence
    const s = zarcSpectrum(12, 250, 2e-3, 0.75);
    let seed = 12345;
    const uniform = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const gauss = (): number => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
    for (let i = 0; i < s.real.length; i++) {
      const m = Math.hypot(s.real[i], s.imag[i]);
      s.real[i] += 0.01 * m * gauss();
      s.imag[i] += 0.01 * m * gauss();
    }
    const fit = fitCircuit("R0-p(R1,CPE1)", s);
    const rc = interphaseRC(fit, "R1", "CPE1");
    // finite-difference propagation of the same covariance: independent of the analytic gradient
    const p = fit.names.length;
    const ids = ["R1", "CPE1_0", "CPE1_1"].map((n) => fit.names.indexOf(n));
    const cOf = (v: number[]): number => Math.pow(v[0] * v[1], 1 / v[2]) / v[0];
    const base = ids.map((i) => fit.values[i]);
    const g = ids.map((_, k) => {
      const h = base[k] * 1e-6;
      const up = [...base];
      const down = [...base];
      up[k] += h;
      down[k] -= h;
      return (cOf(up) - cOf(down)) / (2 * h);
    });
    let variance = 0;
    ids.forEach((i, a) => ids.forEach((j, b) => (variance += g[a] * g[b] * fit.covariance[i * p + j])));
    expect(Math.abs(rc.capacitanceStderr / Math.sqrt(variance) - 1)).toBeLessThan(1e-4);
    expect(rc.capacitanceStderr / rc.capacitance).toBeLessThan(0.2);
  });

  it("elements that cannot stand for the interphase are named", () => {
    const circuit = parseCircuit("R0-p(R1,CPE1)-p(R2,CPE2)");
    expect(interphaseElementsProblem(circuit, "R1", "CPE1")).toBeUndefined();
    expect(interphaseElementsProblem(circuit, "R2", "CPE2")).toBeUndefined();
    expect(interphaseElementsProblem(circuit, "R1", "CPE2")).toMatch(/must form an arc p\(R1,CPE2\) with R1/);
    expect(interphaseElementsProblem(circuit, "R1", "C1")).toMatch(/names no element of circuit R0-p\(R1,CPE1\)-p\(R2,CPE2\) \(its elements: R0, R1, CPE1, R2, CPE2\)/);
    expect(interphaseElementsProblem(circuit, "CPE1", "CPE1")).toMatch(/must name a resistor/);
    expect(interphaseElementsProblem(parseCircuit("R0-p(R1,C1)-W1"), "R1", "W1")).toMatch(/capacitor \(C…\) or a constant-phase element/);
    // a capacitor need not be beside its resistor (the value is read as it is); a CPE nested deeper is refused
    expect(interphaseElementsProblem(parseCircuit("R0-p(R1-W1,C1)"), "R1", "C1")).toBeUndefined();
    expect(interphaseElementsProblem(parseCircuit("R0-p(R2,p(R1,CPE1)-W1)"), "R1", "CPE1")).toMatch(/must form an arc/);
  });
});
