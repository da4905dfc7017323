/**
 * The learned estimator's training-data generator (issue 19 part 1). Not physics (the kernels'
 * own tests check the reflectivity) and not statistics: determinism, the consistency
 * constraints of the draws, and the wiring — a generated curve is what a MODEL.json of the same
 * stack and instrument gives (models/reflectModel: the parser and evaluator behind the public
 * API's `reflectivity()`, which the learn layer may not import).
 */
import { describe, expect, it } from "vitest";
import { parseReflectModel } from "../models/reflectModel.ts";
import {
  ANGLE_OFFSET,
  BACKING_ROUGHNESS,
  generateBatch,
  generateSample,
  GRID_POINTS,
  INPUT_SIZE,
  MAX_LAYERS,
  NEUTRON_FIXED_ANGLE_DEG,
  PARAMETER_COUNT,
  PER_LAYER,
  ROUGHNESS_FRACTION,
  sampleObjective,
  slabsOf,
  XRAY_ENERGY_KEV,
  type LearnSample,
} from "./generator.ts";

/** Same kernels, same points: only summation order may differ. */
const API_RTOL = 1e-12;

/** What src/api/reflectivity's `reflectivity(model, q)` does: parse the MODEL.json, evaluate on q. */
const reflectivity = (json: Record<string, unknown>, q: Float64Array): { reflectivity: Float64Array } => ({
  reflectivity: parseReflectModel(json, "", new Map()).evaluate(q),
});
const CONSISTENCY_DRAWS = 10_000;
const CHI2_TOLERANCE = 0.7;

function stackJson(sample: LearnSample): Record<string, unknown>[] {
  const slabs = slabsOf(sample.prior, sample.theta);
  const rows = slabs.length / 4;
  return Array.from({ length: rows }, (_, r) => ({ thickness: slabs[4 * r], sld: slabs[4 * r + 1], isld: slabs[4 * r + 2], roughness: slabs[4 * r + 3] }));
}

describe("learn/generator", () => {
  it("is deterministic: the same seed and index give identical arrays, another seed does not", () => {
    const a = generateBatch(7, 0, 50);
    const b = generateBatch(7, 0, 50);
    expect(a.inputs).toEqual(b.inputs);
    expect(a.targets).toEqual(b.targets);
    expect(a.weights).toEqual(b.weights);
    expect(a.inputs.length).toBe(50 * INPUT_SIZE);
    // a sample does not depend on the batch it was drawn in
    const alone = generateBatch(7, 20, 1);
    expect(alone.inputs).toEqual(a.inputs.subarray(20 * INPUT_SIZE, 21 * INPUT_SIZE));
    expect(generateBatch(8, 0, 50).inputs).not.toEqual(a.inputs);
  });

  it(`keeps its consistency constraints on ${CONSISTENCY_DRAWS} draws`, () => {
    const families = new Set<string>();
    for (let n = 0; n < CONSISTENCY_DRAWS; n++) {
      const s = generateSample(11, n);
      const { prior, theta, lower, upper } = s;
      families.add(`${prior.probe}${prior.layers}`);
      for (let j = 0; j < PARAMETER_COUNT; j++) {
        if (!prior.present[j]) continue;
        if (!(prior.lower[j] <= lower[j] && lower[j] <= theta[j] && theta[j] <= upper[j] && upper[j] <= prior.upper[j] && lower[j] < upper[j])) {
          throw new Error(`sample ${n} parameter ${j}: bounds [${lower[j]}, ${upper[j]}] truth ${theta[j]} prior [${prior.lower[j]}, ${prior.upper[j]}]`);
        }
      }
      for (let k = 0; k <= prior.layers; k++) {
        const above = k > 0 ? theta[PER_LAYER * (k - 1)] : Infinity;
        const below = k < prior.layers ? theta[PER_LAYER * k] : Infinity;
        const roughness = theta[k < prior.layers ? PER_LAYER * k + 2 : BACKING_ROUGHNESS];
        if (!(roughness >= 0 && roughness <= ROUGHNESS_FRACTION * Math.min(above, below))) throw new Error(`sample ${n} interface ${k}: roughness ${roughness} vs ${above}, ${below}`);
      }
      for (let j = PER_LAYER * prior.layers; j < PER_LAYER * MAX_LAYERS; j++) expect(theta[j]).toBe(0);
      for (let i = 0; i < GRID_POINTS; i++) {
        const inRange = i >= s.instrument.first && i <= s.instrument.last;
        if (s.mask[i] && !(inRange && s.reflectivity[i] > 0 && s.error[i] > 0)) throw new Error(`sample ${n} point ${i} masked in but unmeasured`);
        if (!s.mask[i] && s.reflectivity[i] !== 0) throw new Error(`sample ${n} point ${i} masked out but holds ${s.reflectivity[i]}`);
        if (!(s.expected[i] > 0 && Number.isFinite(s.expected[i]))) throw new Error(`sample ${n} point ${i}: expected R ${s.expected[i]}`);
      }
      if (prior.probe === "xray") {
        const slabs = slabsOf(prior, theta);
        for (let r = 1; r < slabs.length / 4; r++) if (!(slabs[4 * r + 2] > 0)) throw new Error(`sample ${n} row ${r}: X-ray isld ${slabs[4 * r + 2]}`);
      }
    }
    expect(families.size).toBe(2 * MAX_LAYERS);
  });

  it("computes the curve a MODEL.json of the same stack gives (the public API's path) for the same stack (neutron: time-of-flight offset; X-ray: shifted Q)", () => {
    const neutron = generateSample(3, 0, { probe: "neutron", layers: 3 });
    const neutronModel = {
      probe: "neutron",
      layers: stackJson(neutron),
      scale: neutron.theta[12 + 2],
      background: 10 ** neutron.theta[15],
      resolution: { method: "dataPoints", dqOverQ: neutron.instrument.dqOverQ, measure: "fwhm" },
      geometry: { angleOffset_deg: neutron.theta[ANGLE_OFFSET], fixedAngle_deg: NEUTRON_FIXED_ANGLE_DEG },
    };
    const fromApi = reflectivity(neutronModel, neutron.q).reflectivity;
    for (let i = 0; i < GRID_POINTS; i++) expect(Math.abs(fromApi[i] - neutron.expected[i])).toBeLessThanOrEqual(API_RTOL * neutron.expected[i]);

    const xray = generateSample(3, 1, { probe: "xray", layers: 4 });
    const xrayModel = {
      probe: "xray",
      energy_keV: XRAY_ENERGY_KEV,
      layers: stackJson(xray),
      scale: xray.theta[14],
      background: 10 ** xray.theta[15],
      resolution: { method: "dataPoints", dq: Array.from(xray.sigmaQ), measure: "sigma" },
    };
    const xrayApi = reflectivity(xrayModel, xray.qActual).reflectivity;
    for (let i = 0; i < GRID_POINTS; i++) expect(Math.abs(xrayApi[i] - xray.expected[i])).toBeLessThanOrEqual(API_RTOL * xray.expected[i]);
  });

  it("builds a sample's χ² objective over its family's parameters, near ν at the truth", () => {
    const s = generateSample(5, 2, { probe: "neutron", layers: 2 });
    const objective = sampleObjective(s);
    expect(objective.names.length).toBe(2 * PER_LAYER + 5);
    const truth = Float64Array.from(objective.names.map((_, m) => s.theta[m < 2 * PER_LAYER ? m : 12 + (m - 2 * PER_LAYER)]));
    const residuals = objective.residuals(truth);
    const chi2 = residuals.reduce((sum, r) => sum + r * r, 0);
    // counting noise alone: χ²/n ≈ 1 (n ≈ 100: within 5σ of χ²'s spread √(2/n))
    expect(Math.abs(chi2 / objective.nResiduals - 1)).toBeLessThan(CHI2_TOLERANCE);
  });
});
