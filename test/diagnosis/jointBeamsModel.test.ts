/**
 * One cell measured by X-rays and neutrons (issue 15 part 7): the model of a mixed
 * campaign, checked directly.
 *
 * Physics (outside reference): in a series whose scans use two beams, one composition
 * with one fitted density gives each scan the SLD of its own probe — periodictable's
 * X-ray SLD at 17.48 keV for the X-ray scan and its neutron SLD at 1.798 Å for the
 * neutron scan (shared/data/sld_reference.json, scaled linearly with the density), for
 * every layer; the manifest's resolveMaterialSld agrees at each of the manifest's beams.
 * Unit: the manifest's beams and a scan's beam (names, errors), the loaded campaign's
 * scans carry their beam into the diagnosis input (each beam its own scale and background),
 * the dose ledger costs a neutron scan no dose, and `strata inspect` lists the beams.
 */
import { readFileSync } from "node:fs";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SLD_REFERENCE_RTOL } from "../tolerances.ts";
import { sharedRoot } from "../paths.ts";
import type { ReflectivityData } from "../../src/io/reflectivityData.ts";
import { seriesObjective, seriesScales, type SeriesInput } from "../../src/diagnosis/seriesModel.ts";
import { manifestBeams, parseManifest, resolveMaterialSld, scanBeam } from "../../src/campaign/manifest.ts";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { cellInput } from "../../src/diagnosis/diagnose.ts";
import { doseLedger } from "../../src/confounders/dose.ts";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { inspectionText } from "../../src/cli/inspect.ts";
import { exampleManifest, set } from "../campaign/fixtures.ts";
import { jointScenario } from "./jointBeams.ts";

interface SldReference {
  formula: string;
  density_g_cm3: number;
  energy_keV: number | "neutron";
  wavelength_A: number;
  sld_real: number;
  sld_imag: number;
}

const references = JSON.parse(readFileSync(path.join(sharedRoot, "data", "sld_reference.json"), "utf8")) as SldReference[];
/** periodictable's SLD of `formula` at density `rho` (linear in density), X-ray at 17.48 keV or neutron at 1.798 Å. */
function referenceSld(formula: string, rho: number, probe: "xray" | "neutron"): { sld: number; isld: number } {
  const r = references.find((x) => x.formula === formula && (probe === "xray" ? x.energy_keV === 17.48 : x.energy_keV === "neutron"))!;
  return { sld: (r.sld_real * rho) / r.density_g_cm3, isld: (r.sld_imag * rho) / r.density_g_cm3 };
}

const relative = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe("a series measured by two beams (issue 15 part 7)", () => {
  const stack = [
    { name: "Si", role: "substrate", formula: "Si", density: 2.33, roughness_A: 3 },
    { name: "Cu", role: "electrode", formula: "Cu", density: 8.96, thickness_A: 500, roughness_A: 5 },
    { name: "SEI", role: "interphase", formula: "LiF", density: 2.635, thickness_A: 20, roughness_A: 4 },
    { name: "electrolyte", role: "electrolyte", formula: "C3H4O3", density: 1.32, roughness_A: 3 },
  ];
  const data = (k: number): ReflectivityData => {
    const q = Float64Array.from({ length: 40 + k }, (_, i) => 0.01 + (0.2 * i) / (39 + k));
    const r = q.map((x) => 1e-4 / (1 + (x / 0.03) ** 4));
    return { source: `s${k}`, q, r, dr: r.map((x) => 0.05 * x), dq: undefined, warnings: [] };
  };
  const input: SeriesInput = {
    cell: "A",
    probe: "xray",
    energy_keV: 17.48,
    stack,
    interphase: 2,
    scans: [
      { id: "x1", spot: "P1", time_s: 0, qred_C_per_cm2: 0, data: data(0) },
      { id: "n1", spot: "P1", time_s: 1800, qred_C_per_cm2: 0, data: data(1), beam: { name: "nr", probe: "neutron", wavelength_A: 1.798 } },
    ],
    thicknessPerCharge: 3000,
  };

  it("one density gives each scan its probe's SLD (periodictable, X-ray 17.48 keV and neutron 1.798 Å) for every layer", () => {
    const series = seriesObjective(input, { kind: "free" }, seriesScales(input, 30));
    // the neutron scans have their own scale and background; the layers are shared
    expect([...series.objective.names].sort()).toEqual(
      ["Cu_density", "Cu_roughness", "Cu_thickness", "background", "background_nr", "electrolyte_density", "electrolyte_roughness", "interphase_density", "interphase_roughness", "scale", "scale_nr", "thickness_0", "thickness_1"].sort(),
    );
    const theta = series.objective.initial();
    const setValue = (name: string, value: number): void => {
      theta[series.objective.names.indexOf(name)] = value;
    };
    const density = { SEI: 2.2, Cu: 8.5, electrolyte: 1.25 };
    setValue("interphase_density", density.SEI);
    setValue("Cu_density", density.Cu);
    setValue("electrolyte_density", density.electrolyte);
    const values = series.objective.valuesAt(theta);
    const rho = [2.33, density.Cu, density.SEI, density.electrolyte];
    (["xray", "neutron"] as const).forEach((probe, k) => {
      const model = series.models[k];
      const slabs = new Float64Array(model.rows * 4);
      model.bind(series.objective.space)(values, slabs, new Float64Array(model.scalarCount));
      stack.forEach((layer, j) => {
        const expected = referenceSld(layer.formula, rho[j], probe);
        expect(relative(slabs[j * 4 + 1], expected.sld), `${probe} scan, ${layer.name} SLD`).toBeLessThanOrEqual(SLD_REFERENCE_RTOL);
        // the fronting medium's absorption is ignored by the kernel
        if (j > 0 && expected.isld > 0) expect(relative(slabs[j * 4 + 2], expected.isld), `${probe} scan, ${layer.name} iSLD`).toBeLessThanOrEqual(SLD_REFERENCE_RTOL);
      });
    });
  });

  it("resolveMaterialSld at each of a manifest's beams: the reference SLDs of one composition", () => {
    const m = exampleManifest();
    set(m, "beam", { probe: "xray", energy_keV: 17.48 });
    set(m, "beams", { nr: { probe: "neutron", wavelength_A: 1.798 } });
    set(m, "scans[1].beam", "nr");
    const manifest = parseManifest(m, "campaign.json");
    expect(manifestBeams(manifest).map((b) => [b.name, b.beam.probe])).toEqual([
      [undefined, "xray"],
      ["nr", "neutron"],
    ]);
    expect(manifest.scans.map((s) => s.beam)).toEqual([undefined, "nr", ...manifest.scans.slice(2).map(() => undefined)]);
    for (const { beam } of manifestBeams(manifest)) {
      const got = resolveMaterialSld({ formula: "LiF", density: 2.635 }, beam);
      const expected = referenceSld("LiF", 2.635, beam.probe);
      expect(relative(got.sld, expected.sld), `${beam.probe} LiF SLD`).toBeLessThanOrEqual(SLD_REFERENCE_RTOL);
    }
    expect(scanBeam(manifest, "nr").beam.probe).toBe("neutron");
    expect(scanBeam(manifest, undefined).beam).toBe(manifest.beam);
    expect(() => scanBeam(manifest, "xr")).toThrow('beam: names no beam in "beams" ("nr") (got "xr")');
    set(m, "scans[1].beam", "neutrons");
    expect(() => parseManifest(m, "campaign.json")).toThrow(/^scans\[1\]\.beam: of scan "s0002" names no beam in "beams" \("nr"; leave it out for the campaign's beam\) \(got "neutrons"\)$/);
  });
});

describe("a simulated X-ray + neutron campaign, loaded", () => {
  it("carries each scan's beam into the diagnosis input, the ledger and strata inspect", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-joint-model-"));
    try {
      simulateCampaign(jointScenario(3, "joint"), dir);
      const manifestJson = JSON.parse(fs.readFileSync(path.join(dir, "campaign.json"), "utf8")) as { beams: Record<string, { probe: string }>; scans: { beam?: string }[] };
      expect(Object.keys(manifestJson.beams)).toEqual(["nr"]);
      expect(manifestJson.scans.slice(0, 4).map((s) => s.beam)).toEqual([undefined, "nr", undefined, "nr"]);
      const campaign = await loadCampaign(dir);
      const input = cellInput(campaign, campaign.cells[0], "xray", campaign.manifest.beam, { damage: "auto" });
      expect(input.series.scans.slice(0, 4).map((s) => s.beam?.name)).toEqual([undefined, "nr", undefined, "nr"]);
      expect(input.series.scans[1].beam?.probe).toBe("neutron");
      // X-ray scans: the campaign beam's dose; neutron scans none (fluence only)
      const ledger = doseLedger(campaign);
      const rows = new Map(ledger.rows.map((r) => [r.scan, r]));
      expect(rows.get(campaign.cells[0].scans[0].id)!.dose_Gy).toBeGreaterThan(0);
      expect(rows.get(campaign.cells[0].scans[1].id)!.dose_Gy).toBeUndefined();
      expect(rows.get(campaign.cells[0].scans[1].id)!.fluence_per_cm2).toBeGreaterThan(0);
      const text = inspectionText(campaign);
      expect(text).toContain("beams: nr neutron 4.75 Å");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
