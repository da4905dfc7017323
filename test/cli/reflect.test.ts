import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run.ts";
import { readOrsoCase, maxRelativeError } from "../conformance/orsoSuite.ts";
import { ORSO_FLOAT64_RTOL, ORSO_SMEARED_RTOL } from "../tolerances.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-cli-"));
const write = (name: string, value: unknown): string => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
};
/** MODEL.json for an ORSO case: rows [thickness, sld, isld, roughness]. */
const orsoModel = (slabs: Float64Array, extra: Record<string, unknown> = {}): Record<string, unknown> => {
  const layers = [];
  for (let i = 0; i < slabs.length; i += 4) layers.push({ thickness: slabs[i], sld: slabs[i + 1], isld: slabs[i + 2], roughness: slabs[i + 3] });
  return { probe: "neutron", layers, ...extra };
};

describe("strata reflect (spawned CLI)", () => {
  it("reproduces ORSO test6 (Si fronting, absorbing layer) through MODEL.json --json", () => {
    const c = readOrsoCase("test6");
    const file = write("test6.json", orsoModel(c.slabs, { q: Array.from(c.q) }));
    const result = runCli(["reflect", file, "--json"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as { q: number[]; reflectivity: number[] };
    expect(out.q.length).toBe(c.q.length);
    expect(maxRelativeError(Float64Array.from(out.reflectivity), c.reflectivity).max).toBeLessThanOrEqual(ORSO_FLOAT64_RTOL);
  });

  it("smears with the data's own dQ (sigma) and a --q file: ORSO test4", () => {
    const c = readOrsoCase("test4");
    const qFile = write("q.txt", Array.from(c.q).join("\n"));
    const file = write("test4.json", orsoModel(c.slabs, { resolution: { dq: Array.from(c.dq!), measure: "sigma" } }));
    const result = runCli(["reflect", file, "--q", qFile, "--json"]);
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as { reflectivity: number[] };
    expect(maxRelativeError(Float64Array.from(out.reflectivity), c.reflectivity).max).toBeLessThanOrEqual(ORSO_SMEARED_RTOL);
  });

  it("a material layer at an X-ray energy equals the same layer with its SLD written out", () => {
    const q = [0.01, 0.05, 0.1, 0.2];
    const withMaterial = write("mat.json", {
      probe: "xray",
      energy_keV: 8.048,
      q,
      layers: [{ sld: 0 }, { material: { formula: "LiF", density: 2.635 }, thickness: 100, roughness: 3 }, { sld: 20.0706, isld: 0.4574, roughness: 3 }],
    });
    const sld = JSON.parse(runCli(["sld", "LiF", "--density", "2.635", "--energy", "8.048", "--json"]).stdout) as { sld: number; isld: number };
    expect(Math.abs(sld.sld - 20.8189) / 20.8189).toBeLessThan(1e-5);
    const explicit = write("explicit.json", {
      probe: "xray",
      q,
      layers: [{ sld: 0 }, { sld: sld.sld, isld: sld.isld, thickness: 100, roughness: 3 }, { sld: 20.0706, isld: 0.4574, roughness: 3 }],
    });
    const a = JSON.parse(runCli(["reflect", withMaterial, "--json"]).stdout) as { reflectivity: number[] };
    const b = JSON.parse(runCli(["reflect", explicit, "--json"]).stdout) as { reflectivity: number[] };
    for (let i = 0; i < q.length; i++) expect(Math.abs(a.reflectivity[i] - b.reflectivity[i]) / b.reflectivity[i]).toBeLessThan(1e-12);
  });

  it("prints a two-column table without --json", () => {
    const file = write("plain.json", { probe: "neutron", q: [0.01, 0.02], layers: [{ sld: 0 }, { sld: 2.07 }] });
    const result = runCli(["reflect", file]);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^# Q/);
    expect(lines.length).toBe(3);
  });

  it.each([
    ["missing field", { probe: "neutron", layers: [{ sld: 0 }, { sld: 3 }, { sld: 2 }] }, /layers\[1\]\.thickness/],
    ["negative thickness", { probe: "neutron", layers: [{ sld: 0 }, { thickness: -5, sld: 3 }, { sld: 2 }] }, /layers\[1\]\.thickness.*-5/],
    ["NaN given as text", { probe: "neutron", layers: [{ sld: 0 }, { thickness: "NaN", sld: 3 }, { sld: 2 }] }, /layers\[1\]\.thickness.*"NaN"/],
    ["unknown element", { probe: "xray", energy_keV: 8, layers: [{ sld: 0 }, { thickness: 5, material: { formula: "Xx2O", density: 1 } }, { sld: 2 }] }, /layers\[1\]\.material\.formula.*Xx/],
    ["energy outside the tables", { probe: "xray", energy_keV: 100, layers: [{ sld: 0 }, { thickness: 5, material: { formula: "LiF", density: 2 } }, { sld: 2 }] }, /energy_keV.*100/],
    ["unknown probe", { probe: "muon", layers: [{ sld: 0 }, { sld: 2 }] }, /probe.*muon/],
    ["resolution without measure", { probe: "neutron", resolution: { dqOverQ: 0.05 }, layers: [{ sld: 0 }, { sld: 2 }] }, /resolution\.measure/],
  ])("bad input (%s): one line naming the field, exit code 2, no stack trace", (_name, model, pattern) => {
    const result = runCli(["reflect", write("bad.json", model)]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a literal NaN in the file is a JSON error naming the file", () => {
    const result = runCli(["reflect", write("nan.json", '{"probe": "neutron", "layers": [{"sld": NaN}, {"sld": 2}]}')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/nan\.json.*JSON/);
  });
});

describe("strata sld and strata profile (spawned CLI)", () => {
  it("sld --neutron matches the periodictable reference for D2O", () => {
    const result = runCli(["sld", "D2O", "--density", "1.107", "--neutron", "--json"]);
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as { sld: number; isld: number };
    expect(Math.abs(out.sld - 6.3712) / 6.3712).toBeLessThan(1e-4);
    expect(out.isld).toBeGreaterThanOrEqual(0);
  });

  it("sld without an energy for X-rays is a usage error naming --energy", () => {
    const result = runCli(["sld", "LiF", "--density", "2.6"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--energy/);
  });

  it("profile --json runs from the fronting SLD to the backing SLD", () => {
    const file = write("profile.json", { probe: "neutron", layers: [{ sld: 2.07 }, { thickness: 100, sld: 4.0, roughness: 3 }, { sld: 6.36, roughness: 4 }] });
    const result = runCli(["profile", file, "--json"]);
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as { z: number[]; sld: number[] };
    expect(out.sld[0]).toBeCloseTo(2.07, 4);
    expect(out.sld[out.sld.length - 1]).toBeCloseTo(6.36, 4);
    const middle = out.sld[out.z.findIndex((z) => z >= 50)];
    expect(middle).toBeCloseTo(4.0, 4);
  });

  it("--help of every command exits 0 and describes units", () => {
    for (const command of ["reflect", "sld", "profile", "demo"]) {
      const result = runCli([command, "--help"]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/Usage: strata/);
    }
  });
});
