/**
 * Issue 16, the input checks a scientist meets first, as a spawned `strata`: unit slips
 * (density in kg/m³, resolution in percent, Q in nm⁻¹) and nonsense numeric flags are
 * refused with exit code 2 and one line naming the field, the value and the likely slip.
 * The README's "Input checks" table points at these tests by name.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run.ts";
import { repoRoot } from "../paths.ts";
import { syntheticCurve, writeCurve } from "../reference/synthetic.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-checks-"));
const write = (name: string, value: unknown): string => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value, null, 1));
  return file;
};
const oneLine = /^strata: [^\n]+\n$/;

const model = (density: number, resolution: unknown = { dqOverQ: 0.05, measure: "fwhm" }): unknown => ({
  probe: "xray",
  energy_keV: 8.048,
  layers: [{ sld: 0 }, { material: { formula: "LiF", density }, thickness: 100, roughness: 3 }, { sld: 20.07, isld: 0.457, roughness: 3 }],
  resolution,
  q: [0.01, 0.05, 0.1],
});

/** A copy of examples/campaign with `edit` applied to the copy's folder. */
function campaignCopy(name: string, edit: (dir: string) => void): string {
  const dir = path.join(tmp, name);
  fs.cpSync(path.join(repoRoot, "examples", "campaign"), dir, { recursive: true });
  edit(dir);
  return dir;
}

/** Multiply the first (Q) column of an .ort file's data rows by `factor`. */
function scaleOrtQ(file: string, factor: number): void {
  const lines = fs.readFileSync(file, "utf8").split("\n").map((line) => {
    if (line.startsWith("#") || line.trim() === "") return line;
    const cols = line.trim().split(/\s+/);
    cols[0] = String(Number(cols[0]) * factor);
    return cols.join(" ");
  });
  fs.writeFileSync(file, lines.join("\n"));
}

describe("density: g/cm³ expected, kg/m³ refused", () => {
  it("MODEL.json material.density 2635 (strata reflect)", () => {
    const r = runCli(["reflect", write("dense.json", model(2635))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/layers\[1\]\.material\.density: density 2635 is above 30 g\/cm³.*g\/cm³ expected — kg\/m³\? 2635 kg\/m³ is 2\.635 g\/cm³/);
    expect(r.stdout).toBe("");
  });

  it("MODEL.json material.density 0 and -1 are refused, 22.6 (osmium) accepted", () => {
    for (const bad of [0, -1]) {
      const r = runCli(["reflect", write(`d${bad}.json`, model(bad))]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(oneLine);
      expect(r.stderr).toMatch(/layers\[1\]\.material\.density: .*(> 0|≥ 0)/);
    }
    expect(runCli(["reflect", write("osmium.json", model(22.6))]).status).toBe(0);
  });

  it("strata sld --density 2635", () => {
    const r = runCli(["sld", "LiF", "--density", "2635", "--energy", "8.048"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: --density: density 2635 .*kg\/m³\?/);
  });

  it("manifest stack density 2330 (strata inspect)", () => {
    const dir = campaignCopy("dense-manifest", (d) => {
      const file = path.join(d, "campaign.json");
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"density": 2.33', '"density": 2330'));
    });
    const r = runCli(["inspect", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/cells\[0\]\.stack\[0\]\.material\.density: density 2330 .*kg\/m³\? 2330 kg\/m³ is 2\.33 g\/cm³/);
  });

  it("scenario stack density 1320 (strata simulate) writes nothing", () => {
    const scenario = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "scenario.json"), "utf8")) as Record<string, unknown>;
    scenario["stack"] = [
      { name: "Si", role: "substrate", material: { formula: "Si", density: 2.33 }, roughness_A: 3 },
      { name: "SEI", role: "interphase", material: { formula: "LiF", density: 2.3 }, thickness_A: 20, roughness_A: 6 },
      { name: "electrolyte", role: "electrolyte", material: { formula: "C3H4O3", density: 1320 }, roughness_A: 7 },
    ];
    const out = path.join(tmp, "sim-dense");
    const r = runCli(["simulate", write("dense-scenario.json", scenario), "--out", out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/stack\[2\]\.material\.density: density 1320 .*kg\/m³\?/);
    expect(fs.existsSync(path.join(out, "campaign.json"))).toBe(false);
  });
});

describe("resolution: dqOverQ is a fraction", () => {
  it("dqOverQ 5 (5 %) is refused with the fraction it meant", () => {
    const r = runCli(["reflect", write("percent.json", model(2.635, { dqOverQ: 5, measure: "fwhm" }))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/resolution\.dqOverQ: dqOverQ 5 is a resolution of 500 %.*a fraction: 0\.05 for 5 %\?/);
  });

  it("dqOverQ 1 is refused, 0.5 accepted", () => {
    expect(runCli(["reflect", write("one.json", model(2.635, { dqOverQ: 1, measure: "sigma" }))]).status).toBe(2);
    expect(runCli(["reflect", write("half.json", model(2.635, { dqOverQ: 0.5, measure: "sigma" }))]).status).toBe(0);
  });

  it("scenario scans.dqOverQ_fwhm 5", () => {
    const scenario = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "scenario.json"), "utf8")) as { scans: Record<string, number> };
    scenario.scans["dqOverQ_fwhm"] = 5;
    const r = runCli(["simulate", write("percent-scenario.json", scenario), "--out", path.join(tmp, "sim-percent")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^strata: scans\.dqOverQ_fwhm: .*0\.05 for 5 %\?\n$/);
  });
});

describe("measured Q: Å⁻¹ in (0, 3]", () => {
  // to 0.35 Å⁻¹ = 3.5 nm⁻¹: the guard sees nm⁻¹ data only when they pass 3 (README, Input checks)
  const q = Float64Array.from({ length: 60 }, (_, i) => 0.01 + (0.34 * i) / 59);
  const curve = syntheticCurve(Float64Array.from([0, 0, 0, 0, 80, 17.5, 0.05, 6, 0, 20.07, 0.46, 3]), { q, seed: 3, incident: 1e8 });
  const problem = (file: string): unknown => ({
    models: { m: { probe: "xray", layers: [{ sld: 0 }, { thickness: { value: 70, vary: true, min: 20, max: 200 }, sld: 17.5, isld: 0.05, roughness: 6 }, { sld: 20.07, isld: 0.46, roughness: 3 }] } },
    datasets: [{ file, model: "m" }],
  });

  it("a column file with Q in nm⁻¹ (strata fit): divide by 10", () => {
    writeCurve(path.join(tmp, "nm.dat"), { ...curve, q: q.map((x) => x * 10) });
    const r = runCli(["fit", write("nm.json", problem("nm.dat"))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/nm\.dat:\d+: Q reaches 3\.5\d* Å⁻¹, beyond any specular reflectometry .*Q in nm⁻¹\? divide by 10/);
  });

  it("a column file with Q ≤ 0 (strata fit) names the line", () => {
    writeCurve(path.join(tmp, "zero.dat"), { ...curve, q: q.map((x, i) => (i === 0 ? 0 : x)) });
    const r = runCli(["fit", write("zero.json", problem("zero.dat"))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/zero\.dat:\d+: Q must be > 0 Å⁻¹ \(got 0\)/);
  });

  it("a campaign scan with Q in nm⁻¹ (strata inspect) names the file", () => {
    const scenario = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "scenario.json"), "utf8")) as { scans: Record<string, number> };
    Object.assign(scenario.scans, { count: 3, qMax: 0.4, points: 40 });
    const dir = path.join(tmp, "nm-campaign");
    expect(runCli(["simulate", write("nm-scenario.json", scenario), "--out", dir]).status).toBe(0);
    const scan = fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ort")).sort()[1];
    scaleOrtQ(path.join(dir, scan), 10);
    const r = runCli(["inspect", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toContain(path.basename(scan));
    expect(r.stderr).toMatch(/\.ort:\d+: Q reaches .* Å⁻¹.*Q in nm⁻¹\? divide by 10/);
  });
});

describe("numeric flags", () => {
  const campaign = path.join(repoRoot, "examples", "campaign");
  it.each([
    ["--walkers", "0", /--walkers: must be an integer ≥ 2 \(got "0"\)/],
    ["--steps", "0", /--steps: must be an integer ≥ 1 \(got "0"\)/],
    ["--burn", "-1", /--burn: must be an integer ≥ 0 \(got "-1"\)/],
    ["--threads", "0", /--threads: must be an integer ≥ 1 \(got "0"\)/],
    ["--seed", "", /--seed: must be an integer ≥ 0 \(got ""\)/],
    ["--walkers", "2.5", /--walkers: must be an integer/],
    ["--min-ess", "-1", /--min-ess: must be a finite number ≥ 0 \(got "-1"\)/],
    ["--tau-factor", "fifty", /--tau-factor: must be a finite number ≥ 0 \(got "fifty"\)/],
    ["--mcmc-max-seconds", "0", /--mcmc-max-seconds: must be a finite number > 0 \(got "0"\)/],
  ])("strata diagnose %s %j is refused before any work", (flag, value, message) => {
    const out = path.join(tmp, `diag${flag}${value}`);
    const r = runCli(["diagnose", campaign, "--out", out, flag, value]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });

  it.each([
    [["fit", "PROBLEM.json", "--seed", ""], /--seed: must be an integer ≥ 0/],
    [["fit", "PROBLEM.json", "--min-ess", ""], /--min-ess: must be a finite number ≥ 0/],
    [["fit", "PROBLEM.json", "--mcmc-max-seconds", "-5"], /--mcmc-max-seconds: must be a finite number > 0/],
    [["profile", "MODEL", "--points", "0"], /--points: must be an integer from 2 to 1000000/],
    [["profile", "MODEL", "--points", "1e9"], /--points: must be an integer from 2 to 1000000/],
    [["inspect", campaign, "--gap-factor", ""], /--gap-factor: must be a finite number > 1/],
    [["eis", "simulate", "--circuit", "R0-p(R1,C1)", "--params", "1,2,3", "--seed", "-1"], /--seed: must be an integer ≥ 0/],
    [["eis", "simulate", "--circuit", "R0-p(R1,C1)", "--params", "1,2,3", "--noise", "-0.1"], /--noise: must be ≥ 0/],
    [["eis", "simulate", "--circuit", "R0-p(R1,C1)", "--params", "1,2,3", "--freq", "1:10:0"], /--freq: must be an integer ≥ 1/],
  ])("strata %j is refused", (args, message) => {
    const resolved = args.map((a) => (a === "MODEL" ? write("m.json", model(2.635)) : a === "PROBLEM.json" ? write("p.json", {}) : a));
    const r = runCli(resolved);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(message);
  });

  it("strata eis linkk --c 2 and --threshold 0 are refused", () => {
    const spectrum = path.join(tmp, "z.csv");
    const sim = runCli(["eis", "simulate", "--circuit", "R0-p(R1,C1)", "--params", "1,2,0.001"]);
    expect(sim.status).toBe(0);
    fs.writeFileSync(spectrum, sim.stdout.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.split("\t").join(",")).join("\n"));
    const c = runCli(["eis", "linkk", spectrum, "--c", "2"]);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/^strata: --c: must be a finite number > 0 and ≤ 1 \(got "2"\)\n$/);
    const t = runCli(["eis", "linkk", spectrum, "--threshold", "0"]);
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/^strata: --threshold: must be a finite number > 0 \(got "0"\)\n$/);
  });
});
