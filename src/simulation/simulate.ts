/**
 * @module simulation/simulate
 * `strata simulate`: writes a complete synthetic operando campaign in the manifest
 * format — reflectivity scans as `.ort` with counting noise, a cycler record (BDF CSV)
 * of a potentiostatic hold whose current follows the growth law and Faradaic fraction,
 * impedance spectra with noise — and `truth.json`. Deterministic given the seed.
 *
 * Beam damage (`damage`): the interphase thickness seen at a scan is the chemistry's
 * value plus a damage term (models/damageModels) of the spot's accumulated dose at
 * mid exposure, computed with the dose ledger (confounders/dose) from the manifest
 * this function writes. `damage.fresh` adds, after each listed measured scan, one
 * scan at a new fresh spot (F1, F2, …): exposed once, so nearly undamaged.
 *
 * Several beams (`beams`, issue 15 part 7): a scenario may name further beams (probe,
 * energy or wavelength, flux and size, and the Q grid and counting of that instrument),
 * and `scans.beams` says which beam measures scan k (entry k mod its length; null: the
 * scenario's own beam): one cell measured alternately by X-rays and neutrons. The cell's
 * stack truth is one; each named beam has its own scale and residual background (drawn
 * from the stream `<seed>:nuisance:<cell>:<beam>`). The manifest carries `beams` and
 * each scan's `beam`. Not with `damage` (the dose of mixed scans is not simulated).
 *
 * Units: time s, thickness/roughness Å, Q Å⁻¹, current A, charge C, area cm²,
 * conductivity S/m, frequency Hz, impedance Ω, dose Gy.
 */
import fs from "node:fs";
import path from "node:path";
import { FARADAY, PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM, VACUUM_PERMITTIVITY } from "../core/constants.ts";
import { ValidationError } from "../core/errors.ts";
import { checkKnownKeys } from "../core/keys.ts";
import { STRATA_VERSION } from "../core/version.ts";
import { createRandom, type Random } from "../core/random.ts";
import { poissonDeviate } from "../core/poisson.ts";
import { FWHM_TO_SIGMA } from "../kernels/reflectivity/smear.ts";
import { GEOMETRY_SCALAR, GEOMETRY_SCALAR_COUNT } from "../kernels/reflectivity/geometryReflectivity.ts";
import { checkDensity, formulaMass, neutronSld, xraySld } from "../materials/index.ts";
import { checkFlux, checkRequestedQ, checkRoughnesses, checkWavelength, checkXrayEnergy } from "../materials/plausibility.ts";
import { writeOrt } from "../io/ort.ts";
import { GROWTH_LAWS, LAW_NAMES, type LawName } from "../models/growthLaws.ts";
import { reflectivityEvaluator } from "../models/reflectivityEvaluator.ts";
import { checkRelativeResolution } from "../models/reflectModel.ts";
import { DAMAGE_MODELS, DAMAGE_NAMES, type DamageName } from "../models/damageModels.ts";
import { attenuationSums, buildBeamPath, exposureDose, resolveDoseSetup, unavailableError, type AttenuationSums } from "../confounders/index.ts";
import { parseManifest } from "../campaign/manifest.ts";

export interface ScenarioLayer {
  name: string;
  role: "substrate" | "electrode" | "interphase" | "electrolyte" | "window" | "other";
  material: { formula: string; density: number };
  thickness_A?: number;
  roughness_A: number;
  /** interphase only: electrons per formula unit formed (z) */
  electronsPerFormula?: number;
  /**
   * a finite layer other than the interphase: its thickness changes by this much per hour of
   * the campaign (Å/h; an electrode that dissolves or plates), thickness_A at t = 0 — the truth
   * a manifest's `fit.thickness_A.perScan` recovers scan by scan
   */
  thicknessDrift_A_per_h?: number;
}

export interface Scenario {
  name: string;
  seed: number;
  probe: "xray" | "neutron";
  energy_keV?: number;
  wavelength_A?: number;
  law: { name: LawName; parameters: Record<string, number>; restrictTo?: "reduction" };
  /** fraction of the reduction charge that builds the film (the rest goes to soluble products) */
  faradaicFraction: number;
  /** what the manifest will declare about f: fixed at a value, or unknown (fitted) */
  declaredFaradaicFraction?: number;
  /** charge law only: galvanostatic reduction pulses of I0 (A) lasting on_s, separated by rests of off_s (s) */
  holdCurrent?: { I0_A: number; on_s: number; off_s: number };
  area_cm2: number;
  stack: ScenarioLayer[];
  scans: { count: number; interval_s: number; exposure_s: number; qMin: number; qMax: number; points: number; dqOverQ_fwhm: number; incident: number; background: number; firstAt_s?: number; beams?: (string | null)[] };
  impedance?: { every: number; conductivity_S_per_m: number; permittivity: number; R0_ohm: number; noise: number; fMin: number; fMax: number; pointsPerDecade: number };
  beam?: { flux_per_s: number; height_mm: number; width_mm: number; profile: "gaussian" | "tophat" };
  cells?: number;
  /** measurement geometry (see {@link ScenarioGeometry}) */
  geometry?: ScenarioGeometry;
  /** replicate cells drawn from a log-normal population: law parameter name → log-sd (each cell's value is the law's value × e^(logSd·z)) */
  population?: Record<string, number>;
  /** beam damage of the interphase thickness; `fresh`: indices (0-based) of the measured scans each followed by one scan at a new fresh spot */
  damage?: { model: DamageName; rate_A_per_Gy: number; dose_Gy?: number; fresh?: number[] };
  /** each cell's true stack and instrument drawn away from the nominal values the manifest states (see {@link ScenarioNuisance}) */
  nuisance?: ScenarioNuisance;
  /** further beams by name (see the module header); `scans.beams` assigns them to scans */
  beams?: Record<string, ScenarioBeam>;
}

/** A further beam of a scenario: probe and energy (X-rays) or wavelength (neutrons), size and flux, and its instrument's Q grid and counting (defaults: the scenario's). */
export interface ScenarioBeam {
  probe: "xray" | "neutron";
  energy_keV?: number;
  wavelength_A?: number;
  flux_per_s?: number;
  height_mm?: number;
  width_mm?: number;
  profile?: "gaussian" | "tophat";
  qMin?: number;
  qMax?: number;
  points?: number;
  dqOverQ_fwhm?: number;
  incident?: number;
  background?: number;
}

/**
 * How far a real cell is from its nominal description (issue 13 part 6): every cell's
 * truth is drawn from its own random stream (`<seed>:nuisance:<cell>`, so the counting
 * noise is that of the same scenario without draws), and the manifest states the
 * scenario's nominal values unrounded. Each part may be omitted (no draw).
 */
export interface ScenarioNuisance {
  /** every finite layer but the interphase: true thickness = nominal × (1 + U(−x, x)) */
  thicknessRelative?: number;
  /** every interface (the interphase's own too): true roughness U(lo, hi) Å */
  roughness_A?: [number, number];
  /** every layer but a substrate (a crystal's density is known): true density = nominal × (1 + U(−x, x)) */
  densityRelative?: number;
  /** true scale = 1 + U(−x, x) (the manifest says 1) */
  scaleRelative?: number;
  /** true residual background U(lo, hi) added to `scans.background` (the manifest says 0) */
  background?: [number, number];
}

/**
 * Measurement geometry of a simulated campaign: the errors injected into the curves and
 * what the manifest declares about them.
 */
export interface ScenarioGeometry {
  /** sample angle offset (deg); the manifest declares it unknown with prior sd `offsetPriorSd_deg` (default 0.01°) */
  angleOffset_deg?: number;
  offsetPriorSd_deg?: number;
  /** uncorrected over-illumination (footprint) of the scenario's beam on the sample */
  footprint?: boolean;
  /** length of the sample along the beam, mm (default 20), written to the manifest */
  sampleLength_mm?: number;
  /** the manifest declares the beam height as this (mm, instead of the true one) with prior sd `beamHeightSd_mm`: the diagnosis fits it */
  declaredBeamHeight_mm?: number;
  beamHeightSd_mm?: number;
  /** sample-height offset (mm) read by a detector at `detectorDistance_mm` (default 1000 mm); declared unknown with prior sd `heightPriorSd_mm` (default 0.1 mm) */
  heightOffset_mm?: number;
  detectorDistance_mm?: number;
  heightPriorSd_mm?: number;
  /** the cell's beam entry (default "through-substrate"), electrolyte path or film (mm, default 10) and windows, written to the manifest */
  beamEntry?: "through-substrate" | "through-electrolyte" | "through-window";
  electrolytePath_mm?: number;
  windows?: { name: string; material: { formula: string; density: number }; thickness_um: number }[];
  /** the curves carry the entry path's attenuation (computed from the manifest's composition, confounders/path), uncorrected */
  attenuation?: boolean;
  /** true μ·t = the manifest's × (1 + attenuationError); the manifest declares attenuationRelativeSd when given */
  attenuationError?: number;
  attenuationRelativeSd?: number;
  /** the electrolyte film's incoherent background at α = 1° (∝ 1/sin α); declared unknown with prior sd `incoherentPriorSd` (default: the value) */
  incoherentBackground?: number;
  incoherentPriorSd?: number;
}

export const DEFAULT_STACK: ScenarioLayer[] = [
  { name: "Si", role: "substrate", material: { formula: "Si", density: 2.33 }, roughness_A: 3 },
  { name: "Cu", role: "electrode", material: { formula: "Cu", density: 8.96 }, thickness_A: 493.6, roughness_A: 4.6 },
  { name: "SEI", role: "interphase", material: { formula: "LiF", density: 2.3 }, thickness_A: 20, roughness_A: 6, electronsPerFormula: 1 },
  { name: "electrolyte", role: "electrolyte", material: { formula: "C3H4O3", density: 1.32 }, roughness_A: 7.3 },
];

/** Å of interphase per C/cm² of reduction charge at f = 1: M/(z·F·ρ) cm³/C × 1e8 Å/cm. */
export function thicknessPerCharge(formula: string, density: number, electrons: number): number {
  return (formulaMass(formula) / (electrons * FARADAY * density)) * 1e8;
}

/** Fill defaults and validate a scenario (messages name the field). */
export function resolveScenario(spec: unknown): Scenario {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new ValidationError("scenario", "must be a JSON object", spec);
  checkScenarioKeys(spec as Record<string, unknown>);
  const s = spec as Partial<Scenario>;
  const law = s.law;
  if (!law || !LAW_NAMES.includes(law.name)) throw new ValidationError("law.name", `must be one of ${LAW_NAMES.join(", ")}`, law?.name);
  const probe = s.probe ?? "xray";
  if (probe !== "xray" && probe !== "neutron") throw new ValidationError("probe", 'must be "xray" or "neutron"', probe);
  const scans = { count: 20, interval_s: 1800, exposure_s: 300, qMin: 0.01, qMax: 0.3, points: 100, dqOverQ_fwhm: 0.05, incident: 1e8, background: 0, ...(s.scans ?? {}) };
  if (!(Number.isInteger(scans.count) && scans.count >= 2)) throw new ValidationError("scans.count", "must be an integer ≥ 2", scans.count);
  const scenario: Scenario = {
    name: s.name ?? `simulated ${law.name} growth`,
    seed: s.seed ?? 1,
    probe,
    ...(probe === "xray" ? { energy_keV: s.energy_keV ?? 17.48 } : { wavelength_A: s.wavelength_A ?? 1.798 }),
    law,
    faradaicFraction: s.faradaicFraction ?? 1,
    ...(s.declaredFaradaicFraction !== undefined ? { declaredFaradaicFraction: s.declaredFaradaicFraction } : {}),
    holdCurrent: s.holdCurrent ?? { I0_A: 2.5e-7, on_s: 2400, off_s: 2400 },
    area_cm2: s.area_cm2 ?? 1,
    // neutrons: LiF (1.99) and protonated EC (2.02) have no contrast, so the default
    // neutron cell uses deuterated EC (5.78 × 10⁻⁶ Å⁻²), as real operando NR does
    stack: s.stack ?? (probe === "neutron" ? DEFAULT_STACK.map((l) => (l.role === "electrolyte" ? { ...l, name: "d-electrolyte", material: { formula: "C3D4O3", density: 1.38 } } : l)) : DEFAULT_STACK),
    scans,
    ...(s.impedance ? { impedance: { ...IMPEDANCE_DEFAULTS, ...(s.impedance as Partial<NonNullable<Scenario["impedance"]>>) } } : {}),
    beam: s.beam ?? { flux_per_s: 1e11, height_mm: 0.02, width_mm: 0.2, profile: "gaussian" },
    cells: s.cells ?? 1,
    ...(s.damage ? { damage: resolveDamage(s.damage, scans.count) } : {}),
    ...(s.population ? { population: s.population } : {}),
    ...(s.geometry ? { geometry: s.geometry } : {}),
    ...(s.nuisance ? { nuisance: resolveNuisance(s.nuisance) } : {}),
    ...(s.beams !== undefined ? { beams: resolveBeams(s.beams, scans.beams) } : {}),
  };
  if (scans.beams !== undefined && scenario.beams === undefined) throw new ValidationError("scans.beams", 'names beams but the scenario has no "beams"', scans.beams);
  if (scenario.beams !== undefined && scenario.damage) throw new ValidationError("damage", "is not simulated with several beams (the dose of mixed X-ray and neutron scans)", Object.keys(scenario.beams));
  checkRelativeResolution(scans.dqOverQ_fwhm, "scans.dqOverQ_fwhm");
  checkScenarioPlausibility(scenario);
  const sampleLength = scenario.geometry?.sampleLength_mm;
  if (sampleLength !== undefined && !(typeof sampleLength === "number" && sampleLength > 0 && Number.isFinite(sampleLength))) throw new ValidationError("geometry.sampleLength_mm", "must be a length > 0 mm", sampleLength);
  scenario.stack.forEach((layer, i) => checkDensity(layer.material?.density, `stack[${i}].material.density`));
  (scenario.geometry?.windows ?? []).forEach((w, i) => checkDensity(w.material?.density, `geometry.windows[${i}].material.density`));
  const interphases = scenario.stack.filter((l) => l.role === "interphase");
  if (interphases.length !== 1) throw new ValidationError("stack", "needs exactly one layer with role \"interphase\"", interphases.length);
  const expected = GROWTH_LAWS[law.name].parameters({ duration: 1, firstThickness: 1, growth: 1, thicknessPerCharge: 1 }).map((p) => p.name);
  for (const name of expected) {
    if (typeof law.parameters?.[name] !== "number") throw new ValidationError(`law.parameters.${name}`, `is required for the ${law.name} law`, law.parameters?.[name]);
  }
  if (law.name === "charge") scenario.faradaicFraction = law.parameters["f"];
  for (const [name, logSd] of Object.entries(scenario.population ?? {})) {
    if (!expected.includes(name)) throw new ValidationError(`population.${name}`, `is not a parameter of the ${law.name} law (${expected.join(", ")})`, name);
    if (!(typeof logSd === "number" && logSd >= 0 && Number.isFinite(logSd))) throw new ValidationError(`population.${name}`, "must be a log-sd ≥ 0", logSd);
    if (!(law.parameters[name] > 0)) throw new ValidationError(`law.parameters.${name}`, "must be > 0 for a log-normal population", law.parameters[name]);
  }
  return scenario;
}

/** Beam, stack, Q and time values no real experiment has (materials/plausibility): errors naming the scenario field. */
function checkScenarioPlausibility(scenario: Scenario): void {
  const finiteNumber = (x: unknown, path: string): number => {
    if (typeof x !== "number" || !Number.isFinite(x)) throw new ValidationError(path, "must be a finite number", x);
    return x;
  };
  if (scenario.energy_keV !== undefined) checkXrayEnergy(finiteNumber(scenario.energy_keV, "energy_keV"), "energy_keV");
  if (scenario.wavelength_A !== undefined) checkWavelength(finiteNumber(scenario.wavelength_A, "wavelength_A"), scenario.probe, "wavelength_A");
  if (scenario.beam?.flux_per_s !== undefined) checkFlux(finiteNumber(scenario.beam.flux_per_s, "beam.flux_per_s"), scenario.probe, "beam.flux_per_s");
  const { scans } = scenario;
  const qMin = finiteNumber(scans.qMin, "scans.qMin");
  const qMax = finiteNumber(scans.qMax, "scans.qMax");
  checkRequestedQ([qMin], "scans.qMin", false);
  checkRequestedQ([qMax], "scans.qMax", false);
  if (!(qMax > qMin)) throw new ValidationError("scans.qMax", `must be > scans.qMin (${qMin})`, qMax);
  if (!(finiteNumber(scans.exposure_s, "scans.exposure_s") > 0)) throw new ValidationError("scans.exposure_s", "an exposure must be > 0 s", scans.exposure_s);
  if (!(finiteNumber(scans.interval_s, "scans.interval_s") > 0)) throw new ValidationError("scans.interval_s", "must be > 0 s", scans.interval_s);
  if (!Array.isArray(scenario.stack)) throw new ValidationError("stack", "must be a list of layers", scenario.stack);
  const last = scenario.stack.length - 1;
  scenario.stack.forEach((layer, i) => {
    if (layer.thicknessDrift_A_per_h === undefined) return;
    const drift = finiteNumber(layer.thicknessDrift_A_per_h, `stack[${i}].thicknessDrift_A_per_h`);
    if (i === 0 || i === last || layer.role === "interphase" || layer.thickness_A === undefined) {
      throw new ValidationError(`stack[${i}].thicknessDrift_A_per_h`, "is for a finite layer other than the interphase (whose thickness follows the growth law)", drift);
    }
    const end_h = ((scans.firstAt_s ?? 600) + scans.count * scans.interval_s) / 3600;
    if (!(layer.thickness_A + drift * end_h > 0)) throw new ValidationError(`stack[${i}].thicknessDrift_A_per_h`, `takes ${layer.name} to ${(layer.thickness_A + drift * end_h).toFixed(1)} Å by the last scan (${end_h.toFixed(2)} h): a thickness must stay > 0`, drift);
  });
  checkRoughnesses(
    scenario.stack.map((layer, i) => ({ thickness: i === 0 || i === last ? undefined : layer.thickness_A, roughness: layer.roughness_A })),
    (i) => `stack[${i}].roughness_A`,
  );
}

/** Every key a scenario may hold, per object (the interfaces above). */
const SCENARIO_KEYS = {
  root: ["name", "description", "notes", "seed", "probe", "energy_keV", "wavelength_A", "law", "faradaicFraction", "declaredFaradaicFraction", "holdCurrent", "area_cm2", "stack", "scans", "impedance", "beam", "cells", "geometry", "population", "damage", "nuisance", "beams"],
  law: ["name", "parameters", "restrictTo"],
  holdCurrent: ["I0_A", "on_s", "off_s"],
  layer: ["name", "role", "material", "thickness_A", "roughness_A", "electronsPerFormula", "thicknessDrift_A_per_h"],
  material: ["formula", "density"],
  scans: ["count", "interval_s", "exposure_s", "qMin", "qMax", "points", "dqOverQ_fwhm", "incident", "background", "firstAt_s", "beams"],
  impedance: ["every", "conductivity_S_per_m", "permittivity", "R0_ohm", "noise", "fMin", "fMax", "pointsPerDecade"],
  beam: ["flux_per_s", "height_mm", "width_mm", "profile"],
  geometry: ["angleOffset_deg", "offsetPriorSd_deg", "footprint", "sampleLength_mm", "declaredBeamHeight_mm", "beamHeightSd_mm", "heightOffset_mm", "detectorDistance_mm", "heightPriorSd_mm", "beamEntry", "electrolytePath_mm", "windows", "attenuation", "attenuationError", "attenuationRelativeSd", "incoherentBackground", "incoherentPriorSd"],
  window: ["name", "material", "thickness_um"],
  damage: ["model", "rate_A_per_Gy", "dose_Gy", "fresh"],
} as const;

/** Unknown keys anywhere in a scenario: errors with a suggestion (warnings when lenient, core/keys). */
function checkScenarioKeys(s: Record<string, unknown>): void {
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
  const check = (x: unknown, path: string, known: readonly string[]): void => {
    if (isObject(x)) checkKnownKeys(x, path, known);
  };
  check(s, "", SCENARIO_KEYS.root);
  for (const key of ["law", "holdCurrent", "scans", "impedance", "beam", "geometry", "damage"] as const) check(s[key], key, SCENARIO_KEYS[key]);
  const layers = (x: unknown, path: string, known: readonly string[]): void => {
    if (!Array.isArray(x)) return;
    x.forEach((layer: unknown, i) => {
      check(layer, `${path}[${i}]`, known);
      if (isObject(layer)) check(layer["material"], `${path}[${i}].material`, SCENARIO_KEYS.material);
    });
  };
  layers(s["stack"], "stack", SCENARIO_KEYS.layer);
  if (isObject(s["geometry"])) layers(s["geometry"]["windows"], "geometry.windows", SCENARIO_KEYS.window);
}

const BEAM_KEYS = ["probe", "energy_keV", "wavelength_A", "flux_per_s", "height_mm", "width_mm", "profile", "qMin", "qMax", "points", "dqOverQ_fwhm", "incident", "background"] as const;

/** The scenario's further beams, checked (keys, probe, energy or wavelength, Q grid), and `scans.beams` naming them. */
function resolveBeams(spec: unknown, pattern: unknown): Record<string, ScenarioBeam> {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new ValidationError("beams", "must be an object of beams by name", spec);
  const beams: Record<string, ScenarioBeam> = {};
  for (const [name, value] of Object.entries(spec as Record<string, unknown>)) {
    const p = `beams.${name}`;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ValidationError(p, "must be a beam object", value);
    checkKnownKeys(value as Record<string, unknown>, p, BEAM_KEYS);
    const b = value as Partial<ScenarioBeam>;
    if (b.probe !== "xray" && b.probe !== "neutron") throw new ValidationError(`${p}.probe`, 'must be "xray" or "neutron"', b.probe);
    if (b.probe === "xray") {
      if (typeof b.energy_keV !== "number" || !Number.isFinite(b.energy_keV)) throw new ValidationError(`${p}.energy_keV`, "is required for an X-ray beam (keV)", b.energy_keV);
      checkXrayEnergy(b.energy_keV, `${p}.energy_keV`);
      if (b.wavelength_A !== undefined) throw new ValidationError(`${p}.wavelength_A`, "give energy_keV for an X-ray beam", b.wavelength_A);
    } else {
      if (b.energy_keV !== undefined) throw new ValidationError(`${p}.energy_keV`, "a neutron beam gives wavelength_A", b.energy_keV);
      if (b.wavelength_A !== undefined) checkWavelength(b.wavelength_A, "neutron", `${p}.wavelength_A`);
    }
    if (b.flux_per_s !== undefined) checkFlux(b.flux_per_s, b.probe, `${p}.flux_per_s`);
    if (b.dqOverQ_fwhm !== undefined) checkRelativeResolution(b.dqOverQ_fwhm, `${p}.dqOverQ_fwhm`);
    if (b.points !== undefined && !(Number.isInteger(b.points) && b.points >= 2)) throw new ValidationError(`${p}.points`, "must be an integer ≥ 2", b.points);
    beams[name] = { ...b, probe: b.probe, ...(b.probe === "neutron" ? { wavelength_A: b.wavelength_A ?? 1.798 } : {}) };
  }
  if (pattern !== undefined) {
    if (!Array.isArray(pattern) || pattern.length === 0) throw new ValidationError("scans.beams", "must be a non-empty list of beam names (null: the scenario's own beam)", pattern);
    pattern.forEach((name: unknown, k) => {
      if (name !== null && !(typeof name === "string" && Object.hasOwn(beams, name))) throw new ValidationError(`scans.beams[${k}]`, `names no beam in "beams" (${Object.keys(beams).join(", ")}; null: the scenario's own)`, name);
    });
  }
  return beams;
}

/**
 * The scenario as a named beam sees it: that beam's probe, energy or wavelength, size,
 * flux and Q grid and counting (the scenario's where the beam gives none); undefined: the scenario.
 */
export function beamScenario(scenario: Scenario, name: string | undefined): Scenario {
  if (name === undefined) return scenario;
  const b = scenario.beams![name];
  const { energy_keV: _e, wavelength_A: _w, ...rest } = scenario;
  const pick = <K extends "qMin" | "qMax" | "points" | "dqOverQ_fwhm" | "incident" | "background">(key: K): Record<string, number> => (b[key] !== undefined ? { [key]: b[key] } : {});
  const base = scenario.beam ?? { flux_per_s: 1e11, height_mm: 0.02, width_mm: 0.2, profile: "gaussian" as const };
  return {
    ...rest,
    probe: b.probe,
    ...(b.probe === "xray" ? { energy_keV: b.energy_keV } : { wavelength_A: b.wavelength_A }),
    beam: { flux_per_s: b.flux_per_s ?? base.flux_per_s, height_mm: b.height_mm ?? base.height_mm, width_mm: b.width_mm ?? base.width_mm, profile: b.profile ?? base.profile },
    scans: { ...scenario.scans, ...pick("qMin"), ...pick("qMax"), ...pick("points"), ...pick("dqOverQ_fwhm"), ...pick("incident"), ...pick("background") },
  };
}

function resolveNuisance(spec: unknown): ScenarioNuisance {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new ValidationError("nuisance", "must be an object", spec);
  const n = spec as Record<string, unknown>;
  checkKnownKeys(n, "nuisance", ["thicknessRelative", "roughness_A", "densityRelative", "scaleRelative", "background"]);
  for (const key of ["thicknessRelative", "densityRelative", "scaleRelative"]) {
    const x = n[key];
    if (x !== undefined && !(typeof x === "number" && x >= 0 && x < 0.5)) throw new ValidationError(`nuisance.${key}`, "must be a relative half-width in [0, 0.5)", x);
  }
  for (const key of ["roughness_A", "background"]) {
    const r = n[key];
    if (r !== undefined && !(Array.isArray(r) && r.length === 2 && r.every((v) => typeof v === "number" && Number.isFinite(v)) && r[0] <= r[1] && (key !== "roughness_A" || r[0] >= 0))) {
      throw new ValidationError(`nuisance.${key}`, "must be a range [lo, hi] with lo ≤ hi" + (key === "roughness_A" ? " and lo ≥ 0 Å" : ""), r);
    }
  }
  return n;
}

/** One cell's true stack, scale and background: the scenario's nominal values, or drawn away from them. */
export function drawCellTruth(scenario: Scenario, cell: string): { stack: ScenarioLayer[]; scale: number; background: number } {
  const n = scenario.nuisance;
  if (!n) return { stack: scenario.stack, scale: 1, background: scenario.scans.background };
  const random = createRandom(`${String(scenario.seed)}:nuisance:${cell}`);
  const relative = (x: number | undefined): number => (x === undefined ? 1 : 1 + x * (2 * random.next() - 1));
  const within = (r: [number, number] | undefined, fallback: number): number => (r === undefined ? fallback : r[0] + (r[1] - r[0]) * random.next());
  const stack = scenario.stack.map((layer, j) => {
    const finite = j > 0 && j < scenario.stack.length - 1;
    return {
      ...layer,
      // a crystalline substrate's density is known; films' and liquids' are not
      material: { ...layer.material, density: layer.material.density * (layer.role === "substrate" ? 1 : relative(n.densityRelative)) },
      ...(finite && layer.role !== "interphase" && layer.thickness_A !== undefined ? { thickness_A: layer.thickness_A * relative(n.thicknessRelative) } : {}),
      roughness_A: j === 0 ? layer.roughness_A : within(n.roughness_A, layer.roughness_A),
    };
  });
  return { stack, scale: relative(n.scaleRelative), background: scenario.scans.background + within(n.background, 0) };
}

function resolveDamage(spec: unknown, count: number): NonNullable<Scenario["damage"]> {
  if (typeof spec !== "object" || spec === null) throw new ValidationError("damage", "must be an object", spec);
  const d = spec as Partial<NonNullable<Scenario["damage"]>>;
  const model = d.model ?? "linear";
  if (!DAMAGE_NAMES.includes(model)) throw new ValidationError("damage.model", `must be one of ${DAMAGE_NAMES.join(", ")}`, model);
  const rate = d.rate_A_per_Gy ?? 0;
  if (!Number.isFinite(rate)) throw new ValidationError("damage.rate_A_per_Gy", "must be a finite number (Å per Gy)", d.rate_A_per_Gy);
  if (model === "saturating" && !(typeof d.dose_Gy === "number" && d.dose_Gy > 0)) throw new ValidationError("damage.dose_Gy", "is required (> 0 Gy) for the saturating model", d.dose_Gy);
  const fresh = d.fresh ?? [];
  fresh.forEach((k, j) => {
    if (!(Number.isInteger(k) && k >= 0 && k < count)) throw new ValidationError(`damage.fresh[${j}]`, `must be the index of a measured scan (0 to ${count - 1})`, k);
  });
  return { model, rate_A_per_Gy: rate, ...(d.dose_Gy !== undefined ? { dose_Gy: d.dose_Gy } : {}), fresh: [...fresh].sort((a, b) => a - b) };
}

/** Sample–detector distance of a simulated height offset unless the scenario gives one, mm. */
export const DEFAULT_DETECTOR_DISTANCE_MM = 1000;

/** Length of the simulated samples along the beam unless the scenario gives one, mm. */
export const SAMPLE_LENGTH_MM = 20;

const IMPEDANCE_DEFAULTS: NonNullable<Scenario["impedance"]> = { every: 4, conductivity_S_per_m: 2e-7, permittivity: 8, R0_ohm: 5, noise: 0.005, fMin: 0.1, fMax: 1e5, pointsPerDecade: 8 };

export const iso = (t0: number, seconds: number): string => new Date(t0 + seconds * 1000).toISOString().replace(/\.000Z$/, "Z");

/**
 * Write the campaign to `dir`.
 * @returns the truth that was simulated
 */
export function simulateCampaign(scenarioSpec: unknown, dir: string): Record<string, unknown> {
  const scenario = resolveScenario(scenarioSpec);
  const random = createRandom(scenario.seed);
  const t0 = Date.parse("2026-03-01T10:00:00Z");
  fs.mkdirSync(path.join(dir, "xrr"), { recursive: true });
  fs.mkdirSync(path.join(dir, "echem"), { recursive: true });
  if (scenario.impedance) fs.mkdirSync(path.join(dir, "eis"), { recursive: true });
  const interphaseIndex = scenario.stack.findIndex((l) => l.role === "interphase");
  const interphase = scenario.stack[interphaseIndex];
  const perCharge = thicknessPerCharge(interphase.material.formula, interphase.material.density, interphase.electronsPerFormula ?? 1);
  const law = GROWTH_LAWS[scenario.law.name];
  const lawNames = law.parameters({ duration: 1, firstThickness: 1, growth: 1, thicknessPerCharge: 1 }).map((p) => p.name);
  // replicate cells from the population (own generator, so the data streams are those of a single-population scenario)
  const populationRandom = createRandom(`${String(scenario.seed)}:population`);
  const cellParameters = new Map<string, Record<string, number>>();
  const s = scenario.scans;
  const cells = Array.from({ length: scenario.cells ?? 1 }, (_, i) => String.fromCharCode(65 + i));
  const impedance: unknown[] = [];
  const truthCells: Record<string, unknown> = {};
  const duration = (s.firstAt_s ?? 600) + s.count * s.interval_s + s.exposure_s;
  // every scan's nominal Q grid (points with zero counts are dropped from the files, not from the exposure)
  const q = Float64Array.from({ length: s.points }, (_, i) => s.qMin + ((s.qMax - s.qMin) * i) / (s.points - 1));
  const damage = scenario.damage;
  const damageValues = damage ? [damage.rate_A_per_Gy, damage.dose_Gy ?? 1] : [];
  // the scan schedule of every cell: the measured spot P1 every interval, and one scan
  // at a new fresh spot right after each measured scan listed in damage.fresh
  const schedules = new Map<string, { id: string; spot: string; start: number; file: string; dose_Gy?: number; beam?: string }[]>();
  for (const cell of cells) {
    const planned: { id: string; spot: string; start: number; file: string; beam?: string }[] = [];
    let freshCount = 0;
    for (let k = 0; k < s.count; k++) {
      const start = (s.firstAt_s ?? 600) + k * s.interval_s;
      const id = `${cell}${String(k + 1).padStart(4, "0")}`;
      const beamName = s.beams?.[k % s.beams.length] ?? undefined;
      planned.push({ id, spot: "P1", start, file: `xrr/${id}.ort`, ...(beamName !== undefined ? { beam: beamName } : {}) });
      for (const f of damage?.fresh ?? []) {
        if (f !== k) continue;
        freshCount++;
        const freshId = `${cell}F${String(freshCount).padStart(3, "0")}`;
        planned.push({ id: freshId, spot: `F${freshCount}`, start: start + s.exposure_s + 60, file: `xrr/${freshId}.ort` });
      }
    }
    schedules.set(cell, planned);
  }
  const manifest = {
    format: "strata-campaign/1",
    name: scenario.name,
    cells: cells.map((cell) => manifestCell(scenario, cell, perCharge, [...new Set(schedules.get(cell)!.map((p) => p.spot))])),
    beam: {
      probe: scenario.probe,
      ...(scenario.probe === "xray" ? { energy_keV: scenario.energy_keV } : { wavelength_A: scenario.wavelength_A }),
      ...scenario.beam,
      ...(scenario.geometry?.declaredBeamHeight_mm !== undefined ? { height_mm: scenario.geometry.declaredBeamHeight_mm } : {}),
    },
    ...(scenario.beams
      ? {
          beams: Object.fromEntries(
            Object.keys(scenario.beams).map((name) => {
              const b = beamScenario(scenario, name);
              return [name, { probe: b.probe, ...(b.probe === "xray" ? { energy_keV: b.energy_keV } : { wavelength_A: b.wavelength_A }), ...b.beam }];
            }),
          ),
        }
      : {}),
    t0: iso(t0, 0),
    scans: cells.flatMap((cell) => schedules.get(cell)!.map((p) => ({ id: p.id, cell, spot: p.spot, file: p.file, start: iso(t0, p.start), end: iso(t0, p.start + s.exposure_s), ...(p.beam !== undefined ? { beam: p.beam } : {}) }))),
    electrochemistry: cells.map((cell) => ({ cell, file: `echem/${cell}.bdf.csv`, start: iso(t0, 0) })),
    ...(scenario.impedance ? { impedance: [] as unknown[] } : {}),
  };
  if (damage) {
    // accumulated dose per spot at each scan's mid exposure, from the ledger of the manifest being written
    // (dose of the full Q grid: points with zero counts, dropped from the files, were exposed too)
    if (scenario.probe !== "xray") throw new ValidationError("damage", "needs an X-ray beam: neutron doses are negligible", scenario.probe);
    const parsed = parseManifest(manifest, "campaign.json");
    parsed.cells.forEach((manifestCellParsed, i) => {
      const setup = resolveDoseSetup(parsed.beam, manifestCellParsed, `cells[${i}]`);
      if (!setup.ok) throw unavailableError(setup.unavailable);
      const scanDose = exposureDose(setup.value, q, s.exposure_s).dose_Gy ?? 0;
      const accumulated = new Map<string, number>();
      for (const p of [...schedules.get(manifestCellParsed.id)!].sort((a, b) => a.start - b.start)) {
        const before = accumulated.get(p.spot) ?? 0;
        p.dose_Gy = before + 0.5 * scanDose;
        accumulated.set(p.spot, before + scanDose);
      }
    });
  }
  // the entry path's attenuation the curves carry, from the manifest being written (times 1 + attenuationError)
  const attenuation = curveAttenuation(scenario, manifest);
  for (const cell of cells) {
    const parameters = Object.fromEntries(
      lawNames.map((name) => {
        const logSd = scenario.population?.[name];
        return [name, scenario.law.parameters[name] * (logSd === undefined ? 1 : Math.exp(logSd * populationRandom.normal()))];
      }),
    );
    cellParameters.set(cell, parameters);
    const cellTruth = drawCellTruth(scenario, cell);
    const lawValues = lawNames.map((name) => parameters[name]);
    const cellRandom = random.split();
    // cycler record: a potentiostatic hold; reduction charge per area Qred(t) (C/cm²)
    const qredPerArea = (t: number): number => {
      if (scenario.law.name === "charge") {
        // galvanostatic reduction pulses: I0 for on_s, rest for off_s, repeated
        const { I0_A, on_s, off_s } = scenario.holdCurrent!;
        const period = on_s + off_s;
        const full = Math.floor(t / period);
        return (I0_A * (full * on_s + Math.min(t - full * period, on_s))) / scenario.area_cm2;
      }
      const growth = law.evaluate(lawValues, t, 0, perCharge) - law.evaluate(lawValues, 0, 0, perCharge);
      return growth / (scenario.faradaicFraction * perCharge);
    };
    // the charge law carries f among its parameters; the other laws ignore the charge argument
    const thicknessAt = (t: number): number => law.evaluate(lawValues, t, qredPerArea(t), perCharge);
    writeCycler(path.join(dir, "echem", `${cell}.bdf.csv`), duration, qredPerArea, scenario.area_cm2, cellRandom);
    // reflectivity scans (schedule, doses and thicknesses computed before the loop, see below)
    // each beam's view of the cell: its probe, Q grid, counting, scale and background (the stack truth is one)
    const views = new Map<string | undefined, { scenario: Scenario; q: Float64Array } & ReturnType<typeof observedCurve>>();
    const viewOf = (name: string | undefined): { scenario: Scenario; q: Float64Array } & ReturnType<typeof observedCurve> => {
      let view = views.get(name);
      if (!view) {
        if (name === undefined) view = { scenario, q, ...observedCurve(scenario, q, cellTruth, attenuation) };
        else {
          const seen = beamScenario(scenario, name);
          const bs = seen.scans;
          const beamQ = Float64Array.from({ length: bs.points }, (_, i) => bs.qMin + ((bs.qMax - bs.qMin) * i) / (bs.points - 1));
          const { scale, background } = drawCellTruth(seen, `${cell}:${name}`);
          view = { scenario: seen, q: beamQ, ...observedCurve(seen, beamQ, { scale, background }, curveAttenuation(seen, manifest, name)) };
        }
        views.set(name, view);
      }
      return view;
    };
    const truthScans: unknown[] = [];
    const schedule = schedules.get(cell)!;
    for (const planned of schedule) {
      const { id, start, spot } = planned;
      const { scenario: seen, q, sigma, observed, scalars } = viewOf(planned.beam);
      const mid = start + s.exposure_s / 2;
      const chemistry = thicknessAt(mid);
      const damageTerm = damage ? DAMAGE_MODELS[damage.model].evaluate(damageValues, planned.dose_Gy ?? 0) : 0;
      const thickness = chemistry + damageTerm;
      const scanStack = stackAt(cellTruth.stack, mid);
      const slabs = stackSlabs(seen, scanStack, interphaseIndex, thickness);
      const r = observed.evaluate(slabs, scalars);
      const rows: number[][] = [[], [], [], []];
      for (let i = 0; i < q.length; i++) {
        const i0 = seen.scans.incident * (q[i] / q[0]) ** 2;
        const counts = poissonDeviate(r[i] * i0, () => cellRandom.next());
        if (counts === 0) continue;
        rows[0].push(q[i]);
        rows[1].push(counts / i0);
        rows[2].push(Math.sqrt(counts) / i0);
        rows[3].push(sigma[i]);
      }
      fs.writeFileSync(path.join(dir, planned.file), writeOrt([{ header: ortHeader(seen, id, iso(t0, start)), columns: ORT_COLUMNS, data: rows }]));
      truthScans.push({
        scan: id,
        spot,
        ...(planned.beam !== undefined ? { beam: planned.beam } : {}),
        time_s: mid,
        thickness_A: chemistry,
        qred_C_per_cm2: qredPerArea(mid),
        ...(damage ? { dose_Gy: planned.dose_Gy ?? 0, observedThickness_A: thickness } : {}),
        ...(scanStack !== cellTruth.stack && scanStack.some((l, j) => l !== cellTruth.stack[j]) ? { layers: Object.fromEntries(scanStack.filter((l) => l.thicknessDrift_A_per_h !== undefined).map((l) => [l.name, { thickness_A: l.thickness_A }])) } : {}),
      });
    }
    // impedance spectra
    const truthSpectra: unknown[] = [];
    if (scenario.impedance) {
      const z = scenario.impedance;
      for (let k = 0; k < s.count; k += z.every) {
        const start = (s.firstAt_s ?? 600) + k * s.interval_s + s.exposure_s + 30;
        const mid = start + 60;
        const thickness = thicknessAt(mid);
        const areaM2 = scenario.area_cm2 * 1e-4;
        const resistance = (thickness * 1e-10) / (z.conductivity_S_per_m * areaM2);
        const capacitance = (z.permittivity * VACUUM_PERMITTIVITY * areaM2) / (thickness * 1e-10);
        const file = `eis/${cell}_${String(k + 1).padStart(4, "0")}.csv`;
        writeSpectrum(path.join(dir, file), z, resistance, capacitance, cellRandom);
        impedance.push({ cell, file, start: iso(t0, start), end: iso(t0, start + 120) });
        truthSpectra.push({ file, time_s: mid, thickness_A: thickness, R_sei_ohm: resistance, C_sei_F: capacitance });
      }
    }
    truthCells[cell] = {
      ...(scenario.population ? { law: cellParameters.get(cell) } : {}),
      ...(scenario.nuisance
        ? { stack: cellTruth.stack.map((l) => ({ name: l.name, density: l.material.density, ...(l.role !== "interphase" && l.thickness_A !== undefined ? { thickness_A: l.thickness_A } : {}), roughness_A: l.roughness_A })), scale: cellTruth.scale, background: cellTruth.background }
        : {}),
      scans: truthScans,
      spectra: truthSpectra,
    };
  }
  const written = { ...manifest, ...(impedance.length > 0 ? { impedance } : {}) };
  if (impedance.length === 0) delete (written as { impedance?: unknown }).impedance;
  fs.writeFileSync(path.join(dir, "campaign.json"), `${JSON.stringify(written, null, 2)}\n`);
  const truth = {
    format: "strata-truth/1",
    scenario,
    law: { name: scenario.law.name, parameters: scenario.law.parameters },
    faradaicFraction: scenario.faradaicFraction,
    thicknessPerCharge_A_cm2_per_C: perCharge,
    ...(scenario.geometry
      ? {
          geometry: {
            angleOffset_deg: scenario.geometry.angleOffset_deg ?? 0,
            footprint: scenario.geometry.footprint ?? false,
            beamHeight_mm: scenario.beam!.height_mm,
            sampleLength_mm: scenario.geometry.sampleLength_mm ?? SAMPLE_LENGTH_MM,
            ...(scenario.geometry.heightOffset_mm !== undefined ? { heightOffset_mm: scenario.geometry.heightOffset_mm, detectorDistance_mm: scenario.geometry.detectorDistance_mm ?? DEFAULT_DETECTOR_DISTANCE_MM } : {}),
            ...(attenuation ? { attenuation, attenuationFactor: 1 + (scenario.geometry.attenuationError ?? 0) } : {}),
            ...(scenario.geometry.incoherentBackground !== undefined ? { incoherentBackground: scenario.geometry.incoherentBackground } : {}),
          },
        }
      : {}),
    ...(scenario.population ? { population: Object.fromEntries(Object.entries(scenario.population).map(([name, logSd]) => [name, { median: scenario.law.parameters[name], logSd }])) } : {}),
    ...(damage ? { damage: { model: damage.model, parameters: { damage_rate: damage.rate_A_per_Gy, ...(damage.model === "saturating" ? { damage_dose: damage.dose_Gy } : {}) } } } : {}),
    ...(scenario.impedance ? { conductivity_S_per_m: scenario.impedance.conductivity_S_per_m, permittivity: scenario.impedance.permittivity } : {}),
    cells: truthCells,
  };
  fs.writeFileSync(path.join(dir, "truth.json"), `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}

/** The entry path's attenuation the curves carry (geometry.attenuation), from the manifest being written, times 1 + attenuationError. */
export function curveAttenuation(scenario: Scenario, manifest: unknown, beamName?: string): AttenuationSums | undefined {
  if (!scenario.geometry?.attenuation) return undefined;
  const parsed = parseManifest(manifest, "campaign.json");
  // a named neutron beam: no photoabsorption on the entry path (the diagnosis fits it as corrected)
  if (beamName !== undefined && parsed.beams?.[beamName]?.probe !== "xray") return undefined;
  const beamPath = buildBeamPath(beamName !== undefined ? parsed.beams![beamName] : parsed.beam, parsed.cells[0], "cells[0]");
  if (!beamPath.ok) throw unavailableError(beamPath.unavailable);
  const sums = attenuationSums(beamPath.value);
  const factor = 1 + (scenario.geometry.attenuationError ?? 0);
  return { grazing: sums.grazing * factor, horizontal: sums.horizontal * factor, block: sums.block * factor };
}

/**
 * The reflectivity a cell shows on the Q grid `q`: the smearing (σ per point), the model
 * evaluator through the scenario's geometry, and its scalars (scale, background, geometry
 * truth). Shared by {@link simulateCampaign} and the per-scan generator (simulation/scanGenerator).
 */
export function observedCurve(
  scenario: Scenario,
  q: Float64Array,
  cellTruth: { scale: number; background: number },
  attenuation: AttenuationSums | undefined,
): { sigma: Float64Array; observed: ReturnType<typeof reflectivityEvaluator>; scalars: Float64Array } {
  const sigma = q.map((x) => x * scenario.scans.dqOverQ_fwhm * FWHM_TO_SIGMA);
  const geometry = scenario.geometry;
  const wavelength = scenario.probe === "xray" ? PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM / scenario.energy_keV! : scenario.wavelength_A!;
  // smeared, and seen through the cell's geometry when the scenario has one (models/reflectivityEvaluator chooses the kernel;
  // footprint, entry path and film background at the angle α′ the beam meets the sample, as the model takes them)
  const observed = reflectivityEvaluator(q, {
    sigma,
    geometry: geometry
      ? {
          wavelength_A: wavelength,
          angleOffset: geometry.angleOffset_deg !== undefined,
          ...(geometry.footprint ? { footprint: scenario.beam!.profile } : {}),
          ...(geometry.heightOffset_mm !== undefined ? { heightOffset: { detectorDistance_mm: geometry.detectorDistance_mm ?? DEFAULT_DETECTOR_DISTANCE_MM } } : {}),
          attenuation: attenuation !== undefined,
          incoherentBackground: geometry.incoherentBackground !== undefined,
        }
      : undefined,
  });
  const scalars = new Float64Array(GEOMETRY_SCALAR_COUNT);
  scalars[GEOMETRY_SCALAR.scale] = cellTruth.scale;
  scalars[GEOMETRY_SCALAR.background] = cellTruth.background;
  if (geometry) {
    scalars[GEOMETRY_SCALAR.angleOffset] = ((geometry.angleOffset_deg ?? 0) * Math.PI) / 180;
    scalars[GEOMETRY_SCALAR.beamHeight] = scenario.beam!.height_mm;
    scalars[GEOMETRY_SCALAR.sampleLength] = geometry.sampleLength_mm ?? SAMPLE_LENGTH_MM;
    scalars[GEOMETRY_SCALAR.heightOffset] = geometry.heightOffset_mm ?? 0;
    scalars[GEOMETRY_SCALAR.grazingAttenuation] = attenuation?.grazing ?? 0;
    scalars[GEOMETRY_SCALAR.horizontalAttenuation] = attenuation?.horizontal ?? 0;
    scalars[GEOMETRY_SCALAR.blockAttenuation] = attenuation?.block ?? 0;
    scalars[GEOMETRY_SCALAR.incoherentBackground] = geometry.incoherentBackground ?? 0;
  }
  return { sigma, observed, scalars };
}

export const ORT_COLUMNS = [
  { name: "Qz", unit: "1/angstrom", physical_quantity: "normal momentum transfer" },
  { name: "R", unit: "1", physical_quantity: "specular reflectivity" },
  { error_of: "R", error_type: "uncertainty", value_is: "sigma" },
  { error_of: "Qz", error_type: "resolution", value_is: "sigma" },
];

export function ortHeader(scenario: Scenario, id: string, start: string): Record<string, unknown> {
  return {
    data_source: {
      owner: { name: "strata simulate", affiliation: null },
      experiment: { title: scenario.name, instrument: "simulated", start_date: start.replace(/Z$/, ""), probe: scenario.probe === "xray" ? "x-ray" : "neutron" },
      sample: { name: id },
      measurement: {
        instrument_settings: {
          incident_angle: { magnitude: null, unit: "deg" },
          wavelength: { magnitude: scenario.probe === "xray" ? PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM / scenario.energy_keV! : scenario.wavelength_A!, unit: "angstrom" },
        },
        data_files: [{ file: `${id}.raw`, timestamp: start.replace(/Z$/, "") }],
      },
    },
    reduction: { software: { name: "strata simulate", version: STRATA_VERSION } },
  };
}

/** A stack's layers at time t (s): each drifting layer (`thicknessDrift_A_per_h`) at its thickness then. */
export function stackAt(stack: ScenarioLayer[], time_s: number): ScenarioLayer[] {
  return stack.map((layer) => (layer.thicknessDrift_A_per_h === undefined || layer.thickness_A === undefined ? layer : { ...layer, thickness_A: layer.thickness_A + (layer.thicknessDrift_A_per_h * time_s) / 3600 }));
}

export function stackSlabs(scenario: Scenario, stack: ScenarioLayer[], interphaseIndex: number, thickness: number): Float64Array {
  return Float64Array.from(
    stack.flatMap((layer, j) => {
      const sld =
        scenario.probe === "xray"
          ? xraySld(layer.material.formula, layer.material.density, scenario.energy_keV!)
          : neutronSld(layer.material.formula, layer.material.density, scenario.wavelength_A);
      const d = j === 0 || j === stack.length - 1 ? 0 : j === interphaseIndex ? thickness : (layer.thickness_A ?? 0);
      return [d, sld.sld, j === 0 ? 0 : sld.isld, j === 0 ? 0 : layer.roughness_A];
    }),
  );
}

export function manifestCell(scenario: Scenario, id: string, perCharge: number, spots: string[]): Record<string, unknown> {
  const g = scenario.geometry;
  return {
    id,
    architecture: "thin-film-reflectometry",
    electrodeArea_cm2: scenario.area_cm2,
    // what a user knows: the interphase's starting guess, and the other layers' nominal
    // values (thickness to 10 Å, roughness to 1 Å; with drawn nuisance, the scenario's
    // nominal values as given, each cell's truth drawn away from them) — not the true
    // ones, which the fit finds
    stack: scenario.stack.map((layer) => ({
      name: layer.name,
      role: layer.role,
      material: layer.material,
      ...(layer.thickness_A !== undefined ? { thickness_A: layer.role === "interphase" || scenario.nuisance ? layer.thickness_A : Math.round(layer.thickness_A / 10) * 10 } : {}),
      roughness_A: layer.role === "interphase" || scenario.nuisance ? layer.roughness_A : Math.max(1, Math.round(layer.roughness_A)),
      ...(layer.role === "interphase"
        ? { growth: { electronsPerFormula: layer.electronsPerFormula ?? 1, ...(scenario.declaredFaradaicFraction !== undefined ? { faradaicFraction: scenario.declaredFaradaicFraction } : {}), thicknessPerCharge_A_cm2_per_C: perCharge } }
        : {}),
    })),
    ...(g?.windows ? { windows: g.windows } : {}),
    geometry: {
      sampleLength_mm: g?.sampleLength_mm ?? SAMPLE_LENGTH_MM,
      beamEntry: g?.beamEntry ?? "through-substrate",
      electrolytePath_mm: g?.electrolytePath_mm ?? 10,
      ...(g?.angleOffset_deg !== undefined ? { angleOffset_deg: { value: 0, sd: g.offsetPriorSd_deg ?? 0.01 } } : {}),
      ...(g?.footprint ? { footprintCorrected: false, ...(g.beamHeightSd_mm !== undefined ? { beamHeightSd_mm: g.beamHeightSd_mm } : {}) } : {}),
      ...(g?.heightOffset_mm !== undefined ? { heightOffset_mm: { value: 0, sd: g.heightPriorSd_mm ?? 0.1 }, detectorDistance_mm: g.detectorDistance_mm ?? DEFAULT_DETECTOR_DISTANCE_MM } : {}),
      ...(g?.attenuation ? { attenuationCorrected: false, ...(g.attenuationRelativeSd !== undefined ? { attenuationRelativeSd: g.attenuationRelativeSd } : {}) } : {}),
      ...(g?.incoherentBackground !== undefined ? { incoherentBackground: { value: 0, sd: g.incoherentPriorSd ?? Math.max(g.incoherentBackground, 1e-9) } } : {}),
    },
    ...(spots.length > 1 ? { spots: spots.map((spot) => ({ id: spot, role: spot.startsWith("F") ? "fresh" : "measured" })) } : {}),
    electrochemistry: { workingElectrode: "Cu", counterElectrode: "Li", currentSign: "anodic-positive" },
    ...(scenario.impedance ? { impedanceModel: { circuit: "R0-p(R1,C1)", interphaseResistance: "R1", interphaseCapacitance: "C1" } } : {}),
  };
}

/**
 * The cycler record: current = −dQred/dt (anodic positive), sampled every 10 s — a
 * potentiostatic hold at 0.1 V vs Li for the kinetic laws, reduction pulses for the charge law.
 */
function writeCycler(file: string, duration: number, qredPerArea: (t: number) => number, area: number, random: Random): void {
  const lines = ["test_time_second,voltage_volt,current_ampere,cycle_count,step_count"];
  const dt = 10;
  for (let t = 0; t <= duration; t += dt) {
    const h = 0.5;
    const current = -((qredPerArea(t + h) - qredPerArea(Math.max(t - h, 0))) / (t + h - Math.max(t - h, 0))) * area;
    const voltage = 0.1 + 1e-4 * random.normal();
    lines.push(`${t},${voltage.toFixed(6)},${current.toPrecision(12)},0,1`);
  }
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
}

/** R0-p(R1,C1) with proportional Gaussian noise on each component; columns f, Z', Z''. */
export function writeSpectrum(file: string, z: NonNullable<Scenario["impedance"]>, resistance: number, capacitance: number, random: Random): void {
  const decades = Math.log10(z.fMax / z.fMin);
  const n = Math.round(decades * z.pointsPerDecade) + 1;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = z.fMax * Math.pow(10, (-decades * i) / (n - 1));
    const w = 2 * Math.PI * f;
    // Z = R0 + R1/(1 + jωR1C1), in closed form: the circuit model's evaluate ("R0-p(R1,C1)") rounds
    // differently (1/(1/R1 + jωC1)), and the committed example campaign was written with this form
    const denom = 1 + (w * resistance * capacitance) ** 2;
    const re = z.R0_ohm + resistance / denom;
    const im = (-w * resistance * resistance * capacitance) / denom;
    const modulus = Math.hypot(re, im);
    lines.push(`${f},${re + z.noise * modulus * random.normal()},${im + z.noise * modulus * random.normal()}`);
  }
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
}
