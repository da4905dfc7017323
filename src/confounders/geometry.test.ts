/** Geometry helpers of the operando cell against hand values and limits (issue 7 part 3, operando.md §2). */
import { describe, expect, it } from "vitest";
import { ERF_RTOL, ERF_TAIL_RTOL, GEOMETRY_HAND_RTOL, LINEAR_LIMIT_RTOL } from "../../test/tolerances.ts";
import {
  angleFromQ,
  erf,
  footprintCentreShift,
  footprintFactor,
  footprintFactorGaussian,
  footprintFactorTopHat,
  footprintLength,
  gaussianSigmaFromFwhm,
  heightOffsetAngleError,
  horizontalPathTransmission,
  qFromAngle,
  qWithAngleOffset,
  qWithHeightOffset,
  spillOverAngle,
  substrateBlockTransmission,
  thinLayerCellTransmission,
} from "./geometry.ts";

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);
const DEG = Math.PI / 180;

describe("erf", () => {
  it("matches reference values (Python math.erf) across the series and continued-fraction branches", () => {
    const cases: [number, number][] = [
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.9999, 0.9999778955735178],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [5, 0.9999999999984626],
    ];
    for (const [x, value] of cases) {
      expect(rel(erf(x), value)).toBeLessThan(ERF_RTOL);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erf(0)).toBe(0);
    expect(erf(7)).toBe(1);
    // tails: 1 − erf(x) = erfc(x) (Python math.erfc)
    expect(rel(1 - erf(3.5), 7.430983723414128e-7)).toBeLessThan(ERF_TAIL_RTOL);
    expect(rel(1 - erf(4), 1.541725790028002e-8)).toBeLessThan(ERF_TAIL_RTOL);
  });
});

describe("footprint", () => {
  it("footprint length is h / sin α (operando.md: 200 µm beam, 38 mm at 0.3°, 11.5 mm at 1°) and ∝ 1/sin α", () => {
    expect(rel(footprintLength(0.2, Math.sin(0.3 * DEG)), 38.19736087553833)).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(rel(footprintLength(0.2, Math.sin(1 * DEG)), 11.459737699710038)).toBeLessThan(GEOMETRY_HAND_RTOL);
    for (const s of [1e-4, 3e-3, 0.02]) expect(rel(footprintLength(0.2, s) * s, 0.2)).toBeLessThan(GEOMETRY_HAND_RTOL);
  });

  it("top-hat: f = min(1, L sin α / h), spill-over at asin(h/L), offset sample by overlap", () => {
    // L = 20 mm, h = 0.1 mm: sin α = 0.001 → 20·0.001/0.1 = 0.2; sin α = 0.01 → 2 → 1
    expect(rel(footprintFactorTopHat(20, 0.1, 0.001), 0.2)).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(footprintFactorTopHat(20, 0.1, 0.01)).toBe(1);
    expect(rel(spillOverAngle(20, 0.1), Math.asin(0.005))).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(footprintFactorTopHat(20, 0.1, Math.sin(spillOverAngle(20, 0.1)))).toBeCloseTo(1, 14);
    // offset: footprint 100 mm long ([−50, 50]), sample [35, 55] → overlap 15 mm → 0.15
    expect(rel(footprintFactorTopHat(20, 0.1, 0.001, 45), 0.15)).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(footprintFactorTopHat(20, 0.1, 0.001, 100)).toBe(0);
    expect(footprintFactor("tophat", 20, 0.1, 0.001)).toBe(footprintFactorTopHat(20, 0.1, 0.001));
  });

  it("Gaussian: f = erf(L sin α / (2√2 σ)), σ = FWHM / (2√(2 ln 2)); hand values, offset, limits", () => {
    // FWHM 0.1 mm → σ = 0.1 / 2.3548200450309493 = 0.04246609001440096 mm
    const sigma = gaussianSigmaFromFwhm(0.1);
    expect(rel(sigma, 0.04246609001440096)).toBeLessThan(GEOMETRY_HAND_RTOL);
    // choose sin α so that L sin α / (2√2 σ) = 1: f = erf(1) = 0.8427007929497149
    const L = 20;
    const sinAt1 = (2 * Math.SQRT2 * 0.04246609001440096) / L;
    expect(rel(footprintFactorGaussian(L, 0.1, sinAt1), 0.8427007929497149)).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(rel(footprintFactorGaussian(L, 0.1, sinAt1 / 2), 0.5204998778130465)).toBeLessThan(GEOMETRY_HAND_RTOL);
    // sample centre offset x₀ = L/2: ½[erf(0) + erf(L sin α/(√2σ))] = ½ erf(2) = 0.49766113250947636
    expect(rel(footprintFactorGaussian(L, 0.1, sinAt1, L / 2), 0.49766113250947636)).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(footprintFactorGaussian(L, 0.1, sinAt1, 3)).toBe(footprintFactorGaussian(L, 0.1, sinAt1, -3));
    expect(footprintFactorGaussian(L, 0.1, sinAt1, 3)).toBeLessThan(footprintFactorGaussian(L, 0.1, sinAt1));
    // limits: whole beam on the sample at large angle; f → L sin α / (√(2π) σ) as sin α → 0 (erf x ≈ 2x/√π)
    expect(footprintFactorGaussian(L, 0.1, 0.05)).toBe(1);
    const tiny = 1e-7;
    expect(rel(footprintFactorGaussian(L, 0.1, tiny), (L * tiny) / (Math.sqrt(2 * Math.PI) * sigma))).toBeLessThan(LINEAR_LIMIT_RTOL);
    expect(footprintFactor("gaussian", L, 0.1, sinAt1)).toBe(footprintFactorGaussian(L, 0.1, sinAt1));
  });
});

describe("angle and height offsets", () => {
  it("Q ↔ α round trip", () => {
    expect(rel(qFromAngle(angleFromQ(0.123, 1.54), 1.54), 0.123)).toBeLessThan(GEOMETRY_HAND_RTOL);
  });

  it("angle offset δ: Q' = 4π/λ sin(α + δ) (hand value), no offset → Q, small δ → Q + 4π/λ cos α δ", () => {
    // λ = 1.54 Å, Q = 0.05 Å⁻¹, δ = 0.005°: 0.050712079110160554 Å⁻¹ (Python: 4π/λ·sin(asin(Qλ/4π) + δ))
    expect(rel(qWithAngleOffset(0.05, 1.54, 0.005 * DEG), 0.050712079110160554)).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(rel(qWithAngleOffset(0.05, 1.54, 0), 0.05)).toBeLessThan(GEOMETRY_HAND_RTOL);
    const delta = 1e-9;
    const alpha = angleFromQ(0.05, 1.54);
    const linear = ((4 * Math.PI) / 1.54) * Math.cos(alpha) * delta;
    expect(rel(qWithAngleOffset(0.05, 1.54, delta) - 0.05, linear)).toBeLessThan(LINEAR_LIMIT_RTOL);
  });

  it("height offset Δz: δ = ½ atan(2 Δz cos α / D) (hand value), Δz = 0 → no shift, small → Δz cos α / D; footprint shift Δz / tan α", () => {
    // λ = 1.54 Å, Q = 0.05 Å⁻¹, Δz = 0.1 mm, D = 1000 mm: δ = 9.999812135756466e-5 rad, Q' = 0.05081596719228531 Å⁻¹
    const alpha = angleFromQ(0.05, 1.54);
    expect(rel(heightOffsetAngleError(0.1, alpha, 1000), 9.999812135756466e-5)).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(rel(qWithHeightOffset(0.05, 1.54, 0.1, 1000), 0.05081596719228531)).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(qWithHeightOffset(0.05, 1.54, 0, 1000)).toBeCloseTo(0.05, 15);
    expect(rel(heightOffsetAngleError(1e-6, alpha, 1000), (1e-6 * Math.cos(alpha)) / 1000)).toBeLessThan(LINEAR_LIMIT_RTOL);
    expect(heightOffsetAngleError(-0.1, alpha, 1000)).toBe(-heightOffsetAngleError(0.1, alpha, 1000));
    // Δz = 0.01 mm at α = 0.005 rad: 0.01 / tan(0.005) = 1.99998333… mm
    expect(rel(footprintCentreShift(0.01, 0.005), 0.01 / Math.tan(0.005))).toBeLessThan(GEOMETRY_HAND_RTOL);
  });
});

describe("attenuation factors", () => {
  it("thin-layer cell exp(−2Σμt/sin α), horizontal path exp(−Σ μL), substrate block exp(−μL/cos α)", () => {
    expect(rel(thinLayerCellTransmission(0.01, 1e-4), 0.9801986733067553)).toBeLessThan(GEOMETRY_HAND_RTOL);
    // the thin-layer loss grows as 1/sin α: ln T(α) · sin α is constant
    for (const s of [1e-3, 1e-2, 0.1]) expect(rel(Math.log(thinLayerCellTransmission(s, 1e-4)) * s, -2e-4)).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(rel(horizontalPathTransmission(0.8), Math.exp(-0.8))).toBeLessThan(GEOMETRY_HAND_RTOL);
    expect(substrateBlockTransmission(1.4, 20, 0)).toBe(Math.exp(-28));
    expect(rel(substrateBlockTransmission(1.4, 20, 0.01), Math.exp(-28 / Math.cos(0.01)))).toBeLessThan(GEOMETRY_HAND_RTOL);
  });
});
