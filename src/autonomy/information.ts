/**
 * @module autonomy/information
 * What a hypothetical measurement would tell (issue 18 part 1): the predicted reflectivity
 * of a candidate scan under the live posterior's law, its expected Poisson counts, its dose,
 * and its Fisher information about the posterior's parameters (Durant et al., J. Appl.
 * Cryst. 54, 1100 (2021); operando.md §5.3):
 *
 *   F_ij = Σ_k (N_k / r_k) ∂r_k/∂θ_i ∂r_k/∂θ_j,   N_k = incident counts of point k,
 *
 * r_k the model reflectivity (scale, background and geometry included) at the posterior's
 * weighted mean. The forward model is the diagnosis's own (diagnosis/seriesModel): one
 * single-scan series in free-thickness mode per Q grid, evaluated with the data set to
 * R = 0, σ = 1 so that its residuals are the model curve. Derivatives by forward
 * differences: with respect to the interphase thickness L and each shared parameter
 * (stack, instrument, interphase roughness and density) directly, and with respect to the
 * law and damage parameters through the chain rule, ∂r/∂θ_law = ∂r/∂L · ∂L/∂θ_law (the
 * law's thickness L(t) = law(t) + damage(D) is the only way they enter a scan, as in the
 * law-mode series).
 *
 * Incident counts: a Poisson scan with incident counts N has R = counts/N and σ_R = √counts/N,
 * so N = R/σ_R² at every point of the scans measured so far. Their counting rate per point
 * and per second of dwell is fitted as a power law of Q (log N/τ = a + b log Q over every
 * point of every scan, τ = exposure / points), so a candidate's counts follow the campaign's
 * own instrument (flux, detector, attenuators, counting strategy) — the counts the
 * diagnosis's likelihood sees. Without scans, N_k = flux × τ × footprint fraction
 * (the manifest's beam). The dose of a candidate is the dose ledger's (confounders/dose
 * exposureDose) for its Q points and counting time.
 *
 * Units: time s (campaign clock), dose Gy, thickness Å, Q Å⁻¹, counting time s, counts.
 */
import { ValidationError } from "../core/errors.ts";
import { GROWTH_LAWS, type LawName, type SeriesScales } from "../models/growthLaws.ts";
import { DAMAGE_MODELS, type DamageName } from "../models/damageModels.ts";
import type { Campaign } from "../campaign/campaign.ts";
import { exposureDose, resolveDoseSetup, type DoseSetup } from "../confounders/index.ts";
import { seriesObjective, type SeriesInput, type SeriesObjective } from "../diagnosis/seriesModel.ts";
import type { CellDiagnosisInput } from "../diagnosis/diagnoseCell.ts";
import type { LiveCell } from "../diagnosis/live.ts";
import type { ScanSetting } from "./types.ts";

/** Forward-difference step of a parameter, as a fraction of its posterior sd. */
export const FD_STEP_SD = 1e-3;
/** Smallest model reflectivity a point's Poisson weight N/r divides by (a model at 0 carries no counts). */
const MIN_REFLECTIVITY = 1e-14;
/** Fewest measured points (R > 0) the counting-rate fit needs; below, the manifest's flux is used. */
const MIN_RATE_POINTS = 5;
/** Name of the free thickness of the single-scan series (seriesModel's key of scan 0). */
const THICKNESS_NAME = "thickness_0";

/** The posterior of a live cell as arrays: draws, weights, moments. */
export interface PosteriorView {
  law: LawName;
  damage: DamageName;
  names: string[];
  /** draws, n × p row-major */
  draws: Float64Array;
  weights: Float64Array;
  mean: Float64Array;
  sd: Float64Array;
  /** covariance, p × p */
  covariance: Float64Array;
  /** correlation, p × p (the covariance in units of the sds) */
  correlation: Float64Array;
  /** columns of the law's parameters (L0 first), of the damage parameters */
  lawColumns: Int32Array;
  damageColumns: Int32Array;
  scales: SeriesScales;
}

/**
 * The posterior of a live cell as arrays: weighted draws, mean, covariance.
 * @throws ValidationError when the cell has no posterior yet (fewer than 3 scans, or no law fitted)
 */
export function posteriorView(cell: LiveCell): PosteriorView {
  const posterior = cell.posterior;
  const scales = cell.resume.scales;
  if (!posterior || !scales) throw new ValidationError(`cells[${cell.id}].posterior`, "is missing: the cell has no posterior yet (a growth law needs at least 3 scans); nothing to plan from");
  const names = [...posterior.draws.names];
  const p = names.length;
  const n = posterior.draws.values.length;
  const draws = new Float64Array(n * p);
  posterior.draws.values.forEach((row, i) => draws.set(row, i * p));
  const max = Math.max(...posterior.logWeights);
  const weights = Float64Array.from(posterior.logWeights, (w) => Math.exp(w - max));
  const total = weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) weights[i] /= total;
  const { mean, covariance } = weightedMoments(draws, weights, p);
  const sd = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    // a parameter the draws do not move (a bound) keeps a tiny sd so the correlation exists
    const floor = 1e-9 * Math.max(Math.abs(mean[j]), 1e-12);
    sd[j] = Math.sqrt(Math.max(covariance[j * p + j], floor * floor));
    covariance[j * p + j] = sd[j] * sd[j];
  }
  const correlation = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) correlation[a * p + b] = covariance[a * p + b] / (sd[a] * sd[b]);
  const column = (name: string): number => {
    const j = names.indexOf(name);
    if (j < 0) throw new ValidationError(`cells[${cell.id}].posterior.draws.names`, `has no ${name} (the ${posterior.law} law's parameter)`, names);
    return j;
  };
  const lawColumns = Int32Array.from(GROWTH_LAWS[posterior.law].parameters(scales), (s) => column(s.name));
  const damageColumns = Int32Array.from(DAMAGE_MODELS[posterior.damage].parameters({ maxDose: 1, magnitude: 1 }), (s) => column(s.name));
  return { law: posterior.law, damage: posterior.damage, names, draws, weights, mean, sd, covariance, correlation, lawColumns, damageColumns, scales };
}

/** Weighted mean and covariance of n × p draws. */
export function weightedMoments(draws: Float64Array, weights: Float64Array, p: number): { mean: Float64Array; covariance: Float64Array } {
  const n = weights.length;
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += weights[i] * draws[i * p + j];
  const covariance = new Float64Array(p * p);
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    for (let a = 0; a < p; a++) {
      const da = draws[i * p + a] - mean[a];
      for (let b = 0; b <= a; b++) covariance[a * p + b] += w * da * (draws[i * p + b] - mean[b]);
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) covariance[b * p + a] = covariance[a * p + b];
  return { mean, covariance };
}

/** How many incident counts a point of a candidate scan gets. */
export interface CountingModel {
  /** "measured": from the scans' error bars (N = R/σ²); "flux": the manifest's flux */
  source: "measured" | "flux";
  /** incident counts per second of dwell at Q: exp(a) · Q^b */
  a: number;
  b: number;
  /** one line saying where the counts come from */
  note: string;
}

/**
 * The counting rate of the campaign's scans: log(N/τ) = a + b·log Q fitted over every
 * measured point (N = R/σ_R², τ = exposure / points); the manifest's flux when no scan has
 * usable points.
 */
export function countingModel(campaign: Campaign, cellIndex: number): CountingModel {
  const cell = campaign.cells[cellIndex];
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let count = 0;
  for (const scan of cell.scans) {
    const { q, r, dr } = scan.data;
    if (q.length === 0 || !(scan.exposure_s > 0)) continue;
    const dwell = scan.exposure_s / q.length;
    for (let k = 0; k < q.length; k++) {
      if (!(r[k] > 0 && dr[k] > 0 && q[k] > 0)) continue;
      const x = Math.log(q[k]);
      const y = Math.log(r[k] / (dr[k] * dr[k]) / dwell);
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      count++;
    }
  }
  if (count >= MIN_RATE_POINTS) {
    const denominator = count * sxx - sx * sx;
    const b = denominator > 1e-12 * count * count ? (count * sxy - sx * sy) / denominator : 0;
    const a = (sy - b * sx) / count;
    return { source: "measured", a, b, note: `counts from the measured scans' error bars (N = R/σ², ${count} points): N/τ = ${Math.exp(a).toPrecision(3)}·Q^${b.toFixed(2)} per s of dwell` };
  }
  const flux = campaign.manifest.beam.flux_per_s;
  if (flux === undefined || !(flux > 0)) {
    throw new ValidationError("beam.flux_per_s", "is missing and no scan has counts yet: the expected counts of a candidate scan need the flux or a measured scan");
  }
  return { source: "flux", a: Math.log(flux), b: 0, note: `counts from the manifest's flux (${flux.toPrecision(3)} /s), no scan measured yet` };
}

/** A candidate reflectivity scan: when, at what dose history, which Q grid. */
export interface CandidateScan {
  /** mid-exposure time, s */
  time_s: number;
  /** reduction charge per area at that time, C/cm² (charge law) */
  qred_C_per_cm2: number;
  /** the spot's accumulated dose at mid exposure, Gy */
  dose_Gy: number;
  setting: ScanSetting;
}

/** A Q grid's single-scan forward model (built once per grid). */
interface GridModel {
  q: Float64Array;
  series: SeriesObjective;
  /** free-mode vector position → posterior column (−1: the thickness) */
  sources: Int32Array;
  thicknessSlot: number;
  vector: Float64Array;
  curve: Float64Array;
  shifted: Float64Array;
  /** ∂r/∂ψ (ψ = free-mode vector), n × m row-major */
  jacobian: Float64Array;
}

/** The Jacobian of a candidate: ∂r/∂θ (posterior order) and ∂r/∂L, with the curve and weights N/r per unit dwell. */
export interface CandidateJacobian {
  points: number;
  /** model reflectivity at the posterior mean */
  curve: Float64Array;
  /** ∂r_k/∂θ_j, n × p row-major */
  dTheta: Float64Array;
  /** ∂r_k/∂L */
  dThickness: Float64Array;
  /** incident counts per point per second of counting time (N_k = rate_k · countTime) */
  countsPerSecond: Float64Array;
  /** the thickness L (chemistry + damage) at the posterior mean */
  thickness_A: number;
}

/**
 * Forward model and Fisher information of candidate scans for one cell's posterior. Build
 * once per plan; each Q grid's series is built on first use.
 */
export class ScanForecaster {
  readonly view: PosteriorView;
  readonly series: SeriesInput;
  readonly counting: CountingModel;
  readonly doseSetup: DoseSetup | undefined;
  readonly #grids = new Map<string, GridModel>();
  readonly #lawValues: Float64Array;
  readonly #damageValues: Float64Array;
  readonly #dqOverQ: number;

  constructor(view: PosteriorView, input: CellDiagnosisInput, campaign: Campaign, cellIndex: number) {
    this.view = view;
    this.series = input.series;
    this.counting = countingModel(campaign, cellIndex);
    const beam = campaign.manifest.beam;
    const setup = beam.probe === "xray" ? resolveDoseSetup(beam, campaign.cells[cellIndex].manifestCell, `cells[${cellIndex}]`) : undefined;
    this.doseSetup = setup?.ok ? setup.value : undefined;
    this.#lawValues = new Float64Array(view.lawColumns.length);
    this.#damageValues = new Float64Array(view.damageColumns.length);
    // the candidates' resolution: the measured scans' median dQ/Q (unsmeared without one)
    const ratios: number[] = [];
    for (const scan of input.series.scans) {
      const dq = scan.data.dq;
      if (!dq) continue;
      for (let k = 0; k < dq.length; k += Math.max(1, Math.floor(dq.length / 16))) if (scan.data.q[k] > 0 && dq[k] > 0) ratios.push(dq[k] / scan.data.q[k]);
    }
    ratios.sort((a, b) => a - b);
    this.#dqOverQ = ratios.length > 0 ? ratios[ratios.length >> 1] : 0;
  }

  /** The law's (chemistry) thickness at t for θ in posterior order. */
  lawThickness(theta: ArrayLike<number>, time_s: number, qred: number): number {
    const v = this.#lawValues;
    for (let j = 0; j < v.length; j++) v[j] = theta[this.view.lawColumns[j]];
    return GROWTH_LAWS[this.view.law].evaluate(v, time_s, qred, this.series.thicknessPerCharge);
  }

  /** The thickness a scan sees: the law's plus the damage term at the spot's dose. */
  observedThickness(theta: ArrayLike<number>, time_s: number, qred: number, dose_Gy: number): number {
    const d = this.#damageValues;
    for (let j = 0; j < d.length; j++) d[j] = theta[this.view.damageColumns[j]];
    return this.lawThickness(theta, time_s, qred) + DAMAGE_MODELS[this.view.damage].evaluate(d, dose_Gy);
  }

  /** ∂L_chemistry(t)/∂θ (posterior order; zero outside the law's columns), forward differences. */
  thicknessGradient(time_s: number, qred: number, out = new Float64Array(this.view.names.length)): Float64Array {
    out.fill(0);
    const theta = Float64Array.from(this.view.mean);
    const base = this.lawThickness(theta, time_s, qred);
    for (const j of this.view.lawColumns) {
      const h = FD_STEP_SD * this.view.sd[j];
      theta[j] += h;
      out[j] = (this.lawThickness(theta, time_s, qred) - base) / h;
      theta[j] = this.view.mean[j];
    }
    return out;
  }

  /** The Q points of a setting (evenly spaced from qMin to qMax). */
  static grid(setting: ScanSetting): Float64Array {
    const n = setting.points;
    return Float64Array.from({ length: n }, (_, k) => (n === 1 ? setting.qMin : setting.qMin + ((setting.qMax - setting.qMin) * k) / (n - 1)));
  }

  /** Dose of a scan of this setting (Gy), or 0 when the ledger cannot compute one (neutrons, missing inputs). */
  scanDose(setting: ScanSetting): number {
    if (!this.doseSetup) return 0;
    return exposureDose(this.doseSetup, ScanForecaster.grid(setting), setting.countTime_s).dose_Gy ?? 0;
  }

  #grid(setting: ScanSetting): GridModel {
    const key = `${setting.qMin}:${setting.qMax}:${setting.points}`;
    let grid = this.#grids.get(key);
    if (grid) return grid;
    const q = ScanForecaster.grid(setting);
    const n = q.length;
    const data = {
      source: `candidate ${setting.qMin}–${setting.qMax} Å⁻¹`,
      q,
      r: new Float64Array(n),
      dr: new Float64Array(n).fill(1),
      dq: this.#dqOverQ > 0 ? Float64Array.from(q, (x) => x * this.#dqOverQ) : undefined,
      warnings: [],
    };
    const single: SeriesInput = { ...this.series, scans: [{ id: "candidate", spot: "candidate", time_s: 0, qred_C_per_cm2: 0, data }] };
    const series = seriesObjective(single, { kind: "free" }, this.view.scales);
    const names = series.objective.names;
    const sources = Int32Array.from(names, (name) => {
      if (name === THICKNESS_NAME) return -1;
      const j = this.view.names.indexOf(name);
      if (j < 0) throw new ValidationError(`cells[${this.series.cell}].posterior.draws.names`, `has no ${name}, a parameter of the cell's scan model`, this.view.names);
      return j;
    });
    const m = names.length;
    grid = { q, series, sources, thicknessSlot: names.indexOf(THICKNESS_NAME), vector: new Float64Array(m), curve: new Float64Array(n), shifted: new Float64Array(n), jacobian: new Float64Array(n * m) };
    this.#grids.set(key, grid);
    return grid;
  }

  /** The model curve of a candidate at θ (posterior order) into `out` (allocated when omitted). */
  curve(theta: ArrayLike<number>, scan: CandidateScan, out?: Float64Array): Float64Array {
    const grid = this.#grid(scan.setting);
    const thickness = this.observedThickness(theta, scan.time_s, scan.qred_C_per_cm2, scan.dose_Gy);
    this.#fill(grid, theta, thickness);
    const result = out ?? new Float64Array(grid.q.length);
    grid.series.objective.residuals(grid.vector, result);
    return result;
  }

  #fill(grid: GridModel, theta: ArrayLike<number>, thickness: number): void {
    for (let s = 0; s < grid.sources.length; s++) grid.vector[s] = grid.sources[s] < 0 ? thickness : theta[grid.sources[s]];
  }

  /** Incident counts per point per second of counting time of a setting. */
  countsPerSecond(setting: ScanSetting, out = new Float64Array(setting.points)): Float64Array {
    const q = ScanForecaster.grid(setting);
    const dwellFraction = 1 / setting.points;
    for (let k = 0; k < q.length; k++) out[k] = Math.exp(this.counting.a + this.counting.b * Math.log(Math.max(q[k], 1e-12))) * dwellFraction;
    return out;
  }

  /**
   * The curve and its derivatives at the posterior mean for a candidate: ∂r/∂L and every
   * shared parameter by forward differences of the series model, the law and damage
   * parameters by the chain rule.
   */
  jacobian(scan: CandidateScan): CandidateJacobian {
    const grid = this.#grid(scan.setting);
    const view = this.view;
    const p = view.names.length;
    const n = grid.q.length;
    const m = grid.sources.length;
    const mean = view.mean;
    const thickness = this.observedThickness(mean, scan.time_s, scan.qred_C_per_cm2, scan.dose_Gy);
    this.#fill(grid, mean, thickness);
    const objective = grid.series.objective;
    objective.residuals(grid.vector, grid.curve);
    const sdThickness = this.#thicknessSd(scan);
    for (let s = 0; s < m; s++) {
      const source = grid.sources[s];
      const base = grid.vector[s];
      const h = FD_STEP_SD * (source < 0 ? sdThickness : view.sd[source]);
      grid.vector[s] = base + h;
      objective.residuals(grid.vector, grid.shifted);
      grid.vector[s] = base;
      for (let k = 0; k < n; k++) grid.jacobian[k * m + s] = (grid.shifted[k] - grid.curve[k]) / h;
    }
    const dThickness = new Float64Array(n);
    const dTheta = new Float64Array(n * p);
    for (let k = 0; k < n; k++) dThickness[k] = grid.jacobian[k * m + grid.thicknessSlot];
    for (let s = 0; s < m; s++) {
      const source = grid.sources[s];
      if (source < 0) continue;
      for (let k = 0; k < n; k++) dTheta[k * p + source] = grid.jacobian[k * m + s];
    }
    // law and damage parameters: ∂r/∂θ = ∂r/∂L · ∂L/∂θ
    const theta = Float64Array.from(mean);
    for (const j of [...view.lawColumns, ...view.damageColumns]) {
      const h = FD_STEP_SD * view.sd[j];
      theta[j] += h;
      const dL = (this.observedThickness(theta, scan.time_s, scan.qred_C_per_cm2, scan.dose_Gy) - thickness) / h;
      theta[j] = mean[j];
      for (let k = 0; k < n; k++) dTheta[k * p + j] = dThickness[k] * dL;
    }
    return { points: n, curve: Float64Array.from(grid.curve), dTheta, dThickness, countsPerSecond: this.countsPerSecond(scan.setting), thickness_A: thickness };
  }

  /** The posterior sd of the thickness a candidate sees (the finite-difference scale of ∂r/∂L). */
  #thicknessSd(scan: CandidateScan): number {
    const g = this.thicknessGradient(scan.time_s, scan.qred_C_per_cm2);
    const p = this.view.names.length;
    let v = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) v += g[a] * this.view.covariance[a * p + b] * g[b];
    return Math.max(Math.sqrt(v), 1e-2);
  }
}

/**
 * Fisher information of a candidate about the posterior's parameters in units of their
 * posterior sds (F_z = D F D, D = diag(sd)), for `countTime_s` of counting: Σ_k (N_k/r_k)
 * ∂r_k/∂z_i ∂r_k/∂z_j. `extra` appends columns (e.g. a hypothetical damage term) given as
 * ∂r/∂x per point in their own units and the scale to standardise them by.
 */
export function standardisedFisher(
  jacobian: CandidateJacobian,
  sd: Float64Array,
  countTime_s: number,
  extra: { column: Float64Array; scale: number }[] = [],
): Float64Array {
  const p = sd.length;
  const q = p + extra.length;
  const n = jacobian.points;
  const out = new Float64Array(q * q);
  const row = new Float64Array(q);
  for (let k = 0; k < n; k++) {
    const r = Math.max(jacobian.curve[k], MIN_REFLECTIVITY);
    const w = (jacobian.countsPerSecond[k] * countTime_s) / r;
    for (let j = 0; j < p; j++) row[j] = jacobian.dTheta[k * p + j] * sd[j];
    for (let e = 0; e < extra.length; e++) row[p + e] = extra[e].column[k] * extra[e].scale;
    for (let a = 0; a < q; a++) {
      const wa = w * row[a];
      if (wa === 0) continue;
      for (let b = 0; b <= a; b++) out[a * q + b] += wa * row[b];
    }
  }
  for (let a = 0; a < q; a++) for (let b = 0; b < a; b++) out[b * q + a] = out[a * q + b];
  return out;
}

/**
 * The information a candidate gives about its own thickness L (marginal over the shared
 * parameters, whose posterior is taken as their prior): 1/σ_L², σ_L² = [(F_ψ + P)⁻¹]_LL with
 * ψ = (L, shared), F_ψ the candidate's Fisher information and P the posterior precision of
 * the shared parameters. Used by the law target (how well the scan measures the thickness
 * the laws disagree on).
 */
export function thicknessPrecision(jacobian: CandidateJacobian, view: PosteriorView, sharedPrecision: { columns: Int32Array; precision: Float64Array }, countTime_s: number): number {
  const { columns, precision } = sharedPrecision;
  const s = columns.length;
  const q = s + 1;
  const n = jacobian.points;
  const p = view.names.length;
  const f = new Float64Array(q * q);
  const row = new Float64Array(q);
  for (let k = 0; k < n; k++) {
    const w = (jacobian.countsPerSecond[k] * countTime_s) / Math.max(jacobian.curve[k], MIN_REFLECTIVITY);
    row[0] = jacobian.dThickness[k];
    for (let c = 0; c < s; c++) row[c + 1] = jacobian.dTheta[k * p + columns[c]] * view.sd[columns[c]];
    for (let a = 0; a < q; a++) for (let b = 0; b <= a; b++) f[a * q + b] += w * row[a] * row[b];
  }
  for (let a = 0; a < q; a++) for (let b = 0; b < a; b++) f[b * q + a] = f[a * q + b];
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) f[(a + 1) * q + (b + 1)] += precision[a * s + b];
  // Schur complement: 1/σ_L² = f_LL − f_Ls (f_ss)⁻¹ f_sL
  const fss = new Float64Array(s * s);
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) fss[a * s + b] = f[(a + 1) * q + (b + 1)];
  const inverse = symmetricInverse(fss, s);
  let correction = 0;
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) correction += f[a + 1] * inverse[a * s + b] * f[b + 1];
  return Math.max(f[0] - correction, 0);
}

/** Inverse of a symmetric positive (semi)definite matrix by Cholesky with a growing ridge. */
export function symmetricInverse(m: Float64Array, p: number): Float64Array {
  if (p === 0) return new Float64Array(0);
  let scale = 0;
  for (let j = 0; j < p; j++) scale = Math.max(scale, Math.abs(m[j * p + j]));
  if (!(scale > 0)) scale = 1;
  for (let ridge = 0; ; ridge = ridge === 0 ? 1e-12 * scale : ridge * 100) {
    const factor = choleskyLower(m, p, ridge);
    if (factor) return choleskyInverseOf(factor, p);
    if (ridge > scale) throw new ValidationError("covariance", "is not positive definite even with a ridge", p);
  }
}

function choleskyLower(m: Float64Array, p: number, ridge: number): Float64Array | undefined {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * p + j] + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) sum -= l[i * p + k] * l[j * p + k];
      if (i === j) {
        if (!(sum > 0)) return undefined;
        l[i * p + i] = Math.sqrt(sum);
      } else l[i * p + j] = sum / l[j * p + j];
    }
  }
  return l;
}

function choleskyInverseOf(l: Float64Array, p: number): Float64Array {
  const inverseL = new Float64Array(p * p);
  for (let c = 0; c < p; c++) {
    for (let r = c; r < p; r++) {
      let sum = r === c ? 1 : 0;
      for (let k = c; k < r; k++) sum -= l[r * p + k] * inverseL[k * p + c];
      inverseL[r * p + c] = sum / l[r * p + r];
    }
  }
  const out = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      let sum = 0;
      for (let k = a; k < p; k++) sum += inverseL[k * p + a] * inverseL[k * p + b];
      out[a * p + b] = sum;
      out[b * p + a] = sum;
    }
  }
  return out;
}
