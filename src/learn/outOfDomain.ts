/**
 * @module learn/outOfDomain
 * Curves from stacks outside the estimator's training domain (issue 19 part 4), measured as
 * learn/generator measures its own: the same probes, fronting and backing media, Q grids,
 * resolution, scale, background, angle offset and Poisson counting. Used to check and
 * benchmark the out-of-distribution score (learn/ood), never to train.
 *
 * Kinds:
 * - `multilayer`: a periodic [Ni {@link NI_THICKNESS} Å / Ti {@link TI_THICKNESS} Å] ×
 *   {@link REPEATS} stack on Si (X-ray: electrolyte | multilayer | Si; neutron: Si |
 *   multilayer | deuterated electrolyte), interface roughness 2–8 Å, bulk densities ×0.9–1.
 * - `sixLayer`: six layers with the generator's roles and role priors, two more than its
 *   largest family — X-ray interphase, interphase, electrode, adhesion, electrode, adhesion
 *   (a repeated electrode/adhesion pair); neutron adhesion, electrode, adhesion, electrode,
 *   oxide, interphase — thickness log-uniform and roughness ≤ 0.3 × the thinner neighbour as
 *   the generator draws them.
 * - `extraLayers` (outlier exposure, for training learn/ood's classifier only):
 *   {@link EXTRA_LAYERS} layers, each of a role drawn at random among the probe's roles, drawn
 *   as `sixLayer`'s are — more layers than any family, in no fixed order, never periodic.
 *
 * Units: thickness and roughness Å; SLD 10⁻⁶ Å⁻²; Q Å⁻¹. Deterministic from a seed: curve i
 * of kind k and seed s draws from the stream `ood:<k>:<s>:<i>`.
 */
import { createRandom, type Random, type Seed } from "../core/random.ts";
import { poissonDeviate } from "../core/poisson.ts";
import { FWHM_TO_SIGMA } from "../kernels/reflectivity/smear.ts";
import { createDataPointSmearedReflectivity } from "../kernels/reflectivity/dataPointSmear.ts";
import { neutronSld, xraySld } from "../materials/index.ts";
import {
  ANGLE_OFFSET_MAX_DEG,
  familyPrior,
  GRID_POINTS,
  LOG10_BACKGROUND,
  MAX_LAYERS,
  NEUTRON_FIXED_ANGLE_DEG,
  PER_LAYER,
  qGrid,
  ROUGHNESS_FRACTION,
  ROUGHNESS_MAX,
  SCALE,
  BACKING_SLD,
  XRAY_ENERGY_KEV,
  XRAY_WAVELENGTH_A,
  type LearnProbe,
} from "./generator.ts";
import { qWithAngleOffset } from "../kernels/reflectivity/geometry.ts";

export type OutOfDomainKind = "multilayer" | "sixLayer" | "extraLayers";
/** The kinds bench/learnOod.ts measures the score on. */
export const OUT_OF_DOMAIN_KINDS: readonly OutOfDomainKind[] = ["multilayer", "sixLayer"];
/** The kind learn/ood's outlier-exposure classifier is trained on (never a benchmarked kind). */
export const EXPOSURE_KIND: OutOfDomainKind = "extraLayers";
/** Layer counts of the `extraLayers` kind. */
export const EXTRA_LAYERS: readonly [number, number] = [5, 8];
/** Ni and Ti thickness ranges (Å) of the periodic multilayer. */
export const NI_THICKNESS: readonly [number, number] = [40, 80];
export const TI_THICKNESS: readonly [number, number] = [30, 60];
/** Bilayer repeats of the periodic multilayer. */
export const REPEATS: readonly [number, number] = [5, 10];

/** A measured-looking curve on its probe's fixed grid (as learn/generator's samples). */
export interface OutOfDomainCurve {
  readonly kind: OutOfDomainKind;
  readonly probe: LearnProbe;
  /** Finite layers of the stack. */
  readonly layers: number;
  readonly q: Float64Array;
  readonly sigmaQ: Float64Array;
  readonly reflectivity: Float64Array;
  readonly error: Float64Array;
  readonly mask: Uint8Array;
}

type Role = "electrode" | "adhesion" | "oxide" | "interphase";
const SIX_LAYER_ROLES: Record<LearnProbe, Role[]> = {
  xray: ["interphase", "interphase", "electrode", "adhesion", "electrode", "adhesion"],
  neutron: ["adhesion", "electrode", "adhesion", "electrode", "oxide", "interphase"],
};

/** The roles of an `extraLayers` stack: a count in {@link EXTRA_LAYERS}, each role drawn among the probe's. */
function extraRoles(probe: LearnProbe, random: Random): Role[] {
  const available = [...new Set(familyPrior(probe, MAX_LAYERS).roles.concat(familyPrior(probe, MAX_LAYERS - 1).roles))] as Role[];
  const count = EXTRA_LAYERS[0] + random.integer(EXTRA_LAYERS[1] - EXTRA_LAYERS[0] + 1);
  return Array.from({ length: count }, () => available[random.integer(available.length)]);
}

/** A role's [thickness, sld] prior box and isld/sld ratio, read from the generator's family priors. */
function roleBox(probe: LearnProbe, role: Role): { thickness: [number, number]; sld: [number, number]; kappa: number } {
  for (let layers = 1; layers <= MAX_LAYERS; layers++) {
    const prior = familyPrior(probe, layers);
    const k = prior.roles.indexOf(role);
    if (k < 0) continue;
    const t = PER_LAYER * k;
    return { thickness: [prior.lower[t], prior.upper[t]], sld: [prior.lower[t + 1], prior.upper[t + 1]], kappa: prior.isldRatio[k] };
  }
  throw new RangeError(`no ${probe} family has the role ${role}`);
}

/** Slab rows (thickness, sld, isld, roughness), fronting → backing, of one drawn stack. */
function drawStack(kind: OutOfDomainKind, probe: LearnProbe, random: Random): { slabs: Float64Array; layers: number } {
  const prior = familyPrior(probe, 1);
  const rows: [number, number, number, number][] = [[0, prior.frontingSld, 0, 0]];
  if (kind === "multilayer") {
    const repeats = REPEATS[0] + random.integer(REPEATS[1] - REPEATS[0] + 1);
    const density = random.uniform(0.9, 1);
    const ni = probe === "xray" ? xraySld("Ni", 8.9 * density, XRAY_ENERGY_KEV) : neutronSld("Ni", 8.9 * density);
    const ti = probe === "xray" ? xraySld("Ti", 4.5 * density, XRAY_ENERGY_KEV) : neutronSld("Ti", 4.5 * density);
    const dNi = random.uniform(NI_THICKNESS[0], NI_THICKNESS[1]);
    const dTi = random.uniform(TI_THICKNESS[0], TI_THICKNESS[1]);
    for (let r = 0; r < repeats; r++) {
      rows.push([dNi, ni.sld, ni.isld, random.uniform(2, 8)]);
      rows.push([dTi, ti.sld, ti.isld, random.uniform(2, 8)]);
    }
  } else {
    const roles = kind === "sixLayer" ? SIX_LAYER_ROLES[probe] : extraRoles(probe, random);
    const thickness = roles.map((role) => {
      const box = roleBox(probe, role);
      return Math.exp(random.uniform(Math.log(box.thickness[0]), Math.log(box.thickness[1])));
    });
    roles.forEach((role, k) => {
      const box = roleBox(probe, role);
      const sld = random.uniform(box.sld[0], box.sld[1]);
      const above = k > 0 ? thickness[k - 1] : Infinity;
      const cap = Math.min(ROUGHNESS_MAX, ROUGHNESS_FRACTION * Math.min(above, thickness[k]));
      rows.push([thickness[k], sld, Math.abs(box.kappa * sld), random.uniform(0, cap)]);
    });
  }
  const backingSld = random.uniform(prior.lower[BACKING_SLD], prior.upper[BACKING_SLD]);
  const lastThickness = rows[rows.length - 1][0];
  const backingIsld = Math.abs(prior.isldRatio[MAX_LAYERS] * backingSld);
  rows.push([0, backingSld, backingIsld, random.uniform(0, Math.min(ROUGHNESS_MAX, ROUGHNESS_FRACTION * lastThickness))]);
  return { slabs: Float64Array.from(rows.flat()), layers: rows.length - 2 };
}

/** Curve `index` of an out-of-domain kind, probe and seed (stream `ood:<kind>:<seed>:<index>`). */
export function outOfDomainCurve(kind: OutOfDomainKind, probe: LearnProbe, seed: Seed, index: number): OutOfDomainCurve {
  const random = createRandom(`ood:${kind}:${String(seed)}:${index}`);
  const prior = familyPrior(probe, 1);
  const { slabs, layers } = drawStack(kind, probe, random);
  const scale = random.uniform(prior.lower[SCALE], prior.upper[SCALE]);
  const background = 10 ** random.uniform(prior.lower[LOG10_BACKGROUND], prior.upper[LOG10_BACKGROUND]);
  const offset = (random.uniform(-ANGLE_OFFSET_MAX_DEG, ANGLE_OFFSET_MAX_DEG) * Math.PI) / 180;
  const [dMin, dMax] = probe === "xray" ? [0.01, 0.05] : [0.02, 0.06];
  const dqOverQ = random.uniform(dMin, dMax);
  const incident0 = 10 ** random.uniform(5, 7);
  const first = random.integer(16);
  const last = GRID_POINTS - 1 - random.integer(28);
  const q = qGrid(probe);
  const sigmaQ = q.map((value) => value * dqOverQ * FWHM_TO_SIGMA);
  let expected: Float64Array;
  if (probe === "neutron") {
    expected = createDataPointSmearedReflectivity(q, sigmaQ, { fixedAngle: (NEUTRON_FIXED_ANGLE_DEG * Math.PI) / 180 }).evaluate(slabs, scale, background, offset);
  } else {
    const shifted = q.map((value) => qWithAngleOffset(value, XRAY_WAVELENGTH_A, offset));
    expected = createDataPointSmearedReflectivity(shifted, sigmaQ).evaluate(slabs, scale, background, 0);
  }
  const reflectivity = new Float64Array(GRID_POINTS);
  const error = new Float64Array(GRID_POINTS);
  const mask = new Uint8Array(GRID_POINTS);
  const uniform = (): number => random.next();
  for (let i = first; i <= last; i++) {
    const incident = incident0 * (q[i] / q[0]) ** 2;
    const counts = poissonDeviate(expected[i] * incident, uniform);
    if (counts === 0) continue;
    reflectivity[i] = counts / incident;
    error[i] = Math.sqrt(counts) / incident;
    mask[i] = 1;
  }
  return { kind, probe, layers, q, sigmaQ, reflectivity, error, mask };
}
