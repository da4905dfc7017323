/**
 * @module confounders/attenuation
 * X-ray attenuation of materials from their composition, for the dose ledger and
 * the operando-cell attenuation corrections: mass attenuation coefficient μ/ρ and
 * linear attenuation coefficient μ from Henke f2 via the project's element tables.
 *
 * Physics: per atom, the photoabsorption cross-section is σ_a = 2 r_e λ f2
 * (Henke et al. 1993); for a formula with nᵢ atoms of element i,
 * μ/ρ = N_A / M · Σ nᵢ σ_a,i and μ = ρ · μ/ρ.
 *
 * Approximations (stated wherever the numbers are printed):
 * - attenuation = photoabsorption only: Rayleigh and Compton scattering out of the
 *   beam (a few per cent of μ for light elements at 8–20 keV) are left out;
 * - energy absorption: μ_en/ρ ≈ μ_pe/ρ (the photoabsorption coefficient). The shared
 *   data has no μ_en table; photoabsorption deposits the photon energy locally when
 *   fluorescence escape is neglected (and Compton deposition is left out), so this
 *   slightly overestimates μ_en for heavy elements above their edges and
 *   underestimates it for the lightest ones at high energy.
 *
 * Units: energy keV; wavelength Å; density g/cm³; μ/ρ m²/kg; μ m⁻¹ and mm⁻¹;
 * molar mass g/mol; cross-section m².
 */
import { AVOGADRO_CONSTANT, ELECTRON_RADIUS, PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM } from "../core/constants.ts";
import { ValidationError } from "../core/errors.ts";
import { materialTables, resolveFormula, xrayF1F2 } from "../materials/index.ts";
import type { Formula, MaterialsOptions } from "../materials/index.ts";

/** The energy-absorption model used for the dose, as printed in the ledger. */
export const ENERGY_ABSORPTION_MODEL =
  "photoabsorption (Henke f2) used as the mass energy-absorption coefficient: μ_en/ρ ≈ μ_pe/ρ (fluorescence escape and Compton deposition neglected; no μ_en table is shipped)";

/** The attenuation model used along the beam path, as printed in the ledger. */
export const ATTENUATION_MODEL = "photoabsorption only (Henke f2): scattering out of the beam (a few % of μ for light elements at 8–20 keV) neglected";

/** X-ray attenuation of one material at one photon energy. */
export interface MaterialAttenuation {
  /** Mass attenuation coefficient μ/ρ (photoabsorption), m²/kg. */
  massAttenuation_m2_per_kg: number;
  /** Linear attenuation coefficient μ = ρ · μ/ρ, m⁻¹. */
  linearAttenuation_per_m: number;
  /** Same, mm⁻¹. */
  linearAttenuation_per_mm: number;
  /** Molar mass of one formula unit, g/mol. */
  molarMass_g_per_mol: number;
}

/**
 * Photoabsorption cross-section of one atom, σ_a = 2 r_e λ f2.
 * @param f2 - Henke f2 (electrons per atom)
 * @param wavelength_A - photon wavelength (Å)
 * @returns σ_a (m²)
 * @example
 * photoabsorptionCrossSection(1.29710, 0.71313); // Cu at 17.3861 keV, ≈ 5.21e-25 m²
 */
export function photoabsorptionCrossSection(f2: number, wavelength_A: number): number {
  return 2 * ELECTRON_RADIUS * wavelength_A * 1e-10 * f2;
}

/**
 * Mass attenuation coefficient from photoabsorption, μ/ρ = N_A / M · Σ nᵢ 2 r_e λ f2ᵢ.
 * @param formula - chemical formula (e.g. `"LiF"`) or parsed formula
 * @param energy_keV - photon energy (keV), inside the Henke tables (0.03–30 keV)
 * @param options - data folder override
 * @returns μ/ρ (m²/kg) and the molar mass (g/mol)
 * @throws {ValidationError} for an invalid formula or an energy outside an element's table
 * @see Henke, Gullikson & Davis, At. Data Nucl. Data Tables 54, 181 (1993)
 * @example
 * massAttenuationCoefficient("Si", 17.48).massAttenuation_m2_per_kg; // ≈ 0.60 m²/kg
 */
export function massAttenuationCoefficient(
  formula: string | Formula,
  energy_keV: number,
  options: MaterialsOptions = {},
): { massAttenuation_m2_per_kg: number; molarMass_g_per_mol: number } {
  if (!(Number.isFinite(energy_keV) && energy_keV > 0)) throw new ValidationError("energy_keV", "must be a finite number > 0", energy_keV);
  const atoms = resolveFormula(formula);
  const tables = materialTables(options);
  const wavelength_A = PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM / energy_keV;
  let molarMass = 0;
  let crossSection = 0;
  for (const atom of atoms) {
    molarMass += tables.atomMass(atom.symbol, atom.isotope) * atom.count;
    crossSection += atom.count * photoabsorptionCrossSection(xrayF1F2(atom.symbol, energy_keV, options).f2, wavelength_A);
  }
  if (!(molarMass > 0)) throw new ValidationError("formula", "has no atoms (all counts are zero)", formula);
  // N_A / (M in kg/mol) · Σ nᵢ σᵢ
  return { massAttenuation_m2_per_kg: (AVOGADRO_CONSTANT / (molarMass * 1e-3)) * crossSection, molarMass_g_per_mol: molarMass };
}

/**
 * Mass and linear attenuation coefficients of a material (photoabsorption).
 * @param formula - chemical formula or parsed formula
 * @param density_g_cm3 - mass density (g/cm³), > 0
 * @param energy_keV - photon energy (keV)
 * @param options - data folder override
 * @returns μ/ρ (m²/kg), μ (m⁻¹ and mm⁻¹), molar mass
 * @throws {ValidationError} as {@link massAttenuationCoefficient}, or for a density that is not > 0
 * @example
 * materialAttenuation("C3H4O3", 1.32, 17.48).linearAttenuation_per_mm; // ethylene carbonate, ≈ 0.08 mm⁻¹
 */
export function materialAttenuation(formula: string | Formula, density_g_cm3: number, energy_keV: number, options: MaterialsOptions = {}): MaterialAttenuation {
  if (!(Number.isFinite(density_g_cm3) && density_g_cm3 > 0)) throw new ValidationError("density", "must be a finite number > 0 (g/cm³)", density_g_cm3);
  const { massAttenuation_m2_per_kg, molarMass_g_per_mol } = massAttenuationCoefficient(formula, energy_keV, options);
  const linear = massAttenuation_m2_per_kg * density_g_cm3 * 1e3; // ρ in kg/m³
  return { massAttenuation_m2_per_kg, linearAttenuation_per_m: linear, linearAttenuation_per_mm: linear * 1e-3, molarMass_g_per_mol };
}
