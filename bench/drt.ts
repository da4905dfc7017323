/**
 * Issue 4 benchmark: one distribution-of-relaxation-times analysis of a ~60-point
 * spectrum (target ≤ 30 ms), plus the Lin-KK test of the same spectrum for scale.
 * Spectrum: R∞ = 10 Ω + ZARC(30 Ω, τ = 1e-4 s, φ = 0.85) + ZARC(60 Ω, τ = 0.1 s, φ = 0.75),
 * 100 kHz … 0.1 Hz at 10 points per decade (61 points), 0.5 % seeded noise.
 */
import { drt } from "../src/analysis/impedance/drt.ts";
import { linKK } from "../src/analysis/impedance/linKK.ts";
import type { ImpedanceSpectrum } from "../src/io/impedance.ts";
import { time, type Timing } from "./harness.ts";

function twoZarcSpectrum(): ImpedanceSpectrum {
  const n = 61;
  const frequency = Float64Array.from({ length: n }, (_, i) => 10 ** (5 - i / 10));
  const real = new Float64Array(n);
  const imag = new Float64Array(n);
  let state = 20240607;
  const uniform = (): number => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const zarc = (w: number, r: number, tau: number, phi: number): [number, number] => {
    const m = (w * tau) ** phi;
    const a = 1 + m * Math.cos((phi * Math.PI) / 2);
    const b = m * Math.sin((phi * Math.PI) / 2);
    const d = a * a + b * b;
    return [(r * a) / d, (-r * b) / d];
  };
  for (let i = 0; i < n; i++) {
    const w = 2 * Math.PI * frequency[i];
    const [r1, i1] = zarc(w, 30, 1e-4, 0.85);
    const [r2, i2] = zarc(w, 60, 0.1, 0.75);
    const re = 10 + r1 + r2;
    const im = i1 + i2;
    const m = Math.hypot(re, im);
    real[i] = re + 0.005 * m * gauss();
    imag[i] = im + 0.005 * m * gauss();
  }
  return { frequency, real, imag, source: "bench", format: "synthetic", warnings: [] };
}

export function benchDrt(): Record<string, Timing | number | string> {
  const spectrum = twoZarcSpectrum();
  const reference = drt(spectrum);
  const rgcv = time(() => drt(spectrum), { calls: 10, rounds: 15 });
  const gcv = time(() => drt(spectrum, { lambda: "gcv" }), { calls: 10, rounds: 15 });
  const lcurve = time(() => drt(spectrum, { lambda: "lcurve" }), { calls: 10, rounds: 15 });
  const fixed = time(() => drt(spectrum, { lambda: reference.lambda }), { calls: 10, rounds: 15 });
  const band = time(() => drt(spectrum, { credibleBand: true }), { calls: 5, rounds: 15 });
  const piecewise = time(() => drt(spectrum, { basis: "piecewise-linear" }), { calls: 10, rounds: 15 });
  const kk = time(() => linKK(spectrum), { calls: 5, rounds: 15 });
  return {
    points: spectrum.frequency.length,
    basis_functions: reference.basisTau.length,
    drt_rbf_rgcv_us: rgcv,
    drt_rbf_gcv_us: gcv,
    drt_rbf_lcurve_us: lcurve,
    drt_rbf_fixed_lambda_us: fixed,
    drt_rbf_rgcv_credible_band_us: band,
    drt_piecewise_linear_rgcv_us: piecewise,
    drt_target_ms: 30,
    drt_lambda: reference.lambda,
    drt_peaks: reference.peaks.map((p) => `${p.tau.toExponential(2)} s/${p.resistance.toFixed(1)} Ω`).join(", "),
    linkk_residual_default_us: kk,
  };
}
