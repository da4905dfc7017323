/**
 * @module diagnosis/population
 * Sample-to-sample variation (issue 7 part 4): a hierarchical model across replicate
 * cells of one campaign. Each cell's growth parameter θ_c (positive: a rate, a first
 * thickness) is drawn from a log-normal population, ln θ_c ~ N(μ, τ²); μ (ln of the
 * population median) and τ (the population log-sd) are fitted with the cells.
 *
 * Two stages. Each cell's own MCMC posterior of ln θ_c is summarised as N(m_c, s_c²)
 * (its likelihood under a flat prior; near-Gaussian when a cell's data are informative,
 * which the diagnosis checks with its own flags). Given those, the hierarchy is solved
 * exactly rather than sampled (Gelman et al., BDA3 §5.4): with a flat prior on μ and a
 * uniform prior on τ ∈ [0, τ_max],
 *   p(τ | m) ∝ V_μ^½ Π_c (τ² + s_c²)^−½ exp(−Σ_c (m_c − μ̂)² / 2(τ² + s_c²)),
 *   μ | τ, m ~ N(μ̂, V_μ),  μ̂ = V_μ Σ_c m_c/(τ² + s_c²),  V_μ = 1/Σ_c 1/(τ² + s_c²),
 *   ln θ_c | μ, τ, m ~ N((m_c/s_c² + μ/τ²)/(1/s_c² + 1/τ²), 1/(1/s_c² + 1/τ²)),
 * evaluated on a grid of 500 points in τ, so the intervals carry no Monte Carlo noise: the
 * marginals of μ and of each ln θ_c are mixtures of normals over the τ grid, whose
 * quantiles are found by bisection.
 *
 * Models compared by WAIC on the cells' estimates (the "eight schools" comparison,
 * BDA3 §7.3): no pooling (each cell its own θ_c), complete pooling (one θ for all,
 * τ = 0) and partial pooling (the hierarchy); larger elpd is better.
 *
 * Units: those of the parameter (rates Å/s, Å²/s, …); τ is dimensionless (log-sd).
 */
import { ValidationError } from "../core/errors.ts";
import { createRandom, type Seed } from "../core/random.ts";
import { erfc } from "../params/special.ts";

/** One cell's posterior draws of a positive parameter. */
export interface CellDraws {
  readonly cell: string;
  readonly draws: Float64Array;
}

export interface QuantileInterval {
  median: number;
  lo95: number;
  hi95: number;
  lo68: number;
  hi68: number;
  unit?: string;
}

export interface PopulationModelComparison {
  model: "no pooling" | "complete pooling" | "partial pooling";
  /** expected log predictive density of the cells' estimates (WAIC), larger is better */
  elpd: number;
  /** effective number of parameters (WAIC) */
  pEffective: number;
  /** elpd difference to the best model (≤ 0) */
  deltaElpd: number;
}

export interface PopulationResult {
  parameter: string;
  unit: string;
  cells: number;
  /** e^μ: the population median of the parameter */
  populationMedian: QuantileInterval;
  /** τ: the population log-sd */
  logSd: QuantileInterval;
  /** each cell's parameter: its own posterior (no pooling) and with partial pooling */
  perCell: { cell: string; noPooling: QuantileInterval; partialPooling: QuantileInterval }[];
  comparison: PopulationModelComparison[];
}

/** Upper limit of the uniform prior on τ (a factor e⁵ ≈ 150 between cells at 1 sd). */
export const LOG_SD_PRIOR_MAX = 5;
/** Points of the τ grid. */
const TAU_GRID = 500;
/** Grid weights below this are left out of the mixtures (at most 500 × 1e-9 of probability). */
const NEGLIGIBLE_WEIGHT = 1e-9;
const Z95 = 1.959963984540054;
const Z68 = 0.994457883209753;

const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/**
 * The first index whose running total reaches u (inverse-CDF draw on a grid).
 * @param cumulative - non-decreasing running totals
 * @param u - a value in [0, last total]
 * @returns index in [0, cumulative.length − 1]
 */
export function firstReaching(cumulative: Float64Array, u: number): number {
  let a = 0;
  let b = cumulative.length - 1;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (cumulative[mid] < u) a = mid + 1;
    else b = mid;
  }
  return a;
}

/**
 * The hierarchical model of one parameter across cells.
 * @param parameter - the parameter's name (e.g. "k")
 * @param unit - its unit
 * @param cells - each cell's posterior draws of the parameter (all > 0)
 * @param seed - seed of the draws used for WAIC
 * @returns population median and log-sd with intervals, per-cell intervals with and without pooling, model comparison
 * @throws {ValidationError} with fewer than 2 cells, or draws that are not positive and finite
 * @example
 * const result = populationModel("k", "Å/s", [{ cell: "A", draws }, { cell: "B", draws: drawsB }, ...], 1);
 */
export function populationModel(parameter: string, unit: string, cells: readonly CellDraws[], seed: Seed = 1): PopulationResult {
  if (cells.length < 2) throw new ValidationError("population", "needs at least 2 cells", cells.length);
  const J = cells.length;
  const m = new Float64Array(J);
  const s2 = new Float64Array(J);
  cells.forEach((c, j) => {
    if (c.draws.length < 2) throw new ValidationError(`population.${c.cell}.${parameter}`, "needs at least 2 posterior draws", c.draws.length);
    let sum = 0;
    for (const x of c.draws) {
      if (!(x > 0) || !Number.isFinite(x)) throw new ValidationError(`population.${c.cell}.${parameter}`, "draws must be positive and finite for a log-normal population", x);
      sum += Math.log(x);
    }
    const mean = sum / c.draws.length;
    let ss = 0;
    for (const x of c.draws) ss += (Math.log(x) - mean) ** 2;
    m[j] = mean;
    s2[j] = Math.max(ss / (c.draws.length - 1), 1e-300);
  });

  // p(τ | m) on a grid (midpoints of [0, τ_max]), normalised; with μ̂(τ), V_μ(τ)
  const tau = new Float64Array(TAU_GRID);
  const weight = new Float64Array(TAU_GRID);
  const muHat = new Float64Array(TAU_GRID);
  const muVar = new Float64Array(TAU_GRID);
  let maxLog = -Infinity;
  const logWeight = new Float64Array(TAU_GRID);
  for (let g = 0; g < TAU_GRID; g++) {
    const t = ((g + 0.5) / TAU_GRID) * LOG_SD_PRIOR_MAX;
    tau[g] = t;
    let sw = 0;
    let swm = 0;
    for (let j = 0; j < J; j++) {
      const w = 1 / (t * t + s2[j]);
      sw += w;
      swm += w * m[j];
    }
    const mu = swm / sw;
    let log = -0.5 * Math.log(sw);
    for (let j = 0; j < J; j++) {
      const v = t * t + s2[j];
      log += -0.5 * Math.log(v) - ((m[j] - mu) ** 2) / (2 * v);
    }
    muHat[g] = mu;
    muVar[g] = 1 / sw;
    logWeight[g] = log;
    if (log > maxLog) maxLog = log;
  }
  let total = 0;
  for (let g = 0; g < TAU_GRID; g++) total += weight[g] = Math.exp(logWeight[g] - maxLog);
  for (let g = 0; g < TAU_GRID; g++) weight[g] /= total;

  // τ quantiles from the grid CDF (linear within cells)
  const tauQuantile = (q: number): number => {
    let cumulative = 0;
    const h = LOG_SD_PRIOR_MAX / TAU_GRID;
    for (let g = 0; g < TAU_GRID; g++) {
      if (cumulative + weight[g] >= q) return g * h + ((q - cumulative) / weight[g]) * h;
      cumulative += weight[g];
    }
    return LOG_SD_PRIOR_MAX;
  };
  const logSd: QuantileInterval = { median: tauQuantile(0.5), lo95: tauQuantile(0.025), hi95: tauQuantile(0.975), lo68: tauQuantile(0.16), hi68: tauQuantile(0.84), unit: "1 (log-sd)" };

  // mixtures of normals over the τ grid: μ, and each cell's ln θ_c
  const mixtureInterval = (mean: (g: number) => number, variance: (g: number) => number, transform: (x: number) => number): QuantileInterval => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let g = 0; g < TAU_GRID; g++) {
      if (weight[g] < NEGLIGIBLE_WEIGHT) continue;
      const sd = Math.sqrt(variance(g));
      lo = Math.min(lo, mean(g) - 8 * sd);
      hi = Math.max(hi, mean(g) + 8 * sd);
    }
    const cdf = (x: number): number => {
      let c = 0;
      for (let g = 0; g < TAU_GRID; g++) if (weight[g] >= NEGLIGIBLE_WEIGHT) c += weight[g] * normalCdf((x - mean(g)) / Math.sqrt(variance(g)));
      return c;
    };
    const quantile = (q: number): number => {
      let a = lo;
      let b = hi;
      for (let i = 0; i < 44; i++) {
        const mid = 0.5 * (a + b);
        if (cdf(mid) < q) a = mid;
        else b = mid;
      }
      return transform(0.5 * (a + b));
    };
    return { median: quantile(0.5), lo95: quantile(0.025), hi95: quantile(0.975), lo68: quantile(0.16), hi68: quantile(0.84), unit };
  };
  const populationMedian = mixtureInterval((g) => muHat[g], (g) => muVar[g], Math.exp);
  const perCell = cells.map((c, j) => {
    // ln θ_c | τ, m: mean a·m_c + (1 − a)·μ̂, variance a·s_c² + (1 − a)²·V_μ, a = τ²/(τ² + s_c²)
    const a = (g: number): number => (tau[g] * tau[g]) / (tau[g] * tau[g] + s2[j]);
    const partialPooling = mixtureInterval(
      (g) => a(g) * m[j] + (1 - a(g)) * muHat[g],
      (g) => a(g) * s2[j] + (1 - a(g)) ** 2 * muVar[g],
      Math.exp,
    );
    const sd = Math.sqrt(s2[j]);
    const noPooling: QuantileInterval = { median: Math.exp(m[j]), lo95: Math.exp(m[j] - Z95 * sd), hi95: Math.exp(m[j] + Z95 * sd), lo68: Math.exp(m[j] - Z68 * sd), hi68: Math.exp(m[j] + Z68 * sd), unit };
    return { cell: c.cell, noPooling, partialPooling };
  });

  // WAIC of the cells' estimates m_c under each model, from posterior draws
  const random = createRandom(seed);
  const draws = 4000;
  const logLik = (j: number, theta: number): number => -0.5 * Math.log(2 * Math.PI * s2[j]) - ((m[j] - theta) ** 2) / (2 * s2[j]);
  const cumulativeWeight = new Float64Array(TAU_GRID);
  for (let g = 0, c = 0; g < TAU_GRID; g++) cumulativeWeight[g] = c += weight[g];
  const drawTauIndex = (): number => firstReaching(cumulativeWeight, random.next());
  const waic = (sampleTheta: (j: number, state: { g: number; mu: number }) => number, prepare: () => { g: number; mu: number }): { elpd: number; p: number } => {
    const ll = Array.from({ length: J }, () => new Float64Array(draws));
    for (let i = 0; i < draws; i++) {
      const state = prepare();
      for (let j = 0; j < J; j++) ll[j][i] = logLik(j, sampleTheta(j, state));
    }
    let elpd = 0;
    let p = 0;
    for (let j = 0; j < J; j++) {
      const row = ll[j];
      const max = Math.max(...row);
      let sum = 0;
      let mean = 0;
      for (const v of row) {
        sum += Math.exp(v - max);
        mean += v;
      }
      mean /= draws;
      let variance = 0;
      for (const v of row) variance += (v - mean) ** 2;
      variance /= draws - 1;
      elpd += max + Math.log(sum / draws) - variance;
      p += variance;
    }
    return { elpd, p };
  };
  const none = waic((j) => m[j] + Math.sqrt(s2[j]) * random.normal(), () => ({ g: 0, mu: 0 }));
  // complete pooling: τ = 0, μ ~ N(μ̂(0), V_μ(0)) with the weights 1/s_c²
  let sw0 = 0;
  let swm0 = 0;
  for (let j = 0; j < J; j++) {
    sw0 += 1 / s2[j];
    swm0 += m[j] / s2[j];
  }
  const complete = waic((_j, state) => state.mu, () => ({ g: 0, mu: swm0 / sw0 + Math.sqrt(1 / sw0) * random.normal() }));
  const partial = waic(
    (j, state) => {
      const t2 = tau[state.g] * tau[state.g];
      const v = 1 / (1 / s2[j] + 1 / t2);
      return v * (m[j] / s2[j] + state.mu / t2) + Math.sqrt(v) * random.normal();
    },
    () => {
      const g = drawTauIndex();
      return { g, mu: muHat[g] + Math.sqrt(muVar[g]) * random.normal() };
    },
  );
  const scores = [
    { model: "no pooling" as const, ...none },
    { model: "complete pooling" as const, ...complete },
    { model: "partial pooling" as const, ...partial },
  ];
  const bestElpd = Math.max(...scores.map((s) => s.elpd));
  const comparison = scores
    .map((s) => ({ model: s.model, elpd: s.elpd, pEffective: s.p, deltaElpd: s.elpd - bestElpd }))
    .sort((a, b) => b.elpd - a.elpd);
  return { parameter, unit, cells: J, populationMedian, logSd, perCell, comparison };
}
