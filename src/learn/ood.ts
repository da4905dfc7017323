/**
 * @module learn/ood
 * The estimator's out-of-distribution score (issue 19 part 4): one number per curve, large for
 * curves unlike the generator's, so that `strata fit --start auto` falls back to a global
 * search instead of trusting the network, and the result says why.
 *
 * Four components, each divided by its own in-domain 97.5th percentile (its *scale*):
 * * - `curve`: Mahalanobis distance (root mean square of the whitened vector) of the curve
 *   features the network reads — (log10 R − centre)/span on the probe's grid, 0 where
 *   unmeasured, as learn/generator `encodeInput` writes them — to their in-domain mean and
 *   covariance (per probe, ridge-regularised: {@link OOD_RIDGE} × the mean variance added to
 *   the diagonal);
 * - `spectrum`: the same (per family) for the curve's oscillation spectrum — log10(R·Q⁴) over
 *   the measured range (gaps interpolated), a straight line removed, a Hann window, and the
 *   log magnitude of its Fourier components 1–{@link SPECTRUM_FEATURES} on the grid's spacing
 *   (Kiessig fringes of each thickness, Bragg peaks of a periodic stack: the Patterson view);
 * - `hidden`: the same for the network's last hidden layer (256 ReLU activations) — what the
 *   network made of the curve and the bounds;
 * - `misfit`: the root mean square of ln R_measured − ln R_model over the measured grid points,
 *   the model being the family's curve at the network's own estimate (scale per family).
 * The score is the root mean square of the four (measured against their largest: 243 against
 * 223 of bench/learnOod.ts's 600 out-of-domain curves flagged at the same false-alarm rate); the threshold is its 97.5th percentile over
 * calibration curves of a seed not used for the statistics (a ≤ 5 % false-alarm rate by
 * construction, {@link OOD_FALSE_ALARM_QUANTILE}).
 *
 * Statistics (`weights/ood-v<layout>.json` and `.bin`, written by scripts/oodStats.ts, float32:
 * the curve Gaussians per family, the spectrum ones per family, the hidden ones per probe, each
 * its mean then the packed lower triangle of the covariance's Cholesky factor row by row) name the estimator weights' SHA-256: a
 * retrain invalidates them (loading refuses them).
 *
 * Units: R dimensionless; Q Å⁻¹; the score and its components are dimensionless.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ValidationError } from "../core/errors.ts";
import { cholesky, forwardSubstitution } from "../core/linalg.ts";
import type { Seed } from "../core/random.ts";
import { createCurveModel, encodeInput, generateSample, GRID_POINTS, LAYOUT_VERSION, MAX_LAYERS, PROBES, type FamilyPrior, type LearnProbe } from "./generator.ts";
import { defaultWeightsFolder, estimateOnGrid, type Estimate, type Estimator } from "./estimator.ts";
import { HIDDEN_UNITS } from "./network.ts";

/** Ridge added to each covariance's diagonal, as a fraction of its mean variance. */
export const OOD_RIDGE = 0.01;
/** Quantile of in-domain scores at which each scale and the threshold are set (false alarms ≤ 1 − this). */
export const OOD_FALSE_ALARM_QUANTILE = 0.975;
/** Curve features per probe: log R per grid point (the mask is implied by the zeros). */
const CURVE_FEATURES = GRID_POINTS;
/** Fourier components of the spectrum feature (1 … the grid's Nyquist frequency). */
export const SPECTRUM_FEATURES = GRID_POINTS / 2;
/** Floor added to a spectrum magnitude before its logarithm (log10(R·Q⁴) units). */
const SPECTRUM_FLOOR = 1e-3;
/** Fewest statistics curves of a family for its Gaussian and scales. */
const MIN_FAMILY_CURVES = 200;
const HIDDEN_FEATURES = HIDDEN_UNITS[HIDDEN_UNITS.length - 1];
/** A grid point whose model R is not positive counts as this ln-misfit (a curve the model cannot reach). */
const MISFIT_CAP = 20;

export type OodComponent = "curve" | "spectrum" | "hidden" | "misfit";

/** Mean and Cholesky factor of one feature set's in-domain covariance. */
interface Gaussian {
  readonly mean: Float64Array;
  /** Row-major lower-triangular factor L (L·Lᵀ = covariance + ridge). */
  readonly factor: Float64Array;
  readonly size: number;
}

/** The score's statistics, scales and threshold. */
export interface OodStatistics {
  readonly manifest: OodManifest;
  /** The curve and spectrum components per family ("probe:layers"), the hidden one per probe. */
  readonly gaussians: Gaussians;
}
interface Gaussians {
  readonly curve: Record<string, Gaussian>;
  readonly spectrum: Record<string, Gaussian>;
  readonly hidden: Record<LearnProbe, Gaussian>;
}

/** The JSON manifest beside the statistics' binary file. */
export interface OodManifest {
  readonly layoutVersion: number;
  /** SHA-256 of the estimator weights the hidden statistics came from. */
  readonly weightsSha256: string;
  readonly file: string;
  readonly sha256: string;
  readonly ridge: number;
  readonly quantile: number;
  /** Seeds and counts: statistics, then scales (same curves), then threshold calibration. */
  readonly statisticsSeed: string;
  readonly statisticsCurves: number;
  readonly calibrationSeed: string;
  readonly calibrationCurves: number;
  /** Per family "probe:layers": the curve, spectrum and misfit components' scales. */
  readonly curveScales: Record<string, number>;
  readonly spectrumScales: Record<string, number>;
  readonly misfitScales: Record<string, number>;
  /** Per probe: the hidden component's scale. */
  readonly hiddenScales: Record<LearnProbe, number>;
  readonly threshold: number;
  /** Calibration curves scoring above the threshold (a fraction). */
  readonly calibrationFalseAlarms: number;
  readonly command: string;
}

/** A curve's score. */
export interface OodScore {
  /** Root mean square of the components, each over its scale. */
  readonly score: number;
  readonly threshold: number;
  readonly inDomain: boolean;
  readonly components: Record<OodComponent, number>;
  /** The network's estimate the misfit was computed at. */
  readonly estimate: Estimate;
}

/** A curve on its probe's grid with the family it is presented as. */
export interface GridCurve {
  readonly prior: FamilyPrior;
  readonly reflectivity: ArrayLike<number>;
  readonly mask: ArrayLike<number>;
  readonly lower: ArrayLike<number>;
  readonly upper: ArrayLike<number>;
  /** 1-σ resolution (Å⁻¹) at each grid point, for the misfit's model. */
  readonly sigmaQ: Float64Array;
  /** The probe's grid (learn/generator qGrid). */
  readonly q: Float64Array;
}

function gaussianOf(rows: readonly Float64Array[], size: number, ridge: number): Gaussian {
  const n = rows.length;
  const mean = new Float64Array(size);
  for (const row of rows) for (let j = 0; j < size; j++) mean[j] += row[j] / n;
  const covariance = new Float64Array(size * size);
  const centred = new Float64Array(size);
  for (const row of rows) {
    for (let j = 0; j < size; j++) centred[j] = row[j] - mean[j];
    for (let a = 0; a < size; a++) {
      const da = centred[a];
      if (da === 0) continue;
      const offset = a * size;
      for (let b = 0; b <= a; b++) covariance[offset + b] += da * centred[b];
    }
  }
  let trace = 0;
  for (let k = 0; k < size * size; k++) covariance[k] /= n;
  for (let a = 0; a < size; a++) trace += covariance[a * size + a];
  // a dead ReLU unit has zero variance: the ridge (and a floor) keeps the factor definite
  const shift = (ridge * trace) / size + 1e-12;
  for (let a = 0; a < size; a++) covariance[a * size + a] += shift;
  const factor = cholesky(covariance, size);
  if (!factor) throw new Error("ood: covariance not positive definite after the ridge");
  return { mean, factor, size };
}

/** Root mean square of L⁻¹(x − μ). */
function mahalanobis(gaussian: Gaussian, x: ArrayLike<number>): number {
  const v = new Float64Array(gaussian.size);
  for (let j = 0; j < gaussian.size; j++) v[j] = x[j] - gaussian.mean[j];
  forwardSubstitution(gaussian.factor, gaussian.size, v);
  let sum = 0;
  for (let j = 0; j < gaussian.size; j++) sum += v[j] * v[j];
  return Math.sqrt(sum / gaussian.size);
}

/** The raw (unscaled) components of a curve, and the network's estimate. */
/** The spectrum feature of a curve on its grid (see the module header); zeros when fewer than 8 points are measured. */
export function oscillationSpectrum(q: ArrayLike<number>, reflectivity: ArrayLike<number>, mask: ArrayLike<number>): Float64Array {
  const points: number[] = [];
  for (let i = 0; i < GRID_POINTS; i++) if (mask[i] && reflectivity[i] > 0) points.push(i);
  const out = new Float64Array(SPECTRUM_FEATURES);
  if (points.length < 8) return out;
  const first = points[0];
  const last = points[points.length - 1];
  const n = last - first + 1;
  const y = new Float64Array(n);
  let k = 0;
  const value = (i: number): number => Math.log10(reflectivity[i] * q[i] ** 4);
  for (let i = first; i <= last; i++) {
    while (k < points.length - 1 && points[k + 1] <= i) k++;
    const i0 = points[k];
    const i1 = points[Math.min(k + 1, points.length - 1)];
    y[i - first] = i1 > i0 ? value(i0) + ((i - i0) / (i1 - i0)) * (value(i1) - value(i0)) : value(i0);
  }
  // remove the least-squares straight line, then a Hann window
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    const x = i / n;
    sx += x;
    sy += y[i];
    sxx += x * x;
    sxy += x * y[i];
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const intercept = (sy - slope * sx) / n;
  for (let i = 0; i < n; i++) {
    const x = i / n;
    y[i] = (y[i] - intercept - slope * x) * (0.5 - 0.5 * Math.cos(2 * Math.PI * x));
  }
  for (let f = 1; f <= SPECTRUM_FEATURES; f++) {
    let re = 0;
    let im = 0;
    const w = (2 * Math.PI * f) / GRID_POINTS;
    for (let i = 0; i < n; i++) {
      re += y[i] * Math.cos(w * i);
      im += y[i] * Math.sin(w * i);
    }
    out[f - 1] = Math.log(SPECTRUM_FLOOR + Math.hypot(re, im) / n);
  }
  return out;
}

function rawComponents(estimator: Estimator, curve: GridCurve): { features: { curve: Float64Array; spectrum: Float64Array; hidden: Float64Array }; misfit: number; estimate: Estimate } {
  const estimate = estimateOnGrid(estimator, curve.prior, curve.reflectivity, curve.mask, curve.lower, curve.upper);
  const hidden = Float64Array.from(estimator.network.scratch[HIDDEN_UNITS.length - 1]);
  const input = encodeInput(curve.prior, curve.reflectivity, curve.mask, curve.lower, curve.upper);
  const features = Float64Array.from(input.subarray(0, CURVE_FEATURES));
  const theta = Float64Array.from(estimate.values, (v) => (Number.isFinite(v) ? v : 0));
  const model = createCurveModel(curve.prior, curve.q, curve.sigmaQ).evaluate(theta);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < GRID_POINTS; i++) {
    if (!curve.mask[i] || !(curve.reflectivity[i] > 0)) continue;
    const r = model[i] > 0 ? Math.min(MISFIT_CAP, Math.abs(Math.log(curve.reflectivity[i] / model[i]))) : MISFIT_CAP;
    sum += r * r;
    n++;
  }
  return { features: { curve: features, spectrum: oscillationSpectrum(curve.q, curve.reflectivity, curve.mask), hidden }, misfit: n > 0 ? Math.sqrt(sum / n) : 0, estimate };
}

/** The score of a curve presented as a family (its bounds inside the family prior). */
export function oodScore(estimator: Estimator, statistics: OodStatistics, curve: GridCurve): OodScore {
  const { manifest, gaussians } = statistics;
  const probe = curve.prior.probe;
  const raw = rawComponents(estimator, curve);
  const components: Record<OodComponent, number> = {
    curve: mahalanobis(gaussians.curve[familyKey(curve.prior)], raw.features.curve) / manifest.curveScales[familyKey(curve.prior)],
    spectrum: mahalanobis(gaussians.spectrum[familyKey(curve.prior)], raw.features.spectrum) / manifest.spectrumScales[familyKey(curve.prior)],
    hidden: mahalanobis(gaussians.hidden[probe], raw.features.hidden) / manifest.hiddenScales[probe],
    misfit: raw.misfit / manifest.misfitScales[familyKey(curve.prior)],
  };
  const score = Math.sqrt((components.curve ** 2 + components.spectrum ** 2 + components.hidden ** 2 + components.misfit ** 2) / 4);
  return { score, threshold: manifest.threshold, inDomain: score <= manifest.threshold, components, estimate: raw.estimate };
}

const familyKey = (prior: FamilyPrior): string => `${prior.probe}:${prior.layers}`;

function quantile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))];
}

/** A generator sample as a grid curve presented as its own family with its own bounds. */
export function sampleCurve(seed: Seed, index: number): GridCurve {
  const s = generateSample(seed, index);
  return { prior: s.prior, reflectivity: s.reflectivity, mask: s.mask, lower: s.lower, upper: s.upper, sigmaQ: s.sigmaQ, q: s.q };
}

/**
 * Compute the statistics deterministically: Gaussians and scales from `statisticsCurves`
 * generator curves of seed `statisticsSeed`, the threshold from `calibrationCurves` of
 * `calibrationSeed` (disjoint streams).
 */
export function computeOodStatistics(
  estimator: Estimator,
  options: { statisticsSeed: string; statisticsCurves: number; calibrationSeed: string; calibrationCurves: number; command: string },
): { statistics: OodStatistics; binary: Buffer } {
  const curves = new Map<string, Float64Array[]>();
  const spectra = new Map<string, Float64Array[]>();
  const hiddens: Record<LearnProbe, Float64Array[]> = { xray: [], neutron: [] };
  const misfits = new Map<string, number[]>();
  for (const key of familyKeys()) {
    curves.set(key, []);
    spectra.set(key, []);
    misfits.set(key, []);
  }
  for (let i = 0; i < options.statisticsCurves; i++) {
    const curve = sampleCurve(options.statisticsSeed, i);
    const raw = rawComponents(estimator, curve);
    const key = familyKey(curve.prior);
    curves.get(key)!.push(raw.features.curve);
    spectra.get(key)!.push(raw.features.spectrum);
    hiddens[curve.prior.probe].push(raw.features.hidden);
    misfits.get(key)!.push(raw.misfit);
  }
  const gaussians: Gaussians = { curve: {}, spectrum: {}, hidden: {} as Record<LearnProbe, Gaussian> };
  const curveScales: Record<string, number> = {};
  const spectrumScales: Record<string, number> = {};
  const misfitScales: Record<string, number> = {};
  const hiddenScales = {} as Record<LearnProbe, number>;
  for (const key of familyKeys()) {
    const rows = curves.get(key)!;
    if (rows.length < MIN_FAMILY_CURVES) throw new Error(`ood: too few statistics curves of the family ${key} (${rows.length}); raise the count`);
    const g = (gaussians.curve[key] = gaussianOf(rows, CURVE_FEATURES, OOD_RIDGE));
    curveScales[key] = quantile(rows.map((x) => mahalanobis(g, x)), OOD_FALSE_ALARM_QUANTILE);
    const spectrumRows = spectra.get(key)!;
    const gs = (gaussians.spectrum[key] = gaussianOf(spectrumRows, SPECTRUM_FEATURES, OOD_RIDGE));
    spectrumScales[key] = quantile(spectrumRows.map((x) => mahalanobis(gs, x)), OOD_FALSE_ALARM_QUANTILE);
    misfitScales[key] = quantile(misfits.get(key)!, OOD_FALSE_ALARM_QUANTILE);
  }
  for (const probe of PROBES) {
    const g = (gaussians.hidden[probe] = gaussianOf(hiddens[probe], HIDDEN_FEATURES, OOD_RIDGE));
    hiddenScales[probe] = quantile(hiddens[probe].map((x) => mahalanobis(g, x)), OOD_FALSE_ALARM_QUANTILE);
  }
  const binary = packGaussians(gaussians);
  const draft: OodManifest = {
    layoutVersion: LAYOUT_VERSION,
    weightsSha256: estimator.manifest.weights.sha256,
    file: `ood-v${LAYOUT_VERSION}.bin`,
    sha256: crypto.createHash("sha256").update(binary).digest("hex"),
    ridge: OOD_RIDGE,
    quantile: OOD_FALSE_ALARM_QUANTILE,
    statisticsSeed: options.statisticsSeed,
    statisticsCurves: options.statisticsCurves,
    calibrationSeed: options.calibrationSeed,
    calibrationCurves: options.calibrationCurves,
    curveScales,
    spectrumScales,
    misfitScales,
    hiddenScales,
    threshold: Infinity,
    calibrationFalseAlarms: Number.NaN,
    command: options.command,
  };
  // the float32 round trip the loader will see: calibrate on the loaded form
  const loaded = unpack(draft, binary);
  const scores: number[] = [];
  for (let i = 0; i < options.calibrationCurves; i++) scores.push(oodScore(estimator, { manifest: draft, gaussians: loaded }, sampleCurve(options.calibrationSeed, i)).score);
  const threshold = quantile(scores, OOD_FALSE_ALARM_QUANTILE);
  const manifest: OodManifest = { ...draft, threshold, calibrationFalseAlarms: scores.filter((s) => s > threshold).length / scores.length };
  return { statistics: { manifest, gaussians: loaded }, binary };
}

/** Family keys in file order: X-ray 1–4 layers, then neutron. */
function familyKeys(): string[] {
  return PROBES.flatMap((probe) => Array.from({ length: MAX_LAYERS }, (_, k) => `${probe}:${k + 1}`));
}

/** Float32 file: the curve Gaussians per family ({@link familyKeys} order), the spectrum ones per family, then the hidden ones per probe; each its mean, then its factor's packed lower triangle. */
function packGaussians(gaussians: Gaussians): Buffer {
  const values: number[] = [];
  const all = [...familyKeys().map((key) => gaussians.curve[key]), ...familyKeys().map((key) => gaussians.spectrum[key]), ...PROBES.map((probe) => gaussians.hidden[probe])];
  for (const g of all) {
    for (const x of g.mean) values.push(x);
    for (let i = 0; i < g.size; i++) for (let j = 0; j <= i; j++) values.push(g.factor[i * g.size + j]);
  }
  const array = Float32Array.from(values);
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

function unpack(manifest: OodManifest, bytes: Buffer): Gaussians {
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes);
  const size = (n: number): number => n + (n * (n + 1)) / 2;
  const expected = familyKeys().length * (size(CURVE_FEATURES) + size(SPECTRUM_FEATURES)) + PROBES.length * size(HIDDEN_FEATURES);
  if (values.length !== expected) throw new ValidationError(manifest.file, `holds ${values.length} values, the layout needs ${expected}`);
  let offset = 0;
  const read = (size: number): Gaussian => {
    const mean = Float64Array.from(values.subarray(offset, offset + size));
    offset += size;
    const factor = new Float64Array(size * size);
    for (let i = 0; i < size; i++) for (let j = 0; j <= i; j++) factor[i * size + j] = values[offset++];
    return { mean, factor, size };
  };
  const curve: Record<string, Gaussian> = {};
  for (const key of familyKeys()) curve[key] = read(CURVE_FEATURES);
  const spectrum: Record<string, Gaussian> = {};
  for (const key of familyKeys()) spectrum[key] = read(SPECTRUM_FEATURES);
  const hidden = {} as Record<LearnProbe, Gaussian>;
  for (const probe of PROBES) hidden[probe] = read(HIDDEN_FEATURES);
  return { curve, spectrum, hidden };
}

/** The statistics' manifest path. */
export function oodManifestPath(folder = defaultWeightsFolder()): string {
  return path.join(folder, `ood-v${LAYOUT_VERSION}.json`);
}

/** Write the statistics beside the weights. */
export function writeOodStatistics(result: { statistics: OodStatistics; binary: Buffer }, file = oodManifestPath()): void {
  fs.writeFileSync(path.join(path.dirname(file), result.statistics.manifest.file), result.binary);
  fs.writeFileSync(file, `${JSON.stringify(result.statistics.manifest, null, 2)}\n`);
}

/**
 * Load the statistics for an estimator.
 * @throws ValidationError naming the file when missing, of another layout, of other weights, or corrupt
 */
export function loadOodStatistics(estimator: Estimator, file = oodManifestPath()): OodStatistics {
  if (!fs.existsSync(file)) throw new ValidationError(file, "no out-of-distribution statistics: run `node --import tsx scripts/oodStats.ts`");
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as OodManifest;
  if (manifest.layoutVersion !== LAYOUT_VERSION) throw new ValidationError(`${file}: layoutVersion`, `must be ${LAYOUT_VERSION}`, manifest.layoutVersion);
  if (manifest.weightsSha256 !== estimator.manifest.weights.sha256) {
    throw new ValidationError(`${file}: weightsSha256`, `the statistics are of other weights (these are ${estimator.manifest.weights.sha256.slice(0, 12)}…): rerun scripts/oodStats.ts`, manifest.weightsSha256.slice(0, 12));
  }
  const binFile = path.join(path.dirname(file), manifest.file);
  const bytes = fs.readFileSync(binFile);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== manifest.sha256) throw new ValidationError(binFile, `SHA-256 ${sha256} is not the manifest's`, manifest.sha256);
  return { manifest, gaussians: unpack(manifest, bytes) };
}
