/**
 * @module optimize/autocorrelation
 * Integrated autocorrelation time τ of MCMC chains, as emcee (≥ 3.0) estimates it:
 * the normalised autocorrelation function (via FFT) of each walker's chain,
 * averaged over walkers, summed as τ(M) = 1 + 2·Σ_{k=1..M} ρ(k), with Sokal's
 * automatic window: the smallest M with M ≥ c·τ(M) (c = 5).
 *
 * The older Goodman & Weare estimate (autocorrelation of the walker-mean chain)
 * is available as `method: "walkerMean"`; it is biased low when walkers are
 * strongly correlated with each other, which is why emcee moved away from it.
 *
 * τ is in units of stored samples (multiply by the thinning factor for steps).
 *
 * @see A. Sokal, "Monte Carlo methods in statistical mechanics" (1996), §3;
 *   D. Foreman-Mackey et al., emcee `autocorr.py`; J. Goodman, J. Weare, CAMCoS 5 (2010) 65.
 */

import { ValidationError } from "../core/errors.ts";

/** In-place iterative radix-2 complex FFT (forward) of length 2^k. */
function fftInPlace(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    const half = len >> 1;
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const xr = re[b] * cr - im[b] * ci;
        const xi = re[b] * ci + im[b] * cr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

function nextPowerOfTwo(n: number): number {
  let m = 1;
  while (m < n) m <<= 1;
  return m;
}

/**
 * Normalised autocorrelation function ρ(k) = C(k)/C(0) of a series, k = 0..n−1,
 * computed with a zero-padded FFT (O(n log n)). The input is not modified.
 *
 * @param series the values x_0..x_{n−1}
 * @returns ρ with ρ(0) = 1 (for a constant series: [1, 0, 0, …])
 */
export function autocorrelationFunction(series: ArrayLike<number>): Float64Array {
  const n = series.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += series[i];
  mean /= n;
  const m = nextPowerOfTwo(2 * n);
  const re = new Float64Array(m);
  const im = new Float64Array(m);
  for (let i = 0; i < n; i++) re[i] = series[i] - mean;
  fftInPlace(re, im);
  for (let i = 0; i < m; i++) {
    re[i] = re[i] * re[i] + im[i] * im[i];
    im[i] = 0;
  }
  // Inverse FFT of a real, even power spectrum = forward FFT / m (the result is real).
  fftInPlace(re, im);
  const c0 = re[0];
  if (!(c0 > 0)) {
    out[0] = 1;
    return out;
  }
  for (let k = 0; k < n; k++) out[k] = re[k] / c0;
  return out;
}

/**
 * Sokal's automatic window: the first M with M ≥ c·τ(M), where τ(M) = 2·Σ_{k≤M} ρ(k) − 1.
 *
 * @param rho normalised autocorrelation function
 * @param c window factor (emcee uses 5)
 * @returns τ at the chosen window and the window M (M = n−1 if none qualifies)
 */
export function sokalWindow(rho: Float64Array, c = 5): { tau: number; window: number } {
  let cumulative = 0;
  for (let m = 0; m < rho.length; m++) {
    cumulative += rho[m];
    const tau = 2 * cumulative - 1;
    if (m >= c * tau) return { tau, window: m };
  }
  return { tau: 2 * cumulative - 1, window: rho.length - 1 };
}

/**
 * Integrated autocorrelation time of one series (Sokal windowing).
 *
 * @param series the chain of one quantity
 * @param c window factor @default 5
 * @returns τ in units of samples (1 for uncorrelated samples)
 * @example
 * ```ts
 * const tau = integratedAutocorrelationTime(samples); // ≈ (1 + φ)/(1 − φ) for AR(1)
 * ```
 */
export function integratedAutocorrelationTime(series: ArrayLike<number>, c = 5): number {
  return sokalWindow(autocorrelationFunction(series), c).tau;
}

/** Options of {@link ensembleAutocorrelationTime}. */
export interface EnsembleAutocorrelationOptions {
  /** Sokal window factor. @default 5 */
  readonly c?: number;
  /** `"averageAcf"`: emcee ≥ 3 (mean of per-walker ACFs); `"walkerMean"`: ACF of the walker-mean chain (Goodman & Weare 2010). @default "averageAcf" */
  readonly method?: "averageAcf" | "walkerMean";
}

/**
 * Integrated autocorrelation time per parameter of an ensemble chain.
 *
 * @param chain values shaped [steps][walkers][params], row-major (Float32Array or Float64Array)
 * @param steps number of stored steps
 * @param walkers number of walkers
 * @param params number of parameters
 * @param options window factor and method
 * @returns τ per parameter, in units of stored steps
 * @throws {ValidationError} if the chain length does not match the shape
 */
export function ensembleAutocorrelationTime(
  chain: ArrayLike<number>,
  steps: number,
  walkers: number,
  params: number,
  options: EnsembleAutocorrelationOptions = {},
): Float64Array {
  if (chain.length !== steps * walkers * params) {
    throw new ValidationError("chain", `length must be steps·walkers·params = ${steps * walkers * params}`, chain.length);
  }
  const c = options.c ?? 5;
  const method = options.method ?? "averageAcf";
  const taus = new Float64Array(params);
  const series = new Float64Array(steps);
  for (let d = 0; d < params; d++) {
    if (method === "walkerMean") {
      series.fill(0);
      for (let s = 0; s < steps; s++) {
        let sum = 0;
        for (let w = 0; w < walkers; w++) sum += chain[(s * walkers + w) * params + d];
        series[s] = sum / walkers;
      }
      taus[d] = sokalWindow(autocorrelationFunction(series), c).tau;
      continue;
    }
    const mean = new Float64Array(steps);
    for (let w = 0; w < walkers; w++) {
      for (let s = 0; s < steps; s++) series[s] = chain[(s * walkers + w) * params + d];
      const rho = autocorrelationFunction(series);
      for (let k = 0; k < steps; k++) mean[k] += rho[k] / walkers;
    }
    taus[d] = sokalWindow(mean, c).tau;
  }
  return taus;
}
