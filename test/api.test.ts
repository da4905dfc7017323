/**
 * The public API (`import … from "strata"`, here from src/index.ts): every result's
 * toJSON() is exactly what the spawned CLI prints with --json, on the conformance files and
 * the example campaign; the diagnosis reports progress and stops on an abort signal.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as strata from "../src/index.ts";
import { runCli } from "./cli/run.ts";
import { conformanceRoot, repoRoot } from "./paths.ts";
import { syntheticCurve, writeCurve } from "./reference/synthetic.ts";

const example = path.join(repoRoot, "examples", "campaign");
const spectrum = path.join(conformanceRoot, "eis", "impedance.py", "exampleData.csv");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-api-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What the CLI prints for `args` with --json, parsed. */
function cliJson(args: string[]): unknown {
  const result = runCli([...args, "--json"]);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe("public API = CLI --json", () => {
  it("exports one documented surface", () => {
    for (const name of ["sld", "reflectivity", "sldProfile", "readOrt", "readReflectivityData", "readCyclerFile", "readImpedanceFile", "readNexusReflectivity", "fit", "fitCircuit", "kramersKronig", "distributionOfRelaxationTimes", "simulateSpectrum", "loadCampaign", "inspectCampaign", "simulate", "diagnose", "doseLedger", "planDose", "STRATA_VERSION"]) {
      expect(strata, name).toHaveProperty(name);
    }
  });

  it("sld, reflectivity and profile", () => {
    expect(asJson(strata.sld("LiF", { density: 2.635, energy_keV: 8.048 }))).toEqual(cliJson(["sld", "LiF", "--density", "2.635", "--energy", "8.048"]));
    expect(asJson(strata.sld("Li2CO3", { density: 2.11, wavelength_A: 5, probe: "neutron" }))).toEqual(cliJson(["sld", "Li2CO3", "--density", "2.11", "--wavelength", "5", "--neutron"]));
    const model = { probe: "xray", energy_keV: 8.048, layers: [{ sld: 0 }, { material: { formula: "LiF", density: 2.635 }, thickness: 100, roughness: 3 }, { sld: 20.07, isld: 0.457, roughness: 3 }], resolution: { dqOverQ: 0.05, measure: "fwhm" }, q: [0.01, 0.05, 0.1, 0.2] };
    const file = path.join(tmp, "model.json");
    fs.writeFileSync(file, JSON.stringify(model));
    expect(asJson(strata.reflectivity(model))).toEqual(cliJson(["reflect", file]));
    expect(asJson(strata.sldProfile(file))).toEqual(cliJson(["profile", file]));
    expect(() => strata.sld("LiF", { density: 2.635 })).toThrow(strata.ValidationError);
  });

  it("impedance: circuit fit, Lin-KK, DRT, simulation", () => {
    const circuit = "R0-p(R1,C1)-p(R2-Wo1,C2)";
    expect(asJson(strata.fitCircuit(circuit, spectrum))).toEqual(cliJson(["eis", "fit", spectrum, "--circuit", circuit]));
    expect(asJson(strata.kramersKronig(spectrum))).toEqual(cliJson(["eis", "linkk", spectrum]));
    expect(asJson(strata.distributionOfRelaxationTimes(spectrum))).toEqual(cliJson(["eis", "drt", spectrum]));
    const printed = cliJson(["eis", "simulate", "--circuit", "R0-p(R1,C1)", "--params", "10,100,1e-6", "--freq", "1:1e5:5", "--noise", "0.01", "--seed", "3"]) as { frequency: number[] };
    const simulated = strata.simulateSpectrum("R0-p(R1,C1)", [10, 100, 1e-6], Float64Array.from(printed.frequency), { noise: 0.01, seed: 3 });
    expect(asJson(simulated)).toEqual(printed);
  });

  it("campaigns: inspection and dose ledger", async () => {
    expect(asJson(await strata.inspectCampaign(example))).toEqual(cliJson(["inspect", example]));
    expect(asJson(await strata.doseLedger(example))).toEqual(cliJson(["dose", example]));
  });

  it("fit of a problem file (least squares)", async () => {
    const q = Float64Array.from({ length: 80 }, (_, i) => 0.01 + (0.25 * i) / 79);
    writeCurve(path.join(tmp, "sei.dat"), syntheticCurve(Float64Array.from([0, 0, 0, 0, 80, 2.3, 0, 6, 0, 6.36, 0, 3]), { q, seed: 4, incident: 1e7 }));
    const problem = {
      parameters: { t: { value: 70, vary: true, min: 20, max: 200 } },
      models: { m: { probe: "neutron", layers: [{ sld: 0 }, { thickness: { ref: "t" }, sld: { value: 2, vary: true, min: 0, max: 5 }, roughness: 6 }, { sld: 6.36, roughness: 3 }] } },
      datasets: [{ file: "sei.dat", model: "m" }],
      fit: { method: "lm", seed: 1 },
    };
    const file = path.join(tmp, "problem.json");
    fs.writeFileSync(file, JSON.stringify(problem));
    const stages: string[] = [];
    const report = await strata.fit(file, { progress: (stage) => stages.push(stage) });
    expect(asJson(report)).toEqual(cliJson(["fit", file]));
    expect(stages).toContain("least squares");
    // the same problem given as an object, its datasets resolved against a source path
    const fromObject = await strata.fit(problem, {}, file);
    expect(asJson(fromObject)).toEqual(asJson(report));
  });
});

describe("diagnose through the API", () => {
  it("reports progress, gives the strata-diagnosis/1 document and writes the report", async () => {
    const seen: { stage: string; fraction: number }[] = [];
    const diagnosis = await strata.diagnose(example, { laws: ["parabolic", "linear"], mcmc: { walkers: 16, steps: 60, burn: 20, threads: 1, minEss: 0, tauFactor: 0 }, progress: (stage, fraction) => seen.push({ stage, fraction }) });
    const json = diagnosis.toJSON();
    expect(json["format"]).toBe("strata-diagnosis/1");
    expect((json["software"] as { version: string }).version).toBe(strata.STRATA_VERSION);
    expect(Object.keys(json["cells"] as object)).toEqual(["A"]);
    expect(seen.some((s) => s.stage.includes("posterior"))).toBe(true);
    expect(diagnosis.verdicts()[0]).toMatch(/^Cell A: the SEI grew from/);
    const files = diagnosis.write(path.join(tmp, "diagnosis"));
    expect(JSON.parse(fs.readFileSync(files.json, "utf8"))).toEqual(asJson(json));
    expect(fs.readFileSync(files.report, "utf8")).toMatch(/^<!doctype html>/i);
  }, 300_000);

  it("stops on an abort signal with the signal's reason", async () => {
    const controller = new AbortController();
    let calls = 0;
    const started = Date.now();
    const run = strata.diagnose(example, {
      progress: () => {
        calls++;
        if (calls === 2) controller.abort();
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeLessThan(60_000);
    const aborted = new AbortController();
    aborted.abort();
    await expect(strata.diagnose(example, { signal: aborted.signal })).rejects.toMatchObject({ name: "AbortError" });
  }, 120_000);
});
