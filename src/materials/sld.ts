/**
 * @module materials/sld
 * X-ray and neutron scattering length densities (SLD) of a material from its
 * chemical formula and mass density, computed the way periodictable 2.1.0 does
 * (`xsf.xray_sld`, `nsf.neutron_sld`), from the tables of {@link materialTables}.
 *
 * Units: SLD 10⁻⁶ Å⁻²; density g/cm³; X-ray energy keV; wavelength Å; linear
 * attenuation coefficient Å⁻¹ and cm⁻¹; attenuation length Å and cm.
 *
 * Sign convention: the imaginary part `isld` is reported ≥ 0 and means absorption
 * (periodictable's and refnx's convention, n = 1 − δ − iβ for X-rays).
 *
 * Constants (core/constants; as in periodictable): N_A = 6.02214076e23 mol⁻¹,
 * r_e = 2.8179403205e-15 m (CODATA 2022), hc/e = 12.398419843320026 keV·Å.
 */
import { AVOGADRO_CONSTANT, ELECTRON_RADIUS, PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM } from "../core/constants.ts";
import { ValidationError } from "../core/errors.ts";
import { checkDensity } from "./density.ts";
import { resolveFormula, type Formula } from "./formula.ts";
import { accurateHypot, interpolateLinear, materialTables, type MaterialTables, type MaterialsOptions } from "./tables.ts";

/** Wavelength (Å) of 2200 m/s thermal neutrons, at which absorption cross sections are tabulated. */
export const THERMAL_NEUTRON_WAVELENGTH = 1.798;

/** Complex X-ray SLD (10⁻⁶ Å⁻²). */
export interface XraySld {
  /** Real part r_e N Σ nᵢ f1ᵢ. */
  sld: number;
  /** Imaginary part r_e N Σ nᵢ f2ᵢ, ≥ 0 (absorption). */
  isld: number;
}

/** Neutron SLDs (10⁻⁶ Å⁻²). */
export interface NeutronSld {
  /** Coherent real part. */
  sld: number;
  /** Absorption, |imaginary part| ≥ 0. */
  isld: number;
  /** Incoherent SLD, from σ_inc = max(σ̄_s − 4π|b̄|²/100, 0). */
  incoherent: number;
}

/** Henke atomic scattering factors (electrons per atom). */
export interface ScatteringFactors {
  f1: number;
  f2: number;
}

/** Linear attenuation coefficient μ in two units. */
export interface AttenuationCoefficient {
  /** μ (Å⁻¹). */
  perAngstrom: number;
  /** μ (cm⁻¹). */
  perCentimetre: number;
}

/** 1/e attenuation length 1/μ in two units. */
export interface AttenuationLength {
  /** 1/μ (Å). */
  angstrom: number;
  /** 1/μ (cm). */
  centimetre: number;
}

/** 4π/100: |b|² in fm² to a cross section in barn. */
const FOUR_PI_OVER_100 = (4 * Math.PI) / 100;

/**
 * X-ray photon energy from wavelength, E = hc/λ.
 * @param wavelength_A - wavelength (Å), finite and > 0
 * @returns energy (keV)
 * @throws {ValidationError} if the wavelength is not finite and positive
 * @example
 * energyFromWavelength(1.5405591256610374); // 8.048 keV (Cu Kα1)
 */
export function energyFromWavelength(wavelength_A: number): number {
  assertPositive("wavelength_A", wavelength_A);
  return PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM / wavelength_A;
}

/**
 * X-ray wavelength from photon energy, λ = hc/E.
 * @param energy_keV - energy (keV), finite and > 0
 * @returns wavelength (Å)
 * @throws {ValidationError} if the energy is not finite and positive
 * @example
 * wavelengthFromEnergy(17.48); // 0.70929 Å (Mo Kα)
 */
export function wavelengthFromEnergy(energy_keV: number): number {
  assertPositive("energy_keV", energy_keV);
  return PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM / energy_keV;
}

/**
 * Henke f1, f2 of an element at a photon energy: f1 linearly interpolated in E,
 * f2 interpolated linearly in (ln E, ln f2), both with numpy.interp's arithmetic.
 * @param symbol - element symbol (Z = 1–92), e.g. `"Co"`
 * @param energy_keV - photon energy (keV)
 * @param options - data folder override
 * @returns f1 and f2 (electrons per atom; f1 includes the relativistic correction)
 * @throws {ValidationError} if the energy is not finite and positive, lies outside the
 *   element's table, or f1 is not tabulated there (below ~30 eV); or the element has no table
 * @see B. L. Henke, E. M. Gullikson, J. C. Davis, At. Data Nucl. Data Tables 54, 181 (1993)
 * @example
 * xrayF1F2("Cu", 8.048); // { f1: 27.0253, f2: 0.60766 }
 */
export function xrayF1F2(symbol: string, energy_keV: number, options: MaterialsOptions = {}): ScatteringFactors {
  assertPositive("energy_keV", energy_keV);
  return scatteringFactors(materialTables(options), symbol, energy_keV);
}

/** {@link xrayF1F2} on already-resolved tables and an already-validated energy. */
function scatteringFactors(tables: MaterialTables, symbol: string, energy_keV: number): ScatteringFactors {
  const table = tables.xray(symbol);
  const energies = table.energy;
  const first = energies[0];
  const last = energies[energies.length - 1];
  if (energy_keV < first || energy_keV > last) {
    throw new ValidationError(
      "energy_keV",
      `${energy_keV} keV is outside the X-ray scattering factor table of ${symbol} (${first}–${last} keV)`,
      energy_keV,
    );
  }
  const f1 = interpolateLinear(energy_keV, energies, table.f1, Number.NaN, Number.NaN);
  const f2 = Math.exp(interpolateLinear(Math.log(energy_keV), table.logEnergy, table.logF2, Number.NaN, Number.NaN));
  if (!Number.isFinite(f1) || !Number.isFinite(f2)) {
    throw new ValidationError(
      "energy_keV",
      `X-ray scattering factors of ${symbol} are not tabulated at ${energy_keV} keV (f1 = ${f1}, f2 = ${f2}; Henke f1 starts near 0.03 keV)`,
      energy_keV,
    );
  }
  return { f1, f2 };
}

/**
 * X-ray SLD of a material: SLD = r_e N_f Σ nᵢ (f1ᵢ + i f2ᵢ), N_f = ρ N_A / M.
 * Isotopes use their own mass and their element's f1, f2.
 * @param formula - chemical formula, e.g. `"LiCoO2"`, or a parsed {@link Formula}
 * @param density_g_cm3 - mass density (g/cm³), finite, > 0 and ≤ 30 (see {@link checkDensity})
 * @param energy_keV - photon energy (keV); see {@link energyFromWavelength}
 * @param options - data folder override
 * @returns `{ sld, isld }` (10⁻⁶ Å⁻²), `isld` ≥ 0 = absorption
 * @throws {ValidationError} for an invalid formula, density or energy, or an energy
 *   outside the Henke table of any element (the message names the element)
 * @see periodictable `xsf.xray_sld`; shared/data/README.md "X-ray SLD"
 * @example
 * xraySld("Si", 2.33, 8.048); // { sld: 20.0706, isld: 0.45743 }
 */
export function xraySld(formula: string | Formula, density_g_cm3: number, energy_keV: number, options: MaterialsOptions = {}): XraySld {
  checkDensity(density_g_cm3, "density_g_cm3");
  assertPositive("energy_keV", energy_keV);
  const atoms = resolveFormula(formula);
  const tables = materialTables(options);
  let mass = 0;
  let sumF1 = 0;
  let sumF2 = 0;
  for (const atom of atoms) {
    mass += tables.atomMass(atom.symbol, atom.isotope) * atom.count;
    const { f1, f2 } = scatteringFactors(tables, atom.symbol, energy_keV);
    sumF1 += f1 * atom.count;
    sumF2 += f2 * atom.count;
  }
  assertHasMass(mass, formula);
  // Same grouping as periodictable, so results agree to rounding: (ρ/M · N_A · 1e-8) · Σf · r_e.
  const numberDensityFactor = (density_g_cm3 / mass) * AVOGADRO_CONSTANT * 1e-8;
  return { sld: numberDensityFactor * sumF1 * ELECTRON_RADIUS, isld: numberDensityFactor * sumF2 * ELECTRON_RADIUS };
}

/**
 * Neutron SLD of a material: coherent SLD = 10 N b̄ with b̄ = Σ nᵢ bᵢ / Σ nᵢ and N the
 * atom number density (Å⁻³), absorption from σ_abs by the 1/v law (so independent of
 * wavelength), except for the Lynn & Seeger rare-earth nuclides whose complex b is
 * interpolated at the given wavelength. Incoherent: σ_inc = max(σ̄_s − 4π|b̄|²/100, 0),
 * b_inc = √(100 σ_inc / 4π), SLD_inc = 10 N b_inc.
 * @param formula - chemical formula, e.g. `"D2O"`, or a parsed {@link Formula}
 * @param density_g_cm3 - mass density (g/cm³), finite, > 0 and ≤ 30 (see {@link checkDensity})
 * @param wavelength_A - neutron wavelength (Å), default 1.798 (2200 m/s)
 * @param options - data folder override
 * @returns `{ sld, isld, incoherent }` (10⁻⁶ Å⁻²), `isld` ≥ 0 = absorption
 * @throws {ValidationError} for an invalid formula, density or wavelength, or a nuclide without neutron data
 * @see periodictable `nsf.neutron_scattering`; V. F. Sears, Neutron News 3(3), 26 (1992)
 * @example
 * neutronSld("H2O", 1.0); // { sld: -0.5610, isld: 6.185e-5, incoherent: 21.18 }
 */
export function neutronSld(
  formula: string | Formula,
  density_g_cm3: number,
  wavelength_A: number = THERMAL_NEUTRON_WAVELENGTH,
  options: MaterialsOptions = {},
): NeutronSld {
  checkDensity(density_g_cm3, "density_g_cm3");
  assertPositive("wavelength_A", wavelength_A);
  const atoms = resolveFormula(formula);
  const tables = materialTables(options);
  let mass = 0;
  let atomCount = 0;
  let bReal = 0;
  let bImaginary = 0;
  let totalCrossSection = 0;
  for (const atom of atoms) {
    mass += tables.atomMass(atom.symbol, atom.isotope) * atom.count;
    atomCount += atom.count;
    const b = tables.neutronScattering(atom.symbol, atom.isotope, wavelength_A);
    bReal += atom.count * b.real;
    bImaginary += atom.count * b.imaginary;
    totalCrossSection += atom.count * b.totalScatteringCrossSection;
  }
  assertHasMass(mass, formula);
  bReal /= atomCount;
  bImaginary /= atomCount;
  totalCrossSection /= atomCount;
  // Grouping as in periodictable: cell volume (Å³ per formula unit), then atoms per Å³.
  const cellVolume = (mass / density_g_cm3 / AVOGADRO_CONSTANT) * 1e24;
  const numberDensity = atomCount / cellVolume;
  const coherentCrossSection = FOUR_PI_OVER_100 * accurateHypot(bReal, bImaginary) ** 2;
  const incoherentCrossSection = Math.max(totalCrossSection - coherentCrossSection, 0);
  const incoherentLength = Math.sqrt(incoherentCrossSection / FOUR_PI_OVER_100);
  return {
    sld: 10 * numberDensity * bReal,
    isld: Math.abs(10 * numberDensity * bImaginary),
    incoherent: numberDensity * incoherentLength * 10,
  };
}

/**
 * X-ray linear attenuation coefficient from photoabsorption, μ = 2 λ SLD_im
 * (= 4πβ/λ). This is the Henke photoabsorption part only: it leaves out Compton
 * and Rayleigh scattering, a few per cent of μ for light elements at 8–17 keV.
 * @param formula - chemical formula or parsed {@link Formula}
 * @param density_g_cm3 - mass density (g/cm³), finite, > 0 and ≤ 30 (see {@link checkDensity})
 * @param energy_keV - photon energy (keV)
 * @param options - data folder override
 * @returns μ in Å⁻¹ and in cm⁻¹ (1/e intensity attenuation per unit path length)
 * @throws {ValidationError} as {@link xraySld}
 * @example
 * linearAttenuationCoefficient("Si", 2.33, 8.048).perCentimetre; // ≈ 141 cm⁻¹
 */
export function linearAttenuationCoefficient(
  formula: string | Formula,
  density_g_cm3: number,
  energy_keV: number,
  options: MaterialsOptions = {},
): AttenuationCoefficient {
  const { isld } = xraySld(formula, density_g_cm3, energy_keV, options);
  const wavelength = PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM / energy_keV;
  const perAngstrom = 2 * wavelength * isld * 1e-6;
  return { perAngstrom, perCentimetre: perAngstrom * 1e8 };
}

/**
 * X-ray 1/e intensity attenuation length 1/μ (photoabsorption only, see
 * {@link linearAttenuationCoefficient}).
 * @param formula - chemical formula or parsed {@link Formula}
 * @param density_g_cm3 - mass density (g/cm³), finite, > 0 and ≤ 30 (see {@link checkDensity})
 * @param energy_keV - photon energy (keV)
 * @param options - data folder override
 * @returns 1/μ in Å and in cm (Infinity if the material does not absorb)
 * @throws {ValidationError} as {@link xraySld}
 * @example
 * xrayAttenuationLength("Si", 2.33, 8.048).centimetre; // ≈ 0.0071 cm = 71 µm
 */
export function xrayAttenuationLength(
  formula: string | Formula,
  density_g_cm3: number,
  energy_keV: number,
  options: MaterialsOptions = {},
): AttenuationLength {
  const mu = linearAttenuationCoefficient(formula, density_g_cm3, energy_keV, options);
  return { angstrom: 1 / mu.perAngstrom, centimetre: 1 / mu.perCentimetre };
}

function assertPositive(path: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(path, "must be a finite number > 0", value);
  }
}

function assertHasMass(mass: number, formula: string | Formula): void {
  if (!(mass > 0)) throw new ValidationError("formula", "has no atoms (all counts are zero)", formula);
}
