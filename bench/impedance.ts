/**
 * Issue 4 benchmark: equivalent-circuit fitting. Targets: one 60-point two-ZARC
 * fit ≤ 5 ms; a 1000-spectrum series fitted with warm starts ≤ 10 s.
 * Spectrum: R0 = 10 Ω + Zarc(20 Ω, τ = 1e-4 s, γ = 0.85) + Zarc(50 Ω, τ = 0.1 s, γ = 0.9),
 * 100 kHz … 10 mHz, 60 log-spaced points, seeded Gaussian noise 1 % of |Z| (0.2 % for the series),
 * modulus weights. The single fit is the whole `fitCircuit` call: data-derived start,
 * Levenberg–Marquardt with central-difference refinement and the covariance.
 * The series drifts R1 from 20 to 40 Ω and R2 from 50 to 35 Ω over 1000 spectra.
 */
import { createRandom } from "../src/core/random.ts";
import { fitCircuit, fitCircuitSeries } from "../src/fit/circuitObjective.ts";
import type { ImpedanceData } from "../src/fit/circuitObjective.ts";
import { createCircuitWorkspace, evaluateCircuit } from "../src/kernels/impedance/circuitEval.ts";
import { compileCircuit, circuitModel } from "../src/models/circuit/circuitModel.ts";
import { parseCircuit } from "../src/models/circuit/parseCircuit.ts";
import { time, type Timing } from "./harness.ts";

const CIRCUIT = "R0-Zarc1-Zarc2";
const TRUTH = [10, 20, 1e-4, 0.85, 50, 0.1, 0.9];

const frequencies = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => 1e5 * Math.pow(1e-7, i / (n - 1)));

function spectrum(values: readonly number[], frequency: Float64Array, relative: number, seed: number): ImpedanceData {
  const z = circuitModel(CIRCUIT, { initial: values }).evaluate(frequency);
  const rng = createRandom(seed);
  const real = new Float64Array(frequency.length);
  const imag = new Float64Array(frequency.length);
  for (let i = 0; i < frequency.length; i++) {
    const m = Math.hypot(z.re[i], z.im[i]);
    real[i] = z.re[i] + relative * m * rng.normal();
    imag[i] = z.im[i] + relative * m * rng.normal();
  }
  return { frequency, real, imag };
}

export function benchCircuitFit(): Record<string, Timing | number | string> {
  const f60 = frequencies(60);
  const data = spectrum(TRUTH, f60, 0.01, 1);

  // the kernel alone: one evaluation of the compiled circuit at 60 frequencies
  const compiled = compileCircuit(parseCircuit(CIRCUIT), (i) => i);
  const values = Float64Array.from(TRUTH);
  const out = { re: new Float64Array(60), im: new Float64Array(60) };
  const workspace = createCircuitWorkspace(compiled, 60);
  const evaluation = time(() => evaluateCircuit(compiled, values, f60, out, workspace), { calls: 5000, rounds: 15 });

  const single = time(() => fitCircuit(CIRCUIT, data, { weights: "modulus" }), { calls: 20, rounds: 15, warmupCalls: 20 });
  const givenStart = time(() => fitCircuit(CIRCUIT, data, { weights: "modulus", initial: TRUTH }), { calls: 20, rounds: 15, warmupCalls: 20 });
  const rq = "R0-p(R1,CPE1)-p(R2,CPE2)";
  // the same two arcs written as R‖CPE: Q = 1/(R (1/τ)^α)
  const zRq = circuitModel(rq, { initial: [10, 20, 1 / (20 * Math.pow(1e4, 0.85)), 0.85, 50, 1 / (50 * Math.pow(10, 0.9)), 0.9] }).evaluate(f60);
  const rqData = { frequency: f60, real: zRq.re, imag: zRq.im };
  const rqFit = time(() => fitCircuit(rq, rqData, { weights: "modulus" }), { calls: 20, rounds: 15, warmupCalls: 20 });
  const oneFit = fitCircuit(CIRCUIT, data, { weights: "modulus" });

  const spectra = Array.from({ length: 1000 }, (_, k) => {
    const t = k / 999;
    return spectrum([10, 20 + 20 * t, 1e-4, 0.85, 50 - 15 * t, 0.1, 0.9], f60, 0.002, 1000 + k);
  });
  let converged = 0;
  let evaluations = 0;
  const series = time(
    () => {
      const fits = fitCircuitSeries(CIRCUIT, spectra, { weights: "modulus" });
      converged = fits.filter((fit) => fit.converged).length;
      evaluations = fits.reduce((sum, fit) => sum + fit.evaluations, 0);
    },
    { calls: 1, rounds: 1, warmupCalls: 0 },
  );
  const cold = time(() => fitCircuitSeries(CIRCUIT, spectra, { weights: "modulus", warmStart: false }), { calls: 1, rounds: 1, warmupCalls: 0 });
  return {
    "circuit evaluation, 2 Zarc, 60 points": evaluation,
    "two-ZARC fit, 60 points, guessed start (target ≤ 5 ms)": single,
    "two-ZARC fit, 60 points, start at the truth": givenStart,
    "R-CPE form R0-p(R1,CPE1)-p(R2,CPE2), 60 points": rqFit,
    "residual evaluations per two-ZARC fit": oneFit.evaluations,
    "1000-spectrum series, warm starts (target ≤ 10 s)": series,
    "1000-spectrum series, cold starts": cold,
    "series: converged fits of 1000": converged,
    "series: residual evaluations per fit": evaluations / 1000,
  };
}
