/**
 * @module materials/plausibility
 * Plausibility guards on the beam and stack numbers Strata reads (MODEL.json, campaign
 * manifests, scenarios, dose plans), beside {@link checkDensity}: a value no real
 * experiment has is a ValidationError naming the field, the value and the likely
 * unit slip; a value only rare experiments have is a warning (core/keys
 * {@link reportInputWarning}: the caller's warnings list and the CLI's stderr).
 *
 * Units: X-ray energy keV; wavelength Å; flux particles per second; thickness and
 * roughness Å; Q Å⁻¹.
 *
 * Ranges, from the instruments that exist:
 * - X-ray energy: laboratory reflectometers use Cu Kα (8.05 keV) or Mo Kα (17.5 keV);
 *   synchrotron reflectometry runs from soft X-rays (resonant soft X-ray reflectivity at
 *   the C K edge, 0.28 keV) to high-energy beamlines at 70–100 keV for buried interfaces
 *   (e.g. ESRF ID31, PETRA III P07; Reichert et al., J. Synchrotron Rad. 2003). Accepted
 *   0.1–150 keV, a warning outside 1–100 keV; above 150 keV an eV value is the likely slip.
 * - Neutron wavelength: reflectometers use 1.5–30 Å (monochromatic 2–5.5 Å, e.g. D17,
 *   MARIA 4.5–10 Å; time of flight 2–30 Å, e.g. FIGARO, OFFSPEC, the SNS Liquids
 *   Reflectometer 2.5–17 Å). Accepted 0.5–50 Å, a warning outside 1–30 Å; below 0.5 Å a
 *   value in nm is the likely slip (0.18 nm is 1.8 Å).
 * - X-ray wavelength: the energy range above, as λ = hc/E (0.083–124 Å).
 * - Flux at the sample: X-ray laboratory sources 10⁶–10⁹ photons/s, undulator beamlines
 *   10¹²–10¹⁴ (pink beam up to ~10¹⁵); neutron reflectometers 10⁴–10⁹ neutrons/s.
 *   Above 10¹⁶ photons/s (10¹¹ neutrons/s) no beamline delivers: per hour or per
 *   mm² is the likely slip; a warning above 10¹⁴ (10¹⁰) and below 10³.
 * - Roughness: the Névot–Croce factor exp(−2k₁k₂σ²) removes all specular signal above
 *   σ ≈ 1000 Å even at the critical edge (k ≈ 0.01 Å⁻¹): refused above. A roughness
 *   larger than the thicknesses of both (finite) layers it joins washes both out
 *   (warning); against a semi-infinite medium a roughness above the film's thickness
 *   occurs in published fits (the SNS Cu/THF model: 25 Å on a 22 Å layer), so it passes.
 * - Q: the same limit as measured data (io/reflectivityData, 3 Å⁻¹): above it a Q in
 *   nm⁻¹ is the likely slip.
 */
import { ValidationError } from "../core/errors.ts";
import { reportInputWarning } from "../core/keys.ts";

/** hc, keV·Å (CODATA 2018): λ(Å) = HC / E(keV). */
const HC_KEV_ANGSTROM = 12.398419843320026;

/** X-ray energies accepted, keV (refused outside). */
export const XRAY_ENERGY_KEV = { min: 0.1, max: 150 } as const;
/** X-ray energies of common reflectometry, keV (a warning outside). */
export const XRAY_ENERGY_USUAL_KEV = { min: 1, max: 100 } as const;
/** Neutron wavelengths accepted, Å (refused outside). */
export const NEUTRON_WAVELENGTH_A = { min: 0.5, max: 50 } as const;
/** Neutron wavelengths of reflectometers, Å (a warning outside). */
export const NEUTRON_WAVELENGTH_USUAL_A = { min: 1, max: 30 } as const;
/** Largest flux accepted, per second (X-ray photons, neutrons). */
export const MAX_FLUX_PER_S = { xray: 1e16, neutron: 1e11 } as const;
/** Flux above which a warning is given, per second. */
export const USUAL_FLUX_PER_S = { xray: 1e14, neutron: 1e10 } as const;
/** Flux below which a warning is given, per second. */
export const MIN_USUAL_FLUX_PER_S = 1e3;
/** Largest interface roughness accepted, Å. */
export const MAX_ROUGHNESS_A = 1000;
/** Largest Q accepted in a model's or a plan's Q values, Å⁻¹ (as io/reflectivityData's MAX_SPECULAR_Q). */
export const MAX_MODEL_Q = 3;

const round = (x: number): number => Number(x.toPrecision(6));
const sci = (x: number): string => x.toExponential().replace("e+", "e");

/**
 * Check an X-ray energy in keV.
 * @param value - the energy as given (finite, > 0 checked by the caller or here)
 * @param path - the field named in messages
 * @param warnings - where a borderline value's warning goes (besides the CLI's stderr)
 * @throws {ValidationError} outside {@link XRAY_ENERGY_KEV}; above it with "eV?"
 * @example
 * checkXrayEnergy(8048, "beam.energy_keV"); // throws "… keV expected — eV? 8048 eV is 8.048 keV"
 */
export function checkXrayEnergy(value: number, path: string, warnings?: string[]): void {
  if (!(Number.isFinite(value) && value > 0)) throw new ValidationError(path, "must be a finite number > 0 (keV)", value);
  if (value > XRAY_ENERGY_KEV.max) {
    throw new ValidationError(path, `energy ${value} keV is above any X-ray reflectometry beamline (≤ ${XRAY_ENERGY_KEV.max} keV): keV expected — eV? ${value} eV is ${round(value / 1000)} keV`);
  }
  if (value < XRAY_ENERGY_KEV.min) {
    throw new ValidationError(path, `energy ${value} keV is below soft X-rays (≥ ${XRAY_ENERGY_KEV.min} keV): keV expected — MeV? or a wavelength in Å?`);
  }
  if (value < XRAY_ENERGY_USUAL_KEV.min || value > XRAY_ENERGY_USUAL_KEV.max) {
    reportInputWarning(`${path}: energy ${value} keV is outside the usual ${XRAY_ENERGY_USUAL_KEV.min}–${XRAY_ENERGY_USUAL_KEV.max} keV of X-ray reflectometry (${value < 1 ? "soft X-rays" : "high-energy beamline"}): check the unit`, warnings);
  }
}

/**
 * Check a wavelength in Å for the probe: neutrons within {@link NEUTRON_WAVELENGTH_A}
 * ("nm?" below), X-rays within the energy range of {@link checkXrayEnergy}.
 * @throws {ValidationError} naming `path`, the value and the likely slip
 * @example
 * checkWavelength(0.475, "neutron", "beam.wavelength_A"); // throws "… Å expected — nm? 0.475 nm is 4.75 Å"
 */
export function checkWavelength(value: number, probe: "xray" | "neutron", path: string, warnings?: string[]): void {
  if (!(Number.isFinite(value) && value > 0)) throw new ValidationError(path, "must be a finite number > 0 (Å)", value);
  if (probe === "xray") {
    const energy = HC_KEV_ANGSTROM / value;
    if (energy > XRAY_ENERGY_KEV.max) {
      throw new ValidationError(path, `wavelength ${value} Å is ${round(energy)} keV, above any X-ray reflectometry beamline (λ ≥ ${round(HC_KEV_ANGSTROM / XRAY_ENERGY_KEV.max)} Å): Å expected — nm? ${value} nm is ${round(value * 10)} Å`);
    }
    if (energy < XRAY_ENERGY_KEV.min) {
      throw new ValidationError(path, `wavelength ${value} Å is ${round(energy)} keV, below soft X-rays (λ ≤ ${round(HC_KEV_ANGSTROM / XRAY_ENERGY_KEV.min)} Å): Å expected — pm? ${value} pm is ${round(value / 100)} Å`);
    }
    if (energy < XRAY_ENERGY_USUAL_KEV.min || energy > XRAY_ENERGY_USUAL_KEV.max) {
      reportInputWarning(`${path}: wavelength ${value} Å (${round(energy)} keV) is outside the usual ${XRAY_ENERGY_USUAL_KEV.min}–${XRAY_ENERGY_USUAL_KEV.max} keV of X-ray reflectometry: check the unit`, warnings);
    }
    return;
  }
  if (value < NEUTRON_WAVELENGTH_A.min) {
    throw new ValidationError(path, `wavelength ${value} Å is shorter than any neutron reflectometer uses (≥ ${NEUTRON_WAVELENGTH_A.min} Å): Å expected — nm? ${value} nm is ${round(value * 10)} Å`);
  }
  if (value > NEUTRON_WAVELENGTH_A.max) {
    throw new ValidationError(path, `wavelength ${value} Å is longer than any neutron reflectometer uses (≤ ${NEUTRON_WAVELENGTH_A.max} Å): Å expected — pm? ${value} pm is ${round(value / 100)} Å`);
  }
  if (value < NEUTRON_WAVELENGTH_USUAL_A.min || value > NEUTRON_WAVELENGTH_USUAL_A.max) {
    reportInputWarning(`${path}: wavelength ${value} Å is outside the usual ${NEUTRON_WAVELENGTH_USUAL_A.min}–${NEUTRON_WAVELENGTH_USUAL_A.max} Å of neutron reflectometers: check the unit`, warnings);
  }
}

/**
 * Check a beam flux at the sample, particles per second.
 * @throws {ValidationError} above {@link MAX_FLUX_PER_S} with "per hour?"
 * @example
 * checkFlux(3.6e17, "xray", "beam.flux_per_s"); // throws "… per second expected — per hour? 3.6e17 per hour is 1e14 per second"
 */
export function checkFlux(value: number, probe: "xray" | "neutron", path: string, warnings?: string[]): void {
  if (!(Number.isFinite(value) && value > 0)) throw new ValidationError(path, "must be a finite number > 0 (per second)", value);
  const particles = probe === "xray" ? "photons" : "neutrons";
  if (value > MAX_FLUX_PER_S[probe]) {
    throw new ValidationError(
      path,
      `flux ${value} ${particles}/s is above what any ${probe === "xray" ? "X-ray beamline" : "neutron reflectometer"} delivers (≤ ${sci(MAX_FLUX_PER_S[probe])}): per second expected — per hour? ${value} per hour is ${round(value / 3600)} per second`,
    );
  }
  if (value > USUAL_FLUX_PER_S[probe] || value < MIN_USUAL_FLUX_PER_S) {
    reportInputWarning(`${path}: flux ${value} ${particles}/s is outside the usual ${sci(MIN_USUAL_FLUX_PER_S)}–${sci(USUAL_FLUX_PER_S[probe])} per second at the sample: check the unit (per second, not per hour or per mm²)`, warnings);
  }
}

/**
 * Check interface roughnesses against {@link MAX_ROUGHNESS_A} and the thicknesses of the
 * layers they join. Layers run fronting → backing; `roughness[i]` is the interface above
 * layer i (the first is ignored); `thickness[i]` undefined for a semi-infinite medium.
 * A roughness larger than the thicknesses of both layers it joins (both finite) is a warning.
 * @param layers - thickness (Å, undefined when semi-infinite or not a fixed number) and roughness (Å, undefined when not a fixed number)
 * @param roughnessPath - the JSON path of layer i's roughness
 * @throws {ValidationError} for a roughness < 0 or > {@link MAX_ROUGHNESS_A}
 */
export function checkRoughnesses(layers: readonly { thickness: number | undefined; roughness: number | undefined }[], roughnessPath: (i: number) => string, warnings?: string[]): void {
  for (let i = 1; i < layers.length; i++) {
    const sigma = layers[i].roughness;
    if (sigma === undefined) continue;
    if (!(sigma >= 0)) throw new ValidationError(roughnessPath(i), "roughness must be ≥ 0 (Å)", sigma);
    if (sigma > MAX_ROUGHNESS_A) {
      throw new ValidationError(roughnessPath(i), `roughness ${sigma} Å is above ${MAX_ROUGHNESS_A} Å: no specular reflection survives an interface that rough — Å expected (nm would be ${round(sigma * 10)} Å, even worse; a thickness?)`);
    }
    const above = layers[i - 1].thickness;
    const below = layers[i].thickness;
    if (above !== undefined && below !== undefined && sigma > above && sigma > below) {
      reportInputWarning(`${roughnessPath(i)}: roughness ${sigma} Å exceeds the thickness of both neighbouring layers (${above} and ${below} Å): both are washed out — check the values`, warnings);
    }
  }
}

/**
 * Check Q values a model or a plan asks for, Å⁻¹: ≥ 0 and ≤ {@link MAX_MODEL_Q}.
 * @param q - Q values (Å⁻¹)
 * @param path - the field; `path[i]` is named when `indexed` (an array field)
 * @throws {ValidationError} naming the field and the value; above the limit with "nm⁻¹?"
 */
export function checkRequestedQ(q: ArrayLike<number>, path: string, indexed = true): void {
  for (let i = 0; i < q.length; i++) {
    const where = indexed ? `${path}[${i}]` : path;
    if (!(q[i] >= 0)) throw new ValidationError(where, "Q must be ≥ 0 Å⁻¹", q[i]);
    if (q[i] > MAX_MODEL_Q) {
      const slip = q[i] <= 10 * MAX_MODEL_Q ? `Q in nm⁻¹? ${q[i]} nm⁻¹ is ${round(q[i] / 10)} Å⁻¹` : "Q in Å⁻¹ expected (not an angle)";
      throw new ValidationError(where, `Q ${q[i]} Å⁻¹ is beyond any specular reflectometry (Q ≤ ${MAX_MODEL_Q} Å⁻¹ expected): ${slip}`);
    }
  }
}
