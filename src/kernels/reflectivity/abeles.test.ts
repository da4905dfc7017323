import { describe, expect, it } from "vitest";
import { reflectivity, reflectivityBatch, SLAB_COLUMNS } from "./abeles.ts";
import { bruteForceReflectivity, seededUniform } from "../../../test/reference/transferMatrix.ts";
import { FIRST_PRINCIPLES_RTOL, INDEPENDENT_KERNEL_RTOL } from "../../../test/tolerances.ts";

const FOUR_PI_E6 = 4 * Math.PI * 1e-6;
const linspace = (a: number, b: number, n: number): Float64Array =>
  Float64Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
const table = (rows: number[][]): Float64Array => Float64Array.from(rows.flat());

describe("reflectivity kernel: physical limits", () => {
  it("Fresnel: a single sharp interface matches the closed form |(k0 − k1)/(k0 + k1)|² to 1e-12", () => {
    const q = linspace(0.001, 0.5, 500);
    const sld = 6.36;
    const r = reflectivity(q, table([[0, 0, 0, 0], [0, sld, 0, 0]]));
    for (let i = 0; i < q.length; i++) {
      const k0 = q[i] / 2;
      const k1sq = k0 * k0 - FOUR_PI_E6 * sld;
      // above the edge real, below it |r| = 1 exactly
      const expected = k1sq >= 0 ? ((k0 - Math.sqrt(k1sq)) / (k0 + Math.sqrt(k1sq))) ** 2 : 1;
      expect(Math.abs(r[i] - expected) / expected).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
    }
  });

  it("R = 1 below the critical edge of a non-absorbing backing when no layer absorbs, and < 1 when one does", () => {
    const qc = Math.sqrt(16 * Math.PI * 1e-6 * (2.07 - 0));
    const q = linspace(1e-4, qc * 0.999, 200);
    const r = reflectivity(q, table([[0, 0, 0, 0], [50, 1.2, 0, 4], [120, 3.5, 0, 2], [0, 2.07, 0, 3]]));
    for (const value of r) expect(Math.abs(value - 1)).toBeLessThanOrEqual(1e-12);
    const absorbing = reflectivity(q, table([[0, 0, 0, 0], [50, 1.2, 0.5, 4], [0, 2.07, 0, 3]]));
    for (const value of absorbing) expect(value).toBeLessThan(1);
  });

  it("R ≤ 1 everywhere for random absorbing stacks and any fronting medium", () => {
    const random = seededUniform(7);
    for (let trial = 0; trial < 200; trial++) {
      const layers = 1 + Math.floor(random() * 10);
      const rows = [[0, random() * 8 - 1, random(), 0]];
      for (let j = 0; j < layers; j++) rows.push([random() * 300, random() * 12 - 2, random() * 0.5, random() * 10]);
      rows.push([0, random() * 8 - 1, random() * 0.1, random() * 10]);
      const r = reflectivity(linspace(0, 0.6, 300), table(rows));
      for (const value of r) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1 + 1e-12);
      }
    }
  });

  it("Névot–Croce: roughness of a single interface multiplies R by exp(−4 k0 k1 σ²) at high Q", () => {
    const q = linspace(0.05, 0.5, 100);
    const sharp = reflectivity(q, table([[0, 0, 0, 0], [0, 2.07, 0, 0]]));
    const sigma = 5;
    const rough = reflectivity(q, table([[0, 0, 0, 0], [0, 2.07, 0, sigma]]));
    for (let i = 0; i < q.length; i++) {
      const k0 = q[i] / 2;
      const k1 = Math.sqrt(k0 * k0 - FOUR_PI_E6 * 2.07);
      const expected = sharp[i] * Math.exp(-4 * k0 * k1 * sigma * sigma);
      expect(Math.abs(rough[i] - expected) / expected).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      expect(rough[i]).toBeLessThan(sharp[i]);
    }
  });

  it("scale and background: R = scale·|r|² + background; Q = 0 gives scale + background", () => {
    const q = Float64Array.from([0, 0.01, 0.1]);
    const slabs = table([[0, 0, 0, 0], [100, 4, 0.1, 3], [0, 2.07, 0, 3]]);
    const bare = reflectivity(q, slabs);
    const scaled = reflectivity(q, slabs, 0.9, 1e-6);
    for (let i = 0; i < 3; i++) expect(scaled[i]).toBeCloseTo(0.9 * bare[i] + 1e-6, 15);
    expect(bare[0]).toBe(1);
  });

  it("is symmetric in Q and writes into `out` without allocating a new array", () => {
    const slabs = table([[0, 2.07, 0, 0], [300, 4.66, 0.016, 10], [0, 6.36, 0, 3]]);
    const q = linspace(0.005, 0.3, 50);
    const out = new Float64Array(50);
    const result = reflectivity(q, slabs, 1, 0, out);
    expect(result).toBe(out);
    const negative = reflectivity(q.map((x) => -x), slabs);
    for (let i = 0; i < 50; i++) expect(negative[i]).toBe(out[i]);
  });

  it("a batch call equals separate calls", () => {
    const q = linspace(0.005, 0.3, 64);
    const random = seededUniform(3);
    const rows = 4;
    const curves = 20;
    const slabs = new Float64Array(curves * rows * SLAB_COLUMNS);
    for (let c = 0; c < curves; c++) {
      const base = c * rows * SLAB_COLUMNS;
      slabs.set([0, 0, 0, 0, 50 + 100 * random(), 3 + random(), 0.01, 3, 20 + 50 * random(), 6 * random(), 0, 4, 0, 2.07, 0, 3], base);
    }
    const batch = reflectivityBatch(q, slabs, rows, 1, 0);
    for (let c = 0; c < curves; c++) {
      const single = reflectivity(q, slabs.slice(c * rows * SLAB_COLUMNS, (c + 1) * rows * SLAB_COLUMNS));
      for (let i = 0; i < q.length; i++) expect(batch[c * q.length + i]).toBe(single[i]);
    }
  });
});

describe("reflectivity kernel vs an independent brute-force transfer-matrix product", () => {
  it(`agrees within ${INDEPENDENT_KERNEL_RTOL} on 300 random stacks of 1–30 layers (seed 2026)`, () => {
    const random = seededUniform(2026);
    let worst = 0;
    for (let trial = 0; trial < 300; trial++) {
      const layers = 1 + Math.floor(random() * 30);
      const rows = [[0, random() < 0.5 ? 0 : random() * 6, 0, 0]];
      for (let j = 0; j < layers; j++) {
        rows.push([1 + random() * 200, random() * 14 - 3, random() < 0.5 ? 0 : random() * 0.3, random() * 8]);
      }
      rows.push([0, random() * 8 - 1, random() < 0.7 ? 0 : random() * 0.05, random() * 8]);
      const q = linspace(0.002, 0.35, 120);
      const r = reflectivity(q, table(rows));
      for (let i = 0; i < q.length; i++) {
        const expected = bruteForceReflectivity(q[i], rows);
        // the reflectivity of very rough stacks falls to ~1e-30; compare relatively down to 1e-200
        if (expected < 1e-200) continue;
        worst = Math.max(worst, Math.abs(r[i] - expected) / expected);
      }
    }
    expect(worst).toBeLessThanOrEqual(INDEPENDENT_KERNEL_RTOL);
  });
});
