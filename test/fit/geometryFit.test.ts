/**
 * Issue 7 part 3 (geometry model) acceptance on reflectivity: the model's geometry block
 * (angle offset → Q shift, footprint over-illumination factor) against hand values, its
 * recovery by LM on simulated counting data, and the bias of a fit that ignores it.
 */
import { describe, expect, it } from "vitest";
import { parseReflectModel } from "../../src/models/reflectModel.ts";
import { JointObjective } from "../../src/fit/jointObjective.ts";
import { reflectivityTerm } from "../../src/fit/reflectivityTerm.ts";
import { levenbergMarquardt } from "../../src/optimize/levenbergMarquardt.ts";
import { createSmearedReflectivity } from "../../src/kernels/reflectivity/smearedReflectivity.ts";
import { erf, footprintFactors, shiftQ } from "../../src/kernels/reflectivity/geometry.ts";
import { poissonDeviate } from "../../src/core/poisson.ts";
import { createRandom } from "../../src/core/random.ts";
import type { ReflectivityData } from "../../src/io/reflectivityData.ts";
import { CRITICAL_EDGE_SHIFT_ATOL, GEOMETRY_MODEL_HAND_RTOL } from "../tolerances.ts";

const DEG = Math.PI / 180;
const LAMBDA = 1.5406;
const K = (4 * Math.PI) / LAMBDA;
const FWHM = 2 * Math.sqrt(2 * Math.LN2);

/** Acceptance criterion: both geometry parameters within ±2 LM standard errors of the truth in ≥ 9 of 10 seeds. */
const RECOVERY_SIGMAS = 2;
const RECOVERY_MIN_SEEDS = 9;
const SEEDS = Array.from({ length: 10 }, (_, i) => 7001 + i);
/**
 * Bias criterion: without the geometry block (and, separately, with the footprint but not
 * the offset) some layer thickness or roughness is off by > 3 of its own standard errors
 * (LM's, scaled by χ²/ν), in every seed.
 */
const BIAS_SIGMAS = 3;

const dataOf = (source: string, q: Float64Array, r: Float64Array, dr: Float64Array = r.map(() => 1)): ReflectivityData => ({ source, q, r, dr, dq: undefined, warnings: [] });

describe("geometry block: forward model against hand values", () => {
  const edgeModel = (geometry?: unknown) =>
    parseReflectModel({ probe: "xray", wavelength_A: LAMBDA, layers: [{ sld: 0 }, { sld: 20.1, roughness: 0 }], ...(geometry ? { geometry } : {}) });
  const rho = 20.1;
  const qc = Math.sqrt(16 * Math.PI * 1e-6 * rho);

  it("an angle offset δ moves the critical edge to the nominal Q = 4π/λ·sin(asin(Q_c λ/4π) − δ)", () => {
    const step = 1e-6;
    const q = Float64Array.from({ length: 4001 }, (_, i) => qc - 0.002 + i * step);
    const edgeOf = (r: Float64Array): number => {
      // first point below total reflection (R = 1 without absorption or roughness)
      for (let i = 0; i < r.length; i++) if (r[i] < 1 - 1e-9) return q[i];
      return NaN;
    };
    const plain = reflectivityTerm(edgeModel(), dataOf("edge", q, q.map(() => 1)));
    const edge0 = edgeOf(plain.evaluateAt(edgeModel().currentSlabs(), 1, 0));
    expect(Math.abs(edge0 - qc)).toBeLessThan(CRITICAL_EDGE_SHIFT_ATOL);
    for (const offsetDeg of [0.005, -0.005, 0.01]) {
      const model = edgeModel({ angleOffset_deg: offsetDeg });
      const term = reflectivityTerm(model, dataOf("edge", q, q.map(() => 1)));
      const edge = edgeOf(term.evaluateAt(model.currentSlabs(), 1, 0));
      const expected = K * Math.sin(Math.asin(qc / K) - offsetDeg * DEG);
      console.log(`δ = ${offsetDeg}°: edge at nominal Q ${edge.toFixed(6)} Å⁻¹, expected ${expected.toFixed(6)}; ΔQ = ${(edge - edge0).toExponential(3)} (≈ −4π/λ·cos α·δ = ${(-K * Math.cos(Math.asin(qc / K)) * offsetDeg * DEG).toExponential(3)})`);
      expect(Math.abs(edge - expected)).toBeLessThan(CRITICAL_EDGE_SHIFT_ATOL);
    }
  });

  for (const profile of ["tophat", "gaussian"] as const) {
    it(`${profile} footprint: R is multiplied by the intercepted fraction below the over-illumination angle${profile === "tophat" ? " and by 1 above it" : ""}`, () => {
      const h = 0.1;
      const L = 20;
      const sigmaBeam = h / FWHM;
      const q = Float64Array.from({ length: 200 }, (_, i) => 0.005 + (0.2 * i) / 199);
      const model = parseReflectModel({
        probe: "xray",
        wavelength_A: LAMBDA,
        layers: [{ sld: 0 }, { thickness: 150, sld: 40, isld: 1, roughness: 4 }, { sld: 20.1, isld: 0.46, roughness: 3 }],
        geometry: { footprint: { beamHeight_mm: h, sampleLength_mm: L, profile } },
      });
      const withFootprint = reflectivityTerm(model, dataOf("fp", q, q.map(() => 1))).evaluateAt(model.currentSlabs(), 1, 0);
      const plainModel = parseReflectModel({ probe: "xray", wavelength_A: LAMBDA, layers: [{ sld: 0 }, { thickness: 150, sld: 40, isld: 1, roughness: 4 }, { sld: 20.1, isld: 0.46, roughness: 3 }] });
      const plain = reflectivityTerm(plainModel, dataOf("fp", q, q.map(() => 1))).evaluateAt(plainModel.currentSlabs(), 1, 0);
      const spill = Math.asin(h / L);
      let below = 0;
      let above = 0;
      for (let i = 0; i < q.length; i++) {
        const sinAlpha = q[i] / K;
        const hand = profile === "tophat" ? Math.min(1, (L * sinAlpha) / h) : erf((L * sinAlpha) / (2 * Math.SQRT2 * sigmaBeam));
        const ratio = withFootprint[i] / plain[i];
        expect(Math.abs(ratio - hand) / hand).toBeLessThan(GEOMETRY_MODEL_HAND_RTOL);
        if (Math.asin(sinAlpha) < spill) {
          below++;
          expect(ratio).toBeLessThan(1);
        } else {
          above++;
          if (profile === "tophat") expect(ratio).toBe(1);
        }
      }
      expect(below).toBeGreaterThan(10);
      expect(above).toBeGreaterThan(10);
      // hand value at one point: Q = 0.02 Å⁻¹, sin α = Qλ/4π
      const i = q.findIndex((x) => x >= 0.02);
      const s = q[i] / K;
      const byHand = profile === "tophat" ? (L * s) / h : erf((L * s) / (2 * Math.SQRT2 * (h / FWHM)));
      expect(withFootprint[i] / plain[i]).toBeCloseTo(byHand, 12);
    });
  }
});

describe("geometry block: recovery on simulated operando X-ray data (issue 7 acceptance)", () => {
  // X-ray (Cu Kα) SEI-like stack: electrolyte-like fronting | SEI 80 Å | Cu 300 Å | Si; 0.01–0.25 Å⁻¹
  const TRUTH = { seiThickness: 80, seiRoughness: 6, seiSld: 15, cuThickness: 300, cuRoughness: 5, offsetDeg: 0.005, beamHeight: 0.1, sampleLength: 20 };
  const truthSlabs = Float64Array.from([0, 10, 0, 0, TRUTH.seiThickness, TRUTH.seiSld, 0.05, TRUTH.seiRoughness, TRUTH.cuThickness, 63.2, 2.9, TRUTH.cuRoughness, 0, 20.1, 0.46, 3]);
  const q = Float64Array.from({ length: 240 }, (_, i) => 0.01 + (0.24 * i) / 239);
  const DQ_OVER_Q = 0.03; // FWHM
  const INCIDENT = 1e6; // counts per point at Q = 0.01, growing as Q²

  /** Truth independent of the model code: a smearing plan built on the shifted points, the footprint formula at the angle α + δ the beam meets the sample at, Poisson counts. */
  function simulate(seed: number): ReflectivityData {
    const shifted = shiftQ(q, LAMBDA, TRUTH.offsetDeg * DEG);
    const smeared = createSmearedReflectivity(shifted, shifted.map((x) => (DQ_OVER_Q * x) / FWHM)).evaluate(truthSlabs);
    const f = footprintFactors("tophat", TRUTH.sampleLength, TRUTH.beamHeight, shifted.map((x) => x / K));
    const random = createRandom(seed);
    const r: number[] = [];
    const dr: number[] = [];
    const qs: number[] = [];
    for (let i = 0; i < q.length; i++) {
      const i0 = INCIDENT * (q[i] / q[0]) ** 2;
      const counts = poissonDeviate(f[i] * smeared[i] * i0, () => random.next());
      if (counts === 0) continue;
      qs.push(q[i]);
      r.push(counts / i0);
      dr.push(Math.sqrt(counts) / i0);
    }
    return { source: `operando seed ${seed}`, q: Float64Array.from(qs), r: Float64Array.from(r), dr: Float64Array.from(dr), dq: undefined, warnings: [] };
  }

  const layers = [
    { sld: 10 },
    { name: "sei", thickness: { value: 90, vary: true, min: 40, max: 150 }, sld: { value: 14, vary: true, min: 8, max: 25 }, isld: 0.05, roughness: { value: 5, vary: true, min: 0, max: 15 } },
    { name: "cu", thickness: { value: 295, vary: true, min: 200, max: 400 }, sld: 63.2, isld: 2.9, roughness: { value: 4, vary: true, min: 0, max: 15 } },
    { sld: 20.1, isld: 0.46, roughness: 3 },
  ];
  const modelSpec = (withGeometry: boolean | "footprintOnly") => ({
    probe: "xray",
    wavelength_A: LAMBDA,
    layers,
    scale: { value: 1.1, vary: true, min: 0.5, max: 2 },
    resolution: { dqOverQ: DQ_OVER_Q, measure: "fwhm" },
    ...(withGeometry === "footprintOnly"
      ? { geometry: { footprint: { beamHeight_mm: { value: 0.15, vary: true, min: 0.01, max: 1 }, profile: "tophat", sampleLength_mm: TRUTH.sampleLength } } }
      : withGeometry
      ? { geometry: { angleOffset_deg: { value: 0, vary: true, min: -0.05, max: 0.05 }, footprint: { beamHeight_mm: { value: 0.15, vary: true, min: 0.01, max: 1 }, profile: "tophat", sampleLength_mm: TRUTH.sampleLength } } }
      : {}),
  });
  const truthByName: Record<string, number> = {
    scale: 1,
    "layers[1].thickness": TRUTH.seiThickness,
    "layers[1].roughness": TRUTH.seiRoughness,
    "layers[1].sld": TRUTH.seiSld,
    "layers[2].thickness": TRUTH.cuThickness,
    "layers[2].roughness": TRUTH.cuRoughness,
    "geometry.angleOffset_deg": TRUTH.offsetDeg,
    "geometry.footprint.beamHeight_mm": TRUTH.beamHeight,
  };
  const fit = (withGeometry: boolean | "footprintOnly", data: ReflectivityData) => {
    const objective = new JointObjective([reflectivityTerm(parseReflectModel(modelSpec(withGeometry)), data)]);
    const result = levenbergMarquardt(objective);
    const z = new Map<string, { value: number; stderr: number; z: number }>();
    objective.names.forEach((name, k) => z.set(name, { value: result.values[k], stderr: result.stderr[k], z: (result.values[k] - truthByName[name]) / result.stderr[k] }));
    return { result, z, names: objective.names };
  };

  it(`angle offset ${TRUTH.offsetDeg}° and a ${TRUTH.beamHeight} mm beam on a ${TRUTH.sampleLength} mm sample are recovered within ±${RECOVERY_SIGMAS} standard errors in ≥ ${RECOVERY_MIN_SEEDS} of ${SEEDS.length} seeds; ignoring them biases thickness or roughness by > ${BIAS_SIGMAS} standard errors`, () => {
    let recovered = 0;
    const lines: string[] = [];
    for (const seed of SEEDS) {
      const data = simulate(seed);
      const aware = fit(true, data);
      expect(aware.names).toEqual(Object.keys(truthByName));
      expect(aware.result.converged).toBe(true);
      const offset = aware.z.get("geometry.angleOffset_deg")!;
      const height = aware.z.get("geometry.footprint.beamHeight_mm")!;
      if (Math.abs(offset.z) <= RECOVERY_SIGMAS && Math.abs(height.z) <= RECOVERY_SIGMAS) recovered++;
      const naive = fit(false, data);
      const offsetIgnored = fit("footprintOnly", data);
      const biasOf = (f: typeof naive): string =>
        [...f.z].filter(([name]) => /thickness|roughness/.test(name)).map(([name, v]) => `${name} z ${v.z.toFixed(1)}`).join(", ");
      lines.push(`  offset ignored (footprint fitted): χ²/ν ${offsetIgnored.result.reducedChi2.toFixed(2)}; ${biasOf(offsetIgnored)}`);
      // the angle offset alone is enough to bias a thickness or roughness
      expect(Math.max(...[...offsetIgnored.z].filter(([name]) => /thickness|roughness/.test(name)).map(([, v]) => Math.abs(v.z)))).toBeGreaterThan(BIAS_SIGMAS);
      let worst = { name: "", z: 0, value: 0, stderr: 0 };
      for (const [name, v] of naive.z) {
        if (!/thickness|roughness/.test(name)) continue;
        if (Math.abs(v.z) > Math.abs(worst.z)) worst = { name, ...v };
      }
      lines.push(
        `seed ${seed}: δ = ${offset.value.toPrecision(6)} ± ${offset.stderr.toExponential(2)}° (z ${offset.z.toFixed(2)}), h = ${height.value.toPrecision(6)} ± ${height.stderr.toExponential(2)} mm (z ${height.z.toFixed(2)}); ` +
          `χ²/ν aware ${aware.result.reducedChi2.toFixed(2)}, ignoring geometry ${naive.result.reducedChi2.toFixed(2)} with ${worst.name} = ${worst.value.toFixed(2)} ± ${worst.stderr.toFixed(2)} (z ${worst.z.toFixed(1)}; truth ${truthByName[worst.name]}; the same fit with geometry: ${aware.z.get(worst.name)!.value.toFixed(3)} ± ${aware.z.get(worst.name)!.stderr.toExponential(1)})`,
      );
      expect(Math.abs(worst.z)).toBeGreaterThan(BIAS_SIGMAS);
    }
    console.log(lines.join("\n"));
    console.log(`recovered in ${recovered} of ${SEEDS.length} seeds`);
    expect(recovered).toBeGreaterThanOrEqual(RECOVERY_MIN_SEEDS);
  }, 300_000);
});

/**
 * Issue 13 point 5: an X-ray campaign reduced without footprint correction (0.1 mm top-hat
 * beam on a 20 mm sample) whose sample sits 0.004° off its nominal angle. The truth is
 * written here (smearing planned on the points actually probed, the intercepted fraction
 * min(1, L sin α′/h) at the angle α′ = α + δ the beam meets the sample at, Poisson
 * counts); the model at the true parameters must describe it to χ²/N ≈ 1. Evaluating the
 * footprint at the nominal α instead (the convention before issue 13) is 6 % off at the
 * lowest angle: χ²/N ≈ 1.5 at these counts.
 */
describe("geometry block at the true parameters: χ²/N on data with an angle offset and an uncorrected footprint (issue 13 point 5)", () => {
  const OFFSET_DEG = 0.004;
  const BEAM_HEIGHT = 0.1;
  const SAMPLE_LENGTH = 20;
  const DQ_OVER_Q = 0.03; // FWHM
  /** Counts per unit reflectivity at Q = 0.01 Å⁻¹, growing as Q²: the nominal-angle footprint's misfit is then ≈ 0.5 per point. */
  const INCIDENT = 2000;
  const SCENARIO_SEEDS = [1301, 1302, 1303, 1304, 1305];
  /** Pooled over 5 seeds × ≤ 240 points: sd of χ²/N ≈ √(2/1200) = 0.041 (plus ≲ 0.02 of Poisson bias at ≥ 35 counts); 0.15 is > 3.5 sd. */
  const CHI2_PER_POINT_TOL = 0.15;
  /** The nominal-angle footprint must fail visibly: its expected χ²/N is 1 + 0.47. */
  const NOMINAL_MIN_CHI2_PER_POINT = 1.3;
  const slabs = Float64Array.from([0, 10, 0, 0, 80, 15, 0.05, 6, 300, 63.2, 2.9, 5, 0, 20.1, 0.46, 3]);
  const q = Float64Array.from({ length: 240 }, (_, i) => 0.01 + (0.24 * i) / 239);
  const delta = OFFSET_DEG * DEG;
  const trueAlpha = q.map((x) => Math.asin(x / K) + delta);
  const probed = trueAlpha.map((a) => K * Math.sin(a));
  const smeared = createSmearedReflectivity(probed, probed.map((x) => (DQ_OVER_Q * x) / FWHM)).evaluate(slabs);
  const footprintTrue = trueAlpha.map((a) => Math.min(1, (SAMPLE_LENGTH * Math.sin(a)) / BEAM_HEIGHT));
  const footprintNominal = q.map((x) => Math.min(1, (SAMPLE_LENGTH * (x / K)) / BEAM_HEIGHT));

  const model = parseReflectModel({
    probe: "xray",
    wavelength_A: LAMBDA,
    layers: [{ sld: 10 }, { thickness: 80, sld: 15, isld: 0.05, roughness: 6 }, { thickness: 300, sld: 63.2, isld: 2.9, roughness: 5 }, { sld: 20.1, isld: 0.46, roughness: 3 }],
    resolution: { dqOverQ: DQ_OVER_Q, measure: "fwhm" },
    geometry: { angleOffset_deg: OFFSET_DEG, footprint: { beamHeight_mm: BEAM_HEIGHT, profile: "tophat", sampleLength_mm: SAMPLE_LENGTH } },
  });

  it(`the model at the true parameters gives χ²/N within ${CHI2_PER_POINT_TOL} of 1 over ${SCENARIO_SEEDS.length} seeds; the footprint at the nominal angle gives > ${NOMINAL_MIN_CHI2_PER_POINT}`, () => {
    const curve = model.evaluate(q);
    let chi2 = 0;
    let chi2Nominal = 0;
    let points = 0;
    for (const seed of SCENARIO_SEEDS) {
      const random = createRandom(seed);
      for (let i = 0; i < q.length; i++) {
        const i0 = INCIDENT * (q[i] / q[0]) ** 2;
        const counts = poissonDeviate(footprintTrue[i] * smeared[i] * i0, () => random.next());
        if (counts === 0) continue;
        const r = counts / i0;
        const dr = Math.sqrt(counts) / i0;
        chi2 += ((r - curve[i]) / dr) ** 2;
        // the same curve with the footprint taken at the nominal angle
        chi2Nominal += ((r - (curve[i] * footprintNominal[i]) / footprintTrue[i]) / dr) ** 2;
        points++;
      }
    }
    console.log(`χ²/N at the true parameters: ${(chi2 / points).toFixed(3)} (footprint at α′ = α + δ), ${(chi2Nominal / points).toFixed(3)} (footprint at the nominal α); N = ${points}`);
    expect(Math.abs(chi2 / points - 1)).toBeLessThan(CHI2_PER_POINT_TOL);
    expect(chi2Nominal / points).toBeGreaterThan(NOMINAL_MIN_CHI2_PER_POINT);
  });
});
