/**
 * @module materials
 * Scattering length densities of materials from their chemical composition:
 * formula parsing, molar mass, Henke X-ray f1/f2, X-ray and neutron SLD, and
 * X-ray photoabsorption for dose estimates. Reproduces periodictable 2.1.0.
 *
 * Layer: sits directly above `core` and imports nothing else. Physical tables are
 * read at run time from a data folder (option `dataDir`, else `STRATA_DATA_DIR`,
 * else the package's `data/`), once per folder.
 *
 * Units: SLD 10⁻⁶ Å⁻² (imaginary part ≥ 0 = absorption); density g/cm³;
 * X-ray energy keV; wavelength Å; molar mass g/mol; scattering lengths fm;
 * cross sections barn; attenuation coefficient Å⁻¹ / cm⁻¹.
 */
export { parseFormula, resolveFormula, formulaMass, elementSymbols } from "./formula.ts";
export type { Formula, FormulaAtom } from "./formula.ts";
export {
  xraySld,
  neutronSld,
  xrayF1F2,
  energyFromWavelength,
  wavelengthFromEnergy,
  linearAttenuationCoefficient,
  xrayAttenuationLength,
  THERMAL_NEUTRON_WAVELENGTH,
} from "./sld.ts";
export { checkDensity, MAX_DENSITY_G_CM3 } from "./density.ts";
export type { XraySld, NeutronSld, ScatteringFactors, AttenuationCoefficient, AttenuationLength } from "./sld.ts";
export { materialTables, resolveMaterialsOptions, interpolateLinear, MaterialTables } from "./tables.ts";
export type {
  MaterialsOptions,
  ResolvedMaterialsOptions,
  ElementRecord,
  XrayScatteringTable,
  NeutronRecord,
  LynnSeegerTable,
  NeutronScattering,
} from "./tables.ts";
