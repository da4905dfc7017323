/**
 * diagnosis/learnedSeriesStart: a generator sample (learn/generator, X-ray 2-layer family:
 * electrolyte | interphase | electrode | Si) written as a campaign's series — explicit SLDs,
 * the sample's curve as the first scan on the grid points it measured — reaches the network as
 * the sample itself: the same curve and resolution on the grid, bounds holding the truth, and
 * the estimate learn/estimator's own entry for a measured curve gives the sample's points. Series outside the domain
 * are refused with the reason.
 * Kind: statistics on Strata's own generator (the mapping's bookkeeping, not physics).
 */
import { describe, expect, it } from "vitest";
import { generateSample, PARAMETER_COUNT, type LearnSample } from "../learn/generator.ts";
import { estimate, loadEstimator } from "../learn/estimator.ts";
import { learnedSeriesStart, mapSeriesStart } from "./learnedSeriesStart.ts";
import { seriesObjective, seriesScales, type SeriesInput } from "./seriesModel.ts";

/** Relative agreement of values computed the same way twice (interpolation at the grid points themselves). */
const SAME_RELATIVE = 1e-12;
/** Samples of the family checked. */
const SAMPLES = 4;

function seriesOf(sample: LearnSample): SeriesInput {
  const t = sample.theta;
  const kappa = sample.prior.isldRatio;
  const points = Array.from(sample.mask.keys()).filter((i) => sample.mask[i] === 1);
  const pick = (values: Float64Array): Float64Array => Float64Array.from(points, (i) => values[i]);
  return {
    cell: "A",
    probe: "xray",
    energy_keV: 17,
    stack: [
      { name: "electrolyte", role: "electrolyte", sld: sample.prior.frontingSld, isld: 0, roughness_A: 0 },
      { name: "SEI", role: "interphase", sld: t[1], isld: kappa[0] * t[1], thickness_A: t[0], roughness_A: t[2] },
      { name: "Cu", role: "electrode", sld: t[4], isld: kappa[1] * t[4], thickness_A: t[3], roughness_A: t[5] },
      { name: "Si", role: "substrate", sld: t[12], isld: kappa[4] * t[12], roughness_A: t[13] },
    ],
    interphase: 1,
    scans: [{ id: "s0", spot: "a", time_s: 0, qred_C_per_cm2: 0, data: { source: "generator", q: pick(sample.q), r: pick(sample.reflectivity), dr: pick(sample.error), dq: pick(sample.sigmaQ), warnings: [] } }],
    thicknessPerCharge: 1,
    geometry: { angleOffset_deg: { value: t[16], sd: 0.005 } },
  };
}

function objectiveOf(input: SeriesInput): ReturnType<typeof seriesObjective>["objective"] {
  return seriesObjective(input, { kind: "free" }, seriesScales(input, 10), {}).objective;
}

describe("a series' first scan onto the learned estimator's domain", () => {
  it("a generator sample written as a series reaches the network as the sample: same curve, mask, resolution, bounds holding the truth, same estimate", () => {
    const estimator = loadEstimator();
    for (let index = 0; index < SAMPLES; index++) {
      const sample = generateSample(7, index, { probe: "xray", layers: 2, fullPrior: true });
      const input = seriesOf(sample);
      const objective = objectiveOf(input);
      const mapping = mapSeriesStart(input, objective);
      if (!mapping.inDomain) throw new Error(`sample ${index}: ${mapping.reason}`);
      expect(mapping.prior).toBe(sample.prior);
      // the grid points from the first to the last measured one (a zero-count hole is interpolated, as learn/estimator's own entry does)
      const measured = Array.from(sample.mask.keys()).filter((i) => sample.mask[i] === 1);
      expect(Array.from(mapping.mask)).toEqual(Array.from(sample.mask, (_, i) => (i >= measured[0] && i <= measured[measured.length - 1] ? 1 : 0)));
      expect(mapping.dropped).toBe(0);
      for (let i = 0; i < sample.mask.length; i++) {
        if (!sample.mask[i]) continue;
        expect(Math.abs(mapping.reflectivity[i] / sample.reflectivity[i] - 1)).toBeLessThanOrEqual(SAME_RELATIVE);
        expect(Math.abs(mapping.sigmaQ[i] / sample.sigmaQ[i] - 1)).toBeLessThanOrEqual(SAME_RELATIVE);
      }
      for (let j = 0; j < PARAMETER_COUNT; j++) {
        if (!sample.prior.present[j]) continue;
        const truth = sample.theta[j];
        expect(mapping.lower[j], `slot ${j}`).toBeLessThanOrEqual(truth);
        expect(mapping.upper[j], `slot ${j}`).toBeGreaterThanOrEqual(truth);
      }
      // the estimator's own entry for a measured curve, given the sample's measured points and the mapping's bounds
      const direct = estimate(estimator, { probe: "xray", layers: 2, q: measured.map((i) => sample.q[i]), reflectivity: measured.map((i) => sample.reflectivity[i]) }, { lower: mapping.lower, upper: mapping.upper });
      const learned = learnedSeriesStart(input, objective);
      if (!learned.inDomain) throw new Error(learned.reason);
      expect(learned.network["thickness_0"].value).toBeCloseTo(direct.values[0], 9);
      expect(learned.network["interphase_roughness"].value).toBeCloseTo(direct.values[2], 9);
      expect(learned.network["Cu_thickness"].value).toBeCloseTo(direct.values[3], 9);
      expect(learned.network["angle_offset"].value).toBeCloseTo(direct.values[16], 12);
    }
  });

  it("refuses series outside the domain with the reason", () => {
    const sample = generateSample(7, 0, { probe: "xray", layers: 2, fullPrior: true });
    const base = seriesOf(sample);
    const reason = (input: SeriesInput): string => {
      const mapping = mapSeriesStart(input, objectiveOf(input));
      return mapping.inDomain ? "in domain" : mapping.reason;
    };
    expect(reason({ ...base, geometry: { footprint: { beamHeight_mm: 0.1, profile: "tophat", sampleLength_mm: 10 } } })).toMatch(/footprint/);
    expect(reason({ ...base, energy_keV: 8.05 })).toMatch(/8.05 keV is more than 5 keV from the network's 17 keV/);
    const swapped = [base.stack[0], base.stack[2], base.stack[1], base.stack[3]];
    expect(reason({ ...base, stack: swapped, interphase: 2 })).toMatch(/layer roles electrode, interphase are not the xray 2-layer family's \(interphase, electrode\)/);
    expect(reason({ ...base, stack: [{ ...base.stack[0], sld: 0 }, ...base.stack.slice(1)] })).toMatch(/fronting electrolyte has SLD 0.000, not the family's/);
    const five = [base.stack[0], ...Array.from({ length: 5 }, (_, k) => ({ ...base.stack[2], name: `L${k}` })), base.stack[3]];
    expect(reason({ ...base, stack: five, interphase: 1 })).toMatch(/5 finite layers/);
  });
});
