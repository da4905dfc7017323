/**
 * @module api/reflectivity
 * Specular reflectivity and SLD depth profiles of a slab model given as MODEL.json (see the
 * README): layers fronting → backing, thickness and roughness in Å, SLD in 10⁻⁶ Å⁻², Q in Å⁻¹.
 */
import { ValidationError } from "../core/errors.ts";
import { withUnknownKeyPolicy } from "../core/keys.ts";
import { profileDepths, sldProfile as profileOf } from "../kernels/reflectivity/profile.ts";
import { readJsonFile } from "../io/json.ts";
import { checkModelPlausibility, parseReflectModel, type ReflectModel } from "../models/reflectModel.ts";

export type { ReflectModel };

/** A MODEL.json document, its parsed form, or the path of its file. */
export type ModelInput = string | Record<string, unknown> | ReflectModel;

const isParsed = (model: ModelInput): model is ReflectModel => typeof model === "object" && typeof (model as { evaluate?: unknown }).evaluate === "function";

/**
 * Parse a MODEL.json document (or read it from a file).
 * @param options - `lenient`: unknown keys are warnings passed to `warn` instead of errors (`strata --lenient`)
 * @throws ValidationError naming the field
 */
export function reflectModel(model: ModelInput, options: { lenient?: boolean; warn?: (message: string) => void } = {}): ReflectModel {
  if (isParsed(model)) return model;
  const json = typeof model === "string" ? readJsonFile(model) : model;
  return withUnknownKeyPolicy(options, () => {
    // unit slips first: an energy in eV would otherwise fail in the material tables with no hint
    checkModelPlausibility(json, "");
    return parseReflectModel(json, "", new Map());
  });
}

/** R(Q) of a model; `toJSON()` is `strata reflect --json`. */
export interface ReflectivityCurve {
  q: Float64Array;
  reflectivity: Float64Array;
  toJSON(): { q: number[]; reflectivity: number[] };
}

/**
 * The model's reflectivity — plain, resolution-smeared or geometry-corrected as the model
 * declares, with its scale and background — on `q`, or on the model's own Q grid.
 * @throws ValidationError when neither gives Q
 */
export function reflectivity(model: ModelInput, q?: ArrayLike<number>): ReflectivityCurve {
  const parsed = reflectModel(model);
  const grid = q !== undefined ? Float64Array.from(q) : parsed.q;
  if (!grid) throw new ValidationError("q", "the model gives no Q values: pass them");
  const r = parsed.evaluate(grid);
  return { q: grid, reflectivity: r, toJSON: () => ({ q: Array.from(grid), reflectivity: Array.from(r) }) };
}

/** ρ(z) of a model; `toJSON()` is `strata profile --json`. */
export interface SldProfile {
  z: Float64Array;
  sld: Float64Array;
  isld: Float64Array;
  toJSON(): { z: number[]; sld: number[]; isld: number[] };
}

/** The SLD depth profile with error-function interfaces, z in Å from the first interface into the stack. */
export function sldProfile(model: ModelInput, points = 501): SldProfile {
  if (!(Number.isInteger(points) && points >= 2)) throw new ValidationError("points", "must be an integer ≥ 2", points);
  const slabs = reflectModel(model).currentSlabs();
  const z = profileDepths(slabs, points);
  const { sld, isld } = profileOf(slabs, z);
  return { z, sld, isld, toJSON: () => ({ z: Array.from(z), sld: Array.from(sld), isld: Array.from(isld) }) };
}
