/**
 * @module learn/generator
 * Training and test data for the learned estimator (issue 19 part 1): seeded draws of
 * operando-cell stacks, their measured-looking reflectivity curves computed with Strata's own
 * kernels, and the per-sample prior bounds a prior-aware network receives (reflectorch-style).
 *
 * Units: thickness and roughness Å; SLD and isld 10⁻⁶ Å⁻²; Q and dQ Å⁻¹; angles degrees in
 * the instrument record, radians inside the kernels.
 *
 * **Families** — a probe and a number of layers (1–4) between the semi-infinite media:
 * - X-ray (17 keV, λ = 0.729 Å), through the electrolyte: fronting EC-like electrolyte
 *   (SLD {@link XRAY_FRONTING_SLD}), layers electrolyte → substrate, backing Si. Layer roles by
 *   count: 1 electrode | 2 interphase, electrode | 3 interphase, electrode, adhesion |
 *   4 outer interphase, inner interphase, electrode, adhesion.
 * - Neutron, through the Si block: fronting Si ({@link NEUTRON_FRONTING_SLD}), layers
 *   Si → electrolyte, backing deuterated electrolyte (d-THF-like, H/D exchange lowers its SLD).
 *   Roles: 1 electrode | 2 adhesion, electrode | 3 adhesion, electrode, oxide |
 *   4 adhesion, electrode, oxide, interphase (the Cu/Ti on Si in LiBF4/d-THF cell of
 *   ../shared/realdata/sns-cu-thf-2025 is the 3-layer neutron family).
 * SLD ranges come from the roles' materials (materials/sld at 80–102 % of bulk density:
 * electrode Cu, Ni, Au, Pt; adhesion Ti, Cr; oxide CuO, Cu₂O, TiO₂; interphase LiF, Li₂CO₃,
 * Li₂O and an EC-like polymer, widened for solvent swelling). Absorption (X-ray) follows the
 * SLD: isld = κ·sld with the role's mean κ of its materials — a tied quantity, not a parameter.
 *
 * **Parameter vector (layout {@link LAYOUT_VERSION}, padded, {@link PARAMETER_COUNT} entries)**:
 * for layer slot k = 0..3 (fronting → backing) `[thickness_k, sld_k, roughness_k]` at
 * 3k..3k+2 (roughness_k = rms width of the interface above layer k), then
 * 12 `backingSld`, 13 `backingRoughness` (the interface above the backing), 14 `scale`,
 * 15 `log10Background`, 16 `angleOffset` (degrees; sample angle minus nominal). Slots of absent layers (k ≥ layer count) hold 0 and are marked absent
 * in `present`; their bounds are the family's prior.
 *
 * **Physically consistent draws**: each roughness ≤ {@link ROUGHNESS_FRACTION} × the thinner of
 * its two neighbouring finite layers (and ≤ the prior's {@link ROUGHNESS_MAX}).
 *
 * **Instrument**: resolution dQ/Q (FWHM, a known nuisance, not in the parameter vector) uniform
 * in [1 %, 5 %] (X-ray) or [2 %, 6 %] (neutron), smeared on the points themselves
 * (kernels/reflectivity/dataPointSmear, refl1d's scheme); a sample-angle offset (a parameter:
 * at 10⁶ counts an unmodelled 0.01° misfits by χ²/n ≈ 300) uniform in
 * ±{@link ANGLE_OFFSET_MAX_DEG}° (X-ray: monochromatic, α → α + δ; neutron: time-of-flight at
 * θ = {@link NEUTRON_FIXED_ANGLE_DEG}°, Q′ = Q·sin(θ+δ)/sin θ); scale and background (in the
 * parameter vector); Poisson counts with incident counts per point
 * I(Q) = I₀·(Q/Q_min)² (counting time rising as Q², as the simulator does), I₀ = 10^U(5, 7).
 *
 * **Q grids** (fixed per probe, {@link GRID_POINTS} points, linearly spaced): X-ray
 * 0.01–0.40 Å⁻¹, neutron 0.008–0.20 Å⁻¹. A scan covers a sub-range: the first 0–15 and the
 * last 0–27 grid points are unmeasured, and points with zero counts are dropped; the mask
 * marks the measured points.
 *
 * **Prior-aware bounds**: each sample gets bounds inside the family prior that contain the
 * truth — with probability {@link FULL_PRIOR_PROBABILITY} the whole prior, else a sub-interval
 * whose width is a uniform 5–100 % fraction of the prior's, placed uniformly around the truth.
 *
 * Everything is deterministic from the seed: sample i of seed s draws from the stream
 * `learn:<s>:<i>` (core/random), so any sample can be regenerated alone.
 */
import { ValidationError } from "../core/errors.ts";
import { createRandom, type Random, type Seed } from "../core/random.ts";
import { poissonDeviate } from "../core/poisson.ts";
import { FWHM_TO_SIGMA } from "../kernels/reflectivity/smear.ts";
import { createDataPointSmearedReflectivity } from "../kernels/reflectivity/dataPointSmear.ts";
import { qWithAngleOffset } from "../kernels/reflectivity/geometry.ts";
import { neutronSld, xraySld } from "../materials/index.ts";
import { curveObjective } from "../optimize/curveObjective.ts";
import type { FitObjective } from "../optimize/objective.ts";

/** Version of the parameter layout, the network's input layout and the generator's settings. */
export const LAYOUT_VERSION = 1;
export type LearnProbe = "xray" | "neutron";
export const PROBES: readonly LearnProbe[] = ["xray", "neutron"];
export const MAX_LAYERS = 4;
/** Thickness, SLD, roughness per layer slot. */
export const PER_LAYER = 3;
export const PARAMETER_COUNT = MAX_LAYERS * PER_LAYER + 5;
export const BACKING_SLD = 12;
export const BACKING_ROUGHNESS = 13;
export const SCALE = 14;
export const LOG10_BACKGROUND = 15;
export const ANGLE_OFFSET = 16;
/** Points of each probe's fixed Q grid. */
export const GRID_POINTS = 128;
/** A roughness is at most this fraction of the thinner neighbouring finite layer. */
export const ROUGHNESS_FRACTION = 0.3;
/** Upper end of every roughness prior (Å). */
export const ROUGHNESS_MAX = 25;
export const ANGLE_OFFSET_MAX_DEG = 0.01;
export const NEUTRON_FIXED_ANGLE_DEG = 1.2;
export const XRAY_ENERGY_KEV = 17;
export const XRAY_WAVELENGTH_A = 12.398419843320026 / XRAY_ENERGY_KEV;
export const FULL_PRIOR_PROBABILITY = 0.2;
/** Input features per curve: log-R and mask per grid point, normalised bounds per parameter, probe and layer-count one-hots. */
export const INPUT_SIZE = 2 * GRID_POINTS + 2 * PARAMETER_COUNT + PROBES.length + MAX_LAYERS;
/** log10 R is fed as (log10 R − LOG_R_CENTRE)/LOG_R_SPAN. */
export const LOG_R_CENTRE = -4;
export const LOG_R_SPAN = 3;
/** Smallest R the curve feature takes (a measured R is > 0; 0 counts are masked). */
const LOG_R_FLOOR = -12;

export const XRAY_FRONTING_SLD = 11.71; // EC (C₃H₄O₃, 1.32 g/cm³) at 17 keV
export const NEUTRON_FRONTING_SLD = 2.074; // Si

type Role = "electrode" | "adhesion" | "oxide" | "interphase";
const ROLES_BY_COUNT: Record<LearnProbe, Role[][]> = {
  xray: [["electrode"], ["interphase", "electrode"], ["interphase", "electrode", "adhesion"], ["interphase", "interphase", "electrode", "adhesion"]],
  neutron: [["electrode"], ["adhesion", "electrode"], ["adhesion", "electrode", "oxide"], ["adhesion", "electrode", "oxide", "interphase"]],
};
const ROLE_MATERIALS: Record<Role, [string, number][]> = {
  electrode: [["Cu", 8.96], ["Ni", 8.9], ["Au", 19.3], ["Pt", 21.45]],
  adhesion: [["Ti", 4.5], ["Cr", 7.19]],
  oxide: [["CuO", 6.31], ["Cu2O", 6.0], ["TiO2", 4.2]],
  interphase: [["LiF", 2.64], ["Li2CO3", 2.11], ["Li2O", 2.01], ["C3H4O3", 1.32]],
};
/** Thickness priors (Å) per role. */
const ROLE_THICKNESS: Record<Role, [number, number]> = { electrode: [80, 500], adhesion: [10, 60], oxide: [10, 60], interphase: [10, 150] };
/** Neutron interphases take up deuterated solvent: their SLD range reaches toward the electrolyte's. */
const NEUTRON_INTERPHASE_SWELL_MAX = 5.5;

export interface FamilyPrior {
  readonly probe: LearnProbe;
  readonly layers: number;
  readonly roles: readonly Role[];
  /** Prior box, padded layout. */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** isld = κ·sld per layer slot and for the backing (index MAX_LAYERS). */
  readonly isldRatio: Float64Array;
  readonly frontingSld: number;
  /** 1 where the parameter exists in this family. */
  readonly present: Uint8Array;
}

function roleSld(probe: LearnProbe, role: Role): { min: number; max: number; kappa: number } {
  let min = Infinity;
  let max = -Infinity;
  let kappa = 0;
  for (const [formula, density] of ROLE_MATERIALS[role]) {
    const { sld, isld } = probe === "xray" ? xraySld(formula, density, XRAY_ENERGY_KEV) : neutronSld(formula, density);
    for (const value of [0.8 * sld, 1.02 * sld]) {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    kappa += probe === "xray" ? isld / sld : 0;
  }
  if (probe === "neutron" && role === "interphase") max = Math.max(max, NEUTRON_INTERPHASE_SWELL_MAX);
  return { min, max, kappa: kappa / ROLE_MATERIALS[role].length };
}

function buildPrior(probe: LearnProbe, layers: number): FamilyPrior {
  const roles = ROLES_BY_COUNT[probe][layers - 1];
  const lower = new Float64Array(PARAMETER_COUNT);
  const upper = new Float64Array(PARAMETER_COUNT);
  const present = new Uint8Array(PARAMETER_COUNT);
  const isldRatio = new Float64Array(MAX_LAYERS + 1);
  // absent slots keep a nominal box (that of an interphase) so normalised bounds stay defined
  for (let k = 0; k < MAX_LAYERS; k++) {
    const role = k < layers ? roles[k] : "interphase";
    const sld = roleSld(probe, role);
    lower[PER_LAYER * k] = ROLE_THICKNESS[role][0];
    upper[PER_LAYER * k] = ROLE_THICKNESS[role][1];
    lower[PER_LAYER * k + 1] = sld.min;
    upper[PER_LAYER * k + 1] = sld.max;
    lower[PER_LAYER * k + 2] = 0;
    upper[PER_LAYER * k + 2] = ROUGHNESS_MAX;
    if (k < layers) {
      present.fill(1, PER_LAYER * k, PER_LAYER * k + PER_LAYER);
      isldRatio[k] = sld.kappa;
    }
  }
  if (probe === "xray") {
    const si = xraySld("Si", 2.33, XRAY_ENERGY_KEV);
    lower[BACKING_SLD] = 0.96 * si.sld;
    upper[BACKING_SLD] = 1.03 * si.sld;
    isldRatio[MAX_LAYERS] = si.isld / si.sld;
    lower[LOG10_BACKGROUND] = -9;
    upper[LOG10_BACKGROUND] = -6;
  } else {
    lower[BACKING_SLD] = 5.0; // d-THF (6.34 at 0.985 g/cm³) after some H/D exchange
    upper[BACKING_SLD] = 6.4;
    lower[LOG10_BACKGROUND] = -7;
    upper[LOG10_BACKGROUND] = -5;
  }
  lower[BACKING_ROUGHNESS] = 0;
  upper[BACKING_ROUGHNESS] = ROUGHNESS_MAX;
  lower[SCALE] = 0.85;
  upper[SCALE] = 1.15;
  lower[ANGLE_OFFSET] = -ANGLE_OFFSET_MAX_DEG;
  upper[ANGLE_OFFSET] = ANGLE_OFFSET_MAX_DEG;
  present.fill(1, BACKING_SLD, PARAMETER_COUNT);
  const frontingSld = probe === "xray" ? XRAY_FRONTING_SLD : NEUTRON_FRONTING_SLD;
  return { probe, layers, roles, lower, upper, isldRatio, frontingSld, present };
}

const PRIORS = new Map<string, FamilyPrior>();
/** The prior of a family (probe, 1–4 layers). */
export function familyPrior(probe: LearnProbe, layers: number): FamilyPrior {
  if (!PROBES.includes(probe)) throw new ValidationError("probe", "must be xray or neutron", probe);
  if (!(Number.isInteger(layers) && layers >= 1 && layers <= MAX_LAYERS)) throw new ValidationError("layers", `must be an integer 1–${MAX_LAYERS}`, layers);
  const key = `${probe}:${layers}`;
  let prior = PRIORS.get(key);
  if (!prior) {
    prior = buildPrior(probe, layers);
    PRIORS.set(key, prior);
  }
  return prior;
}

/** Parameter names of the padded layout. */
export const PARAMETER_NAMES: readonly string[] = [
  ...Array.from({ length: MAX_LAYERS }, (_, k) => [`layer${k}.thickness`, `layer${k}.sld`, `layer${k}.roughness`]).flat(),
  "backing.sld",
  "backing.roughness",
  "scale",
  "log10Background",
  "angleOffset",
];

/** The fixed Q grid of a probe (Å⁻¹). */
export function qGrid(probe: LearnProbe): Float64Array {
  const [min, max] = probe === "xray" ? [0.01, 0.4] : [0.008, 0.2];
  return Float64Array.from({ length: GRID_POINTS }, (_, i) => min + ((max - min) * i) / (GRID_POINTS - 1));
}
const GRIDS: Record<LearnProbe, Float64Array> = { xray: qGrid("xray"), neutron: qGrid("neutron") };

/**
 * The slab table (rows × [thickness, sld, isld, roughness], fronting → backing) of a family's
 * parameter vector.
 */
export function slabsOf(prior: FamilyPrior, theta: ArrayLike<number>, out?: Float64Array): Float64Array {
  const rows = prior.layers + 2;
  const slabs = out ?? new Float64Array(rows * 4);
  slabs[0] = 0;
  slabs[1] = prior.frontingSld;
  slabs[2] = 0;
  slabs[3] = 0;
  for (let k = 0; k < prior.layers; k++) {
    const row = 4 * (k + 1);
    const sld = theta[PER_LAYER * k + 1];
    slabs[row] = theta[PER_LAYER * k];
    slabs[row + 1] = sld;
    slabs[row + 2] = Math.abs(prior.isldRatio[k] * sld);
    slabs[row + 3] = theta[PER_LAYER * k + 2];
  }
  const last = 4 * (rows - 1);
  slabs[last] = 0;
  slabs[last + 1] = theta[BACKING_SLD];
  slabs[last + 2] = Math.abs(prior.isldRatio[MAX_LAYERS] * theta[BACKING_SLD]);
  slabs[last + 3] = theta[BACKING_ROUGHNESS];
  return slabs;
}

/** The instrument of one sample (nuisances not in the parameter vector). */
export interface Instrument {
  /** Resolution FWHM as a fraction of Q. */
  readonly dqOverQ: number;
  /** Incident counts per point at the grid's first Q (rising as Q²). */
  readonly incident: number;
  /** First and last measured grid index (inclusive). */
  readonly first: number;
  readonly last: number;
}

/** One generated curve with its truth and bounds. */
export interface LearnSample {
  readonly prior: FamilyPrior;
  /** True parameters (padded layout). */
  readonly theta: Float64Array;
  /** The sample's bounds (contain the truth; inside the family prior). */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly instrument: Instrument;
  /** The probe's fixed Q grid (shared, do not modify). */
  readonly q: Float64Array;
  /** Q at which the sample met the beam (the grid moved by the angle offset). */
  readonly qActual: Float64Array;
  /** 1-σ resolution widths (Å⁻¹) at the grid points. */
  readonly sigmaQ: Float64Array;
  /** Noise-free R (scale and background included) at the grid points. */
  readonly expected: Float64Array;
  /** Measured R = counts/incident (0 where unmeasured). */
  readonly reflectivity: Float64Array;
  /** Its 1-σ counting error √max(counts, 1)/incident. */
  readonly error: Float64Array;
  /** 1 where measured (inside the scan's range with at least one count). */
  readonly mask: Uint8Array;
}

/** Options of {@link generateSample}. */
export interface GenerateOptions {
  /** Fix the probe. @default drawn (equal odds) */
  readonly probe?: LearnProbe;
  /** Fix the number of layers. @default drawn uniform 1–4 */
  readonly layers?: number;
  /** Every sample gets the whole family prior as bounds. @default false */
  readonly fullPrior?: boolean;
}

function drawTruth(prior: FamilyPrior, random: Random): Float64Array {
  const theta = new Float64Array(PARAMETER_COUNT);
  const { lower, upper, layers } = prior;
  for (let k = 0; k < layers; k++) {
    const t = PER_LAYER * k;
    // thickness log-uniform: thin interphases are as likely per decade as thick ones
    theta[t] = Math.exp(random.uniform(Math.log(lower[t]), Math.log(upper[t])));
    theta[t + 1] = random.uniform(lower[t + 1], upper[t + 1]);
  }
  for (let k = 0; k <= layers; k++) {
    const above = k > 0 ? theta[PER_LAYER * (k - 1)] : Infinity;
    const below = k < layers ? theta[PER_LAYER * k] : Infinity;
    const cap = Math.min(ROUGHNESS_MAX, ROUGHNESS_FRACTION * Math.min(above, below));
    theta[k < layers ? PER_LAYER * k + 2 : BACKING_ROUGHNESS] = random.uniform(0, cap);
  }
  theta[BACKING_SLD] = random.uniform(lower[BACKING_SLD], upper[BACKING_SLD]);
  theta[SCALE] = random.uniform(lower[SCALE], upper[SCALE]);
  theta[LOG10_BACKGROUND] = random.uniform(lower[LOG10_BACKGROUND], upper[LOG10_BACKGROUND]);
  theta[ANGLE_OFFSET] = random.uniform(lower[ANGLE_OFFSET], upper[ANGLE_OFFSET]);
  return theta;
}

function drawBounds(prior: FamilyPrior, theta: Float64Array, random: Random, full: boolean): { lower: Float64Array; upper: Float64Array } {
  const lower = Float64Array.from(prior.lower);
  const upper = Float64Array.from(prior.upper);
  if (full || random.next() < FULL_PRIOR_PROBABILITY) return { lower, upper };
  for (let j = 0; j < PARAMETER_COUNT; j++) {
    if (!prior.present[j]) continue;
    const span = prior.upper[j] - prior.lower[j];
    const width = span * random.uniform(0.05, 1);
    // the interval [a, a + width] contains the truth and lies inside the prior
    const aMin = Math.max(prior.lower[j], theta[j] - width);
    const aMax = Math.min(prior.upper[j] - width, theta[j]);
    const a = random.uniform(aMin, Math.max(aMin, aMax));
    lower[j] = a;
    upper[j] = Math.min(prior.upper[j], a + width);
  }
  return { lower, upper };
}

/** R(Q) of parameter vectors at fixed nominal points: see {@link createCurveModel}. */
export interface CurveModel {
  evaluate(theta: ArrayLike<number>, out?: Float64Array): Float64Array;
}

/**
 * R(Q) of a family's parameter vectors at nominal points `q` with 1-σ widths `sigmaQ`: the
 * points moved by the angle offset, smeared there on the points themselves with the nominal
 * widths — what the generator computes (before counting noise) and what a fit models. Neutron:
 * the data-point kernel's own time-of-flight offset (replanned only when the offset changes);
 * X-ray: a plan at the shifted points, kept while the offset stays the same (a Jacobian's
 * columns other than the offset's reuse it).
 */
export function createCurveModel(prior: FamilyPrior, q: Float64Array, sigmaQ: Float64Array): CurveModel {
  const slabs = new Float64Array((prior.layers + 2) * 4);
  if (prior.probe === "neutron") {
    const curve = createDataPointSmearedReflectivity(q, sigmaQ, { fixedAngle: (NEUTRON_FIXED_ANGLE_DEG * Math.PI) / 180 });
    return {
      evaluate: (theta, out) => curve.evaluate(slabsOf(prior, theta, slabs), theta[SCALE], 10 ** theta[LOG10_BACKGROUND], (theta[ANGLE_OFFSET] * Math.PI) / 180, out),
    };
  }
  let offset = Number.NaN;
  let curve = createDataPointSmearedReflectivity(q, sigmaQ);
  return {
    evaluate: (theta, out) => {
      if (!Object.is(theta[ANGLE_OFFSET], offset)) {
        offset = theta[ANGLE_OFFSET];
        curve = createDataPointSmearedReflectivity(shiftedGrid(prior.probe, q, offset), sigmaQ);
      }
      return curve.evaluate(slabsOf(prior, theta, slabs), theta[SCALE], 10 ** theta[LOG10_BACKGROUND], 0, out);
    },
  };
}

function shiftedGrid(probe: LearnProbe, q: Float64Array, offset_deg: number): Float64Array {
  const delta = (offset_deg * Math.PI) / 180;
  if (probe === "xray") return q.map((value) => qWithAngleOffset(value, XRAY_WAVELENGTH_A, delta));
  const theta = (NEUTRON_FIXED_ANGLE_DEG * Math.PI) / 180;
  const factor = Math.sin(theta + delta) / Math.sin(theta);
  return q.map((value) => value * factor);
}

/**
 * Sample `index` of the data set with seed `seed` (its own random stream `learn:<seed>:<index>`).
 */
export function generateSample(seed: Seed, index: number, options: GenerateOptions = {}): LearnSample {
  const random = createRandom(`learn:${String(seed)}:${index}`);
  const probe = options.probe ?? (random.next() < 0.5 ? "xray" : "neutron");
  const layers = options.layers ?? 1 + random.integer(MAX_LAYERS);
  const prior = familyPrior(probe, layers);
  const theta = drawTruth(prior, random);
  const { lower, upper } = drawBounds(prior, theta, random, options.fullPrior ?? false);
  const [dMin, dMax] = probe === "xray" ? [0.01, 0.05] : [0.02, 0.06];
  const instrument: Instrument = {
    dqOverQ: random.uniform(dMin, dMax),
    incident: 10 ** random.uniform(5, 7),
    first: random.integer(16),
    last: GRID_POINTS - 1 - random.integer(28),
  };
  const q = GRIDS[probe];
  const sigmaQ = q.map((value) => value * instrument.dqOverQ * FWHM_TO_SIGMA);
  const qActual = shiftedGrid(probe, q, theta[ANGLE_OFFSET]);
  const expected = createCurveModel(prior, q, sigmaQ).evaluate(theta);
  const reflectivity = new Float64Array(GRID_POINTS);
  const error = new Float64Array(GRID_POINTS);
  const mask = new Uint8Array(GRID_POINTS);
  const uniform = (): number => random.next();
  for (let i = instrument.first; i <= instrument.last; i++) {
    const incident = instrument.incident * (q[i] / q[0]) ** 2;
    const counts = poissonDeviate(expected[i] * incident, uniform);
    if (counts === 0) continue;
    reflectivity[i] = counts / incident;
    error[i] = Math.sqrt(counts) / incident;
    mask[i] = 1;
  }
  return { prior, theta, lower, upper, instrument, q, qActual, sigmaQ, expected, reflectivity, error, mask };
}

/**
 * The network's input for a curve on a probe's grid: (log10 R − centre)/span and the mask per
 * grid point, each parameter's bounds normalised to the family prior ((b − min)/(max − min)),
 * the probe and layer-count one-hots. Written at `offset` of `out` ({@link INPUT_SIZE} values).
 */
export function encodeInput(
  prior: FamilyPrior,
  reflectivity: ArrayLike<number>,
  mask: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  out: Float32Array = new Float32Array(INPUT_SIZE),
  offset = 0,
): Float32Array {
  let o = offset;
  for (let i = 0; i < GRID_POINTS; i++) {
    const measured = mask[i] !== 0 && reflectivity[i] > 0;
    out[o + i] = measured ? (Math.max(LOG_R_FLOOR, Math.log10(reflectivity[i])) - LOG_R_CENTRE) / LOG_R_SPAN : 0;
    out[o + GRID_POINTS + i] = measured ? 1 : 0;
  }
  o += 2 * GRID_POINTS;
  for (let j = 0; j < PARAMETER_COUNT; j++) {
    const span = prior.upper[j] - prior.lower[j];
    out[o + 2 * j] = (lower[j] - prior.lower[j]) / span;
    out[o + 2 * j + 1] = (upper[j] - prior.lower[j]) / span;
  }
  o += 2 * PARAMETER_COUNT;
  for (let p = 0; p < PROBES.length; p++) out[o + p] = PROBES[p] === prior.probe ? 1 : 0;
  o += PROBES.length;
  for (let k = 0; k < MAX_LAYERS; k++) out[o + k] = k + 1 === prior.layers ? 1 : 0;
  return out;
}

/** A batch for training: inputs, targets (truth as a fraction of the sample's bounds) and a 0/1 weight per target. */
export interface LearnBatch {
  readonly count: number;
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  readonly weights: Float32Array;
}

/** Samples `start` .. `start + count − 1` of seed `seed`, encoded for the network. */
export function generateBatch(seed: Seed, start: number, count: number, options: GenerateOptions = {}): LearnBatch {
  const inputs = new Float32Array(count * INPUT_SIZE);
  const targets = new Float32Array(count * PARAMETER_COUNT);
  const weights = new Float32Array(count * PARAMETER_COUNT);
  for (let n = 0; n < count; n++) {
    const s = generateSample(seed, start + n, options);
    encodeInput(s.prior, s.reflectivity, s.mask, s.lower, s.upper, inputs, n * INPUT_SIZE);
    for (let j = 0; j < PARAMETER_COUNT; j++) {
      const span = s.upper[j] - s.lower[j];
      targets[n * PARAMETER_COUNT + j] = s.prior.present[j] && span > 0 ? (s.theta[j] - s.lower[j]) / span : 0.5;
      weights[n * PARAMETER_COUNT + j] = s.prior.present[j];
    }
  }
  return { count, inputs, targets, weights };
}

/** Indices (padded layout) of the parameters a sample's family has. */
export function presentIndices(prior: FamilyPrior): number[] {
  const out: number[] = [];
  for (let j = 0; j < PARAMETER_COUNT; j++) if (prior.present[j]) out.push(j);
  return out;
}

/**
 * The χ² objective of a sample's measured points over its family's parameters (in
 * {@link presentIndices} order), bounded by the sample's bounds: the model is
 * {@link createCurveModel} on the whole grid read at the measured points, errors the counting errors.
 */
export function sampleObjective(sample: LearnSample, initial?: ArrayLike<number>): FitObjective {
  const indices = presentIndices(sample.prior);
  const points: number[] = [];
  for (let i = 0; i < GRID_POINTS; i++) if (sample.mask[i]) points.push(i);
  const q = Float64Array.from(points, (i) => sample.q[i]);
  const full = new Float64Array(PARAMETER_COUNT);
  const curve = new Float64Array(GRID_POINTS);
  const model = createCurveModel(sample.prior, sample.q, sample.sigmaQ);
  return curveObjective({
    names: indices.map((j) => PARAMETER_NAMES[j]),
    x: q,
    y: Float64Array.from(points, (i) => sample.reflectivity[i]),
    sigma: Float64Array.from(points, (i) => sample.error[i]),
    lower: indices.map((j) => sample.lower[j]),
    upper: indices.map((j) => sample.upper[j]),
    initial: initial ?? indices.map((j) => 0.5 * (sample.lower[j] + sample.upper[j])),
    name: "learn sample",
    model: (theta, _x, out) => {
      for (let m = 0; m < indices.length; m++) full[indices[m]] = theta[m];
      // the whole grid, then the measured points: smeared as the generator smeared
      model.evaluate(full, curve);
      for (let m = 0; m < points.length; m++) out[m] = curve[points[m]];
    },
  });
}
