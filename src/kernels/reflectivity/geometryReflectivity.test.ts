/** The geometry-aware reflectivity kernel: exactness of the paths that need no interpolation, and the measured error of smearing at angle-shifted Q. */
import { describe, expect, it } from "vitest";
import { FIRST_PRINCIPLES_RTOL, GEOMETRY_MODEL_HAND_RTOL, SHIFTED_SMEAR_INTERP_RTOL } from "../../../test/tolerances.ts";
import { reflectivity } from "./abeles.ts";
import { footprintFactor, footprintFactors, heightOffsetAngleError, qWithHeightOffset, shiftQ, thinLayerCellTransmission, horizontalPathTransmission, substrateBlockTransmission } from "./geometry.ts";
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

  it("unsmeared: R(Q′) evaluated exactly at the shifted points, times the footprint factor at the same angle α′ = α + δ", () => {
    const delta = 0.005 * DEG;
    const g = createGeometryReflectivity(q, { wavelength_A: LAMBDA, footprint: "gaussian" });
    const got = g.evaluate(slabs, 1, 0, delta, 0.1, 20);
    const sinTrue = q.map((x) => Math.sin(Math.asin((x * LAMBDA) / (4 * Math.PI)) + delta));
    const f = footprintFactors("gaussian", 20, 0.1, sinTrue);
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

  it("height offset: R at the Q the detector reads (operando.md §2.2), the footprint at that angle α′ with its centre moved by Δz/tan α′, against the scalar formulas", () => {
    // 10 µm: the footprint centre moves by up to 8 mm on the 20 mm sample at the lowest angle
    const dz = 0.01;
    const distance = 800;
    const g = createGeometryReflectivity(q, { wavelength_A: LAMBDA, footprint: "tophat", heightOffset: { detectorDistance_mm: distance } });
    const got = g.evaluateScalars(slabs, scalarsWith({ heightOffset: dz, beamHeight: 0.05, sampleLength: 20 }));
    const shifted = q.map((x) => qWithHeightOffset(x, LAMBDA, dz, distance));
    const trueAlpha = q.map((_, i) => Math.asin(sinAlpha[i]) + heightOffsetAngleError(dz, Math.asin(sinAlpha[i]), distance));
    const expected = reflectivity(shifted, slabs).map((r, i) => r * footprintFactor("tophat", 20, 0.05, Math.sin(trueAlpha[i]), dz / Math.tan(trueAlpha[i])));
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

/**
 * Issue 13 point 5: every angle-dependent factor at the angle α′ = α + δ + ½ atan(2Δz cos α/D)
 * at which the beam meets the sample. The reference is written here from the formulas alone:
 * a one-layer stack's reflectivity (two Fresnel coefficients with Névot–Croce factors,
 * principal complex roots), the top-hat and Gaussian intercepted fractions (erf by its
 * everywhere-convergent positive series), the entry-path transmission and the film background.
 */
describe("geometry terms at the true angle α′ against a closed form written in the test", () => {
  type Complex = [number, number];
  const add = (a: Complex, b: Complex): Complex => [a[0] + b[0], a[1] + b[1]];
  const sub = (a: Complex, b: Complex): Complex => [a[0] - b[0], a[1] - b[1]];
  const mul = (a: Complex, b: Complex): Complex => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
  const div = (a: Complex, b: Complex): Complex => {
    const d = b[0] * b[0] + b[1] * b[1];
    return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
  };
  const exp = (a: Complex): Complex => [Math.exp(a[0]) * Math.cos(a[1]), Math.exp(a[0]) * Math.sin(a[1])];
  /** Principal square root (Im ≥ 0 for Im z ≥ 0), without cancellation. */
  const sqrt = ([x, y]: Complex): Complex => {
    const m = Math.hypot(x, y);
    if (m === 0) return [0, 0];
    if (x >= 0) {
      const re = Math.sqrt(0.5 * (m + x));
      return [re, y / (2 * re)];
    }
    const im = Math.sqrt(0.5 * (m - x));
    return [y / (2 * im), im];
  };
  /** |r|² of fronting | layer (thickness d) | backing: r = (r01 + r12 e^{2ik₁d}) / (1 + r01 r12 e^{2ik₁d}), r_jk = (k_j − k_k)/(k_j + k_k)·e^{−2k_j k_k σ²}. */
  const oneLayer = (q: number, front: number, layer: { d: number; sld: number; isld: number; sigma: number }, back: { sld: number; isld: number; sigma: number }): number => {
    const kz0 = q / 2;
    const k = (sld: number, isld: number): Complex => sqrt([kz0 * kz0 - 4 * Math.PI * 1e-6 * (sld - front), 4 * Math.PI * 1e-6 * isld]);
    const k0: Complex = [kz0, 0];
    const k1 = k(layer.sld, layer.isld);
    const k2 = k(back.sld, back.isld);
    const fresnel = (a: Complex, b: Complex, sigma: number): Complex => mul(div(sub(a, b), add(a, b)), exp(mul([-2 * sigma * sigma, 0], mul(a, b))));
    const r01 = fresnel(k0, k1, layer.sigma);
    const r12 = fresnel(k1, k2, back.sigma);
    const phase = exp(mul([0, 2 * layer.d], k1));
    const r = div(add(r01, mul(r12, phase)), add([1, 0], mul(mul(r01, r12), phase)));
    return r[0] * r[0] + r[1] * r[1];
  };
  /** erf(x) = 2/√π · e^{−x²} · Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)), positive terms only (x ≥ 0). */
  const erfSeries = (x: number): number => {
    if (x < 0) return -erfSeries(-x);
    let term = x;
    let sum = x;
    for (let n = 1; term > 1e-18 * sum; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  };
  /** Top-hat beam of height h: overlap of the footprint [−l/2, l/2], l = h/sin α′, with the sample [x₀ − L/2, x₀ + L/2], over l (= min(1, L sin α′/h) for x₀ = 0). */
  const topHat = (L: number, h: number, s: number, x0: number): number => {
    const l = h / s;
    return Math.max(0, Math.min(l / 2, x0 + L / 2) - Math.max(-l / 2, x0 - L / 2)) / l;
  };
  /** Gaussian beam of FWHM w: ½[erf((L/2 − x₀) sin α′/(√2σ)) + erf((L/2 + x₀) sin α′/(√2σ))], σ = w/(2√(2 ln 2)). */
  const gaussian = (L: number, w: number, s: number, x0: number): number => {
    const sigma = w / (2 * Math.sqrt(2 * Math.log(2)));
    return 0.5 * (erfSeries(((L / 2 - x0) * s) / (Math.SQRT2 * sigma)) + erfSeries(((L / 2 + x0) * s) / (Math.SQRT2 * sigma)));
  };

  const K = (4 * Math.PI) / LAMBDA;
  const FRONT = 9.4;
  const LAYER = { d: 150, sld: 40, isld: 1, sigma: 4 };
  const BACK = { sld: 20.1, isld: 0.46, sigma: 3 };
  const stack = Float64Array.from([0, FRONT, 0, 0, LAYER.d, LAYER.sld, LAYER.isld, LAYER.sigma, 0, BACK.sld, BACK.isld, BACK.sigma]);
  // nominal angles below and above the spill-over angle asin(0.1/20) = 0.2865°
  const nominalDeg = [0.07, 0.12, 0.2, 0.28, 0.3, 0.45, 0.9, 1.6];
  const qNominal = Float64Array.from(nominalDeg, (a) => K * Math.sin(a * DEG));
  const L = 20;
  const h = 0.1;
  const scale = 0.95;
  const background = 3e-8;
  const A = { grazing: 0.002, horizontal: 0.3, block: 0.05 };
  const b = 2e-7;

  /** R_obs = scale·F(α′)·T(α′)·R(4π/λ sin α′) + background + b sin 1°/sin α′, α′ = α + δ + ½ atan(2Δz cos α/D). */
  const byHand = (profile: "tophat" | "gaussian", delta: number, dz: number, distance: number): number[] =>
    Array.from(qNominal, (qi) => {
      const alpha = Math.asin(qi / K);
      const trueAlpha = alpha + delta + (dz === 0 ? 0 : 0.5 * Math.atan((2 * dz * Math.cos(alpha)) / distance));
      const s = Math.sin(trueAlpha);
      const x0 = dz / Math.tan(trueAlpha);
      const F = profile === "tophat" ? topHat(L, h, s, x0) : gaussian(L, h, s, x0);
      const T = Math.exp((-2 * A.grazing) / s - A.horizontal - A.block / Math.cos(trueAlpha));
      return scale * F * T * oneLayer(K * s, FRONT, LAYER, BACK) + background + (b * Math.sin(DEG)) / s;
    });
  const kernel = (profile: "tophat" | "gaussian", delta: number, dz: number, distance: number): Float64Array => {
    const g = createGeometryReflectivity(qNominal, { wavelength_A: LAMBDA, footprint: profile, heightOffset: { detectorDistance_mm: distance }, attenuation: true, incoherentBackground: true });
    const scalars = new Float64Array(GEOMETRY_SCALAR_COUNT);
    scalars[GEOMETRY_SCALAR.scale] = scale;
    scalars[GEOMETRY_SCALAR.background] = background;
    scalars[GEOMETRY_SCALAR.angleOffset] = delta;
    scalars[GEOMETRY_SCALAR.beamHeight] = h;
    scalars[GEOMETRY_SCALAR.sampleLength] = L;
    scalars[GEOMETRY_SCALAR.heightOffset] = dz;
    scalars[GEOMETRY_SCALAR.grazingAttenuation] = A.grazing;
    scalars[GEOMETRY_SCALAR.horizontalAttenuation] = A.horizontal;
    scalars[GEOMETRY_SCALAR.blockAttenuation] = A.block;
    scalars[GEOMETRY_SCALAR.incoherentBackground] = b;
    return g.evaluateScalars(stack, scalars);
  };

  it("the closed form's own checks: erf series and one-layer reflectivity agree with known values", () => {
    // erf(0.5) and erf(2) to 16 digits (mpmath)
    expect(Math.abs(erfSeries(0.5) - 0.5204998778130465) / 0.5204998778130465).toBeLessThan(FIRST_PRINCIPLES_RTOL);
    expect(Math.abs(erfSeries(2) - 0.9953222650189527) / 0.9953222650189527).toBeLessThan(FIRST_PRINCIPLES_RTOL);
    // a layer of the backing's own SLD is no layer: the single-interface Fresnel |(k0 − k2)/(k0 + k2)|² at σ = 0
    const qi = 0.08;
    const k0 = qi / 2;
    const k2 = sqrt([k0 * k0 - 4 * Math.PI * 1e-6 * (BACK.sld - FRONT), 4 * Math.PI * 1e-6 * BACK.isld]);
    const r = div(sub([k0, 0], k2), add([k0, 0], k2));
    const fresnel = r[0] * r[0] + r[1] * r[1];
    const same = oneLayer(qi, FRONT, { d: 77, sld: BACK.sld, isld: BACK.isld, sigma: 0 }, { ...BACK, sigma: 0 });
    expect(Math.abs(same - fresnel) / fresnel).toBeLessThan(FIRST_PRINCIPLES_RTOL);
  });

  const cases: { name: string; profile: "tophat" | "gaussian"; deltaDeg: number; dz: number; distance: number }[] = [
    { name: "angle offset 0.004°, top-hat beam", profile: "tophat", deltaDeg: 0.004, dz: 0, distance: 1000 },
    { name: "angle offset −0.01°, Gaussian beam", profile: "gaussian", deltaDeg: -0.01, dz: 0, distance: 1000 },
    { name: "angle offset 0.004° and height offset 0.02 mm (D 700 mm), top-hat beam", profile: "tophat", deltaDeg: 0.004, dz: 0.02, distance: 700 },
    { name: "angle offset −0.003° and height offset −0.015 mm (D 700 mm), Gaussian beam", profile: "gaussian", deltaDeg: -0.003, dz: -0.015, distance: 700 },
  ];
  for (const c of cases) {
    it(`${c.name}: F, T, the footprint centre shift and B_inc at α′, within ${FIRST_PRINCIPLES_RTOL} of the hand value`, () => {
      const expected = byHand(c.profile, c.deltaDeg * DEG, c.dz, c.distance);
      const got = kernel(c.profile, c.deltaDeg * DEG, c.dz, c.distance);
      const worst = Math.max(...expected.map((e, i) => Math.abs(got[i] - e) / e));
      console.log(`${c.name}: max relative difference ${worst.toExponential(2)} over ${expected.length} angles`);
      expect(worst).toBeLessThan(FIRST_PRINCIPLES_RTOL);
      // the nominal-angle convention differs visibly at the lowest angle (δ/α ≈ 6 % for 0.004° at 0.07°)
      if (c.deltaDeg === 0.004 && c.dz === 0) {
        const s = qNominal[0] / K;
        const atNominal = scale * topHat(L, h, s, 0) * Math.exp((-2 * A.grazing) / s - A.horizontal - A.block / Math.cos(Math.asin(s))) * oneLayer(K * Math.sin(Math.asin(s) + c.deltaDeg * DEG), FRONT, LAYER, BACK) + background + (b * Math.sin(DEG)) / s;
        expect(Math.abs(got[0] / atNominal - 1)).toBeGreaterThan(0.04);
      }
    });
  }

  it("an offset that takes α′ to or below 0 lights nothing: R_obs is the flat background", () => {
    const got = kernel("tophat", -0.08 * DEG, 0, 1000);
    expect(got[0]).toBe(background);
    expect(got[1]).toBeGreaterThan(background);
  });
});
