/**
 * @module models/reflectModel
 * The reflectivity model of `strata reflect` and `strata fit`: a slab stack whose
 * every number may be a parameter, plus probe, scale, background and resolution.
 * Validates the JSON contract (MODEL.json) and compiles it to a function that
 * fills a slab table from a fit space's values.
 *
 * Units: thickness and roughness Å; SLD 10⁻⁶ Å⁻² (isld ≥ 0 = absorption); density
 * g/cm³; energy keV; wavelength Å; Q and dQ Å⁻¹.
 *
 * MODEL.json:
 * `{"probe": "neutron"|"xray", "layers": [{"thickness", "sld", "isld", "roughness"} | {"material": {"formula", "density"}, …}],
 *   "scale": 1, "background": 0, "energy_keV" | "wavelength_A",
 *   "resolution": {"dqOverQ", "measure": "fwhm"|"sigma"} | {"dq": [...], "measure"} | {"method": "dataPoints"}, "q": [...],
 *   "geometry": {"angleOffset_deg", "fixedAngle_deg", "footprint": {"beamHeight_mm", "profile": "tophat"|"gaussian", "sampleLength_mm"},
 *                "heightOffset_mm", "detectorDistance_mm", "attenuation": {"grazing", "horizontal", "block"}, "incoherentBackground"}}`
 * Layers run fronting (beam side) → backing; the first and last are semi-infinite
 * (their thickness is ignored and may be omitted). A layer's roughness is that of
 * the interface above it.
 *
 * Geometry (optional; operando.md §2, issue 7 part 3): every number is a parameter
 * spec like the others. Measured at nominal Q the curve becomes
 * R_obs(Q) = scale·F(α′)·R_smeared(Q′) + background with α = asin(Qλ/4π) the
 * nominal angle, α′ = α + δ the angle at which the beam meets the sample for the
 * angle offset δ (`angleOffset_deg`, degrees, sample angle minus nominal),
 * Q′ = 4π/λ·sin α′, and F the fraction of the beam intercepted by a centred
 * sample of length L (`sampleLength_mm`): top-hat min(1, L sin α′/h), Gaussian
 * erf(L sin α′/(2√2σ)) with h (`beamHeight_mm`) the FWHM. Resolution widths stay
 * those of the nominal points; smearing is evaluated at Q′ (see
 * kernels/reflectivity/geometryReflectivity). A sample-height offset Δz
 * (`heightOffset_mm`) read by a detector at `detectorDistance_mm` adds the angle
 * error ½ atan(2Δz cos α/D) to α′ and moves the footprint's centre by Δz/tan α′. The
 * entry path multiplies by T(α′) = exp(−2A_g/sin α′ − A_h − A_b/cos α′) with the
 * dimensionless sums `attenuation.grazing` (Σμt of windows and electrolyte film,
 * one pass at normal incidence), `.horizontal` (Σμ·L of a fixed path, in and out)
 * and `.block` (μ·L of a substrate block); `incoherentBackground` adds
 * b·sin 1°/sin α′ (an electrolyte film's incoherent scattering, b its level at
 * 1°). Every angle-dependent term is taken at α′ (issue 13). Every part may be omitted; `profile` defaults to "tophat". Needs the
 * wavelength (X-ray: energy_keV or wavelength_A).
 * Without the block the model is evaluated exactly as before (no geometry code runs).
 *
 * Resolution `"method": "dataPoints"` smears on the measured points themselves, refl1d's
 * scheme (kernels/reflectivity/dataPointSmear), with the widths of `dq`/`dqOverQ` or,
 * when neither is given, of the data file. With it the geometry block may hold only
 * `angleOffset_deg` and `fixedAngle_deg`, the fixed angle θ (degrees) of a time-of-flight
 * measurement: the offset then moves every point to Q′ = Q·sin(θ + δ)/sin θ (refl1d's
 * `theta_offset`), not to the monochromatic α = asin(Qλ/4π) + δ.
 *
 * Evaluation (refnx's `ReflectModel.model()`): {@link ReflectModel.evaluate} gives the
 * curve at the parameters' current values, plain, smeared or geometry-corrected as the
 * model says, with scale and background; {@link ReflectModel.evaluator} plans the curve
 * once for fixed Q points (a fit's dataset) and can be bound to a fit space. Both go
 * through models/reflectivityEvaluator, the one place that chooses the kernel.
 */
import { ValidationError, formatValue } from "../core/errors.ts";
import { checkKnownKeys } from "../core/keys.ts";
import { checkRequestedQ, checkRoughnesses, checkWavelength, checkXrayEnergy } from "../materials/plausibility.ts";
import { SLAB_COLUMNS } from "../kernels/reflectivity/abeles.ts";
import { FWHM_TO_SIGMA, type SmearOptions } from "../kernels/reflectivity/smear.ts";
import { DEFAULT_OFFSET_RANGE, GEOMETRY_SCALAR, GEOMETRY_SCALAR_COUNT } from "../kernels/reflectivity/geometryReflectivity.ts";
import { checkDensity, neutronSld, xraySld, energyFromWavelength, THERMAL_NEUTRON_WAVELENGTH } from "../materials/index.ts";
import { Parameter, resolveSpec, type FitSpace } from "../params/index.ts";
import { reflectivityEvaluator, type ReflectivityPlan } from "./reflectivityEvaluator.ts";

export type Probe = "neutron" | "xray";

/** One layer of the model, every number a Parameter. */
export interface LayerModel {
  readonly name: string;
  readonly thickness: Parameter;
  readonly roughness: Parameter;
  /** Explicit SLDs, or a material whose SLD follows from composition and density. */
  readonly sld: Parameter | undefined;
  readonly isld: Parameter | undefined;
  readonly material: { formula: string; density: Parameter; sldPerDensity: number; isldPerDensity: number } | undefined;
}

export interface ResolutionModel {
  /** 1-σ width per Q point (Å⁻¹), given Q (throws when the widths come from the data). */
  sigmaFor(q: Float64Array): Float64Array;
  readonly options: SmearOptions;
  /** Smear on the measured points (refl1d's scheme) rather than the fine grid. */
  readonly dataPoints?: boolean;
  /** The widths are the data file's (`{"method": "dataPoints"}` alone). */
  readonly fromData?: boolean;
}

/** The optional geometry block: angle and height offsets (Q shift), footprint factor, entry-path attenuation, incoherent background. */
export interface GeometryModel {
  /** Sample angle offset δ (degrees); undefined when not modelled. */
  readonly angleOffset_deg: Parameter | undefined;
  /** Over-illumination factor; undefined when not modelled. */
  readonly footprint: { readonly beamHeight_mm: Parameter; readonly sampleLength_mm: Parameter; readonly profile: "tophat" | "gaussian" } | undefined;
  /** Sample-height offset Δz (mm) read by a detector at `detectorDistance_mm`; undefined when not modelled. */
  readonly heightOffset: { readonly heightOffset_mm: Parameter; readonly detectorDistance_mm: number } | undefined;
  /** Entry-path attenuation sums (dimensionless μ·t): grazing (windows and film, per pass), horizontal (whole path), block (μL of a substrate block); undefined when not modelled. */
  readonly attenuation: { readonly grazing: Parameter; readonly horizontal: Parameter; readonly block: Parameter } | undefined;
  /** Incoherent background of the electrolyte film at α = 1° (reflectivity units, ∝ 1/sin α); undefined when not modelled. */
  readonly incoherentBackground: Parameter | undefined;
  /** Fixed angle θ (degrees) of a time-of-flight measurement (data-point smearing); undefined: monochromatic. */
  readonly fixedAngle_deg?: number;
}

/**
 * Scalars `bind` fills: scale, background, then (geometry models only) δ (rad), beam
 * height (mm), sample length (mm), height offset (mm), the attenuation sums A_g, A_h,
 * A_b and the incoherent background at 1°: the kernel's {@link GEOMETRY_SCALAR} layout.
 */
export const GEOMETRY_SCALARS = GEOMETRY_SCALAR_COUNT;

export interface ReflectModel {
  readonly probe: Probe;
  readonly energy_keV: number | undefined;
  readonly wavelength_A: number;
  readonly layers: readonly LayerModel[];
  readonly scale: Parameter;
  readonly background: Parameter;
  readonly resolution: ResolutionModel | undefined;
  readonly q: Float64Array | undefined;
  /** The geometry block, or undefined (then nothing geometric is evaluated). */
  readonly geometry: GeometryModel | undefined;
  /** Length of the `scalars` array `bind` fills: 2 (scale, background), or {@link GEOMETRY_SCALARS} with geometry. */
  readonly scalarCount: number;
  /** Every parameter the model reads (shared ones appear once). */
  parameters(): Parameter[];
  /** Rows of the slab table (layers.length). */
  readonly rows: number;
  /**
   * Compile against a fit space: the returned function fills `slabs` (rows × 4)
   * from a values array and returns scale and background through `scalars`
   * (with geometry also δ in rad, beam height and sample length in mm: `scalarCount` entries).
   */
  bind(space: FitSpace): (values: Float64Array, slabs: Float64Array, scalars: Float64Array) => void;
  /**
   * The slab table at the parameters' current values.
   * @param out - buffer of `rows × 4` entries to fill; allocated when omitted
   */
  currentSlabs(out?: Float64Array): Float64Array;
  /**
   * Reflectivity at `q` at the parameters' current values: plain, smeared by the model's
   * resolution, or through its geometry block; scale and background applied. The plan for
   * the last `q` array (by identity) is kept, so repeated calls with the same `q` and an
   * `out` buffer allocate nothing. A geometry plan covers the angle offset of its first
   * call (twice it); a larger one later rebuilds the auxiliary grid.
   * @param q - Q points (Å⁻¹)
   * @param out - output buffer (length ≥ q.length); allocated when omitted
   */
  evaluate(q: Float64Array, out?: Float64Array): Float64Array;
  /**
   * The curve planned once for fixed Q points (what a fit builds per dataset). A geometry
   * plan covers the angle offset's bounds (see {@link offsetRangeOf}).
   * @param q - Q points (Å⁻¹)
   * @param options - `sigma`: 1-σ resolution widths (Å⁻¹, one per Q point) used when the model has no resolution of its own (a data file's dQ)
   */
  evaluator(q: Float64Array, options?: { sigma?: Float64Array }): ReflectModelEvaluator;
}

/** A {@link ReflectModel}'s curve planned for fixed Q points; every `evaluate` with an `out` buffer is allocation-free. */
export interface ReflectModelEvaluator {
  readonly q: Float64Array;
  /** Whether the curve is resolution-smeared (by the model's resolution or the widths given). */
  readonly smeared: boolean;
  /** At the parameters' current values. */
  evaluate(out?: Float64Array): Float64Array;
  /**
   * From a slab table and scalars as `bind` fills them (scale, background, then — geometry
   * models only — the corrections in the kernel's GEOMETRY_SCALAR layout).
   */
  evaluateWith(slabs: Float64Array, scalars: ArrayLike<number>, out?: Float64Array): Float64Array;
  /**
   * Compiled against a fit space: the returned function fills the model from a values
   * array and writes the curve to `out` (length ≥ q.length), allocating nothing.
   */
  bind(space: FitSpace): (values: Float64Array, out: Float64Array) => Float64Array;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function requireRecord(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) throw new ValidationError(path, "must be an object", value);
  return value;
}

function finiteNumber(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new ValidationError(path, "must be a finite number", value);
  return value;
}

function numberArray(value: unknown, path: string): Float64Array {
  if (!Array.isArray(value)) throw new ValidationError(path, "must be an array of numbers", value);
  return Float64Array.from(value, (v, i) => finiteNumber(v, `${path}[${i}]`));
}

/** Unknown keys: an error with a "did you mean" suggestion, a warning under the lenient policy (core/keys). */
function checkKeys(record: Record<string, unknown>, allowed: readonly string[], path: string): void {
  checkKnownKeys(record, path, allowed);
}

/**
 * Plausibility of a MODEL.json written by a person (materials/plausibility): X-ray
 * energy or wavelength, neutron wavelength, roughness against 1000 Å and the
 * neighbouring layers' thicknesses, requested Q. Values given as numbers or as a
 * parameter's `value` are checked; references and expressions are not; anything not a
 * number is left to {@link parseReflectModel}. Run by the loaders of MODEL.json and
 * PROBLEM.json before parsing (an energy in eV would otherwise fail in the material
 * tables without a hint), not inside {@link parseReflectModel}, so that the models the
 * diagnosis builds from a checked manifest (one per scan) do not repeat its warnings.
 * @param spec - the MODEL.json value
 * @param path - its JSON path (`""` for a whole file)
 * @param warnings - where borderline values' warnings go besides the CLI's stderr
 * @throws {ValidationError} naming the field, the value and the likely unit slip
 */
export function checkModelPlausibility(spec: unknown, path = "", warnings?: string[]): void {
  if (!isRecord(spec)) return;
  const at = (field: string): string => (path === "" ? field : `${path}.${field}`);
  const given = (x: unknown): number | undefined => (typeof x === "number" ? x : isRecord(x) && typeof x["value"] === "number" && x["ref"] === undefined && x["expr"] === undefined ? x["value"] : undefined);
  const probe = spec["probe"] === "neutron" ? "neutron" : "xray";
  if (probe === "xray" && typeof spec["energy_keV"] === "number") checkXrayEnergy(spec["energy_keV"], at("energy_keV"), warnings);
  if (typeof spec["wavelength_A"] === "number") checkWavelength(spec["wavelength_A"], probe, at("wavelength_A"), warnings);
  const layers = Array.isArray(spec["layers"]) ? (spec["layers"] as unknown[]) : [];
  checkRoughnesses(
    layers.map((layer, i) => {
      const record = isRecord(layer) ? layer : {};
      return { thickness: i === 0 || i === layers.length - 1 ? undefined : given(record["thickness"]), roughness: given(record["roughness"]) };
    }),
    (i) => at(`layers[${i}].roughness`),
    warnings,
  );
  if (Array.isArray(spec["q"])) checkRequestedQ(spec["q"] as number[], at("q"));
}

/** A parameter that must never be negative (thickness, roughness, density). */
function nonNegativeParameter(spec: unknown, named: ReadonlyMap<string, Parameter>, path: string, what: string): Parameter {
  const parameter = resolveSpec(spec, named, path, path);
  if (!parameter.constrained) {
    if (parameter.value < 0) throw new ValidationError(path, `${what} must be ≥ 0`, parameter.value);
    if (parameter.vary && parameter.bounds.min < 0) {
      throw new ValidationError(`${path}.min`, `a varying ${what} needs min ≥ 0`, parameter.bounds.min);
    }
  }
  return parameter;
}

/**
 * Validate a MODEL.json value and build the model.
 * @param spec - parsed JSON
 * @param path - JSON path prefix for messages (e.g. `models.film` or `` for a whole file)
 * @param named - shared parameters that `{"ref": NAME}` may name
 * @throws ValidationError naming the JSON path and the offending value
 */
export function parseReflectModel(spec: unknown, path = "", named: ReadonlyMap<string, Parameter> = new Map()): ReflectModel {
  const at = (field: string): string => (path === "" ? field : `${path}.${field}`);
  const record = requireRecord(spec, path === "" ? "model" : path);
  checkKeys(record, ["probe", "layers", "scale", "background", "resolution", "q", "energy_keV", "wavelength_A", "geometry", "name", "comment"], path === "" ? "model" : path);
  const probe = record["probe"];
  if (probe !== "neutron" && probe !== "xray") throw new ValidationError(at("probe"), 'must be "neutron" or "xray"', probe);

  let energy_keV: number | undefined;
  let wavelength_A: number;
  if (record["energy_keV"] !== undefined && record["wavelength_A"] !== undefined && probe === "xray") {
    throw new ValidationError(at("energy_keV"), "give energy_keV or wavelength_A, not both");
  }
  if (probe === "xray") {
    if (record["energy_keV"] !== undefined) {
      energy_keV = finiteNumber(record["energy_keV"], at("energy_keV"));
      if (energy_keV <= 0) throw new ValidationError(at("energy_keV"), "must be > 0", energy_keV);
    } else if (record["wavelength_A"] !== undefined) {
      const wavelength = finiteNumber(record["wavelength_A"], at("wavelength_A"));
      if (wavelength <= 0) throw new ValidationError(at("wavelength_A"), "must be > 0", wavelength);
      energy_keV = energyFromWavelength(wavelength);
    }
    wavelength_A = energy_keV === undefined ? NaN : 12.398419843320026 / energy_keV;
  } else {
    wavelength_A = record["wavelength_A"] === undefined ? THERMAL_NEUTRON_WAVELENGTH : finiteNumber(record["wavelength_A"], at("wavelength_A"));
    if (!(wavelength_A > 0)) throw new ValidationError(at("wavelength_A"), "must be > 0", wavelength_A);
  }

  const layerSpecs = record["layers"];
  if (!Array.isArray(layerSpecs)) throw new ValidationError(at("layers"), "must be an array of layers (fronting first, backing last)", layerSpecs);
  if (layerSpecs.length < 2) throw new ValidationError(at("layers"), "needs at least a fronting and a backing medium", layerSpecs.length);
  const layers: LayerModel[] = layerSpecs.map((layerSpec: unknown, index: number) => {
    const lp = at(`layers[${index}]`);
    const layer = requireRecord(layerSpec, lp);
    checkKeys(layer, ["name", "thickness", "sld", "isld", "roughness", "material"], lp);
    const semiInfinite = index === 0 || index === layerSpecs.length - 1;
    if (layer["name"] !== undefined && typeof layer["name"] !== "string") throw new ValidationError(`${lp}.name`, "must be a string", layer["name"]);
    const name = typeof layer["name"] === "string" ? layer["name"] : index === 0 ? "fronting" : semiInfinite ? "backing" : `layer${index}`;
    if (layer["thickness"] === undefined && !semiInfinite) throw new ValidationError(`${lp}.thickness`, "is required for a finite layer (Å)");
    const thickness = semiInfinite && layer["thickness"] === undefined ? new Parameter(`${name}.thickness`, { value: 0 }) : nonNegativeParameter(layer["thickness"], named, `${lp}.thickness`, "thickness");
    const roughness = layer["roughness"] === undefined ? new Parameter(`${name}.roughness`, { value: 0 }) : nonNegativeParameter(layer["roughness"], named, `${lp}.roughness`, "roughness");
    if (layer["material"] !== undefined) {
      if (layer["sld"] !== undefined || layer["isld"] !== undefined) throw new ValidationError(`${lp}.material`, "give either material or sld/isld, not both");
      const material = requireRecord(layer["material"], `${lp}.material`);
      checkKeys(material, ["formula", "density"], `${lp}.material`);
      const formula = material["formula"];
      if (typeof formula !== "string" || formula.trim() === "") throw new ValidationError(`${lp}.material.formula`, "must be a chemical formula", formula);
      if (material["density"] === undefined) throw new ValidationError(`${lp}.material.density`, "is required (g/cm³)");
      const density = nonNegativeParameter(material["density"], named, `${lp}.material.density`, "density");
      if (!density.constrained) checkDensity(density.value, `${lp}.material.density`);
      let unit: { sld: number; isld: number };
      if (probe === "xray" && energy_keV === undefined) {
        throw new ValidationError(at("energy_keV"), `an X-ray model with a material layer (layers[${index}]) needs energy_keV or wavelength_A`);
      }
      try {
        if (probe === "xray") {
          unit = xraySld(formula, 1, energy_keV!);
        } else {
          unit = neutronSld(formula, 1, wavelength_A);
        }
      } catch (error) {
        // name the model's own JSON path: formula problems at the layer, energy problems at the model
        if (error instanceof ValidationError && (error.path === "formula" || error.path === "energy_keV")) {
          const where = error.path === "formula" ? `${lp}.material.formula` : at(record["energy_keV"] === undefined && probe === "xray" ? "wavelength_A" : "energy_keV");
          throw new ValidationError(where, error.message.slice(error.path.length + 2));
        }
        throw error;
      }
      return { name, thickness, roughness, sld: undefined, isld: undefined, material: { formula, density, sldPerDensity: unit.sld, isldPerDensity: unit.isld } };
    }
    if (layer["sld"] === undefined) throw new ValidationError(`${lp}.sld`, "is required (10⁻⁶ Å⁻²) unless a material is given");
    const sld = resolveSpec(layer["sld"], named, `${lp}.sld`, `${lp}.sld`);
    const isld = layer["isld"] === undefined ? new Parameter(`${name}.isld`, { value: 0 }) : resolveSpec(layer["isld"], named, `${lp}.isld`, `${lp}.isld`);
    if (!isld.constrained && isld.value < 0) throw new ValidationError(`${lp}.isld`, "absorption (isld) must be ≥ 0", isld.value);
    return { name, thickness, roughness, sld, isld, material: undefined };
  });

  const scale = record["scale"] === undefined ? new Parameter("scale", { value: 1 }) : resolveSpec(record["scale"], named, at("scale"), at("scale"));
  const background = record["background"] === undefined ? new Parameter("background", { value: 0 }) : resolveSpec(record["background"], named, at("background"), at("background"));
  const q = record["q"] === undefined ? undefined : numberArray(record["q"], at("q"));
  const resolution = record["resolution"] === undefined ? undefined : parseResolution(record["resolution"], at("resolution"), q);
  const geometry = record["geometry"] === undefined ? undefined : parseGeometry(record["geometry"], at("geometry"), named, wavelength_A, probe === "xray" ? at("energy_keV") : at("wavelength_A"));
  if (geometry?.fixedAngle_deg !== undefined) {
    if (!resolution?.dataPoints) throw new ValidationError(at("geometry.fixedAngle_deg"), 'a time-of-flight angle needs "resolution": {"method": "dataPoints"}', geometry.fixedAngle_deg);
    const extra = (["footprint", "heightOffset", "attenuation", "incoherentBackground"] as const).find((key) => geometry[key] !== undefined);
    if (extra) throw new ValidationError(at(`geometry.${extra}`), "is not modelled with fixedAngle_deg (only angleOffset_deg is)");
  }

  const parameters = (): Parameter[] => {
    const list: Parameter[] = [scale, background];
    for (const layer of layers) {
      list.push(layer.thickness, layer.roughness);
      if (layer.material) list.push(layer.material.density);
      else list.push(layer.sld!, layer.isld!);
    }
    if (geometry?.angleOffset_deg) list.push(geometry.angleOffset_deg);
    if (geometry?.footprint) list.push(geometry.footprint.beamHeight_mm, geometry.footprint.sampleLength_mm);
    if (geometry?.heightOffset) list.push(geometry.heightOffset.heightOffset_mm);
    if (geometry?.attenuation) list.push(geometry.attenuation.grazing, geometry.attenuation.horizontal, geometry.attenuation.block);
    if (geometry?.incoherentBackground) list.push(geometry.incoherentBackground);
    return [...new Set(list)];
  };

  const rows = layers.length;
  const fill = (read: (p: Parameter) => number, slabs: Float64Array, scalars: Float64Array): void => {
    for (let j = 0; j < rows; j++) {
      const layer = layers[j];
      const base = j * SLAB_COLUMNS;
      slabs[base] = j === 0 || j === rows - 1 ? 0 : read(layer.thickness);
      if (layer.material) {
        const density = read(layer.material.density);
        slabs[base + 1] = density * layer.material.sldPerDensity;
        slabs[base + 2] = density * layer.material.isldPerDensity;
      } else {
        slabs[base + 1] = read(layer.sld!);
        slabs[base + 2] = read(layer.isld!);
      }
      slabs[base + 3] = j === 0 ? 0 : read(layer.roughness);
    }
    scalars[0] = read(scale);
    scalars[1] = read(background);
  };
  const scalarCount = geometry ? GEOMETRY_SCALARS : 2;
  const scaleAndBackground = new Float64Array(2);
  let last: { q: Float64Array; curve: ReflectModelEvaluator } | undefined;

  const model: ReflectModel = {
    probe,
    energy_keV,
    wavelength_A,
    layers,
    scale,
    background,
    resolution,
    q,
    geometry,
    scalarCount,
    rows,
    parameters,
    bind(space) {
      // resolve slots once; the returned closure does no lookups
      const slot = new Map<Parameter, number>();
      for (const p of parameters()) slot.set(p, space.slotOf(p));
      const index = (p: Parameter): number => slot.get(p)!;
      const slots = new Int32Array(rows * 4 + 2);
      for (let j = 0; j < rows; j++) {
        const layer = layers[j];
        slots[4 * j] = index(layer.thickness);
        slots[4 * j + 1] = layer.material ? index(layer.material.density) : index(layer.sld!);
        slots[4 * j + 2] = layer.material ? -1 : index(layer.isld!);
        slots[4 * j + 3] = index(layer.roughness);
      }
      slots[4 * rows] = index(scale);
      slots[4 * rows + 1] = index(background);
      const sldPerDensity = Float64Array.from(layers, (l) => (l.material ? l.material.sldPerDensity : 0));
      const isldPerDensity = Float64Array.from(layers, (l) => (l.material ? l.material.isldPerDensity : 0));
      if (geometry) {
        // slots of δ, h, L, Δz, A_g, A_h, A_b, b in the kernel's layout (−1: not modelled); only geometry models pay for this
        const geometrySlots = Int32Array.of(
          geometry.angleOffset_deg ? index(geometry.angleOffset_deg) : -1,
          geometry.footprint ? index(geometry.footprint.beamHeight_mm) : -1,
          geometry.footprint ? index(geometry.footprint.sampleLength_mm) : -1,
          geometry.heightOffset ? index(geometry.heightOffset.heightOffset_mm) : -1,
          geometry.attenuation ? index(geometry.attenuation.grazing) : -1,
          geometry.attenuation ? index(geometry.attenuation.horizontal) : -1,
          geometry.attenuation ? index(geometry.attenuation.block) : -1,
          geometry.incoherentBackground ? index(geometry.incoherentBackground) : -1,
        );
        const fillLayers = fillFrom(slots, sldPerDensity, isldPerDensity);
        return (values, slabs, scalars) => {
          fillLayers(values, slabs, scalars);
          scalars[GEOMETRY_SCALAR.angleOffset] = geometrySlots[0] < 0 ? 0 : values[geometrySlots[0]] * DEG;
          scalars[GEOMETRY_SCALAR.beamHeight] = geometrySlots[1] < 0 ? NaN : values[geometrySlots[1]];
          scalars[GEOMETRY_SCALAR.sampleLength] = geometrySlots[2] < 0 ? NaN : values[geometrySlots[2]];
          for (let j = 3; j < 8; j++) scalars[GEOMETRY_SCALAR.heightOffset + j - 3] = geometrySlots[j] < 0 ? 0 : values[geometrySlots[j]];
        };
      }
      return fillFrom(slots, sldPerDensity, isldPerDensity);
    },
    currentSlabs(out) {
      const slabs = out ?? new Float64Array(rows * SLAB_COLUMNS);
      fill(currentValue, slabs, scaleAndBackground);
      return slabs;
    },
    evaluate(q, out) {
      if (last?.q !== q) {
        // a one-shot curve: the auxiliary grid of a geometry plan covers twice the current angle offset
        const offsetRange = geometry ? 2 * Math.abs(geometry.angleOffset_deg ? geometry.angleOffset_deg.value * DEG : 0) : undefined;
        last = { q, curve: modelEvaluator(model, q, undefined, offsetRange) };
      }
      return last.curve.evaluate(out);
    },
    evaluator(q, options = {}) {
      return modelEvaluator(model, q, options.sigma, geometry?.angleOffset_deg ? offsetRangeOf(geometry.angleOffset_deg) : undefined);
    },
  };
  return model;

  /** The slab-and-scale filler of `bind` over resolved slots. */
  function fillFrom(slots: Int32Array, sldPerDensity: Float64Array, isldPerDensity: Float64Array) {
    return (values: Float64Array, slabs: Float64Array, scalars: Float64Array): void => {
      for (let j = 0; j < rows; j++) {
        const base = j * SLAB_COLUMNS;
        slabs[base] = j === 0 || j === rows - 1 ? 0 : values[slots[4 * j]];
        if (slots[4 * j + 2] < 0) {
          const density = values[slots[4 * j + 1]];
          slabs[base + 1] = density * sldPerDensity[j];
          slabs[base + 2] = density * isldPerDensity[j];
        } else {
          slabs[base + 1] = values[slots[4 * j + 1]];
          slabs[base + 2] = values[slots[4 * j + 2]];
        }
        slabs[base + 3] = j === 0 ? 0 : values[slots[4 * j + 3]];
      }
      scalars[0] = values[slots[4 * rows]];
      scalars[1] = values[slots[4 * rows + 1]];
    };
  }
}

const DEG = Math.PI / 180;

const currentValue = (p: Parameter): number => p.value;

/**
 * Half range (rad) of the angle offset a fit's geometry plan covers: the parameter's finite
 * bounds (capped at 0.5°; beyond, the kernel rebuilds), else 0.05° or twice its value.
 * @param angleOffset_deg - the geometry block's angle offset (degrees)
 */
export function offsetRangeOf(angleOffset_deg: Parameter): number {
  const { min, max } = angleOffset_deg.bounds;
  const bound = Number.isFinite(min) && Number.isFinite(max) ? Math.min(Math.max(Math.abs(min), Math.abs(max)), 0.5) : 2 * Math.abs(angleOffset_deg.value);
  return Math.max((bound * Math.PI) / 180, angleOffset_deg.vary && Number.isFinite(min) && Number.isFinite(max) ? 0 : DEFAULT_OFFSET_RANGE);
}

/**
 * A model's curve at fixed Q: the resolution is the model's, else `fallbackSigma`; the
 * kernel is chosen by models/reflectivityEvaluator.
 * @param offsetRange - half range (rad) of the angle offset a geometry plan covers
 */
function modelEvaluator(model: ReflectModel, q: Float64Array, fallbackSigma: Float64Array | undefined, offsetRange: number | undefined): ReflectModelEvaluator {
  const sigma = model.resolution && !model.resolution.fromData ? model.resolution.sigmaFor(q) : fallbackSigma;
  if (model.resolution?.fromData && !sigma) model.resolution.sigmaFor(q); // throws: no data widths to smear with
  const geometry = model.geometry;
  const plan: ReflectivityPlan = reflectivityEvaluator(q, {
    sigma,
    smear: model.resolution?.options,
    geometry: geometry ? { wavelength_A: model.wavelength_A, ...geometryKernelOptions(geometry), offsetRange } : undefined,
    ...(model.resolution?.dataPoints ? { dataPoints: geometry?.fixedAngle_deg === undefined ? {} : { fixedAngle: geometry.fixedAngle_deg * DEG } } : {}),
  });
  const slabs = new Float64Array(model.rows * SLAB_COLUMNS);
  const scalars = new Float64Array(GEOMETRY_SCALARS);
  return {
    q,
    smeared: sigma !== undefined,
    evaluate(out) {
      model.currentSlabs(slabs);
      currentScalars(model, scalars);
      return plan.evaluate(slabs, scalars, out);
    },
    evaluateWith: (slabs, scalars, out) => plan.evaluate(slabs, scalars, out),
    bind(space) {
      const fill = model.bind(space);
      const boundSlabs = new Float64Array(model.rows * SLAB_COLUMNS);
      const boundScalars = new Float64Array(model.scalarCount);
      return (values, out) => {
        fill(values, boundSlabs, boundScalars);
        return plan.evaluate(boundSlabs, boundScalars, out);
      };
    },
  };
}

/** A parameter that must be > 0 (beam height, sample length): value > 0, a varying one needs min ≥ 0. */
function positiveParameter(spec: unknown, named: ReadonlyMap<string, Parameter>, path: string, what: string): Parameter {
  const parameter = resolveSpec(spec, named, path, path);
  if (!parameter.constrained) {
    if (!(parameter.value > 0)) throw new ValidationError(path, `${what} must be > 0`, parameter.value);
    if (parameter.vary && parameter.bounds.min < 0) {
      throw new ValidationError(`${path}.min`, `a varying ${what} needs min ≥ 0`, parameter.bounds.min);
    }
  }
  return parameter;
}

/**
 * `{"angleOffset_deg": SPEC, "footprint": {"beamHeight_mm": SPEC, "profile": "tophat"|"gaussian", "sampleLength_mm": SPEC},
 *   "heightOffset_mm": SPEC, "detectorDistance_mm": number, "attenuation": {"grazing": SPEC, "horizontal": SPEC, "block": SPEC},
 *   "incoherentBackground": SPEC}` (every part optional, at least one given).
 * @param wavelength_A - the model's wavelength (NaN when an X-ray model has no energy)
 * @param wavelengthPath - where to point when the wavelength is missing
 */
export function parseGeometry(spec: unknown, path: string, named: ReadonlyMap<string, Parameter>, wavelength_A: number, wavelengthPath: string): GeometryModel {
  const record = requireRecord(spec, path);
  const keys = ["angleOffset_deg", "fixedAngle_deg", "footprint", "heightOffset_mm", "detectorDistance_mm", "attenuation", "incoherentBackground"];
  checkKeys(record, keys, path);
  if (!keys.some((key) => key !== "detectorDistance_mm" && key !== "fixedAngle_deg" && record[key] !== undefined)) {
    throw new ValidationError(path, "needs at least one of angleOffset_deg, footprint, heightOffset_mm, attenuation, incoherentBackground");
  }
  if (!(wavelength_A > 0)) throw new ValidationError(wavelengthPath, `is required by ${path} (Q to angle conversion)`);
  let angleOffset_deg: Parameter | undefined;
  if (record["angleOffset_deg"] !== undefined) {
    const ap = `${path}.angleOffset_deg`;
    angleOffset_deg = resolveSpec(record["angleOffset_deg"], named, ap, ap);
    if (!angleOffset_deg.constrained && !(Math.abs(angleOffset_deg.value) < 90)) {
      throw new ValidationError(ap, "must be an angle in degrees between −90 and 90", angleOffset_deg.value);
    }
  }
  let footprint: GeometryModel["footprint"];
  if (record["footprint"] !== undefined) {
    const fp = `${path}.footprint`;
    const f = requireRecord(record["footprint"], fp);
    checkKeys(f, ["beamHeight_mm", "profile", "sampleLength_mm"], fp);
    const profile = f["profile"] ?? "tophat";
    if (profile !== "tophat" && profile !== "gaussian") throw new ValidationError(`${fp}.profile`, 'must be "tophat" or "gaussian"', profile);
    if (f["beamHeight_mm"] === undefined) throw new ValidationError(`${fp}.beamHeight_mm`, "is required (mm; FWHM for a Gaussian beam)");
    if (f["sampleLength_mm"] === undefined) throw new ValidationError(`${fp}.sampleLength_mm`, "is required (mm, along the beam)");
    const beamHeight_mm = positiveParameter(f["beamHeight_mm"], named, `${fp}.beamHeight_mm`, "beam height");
    const sampleLength_mm = positiveParameter(f["sampleLength_mm"], named, `${fp}.sampleLength_mm`, "sample length");
    footprint = { beamHeight_mm, sampleLength_mm, profile };
  }
  let heightOffset: GeometryModel["heightOffset"];
  if (record["heightOffset_mm"] !== undefined) {
    const hp = `${path}.heightOffset_mm`;
    const heightOffset_mm = resolveSpec(record["heightOffset_mm"], named, hp, hp);
    if (record["detectorDistance_mm"] === undefined) throw new ValidationError(`${path}.detectorDistance_mm`, "is required with heightOffset_mm (mm from the rotation centre to the detector)");
    const detectorDistance_mm = finiteNumber(record["detectorDistance_mm"], `${path}.detectorDistance_mm`);
    if (!(detectorDistance_mm > 0)) throw new ValidationError(`${path}.detectorDistance_mm`, "must be > 0 (mm)", detectorDistance_mm);
    if (!heightOffset_mm.constrained && !(Math.abs(heightOffset_mm.value) < detectorDistance_mm)) {
      throw new ValidationError(hp, "must be smaller than the detector distance", heightOffset_mm.value);
    }
    heightOffset = { heightOffset_mm, detectorDistance_mm };
  } else if (record["detectorDistance_mm"] !== undefined) {
    throw new ValidationError(`${path}.detectorDistance_mm`, "is only used with heightOffset_mm");
  }
  let attenuation: GeometryModel["attenuation"];
  if (record["attenuation"] !== undefined) {
    const ap = `${path}.attenuation`;
    const a = requireRecord(record["attenuation"], ap);
    checkKeys(a, ["grazing", "horizontal", "block"], ap);
    if (a["grazing"] === undefined && a["horizontal"] === undefined && a["block"] === undefined) throw new ValidationError(ap, "needs grazing, horizontal and/or block (μ·t sums)");
    const sum = (key: "grazing" | "horizontal" | "block"): Parameter => {
      if (a[key] === undefined) return new Parameter(`${ap}.${key}`, { value: 0 });
      const parameter = resolveSpec(a[key], named, `${ap}.${key}`, `${ap}.${key}`);
      if (!parameter.constrained) {
        if (!(parameter.value >= 0)) throw new ValidationError(`${ap}.${key}`, "an attenuation sum μ·t must be ≥ 0", parameter.value);
        if (parameter.vary && parameter.bounds.min < 0) throw new ValidationError(`${ap}.${key}.min`, "a varying attenuation sum needs min ≥ 0", parameter.bounds.min);
      }
      return parameter;
    };
    attenuation = { grazing: sum("grazing"), horizontal: sum("horizontal"), block: sum("block") };
  }
  let incoherentBackground: Parameter | undefined;
  if (record["incoherentBackground"] !== undefined) {
    const ip = `${path}.incoherentBackground`;
    incoherentBackground = resolveSpec(record["incoherentBackground"], named, ip, ip);
    if (!incoherentBackground.constrained && !(incoherentBackground.value >= 0)) throw new ValidationError(ip, "an incoherent background must be ≥ 0", incoherentBackground.value);
  }
  let fixedAngle_deg: number | undefined;
  if (record["fixedAngle_deg"] !== undefined) {
    fixedAngle_deg = finiteNumber(record["fixedAngle_deg"], `${path}.fixedAngle_deg`);
    if (!(fixedAngle_deg > 0 && fixedAngle_deg < 90)) throw new ValidationError(`${path}.fixedAngle_deg`, "must be an angle in degrees between 0 and 90", fixedAngle_deg);
  }
  return { angleOffset_deg, footprint, heightOffset, attenuation, incoherentBackground, ...(fixedAngle_deg === undefined ? {} : { fixedAngle_deg }) };
}

/**
 * Check a relative resolution ΔQ/Q (a fraction): ≥ 0 and < 1. No reflectometer's
 * resolution reaches 100 %; a value of 1 or more is a percentage typed for a fraction.
 * @param fraction - ΔQ/Q as given
 * @param path - the field named in the message
 * @throws {ValidationError} naming `path` and the value; ≥ 1 with the fraction it likely meant
 */
export function checkRelativeResolution(fraction: unknown, path: string): asserts fraction is number {
  if (!(typeof fraction === "number" && Number.isFinite(fraction))) throw new ValidationError(path, "must be a finite number (ΔQ/Q as a fraction)", fraction);
  if (fraction < 0) throw new ValidationError(path, "must be ≥ 0", fraction);
  if (fraction >= 1) {
    throw new ValidationError(path, `dqOverQ ${fraction} is a resolution of ${fraction * 100} %, more than any reflectometer: ΔQ/Q is a fraction: ${Number((fraction / 100).toPrecision(6))} for ${fraction} %?`);
  }
}

/**
 * `{"dqOverQ", "measure"}` (constant relative resolution) or `{"dq": [...], "measure"}`
 * (pointwise), plus optional smearing options `method` ("grid", "pointwise" or "dataPoints"),
 * `cutoff`, `renormalise`, `nodes`. `{"method": "dataPoints"}` alone smears the data file's
 * widths on its points.
 */
export function parseResolution(spec: unknown, path: string, q: Float64Array | undefined): ResolutionModel {
  const record = requireRecord(spec, path);
  checkKeys(record, ["dqOverQ", "dq", "measure", "method", "cutoff", "renormalise", "nodes"], path);
  const dataPoints = record["method"] === "dataPoints";
  if (dataPoints) {
    for (const key of ["cutoff", "renormalise", "nodes"]) if (record[key] !== undefined) throw new ValidationError(`${path}.${key}`, 'does not apply to "method": "dataPoints" (its window is fixed at ±3.72σ, renormalised)', record[key]);
    if (record["dqOverQ"] === undefined && record["dq"] === undefined) {
      if (record["measure"] !== undefined) throw new ValidationError(`${path}.measure`, "applies to dq or dqOverQ; the data file's widths carry their own measure", record["measure"]);
      return {
        options: {},
        dataPoints,
        fromData: true,
        sigmaFor: () => {
          throw new ValidationError(path, "takes its widths from a data file's dQ column; without data give dq or dqOverQ");
        },
      };
    }
  }
  const measure = record["measure"];
  if (measure !== "sigma" && measure !== "fwhm") {
    throw new ValidationError(`${path}.measure`, 'must say whether the width is "sigma" or "fwhm"', measure);
  }
  const toSigma = measure === "fwhm" ? FWHM_TO_SIGMA : 1;
  const options: SmearOptions = {};
  if (record["method"] !== undefined && !dataPoints) {
    if (record["method"] !== "grid" && record["method"] !== "pointwise") throw new ValidationError(`${path}.method`, 'must be "grid", "pointwise" or "dataPoints"', record["method"]);
    options.method = record["method"];
  }
  if (record["cutoff"] !== undefined) {
    options.cutoff = finiteNumber(record["cutoff"], `${path}.cutoff`);
    if (options.cutoff <= 0) throw new ValidationError(`${path}.cutoff`, "must be > 0 (in σ)", options.cutoff);
  }
  if (record["renormalise"] !== undefined) {
    if (typeof record["renormalise"] !== "boolean") throw new ValidationError(`${path}.renormalise`, "must be true or false", record["renormalise"]);
    options.renormalise = record["renormalise"];
  }
  if (record["nodes"] !== undefined) {
    const nodes = finiteNumber(record["nodes"], `${path}.nodes`);
    if (!Number.isInteger(nodes) || nodes < 2) throw new ValidationError(`${path}.nodes`, "must be an integer ≥ 2", nodes);
    options.nodes = nodes;
  }
  if (record["dqOverQ"] !== undefined && record["dq"] !== undefined) throw new ValidationError(path, "give dqOverQ or dq, not both");
  if (record["dqOverQ"] !== undefined) {
    const fraction = finiteNumber(record["dqOverQ"], `${path}.dqOverQ`);
    checkRelativeResolution(fraction, `${path}.dqOverQ`);
    return { options, dataPoints, sigmaFor: (qs) => qs.map((x) => Math.abs(x) * fraction * toSigma) };
  }
  if (record["dq"] !== undefined) {
    const dq = numberArray(record["dq"], `${path}.dq`);
    for (let i = 0; i < dq.length; i++) if (dq[i] < 0) throw new ValidationError(`${path}.dq[${i}]`, "must be ≥ 0", dq[i]);
    return {
      options,
      dataPoints,
      sigmaFor: (qs) => {
        if (qs.length !== dq.length) {
          throw new ValidationError(`${path}.dq`, `has ${dq.length} values but there are ${qs.length} Q points${q ? "" : " (give q in the model)"}`, formatValue(dq.length));
        }
        return dq.map((x) => x * toSigma);
      },
    };
  }
  throw new ValidationError(path, "needs dqOverQ (constant) or dq (one per Q point)");
}

/**
 * Which corrections the geometry kernel must evaluate for a geometry block
 * (the options of kernels/reflectivity/geometryReflectivity besides λ and resolution).
 * @param geometry - the parsed block
 */
export function geometryKernelOptions(geometry: GeometryModel): {
  angleOffset: boolean;
  footprint?: "tophat" | "gaussian";
  heightOffset?: { detectorDistance_mm: number };
  attenuation: boolean;
  incoherentBackground: boolean;
} {
  return {
    angleOffset: geometry.angleOffset_deg !== undefined,
    ...(geometry.footprint ? { footprint: geometry.footprint.profile } : {}),
    ...(geometry.heightOffset ? { heightOffset: { detectorDistance_mm: geometry.heightOffset.detectorDistance_mm } } : {}),
    attenuation: geometry.attenuation !== undefined,
    incoherentBackground: geometry.incoherentBackground !== undefined,
  };
}

/**
 * The scalars `bind` would fill, at the parameters' current values ({@link GEOMETRY_SCALARS} entries).
 * @param model - a reflectivity model (with or without a geometry block)
 * @param out - buffer of {@link GEOMETRY_SCALARS} entries to fill; allocated when omitted
 */
export function currentScalars(model: ReflectModel, out?: Float64Array): Float64Array {
  const g = model.geometry;
  const scalars = out ?? new Float64Array(GEOMETRY_SCALARS);
  scalars[GEOMETRY_SCALAR.scale] = model.scale.value;
  scalars[GEOMETRY_SCALAR.background] = model.background.value;
  scalars[GEOMETRY_SCALAR.angleOffset] = g?.angleOffset_deg ? g.angleOffset_deg.value * DEG : 0;
  scalars[GEOMETRY_SCALAR.beamHeight] = g?.footprint ? g.footprint.beamHeight_mm.value : NaN;
  scalars[GEOMETRY_SCALAR.sampleLength] = g?.footprint ? g.footprint.sampleLength_mm.value : NaN;
  scalars[GEOMETRY_SCALAR.heightOffset] = g?.heightOffset ? g.heightOffset.heightOffset_mm.value : 0;
  scalars[GEOMETRY_SCALAR.grazingAttenuation] = g?.attenuation ? g.attenuation.grazing.value : 0;
  scalars[GEOMETRY_SCALAR.horizontalAttenuation] = g?.attenuation ? g.attenuation.horizontal.value : 0;
  scalars[GEOMETRY_SCALAR.blockAttenuation] = g?.attenuation ? g.attenuation.block.value : 0;
  scalars[GEOMETRY_SCALAR.incoherentBackground] = g?.incoherentBackground ? g.incoherentBackground.value : 0;
  return scalars;
}
