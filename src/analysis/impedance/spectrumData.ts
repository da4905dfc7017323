/**
 * @module analysis/impedance/spectrumData
 * The checked form of an impedance spectrum that Lin-KK and the DRT both start from: angular
 * frequencies, |Z|, and the measured window. Units: f in Hz, ω in rad/s, Z in Ω.
 */
import { ValidationError } from "../../core/errors.ts";
import type { ImpedanceSpectrum } from "../../io/impedance.ts";

export interface SpectrumData {
  f: Float64Array;
  omega: Float64Array;
  re: Float64Array;
  im: Float64Array;
  abs: Float64Array;
  fMin: number;
  fMax: number;
}

/**
 * Check a spectrum point by point and derive ω and |Z|.
 * @param method - named in the error when there are too few points ("Lin-KK", "DRT")
 * @param minPoints - the fewest points the method can use
 * @throws ValidationError naming the point and its value: lengths differ, too few points, a
 *   frequency not positive and finite, an impedance not finite, |Z| = 0 (both methods weigh
 *   residuals by |Z|), fewer than two distinct frequencies
 */
export function checkSpectrum(spectrum: ImpedanceSpectrum, method: string, minPoints: number): SpectrumData {
  const { frequency, real, imag } = spectrum;
  const n = frequency.length;
  if (real.length !== n || imag.length !== n) {
    throw new ValidationError("spectrum", "frequency, real and imag must have the same length", { frequency: n, real: real.length, imag: imag.length });
  }
  if (n < minPoints) throw new ValidationError("spectrum.frequency", `${method} needs at least ${minPoints} points`, n);
  const omega = new Float64Array(n);
  const abs = new Float64Array(n);
  let fMin = Infinity;
  let fMax = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!(frequency[i] > 0) || !Number.isFinite(frequency[i])) throw new ValidationError(`spectrum.frequency[${i}]`, "must be positive and finite", frequency[i]);
    if (!Number.isFinite(real[i]) || !Number.isFinite(imag[i])) throw new ValidationError(`spectrum[${i}]`, "impedance must be finite", [real[i], imag[i]]);
    omega[i] = 2 * Math.PI * frequency[i];
    abs[i] = Math.hypot(real[i], imag[i]);
    if (!(abs[i] > 0)) throw new ValidationError(`spectrum[${i}]`, "|Z| must be positive (residuals are relative to |Z|)", abs[i]);
    fMin = Math.min(fMin, frequency[i]);
    fMax = Math.max(fMax, frequency[i]);
  }
  if (!(fMax > fMin)) throw new ValidationError("spectrum.frequency", "needs at least two distinct frequencies", fMin);
  return { f: frequency, omega, re: real, im: imag, abs, fMin, fMax };
}
