/**
 * @module diagnosis/globalStart
 * The global stage before a series' per-scan fits (issue 13 parts 1 and 2): differential
 * evolution over the plausible range of every parameter of one scan's fit — the nuisance
 * layers within their bounds (electrode thickness, every roughness, densities, scale,
 * background, fitted geometry terms) and the interphase within a plausible box — then
 * Levenberg–Marquardt from the best member and from every other distinct low-χ² member
 * of the final population. Distinct optima whose χ² is not clearly worse than the best
 * are kept as alternative basins, so a multimodal fit is reported as such.
 *
 * Why: a local fit from the manifest's nominal values lands in a wrong basin whenever
 * the truth is a few per cent away (a 500 Å film 3 % thick shifts its fringes by a
 * third of a period at Q = 0.3 Å⁻¹), and a wrong first scan is carried through the
 * warm-started series into a confident, wrong diagnosis.
 *
 * The interphase's box is narrower than its fit bounds: evaluating curves of 2000 Å
 * layers at 5 % resolution refines the smearing plan for every later evaluation, and a
 * first scan is where the interphase is thinnest. Units: thickness, roughness Å.
 */
import { differentialEvolution } from "../optimize/differentialEvolution.ts";
import { levenbergMarquardt } from "../optimize/levenbergMarquardt.ts";
import { expandHeld, holding, startingAt, type FitObjective } from "../optimize/objective.ts";
import { createRandom } from "../core/random.ts";

/** A polished optimum of the global stage. */
export interface Basin {
  chi2: number;
  values: Float64Array;
  converged: boolean;
}

/** What the global stage found, for the diagnosis and diagnosis.json. */
export interface GlobalStartResult {
  /** the best optimum first, then distinct alternatives not clearly worse (Δχ² ≤ {@link ALTERNATIVE_DELTA_CHI2}) */
  basins: Basin[];
  /** energy evaluations (evolution and polishes) */
  evaluations: number;
  /** whether the wider search of a retry was used */
  widened: boolean;
  names: readonly string[];
}

/**
 * An optimum more than this much above the best in χ² is clearly worse (a likelihood
 * ratio of e⁻⁵ ≈ 0.7 %) and is not carried as an alternative.
 */
export const ALTERNATIVE_DELTA_CHI2 = 10;
/** Two optima closer than this in every coordinate (fraction of the search box) are one basin. */
const SAME_BASIN_FRACTION = 0.01;
/** Members further apart than this (box fraction, in some coordinate) are polished separately. */
const DISTINCT_MEMBER_FRACTION = 0.05;
/** Distinct members of the final population polished besides the best. */
const EXTRA_POLISHES = 4;
/** LM runs from uniform random points of the box, for basins the evolution has abandoned. */
const RANDOM_STARTS = 4;
/** Evaluation budget of each random-start LM (it only has to reveal a basin; the series refits it). */
const RANDOM_START_EVALUATIONS = 400;
/**
 * A basin's interphase density is put back to the manifest's (and the other parameters
 * refitted) when the first scan's χ² rises by no more than this: the 95 % quantile of χ²
 * with one degree of freedom, i.e. the scan does not reject the declared density. A first
 * scan's interphase is thin, and a thin layer measures only the product of its thickness
 * and SLD: the evolution otherwise returns a random point of that ridge (8.6 Å at
 * 3.37 g/cm³ for an 18 Å LiF layer of 2.64 g/cm³ in the 200-scan benchmark) and the
 * warm-started series carries the wrong split into the per-scan thicknesses.
 */
export const DENSITY_HOLD_DELTA_CHI2 = 3.84;
/** Grid points of each thickness profile that seeds the evolution, and the passes over all thicknesses. */
const PROFILE_POINTS = 200;
const PROFILE_PASSES = 2;

/** Search settings: the default, and the wider retry (issue 13 part 2). */
const SETTINGS = {
  normal: { populationSize: 40, maxGenerations: 150, interphaseFactor: 3, interphaseFloor_A: 100, roughnessMax_A: 20 },
  widened: { populationSize: 60, maxGenerations: 200, interphaseFactor: 6, interphaseFloor_A: 300, roughnessMax_A: 60 },
} as const;

/**
 * The global stage on one scan's objective.
 * @param objective - a single scan's free-thickness objective (names `thickness_*` for the interphase)
 * @param options.seed - random seed (same seed ⇒ same result)
 * @param options.widened - the retry's wider box and larger budget
 */
export function globalStart(objective: FitObjective, options: { seed: number; widened?: boolean }): GlobalStartResult {
  const settings = options.widened ? SETTINGS.widened : SETTINGS.normal;
  const lower = Float64Array.from(objective.lower);
  const upper = Float64Array.from(objective.upper);
  const initial = objective.initial();
  objective.names.forEach((name, i) => {
    if (/^thickness_\d+$/.test(name)) upper[i] = Math.min(upper[i], Math.max(settings.interphaseFactor * initial[i], settings.interphaseFloor_A));
    if (name === "interphase_roughness") upper[i] = Math.min(upper[i], settings.roughnessMax_A);
  });
  // the fringe phase of each layer is the landscape's roughest direction: profile every
  // thickness on a grid (the others held) and give the evolution that point as a member
  const seeded = Float64Array.from(initial);
  let evaluations = profileThicknesses(objective, seeded, lower, upper);
  const de = differentialEvolution(startingAt(objective, seeded), {
    seed: options.seed,
    populationSize: settings.populationSize,
    maxGenerations: settings.maxGenerations,
    lower,
    upper,
    polish: false,
  });
  evaluations += de.evaluations;
  const p = objective.names.length;
  const size = de.populationEnergies.length;
  const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => de.populationEnergies[a] - de.populationEnergies[b]);
  const member = (i: number): Float64Array => de.population.subarray(i * p, (i + 1) * p);
  const apart = (a: ArrayLike<number>, b: ArrayLike<number>, fraction: number): boolean => {
    for (let j = 0; j < p; j++) if (Math.abs(a[j] - b[j]) > fraction * (upper[j] - lower[j])) return true;
    return false;
  };
  // the best member and up to EXTRA_POLISHES others, each far from those already chosen
  const chosen: Float64Array[] = [Float64Array.from(member(order[0]))];
  for (const i of order.slice(1)) {
    if (chosen.length > EXTRA_POLISHES) break;
    if (chosen.every((c) => apart(c, member(i), DISTINCT_MEMBER_FRACTION))) chosen.push(Float64Array.from(member(i)));
  }
  const polished: Basin[] = [];
  for (const start of chosen) {
    const fit = levenbergMarquardt(startingAt(objective, start), { maxEvaluations: 1500 });
    evaluations += fit.evaluations;
    polished.push({ chi2: fit.chi2, values: Float64Array.from(fit.values), converged: fit.converged });
  }
  // a few local fits from random points find basins an evolution collapses away from
  const random = createRandom(`${options.seed}:global-start`);
  for (let k = 0; k < RANDOM_STARTS; k++) {
    const start = Float64Array.from({ length: p }, (_, j) => lower[j] + (upper[j] - lower[j]) * random.next());
    const fit = levenbergMarquardt(startingAt(objective, start), { maxEvaluations: RANDOM_START_EVALUATIONS });
    evaluations += fit.evaluations;
    polished.push({ chi2: fit.chi2, values: Float64Array.from(fit.values), converged: fit.converged });
  }
  polished.sort((a, b) => a.chi2 - b.chi2);
  const density = objective.names.indexOf("interphase_density");
  if (density >= 0) {
    for (let k = 0; k < polished.length; k++) {
      if (polished[k].chi2 > polished[0].chi2 + ALTERNATIVE_DELTA_CHI2) break;
      const held = withInterphaseDensityHeld(objective, polished[k], density, initial[density]);
      evaluations += held.evaluations;
      if (held.basin.chi2 <= polished[k].chi2 + DENSITY_HOLD_DELTA_CHI2) polished[k] = held.basin;
    }
    polished.sort((a, b) => a.chi2 - b.chi2);
  }
  const basins: Basin[] = [];
  for (const b of polished) {
    if (b.chi2 > polished[0].chi2 + ALTERNATIVE_DELTA_CHI2) break;
    if (basins.every((kept) => apart(kept.values, b.values, SAME_BASIN_FRACTION))) basins.push(b);
  }
  return { basins, evaluations, widened: options.widened === true, names: objective.names };
}

/**
 * The basin refitted with the interphase density held at `value` (LM over the other
 * parameters, from the basin's values).
 */
function withInterphaseDensityHeld(objective: FitObjective, basin: Basin, at: number, value: number): { basin: Basin; evaluations: number } {
  const fit = levenbergMarquardt(holding(objective, at, value, basin.values), { maxEvaluations: 1500 });
  return { basin: { chi2: fit.chi2, values: expandHeld(fit.values, at, value), converged: fit.converged }, evaluations: fit.evaluations };
}

/**
 * Each thickness parameter in turn set to the best of {@link PROFILE_POINTS} grid values
 * across its box, the others held ({@link PROFILE_PASSES} passes); updates `start`.
 * @returns energy evaluations
 */
function profileThicknesses(objective: FitObjective, start: Float64Array, lower: Float64Array, upper: Float64Array): number {
  const thicknesses = objective.names.map((name, i) => (/(^thickness_\d+|_thickness)$/.test(name) ? i : -1)).filter((i) => i >= 0);
  let evaluations = 0;
  for (let pass = 0; pass < PROFILE_PASSES; pass++) {
    for (const at of thicknesses) evaluations += profileParameter(objective, start, at, lower[at], upper[at], PROFILE_POINTS);
  }
  return evaluations;
}

/**
 * Parameter `at` set to the best of `points` evenly spaced values across [lo, hi] (cell
 * centres) or its present value, whichever has the smallest χ², the others held; updates `start`.
 * @returns energy evaluations
 */
export function profileParameter(objective: FitObjective, start: Float64Array, at: number, lo: number, hi: number, points: number): number {
  const residuals = new Float64Array(objective.nResiduals);
  const chi2 = (): number => {
    objective.residuals(start, residuals);
    let sum = 0;
    for (let k = 0; k < residuals.length; k++) sum += residuals[k] * residuals[k];
    return Number.isFinite(sum) ? sum : Infinity;
  };
  let best = start[at];
  let bestChi2 = chi2();
  for (let g = 0; g < points && hi > lo; g++) {
    start[at] = lo + ((hi - lo) * (g + 0.5)) / points;
    const value = chi2();
    if (value < bestChi2) {
      bestChi2 = value;
      best = start[at];
    }
  }
  start[at] = best;
  return hi > lo ? points + 1 : 1;
}
