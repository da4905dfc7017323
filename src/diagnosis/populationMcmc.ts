/**
 * @module diagnosis/populationMcmc
 * The hierarchical model across replicate cells (issue 7 part 4) sampled jointly with
 * every cell's parameters: the fully Bayesian two-stage MCMC of Lunn, Barrett, Sweeting
 * and Thompson (2013, "Fully Bayesian hierarchical modelling in two stages, with
 * application to meta-analysis", J. R. Stat. Soc. C 62, 551).
 *
 * Stage 1 is each cell's own joint MCMC (growth law, interphase roughness and density,
 * the rest of the stack, instrument and geometry terms) under its own prior, in which the
 * law parameters θ are uniform within their bounds. Stage 2 samples the joint posterior
 *   p(μ, τ, θ_1 … θ_J, φ_1 … φ_J | data) ∝ Π_p p(μ_p, τ_p) Π_c Π_p LN(θ_cp; μ_p, τ_p) · p(data_c | θ_c, φ_c)
 * (φ_c: every other parameter of cell c) by Metropolis-within-Gibbs:
 * - each cell's whole parameter vector (θ_c, φ_c) is a row of its stage-1 chain; a new
 *   row drawn uniformly from that chain is accepted with probability
 *   min(1, w(new)/w(old)), w = Π_p LN(θ_p; μ_p, τ_p) / π₁(θ_p), where π₁ is the stage-1
 *   prior (uniform: π₁ constant; or uniform in ln θ: π₁ ∝ 1/θ). The likelihood and φ's
 *   prior cancel, because the stage-1 chain already samples them: this is exact, not a
 *   summary of the cell's posterior;
 * - per law parameter p: τ_p from p(τ | ln θ) ∝ τ^−(J−1) exp(−SS/2τ²) on [0, τ_max]
 *   (μ integrated out under a flat prior; uniform prior on τ, BDA3 §5.4), drawn by
 *   inverse CDF on a fine grid; then μ_p | τ_p, ln θ ~ N(mean ln θ, τ²/J).
 *
 * The stage-1 chain must be long enough to reach where the population pulls a cell:
 * each cell's acceptance rate and the number of distinct rows visited are reported, and a
 * cell whose rows are rarely accepted is flagged.
 *
 * The Gibbs chain runs until mixed (issue 13 part 3): after `iterations` sweeps the
 * integrated autocorrelation time (in sweeps) of every reported draw — each population
 * median and log-sd, each cell's partially pooled value — is estimated, and the chain is
 * extended in blocks until it is ≥ tauFactor·τ sweeps long with ESS = sweeps/τ ≥ minEss,
 * or `maxIterations` stops it (a warning names the τ and ESS reached). Every interval
 * carries its τ and ESS.
 *
 * Units: those of the parameters; τ dimensionless (log-sd); autocorrelation times in sweeps.
 */
import { ValidationError } from "../core/errors.ts";
import { createRandom, type Seed } from "../core/random.ts";
import { centralIntervals } from "../core/quantiles.ts";
import { integratedAutocorrelationTime } from "../optimize/autocorrelation.ts";
import { firstReaching, LOG_SD_PRIOR_MAX, type QuantileInterval } from "./population.ts";

/** One cell's stage-1 chain: `count` rows of `width` values (row-major), with the law parameters at `columns`. */
export interface CellChain {
  readonly cell: string;
  readonly rows: Float64Array | Float32Array;
  readonly count: number;
  readonly width: number;
}

/** A law parameter with a population: its name, unit and column in every cell's chain. */
export interface PopulationParameter {
  readonly name: string;
  readonly unit: string;
  readonly column: number;
}

export interface TwoStageOptions {
  seed?: Seed;
  /** Gibbs sweeps kept. @default 20000 */
  iterations?: number;
  /** Gibbs sweeps discarded first. @default 2000 */
  burn?: number;
  /** Row proposals per cell per sweep. @default 4 */
  proposals?: number;
  /** The stage-1 prior of the law parameters: uniform in θ (the diagnosis) or in ln θ. @default "uniform" */
  stageOnePrior?: "uniform" | "log-uniform";
  /** ESS (sweeps/τ) every reported draw must reach. @default 400 */
  minEss?: number;
  /** Kept sweeps ≥ tauFactor·τ for every reported draw. @default 50 */
  tauFactor?: number;
  /** Largest number of kept sweeps when extending. @default 10·iterations */
  maxIterations?: number;
}

/** An interval of Gibbs draws with their integrated autocorrelation time (sweeps) and effective sample size. */
export type MixedInterval = QuantileInterval & { tau: number; ess: number };

export interface TwoStageParameterResult {
  parameter: string;
  unit: string;
  /** e^μ, the population median */
  populationMedian: MixedInterval;
  /** τ, the population log-sd */
  logSd: MixedInterval;
  /** each cell: its stage-1 posterior (no pooling) and its posterior in the hierarchy (partial pooling), both from draws */
  perCell: { cell: string; noPooling: QuantileInterval; partialPooling: MixedInterval }[];
}

export interface TwoStageResult {
  parameters: TwoStageParameterResult[];
  /** the posterior rows of each cell in the hierarchy (indices into its stage-1 chain), one per kept sweep */
  rowIndices: Int32Array[];
  sampling: {
    method: string;
    /** kept sweeps (after any extension) */
    iterations: number;
    burn: number;
    proposalsPerSweep: number;
    /** whether every reported draw reached ESS ≥ minEss and the chain ≥ tauFactor·τ, the targets, and the blocks added */
    mixed: boolean;
    minEss: number;
    tauFactor: number;
    extensions: number;
    /** the largest τ (sweeps) and the smallest ESS over the reported draws, and whose */
    maxTau: { name: string; tau: number };
    minEssReached: { name: string; ess: number };
    /** per cell: fraction of row proposals accepted, distinct stage-1 rows visited */
    cells: { cell: string; acceptance: number; distinctRows: number; stageOneRows: number }[];
    /** one line per cell whose rows are rarely accepted (the stage-1 chain may not reach where the population pulls it) */
    warnings: string[];
  };
}

/** Points of the τ grid of the Gibbs step. */
const TAU_GRID = 1000;
/** Below this acceptance (or this many distinct rows) a cell is flagged. */
const MIN_ACCEPTANCE = 0.01;
const MIN_DISTINCT_ROWS = 100;

/** Median, 95 % and 68 % intervals of draws (core/quantiles' type-7 percentiles), in the key order of {@link QuantileInterval}. */
export function drawInterval(values: ArrayLike<number>, unit?: string): QuantileInterval {
  const c = centralIntervals(values);
  return { median: c.median, lo95: c.lo95, hi95: c.hi95, lo68: c.lo68, hi68: c.hi68, ...(unit !== undefined ? { unit } : {}) };
}

/**
 * Sample the hierarchy jointly with every cell's parameters (see the module header).
 * @param parameters - the law parameters with a log-normal population (positive in every row)
 * @param cells - each cell's stage-1 chain (at least 2 cells)
 * @param options - seed, sweeps, proposals, the stage-1 prior
 * @returns population median and log-sd, each cell with and without pooling, sampling diagnostics
 * @throws {ValidationError} with fewer than 2 cells, an empty chain or a law parameter ≤ 0
 * @example
 * const result = twoStagePopulation([{ name: "k", unit: "Å/s", column: 3 }], chains, { seed: 1 });
 */
export function twoStagePopulation(parameters: readonly PopulationParameter[], cells: readonly CellChain[], options: TwoStageOptions = {}): TwoStageResult {
  const J = cells.length;
  const P = parameters.length;
  if (J < 2) throw new ValidationError("population", "needs at least 2 cells", J);
  if (P < 1) throw new ValidationError("population", "needs at least one parameter", P);
  const iterations = options.iterations ?? 20000;
  const burn = options.burn ?? 2000;
  const proposals = options.proposals ?? 4;
  const minEss = options.minEss ?? 400;
  const tauFactor = options.tauFactor ?? 50;
  const maxIterations = options.maxIterations ?? 10 * iterations;
  if (!Number.isInteger(iterations) || iterations < 2) throw new ValidationError("population.iterations", "must be an integer ≥ 2", iterations);
  if (!(minEss >= 0) || !Number.isFinite(minEss)) throw new ValidationError("population.minEss", "must be a finite number ≥ 0", minEss);
  if (!(tauFactor >= 0) || !Number.isFinite(tauFactor)) throw new ValidationError("population.tauFactor", "must be a finite number ≥ 0", tauFactor);
  if (!Number.isInteger(maxIterations) || maxIterations < iterations) throw new ValidationError("population.maxIterations", `must be an integer ≥ iterations = ${iterations}`, maxIterations);
  const logUniform = (options.stageOnePrior ?? "uniform") === "log-uniform";
  const random = createRandom(options.seed ?? 1);

  // ln θ of every row, and ln π₁(θ) summed over the population parameters (uniform: 0; log-uniform: −Σ ln θ)
  const logTheta: Float64Array[] = [];
  const logStageOnePrior: Float64Array[] = [];
  cells.forEach((c) => {
    if (c.count < 2) throw new ValidationError(`population.${c.cell}`, "needs at least 2 posterior draws", c.count);
    const lt = new Float64Array(c.count * P);
    const lp = new Float64Array(c.count);
    for (let r = 0; r < c.count; r++) {
      for (let p = 0; p < P; p++) {
        const x = c.rows[r * c.width + parameters[p].column];
        if (!(x > 0) || !Number.isFinite(x)) throw new ValidationError(`population.${c.cell}.${parameters[p].name}`, "draws must be positive and finite for a log-normal population", x);
        lt[r * P + p] = Math.log(x);
        if (logUniform) lp[r] -= lt[r * P + p];
      }
    }
    logTheta.push(lt);
    logStageOnePrior.push(lp);
  });

  // state: a row per cell, μ and τ per parameter; start from random rows and their moments
  const row = Int32Array.from(cells, (c) => Math.floor(random.next() * c.count));
  const mu = new Float64Array(P);
  const tau = new Float64Array(P);
  const x = new Float64Array(J);
  const momentsFor = (p: number): { mean: number; ss: number } => {
    let mean = 0;
    for (let j = 0; j < J; j++) mean += (x[j] = logTheta[j][row[j] * P + p]);
    mean /= J;
    let ss = 0;
    for (let j = 0; j < J; j++) ss += (x[j] - mean) ** 2;
    return { mean, ss };
  };
  for (let p = 0; p < P; p++) {
    const { mean, ss } = momentsFor(p);
    mu[p] = mean;
    tau[p] = Math.min(Math.max(Math.sqrt(ss / (J - 1)), 1e-3), LOG_SD_PRIOR_MAX);
  }
  // log w of a row of cell j under the current (μ, τ): Σ_p [ln N(ln θ; μ, τ²) − ln θ] − ln π₁
  const logWeight = (j: number, r: number): number => {
    let total = -logStageOnePrior[j][r];
    for (let p = 0; p < P; p++) {
      const lt = logTheta[j][r * P + p];
      const z = (lt - mu[p]) / tau[p];
      total += -0.5 * z * z - lt;
    }
    return total;
  };

  const grid = Float64Array.from({ length: TAU_GRID }, (_, g) => ((g + 0.5) / TAU_GRID) * LOG_SD_PRIOR_MAX);
  const cumulative = new Float64Array(TAU_GRID);
  const drawTau = (ss: number): number => {
    // p(τ | ln θ) ∝ τ^−(J−1) exp(−SS / 2τ²) on the grid, by inverse CDF (uniform within a grid cell)
    let max = -Infinity;
    for (let g = 0; g < TAU_GRID; g++) {
      const t = grid[g];
      const log = -(J - 1) * Math.log(t) - ss / (2 * t * t);
      cumulative[g] = log;
      if (log > max) max = log;
    }
    let total = 0;
    for (let g = 0; g < TAU_GRID; g++) cumulative[g] = total += Math.exp(cumulative[g] - max);
    return grid[firstReaching(cumulative, random.next() * total)] + (random.next() - 0.5) * (LOG_SD_PRIOR_MAX / TAU_GRID);
  };

  const accepted = new Float64Array(J);
  const visited = cells.map(() => new Set<number>());
  let capacity = iterations;
  let muDraws = Array.from({ length: P }, () => new Float64Array(capacity));
  let tauDraws = Array.from({ length: P }, () => new Float64Array(capacity));
  let rowIndices = cells.map(() => new Int32Array(capacity));
  const grow = (next: number): void => {
    const copy = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(next);
      b.set(a);
      return b;
    };
    muDraws = muDraws.map((a) => copy(a, (n) => new Float64Array(n)));
    tauDraws = tauDraws.map((a) => copy(a, (n) => new Float64Array(n)));
    rowIndices = rowIndices.map((a) => copy(a, (n) => new Int32Array(n)));
    capacity = next;
  };
  // τ (sweeps) of every reported draw over the first `kept` sweeps: each μ (as e^μ, monotone: same τ), each log-sd, each cell's pooled value
  const names = parameters.flatMap((parameter) => [`${parameter.name}.populationMedian`, `${parameter.name}.logSd`, ...cells.map((c) => `${parameter.name}.${c.cell}.partialPooling`)]);
  const autocorrelation = (kept: number): Float64Array => {
    const taus: number[] = [];
    parameters.forEach((parameter, p) => {
      taus.push(integratedAutocorrelationTime(muDraws[p].subarray(0, kept)), integratedAutocorrelationTime(tauDraws[p].subarray(0, kept)));
      cells.forEach((c, j) => taus.push(integratedAutocorrelationTime(Float64Array.from(rowIndices[j].subarray(0, kept), (r) => c.rows[r * c.width + parameter.column]))));
    });
    return Float64Array.from(taus);
  };
  let total = burn + iterations;
  let kept = iterations;
  let extensions = 0;
  let taus: Float64Array = new Float64Array(0);
  for (let sweep = 0; sweep < total; sweep++) {
    for (let j = 0; j < J; j++) {
      let current = logWeight(j, row[j]);
      for (let k = 0; k < proposals; k++) {
        const candidate = Math.floor(random.next() * cells[j].count);
        const proposed = logWeight(j, candidate);
        if (Math.log(random.next()) < proposed - current) {
          row[j] = candidate;
          current = proposed;
          if (sweep >= burn) accepted[j]++;
        }
      }
    }
    for (let p = 0; p < P; p++) {
      const { mean, ss } = momentsFor(p);
      tau[p] = drawTau(ss);
      mu[p] = mean + (tau[p] / Math.sqrt(J)) * random.normal();
    }
    if (sweep < burn) continue;
    const i = sweep - burn;
    for (let p = 0; p < P; p++) {
      muDraws[p][i] = mu[p];
      tauDraws[p][i] = tau[p];
    }
    for (let j = 0; j < J; j++) {
      rowIndices[j][i] = row[j];
      visited[j].add(row[j]);
    }
    if (sweep === total - 1) {
      // end of a block: extend until every reported draw has mixed (a constant draw has τ = 1)
      taus = autocorrelation(kept);
      let worst = 0;
      for (const t of taus) if (Number.isFinite(t) && t > worst) worst = t;
      const needed = Math.ceil(worst * Math.max(tauFactor, minEss));
      if (kept < needed && kept < maxIterations) {
        const next = Math.min(maxIterations, Math.max(kept + Math.ceil(kept / 4), Math.min(2 * kept, Math.ceil(1.2 * needed))));
        if (next > capacity) grow(next);
        total += next - kept;
        kept = next;
        extensions++;
      }
    }
  }
  const mixedInterval = (draws: ArrayLike<number>, unit: string | undefined, tau: number): MixedInterval => ({ ...drawInterval(draws, unit), tau, ess: kept / tau });
  const tauOf = (p: number, k: number): number => taus[p * (2 + J) + k];

  muDraws = muDraws.map((a) => a.slice(0, kept));
  tauDraws = tauDraws.map((a) => a.slice(0, kept));
  rowIndices = rowIndices.map((a) => a.slice(0, kept));
  const results = parameters.map((parameter, p): TwoStageParameterResult => ({
    parameter: parameter.name,
    unit: parameter.unit,
    populationMedian: mixedInterval(muDraws[p].map(Math.exp), parameter.unit, tauOf(p, 0)),
    logSd: mixedInterval(tauDraws[p], "1 (log-sd)", tauOf(p, 1)),
    perCell: cells.map((c, j) => ({
      cell: c.cell,
      noPooling: drawInterval(Float64Array.from({ length: c.count }, (_, r) => c.rows[r * c.width + parameter.column]), parameter.unit),
      partialPooling: mixedInterval(Float64Array.from(rowIndices[j], (r) => c.rows[r * c.width + parameter.column]), parameter.unit, tauOf(p, 2 + j)),
    })),
  }));
  let maxTau = { name: "", tau: Number.NaN };
  let minEssReached = { name: "", ess: Number.NaN };
  taus.forEach((t, k) => {
    if (!Number.isFinite(t)) return;
    if (maxTau.name === "" || t > maxTau.tau) maxTau = { name: names[k], tau: t };
    if (minEssReached.name === "" || kept / t < minEssReached.ess) minEssReached = { name: names[k], ess: kept / t };
  });
  const mixed = kept >= tauFactor * maxTau.tau && minEssReached.ess >= minEss;
  const cellDiagnostics = cells.map((c, j) => ({ cell: c.cell, acceptance: accepted[j] / (kept * proposals), distinctRows: visited[j].size, stageOneRows: c.count }));
  const warnings = cellDiagnostics
    .filter((d) => d.acceptance < MIN_ACCEPTANCE || d.distinctRows < Math.min(MIN_DISTINCT_ROWS, d.stageOneRows / 2))
    .map(
      (d) =>
        `population: cell ${d.cell}'s own posterior rarely reaches where the population pulls it (row acceptance ${d.acceptance.toFixed(3)}, ${d.distinctRows} of ${d.stageOneRows} draws used): its pooled interval rests on few draws; a longer MCMC of that cell would help`,
    );
  if (!mixed) {
    warnings.push(
      `population: the Gibbs chain did not mix within ${kept} sweeps: τ up to ${maxTau.tau.toPrecision(3)} sweeps (${maxTau.name}) asks for ≥ ${Math.ceil(tauFactor * maxTau.tau)}, ESS down to ${minEssReached.ess.toPrecision(3)} (${minEssReached.name}) against ${minEss}`,
    );
  }
  return {
    parameters: results,
    rowIndices,
    sampling: {
      method: "two-stage Metropolis-within-Gibbs over the cells' own MCMC draws (Lunn et al. 2013)",
      iterations: kept,
      burn,
      proposalsPerSweep: proposals,
      mixed,
      minEss,
      tauFactor,
      extensions,
      maxTau,
      minEssReached,
      cells: cellDiagnostics,
      warnings,
    },
  };
}
