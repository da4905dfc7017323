/**
 * @module diagnosis/learnedSeriesStart
 * The learned estimator (learn/estimator, issue 19) as the start of a campaign's first fit
 * (`strata diagnose --start ml|auto`, issue 19 part 3): the first scan of a series is laid out
 * in the network's parameter vector (learn/generator), the network's estimate is turned back
 * into the first scan's free parameters, and Levenberg–Marquardt refines from there
 * (diagnosis/fitSeries). The network's answer is a start, never a result.
 *
 * **The domain** ({@link mapSeriesStart}): the first scan's probe (its own beam's when it has
 * one) with the family's media — X-ray: an electrolyte fronting whose SLD at the scan's energy
 * is within {@link FRONTING_SLD_TOLERANCE} of the generator's EC, Si backing; neutron: Si
 * fronting, a deuterated-electrolyte backing — and 1–4 finite layers whose manifest roles are
 * those of the generator's family of that count (X-ray 2 layers: interphase, electrode; …).
 * Outside the domain (a one-line reason): another fronting or backing, > 4 layers, roles in
 * another order, geometry terms the generator does not simulate (a footprint factor, a height
 * offset, an uncorrected entry-path attenuation, an incoherent film background), an X-ray
 * energy more than {@link XRAY_ENERGY_WINDOW_KEV} from the generator's 17 keV (the SLD's real
 * part barely depends on energy away from absorption edges, but absorption — tied to the SLD
 * by the role's isld/sld ratio at 17 keV in the training set — falls about as E⁻³), a bound
 * of the scan's fit that misses the family's prior, or data covering less than 1/8 of the grid.
 *
 * **The mapping**: layer k of the network is stack layer k + 1. A thickness or roughness is
 * the fit's parameter (`thickness_0` for the interphase, `<layer>_thickness`,
 * `interphase_roughness`, `<layer>_roughness`) or the manifest's fixed number; a layer's SLD
 * is its density parameter's (`interphase_density`, `<layer>_density`) times the SLD per
 * g/cm³ of its composition at the scan's probe and energy (SLD ∝ density at fixed
 * composition: density = nominal × SLD_est / SLD(nominal)), a fitted SLD (`<layer>_sld`, a
 * layer of unknown composition) as itself, or an explicit SLD; scale,
 * background (log10) and a fitted angle offset as themselves. The network's bounds are the
 * fit's bounds in these units intersected with the family prior (a non-positive background
 * bound: the prior's); a fixed number is passed as a box of {@link FIXED_BOX_FRACTION} of the
 * prior's width around it. The first scan's points are put on the probe's grid
 * (learn/estimator curveOnGrid); points outside the grid's Q range are dropped and counted.
 *
 * Units: thickness, roughness Å; density g/cm³; SLD 10⁻⁶ Å⁻²; angle offset degrees; Q Å⁻¹;
 * energy keV.
 */
import { FWHM_TO_SIGMA } from "../kernels/reflectivity/smear.ts";
import { neutronSld, xraySld } from "../materials/index.ts";
import {
  ANGLE_OFFSET,
  BACKING_ROUGHNESS,
  BACKING_SLD,
  familyPrior,
  GRID_POINTS,
  LOG10_BACKGROUND,
  MAX_LAYERS,
  NEUTRON_FRONTING_SLD,
  PARAMETER_COUNT,
  PARAMETER_NAMES,
  PER_LAYER,
  qGrid,
  SCALE,
  XRAY_ENERGY_KEV,
  XRAY_FRONTING_SLD,
  type FamilyPrior,
  type LearnProbe,
} from "../learn/generator.ts";
import { curveOnGrid, type Estimator } from "../learn/estimator.ts";
import { oodScore, shippedEstimator, type OodStatistics } from "../learn/ood.ts";
import type { FitObjective } from "../optimize/objective.ts";
import { beamSuffix, ownScaleName, perScanName, type SeriesInput, type StackLayer } from "./seriesModel.ts";

/** A fronting SLD (10⁻⁶ Å⁻²) within this of the family's (X-ray EC 11.71, neutron Si 2.074) is the family's. */
export const FRONTING_SLD_TOLERANCE: Record<LearnProbe, number> = { xray: 2, neutron: 0.15 };
/** X-ray energies within this of the generator's (17 keV) are the family's probe (see the module header). */
export const XRAY_ENERGY_WINDOW_KEV = 5;
/** A fixed number is passed to the network as a box of this fraction of its prior's width around it. */
export const FIXED_BOX_FRACTION = 0.01;
/** dQ/Q (FWHM) assumed for the out-of-distribution misfit when the scan carries no resolution. */
const DEFAULT_DQ_OVER_Q = 0.03;
/** Thermal-neutron wavelength (Å) used for a neutron SLD when the series gives none (the real part does not depend on it). */
const NEUTRON_WAVELENGTH_A = 1.8;

/** How one slot of the network's vector is bound to the scan's fit: a free parameter (value = slot / factor) or a fixed number. */
type Binding = { readonly name: string; readonly factor: number } | { readonly fixed: number };

/** The outcome of {@link mapSeriesStart}. */
export type SeriesMapping =
  | {
      readonly inDomain: true;
      readonly prior: FamilyPrior;
      readonly bindings: readonly (Binding | undefined)[];
      readonly lower: Float64Array;
      readonly upper: Float64Array;
      readonly reflectivity: Float64Array;
      readonly mask: Uint8Array;
      readonly sigmaQ: Float64Array;
      /** points of the first scan outside the grid's Q range (dropped) */
      readonly dropped: number;
      readonly points: number;
    }
  | { readonly inDomain: false; readonly reason: string };

const out = (reason: string): SeriesMapping => ({ inDomain: false, reason });

/** SLD per g/cm³ of a layer's composition at the probe (undefined: the layer is given by SLD). */
function sldPerDensity(layer: StackLayer, probe: LearnProbe, energy_keV: number, wavelength_A: number): number | undefined {
  if (!layer.formula || layer.density === undefined) return undefined;
  const sld = probe === "xray" ? xraySld(layer.formula, layer.density, energy_keV).sld : neutronSld(layer.formula, layer.density, wavelength_A).sld;
  return sld / layer.density;
}

/** A layer's nominal SLD at the probe. */
function nominalSld(layer: StackLayer, probe: LearnProbe, energy_keV: number, wavelength_A: number, seriesProbe: LearnProbe): number {
  const per = sldPerDensity(layer, probe, energy_keV, wavelength_A);
  if (per !== undefined) return per * layer.density!;
  const explicit = probe !== seriesProbe ? layer.byProbe?.[probe] : undefined;
  return explicit?.sld ?? layer.sld ?? 0;
}

/**
 * Lay the first scan of a series out in the network's parameter vector.
 * @param input - the series (its first scan is used)
 * @param objective - the first scan's free objective (diagnosis/seriesModel seriesObjective of that scan alone)
 */
export function mapSeriesStart(input: SeriesInput, objective: FitObjective): SeriesMapping {
  const scan = input.scans[0];
  if (!scan) return out("the series has no scan");
  const beam = scan.beam;
  const probe: LearnProbe = beam?.probe ?? input.probe;
  const geometry = beam ? beam.geometry : input.geometry;
  if (geometry?.footprint) return out("the curves are not corrected for the footprint (the network's training curves are)");
  if (geometry?.heightOffset) return out("a sample-height offset is modelled (the network knows an angle offset only)");
  if (geometry?.attenuation) return out("the curves are not corrected for the entry path's attenuation (the network's training curves are)");
  if (geometry?.incoherentBackground) return out("an incoherent film background is modelled (the network's background is flat)");
  const energy_keV = (beam ? beam.energy_keV : input.energy_keV) ?? XRAY_ENERGY_KEV;
  const wavelength_A = (beam ? beam.wavelength_A : input.wavelength_A) ?? NEUTRON_WAVELENGTH_A;
  if (probe === "xray" && Math.abs(energy_keV - XRAY_ENERGY_KEV) > XRAY_ENERGY_WINDOW_KEV) {
    return out(`X-ray energy ${energy_keV} keV is more than ${XRAY_ENERGY_WINDOW_KEV} keV from the network's ${XRAY_ENERGY_KEV} keV (absorption differs)`);
  }
  const stack = input.stack;
  const layers = stack.length - 2;
  if (layers < 1 || layers > MAX_LAYERS) return out(`${layers} finite layers (the network knows 1–${MAX_LAYERS})`);
  const prior = familyPrior(probe, layers);
  const roles = stack.slice(1, -1).map((l) => l.role);
  if (roles.some((role, k) => role !== prior.roles[k])) return out(`layer roles ${roles.join(", ")} are not the ${probe} ${layers}-layer family's (${prior.roles.join(", ")})`);
  const sldOf = (l: StackLayer): number => nominalSld(l, probe, energy_keV, wavelength_A, input.probe);
  const fronting = sldOf(stack[0]);
  const frontingSld = probe === "xray" ? XRAY_FRONTING_SLD : NEUTRON_FRONTING_SLD;
  if (Math.abs(fronting - frontingSld) > FRONTING_SLD_TOLERANCE[probe]) {
    return out(`fronting ${stack[0].name} has SLD ${fronting.toFixed(3)}, not the family's (${probe === "xray" ? "electrolyte" : "Si"} ${frontingSld} ± ${FRONTING_SLD_TOLERANCE[probe]})`);
  }
  const names = objective.names;
  // a property fitted per scan (`fit.<property>.perScan`) is this scan's own parameter
  const own = (name: string): string => (names.includes(perScanName(name, scan)) ? perScanName(name, scan) : name);
  const has = (name: string): boolean => names.includes(name);
  const bindings: (Binding | undefined)[] = Array.from({ length: PARAMETER_COUNT }, () => undefined);
  const bindSld = (slot: number, l: StackLayer, densityParameter: string): void => {
    const per = sldPerDensity(l, probe, energy_keV, wavelength_A);
    // a layer of unknown composition whose SLD the manifest fits (`fit.sld`) binds that parameter directly
    const sldName = own(`${l.name}_sld`);
    const densityName = own(densityParameter);
    bindings[slot] = has(sldName) && probe === input.probe ? { name: sldName, factor: 1 } : per !== undefined && has(densityName) ? { name: densityName, factor: per } : { fixed: sldOf(l) };
  };
  const bindLength = (slot: number, parameter: string, fixed: number): void => {
    const name = own(parameter);
    bindings[slot] = has(name) ? { name, factor: 1 } : { fixed };
  };
  for (let k = 0; k < layers; k++) {
    const j = k + 1;
    const l = stack[j];
    const interphase = j === input.interphase;
    bindLength(PER_LAYER * k, interphase ? "thickness_0" : `${l.name}_thickness`, l.thickness_A ?? 0);
    bindSld(PER_LAYER * k + 1, l, interphase ? "interphase_density" : `${l.name}_density`);
    bindLength(PER_LAYER * k + 2, interphase ? "interphase_roughness" : `${l.name}_roughness`, l.roughness_A);
  }
  const backing = stack[layers + 1];
  bindSld(BACKING_SLD, backing, `${backing.name}_density`);
  bindLength(BACKING_ROUGHNESS, `${backing.name}_roughness`, backing.roughness_A);
  const suffix = beamSuffix(beam);
  const scaleName = scan.intensity === "own" ? ownScaleName(scan) : `scale${suffix}`;
  bindings[SCALE] = has(scaleName) ? { name: scaleName, factor: 1 } : { fixed: typeof scan.intensity === "number" ? scan.intensity : 1 };
  bindings[LOG10_BACKGROUND] = has(`background${suffix}`) ? { name: `background${suffix}`, factor: 1 } : { fixed: 0 };
  bindings[ANGLE_OFFSET] = has("angle_offset") ? { name: "angle_offset", factor: 1 } : { fixed: geometry?.angleOffset_deg?.value ?? 0 };
  // the network's bounds
  const lower = Float64Array.from(prior.lower);
  const upper = Float64Array.from(prior.upper);
  for (let slot = 0; slot < PARAMETER_COUNT; slot++) {
    const binding = bindings[slot];
    if (!prior.present[slot] || !binding) continue;
    const pLower = prior.lower[slot];
    const pUpper = prior.upper[slot];
    const nuisance = slot === SCALE || slot === LOG10_BACKGROUND || slot === ANGLE_OFFSET;
    const log = slot === LOG10_BACKGROUND;
    const toNet = (x: number): number => (log ? (x > 0 ? Math.log10(x) : -Infinity) : x);
    if ("fixed" in binding) {
      const v = toNet(binding.fixed);
      if (v >= pLower && v <= pUpper) {
        const half = 0.5 * FIXED_BOX_FRACTION * (pUpper - pLower);
        lower[slot] = Math.max(pLower, v - half);
        upper[slot] = Math.min(pUpper, v + half);
      } else if (!nuisance) return out(`${PARAMETER_NAMES[slot]} is fixed at ${binding.fixed.toPrecision(4)}, outside the family's range [${pLower.toPrecision(4)}, ${pUpper.toPrecision(4)}]`);
      continue;
    }
    const at = names.indexOf(binding.name);
    const lo = toNet(objective.lower[at] * binding.factor);
    const hi = toNet(objective.upper[at] * binding.factor);
    lower[slot] = Math.max(pLower, lo);
    upper[slot] = Math.min(pUpper, hi);
    if (!(lower[slot] < upper[slot])) {
      if (nuisance) {
        lower[slot] = pLower;
        upper[slot] = pUpper;
        continue;
      }
      return out(`${binding.name}'s bounds [${lo.toPrecision(4)}, ${hi.toPrecision(4)}] (${PARAMETER_NAMES[slot]}) miss the family's range [${pLower.toPrecision(4)}, ${pUpper.toPrecision(4)}]`);
    }
  }
  // the first scan on the grid
  const grid = qGrid(probe);
  const { q, r, dq } = scan.data;
  let dropped = 0;
  for (let i = 0; i < q.length; i++) if (q[i] < grid[0] || q[i] > grid[GRID_POINTS - 1]) dropped++;
  const onGrid = curveOnGrid(probe, q, r);
  const measured = onGrid.mask.reduce((n, m) => n + m, 0);
  if (measured < GRID_POINTS / 8) return out(`the first scan covers ${measured} of the ${probe} grid's ${GRID_POINTS} points (${grid[0]}–${grid[GRID_POINTS - 1].toPrecision(3)} Å⁻¹)`);
  const relative: number[] = [];
  if (dq) for (let i = 0; i < q.length; i++) if (dq[i] > 0 && q[i] > 0) relative.push(dq[i] / FWHM_TO_SIGMA / q[i]);
  relative.sort((a, b) => a - b);
  const dqOverQ = relative.length > 0 ? relative[relative.length >> 1] : DEFAULT_DQ_OVER_Q;
  const sigmaQ = grid.map((value) => value * dqOverQ * FWHM_TO_SIGMA);
  return { inDomain: true, prior, bindings, lower, upper, reflectivity: onGrid.reflectivity, mask: onGrid.mask, sigmaQ, dropped, points: q.length };
}

/** The network's start of a first scan (see {@link learnedSeriesStart}). */
export type LearnedSeriesStart =
  | {
      readonly inDomain: true;
      /** the objective's vector with the network's values (clamped into the fit's bounds) where it has them */
      readonly start: Float64Array;
      /** the network's estimate per fit parameter (a start only) */
      readonly network: Record<string, { value: number; sigma: number }>;
      readonly ood: { readonly score: number; readonly threshold: number; readonly inDomain: boolean };
      /** e.g. "x-ray 2-layer family; 20 of 140 points outside the grid's Q range dropped" */
      readonly family: string;
    }
  | { readonly inDomain: false; readonly reason: string };


/**
 * The network's estimate as a start of the first scan's fit, with its out-of-distribution score.
 * Not in the domain: the reason (see {@link mapSeriesStart}; also when the weights are missing).
 */
export function learnedSeriesStart(input: SeriesInput, objective: FitObjective): LearnedSeriesStart {
  const mapping = mapSeriesStart(input, objective);
  if (!mapping.inDomain) return mapping;
  let network: { estimator: Estimator; statistics: OodStatistics };
  try {
    network = shippedEstimator();
  } catch (error) {
    return { inDomain: false, reason: `the learned estimator is not available (${error instanceof Error ? error.message : String(error)})` };
  }
  const { prior } = mapping;
  const score = oodScore(network.estimator, network.statistics, { prior, reflectivity: mapping.reflectivity, mask: mapping.mask, lower: mapping.lower, upper: mapping.upper, sigmaQ: mapping.sigmaQ, q: qGrid(prior.probe) });
  const start = objective.initial();
  const estimates: Record<string, { value: number; sigma: number }> = {};
  const { values, sigma } = score.estimate;
  for (let slot = 0; slot < PARAMETER_COUNT; slot++) {
    const binding = mapping.bindings[slot];
    if (!prior.present[slot] || !binding || "fixed" in binding || !Number.isFinite(values[slot])) continue;
    const at = objective.names.indexOf(binding.name);
    const value = slot === LOG10_BACKGROUND ? 10 ** values[slot] : values[slot] / binding.factor;
    const sd = slot === LOG10_BACKGROUND ? Math.LN10 * value * sigma[slot] : sigma[slot] / Math.abs(binding.factor);
    estimates[binding.name] = { value, sigma: sd };
    start[at] = Math.min(objective.upper[at], Math.max(objective.lower[at], value));
  }
  const dropped = mapping.dropped > 0 ? `; ${mapping.dropped} of the first scan's ${mapping.points} points outside the grid's Q range dropped` : "";
  return {
    inDomain: true,
    start,
    network: estimates,
    ood: { score: score.score, threshold: score.threshold, inDomain: score.inDomain },
    family: `${prior.probe} ${prior.layers}-layer family${dropped}`,
  };
}
