/** The geometry-aware reflectivity kernel: exactness of the paths that need no interpolation, and the measured error of smearing at angle-shifted Q. */
import { describe, expect, it } from "vitest";
import { GEOMETRY_MODEL_HAND_RTOL, SHIFTED_SMEAR_INTERP_RTOL } from "../../../test/tolerances.ts";
import { reflectivity } from "./abeles.ts";
import { footprintFactors, shiftQ } from "./geometry.ts";
import { createGeometryReflectivity } from "./geometryReflectivity.ts";
import { createSmearedReflectivity } from "./smearedReflectivity.ts";

const DEG = Math.PI / 180;
const LAMBDA = 1.5406;
const FWHM = 2 * Math.sqrt(2 * Math.LN2);
/** X-ray SEI-like stack: electrolyte-like fronting | SEI 80 Å | Cu 300 Å | Si. */
const slabs = Float64Array.from([0, 10, 0, 0, 80, 15, 0.05, 6, 300, 63.2, 2.9, 5, 0, 20.1, 0.46, 3]);
const q = Float64Array.from({ length: 240 }, (_, i) => 0.01 + (0.24 * i) / 239);
const maxRelative = (a: Float64Array, b: Float64Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return m;
};

describe("createGeometryReflectivity", () => {
  it("without offset or footprint reproduces the plain smeared kernel exactly", () => {
    const sigma = q.map((x) => (0.03 * x) / FWHM);
    const plain = createSmearedReflectivity(q, sigma).evaluate(slabs, 0.9, 1e-7);
    const geometry = createGeometryReflectivity(q, { wavelength_A: LAMBDA, sigma, angleOffset: false }).evaluate(slabs, 0.9, 1e-7, 0, NaN, NaN);
    expect(Array.from(geometry)).toEqual(Array.from(plain));
  });

  it("unsmeared: R(Q′) evaluated exactly at the shifted points, times the footprint factor", () => {
    const delta = 0.005 * DEG;
    const g = createGeometryReflectivity(q, { wavelength_A: LAMBDA, footprint: "gaussian" });
    const got = g.evaluate(slabs, 1, 0, delta, 0.1, 20);
    const sinAlpha = q.map((x) => (x * LAMBDA) / (4 * Math.PI));
    const f = footprintFactors("gaussian", 20, 0.1, sinAlpha);
    const expected = reflectivity(shiftQ(q, LAMBDA, delta), slabs).map((r, i) => r * f[i]);
    expect(maxRelative(got, expected)).toBeLessThan(GEOMETRY_MODEL_HAND_RTOL);
    expect(g.auxPoints()).toBe(0);
  });

  it(`smeared at Q′ by interpolation on the fixed auxiliary grid: within ${SHIFTED_SMEAR_INTERP_RTOL} of a plan on the shifted points`, () => {
    const rows: string[] = [];
    let worst = 0;
    for (const relative of [0.01, 0.03, 0.05]) {
      const sigma = q.map((x) => (relative * x) / FWHM);
      const g = createGeometryReflectivity(q, { wavelength_A: LAMBDA, sigma });
      for (const offsetDeg of [0.005, -0.01, 0.02, 0.04]) {
        const delta = offsetDeg * DEG;
        const shifted = shiftQ(q, LAMBDA, delta);
        const reference = createSmearedReflectivity(shifted, shifted.map((x) => (relative * x) / FWHM)).evaluate(slabs);
        const error = maxRelative(g.evaluate(slabs, 1, 0, delta, NaN, NaN), reference);
        worst = Math.max(worst, error);
        rows.push(`dQ/Q ${relative} FWHM, δ ${offsetDeg}°: max relative error ${error.toExponential(2)} (${g.auxPoints()} auxiliary points)`);
      }
    }
    console.log(rows.join("\n"));
    expect(worst).toBeLessThan(SHIFTED_SMEAR_INTERP_RTOL);
  });

  it("an offset beyond the covered range rebuilds the auxiliary grid once and stays accurate", () => {
    const sigma = q.map((x) => (0.03 * x) / FWHM);
    const g = createGeometryReflectivity(q, { wavelength_A: LAMBDA, sigma, offsetRange: 0.001 * DEG });
    g.evaluate(slabs, 1, 0, 0.0005 * DEG, NaN, NaN);
    expect(g.rebuilds()).toBe(0);
    const delta = 0.01 * DEG;
    const got = g.evaluate(slabs, 1, 0, delta, NaN, NaN);
    expect(g.rebuilds()).toBe(1);
    const shifted = shiftQ(q, LAMBDA, delta);
    const reference = createSmearedReflectivity(shifted, shifted.map((x) => (0.03 * x) / FWHM)).evaluate(slabs);
    expect(maxRelative(got, reference)).toBeLessThan(SHIFTED_SMEAR_INTERP_RTOL);
  });
});
