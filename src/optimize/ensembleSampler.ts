/**
 * @module optimize/ensembleSampler
 * Affine-invariant ensemble MCMC (Goodman & Weare 2010, the "stretch move" of
 * emcee) on an objective's log posterior.
 *
 * Each step updates the walkers in two halves (red/black): every walker k of
 * one half picks a partner j from the other half, proposes
 * Y = X_j + z·(X_k − X_j) with z ~ g(z) ∝ 1/√z on [1/a, a], and accepts with
 * probability min(1, z^(p−1)·π(Y)/π(X_k)). Walkers in a half are independent
 * given the other half, so a half's proposals are evaluated as one batch —
 * serially by {@link ensembleSampler}, or on persistent worker threads by
 * {@link ensembleSamplerAsync}. Random draws do not depend on how a batch is
 * evaluated, so serial and parallel runs with the same seed give the same chain.
 *
 * Chains are stored as [kept steps][walkers][params] (row-major), the steps
 * after `burn`, every `thin`-th (emcee's `get_chain(discard=burn, thin=thin)`).
 *
 * @see J. Goodman, J. Weare, Commun. Appl. Math. Comput. Sci. 5 (2010) 65;
 *   D. Foreman-Mackey et al., PASP 125 (2013) 306 (emcee).
 */

import { writeFile } from "node:fs/promises";
import { FitAbortedError, ValidationError, formatValue } from "../core/errors.ts";
import { createRandom } from "../core/random.ts";
import type { Random, Seed } from "../core/random.ts";
import { ensembleAutocorrelationTime } from "./autocorrelation.ts";
import type { EnsembleAutocorrelationOptions } from "./autocorrelation.ts";
import { covarianceFactor, invertMatrix } from "../core/linalg.ts";
import type { FitObjective } from "./objective.ts";
import { Warnings, summarise } from "./result.ts";
import { SharedEvaluator, type WorkerObjectiveSpec } from "./sharedPool.ts";

export type { WorkerObjectiveSpec } from "./sharedPool.ts";
import type { LeastSquaresResult, PosteriorSummary } from "./result.ts";


/** Misses after which a covariance start ball is halved (see the start code). */
const SHRINK_EVERY = 50;
/** How the walkers are placed before the first step. */
export type EnsembleStart =
  /** Independent normal jitter around `center`: x = c·(1 + spread·z), or spread·z where c = 0. */
  | { readonly kind: "ball"; readonly center?: ArrayLike<number>; readonly spread?: number }
  /** Multivariate normal N(center, scale²·covariance), e.g. from a least-squares fit. */
  | { readonly kind: "covariance"; readonly center: ArrayLike<number>; readonly covariance: ArrayLike<number>; readonly scale?: number }
  /** Uniform inside the objective's (finite) bounds. */
  | { readonly kind: "uniform" }
  /** Explicit positions, walkers × params row-major. */
  | { readonly kind: "positions"; readonly positions: ArrayLike<number> };

/** What the progress callback receives after each step. */
export interface EnsembleProgress {
  /** Steps done, burn-in included (1-based). */
  readonly step: number;
  /** burn + steps. */
  readonly totalSteps: number;
  /** Mean acceptance fraction so far. */
  readonly acceptance: number;
}

/** Options of {@link ensembleSampler}. */
export interface EnsembleSamplerOptions {
  /** Number of walkers: even and ≥ 2·p. @default the smallest even number ≥ max(4·p, 16) */
  readonly walkers?: number;
  /** Steps kept after burn-in (before thinning). */
  readonly steps: number;
  /** Steps discarded first. @default 0 */
  readonly burn?: number;
  /** Keep every `thin`-th step. @default 1 */
  readonly thin?: number;
  /** Seed. @default 0 */
  readonly seed?: Seed;
  /** Stretch scale a > 1. @default 2 */
  readonly stretch?: number;
  /**
   * Proposal move. `"stretch"`: Goodman–Weare. `"de"`: differential evolution
   * (ter Braak 2006; emcee's DEMove): Y = X_k + γ·(X_a − X_b) + ε, a ≠ b from the
   * other half, γ = 2.38/√(2p)·(1 + 1e-5·N(0,1)) and γ = 1 every tenth step (mode
   * hopping), ε ~ N(0, 1e-12) relative jitter. `{ de: w }` mixes the two per step
   * with probability w of a DE step. Both moves are affine invariant and satisfy
   * detailed balance; DE mixes faster on near-Gaussian posteriors.
   * @default "stretch"
   */
  readonly move?: "stretch" | "de" | { readonly de: number };
  /**
   * Optional independence Metropolis–Hastings moves mixed in with probability
   * `fraction` per step: every walker proposes Y from a multivariate Student t
   * (ν = `dof`, default 5) centred at `center` with scale matrix `scale²·covariance`
   * (default scale 1.2; e.g. a least-squares fit's Laplace approximation), accepted
   * with min(1, π(Y)q(X)/(π(X)q(Y))). Exact for any proposal; when the posterior is
   * close to the Laplace approximation the walkers decorrelate in a few steps instead
   * of the O(p) steps of stretch or DE moves. The other steps use `move`.
   */
  readonly independence?: {
    readonly fraction: number;
    readonly center: ArrayLike<number>;
    readonly covariance: ArrayLike<number>;
    readonly dof?: number;
    readonly scale?: number;
    /**
     * Re-centre the proposal on the mean and covariance of the walkers over the second
     * half of burn-in, at its end (the proposal is fixed from then on, so the kept chain
     * is an exact MH chain). Needs burn ≥ 20. @default false
     */
    readonly adapt?: boolean;
  };
  /** Initial walker positions. @default a ball of relative spread 1e-4 around objective.initial() */
  readonly start?: EnsembleStart;
  /** Storage precision of the chain. @default "float64" */
  readonly precision?: "float64" | "float32";
  /** Autocorrelation estimator settings. @default emcee's: averaged per-walker ACFs, c = 5 */
  readonly autocorrelation?: EnsembleAutocorrelationOptions;
  /**
   * Mixing criterion on the chain length: kept steps ≥ tauFactor·τ for every parameter and
   * derived quantity (emcee: τ is estimated reliably from ≥ 50 τ). Without `untilMixed` a
   * shorter chain only gets a warning. @default 50
   */
  readonly tauFactor?: number;
  /**
   * Run until mixed: after burn-in and the first `steps`, estimate τ of every parameter
   * and derived quantity and extend the chain in blocks until kept steps ≥ tauFactor·τ
   * and ESS = walkers·kept/τ ≥ `minEss` for all of them, or a cap is reached (see
   * {@link UntilMixedOptions}). A block whose acceptance falls below `refreshBelow`
   * refreshes the proposal. @default undefined (a fixed-length chain of `steps`)
   */
  readonly untilMixed?: UntilMixedOptions;
  /**
   * Quantities computed from each stored sample whose τ and ESS are estimated (and,
   * with `untilMixed`, must reach the targets) beside the parameters': e.g. a thickness
   * at each scan time, when that is what is reported.
   */
  readonly derived?: DerivedQuantities;
  /** Called after each step; return `false` to stop early (result status `"cancelled"`). */
  readonly progress?: (info: EnsembleProgress) => void | boolean;
}

/** Options of the run-until-mixed mode ({@link EnsembleSamplerOptions.untilMixed}). */
export interface UntilMixedOptions {
  /** Smallest effective sample size walkers·kept/τ of every parameter and derived quantity. @default 400 */
  readonly minEss?: number;
  /**
   * Wall time (s) of the whole run after which the chain is not extended further: the
   * stop is reported (`mixing.stop = "time-cap"`, a warning naming τ and ESS reached).
   * Burn-in and the first `steps` always complete, and so do the `steps` that follow a
   * proposal refresh (a refresh is only made before the cap). @default Infinity
   */
  readonly maxSeconds?: number;
  /** Largest number of kept steps (before thinning). @default as many as fit in 2²³ stored values (64 MB) */
  readonly maxSteps?: number;
  /**
   * A block whose acceptance fraction is below this refreshes the proposal (at most twice;
   * the block is then discarded as burn-in): first the independence proposal is re-centred
   * on the block's mean and covariance (added, with fraction 0.5, when there is none);
   * second, the independence fraction is halved and the ensemble move becomes an equal
   * DE/stretch mix. 0 never refreshes. @default 0.15
   */
  readonly refreshBelow?: number;
}

/** Derived quantities of a sample: `evaluate(θ, out)` fills out[0..names.length). */
export interface DerivedQuantities {
  readonly names: readonly string[];
  readonly evaluate: (theta: Float64Array, out: Float64Array) => void;
}

/** Why a sampler run stopped. */
export type MixingStop = "fixed-length" | "mixed" | "time-cap" | "step-cap" | "cancelled";

/** A proposal refresh after a block of low acceptance. */
export interface ProposalRefresh {
  /** Steps run (burn-in included) when the proposal was refreshed. */
  readonly step: number;
  /** Acceptance fraction of the block that triggered it. */
  readonly acceptance: number;
  /** What was changed. */
  readonly action: string;
}

/** How far the chain mixed: criteria, what was reached, and why the run stopped. */
export interface MixingReport {
  /** Whether the run was asked to continue until mixed. */
  readonly requested: boolean;
  /** Whether kept steps ≥ tauFactor·τ and ESS ≥ minEss hold for every parameter and derived quantity. */
  readonly mixed: boolean;
  readonly stop: MixingStop;
  readonly minEss: number;
  readonly tauFactor: number;
  readonly maxSeconds: number;
  /** Wall time of the run (s). */
  readonly seconds: number;
  /** Blocks added after the first `steps`. */
  readonly extensions: number;
  /** The largest τ (steps) and the smallest ESS over parameters and derived quantities, and whose. */
  readonly maxTau: { readonly name: string; readonly tau: number };
  readonly minEssReached: { readonly name: string; readonly ess: number };
  /** Acceptance fraction over the kept steps (after burn-in and any refresh). */
  readonly keptAcceptance: number;
  readonly refreshes: readonly ProposalRefresh[];
}

/**
 * The JSON summary of a {@link MixingReport} that `strata fit` and `strata diagnose` print:
 * whether and why it stopped, the criteria, wall time, extensions, the worst τ and ESS.
 */
export function mixingSummary(mixing: MixingReport): Record<string, unknown> {
  return {
    mixed: mixing.mixed,
    stop: mixing.stop,
    criteria: { minEss: mixing.minEss, tauFactor: mixing.tauFactor, maxSeconds: mixing.maxSeconds },
    seconds: mixing.seconds,
    extensions: mixing.extensions,
    maxTau: mixing.maxTau,
    minEss: mixing.minEssReached,
  };
}

/** Options of {@link ensembleSamplerAsync}. */
export interface EnsembleSamplerAsyncOptions extends EnsembleSamplerOptions {
  /**
   * Threads evaluating each half-ensemble, the calling thread included: 1 runs
   * {@link ensembleSampler}; n > 1 starts n − 1 workers that share the batches with the
   * calling thread. @default 1
   */
  readonly threads?: number;
  /** Required when threads > 1: how workers rebuild the objective. */
  readonly worker?: WorkerObjectiveSpec;
  /** Walkers per block a thread claims at a time (see optimize/sharedPool). @default max(1, ⌊(walkers/2) / (32·threads)⌋) */
  readonly block?: number;
  /** Static lanes (see SharedEvaluatorOptions.staticLanes): the chain repeats run to run even when the objective's numbers depend on its thread's history. @default false */
  readonly staticLanes?: boolean;
}

/** Outcome of a sampler run. */
export interface EnsembleResult {
  readonly names: readonly string[];
  readonly walkers: number;
  readonly params: number;
  /** Stored steps (after burn-in and thinning). */
  readonly keptSteps: number;
  /** Steps discarded before the kept ones: burn-in, plus blocks discarded at a proposal refresh. */
  readonly burn: number;
  readonly thin: number;
  /** Steps actually run, burn-in included. */
  readonly stepsRun: number;
  /** Samples, [keptSteps][walkers][params] row-major. */
  readonly chain: Float64Array | Float32Array;
  /** log posterior of each stored sample, [keptSteps][walkers]. */
  readonly logProbabilities: Float64Array;
  /** Accepted proposals / steps run, per walker (burn-in included, as emcee). */
  readonly acceptanceFraction: Float64Array;
  readonly meanAcceptanceFraction: number;
  /** Integrated autocorrelation time per parameter, in steps (τ of the stored chain × thin). */
  readonly autocorrelationTime: Float64Array;
  /** Effective sample size per parameter, walkers·keptSteps/τ (τ in stored steps; emcee's convention). */
  readonly effectiveSampleSize: Float64Array;
  /** τ (steps) and ESS of the derived quantities, when `derived` was given. */
  readonly derived?: { readonly names: readonly string[]; readonly autocorrelationTime: Float64Array; readonly effectiveSampleSize: Float64Array };
  /** Mixing criteria, what was reached, refreshes and why the run stopped. */
  readonly mixing: MixingReport;
  /** Median, 68 % and 95 % intervals, mean and sd per parameter, over all stored samples. */
  readonly summaries: readonly PosteriorSummary[];
  /** Highest-posterior sample stored. */
  readonly best: { readonly values: Float64Array; readonly logPosterior: number };
  /** log-posterior evaluations (initialisation included). */
  readonly evaluations: number;
  readonly status: "completed" | "cancelled";
  readonly warnings: readonly string[];
}

interface ResolvedSamplerOptions {
  walkers: number;
  steps: number;
  burn: number;
  thin: number;
  stretch: number;
  deFraction: number;
  independence: IndependenceProposal | undefined;
  precision: "float64" | "float32";
  tauFactor: number;
  minEss: number;
  mixing: { maxSeconds: number; maxKept: number; refreshBelow: number } | undefined;
}

/** Stored values (walkers × params × kept steps) the run-until-mixed mode may grow the chain to by default. */
const MAX_STORED_VALUES = 2 ** 23;
/** Derived values held at once while their τ is estimated (quantities are taken in chunks below this). */
const DERIVED_CHUNK_VALUES = 2 ** 22;
/** Proposal refreshes allowed in one run (a finite number keeps the adaptation valid). */
const MAX_REFRESHES = 2;
/** Default ESS target of the run-until-mixed mode. */
const DEFAULT_MIN_ESS = 400;

function resolveSamplerOptions(objective: FitObjective, options: EnsembleSamplerOptions): ResolvedSamplerOptions {
  const p = objective.names.length;
  if (p === 0) throw new ValidationError("objective.names", "there are no free parameters to sample", p);
  const defaultWalkers = Math.max(4 * p, 16);
  const walkers = options.walkers ?? defaultWalkers + (defaultWalkers % 2);
  if (!Number.isInteger(walkers) || walkers % 2 !== 0 || walkers < 2 * p || walkers < 4) {
    throw new ValidationError("walkers", `must be an even integer ≥ max(2·p, 4) = ${Math.max(2 * p, 4)}`, walkers);
  }
  const steps = options.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new ValidationError("steps", "must be a positive integer", steps);
  const burn = options.burn ?? 0;
  if (!Number.isInteger(burn) || burn < 0) throw new ValidationError("burn", "must be a non-negative integer", burn);
  const thin = options.thin ?? 1;
  if (!Number.isInteger(thin) || thin < 1) throw new ValidationError("thin", "must be a positive integer", thin);
  const stretch = options.stretch ?? 2;
  if (!(stretch > 1) || !Number.isFinite(stretch)) throw new ValidationError("stretch", "must be a finite number > 1", stretch);
  const precision = options.precision ?? "float64";
  if (precision !== "float64" && precision !== "float32") throw new ValidationError("precision", 'must be "float64" or "float32"', precision);
  const tauFactor = options.tauFactor ?? 50;
  if (!(tauFactor >= 0) || !Number.isFinite(tauFactor)) throw new ValidationError("tauFactor", "must be a finite number ≥ 0", tauFactor);
  const until = options.untilMixed;
  const minEss = until?.minEss ?? DEFAULT_MIN_ESS;
  if (!(minEss >= 0) || !Number.isFinite(minEss)) throw new ValidationError("untilMixed.minEss", "must be a finite number ≥ 0", minEss);
  let mixing: ResolvedSamplerOptions["mixing"];
  if (until) {
    const maxSeconds = until.maxSeconds ?? Infinity;
    if (!(maxSeconds > 0)) throw new ValidationError("untilMixed.maxSeconds", "must be positive", maxSeconds);
    const defaultMaxSteps = Math.max(steps, Math.floor(MAX_STORED_VALUES / (walkers * p)) * thin);
    const maxSteps = until.maxSteps ?? defaultMaxSteps;
    if (!Number.isInteger(maxSteps) || maxSteps < steps) throw new ValidationError("untilMixed.maxSteps", `must be an integer ≥ steps = ${steps}`, maxSteps);
    const refreshBelow = until.refreshBelow ?? 0.15;
    if (!(refreshBelow >= 0 && refreshBelow < 1)) throw new ValidationError("untilMixed.refreshBelow", "must be in [0, 1)", refreshBelow);
    mixing = { maxSeconds, maxKept: Math.floor(maxSteps / thin), refreshBelow };
  }
  const move = options.move ?? "stretch";
  let deFraction: number;
  if (move === "stretch") deFraction = 0;
  else if (move === "de") deFraction = 1;
  else if (typeof move === "object" && move !== null && move.de >= 0 && move.de <= 1) deFraction = move.de;
  else throw new ValidationError("move", 'must be "stretch", "de" or { de: w } with 0 ≤ w ≤ 1', move);
  if (deFraction > 0 && walkers < 6) throw new ValidationError("walkers", "the DE move needs at least 6 walkers (two partners per half)", walkers);
  const independence = options.independence ? independenceProposal(options.independence, p) : undefined;
  if (options.independence?.adapt && burn < 20) throw new ValidationError("burn", "independence.adapt needs burn ≥ 20 steps to estimate the proposal", burn);
  if (options.derived && typeof options.derived.evaluate !== "function") throw new ValidationError("derived.evaluate", "must be a function", options.derived.evaluate);
  return { walkers, steps, burn, thin, stretch, deFraction, independence, precision, tauFactor, minEss, mixing };
}

/** The error of a NaN log posterior at θ (emcee raises too). */
function nanError(objective: FitObjective, theta: ArrayLike<number>): FitAbortedError {
  return new FitAbortedError(
    "nan",
    `ensembleSampler: log posterior is NaN at ${objective.names.map((n, j) => `${n}=${formatValue(theta[j])}`).join(", ")}`,
  );
}

/** Evaluates log π at a point; NaN is an error (emcee raises too), −∞ is a rejection. */
function logPosteriorAt(objective: FitObjective, theta: Float64Array): number {
  const lp = objective.logPosterior(theta);
  if (Number.isNaN(lp)) throw nanError(objective, theta);
  return lp;
}

/**
 * Places the walkers. Draws that land where log π = −∞ (outside the prior) are
 * redrawn, up to 1000 times per walker.
 */
function initialPositions(
  objective: FitObjective,
  start: EnsembleStart,
  walkers: number,
  rng: Random,
  warnings: Warnings,
): { positions: Float64Array; logps: Float64Array; evaluations: number } {
  const p = objective.names.length;
  const positions = new Float64Array(walkers * p);
  const logps = new Float64Array(walkers);
  const theta = new Float64Array(p);
  let evaluations = 0;
  if (start.kind === "positions") {
    if (start.positions.length !== walkers * p) {
      throw new ValidationError("start.positions", `must have walkers·params = ${walkers * p} values`, start.positions.length);
    }
    positions.set(Float64Array.from(start.positions));
    for (let k = 0; k < walkers; k++) {
      theta.set(positions.subarray(k * p, k * p + p));
      evaluations++;
      logps[k] = logPosteriorAt(objective, theta);
      if (!Number.isFinite(logps[k])) {
        throw new ValidationError(`start.positions[${k}]`, "walker starts where the log posterior is not finite", Array.from(theta));
      }
    }
  } else {
    let draw: (out: Float64Array, misses: number) => void;
    if (start.kind === "uniform") {
      for (let j = 0; j < p; j++) {
        if (!Number.isFinite(objective.lower[j]) || !Number.isFinite(objective.upper[j])) {
          throw new ValidationError(`bounds.${objective.names[j]}`, 'a "uniform" start needs finite bounds', [objective.lower[j], objective.upper[j]]);
        }
      }
      draw = (out) => {
        for (let j = 0; j < p; j++) out[j] = rng.uniform(objective.lower[j], objective.upper[j]);
      };
    } else if (start.kind === "covariance") {
      if (start.center.length !== p) throw new ValidationError("start.center", `must have ${p} values`, start.center.length);
      if (start.covariance.length !== p * p) throw new ValidationError("start.covariance", `must have ${p * p} values`, start.covariance.length);
      const center = Float64Array.from(start.center);
      const cov = Float64Array.from(start.covariance);
      for (let i = 0; i < cov.length; i++) {
        if (!Number.isFinite(cov[i])) throw new ValidationError("start.covariance", "must be finite", cov[i]);
      }
      const scale = start.scale ?? 1;
      const factor = covarianceFactor(cov, p);
      const z = new Float64Array(p);
      // a Gaussian ball that keeps landing outside the support (a fit at a bound, a
      // covariance too wide for a narrow ridge) is shrunk by half every SHRINK_EVERY misses
      draw = (out, misses) => {
        rng.fillNormal(z);
        const shrink = scale * Math.pow(0.5, Math.floor(misses / SHRINK_EVERY));
        for (let r = 0; r < p; r++) {
          let s = 0;
          for (let c = 0; c < p; c++) s += factor[r * p + c] * z[c];
          out[r] = reflectIntoBounds(center[r] + shrink * s, objective.lower[r], objective.upper[r]);
        }
      };
    } else {
      const center = Float64Array.from(start.center ?? objective.initial());
      if (center.length !== p) throw new ValidationError("start.center", `must have ${p} values`, center.length);
      const spread = start.spread ?? 1e-4;
      if (!(spread > 0)) throw new ValidationError("start.spread", "must be positive", spread);
      draw = (out) => {
        for (let j = 0; j < p; j++) {
          const z = rng.normal();
          out[j] = center[j] === 0 ? spread * z : center[j] * (1 + spread * z);
        }
      };
    }
    let redraws = 0;
    for (let k = 0; k < walkers; k++) {
      let attempts = 0;
      for (;;) {
        draw(theta, attempts);
        evaluations++;
        const lp = logPosteriorAt(objective, theta);
        if (Number.isFinite(lp)) {
          positions.set(theta, k * p);
          logps[k] = lp;
          break;
        }
        redraws++;
        if (++attempts >= 1000) {
          throw new ValidationError(`start`, `could not place walker ${k} where the log posterior is finite after 1000 draws`, start.kind);
        }
      }
    }
    if (redraws > 0) warnings.add(`${redraws} initial draw(s) had a non-finite log posterior and were redrawn`);
  }
  // A degenerate ensemble (a parameter identical in all walkers) can never move along that axis.
  for (let j = 0; j < p; j++) {
    let same = true;
    for (let k = 1; k < walkers && same; k++) same = positions[k * p + j] === positions[j];
    if (same) warnings.add(`all walkers start with the same ${objective.names[j]}; the stretch move cannot explore it`);
  }
  return { positions, logps, evaluations };
}

/** A multivariate Student t proposal: draws and log densities (up to a constant). */
interface IndependenceProposal {
  readonly fraction: number;
  /** Fills y with a draw; returns log q(y). */
  draw(rng: Random, y: Float64Array): number;
  logDensity(x: ArrayLike<number>): number;
}

/**
 * Whether a covariance can serve as an independence proposal's (`options.independence`): finite
 * and non-singular. A least-squares covariance is singular when the fit could not determine a
 * direction (a parameter on its bound, two parameters the data trade off exactly); the proposal
 * would then not cover the posterior, so the sampler refuses it and a caller should go without.
 */
export function usableProposalCovariance(covariance: ArrayLike<number>, p: number): boolean {
  if (covariance.length !== p * p) return false;
  const c = Float64Array.from(covariance);
  for (const v of c) if (!Number.isFinite(v)) return false;
  return invertMatrix(covarianceFactor(c, p), p) !== undefined;
}

function independenceProposal(spec: NonNullable<EnsembleSamplerOptions["independence"]>, p: number): IndependenceProposal {
  const fraction = spec.fraction;
  if (!(fraction >= 0 && fraction <= 1)) throw new ValidationError("independence.fraction", "must be in [0, 1]", fraction);
  if (spec.center.length !== p) throw new ValidationError("independence.center", `must have ${p} values`, spec.center.length);
  if (spec.covariance.length !== p * p) throw new ValidationError("independence.covariance", `must have ${p * p} values`, spec.covariance.length);
  const dof = spec.dof ?? 5;
  if (!Number.isInteger(dof) || dof < 1) throw new ValidationError("independence.dof", "must be a positive integer", dof);
  const scale = spec.scale ?? 1.2;
  if (!(scale > 0)) throw new ValidationError("independence.scale", "must be positive", scale);
  const center = Float64Array.from(spec.center);
  const covariance = Float64Array.from(spec.covariance);
  for (const c of covariance) if (!Number.isFinite(c)) throw new ValidationError("independence.covariance", "must be finite", c);
  const factor = covarianceFactor(covariance, p);
  for (let i = 0; i < factor.length; i++) factor[i] *= scale;
  const inverse = invertMatrix(factor, p);
  if (!inverse) throw new ValidationError("independence.covariance", "is singular: the proposal would not cover the posterior", "singular");
  const z = new Float64Array(p);
  const w = new Float64Array(p);
  const logDensity = (x: ArrayLike<number>): number => {
    for (let r = 0; r < p; r++) w[r] = x[r] - center[r];
    let q = 0;
    for (let r = 0; r < p; r++) {
      let s = 0;
      for (let c = 0; c < p; c++) s += inverse[r * p + c] * w[c];
      q += s * s;
    }
    return -0.5 * (dof + p) * Math.log1p(q / dof);
  };
  return {
    fraction,
    draw(rng, y) {
      rng.fillNormal(z);
      let chi2 = 0;
      for (let k = 0; k < dof; k++) {
        const g = rng.normal();
        chi2 += g * g;
      }
      const t = Math.sqrt(dof / chi2);
      for (let r = 0; r < p; r++) {
        let s = 0;
        for (let c = 0; c < p; c++) s += factor[r * p + c] * z[c];
        y[r] = center[r] + t * s;
      }
      return logDensity(y);
    },
    logDensity,
  };
}

/** The state of a stretch-move run; drivers feed it batches of log posteriors. */
class StretchMove {
  readonly p: number;
  readonly half: number;
  readonly accepted: Float64Array;
  private readonly z: Float64Array;
  private readonly proposal: Float64Array;

  constructor(
    readonly positions: Float64Array,
    readonly logps: Float64Array,
    readonly walkers: number,
    private readonly stretch: number,
    private readonly rng: Random,
    public deFraction = 0,
    public independence: IndependenceProposal | undefined = undefined,
  ) {
    this.p = positions.length / walkers;
    this.half = walkers / 2;
    this.accepted = new Float64Array(walkers);
    this.z = new Float64Array(this.half);
    this.proposal = new Float64Array(this.half * this.p);
    this.proposalLogQ = new Float64Array(this.half);
  }

  private proposals = 0;
  private independentStep = false;
  private readonly proposalLogQ: Float64Array;

  /** Proposals for half h (0: walkers [0, W/2), 1: [W/2, W)), half × p row-major. */
  propose(h: 0 | 1): Float64Array {
    const { p, half, rng, positions } = this;
    const a = this.stretch;
    const self = h * half;
    const other = (1 - h) * half;
    this.proposals++;
    this.independentStep = false;
    const ind = this.independence;
    if (ind && rng.next() < ind.fraction) {
      this.independentStep = true;
      for (let i = 0; i < half; i++) {
        const y = this.proposal.subarray(i * p, i * p + p);
        this.proposalLogQ[i] = ind.draw(rng, y);
        this.z[i] = 1;
      }
      return this.proposal;
    }
    if (this.deFraction > 0 && (this.deFraction >= 1 || rng.next() < this.deFraction)) {
      // differential evolution: symmetric proposal, Hastings factor 1 (z = 1 ⇒ (p−1)·ln z = 0)
      const gamma0 = this.proposals % 20 < 2 ? 1 : 2.38 / Math.sqrt(2 * p);
      for (let i = 0; i < half; i++) {
        const ja = other + rng.integer(half);
        let jb = other + rng.integer(half - 1);
        if (jb >= ja) jb++;
        const gamma = gamma0 * (1 + 1e-5 * rng.normal());
        this.z[i] = 1;
        const k = self + i;
        for (let d = 0; d < p; d++) {
          const xk = positions[k * p + d];
          this.proposal[i * p + d] = xk + gamma * (positions[ja * p + d] - positions[jb * p + d]) + 1e-12 * Math.abs(xk) * rng.normal();
        }
      }
      return this.proposal;
    }
    for (let i = 0; i < half; i++) {
      const j = other + rng.integer(half);
      const u = rng.next();
      const zz = ((a - 1) * u + 1) ** 2 / a;
      this.z[i] = zz;
      const k = self + i;
      for (let d = 0; d < p; d++) {
        const xj = positions[j * p + d];
        this.proposal[i * p + d] = xj + zz * (positions[k * p + d] - xj);
      }
    }
    return this.proposal;
  }

  /** Metropolis–Hastings acceptance for half h given the proposals' log posteriors. */
  accept(h: 0 | 1, proposalLogps: Float64Array): void {
    const { p, half, rng, positions, logps } = this;
    const self = h * half;
    for (let i = 0; i < half; i++) {
      const k = self + i;
      const lq = proposalLogps[i];
      let logRatio = (p - 1) * Math.log(this.z[i]) + lq - logps[k];
      if (this.independentStep) logRatio += this.independence!.logDensity(positions.subarray(k * p, k * p + p)) - this.proposalLogQ[i];
      const u = rng.next();
      if (lq > -Infinity && Math.log(u) < logRatio) {
        positions.set(this.proposal.subarray(i * p, i * p + p), k * p);
        logps[k] = lq;
        this.accepted[k]++;
      }
    }
  }
}

/** Stores kept steps (growing as the chain is extended) and assembles the result. */
class ChainRecorder {
  chain: Float64Array | Float32Array;
  logProbabilities: Float64Array;
  kept = 0;
  constructor(
    private capacity: number,
    readonly walkers: number,
    readonly p: number,
    private readonly precision: "float64" | "float32",
  ) {
    this.chain = this.allocate(capacity);
    this.logProbabilities = new Float64Array(capacity * walkers);
  }
  private allocate(capacity: number): Float64Array | Float32Array {
    return this.precision === "float32" ? new Float32Array(capacity * this.walkers * this.p) : new Float64Array(capacity * this.walkers * this.p);
  }
  /** Makes room for `capacity` kept steps (amortised doubling). */
  reserve(capacity: number): void {
    if (capacity <= this.capacity) return;
    const next = Math.max(capacity, 2 * this.capacity);
    const chain = this.allocate(next);
    chain.set(this.chain.subarray(0, this.kept * this.walkers * this.p));
    const logps = new Float64Array(next * this.walkers);
    logps.set(this.logProbabilities.subarray(0, this.kept * this.walkers));
    this.chain = chain;
    this.logProbabilities = logps;
    this.capacity = next;
  }
  record(positions: Float64Array, logps: Float64Array): void {
    if (this.kept >= this.capacity) this.reserve(this.kept + 1);
    this.chain.set(positions, this.kept * this.walkers * this.p);
    this.logProbabilities.set(logps, this.kept * this.walkers);
    this.kept++;
  }
  /** The stored samples, [kept][walkers][p]. */
  stored(): Float64Array | Float32Array {
    return this.chain.subarray(0, this.kept * this.walkers * this.p);
  }
}

/** τ (stored steps) and ESS of the parameters and derived quantities of the chain stored so far. */
interface MixingCheck {
  kept: number;
  tau: Float64Array;
  ess: Float64Array;
  derivedTau: Float64Array | undefined;
  derivedEss: Float64Array | undefined;
  mixed: boolean;
  /** kept steps (stored) the criteria ask for at the current τ estimates */
  keptNeeded: number;
}

interface RunContext {
  objective: FitObjective;
  opts: ResolvedSamplerOptions;
  options: EnsembleSamplerOptions;
  rng: Random;
  warnings: Warnings;
  move: StretchMove;
  recorder: ChainRecorder;
  evaluations: number;
  adapt?: { n: number; sum: Float64Array; outer: Float64Array };
  /** steps (burn-in included) to run before the next check */
  target: number;
  /** first step that is kept (burn-in, plus blocks discarded at a refresh) */
  keepStart: number;
  /** first step of the current block, and the walkers' accepted proposals at its start and at keepStart */
  blockStart: number;
  acceptedAtBlockStart: number;
  acceptedAtKeepStart: number;
  startedAt: number;
  stop: MixingStop;
  extensions: number;
  refreshes: ProposalRefresh[];
  lastCheck: MixingCheck | undefined;
}

function prepare(objective: FitObjective, options: EnsembleSamplerOptions): RunContext {
  const startedAt = performance.now();
  const opts = resolveSamplerOptions(objective, options);
  const rng = createRandom(options.seed ?? 0);
  const warnings = new Warnings();
  const start = options.start ?? { kind: "ball" };
  const init = initialPositions(objective, start, opts.walkers, rng, warnings);
  const p = objective.names.length;
  const capacity = Math.ceil(opts.steps / opts.thin);
  return {
    objective,
    opts,
    options,
    rng,
    warnings,
    move: new StretchMove(init.positions, init.logps, opts.walkers, opts.stretch, rng, opts.deFraction, opts.independence),
    recorder: new ChainRecorder(capacity, opts.walkers, p, opts.precision),
    evaluations: init.evaluations,
    target: opts.burn + opts.steps,
    keepStart: opts.burn,
    blockStart: 0,
    acceptedAtBlockStart: 0,
    acceptedAtKeepStart: 0,
    startedAt,
    stop: opts.mixing ? "mixed" : "fixed-length",
    extensions: 0,
    refreshes: [],
    lastCheck: undefined,
  };
}

function acceptedSoFar(move: StretchMove): number {
  let total = 0;
  for (let k = 0; k < move.walkers; k++) total += move.accepted[k];
  return total;
}

function elapsedSeconds(ctx: RunContext): number {
  return (performance.now() - ctx.startedAt) / 1000;
}

/** After step t (0-based, burn-in included): record, report; "cancel" when the progress callback stops the run, "cap" at the wall-time cap. */
function afterStep(ctx: RunContext, t: number): "continue" | "cancel" | "cap" {
  const { opts, move, recorder } = ctx;
  const adaptSpec = ctx.options.independence;
  if (adaptSpec?.adapt && move.independence && t < opts.burn && t >= Math.floor(opts.burn / 2)) {
    const p = move.p;
    ctx.adapt ??= { n: 0, sum: new Float64Array(p), outer: new Float64Array(p * p) };
    const acc = ctx.adapt;
    for (let k = 0; k < opts.walkers; k++) {
      acc.n++;
      for (let i = 0; i < p; i++) {
        const xi = move.positions[k * p + i];
        acc.sum[i] += xi;
        for (let j = 0; j < p; j++) acc.outer[i * p + j] += xi * move.positions[k * p + j];
      }
    }
    if (t === opts.burn - 1) {
      const mean = acc.sum.map((v) => v / acc.n);
      const covariance = new Float64Array(p * p);
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) covariance[i * p + j] = (acc.outer[i * p + j] - acc.n * mean[i] * mean[j]) / (acc.n - 1);
      try {
        move.independence = independenceProposal({ ...adaptSpec, center: mean, covariance }, p);
      } catch {
        ctx.warnings.add("could not adapt the independence proposal (degenerate burn-in covariance); kept the initial one");
      }
    }
  }
  if (t >= ctx.keepStart && (t - ctx.keepStart) % opts.thin === 0) recorder.record(move.positions, move.logps);
  if (t + 1 === ctx.keepStart) {
    // burn-in ends: acceptance of the kept chain (and of the first block) counts from here
    ctx.acceptedAtKeepStart = ctx.acceptedAtBlockStart = acceptedSoFar(move);
    ctx.blockStart = t + 1;
  }
  if (ctx.options.progress) {
    const keepGoing = ctx.options.progress({ step: t + 1, totalSteps: ctx.target, acceptance: acceptedSoFar(move) / (opts.walkers * (t + 1)) });
    if (keepGoing === false) return "cancel";
  }
  // the wall-time cap interrupts a block only once the requested number of steps is kept
  const mixing = opts.mixing;
  if (mixing && mixing.maxSeconds < Infinity && t + 1 < ctx.target && (t + 1 - ctx.keepStart) >= opts.steps && elapsedSeconds(ctx) > mixing.maxSeconds) return "cap";
  return "continue";
}

/** τ and ESS of everything stored so far (cached for the same number of kept steps). */
function mixingCheck(ctx: RunContext): MixingCheck {
  const { recorder, opts } = ctx;
  const kept = recorder.kept;
  if (ctx.lastCheck && ctx.lastCheck.kept === kept) return ctx.lastCheck;
  const walkers = opts.walkers;
  const p = recorder.p;
  const chain = recorder.stored();
  const tau = kept > 0 ? ensembleAutocorrelationTime(chain, kept, walkers, p, ctx.options.autocorrelation) : new Float64Array(p).fill(Number.NaN);
  const ess = tau.map((t) => (walkers * kept) / t);
  let derivedTau: Float64Array | undefined;
  let derivedEss: Float64Array | undefined;
  const derived = ctx.options.derived;
  if (derived && derived.names.length > 0 && kept > 0) {
    // quantities in chunks, so that a long chain of many derived quantities stays within DERIVED_CHUNK_VALUES
    const d = derived.names.length;
    const chunk = Math.max(1, Math.min(d, Math.floor(DERIVED_CHUNK_VALUES / (kept * walkers))));
    const theta = new Float64Array(p);
    const out = new Float64Array(d);
    derivedTau = new Float64Array(d);
    for (let first = 0; first < d; first += chunk) {
      const width = Math.min(chunk, d - first);
      const values = new Float64Array(kept * walkers * width);
      for (let i = 0; i < kept * walkers; i++) {
        for (let j = 0; j < p; j++) theta[j] = chain[i * p + j];
        out.fill(Number.NaN);
        derived.evaluate(theta, out);
        for (let q = 0; q < width; q++) values[i * width + q] = out[first + q];
      }
      derivedTau.set(ensembleAutocorrelationTime(values, kept, walkers, width, ctx.options.autocorrelation), first);
    }
    derivedEss = derivedTau.map((t) => (walkers * kept) / t);
  }
  // non-finite τ (a derived quantity that is NaN somewhere) is reported, not waited for
  let worstTau = 0;
  for (const t of [...tau, ...(derivedTau ?? [])]) if (Number.isFinite(t) && t > worstTau) worstTau = t;
  const keptNeeded = Math.ceil(worstTau * Math.max(opts.tauFactor, opts.minEss / walkers));
  const check = { kept, tau, ess, derivedTau, derivedEss, mixed: kept > 0 && kept >= keptNeeded, keptNeeded };
  ctx.lastCheck = check;
  return check;
}

/** Mean and covariance of the stored samples from kept step `from` on; undefined when too few. */
function storedMoments(recorder: ChainRecorder, from: number): { mean: Float64Array; covariance: Float64Array } | undefined {
  const { p, walkers } = recorder;
  const chain = recorder.stored();
  const first = from * walkers;
  const n = recorder.kept * walkers - first;
  if (n < p + 2) return undefined;
  const mean = new Float64Array(p);
  for (let i = first; i < first + n; i++) for (let j = 0; j < p; j++) mean[j] += chain[i * p + j] / n;
  const covariance = new Float64Array(p * p);
  for (let i = first; i < first + n; i++) {
    for (let a = 0; a < p; a++) {
      const da = chain[i * p + a] - mean[a];
      for (let b = 0; b <= a; b++) covariance[a * p + b] += (da * (chain[i * p + b] - mean[b])) / (n - 1);
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) covariance[b * p + a] = covariance[a * p + b];
  return { mean, covariance };
}

/** Refreshes the proposal after a block of low acceptance; returns what it did, or undefined when nothing could be changed. */
function refreshProposal(ctx: RunContext, blockKeptStart: number): string | undefined {
  const { move, recorder } = ctx;
  const p = move.p;
  const spec = ctx.options.independence;
  if (ctx.refreshes.length === 0) {
    const moments = storedMoments(recorder, blockKeptStart);
    if (moments) {
      const fraction = move.independence?.fraction ?? 0.5;
      try {
        move.independence = independenceProposal({ fraction, center: moments.mean, covariance: moments.covariance, ...(spec?.dof !== undefined ? { dof: spec.dof } : {}), ...(spec?.scale !== undefined ? { scale: spec.scale } : {}) }, p);
        return `independence proposal ${spec ? "re-centred" : "added (fraction 0.5)"} on the mean and covariance of the last block's ${(recorder.kept - blockKeptStart) * recorder.walkers} samples`;
      } catch {
        // a degenerate covariance: fall through to the move mix
      }
    }
  }
  if (move.walkers < 6) return undefined;
  const parts: string[] = [];
  if (move.independence && move.independence.fraction > 0) {
    move.independence = { ...move.independence, fraction: move.independence.fraction / 2 };
    parts.push(`independence fraction halved to ${move.independence.fraction}`);
  }
  if (move.deFraction !== 0.5) {
    move.deFraction = 0.5;
    parts.push("ensemble move switched to an equal DE/stretch mix");
  }
  return parts.length > 0 ? parts.join("; ") : undefined;
}

/**
 * At the end of a block (t steps run): refresh the proposal after low acceptance, stop when
 * mixed or capped, or set the next target. Returns whether to run another block.
 */
function nextBlock(ctx: RunContext, t: number): boolean {
  const { opts, move, recorder } = ctx;
  const mixing = opts.mixing;
  if (!mixing) return false;
  const accepted = acceptedSoFar(move);
  const blockSteps = t - Math.max(ctx.blockStart, ctx.keepStart);
  const blockAcceptance = blockSteps > 0 ? (accepted - ctx.acceptedAtBlockStart) / (opts.walkers * blockSteps) : Number.NaN;
  const blockKeptStart = Math.max(0, Math.ceil((Math.max(ctx.blockStart, ctx.keepStart) - ctx.keepStart) / opts.thin));
  const elapsed = elapsedSeconds(ctx);
  if (blockAcceptance < mixing.refreshBelow && ctx.refreshes.length < MAX_REFRESHES && elapsed < mixing.maxSeconds) {
    const action = refreshProposal(ctx, blockKeptStart);
    if (action !== undefined) {
      ctx.refreshes.push({ step: t, acceptance: blockAcceptance, action });
      // the chain so far was drawn with the poorer proposal: it becomes burn-in
      ctx.keepStart = t;
      recorder.kept = 0;
      ctx.lastCheck = undefined;
      ctx.acceptedAtKeepStart = accepted;
      ctx.blockStart = t;
      ctx.acceptedAtBlockStart = accepted;
      ctx.target = t + opts.steps;
      return true;
    }
  }
  const check = mixingCheck(ctx);
  if (check.mixed) {
    ctx.stop = "mixed";
    return false;
  }
  if (elapsed >= mixing.maxSeconds) {
    ctx.stop = "time-cap";
    return false;
  }
  if (recorder.kept >= mixing.maxKept) {
    ctx.stop = "step-cap";
    return false;
  }
  // aim past the current estimate (τ from a short chain is biased low), growing by a quarter to a doubling per block
  const kept = recorder.kept;
  const nextKept = Math.min(mixing.maxKept, Math.max(kept + Math.ceil(kept / 4), Math.min(2 * kept, Math.ceil(1.2 * check.keptNeeded))));
  recorder.reserve(nextKept);
  ctx.blockStart = t;
  ctx.acceptedAtBlockStart = accepted;
  ctx.target = ctx.keepStart + nextKept * opts.thin;
  ctx.extensions++;
  return true;
}

function describeWorst(names: readonly string[], values: ArrayLike<number>, pick: (a: number, b: number) => boolean): { name: string; value: number } {
  let best = { name: "", value: Number.NaN };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) && (best.name === "" || pick(v, best.value))) best = { name: names[i], value: v };
  }
  return best;
}

function finish(ctx: RunContext, stepsRun: number, cancelled: boolean): EnsembleResult {
  const { objective, opts, move, recorder, warnings } = ctx;
  const p = objective.names.length;
  const walkers = opts.walkers;
  const kept = recorder.kept;
  if (cancelled) ctx.stop = "cancelled";
  const chain = recorder.chain.slice(0, kept * walkers * p);
  const logProbabilities = recorder.logProbabilities.slice(0, kept * walkers);
  const acceptanceFraction = move.accepted.map((a) => (stepsRun > 0 ? a / stepsRun : Number.NaN));
  let meanAcceptance = 0;
  for (let k = 0; k < walkers; k++) meanAcceptance += acceptanceFraction[k] / walkers;
  const keptSteps = stepsRun - ctx.keepStart;
  const keptAcceptance = keptSteps > 0 ? (acceptedSoFar(move) - ctx.acceptedAtKeepStart) / (walkers * keptSteps) : Number.NaN;
  if (cancelled) warnings.add(`cancelled by the progress callback after ${stepsRun} steps`);
  if (stepsRun > 0 && meanAcceptance < 0.05) {
    warnings.add(`mean acceptance fraction ${meanAcceptance.toFixed(3)} is very low; the chain is unlikely to be representative`);
  }
  for (const r of ctx.refreshes) warnings.add(`acceptance ${r.acceptance.toFixed(3)} in the block ending at step ${r.step}: ${r.action}; the chain before it was discarded as burn-in`);

  const autocorrelationTime = new Float64Array(p).fill(Number.NaN);
  const effectiveSampleSize = new Float64Array(p).fill(Number.NaN);
  const summaries: PosteriorSummary[] = [];
  let bestIndex = -1;
  let derived: EnsembleResult["derived"];
  let mixed = false;
  const allNames = [...objective.names, ...(ctx.options.derived?.names ?? [])];
  let allTau: number[] = [];
  let allEss: number[] = [];
  if (kept > 0) {
    const check = mixingCheck(ctx);
    mixed = check.mixed;
    // the cap struck after the chain had in fact mixed
    if (opts.mixing && mixed && ctx.stop === "time-cap") ctx.stop = "mixed";
    for (let j = 0; j < p; j++) {
      autocorrelationTime[j] = check.tau[j] * opts.thin;
      effectiveSampleSize[j] = check.ess[j];
    }
    if (check.derivedTau && check.derivedEss && ctx.options.derived) {
      derived = { names: Object.freeze([...ctx.options.derived.names]), autocorrelationTime: check.derivedTau.map((t) => t * opts.thin), effectiveSampleSize: Float64Array.from(check.derivedEss) };
    }
    allTau = [...autocorrelationTime, ...(derived?.autocorrelationTime ?? [])];
    allEss = [...effectiveSampleSize, ...(derived?.effectiveSampleSize ?? [])];
    if (!opts.mixing) {
      const short: string[] = [];
      for (let j = 0; j < p; j++) {
        if (!(kept >= opts.tauFactor * check.tau[j])) short.push(`${objective.names[j]} (τ ≈ ${autocorrelationTime[j].toPrecision(3)} steps)`);
      }
      if (short.length > 0) {
        warnings.add(`chain too short to estimate τ reliably: ${kept} stored steps < ${opts.tauFactor}·τ for ${short.join(", ")}; run longer`);
      }
    }
    const column = new Float64Array(kept * walkers);
    for (let j = 0; j < p; j++) {
      for (let i = 0; i < kept * walkers; i++) column[i] = chain[i * p + j];
      summaries.push(summarise(objective.names[j], column));
    }
    for (let i = 0; i < logProbabilities.length; i++) {
      if (bestIndex < 0 || logProbabilities[i] > logProbabilities[bestIndex]) bestIndex = i;
    }
  } else {
    warnings.add("no samples were stored");
  }
  const worstTau = describeWorst(allNames, allTau, (a, b) => a > b);
  const worstEss = describeWorst(allNames, allEss, (a, b) => a < b);
  const mixing = opts.mixing;
  if (mixing && !mixed && (ctx.stop === "time-cap" || ctx.stop === "step-cap")) {
    const cap = ctx.stop === "time-cap" ? `the wall-time cap of ${mixing.maxSeconds} s` : `the cap of ${mixing.maxKept * opts.thin} kept steps`;
    warnings.add(
      `stopped at ${cap} before mixing: ${kept * opts.thin} steps kept × ${walkers} walkers; τ up to ${worstTau.value.toPrecision(3)} steps (${worstTau.name}) asks for ≥ ${Math.ceil(opts.tauFactor * worstTau.value)} steps, ESS down to ${worstEss.value.toPrecision(3)} (${worstEss.name}) against ${opts.minEss}`,
    );
  }
  const bestValues = bestIndex >= 0 ? Float64Array.from(chain.subarray(bestIndex * p, bestIndex * p + p)) : new Float64Array(p).fill(Number.NaN);
  return {
    names: Object.freeze([...objective.names]),
    walkers,
    params: p,
    keptSteps: kept,
    burn: ctx.keepStart,
    thin: opts.thin,
    stepsRun,
    chain,
    logProbabilities,
    acceptanceFraction,
    meanAcceptanceFraction: meanAcceptance,
    autocorrelationTime,
    effectiveSampleSize,
    ...(derived ? { derived } : {}),
    mixing: {
      requested: mixing !== undefined,
      mixed,
      stop: ctx.stop,
      minEss: opts.minEss,
      tauFactor: opts.tauFactor,
      maxSeconds: mixing?.maxSeconds ?? Infinity,
      seconds: elapsedSeconds(ctx),
      extensions: ctx.extensions,
      maxTau: { name: worstTau.name, tau: worstTau.value },
      minEssReached: { name: worstEss.name, ess: worstEss.value },
      keptAcceptance,
      refreshes: [...ctx.refreshes],
    },
    summaries,
    best: { values: bestValues, logPosterior: bestIndex >= 0 ? logProbabilities[bestIndex] : Number.NaN },
    evaluations: ctx.evaluations,
    status: cancelled ? "cancelled" : "completed",
    warnings: warnings.toArray(),
  };
}

/**
 * Samples the objective's posterior with the affine-invariant stretch move, in
 * the calling thread. Deterministic for a given seed. The objective is not modified.
 * With `untilMixed`, the chain is extended in blocks until τ and ESS meet their targets
 * (then the run depends on the wall-time cap only when that cap is reached).
 *
 * @param objective supplies `logPosterior`, names, bounds and the default centre `initial()`
 * @param options walkers, steps, burn-in, thinning, seed, start, run-until-mixed (see {@link EnsembleSamplerOptions})
 * @returns the chain, log posteriors, acceptance, autocorrelation times, ESS and posterior summaries
 * @throws {ValidationError} on bad options or when walkers cannot be placed at a finite log posterior
 * @throws {FitAbortedError} (reason `"nan"`) when the log posterior is NaN
 * @example
 * ```ts
 * const fit = levenbergMarquardt(objective);
 * const mcmc = ensembleSampler(objective, { steps: 2000, burn: 500, seed: 1, start: startFromFit(fit), untilMixed: { minEss: 400, maxSeconds: 60 } });
 * console.log(mcmc.summaries, mcmc.autocorrelationTime, mcmc.effectiveSampleSize, mcmc.mixing);
 * ```
 */
export function ensembleSampler(objective: FitObjective, options: EnsembleSamplerOptions): EnsembleResult {
  const ctx = prepare(objective, options);
  const { move } = ctx;
  const p = move.p;
  const theta = new Float64Array(p);
  const lps = new Float64Array(move.half);
  let t = 0;
  let cancelled = false;
  run: for (;;) {
    while (t < ctx.target) {
      for (const h of [0, 1] as const) {
        const proposals = move.propose(h);
        for (let i = 0; i < move.half; i++) {
          theta.set(proposals.subarray(i * p, i * p + p));
          lps[i] = logPosteriorAt(objective, theta);
        }
        ctx.evaluations += move.half;
        move.accept(h, lps);
      }
      const next = afterStep(ctx, t);
      t++;
      if (next === "cancel") {
        cancelled = true;
        break run;
      }
      if (next === "cap") {
        ctx.stop = "time-cap";
        break run;
      }
    }
    if (!nextBlock(ctx, t)) break;
  }
  return finish(ctx, t, cancelled);
}

/**
 * {@link ensembleSampler} with optional worker threads: with `threads = n > 1` each
 * half-ensemble's proposals are written to shared memory and their log posteriors are
 * computed by the calling thread and n − 1 persistent workers together (blocks of walkers
 * claimed atomically; see optimize/sharedPool). Workers rebuild the objective from
 * `options.worker` (objectives themselves cannot be sent to threads). All random draws
 * stay in the calling thread, so the chain is identical for every thread count.
 * The calling thread yields to its event loop between batches at least every 50 ms.
 *
 * @param objective used in this thread for validation, the initial positions and its share of each batch
 * @param options sampler options plus `threads`, `worker` and `block`
 * @returns a promise of the same result as {@link ensembleSampler}
 * @throws {ValidationError} if threads > 1 without a worker spec, or the worker's objective does not match
 * @throws {FitAbortedError} when a log posterior is NaN or a worker fails (one line; never a hang)
 * @example
 * ```ts
 * const result = await ensembleSamplerAsync(objective, {
 *   steps: 5000, seed: 1, threads: 2,
 *   worker: { module: "/abs/path/myObjective.ts", export: "makeObjective", spec: { file: "data.ort" } },
 * });
 * ```
 */
export async function ensembleSamplerAsync(objective: FitObjective, options: EnsembleSamplerAsyncOptions): Promise<EnsembleResult> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new ValidationError("threads", "must be a positive integer", threads);
  if (threads === 1) return ensembleSampler(objective, options);
  if (!options.worker) throw new ValidationError("worker", "threads > 1 needs { module, export, spec } to rebuild the objective in each worker");
  const ctx = prepare(objective, options);
  const { move } = ctx;
  const { p, half } = move;
  const pool = await SharedEvaluator.create({
    threads,
    worker: options.worker,
    names: objective.names,
    capacity: half,
    kind: "logPosterior",
    ...(options.block !== undefined ? { block: options.block } : {}),
    ...(options.staticLanes ? { staticLanes: true } : {}),
    label: "ensembleSampler",
  });
  const local = (theta: Float64Array): number => objective.logPosterior(theta);
  let t = 0;
  let cancelled = false;
  try {
    run: for (;;) {
      while (t < ctx.target) {
        for (const h of [0, 1] as const) {
          const proposals = move.propose(h);
          pool.positions.set(proposals);
          const lps = await pool.evaluate(half, local);
          for (let i = 0; i < half; i++) {
            if (Number.isNaN(lps[i])) throw nanError(objective, proposals.subarray(i * p, (i + 1) * p));
          }
          ctx.evaluations += half;
          move.accept(h, lps);
        }
        const next = afterStep(ctx, t);
        t++;
        if (next === "cancel") {
          cancelled = true;
          break run;
        }
        if (next === "cap") {
          ctx.stop = "time-cap";
          break run;
        }
      }
      if (!nextBlock(ctx, t)) break;
    }
  } finally {
    await pool.close();
  }
  return finish(ctx, t, cancelled);
}

/**
 * A covariance start centred on a least-squares solution: walkers drawn from
 * N(values, scale²·covariance). Falls back to a ball of relative spread 1e-4
 * when the covariance is not finite (singular fit).
 *
 * @param fit a {@link LeastSquaresResult}
 * @param scale multiplier of the standard deviations @default 1
 * @returns an {@link EnsembleStart}
 */
export function startFromFit(fit: LeastSquaresResult, scale = 1): EnsembleStart {
  const finite = fit.covariance.every((c) => Number.isFinite(c));
  if (!finite) return { kind: "ball", center: fit.values, spread: 1e-4 };
  return { kind: "covariance", center: fit.values, covariance: fit.covariance, scale };
}

/**
 * x mirrored back into [lower, upper] at the bound it crossed (clamped if the mirror
 * overshoots the other bound): a Gaussian start ball around a fit that sits on or near
 * bounds on several parameters would otherwise land outside with probability 1 − 2^−k
 * and never place its walkers.
 */
function reflectIntoBounds(x: number, lower: number, upper: number): number {
  if (x < lower) return Math.min(2 * lower - x, upper);
  if (x > upper) return Math.max(2 * upper - x, lower);
  return x;
}

/**
 * Flat samples: all stored steps and walkers, (keptSteps·walkers) × params row-major.
 *
 * @param result a sampler result
 * @returns a new Float64Array
 */
export function flatSamples(result: EnsembleResult): Float64Array {
  return Float64Array.from(result.chain);
}

/**
 * Writes the stored (burnt-in, thinned) samples, one row per sample, walker
 * index varying fastest. `.npy` paths get a NumPy v1.0 float64 array of shape
 * (samples, params); anything else gets CSV with a header of parameter names
 * plus `log_posterior`, numbers in shortest round-trip form.
 *
 * @param path output file path
 * @param result a sampler result
 * @returns when the file is written
 */
export async function writeSamples(path: string, result: EnsembleResult): Promise<void> {
  const p = result.params;
  const count = result.keptSteps * result.walkers;
  if (path.toLowerCase().endsWith(".npy")) {
    await writeFile(path, npyBytes(Float64Array.from(result.chain), [count, p]));
    return;
  }
  const header = [...result.names.map(csvField), "log_posterior"].join(",");
  const lines: string[] = [header];
  for (let i = 0; i < count; i++) {
    const row: string[] = [];
    for (let j = 0; j < p; j++) row.push(String(result.chain[i * p + j]));
    row.push(String(result.logProbabilities[i]));
    lines.push(row.join(","));
  }
  await writeFile(path, lines.join("\n") + "\n", "utf8");
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** NumPy .npy v1.0 bytes of a C-ordered little-endian float64 array. */
function npyBytes(data: Float64Array, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const preamble = 10;
  let headerLength = dict.length + 1;
  const pad = (64 - ((preamble + headerLength) % 64)) % 64;
  headerLength += pad;
  const header = dict + " ".repeat(pad) + "\n";
  const out = new Uint8Array(preamble + headerLength + data.length * 8);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = headerLength & 0xff;
  out[9] = headerLength >> 8;
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, preamble + headerLength);
  for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i], true);
  return out;
}
