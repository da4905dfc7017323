/**
 * @module io/refnx
 * Import of a refnx model: the JSON export `refnx-structure/1` of a refnx
 * `ReflectModel` whose `Structure` is a list of `Slab`s, converted to Strata's
 * MODEL.json (for `strata reflect`) or PROBLEM.json (for `strata fit`).
 *
 * The export is written in Python by five lines (README "Examples and templates"):
 * ```python
 * import json, math
 * def p(x): b = (getattr(x.bounds, "lb", None), getattr(x.bounds, "ub", None)); return {"value": x.value, "vary": bool(x.vary), "bounds": [v if v is not None and math.isfinite(v) else None for v in b]}
 * slabs = [{"name": s.name, "thick": p(s.thick), "sld": p(s.sld.real), "isld": p(s.sld.imag), "rough": p(s.rough), "vfsolv": p(s.vfsolv)} for s in model.structure]
 * json.dump({"format": "refnx-structure/1", "slabs": slabs, "scale": p(model.scale), "bkg": p(model.bkg), "dq": float(model.dq.value)}, open("refnx.json", "w"), indent=1)
 * ```
 * giving
 * `{"format": "refnx-structure/1", "probe"?: "neutron"|"xray", "energy_keV"?, "wavelength_A"?,
 *   "slabs": [{"name", "thick": P, "sld": P, "isld": P, "rough": P, "vfsolv"?: P}, …],
 *   "scale": P, "bkg": P, "dq": percent}` with P = `{"value", "vary", "bounds": [lb|null, ub|null]}` or a number.
 *
 * Conventions are refnx's and Strata's alike: slabs fronting (beam side) → backing;
 * a slab's `rough` is the interface ABOVE it (with the previous slab), the fronting
 * medium's roughness and the semi-infinite media's thicknesses are ignored; SLD in
 * 10⁻⁶ Å⁻² with a positive imaginary part for absorption; thickness and roughness Å.
 * `dq` is refnx's constant resolution, the FWHM of dQ/Q in percent (0: none; refnx
 * itself skips smearing below 0.5 %). The import smears with that stated width as refnx's
 * pointwise scheme does (a Gaussian over ±3.5σ, not renormalised: Strata's default).
 * refnx's fast kernel for a constant dq (`reflect_model._smeared_kernel_constant`) is
 * narrower than stated: it steps a log10(Q) grid by the Gaussian's step in ln Q, so its
 * width is ln 10/(2√(2 ln 2)) = 0.978 of dq; curves from `ReflectModel.model(q)` without
 * x_err therefore differ from the imported model's by up to ~5 % at deep Kiessig minima
 * (refnx's own test accepts 1.1 % between its constant and pointwise schemes).
 *
 * Conversion: a varying refnx parameter becomes `{"value", "vary": true, "min", "max"}`
 * (an infinite bound is left out), a fixed one a number. A fixed solvent fraction
 * `vfsolv` φ is folded into the slab's SLD as refnx mixes it, (1 − φ)·ρ + φ·ρ_solvent
 * with the backing medium as solvent (refnx's default); a varying φ, or φ > 0 on a slab
 * whose SLD varies, is refused (Strata has no solvent mixing parameter yet). refnx
 * constraints (Python expressions) are not in the export; the import says so.
 */
import { ValidationError } from "../core/errors.ts";

/** The format string of the refnx export. */
export const REFNX_FORMAT = "refnx-structure/1";

/** refnx smears a constant resolution only from this dQ/Q (FWHM, %) up. */
export const REFNX_MIN_DQ_PERCENT = 0.5;

/** A MODEL.json document (plain JSON), as `strata reflect` reads it. */
export type ModelJson = Record<string, unknown>;

/** Result of {@link refnxToModel}. */
export interface RefnxImport {
  /** The MODEL.json value: parameters as specs, no `q`. */
  readonly model: ModelJson;
  /** The names of the varying parameters, `layer.quantity` (e.g. `SiO2.thickness`). */
  readonly varying: readonly string[];
  /** Things the user should know (a folded solvent fraction, constraints not exported). */
  readonly notes: readonly string[];
}

interface RefnxParameter {
  readonly value: number;
  readonly vary: boolean;
  readonly min: number | undefined;
  readonly max: number | undefined;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * Convert a refnx export to a Strata MODEL.json.
 *
 * @param json - the parsed `refnx-structure/1` document
 * @returns the model (a JSON value for `strata reflect`, or for a PROBLEM.json's `models`),
 *   the varying parameters and notes
 * @throws {ValidationError} naming the JSON path and value: wrong format, fewer than two
 *   slabs, a non-finite value, a value outside its bounds, a negative thickness or
 *   roughness, a varying solvent fraction
 * @example
 * ```ts
 * const { model } = refnxToModel(readJsonFile("refnx.json"));
 * // model.layers[1] → {"name": "SiO2", "thickness": 100, "sld": 3.47, "isld": 0, "roughness": 2}
 * ```
 */
export function refnxToModel(json: unknown): RefnxImport {
  if (!isRecord(json)) throw new ValidationError("refnx", "must be a JSON object (the refnx-structure/1 export)", json);
  if (json["format"] !== REFNX_FORMAT) throw new ValidationError("format", `must be "${REFNX_FORMAT}" (see the export snippet in the README)`, json["format"]);
  for (const key of Object.keys(json)) {
    if (!["format", "name", "probe", "energy_keV", "wavelength_A", "slabs", "scale", "bkg", "dq"].includes(key)) throw new ValidationError(key, "unknown field of a refnx-structure/1 export", json[key]);
  }
  const probe = json["probe"] ?? "neutron";
  if (probe !== "neutron" && probe !== "xray") throw new ValidationError("probe", 'must be "neutron" or "xray"', probe);
  const slabs = json["slabs"];
  if (!Array.isArray(slabs) || slabs.length < 2) throw new ValidationError("slabs", "must list at least the fronting and backing media (refnx Structure, fronting first)", slabs);

  const notes: string[] = [];
  const varying: string[] = [];
  const parsed = slabs.map((slab: unknown, i: number) => {
    const at = `slabs[${i}]`;
    if (!isRecord(slab)) throw new ValidationError(at, "must be an object {name, thick, sld, isld, rough, vfsolv}", slab);
    for (const key of Object.keys(slab)) {
      if (!["name", "thick", "sld", "isld", "rough", "vfsolv"].includes(key)) throw new ValidationError(`${at}.${key}`, "unknown field of a slab", slab[key]);
    }
    const name = slab["name"] === undefined || slab["name"] === null || slab["name"] === "" ? `slab${i}` : slab["name"];
    if (typeof name !== "string") throw new ValidationError(`${at}.name`, "must be a string", name);
    const semiInfinite = i === 0 || i === slabs.length - 1;
    return {
      name,
      thick: semiInfinite ? undefined : parameter(slab["thick"], `${at}.thick`, { nonNegative: true }),
      sld: parameter(slab["sld"], `${at}.sld`, {}),
      isld: slab["isld"] === undefined ? fixed(0) : parameter(slab["isld"], `${at}.isld`, { nonNegative: true }),
      // refnx ignores the fronting medium's roughness (no interface above it)
      rough: i === 0 ? undefined : parameter(slab["rough"], `${at}.rough`, { nonNegative: true }),
      vfsolv: slab["vfsolv"] === undefined ? undefined : parameter(slab["vfsolv"], `${at}.vfsolv`, {}),
    };
  });
  const names = new Map<string, number>();
  parsed.forEach((slab, i) => {
    const n = names.get(slab.name) ?? 0;
    names.set(slab.name, n + 1);
    if (n > 0) slab.name = `${slab.name}_${i}`;
  });

  // refnx's default solvent: the backing medium (Structure.solvent None, structure not reversed)
  const solvent = parsed[parsed.length - 1].sld;
  const solventIsld = parsed[parsed.length - 1].isld;
  const layers = parsed.map((slab, i) => {
    const at = `slabs[${i}]`;
    const semiInfinite = i === 0 || i === parsed.length - 1;
    const layer: Record<string, unknown> = { name: slab.name };
    if (slab.thick) layer["thickness"] = spec(slab.thick, `${slab.name}.thickness`, varying);
    let sld = slab.sld;
    let isld = slab.isld;
    const fraction = slab.vfsolv;
    if (fraction && !semiInfinite && (fraction.vary || fraction.value !== 0)) {
      if (fraction.vary) throw new ValidationError(`${at}.vfsolv`, "a varying solvent fraction cannot be imported (Strata has no solvent-mixing parameter); fix it in refnx first", fraction.value);
      if (!(fraction.value >= 0 && fraction.value <= 1)) throw new ValidationError(`${at}.vfsolv`, "must be between 0 and 1", fraction.value);
      if (sld.vary || solvent.vary) throw new ValidationError(`${at}.vfsolv`, "a solvent fraction on a slab whose SLD (or the solvent's) varies cannot be imported; fix the SLDs or set vfsolv to 0", fraction.value);
      if (isld.vary || solventIsld.vary) throw new ValidationError(`${at}.vfsolv`, "a solvent fraction on a slab whose imaginary SLD (or the solvent's) varies cannot be imported; fix them or set vfsolv to 0", fraction.value);
      const mix = (own: number, solventValue: number): number => (1 - fraction.value) * own + fraction.value * solventValue;
      notes.push(`${at} (${slab.name}): solvent fraction ${fraction.value} folded into its SLD as refnx does: ${sld.value} → ${mix(sld.value, solvent.value)}, isld ${isld.value} → ${mix(isld.value, solventIsld.value)} (solvent: the backing medium)`);
      sld = fixed(mix(sld.value, solvent.value));
      isld = fixed(mix(isld.value, solventIsld.value));
    }
    layer["sld"] = spec(sld, `${slab.name}.sld`, varying);
    layer["isld"] = spec(isld, `${slab.name}.isld`, varying);
    if (slab.rough) layer["roughness"] = spec(slab.rough, `${slab.name}.roughness`, varying);
    return layer;
  });

  const model: ModelJson = {
    ...(typeof json["name"] === "string" ? { name: json["name"] } : {}),
    comment: `Imported from a refnx ${REFNX_FORMAT} export by strata import-refnx`,
    probe,
    ...(json["energy_keV"] !== undefined ? { energy_keV: finite(json["energy_keV"], "energy_keV") } : {}),
    ...(json["wavelength_A"] !== undefined ? { wavelength_A: finite(json["wavelength_A"], "wavelength_A") } : {}),
    layers,
    scale: json["scale"] === undefined ? 1 : spec(parameter(json["scale"], "scale", {}), "scale", varying),
    background: json["bkg"] === undefined ? 0 : spec(parameter(json["bkg"], "bkg", {}), "background", varying),
  };
  if (json["dq"] !== undefined) {
    const dq = finite(json["dq"], "dq");
    if (dq < 0) throw new ValidationError("dq", "must be ≥ 0 (refnx's dQ/Q FWHM in percent)", dq);
    if (dq >= 100) throw new ValidationError("dq", "is refnx's dQ/Q in percent and must be < 100", dq);
    // Strata's default Gaussian (±3.5σ, not renormalised) is refnx's pointwise one; see the module header
    if (dq > 0 && dq < REFNX_MIN_DQ_PERCENT) notes.push(`dq ${dq} % is below ${REFNX_MIN_DQ_PERCENT} %, where refnx does not smear: imported without resolution`);
    if (dq >= REFNX_MIN_DQ_PERCENT) model["resolution"] = { dqOverQ: dq / 100, measure: "fwhm" };
  }
  if (varying.length > 0) notes.push("refnx constraints (Python expressions) are not part of the export: add them as {\"expr\": …} in a PROBLEM.json if the refnx model had any");
  return { model, varying, notes };
}

const fixed = (value: number): RefnxParameter => ({ value, vary: false, min: undefined, max: undefined });

function finite(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new ValidationError(path, "must be a finite number", value);
  return value;
}

/** A refnx parameter: a number (fixed) or `{"value", "vary", "bounds": [lb, ub]}` (null = unbounded). */
function parameter(value: unknown, path: string, options: { nonNegative?: boolean }): RefnxParameter {
  if (value === undefined) throw new ValidationError(path, "is required (a number or {value, vary, bounds})");
  let result: RefnxParameter;
  if (typeof value === "number") result = { value: finite(value, path), vary: false, min: undefined, max: undefined };
  else {
    if (!isRecord(value)) throw new ValidationError(path, "must be a number or {value, vary, bounds}", value);
    for (const key of Object.keys(value)) if (!["value", "vary", "bounds"].includes(key)) throw new ValidationError(`${path}.${key}`, "unknown field of a parameter (value, vary, bounds)", value[key]);
    const v = finite(value["value"], `${path}.value`);
    const vary = value["vary"] ?? false;
    if (typeof vary !== "boolean") throw new ValidationError(`${path}.vary`, "must be true or false", vary);
    let min: number | undefined;
    let max: number | undefined;
    if (value["bounds"] !== undefined && value["bounds"] !== null) {
      const bounds = value["bounds"];
      if (!Array.isArray(bounds) || bounds.length !== 2) throw new ValidationError(`${path}.bounds`, "must be [lower, upper] (null for no bound)", bounds);
      min = bounds[0] === null ? undefined : finite(bounds[0], `${path}.bounds[0]`);
      max = bounds[1] === null ? undefined : finite(bounds[1], `${path}.bounds[1]`);
      if (min !== undefined && max !== undefined && !(min < max)) throw new ValidationError(`${path}.bounds`, "lower bound must be below the upper", bounds);
      if (vary && ((min !== undefined && v < min) || (max !== undefined && v > max))) throw new ValidationError(`${path}.value`, `is outside its bounds [${min ?? "-inf"}, ${max ?? "inf"}]`, v);
    }
    result = { value: v, vary, min, max };
  }
  if (options.nonNegative && result.value < 0) throw new ValidationError(path, "must be ≥ 0", result.value);
  if (options.nonNegative && result.vary && !(result.min !== undefined && result.min >= 0)) {
    // refnx lets a varying thickness or roughness be unbounded below; Strata needs min ≥ 0
    result = { ...result, min: 0 };
  }
  return result;
}

/** The Strata parameter spec of a refnx parameter; records the name of a varying one. */
function spec(p: RefnxParameter, name: string, varying: string[]): number | Record<string, unknown> {
  if (!p.vary) return p.value;
  varying.push(name);
  return { value: p.value, vary: true, ...(p.min !== undefined ? { min: p.min } : {}), ...(p.max !== undefined ? { max: p.max } : {}) };
}
