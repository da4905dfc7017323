/**
 * Strata's data-point smearing (`"resolution": {"method": "dataPoints"}`) and time-of-flight
 * angle offset (`"geometry": {"angleOffset_deg", "fixedAngle_deg"}`) against the theory
 * curves the authors' refl1d wrote with their published fit of the SNS Cu/THF data
 * (fits/…-1-refl.dat: OCV1 at 0.45°; …-7-refl.dat: the first time slice at 0.6° with
 * their fitted theta_offset), at their best values (.par) and their resolution formula.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readReflectivityData } from "../../src/io/reflectivityData.ts";
import { parseReflectModel } from "../../src/models/reflectModel.ts";
import { INDEPENDENT_KERNEL_RTOL } from "../tolerances.ts";
import { authorsBest, authorsLayers, authorsSigma, fitsDir, readTable, snsRoot } from "./snsCuThf.ts";

const best = authorsBest().map((p) => p.value);
// .par order (source_…py): 0 Intensity_386_1, 1 THF interface, 2 THF rho, 3 CuOx interface, 4 CuOx rho,
// 5 CuOx thickness, 6 Cu interface, 7 Cu rho, 8 Cu thickness, 9 Ti interface, 10 Ti rho, 11 Ti thickness,
// 23 Intensity_tNR, 24 theta_offset, 25 Cu thickness tNR 0
const ocv1 = {
  thfRough: best[1], thfSld: best[2], oxRough: best[3], oxSld: best[4], oxD: best[5],
  cuRough: best[6], cuSld: best[7], cuD: best[8], tiRough: best[9], tiSld: best[10], tiD: best[11],
};

function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] / b[i] - 1));
  return worst;
}

describe("refl1d's theory curves of the published SNS fit", () => {
  it("OCV1 at 0.45°: data-point smearing with the authors' resolution gives refl1d's curve", () => {
    const [data] = readReflectivityData(path.join(snsRoot, "steady", "REFL_218386_1_218386_partial.txt"));
    const fwhm = data.dq!.map((s) => s * Math.sqrt(8 * Math.log(2)));
    const sigma = authorsSigma(data.q, fwhm, 0.45);
    const theory = readTable(path.join(fitsDir, "Cu-THF-218386-full-sequence-1-refl.dat"));
    expect(theory.length).toBe(data.q.length);
    // the file's dQ column is refl1d's 1-σ: the authors' formula reproduces it
    expect(maxRelativeDifference(sigma, theory.map((row) => row[1]))).toBeLessThan(INDEPENDENT_KERNEL_RTOL);
    const model = parseReflectModel({
      probe: "neutron",
      layers: authorsLayers(ocv1),
      scale: best[0],
      background: 0,
      q: Array.from(data.q),
      resolution: { dq: Array.from(sigma), measure: "sigma", method: "dataPoints" },
    });
    const curve = model.evaluate(data.q);
    expect(maxRelativeDifference(curve, theory.map((row) => row[4]))).toBeLessThan(INDEPENDENT_KERNEL_RTOL);
    // the fine-grid smearing is the more exact integral; refl1d's coarser one differs by up to a few %
    const grid = parseReflectModel({
      probe: "neutron", layers: authorsLayers(ocv1), scale: best[0], background: 0, q: Array.from(data.q),
      resolution: { dq: Array.from(sigma), measure: "sigma" },
    }).evaluate(data.q);
    expect(maxRelativeDifference(grid, theory.map((row) => row[4]))).toBeGreaterThan(0.01);
  });

  it("first slice at 0.6° with the fitted theta_offset: the time-of-flight offset gives refl1d's curve", () => {
    const [data] = readReflectivityData(path.join(snsRoot, "tnr_during_eis", "r218389_sequence_1_eis_1.txt"), { dqMeasure: "fwhm" });
    const fwhm = data.dq!.map((s) => s * Math.sqrt(8 * Math.log(2)));
    const sigma = authorsSigma(data.q, fwhm, 0.6);
    const theory = readTable(path.join(fitsDir, "Cu-THF-218386-full-sequence-7-refl.dat"));
    expect(theory.length).toBe(data.q.length);
    const offsetDeg = best[24];
    // refl1d writes the shifted Q′ = Q·sin(θ + δ)/sin θ
    const factor = Math.sin(((0.6 + offsetDeg) * Math.PI) / 180) / Math.sin((0.6 * Math.PI) / 180);
    expect(maxRelativeDifference(data.q.map((q) => q * factor), theory.map((row) => row[0]))).toBeLessThan(INDEPENDENT_KERNEL_RTOL);
    // slice 0 of the authors' linear interpolation between OCV1 and OCV2 is OCV1 itself, with its own Cu thickness
    const model = parseReflectModel({
      probe: "neutron",
      layers: authorsLayers({ ...ocv1, cuD: best[25] }),
      scale: best[23],
      background: 0,
      q: Array.from(data.q),
      resolution: { dq: Array.from(sigma), measure: "sigma", method: "dataPoints" },
      geometry: { angleOffset_deg: offsetDeg, fixedAngle_deg: 0.6 },
    });
    const curve = model.evaluate(data.q);
    expect(maxRelativeDifference(curve, theory.map((row) => row[4]))).toBeLessThan(INDEPENDENT_KERNEL_RTOL);
  });

  it("a time-of-flight angle needs data-point smearing, and data-file widths need data", () => {
    const layers = authorsLayers(ocv1);
    expect(() => parseReflectModel({ probe: "neutron", layers, geometry: { angleOffset_deg: 0.001, fixedAngle_deg: 0.6 } })).toThrow(/geometry.fixedAngle_deg.*dataPoints/);
    expect(() =>
      parseReflectModel({ probe: "neutron", layers, resolution: { method: "dataPoints" }, geometry: { angleOffset_deg: 0.001, fixedAngle_deg: 0.6, incoherentBackground: 1e-6 } }),
    ).toThrow(/incoherentBackground/);
    expect(() => parseReflectModel({ probe: "neutron", layers, resolution: { method: "dataPoints" }, geometry: { angleOffset_deg: 0.001, fixedAngle_deg: 95 } })).toThrow(/fixedAngle_deg/);
    const fromData = parseReflectModel({ probe: "neutron", layers, resolution: { method: "dataPoints" } });
    expect(() => fromData.evaluate(Float64Array.of(0.02, 0.03))).toThrow(/widths from a data file/);
    expect(fromData.evaluator(Float64Array.of(0.02, 0.03), { sigma: Float64Array.of(1e-4, 1e-4) }).smeared).toBe(true);
  });
});
