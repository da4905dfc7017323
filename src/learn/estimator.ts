/**
 * @module learn/estimator
 * Inference with the shipped estimator weights (issue 19 part 2): a measured curve and each
 * parameter's [min, max] bounds → per-parameter estimates and 1-σ uncertainties, in a fraction
 * of a millisecond. The answer is a starting point for a physics fit, never a result on its own.
 *
 * The forward pass is learn/network's plain Float32Array loops, not tfjs: performance demands
 * it (tfjs's per-operation overhead alone exceeds the ≤ 1 ms budget on its CPU backend, and
 * loading tfjs costs seconds). learn/estimator.test.ts checks the loops equal tfjs's output.
 *
 * Units: parameters in the padded layout of learn/generator (thickness and roughness Å, SLD
 * 10⁻⁶ Å⁻², scale, log10 background, angle offset degrees); Q Å⁻¹.
 *
 * Weights: `weights/estimator-v<layout>.json` (manifest) and `.bin` (float32, see learn/network)
 * beside this file, or in the folder named by STRATA_LEARN_WEIGHTS.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ValidationError } from "../core/errors.ts";
import { encodeInput, familyPrior, GRID_POINTS, INPUT_SIZE, LAYOUT_VERSION, PARAMETER_COUNT, qGrid, type FamilyPrior, type LearnProbe } from "./generator.ts";
import { denseNetwork, forward, layerSizes, LOG_SIGMA_MAX, LOG_SIGMA_MIN, type DenseNetwork } from "./network.ts";

/** The JSON manifest written by scripts/train.ts beside the weights. */
export interface EstimatorManifest {
  readonly layoutVersion: number;
  readonly architecture: readonly number[];
  readonly weights: { readonly file: string; readonly values: number; readonly sha256: string };
  readonly training: Record<string, unknown>;
  readonly generator: Record<string, unknown>;
  readonly testMetrics: Record<string, unknown>;
}

/** A loaded estimator. */
export interface Estimator {
  readonly manifest: EstimatorManifest;
  readonly network: DenseNetwork;
  /** Scratch input vector. */
  readonly input: Float32Array;
}

/** The folder of the shipped weights. */
export function defaultWeightsFolder(): string {
  const fromEnv = process.env.STRATA_LEARN_WEIGHTS;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, "weights");
  // a build in dist/ has no weights beside it: use the source tree's
  return fs.existsSync(beside) ? beside : path.join(here, "..", "..", "src", "learn", "weights");
}

/** The manifest path of the layout this code reads. */
export function manifestPath(folder = defaultWeightsFolder()): string {
  return path.join(folder, `estimator-v${LAYOUT_VERSION}.json`);
}

/**
 * Load an estimator's manifest and weights.
 * @throws ValidationError naming the file when it is missing, of another layout, or its weights do not match
 */
export function loadEstimator(file = manifestPath()): Estimator {
  if (!fs.existsSync(file)) throw new ValidationError(file, "no estimator weights: run `npm run train`");
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as EstimatorManifest;
  if (manifest.layoutVersion !== LAYOUT_VERSION) throw new ValidationError(`${file}: layoutVersion`, `must be ${LAYOUT_VERSION} (this code's parameter layout)`, manifest.layoutVersion);
  const sizes = layerSizes();
  if (JSON.stringify(manifest.architecture) !== JSON.stringify(sizes)) throw new ValidationError(`${file}: architecture`, `must be ${sizes.join("-")}`, manifest.architecture.join("-"));
  const binFile = path.join(path.dirname(file), manifest.weights.file);
  const bytes = fs.readFileSync(binFile);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== manifest.weights.sha256) throw new ValidationError(`${binFile}`, `SHA-256 ${sha256} is not the manifest's`, manifest.weights.sha256);
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes);
  return { manifest, network: denseNetwork(values, sizes), input: new Float32Array(INPUT_SIZE) };
}

/** An estimate: padded-layout values and 1-σ uncertainties (NaN for parameters the family lacks). */
export interface Estimate {
  readonly values: Float64Array;
  readonly sigma: Float64Array;
}

/**
 * The network's estimate for a curve on the probe's fixed grid (learn/generator `qGrid`).
 * @param prior - the family (probe, layer count)
 * @param reflectivity - R per grid point (any value where `mask` is 0)
 * @param mask - 1 where measured
 * @param lower - bounds per parameter (padded layout), inside the family prior
 * @param upper - as `lower`
 */
export function estimateOnGrid(
  estimator: Estimator,
  prior: FamilyPrior,
  reflectivity: ArrayLike<number>,
  mask: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
): Estimate {
  encodeInput(prior, reflectivity, mask, lower, upper, estimator.input);
  const output = forward(estimator.network, estimator.input);
  const values = new Float64Array(PARAMETER_COUNT).fill(Number.NaN);
  const sigma = new Float64Array(PARAMETER_COUNT).fill(Number.NaN);
  for (let j = 0; j < PARAMETER_COUNT; j++) {
    if (!prior.present[j]) continue;
    const span = upper[j] - lower[j];
    const fraction = Math.min(1, Math.max(0, output[j]));
    values[j] = lower[j] + fraction * span;
    sigma[j] = Math.exp(Math.min(LOG_SIGMA_MAX, Math.max(LOG_SIGMA_MIN, output[PARAMETER_COUNT + j]))) * span;
  }
  return { values, sigma };
}

/**
 * A measured curve moved onto a probe's fixed grid: log R interpolated linearly in Q between
 * the measured points (R > 0); grid points outside the measured range are masked.
 */
export function curveOnGrid(probe: LearnProbe, q: ArrayLike<number>, reflectivity: ArrayLike<number>): { reflectivity: Float64Array; mask: Uint8Array } {
  const points: [number, number][] = [];
  for (let i = 0; i < q.length; i++) if (reflectivity[i] > 0 && Number.isFinite(q[i])) points.push([q[i], Math.log(reflectivity[i])]);
  points.sort((a, b) => a[0] - b[0]);
  const grid = qGrid(probe);
  const out = new Float64Array(GRID_POINTS);
  const mask = new Uint8Array(GRID_POINTS);
  if (points.length < 2) return { reflectivity: out, mask };
  let k = 0;
  for (let i = 0; i < GRID_POINTS; i++) {
    const x = grid[i];
    if (x < points[0][0] || x > points[points.length - 1][0]) continue;
    while (k < points.length - 2 && points[k + 1][0] < x) k++;
    const [x0, y0] = points[k];
    const [x1, y1] = points[k + 1];
    const t = x1 > x0 ? (x - x0) / (x1 - x0) : 0;
    out[i] = Math.exp(y0 + t * (y1 - y0));
    mask[i] = 1;
  }
  return { reflectivity: out, mask };
}

/**
 * Estimate from a measured curve at its own Q points.
 * @param curve - probe, layer count (1–4), measured Q and R
 * @param bounds - padded-layout bounds; omitted = the family prior
 */
export function estimate(
  estimator: Estimator,
  curve: { probe: LearnProbe; layers: number; q: ArrayLike<number>; reflectivity: ArrayLike<number> },
  bounds?: { lower: ArrayLike<number>; upper: ArrayLike<number> },
): Estimate {
  const prior = familyPrior(curve.probe, curve.layers);
  const lower = bounds?.lower ?? prior.lower;
  const upper = bounds?.upper ?? prior.upper;
  for (let j = 0; j < PARAMETER_COUNT; j++) {
    if (!prior.present[j]) continue;
    if (!(prior.lower[j] <= lower[j] && lower[j] < upper[j] && upper[j] <= prior.upper[j])) {
      throw new ValidationError(`bounds[${j}]`, `must satisfy ${prior.lower[j]} ≤ min < max ≤ ${prior.upper[j]} (the family prior)`, [lower[j], upper[j]]);
    }
  }
  const { reflectivity, mask } = curveOnGrid(curve.probe, curve.q, curve.reflectivity);
  return estimateOnGrid(estimator, prior, reflectivity, mask, lower, upper);
}
