/**
 * Issue 16, the input checks a scientist meets first, as a spawned `strata`: unit slips
 * (density in kg/m³, resolution in percent, Q in nm⁻¹, energy in eV, wavelength in nm,
 * flux per hour, a year typed wrong), misspelt keys ("did you mean") and nonsense numeric
 * flags are refused with exit code 2 and one line naming the field, the value and the
 * likely slip; borderline values and `--lenient` unknown keys are `strata: warning:` lines.
 * The README's "Input checks" table points at these tests by name.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run.ts";
import { conformanceRoot, repoRoot } from "../paths.ts";
import { parseProblemFile } from "../../src/io/problemFile.ts";
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
    [["eis", "fit", "SPECTRUM", "--circuit", "R0-p(R1,C1)", "--seed", "1.5"], /--seed: must be an integer ≥ 0 \(got "1\.5"\)/],
    [["eis", "fit", "SPECTRUM", "--circuit", "R0-p(R1,C1)", "--seed", "1"], /--seed: seeds the search of --global; without --global the fit is deterministic and takes no seed \(got "1"\)/],
    [["eis", "drt", "SPECTRUM", "--extend", "abc"], /--extend: must be a finite number > 0/],
    [["eis", "linkk", "SPECTRUM", "--max-m", "0"], /--max-m: must be an integer ≥ 1/],
  ])("strata %j is refused", (args, message) => {
    const spectrum = path.join(repoRoot, "..", "shared", "conformance", "eis", "impedance.py", "exampleData.csv");
    const resolved = args.map((a) => (a === "MODEL" ? write("m.json", model(2.635)) : a === "PROBLEM.json" ? write("p.json", {}) : a === "SPECTRUM" ? spectrum : a));
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

/** A copy of examples/campaign whose campaign.json is changed by `edit` (parsed JSON). */
function manifestCopy(name: string, edit: (manifest: Record<string, unknown>) => void): string {
  return campaignCopy(name, (dir) => {
    const file = path.join(dir, "campaign.json");
    const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    edit(manifest);
    fs.writeFileSync(file, JSON.stringify(manifest, null, 1));
  });
}
const beamOf = (m: Record<string, unknown>): Record<string, unknown> => m["beam"] as Record<string, unknown>;
const scansOf = (m: Record<string, unknown>): Record<string, unknown>[] => m["scans"] as Record<string, unknown>[];
const warningLine = /^strata: warning: /m;

describe("unknown keys: errors with 'did you mean', --lenient makes them warnings", () => {
  const misspeltImpedance = (): string =>
    manifestCopy("impedence", (m) => {
      m["impedence"] = m["impedance"];
      delete m["impedance"];
    });

  it("manifest `impedence` (strata inspect): exit 2, did you mean 'impedance'", () => {
    const r = runCli(["inspect", misspeltImpedance()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: impedence: unknown field; did you mean 'impedance'\? \(known: .*impedance/);
  });

  it("manifest `impedence` with --lenient: runs (0 spectra) and warns on stderr", () => {
    const r = runCli(["--lenient", "inspect", misspeltImpedance()]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^strata: warning: impedence: unknown field ignored \(--lenient\); did you mean 'impedance'\?/m);
  });

  it("manifest `beam.flux_per_sec`: exit 2, did you mean 'flux_per_s'; --lenient after the command also works", () => {
    const dir = manifestCopy("flux-per-sec", (m) => {
      const beam = beamOf(m);
      beam["flux_per_sec"] = beam["flux_per_s"];
      delete beam["flux_per_s"];
    });
    const r = runCli(["inspect", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: beam\.flux_per_sec: unknown field; did you mean 'flux_per_s'\?/);
    const lenient = runCli(["inspect", dir, "--lenient"]);
    expect(lenient.status).toBe(0);
    expect(lenient.stderr).toMatch(/^strata: warning: beam\.flux_per_sec: .*did you mean 'flux_per_s'\?/m);
  });

  it("MODEL.json layer `roughnes` (strata reflect): exit 2, did you mean 'roughness'; --lenient draws the curve", () => {
    const m = model(2.635) as { layers: Record<string, unknown>[] };
    m.layers[2] = { sld: 20.07, isld: 0.457, roughnes: 3 };
    const file = write("roughnes.json", m);
    const r = runCli(["reflect", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: layers\[2\]\.roughnes: unknown field; did you mean 'roughness'\?/);
    const lenient = runCli(["--lenient", "reflect", file]);
    expect(lenient.status).toBe(0);
    expect(lenient.stdout.trim().split("\n").length).toBeGreaterThanOrEqual(3);
    expect(lenient.stderr).toMatch(warningLine);
  });

  it("PROBLEM.json `fit.mcmc.walker` (strata fit): exit 2, did you mean 'walkers'", () => {
    const problem = { models: { m: model(2.635) }, datasets: [{ file: "none.dat", model: "m" }], fit: { method: "mcmc", mcmc: { walker: 0 } } };
    const r = runCli(["fit", write("walker.json", problem)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: fit\.mcmc\.walker: unknown field; did you mean 'walkers'\?/);
  });

  it("scenario `scans.exposure` (strata simulate): exit 2, did you mean 'exposure_s' (a unit suffix left off)", () => {
    const scenario = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "scenario.json"), "utf8")) as { scans: Record<string, number> };
    scenario.scans["exposure"] = 300;
    const out = path.join(tmp, "sim-exposure");
    const r = runCli(["simulate", write("exposure-scenario.json", scenario), "--out", out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: scans\.exposure: unknown field; did you mean 'exposure_s'\?/);
  });

  it("dose plan `budget_gy` (strata dose --plan): exit 2, did you mean 'budget_Gy'", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "campaign", "campaign.json"), "utf8")) as { beam: unknown; cells: Record<string, unknown>[] };
    const cell = manifest.cells[0];
    const plan = {
      format: "strata-dose-plan/1",
      beam: manifest.beam,
      cell: { stack: cell["stack"], geometry: cell["geometry"] },
      schedule: [{ spot: "P1", exposure_s: 300, qMin: 0.01, qMax: 0.3, points: 50 }],
      budget_gy: 5e5,
    };
    const r = runCli(["dose", "--plan", write("plan.json", plan)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: budget_gy: unknown field; did you mean 'budget_Gy'\?/);
  });
});

describe("beam: X-ray energy in keV, wavelength in Å, flux per second", () => {
  it("MODEL.json energy_keV 8048 (eV typed for keV): exit 2 with the keV it meant", () => {
    const m = { ...(model(2.635) as Record<string, unknown>), energy_keV: 8048 };
    const r = runCli(["reflect", write("ev.json", m)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: energy_keV: energy 8048 keV is above any X-ray reflectometry beamline .*keV expected — eV\? 8048 eV is 8\.048 keV/);
  });

  it("energy_keV 120 (high-energy beamline) runs with a warning; 0.05 keV is refused", () => {
    // explicit SLDs: the material tables end at 30 keV
    const sldOnly = { probe: "xray", layers: [{ sld: 0 }, { sld: 17.5, isld: 0.05, thickness: 100, roughness: 3 }, { sld: 20.07, isld: 0.457, roughness: 3 }], q: [0.01, 0.05] };
    const high = runCli(["reflect", write("high.json", { ...sldOnly, energy_keV: 120 })]);
    expect(high.status).toBe(0);
    expect(high.stderr).toMatch(/^strata: warning: energy_keV: energy 120 keV is outside the usual 1–100 keV/m);
    const low = runCli(["reflect", write("low.json", { ...(model(2.635) as Record<string, unknown>), energy_keV: 0.05 })]);
    expect(low.status).toBe(2);
    expect(low.stderr).toMatch(/^strata: energy_keV: energy 0\.05 keV is below soft X-rays/);
  });

  it("strata sld --energy 8048 and --neutron --wavelength 0.18: the eV and nm slips", () => {
    const ev = runCli(["sld", "LiF", "--density", "2.635", "--energy", "8048"]);
    expect(ev.status).toBe(2);
    expect(ev.stderr).toMatch(oneLine);
    expect(ev.stderr).toMatch(/^strata: energy_keV: energy 8048 keV .*eV\? 8048 eV is 8\.048 keV/);
    const nm = runCli(["sld", "LiF", "--density", "2.635", "--neutron", "--wavelength", "0.18"]);
    expect(nm.status).toBe(2);
    expect(nm.stderr).toMatch(/^strata: wavelength_A: wavelength 0\.18 Å .*nm\? 0\.18 nm is 1\.8 Å/);
  });

  it("neutron wavelength_A 0.475 (nm typed for Å): exit 2 with the Å it meant", () => {
    const neutron = { probe: "neutron", wavelength_A: 0.475, layers: [{ sld: 0 }, { sld: 3.5, thickness: 100, roughness: 3 }, { sld: 2.07, roughness: 3 }], q: [0.01, 0.05] };
    const r = runCli(["reflect", write("nm-wavelength.json", neutron)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: wavelength_A: wavelength 0\.475 Å is shorter than any neutron reflectometer uses .*Å expected — nm\? 0\.475 nm is 4\.75 Å/);
  });

  it("manifest beam.flux_per_s 3.6e17 (per hour typed for per second): exit 2; 5e14 warns", () => {
    const hour = runCli(["inspect", manifestCopy("flux-hour", (m) => (beamOf(m)["flux_per_s"] = 3.6e17))]);
    expect(hour.status).toBe(2);
    expect(hour.stderr).toMatch(oneLine);
    expect(hour.stderr).toMatch(/^strata: beam\.flux_per_s: flux 360000000000000000 photons\/s is above .*per second expected — per hour\? .* per hour is 100000000000000 per second/);
    const bright = runCli(["inspect", manifestCopy("flux-bright", (m) => (beamOf(m)["flux_per_s"] = 5e14))]);
    expect(bright.status).toBe(0);
    expect(bright.stderr).toMatch(/^strata: warning: beam\.flux_per_s: flux 500000000000000 photons\/s is outside the usual/m);
  });
});

describe("stack, Q and times", () => {
  it("roughness above both neighbouring layers' thicknesses warns; 5000 Å is refused", () => {
    const stack = (roughness: number): unknown => ({
      probe: "xray",
      energy_keV: 8.048,
      layers: [{ sld: 0 }, { sld: 10, thickness: 20, roughness: 3 }, { sld: 15, thickness: 30, roughness }, { sld: 20.07, isld: 0.457, roughness: 3 }],
      q: [0.01, 0.05],
    });
    const washed = runCli(["reflect", write("washed.json", stack(40))]);
    expect(washed.status).toBe(0);
    expect(washed.stderr).toMatch(/^strata: warning: layers\[2\]\.roughness: roughness 40 Å exceeds the thickness of both neighbouring layers \(20 and 30 Å\)/m);
    const rough = runCli(["reflect", write("rough.json", stack(5000))]);
    expect(rough.status).toBe(2);
    expect(rough.stderr).toMatch(oneLine);
    expect(rough.stderr).toMatch(/^strata: layers\[2\]\.roughness: roughness 5000 Å is above 1000 Å/);
  });

  it("MODEL.json q up to 5 (nm⁻¹ typed for Å⁻¹): exit 2 naming q[i]", () => {
    const m = { ...(model(2.635) as Record<string, unknown>), q: [0.1, 1, 5] };
    const r = runCli(["reflect", write("q-nm.json", m)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: q\[2\]: Q 5 Å⁻¹ is beyond any specular reflectometry .*Q in nm⁻¹\? 5 nm⁻¹ is 0\.5 Å⁻¹/);
  });

  it("a scan decades away from t0 (a typo in the year) is refused; a scan's end before its start too", () => {
    const decade = runCli(["inspect", manifestCopy("year", (m) => Object.assign(scansOf(m)[3], { start: "2062-03-01T11:40:00Z", end: "2062-03-01T11:45:00Z" }))]);
    expect(decade.status).toBe(2);
    expect(decade.stderr).toMatch(oneLine);
    expect(decade.stderr).toMatch(/^strata: scans\[3\]\.start: is 36\.0 years from t0 \(2026-03-01T10:00:00Z\); .*a typo in the year/);
    const backwards = runCli(["inspect", manifestCopy("backwards", (m) => (scansOf(m)[3]["end"] = "2026-03-01T09:00:00Z"))]);
    expect(backwards.status).toBe(2);
    expect(backwards.stderr).toMatch(/^strata: scans\[3\]\.end: must be after scans\[3\]\.start/);
  });

  it("scenario scans.exposure_s -300 is refused", () => {
    const scenario = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "scenario.json"), "utf8")) as { scans: Record<string, number> };
    scenario.scans["exposure_s"] = -300;
    const r = runCli(["simulate", write("negative-exposure.json", scenario), "--out", path.join(tmp, "sim-negative")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^strata: scans\.exposure_s: an exposure must be > 0 s \(got -300\)\n$/);
  });
});

describe("ORSO data sets: selected by name or index, never fitted together by accident", () => {
  const twoDataSets = path.join(conformanceRoot, "ort", "test_example2.ort");
  const problem = (dataset?: unknown): Record<string, unknown> => ({
    models: { m: { probe: "neutron", layers: [{ sld: 0 }, { thickness: { value: 100, vary: true, min: 10, max: 500 }, sld: 4, roughness: 3 }, { sld: 2.07, roughness: 3 }] } },
    datasets: [{ file: twoDataSets, model: "m", ...(dataset === undefined ? {} : { dataset }) }],
  });

  it("a two-data-set .ort (spin up/down) without a selector (strata fit): exit 2 listing the names", () => {
    const r = runCli(["fit", write("two-sets.json", problem())]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toMatch(/^strata: datasets\[0\]\.dataset: is required: .*test_example2\.ort holds 2 ORSO data sets \('spin_up', 'spin_down'\); select one by name/);
  });

  it("a campaign scan on a two-data-set .ort (strata inspect): refused without dataset, read by data_set name", () => {
    // the scan's own file with a second data set appended (ORSO: a later '# data_set:' line starts one)
    const twoSets = (dir: string, dataset?: string): void => {
      const file = path.join(dir, "xrr", "A0001.ort");
      const text = fs.readFileSync(file, "utf8");
      const rows = text.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
      fs.writeFileSync(file, `${text.trimEnd()}\n# data_set: second\n${rows.join("\n")}\n`);
      const manifestFile = path.join(dir, "campaign.json");
      const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Record<string, unknown>;
      if (dataset !== undefined) scansOf(manifest)[0]["dataset"] = dataset;
      fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    };
    const bare = runCli(["inspect", campaignCopy("two-sets", (d) => twoSets(d))]);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(oneLine);
    expect(bare.stderr).toMatch(/^strata: scans\[0\]\.dataset: is required: xrr\/A0001\.ort holds 2 curves \('0', 'second'\); select one by name/);
    const named = runCli(["inspect", campaignCopy("two-sets-named", (d) => twoSets(d, "second")), "--json"]);
    expect(named.stderr).toBe("");
    expect(named.status).toBe(0);
  });

  it("selects by data_set name and by index; an unknown name suggests the nearest", () => {
    const file = path.join(tmp, "select.json");
    const byName = parseProblemFile(problem("spin_down"), file);
    const byIndex = parseProblemFile(problem(0), file);
    // spin_down holds 4 rows, spin_up 2 (the conformance file's own data)
    expect(byName.datasets[0].curves.map((c) => c.q.length)).toEqual([4]);
    expect(byIndex.datasets[0].curves.map((c) => c.q.length)).toEqual([2]);
    expect(() => parseProblemFile(problem("spin_dwon"), file)).toThrow(/datasets\[0\]\.dataset: names no data set of .*; did you mean 'spin_down'\? \(its data sets: 'spin_up', 'spin_down'\)/);
    expect(() => parseProblemFile(problem(2), file)).toThrow(/datasets\[0\]\.dataset: must be < 2 \(.* holds 2 ORSO data sets: 'spin_up', 'spin_down'\)/);
  });
});
