/**
 * @module core/nnls
 * Non-negative least squares on the normal equations (Lawson–Hanson active set,
 * Bro & de Jong's FNNLS), used by the DRT.
 *
 * Units: none — x carries the units of g divided by those of H.
 * Storage: H is p×p row-major (symmetric); inputs are not modified.
 */

/**
 * Non-negative least squares in normal-equation form: min ½xᵀHx − gᵀx subject to x ≥ 0
 * (for H = AᵀA + λM, g = Aᵀb this is min ‖Ax − b‖² + λxᵀMx, x ≥ 0).
 *
 * Lawson–Hanson active set in Bro & de Jong's FNNLS form, on H scaled to unit
 * diagonal. The Cholesky factor of H_PP is extended by one row when a variable
 * enters the passive set (O(k²)) and rebuilt only when variables leave it.
 *
 * @param h - symmetric positive (semi-)definite p×p matrix, row-major; not modified
 * @param g - right-hand side, length p
 * @param p - order
 * @returns x ≥ 0 satisfying the KKT conditions: (g − Hx)_j ≤ 0 where x_j = 0, ≈ 0 where x_j > 0
 * @see R. Bro, S. de Jong, J. Chemometrics 11 (1997) 393; C. L. Lawson, R. J. Hanson, Solving Least Squares Problems (1974), ch. 23
 */
export function nnlsNormalEquations(h: Float64Array, g: Float64Array, p: number): Float64Array {
  const scale = new Float64Array(p);
  for (let j = 0; j < p; j++) scale[j] = h[j * p + j] > 0 ? 1 / Math.sqrt(h[j * p + j]) : 0;
  const hs = new Float64Array(p * p);
  const gs = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    gs[i] = g[i] * scale[i];
    for (let j = 0; j < p; j++) hs[i * p + j] = h[i * p + j] * scale[i] * scale[j];
  }
  let gmax = 0;
  for (let i = 0; i < p; i++) gmax = Math.max(gmax, Math.abs(gs[i]));
  const tol = 1e-12 * Math.max(gmax, 1e-300);
  const x = new Float64Array(p);
  const passive = new Uint8Array(p);
  const w = Float64Array.from(gs);
  const s = new Float64Array(p);
  const factor = new PassiveFactor(hs, p);
  for (let outer = 0; outer < 3 * p + 10; outer++) {
    let t = -1;
    let wmax = tol;
    for (let j = 0; j < p; j++) {
      if (!passive[j] && scale[j] > 0 && w[j] > wmax) {
        wmax = w[j];
        t = j;
      }
    }
    if (t < 0) break;
    passive[t] = 1;
    factor.append(t);
    for (let inner = 0; inner < 3 * p + 10; inner++) {
      factor.solve(gs, s);
      let alpha = Infinity;
      for (let j = 0; j < p; j++) {
        if (passive[j] && s[j] <= 0) {
          const r = x[j] / (x[j] - s[j]);
          if (r < alpha) alpha = r;
        }
      }
      if (alpha === Infinity) {
        x.set(s);
        break;
      }
      let removed = false;
      for (let j = 0; j < p; j++) {
        if (!passive[j]) continue;
        x[j] += alpha * (s[j] - x[j]);
        if (x[j] <= 1e-15 * Math.max(1, Math.abs(s[j]))) {
          x[j] = 0;
          passive[j] = 0;
          removed = true;
        }
      }
      if (removed) factor.rebuild(passive);
    }
    for (let i = 0; i < p; i++) {
      let hx = 0;
      const o = i * p;
      for (let j = 0; j < p; j++) if (x[j] !== 0) hx += hs[o + j] * x[j];
      w[i] = gs[i] - hx;
    }
  }
  for (let j = 0; j < p; j++) x[j] *= scale[j];
  return x;
}

/** Cholesky factor of H restricted to an ordered set of indices, grown one index at a time. */
class PassiveFactor {
  private readonly h: Float64Array;
  private readonly p: number;
  private readonly l: Float64Array;
  private order: number[] = [];
  private readonly work: Float64Array;

  constructor(h: Float64Array, p: number) {
    this.h = h;
    this.p = p;
    this.l = new Float64Array(p * p);
    this.work = new Float64Array(p);
  }

  /** Add index t as the last row: L l = H[order, t], δ = √(H_tt − lᵀl) (floored for near-dependent columns). */
  append(t: number): void {
    const { h, p, l } = this;
    const k = this.order.length;
    let ll = 0;
    for (let a = 0; a < k; a++) {
      let sum = h[this.order[a] * p + t];
      for (let q = 0; q < a; q++) sum -= l[a * p + q] * l[k * p + q];
      const v = sum / l[a * p + a];
      l[k * p + a] = v;
      ll += v * v;
    }
    const htt = h[t * p + t];
    l[k * p + k] = Math.sqrt(Math.max(htt - ll, 1e-13 * htt));
    this.order.push(t);
  }

  /** Refactor for the indices still flagged in `passive`, keeping their order. */
  rebuild(passive: Uint8Array): void {
    const keep = this.order.filter((j) => passive[j] === 1);
    this.order = [];
    for (const j of keep) this.append(j);
  }

  /** s_P = H_PP⁻¹ g_P, zero elsewhere. */
  solve(g: Float64Array, s: Float64Array): void {
    const { p, l, work } = this;
    const k = this.order.length;
    for (let a = 0; a < k; a++) {
      let sum = g[this.order[a]];
      for (let q = 0; q < a; q++) sum -= l[a * p + q] * work[q];
      work[a] = sum / l[a * p + a];
    }
    for (let a = k - 1; a >= 0; a--) {
      let sum = work[a];
      for (let q = a + 1; q < k; q++) sum -= l[q * p + a] * work[q];
      work[a] = sum / l[a * p + a];
    }
    s.fill(0);
    for (let a = 0; a < k; a++) s[this.order[a]] = work[a];
  }
}
