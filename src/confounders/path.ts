/**
 * @module confounders/path
 * The X-ray beam's path through an operando cell, built from the manifest's
 * `geometry.beamEntry`, `windows` and `stack`, with the attenuation coefficient of
 * every element from its composition (see confounders/attenuation), and the two
 * transmissions derived from it:
 *
 * - **entry transmission** T_entry(α), the attenuation of the *reflected* intensity
 *   by the cell (in and out), the correction of operando.md §2.3;
 * - **incident transmission** T_in(α), the fraction of the incident beam that
 *   reaches the interphase, used for the dose: half of the (symmetric) entry path
 *   plus one pass through the stack layers between the fronting medium and the
 *   interphase (e.g. the electrode film in a through-substrate cell). Those layers
 *   are *not* part of T_entry: the reflectivity model already has their absorption
 *   in its complex SLDs.
 *
 * Path rules per `beamEntry` (lengths are the whole path, in and out):
 * - `through-substrate`: the fronting medium (stack[0], the substrate block) is
 *   entered and left through its side faces and the beam is reflected at the
 *   sample centre: path `sampleLength_mm / cos α` (refraction at the faces
 *   neglected); `windows` are not in the beam path and are ignored.
 * - `through-electrolyte` (bulk cell): a fixed horizontal path, angle independent:
 *   `geometry.electrolytePath_mm` of the fronting medium (the W of operando.md
 *   §2.3) plus each listed window's thickness (cell walls crossed at normal
 *   incidence).
 * - `through-window` (thin-layer cell): each window and the electrolyte film are
 *   crossed at the grazing angle, path 2t / sin α. The film is the fronting medium
 *   (stack[0]); its thickness is read from `geometry.electrolytePath_mm` (the
 *   manifest's only electrolyte length). A fronting medium with role `window` or
 *   `ambient` adds nothing (the window's thickness is in `windows`; gas neglected).
 *
 * Every element of the path needs a composition (`formula` and `density`): an
 * explicit SLD is not used, because `isld` defaults to 0 and would silently mean
 * "no absorption". Missing inputs are reported, not guessed: the builders return
 * a {@link CorrectionUnavailable} naming the correction, the manifest field and why.
 *
 * Units: lengths mm; μ mm⁻¹; angles rad; energy keV.
 */
import { ValidationError } from "../core/errors.ts";
import type { Beam, ManifestCell, ManifestMaterial } from "../campaign/manifest.ts";
import type { MaterialsOptions } from "../materials/index.ts";
import { materialAttenuation } from "./attenuation.ts";

/** Why a correction cannot be computed: which correction, which manifest field, why. */
export interface CorrectionUnavailable {
  /** The correction, e.g. `"dose"`, `"attenuation correction"`. */
  readonly correction: string;
  /** JSON path of the missing or unusable manifest field, e.g. `beam.flux_per_s`. */
  readonly path: string;
  /** Why, as a sentence fragment, e.g. `is missing: the number of photons per second is needed`. */
  readonly reason: string;
}

/** A computed value, or why it could not be computed. */
export type Computed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly unavailable: CorrectionUnavailable };

/**
 * One line naming the correction, the field and why, e.g.
 * `dose cannot be computed: beam.flux_per_s is missing: …`.
 * @param u - the unavailability record
 * @returns the message (single line)
 * @example
 * unavailableMessage({ correction: "dose", path: "beam.flux_per_s", reason: "is missing" });
 */
export function unavailableMessage(u: CorrectionUnavailable): string {
  return `${u.correction} cannot be computed: ${u.path} ${u.reason}`;
}

/**
 * The ValidationError for the CLI (exit code 2): path = the manifest field, message = the correction and why.
 * @param u - the unavailability record
 * @returns a ValidationError whose message is one line
 * @example
 * throw unavailableError({ correction: "dose", path: "beam.flux_per_s", reason: "is missing" });
 */
export function unavailableError(u: CorrectionUnavailable): ValidationError {
  return new ValidationError(u.path, `${u.reason} — the ${u.correction} cannot be computed`);
}

/** How an element's path length depends on the incidence angle. */
export type PathRule = "grazing" | "horizontal" | "block";

/** One material the beam crosses. */
export interface PathElement {
  /** What it is, e.g. `window "Kapton"`, `fronting medium "Si" (substrate block)`. */
  readonly name: string;
  /** Manifest JSON path of the material. */
  readonly source: string;
  readonly formula: string;
  readonly density_g_cm3: number;
  /** μ (mm⁻¹), photoabsorption. */
  readonly attenuation_per_mm: number;
  /** μ/ρ (m²/kg). */
  readonly massAttenuation_m2_per_kg: number;
  readonly rule: PathRule;
  /** grazing: thickness crossed per pass (mm); horizontal: whole path in and out (mm); block: block length (mm). */
  readonly length_mm: number;
  /** True: part of the cell's entry path (in T_entry); false: a stack layer between the fronting medium and the interphase (dose only, one incident pass). */
  readonly entry: boolean;
}

/** The beam path of one cell at one photon energy. */
export interface BeamPath {
  readonly beamEntry: "through-substrate" | "through-electrolyte" | "through-window";
  readonly energy_keV: number;
  readonly elements: readonly PathElement[];
  /** How each manifest field was read (printed with the ledger). */
  readonly notes: readonly string[];
}

/** Options of {@link buildBeamPath}. */
export interface BeamPathOptions {
  /** Include the stack layers 1 … `toLayer − 1` (between the fronting medium and this layer) as one-pass elements (for the dose). */
  readonly toLayer?: number;
  /** Name of the correction in messages. @default "attenuation correction" */
  readonly correction?: string;
  /** Data folder of the element tables. */
  readonly materials?: MaterialsOptions;
}

/**
 * Build the X-ray beam path of a cell (see the module header for the rules).
 * @param beam - the campaign's beam (X-ray; energy_keV set)
 * @param cell - the manifest cell
 * @param cellPath - JSON path of the cell for messages, e.g. `cells[0]`
 * @param options - which stack layers to include, correction name, data folder
 * @returns the path, or why it cannot be built
 * @example
 * const path = buildBeamPath(manifest.beam, manifest.cells[0], "cells[0]");
 * if (path.ok) console.log(entryTransmission(path.value, 0.002));
 */
export function buildBeamPath(beam: Beam, cell: ManifestCell, cellPath: string, options: BeamPathOptions = {}): Computed<BeamPath> {
  const correction = options.correction ?? "attenuation correction";
  const fail = (path: string, reason: string): Computed<BeamPath> => ({ ok: false, unavailable: { correction, path, reason } });
  if (beam.probe !== "xray") return fail("beam.probe", `is "${beam.probe}": the beam-path attenuation is modelled for X-rays only (photoabsorption from Henke f2)`);
  const energy = beam.energy_keV;
  if (energy === undefined) return fail("beam.energy_keV", "is missing: the attenuation coefficients need the photon energy");
  const geometry = cell.geometry;
  if (!geometry) return fail(`${cellPath}.geometry`, "is missing: the beam path needs the cell geometry (sampleLength_mm, beamEntry)");

  const elements: PathElement[] = [];
  const notes: string[] = [];
  const add = (name: string, source: string, material: ManifestMaterial, rule: PathRule, length_mm: number, entry: boolean): CorrectionUnavailable | undefined => {
    if (material.formula === undefined || material.density === undefined) {
      return {
        correction,
        path: `${source}.material`,
        reason: `has no composition (formula and density) for ${name}, which the beam crosses: its X-ray attenuation is unknown (explicit SLDs are not used: isld defaults to 0, which would mean no absorption)`,
      };
    }
    try {
      const a = materialAttenuation(material.formula, material.density, energy, options.materials);
      elements.push({
        name,
        source: `${source}.material`,
        formula: material.formula,
        density_g_cm3: material.density,
        attenuation_per_mm: a.linearAttenuation_per_mm,
        massAttenuation_m2_per_kg: a.massAttenuation_m2_per_kg,
        rule,
        length_mm,
        entry,
      });
      return undefined;
    } catch (error) {
      if (error instanceof ValidationError) return { correction, path: `${source}.material`, reason: `cannot be evaluated at ${energy} keV (${error.message})` };
      throw error;
    }
  };

  const fronting = cell.stack[0];
  const frontingSource = `${cellPath}.stack[0]`;
  let problem: CorrectionUnavailable | undefined;
  switch (geometry.beamEntry) {
    case "through-substrate":
      problem = add(`fronting medium "${fronting.name}" (substrate block)`, frontingSource, fronting.material, "block", geometry.sampleLength_mm, true);
      notes.push(`through-substrate: the beam crosses the block "${fronting.name}" along the sample length (${geometry.sampleLength_mm} mm / cos α in and out, reflected at the sample centre; refraction at the side faces neglected)`);
      if (cell.windows.length > 0) notes.push(`through-substrate: the ${cell.windows.length} listed window(s) are not in the beam path and are ignored`);
      break;
    case "through-electrolyte": {
      const path_mm = geometry.electrolytePath_mm ?? 0;
      problem = add(`fronting medium "${fronting.name}" (electrolyte path)`, frontingSource, fronting.material, "horizontal", path_mm, true);
      notes.push(`through-electrolyte: fixed horizontal path, ${path_mm} mm through "${fronting.name}" (geometry.electrolytePath_mm, in and out) plus each window once at normal incidence`);
      cell.windows.forEach((w, i) => {
        problem ??= add(`window ${w.name !== undefined ? `"${w.name}"` : i}`, `${cellPath}.windows[${i}]`, w.material, "horizontal", w.thickness_um * 1e-3, true);
      });
      break;
    }
    case "through-window": {
      cell.windows.forEach((w, i) => {
        problem ??= add(`window ${w.name !== undefined ? `"${w.name}"` : i}`, `${cellPath}.windows[${i}]`, w.material, "grazing", w.thickness_um * 1e-3, true);
      });
      if (fronting.role === "window" || fronting.role === "ambient") {
        notes.push(`through-window: the fronting medium "${fronting.name}" (role ${fronting.role}) adds no path (window thicknesses come from windows[]; gas neglected)`);
      } else if (geometry.electrolytePath_mm === undefined) {
        problem ??= {
          correction,
          path: `${cellPath}.geometry.electrolytePath_mm`,
          reason: `is missing: a through-window (thin-layer) cell needs the thickness of the film of "${fronting.name}" between the window and the sample, read from electrolytePath_mm`,
        };
      } else {
        problem ??= add(`fronting medium "${fronting.name}" (film)`, frontingSource, fronting.material, "grazing", geometry.electrolytePath_mm, true);
        notes.push(`through-window: the film of "${fronting.name}" is ${geometry.electrolytePath_mm} mm thick (geometry.electrolytePath_mm read as the film thickness); windows and film crossed at the grazing angle, 2t/sin α in and out`);
      }
      break;
    }
  }
  if (problem) return { ok: false, unavailable: problem };

  const toLayer = options.toLayer ?? 1;
  for (let j = 1; j < toLayer; j++) {
    const layer = cell.stack[j];
    const thickness_A = layer.thickness_A ?? 0;
    problem = add(`layer "${layer.name}" (${layer.role}, ${thickness_A} Å)`, `${cellPath}.stack[${j}]`, layer.material, "grazing", thickness_A * 1e-7, false);
    if (problem) return { ok: false, unavailable: problem };
  }
  if (toLayer > 1) {
    const crossed = cell.stack.slice(1, toLayer).map((l) => `"${l.name}"`).join(", ");
    notes.push(`the incident beam crosses ${crossed} once at the grazing angle (t/sin α) before reaching stack layer ${toLayer}; the reflectivity model has their absorption, so they are not in the entry-path correction`);
  }
  return { ok: true, value: { beamEntry: geometry.beamEntry, energy_keV: energy, elements, notes } };
}

/** Whole (in and out) path length of an element at incidence angle α (mm). */
function pathLength(element: PathElement, sinAlpha: number, cosAlpha: number): number {
  switch (element.rule) {
    case "grazing":
      return (2 * element.length_mm) / sinAlpha;
    case "horizontal":
      return element.length_mm;
    case "block":
      return element.length_mm / cosAlpha;
  }
}

/**
 * Attenuation of the reflected intensity by the cell's entry path (in and out), T_entry(α) = exp(−Σ μᵢ Pᵢ(α)).
 * Stack layers between the fronting medium and the interphase are not included (the reflectivity model has them).
 * @param path - from {@link buildBeamPath}
 * @param alpha - incidence angle (rad), > 0
 * @returns T_entry in [0, 1]
 * @example
 * entryTransmission(path, 0.002);
 */
export function entryTransmission(path: BeamPath, alpha: number): number {
  const s = Math.sin(alpha);
  const c = Math.cos(alpha);
  let sum = 0;
  for (const e of path.elements) if (e.entry) sum += e.attenuation_per_mm * pathLength(e, s, c);
  return Math.exp(-sum);
}

/**
 * Fraction of the incident beam that reaches the interphase:
 * T_in(α) = exp(−[½ Σ_entry μᵢ Pᵢ(α) + Σ_layers μⱼ tⱼ / sin α]).
 * @param path - from {@link buildBeamPath} (with `toLayer` = the interphase's index)
 * @param alpha - incidence angle (rad), > 0
 * @returns T_in in [0, 1]
 * @example
 * incidentTransmission(path, 0.002);
 */
export function incidentTransmission(path: BeamPath, alpha: number): number {
  const s = Math.sin(alpha);
  const c = Math.cos(alpha);
  let sum = 0;
  for (const e of path.elements) sum += e.entry ? 0.5 * e.attenuation_per_mm * pathLength(e, s, c) : (e.attenuation_per_mm * e.length_mm) / s;
  return Math.exp(-sum);
}

/**
 * Why the cell's entry-path attenuation correction cannot be computed, or undefined when it can.
 * Does not throw, so a diagnosis can continue without the correction and flag it.
 * @param beam - the campaign's beam
 * @param cell - the manifest cell
 * @param cellPath - JSON path of the cell, e.g. `cells[0]`
 * @param materials - data folder of the element tables
 * @returns a one-line message naming the correction, the manifest field and why; undefined if computable
 * @example
 * const reason = attenuationUnavailableReason(manifest.beam, manifest.cells[0], "cells[0]");
 * if (reason) warnings.push(reason);
 */
export function attenuationUnavailableReason(beam: Beam, cell: ManifestCell, cellPath: string, materials?: MaterialsOptions): string | undefined {
  const path = buildBeamPath(beam, cell, cellPath, materials ? { materials } : {});
  return path.ok ? undefined : unavailableMessage(path.unavailable);
}

/** The entry path's attenuation as the three dimensionless sums of the reflectivity model's geometry block. */
export interface AttenuationSums {
  /** Σ μᵢ tᵢ of the elements crossed at the grazing angle (one pass at normal incidence): T gains exp(−2·grazing / sin α). */
  readonly grazing: number;
  /** Σ μᵢ Lᵢ of the fixed horizontal path (in and out): T gains exp(−horizontal). */
  readonly horizontal: number;
  /** μ L of a substrate block entered through its side faces: T gains exp(−block / cos α). */
  readonly block: number;
}

/**
 * The entry path (T_entry of {@link entryTransmission}) as the sums the reflectivity
 * model's `geometry.attenuation` takes, so that exp(−2·grazing/sin α − horizontal − block/cos α)
 * equals `entryTransmission(path, α)` at every α.
 * @param path - from {@link buildBeamPath}
 * @returns the three sums (dimensionless)
 * @example
 * const sums = attenuationSums(path.value); // {grazing: 0.011, horizontal: 0, block: 0}
 */
export function attenuationSums(path: BeamPath): AttenuationSums {
  let grazing = 0;
  let horizontal = 0;
  let block = 0;
  for (const e of path.elements) {
    if (!e.entry) continue;
    const mut = e.attenuation_per_mm * e.length_mm;
    if (e.rule === "grazing") grazing += mut;
    else if (e.rule === "horizontal") horizontal += mut;
    else block += mut;
  }
  return { grazing, horizontal, block };
}
