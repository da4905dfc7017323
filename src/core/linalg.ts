/**
 * @module fit/linalg
 * Small dense linear algebra for the fitters, on `Float64Array`s.
 *
 * Storage conventions: an n×p Jacobian is stored **column-major** (column j
 * at offset j·n), because finite differences produce one column per parameter
 * and the one-sided Jacobi SVD works on columns. Square p×p matrices
 * (covariances) are symmetric, so row- and column-major coincide.
 *
 * The SVD is one-sided Jacobi (Hestenes), which computes small singular values
 * to high relative accuracy for column-scaled matrices. That is what lets us
 * form (JᵀJ)⁻¹ = V Σ⁻² Vᵀ without squaring the condition number, as the
 * normal equations would.
 *
 * @see J. Demmel, K. Veselić, "Jacobi's method is more accurate than QR", SIAM J. Matrix Anal. Appl. 13 (1992) 1204.
 */

/** Thin SVD of an n×p matrix A (n ≥ p, column-major): A·V = W where W's columns are σ_i·u_i. */
export interface ThinSvd {
  readonly rows: number;
  readonly cols: number;
  /** Singular values σ_i, descending. */
  readonly singularValues: Float64Array;
  /** V, p×p column-major: column i is the right singular vector for σ_i. */
  readonly v: Float64Array;
  /** W = A·V, n×p column-major: column i is σ_i·u_i (unnormalised, so σ_i = 0 is harmless). */
  readonly w: Float64Array;
}

/**
 * One-sided Jacobi SVD of an n×p column-major matrix (n ≥ p). The input is not modified.
 *
 * @param a n·p column-major values
 * @param rows n
 * @param cols p
 * @returns singular values (descending), V and W = A·V
 */
export function jacobiSvd(a: Float64Array, rows: number, cols: number): ThinSvd {
  const n = rows;
  const p = cols;
  const w = Float64Array.from(a);
  const v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  const eps = 2.220446049250313e-16;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let i = 0; i < p - 1; i++) {
      for (let j = i + 1; j < p; j++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const oi = i * n;
        const oj = j * n;
        for (let k = 0; k < n; k++) {
          const x = w[oi + k];
          const y = w[oj + k];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let k = 0; k < n; k++) {
          const x = w[oi + k];
          const y = w[oj + k];
          w[oi + k] = c * x - s * y;
          w[oj + k] = s * x + c * y;
        }
        const vi = i * p;
        const vj = j * p;
        for (let k = 0; k < p; k++) {
          const x = v[vi + k];
          const y = v[vj + k];
          v[vi + k] = c * x - s * y;
          v[vj + k] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s2 = 0;
    for (let k = 0; k < n; k++) s2 += w[i * n + k] * w[i * n + k];
    sigma[i] = Math.sqrt(s2);
  }
  // Sort descending (selection sort on p ≤ a few dozen columns).
  const order = Array.from({ length: p }, (_, i) => i).sort((x, y) => sigma[y] - sigma[x]);
  const sortedSigma = new Float64Array(p);
  const sortedV = new Float64Array(p * p);
  const sortedW = new Float64Array(n * p);
  order.forEach((src, dst) => {
    sortedSigma[dst] = sigma[src];
    sortedV.set(v.subarray(src * p, src * p + p), dst * p);
    sortedW.set(w.subarray(src * n, src * n + n), dst * n);
  });
  return { rows: n, cols: p, singularValues: sortedSigma, v: sortedV, w: sortedW };
}

/**
 * Pseudo-inverse of AᵀA from a thin SVD: V·diag(1/σ²)·Vᵀ, dropping σ_i ≤ rcond·σ_max.
 *
 * @param svd the SVD of A
 * @param rcond relative cut-off for small singular values
 * @returns the p×p matrix and the number of singular values kept (the numerical rank)
 */
export function inverseGram(svd: ThinSvd, rcond: number): { matrix: Float64Array; rank: number } {
  const p = svd.cols;
  const out = new Float64Array(p * p);
  const smax = svd.singularValues[0] ?? 0;
  let rank = 0;
  for (let i = 0; i < p; i++) {
    const s = svd.singularValues[i];
    if (!(s > rcond * smax) || s === 0) continue;
    rank++;
    const inv = 1 / (s * s);
    const vi = i * p;
    for (let r = 0; r < p; r++) {
      const f = svd.v[vi + r] * inv;
      for (let c = 0; c < p; c++) out[r * p + c] += f * svd.v[vi + c];
    }
  }
  return { matrix: out, rank };
}

/**
 * Cholesky factorisation of a symmetric positive-definite p×p matrix: A = L·Lᵀ.
 *
 * @param a p·p values (row-major; only the lower triangle is read)
 * @param p order
 * @returns L (row-major, upper triangle zero), or null if A is not positive definite
 */
export function cholesky(a: Float64Array, p: number): Float64Array | null {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * p + j];
      for (let k = 0; k < j; k++) sum -= l[i * p + k] * l[j * p + k];
      if (i === j) {
        if (!(sum > 0)) return null;
        l[i * p + i] = Math.sqrt(sum);
      } else {
        l[i * p + j] = sum / l[j * p + j];
      }
    }
  }
  return l;
}

/**
 * A factor F with F·Fᵀ = C for a symmetric positive semi-definite p×p matrix:
 * Cholesky when it succeeds, otherwise V·diag(√max(λ, 0)) from a Jacobi SVD of C.
 * Used to draw multivariate normal vectors x = μ + F·z.
 *
 * @param c p·p symmetric matrix
 * @param p order
 * @returns F, p×p row-major
 */
export function covarianceFactor(c: Float64Array, p: number): Float64Array {
  const l = cholesky(c, p);
  if (l) return l;
  const svd = jacobiSvd(c, p, p);
  const f = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const s = Math.sqrt(Math.max(svd.singularValues[i], 0));
    for (let r = 0; r < p; r++) f[r * p + i] = svd.v[i * p + r] * s;
  }
  return f;
}
