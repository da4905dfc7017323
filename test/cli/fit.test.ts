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
import { conformanceRoot } from "../paths.ts";

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
  parameters: Record<string, { value: number; stderr: number | null; stderrKind?: string; stderrUnscaled?: number | null }>;
  uncertainty?: { stderr: string; stderrScale: number; stderrUnscaled: string; posterior?: string; likelihood?: string; note?: string };
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

  // Issue 16 part 6: every uncertainty says what it is, in the text, the JSON and report.html alike
  /** stderr = stderrUnscaled·√χ²_red is the same number computed two ways (float64 rounding only). */
  const SCALING_IDENTITY_RTOL = 1e-12;

  it("LM: '± e (LM standard error, scaled by √χ²_red = s; unscaled ± u)' and stderrKind/stderrUnscaled in the JSON; a non-empty --out is refused before fitting unless --force", () => {
    const file = write("labels-lm.json", jointProblem);
    const outDir = path.join(tmp, "labels-lm-out");
    fs.mkdirSync(outDir);
    fs.writeFileSync(path.join(outDir, "keep.txt"), "another run's file");
    const refused = runCli(["fit", file, "--out", outDir]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--out .*labels-lm-out: folder is not empty \(1 entry: keep\.txt\); pass --force/);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(fs.readdirSync(outDir)).toEqual(["keep.txt"]);

    const result = runCli(["--quiet", "fit", file, "--out", outDir, "--force", "--plot"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(fs.readdirSync(outDir).sort()).toEqual(["curve0.dat", "curve1.dat", "keep.txt", "report.html", "result.json"]);
    expect(fs.readFileSync(path.join(outDir, "report.html"), "utf8")).toMatch(/Least-squares fit only: no posterior band/);
    const out = JSON.parse(fs.readFileSync(path.join(outDir, "result.json"), "utf8")) as FitJson;
    const scale = Math.sqrt(out.reducedChi2);
    expect(out.uncertainty).toEqual({ stderr: `LM standard error, scaled by √χ²_red = ${scale.toPrecision(3)}`, stderrScale: scale, stderrUnscaled: "LM standard error, unscaled (dR taken as the true σ)" });
    for (const [name, p] of Object.entries(out.parameters)) {
      expect(p.stderrKind, name).toBe("scaled by sqrt(reducedChi2)");
      expect(Math.abs(p.stderr! - p.stderrUnscaled! * scale), name).toBeLessThan(SCALING_IDENTITY_RTOL * p.stderr!);
      const line = new RegExp(`^  ${name.replace(/[.[\]]/g, "\\$&")} +\\S+ ± ${p.stderr!.toPrecision(3)} \\(LM standard error, scaled by √χ²_red = ${scale.toPrecision(3)}; unscaled ± ${p.stderrUnscaled!.toPrecision(3)}\\)$`, "m");
      expect(result.stdout, name).toMatch(line);
    }
    // χ²_red ≈ 1 here: no note, no posterior words
    expect(result.stdout).not.toMatch(/^note:|^posterior intervals:/m);
  });

  it("MCMC on real data the model does not reach (χ²_red ≫ 1): credible intervals name their likelihood and one note says why they differ from the scaled LM error", () => {
    // the Amor .ort from orsopy's examples with a deliberately poor two-parameter model
    const problem = {
      parameters: { t_film: { value: 93, vary: true, min: 60, max: 130, unit: "Å" } },
      models: {
        amor: {
          probe: "neutron",
          layers: [{ sld: 0 }, { thickness: 20, sld: 5.7, roughness: 3 }, { thickness: { ref: "t_film" }, sld: 1.13, roughness: 5 }, { sld: 2.07, roughness: 3 }],
          scale: { value: 1, vary: true, min: 0.5, max: 1.5 },
          background: 0,
        },
      },
      datasets: [{ file: path.join(conformanceRoot, "ort", "prist5_10K_m_025.Rqz.ort"), model: "amor", mask: { qMin: 0.0085 } }],
      fit: { method: "mcmc", seed: 1, mcmc: { walkers: 8, steps: 40, burn: 20 } },
    };
    const outDir = path.join(tmp, "labels-mcmc-out");
    const result = runCli(["--quiet", "fit", write("labels-mcmc.json", problem), "--min-ess", "0", "--tau-factor", "0", "--out", outDir]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const out = JSON.parse(fs.readFileSync(path.join(outDir, "result.json"), "utf8")) as FitJson;
    expect(out.reducedChi2).toBeGreaterThan(10);
    const scale = Math.sqrt(out.reducedChi2).toPrecision(3);
    const likelihood = "unscaled likelihood: dR taken as the true σ";
    expect(out.uncertainty).toMatchObject({ stderr: `LM standard error, scaled by √χ²_red = ${scale}`, likelihood, posterior: `posterior median and central credible intervals (${likelihood}; prior: the parameters' bounds and priors)` });
    expect(out.uncertainty!.note).toMatch(new RegExp(`^reduced χ² = ${out.reducedChi2.toPrecision(3)} ≫ 1: the model does not reach the data within dR\\. The LM standard error is scaled by √χ²_red = ${scale} .*; the posterior is not \\(${likelihood}\\)`));
    for (const name of ["t_film", "models.amor.scale"]) {
      const post = out.posterior![name];
      expect(result.stdout, name).toContain(`posterior median ${post.median.toPrecision(6)} [95 % credible interval ${post.lo95.toPrecision(5)}, ${post.hi95.toPrecision(5)}] (${likelihood})`);
    }
    expect(result.stdout.match(/^note: reduced χ² = .* ≫ 1: /gm)).toHaveLength(1);
    expect(result.stdout).toContain(`note: ${out.uncertainty!.note}`);
    expect(fs.readdirSync(outDir).sort()).toEqual(["curve0.dat", "report.html", "result.json", "samples.csv"]);
  });

  it("--plot without --out: exit 2 and one line saying to pass --out", () => {
    const result = runCli(["fit", write("plot-only.json", jointProblem), "--plot"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--plot: the report is written as report\.html into the --out folder; pass --out DIR/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stdout).toBe("");
  });
});
