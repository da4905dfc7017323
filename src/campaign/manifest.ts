/**
 * @module campaign/manifest
 * The campaign manifest `campaign.json`, format `strata-campaign/1`: what the cells
 * are (a standard cell-architecture description: stack, windows, geometry,
 * electrochemistry), what the beam was, and which files hold the scans, the cycler
 * record and the impedance spectra, each with its absolute time window.
 * The JSON Schema is published as `schema/campaign.schema.json`; {@link parseManifest}
 * enforces the same rules plus the cross-references a schema cannot express
 * (scans name existing cells, unique ids, end after start, calendar-valid times).
 *
 * Units (in the field names): thickness and roughness Å (`_A`), window thickness
 * µm (`_um`), lengths mm (`_mm`), area cm² (`_cm2`), energy keV, wavelength Å,
 * flux photons (or neutrons) per second, density g/cm³, SLD 10⁻⁶ Å⁻² (imaginary
 * part ≥ 0 = absorption). Times are ISO-8601 / RFC 3339 date-times **with** a zone
 * (`Z` or `±hh:mm`); a time without a zone is ambiguous and refused.
 *
 * Materials: a material gives a composition (`formula` + `density`), explicit SLDs,
 * or both (then the explicit SLD is used for reflectivity and the composition for
 * attenuation and dose). Explicit SLDs are written either for the campaign's own
 * probe, `{"sld": 2.07, "isld": 0}`, or per probe,
 * `{"xray": {"sld": 20.1, "isld": 0.46}, "neutron": {"sld": 2.07}}` — not both
 * forms in one material. `isld` defaults to 0. Every stack material must resolve
 * to an SLD for the beam's probe (see {@link resolveMaterialSld}).
 *
 * Stack: fronting (beam side) → backing, as the slab table of reflectometry.md
 * §1.1: `roughness_A` of layer i is the interface between layers i − 1 and i (the
 * first layer's value is ignored); the first and last layers are semi-infinite and
 * need no `thickness_A`; every layer between needs one.
 *
 * Extensions beyond issue 5 §3 (all optional): per-cell `spots` (`role`
 * `measured | fresh | control`), `notes`, `impedanceModel` (circuit and the
 * interphase's R and C elements); per-layer `growth` (electrons per formula unit,
 * Faradaic fraction, Å per C/cm²); per-scan `dataset` (curve index), `nexus`
 * (dataset mapping) and `dqMeasure` (`"fwhm"` or `"sigma"`: the measure of a column
 * file's dQ when its header does not declare it, see io/reflectivityData); per-record
 * `utcOffset` (zone of a zone-less file clock); per-layer `fit` (issue 15 part 2: how the
 * diagnosis fits a layer's SLD, thickness, roughness or density — bounds, a prior, or
 * `"fixed"`; see {@link LayerFit}); per-scan `intensity` (`"shared"`, `"own"` or a fixed
 * number: see {@link ManifestScan.intensity}). A scan's `start` and `end` may be left
 * out when the file's header states them (campaign/scanTimes: `.ort`, SNS text, NeXus);
 * `duration_s` then gives an end the header lacks and `utcOffset` the zone of its times.
 * Several beams (issue 15 part 7): `beams` names further beams (each as `beam`), and a
 * scan's `beam` names the one that measured it (default: the campaign's `beam`; see
 * {@link scanBeam}); every stack material must then resolve for each beam's probe — a
 * plain `sld` is for the campaign beam's probe, other probes need composition or their
 * own entry.
 *
 * Unknown keys are errors naming the JSON path with a "did you mean" suggestion
 * (core/keys): a misspelt optional key (`impedence`) would otherwise silently drop
 * its content. The lenient policy (`strata --lenient`, `lenient` of the library API)
 * makes them warnings, e.g. for a manifest written by a later `strata-campaign/1.x`.
 */
import { ValidationError } from "../core/errors.ts";
import { checkKnownKeys, reportInputWarning } from "../core/keys.ts";
import { checkFlux, checkRoughnesses, checkWavelength, checkXrayEnergy } from "../materials/plausibility.ts";
import { checkDensity, energyFromWavelength, neutronSld, parseFormula, wavelengthFromEnergy, xraySld } from "../materials/index.ts";
import type { MaterialsOptions } from "../materials/index.ts";
import { parseCircuit } from "../models/circuit/parseCircuit.ts";
import { interphaseCapacitanceProblem, interphaseResistanceProblem } from "../models/circuit/interphaseElements.ts";

/** The format string of this manifest version. */
export const CAMPAIGN_FORMAT = "strata-campaign/1";

export const ARCHITECTURES = ["thin-film-reflectometry", "coin", "pouch", "capillary", "other"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const BEAM_ENTRIES = ["through-substrate", "through-electrolyte", "through-window"] as const;
export type BeamEntry = (typeof BEAM_ENTRIES)[number];

export const CURRENT_SIGNS = ["anodic-positive", "charge-positive"] as const;
/**
 * How the current of this cell's cycler record is signed.
 * `anodic-positive`: positive current oxidises the working electrode (potentiostat convention);
 * `charge-positive`: positive current charges the cell (BDF convention).
 */
export type CurrentSign = (typeof CURRENT_SIGNS)[number];

export const LAYER_ROLES = [
  "substrate",
  "current-collector",
  "electrode",
  "active-material",
  "oxide",
  "interphase",
  "coating",
  "electrolyte",
  "separator",
  "window",
  "ambient",
  "other",
] as const;
export type LayerRole = (typeof LAYER_ROLES)[number];

export const SPOT_ROLES = ["measured", "fresh", "control"] as const;
/** `measured`: the spot followed through the experiment; `fresh`: first exposed late (damage reference); `control`: unexposed until the end. */
export type SpotRole = (typeof SPOT_ROLES)[number];

export const PROBES = ["xray", "neutron"] as const;
export type Probe = (typeof PROBES)[number];

export const BEAM_PROFILES = ["gaussian", "tophat"] as const;
export type BeamProfile = (typeof BEAM_PROFILES)[number];

/** A parsed, validated absolute time. */
export interface IsoTime {
  /** The text as written in the manifest. */
  readonly iso: string;
  /** Whole seconds since 1970-01-01T00:00:00Z (UTC; the zone offset applied). */
  readonly epochSeconds: number;
  /** Fraction of a second in [0, 1), kept apart so sub-microsecond differences survive. */
  readonly fraction: number;
}

/** An SLD pair, 10⁻⁶ Å⁻² (isld ≥ 0 = absorption). */
export interface SldPair {
  readonly sld: number;
  readonly isld: number;
}

/** A material: composition and/or explicit SLDs (see the module header). */
export interface ManifestMaterial {
  readonly name?: string;
  readonly formula?: string;
  /** Mass density, g/cm³. */
  readonly density?: number;
  /** Explicit SLD for the campaign's probe (10⁻⁶ Å⁻²). */
  readonly sld?: number;
  /** Explicit imaginary SLD for the campaign's probe (10⁻⁶ Å⁻²); 0 when only `sld` is given. */
  readonly isld?: number;
  /** Explicit X-ray SLDs. */
  readonly xray?: SldPair;
  /** Explicit neutron SLDs. */
  readonly neutron?: SldPair;
}

/** How an interphase layer grows from reduction charge (used by the diagnosis). */
export interface LayerGrowth {
  /** Electrons per formula unit formed (z). */
  readonly electronsPerFormula?: number;
  /** Fraction of the reduction charge that forms this layer, (0, 1]. */
  readonly faradaicFraction?: number;
  /** Å of layer per C/cm² of reduction charge (overrides M/(z·F·ρ)). */
  readonly thicknessPerCharge_A_cm2_per_C?: number;
}

/** The equivalent circuit of the cell's impedance spectra and which elements describe the interphase. */
export interface ImpedanceModel {
  /** Circuit string, e.g. `R0-p(R1,C1)`. */
  readonly circuit: string;
  /** Name of the interphase resistance element, e.g. `R1`. */
  readonly interphaseResistance: string;
  /** Name of the interphase capacitance element, e.g. `C1`. */
  readonly interphaseCapacitance: string;
}

/**
 * How `strata diagnose` fits one property of a layer (issue 15 part 2), overriding its default
 * treatment: within bounds (uniform prior), or with a normal prior N(mean, sd²) truncated to
 * the bounds (default mean ± 5 sd). Units: the property's (SLD 10⁻⁶ Å⁻², Å, g/cm³).
 */
export interface LayerPropertyFit {
  readonly min: number;
  readonly max: number;
  readonly prior?: { readonly mean: number; readonly sd: number };
  /**
   * A value per scan (`<layer>_<property>@<scan id>`, each with these bounds and prior) instead
   * of one shared by the cell's scans: an electrode that dissolves or plates during a sequence,
   * an outer SEI whose SLD changes as it grows. Not for the interphase's roughness or density.
   */
  readonly perScan?: true;
  /**
   * `"linear"`: the property changes linearly in time, value(t) = `<name>` + `<name>_rate`·t_h
   * (t_h hours since t0), the value at t0 within these bounds and prior, the rate within
   * ±(max − min) per the span of the scan times — an outer SEI whose SLD falls as it grows,
   * an electrode that dissolves steadily. Fitted by the joint fits whose scans span two times
   * or more (scans all at one time share one value); a scan fitted alone has a value of its
   * own. Not for the interphase's roughness or density.
   */
  readonly law?: "linear";
}

/**
 * A layer's `fit` block: per property `"fixed"` (held at the manifest's value) or a
 * {@link LayerPropertyFit}. Properties left out keep the diagnosis's defaults (seriesModel
 * nuisanceSpecs: a film's thickness ±20 %, roughness 0 to max(20, 3×) Å, density ±15 %, an
 * explicit SLD fixed; the interphase's roughness 0–60 Å and density 0.3–1.6× shared, its
 * thickness per scan or by the growth law). `sld` needs explicit SLDs (a layer of unknown
 * composition: its SLD is fitted, shared by every scan of the cell); `density` a composition.
 */
export interface LayerFit {
  readonly sld?: LayerPropertyFit | "fixed";
  readonly thickness_A?: LayerPropertyFit | "fixed";
  readonly roughness_A?: LayerPropertyFit | "fixed";
  readonly density?: LayerPropertyFit | "fixed";
}

export const LAYER_FIT_PROPERTIES = ["sld", "thickness_A", "roughness_A", "density"] as const;

export interface StackLayer {
  readonly name: string;
  readonly role: LayerRole;
  readonly material: ManifestMaterial;
  /** How the diagnosis fits this layer's properties, where it overrides the defaults. */
  readonly fit?: LayerFit;
  /** Å; undefined for the semi-infinite first and last layers. */
  readonly thickness_A: number | undefined;
  /** Å, the interface towards the previous (beam-side) layer. @default 0 */
  readonly roughness_A: number;
  readonly growth?: LayerGrowth;
  readonly notes?: string;
}

export interface Window {
  readonly name?: string;
  readonly material: ManifestMaterial;
  /** µm. */
  readonly thickness_um: number;
}

export interface CellGeometry {
  /** Sample length along the beam, mm. */
  readonly sampleLength_mm: number;
  readonly beamEntry: BeamEntry;
  /** Beam path through electrolyte, mm. */
  readonly electrolytePath_mm?: number;
  /** Sample width across the beam, mm. */
  readonly sampleWidth_mm?: number;
  /** Sample angle offset δ (deg) shared by the cell's scans: fixed (`sd` absent) or fitted with the prior N(value, sd²). */
  readonly angleOffset_deg?: { readonly value: number; readonly sd?: number };
  /** Whether the reduced curves are corrected for over-illumination already. @default true */
  readonly footprintCorrected: boolean;
  /** When given (and `footprintCorrected` is false): the beam height in the footprint factor is fitted with the prior N(beam.height_mm, sd²) (mm); only L/h matters, so this also absorbs an uncertain sample length. */
  readonly beamHeightSd_mm?: number;
  /** Sample-height offset Δz (mm, along the sample normal) shared by the cell's scans: fixed (`sd` absent) or fitted with the prior N(value, sd²); needs `detectorDistance_mm`. */
  readonly heightOffset_mm?: { readonly value: number; readonly sd?: number };
  /** Distance from the sample's rotation centre to the detector (mm), which turns a height offset into an angle error. */
  readonly detectorDistance_mm?: number;
  /** Whether the reduced curves are corrected for the cell's entry-path attenuation already. @default true */
  readonly attenuationCorrected: boolean;
  /** When given (and `attenuationCorrected` is false): the entry path's μ·t from the manifest's composition is scaled by a fitted factor with the prior N(1, sd²). */
  readonly attenuationRelativeSd?: number;
  /** Incoherent background of the electrolyte film at α = 1° (reflectivity units, ∝ 1/sin α): fixed (`sd` absent) or fitted with the prior N(value, sd²) truncated at 0. */
  readonly incoherentBackground?: { readonly value: number; readonly sd?: number };
}

export interface CellElectrochemistry {
  /** Name of the stack layer that is the working electrode (usually). */
  readonly workingElectrode: string;
  readonly counterElectrode: string;
  readonly referenceElectrode?: string;
  readonly currentSign: CurrentSign;
}

/** A beam position on a cell's sample. */
export interface Spot {
  readonly id: string;
  readonly role: SpotRole;
  readonly description?: string;
  /** Position on the sample, mm (instrument coordinates; informative). */
  readonly x_mm?: number;
  readonly y_mm?: number;
}

export interface ManifestCell {
  readonly id: string;
  readonly architecture: Architecture;
  /** cm². */
  readonly electrodeArea_cm2: number;
  readonly stack: readonly StackLayer[];
  readonly windows: readonly Window[];
  readonly geometry: CellGeometry | undefined;
  readonly electrochemistry: CellElectrochemistry | undefined;
  /** Declared spots; when empty, any spot name in `scans` is accepted as a `measured` spot. */
  readonly spots: readonly Spot[];
  readonly impedanceModel?: ImpedanceModel;
  /**
   * Sample alignments by label (a run; a realignment starts another), each with its own angle
   * offset (deg; fixed, or fitted with the prior N(value, sd²)) for the scans that name it
   * (`scans[k].alignment`); other scans take `geometry.angleOffset_deg`.
   */
  readonly alignments?: Readonly<Record<string, { readonly angleOffset_deg: { readonly value: number; readonly sd?: number } }>>;
  readonly notes?: string;
}

export interface Beam {
  readonly probe: Probe;
  /** keV (X-rays); derived from `wavelength_A` when that is given instead. */
  readonly energy_keV: number | undefined;
  /** Å; for neutrons defaults to undefined (a white or unknown band). */
  readonly wavelength_A: number | undefined;
  /** Particles per second on the sample. */
  readonly flux_per_s?: number;
  /** Beam height (FWHM for a Gaussian profile), mm. */
  readonly height_mm?: number;
  /** Beam width (FWHM for a Gaussian profile), mm. */
  readonly width_mm?: number;
  /** @default "gaussian" */
  readonly profile: BeamProfile;
}

/** Dataset paths of a NeXus/HDF5 scan file (see io/nexus); `"nxrefscan"` selects the preset. */
export type ManifestNexusMapping =
  | "nxrefscan"
  | {
      readonly q: string | { readonly angle: string; readonly wavelength: string; readonly angleIs?: "theta" | "two-theta" };
      readonly r: string;
      readonly dr?: string;
      readonly dq?: string;
      readonly time?: string;
      readonly monitor?: string;
    };

export interface ManifestScan {
  readonly id: string;
  readonly cell: string;
  readonly spot: string;
  /** Relative to the campaign folder (or absolute). */
  readonly file: string;
  /** Exposure start; undefined when the manifest leaves it to the file's header (campaign/scanTimes). */
  readonly start: IsoTime | undefined;
  /** Exposure end; undefined when the manifest leaves it to `duration_s` or the file's header. */
  readonly end: IsoTime | undefined;
  /** Exposure length (s), for an end the header does not state: end = start + duration_s. */
  readonly duration_s?: number;
  /** Zone (`±hh:mm` or `Z`) of header times written without one (e.g. Amor `.ort` timestamps); never guessed. */
  readonly utcOffset?: string;
  /** Which curve of a file holding several: an ORSO `data_set` name, or a 0-based index (ORSO datasets, NeXus entries). */
  readonly dataset?: number | string;
  /** NeXus/HDF5 files only. @default "nxrefscan" */
  readonly nexus?: ManifestNexusMapping;
  /** Column files: the measure of the dQ column when the file's header does not declare it. */
  readonly dqMeasure?: "fwhm" | "sigma";
  /** The name of the beam in the manifest's `beams` that measured this scan; undefined: the campaign's `beam`. */
  readonly beam?: string;
  /**
   * The scan's intensity (scale): undefined ("shared" in the file) the beam's scale, fitted once
   * for all its scans; "own" a scale of this scan's own, fitted (`scale@<id>`: a per-angle or
   * per-slice normalisation); a number a fixed scale.
   */
  readonly intensity?: "own" | number;
  /**
   * An event-sliced scan's window from the reduction's time-slice JSON (SNS
   * `r<run>_eis_reduction.json`, io/timeSlices) instead of `start`/`end`: slice number
   * `slice` of the intervals of type `type` (default "eis"), whose zone-less clock is at
   * `utcOffset`; with `runStart` (ISO with zone: the run's start from its reduced file's
   * header) every window must lie inside the run, which catches a wrong offset.
   */
  readonly timeSlices?: ManifestTimeSlicesRef;
  /**
   * "previous": the scan's own fit (the per-scan stage of strata diagnose) starts from and
   * takes its priors from the previous scan's answer — every parameter the cell's scans share
   * or that follows a law, each N(previous value, (3 × its standard error)²); the interphase's
   * thickness and the scan's own per-scan values stay free. For time slices of 5–20 % errors
   * that cannot fix a whole stack alone (issue 15 part 5).
   */
  readonly prior?: "previous";
  /**
   * The sample alignment the scan was measured in (a run; a realignment starts another): one of
   * the cell's `alignments`, whose angle offset it takes (fitted: `angle_offset@<alignment>`,
   * shared by the alignment's scans); scans without one take `geometry.angleOffset_deg`.
   */
  readonly alignment?: string;
}

/** Where an event-sliced scan's window is read (see {@link ManifestScan.timeSlices}). */
export interface ManifestTimeSlicesRef {
  /** the reduction JSON, relative to the campaign folder (or absolute) */
  readonly file: string;
  /** the slice number (`sequence_<i>_eis_<i>` → i), ≥ 1 */
  readonly slice: number;
  /** zone of the JSON's clock, `±hh:mm` or `Z` (never guessed) */
  readonly utcOffset: string;
  readonly runStart?: string;
  readonly type?: string;
}

export interface ManifestElectrochemistry {
  readonly cell: string;
  readonly file: string;
  /** Absolute time of the record's test time 0; required when the file has no absolute clock, overrides it otherwise. */
  readonly start?: IsoTime;
  /** Zone of a file clock written without one (BioLogic local time), `±hh:mm` or `Z`. */
  readonly utcOffset?: string;
}

export interface ManifestImpedance {
  readonly id?: string;
  readonly cell: string;
  readonly file: string;
  /** The spectrum's window; undefined when the manifest leaves it to the file's clock (a BioLogic `.mpt`'s acquisition start and time column, at `utcOffset`). */
  readonly start: IsoTime | undefined;
  readonly end: IsoTime | undefined;
  /** Zone (`±hh:mm` or `Z`) of the file's clock, which EC-Lab writes without one. */
  readonly utcOffset?: string;
}

/** A validated `strata-campaign/1` manifest. */
export interface CampaignManifest {
  readonly format: typeof CAMPAIGN_FORMAT;
  readonly name: string;
  readonly description?: string;
  readonly cells: readonly ManifestCell[];
  readonly beam: Beam;
  /**
   * Further beams by name (a cell measured by X-rays and neutrons, or at two energies):
   * a scan naming one (`scans[k].beam`) is modelled at that beam's probe and energy
   * (see {@link scanBeam}); present only when the manifest gives `beams`.
   */
  readonly beams?: Readonly<Record<string, Beam>>;
  /** Time zero of the experiment (formation start). */
  readonly t0: IsoTime;
  readonly scans: readonly ManifestScan[];
  readonly electrochemistry: readonly ManifestElectrochemistry[];
  readonly impedance: readonly ManifestImpedance[];
  /** The file the manifest came from (for messages). */
  readonly source: string;
}

/**
 * Validate a parsed `campaign.json` and return it typed.
 *
 * @param json - the parsed JSON document
 * @param file - where it came from (kept as {@link CampaignManifest.source})
 * @param warnings - collects non-fatal findings (unknown keys when lenient, geometry that
 *   contradicts the stack, scans before t0); de-duplicated by the caller
 * @returns the typed manifest, optional arrays defaulted to `[]`
 * @throws {ValidationError} naming the JSON path and the offending value, e.g.
 *   `cells[0].stack[2].thickness_A: must be ≥ 0 (got -5)`
 * @example
 * ```ts
 * const manifest = parseManifest(readJsonFile("campaign.json"), "campaign.json");
 * console.log(manifest.scans.length, manifest.cells[0].stack.map((l) => l.name));
 * ```
 */
export function parseManifest(json: unknown, file: string, warnings: string[] = []): CampaignManifest {
  const v = new Reader(warnings);
  const root = v.object(json, "");
  v.keys(root, "", ["$schema", "format", "name", "description", "cells", "beam", "beams", "t0", "scans", "electrochemistry", "impedance", "notes"]);
  const format = root["format"];
  if (format !== CAMPAIGN_FORMAT) throw new ValidationError("format", `must be "${CAMPAIGN_FORMAT}"`, format);
  const name = v.string(root["name"], "name");
  const description = v.optionalString(root["description"], "description");
  const beam = parseBeam(v, root["beam"], "beam");
  let beams: Record<string, Beam> | undefined;
  if (root["beams"] !== undefined) {
    const o = v.object(root["beams"], "beams");
    beams = {};
    for (const [beamName, spec] of Object.entries(o)) {
      if (!/\S/.test(beamName)) throw new ValidationError("beams", "a beam name must not be empty", beamName);
      beams[beamName] = parseBeam(v, spec, `beams.${beamName}`);
    }
  }
  const t0 = parseIsoTime(root["t0"], "t0");
  // every probe a material must resolve for: the campaign beam's first (its plain "sld" is for that probe)
  const probes = [...new Set([beam.probe, ...Object.values(beams ?? {}).map((b) => b.probe)])];

  const cellsJson = v.array(root["cells"], "cells", 1);
  const cells = cellsJson.map((c, i) => parseCell(v, c, `cells[${i}]`, probes));
  const cellIndex = new Map<string, number>();
  cells.forEach((cell, i) => {
    const other = cellIndex.get(cell.id);
    if (other !== undefined) throw new ValidationError(`cells[${i}].id`, `duplicates cells[${other}].id`, cell.id);
    cellIndex.set(cell.id, i);
  });
  const refCell = (value: unknown, path: string): string => {
    const id = v.string(value, path);
    if (!cellIndex.has(id)) throw new ValidationError(path, `names no cell (cells are ${[...cellIndex.keys()].map((c) => JSON.stringify(c)).join(", ")})`, id);
    return id;
  };

  const scanIds = new Map<string, number>();
  const scans = v.array(root["scans"], "scans", 0).map((s, i): ManifestScan => {
    const p = `scans[${i}]`;
    const o = v.object(s, p);
    v.keys(o, p, ["id", "cell", "spot", "file", "start", "end", "duration_s", "utcOffset", "dataset", "nexus", "dqMeasure", "beam", "intensity", "timeSlices", "prior", "alignment", "notes"]);
    const id = v.string(o["id"], `${p}.id`);
    const other = scanIds.get(id);
    if (other !== undefined) throw new ValidationError(`${p}.id`, `duplicates scans[${other}].id; scan ids must be unique`, id);
    scanIds.set(id, i);
    const cell = refCell(o["cell"], `${p}.cell`);
    const spot = v.string(o["spot"], `${p}.spot`);
    const spots = cells[cellIndex.get(cell)!].spots;
    if (spots.length > 0 && !spots.some((sp) => sp.id === spot)) {
      throw new ValidationError(`${p}.spot`, `is not one of cell "${cell}"'s declared spots (${spots.map((sp) => JSON.stringify(sp.id)).join(", ")})`, spot);
    }
    const { start, end, duration_s, utcOffset } = parseScanTimes(v, o, p, t0, warnings);
    const timeSlices = o["timeSlices"] === undefined ? undefined : parseTimeSlicesRef(v, o["timeSlices"], `${p}.timeSlices`);
    if (timeSlices) {
      const clash = (["start", "end", "duration_s", "utcOffset"] as const).find((key) => o[key] !== undefined);
      if (clash !== undefined) throw new ValidationError(`${p}.${clash}`, "is not given with timeSlices: the slice's window comes from the reduction JSON (its utcOffset goes in timeSlices)", o[clash]);
    }
    // an ORSO data_set name or a 0-based index (resolved against the file by campaign/campaign)
    const dataset = o["dataset"] === undefined ? undefined : typeof o["dataset"] === "string" ? v.string(o["dataset"], `${p}.dataset`) : v.integer(o["dataset"], `${p}.dataset`, 0);
    const nexus = o["nexus"] === undefined ? undefined : parseNexusMapping(v, o["nexus"], `${p}.nexus`);
    const dqMeasure = o["dqMeasure"];
    if (dqMeasure !== undefined && dqMeasure !== "fwhm" && dqMeasure !== "sigma") throw new ValidationError(`${p}.dqMeasure`, 'must be "fwhm" or "sigma" (the measure of the file\'s dQ column)', dqMeasure);
    const scanBeamName = o["beam"] === undefined ? undefined : v.string(o["beam"], `${p}.beam`);
    if (scanBeamName !== undefined && !(beams !== undefined && Object.hasOwn(beams, scanBeamName))) {
      const known = Object.keys(beams ?? {});
      throw new ValidationError(`${p}.beam`, `of scan "${id}" names no beam in "beams" (${known.length > 0 ? known.map((b) => JSON.stringify(b)).join(", ") : "the manifest has no beams"}; leave it out for the campaign's beam)`, scanBeamName);
    }
    const intensity = o["intensity"];
    if (intensity !== undefined && intensity !== "shared" && intensity !== "own" && !(typeof intensity === "number" && Number.isFinite(intensity) && intensity > 0)) {
      throw new ValidationError(`${p}.intensity`, 'must be "shared" (the beam\'s scale, fitted once for its scans), "own" (a scale of this scan\'s own, fitted) or a positive number (a fixed scale)', intensity);
    }
    const alignment = v.optionalString(o["alignment"], `${p}.alignment`);
    const known = cells[cellIndex.get(cell)!].alignments ?? {};
    if (alignment !== undefined && !Object.hasOwn(known, alignment)) {
      const labels = Object.keys(known);
      throw new ValidationError(`${p}.alignment`, `names no alignment of cell "${cell}" (${labels.length > 0 ? labels.map((l) => JSON.stringify(l)).join(", ") : "the cell has no alignments"})`, alignment);
    }
    if (o["prior"] !== undefined && o["prior"] !== "previous") {
      throw new ValidationError(`${p}.prior`, 'must be "previous" (the scan\'s own fit takes the previous scan\'s answer as its prior) or left out', o["prior"]);
    }
    return {
      id,
      cell,
      spot,
      file: v.path(o["file"], `${p}.file`),
      start,
      end,
      ...(duration_s !== undefined ? { duration_s } : {}),
      ...(utcOffset !== undefined ? { utcOffset } : {}),
      ...(dataset !== undefined ? { dataset } : {}),
      ...(nexus ? { nexus } : {}),
      ...(dqMeasure !== undefined ? { dqMeasure } : {}),
      ...(scanBeamName !== undefined ? { beam: scanBeamName } : {}),
      ...(timeSlices ? { timeSlices } : {}),
      ...(o["prior"] === "previous" ? { prior: "previous" as const } : {}),
      ...(alignment !== undefined ? { alignment } : {}),
      ...(intensity !== undefined && intensity !== "shared" ? { intensity } : {}),
    };
  });

  const echemCells = new Map<string, number>();
  const electrochemistry = v.optionalArray(root["electrochemistry"], "electrochemistry").map((e, i): ManifestElectrochemistry => {
    const p = `electrochemistry[${i}]`;
    const o = v.object(e, p);
    v.keys(o, p, ["cell", "file", "start", "utcOffset", "notes"]);
    const cell = refCell(o["cell"], `${p}.cell`);
    const other = echemCells.get(cell);
    if (other !== undefined) {
      throw new ValidationError(`${p}.cell`, `cell already has a cycler record (electrochemistry[${other}]); give one file per cell`, cell);
    }
    echemCells.set(cell, i);
    const start = o["start"] === undefined ? undefined : parseIsoTime(o["start"], `${p}.start`);
    if (start) checkTimeFromT0(start, `${p}.start`, t0, warnings);
    let utcOffset: string | undefined;
    if (o["utcOffset"] !== undefined) {
      utcOffset = v.string(o["utcOffset"], `${p}.utcOffset`);
      if (parseUtcOffset(utcOffset) === undefined) throw new ValidationError(`${p}.utcOffset`, 'must be "Z" or ±hh:mm', utcOffset);
    }
    return { cell, file: v.path(o["file"], `${p}.file`), ...(start ? { start } : {}), ...(utcOffset !== undefined ? { utcOffset } : {}) };
  });

  const spectrumIds = new Map<string, number>();
  const impedance = v.optionalArray(root["impedance"], "impedance").map((e, i): ManifestImpedance => {
    const p = `impedance[${i}]`;
    const o = v.object(e, p);
    v.keys(o, p, ["id", "cell", "file", "start", "end", "utcOffset", "notes"]);
    const id = v.optionalString(o["id"], `${p}.id`);
    if (id !== undefined) {
      const other = spectrumIds.get(id);
      if (other !== undefined) throw new ValidationError(`${p}.id`, `duplicates impedance[${other}].id`, id);
      spectrumIds.set(id, i);
    }
    const cell = refCell(o["cell"], `${p}.cell`);
    // both given, or neither (the file's clock, campaign/campaign)
    const { start, end, utcOffset } = parseScanTimes(v, o, p, t0, warnings);
    if ((start === undefined) !== (end === undefined)) {
      const missing = start === undefined ? "start" : "end";
      throw new ValidationError(`${p}.${missing}`, "is required with " + (missing === "start" ? "end" : "start") + " (give both, or neither to read the window from the file's clock with utcOffset)");
    }
    return { ...(id !== undefined ? { id } : {}), cell, file: v.path(o["file"], `${p}.file`), start, end, ...(utcOffset !== undefined ? { utcOffset } : {}) };
  });

  return { format: CAMPAIGN_FORMAT, name, ...(description !== undefined ? { description } : {}), cells, beam, ...(beams ? { beams } : {}), t0, scans, electrochemistry, impedance, source: file };
}

/**
 * The beam a scan was measured with: `beams[scan.beam]` when the scan names one, else the
 * campaign's `beam`.
 * @param manifest - a validated manifest
 * @param scanBeamName - the scan's `beam` (undefined: the campaign's)
 * @returns the beam and its name (undefined for the campaign's `beam`)
 * @throws {ValidationError} when the name is not in `beams` (a manifest built by hand)
 * @example
 * ```ts
 * const { beam } = scanBeam(manifest, manifest.scans[0].beam); // beam.probe: "xray" | "neutron"
 * ```
 */
export function scanBeam(manifest: Pick<CampaignManifest, "beam" | "beams">, scanBeamName: string | undefined): { name: string | undefined; beam: Beam } {
  if (scanBeamName === undefined) return { name: undefined, beam: manifest.beam };
  const beam = manifest.beams !== undefined && Object.hasOwn(manifest.beams, scanBeamName) ? manifest.beams[scanBeamName] : undefined;
  if (!beam) throw new ValidationError("beam", `names no beam in "beams" (${Object.keys(manifest.beams ?? {}).map((b) => JSON.stringify(b)).join(", ") || "none"})`, scanBeamName);
  return { name: scanBeamName, beam };
}

/**
 * Every beam of a manifest with its name: the campaign's `beam` (name undefined) first, then `beams` in order.
 * @example
 * ```ts
 * for (const { name, beam } of manifestBeams(manifest)) console.log(name ?? "beam", beam.probe);
 * ```
 */
export function manifestBeams(manifest: Pick<CampaignManifest, "beam" | "beams">): { name: string | undefined; beam: Beam }[] {
  return [{ name: undefined, beam: manifest.beam }, ...Object.entries(manifest.beams ?? {}).map(([name, beam]) => ({ name, beam }))];
}

/**
 * Seconds from `from` to `to` (positive when `to` is later), exact to the
 * fraction digits written.
 * @example
 * ```ts
 * secondsBetween(parseIsoTime("2026-03-01T10:00:00Z", "t0"), parseIsoTime("2026-03-01T11:00:00.5+01:00", "t")); // 0.5
 * ```
 */
export function secondsBetween(from: IsoTime, to: IsoTime): number {
  return to.epochSeconds - from.epochSeconds + (to.fraction - from.fraction);
}

const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parse a strict RFC 3339 date-time: `YYYY-MM-DDThh:mm:ss[.fff…](Z|±hh:mm)`.
 * A missing zone, a date alone, a space or lower-case separator, week or ordinal
 * dates, a leap second (`:60`), `24:00` and calendar-invalid dates (Feb 30) are
 * refused, because each of them is ambiguous or a typo in a measurement log.
 *
 * @param value - the JSON value
 * @param path - JSON path for the error message
 * @returns the time as whole UTC epoch seconds plus a fraction
 * @throws {ValidationError} naming `path` and the value
 * @example
 * ```ts
 * parseIsoTime("2026-03-01T10:00:00Z", "t0").epochSeconds; // 1772359200
 * ```
 */
export function parseIsoTime(value: unknown, path: string): IsoTime {
  if (typeof value !== "string") throw new ValidationError(path, "must be an ISO-8601 date-time string with a zone, e.g. 2026-03-01T10:00:00Z", value);
  const m = ISO_PATTERN.exec(value);
  if (!m) {
    const hint = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)
      ? "has no time zone (add Z or ±hh:mm); local times are ambiguous"
      : "must be an ISO-8601 date-time YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)";
    throw new ValidationError(path, hint, value);
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const fraction = m[7] === undefined ? 0 : Number(`0${m[7]}`);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new ValidationError(path, "is not a calendar date", value);
  if (hour > 23 || minute > 59 || second > 59) throw new ValidationError(path, "is not a valid time of day (hh ≤ 23, mm ≤ 59, ss ≤ 59)", value);
  const offset = parseUtcOffset(m[8]);
  if (offset === undefined) throw new ValidationError(path, "has an invalid zone offset (hh ≤ 23, mm ≤ 59)", value);
  const epochSeconds = Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offset;
  return { iso: value, epochSeconds, fraction };
}

/** Seconds east of UTC for `Z` or `±hh:mm`; undefined when malformed. */
export function parseUtcOffset(text: string): number | undefined {
  if (text === "Z") return 0;
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[2]);
  const min = Number(m[3]);
  if (h > 23 || min > 59) return undefined;
  return (m[1] === "-" ? -1 : 1) * (h * 3600 + min * 60);
}

/**
 * The SLD of a manifest material for a beam: the explicit value for the beam's
 * probe when given, else computed from formula and density.
 *
 * @param material - a validated material
 * @param beam - the campaign's beam (probe, energy or wavelength)
 * @param options - material-table folder override
 * @returns `{ sld, isld }` in 10⁻⁶ Å⁻²
 * @throws {ValidationError} when neither an explicit SLD for the probe nor a composition is available,
 *   or when the composition cannot be evaluated at the beam energy
 * @example
 * ```ts
 * resolveMaterialSld({ formula: "Si", density: 2.33 }, manifest.beam); // X-ray SLD at the beam energy
 * ```
 */
export function resolveMaterialSld(material: ManifestMaterial, beam: Beam, options: MaterialsOptions = {}): SldPair {
  const explicit = beam.probe === "xray" ? material.xray : material.neutron;
  if (explicit) return explicit;
  if (material.sld !== undefined) return { sld: material.sld, isld: material.isld ?? 0 };
  if (material.formula === undefined || material.density === undefined) {
    throw new ValidationError("material", `has neither an SLD for the ${beam.probe} beam nor a formula and density`, material);
  }
  if (beam.probe === "xray") {
    if (beam.energy_keV === undefined) throw new ValidationError("beam.energy_keV", "is needed to compute an X-ray SLD from a formula");
    const { sld, isld } = xraySld(material.formula, material.density, beam.energy_keV, options);
    return { sld, isld };
  }
  const { sld, isld } = neutronSld(material.formula, material.density, beam.wavelength_A, options);
  return { sld, isld };
}

// ---------------------------------------------------------------------------

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parseTimeSlicesRef(v: Reader, value: unknown, p: string): ManifestTimeSlicesRef {
  const o = v.object(value, p);
  v.keys(o, p, ["file", "slice", "utcOffset", "runStart", "type", "notes"]);
  const file = v.path(o["file"], `${p}.file`);
  const slice = v.integer(o["slice"], `${p}.slice`, 1);
  const utcOffset = v.string(o["utcOffset"], `${p}.utcOffset`);
  if (parseUtcOffset(utcOffset) === undefined) throw new ValidationError(`${p}.utcOffset`, 'must be "Z" or ±hh:mm (the zone of the reduction JSON\'s clock)', utcOffset);
  let runStart: string | undefined;
  if (o["runStart"] !== undefined) runStart = parseIsoTime(o["runStart"], `${p}.runStart`).iso;
  const type = v.optionalString(o["type"], `${p}.type`);
  return { file, slice, utcOffset, ...(runStart !== undefined ? { runStart } : {}), ...(type !== undefined ? { type } : {}) };
}

function parseWindow(o: Record<string, unknown>, p: string, t0: IsoTime, warnings: string[]): { start: IsoTime; end: IsoTime } {
  const start = parseIsoTime(o["start"], `${p}.start`);
  const end = parseIsoTime(o["end"], `${p}.end`);
  if (!(secondsBetween(start, end) > 0)) throw new ValidationError(`${p}.end`, `must be after ${p}.start (${start.iso})`, end.iso);
  if (secondsBetween(t0, start) < 0) warnings.push(`${p}: starts ${(-secondsBetween(t0, start)).toPrecision(4)} s before t0`);
  checkTimeFromT0(start, `${p}.start`, t0, warnings);
  const duration = secondsBetween(start, end);
  if (duration > USUAL_WINDOW_S) reportInputWarning(`${p}.end: the window lasts ${(duration / 86400).toPrecision(3)} days, longer than any single scan or spectrum: check the date`, warnings);
  return { start, end };
}

/** Seconds in a (Julian) year. */
const YEAR_S = 365.25 * 86400;
/**
 * A time more than this from t0 is refused: operando campaigns last hours to months,
 * long-term ageing studies a few years; ten years away is a typo in the year.
 */
export const MAX_SECONDS_FROM_T0 = 10 * YEAR_S;
/** A time more than this from t0 is a warning (a year-long campaign is rare). */
export const USUAL_SECONDS_FROM_T0 = YEAR_S;
/** A scan or spectrum window longer than this is a warning (scans take minutes to hours). */
export const USUAL_WINDOW_S = 86400;

/**
 * Refuse a time decades away from the campaign's t0 (a typo in the year) and warn of one
 * more than a year away.
 * @throws {ValidationError} naming `path`, the time and t0
 */
export function checkTimeFromT0(time: IsoTime, path: string, t0: IsoTime, warnings: string[]): void {
  const away = Math.abs(secondsBetween(t0, time));
  const years = (away / YEAR_S).toPrecision(3);
  if (away > MAX_SECONDS_FROM_T0) throw new ValidationError(path, `is ${years} years from t0 (${t0.iso}); a campaign spans hours to months: a typo in the year (or in t0)?`, time.iso);
  if (away > USUAL_SECONDS_FROM_T0) reportInputWarning(`${path}: ${time.iso} is ${years} years from t0 (${t0.iso}): check the year`, warnings);
}

/**
 * A scan's times: `start` and `end` as written, or left out for campaign/scanTimes to take
 * from the file's header (`duration_s` gives an end the header lacks, `utcOffset` the zone
 * of zone-less header times). Both given: checked here as any window.
 */
function parseScanTimes(v: Reader, o: Record<string, unknown>, p: string, t0: IsoTime, warnings: string[]): { start: IsoTime | undefined; end: IsoTime | undefined; duration_s?: number; utcOffset?: string } {
  const duration_s = o["duration_s"] === undefined ? undefined : v.number(o["duration_s"], `${p}.duration_s`, { gt: 0 });
  if (duration_s !== undefined && o["end"] !== undefined) throw new ValidationError(`${p}.duration_s`, "give end or duration_s, not both", duration_s);
  let utcOffset: string | undefined;
  if (o["utcOffset"] !== undefined) {
    utcOffset = v.string(o["utcOffset"], `${p}.utcOffset`);
    if (parseUtcOffset(utcOffset) === undefined) throw new ValidationError(`${p}.utcOffset`, 'must be "Z" or ±hh:mm', utcOffset);
  }
  const extra = { ...(duration_s !== undefined ? { duration_s } : {}), ...(utcOffset !== undefined ? { utcOffset } : {}) };
  if (o["start"] !== undefined && o["end"] !== undefined) return { ...parseWindow(o, p, t0, warnings), ...extra };
  const start = o["start"] === undefined ? undefined : parseIsoTime(o["start"], `${p}.start`);
  const end = o["end"] === undefined ? undefined : parseIsoTime(o["end"], `${p}.end`);
  if (start) checkTimeFromT0(start, `${p}.start`, t0, warnings);
  return { start, end, ...extra };
}

function parseBeam(v: Reader, value: unknown, p: string): Beam {
  const o = v.object(value, p);
  v.keys(o, p, ["probe", "energy_keV", "wavelength_A", "flux_per_s", "height_mm", "width_mm", "profile", "notes"]);
  const probe = v.enumeration(o["probe"], `${p}.probe`, PROBES);
  const hasEnergy = o["energy_keV"] !== undefined;
  const hasWavelength = o["wavelength_A"] !== undefined;
  if (hasEnergy && hasWavelength) throw new ValidationError(`${p}.energy_keV`, "give energy_keV or wavelength_A, not both", o["energy_keV"]);
  let energy_keV: number | undefined;
  let wavelength_A: number | undefined;
  if (probe === "xray") {
    if (!hasEnergy && !hasWavelength) throw new ValidationError(p, "an X-ray beam needs energy_keV or wavelength_A");
    if (hasEnergy) {
      energy_keV = v.number(o["energy_keV"], `${p}.energy_keV`, { gt: 0 });
      checkXrayEnergy(energy_keV, `${p}.energy_keV`, v.warnings);
      wavelength_A = wavelengthFromEnergy(energy_keV);
    } else {
      wavelength_A = v.number(o["wavelength_A"], `${p}.wavelength_A`, { gt: 0 });
      checkWavelength(wavelength_A, "xray", `${p}.wavelength_A`, v.warnings);
      energy_keV = energyFromWavelength(wavelength_A);
    }
  } else {
    if (hasEnergy) throw new ValidationError(`${p}.energy_keV`, "a neutron beam gives wavelength_A, not energy_keV", o["energy_keV"]);
    if (hasWavelength) {
      wavelength_A = v.number(o["wavelength_A"], `${p}.wavelength_A`, { gt: 0 });
      checkWavelength(wavelength_A, "neutron", `${p}.wavelength_A`, v.warnings);
    }
  }
  const optional = (key: string): number | undefined => (o[key] === undefined ? undefined : v.number(o[key], `${p}.${key}`, { gt: 0 }));
  const flux_per_s = optional("flux_per_s");
  if (flux_per_s !== undefined) checkFlux(flux_per_s, probe, `${p}.flux_per_s`, v.warnings);
  const height_mm = optional("height_mm");
  const width_mm = optional("width_mm");
  const profile = o["profile"] === undefined ? "gaussian" : v.enumeration(o["profile"], `${p}.profile`, BEAM_PROFILES);
  return {
    probe,
    energy_keV,
    wavelength_A,
    ...(flux_per_s !== undefined ? { flux_per_s } : {}),
    ...(height_mm !== undefined ? { height_mm } : {}),
    ...(width_mm !== undefined ? { width_mm } : {}),
    profile,
  };
}

function parseCell(v: Reader, value: unknown, p: string, probe: readonly Probe[]): ManifestCell {
  const o = v.object(value, p);
  v.keys(o, p, ["id", "architecture", "electrodeArea_cm2", "stack", "windows", "geometry", "electrochemistry", "spots", "impedanceModel", "alignments", "notes", "name", "description"]);
  const id = v.string(o["id"], `${p}.id`);
  const architecture = v.enumeration(o["architecture"], `${p}.architecture`, ARCHITECTURES);
  const electrodeArea_cm2 = v.number(o["electrodeArea_cm2"], `${p}.electrodeArea_cm2`, { gt: 0 });
  const stackJson = v.array(o["stack"], `${p}.stack`, 2);
  const stack = stackJson.map((layer, i) => parseLayer(v, layer, `${p}.stack[${i}]`, i === 0 || i === stackJson.length - 1, probe));
  checkRoughnesses(stack.map((layer) => ({ thickness: layer.thickness_A, roughness: layer.roughness_A })), (i) => `${p}.stack[${i}].roughness_A`, v.warnings);
  const names = new Map<string, number>();
  stack.forEach((layer, i) => {
    const other = names.get(layer.name);
    if (other !== undefined) throw new ValidationError(`${p}.stack[${i}].name`, `duplicates ${p}.stack[${other}].name; layer names must be unique within a cell`, layer.name);
    names.set(layer.name, i);
  });
  const windows = v.optionalArray(o["windows"], `${p}.windows`).map((w, i): Window => {
    const wp = `${p}.windows[${i}]`;
    const wo = v.object(w, wp);
    v.keys(wo, wp, ["name", "material", "thickness_um", "notes"]);
    const name = v.optionalString(wo["name"], `${wp}.name`);
    return { ...(name !== undefined ? { name } : {}), material: parseMaterial(v, wo["material"], `${wp}.material`, probe, false), thickness_um: v.number(wo["thickness_um"], `${wp}.thickness_um`, { ge: 0 }) };
  });
  const geometry = o["geometry"] === undefined ? undefined : parseGeometry(v, o["geometry"], `${p}.geometry`);
  const electrochemistry = o["electrochemistry"] === undefined ? undefined : parseCellElectrochemistry(v, o["electrochemistry"], `${p}.electrochemistry`);
  let alignments: Record<string, { angleOffset_deg: { value: number; sd?: number } }> | undefined;
  if (o["alignments"] !== undefined) {
    const ao = v.object(o["alignments"], `${p}.alignments`);
    alignments = {};
    for (const [label, entry] of Object.entries(ao)) {
      const ap = `${p}.alignments.${label}`;
      if (!/^[A-Za-z0-9_.-]+$/.test(label)) throw new ValidationError(ap, "must be a label of letters, digits, _ . - (it names the fitted angle_offset@<label>)", label);
      const eo = v.object(entry, ap);
      v.keys(eo, ap, ["angleOffset_deg", "notes"]);
      const x = eo["angleOffset_deg"];
      let angleOffset_deg: { value: number; sd?: number };
      if (typeof x === "number") angleOffset_deg = { value: v.number(x, `${ap}.angleOffset_deg`, {}) };
      else {
        const xo = v.object(x, `${ap}.angleOffset_deg`);
        v.keys(xo, `${ap}.angleOffset_deg`, ["value", "sd"]);
        angleOffset_deg = { value: xo["value"] === undefined ? 0 : v.number(xo["value"], `${ap}.angleOffset_deg.value`, {}), sd: v.number(xo["sd"], `${ap}.angleOffset_deg.sd`, { gt: 0 }) };
      }
      if (!(Math.abs(angleOffset_deg.value) < 5)) throw new ValidationError(`${ap}.angleOffset_deg`, "must be a small angle in degrees (|δ| < 5)", angleOffset_deg.value);
      alignments[label] = { angleOffset_deg };
    }
  }
  const spotIds = new Map<string, number>();
  const spots = v.optionalArray(o["spots"], `${p}.spots`).map((s, i): Spot => {
    const sp = `${p}.spots[${i}]`;
    const so = v.object(s, sp);
    v.keys(so, sp, ["id", "role", "description", "x_mm", "y_mm", "notes"]);
    const sid = v.string(so["id"], `${sp}.id`);
    const other = spotIds.get(sid);
    if (other !== undefined) throw new ValidationError(`${sp}.id`, `duplicates ${p}.spots[${other}].id`, sid);
    spotIds.set(sid, i);
    const description = v.optionalString(so["description"], `${sp}.description`);
    const x = so["x_mm"] === undefined ? undefined : v.number(so["x_mm"], `${sp}.x_mm`, {});
    const y = so["y_mm"] === undefined ? undefined : v.number(so["y_mm"], `${sp}.y_mm`, {});
    return {
      id: sid,
      role: so["role"] === undefined ? "measured" : v.enumeration(so["role"], `${sp}.role`, SPOT_ROLES),
      ...(description !== undefined ? { description } : {}),
      ...(x !== undefined ? { x_mm: x } : {}),
      ...(y !== undefined ? { y_mm: y } : {}),
    };
  });
  let impedanceModel: ImpedanceModel | undefined;
  if (o["impedanceModel"] !== undefined) {
    const ip = `${p}.impedanceModel`;
    const io = v.object(o["impedanceModel"], ip);
    v.keys(io, ip, ["circuit", "interphaseResistance", "interphaseCapacitance", "notes"]);
    impedanceModel = {
      circuit: v.string(io["circuit"], `${ip}.circuit`),
      interphaseResistance: v.string(io["interphaseResistance"], `${ip}.interphaseResistance`),
      interphaseCapacitance: v.string(io["interphaseCapacitance"], `${ip}.interphaseCapacitance`),
    };
    // the circuit parses, and the named elements can stand for the interphase (a CPE only beside its R)
    const parsed = parseCircuit(impedanceModel.circuit, `${ip}.circuit`);
    const { interphaseResistance: r, interphaseCapacitance: c } = impedanceModel;
    const resistanceProblem = interphaseResistanceProblem(parsed, r);
    if (resistanceProblem !== undefined) throw new ValidationError(`${ip}.interphaseResistance`, resistanceProblem, r);
    const capacitanceProblem = interphaseCapacitanceProblem(parsed, r, c);
    if (capacitanceProblem !== undefined) throw new ValidationError(`${ip}.interphaseCapacitance`, capacitanceProblem, c);
  }
  const notes = v.optionalString(o["notes"], `${p}.notes`);

  // Consistency between the description's parts: reported, not fatal.
  if (geometry) {
    const first = stack[0];
    if (geometry.beamEntry === "through-substrate" && first.role !== "substrate") {
      v.warn(`${p}.geometry.beamEntry: "through-substrate" but the beam-side layer ${p}.stack[0] ("${first.name}") has role "${first.role}", not "substrate"`);
    }
    if (geometry.beamEntry === "through-electrolyte" && first.role !== "electrolyte") {
      v.warn(`${p}.geometry.beamEntry: "through-electrolyte" but the beam-side layer ${p}.stack[0] ("${first.name}") has role "${first.role}", not "electrolyte"`);
    }
    if (geometry.beamEntry === "through-window" && windows.length === 0) v.warn(`${p}.geometry.beamEntry: "through-window" but ${p}.windows is empty`);
  }
  if (electrochemistry && !names.has(electrochemistry.workingElectrode)) {
    v.warn(`${p}.electrochemistry.workingElectrode: "${electrochemistry.workingElectrode}" names no layer of ${p}.stack`);
  }
  return {
    id,
    architecture,
    electrodeArea_cm2,
    stack,
    windows,
    geometry,
    electrochemistry,
    spots,
    ...(impedanceModel ? { impedanceModel } : {}),
    ...(alignments ? { alignments } : {}),
    ...(notes !== undefined ? { notes } : {}),
  };
}

function parseLayer(v: Reader, value: unknown, p: string, semiInfinite: boolean, probe: readonly Probe[]): StackLayer {
  const o = v.object(value, p);
  v.keys(o, p, ["name", "role", "material", "thickness_A", "roughness_A", "growth", "fit", "notes"]);
  const name = v.string(o["name"], `${p}.name`);
  const role = v.enumeration(o["role"], `${p}.role`, LAYER_ROLES);
  const material = parseMaterial(v, o["material"], `${p}.material`, probe, true);
  let thickness_A: number | undefined;
  if (o["thickness_A"] !== undefined) thickness_A = v.number(o["thickness_A"], `${p}.thickness_A`, { ge: 0 });
  else if (!semiInfinite) throw new ValidationError(`${p}.thickness_A`, "is required for a layer between the first and the last (Å)");
  const roughness_A = o["roughness_A"] === undefined ? 0 : v.number(o["roughness_A"], `${p}.roughness_A`, { ge: 0 });
  let growth: LayerGrowth | undefined;
  if (o["growth"] !== undefined) {
    const gp = `${p}.growth`;
    const go = v.object(o["growth"], gp);
    v.keys(go, gp, ["electronsPerFormula", "faradaicFraction", "thicknessPerCharge_A_cm2_per_C", "notes"]);
    const z = go["electronsPerFormula"] === undefined ? undefined : v.number(go["electronsPerFormula"], `${gp}.electronsPerFormula`, { gt: 0 });
    const f = go["faradaicFraction"] === undefined ? undefined : v.number(go["faradaicFraction"], `${gp}.faradaicFraction`, { gt: 0 });
    if (f !== undefined && f > 1) throw new ValidationError(`${gp}.faradaicFraction`, "must be ≤ 1", f);
    const perCharge = go["thicknessPerCharge_A_cm2_per_C"] === undefined ? undefined : v.number(go["thicknessPerCharge_A_cm2_per_C"], `${gp}.thicknessPerCharge_A_cm2_per_C`, { gt: 0 });
    growth = {
      ...(z !== undefined ? { electronsPerFormula: z } : {}),
      ...(f !== undefined ? { faradaicFraction: f } : {}),
      ...(perCharge !== undefined ? { thicknessPerCharge_A_cm2_per_C: perCharge } : {}),
    };
  }
  const notes = v.optionalString(o["notes"], `${p}.notes`);
  const fit = o["fit"] === undefined ? undefined : parseLayerFit(v, o["fit"], `${p}.fit`, { role, material, semiInfinite, probe, thickness_A, roughness_A });
  return { name, role, material, thickness_A: semiInfinite ? undefined : thickness_A, roughness_A, ...(growth ? { growth } : {}), ...(fit ? { fit } : {}), ...(notes !== undefined ? { notes } : {}) };
}

/** A layer's `fit` block (see {@link LayerFit}), checked against the layer it belongs to. */
function parseLayerFit(
  v: Reader,
  value: unknown,
  p: string,
  layer: { role: LayerRole; material: ManifestMaterial; semiInfinite: boolean; probe: readonly Probe[]; thickness_A: number | undefined; roughness_A: number },
): LayerFit {
  const o = v.object(value, p);
  v.keys(o, p, [...LAYER_FIT_PROPERTIES]);
  const fit: { -readonly [K in keyof LayerFit]: LayerFit[K] } = {};
  for (const key of LAYER_FIT_PROPERTIES) {
    const spec = o[key];
    if (spec === undefined) continue;
    const kp = `${p}.${key}`;
    if (key === "sld") {
      if (layer.material.sld === undefined && layer.material.xray === undefined && layer.material.neutron === undefined) {
        throw new ValidationError(kp, 'needs explicit SLDs on the material ("sld"); a layer given by composition fits its density ("fit": {"density": …})', spec);
      }
      if (new Set(layer.probe).size > 1) throw new ValidationError(kp, "is for a campaign with one probe; with X-ray and neutron beams give the layer a composition and fit its density, which ties both SLDs", spec);
    }
    if (key === "density" && layer.material.formula === undefined) throw new ValidationError(kp, 'needs a composition ("formula" and "density") on the material; a layer given by SLD fits its SLD ("fit": {"sld": …})', spec);
    if (key === "thickness_A" && layer.semiInfinite) throw new ValidationError(kp, "is for a layer between the first and the last (the first and last are semi-infinite)", spec);
    if (key === "thickness_A" && layer.role === "interphase") throw new ValidationError(kp, "the interphase's thickness is fitted per scan or by the growth law (strata diagnose --mode), not declared here", spec);
    if (spec === "fixed") {
      if (layer.role === "interphase" && key !== "sld") throw new ValidationError(kp, `the interphase's ${key === "density" ? "density" : "roughness"} is always fitted (shared by the cell's scans): give bounds or a prior`, spec);
      fit[key] = "fixed";
      continue;
    }
    const so = v.object(spec, kp);
    v.keys(so, kp, ["min", "max", "mean", "sd", "perScan", "law"]);
    const perScan = so["perScan"] === undefined ? false : so["perScan"];
    if (typeof perScan !== "boolean") throw new ValidationError(`${kp}.perScan`, "must be true or false", perScan);
    if (perScan && layer.role === "interphase" && key !== "sld") {
      throw new ValidationError(`${kp}.perScan`, `the interphase's ${key === "density" ? "density" : "roughness"} is one per cell (its thickness is per scan or by the growth law); a property per scan is for its SLD or another layer`, perScan);
    }
    const law = so["law"];
    if (law !== undefined && law !== "linear") throw new ValidationError(`${kp}.law`, 'must be "linear" (value + rate × hours since t0)', law);
    if (law !== undefined && perScan) throw new ValidationError(`${kp}.law`, 'a property follows a law over time or is free per scan ("perScan"), not both', law);
    if (law !== undefined && layer.role === "interphase" && key !== "sld") {
      throw new ValidationError(`${kp}.law`, `the interphase's ${key === "density" ? "density" : "roughness"} is one per cell; for an interphase whose density changes as it grows give it an explicit SLD with "fit": {"sld": {…, "law": "linear"}}`, law);
    }
    const mean = so["mean"] === undefined ? undefined : v.number(so["mean"], `${kp}.mean`, {});
    const sd = so["sd"] === undefined ? undefined : v.number(so["sd"], `${kp}.sd`, { gt: 0 });
    if ((mean === undefined) !== (sd === undefined)) throw new ValidationError(kp, 'a prior needs both "mean" and "sd"', spec);
    const floor = key === "sld" ? -Infinity : 0;
    const min = so["min"] !== undefined ? v.number(so["min"], `${kp}.min`, key === "sld" ? {} : { ge: 0 }) : mean !== undefined ? Math.max(floor, mean - 5 * sd!) : undefined;
    const max = so["max"] !== undefined ? v.number(so["max"], `${kp}.max`, {}) : mean !== undefined ? mean + 5 * sd! : undefined;
    if (min === undefined || max === undefined) throw new ValidationError(kp, 'needs bounds ("min" and "max"), a prior ("mean" and "sd"), or "fixed"', spec);
    if (!(max > min)) throw new ValidationError(`${kp}.max`, `must be greater than min (${min})`, max);
    if (mean !== undefined && (mean < min || mean > max)) throw new ValidationError(`${kp}.mean`, `must lie within [${min}, ${max}]`, mean);
    fit[key] = { min, max, ...(mean !== undefined ? { prior: { mean, sd: sd! } } : {}), ...(perScan ? { perScan: true as const } : {}), ...(law !== undefined ? { law } : {}) };
  }
  return fit;
}

/** `probes`: every probe the campaign's beams use, the campaign `beam`'s first (a plain "sld" is for that one). */
function parseMaterial(v: Reader, value: unknown, p: string, probes: readonly Probe[], needsSld: boolean): ManifestMaterial {
  const o = v.object(value, p);
  v.keys(o, p, ["name", "formula", "density", "sld", "isld", "xray", "neutron", "notes"]);
  const name = v.optionalString(o["name"], `${p}.name`);
  let formula: string | undefined;
  let density: number | undefined;
  if (o["formula"] !== undefined || o["density"] !== undefined) {
    if (o["formula"] === undefined) throw new ValidationError(`${p}.formula`, "is required with density (a chemical formula such as \"LiF\")");
    if (o["density"] === undefined) throw new ValidationError(`${p}.density`, "is required with formula (g/cm³)");
    formula = v.string(o["formula"], `${p}.formula`);
    try {
      parseFormula(formula);
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(`${p}.formula`, error.message.replace(/^formula: /, "").replace(/ \(got .*\)$/, ""), formula);
      throw error;
    }
    density = v.number(o["density"], `${p}.density`, { gt: 0 });
    checkDensity(density, `${p}.density`);
  }
  const plain = o["sld"] !== undefined || o["isld"] !== undefined;
  const perProbe = o["xray"] !== undefined || o["neutron"] !== undefined;
  if (plain && perProbe) throw new ValidationError(p, 'give explicit SLDs either as "sld"/"isld" (for the beam\'s probe) or per probe ("xray", "neutron"), not both', value);
  let sld: number | undefined;
  let isld: number | undefined;
  if (plain) {
    if (o["sld"] === undefined) throw new ValidationError(`${p}.sld`, "is required with isld (10⁻⁶ Å⁻²)");
    sld = v.number(o["sld"], `${p}.sld`, {});
    isld = o["isld"] === undefined ? 0 : v.number(o["isld"], `${p}.isld`, { ge: 0 });
  }
  const pair = (key: "xray" | "neutron"): SldPair | undefined => {
    if (o[key] === undefined) return undefined;
    const pp = `${p}.${key}`;
    const po = v.object(o[key], pp);
    v.keys(po, pp, ["sld", "isld"]);
    return { sld: v.number(po["sld"], `${pp}.sld`, {}), isld: po["isld"] === undefined ? 0 : v.number(po["isld"], `${pp}.isld`, { ge: 0 }) };
  };
  const xray = pair("xray");
  const neutron = pair("neutron");
  if (formula === undefined && !plain && !perProbe) throw new ValidationError(p, 'needs a composition ("formula" and "density") or explicit SLDs ("sld"/"isld", or "xray"/"neutron")', value);
  probes.forEach((probe, k) => {
    if (needsSld && formula === undefined && !(plain && k === 0) && (probe === "xray" ? !xray : !neutron)) {
      const which = probe === "xray" ? "X-ray" : "neutron";
      throw new ValidationError(`${p}.${probe}`, k === 0 ? `is required: the beam is ${which} and the material has no formula and density` : `is required: a beam in "beams" is ${which} and the material has no formula and density (a plain "sld" is for the campaign beam's probe)`);
    }
  });
  return {
    ...(name !== undefined ? { name } : {}),
    ...(formula !== undefined ? { formula, density } : {}),
    ...(sld !== undefined ? { sld, isld } : {}),
    ...(xray ? { xray } : {}),
    ...(neutron ? { neutron } : {}),
  };
}

function parseGeometry(v: Reader, value: unknown, p: string): CellGeometry {
  const o = v.object(value, p);
  v.keys(o, p, [
    "sampleLength_mm",
    "beamEntry",
    "electrolytePath_mm",
    "sampleWidth_mm",
    "angleOffset_deg",
    "footprintCorrected",
    "beamHeightSd_mm",
    "heightOffset_mm",
    "detectorDistance_mm",
    "attenuationCorrected",
    "attenuationRelativeSd",
    "incoherentBackground",
    "notes",
  ]);
  const sampleLength_mm = v.number(o["sampleLength_mm"], `${p}.sampleLength_mm`, { gt: 0 });
  const beamEntry = v.enumeration(o["beamEntry"], `${p}.beamEntry`, BEAM_ENTRIES);
  const electrolytePath_mm = o["electrolytePath_mm"] === undefined ? undefined : v.number(o["electrolytePath_mm"], `${p}.electrolytePath_mm`, { ge: 0 });
  if (beamEntry === "through-electrolyte" && electrolytePath_mm === undefined) {
    throw new ValidationError(`${p}.electrolytePath_mm`, 'is required when beamEntry is "through-electrolyte" (mm of electrolyte along the beam)');
  }
  const sampleWidth_mm = o["sampleWidth_mm"] === undefined ? undefined : v.number(o["sampleWidth_mm"], `${p}.sampleWidth_mm`, { gt: 0 });
  // a number (fixed) or {value, sd} (fitted with a normal prior)
  const fixedOrPrior = (key: string): { value: number; sd?: number } | undefined => {
    const x = o[key];
    if (x === undefined) return undefined;
    if (typeof x === "number") return { value: v.number(x, `${p}.${key}`, {}) };
    const oo = v.object(x, `${p}.${key}`);
    v.keys(oo, `${p}.${key}`, ["value", "sd"]);
    return { value: oo["value"] === undefined ? 0 : v.number(oo["value"], `${p}.${key}.value`, {}), sd: v.number(oo["sd"], `${p}.${key}.sd`, { gt: 0 }) };
  };
  const angleOffset_deg = fixedOrPrior("angleOffset_deg");
  if (angleOffset_deg && !(Math.abs(angleOffset_deg.value) < 5)) throw new ValidationError(`${p}.angleOffset_deg`, "must be a small angle in degrees (|δ| < 5)", angleOffset_deg.value);
  const flag = (key: string): boolean => {
    const x = o[key] === undefined ? true : o[key];
    if (typeof x !== "boolean") throw new ValidationError(`${p}.${key}`, "must be true or false", x);
    return x;
  };
  const footprintCorrected = flag("footprintCorrected");
  const beamHeightSd_mm = o["beamHeightSd_mm"] === undefined ? undefined : v.number(o["beamHeightSd_mm"], `${p}.beamHeightSd_mm`, { gt: 0 });
  if (beamHeightSd_mm !== undefined && footprintCorrected) throw new ValidationError(`${p}.beamHeightSd_mm`, "is only used when footprintCorrected is false", beamHeightSd_mm);
  const heightOffset_mm = fixedOrPrior("heightOffset_mm");
  const detectorDistance_mm = o["detectorDistance_mm"] === undefined ? undefined : v.number(o["detectorDistance_mm"], `${p}.detectorDistance_mm`, { gt: 0 });
  if (heightOffset_mm && detectorDistance_mm === undefined) throw new ValidationError(`${p}.detectorDistance_mm`, "is required with heightOffset_mm (mm from the rotation centre to the detector)");
  if (heightOffset_mm && !(Math.abs(heightOffset_mm.value) < 10)) throw new ValidationError(`${p}.heightOffset_mm`, "must be a small offset in mm (|Δz| < 10)", heightOffset_mm.value);
  const attenuationCorrected = flag("attenuationCorrected");
  const attenuationRelativeSd = o["attenuationRelativeSd"] === undefined ? undefined : v.number(o["attenuationRelativeSd"], `${p}.attenuationRelativeSd`, { gt: 0 });
  if (attenuationRelativeSd !== undefined && attenuationCorrected) throw new ValidationError(`${p}.attenuationRelativeSd`, "is only used when attenuationCorrected is false", attenuationRelativeSd);
  const incoherentBackground = fixedOrPrior("incoherentBackground");
  if (incoherentBackground && !(incoherentBackground.value >= 0)) throw new ValidationError(`${p}.incoherentBackground`, "must be ≥ 0 (reflectivity units at 1°)", incoherentBackground.value);
  return {
    sampleLength_mm,
    beamEntry,
    footprintCorrected,
    attenuationCorrected,
    ...(angleOffset_deg ? { angleOffset_deg } : {}),
    ...(beamHeightSd_mm !== undefined ? { beamHeightSd_mm } : {}),
    ...(heightOffset_mm ? { heightOffset_mm } : {}),
    ...(detectorDistance_mm !== undefined ? { detectorDistance_mm } : {}),
    ...(attenuationRelativeSd !== undefined ? { attenuationRelativeSd } : {}),
    ...(incoherentBackground ? { incoherentBackground } : {}),
    ...(electrolytePath_mm !== undefined ? { electrolytePath_mm } : {}),
    ...(sampleWidth_mm !== undefined ? { sampleWidth_mm } : {}),
  };
}

function parseCellElectrochemistry(v: Reader, value: unknown, p: string): CellElectrochemistry {
  const o = v.object(value, p);
  v.keys(o, p, ["workingElectrode", "counterElectrode", "referenceElectrode", "currentSign", "notes"]);
  const referenceElectrode = v.optionalString(o["referenceElectrode"], `${p}.referenceElectrode`);
  return {
    workingElectrode: v.string(o["workingElectrode"], `${p}.workingElectrode`),
    counterElectrode: v.string(o["counterElectrode"], `${p}.counterElectrode`),
    ...(referenceElectrode !== undefined ? { referenceElectrode } : {}),
    currentSign: v.enumeration(o["currentSign"], `${p}.currentSign`, CURRENT_SIGNS),
  };
}

function parseNexusMapping(v: Reader, value: unknown, p: string): ManifestNexusMapping {
  if (value === "nxrefscan") return "nxrefscan";
  if (typeof value === "string") throw new ValidationError(p, 'must be "nxrefscan" or a mapping {"q", "r", "dr"?, "dq"?, "time"?, "monitor"?}', value);
  const o = v.object(value, p);
  v.keys(o, p, ["q", "r", "dr", "dq", "time", "monitor"]);
  let q: string | { angle: string; wavelength: string; angleIs?: "theta" | "two-theta" };
  if (typeof o["q"] === "string") q = v.string(o["q"], `${p}.q`);
  else {
    const qo = v.object(o["q"], `${p}.q`);
    v.keys(qo, `${p}.q`, ["angle", "wavelength", "angleIs"]);
    const angleIs = qo["angleIs"] === undefined ? undefined : v.enumeration(qo["angleIs"], `${p}.q.angleIs`, ["theta", "two-theta"] as const);
    q = { angle: v.string(qo["angle"], `${p}.q.angle`), wavelength: v.string(qo["wavelength"], `${p}.q.wavelength`), ...(angleIs ? { angleIs } : {}) };
  }
  const out: { q: typeof q; r: string; dr?: string; dq?: string; time?: string; monitor?: string } = { q, r: v.string(o["r"], `${p}.r`) };
  for (const key of ["dr", "dq", "time", "monitor"] as const) if (o[key] !== undefined) out[key] = v.string(o[key], `${p}.${key}`);
  return out;
}

/** Typed access to JSON values with errors that name the path. */
class Reader {
  constructor(readonly warnings: string[]) {}

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ValidationError(path === "" ? "manifest" : path, value === undefined ? "is required (an object)" : "must be an object", value);
    }
    return value as Record<string, unknown>;
  }

  /** Unknown keys: errors with a suggestion, or warnings under the lenient policy (core/keys). */
  keys(o: Record<string, unknown>, path: string, known: readonly string[]): void {
    checkKnownKeys(o, path, known, this.warnings);
  }

  array(value: unknown, path: string, minItems: number): unknown[] {
    if (value === undefined) throw new ValidationError(path, "is required (a list)");
    if (!Array.isArray(value)) throw new ValidationError(path, "must be a list", value);
    if (value.length < minItems) throw new ValidationError(path, `must have at least ${minItems} ${minItems === 1 ? "entry" : "entries"}`, value);
    return value as unknown[];
  }

  optionalArray(value: unknown, path: string): unknown[] {
    return value === undefined ? [] : this.array(value, path, 0);
  }

  string(value: unknown, path: string): string {
    if (value === undefined) throw new ValidationError(path, "is required (a string)");
    if (typeof value !== "string" || value.trim() === "") throw new ValidationError(path, "must be a non-empty string", value);
    return value;
  }

  optionalString(value: unknown, path: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw new ValidationError(path, "must be a string", value);
    return value;
  }

  /** A relative or absolute file path: non-empty, no NUL. */
  path(value: unknown, path: string): string {
    const text = this.string(value, path);
    if (text.includes("\0")) throw new ValidationError(path, "must be a file path", text);
    return text;
  }

  number(value: unknown, path: string, bounds: { gt?: number; ge?: number }): number {
    if (value === undefined) throw new ValidationError(path, "is required (a number)");
    if (typeof value !== "number" || !Number.isFinite(value)) throw new ValidationError(path, "must be a finite number", value);
    if (bounds.gt !== undefined && !(value > bounds.gt)) throw new ValidationError(path, `must be > ${bounds.gt}`, value);
    if (bounds.ge !== undefined && !(value >= bounds.ge)) throw new ValidationError(path, `must be ≥ ${bounds.ge}`, value);
    return value;
  }

  integer(value: unknown, path: string, min: number): number {
    const n = this.number(value, path, { ge: min });
    if (!Number.isInteger(n)) throw new ValidationError(path, "must be an integer", value);
    return n;
  }

  enumeration<T extends string>(value: unknown, path: string, options: readonly T[]): T {
    if (value === undefined) throw new ValidationError(path, `is required (one of ${options.map((o) => JSON.stringify(o)).join(", ")})`);
    if (typeof value !== "string" || !(options as readonly string[]).includes(value)) {
      throw new ValidationError(path, `must be one of ${options.map((o) => JSON.stringify(o)).join(", ")}`, value);
    }
    return value as T;
  }
}
