/** The geometry-aware reflectivity kernel: exactness of the paths that need no interpolation, and the measured error of smearing at angle-shifted Q. */
import { describe, expect, it } from "vitest";
import { GEOMETRY_MODEL_HAND_RTOL, SHIFTED_SMEAR_INTERP_RTOL } from "../../../test/tolerances.ts";
import { reflectivity } from "./abeles.ts";
import { footprintFactor, footprintFactors, qWithHeightOffset, shiftQ, thinLayerCellTransmission, horizontalPathTransmission, substrateBlockTransmission } from "./geometry.ts";
import { createGeometryReflectivity, GEOMETRY_SCALAR, GEOMETRY_SCALAR_COUNT } from "./geometryReflectivity.ts";
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

  const scalarsWith = (values: Partial<Record<keyof typeof GEOMETRY_SCALAR, number>>): Float64Array => {
    const scalars = new Float64Array(GEOMETRY_SCALAR_COUNT);
    scalars[GEOMETRY_SCALAR.scale] = 1;
    for (const [key, value] of Object.entries(values)) scalars[GEOMETRY_SCALAR[key as keyof typeof GEOMETRY_SCALAR]] = value;
    return scalars;
  };
  const sinAlpha = q.map((x) => (x * LAMBDA) / (4 * Math.PI));

  it("height offset: R at the Q the detector reads (operando.md §2.2) and the footprint centre moved by Δz/tan α, against the scalar formulas", () => {
    // 10 µm: the footprint centre moves by up to 8 mm on the 20 mm sample at the lowest angle
    const dz = 0.01;
    const distance = 800;
    const g = createGeometryReflectivity(q, { wavelength_A: LAMBDA, footprint: "tophat", heightOffset: { detectorDistance_mm: distance } });
    const got = g.evaluateScalars(slabs, scalarsWith({ heightOffset: dz, beamHeight: 0.05, sampleLength: 20 }));
    const shifted = q.map((x) => qWithHeightOffset(x, LAMBDA, dz, distance));
    const expected = reflectivity(shifted, slabs).map((r, i) => r * footprintFactor("tophat", 20, 0.05, sinAlpha[i], dz / Math.tan(Math.asin(sinAlpha[i]))));
    expect(expected.every((x) => x > 0)).toBe(true);
    expect(maxRelative(got, expected)).toBeLessThan(GEOMETRY_MODEL_HAND_RTOL);
    // Δz = 0 is the plain footprint-corrected curve
    const flat = g.evaluateScalars(slabs, scalarsWith({ beamHeight: 0.05, sampleLength: 20 }));
    const f = footprintFactors("tophat", 20, 0.05, sinAlpha);
    expect(maxRelative(flat, reflectivity(q, slabs).map((r, i) => r * f[i]))).toBeLessThan(GEOMETRY_MODEL_HAND_RTOL);
  });

  it("height offset with resolution: within the shifted-smearing tolerance of a plan on the points the detector reads", () => {
    const sigma = q.map((x) => (0.03 * x) / FWHM);
    const g = createGeometryReflectivity(q, { wavelength_A: LAMBDA, sigma, angleOffset: false, heightOffset: { detectorDistance_mm: 1000 } });
    const shifted = q.map((x) => qWithHeightOffset(x, LAMBDA, 0.3, 1000));
    const reference = createSmearedReflectivity(shifted, shifted.map((x) => (0.03 * x) / FWHM)).evaluate(slabs);
    expect(maxRelative(g.evaluateScalars(slabs, scalarsWith({ heightOffset: 0.3 })), reference)).toBeLessThan(SHIFTED_SMEAR_INTERP_RTOL);
  });

  it("entry-path attenuation: R times the thin-layer, horizontal-path and substrate-block transmissions (operando.md §2.3)", () => {
    const grazing = 0.011;
    const horizontal = 0.4;
    const block = 0.25;
    const g = createGeometryReflectivity(q, { wavelength_A: LAMBDA, angleOffset: false, attenuation: true });
    const got = g.evaluateScalars(slabs, scalarsWith({ scale: 0.9, background: 1e-8, grazingAttenuation: grazing, horizontalAttenuation: horizontal, blockAttenuation: block }));
    const bare = reflectivity(q, slabs);
    const expected = bare.map(
      (r, i) => 0.9 * r * thinLayerCellTransmission(sinAlpha[i], grazing) * horizontalPathTransmission(horizontal) * substrateBlockTransmission(block, 1, Math.asin(sinAlpha[i])) + 1e-8,
    );
    expect(maxRelative(got, expected)).toBeLessThan(GEOMETRY_MODEL_HAND_RTOL);
    // physical limits: attenuation only removes intensity, more at grazing angles
    const ratio = Float64Array.from(got, (x, i) => (x - 1e-8) / (0.9 * bare[i]));
    for (let i = 1; i < q.length; i++) expect(ratio[i]).toBeGreaterThan(ratio[i - 1]);
    expect(ratio[q.length - 1]).toBeLessThan(1);
  });

  it("incoherent background of the electrolyte film: b·sin 1°/sin α added, b at α = 1°", () => {
    const b = 3e-7;
    const g = createGeometryReflectivity(q, { wavelength_A: LAMBDA, angleOffset: false, incoherentBackground: true });
    const got = g.evaluateScalars(slabs, scalarsWith({ background: 1e-9, incoherentBackground: b }));
    const bare = reflectivity(q, slabs);
    const expected = bare.map((r, i) => r + 1e-9 + (b * Math.sin(DEG)) / sinAlpha[i]);
    expect(maxRelative(got, expected)).toBeLessThan(GEOMETRY_MODEL_HAND_RTOL);
    // at α = 1° exactly the added level is b
    const one = Float64Array.of((4 * Math.PI * Math.sin(DEG)) / LAMBDA);
    const empty = Float64Array.from([0, 0, 0, 0, 0, 0, 0, 0]);
    const level = createGeometryReflectivity(one, { wavelength_A: LAMBDA, angleOffset: false, incoherentBackground: true }).evaluateScalars(empty, scalarsWith({ incoherentBackground: b }));
    expect(Math.abs(level[0] - b) / b).toBeLessThan(GEOMETRY_MODEL_HAND_RTOL);
  });

  it("evaluateScalars with every correction off equals evaluate", () => {
    const g = createGeometryReflectivity(q, { wavelength_A: LAMBDA, footprint: "gaussian" });
    const a = g.evaluate(slabs, 0.8, 1e-8, 0.003 * DEG, 0.1, 20);
    const b = g.evaluateScalars(slabs, scalarsWith({ scale: 0.8, background: 1e-8, angleOffset: 0.003 * DEG, beamHeight: 0.1, sampleLength: 20 }));
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
