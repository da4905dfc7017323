/**
 * @module confounders/dose
 * The dose ledger (issue 7 part 1, operando.md §1.2): for every scan and spot, the
 * absorbed dose and dose rate in the interphase layer from the beam (flux, photon
 * energy, size, profile), the footprint along the scan's angles, the attenuation
 * along the beam path of the cell's `beamEntry` geometry (confounders/path) and
 * the energy absorbed in the layer; and the accumulated dose per spot D_s(t).
 * Neutron campaigns get the fluence on the sample instead (dose negligible).
 *
 * Model, per Q point k of a scan (equal dwell τ_k = τ/n over the n points; the
 * shutter is assumed open for the whole window end − start and closed between scans):
 *   α_k = asin(Q_k λ / 4π)
 *   f_k = footprint (over-illumination) factor along the beam (top-hat or Gaussian,
 *         confounders/geometry), g = the same across the beam when the sample width
 *         is known (else 1)
 *   l_k = min(h / sin α_k, L), w_ill = min(w, W): illuminated length and width
 *         (h, w the beam height and width; their FWHM for a Gaussian beam, so the
 *         dose is the mean over the FWHM footprint)
 *   N_k = Φ τ_k f_k g T_in(α_k)  photons reaching the interphase (T_in: path.ts)
 *   D_k = N_k E (1 − e^{−μ t / sin α_k}) / (ρ · l_k w_ill · t)    [Gy = J/kg]
 * with E the photon energy, and μ, ρ, t the interphase's attenuation coefficient,
 * density and manifest thickness (the thin-slab limit N E μ/(ρ A sin α) when t = 0).
 * μ is photoabsorption, used as μ_en (see attenuation.ts). One incident pass: the
 * specularly reflected beam, which crosses the layer again, is not counted (up to
 * ×2 below the critical angle). The scan's dose is Σ_k D_k (the footprints are
 * centred on the spot), its dose rate D / τ; the spot's accumulated dose sums the
 * scans of the same cell and spot in order of start time.
 *
 * Points with Q ≤ 0 (beam parallel to the surface) miss the sample and add nothing.
 *
 * Neutrons: fluence on the sample Σ_k Φ τ_k f_k g / (l_k w_ill), unattenuated.
 *
 * Units: dose Gy; dose rate Gy/s; times s; flux photons (neutrons)/s; fluence per
 * cm²; lengths mm (beam, sample), Å (layer thickness); angles in output degrees;
 * photon energy J; μ/ρ m²/kg.
 */
import type { Campaign, CellData } from "../campaign/campaign.ts";
import { scanBeam, type Beam, type BeamProfile, type ManifestCell, type SpotRole } from "../campaign/manifest.ts";
import type { MaterialsOptions } from "../materials/index.ts";
import { ATTENUATION_MODEL, ENERGY_ABSORPTION_MODEL, materialAttenuation } from "./attenuation.ts";
import { footprintFactor } from "./geometry.ts";
import { buildBeamPath, incidentTransmission, unavailableError, unavailableMessage, type BeamPath, type Computed, type CorrectionUnavailable } from "./path.ts";
import { ValidationError } from "../core/errors.ts";
import { ELEMENTARY_CHARGE, PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM } from "../core/constants.ts";

/** The statement printed for neutron campaigns. */
export const NEUTRON_DOSE_STATEMENT = "neutron beam: absorbed dose is negligible at reflectometry fluxes and is not computed; the ledger tracks the fluence on the sample (neutrons/cm², unattenuated)";

/** The interphase layer in which the dose is computed. */
export interface DoseLayer {
  readonly name: string;
  readonly stackIndex: number;
  readonly formula: string;
  readonly density_g_cm3: number;
  readonly thickness_A: number;
  /** μ/ρ, photoabsorption used as μ_en/ρ (m²/kg). */
  readonly massEnergyAbsorption_m2_per_kg: number;
  /** μ (m⁻¹). */
  readonly attenuation_per_m: number;
}

/** Everything the dose of one cell needs, resolved from the manifest. */
export interface DoseSetup {
  readonly probe: "xray" | "neutron";
  /** keV (X-rays). */
  readonly energy_keV: number | undefined;
  /** Å (X-rays: from the energy). */
  readonly wavelength_A: number | undefined;
  /** J (X-rays). */
  readonly photonEnergy_J: number | undefined;
  readonly flux_per_s: number;
  readonly profile: BeamProfile;
  /** Beam height along the footprint (FWHM for a Gaussian), mm. */
  readonly beamHeight_mm: number;
  /** Beam width (FWHM for a Gaussian), mm. */
  readonly beamWidth_mm: number;
  readonly sampleLength_mm: number;
  readonly sampleWidth_mm: number | undefined;
  /** Fraction of the beam's width that falls on the sample (1 when the sample width is unknown). */
  readonly widthFraction: number;
  /** Illuminated width, mm. */
  readonly illuminatedWidth_mm: number;
  /** X-rays only. */
  readonly layer: DoseLayer | undefined;
  /** X-rays only. */
  readonly path: BeamPath | undefined;
}

/** The dose (or fluence) of one exposure: a scan, or a planned exposure. */
export interface ExposureDose {
  readonly exposure_s: number;
  readonly points: number;
  /** Smallest and largest incidence angle, degrees. */
  readonly alphaMin_deg: number;
  readonly alphaMax_deg: number;
  /** Longest illuminated length along the sample, mm. */
  readonly footprintMax_mm: number;
  /** Mean over points of the over-illumination factor f·g. */
  readonly meanFootprintFactor: number;
  /** Mean over points of T_in (1 for neutrons). */
  readonly meanIncidentTransmission: number;
  /** Photons (neutrons) reaching the interphase (X-rays) or the sample (neutrons). */
  readonly particles: number;
  /** Gy; undefined for neutrons. */
  readonly dose_Gy: number | undefined;
  /** Gy/s (dose / exposure); undefined for neutrons. */
  readonly doseRate_Gy_per_s: number | undefined;
  /** Particles per cm² on the illuminated area (incident, at the sample; for X-rays after the beam path). */
  readonly fluence_per_cm2: number;
}

/**
 * Resolve what the dose of a cell needs, or say which input is missing and why.
 * X-rays need `beam.flux_per_s`, `beam.height_mm`, `beam.width_mm`, the cell's
 * `geometry`, one stack layer with role `interphase` (composition and thickness),
 * and a composition for every material on the beam path; neutrons need the flux,
 * beam size and sample length.
 * @param beam - the campaign's beam
 * @param cell - the manifest cell
 * @param cellPath - JSON path of the cell for messages, e.g. `cells[0]`
 * @param materials - data folder of the element tables
 * @returns the setup, or a {@link CorrectionUnavailable} (correction `"dose"`, or `"fluence"` for neutrons)
 * @example
 * const setup = resolveDoseSetup(manifest.beam, manifest.cells[0], "cells[0]");
 */
export function resolveDoseSetup(beam: Beam, cell: ManifestCell, cellPath: string, materials?: MaterialsOptions): Computed<DoseSetup> {
  const correction = beam.probe === "xray" ? "dose" : "fluence";
  const fail = (path: string, reason: string): Computed<DoseSetup> => ({ ok: false, unavailable: { correction, path, reason } });
  const particle = beam.probe === "xray" ? "photons" : "neutrons";
  if (beam.flux_per_s === undefined) return fail("beam.flux_per_s", `is missing: the ${correction} counts the ${particle} on the sample and needs the incident flux (${particle}/s)`);
  if (beam.height_mm === undefined) return fail("beam.height_mm", "is missing: the footprint on the sample (h / sin α) needs the beam height (FWHM for a Gaussian beam)");
  if (beam.width_mm === undefined) return fail("beam.width_mm", "is missing: the illuminated area needs the beam width (FWHM for a Gaussian beam)");
  const geometry = cell.geometry;
  if (!geometry) return fail(`${cellPath}.geometry`, "is missing: the footprint and the beam path need the cell geometry (sampleLength_mm, beamEntry)");
  const sampleWidth = geometry.sampleWidth_mm;
  const widthFraction = sampleWidth === undefined ? 1 : footprintFactor(beam.profile, sampleWidth, beam.width_mm, 1);
  const common = {
    probe: beam.probe,
    flux_per_s: beam.flux_per_s,
    profile: beam.profile,
    beamHeight_mm: beam.height_mm,
    beamWidth_mm: beam.width_mm,
    sampleLength_mm: geometry.sampleLength_mm,
    sampleWidth_mm: sampleWidth,
    widthFraction,
    illuminatedWidth_mm: sampleWidth === undefined ? beam.width_mm : Math.min(beam.width_mm, sampleWidth),
  };
  if (beam.probe === "neutron") {
    if (beam.wavelength_A === undefined) return fail("beam.wavelength_A", "is missing: the incidence angles α = asin(Qλ/4π), hence the footprint, need the neutron wavelength");
    return { ok: true, value: { ...common, energy_keV: undefined, wavelength_A: beam.wavelength_A, photonEnergy_J: undefined, layer: undefined, path: undefined } };
  }
  const energy = beam.energy_keV;
  if (energy === undefined) return fail("beam.energy_keV", "is missing: the dose needs the photon energy");
  const index = cell.stack.findIndex((l) => l.role === "interphase");
  if (index < 0) return fail(`${cellPath}.stack`, 'has no layer with role "interphase": the dose is computed in the interphase layer');
  const layer = cell.stack[index];
  const layerPath = `${cellPath}.stack[${index}]`;
  if (layer.material.formula === undefined || layer.material.density === undefined) {
    return fail(`${layerPath}.material`, `has no composition (formula and density): the energy absorbed per unit mass in the interphase "${layer.name}" needs its μ/ρ and density`);
  }
  if (layer.thickness_A === undefined) return fail(`${layerPath}.thickness_A`, `is missing: the interphase "${layer.name}" is a semi-infinite medium of the stack; the dose needs a layer of finite thickness`);
  let attenuation;
  try {
    attenuation = materialAttenuation(layer.material.formula, layer.material.density, energy, materials);
  } catch (error) {
    if (error instanceof ValidationError) return fail(`${layerPath}.material`, `cannot be evaluated at ${energy} keV (${error.message})`);
    throw error;
  }
  const path = buildBeamPath(beam, cell, cellPath, { toLayer: index, correction: "dose", ...(materials ? { materials } : {}) });
  if (!path.ok) return path;
  const wavelength = PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM / energy;
  return {
    ok: true,
    value: {
      ...common,
      energy_keV: energy,
      wavelength_A: wavelength,
      photonEnergy_J: energy * 1e3 * ELEMENTARY_CHARGE,
      layer: {
        name: layer.name,
        stackIndex: index,
        formula: layer.material.formula,
        density_g_cm3: layer.material.density,
        thickness_A: layer.thickness_A,
        massEnergyAbsorption_m2_per_kg: attenuation.massAttenuation_m2_per_kg,
        attenuation_per_m: attenuation.linearAttenuation_per_m,
      },
      path: path.value,
    },
  };
}

/**
 * Why the dose (X-rays) or fluence (neutrons) of a cell cannot be computed, or
 * undefined when it can. Never throws for missing inputs, so a diagnosis can
 * continue without the correction and flag it.
 * @param beam - the campaign's beam
 * @param cell - the manifest cell
 * @param cellPath - JSON path of the cell, e.g. `cells[0]`
 * @param materials - data folder of the element tables
 * @returns one line naming the correction, the manifest field and why; undefined if computable
 * @example
 * doseUnavailableReason({ ...beam, flux_per_s: undefined }, cell, "cells[0]");
 * // "dose cannot be computed: beam.flux_per_s is missing: …"
 */
export function doseUnavailableReason(beam: Beam, cell: ManifestCell, cellPath: string, materials?: MaterialsOptions): string | undefined {
  const setup = resolveDoseSetup(beam, cell, cellPath, materials);
  return setup.ok ? undefined : unavailableMessage(setup.unavailable);
}

/**
 * Dose (X-rays) or fluence (neutrons) of one exposure over the Q points of a scan.
 * @param setup - from {@link resolveDoseSetup}
 * @param q - the scan's Q points (Å⁻¹); each gets exposure / n seconds
 * @param exposure_s - shutter-open time (s), ≥ 0
 * @returns dose, dose rate, fluence and footprint summary
 * @throws {ValidationError} for a neutron beam without a wavelength (angles from Q need λ) or an empty scan
 * @example
 * const d = exposureDose(setup, scan.data.q, scan.exposure_s);
 * console.log(d.dose_Gy, d.doseRate_Gy_per_s);
 */
export function exposureDose(setup: DoseSetup, q: ArrayLike<number>, exposure_s: number): ExposureDose {
  const n = q.length;
  if (n === 0) throw new ValidationError("q", "has no points: the angles of the exposure are unknown");
  const wavelength = setup.wavelength_A;
  if (wavelength === undefined) throw new ValidationError("beam.wavelength_A", "is missing: the incidence angles α = asin(Qλ/4π) of a neutron beam need its wavelength — the fluence cannot be computed");
  const dwell = exposure_s / n;
  const layer = setup.layer;
  const xray = setup.probe === "xray" && layer !== undefined && setup.path !== undefined && setup.photonEnergy_J !== undefined;
  const density_kg_m3 = layer ? layer.density_g_cm3 * 1e3 : 0;
  const thickness_m = layer ? layer.thickness_A * 1e-10 : 0;
  let dose = 0;
  let particles = 0;
  let fluence_per_m2 = 0;
  let sumFactor = 0;
  let sumTransmission = 0;
  let alphaMin = Infinity;
  let alphaMax = -Infinity;
  let footprintMax = 0;
  for (let k = 0; k < n; k++) {
    const sinAlpha = (q[k] * wavelength) / (4 * Math.PI);
    if (!(sinAlpha <= 1)) throw new ValidationError(`q[${k}]`, "gives no incidence angle (Qλ/4π must be ≤ 1)", q[k]);
    // Q ≤ 0: the beam runs parallel to the surface and misses the sample (f = 0): its dwell adds nothing
    if (sinAlpha <= 0) continue;
    const alpha = Math.asin(sinAlpha);
    alphaMin = Math.min(alphaMin, alpha);
    alphaMax = Math.max(alphaMax, alpha);
    const factor = footprintFactor(setup.profile, setup.sampleLength_mm, setup.beamHeight_mm, sinAlpha) * setup.widthFraction;
    const length_mm = Math.min(setup.beamHeight_mm / sinAlpha, setup.sampleLength_mm);
    footprintMax = Math.max(footprintMax, length_mm);
    const area_m2 = length_mm * setup.illuminatedWidth_mm * 1e-6;
    const transmission = xray ? incidentTransmission(setup.path, alpha) : 1;
    const count = setup.flux_per_s * dwell * factor * transmission;
    particles += count;
    fluence_per_m2 += count / area_m2;
    sumFactor += factor;
    sumTransmission += transmission;
    if (xray) {
      const opticalPath = (layer.attenuation_per_m * thickness_m) / sinAlpha;
      // absorbed fraction per unit thickness, (1 − e^{−μ t/sin α}) / t, → μ / sin α as t → 0
      const absorbedPerThickness = thickness_m > 0 ? -Math.expm1(-opticalPath) / thickness_m : layer.attenuation_per_m / sinAlpha;
      dose += (count * setup.photonEnergy_J * absorbedPerThickness) / (density_kg_m3 * area_m2);
    }
  }
  const degrees = 180 / Math.PI;
  return {
    exposure_s,
    points: n,
    alphaMin_deg: alphaMin * degrees,
    alphaMax_deg: alphaMax * degrees,
    footprintMax_mm: footprintMax,
    meanFootprintFactor: sumFactor / n,
    meanIncidentTransmission: sumTransmission / n,
    particles,
    dose_Gy: xray ? dose : undefined,
    doseRate_Gy_per_s: xray ? (exposure_s > 0 ? dose / exposure_s : 0) : undefined,
    fluence_per_cm2: fluence_per_m2 * 1e-4,
  };
}

/** One row of the ledger: a scan (or planned exposure) at a spot. */
export interface DoseLedgerRow extends ExposureDose {
  readonly cell: string;
  /** Scan id (or `#k` for a planned exposure). */
  readonly scan: string;
  readonly spot: string;
  readonly role: SpotRole;
  /** s since t0 (undefined for a plan). */
  readonly start_s: number | undefined;
  readonly end_s: number | undefined;
  /** Accumulated dose of the spot before this scan (Gy; undefined for neutrons). */
  readonly doseBefore_Gy: number | undefined;
  /** Accumulated dose of the spot after this scan (Gy; undefined for neutrons). */
  readonly cumulativeDose_Gy: number | undefined;
  readonly cumulativeFluence_per_cm2: number;
}

/** Per-spot totals. */
export interface DoseSpotTotal {
  readonly cell: string;
  readonly spot: string;
  readonly role: SpotRole;
  readonly scans: number;
  readonly exposure_s: number;
  readonly dose_Gy: number | undefined;
  /** Largest scan-mean dose rate at this spot (Gy/s). */
  readonly maxDoseRate_Gy_per_s: number | undefined;
  readonly fluence_per_cm2: number;
}

/** The dose ledger of a campaign (or plan). */
export interface DoseLedger {
  readonly format: "strata-dose-ledger/1";
  readonly probe: "xray" | "neutron";
  readonly energy_keV: number | undefined;
  readonly wavelength_A: number | undefined;
  /** How the numbers were computed (printed with the table). */
  readonly model: readonly string[];
  readonly cells: readonly DoseLedgerCell[];
  readonly rows: readonly DoseLedgerRow[];
  readonly spots: readonly DoseSpotTotal[];
}

/** Per-cell setup as reported. */
export interface DoseLedgerCell {
  readonly id: string;
  readonly setup: DoseSetup;
}

/** One exposure to put in a ledger. */
export interface LedgerExposure {
  readonly scan: string;
  readonly spot: string;
  readonly q: ArrayLike<number>;
  readonly exposure_s: number;
  readonly start_s?: number;
  readonly end_s?: number;
  /** the setup of this exposure's beam when it is not the ledger's (a scan naming one of the manifest's `beams`) */
  readonly setup?: DoseSetup;
}

/**
 * Build ledger rows for one cell's exposures (in the order given, which must be
 * time order), accumulating dose and fluence per spot.
 * @param cellId - the cell's id
 * @param setup - from {@link resolveDoseSetup}
 * @param exposures - the exposures in time order
 * @param roles - spot roles (spots not listed are `measured`)
 * @returns one row per exposure
 * @example
 * const rows = ledgerRows("A", setup, [{ scan: "s1", spot: "P1", q, exposure_s: 300 }], new Map());
 */
export function ledgerRows(cellId: string, setup: DoseSetup, exposures: readonly LedgerExposure[], roles: ReadonlyMap<string, SpotRole>): DoseLedgerRow[] {
  const doseBySpot = new Map<string, number>();
  const fluenceBySpot = new Map<string, number>();
  return exposures.map((e) => {
    let d: ExposureDose;
    try {
      d = exposureDose(e.setup ?? setup, e.q, e.exposure_s);
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(`${cellId}/${e.scan}`, error.message);
      throw error;
    }
    const before = doseBySpot.get(e.spot) ?? 0;
    const fluence = (fluenceBySpot.get(e.spot) ?? 0) + d.fluence_per_cm2;
    fluenceBySpot.set(e.spot, fluence);
    if (d.dose_Gy !== undefined) doseBySpot.set(e.spot, before + d.dose_Gy);
    return {
      ...d,
      cell: cellId,
      scan: e.scan,
      spot: e.spot,
      role: roles.get(e.spot) ?? "measured",
      start_s: e.start_s,
      end_s: e.end_s,
      doseBefore_Gy: d.dose_Gy === undefined ? undefined : before,
      cumulativeDose_Gy: d.dose_Gy === undefined ? undefined : before + d.dose_Gy,
      cumulativeFluence_per_cm2: fluence,
    };
  });
}

/**
 * Per-spot totals of ledger rows (declared spots without exposures included with zeros).
 * @param rows - ledger rows
 * @param declared - declared spots per cell, in manifest order
 * @returns one total per (cell, spot)
 * @example
 * spotTotals(rows, [{ cell: "A", spot: "C1", role: "control" }]);
 */
export function spotTotals(rows: readonly DoseLedgerRow[], declared: readonly { cell: string; spot: string; role: SpotRole }[]): DoseSpotTotal[] {
  const totals = new Map<string, { cell: string; spot: string; role: SpotRole; scans: number; exposure_s: number; dose: number | undefined; maxRate: number | undefined; fluence: number }>();
  const key = (cell: string, spot: string): string => `${cell}\0${spot}`;
  for (const d of declared) totals.set(key(d.cell, d.spot), { cell: d.cell, spot: d.spot, role: d.role, scans: 0, exposure_s: 0, dose: undefined, maxRate: undefined, fluence: 0 });
  for (const r of rows) {
    const k = key(r.cell, r.spot);
    let t = totals.get(k);
    if (!t) {
      t = { cell: r.cell, spot: r.spot, role: r.role, scans: 0, exposure_s: 0, dose: undefined, maxRate: undefined, fluence: 0 };
      totals.set(k, t);
    }
    t.scans += 1;
    t.exposure_s += r.exposure_s;
    t.fluence += r.fluence_per_cm2;
    if (r.dose_Gy !== undefined) t.dose = (t.dose ?? 0) + r.dose_Gy;
    if (r.doseRate_Gy_per_s !== undefined) t.maxRate = Math.max(t.maxRate ?? 0, r.doseRate_Gy_per_s);
  }
  return [...totals.values()].map((t) => ({
    cell: t.cell,
    spot: t.spot,
    role: t.role,
    scans: t.scans,
    exposure_s: t.exposure_s,
    dose_Gy: t.dose ?? (t.scans === 0 ? 0 : undefined),
    maxDoseRate_Gy_per_s: t.maxRate ?? (t.scans === 0 ? 0 : undefined),
    fluence_per_cm2: t.fluence,
  }));
}

/**
 * The model statements printed with a ledger.
 * @param probe - the beam's probe
 * @param cells - per-cell setups
 * @returns lines of text
 * @example
 * ledgerModel("xray", [{ id: "A", setup }]);
 */
export function ledgerModel(probe: "xray" | "neutron", cells: readonly DoseLedgerCell[]): string[] {
  const lines: string[] = [];
  if (probe === "neutron") lines.push(NEUTRON_DOSE_STATEMENT);
  else {
    lines.push(`energy absorption: ${ENERGY_ABSORPTION_MODEL}`);
    lines.push(`beam-path attenuation: ${ATTENUATION_MODEL}`);
    lines.push("dose = mean over the footprint (FWHM footprint for a Gaussian beam), one incident pass through the interphase (the reflected beam's second pass is not counted); equal dwell per Q point; shutter open from start to end of each scan");
  }
  for (const { id, setup } of cells) {
    const size = `${setup.profile} beam ${setup.beamHeight_mm} mm high × ${setup.beamWidth_mm} mm wide${setup.profile === "gaussian" ? " (FWHM)" : ""}, sample ${setup.sampleLength_mm} mm long${setup.sampleWidth_mm !== undefined ? ` × ${setup.sampleWidth_mm} mm wide` : " (width unknown: the whole beam width assumed on the sample)"}`;
    lines.push(`cell ${id}: ${size}`);
    if (setup.layer) {
      const l = setup.layer;
      lines.push(`cell ${id}: dose in the interphase "${l.name}" (${l.formula}, ${l.density_g_cm3} g/cm³, ${l.thickness_A} Å; μ/ρ = ${l.massEnergyAbsorption_m2_per_kg.toPrecision(5)} m²/kg)`);
    }
    if (setup.path) {
      for (const e of setup.path.elements) {
        lines.push(`cell ${id}: beam path: ${e.name}, ${e.formula} ${e.density_g_cm3} g/cm³, μ = ${e.attenuation_per_mm.toPrecision(5)} mm⁻¹, ${describeRule(e.rule, e.length_mm, e.entry)}`);
      }
      for (const note of setup.path.notes) lines.push(`cell ${id}: ${note}`);
    }
  }
  return lines;
}

function describeRule(rule: "grazing" | "horizontal" | "block", length_mm: number, entry: boolean): string {
  if (!entry) return `${Number((length_mm * 1e7).toPrecision(6))} Å crossed once at the grazing angle (t / sin α)`;
  if (rule === "grazing") return `${length_mm.toPrecision(4)} mm crossed at the grazing angle (2t / sin α in and out)`;
  if (rule === "horizontal") return `${length_mm.toPrecision(4)} mm fixed path in and out (half before the interphase)`;
  return `block ${length_mm.toPrecision(4)} mm long (L / cos α in and out, half before the interphase)`;
}

/**
 * A cell's scans as exposures in time order (stable: manifest order for equal starts),
 * as the accumulated dose requires.
 * @param scans - the scans (all of them, or a subset such as those with points)
 * @returns one exposure per scan
 */
export function scanExposures(scans: readonly CellData["scans"][number][]): LedgerExposure[] {
  return scans
    .map((s, k) => ({ s, k }))
    .sort((a, b) => a.s.start_s - b.s.start_s || a.k - b.k)
    .map(({ s }) => ({ scan: s.id, spot: s.spot, q: s.data.q, exposure_s: s.exposure_s, start_s: s.start_s, end_s: s.end_s }));
}

/**
 * The dose ledger of a loaded campaign: every scan of every cell, with the
 * accumulated dose per spot.
 * @param campaign - from `loadCampaign`
 * @param materials - data folder of the element tables
 * @returns the ledger
 * @throws {ValidationError} naming the correction, the manifest field and why, when a cell's dose (or fluence) cannot be computed
 * @example
 * const ledger = doseLedger(await loadCampaign("runs/2026-03"));
 * for (const row of ledger.rows) console.log(row.scan, row.dose_Gy, row.cumulativeDose_Gy);
 */
export function doseLedger(campaign: Campaign, materials?: MaterialsOptions): DoseLedger {
  const beam = campaign.manifest.beam;
  // a scan naming one of the manifest's `beams` is costed at that beam (a neutron scan adds fluence, no dose)
  const scanBeamNames = new Map(campaign.manifest.scans.map((s) => [s.id, s.beam]));
  const cells: DoseLedgerCell[] = [];
  const rows: DoseLedgerRow[] = [];
  const declared: { cell: string; spot: string; role: SpotRole }[] = [];
  campaign.cells.forEach((cell, i) => {
    const setup = resolveDoseSetup(beam, cell.manifestCell, `cells[${i}]`, materials);
    if (!setup.ok) throw unavailableError(setup.unavailable);
    cells.push({ id: cell.id, setup: setup.value });
    const roles = new Map(cell.manifestCell.spots.map((s) => [s.id, s.role]));
    for (const s of cell.manifestCell.spots) declared.push({ cell: cell.id, spot: s.id, role: s.role });
    // time order (stable: manifest order for equal starts), as the accumulated dose requires
    const setups = new Map<string, DoseSetup>();
    const setupOf = (name: string): DoseSetup => {
      let found = setups.get(name);
      if (!found) {
        const other = resolveDoseSetup(scanBeam(campaign.manifest, name).beam, cell.manifestCell, `cells[${i}]`, materials);
        if (!other.ok) throw unavailableError({ ...other.unavailable, path: other.unavailable.path.replace(/^beam\./, `beams.${name}.`) });
        found = other.value;
        setups.set(name, found);
      }
      return found;
    };
    const exposures = scanExposures(cell.scans).map((e) => {
      const name = scanBeamNames.get(e.scan);
      return name === undefined ? e : { ...e, setup: setupOf(name) };
    });
    rows.push(...ledgerRows(cell.id, setup.value, exposures, roles));
  });
  return {
    format: "strata-dose-ledger/1",
    probe: beam.probe,
    energy_keV: beam.energy_keV,
    wavelength_A: beam.wavelength_A,
    model: ledgerModel(beam.probe, cells),
    cells,
    rows,
    spots: spotTotals(rows, declared),
  };
}

export type { CorrectionUnavailable };
