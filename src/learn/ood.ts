/**
 * @module learn/ood
 * The estimator's out-of-distribution score (issue 19 part 4): one number per curve, large for
 * curves unlike the generator's, so that `strata fit --start auto` falls back to a global
 * search instead of trusting the network, and the result says why.
 *
 * **Unlikeness** (unsupervised): four components, each divided by its own in-domain 97.5th
 * percentile (its *scale*), combined by root mean square (measured against their largest:
 * 243 against 223 of bench/learnOod.ts's 600 out-of-domain curves flagged at equal false alarms):
 * - `curve`: Mahalanobis distance (root mean square of the whitened vector) of the curve
 *   features the network reads — (log10 R − centre)/span on the probe's grid, 0 where
 *   unmeasured, as learn/generator `encodeInput` writes them — to their in-domain mean and
 *   covariance (per family, ridge-regularised: {@link OOD_RIDGE} × the mean variance added to
 *   the diagonal);
 * - `spectrum`: the same (per family) for the curve's oscillation spectrum — log10(R·Q⁴) over
 *   the measured range (gaps interpolated), a straight line removed, a Hann window, and the
 *   log magnitude of its Fourier components 1–{@link SPECTRUM_FEATURES} on the grid's spacing
 *   (Kiessig fringes of each thickness, Bragg peaks of a periodic stack: the Patterson view);
 * - `hidden`: the same (per probe) for the network's last hidden layer (256 ReLU activations)
 *   — what the network made of the curve and the bounds;
 * - `misfit`: the root mean square of ln R_measured − ln R_model over the measured grid points,
 *   the model being the family's curve at the network's own estimate (scale per family).
 * Alone it flags periodic multilayers but few 6-layer stacks (12 of 300): their curves sit
 * among 4-layer ones on every unsupervised feature tried.
 *
 * **Outlier logit** (outlier exposure, Hendrycks et al., ICLR 2019): per probe a small
 * network ({@link EXPOSURE_HIDDEN} ReLU units) on the curve, spectrum and hidden features,
 * standardised, trained to tell the statistics' in-domain curves from learn/outOfDomain's
 * `extraLayers` stacks (5–8 layers of the probe's roles in random order, never periodic), each
 * presented as one of the 1–4-layer families in turn with the family prior as bounds: minibatch
 * Adam, seeded — deterministic. Never trained on the benchmarked kinds (periodic multilayers,
 * the fixed 6-layer role sequences); the 6-layer stacks are, however, near its outliers.
 *
 * The two are mapped so that calibration curves' median → 0 and 97.5th percentile → 1 (per
 * probe for the logit); the score is the larger of the logit and the unlikeness over
 * {@link UNLIKENESS_GUARD}; the threshold is the score's 97.5th percentile over the
 * calibration curves (a seed not used for the statistics: a ≤ 5 % false-alarm rate by
 * construction, {@link OOD_FALSE_ALARM_QUANTILE}).
 *
 * Statistics (`weights/ood-v<layout>.json` and `.bin`, written by scripts/oodStats.ts, float32:
 * the curve Gaussians per family, the spectrum ones per family, the hidden ones per probe, each
 * its mean then the packed lower triangle of the covariance's Cholesky factor row by row; then
 * per probe the classifier's feature means and standard deviations, first-layer weights
 * [feature][unit] and biases, output weights and bias) name the estimator weights' SHA-256: a
 * retrain invalidates them (loading refuses them).
 *
 * Units: R dimensionless; Q Å⁻¹; the score and its components are dimensionless.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ValidationError } from "../core/errors.ts";
import { cholesky, forwardSubstitution } from "../core/linalg.ts";
import { createRandom, type Seed } from "../core/random.ts";
import { createCurveModel, encodeInput, familyPrior, generateSample, GRID_POINTS, LAYOUT_VERSION, MAX_LAYERS, PROBES, type FamilyPrior, type LearnProbe } from "./generator.ts";
import { defaultWeightsFolder, estimateOnGrid, loadEstimator, type Estimate, type Estimator } from "./estimator.ts";
import { HIDDEN_UNITS } from "./network.ts";
import { EXPOSURE_KIND, outOfDomainCurve } from "./outOfDomain.ts";

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
/** Features of the outlier-exposure classifier: curve, spectrum, hidden. */
const CLASSIFIER_FEATURES = GRID_POINTS + GRID_POINTS / 2 + HIDDEN_UNITS[HIDDEN_UNITS.length - 1];
/** The outlier-exposure classifier: hidden units, epochs, minibatch, Adam step, L2 penalty. */
export const EXPOSURE_HIDDEN = 32;
export const EXPOSURE_EPOCHS = 12;
const EXPOSURE_BATCH = 128;
const EXPOSURE_STEP = 1e-3;
const EXPOSURE_L2 = 1e-4;
/**
 * The unlikeness enters the score divided by this: it counts only far beyond the in-domain
 * tail — a guard for curves unlike anything, which the classifier was never shown. (3 chosen
 * over 2 on bench/learnOod.ts's seed: 553 against 543 of 600 flagged with the linear
 * classifier tried first; confirmed on a second seed.)
 */
export const UNLIKENESS_GUARD = 3;
/** Fewest statistics curves of a family for its Gaussian and scales. */
const MIN_FAMILY_CURVES = 200;
const HIDDEN_FEATURES = HIDDEN_UNITS[HIDDEN_UNITS.length - 1];
/** A grid point whose model R is not positive counts as this ln-misfit (a curve the model cannot reach). */
const MISFIT_CAP = 20;

export type OodComponent = "curve" | "spectrum" | "hidden" | "misfit";

/** A one-hidden-layer network ({@link EXPOSURE_HIDDEN} ReLU units) on standardised features → a logit. */
interface Classifier {
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  /** [feature][unit], row-major. */
  readonly w1: Float64Array;
  readonly b1: Float64Array;
  readonly w2: Float64Array;
  readonly b2: number;
}

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
  readonly classifiers: Record<LearnProbe, Classifier>;
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
  /** Outlier exposure: the `extraLayers` curves per probe (seed `<statisticsSeed>-outliers`). */
  readonly exposure: { readonly seed: string; readonly curvesPerProbe: number; readonly hidden: number; readonly epochs: number; readonly batch: number; readonly step: number; readonly l2: number };
  /** Median and 97.5th percentile over the calibration curves: of the unlikeness, and per probe of the outlier logit. */
  readonly unlikeness: { readonly median: number; readonly q975: number };
  readonly outlierLogit: Record<LearnProbe, { readonly median: number; readonly q975: number }>;
  readonly threshold: number;
  /** Calibration curves scoring above the threshold (a fraction). */
  readonly calibrationFalseAlarms: number;
  readonly command: string;
}

/** A curve's score. */
export interface OodScore {
  /** The larger of the normalised unlikeness and outlier logit (see the module header). */
  readonly score: number;
  readonly threshold: number;
  readonly inDomain: boolean;
  /** Each unsupervised component over its scale. */
  readonly components: Record<OodComponent, number>;
  /** Root mean square of the components, and the outlier logit, each normalised (median 0, 97.5th percentile 1). */
  readonly unlikeness: number;
  readonly outlierLogit: number;
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
  const rms = Math.sqrt((components.curve ** 2 + components.spectrum ** 2 + components.hidden ** 2 + components.misfit ** 2) / 4);
  const logit = classify(statistics.classifiers[probe], raw.features);
  const normalise = (x: number, n: { median: number; q975: number }): number => (x - n.median) / (n.q975 - n.median);
  const unlikeness = normalise(rms, manifest.unlikeness);
  const outlierLogit = normalise(logit, manifest.outlierLogit[probe]);
  const score = Math.max(unlikeness / UNLIKENESS_GUARD, outlierLogit);
  return { score, threshold: manifest.threshold, inDomain: score <= manifest.threshold, components, unlikeness, outlierLogit, estimate: raw.estimate };
}

/** The classifier's feature vector: curve, spectrum, hidden. */
function classifierFeatures(features: { curve: Float64Array; spectrum: Float64Array; hidden: Float64Array }): Float64Array {
  const x = new Float64Array(CLASSIFIER_FEATURES);
  x.set(features.curve, 0);
  x.set(features.spectrum, features.curve.length);
  x.set(features.hidden, features.curve.length + features.spectrum.length);
  return x;
}

function classify(classifier: Classifier, features: { curve: Float64Array; spectrum: Float64Array; hidden: Float64Array }): number {
  const x = classifierFeatures(features);
  for (let d = 0; d < CLASSIFIER_FEATURES; d++) x[d] = (x[d] - classifier.mean[d]) / classifier.sd[d];
  return mlpForward(classifier, x, new Float64Array(EXPOSURE_HIDDEN));
}

function mlpForward(c: { w1: Float64Array; b1: Float64Array; w2: Float64Array; b2: number }, z: Float64Array, hidden: Float64Array): number {
  hidden.set(c.b1);
  for (let d = 0; d < CLASSIFIER_FEATURES; d++) {
    const v = z[d];
    if (v === 0) continue;
    const row = d * EXPOSURE_HIDDEN;
    for (let u = 0; u < EXPOSURE_HIDDEN; u++) hidden[u] += v * c.w1[row + u];
  }
  let logit = c.b2;
  for (let u = 0; u < EXPOSURE_HIDDEN; u++) {
    if (hidden[u] < 0) hidden[u] = 0;
    logit += c.w2[u] * hidden[u];
  }
  return logit;
}

/**
 * The classifier (in-domain 0, outlier 1, the classes weighted equally): minibatch Adam on
 * the cross-entropy, He-initialised and shuffled from a fixed seed — deterministic.
 */
function trainClassifier(inDomain: readonly Float64Array[], outliers: readonly Float64Array[], seed: string): Classifier {
  const rows = [...inDomain, ...outliers];
  const n = rows.length;
  const mean = new Float64Array(CLASSIFIER_FEATURES);
  const sd = new Float64Array(CLASSIFIER_FEATURES);
  for (const x of rows) for (let d = 0; d < CLASSIFIER_FEATURES; d++) mean[d] += x[d] / n;
  for (const x of rows) for (let d = 0; d < CLASSIFIER_FEATURES; d++) sd[d] += (x[d] - mean[d]) ** 2 / n;
  // a constant feature (a dead ReLU unit) gets sd 1: its standardised value is 0 anyway
  for (let d = 0; d < CLASSIFIER_FEATURES; d++) sd[d] = sd[d] > 0 ? Math.sqrt(sd[d]) : 1;
  const z = rows.map((x) => x.map((v, d) => (v - mean[d]) / sd[d]));
  const random = createRandom(`ood-classifier:${seed}`);
  const H = EXPOSURE_HIDDEN;
  const params = new Float64Array(CLASSIFIER_FEATURES * H + H + H + 1);
  const w1 = params.subarray(0, CLASSIFIER_FEATURES * H);
  const b1 = params.subarray(CLASSIFIER_FEATURES * H, CLASSIFIER_FEATURES * H + H);
  const w2 = params.subarray(CLASSIFIER_FEATURES * H + H, CLASSIFIER_FEATURES * H + 2 * H);
  for (let k = 0; k < w1.length; k++) w1[k] = random.normal(0, Math.sqrt(2 / CLASSIFIER_FEATURES));
  for (let k = 0; k < w2.length; k++) w2[k] = random.normal(0, Math.sqrt(1 / H));
  const view = (): { w1: Float64Array; b1: Float64Array; w2: Float64Array; b2: number } => ({ w1, b1, w2, b2: params[params.length - 1] });
  const m = new Float64Array(params.length);
  const v = new Float64Array(params.length);
  const grad = new Float64Array(params.length);
  const hidden = new Float64Array(H);
  const classWeight = (i: number): number => (i < inDomain.length ? 0.5 / inDomain.length : 0.5 / outliers.length) * n;
  const order = Array.from({ length: n }, (_, i) => i);
  let t = 0;
  for (let epoch = 0; epoch < EXPOSURE_EPOCHS; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const k = random.integer(i + 1);
      [order[i], order[k]] = [order[k], order[i]];
    }
    for (let start = 0; start < n; start += EXPOSURE_BATCH) {
      const batch = order.slice(start, start + EXPOSURE_BATCH);
      grad.fill(0);
      for (const i of batch) {
        const zi = z[i];
        const logit = mlpForward(view(), zi, hidden);
        const r = ((1 / (1 + Math.exp(-logit)) - (i < inDomain.length ? 0 : 1)) * classWeight(i)) / batch.length;
        grad[params.length - 1] += r;
        for (let u = 0; u < H; u++) {
          grad[CLASSIFIER_FEATURES * H + H + u] += r * hidden[u];
          if (hidden[u] <= 0) continue;
          const g = r * w2[u];
          grad[CLASSIFIER_FEATURES * H + u] += g;
          for (let d = 0; d < CLASSIFIER_FEATURES; d++) if (zi[d] !== 0) grad[d * H + u] += g * zi[d];
        }
      }
      t++;
      const corr1 = 1 - 0.9 ** t;
      const corr2 = 1 - 0.999 ** t;
      for (let k = 0; k < params.length; k++) {
        const g = grad[k] + EXPOSURE_L2 * params[k];
        m[k] = 0.9 * m[k] + 0.1 * g;
        v[k] = 0.999 * v[k] + 0.001 * g * g;
        params[k] -= (EXPOSURE_STEP * (m[k] / corr1)) / (Math.sqrt(v[k] / corr2) + 1e-8);
      }
    }
  }
  return { mean, sd, w1: Float64Array.from(w1), b1: Float64Array.from(b1), w2: Float64Array.from(w2), b2: params[params.length - 1] };
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
  const classifierRows: Record<LearnProbe, Float64Array[]> = { xray: [], neutron: [] };
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
    classifierRows[curve.prior.probe].push(classifierFeatures(raw.features));
    misfits.get(key)!.push(raw.misfit);
  }
  // outlier exposure: as many extra-layer curves per probe as in-domain ones, presented as each family in turn
  const exposureSeed = `${options.statisticsSeed}-outliers`;
  const exposureCurves = Math.ceil(options.statisticsCurves / PROBES.length);
  const classifiers = {} as Record<LearnProbe, Classifier>;
  for (const probe of PROBES) {
    const outliers: Float64Array[] = [];
    for (let i = 0; i < exposureCurves; i++) {
      const prior = familyPrior(probe, 1 + (i % MAX_LAYERS));
      const c = outOfDomainCurve(EXPOSURE_KIND, probe, exposureSeed, i);
      outliers.push(classifierFeatures(rawComponents(estimator, { prior, reflectivity: c.reflectivity, mask: c.mask, lower: prior.lower, upper: prior.upper, sigmaQ: c.sigmaQ, q: c.q }).features));
    }
    classifiers[probe] = trainClassifier(classifierRows[probe], outliers, `${options.statisticsSeed}:${probe}`);
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
  const binary = pack(gaussians, classifiers);
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
    exposure: { seed: exposureSeed, curvesPerProbe: exposureCurves, hidden: EXPOSURE_HIDDEN, epochs: EXPOSURE_EPOCHS, batch: EXPOSURE_BATCH, step: EXPOSURE_STEP, l2: EXPOSURE_L2 },
    unlikeness: { median: 0, q975: 1 },
    outlierLogit: { xray: { median: 0, q975: 1 }, neutron: { median: 0, q975: 1 } },
    threshold: Infinity,
    calibrationFalseAlarms: Number.NaN,
    command: options.command,
  };
  // the float32 round trip the loader will see: calibrate on the loaded form — first the
  // normalisations (median, 97.5th percentile) of the two numbers, then the threshold
  const loaded = unpack(draft, binary);
  const calibration = Array.from({ length: options.calibrationCurves }, (_, i) => sampleCurve(options.calibrationSeed, i));
  const first = calibration.map((curve) => ({ probe: curve.prior.probe, s: oodScore(estimator, { manifest: draft, ...loaded }, curve) }));
  // with the placeholder normalisation (0, 1) the numbers are the raw rms and logit
  const raw = (values: number[]): { median: number; q975: number } => ({ median: quantile(values, 0.5), q975: quantile(values, OOD_FALSE_ALARM_QUANTILE) });
  const normalised: OodManifest = {
    ...draft,
    unlikeness: raw(first.map((x) => x.s.unlikeness)),
    outlierLogit: { xray: raw(first.filter((x) => x.probe === "xray").map((x) => x.s.outlierLogit)), neutron: raw(first.filter((x) => x.probe === "neutron").map((x) => x.s.outlierLogit)) },
  };
  const scores = calibration.map((curve) => oodScore(estimator, { manifest: normalised, ...loaded }, curve).score);
  const threshold = quantile(scores, OOD_FALSE_ALARM_QUANTILE);
  const manifest: OodManifest = { ...normalised, threshold, calibrationFalseAlarms: scores.filter((x) => x > threshold).length / scores.length };
  return { statistics: { manifest, ...loaded }, binary };
}

function familyKeys(): string[] {
  return PROBES.flatMap((probe) => Array.from({ length: MAX_LAYERS }, (_, k) => `${probe}:${k + 1}`));
}

/** Float32 file: the curve Gaussians per family ({@link familyKeys} order), the spectrum ones per family, then the hidden ones per probe; each its mean, then its factor's packed lower triangle. */
function pack(gaussians: Gaussians, classifiers: Record<LearnProbe, Classifier>): Buffer {
  const values: number[] = [];
  const all = [...familyKeys().map((key) => gaussians.curve[key]), ...familyKeys().map((key) => gaussians.spectrum[key]), ...PROBES.map((probe) => gaussians.hidden[probe])];
  for (const g of all) {
    for (const x of g.mean) values.push(x);
    for (let i = 0; i < g.size; i++) for (let j = 0; j <= i; j++) values.push(g.factor[i * g.size + j]);
  }
  for (const probe of PROBES) {
    const c = classifiers[probe];
    values.push(...c.mean, ...c.sd, ...c.w1, ...c.b1, ...c.w2, c.b2);
  }
  const array = Float32Array.from(values);
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

function unpack(manifest: OodManifest, bytes: Buffer): { gaussians: Gaussians; classifiers: Record<LearnProbe, Classifier> } {
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes);
  const size = (n: number): number => n + (n * (n + 1)) / 2;
  const expected = familyKeys().length * (size(CURVE_FEATURES) + size(SPECTRUM_FEATURES)) + PROBES.length * (size(HIDDEN_FEATURES) + 2 * CLASSIFIER_FEATURES + CLASSIFIER_FEATURES * EXPOSURE_HIDDEN + 2 * EXPOSURE_HIDDEN + 1);
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
  const vector = (length: number): Float64Array => {
    const v = Float64Array.from(values.subarray(offset, offset + length));
    offset += length;
    return v;
  };
  const classifiers = {} as Record<LearnProbe, Classifier>;
  for (const probe of PROBES) {
    classifiers[probe] = { mean: vector(CLASSIFIER_FEATURES), sd: vector(CLASSIFIER_FEATURES), w1: vector(CLASSIFIER_FEATURES * EXPOSURE_HIDDEN), b1: vector(EXPOSURE_HIDDEN), w2: vector(EXPOSURE_HIDDEN), b2: values[offset++] };
  }
  return { gaussians: { curve, spectrum, hidden }, classifiers };
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
  return { manifest, ...unpack(manifest, bytes) };
}

let shipped: { estimator: Estimator; statistics: OodStatistics } | undefined;
/**
 * The shipped estimator and its out-of-distribution statistics, loaded once per thread (the
 * `--start` paths of `strata fit` and of the diagnosis share it).
 * @throws ValidationError when the weights or statistics are missing or do not match
 */
export function shippedEstimator(): { estimator: Estimator; statistics: OodStatistics } {
  if (!shipped) {
    const estimator = loadEstimator();
    shipped = { estimator, statistics: loadOodStatistics(estimator) };
  }
  return shipped;
}
