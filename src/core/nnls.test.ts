import { describe, expect, it } from "vitest";
import { nnlsNormalEquations } from "./nnls.ts";

describe("nnlsNormalEquations", () => {
  it("nnlsNormalEquations satisfies the KKT conditions", () => {
    // A 12×6 least-squares problem whose unconstrained solution has negative entries.
    const n = 12;
    const p = 6;
    const a = (r: number, c: number): number => Math.cos(r * (c + 1) * 0.7) + (r === c ? 1 : 0);
    const b = (r: number): number => Math.sin(r * 1.3) - 0.2;
    const h = new Float64Array(p * p);
    const g = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      for (let r = 0; r < n; r++) g[i] += a(r, i) * b(r);
      for (let j = 0; j < p; j++) for (let r = 0; r < n; r++) h[i * p + j] += a(r, i) * a(r, j);
    }
    const x = nnlsNormalEquations(h, g, p);
    let zeros = 0;
    for (let i = 0; i < p; i++) {
      let w = g[i];
      for (let j = 0; j < p; j++) w -= h[i * p + j] * x[j];
      expect(x[i]).toBeGreaterThanOrEqual(0);
      if (x[i] === 0) {
        zeros++;
        expect(w).toBeLessThanOrEqual(1e-10);
      } else expect(Math.abs(w)).toBeLessThan(1e-10);
    }
    expect(zeros).toBeGreaterThan(0);
  });

});
