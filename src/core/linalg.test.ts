import { describe, expect, it } from "vitest";
import {
  cholesky,
  choleskyWithJitter,
  covarianceFactor,
  forwardSubstitution,
  inverseGram,
  invertMatrix,
  jacobiSvd,
  leastSquaresPinv,
  leastSquaresQr,
  symmetricEigen,
} from "./linalg.ts";

/** Column-major n×p from rows. */
function columnMajor(rows: number[][]): Float64Array {
  const n = rows.length;
  const p = rows[0].length;
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) out[j * n + i] = rows[i][j];
  return out;
}

describe("jacobiSvd", () => {
  it("reproduces A·V = W and orthonormal V, with singular values descending", () => {
    const rows = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 10],
      [1, -1, 2],
    ];
    const a = columnMajor(rows);
    const copy = Float64Array.from(a);
    const svd = jacobiSvd(a, 4, 3);
    expect(a).toEqual(copy);
    for (let i = 1; i < 3; i++) expect(svd.singularValues[i]).toBeLessThanOrEqual(svd.singularValues[i - 1]);
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 4; i++) {
        let av = 0;
        for (let j = 0; j < 3; j++) av += rows[i][j] * svd.v[k * 3 + j];
        expect(av).toBeCloseTo(svd.w[k * 4 + i], 12);
      }
      for (let l = 0; l < 3; l++) {
        let dot = 0;
        for (let j = 0; j < 3; j++) dot += svd.v[k * 3 + j] * svd.v[l * 3 + j];
        expect(dot).toBeCloseTo(k === l ? 1 : 0, 12);
      }
    }
  });

  it("tall matrices (QR first, then Jacobi on R) and short ones give a known spectrum to high relative accuracy", () => {
    // A = U·diag(σ)·Vᵀ with U, V orthonormal from Householder reflections of fixed vectors and
    // singular values spanning six decades: tall (50 000 × 5, the QR path) and short (8 × 5)
    const sigma = [1, 0.3, 1e-2, 1e-4, 1e-6];
    const p = sigma.length;
    /** The first `cols` columns of the m × m reflection I − 2·w·wᵀ/‖w‖² (orthonormal). */
    const reflect = (m: number, seed: number, cols = m): number[][] => {
      const w = Array.from({ length: m }, (_, i) => Math.sin(seed * (i + 1) * 1.37) + 0.1 * (i % 3));
      const norm2 = w.reduce((s, x) => s + x * x, 0);
      return Array.from({ length: m }, (_, i) => Array.from({ length: cols }, (_, j) => (i === j ? 1 : 0) - (2 * w[i] * w[j]) / norm2));
    };
    const v = reflect(p, 2.1);
    for (const n of [50000, 8]) {
      const u = reflect(n, 0.7, p);
      const rows = Array.from({ length: n }, (_, i) => Array.from({ length: p }, (_, j) => sigma.reduce((s, sk, k) => s + u[i][k] * sk * v[j][k], 0)));
      const svd = jacobiSvd(columnMajor(rows), n, p);
      sigma.forEach((sk, k) => expect(Math.abs(svd.singularValues[k] / sk - 1), `σ_${k} of ${n} × ${p}`).toBeLessThan(1e-9));
      // W = A·V column by column, the smallest column to its own relative accuracy
      for (let k = 0; k < p; k++) {
        let err = 0;
        let norm = 0;
        for (let i = 0; i < n; i++) {
          let av = 0;
          for (let j = 0; j < p; j++) av += rows[i][j] * svd.v[k * p + j];
          err = Math.max(err, Math.abs(av - svd.w[k * n + i]));
          norm = Math.max(norm, Math.abs(svd.w[k * n + i]));
        }
        expect(err / norm, `column ${k} of W, ${n} × ${p}`).toBeLessThan(1e-8);
      }
    }
  });

  it("gives (AᵀA)⁻¹ through inverseGram, and detects rank deficiency", () => {
    const rows = [
      [1, 0],
      [0, 2],
      [0, 0],
    ];
    const { matrix, rank } = inverseGram(jacobiSvd(columnMajor(rows), 3, 2), 1e-12);
    expect(rank).toBe(2);
    expect(matrix[0]).toBeCloseTo(1, 14);
    expect(matrix[3]).toBeCloseTo(0.25, 14);
    expect(matrix[1]).toBeCloseTo(0, 14);
    const singular = inverseGram(jacobiSvd(columnMajor([[1, 2], [2, 4], [3, 6]]), 3, 2), 1e-12);
    expect(singular.rank).toBe(1);
  });
});

describe("cholesky and covarianceFactor", () => {
  it("factor F·Fᵀ = C, for definite and semi-definite C", () => {
    for (const c of [Float64Array.from([4, 2, 2, 3]), Float64Array.from([1, 1, 1, 1])]) {
      const f = covarianceFactor(c, 2);
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 2; j++) {
          let s = 0;
          for (let k = 0; k < 2; k++) s += f[i * 2 + k] * f[j * 2 + k];
          expect(s).toBeCloseTo(c[i * 2 + j], 12);
        }
      }
    }
    expect(cholesky(Float64Array.from([1, 1, 1, 1]), 2)).toBeNull();
  });
});

describe("choleskyWithJitter and forwardSubstitution", () => {
  it("factors a definite matrix exactly as cholesky does, and shifts a singular one until it is definite", () => {
    const a = Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]);
    expect(choleskyWithJitter(a, 3, 1e-10)).toEqual(cholesky(a, 3));
    const singular = Float64Array.from([1, 1, 1, 1]);
    const l = choleskyWithJitter(singular, 2, 1e-8);
    expect(l[0]).toBeCloseTo(1, 7);
    expect(l[3]).toBeGreaterThan(0);
    expect(() => choleskyWithJitter(Float64Array.from([-1]), 1, 1e-300)).toThrow(/not positive semi-definite/);
  });

  it("solves L·y = v in place", () => {
    const l = Float64Array.from([2, 0, 0, 1, 3, 0, -1, 2, 4]);
    const v = Float64Array.from([2, 7, 11]);
    forwardSubstitution(l, 3, v);
    expect(Array.from(v)).toEqual([1, 2, 2]);
  });
});

describe("invertMatrix", () => {
  it("inverts a non-symmetric matrix that needs pivoting, and detects singular ones", () => {
    const m = Float64Array.from([0, 2, 1, 1, 1, 0, 3, 0, 1]);
    const inv = invertMatrix(m, 3)!;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += m[i * 3 + k] * inv[k * 3 + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 14);
      }
    }
    expect(invertMatrix(Float64Array.from([1, 2, 2, 4]), 2)).toBeUndefined();
  });
});

describe("leastSquaresPinv and leastSquaresQr", () => {
  const rows = [
    [1, 0.5, 0.25],
    [1, 1, 1],
    [1, 1.5, 2.25],
    [1, 2, 4],
    [1, 3, 9],
  ];
  const a = columnMajor(rows);
  const truth = [0.3, -1.2, 0.7];
  const b = Float64Array.from(rows, (r) => r[0] * truth[0] + r[1] * truth[1] + r[2] * truth[2]);

  it("recover an exactly consistent solution (tall, full rank)", () => {
    for (const x of [leastSquaresPinv(a, 5, 3, b), leastSquaresQr(a, 5, 3, b)]) {
      for (let j = 0; j < 3; j++) expect(x[j]).toBeCloseTo(truth[j], 12);
    }
  });

  it("handle rank deficiency: minimum norm (pinv) and a basic solution (QR)", () => {
    // Columns 0 and 1 identical: x0 + x1 is determined, the split is not.
    const dup = columnMajor(rows.map((r) => [r[1], r[1], r[2]]));
    const y = Float64Array.from(rows, (r) => 2 * r[1] - r[2]);
    const pinv = leastSquaresPinv(dup, 5, 3, y);
    expect(pinv[0]).toBeCloseTo(1, 12);
    expect(pinv[1]).toBeCloseTo(1, 12);
    expect(pinv[2]).toBeCloseTo(-1, 12);
    const qr = leastSquaresQr(dup, 5, 3, y);
    expect(qr[0] + qr[1]).toBeCloseTo(2, 12);
    expect(qr[0] === 0 || qr[1] === 0).toBe(true);
    expect(qr[2]).toBeCloseTo(-1, 12);
  });

  it("pinv gives the minimum-norm solution of a wide system", () => {
    // x0 + x1 = 2 (one equation, two unknowns): minimum norm is (1, 1).
    const x = leastSquaresPinv(Float64Array.from([1, 1]), 1, 2, Float64Array.from([2]));
    expect(x[0]).toBeCloseTo(1, 14);
    expect(x[1]).toBeCloseTo(1, 14);
  });
});

describe("symmetricEigen", () => {
  it("symmetricEigen reconstructs A = U Λ Uᵀ and projects without eigenvectors", () => {
    const k = 9;
    const a = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j <= i; j++) {
        const v = Math.sin(3 * i + j) + (i === j ? 4 : 0);
        a[i * k + j] = v;
        a[j * k + i] = v;
      }
    }
    const { values, vectors } = symmetricEigen(a, k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += vectors![q * k + i] * values[q] * vectors![q * k + j];
        expect(s).toBeCloseTo(a[i * k + j], 12);
      }
    }
    const y = Float64Array.from({ length: k }, (_, i) => i - 3);
    const projected = symmetricEigen(a, k, y);
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += vectors![i * k + q] * y[q];
      expect(projected.values[i]).toBeCloseTo(values[i], 12);
      expect(Math.abs(projected.projection![i])).toBeCloseTo(Math.abs(s), 12);
    }
  });

});
