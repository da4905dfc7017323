import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FitAbortedError, ValidationError } from "../core/errors.ts";
import { createRandom } from "../core/random.ts";
import { parseColumns } from "../io/columns.ts";
import { circuitModel } from "../models/circuit/circuitModel.ts";
import { UNDECIDED_CHI2_FACTOR, circuitObjective, fitCircuit, fitCircuitSeries, initialGuess, spectrumShape } from "./circuitObjective.ts";
import type { ImpedanceData } from "./circuitObjective.ts";
import { conformanceRoot } from "../../test/paths.ts";
import { IMPEDANCE_PY_FIT_RTOL, STDERR_COVERAGE_MIN } from "../../test/tolerances.ts";

/** exampleData.csv (plain CSV f, Z′, Z″), keeping the points with Z″ < 0 as impedance.py's `ignoreBelowX` does. */
function exampleData(): ImpedanceData {
  const file = path.join(conformanceRoot, "eis", "impedance.py", "exampleData.csv");
  const { columns } = parseColumns(fs.readFileSync(file, "utf8"), file, 3);
  const keep = [...columns[2].keys()].filter((i) => columns[2][i] < 0);
  return {
    frequency: Float64Array.from(keep, (i) => columns[0][i]),
    real: Float64Array.from(keep, (i) => columns[1][i]),
    imag: Float64Array.from(keep, (i) => columns[2][i]),
    source: "exampleData.csv",
  };
}

const rss = (circuit: string, values: readonly number[], data: ImpedanceData): number => {
  const z = circuitModel(circuit, { initial: values }).evaluate(data.frequency);
  let s = 0;
  for (let i = 0; i < z.re.length; i++) s += (z.re[i] - data.real[i]) ** 2 + (z.im[i] - data.imag[i]) ** 2;
  return s;
};

const logFrequencies = (fMax: number, fMin: number, n: number): Float64Array =>
  Float64Array.from({ length: n }, (_, i) => fMax * Math.pow(fMin / fMax, i / (n - 1)));

/** A spectrum of `circuit` at `values`, with Gaussian noise of `relative`·|Z| on each component. */
function synthetic(circuit: string, values: readonly number[], frequency: Float64Array, relative = 0, seed = 0): ImpedanceData {
  const z = circuitModel(circuit, { initial: values }).evaluate(frequency);
  const rng = createRandom(seed);
  const real = new Float64Array(frequency.length);
  const imag = new Float64Array(frequency.length);
  for (let i = 0; i < frequency.length; i++) {
    const m = Math.hypot(z.re[i], z.im[i]);
    real[i] = z.re[i] + relative * m * rng.normal();
    imag[i] = z.im[i] + relative * m * rng.normal();
  }
  return { frequency, real, imag, source: `synthetic ${circuit}` };
}

describe("fitCircuit on impedance.py's exampleData.csv (issue 4 acceptance)", () => {
  const circuit = "R0-p(R1,C1)-p(R2-Wo1,C2)";
  const names = ["R0", "R1", "C1", "R2", "Wo1_0", "Wo1_1", "C2"];
  // impedance.py's published fit (its "Getting started" example: unweighted, from this initial guess)
  const published = [0.016519, 0.0086766, 3.3214, 0.00539, 0.063093, 232.52, 0.21954];
  const initial = [0.01, 0.01, 100, 0.01, 0.05, 100, 1];

  it("reaches a residual sum of squares no worse than impedance.py's, with six parameters within 1 % and τ within its standard error", () => {
    const data = exampleData();
    expect(data.frequency.length).toBe(57);
    const fit = fitCircuit(circuit, data, { initial });
    expect(fit.names).toEqual(names);
    expect(fit.converged).toBe(true);
    expect(fit.rss).toBeLessThanOrEqual(rss(circuit, published, data));
    fit.parameters.forEach((p, j) => {
      const relative = Math.abs(p.value / published[j] - 1);
      if (p.name === "Wo1_1") {
        // see the next test: impedance.py stopped early along this flat direction (τ ± 7 %)
        expect(Math.abs(p.value - published[j])).toBeLessThanOrEqual(p.stderr);
      } else {
        expect(relative, p.name).toBeLessThanOrEqual(IMPEDANCE_PY_FIT_RTOL);
      }
    });
    // impedance.py reports (scaled) errors 1.54e-4, 1.88e-4, 1.86e-1, 2.06e-4, 2.03e-3, 1.72e1, 1.81e-2
    const stderrPublished = [1.54e-4, 1.88e-4, 1.86e-1, 2.06e-4, 2.03e-3, 1.72e1, 1.81e-2];
    fit.stderr.forEach((s, j) => expect(Math.abs(s / stderrPublished[j] - 1), names[j]).toBeLessThanOrEqual(0.05));
    expect(fit.stderrUnscaled[0]).toBeGreaterThan(100 * fit.stderr[0]); // unit σ = 1 Ω ≫ the real scatter
    expect(fit.dof).toBe(2 * 57 - 7);
    expect(fit.reducedChi2).toBeCloseTo(fit.chi2 / fit.dof, 15);
  });

  it("impedance.py's point is not the minimum: with τ fixed at its 232.52 s the other six reproduce its values, at a higher RSS", () => {
    const data = exampleData();
    const free = fitCircuit(circuit, data, { initial });
    const held = fitCircuit(circuit, data, { initial: initial.filter((_, j) => j !== 5), constants: { Wo1_1: 232.52 } });
    held.parameters.forEach((p, j) => expect(Math.abs(p.value / published[j] - 1), p.name).toBeLessThanOrEqual(IMPEDANCE_PY_FIT_RTOL / 10));
    expect(held.rss).toBeGreaterThan(free.rss);
    expect(held.nFree).toBe(6);
    expect(held.parameters[5]).toMatchObject({ name: "Wo1_1", fixed: true, value: 232.52 });
    expect(Number.isNaN(held.parameters[5].stderr)).toBe(true);
  });

  it("from the data-derived guess (no initial values), and with the global search, it finds a deeper minimum than impedance.py's", () => {
    const data = exampleData();
    const guessed = fitCircuit(circuit, data);
    expect(guessed.initialSource).toBe("guess");
    expect(guessed.initialNotes.length).toBeGreaterThan(0);
    expect(guessed.converged).toBe(true);
    expect(guessed.rss).toBeLessThan(0.8 * rss(circuit, published, data));
    const global = fitCircuit(circuit, data, { initial, global: { seed: 3 } });
    expect(global.global).toBe(true);
    expect(global.rss).toBeLessThan(0.8 * rss(circuit, published, data));
  });

  it("the automatic start also reaches impedance.py's minimum (the arcs the other way round) and warns that the data do not decide, naming R1, C1, R2, C2", () => {
    const data = exampleData();
    const fit = fitCircuit(circuit, data);
    const again = fitCircuit(circuit, data);
    expect(Array.from(again.values)).toEqual(Array.from(fit.values)); // deterministic
    expect(fit.starts!.map((s) => s.source).slice(0, 4)).toEqual(["spectrum shape", "spectrum shape, arcs 2,1", "relaxation ladder", "relaxation ladder, arcs 2,1"]);
    const other = fit.alternatives!.find((a) => a.source === "spectrum shape, arcs 2,1")!;
    expect(other.differences.map((d) => d.name)).toEqual(["R1", "C1", "R2", "C2"]);
    expect(other.chi2 / fit.chi2).toBeLessThanOrEqual(UNDECIDED_CHI2_FACTOR);
    expect(other.rss).toBeLessThanOrEqual(rss(circuit, published, data));
    other.parameters.forEach((p, j) => {
      if (p.name.startsWith("Wo1")) expect(Math.abs(p.value - published[j]), p.name).toBeLessThanOrEqual(p.stderr);
      else expect(Math.abs(p.value / published[j] - 1), p.name).toBeLessThanOrEqual(IMPEDANCE_PY_FIT_RTOL);
    });
    const warning = fit.warnings.find((w) => w.includes("start: spectrum shape, arcs 2,1"));
    expect(warning).toMatch(/the data do not decide between two minima: χ² 0\.00001403 \(this fit, start: spectrum shape\) and 0\.00001943 \(1\.38×/);
    expect(warning).toMatch(/they differ in R1 0\.008679 vs 0\.005336, C1 3\.322 vs 0\.2204, R2 0\.00539 vs 0\.009145, C2 0\.2195 vs 2\.765/);
  });
});

describe("fitCircuit: standard errors and weighting", () => {
  const circuit = "R0-Zarc1-Zarc2";
  const truth = [10, 20, 1e-4, 0.85, 50, 0.1, 0.9];
  const frequency = logFrequencies(1e5, 1e-2, 60);

  it(`coverage: on 50 seeded noisy two-ZARC spectra the stated 1σ errors cover the truth ≥ ${STDERR_COVERAGE_MIN * 100} % of the time`, () => {
    let covered = 0;
    let total = 0;
    let within2 = 0;
    for (let seed = 0; seed < 50; seed++) {
      const data = synthetic(circuit, truth, frequency, 0.01, seed);
      const fit = fitCircuit(circuit, data, { weights: "modulus" });
      expect(fit.converged).toBe(true);
      fit.values.forEach((v, j) => {
        total++;
        if (Math.abs(v - truth[j]) <= fit.stderr[j]) covered++;
        if (Math.abs(v - truth[j]) <= 2 * fit.stderr[j]) within2++;
      });
    }
    expect(total).toBe(350);
    expect(covered / total).toBeGreaterThanOrEqual(STDERR_COVERAGE_MIN); // 0.643 with these seeds; 0.671 over 200 seeds
    expect(within2 / total).toBeGreaterThanOrEqual(0.9); // nominal 95.4 %
  });

  it("recovers noise-free parameters with every weighting, in impedance and in admittance", () => {
    const data = synthetic("R0-p(R1,CPE1)-p(R2,C2)", [5, 30, 2e-5, 0.88, 80, 0.01], logFrequencies(1e6, 1e-2, 50));
    const truth = [5, 30, 2e-5, 0.88, 80, 0.01];
    for (const options of [{ weights: "unit" }, { weights: "modulus" }, { weights: "proportional" }, { weights: "modulus", admittance: true }] as const) {
      const fit = fitCircuit("R0-p(R1,CPE1)-p(R2,C2)", data, options);
      fit.values.forEach((v, j) => expect(Math.abs(v / truth[j] - 1), `${JSON.stringify(options)} ${fit.names[j]}`).toBeLessThanOrEqual(1e-6));
      expect(fit.weighting).toBe(options.weights);
      // the data decide: no runner-up minimum within the factor
      expect(fit.alternatives).toEqual([]);
    }
  });

  it("user σ: N or 2N values; σ scale leaves the values and the scaled errors unchanged and scales the unscaled ones", () => {
    const data = synthetic(circuit, truth, frequency, 0.01, 7);
    const sigma = Float64Array.from(frequency, (_, i) => 0.01 * Math.hypot(data.real[i], data.imag[i]));
    const a = fitCircuit(circuit, data, { sigma, initial: truth });
    const b = fitCircuit(circuit, data, { sigma: [...sigma, ...sigma], initial: truth });
    const c = fitCircuit(circuit, data, { sigma: sigma.map((s) => 10 * s), initial: truth });
    expect(a.weighting).toBe("sigma");
    a.values.forEach((v, j) => {
      expect(b.values[j]).toBeCloseTo(v, 12);
      expect(Math.abs(c.values[j] / v - 1)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(c.stderr[j] / a.stderr[j] - 1)).toBeLessThanOrEqual(1e-4);
      expect(Math.abs(c.stderrUnscaled[j] / a.stderrUnscaled[j] - 10)).toBeLessThanOrEqual(1e-3);
    });
    // with the right σ, χ²/ν ≈ 1 and both kinds of error agree to within the χ² scatter
    expect(a.reducedChi2).toBeGreaterThan(0.7);
    expect(a.reducedChi2).toBeLessThan(1.3);
    expect(a.aic).toBeLessThan(a.bic);
  });

  it("the objective honours the FitObjective contract: no allocation with out, Gaussian log-likelihood, −∞ outside the bounds", () => {
    const data = synthetic(circuit, truth, frequency, 0.01, 3);
    const model = circuitModel(circuit, { initial: truth });
    const objective = circuitObjective(model, data, { weights: "modulus" });
    expect(objective.nResiduals).toBe(120);
    const theta = objective.initial();
    const out = new Float64Array(120);
    expect(objective.residuals(theta, out)).toBe(out);
    let chi2 = 0;
    let logSigma = 0;
    for (let i = 0; i < 60; i++) logSigma += 2 * Math.log(Math.hypot(data.real[i], data.imag[i]));
    for (const r of out) chi2 += r * r;
    expect(objective.logLikelihood(theta)).toBeCloseTo(-0.5 * chi2 - logSigma - 60 * Math.log(2 * Math.PI), 9);
    const outside = Float64Array.from(theta);
    outside[3] = 1.2; // γ > 1
    expect(objective.logPosterior(outside)).toBe(-Infinity);
    expect(objective.names).toEqual(["R0", "Zarc1_0", "Zarc1_1", "Zarc1_2", "Zarc2_0", "Zarc2_1", "Zarc2_2"]);
  });
});

describe("fitCircuit: starting values, global search, series", () => {
  it("initialGuess reads R∞, arc diameters and apex frequencies off a two-RC spectrum", () => {
    const truth = [10, 20, 1e-6, 50, 1e-3];
    const data = synthetic("R0-p(R1,C1)-p(R2,C2)", truth, logFrequencies(1e6, 1e-2, 70));
    const shape = spectrumShape(data);
    expect(shape.arcs.length).toBe(2);
    expect(Math.abs(shape.rInf - 10) / 10).toBeLessThan(0.05);
    const apex = [1 / (2 * Math.PI * 20 * 1e-6), 1 / (2 * Math.PI * 50 * 1e-3)];
    shape.arcs.forEach((arc, k) => expect(Math.abs(Math.log10(arc.frequency / apex[k]))).toBeLessThan(0.15));
    const guess = initialGuess("R0-p(R1,C1)-p(R2,C2)", data);
    expect(Math.abs(guess.values["R1"] / 20 - 1)).toBeLessThan(0.2);
    expect(Math.abs(guess.values["R2"] / 50 - 1)).toBeLessThan(0.2);
    expect(Math.abs(Math.log10(guess.values["C1"] / 1e-6))).toBeLessThan(0.3);
    expect(Math.abs(Math.log10(guess.values["C2"] / 1e-3))).toBeLessThan(0.3);
  });

  it("initial values by name override the guess for those parameters only", () => {
    const truth = [10, 20, 1e-6, 50, 1e-3];
    const data = synthetic("R0-p(R1,C1)-p(R2,C2)", truth, logFrequencies(1e6, 1e-2, 40));
    const fit = fitCircuit("R0-p(R1,C1)-p(R2,C2)", data, { initial: { R1: 25 } });
    expect(fit.initialSource).toBe("mixed");
    expect(fit.parameters[1].initial).toBe(25);
    expect(fit.parameters[0].initial).toBe(initialGuess("R0-p(R1,C1)-p(R2,C2)", data).values["R0"]);
    fit.values.forEach((v, j) => expect(Math.abs(v / truth[j] - 1)).toBeLessThanOrEqual(1e-6));
  });

  it("every element type gets a finite, in-bounds guess and the guessed fit converges on a Randles spectrum with inductance", () => {
    const all = "L0-R0-p(R1,CPE1)-p(R2-Wo1,C2)-Zarc3-K4-G5-Gs6-TLMQ7-T8-W9-Ws10-La11-Lb12";
    const data = synthetic("L0-R0-p(R1-Wo1,CPE1)", [1e-6, 2, 10, 5, 1, 1e-4, 0.9], logFrequencies(1e6, 1e-3, 60));
    const guess = initialGuess(all, data);
    const model = circuitModel(all, { initial: guess.values });
    for (const p of model.parameters) {
      expect(Number.isFinite(p.value) && p.value >= p.bounds.min && p.value <= p.bounds.max, p.name).toBe(true);
    }
    const fit = fitCircuit("L0-R0-p(R1-Wo1,CPE1)", data, { weights: "modulus" });
    expect(fit.converged).toBe(true);
    expect(fit.reducedChi2).toBeLessThan(1e-10);
  });

  it("global: differential evolution from a start 100× off finds the minimum that LM alone misses", () => {
    const truth = [10, 20, 1e-6, 50, 1e-3];
    const circuit = "R0-p(R1,C1)-p(R2,C2)";
    const data = synthetic(circuit, truth, logFrequencies(1e6, 1e-2, 40));
    const bad = [1, 2000, 1e-4, 0.5, 1e-1];
    const local = fitCircuit(circuit, data, { initial: bad, weights: "modulus" });
    expect(local.reducedChi2).toBeGreaterThan(1e-6);
    const global = fitCircuit(circuit, data, { initial: bad, weights: "modulus", global: { seed: 1 } });
    global.values.forEach((v, j) => expect(Math.abs(v / truth[j] - 1), global.names[j]).toBeLessThanOrEqual(1e-6));
    expect(global.evaluations).toBeGreaterThan(1000);
  });

  it("fitCircuitSeries: warm starts (each fit from the previous result) track a drifting resistance", () => {
    const circuit = "R0-Zarc1-Zarc2";
    const frequency = logFrequencies(1e5, 0.01, 60);
    const spectra = Array.from({ length: 12 }, (_, k) => synthetic(circuit, [10, 20 + 2 * k, 1e-4, 0.85, 50 - k, 0.1, 0.9], frequency, 0.002, k));
    const warm = fitCircuitSeries(circuit, spectra, { weights: "modulus" });
    const cold = fitCircuitSeries(circuit, spectra, { weights: "modulus", warmStart: false });
    expect(warm.length).toBe(12);
    warm.forEach((fit, k) => {
      expect(fit.converged).toBe(true);
      expect(Math.abs(fit.values[1] - (20 + 2 * k))).toBeLessThanOrEqual(4 * fit.stderr[1]);
      expect(fit.initialSource).toBe(k === 0 ? "guess" : "user");
      if (k > 0) expect(Array.from(fit.parameters, (p) => p.initial)).toEqual(Array.from(warm[k - 1].values));
      fit.values.forEach((v, j) => expect(Math.abs(v / cold[k].values[j] - 1)).toBeLessThanOrEqual(1e-6));
      expect(cold[k].initialSource).toBe("guess");
    });
    const stopped = fitCircuitSeries(circuit, spectra, { progress: (k) => k < 2 });
    expect(stopped.length).toBe(3);
  });
});

describe("fitCircuit: bad input", () => {
  const data = synthetic("R0-p(R1,C1)", [1, 10, 1e-3], logFrequencies(1e3, 1, 5));

  it("fewer points than free parameters", () => {
    const few = { ...data, frequency: data.frequency.slice(0, 3), real: data.real.slice(0, 3), imag: data.imag.slice(0, 3) };
    expect(() => fitCircuit("R0-p(R1,CPE1)-p(R2,C2)", few)).toThrow(/has 3 points but circuit R0-p\(R1,CPE1\)-p\(R2,C2\) has 6 free parameters/);
    expect(() => fitCircuit("R0-p(R1,CPE1)-p(R2,C2)", few, { constants: { R0: 1, R1: 10, CPE1_0: 1e-3 } })).not.toThrow();
  });

  it("malformed data, σ and options", () => {
    const bad = { ...data, frequency: Float64Array.of(1000, 100, 0, 10, 1) };
    expect(() => fitCircuit("R0-p(R1,C1)", bad)).toThrow(/frequency\[2\]: frequencies must be positive/);
    expect(() => fitCircuit("R0-p(R1,C1)", data, { sigma: [1, 2, 3] })).toThrow(/sigma: must have 5 or 10 values/);
    expect(() => fitCircuit("R0-p(R1,C1)", data, { sigma: [1, 1, 0, 1, 1] })).toThrow(/sigma\[2\]/);
    const zero = { ...data, imag: Float64Array.of(-1, -2, 0, -2, -1) };
    expect(() => fitCircuit("R0-p(R1,C1)", zero, { weights: "proportional" })).toThrow(/proportional weighting/);
    expect(() => fitCircuit("R0-p(R1,C1)", data, { initial: [1, 2] })).toThrow(ValidationError);
    expect(() => fitCircuit("R0-p(R1,X1)", data)).toThrow(/unknown element type "X" .* at position 8/);
    expect(() => fitCircuit("R0-p(R1,C1)", data, { constants: { R0: 1, R1: 1, C1: 1 } })).toThrow(/nothing to fit/);
    expect(() => fitCircuit("R0-p(R1,C1)", data, { initial: { R9: 1 } })).toThrow(/initial\.R9: unknown parameter/);
    expect(() => fitCircuit("R0-p(R1,C1)", data, { initial: { R0: 1 }, constants: { R0: 2 } })).toThrow(/initial\.R0: is also given as a constant/);
  });

  it("a model that is not finite at the start aborts with the parameter values", () => {
    // a CPE with Q = 0 (allowed by relaxed bounds) is infinite at every frequency
    expect(() => fitCircuit("R0-CPE1", data, { initial: [1, 0, 0.5], bounds: { CPE1_0: [-1, 1] } })).toThrow(FitAbortedError);
    expect(() => fitCircuit("R0-CPE1", data, { initial: [1, 0, 0.5], bounds: { CPE1_0: [-1, 1] } })).toThrow(/non-finite residuals at the starting point .*CPE1_0=0/);
  });
});
