/** μ/ρ from Henke f2 (σ_a = 2 r_e λ f2) against the materials module's μ = 2λ·SLD_im and periodictable's SLD reference. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../test/paths.ts";
import { MASS_ATTENUATION_RTOL, SLD_REFERENCE_RTOL } from "../../test/tolerances.ts";
import { linearAttenuationCoefficient } from "../materials/index.ts";
import { massAttenuationCoefficient, materialAttenuation, photoabsorptionCrossSection } from "./attenuation.ts";

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe("X-ray attenuation from composition", () => {
  it("μ (m⁻¹) = ρ·μ/ρ agrees with materials' μ = 2λ·SLD_im for several materials and energies", () => {
    for (const [formula, density] of [["Si", 2.33], ["LiF", 2.635], ["C3H4O3", 1.32], ["Cu", 8.96], ["C22H10N2O5", 1.42], ["LiCoO2", 5.05]] as const) {
      for (const energy of [8.048, 17.48, 25]) {
        const ours = materialAttenuation(formula, density, energy);
        const reference = linearAttenuationCoefficient(formula, density, energy).perCentimetre * 100; // cm⁻¹ → m⁻¹
        expect(rel(ours.linearAttenuation_per_m, reference)).toBeLessThan(MASS_ATTENUATION_RTOL);
        expect(rel(ours.linearAttenuation_per_mm * 1e3, ours.linearAttenuation_per_m)).toBeLessThan(MASS_ATTENUATION_RTOL);
      }
    }
  });

  it("matches periodictable's SLD_im (shared/data/sld_reference.json) through μ = 2λ·SLD_im", () => {
    const reference = JSON.parse(fs.readFileSync(path.join(repoRoot, "..", "shared", "data", "sld_reference.json"), "utf8")) as {
      formula: string;
      density_g_cm3: number;
      energy_keV: number | string;
      wavelength_A: number;
      sld_imag: number;
    }[];
    let checked = 0;
    for (const r of reference) {
      if (typeof r.energy_keV !== "number" || r.formula.includes("D")) continue;
      const mu_per_A = 2 * r.wavelength_A * r.sld_imag * 1e-6;
      const mu_per_m = mu_per_A * 1e10;
      expect(rel(materialAttenuation(r.formula, r.density_g_cm3, r.energy_keV).linearAttenuation_per_m, mu_per_m)).toBeLessThan(SLD_REFERENCE_RTOL);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  it("σ_a = 2 r_e λ f2 and μ/ρ = N_A/M Σ nσ for one element by hand (Cu, 17.3861 keV, f2 = 1.29710 from cu.nff)", () => {
    const lambda = 12.398419843320026 / 17.3861;
    const sigma = 2 * 2.8179403205e-15 * lambda * 1e-10 * 1.2971;
    expect(rel(photoabsorptionCrossSection(1.2971, lambda), sigma)).toBeLessThan(MASS_ATTENUATION_RTOL);
    // Cu standard atomic weight 63.546 g/mol (elements.tsv)
    const muRho = (6.02214076e23 / (63.546e-3)) * sigma;
    expect(rel(massAttenuationCoefficient("Cu", 17.3861).massAttenuation_m2_per_kg, muRho)).toBeLessThan(MASS_ATTENUATION_RTOL);
  });

  it("refuses an energy outside the Henke tables", () => {
    expect(() => massAttenuationCoefficient("Si", 40)).toThrow(/outside the X-ray scattering factor table of Si/);
  });
});
