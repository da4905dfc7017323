/**
 * @module fit/circuitStart
 * Arcs of a spectrum read from a quick relaxation-time ladder, for the starting
 * values of a circuit fit ({@link relaxationArcs}). It complements the −Z″-peak
 * heuristics of `initialGuess`, which cannot size an arc that does not close
 * inside the measured window (a blocking electrode's kΩ arc seen only as a
 * rising capacitive tail) or one hidden under a larger one.
 *
 * Model: Z(ω) = R∞ + jωL + Σ_k R_k / (1 + jωτ_k), R_k ≥ 0, L ≥ 0 (only when the
 * highest frequency is inductive), on a fixed grid of τ_k, 4 per decade, from a
 * decade below 1/(2π f_max) to two decades above 1/(2π f_min) (so an arc whose
 * apex lies below the lowest frequency still gets its resistance). Rows are
 * weighted by 1/|Z| (relative errors), a small ridge (1e-6 of each RC column's diagonal)
 * keeps the normal equations positive definite, and the non-negative solve is
 * Lawson–Hanson (core/nnls). Runs of consecutive non-zero R_k, split at their
 * interior local minima, are arcs: resistance ΣR_k, apex frequency 1/(2π τ̄) with ln τ̄ the R-weighted mean ln τ_k.
 *
 * Units: frequency Hz, impedance and resistances Ω, τ s, inductance H.
 */
import { nnlsNormalEquations } from "../core/nnls.ts";

/** Input spectrum (frequency Hz, Z′ and Z″ Ω; already validated by the caller). */
interface LadderData {
  readonly frequency: Float64Array;
  readonly real: Float64Array;
  readonly imag: Float64Array;
}

/** One arc of the ladder: resistance (Ω) and apex frequency (Hz). */
export interface LadderArc {
  readonly frequency: number;
  readonly resistance: number;
}

/** What {@link relaxationArcs} returns. */
export interface RelaxationArcs {
  /** Arcs, from high to low apex frequency. */
  readonly arcs: readonly LadderArc[];
  /** Series resistance R∞ (Ω). */
  readonly rInf: number;
  /** Series inductance (H); 0 when not fitted. */
  readonly inductance: number;
  /** Σ ((Z − Z_ladder)/|Z|)² over both parts: how well a free KK-consistent model fits. */
  readonly chi2: number;
}

/** τ grid density of the ladder (per decade). */
const LADDER_PER_DECADE = 4;
/** Decades the grid extends beyond 1/(2π f_max) and 1/(2π f_min). */
const LADDER_EXTEND_HIGH = 1;
const LADDER_EXTEND_LOW = 2;
/** Ridge relative to each RC column's diagonal of the normal equations (only keeps them positive definite). */
const LADDER_RIDGE = 1e-6;

/**
 * Arcs, R∞ and L of a spectrum from a non-negative RC ladder (see the module header).
 *
 * @param data - frequencies (Hz, > 0) and Z′, Z″ (Ω); at least 3 points
 * @returns arcs (high to low frequency), R∞, L and the ladder's relative χ²
 */
export function relaxationArcs(data: LadderData): RelaxationArcs {
  const n = data.frequency.length;
  let fMin = Infinity;
  let fMax = 0;
  let iMax = 0;
  for (let i = 0; i < n; i++) {
    fMin = Math.min(fMin, data.frequency[i]);
    if (data.frequency[i] > fMax) {
      fMax = data.frequency[i];
      iMax = i;
    }
  }
  const lo = -Math.log10(2 * Math.PI * fMax) - LADDER_EXTEND_HIGH;
  const hi = -Math.log10(2 * Math.PI * fMin) + LADDER_EXTEND_LOW;
  const K = Math.max(2, Math.ceil((hi - lo) * LADDER_PER_DECADE) + 1);
  const logTau = Float64Array.from({ length: K }, (_, k) => lo + ((hi - lo) * k) / (K - 1));
  const withL = data.imag[iMax] > 0;
  const p = K + 1 + (withL ? 1 : 0);
  const rows = 2 * n;
  // Column-major design matrix, rows weighted by 1/|Z|.
  const a = new Float64Array(rows * p);
  const b = new Float64Array(rows);
  for (let i = 0; i < n; i++) {
    const w = 1 / Math.max(Math.hypot(data.real[i], data.imag[i]), 1e-300);
    const omega = 2 * Math.PI * data.frequency[i];
    for (let k = 0; k < K; k++) {
      const wt = omega * 10 ** logTau[k];
      const d = 1 + wt * wt;
      a[k * rows + i] = w / d;
      a[k * rows + n + i] = (-w * wt) / d;
    }
    a[K * rows + i] = w;
    if (withL) a[(K + 1) * rows + n + i] = w * omega;
    b[i] = w * data.real[i];
    b[n + i] = w * data.imag[i];
  }
  const h = new Float64Array(p * p);
  const g = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += a[j * rows + r] * a[k * rows + r];
      h[j * p + k] = s;
      h[k * p + j] = s;
    }
    let s = 0;
    for (let r = 0; r < rows; r++) s += a[j * rows + r] * b[r];
    g[j] = s;
  }
  // Ridge relative to each column's own diagonal: a ridge scaled to the mean would swamp the long-τ
  // columns, which touch only the lowest frequencies.
  for (let k = 0; k < K; k++) h[k * p + k] *= 1 + LADDER_RIDGE;
  const x = nnlsNormalEquations(h, g, p);

  let chi2 = 0;
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let j = 0; j < p; j++) m += a[j * rows + r] * x[j];
    chi2 += (b[r] - m) ** 2;
  }
  // Arcs: runs of non-zero R_k, each split at its interior local minima (two processes whose R_k
  // runs touch), from short τ (high frequency) to long τ.
  const arcs: LadderArc[] = [];
  let total = 0;
  for (let k = 0; k < K; k++) total += x[k];
  const on = (k: number): boolean => x[k] > 1e-9 * total;
  let r = 0;
  let weighted = 0;
  const close = (): void => {
    if (r > 0) arcs.push({ resistance: r, frequency: 1 / (2 * Math.PI * 10 ** (weighted / r)) });
    r = 0;
    weighted = 0;
  };
  for (let k = 0; k < K; k++) {
    if (!on(k)) {
      close();
      continue;
    }
    const valley = k > 0 && k + 1 < K && on(k - 1) && on(k + 1) && x[k] < x[k - 1] && x[k] <= x[k + 1];
    if (valley) {
      // share the valley's R_k between the two arcs
      r += x[k] / 2;
      weighted += (x[k] / 2) * logTau[k];
      close();
      r = x[k] / 2;
      weighted = (x[k] / 2) * logTau[k];
      continue;
    }
    r += x[k];
    weighted += x[k] * logTau[k];
  }
  close();
  return { arcs, rInf: x[K], inductance: withL ? x[K + 1] : 0, chi2 };
}
