/**
 * @module materials/density
 * The plausibility guard on a mass density (g/cm³), shared by every place a density
 * enters: the SLD functions, MODEL.json material layers, manifest and scenario stacks.
 * No real material is denser than osmium (22.59 g/cm³), so a value above
 * {@link MAX_DENSITY_G_CM3} is a unit slip, most often kg/m³ typed for g/cm³.
 */
import { ValidationError } from "../core/errors.ts";

/** Largest accepted mass density (g/cm³): above every element and compound (osmium 22.59). */
export const MAX_DENSITY_G_CM3 = 30;

/**
 * Check a mass density in g/cm³: finite, > 0 and ≤ {@link MAX_DENSITY_G_CM3}.
 * @param value - the density as given
 * @param path - the field or flag named in the message
 * @throws {ValidationError} naming `path` and the value; above 30 the message suggests kg/m³
 * @example
 * checkDensity(2635, "density"); // throws "density: 2635 g/cm³ is denser than any material … kg/m³? …"
 */
export function checkDensity(value: unknown, path: string): asserts value is number {
  if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) throw new ValidationError(path, "must be a finite number > 0 (g/cm³)", value);
  if (value > MAX_DENSITY_G_CM3) {
    const perMille = Number((value / 1000).toPrecision(6));
    const slip = value >= 100 ? `g/cm³ expected — kg/m³? ${value} kg/m³ is ${perMille} g/cm³` : "g/cm³ expected";
    throw new ValidationError(path, `density ${value} is above ${MAX_DENSITY_G_CM3} g/cm³, denser than any material (osmium, the densest, is 22.6): ${slip}`);
  }
}
