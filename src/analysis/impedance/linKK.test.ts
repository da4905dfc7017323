import path from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.ts";
import { readImpedanceFile, type ImpedanceSpectrum } from "../../io/impedance.ts";
import { repoRoot } from "../../../test/paths.ts";
import { LINKK_CONSISTENT_MAX_RESIDUAL, LINKK_MU_ATOL } from "../../../test/tolerances.ts";
import { linKK, linKKTimeConstants } from "./linKK.ts";

const eisRoot = path.resolve(repoRoot, "../shared/conformance/eis");

type Complex = [number, number];
const add = (a: Complex, b: Complex): Complex => [a[0] + b[0], a[1] + b[1]];
const inv = (a: Complex): Complex => {
  const d = a[0] * a[0] + a[1] * a[1];
  return [a[0] / d, -a[1] / d];
};
const parallel = (a: Complex, b: Complex): Complex => inv(add(inv(a), inv(b)));
const capacitor = (w: number, c: number): Complex => [0, -1 / (w * c)];
const cpe = (w: number, q: number, alpha: number): Complex => {
  const m = 1 / (q * w ** alpha);
  return [m * Math.cos((alpha * Math.PI) / 2), -m * Math.sin((alpha * Math.PI) / 2)];
};

/** f from 10^hi down to 10^lo Hz, `perDecade` points per decade. */
function logFrequencies(hi: number, lo: number, perDecade: number): Float64Array {
  const n = Math.round((hi - lo) * perDecade) + 1;
  return Float64Array.from({ length: n }, (_, i) => 10 ** (hi - i / perDecade));
}

function synthesize(f: Float64Array, z: (w: number, i: number) => Complex): ImpedanceSpectrum {
  const real = new Float64Array(f.length);
  const imag = new Float64Array(f.length);
  f.forEach((fi, i) => {
    [real[i], imag[i]] = z(2 * Math.PI * fi, i);
  });
  return { frequency: f, real, imag, source: "synthetic", format: "synthetic", warnings: [] };
}

const f10 = logFrequencies(5, -2, 10);
/** R0-p(R1,C1)-p(R2,CPE), exactly KK-consistent. */
const twoArcs = synthesize(f10, (w) => add(add([5, 0], parallel([20, 0], capacitor(w, 1e-5))), parallel([50, 0], cpe(w, 1e-3, 0.8))));
/** R0-p(Rct,C) with Rct rising linearly by 50 % from the first (highest-f) to the last point of the sweep. */
const drifting = synthesize(f10, (w, i) => add([5, 0], parallel([50 * (1 + (0.5 * i) / (f10.length - 1)), 0], capacitor(w, 1e-4))));

describe("linKK: impedance.py / Schönleber compatibility (method 'mu')", () => {
  const circuit3 = readImpedanceFile(path.join(eisRoot, "impedance.py/Circuit3_EIS_1.z"));

  it("reproduces Schönleber's reference on Circuit3_EIS_1.z with c = 0.69: M = 10, μ = 0.6843821117885378", () => {
    const result = linKK(circuit3, { c: 0.69 });
    expect(result.method).toBe("mu");
    expect(result.mode).toBe("real");
    expect(result.M).toBe(10);
    expect(Math.abs(result.mu - 0.6843821117885378)).toBeLessThan(LINKK_MU_ATOL);
    expect(Array.from(result.scan.M)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let k = 0; k < 9; k++) expect(result.scan.mu[k]).toBeGreaterThan(0.69);
  });

  it("names the fit that decided the verdict and cross-checks the other modes and M rule; crossCheck: false skips them", () => {
    const result = linKK(circuit3, { c: 0.85 });
    expect(result.decidedBy).toMatch(/^the real-part fit \(Z′ fitted; the Z″ residuals test whether the imaginary part is what the real part implies\), M = 3 chosen by impedance.py's μ rule/);
    expect(result.otherModes.map((o) => [o.mode, o.method, o.valid])).toEqual([
      ["complex", "mu", false],
      ["imag", "mu", false],
      ["complex", "residual", true],
    ]);
    // each cross-check is the test run on its own
    const alone = linKK(circuit3, { crossCheck: false });
    expect(result.otherModes[2]).toMatchObject({ M: alone.M, maxResidual: alone.maxResidual, valid: alone.valid });
    expect(alone.otherModes).toEqual([]);
    expect(result.verdict.startsWith(`${result.summary}. Decided by ${result.decidedBy}. Other modes: `)).toBe(true);
    expect(result.explanation).toMatch(/^Here the complex fit \(residual-based M\) differs mainly in M \(17 against 3\)/);
    // a fixed M is checked against the default too
    const fixed = linKK(circuit3, { M: 10, mode: "imag" });
    expect(fixed.decidedBy).toMatch(/^the imaginary-part fit \(Z″ fitted; the Z′ residuals test .*\), M = 10 fixed by the user$/);
    expect(fixed.otherModes.map((o) => [o.mode, o.method, o.M])).toEqual([
      ["complex", "fixed", 10],
      ["real", "fixed", 10],
      ["complex", "residual", 17],
    ]);
    expect(fixed.explanation).toMatch(/^Here the complex fit \(residual-based M\) differs in how M was chosen \(17 RC elements against 10\)\. Modes can disagree/);
  });

  it("uses impedance.py's time constants: 1/(2π f_max) … 1/(2π f_min), log-spaced", () => {
    const ts = linKKTimeConstants(0.1, 1e4, 6);
    expect(ts[0]).toBeCloseTo(1 / (2 * Math.PI * 1e4), 18);
    expect(ts[5]).toBeCloseTo(1 / (2 * Math.PI * 0.1), 15);
    for (let k = 1; k < 6; k++) expect(ts[k] / ts[k - 1]).toBeCloseTo(10, 10);
    expect(Array.from(linKKTimeConstants(0.1, 1e4, 1))).toEqual([1 / (2 * Math.PI * 0.1)]);
  });

  it("stops early under the μ rule on exactly consistent data (the documented weakness)", () => {
    const result = linKK(twoArcs, { c: 0.85 });
    expect(result.M).toBeLessThanOrEqual(6);
    expect(result.maxResidual).toBeGreaterThan(0.05);
    expect(result.valid).toBe(false);
    expect(result.verdict).toMatch(/μ rule stopped/);
  });

  it("fixes M when asked (impedance.py's c=None with max_M = M) in every mode", () => {
    for (const mode of ["real", "imag", "complex"] as const) {
      const result = linKK(twoArcs, { M: 40, mode });
      expect(result.method).toBe("fixed");
      expect(result.M).toBe(40);
      expect(result.tau.length).toBe(40);
      expect(result.resistances.length).toBe(40);
      expect(result.maxResidual).toBeLessThan(0.01);
    }
  });

  it("finds the series inductance and resistance of an exactly inductive spectrum in real mode", () => {
    const inductive = synthesize(f10, (w) => add([3, w * 2e-6], parallel([40, 0], capacitor(w, 2e-5))));
    const result = linKK(inductive, { M: 50, mode: "real" });
    expect(result.inductance).toBeCloseTo(2e-6, 8);
    expect(result.seriesResistance).toBeGreaterThan(2.5);
    expect(result.seriesResistance).toBeLessThan(3.5);
  });
});

describe("linKK: residual-based default", () => {
  it("gives residuals < 1e-3 on an exactly consistent R0-p(R1,C1)-p(R2,CPE) spectrum (10 points/decade)", () => {
    const result = linKK(twoArcs);
    expect(result.method).toBe("residual");
    expect(result.mode).toBe("complex");
    expect(result.maxResidual).toBeLessThan(LINKK_CONSISTENT_MAX_RESIDUAL);
    expect(result.valid).toBe(true);
    expect(result.verdict).toMatch(/^KK-consistent/);
    expect(result.threshold).toBe(0.01);
    // Residuals are relative to |Z| and consistent with the returned fit.
    for (let i = 0; i < f10.length; i++) {
      const abs = Math.hypot(twoArcs.real[i], twoArcs.imag[i]);
      expect(result.residuals.real[i]).toBeCloseTo((twoArcs.real[i] - result.fit.real[i]) / abs, 14);
      expect(result.residuals.imag[i]).toBeCloseTo((twoArcs.imag[i] - result.fit.imag[i]) / abs, 14);
    }
  });

  it("flags a spectrum whose charge-transfer resistance drifts 50 % during the sweep", () => {
    const result = linKK(drifting);
    expect(result.valid).toBe(false);
    expect(result.maxResidual).toBeGreaterThan(result.threshold);
    expect(result.verdict).toMatch(/^NOT KK-consistent/);
    expect(result.verdict).toMatch(/drift/);
    // The same cell without drift passes.
    const steady = synthesize(f10, (w) => add([5, 0], parallel([50, 0], capacitor(w, 1e-4))));
    expect(linKK(steady).maxResidual).toBeLessThan(LINKK_CONSISTENT_MAX_RESIDUAL);
  });

  it("adds a series capacitance for a blocking low-frequency tail and recovers C", () => {
    const blocking = synthesize(f10, (w) => add(add([5, 0], parallel([20, 0], capacitor(w, 1e-5))), capacitor(w, 2e-3)));
    const result = linKK(blocking);
    expect(result.addCapacitance).toBe(true);
    expect(result.maxResidual).toBeLessThan(LINKK_CONSISTENT_MAX_RESIDUAL);
    expect(result.capacitance).toBeGreaterThan(1.9e-3);
    expect(result.capacitance).toBeLessThan(2.1e-3);
    expect(linKK(twoArcs).addCapacitance).toBe(false);
  });

  it("reports the scan and honours a custom threshold", () => {
    const result = linKK(drifting, { threshold: 0.5 });
    expect(result.valid).toBe(true);
    expect(result.threshold).toBe(0.5);
    expect(result.scan.M.length).toBe(result.scan.pseudoChi2.length);
    expect(result.scan.M[0]).toBe(1);
  });

  it("passes the measured Circuit3 spectrum at the default 1 % threshold", () => {
    const result = linKK(readImpedanceFile(path.join(eisRoot, "impedance.py/Circuit3_EIS_1.z")));
    expect(result.valid).toBe(true);
    expect(result.maxResidual).toBeLessThan(0.01);
  });
});

describe("linKK: invalid input", () => {
  it("rejects too few points, non-positive frequencies and bad options", () => {
    const short = synthesize(Float64Array.from([10, 1]), () => [1, -1]);
    expect(() => linKK(short)).toThrow(ValidationError);
    const negative = { ...twoArcs, frequency: Float64Array.from(twoArcs.frequency, (f, i) => (i === 3 ? -f : f)) };
    expect(() => linKK(negative)).toThrow(/frequency\[3\]/);
    expect(() => linKK(twoArcs, { M: 0 })).toThrow(ValidationError);
    expect(() => linKK(twoArcs, { threshold: 0 })).toThrow(ValidationError);
  });
});
