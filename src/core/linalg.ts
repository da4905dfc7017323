/**
 * @module core/linalg
 * Small dense linear algebra on `Float64Array`s, the one implementation the
 * fitters, the samplers, Lin-KK and the DRT share: one-sided Jacobi SVD and
 * (AᵀA)⁻¹, Cholesky (plain and with a diagonal jitter), forward substitution,
 * Gauss–Jordan inverse, least squares by pseudo-inverse or pivoted Householder
 * QR, and the symmetric eigenproblem (tred2/tql2).
 *
 * Units: none — every routine is unit-agnostic; results carry the units the
 * caller's matrices imply (e.g. the inverse of a covariance in parameter units²
 * is in parameter units⁻²).
 *
 * Storage conventions: an n×p Jacobian or design matrix is stored **column-major**
 * (column j at offset j·n), because finite differences produce one column per
 * parameter and the one-sided Jacobi SVD works on columns. Square p×p matrices
 * are **row-major** (row i at offset i·p); for the symmetric ones (covariances,
 * Gram matrices) row- and column-major coincide. Inputs are never modified
 * unless a parameter says so (`forwardSubstitution` works in place); results
 * are freshly allocated.
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
  if (rows >= QR_FIRST_RATIO * cols && rows * cols * cols >= QR_FIRST_WORK && cols > 1) return qrJacobiSvd(a, rows, cols);
  return plainJacobiSvd(a, rows, cols);
}

/**
 * A matrix at least this many times taller than wide is first reduced to its p×p triangular
 * factor R by Householder QR (A = QR), and Jacobi runs on R: each sweep then costs O(p³)
 * instead of O(n·p²) — LAPACK's preconditioned Jacobi (dgejsv; Drmač, "Implementation of
 * Jacobi rotations for accurate singular value computation in floating point arithmetic",
 * SIAM J. Sci. Comput. 18 (1997) 1200), which keeps Jacobi's relative accuracy on
 * column-scaled matrices. Measured on a 5380 × 32 Jacobian (a 17-scan joint fit): one SVD
 * 300–600 ms before, 10–20 ms after.
 */
const QR_FIRST_RATIO = 4;
/**
 * … and only where a Jacobi sweep over A is costly (n·p² at least this): small problems keep
 * the plain Jacobi they were validated with — the two agree to rounding, but a fit between two
 * nearly equal minima (impedance.py's two-arc example) can follow either from a rounding-level
 * difference in its first steps.
 */
const QR_FIRST_WORK = 1e6;

/**
 * {@link jacobiSvd} through a Householder QR: Jacobi on R (p×p), then W = Q·(R·V), the
 * reflectors applied to Jacobi's own R·V — as accurate column by column as Jacobi on A
 * (forming A·V instead loses the small columns to cancellation).
 */
function qrJacobiSvd(a: Float64Array, n: number, p: number): ThinSvd {
  const work = Float64Array.from(a);
  // reflector k: H_k = I − beta_k·v_k·v_kᵀ, v_k in reflectors[k·n + k … k·n + n − 1]
  const reflectors = new Float64Array(n * p);
  const beta = new Float64Array(p);
  for (let k = 0; k < p; k++) {
    const col = k * n;
    let norm2 = 0;
    for (let i = k; i < n; i++) norm2 += work[col + i] * work[col + i];
    if (norm2 === 0) continue;
    const norm = Math.sqrt(norm2);
    const alpha = work[col + k] > 0 ? -norm : norm;
    // v = x − alpha·e1, ‖v‖² = 2·(norm² − alpha·x0)
    const vNorm2 = 2 * (norm2 - alpha * work[col + k]);
    if (!(vNorm2 > 0)) continue;
    for (let i = k; i < n; i++) reflectors[col + i] = work[col + i];
    reflectors[col + k] -= alpha;
    beta[k] = 2 / vNorm2;
    work[col + k] = alpha;
    for (let i = k + 1; i < n; i++) work[col + i] = 0;
    for (let j = k + 1; j < p; j++) {
      const cj = j * n;
      let dot = 0;
      for (let i = k; i < n; i++) dot += reflectors[col + i] * work[cj + i];
      const f = beta[k] * dot;
      for (let i = k; i < n; i++) work[cj + i] -= f * reflectors[col + i];
    }
  }
  const r = new Float64Array(p * p);
  for (let j = 0; j < p; j++) for (let i = 0; i <= j; i++) r[j * p + i] = work[j * n + i];
  const small = plainJacobiSvd(r, p, p);
  // W = Q·[R·V; 0] = H_0·H_1·…·H_{p−1}·[R·V; 0]
  const w = new Float64Array(n * p);
  for (let i = 0; i < p; i++) w.set(small.w.subarray(i * p, i * p + p), i * n);
  for (let k = p - 1; k >= 0; k--) {
    if (beta[k] === 0) continue;
    const col = k * n;
    for (let i = 0; i < p; i++) {
      const wi = i * n;
      let dot = 0;
      for (let t = k; t < n; t++) dot += reflectors[col + t] * w[wi + t];
      const f = beta[k] * dot;
      if (f === 0) continue;
      for (let t = k; t < n; t++) w[wi + t] -= f * reflectors[col + t];
    }
  }
  return { rows: n, cols: p, singularValues: small.singularValues, v: small.v, w };
}

/** One-sided Jacobi on A itself (see {@link jacobiSvd}). */
function plainJacobiSvd(a: Float64Array, rows: number, cols: number): ThinSvd {
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
  return choleskyInto(a, p, 0, l) ? l : null;
}

/**
 * Cholesky factor of a symmetric positive semi-definite k×k matrix, made definite if need be:
 * L·Lᵀ = A + s·I with s = 0, then `jitter`·(1, 10, 100, …) until the factorisation succeeds.
 *
 * @param a k·k values (row-major; only the lower triangle is read); not modified
 * @param k order
 * @param jitter first diagonal shift tried (same units as A's entries)
 * @returns L (row-major, upper triangle zero)
 * @throws {Error} when 30 shifts do not make A definite
 */
export function choleskyWithJitter(a: Float64Array, k: number, jitter: number): Float64Array {
  const l = new Float64Array(k * k);
  let shift = 0;
  for (let attempt = 0; attempt < 30; attempt++) {
    if (choleskyInto(a, k, shift, l)) return l;
    shift = shift === 0 ? Math.max(jitter, 1e-300) : shift * 10;
    l.fill(0);
  }
  throw new Error("choleskyWithJitter: matrix is not positive semi-definite");
}

/** L·Lᵀ = A + shift·I into `l` (zero on entry, row-major lower); false as soon as a pivot is not positive. */
function choleskyInto(a: Float64Array, p: number, shift: number, l: Float64Array): boolean {
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = i === j ? a[i * p + j] + shift : a[i * p + j];
      for (let k = 0; k < j; k++) sum -= l[i * p + k] * l[j * p + k];
      if (i === j) {
        if (!(sum > 0)) return false;
        l[i * p + i] = Math.sqrt(sum);
      } else {
        l[i * p + j] = sum / l[j * p + j];
      }
    }
  }
  return true;
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

/**
 * Inverse of a p×p matrix by Gauss–Jordan with partial pivoting; undefined when singular
 * (a pivot ≤ 1e-13 × the largest |entry|).
 *
 * @param m p·p values, row-major; not modified
 * @param p order
 * @returns the inverse, p×p row-major, or undefined
 */
export function invertMatrix(m: Float64Array, p: number): Float64Array | undefined {
  const a = Float64Array.from(m);
  const inv = new Float64Array(p * p);
  for (let i = 0; i < p; i++) inv[i * p + i] = 1;
  let largest = 0;
  for (const v of a) largest = Math.max(largest, Math.abs(v));
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r * p + c]) > Math.abs(a[pivot * p + c])) pivot = r;
    if (!(Math.abs(a[pivot * p + c]) > 1e-13 * largest)) return undefined;
    if (pivot !== c) {
      for (let j = 0; j < p; j++) {
        [a[c * p + j], a[pivot * p + j]] = [a[pivot * p + j], a[c * p + j]];
        [inv[c * p + j], inv[pivot * p + j]] = [inv[pivot * p + j], inv[c * p + j]];
      }
    }
    const d = a[c * p + c];
    for (let j = 0; j < p; j++) {
      a[c * p + j] /= d;
      inv[c * p + j] /= d;
    }
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r * p + c];
      if (f === 0) continue;
      for (let j = 0; j < p; j++) {
        a[r * p + j] -= f * a[c * p + j];
        inv[r * p + j] -= f * inv[c * p + j];
      }
    }
  }
  return inv;
}

// ---------------------------------------------------------------------------
// Least squares (column-major n×p matrices, inputs are not modified)

/**
 * Minimum-norm least-squares solution x = A⁺b through a one-sided Jacobi SVD,
 * dropping singular values ≤ rcond·σ_max (numpy.linalg.pinv's rule, rcond 1e-15).
 * Wide matrices (p > n) are handled through the SVD of Aᵀ.
 *
 * @param a n·p column-major values
 * @param n rows
 * @param p columns
 * @param b right-hand side, length n
 * @param rcond relative cut-off for small singular values
 * @returns x, length p
 */
export function leastSquaresPinv(a: Float64Array, n: number, p: number, b: Float64Array, rcond = 1e-15): Float64Array {
  const x = new Float64Array(p);
  if (n >= p) {
    const svd = jacobiSvd(a, n, p);
    const smax = svd.singularValues[0];
    for (let i = 0; i < p; i++) {
      const s = svd.singularValues[i];
      if (!(s > rcond * smax)) continue;
      // u_i = w_i/σ_i; x += v_i (u_iᵀ b)/σ_i = v_i (w_iᵀ b)/σ_i²
      let wb = 0;
      for (let r = 0; r < n; r++) wb += svd.w[i * n + r] * b[r];
      const coef = wb / (s * s);
      for (let j = 0; j < p; j++) x[j] += svd.v[i * p + j] * coef;
    }
    return x;
  }
  // A = U S Vᵀ ⇔ Aᵀ = V S Uᵀ: the SVD of Aᵀ (p×n) has right vectors U and W' = Aᵀ U = V S.
  const at = new Float64Array(p * n);
  for (let j = 0; j < p; j++) for (let r = 0; r < n; r++) at[r * p + j] = a[j * n + r];
  const svd = jacobiSvd(at, p, n);
  const smax = svd.singularValues[0];
  for (let i = 0; i < n; i++) {
    const s = svd.singularValues[i];
    if (!(s > rcond * smax)) continue;
    let ub = 0;
    for (let r = 0; r < n; r++) ub += svd.v[i * n + r] * b[r];
    const coef = ub / (s * s);
    for (let j = 0; j < p; j++) x[j] += svd.w[i * p + j] * coef;
  }
  return x;
}

/**
 * Least squares by Householder QR with column pivoting on unit-norm-scaled
 * columns. Columns that are zero or numerically dependent (|R_kk| ≤ rtol·|R_00|)
 * get coefficient 0 (the basic solution).
 *
 * @param a n·p column-major values
 * @param n rows
 * @param p columns
 * @param b right-hand side, length n
 * @param rtol relative rank tolerance on the diagonal of R
 * @returns x, length p
 */
export function leastSquaresQr(a: Float64Array, n: number, p: number, b: Float64Array, rtol = 1e-12): Float64Array {
  const q = Float64Array.from(a);
  const y = Float64Array.from(b);
  const scale = new Float64Array(p);
  const perm = new Int32Array(p);
  const norms = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    perm[j] = j;
    let s = 0;
    for (let r = 0; r < n; r++) s += q[j * n + r] * q[j * n + r];
    scale[j] = Math.sqrt(s);
    if (scale[j] > 0) for (let r = 0; r < n; r++) q[j * n + r] /= scale[j];
    norms[j] = scale[j] > 0 ? 1 : 0;
  }
  const steps = Math.min(n, p);
  let rank = 0;
  let first = 0;
  for (let k = 0; k < steps; k++) {
    // Pivot: the remaining column with the largest norm below row k (recomputed exactly: p is small).
    let best = -1;
    let bestNorm = -1;
    for (let j = k; j < p; j++) {
      let s = 0;
      const o = j * n;
      for (let r = k; r < n; r++) s += q[o + r] * q[o + r];
      norms[j] = s;
      if (s > bestNorm) {
        bestNorm = s;
        best = j;
      }
    }
    const colNorm = Math.sqrt(bestNorm);
    if (k === 0) first = colNorm;
    if (!(colNorm > rtol * first) || colNorm === 0) break;
    if (best !== k) {
      for (let r = 0; r < n; r++) {
        const t = q[k * n + r];
        q[k * n + r] = q[best * n + r];
        q[best * n + r] = t;
      }
      const t = perm[k];
      perm[k] = perm[best];
      perm[best] = t;
    }
    // Householder vector v (stored in place below the diagonal) with H x = −sign(x_k)‖x‖ e_k.
    const o = k * n;
    const alpha = q[o + k] >= 0 ? -colNorm : colNorm;
    q[o + k] -= alpha;
    let vv = 0;
    for (let r = k; r < n; r++) vv += q[o + r] * q[o + r];
    if (vv > 0) {
      for (let j = k + 1; j < p; j++) {
        const oj = j * n;
        let dot = 0;
        for (let r = k; r < n; r++) dot += q[o + r] * q[oj + r];
        const f = (2 * dot) / vv;
        for (let r = k; r < n; r++) q[oj + r] -= f * q[o + r];
      }
      let dot = 0;
      for (let r = k; r < n; r++) dot += q[o + r] * y[r];
      const f = (2 * dot) / vv;
      for (let r = k; r < n; r++) y[r] -= f * q[o + r];
    }
    q[o + k] = alpha; // R_kk
    rank = k + 1;
  }
  // Back substitution on the leading rank×rank block of R (upper triangle of q).
  const z = new Float64Array(rank);
  for (let i = rank - 1; i >= 0; i--) {
    let s = y[i];
    for (let j = i + 1; j < rank; j++) s -= q[j * n + i] * z[j];
    z[i] = s / q[i * n + i];
  }
  const x = new Float64Array(p);
  for (let i = 0; i < rank; i++) x[perm[i]] = z[i] / scale[perm[i]];
  return x;
}

/**
 * Solves L·y = v in place by forward substitution.
 *
 * @param l lower-triangular k×k matrix, row-major (e.g. from {@link cholesky})
 * @param k order
 * @param v right-hand side, overwritten with y
 */
export function forwardSubstitution(l: Float64Array, k: number, v: Float64Array): void {
  for (let i = 0; i < k; i++) {
    let s = v[i];
    for (let j = 0; j < i; j++) s -= l[i * k + j] * v[j];
    v[i] = s / l[i * k + i];
  }
}

// ---------------------------------------------------------------------------
// Symmetric eigenproblem

/**
 * Eigen-decomposition of a symmetric k×k matrix (row-major): Householder
 * tridiagonalisation and implicit QL (the EISPACK tred2/tql2 pair, as in JAMA).
 *
 * @param a - symmetric matrix, not modified
 * @param k - order
 * @param project - optional vector y: return the coordinates Uᵀy instead of the eigenvectors U (much cheaper)
 * @returns eigenvalues (unsorted) and either the eigenvectors (`vectors[i·k + q]` is component q of the
 *   eigenvector of `values[i]`) or `projection[i]` = u_iᵀ y
 */
export function symmetricEigen(a: Float64Array, k: number, project?: Float64Array): { values: Float64Array; vectors?: Float64Array; projection?: Float64Array } {
  const v = Float64Array.from(a);
  const d = new Float64Array(k);
  const e = new Float64Array(k);
  // Column-major storage of JAMA's V (the input is symmetric, so it reads the same): every inner loop
  // of tred2/tql2 then runs along contiguous memory, and eigenvector i ends up in row i.
  const at = (i: number, j: number): number => j * k + i;
  // tred2
  for (let j = 0; j < k; j++) d[j] = v[at(k - 1, j)];
  for (let i = k - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let q = 0; q < i; q++) scale += Math.abs(d[q]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = v[at(i - 1, j)];
        v[at(i, j)] = 0;
        v[at(j, i)] = 0;
      }
    } else {
      for (let q = 0; q < i; q++) {
        d[q] /= scale;
        h += d[q] * d[q];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        v[at(j, i)] = f;
        g = e[j] + v[at(j, j)] * f;
        for (let q = j + 1; q <= i - 1; q++) {
          g += v[at(q, j)] * d[q];
          e[q] += v[at(q, j)] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let q = j; q <= i - 1; q++) v[at(q, j)] -= f * e[q] + g * d[q];
        d[j] = v[at(i - 1, j)];
        v[at(i, j)] = 0;
      }
    }
    d[i] = h;
  }
  let z: Float64Array | null = null;
  if (project) {
    // Qᵀy = P₁(P₂(⋯P_{k−1}y)) with the reflections P_i = I − u_i u_iᵀ/h_i kept in column i above the
    // diagonal; T's diagonal is on V's diagonal. Skips the O(k³) accumulation of Q.
    z = Float64Array.from(project);
    for (let i = k - 1; i > 0; i--) {
      const h = d[i];
      if (h === 0) continue;
      let dot = 0;
      for (let q = 0; q < i; q++) dot += v[at(q, i)] * z[q];
      const f = dot / h;
      for (let q = 0; q < i; q++) z[q] -= f * v[at(q, i)];
    }
    for (let j = 0; j < k; j++) d[j] = v[at(j, j)];
  }
  for (let i = 0; i < k - 1 && !z; i++) {
    v[at(k - 1, i)] = v[at(i, i)];
    v[at(i, i)] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let q = 0; q <= i; q++) d[q] = v[at(q, i + 1)] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let q = 0; q <= i; q++) g += v[at(q, i + 1)] * v[at(q, j)];
        for (let q = 0; q <= i; q++) v[at(q, j)] -= g * d[q];
      }
    }
    for (let q = 0; q <= i; q++) v[at(q, i + 1)] = 0;
  }
  if (!z) {
    for (let j = 0; j < k; j++) {
      d[j] = v[at(k - 1, j)];
      v[at(k - 1, j)] = 0;
    }
    v[at(k - 1, k - 1)] = 1;
  }
  e[0] = 0;
  // With `project`, the QL rotations are applied to z = Qᵀy instead of accumulated into eigenvectors.
  // tql2
  for (let i = 1; i < k; i++) e[i - 1] = e[i];
  e[k - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < k; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < k) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      for (let iter = 0; iter < 100; iter++) {
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < k; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          if (z) {
            h = z[i + 1];
            z[i + 1] = s * z[i] + c * h;
            z[i] = c * z[i] - s * h;
          } else {
            for (let q = 0; q < k; q++) {
              h = v[at(q, i + 1)];
              v[at(q, i + 1)] = s * v[at(q, i)] + c * h;
              v[at(q, i)] = c * v[at(q, i)] - s * h;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(Math.abs(e[l]) > eps * tst1)) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }
  return z ? { values: d, projection: z } : { values: d, vectors: v };
}
