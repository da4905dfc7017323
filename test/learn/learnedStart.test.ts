/**
 * api/learnedStart: how a PROBLEM.json is put in front of the learned estimator (issue 19
 * part 3). Statistics, not physics: the curve is one of Strata's own generator's, written to a
 * data file and read back through a PROBLEM, so the network must see exactly the input it
 * sees for the generator's sample (same grid values, mask and bounds, hence the same
 * estimate); problems outside the domain are refused with their reason.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildProblem } from "../../src/fit/problem.ts";
import { parseProblemFile } from "../../src/io/problemFile.ts";
import { mapProblem, resolveStart } from "../../src/api/learnedStart.ts";
import { generateSample, LOG10_BACKGROUND, SCALE, XRAY_FRONTING_SLD, BACKING_SLD, BACKING_ROUGHNESS, PER_LAYER } from "../../src/learn/generator.ts";
import { estimateOnGrid, loadEstimator } from "../../src/learn/estimator.ts";
import { exampleDir, exampleProblem } from "../realdata/snsCuThf.ts";

/** R read back from a 17-digit text file and interpolated at its own points. */
const ROUND_TRIP = 1e-12;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-learned-start-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// an X-ray 2-layer generator curve (interphase, electrode on Si through the electrolyte), whole prior as bounds
const sample = generateSample("learned-start-test", 3, { probe: "xray", layers: 2, fullPrior: true });
const measured = Array.from(sample.mask, (m, i) => (m ? i : -1)).filter((i) => i >= 0);
const dataFile = path.join(tmp, "xray.dat");
fs.writeFileSync(dataFile, ["# Q R dR dQ(sigma)", ...measured.map((i) => [sample.q[i], sample.reflectivity[i], sample.error[i], sample.sigmaQ[i]].map((x) => x.toPrecision(17)).join(" "))].join("\n") + "\n");

// the same curve as counts (what a Poisson likelihood reads)
const countsFile = path.join(tmp, "counts.dat");
fs.writeFileSync(countsFile, ["# Q counts dcounts dQ(sigma)", ...measured.map((i) => { const c = Math.round(sample.reflectivity[i] * 1e6); return [sample.q[i], c, Math.sqrt(Math.max(c, 1)), sample.sigmaQ[i]].map((x) => x.toPrecision(17)).join(" "); })].join("\n") + "\n");

const box = (j: number, value: number): Record<string, unknown> => ({ value, vary: true, min: sample.lower[j], max: sample.upper[j] });
interface XrayProblem {
  [key: string]: unknown;
  models: { cell: { layers: Record<string, unknown>[]; [key: string]: unknown } };
}
function xrayProblem(): XrayProblem {
  const mid = (j: number): number => 0.5 * (sample.lower[j] + sample.upper[j]);
  return {
    parameters: {
      scale: box(SCALE, mid(SCALE)),
      background: { value: 1e-7, vary: true, min: 1e-9, max: 1e-6 },
    },
    models: {
      cell: {
        probe: "xray",
        energy_keV: 17,
        layers: [
          { name: "electrolyte", sld: XRAY_FRONTING_SLD, isld: 0 },
          ...[0, 1].map((k) => ({ name: `layer${k}`, thickness: box(PER_LAYER * k, mid(PER_LAYER * k)), sld: box(PER_LAYER * k + 1, mid(PER_LAYER * k + 1)), isld: 0, roughness: box(PER_LAYER * k + 2, 1) })),
          { name: "Si", sld: box(BACKING_SLD, mid(BACKING_SLD)), isld: 0, roughness: box(BACKING_ROUGHNESS, 1) },
        ],
        scale: { ref: "scale" },
        background: { ref: "background" },
        resolution: { method: "dataPoints" },
      },
    },
    datasets: [{ file: dataFile, model: "cell" }],
    fit: { method: "lm" },
  };
}
const load = (json: unknown): { problem: ReturnType<typeof buildProblem>; datasets: ReturnType<typeof parseProblemFile>["datasets"] } => {
  const spec = parseProblemFile(json, path.join(tmp, "problem.json"));
  return { problem: buildProblem(spec), datasets: spec.datasets };
};

describe("api/learnedStart", () => {
  it("puts a PROBLEM's curve and bounds in front of the network exactly as the generator's sample", () => {
    const { problem, datasets } = load(xrayProblem());
    const mapping = mapProblem(problem, datasets);
    if (!mapping.inDomain) throw new Error(mapping.reason);
    expect([mapping.prior.probe, mapping.prior.layers]).toEqual(["xray", 2]);
    expect(Array.from(mapping.mask)).toEqual(Array.from(sample.mask));
    for (const i of measured) expect(Math.abs(mapping.reflectivity[i] / sample.reflectivity[i] - 1)).toBeLessThan(ROUND_TRIP);
    for (let j = 0; j < LOG10_BACKGROUND; j++) {
      if (!sample.prior.present[j]) continue;
      expect([mapping.lower[j], mapping.upper[j]]).toEqual([sample.lower[j], sample.upper[j]]);
    }
    expect([mapping.lower[LOG10_BACKGROUND], mapping.upper[LOG10_BACKGROUND]]).toEqual([-9, -6]);

    // the same input, hence the same estimate: the start of each layer parameter is the network's answer for the sample
    const direct = estimateOnGrid(loadEstimator(), sample.prior, sample.reflectivity, sample.mask, mapping.lower, mapping.upper);
    const start = resolveStart(problem, datasets, "ml");
    expect(start.record.used).toBe("ml");
    const network = start.record.network!;
    expect(network["models.cell.layers[2].thickness"].value).toBeCloseTo(direct.values[PER_LAYER], 6);
    expect(network["models.cell.layers[1].sld"].value).toBeCloseTo(direct.values[1], 6);
    const space = problem.objective.space;
    start.initial!.forEach((x, i) => expect(x >= space.lower[i] && x <= space.upper[i]).toBe(true));
  });

  it("maps the real OCV1 problem (three angles, two scales): neutron 3-layer family, bounds intersected with the prior", () => {
    const { json, file } = exampleProblem("PROBLEM-ocv1.json");
    json.datasets = json.datasets.map((d) => ({ ...d, file: path.join(exampleDir, d.file) }));
    const spec = parseProblemFile(json, file);
    const mapping = mapProblem(buildProblem(spec), spec.datasets);
    if (!mapping.inDomain) throw new Error(mapping.reason);
    expect([mapping.prior.probe, mapping.prior.layers]).toEqual(["neutron", 3]);
    // Cu thickness: the problem's [400, 600] ∩ the electrode prior [80, 500]
    expect([mapping.lower[PER_LAYER], mapping.upper[PER_LAYER]]).toEqual([400, 500]);
    expect(mapping.scales.map((s) => [s.parameter.name, s.start])).toEqual([["I_386_1", 1], ["I_386_3", 0.8]]);
  });

  it.each([
    ["five finite layers", (p: XrayProblem) => p.models.cell.layers.splice(1, 0, { thickness: 20, sld: 20, roughness: 2 }, { thickness: 20, sld: 20, roughness: 2 }, { thickness: 20, sld: 20, roughness: 2 }), /5 finite layers/],
    ["a thickness given by an expression", (p: XrayProblem) => (p.models.cell.layers[1].thickness = { expr: "2 * 30" }), /expression/],
    ["a layer given by a material", (p: XrayProblem) => (p.models.cell.layers[1] = { thickness: 30, material: { formula: "LiF", density: 2.6 }, roughness: 2 }), /material/],
    ["air as fronting", (p: XrayProblem) => (p.models.cell.layers[0].sld = 0), /fronting SLD 0/],
    ["a layer SLD fixed outside the family's range", (p: XrayProblem) => (p.models.cell.layers[2].sld = 500), /fixed at 500/],
    ["counts under a Poisson likelihood", (p: XrayProblem) => (p["datasets"] = [{ file: countsFile, model: "cell", likelihood: "poisson" }]), /counts/],
  ])("refuses %s, saying why", (_name, mutate, reason) => {
    const json = xrayProblem();
    mutate(json);
    const { problem, datasets } = load(json);
    const mapping = mapProblem(problem, datasets);
    expect(mapping.inDomain).toBe(false);
    if (!mapping.inDomain) expect(mapping.reason).toMatch(reason);
    expect(() => resolveStart(problem, datasets, "ml")).toThrow(/not in the learned estimator's domain/);
    expect(resolveStart(problem, datasets, "auto").record.used).toBe("global");
  });
});
