/**
 * `strata import-refnx`: a refnx model exported by the README's five-line snippet, imported
 * and evaluated by Strata, against curves computed by refnx itself (test/examples/refnx/,
 * provenance in SOURCE.md): refnx's own test files theoretical.txt (unsmeared) and
 * smeared_theoretical.txt (pointwise, 13 nodes), and refnx's curves of a five-slab SEI
 * model with absorption and a solvent fraction, unsmeared and smeared pointwise by 5 %.
 * Units: Q Å⁻¹, SLD 10⁻⁶ Å⁻², thickness and roughness Å.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { reflectivity } from "../../src/api/reflectivity.ts";
import { readJsonFile } from "../../src/io/json.ts";
import { refnxToModel } from "../../src/io/refnx.ts";
import { repoRoot } from "../paths.ts";
import { runCli } from "../cli/run.ts";
import { INDEPENDENT_KERNEL_RTOL } from "../tolerances.ts";
import { REFNX_GRID_SMEAR_RTOL, REFNX_POINTWISE_SMEAR_RTOL } from "./tolerances.ts";

const dir = path.join(repoRoot, "test", "examples", "refnx");

/** Columns of a whitespace-separated numeric table (lines starting with # skipped). */
function columns(file: string): number[][] {
  const rows = fs
    .readFileSync(path.join(dir, file), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.trim().split(/\s+/).map(Number));
  return rows[0].map((_, j) => rows.map((row) => row[j]));
}

function worstRelative(actual: ArrayLike<number>, expected: readonly number[]): number {
  let worst = 0;
  expected.forEach((e, i) => (worst = Math.max(worst, Math.abs(actual[i] - e) / Math.abs(e))));
  return worst;
}

describe("refnx export → Strata model", () => {
  it("keeps refnx's slab order and conventions: fronting first, roughness of the interface above, SLD 10⁻⁶ Å⁻²", () => {
    const { model, varying } = refnxToModel(readJsonFile(path.join(dir, "theoretical.refnx.json")));
    expect(model["layers"]).toEqual([
      { name: "air", sld: 0, isld: 0 },
      { name: "SiO2", thickness: 100, sld: 3.47, isld: 0, roughness: 2 },
      { name: "Si", sld: 2.07, isld: 0, roughness: 3 },
    ]);
    expect(model["resolution"]).toBeUndefined(); // dq 0
    expect(varying).toEqual([]);
  });

  it("matches refnx's theoretical.txt (no resolution) to the independent-kernel tolerance", () => {
    const [q, r] = columns("theoretical.txt");
    const { model } = refnxToModel(readJsonFile(path.join(dir, "theoretical.refnx.json")));
    const curve = reflectivity(model, q);
    expect(q.length).toBe(500);
    expect(worstRelative(curve.reflectivity, r)).toBeLessThanOrEqual(INDEPENDENT_KERNEL_RTOL);
  });

  it("matches refnx's smeared_theoretical.txt with its pointwise dQ (FWHM) and 13 Gauss–Legendre nodes", () => {
    const [q, r, dq] = columns("smeared_theoretical.txt");
    const { model } = refnxToModel(readJsonFile(path.join(dir, "theoretical.refnx.json")));
    const curve = reflectivity({ ...model, resolution: { dq, measure: "fwhm", method: "pointwise", nodes: 13 } }, q);
    expect(worstRelative(curve.reflectivity, r)).toBeLessThanOrEqual(REFNX_POINTWISE_SMEAR_RTOL);
  });

  it("imports an SEI model (absorption, 20 % solvent folded in as refnx mixes it, bounds, scale, bkg) and matches refnx's curve, plain and 5 % smeared", () => {
    const [q, , plain, pointwise] = columns("sei.refnx.txt");
    const imported = refnxToModel(readJsonFile(path.join(dir, "sei.refnx.json")));
    const layers = imported.model["layers"] as Record<string, unknown>[];
    expect(imported.varying).toEqual(["SiO2.sld", "Cu.thickness", "Cu.roughness", "SEI.thickness", "scale"]);
    expect(layers[2]["thickness"]).toEqual({ value: 500, vary: true, min: 400, max: 600 });
    expect(layers[3]["sld"]).toBeCloseTo(0.8 * 3.2 + 0.2 * 5.8, 14);
    expect(layers[3]["isld"]).toBeCloseTo(0.8 * 0.01 + 0.2 * 0.001, 14);
    expect(imported.notes.some((n) => n.includes("solvent fraction 0.2"))).toBe(true);
    const { resolution, ...unsmeared } = imported.model;
    expect(resolution).toEqual({ dqOverQ: 0.05, measure: "fwhm" });
    expect(worstRelative(reflectivity(unsmeared, q).reflectivity, plain)).toBeLessThanOrEqual(INDEPENDENT_KERNEL_RTOL);
    // the imported model's default (grid) smearing against refnx's pointwise smearing of the same 5 %
    expect(worstRelative(reflectivity(imported.model, q).reflectivity, pointwise)).toBeLessThanOrEqual(REFNX_GRID_SMEAR_RTOL);
    // and the very quadrature refnx used (101 Gauss–Legendre nodes over ±3.5σ)
    const samePoints = reflectivity({ ...imported.model, resolution: { dqOverQ: 0.05, measure: "fwhm", method: "pointwise", nodes: 101 } }, q);
    expect(worstRelative(samePoints.reflectivity, pointwise)).toBeLessThanOrEqual(REFNX_POINTWISE_SMEAR_RTOL);
  });

  it("refuses what it cannot represent, naming the field", () => {
    const json = readJsonFile(path.join(dir, "sei.refnx.json")) as { slabs: { vfsolv: { vary: boolean } }[] };
    json.slabs[3].vfsolv.vary = true;
    expect(() => refnxToModel(json)).toThrow(/^slabs\[3\]\.vfsolv: a varying solvent fraction cannot be imported/);
    expect(() => refnxToModel({ format: "refnx/9", slabs: [] })).toThrow('format: must be "refnx-structure/1"');
  });
});

describe("strata import-refnx (spawned CLI)", () => {
  it("writes a MODEL.json that strata reflect evaluates, and a PROBLEM.json with the data file; refuses to overwrite without --force", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "strata-refnx-"));
    try {
      const modelDir = path.join(out, "model");
      const modelFile = path.join(modelDir, "MODEL.json");
      const result = runCli(["import-refnx", path.join(dir, "sei.refnx.json"), "--out", modelDir]);
      expect(result.stdout).toBe(`wrote ${modelFile} (5 varying: SiO2.sld, Cu.thickness, Cu.roughness, SEI.thickness, scale)\n`);
      expect(result.status).toBe(0);
      const reflect = runCli(["reflect", modelFile, "--json", "--q", path.join(dir, "sei.refnx.txt")]);
      expect(reflect.stderr).toBe("");
      const [q, , , pointwise] = columns("sei.refnx.txt");
      const curve = JSON.parse(reflect.stdout) as { q: number[]; reflectivity: number[] };
      expect(curve.q).toEqual(q);
      expect(worstRelative(curve.reflectivity, pointwise)).toBeLessThanOrEqual(REFNX_GRID_SMEAR_RTOL);

      const badFile = path.join(out, "bad.refnx.json");
      fs.writeFileSync(badFile, JSON.stringify({ format: "refnx-structure/1", slabs: [{ name: "air", sld: 0 }, { name: "Si", sld: 2.07, rough: -3 }] }));
      const bad = runCli(["import-refnx", badFile]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toBe(`strata: ${badFile}: slabs[1].rough: must be ≥ 0 (got -3)\n`);

      const again = runCli(["import-refnx", path.join(dir, "sei.refnx.json"), "--out", modelDir]);
      expect(again.status).toBe(2);
      expect(again.stderr).toMatch(/^strata: --out .*model: folder is not empty \(1 entry: MODEL\.json\); pass --force to write into it, or choose another folder\n$/);
      const json = runCli(["import-refnx", path.join(dir, "sei.refnx.json"), "--json"]);
      const printed = JSON.parse(json.stdout) as { varying: string[]; notes: string[]; document: { layers: unknown[] } };
      expect(printed.varying).toEqual(["SiO2.sld", "Cu.thickness", "Cu.roughness", "SEI.thickness", "scale"]);
      expect(printed.notes.some((n) => /solvent fraction 0.2 folded into its SLD/.test(n))).toBe(true);
      expect(printed.document.layers.length).toBe(5);

      const data = path.join(repoRoot, "examples", "sns-cu-thf-2025", "data", "REFL_218386_3_218388_partial.txt");
      const problemFile = path.join(out, "fit", "PROBLEM.json");
      const problem = runCli(["import-refnx", path.join(dir, "sei.refnx.json"), "--data", data, "--out", path.join(out, "fit")]);
      expect(problem.status).toBe(0);
      expect(problem.stderr).toContain("has a dQ column: the fit smears with it");
      const written = JSON.parse(fs.readFileSync(problemFile, "utf8")) as { datasets: { file: string }[]; models: { refnx: Record<string, unknown> } };
      expect(path.resolve(out, "fit", written.datasets[0].file)).toBe(data);
      expect(written.models.refnx["resolution"]).toBeUndefined();
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
