/**
 * @module api/materials
 * SLD of a material from its formula and mass density. SLD and isld in 10⁻⁶ Å⁻² (isld ≥ 0
 * absorbs), density in g/cm³, energy in keV, wavelength in Å.
 */
import { ValidationError } from "../core/errors.ts";
import { checkDensity, energyFromWavelength, neutronSld, THERMAL_NEUTRON_WAVELENGTH, xraySld } from "../materials/index.ts";
import { checkWavelength, checkXrayEnergy } from "../materials/plausibility.ts";

export interface SldOptions {
  /** mass density (g/cm³) */
  density: number;
  /** "xray" (default) or "neutron" */
  probe?: "xray" | "neutron";
  /** X-ray photon energy (keV) */
  energy_keV?: number;
  /** wavelength (Å): X-rays instead of the energy, or neutrons (default 1.798 Å) */
  wavelength_A?: number;
}

/** The SLD of one material; `incoherent` (neutrons only) is the incoherent SLD. */
export interface SldResult {
  sld: number;
  isld: number;
  incoherent?: number;
  toJSON(): Record<string, number>;
}

/**
 * X-ray (Henke f1/f2) or neutron (Sears) SLD of a formula such as `LiF`, `Li2CO3`, `H[2]2O`.
 * @throws ValidationError naming the option when a value is missing, not positive, implausible (an
 *   energy in eV, a wavelength in nm: materials/plausibility), or both energy and wavelength are given
 */
export function sld(formula: string, options: SldOptions): SldResult {
  const { density, energy_keV: energy, wavelength_A: wavelength } = options;
  const positive = (value: number | undefined, name: string): void => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new ValidationError(name, "must be a positive number", value);
  };
  checkDensity(density, "density");
  positive(energy, "energy_keV");
  positive(wavelength, "wavelength_A");
  // unit slips (an energy in eV, a wavelength in nm) before the tables refuse them without a hint
  if (energy !== undefined) checkXrayEnergy(energy, "energy_keV");
  if (wavelength !== undefined) checkWavelength(wavelength, options.probe === "neutron" ? "neutron" : "xray", "wavelength_A");
  let values: Record<string, number>;
  if (options.probe === "neutron") {
    if (energy !== undefined) throw new ValidationError("energy_keV", "is for X-rays; neutrons take a wavelength", energy);
    const n = neutronSld(formula, density, wavelength ?? THERMAL_NEUTRON_WAVELENGTH);
    values = { sld: n.sld, isld: n.isld, incoherent: n.incoherent };
  } else {
    if (energy === undefined && wavelength === undefined) throw new ValidationError("energy_keV", "X-ray SLD needs an energy (keV) or a wavelength (Å); choose the neutron probe for neutrons");
    if (energy !== undefined && wavelength !== undefined) throw new ValidationError("energy_keV", "give an energy or a wavelength, not both", energy);
    const x = xraySld(formula, density, energy ?? energyFromWavelength(wavelength!));
    values = { sld: x.sld, isld: x.isld };
  }
  return { ...values, toJSON: () => ({ ...values }) } as SldResult;
}
