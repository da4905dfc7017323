import { describe, expect, it } from "vitest";
import { cholesky, covarianceFactor, inverseGram, jacobiSvd } from "./linalg.ts";

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
