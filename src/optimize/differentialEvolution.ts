/**
 * @module optimize/differentialEvolution
 * Global minimisation by differential evolution (Storn & Price 1997), in the
 * form SciPy's `differential_evolution` uses: members live in the unit
 * hypercube mapped onto a finite search box, Latin-hypercube initialisation,
 * `best1bin` or `rand1bin` mutation with a dithered mutation factor (one draw
 * per generation), binomial crossover, immediate (in-place) replacement, and the
 * stopping rule std(energies) ≤ atol + tol·|mean(energies)|. Trial coordinates
 * that leave the box are redrawn uniformly inside it.
 *
 * It minimises χ² (default) or −log posterior, is seeded (same seed ⇒ same
 * result), and by default polishes the best member with
 * {@link levenbergMarquardt} on the objective's own bounds.
 *
 * @see R. Storn, K. Price, J. Global Optim. 11 (1997) 341;
 *   SciPy `scipy.optimize.differential_evolution` (v1.17).
 */

import { EngineError, FitAbortedError, ValidationError } from "../core/errors.ts";
import { createRandom } from "../core/random.ts";
import type { Random, Seed } from "../core/random.ts";
import type { FitObjective } from "./objective.ts";
import { checkObjectiveShape, levenbergMarquardt } from "./levenbergMarquardt.ts";
import type { LevenbergMarquardtOptions } from "./levenbergMarquardt.ts";
import { Warnings } from "./result.ts";
import { SharedEvaluator, type WorkerObjectiveSpec } from "./sharedPool.ts";
import type { LeastSquaresResult } from "./result.ts";

/** What the progress callback receives once per generation. */
export interface DifferentialEvolutionProgress {
  readonly generation: number;
  readonly evaluations: number;
  /** Best energy so far (χ² or −log posterior). */
  readonly bestEnergy: number;
  /** std(energies) / (atol + tol·|mean(energies)|); ≤ 1 means converged. */
  readonly convergence: number;
}

/** Options of {@link differentialEvolution}. */
export interface DifferentialEvolutionOptions {
  /** Seed of the random stream. @default 0 */
  readonly seed?: Seed;
  /** Number of population members (≥ 5). @default max(15·p, 10) */
  readonly populationSize?: number;
  /** Generation limit. @default 1000 */
  readonly maxGenerations?: number;
  /** Energy-evaluation limit (polish excluded). @default Infinity */
  readonly maxEvaluations?: number;
  /** Relative convergence tolerance on the spread of energies. @default 0.01 */
  readonly tol?: number;
  /** Absolute convergence tolerance on the spread of energies. @default 0 */
  readonly atol?: number;
  /** Mutation strategy. @default "best1bin" */
  readonly strategy?: "best1bin" | "rand1bin";
  /** Mutation factor F, or a [min, max) range dithered once per generation. @default [0.5, 1] */
  readonly mutation?: number | readonly [number, number];
  /** Crossover probability CR. @default 0.7 */
  readonly recombination?: number;
  /** What to minimise. @default "chi2" */
  readonly minimize?: "chi2" | "negLogPosterior";
  /** Search box, lower ends (must be finite). @default objective.lower */
  readonly lower?: ArrayLike<number>;
  /**
   * When a better trial replaces its member: `"immediate"` (in place, later trials of the
   * same generation see it; SciPy's default) or `"deferred"` (after the whole generation,
   * whose trials can then be evaluated as one batch, on threads by
   * {@link differentialEvolutionAsync}). @default "immediate"
   */
  readonly updating?: "immediate" | "deferred";
  /** Search box, upper ends (must be finite). @default objective.upper */
  readonly upper?: ArrayLike<number>;
  /**
   * Search these parameters on a logarithmic scale (log|x| uniform), for boxes
   * spanning decades; each such box must not contain 0. One flag for all, or one per parameter. @default false
   */
  readonly logScale?: boolean | readonly boolean[];
  /** Put the objective's starting point (if inside the box) into the initial population. @default true */
  readonly includeInitial?: boolean;
  /**
   * Polish the best member with Levenberg–Marquardt (χ² only): `true`, `false`,
   * or LM options. @default true
   */
  readonly polish?: boolean | LevenbergMarquardtOptions;
  /** Called after each generation; return `false` to stop. */
  readonly progress?: (info: DifferentialEvolutionProgress) => void | boolean;
}

/** Why differential evolution stopped. */
export type DifferentialEvolutionStatus = "tol" | "maxGenerations" | "maxEvaluations" | "cancelled";

/** Outcome of {@link differentialEvolution}. */
export interface DifferentialEvolutionResult {
  readonly names: readonly string[];
  /** Best point: the polished one when polishing improved χ², else the best member. */
  readonly values: Float64Array;
  /** Energy at `values` (χ² or −log posterior, per `minimize`). */
  readonly energy: number;
  /** χ² at `values`. */
  readonly chi2: number;
  /** Best member of the final population, before polishing. */
  readonly bestMember: Float64Array;
  /** Energy of {@link bestMember}. */
  readonly bestMemberEnergy: number;
  readonly minimize: "chi2" | "negLogPosterior";
  readonly generations: number;
  /** Energy evaluations of the evolution (the polish's evaluations are in `polish.evaluations`). */
  readonly evaluations: number;
  /** True when the population's energy spread met the tolerance. */
  readonly converged: boolean;
  readonly status: DifferentialEvolutionStatus;
  readonly message: string;
  /** Final population, size × p row-major, and energies. */
  readonly population: Float64Array;
  readonly populationEnergies: Float64Array;
  /** The LM polish (with uncertainties), or null when not run or failed. */
  readonly polish: LeastSquaresResult | null;
  readonly warnings: readonly string[];
}

interface ResolvedBox {
  lower: Float64Array;
  upper: Float64Array;
  log: Uint8Array;
}

function resolveBox(objective: FitObjective, options: DifferentialEvolutionOptions): ResolvedBox {
  const p = objective.names.length;
  const lower = Float64Array.from(options.lower ?? objective.lower);
  const upper = Float64Array.from(options.upper ?? objective.upper);
  if (lower.length !== p) throw new ValidationError("lower", `must have ${p} values`, lower.length);
  if (upper.length !== p) throw new ValidationError("upper", `must have ${p} values`, upper.length);
  const flags = options.logScale ?? false;
  if (typeof flags !== "boolean" && flags.length !== p) throw new ValidationError("logScale", `must have ${p} flags`, flags.length);
  const log = new Uint8Array(p);
  for (let j = 0; j < p; j++) {
    const name = objective.names[j];
    if (!Number.isFinite(lower[j]) || !Number.isFinite(upper[j])) {
      throw new ValidationError(
        `bounds.${name}`,
        "differential evolution needs finite bounds for every parameter (set them on the objective or pass lower/upper)",
        [lower[j], upper[j]],
      );
    }
    if (!(lower[j] < upper[j])) throw new ValidationError(`bounds.${name}`, "lower must be < upper", [lower[j], upper[j]]);
    if (lower[j] < objective.lower[j] || upper[j] > objective.upper[j]) {
      throw new ValidationError(
        `bounds.${name}`,
        `search box must lie within the objective's bounds [${objective.lower[j]}, ${objective.upper[j]}]`,
        [lower[j], upper[j]],
      );
    }
    const wantLog = typeof flags === "boolean" ? flags : flags[j];
    if (wantLog) {
      if (!(lower[j] > 0 || upper[j] < 0)) {
        throw new ValidationError(`logScale.${name}`, "a logarithmic search box must not contain 0", [lower[j], upper[j]]);
      }
      log[j] = 1;
    }
  }
  return { lower, upper, log };
}

/** Maps unit-cube coordinates t to parameters x. */
function fromUnit(box: ResolvedBox, t: Float64Array, x: Float64Array): void {
  for (let j = 0; j < t.length; j++) {
    const lo = box.lower[j];
    const hi = box.upper[j];
    if (box.log[j]) {
      const sign = lo > 0 ? 1 : -1;
      const a = Math.log(Math.abs(lo));
      const b = Math.log(Math.abs(hi));
      x[j] = sign * Math.exp(a + t[j] * (b - a));
    } else {
      x[j] = lo + t[j] * (hi - lo);
    }
    // Guard the box ends against rounding.
    if (x[j] < lo) x[j] = lo;
    if (x[j] > hi) x[j] = hi;
  }
}

/** Maps parameters x (inside the box) to unit-cube coordinates. */
function toUnit(box: ResolvedBox, x: Float64Array, t: Float64Array): void {
  for (let j = 0; j < x.length; j++) {
    const lo = box.lower[j];
    const hi = box.upper[j];
    if (box.log[j]) {
      const a = Math.log(Math.abs(lo));
      const b = Math.log(Math.abs(hi));
      t[j] = (Math.log(Math.abs(x[j])) - a) / (b - a);
    } else {
      t[j] = (x[j] - lo) / (hi - lo);
    }
  }
}

/** Latin-hypercube sample of `size` points in [0, 1)^p (SciPy's scheme). */
function latinHypercube(rng: Random, size: number, p: number): Float64Array {
  const out = new Float64Array(size * p);
  const perm = new Int32Array(size);
  for (let j = 0; j < p; j++) {
    for (let i = 0; i < size; i++) perm[i] = i;
    for (let i = size - 1; i > 0; i--) {
      const k = rng.integer(i + 1);
      const tmp = perm[i];
      perm[i] = perm[k];
      perm[k] = tmp;
    }
    for (let i = 0; i < size; i++) out[i * p + j] = (perm[i] + rng.next()) / size;
  }
  return out;
}

/** Validated settings of a run. */
interface ResolvedEvolution {
  readonly names: readonly string[];
  readonly p: number;
  readonly box: ResolvedBox;
  readonly size: number;
  readonly maxGenerations: number;
  readonly maxEvaluations: number;
  readonly tol: number;
  readonly atol: number;
  readonly strategy: "best1bin" | "rand1bin";
  readonly fLow: number;
  readonly fHigh: number;
  readonly cr: number;
  readonly minimize: "chi2" | "negLogPosterior";
  readonly updating: "immediate" | "deferred";
}

function resolveEvolution(objective: FitObjective, options: DifferentialEvolutionOptions): ResolvedEvolution {
  checkObjectiveShape(objective);
  const names = Object.freeze([...objective.names]);
  const p = names.length;
  const box = resolveBox(objective, options);
  const size = options.populationSize ?? Math.max(15 * p, 10);
  if (!Number.isInteger(size) || size < 5) throw new ValidationError("populationSize", "must be an integer ≥ 5", size);
  const maxGenerations = options.maxGenerations ?? 1000;
  if (!Number.isInteger(maxGenerations) || maxGenerations < 0) throw new ValidationError("maxGenerations", "must be a non-negative integer", maxGenerations);
  const maxEvaluations = options.maxEvaluations ?? Infinity;
  if (!(maxEvaluations >= size)) throw new ValidationError("maxEvaluations", `must be ≥ populationSize (${size})`, maxEvaluations);
  const tol = options.tol ?? 0.01;
  const atol = options.atol ?? 0;
  if (!(tol >= 0) || !(atol >= 0)) throw new ValidationError("tol", "tol and atol must be ≥ 0", [tol, atol]);
  const strategy = options.strategy ?? "best1bin";
  if (strategy !== "best1bin" && strategy !== "rand1bin") throw new ValidationError("strategy", 'must be "best1bin" or "rand1bin"', strategy);
  const mutation = options.mutation ?? [0.5, 1];
  const [fLow, fHigh] = typeof mutation === "number" ? [mutation, mutation] : mutation;
  if (!(fLow >= 0 && fHigh <= 2 && fLow <= fHigh)) throw new ValidationError("mutation", "must be in [0, 2] (a number or an ordered pair)", mutation);
  const cr = options.recombination ?? 0.7;
  if (!(cr >= 0 && cr <= 1)) throw new ValidationError("recombination", "must be in [0, 1]", cr);
  const minimize = options.minimize ?? "chi2";
  if (minimize !== "chi2" && minimize !== "negLogPosterior") throw new ValidationError("minimize", 'must be "chi2" or "negLogPosterior"', minimize);
  const updating = options.updating ?? "immediate";
  if (updating !== "immediate" && updating !== "deferred") throw new ValidationError("updating", 'must be "immediate" or "deferred"', updating);
  return { names, p, box, size, maxGenerations, maxEvaluations, tol, atol, strategy, fLow, fHigh, cr, minimize, updating };
}

/** The raw energy at x (χ² or −log posterior); a FitAbortedError of reason "nan" gives NaN. */
function energyFunction(objective: FitObjective, minimize: "chi2" | "negLogPosterior"): (x: Float64Array) => number {
  const residuals = new Float64Array(objective.nResiduals);
  return (x) => {
    try {
      if (minimize === "negLogPosterior") return -objective.logPosterior(x);
      const r = objective.residuals(x, residuals);
      let s = 0;
      for (let i = 0; i < r.length; i++) s += r[i] * r[i];
      return s;
    } catch (error) {
      if (error instanceof FitAbortedError && error.reason === "nan") return Number.NaN;
      throw error;
    }
  };
}

/** Points (count × p, row-major, parameter space) whose raw energies the driver returns (NaN where not defined). */
interface EnergyBatch {
  readonly points: Float64Array;
  readonly count: number;
}

/**
 * The evolution as a generator of energy batches: the population (one batch), then one
 * trial per batch (immediate updating) or a generation's trials per batch (deferred).
 * Drivers evaluate each batch serially or on threads; the run does not depend on which.
 */
function* evolve(objective: FitObjective, r: ResolvedEvolution, options: DifferentialEvolutionOptions): Generator<EnergyBatch, DifferentialEvolutionResult, Float64Array> {
  const { names, p, box, size, maxGenerations, maxEvaluations, tol, atol, strategy, fLow, fHigh, cr, updating } = r;
  const rng = createRandom(options.seed ?? 0);
  const warnings = new Warnings();
  let evaluations = 0;
  let nonFinite = 0;
  const points = new Float64Array(size * p);
  /** Raw energies of a batch → energies (NaN counted and rejected as +∞). */
  const energiesOf = function* (count: number): Generator<EnergyBatch, Float64Array, Float64Array> {
    const raw = yield { points, count };
    evaluations += count;
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      if (Number.isNaN(raw[i])) {
        nonFinite++;
        out[i] = Infinity;
      } else out[i] = raw[i];
    }
    return out;
  };

  // Initial population.
  const population = latinHypercube(rng, size, p);
  const x = new Float64Array(p);
  const t = new Float64Array(p);
  if (options.includeInitial ?? true) {
    const start = objective.initial();
    let inside = start.length === p;
    for (let j = 0; j < p && inside; j++) inside = start[j] >= box.lower[j] && start[j] <= box.upper[j];
    if (inside) {
      toUnit(box, start, t);
      population.set(t, 0);
    }
  }
  for (let i = 0; i < size; i++) {
    fromUnit(box, population.subarray(i * p, i * p + p), x);
    points.set(x, i * p);
  }
  const energies = yield* energiesOf(size);
  let best = 0;
  for (let i = 0; i < size; i++) if (energies[i] < energies[best]) best = i;

  const trials = new Float64Array(size * p);
  const pick = new Int32Array(3);
  const spread = (): number => {
    let mean = 0;
    for (let i = 0; i < size; i++) mean += energies[i];
    mean /= size;
    let v = 0;
    for (let i = 0; i < size; i++) v += (energies[i] - mean) ** 2;
    const sd = Math.sqrt(v / size);
    const scale = atol + tol * Math.abs(mean);
    return Number.isFinite(sd) ? (scale > 0 ? sd / scale : sd === 0 ? 0 : Infinity) : Infinity;
  };
  /** Trial i (unit coordinates) into trials[slot], mutated from the population as it stands. */
  const makeTrial = (i: number, slot: number, f: number): void => {
    // Three distinct members, all different from i.
    for (let k = 0; k < 3; k++) {
      let candidate: number;
      do candidate = rng.integer(size);
      while (candidate === i || (k > 0 && candidate === pick[0]) || (k > 1 && candidate === pick[1]));
      pick[k] = candidate;
    }
    const base = strategy === "best1bin" ? best : pick[0];
    const [a, b] = strategy === "best1bin" ? [pick[0], pick[1]] : [pick[1], pick[2]];
    const fill = rng.integer(p);
    for (let j = 0; j < p; j++) {
      let v: number;
      if (j === fill || rng.next() < cr) {
        v = population[base * p + j] + f * (population[a * p + j] - population[b * p + j]);
        if (v < 0 || v > 1) v = rng.next();
      } else {
        v = population[i * p + j];
      }
      trials[slot * p + j] = v;
    }
    fromUnit(box, trials.subarray(slot * p, slot * p + p), x);
    points.set(x, slot * p);
  };
  const select = (i: number, slot: number, e: number): void => {
    if (e <= energies[i]) {
      population.set(trials.subarray(slot * p, slot * p + p), i * p);
      energies[i] = e;
      if (updating === "immediate" && e < energies[best]) best = i;
    }
  };

  let status: DifferentialEvolutionStatus = "maxGenerations";
  let generations = 0;
  let converged = spread() <= 1;
  if (converged) status = "tol";
  generationLoop: while (!converged && generations < maxGenerations) {
    generations++;
    const f = fLow === fHigh ? fLow : rng.uniform(fLow, fHigh);
    if (updating === "immediate") {
      for (let i = 0; i < size; i++) {
        if (evaluations >= maxEvaluations) {
          status = "maxEvaluations";
          break generationLoop;
        }
        makeTrial(i, 0, f);
        const [e] = yield* energiesOf(1);
        select(i, 0, e);
      }
    } else {
      // every trial from the previous generation's population and best member, evaluated as one batch
      const count = Math.min(size, maxEvaluations - evaluations);
      if (count <= 0) {
        status = "maxEvaluations";
        break;
      }
      for (let i = 0; i < count; i++) makeTrial(i, i, f);
      const trialEnergies = yield* energiesOf(count);
      for (let i = 0; i < count; i++) select(i, i, trialEnergies[i]);
      for (let i = 0; i < size; i++) if (energies[i] < energies[best]) best = i;
      if (count < size) {
        status = "maxEvaluations";
        break;
      }
    }
    const conv = spread();
    if (options.progress) {
      const keepGoing = options.progress({ generation: generations, evaluations, bestEnergy: energies[best], convergence: conv });
      if (keepGoing === false) {
        status = "cancelled";
        break;
      }
    }
    if (conv <= 1) {
      converged = true;
      status = "tol";
    }
  }
  return finishEvolution(objective, r, options, { population, energies, best, generations, evaluations, nonFinite, status, converged, warnings, names });
}

/**
 * Minimises χ² (or −log posterior) over a finite box by differential evolution,
 * then (by default) polishes the best member with Levenberg–Marquardt.
 * Deterministic for a given seed. The objective is not modified.
 *
 * @param objective the objective; its bounds (or `options.lower/upper`) must be finite
 * @param options population, strategy, tolerances, seed, polish (see {@link DifferentialEvolutionOptions})
 * @returns the best point, the final population and the polish result
 * @throws {ValidationError} naming the parameter when a bound is not finite, and on bad options
 * @example
 * ```ts
 * const result = differentialEvolution(objective, { seed: 1, lower: [0, 0], upper: [10, 5] });
 * console.log(result.values, result.polish?.stderr);
 * ```
 */
export function differentialEvolution(objective: FitObjective, options: DifferentialEvolutionOptions = {}): DifferentialEvolutionResult {
  const resolved = resolveEvolution(objective, options);
  const energy = energyFunction(objective, resolved.minimize);
  const { p } = resolved;
  const x = new Float64Array(p);
  const run = evolve(objective, resolved, options);
  let raw = new Float64Array(resolved.size);
  for (let step = run.next(raw); ; step = run.next(raw)) {
    if (step.done) return step.value;
    const { points, count } = step.value;
    raw = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      x.set(points.subarray(i * p, i * p + p));
      raw[i] = energy(x);
    }
  }
}

/** Options of {@link differentialEvolutionAsync}. */
export interface DifferentialEvolutionAsyncOptions extends DifferentialEvolutionOptions {
  /** Threads evaluating each generation's trials, the calling thread included. @default 1 */
  readonly threads?: number;
  /** Required when threads > 1: how workers rebuild the objective. */
  readonly worker?: WorkerObjectiveSpec;
}

/**
 * {@link differentialEvolution} with a generation's trial vectors evaluated as one batch
 * by the calling thread and `threads − 1` workers over shared memory (optimize/sharedPool).
 * Updating is deferred (SciPy's `updating="deferred"`, what its `workers` option uses): every
 * trial of a generation is built from the previous generation, so the batch is known in
 * advance. The result is identical for every thread count, 1 included (which runs
 * {@link differentialEvolution} with `updating: "deferred"`); the polish runs in the calling thread.
 *
 * @param objective the objective; its bounds (or `options.lower/upper`) must be finite
 * @param options as {@link differentialEvolution}, plus `threads` and `worker`
 * @throws {ValidationError} on bad options, threads > 1 without a worker spec or with immediate updating
 * @throws {FitAbortedError} when a worker fails (one line; never a hang)
 */
export async function differentialEvolutionAsync(objective: FitObjective, options: DifferentialEvolutionAsyncOptions = {}): Promise<DifferentialEvolutionResult> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new ValidationError("threads", "must be a positive integer", threads);
  const deferred: DifferentialEvolutionOptions = { ...options, updating: options.updating ?? "deferred" };
  if (threads === 1) return differentialEvolution(objective, deferred);
  if (deferred.updating !== "deferred") throw new ValidationError("updating", 'threads > 1 evaluate whole generations: updating must be "deferred"', deferred.updating);
  if (!options.worker) throw new ValidationError("worker", "threads > 1 needs { module, export, spec } to rebuild the objective in each worker");
  const resolved = resolveEvolution(objective, deferred);
  const energy = energyFunction(objective, resolved.minimize);
  const pool = await SharedEvaluator.create({ threads, worker: options.worker, names: objective.names, capacity: resolved.size, kind: resolved.minimize, label: "differentialEvolution" });
  try {
    const run = evolve(objective, resolved, deferred);
    let raw = new Float64Array(0);
    for (let step = run.next(raw); ; step = run.next(raw)) {
      if (step.done) return step.value;
      const { points, count } = step.value;
      pool.positions.set(points.subarray(0, count * resolved.p));
      raw = Float64Array.from(await pool.evaluate(count, energy));
    }
  } finally {
    await pool.close();
  }
}

interface EvolutionOutcome {
  population: Float64Array;
  energies: Float64Array;
  best: number;
  generations: number;
  evaluations: number;
  nonFinite: number;
  status: DifferentialEvolutionStatus;
  converged: boolean;
  warnings: Warnings;
  names: readonly string[];
}

/** Warnings, the best member, the polish and the result of an evolution. */
function finishEvolution(objective: FitObjective, r: ResolvedEvolution, options: DifferentialEvolutionOptions, outcome: EvolutionOutcome): DifferentialEvolutionResult {
  const { p, box, size, maxGenerations, maxEvaluations, minimize } = r;
  const { population, energies, best, generations, evaluations, nonFinite, status, converged, warnings, names } = outcome;
  const x = new Float64Array(p);
  const residuals = new Float64Array(objective.nResiduals);
  const chi2At = (values: Float64Array): number => {
    const res = objective.residuals(values, residuals);
    let s = 0;
    for (let i = 0; i < res.length; i++) s += res[i] * res[i];
    return s;
  };
  if (nonFinite > 0) warnings.add(`non-finite energies at ${nonFinite} candidate(s); treated as +Infinity (rejected)`);
  if (!Number.isFinite(energies[best])) warnings.add("no population member has a finite energy");
  if (status === "maxGenerations") warnings.add(`maxGenerations (${maxGenerations}) reached before the population converged`);
  if (status === "maxEvaluations") warnings.add(`maxEvaluations (${maxEvaluations}) reached before the population converged`);

  const bestMember = new Float64Array(p);
  fromUnit(box, population.subarray(best * p, best * p + p), bestMember);
  const bestMemberEnergy = energies[best];
  const populationValues = new Float64Array(size * p);
  for (let i = 0; i < size; i++) {
    fromUnit(box, population.subarray(i * p, i * p + p), x);
    populationValues.set(x, i * p);
  }

  let values = Float64Array.from(bestMember);
  let energy = bestMemberEnergy;
  let polish: LeastSquaresResult | null = null;
  const polishOption = options.polish ?? true;
  if (polishOption !== false && status !== "cancelled" && Number.isFinite(bestMemberEnergy)) {
    if (minimize !== "chi2") {
      warnings.add("polish skipped: Levenberg–Marquardt minimises χ², not −log posterior");
    } else {
      const lmOptions: LevenbergMarquardtOptions = polishOption === true ? {} : polishOption;
      try {
        polish = levenbergMarquardt(objective, { ...lmOptions, initial: bestMember });
        warnings.addAll(polish.warnings.map((w) => `polish: ${w}`));
        if (polish.chi2 <= bestMemberEnergy) {
          values = Float64Array.from(polish.values);
          energy = polish.chi2;
        } else {
          warnings.add("polish did not lower χ²; values are the best population member");
        }
      } catch (error) {
        if (!(error instanceof EngineError)) throw error;
        warnings.add(`polish failed: ${error.message}`);
      }
    }
  }
  const chi2 = minimize === "chi2" ? energy : chi2At(values);
  const message =
    status === "tol"
      ? `converged: energy spread within tolerance after ${generations} generations (${evaluations} evaluations)`
      : status === "cancelled"
        ? `cancelled by the progress callback after ${generations} generations`
        : `not converged: ${status} reached after ${generations} generations (${evaluations} evaluations)`;
  return {
    names,
    values,
    energy,
    chi2,
    bestMember,
    bestMemberEnergy,
    minimize,
    generations,
    evaluations,
    converged,
    status,
    message,
    population: populationValues,
    populationEnergies: Float64Array.from(energies),
    polish,
    warnings: warnings.toArray(),
  };
}
