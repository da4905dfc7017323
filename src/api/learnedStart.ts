/**
 * @module api/learnedStart
 * `strata fit --start auto|ml|nominal|global` (issue 19 part 3): where the first optimisation
 * of a PROBLEM.json starts. The learned estimator (learn/estimator) gives a start in a fraction
 * of a millisecond when the problem lies in its domain; Levenberg–Marquardt then finishes
 * (and MCMC follows with method "mcmc"). The network's answer is a start, never a result.
 *
 * **Mapping a problem onto the network's domain** ({@link mapProblem}): every dataset's model
 * must be the same slab stack (its layers' thickness, SLD and roughness the same parameters or
 * equal fixed numbers; scale and background may differ per dataset) of one probe, with the
 * family's fronting (X-ray: an electrolyte-like fronting of SLD within
 * {@link FRONTING_SLD_TOLERANCE} of learn/generator's; neutron: Si) and 1–4 finite layers
 * given as SLDs (not materials), no geometry block other than an angle offset, no
 * expression on a mapped field, and reflectivity data (not counts under a Poisson
 * likelihood). Each mapped parameter's bounds passed to the network are its min/max
 * intersected with the family prior (log10 of a background's); a fixed one is passed as a
 * narrow box around its value ({@link FIXED_BOX_FRACTION} of the prior's width); a fixed
 * scale, background or angle offset outside the prior is passed the whole prior (the
 * network's value is not used). Anything else: "not in the network's domain" with the reason.
 *
 * **Several datasets** (e.g. the per-angle files of one measurement): each dataset's points
 * are divided by its scale parameter's start value and all are put on the probe's grid
 * together (learn/estimator curveOnGrid over the union of points, log R interpolated); the
 * network's scale estimate then multiplies each dataset's start scale.
 *
 * **The start** ({@link learnedStart}): the estimate, clamped into each parameter's bounds,
 * for every varying mapped parameter (a parameter mapped to several slots takes their mean);
 * parameters the network does not know keep their start values.
 *
 * **auto**: the network when the problem maps and its curve's out-of-distribution score
 * (learn/ood) is at most the threshold, else the global search (differential evolution, then
 * LM). **ml**: the network (refused, a ValidationError, when the problem does not map; an
 * out-of-distribution score above the threshold is reported, not refused). **nominal**: LM
 * from the problem's values. **global**: DE then LM. Default: "auto" when the problem's
 * method is "de" (a global search was asked for: the network may stand in for it), else
 * "nominal" (what `--method lm` and `mcmc` always did).
 *
 * Units: as the model fields (thickness, roughness Å; SLD 10⁻⁶ Å⁻²; angle offset degrees);
 * Q Å⁻¹.
 */
import { ValidationError } from "../core/errors.ts";
import type { Problem } from "../fit/problem.ts";
import type { FitMethod, FitStart, ProblemDataset } from "../io/problemFile.ts";
import type { Parameter } from "../params/index.ts";
import {
  ANGLE_OFFSET,
  BACKING_ROUGHNESS,
  BACKING_SLD,
  familyPrior,
  GRID_POINTS,
  LOG10_BACKGROUND,
  MAX_LAYERS,
  NEUTRON_FRONTING_SLD,
  PARAMETER_COUNT,
  PARAMETER_NAMES,
  PER_LAYER,
  qGrid,
  SCALE,
  XRAY_FRONTING_SLD,
  type FamilyPrior,
  type LearnProbe,
} from "../learn/generator.ts";
import { curveOnGrid, type Estimator } from "../learn/estimator.ts";
import { oodScore, shippedEstimator, type OodStatistics } from "../learn/ood.ts";
import { FWHM_TO_SIGMA } from "../kernels/reflectivity/smear.ts";

/** A fronting SLD (10⁻⁶ Å⁻²) within this of the family's (X-ray electrolyte 11.71, neutron Si 2.074) is the family's. */
export const FRONTING_SLD_TOLERANCE: Record<LearnProbe, number> = { xray: 2, neutron: 0.15 };
/** A fixed parameter is passed to the network as a box of this fraction of its prior's width around its value. */
export const FIXED_BOX_FRACTION = 0.01;
/** dQ/Q (FWHM) assumed for the out-of-distribution misfit when the data carry no resolution. */
const DEFAULT_DQ_OVER_Q = 0.03;

/** The outcome of {@link mapProblem}. */
export type ProblemMapping =
  | {
      readonly inDomain: true;
      readonly prior: FamilyPrior;
      /** Per padded slot the parameters mapped to it (a parameter may fill several slots, a slot several parameters: one per dataset for scale/background). */
      readonly slots: readonly (readonly Parameter[])[];
      readonly lower: Float64Array;
      readonly upper: Float64Array;
      /** The curve on the probe's grid. */
      readonly reflectivity: Float64Array;
      readonly mask: Uint8Array;
      readonly sigmaQ: Float64Array;
      /** Each dataset's scale parameter and the start value its points were divided by. */
      readonly scales: readonly { parameter: Parameter; start: number }[];
    }
  | { readonly inDomain: false; readonly reason: string };

const out = (reason: string): ProblemMapping => ({ inDomain: false, reason });

/** How a problem's parameter enters the network: its bounds in the network's units, or why it cannot. */
function boundsOf(parameter: Parameter, slot: number, prior: FamilyPrior, field: string): { lower: number; upper: number } | string {
  if (parameter.constrained) return `${field} is an expression (${parameter.expr ?? ""})`;
  const log = slot === LOG10_BACKGROUND;
  const toNet = (x: number): number => (log ? (x > 0 ? Math.log10(x) : -Infinity) : x);
  const pLower = prior.lower[slot];
  const pUpper = prior.upper[slot];
  const nuisance = slot === SCALE || slot === LOG10_BACKGROUND || slot === ANGLE_OFFSET;
  if (!parameter.vary) {
    const v = toNet(parameter.value);
    if (!(v >= pLower && v <= pUpper)) return nuisance ? { lower: pLower, upper: pUpper } : `${field} is fixed at ${parameter.value}, outside the family's range [${pLower.toPrecision(4)}, ${pUpper.toPrecision(4)}]`;
    const half = 0.5 * FIXED_BOX_FRACTION * (pUpper - pLower);
    const lower = Math.max(pLower, v - half);
    const upper = Math.min(pUpper, v + half);
    return { lower, upper };
  }
  const lower = Math.max(pLower, toNet(parameter.bounds.min));
  const upper = Math.min(pUpper, toNet(parameter.bounds.max));
  if (!(lower < upper)) {
    if (nuisance) return { lower: pLower, upper: pUpper };
    return `${field}'s bounds [${parameter.bounds.min}, ${parameter.bounds.max}] miss the family's range [${pLower.toPrecision(4)}, ${pUpper.toPrecision(4)}]`;
  }
  return { lower, upper };
}

/** Same parameter, or equal fixed numbers. */
function sameField(a: Parameter | undefined, b: Parameter | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return !a.vary && !b.vary && !a.constrained && !b.constrained && a.value === b.value;
}

/**
 * Map a problem onto the network's domain (see the module header).
 * @param datasets - the problem's datasets (their curves' dQ give the resolution on the grid)
 */
export function mapProblem(problem: Problem, datasets: readonly ProblemDataset[]): ProblemMapping {
  const counts = datasets.findIndex((d) => d.options.likelihood === "poisson");
  if (counts >= 0) return out(`datasets[${counts}] holds counts (Poisson likelihood), not reflectivity`);
  const modelIds = [...new Set(problem.datasetModels)];
  const models = modelIds.map((id) => problem.models.get(id)!);
  const first = models[0];
  const probe: LearnProbe = first.probe;
  const layers = first.layers.length - 2;
  if (layers < 1 || layers > MAX_LAYERS) return out(`${layers} finite layers (the network knows 1–${MAX_LAYERS})`);
  for (const [m, model] of models.entries()) {
    const id = modelIds[m];
    if (model.probe !== first.probe) return out(`models ${modelIds[0]} and ${id} have different probes`);
    if (model.layers.length !== first.layers.length) return out(`models ${modelIds[0]} and ${id} have different stacks`);
    if (model.geometry && (model.geometry.footprint || model.geometry.heightOffset || model.geometry.attenuation || model.geometry.incoherentBackground)) {
      return out(`model ${id} has a geometry block beyond an angle offset`);
    }
    for (const [k, layer] of model.layers.entries()) {
      if (layer.material || !layer.sld) return out(`model ${id} layer ${k} (${layer.name}) is given by a material, not an SLD`);
      const ref = first.layers[k];
      const fields = k === 0 ? [[layer.sld, ref.sld]] : k === model.layers.length - 1 ? [[layer.sld, ref.sld], [layer.roughness, ref.roughness]] : [[layer.thickness, ref.thickness], [layer.sld, ref.sld], [layer.roughness, ref.roughness]];
      if (!fields.every(([a, b]) => sameField(a, b))) return out(`models ${modelIds[0]} and ${id} differ in layer ${k} (${layer.name}): not one stack`);
    }
  }
  const fronting = first.layers[0].sld!;
  const frontingSld = probe === "xray" ? XRAY_FRONTING_SLD : NEUTRON_FRONTING_SLD;
  if (fronting.vary || fronting.constrained) return out(`the fronting's SLD varies (the network's fronting is fixed: ${frontingSld})`);
  if (Math.abs(fronting.value - frontingSld) > FRONTING_SLD_TOLERANCE[probe]) {
    return out(`fronting SLD ${fronting.value} is not the family's (${probe === "xray" ? "electrolyte" : "Si"} ${frontingSld} ± ${FRONTING_SLD_TOLERANCE[probe]})`);
  }
  const prior = familyPrior(probe, layers);
  const slots: Parameter[][] = Array.from({ length: PARAMETER_COUNT }, () => []);
  const place = (slot: number, parameter: Parameter): void => {
    if (!slots[slot].includes(parameter)) slots[slot].push(parameter);
  };
  for (let k = 0; k < layers; k++) {
    const layer = first.layers[k + 1];
    place(PER_LAYER * k, layer.thickness);
    place(PER_LAYER * k + 1, layer.sld!);
    place(PER_LAYER * k + 2, layer.roughness);
  }
  const backing = first.layers[layers + 1];
  place(BACKING_SLD, backing.sld!);
  place(BACKING_ROUGHNESS, backing.roughness);
  for (const model of models) {
    place(SCALE, model.scale);
    place(LOG10_BACKGROUND, model.background);
    if (model.geometry?.angleOffset_deg) place(ANGLE_OFFSET, model.geometry.angleOffset_deg);
  }
  const lower = Float64Array.from(prior.lower);
  const upper = Float64Array.from(prior.upper);
  for (let j = 0; j < PARAMETER_COUNT; j++) {
    if (!prior.present[j]) continue;
    for (const parameter of slots[j]) {
      const b = boundsOf(parameter, j, prior, `${problem.displayName(parameter)} (${PARAMETER_NAMES[j]})`);
      if (typeof b === "string") return out(b);
      // per-dataset nuisances: the union of their boxes; stack fields have one parameter per slot
      const at = slots[j].indexOf(parameter);
      lower[j] = at === 0 ? b.lower : Math.min(lower[j], b.lower);
      upper[j] = at === 0 ? b.upper : Math.max(upper[j], b.upper);
    }
  }
  // the curve: every dataset's points over its scale's start, on the grid together
  const q: number[] = [];
  const r: number[] = [];
  const dqOverQ: number[] = [];
  const scales: { parameter: Parameter; start: number }[] = [];
  problem.terms.forEach((term, t) => {
    const model = problem.models.get(problem.datasetModels[t])!;
    const start = model.scale.constrained || !(model.scale.value > 0) ? 1 : model.scale.value;
    if (!scales.some((s) => s.parameter === model.scale)) scales.push({ parameter: model.scale, start });
    for (let i = 0; i < term.q.length; i++) {
      q.push(term.q[i]);
      r.push(term.y[i] / start);
    }
  });
  for (const dataset of datasets) {
    for (const curve of dataset.curves) {
      const resolution = problem.models.get(dataset.model)?.resolution;
      const sigma = curve.dq ?? (resolution && !resolution.fromData ? resolution.sigmaFor(curve.q) : undefined);
      if (sigma) for (let i = 0; i < curve.q.length; i++) if (sigma[i] > 0 && curve.q[i] > 0) dqOverQ.push(sigma[i] / FWHM_TO_SIGMA / curve.q[i]);
    }
  }
  const grid = curveOnGrid(probe, q, r);
  const measured = grid.mask.reduce((n, m) => n + m, 0);
  if (measured < GRID_POINTS / 8) return out(`the data cover ${measured} of the ${probe} grid's ${GRID_POINTS} points (${qGrid(probe)[0]}–${qGrid(probe)[GRID_POINTS - 1].toPrecision(3)} Å⁻¹)`);
  dqOverQ.sort((a, b) => a - b);
  const relative = dqOverQ.length > 0 ? dqOverQ[Math.floor(dqOverQ.length / 2)] : DEFAULT_DQ_OVER_Q;
  const sigmaQ = qGrid(probe).map((value) => value * relative * FWHM_TO_SIGMA);
  return { inDomain: true, prior, slots, lower, upper, reflectivity: grid.reflectivity, mask: grid.mask, sigmaQ, scales };
}

/** The `start` block of result.json. */
export interface StartRecord {
  readonly requested: FitStart;
  /**
   * What ran first: "ml" (LM from the network's estimate), "nominal" (LM from the problem's
   * values), "global" (DE then LM) or "staged" (api/fit: each group of a co-fit's datasets
   * fitted alone with its own start, then LM on the whole problem from their answers).
   */
  readonly used: "ml" | "nominal" | "global" | "staged";
  readonly reason: string;
  /** Out-of-distribution score of the problem's curve (when it maps onto the domain and the network was consulted). */
  readonly ood?: { readonly score: number; readonly threshold: number; readonly inDomain: boolean };
  /** The network's raw estimate per problem parameter (a start only, never a result). */
  readonly network?: Record<string, { value: number; sigma: number }>;
  /** With "staged": each group's datasets (indices into the problem's), the start its own fit used, and its χ² over its points. */
  readonly groups?: readonly { readonly datasets: readonly number[]; readonly used: "ml" | "nominal" | "global" | "staged"; readonly chi2: number; readonly points: number }[];
}

/** The resolved start: the record and, when the network is used, the θ vector LM starts from. */
export interface ResolvedStart {
  readonly record: StartRecord;
  readonly initial: Float64Array | undefined;
}


/** The start the problem asks for when none is given: see the module header. */
export function defaultStart(method: FitMethod): FitStart {
  return method === "de" ? "auto" : "nominal";
}

/**
 * Resolve a fit's start: consult the network for "auto" and "ml".
 * @throws ValidationError for "ml" on a problem outside the network's domain (one line, naming the reason)
 */
export function resolveStart(problem: Problem, datasets: readonly ProblemDataset[], requested: FitStart): ResolvedStart {
  if (requested === "nominal") return { record: { requested, used: "nominal", reason: "LM from the problem's values (--start nominal)" }, initial: undefined };
  if (requested === "global") return { record: { requested, used: "global", reason: "differential evolution, then LM (--start global)" }, initial: undefined };
  const mapping = mapProblem(problem, datasets);
  if (!mapping.inDomain) {
    if (requested === "ml") throw new ValidationError("--start ml", `the problem is not in the learned estimator's domain: ${mapping.reason}`, problem.file);
    return { record: { requested, used: "global", reason: `not in the network's domain (${mapping.reason}): global search` }, initial: undefined };
  }
  let network: { estimator: Estimator; statistics: OodStatistics };
  try {
    network = shippedEstimator();
  } catch (error) {
    // an installation without the weights (they are not in dist/): auto searches globally, ml says why it cannot
    const why = error instanceof Error ? error.message : String(error);
    if (requested === "ml") throw new ValidationError("--start ml", `the learned estimator is not available: ${why}`, problem.file);
    return { record: { requested, used: "global", reason: `the learned estimator is not available (${why}): global search` }, initial: undefined };
  }
  const { estimator, statistics } = network;
  const q = qGrid(mapping.prior.probe);
  const score = oodScore(estimator, statistics, { prior: mapping.prior, reflectivity: mapping.reflectivity, mask: mapping.mask, lower: mapping.lower, upper: mapping.upper, sigmaQ: mapping.sigmaQ, q });
  const ood = { score: score.score, threshold: score.threshold, inDomain: score.inDomain };
  const family = `${mapping.prior.probe} ${mapping.prior.layers}-layer family`;
  if (requested === "auto" && !score.inDomain) {
    return { record: { requested, used: "global", reason: `out-of-distribution score ${score.score.toFixed(3)} > threshold ${score.threshold.toFixed(3)} (${family}): global search`, ood }, initial: undefined };
  }
  // the start: per varying parameter the mean of its slots' estimates, clamped into its bounds
  const objective = problem.objective;
  const initial = objective.space.varying.map((p) => p.value);
  const sums = new Map<Parameter, { value: number; sigma: number; n: number }>();
  const add = (parameter: Parameter, value: number, sigma: number): void => {
    const entry = sums.get(parameter) ?? { value: 0, sigma: 0, n: 0 };
    entry.value += value;
    entry.sigma += sigma;
    entry.n++;
    sums.set(parameter, entry);
  };
  const { values, sigma } = score.estimate;
  for (let j = 0; j < PARAMETER_COUNT; j++) {
    if (!mapping.prior.present[j] || !Number.isFinite(values[j])) continue;
    for (const parameter of mapping.slots[j]) {
      if (!parameter.vary) continue;
      if (j === SCALE) {
        const start = mapping.scales.find((s) => s.parameter === parameter)?.start ?? 1;
        add(parameter, start * values[j], start * sigma[j]);
      } else if (j === LOG10_BACKGROUND) add(parameter, 10 ** values[j], Math.LN10 * 10 ** values[j] * sigma[j]);
      else add(parameter, values[j], sigma[j]);
    }
  }
  const estimates: Record<string, { value: number; sigma: number }> = {};
  for (const [parameter, entry] of sums) {
    const value = entry.value / entry.n;
    estimates[problem.displayName(parameter)] = { value, sigma: entry.sigma / entry.n };
    const index = objective.space.indexOf(parameter);
    if (index >= 0) initial[index] = Math.min(objective.space.upper[index], Math.max(objective.space.lower[index], value));
  }
  const reason =
    requested === "auto"
      ? `in the network's domain (${family}), out-of-distribution score ${score.score.toFixed(3)} ≤ threshold ${score.threshold.toFixed(3)}: LM from the network's estimate`
      : score.inDomain
        ? `LM from the network's estimate (--start ml; ${family}, out-of-distribution score ${score.score.toFixed(3)} ≤ ${score.threshold.toFixed(3)})`
        : `LM from the network's estimate (--start ml) although its out-of-distribution score ${score.score.toFixed(3)} > threshold ${score.threshold.toFixed(3)} (${family}): the curve is unlike the training set`;
  return { record: { requested, used: "ml", reason, ood, network: estimates }, initial: Float64Array.from(initial) };
}
