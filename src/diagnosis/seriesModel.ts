/**
 * @module diagnosis/seriesModel
 * One interface model shared by every scan of a cell: the stack from the manifest,
 * whose interphase thickness either is free per scan or follows a growth law, and
 * whose interphase roughness and density are shared by all scans (density sets the
 * SLD for the probe through the composition, so X-ray and neutron scans of one
 * layer constrain the same number). Builds the joint objective over all scans.
 *
 * A scan may name its own beam (`SeriesScan.beam`: a campaign measured by X-rays and
 * neutrons, issue 15 part 7): its model is at that beam's probe and energy — the
 * composition's SLD at that beam, that beam's entry-path attenuation and footprint —
 * with a scale and residual background of its own (`scale_<beam>`, `background_<beam>`:
 * another instrument's normalisation), while every layer's thickness, roughness and
 * density stay shared: the composition ties the X-ray and neutron SLDs together. A scan
 * may also have an intensity of its own (`SeriesScan.intensity`: a fitted `scale@<id>`, or a
 * fixed number) instead of its beam's shared scale — per-angle or per-slice normalisations.
 *
 * With a damage model the thickness seen at a scan is the law's value plus a term of
 * the scan's spot's accumulated dose (models/damageModels), so scans at fresh spots
 * and at the measured spot separate chemistry from beam damage.
 *
 * Units: thickness, roughness Å; density g/cm³; time s since t0; reduction charge
 * per area C/cm²; SLD 10⁻⁶ Å⁻²; dose Gy.
 */
import { Parameter } from "../params/index.ts";
import { parseReflectModel, type ReflectModel } from "../models/reflectModel.ts";
import type { ReflectivityData } from "../io/reflectivityData.ts";
import { JointObjective } from "../fit/jointObjective.ts";
import { reflectivityTerm } from "../fit/reflectivityTerm.ts";
import { GROWTH_LAWS, LAW_NAMES, type LawName, type LawParameter, type SeriesScales } from "../models/growthLaws.ts";
import { DAMAGE_MODELS, DAMAGE_NAMES, type DamageName, type DamageScales } from "../models/damageModels.ts";
import { ValidationError } from "../core/errors.ts";

export interface StackLayer {
  name: string;
  role: string;
  /** composition (formula + density) or explicit SLDs */
  formula?: string;
  density?: number;
  sld?: number;
  isld?: number;
  /** explicit SLDs per probe (when the cell is measured with several probes), used for a scan whose beam's probe differs from the series' */
  byProbe?: { xray?: { sld: number; isld: number }; neutron?: { sld: number; isld: number } };
  thickness_A?: number;
  roughness_A: number;
  /** the manifest's `fit` block: how a property is fitted where it overrides the defaults of {@link nuisanceSpecs} */
  fit?: SeriesLayerFit;
}

/** One layer property's fit from the manifest: bounds, and optionally a normal prior truncated to them. */
export interface SeriesPropertyFit {
  min: number;
  max: number;
  prior?: { mean: number; sd: number };
  /** one parameter per scan (`<name>@<scan id>`) instead of one shared by the scans */
  perScan?: true;
  /** "linear": `<name>` (at t0) + `<name>_rate` (per hour) × hours since t0, per scan as `<name>@<scan id>` */
  law?: "linear";
}

/** A layer's `fit` block (campaign/manifest LayerFit): per property "fixed" or a {@link SeriesPropertyFit}. */
export interface SeriesLayerFit {
  sld?: SeriesPropertyFit | "fixed";
  thickness_A?: SeriesPropertyFit | "fixed";
  roughness_A?: SeriesPropertyFit | "fixed";
  density?: SeriesPropertyFit | "fixed";
}

export interface SeriesScan {
  id: string;
  spot: string;
  /** mid-exposure time since t0 (s), or the time spent in the growth steps when the law is restricted */
  time_s: number;
  /** reduction charge passed since t0 per electrode area (C/cm²) at the scan's mid exposure */
  qred_C_per_cm2: number;
  /** the spot's accumulated absorbed dose at the scan's mid exposure (Gy), when the dose ledger could be computed */
  dose_Gy?: number;
  data: ReflectivityData;
  /** the beam of a scan not measured with the series' own (see the module header); undefined: the series' probe, energy and geometry */
  beam?: ScanBeam;
  /** the scan's intensity: undefined the beam's shared scale; "own" a fitted scale of its own (`scale@<id>`); a number a fixed scale */
  intensity?: "own" | number;
  /** "previous": its per-scan fit takes the previous scan's answer as its prior (diagnosis/fitSeries fitScanFrom) */
  prior?: "previous";
  /** the sample alignment the scan was measured in (a key of `SeriesInput.alignments`): its angle offset instead of the geometry's */
  alignment?: string;
}

/** The beam of a scan measured with another beam than the series' (a manifest's `beams` entry). */
export interface ScanBeam {
  /** the manifest's name of the beam: the suffix of its scale and background (`scale_<name>`) */
  name: string;
  probe: "xray" | "neutron";
  energy_keV?: number;
  wavelength_A?: number;
  /** the geometry of the scans with this beam (its footprint and entry-path attenuation are the beam's) */
  geometry?: SeriesGeometry;
}

export interface SeriesInput {
  cell: string;
  probe: "xray" | "neutron";
  energy_keV?: number;
  wavelength_A?: number;
  stack: StackLayer[];
  /** index of the interphase layer in `stack` */
  interphase: number;
  scans: SeriesScan[];
  /** Å of interphase per C/cm² of reduction charge at Faradaic fraction 1: M/(z·F·ρ)·1e8 */
  thicknessPerCharge: number;
  /**
   * The cell's measurement geometry when the manifest gives it, shared by every scan:
   * a sample angle offset (deg; fixed, or fitted with the prior N(value, sd²)); the
   * footprint factor of the beam on the sample (fixed from the manifest) for curves not
   * corrected for over-illumination; a sample-height offset (mm; fixed or fitted,
   * read by a detector at `detectorDistance_mm`); the entry path's attenuation sums
   * (dimensionless μ·t from the manifest's composition, for curves not corrected for
   * it; with `relativeSd` all three are scaled by one fitted factor with the prior
   * N(1, relativeSd²)); the electrolyte film's incoherent background at α = 1°
   * (fixed, or fitted with the prior N(value, sd²) truncated at 0).
   */
  geometry?: SeriesGeometry;
  /**
   * Sample alignments by label (a run; a realignment starts another): the angle offset (deg)
   * of the scans that name one — fixed, or fitted with the prior N(value, sd²) as
   * `angle_offset@<label>` shared by its scans; other scans take the geometry's.
   */
  alignments?: Record<string, { angleOffset_deg: { value: number; sd?: number } }>;
}

/** The measurement geometry of a series (see {@link SeriesInput.geometry}). */
export interface SeriesGeometry {
  angleOffset_deg?: { value: number; sd?: number };
  /** with `beamHeightSd_mm` the beam height is fitted with the prior N(beamHeight_mm, sd²) */
  footprint?: { beamHeight_mm: number; profile: "tophat" | "gaussian"; sampleLength_mm: number; beamHeightSd_mm?: number };
  heightOffset?: { value: number; sd?: number; detectorDistance_mm: number };
  attenuation?: { grazing: number; horizontal: number; block: number; relativeSd?: number };
  incoherentBackground?: { value: number; sd?: number };
}

/** The MODEL.json geometry block of a series' scans, referring to the shared nuisance parameters by name. */
function geometrySpec(geometry: SeriesGeometry, suffix = ""): Record<string, unknown> | undefined {
  const spec: Record<string, unknown> = {};
  const shared = (g: { value: number; sd?: number }, name: string): unknown => (g.sd !== undefined ? { ref: name } : g.value);
  if (geometry.angleOffset_deg) spec["angleOffset_deg"] = shared(geometry.angleOffset_deg, "angle_offset");
  if (geometry.footprint) {
    const f = geometry.footprint;
    spec["footprint"] = { profile: f.profile, sampleLength_mm: f.sampleLength_mm, beamHeight_mm: f.beamHeightSd_mm !== undefined ? { ref: `beam_height${suffix}` } : f.beamHeight_mm };
  }
  if (geometry.heightOffset) {
    spec["heightOffset_mm"] = shared(geometry.heightOffset, "height_offset");
    spec["detectorDistance_mm"] = geometry.heightOffset.detectorDistance_mm;
  }
  const a = geometry.attenuation;
  if (a) {
    const sum = (value: number): unknown => (a.relativeSd !== undefined && value > 0 ? { expr: `attenuation_factor${suffix} * ${value}` } : value);
    spec["attenuation"] = { grazing: sum(a.grazing), horizontal: sum(a.horizontal), block: sum(a.block) };
  }
  if (geometry.incoherentBackground) spec["incoherentBackground"] = shared(geometry.incoherentBackground, "incoherent_background");
  return Object.keys(spec).length > 0 ? spec : undefined;
}

export type SeriesMode = { kind: "free" } | { kind: "law"; law: LawName; damage?: DamageName };

/** Bounds of the damage parameters of a series: its largest dose and its first thickness plus growth. */
export function damageScales(input: SeriesInput, scales: SeriesScales): DamageScales {
  const maxDose = Math.max(...input.scans.map((s) => s.dose_Gy ?? 0));
  return { maxDose: maxDose > 0 ? maxDose : 1, magnitude: scales.firstThickness + Math.abs(scales.growth) };
}

export interface SeriesObjective {
  objective: JointObjective;
  /** law parameters by name (law mode) */
  lawParameters: Map<string, Parameter>;
  /** per-scan thickness parameters (free mode: varying; law mode: constrained) */
  thickness: Parameter[];
  roughness: Parameter;
  density: Parameter | undefined;
  terms: ReturnType<typeof reflectivityTerm>[];
  models: ReflectModel[];
  lawSpec: LawParameter[];
  /** the damage term's parameters (empty without damage) */
  damageSpec: LawParameter[];
  damage: DamageName;
  /** campaign-constant parameters of the rest of the stack and the instrument, by name */
  nuisance: Map<string, Parameter>;
}

/**
 * Checks what the series functions rely on and the types do not say, so that a bad
 * input fails here with a ValidationError naming the field instead of as a TypeError,
 * NaN residuals or a silent t = 0 later: the law and damage names (when given), at
 * least one scan, each scan's Q, R, dR (and dQ) of one length, a finite time for
 * every scan, and a finite reduction charge (charge law) or dose (damage model) where
 * the model uses it. Paths are `scans[k].field`, k the index in `input.scans`.
 */
export function validateSeries(input: SeriesInput, mode: SeriesMode): void {
  const law = mode.kind === "law" ? mode.law : undefined;
  const damage = mode.kind === "law" ? (mode.damage ?? "none") : "none";
  if (law !== undefined) validateLawName(law);
  if (!DAMAGE_NAMES.includes(damage)) throw new ValidationError("damage", `is not a damage model (one of ${DAMAGE_NAMES.join(", ")})`, damage);
  if (input.scans.length === 0) throw new ValidationError("scans", `must hold at least one scan (cell "${input.cell}")`, input.scans);
  input.scans.forEach((scan, k) => {
    const at = `scans[${k}]`;
    const { q, r, dr, dq } = scan.data;
    const lengths: [string, { length: number } | undefined][] = [["r", r], ["dr", dr], ["dq", dq]];
    for (const [field, values] of lengths) {
      if (values !== undefined && values.length !== q.length) {
        throw new ValidationError(`${at}.data.${field}`, `must hold one value per Q point (${q.length}) of scan "${scan.id}"`, values.length);
      }
    }
    validateScanNumbers(scan, k, law);
    if (damage !== "none" && scan.dose_Gy !== undefined && !Number.isFinite(scan.dose_Gy)) {
      throw new ValidationError(`${at}.dose_Gy`, `must be a finite dose (Gy) for scan "${scan.id}"`, scan.dose_Gy);
    }
  });
}

/** A law name from outside the type system: one of LAW_NAMES, else a ValidationError naming `law`. */
export function validateLawName(law: string): asserts law is LawName {
  if (!(LAW_NAMES as readonly string[]).includes(law)) throw new ValidationError("law", `is not a growth law (one of ${LAW_NAMES.join(", ")})`, law);
}

/** A scan's time (every law) and, for the charge law, its reduction charge: finite numbers. */
export function validateScanNumbers(scan: SeriesScan, k: number, law: LawName | undefined): void {
  if (!Number.isFinite(scan.time_s)) throw new ValidationError(`scans[${k}].time_s`, `must be a finite time (s since t0) for scan "${scan.id}"`, scan.time_s);
  if (law === "charge" && !Number.isFinite(scan.qred_C_per_cm2)) {
    throw new ValidationError(`scans[${k}].qred_C_per_cm2`, `must be a finite reduction charge (C/cm²) for scan "${scan.id}"`, scan.qred_C_per_cm2);
  }
}

/** Scales of a series from its first scan's manifest thickness and the charge record. */
export function seriesScales(input: SeriesInput, growthGuess: number): SeriesScales {
  const times = input.scans.map((s) => s.time_s);
  return {
    duration: Math.max(...times, 1),
    firstThickness: input.stack[input.interphase].thickness_A ?? 20,
    growth: growthGuess,
    thicknessPerCharge: input.thicknessPerCharge,
  };
}

/**
 * The joint objective of a series.
 * @param input - the cell's stack and scans
 * @param mode - free thickness per scan, or a growth law
 * @param scales - bounds and starts for the law parameters
 * @param start - optional starting values (law parameters by name, roughness, density)
 * @throws ValidationError on input {@link validateSeries} rejects
 */
export function seriesObjective(
  input: SeriesInput,
  mode: SeriesMode,
  scales: SeriesScales,
  start: { law?: Record<string, number>; damage?: Record<string, number>; roughness?: number; density?: number; thickness?: number[]; nuisance?: Record<string, number> } = {},
): SeriesObjective {
  validateSeries(input, mode);
  const layer = input.stack[input.interphase];
  const named = new Map<string, Parameter>();
  // The rest of the stack and the instrument: constant through the campaign, so shared
  // by every scan in the joint fit (free per scan in the independent fits, as a user
  // fitting scan by scan would have them). Manifest values are nominal starting points.
  const nuisance = nuisanceSpecs(input);
  const nuisanceParameters = new Map<string, Parameter>();
  for (const spec of nuisance) {
    // a scan's own value (scale@<id>, Cu_thickness@<id>) starts from another scan's (a warm start
    // from the previous scan's answer), or from the shared one, when its own is not given
    const base = perScanBase(spec.name);
    const fromOther = base === undefined ? undefined : (Object.entries(start.nuisance ?? {}).find(([name]) => perScanBase(name) === base)?.[1] ?? start.nuisance?.[base]);
    const parameter = new Parameter(spec.name, {
      value: clamp(start.nuisance?.[spec.name] ?? fromOther ?? spec.initial, spec.min, spec.max),
      vary: true,
      min: spec.min,
      max: spec.max,
      unit: spec.unit,
      ...(spec.prior ? { prior: { kind: "truncnormal" as const, mean: spec.prior.mu, sd: spec.prior.sigma, min: spec.min, max: spec.max } } : {}),
    });
    nuisanceParameters.set(spec.name, parameter);
    named.set(spec.name, parameter);
  }
  // a property following a linear law: its value at each scan, `<name>@<scan id>`, from the value at t0 and the rate
  for (const spec of nuisance) {
    if (spec.rateOf === undefined) continue;
    for (const scan of input.scans) {
      const hours = scan.time_s / 3600;
      named.set(perScanName(spec.rateOf, scan), new Parameter(perScanName(spec.rateOf, scan), { expr: `${spec.rateOf} + ${spec.name} * (${hours.toPrecision(15)})`, unit: nuisanceParameters.get(spec.rateOf)?.unit ?? "" }));
    }
  }
  // the value at t0 of a law property starts from the scans' own values when a start gives them (a line through them)
  for (const spec of nuisance) {
    if (spec.rateOf === undefined || start.nuisance === undefined || start.nuisance[spec.rateOf] !== undefined) continue;
    const points = input.scans.flatMap((scan) => {
      const v = start.nuisance![perScanName(spec.rateOf!, scan)];
      return v === undefined ? [] : [{ x: scan.time_s / 3600, y: v }];
    });
    if (points.length === 0) continue;
    const line = lineThrough(points);
    const value = nuisanceParameters.get(spec.rateOf)!;
    value.value = clamp(line.intercept, value.bounds.min, value.bounds.max);
    const rate = nuisanceParameters.get(spec.name)!;
    rate.value = clamp(line.slope, rate.bounds.min, rate.bounds.max);
  }
  const roughnessFit = interphaseFit(layer, "roughness_A", { min: 0, max: 60 });
  const roughness = new Parameter("interphase_roughness", {
    value: clamp(start.roughness ?? layer.roughness_A, roughnessFit.min, roughnessFit.max),
    vary: true,
    min: roughnessFit.min,
    max: roughnessFit.max,
    ...priorOf(roughnessFit),
    unit: "Å",
  });
  named.set("interphase_roughness", roughness);
  let density: Parameter | undefined;
  if (layer.formula && layer.density !== undefined) {
    const densityFit = interphaseFit(layer, "density", { min: 0.3 * layer.density, max: 1.6 * layer.density });
    density = new Parameter("interphase_density", {
      value: clamp(start.density ?? layer.density, densityFit.min, densityFit.max),
      vary: true,
      min: densityFit.min,
      max: densityFit.max,
      ...priorOf(densityFit),
      unit: "g/cm³",
    });
    named.set("interphase_density", density);
  }
  const lawParameters = new Map<string, Parameter>();
  let lawSpec: LawParameter[] = [];
  if (mode.kind === "law") {
    lawSpec = GROWTH_LAWS[mode.law].parameters(scales);
    for (const p of lawSpec) {
      const value = clamp(start.law?.[p.name] ?? p.initial, p.min, p.max);
      const parameter = new Parameter(p.name, { value, vary: true, min: p.min, max: p.max, unit: p.unit });
      lawParameters.set(p.name, parameter);
      named.set(p.name, parameter);
    }
    const perCharge = new Parameter("thicknessPerCharge", { value: input.thicknessPerCharge, unit: "Å cm²/C" });
    named.set("thicknessPerCharge", perCharge);
  }
  const damage: DamageName = mode.kind === "law" ? (mode.damage ?? "none") : "none";
  const damageSpec = DAMAGE_MODELS[damage].parameters(damageScales(input, scales));
  for (const p of damageSpec) {
    const parameter = new Parameter(p.name, { value: clamp(start.damage?.[p.name] ?? p.initial, p.min, p.max), vary: true, min: p.min, max: p.max, unit: p.unit });
    lawParameters.set(p.name, parameter);
    named.set(p.name, parameter);
  }
  const thickness: Parameter[] = [];
  const models: ReflectModel[] = [];
  const terms: ReturnType<typeof reflectivityTerm>[] = [];
  input.scans.forEach((scan, k) => {
    let t: Parameter;
    if (mode.kind === "law") {
      const names: Record<string, string> = { perCharge: "thicknessPerCharge" };
      for (const p of lawSpec) names[p.name] = p.name;
      for (const p of damageSpec) names[p.name] = p.name;
      const chemistry = GROWTH_LAWS[mode.law].expression(scan.time_s, scan.qred_C_per_cm2, names);
      const expr = damage === "none" ? chemistry : `${chemistry} + ${DAMAGE_MODELS[damage].expression(scan.dose_Gy ?? 0, names)}`;
      t = new Parameter(`thickness@${scan.id}`, { expr, unit: "Å" });
    } else {
      const guess = start.thickness?.[k] ?? layer.thickness_A ?? 20;
      t = new Parameter(`thickness@${scan.id}`, { value: clamp(guess, 0, 2000), vary: true, min: 0, max: 2000, unit: "Å" });
    }
    const key = `thickness_${k}`;
    named.set(key, t);
    thickness.push(t);
    // the scan's beam: its own (a manifest's `beams` entry) or the series'
    const beam = scan.beam;
    const suffix = beamSuffix(beam);
    const probe = beam?.probe ?? input.probe;
    const energy_keV = beam ? beam.energy_keV : input.energy_keV;
    const wavelength_A = beam ? beam.wavelength_A : input.wavelength_A;
    const beamGeometry = beam ? beam.geometry : input.geometry;
    const geometry = beamGeometry ? geometrySpec(beamGeometry, suffix) : undefined;
    // a scan of a named sample alignment: that alignment's angle offset (fitted, or fixed)
    let scanGeometry = geometry;
    if (scan.alignment !== undefined) {
      const offset = alignmentOf(input, scan.alignment);
      scanGeometry = { ...(geometry ?? {}), angleOffset_deg: offset.sd !== undefined ? { ref: alignmentOffsetName(scan.alignment) } : offset.value };
    }
    const spec = {
      probe,
      scale: scan.intensity === undefined ? { ref: `scale${suffix}` } : scan.intensity === "own" ? { ref: ownScaleName(scan) } : scan.intensity,
      background: { ref: `background${suffix}` },
      ...(scanGeometry ? { geometry: scanGeometry } : {}),
      ...(energy_keV !== undefined ? { energy_keV } : {}),
      ...(probe === "neutron" && wavelength_A !== undefined ? { wavelength_A } : {}),
      layers: input.stack.map((l, j) => {
        const isInterphase = j === input.interphase;
        const out: Record<string, unknown> = { name: l.name };
        // a fitted property: this scan's own (`fit.<property>.perScan`) or the cell's shared parameter
        const fitted = (name: string): { ref: string } | undefined => (named.has(perScanName(name, scan)) ? { ref: perScanName(name, scan) } : named.has(name) ? { ref: name } : undefined);
        if (j > 0 && j < input.stack.length - 1) out["thickness"] = isInterphase ? { ref: key } : (fitted(`${l.name}_thickness`) ?? l.thickness_A ?? 0);
        if (j > 0) out["roughness"] = isInterphase ? { ref: "interphase_roughness" } : (fitted(`${l.name}_roughness`) ?? l.roughness_A);
        if (l.formula && l.density !== undefined) {
          out["material"] = { formula: l.formula, density: isInterphase && density ? { ref: "interphase_density" } : (fitted(`${l.name}_density`) ?? l.density) };
        } else {
          const explicit = probe !== input.probe ? l.byProbe?.[probe] : undefined;
          // a fitted SLD (a layer of unknown composition, `fit.sld`) is the series' probe's (one probe: campaign/manifest)
          const sld = fitted(`${l.name}_sld`);
          out["sld"] = probe === input.probe && sld ? sld : (explicit?.sld ?? l.sld ?? 0);
          out["isld"] = explicit?.isld ?? l.isld ?? 0;
        }
        return out;
      }),
    };
    const model = parseReflectModel(spec, `scans.${scan.id}`, named);
    models.push(model);
    terms.push(reflectivityTerm(model, scan.data));
  });
  const reverse = new Map<Parameter, string>();
  for (const [name, p] of named) reverse.set(p, name);
  const objective = new JointObjective(terms, { named, displayName: (p) => reverse.get(p) ?? p.name });
  return { objective, lawParameters, thickness, roughness, density, terms, models, lawSpec, damageSpec, damage, nuisance: nuisanceParameters };
}

export interface NuisanceSpec {
  name: string;
  initial: number;
  min: number;
  max: number;
  unit: string;
  /** a normal prior (mean, sd) from the manifest, when it gives one */
  prior?: { mu: number; sigma: number };
  /** the rate of a property's linear law (`fit.<property>.law`): its value at a scan is `<of>` + this × hours since t0 */
  rateOf?: string;
  /** a scan's own value by declaration (`fit.<property>.perScan`, or `intensity: "own"`): free in each scan's fit, never a prior from another scan */
  ownPerScan?: true;
}

/**
 * The campaign-constant parameters besides the interphase: thickness (±20 % of nominal)
 * of every other finite layer, density (±15 %) of every non-substrate layer given by composition (the fronting medium's too), roughness (0 to max(20, 3×nominal) Å) of every interface
 * except the interphase's own, the curves' scale (0.5–2; per beam, shared by its scans, or a scan's own
 * `scale@<id>` with `intensity: "own"`) and residual background (−1e-6 to 1e-5),
 * the beam height of the footprint factor (mm, ±5 sd, > 0), the sample's angle offset (deg, ±5 sd around the manifest's prior) and height offset (mm, likewise), the factor
 * on the entry path's attenuation (prior N(1, relativeSd²), within ±5 sd and ≥ 0) and the electrolyte's incoherent
 * background at 1° (from 0 to value + 5 sd) when the manifest asks to fit them.
 * Layers are named by their manifest names: `Cu_thickness`, `electrolyte_roughness`.
 */
export function nuisanceSpecs(input: SeriesInput): NuisanceSpec[] {
  const specs: NuisanceSpec[] = [];
  // a property the manifest's `fit` declares: its bounds and prior replace the default's; "fixed" drops it
  const push = (l: StackLayer, key: keyof SeriesLayerFit, spec: NuisanceSpec | undefined): void => {
    const declared = l.fit?.[key];
    if (declared === "fixed") return;
    if (declared === undefined) {
      if (spec) specs.push(spec);
      return;
    }
    const base = spec ?? { name: `${l.name}_${key === "thickness_A" ? "thickness" : key === "roughness_A" ? "roughness" : key}`, initial: declared.prior?.mean ?? (declared.min + declared.max) / 2, min: declared.min, max: declared.max, unit: UNITS[key] };
    const fitted = { ...base, initial: clamp(base.initial, declared.min, declared.max), min: declared.min, max: declared.max, ...(declared.prior ? { prior: { mu: declared.prior.mean, sigma: declared.prior.sd } } : {}) };
    // a law over time needs scans at two times or more: a scan fitted alone has a value of its
    // own (as per scan), scans all at one time (the angles of one state) share one value
    const times = input.scans.map((scan) => scan.time_s);
    const span_h = (Math.max(...times) - Math.min(...times)) / 3600;
    const lawApplies = declared.law !== undefined && span_h > 0;
    if (declared.perScan) for (const scan of input.scans) specs.push({ ...fitted, name: perScanName(fitted.name, scan), ownPerScan: true });
    else if (declared.law !== undefined && input.scans.length === 1) for (const scan of input.scans) specs.push({ ...fitted, name: perScanName(fitted.name, scan) });
    else specs.push(fitted);
    if (declared.law === "linear" && lawApplies) {
      const limit = (declared.max - declared.min) / Math.max(span_h, MIN_LAW_SPAN_H);
      specs.push({ name: `${fitted.name}_rate`, initial: 0, min: -limit, max: limit, unit: `${fitted.unit}/h`, rateOf: fitted.name });
    }
  };
  input.stack.forEach((l, j) => {
    // the interphase's own SLD when its composition is unknown (its roughness and density are parameters of their own)
    // a fitted explicit SLD (`fit.sld`; held otherwise) starts at the manifest's value; push takes its bounds from the fit block
    const sld = (): NuisanceSpec => ({ name: `${l.name}_sld`, initial: l.sld ?? 0, min: -Infinity, max: Infinity, unit: UNITS.sld });
    if (j === input.interphase) {
      if (l.formula === undefined && l.fit?.sld !== undefined) push(l, "sld", sld());
      return;
    }
    if (j > 0) {
      if (j < input.stack.length - 1 && (l.thickness_A ?? 0) > 0) {
        push(l, "thickness_A", { name: `${l.name}_thickness`, initial: l.thickness_A!, min: 0.8 * l.thickness_A!, max: 1.2 * l.thickness_A!, unit: "Å" });
      } else if (j < input.stack.length - 1) push(l, "thickness_A", undefined);
      push(l, "roughness_A", { name: `${l.name}_roughness`, initial: l.roughness_A, min: 0, max: Math.max(20, 3 * l.roughness_A), unit: "Å" });
    }
    // film densities and the electrolyte's composition are known only roughly (sputtered
    // films are less dense than bulk; salt content, H/D exchange): ±15 % of nominal. The
    // fronting medium's counts as much as any (the critical edge is the SLD step from it);
    // a crystalline substrate's is known, and fixing it anchors the SLD scale (with every
    // density free, only differences of SLD would be measured)
    if (l.formula && l.density !== undefined) push(l, "density", l.role !== "substrate" ? { name: `${l.name}_density`, initial: l.density, min: 0.85 * l.density, max: 1.15 * l.density, unit: "g/cm³" } : undefined);
    if (l.formula === undefined && l.fit?.sld !== undefined) push(l, "sld", sld());
  });
  // one scale and background per beam the scans use (a scan with its own beam: `scale_<beam>`);
  // the series' own beam keeps the plain names, as in a campaign with one beam. A beam's scale
  // only when some scan of it shares it; a scan with an intensity of its own has `scale@<id>`
  const beams = scanBeams(input);
  for (const beam of beams) {
    const suffix = beamSuffix(beam);
    if (input.scans.some((scan) => beamSuffix(scan.beam) === suffix && scan.intensity === undefined)) specs.push({ name: `scale${suffix}`, initial: 1, min: 0.5, max: 2, unit: "1" });
    // reduced data usually have the measured background subtracted already, so the
    // residual background may be slightly negative: bounds straddle zero
    specs.push({ name: `background${suffix}`, initial: 0, min: -1e-6, max: 1e-5, unit: "1" });
  }
  for (const scan of input.scans) if (scan.intensity === "own") specs.push({ name: ownScaleName(scan), initial: 1, min: 0.5, max: 2, unit: "1", ownPerScan: true });
  // geometry terms the manifest asks to fit, shared by every scan of the cell, each with the
  // manifest's normal prior and bounds ±5 prior sd (cut at a physical floor); the beam
  // height of a footprint and the attenuation factor per beam
  const fitted = (name: string, mu: number, sd: number, unit: string, bounds: { floor?: number; min?: number; initial?: number } = {}): NuisanceSpec => ({
    name,
    initial: bounds.initial ?? mu,
    min: bounds.min ?? Math.max(bounds.floor ?? -Infinity, mu - 5 * sd),
    max: mu + 5 * sd,
    unit,
    prior: { mu, sigma: sd },
  });
  // the sample's own terms (angle and height offset, the film's incoherent background) are
  // shared by every beam; they are read from the geometry of any beam the scans use
  const geometries = beams.map((beam) => (beam ? beam.geometry : input.geometry));
  const g = geometries.find((x) => x !== undefined);
  // the geometry's offset for scans of no named alignment; each named alignment's own (fitted ones)
  if (g?.angleOffset_deg?.sd !== undefined && input.scans.some((scan) => scan.alignment === undefined)) specs.push(fitted("angle_offset", g.angleOffset_deg.value, g.angleOffset_deg.sd, "deg"));
  for (const label of new Set(input.scans.flatMap((scan) => (scan.alignment === undefined ? [] : [scan.alignment])))) {
    const offset = alignmentOf(input, label);
    if (offset.sd !== undefined) specs.push(fitted(alignmentOffsetName(label), offset.value, offset.sd, "deg"));
  }
  beams.forEach((beam, b) => {
    const f = geometries[b]?.footprint;
    if (f?.beamHeightSd_mm !== undefined) specs.push(fitted(`beam_height${beamSuffix(beam)}`, f.beamHeight_mm, f.beamHeightSd_mm, "mm", { floor: 0.05 * f.beamHeight_mm }));
  });
  if (g?.heightOffset?.sd !== undefined) specs.push(fitted("height_offset", g.heightOffset.value, g.heightOffset.sd, "mm"));
  beams.forEach((beam, b) => {
    const a = geometries[b]?.attenuation;
    if (a?.relativeSd !== undefined) specs.push(fitted(`attenuation_factor${beamSuffix(beam)}`, 1, a.relativeSd, "1", { floor: 0 }));
  });
  if (g?.incoherentBackground?.sd !== undefined) {
    const { value, sd } = g.incoherentBackground;
    // started half a prior sd inside: on the bound at 0 the first steps see one side only
    specs.push(fitted("incoherent_background", value, sd, "1", { min: 0, initial: value + 0.5 * sd }));
  }
  return specs;
}

/** The shortest span of scan times (h) a property's law rate is bounded by: its rate lies within ±(max − min) per the span, or per this when shorter. */
const MIN_LAW_SPAN_H = 0.1;

/** A named sample alignment's angle offset; a ValidationError naming the label when the series does not declare it. */
function alignmentOf(input: SeriesInput, label: string): { value: number; sd?: number } {
  const entry = input.alignments?.[label];
  if (!entry) throw new ValidationError("alignment", `names no alignment of cell "${input.cell}" (${Object.keys(input.alignments ?? {}).join(", ") || "none declared"})`, label);
  return entry.angleOffset_deg;
}

/** The fitted angle offset of the scans of one sample alignment (`SeriesScan.alignment`). */
export function alignmentOffsetName(alignment: string): string {
  return `angle_offset@${alignment}`;
}

/** The name of a scan's own scale (`intensity: "own"`). */
export function ownScaleName(scan: { id: string }): string {
  return perScanName("scale", scan);
}

/** The name of a scan's own value of a parameter (`scale@<id>`, `Cu_thickness@<id>`: an intensity or a layer property per scan). */
export function perScanName(name: string, scan: { id: string }): string {
  return `${name}@${scan.id}`;
}

/** The shared parameter a per-scan one stands for (`Cu_thickness@s3` → `Cu_thickness`), or undefined for a shared one. */
export function perScanBase(name: string): string | undefined {
  const at = name.indexOf("@");
  return at < 0 ? undefined : name.slice(0, at);
}

/** The suffix of a beam's scale, background, beam height and attenuation factor: "" for the series' own beam, `_<name>` for a scan's own. */
export function beamSuffix(beam: ScanBeam | undefined): string {
  return beam ? `_${beam.name}` : "";
}

/** The beams the scans of a series use, in order of first use (undefined: the series' own beam). */
export function scanBeams(input: SeriesInput): (ScanBeam | undefined)[] {
  const seen = new Map<string, ScanBeam | undefined>();
  for (const scan of input.scans) {
    const key = scan.beam ? `_${scan.beam.name}` : "";
    if (!seen.has(key)) seen.set(key, scan.beam);
  }
  return [...seen.values()];
}

/** Units of the properties a layer's `fit` block names. */
const UNITS: Record<keyof SeriesLayerFit, string> = { sld: "10⁻⁶ Å⁻²", thickness_A: "Å", roughness_A: "Å", density: "g/cm³" };

/** The interphase's roughness or density fit: the manifest's bounds and prior, else the default's bounds (always fitted: campaign/manifest refuses "fixed"). */
function interphaseFit(layer: StackLayer, key: "roughness_A" | "density", fallback: { min: number; max: number }): SeriesPropertyFit {
  const declared = layer.fit?.[key];
  return declared === undefined || declared === "fixed" ? fallback : declared;
}

/** A parameter's truncated normal prior from a declared fit. */
function priorOf(fit: SeriesPropertyFit): { prior?: { kind: "truncnormal"; mean: number; sd: number; min: number; max: number } } {
  return fit.prior ? { prior: { kind: "truncnormal", mean: fit.prior.mean, sd: fit.prior.sd, min: fit.min, max: fit.max } } : {};
}

/** The least-squares line through points (slope 0 through one point, or when every x is the same). */
function lineThrough(points: readonly { x: number; y: number }[]): { intercept: number; slope: number } {
  const n = points.length;
  const mx = points.reduce((sum, p) => sum + p.x, 0) / n;
  const my = points.reduce((sum, p) => sum + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { intercept: my - slope * mx, slope };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}
