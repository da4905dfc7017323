/**
 * `strata fit` as a spawned process: a joint X-ray + neutron fit sharing thickness and
 * roughness, MCMC output, and every bad-input case of issue 3.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run.ts";
import { syntheticCurve, writeCurve } from "../reference/synthetic.ts";
import { FWHM_TO_SIGMA } from "../../src/kernels/reflectivity/smear.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-fit-"));
const write = (name: string, value: unknown): string => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value, null, 1));
  return file;
};

// one SEI layer on a substrate, seen by both probes: thickness 80 Å, roughness 6 Å
const T_SEI = 80;
const ROUGH = 6;
const SLD_X = 17.5;
const SLD_N = 2.3;
const q = Float64Array.from({ length: 150 }, (_, i) => 0.01 + (0.3 * i) / 149);
const sigma = q.map((x) => x * 0.03 * FWHM_TO_SIGMA);
const xraySlabs = Float64Array.from([0, 0, 0, 0, T_SEI, SLD_X, 0.05, ROUGH, 0, 20.07, 0.46, 3]);
const neutronSlabs = Float64Array.from([0, 0, 0, 0, T_SEI, SLD_N, 0, ROUGH, 0, 6.36, 0, 3]);
writeCurve(path.join(tmp, "xray.dat"), syntheticCurve(xraySlabs, { q, seed: 5, incident: 1e8, sigma }));
writeCurve(path.join(tmp, "neutron.dat"), syntheticCurve(neutronSlabs, { q, seed: 6, incident: 1e7, sigma }));

const jointProblem = {
  parameters: {
    t_sei: { value: 70, vary: true, min: 20, max: 200, unit: "Å" },
    rough: { value: 4, vary: true, min: 0, max: 20, unit: "Å" },
  },
  models: {
    xray: { probe: "xray", layers: [{ sld: 0 }, { thickness: { ref: "t_sei" }, sld: { value: 16, vary: true, min: 10, max: 25 }, isld: 0.05, roughness: { ref: "rough" } }, { sld: 20.07, isld: 0.46, roughness: 3 }] },
    neutron: { probe: "neutron", layers: [{ sld: 0 }, { thickness: { ref: "t_sei" }, sld: { value: 2.0, vary: true, min: 0, max: 5 }, roughness: { ref: "rough" } }, { sld: 6.36, roughness: 3 }] },
  },
  datasets: [
    { file: "xray.dat", model: "xray" },
    { file: "neutron.dat", model: "neutron" },
  ],
  fit: { method: "lm", seed: 1 },
};

interface FitJson {
  parameters: Record<string, { value: number; stderr: number | null }>;
  chi2: number;
  reducedChi2: number;
  nFree: number;
  posterior?: Record<string, { median: number; lo95: number; hi95: number; tau: number; ess: number }>;
  acceptance?: number;
  autocorrelationTime?: Record<string, number>;
  samples?: { walkers: number; keptSteps: number; burn: number; thin: number; stepsRun: number };
  mixing?: { mixed: boolean; stop: string; criteria: { minEss: number; tauFactor: number }; maxTau: { tau: number }; minEss: { ess: number } };
}

describe("strata fit (spawned CLI)", () => {
  it("joint X-ray + neutron fit shares thickness and roughness, fits separate SLDs (4 varying parameters)", () => {
    const file = write("joint.json", jointProblem);
    const result = runCli(["fit", file, "--json"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as FitJson;
    expect(out.nFree).toBe(4);
    expect(Object.keys(out.parameters).sort()).toEqual(["models.neutron.layers[1].sld", "models.xray.layers[1].sld", "rough", "t_sei"].sort());
    const within = (name: string, truth: number): void => {
      const p = out.parameters[name];
      expect(p.stderr).not.toBeNull();
      expect(Math.abs(p.value - truth)).toBeLessThan(4 * p.stderr!);
    };
    within("t_sei", T_SEI);
    within("rough", ROUGH);
    within("models.xray.layers[1].sld", SLD_X);
    within("models.neutron.layers[1].sld", SLD_N);
    expect(out.reducedChi2).toBeLessThan(1.5);
  });

  it("MCMC writes posterior summaries, autocorrelation times and ESS, acceptance and a samples file; the chain runs until mixed", () => {
    const file = write("mcmc.json", { ...jointProblem, fit: { method: "mcmc", seed: 3, mcmc: { walkers: 16, steps: 300, burn: 100, thin: 2 } } });
    const outDir = path.join(tmp, "mcmc-out");
    const result = runCli(["fit", file, "--json", "--out", outDir]);
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as FitJson;
    expect(Object.keys(out.posterior!).sort()).toEqual(Object.keys(out.parameters).sort());
    const t = out.posterior!["t_sei"];
    expect(t.lo95).toBeLessThan(T_SEI + 2);
    expect(t.hi95).toBeGreaterThan(T_SEI - 2);
    expect(out.acceptance).toBeGreaterThan(0.1);
    expect(Object.keys(out.autocorrelationTime!)).toHaveLength(4);
    // 300 steps thinned by 2 at least, extended until every parameter has ESS ≥ 400 and the chain ≥ 50 τ
    const { keptSteps, thin, walkers } = out.samples!;
    expect(keptSteps).toBeGreaterThanOrEqual(150);
    expect(out.mixing).toMatchObject({ mixed: true, stop: "mixed", criteria: { minEss: 400, tauFactor: 50 } });
    for (const p of Object.values(out.posterior!)) {
      expect(p.ess).toBeGreaterThanOrEqual(400);
      expect(keptSteps * thin).toBeGreaterThanOrEqual(50 * p.tau);
    }
    const samples = fs.readFileSync(path.join(outDir, "samples.csv"), "utf8").trim().split("\n");
    expect(samples[0]).toMatch(/t_sei/);
    expect(samples.length).toBe(1 + walkers * keptSteps);
    expect(fs.existsSync(path.join(outDir, "result.json"))).toBe(true);
    expect(fs.readFileSync(path.join(outDir, "curve0.dat"), "utf8")).toMatch(/R model/);
  });

  it("differential evolution then LM from a poor start finds the same optimum", () => {
    const poor = structuredClone(jointProblem);
    poor.parameters.t_sei.value = 180;
    const file = write("de.json", { ...poor, fit: { method: "de", seed: 2, de: { maxGenerations: 60 } } });
    const result = runCli(["fit", file, "--json"]);
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as FitJson;
    expect(Math.abs(out.parameters["t_sei"].value - T_SEI)).toBeLessThan(2);
  });

  const bad = (mutate: (p: typeof jointProblem & Record<string, unknown>) => void): string => {
    const problem = structuredClone(jointProblem) as typeof jointProblem & Record<string, unknown>;
    mutate(problem);
    return write(`bad-${Math.random().toString(36).slice(2)}.json`, problem);
  };
  it.each([
    ["unknown parameter in ref", (p: typeof jointProblem) => ((p.models.xray.layers[1] as Record<string, unknown>).thickness = { ref: "t_seii" }), /t_seii/],
    ["unknown parameter in expr", (p: typeof jointProblem) => ((p.models.xray.layers[1] as Record<string, unknown>).thickness = { expr: "2*t_se + 3" }), /t_se/],
    ["a cycle of constraints", (p: typeof jointProblem) => ((p.parameters as Record<string, unknown>).a = { expr: "b + 1" }, ((p.parameters as Record<string, unknown>).b = { expr: "a * 2" })), /cycle/],
    ["a value outside its bounds", (p: typeof jointProblem) => (p.parameters.t_sei.value = 500), /t_sei.*500/],
    ["min ≥ max", (p: typeof jointProblem) => ((p.parameters.rough.min = 30), (p.parameters.rough.max = 10)), /rough/],
    ["a negative ESS target", (p: typeof jointProblem) => ((p.fit as Record<string, unknown>).mcmc = { minEss: -1 }), /fit\.mcmc\.minEss: must be a finite number ≥ 0/],
    ["a zero MCMC time cap", (p: typeof jointProblem) => ((p.fit as Record<string, unknown>).mcmc = { maxSeconds: 0 }), /fit\.mcmc\.maxSeconds: must be a finite number > 0/],
  ])("bad problem (%s): one line naming the parameter, exit 2", (_name, mutate, pattern) => {
    const result = runCli(["fit", bad(mutate)]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it.each([
    ["NaN in the data", "0.01 0.5 0.01\n0.02 nan 0.01\n", /bad\.dat:2/],
    ["a zero error", "0.01 0.5 0.01\n0.02 0.4 0\n", /bad\.dat:2.*dR/],
    ["a negative error", "0.01 0.5 0.01\n0.02 0.4 -0.1\n", /bad\.dat:2.*dR/],
  ])("bad dataset (%s): names the file and line, exit 2", (_name, text, pattern) => {
    write("bad.dat", text);
    const problem = structuredClone(jointProblem);
    problem.datasets = [{ file: "bad.dat", model: "xray" }];
    const result = runCli(["fit", write("bad-data.json", problem)]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(pattern);
  });
});
