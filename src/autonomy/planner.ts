/**
 * @module autonomy/planner
 * The dose-aware planner (issue 18 part 1): ranks the next actions of a cell — a
 * reflectivity scan now or later, at which spot, with which Q range and counting time; an
 * impedance spectrum; waiting — by the expected information on the user's target per unit
 * cost, within every budget.
 *
 * Posterior: Σ from the live posterior's weighted draws, worked in units of the posterior
 * sds (the correlation matrix C). A candidate with Fisher information F (autonomy/information)
 * updates it to Σ' = (Σ⁻¹ + F)⁻¹ (Gaussian, linearised at the posterior mean). Gains (nats):
 * - parameter θ_j: ½ ln(σ_j²/σ'_j²);
 * - thickness at t*: the same for L(t*) with its gradient g: ½ ln(gᵀΣg / gᵀΣ'g);
 * - damage: the posterior's `damage_rate` when it has one. Without one, a linear damage term
 *   β (Å/Gy) is added with prior sd {@link damagePriorSd} (the growth seen so far over the
 *   largest dose), and the scans so far enter through their thicknesses (each L_k + βD_k
 *   with the free fit's stderr): at one spot D grows with t, so β and growth trade off; a
 *   scan at a fresh spot (D ≈ 0) measures the chemistry alone and separates them;
 * - law: the expected reduction of the entropy of the law weights (the mutual information of
 *   the law and the candidate's thickness; at most the weights' entropy) over the top laws
 *   (weights ≥ {@link MIN_LAW_WEIGHT}, at least two, at most {@link TOP_LAWS}, renormalised):
 *   each law predicts the thickness at the candidate from its joint optimum, N(μ_a, s_a² + σ²)
 *   with s_a² from its information matrix and σ² the candidate's own thickness variance
 *   (autonomy/information thicknessPrecision); the expectation over the thickness by
 *   10-point Gauss–Hermite quadrature. (Box–Hill's discrimination, the pairwise expected KL,
 *   grows without bound when the laws are far apart; this one stops at what is left to learn.)
 * Impedance: the live posterior does not include the spectra (live cells carry R and C
 * apart), so a spectrum is given the information of the thickness it reports, C = κ/L with
 * κ and its scatter calibrated on the cell's fitted spectra against the posterior's
 * thickness at their times (the error of κ itself added); it costs no dose. Refused with
 * fewer than {@link MIN_SPECTRA_FOR_IMPEDANCE} fitted spectra, and for the law target.
 *
 * A cell without a posterior yet gets the earliest allowed scans with gain 0 (see
 * noPosteriorPlan).
 *
 * Candidates: reflectivity at now, at the earliest time the minimum spacing allows, and at
 * now + each wait step (default 1, 2, 4 spacings, half and all of the time left); every spot; every setting; impedance now; waiting until each wait
 * step (no gain, no dose). Hard constraints refuse a candidate (counted per reason): the
 * spot's budget, the total budget, the minimum spacing since the last scan's start, the end
 * of the beam time. Score (dose-aware): gain / (dose/D + time/T) with D the dose still
 * allowed (the total budget, or the spots' remaining budgets summed; without any budget the
 * dose of a default scan at every spacing until the end) and T the beam time left; the
 * Fisher-greedy baseline (doseAware false) ranks by gain / time. Time of an action: from now
 * to its end (waiting counts).
 *
 * Gating (autonomy/gating): when an electrochemical event is at most GATING_WINDOW_S old,
 * the best scan at the earliest allowed time is put first, its reason naming the event.
 *
 * Validation ({@link PlanContext.sampledGain}): the posterior-entropy reduction by
 * sampling — Poisson data simulated from a draw, the other draws importance-reweighted by
 * its likelihood, the Gaussian entropy of the reweighted target — to compare with the
 * Fisher gain.
 *
 * Units: time s (campaign clock), dose Gy, thickness Å, Q Å⁻¹, counting time s, information nats.
 */
import { ValidationError } from "../core/errors.ts";
import { createRandom } from "../core/random.ts";
import { poissonDeviate } from "../core/poisson.ts";
import { GROWTH_LAWS, type LawName } from "../models/growthLaws.ts";
import { DAMAGE_MODELS } from "../models/damageModels.ts";
import type { CellData } from "../campaign/campaign.ts";
import { cellInput } from "../diagnosis/diagnose.ts";
import { MIN_SCANS_FOR_LAWS } from "../diagnosis/diagnoseCell.ts";
import { exposureDose, resolveDoseSetup } from "../confounders/index.ts";
import type { SeriesInput } from "../diagnosis/seriesModel.ts";
import type { LiveCell } from "../diagnosis/live.ts";
import { posteriorView, ScanForecaster, standardisedFisher, symmetricInverse, thicknessPrecision, type CandidateJacobian, type CandidateScan, type PosteriorView } from "./information.ts";
import { cyclerEvents, gatingEvent } from "./gating.ts";
import type { Action, Constraints, PlanRequest, PlanResult, RankedAction, ScanSetting, SpotState, Target } from "./types.ts";

/** Actions returned by default. */
export const DEFAULT_ACTIONS = 5;
/** Wait steps when the constraints give none: these multiples of the spacing (the minimum spacing, else an eighth of the time left). */
export const DEFAULT_WAIT_MULTIPLES: readonly number[] = [1, 2, 4];
/** … and these fractions of the time left (a scan's end at the latest): late scans see most growth, and a scarce dose budget may be worth keeping for them. */
export const DEFAULT_WAIT_FRACTIONS: readonly number[] = [0.5, 1];
/** Duration of an impedance spectrum when the constraints give none, s. */
export const DEFAULT_IMPEDANCE_DURATION_S = 120;
/** Laws with at least this weight enter the law target's discrimination. */
export const MIN_LAW_WEIGHT = 1e-3;
/** At most this many laws (the heaviest) enter it. */
export const TOP_LAWS = 3;
/** Fewest fitted spectra that calibrate C = κ/L for the impedance action. */
export const MIN_SPECTRA_FOR_IMPEDANCE = 2;
/** Gauss–Hermite nodes and weights (10 points, ∫e^(−x²) f(x) dx) of the law target's expectation over a scan's thickness. */
const HERMITE_NODES = [-3.436159118837738, -2.53273167423279, -1.756683649299882, -1.036610829789514, -0.3429013272237046, 0.3429013272237046, 1.036610829789514, 1.756683649299882, 2.53273167423279, 3.436159118837738];
const HERMITE_WEIGHTS = [7.640432855232621e-6, 0.001343645746781233, 0.03387439445548106, 0.2401386110823147, 0.6108626337353258, 0.6108626337353258, 0.2401386110823147, 0.03387439445548106, 0.001343645746781233, 7.640432855232621e-6];
/** Simulated data sets per candidate in the sampled-entropy validation. */
export const SAMPLED_DATASETS = 16;

/** The prior sd of a hypothetical linear damage rate (Å/Gy): the growth seen so far, over the largest dose. */
export function damagePriorSd(growth_A: number, maxDose_Gy: number): number {
  return Math.max(Math.abs(growth_A), 1) / Math.max(maxDose_Gy, 1e-12);
}

/**
 * Check constraints from outside the type system (a JSON file, an HTTP body).
 * @throws ValidationError naming the first bad field and its value
 */
export function validateConstraints(value: unknown, where = "constraints", options: { unknownKeys?: "error" | "ignore" } = {}): Constraints {
  const c = value as Record<string, unknown>;
  if (typeof c !== "object" || c === null || Array.isArray(c)) throw new ValidationError(where, "must be an object", value);
  const num = (key: string, options: { min?: number; optional?: boolean; infinite?: boolean } = {}): number | undefined => {
    const v = c[key];
    if (v === undefined && options.optional) return undefined;
    const x = v === null && options.infinite ? Infinity : v;
    if (typeof x !== "number" || Number.isNaN(x) || (!Number.isFinite(x) && !options.infinite)) throw new ValidationError(`${where}.${key}`, "must be a number", v);
    if (options.min !== undefined && x < options.min) throw new ValidationError(`${where}.${key}`, `must be ≥ ${options.min}`, v);
    return x;
  };
  const now_s = num("now_s")!;
  const end_s = num("end_s")!;
  if (end_s <= now_s) throw new ValidationError(`${where}.end_s`, `must be after now_s (${now_s})`, end_s);
  const minSpacing_s = num("minSpacing_s", { min: 0 })!;
  if (!Array.isArray(c["spots"]) || c["spots"].length === 0) throw new ValidationError(`${where}.spots`, "must be a non-empty array of spots ({id, dose_Gy, budget_Gy, fresh})", c["spots"]);
  const ids = new Set<string>();
  const spots: SpotState[] = c["spots"].map((s: unknown, i: number) => {
    const at = `${where}.spots[${i}]`;
    const o = s as Record<string, unknown>;
    if (typeof o !== "object" || o === null) throw new ValidationError(at, "must be an object", s);
    if (typeof o["id"] !== "string" || o["id"] === "") throw new ValidationError(`${at}.id`, "must be a non-empty string", o["id"]);
    if (ids.has(o["id"])) throw new ValidationError(`${at}.id`, "duplicates another spot", o["id"]);
    ids.add(o["id"]);
    const dose = o["dose_Gy"] ?? 0;
    if (typeof dose !== "number" || !Number.isFinite(dose) || dose < 0) throw new ValidationError(`${at}.dose_Gy`, "must be a dose ≥ 0 (Gy)", o["dose_Gy"]);
    const budget = o["budget_Gy"] === undefined || o["budget_Gy"] === null ? Infinity : o["budget_Gy"];
    if (typeof budget !== "number" || Number.isNaN(budget) || budget <= 0) throw new ValidationError(`${at}.budget_Gy`, "must be a dose > 0 (Gy), or null for none", o["budget_Gy"]);
    const fresh = o["fresh"] ?? dose === 0;
    if (typeof fresh !== "boolean") throw new ValidationError(`${at}.fresh`, "must be true or false", o["fresh"]);
    return { id: o["id"], dose_Gy: dose, budget_Gy: budget, fresh };
  });
  if (!Array.isArray(c["settings"]) || c["settings"].length === 0) throw new ValidationError(`${where}.settings`, "must be a non-empty array of scan settings ({qMin, qMax, points, countTime_s})", c["settings"]);
  const settings: ScanSetting[] = c["settings"].map((s: unknown, i: number) => {
    const at = `${where}.settings[${i}]`;
    const o = s as Record<string, unknown>;
    if (typeof o !== "object" || o === null) throw new ValidationError(at, "must be an object", s);
    const field = (key: string, test: (x: number) => boolean, what: string): number => {
      const v = o[key];
      if (typeof v !== "number" || !Number.isFinite(v) || !test(v)) throw new ValidationError(`${at}.${key}`, `must be ${what}`, v);
      return v;
    };
    const qMin = field("qMin", (x) => x > 0 && x <= 3, "a Q > 0 and ≤ 3 Å⁻¹");
    const qMax = field("qMax", (x) => x > qMin && x <= 3, `a Q above qMin (${qMin}) and ≤ 3 Å⁻¹`);
    const points = field("points", (x) => Number.isInteger(x) && x >= 2, "an integer ≥ 2");
    const countTime_s = field("countTime_s", (x) => x > 0, "a counting time > 0 s");
    return { qMin, qMax, points, countTime_s };
  });
  const impedance = c["impedance"] ?? false;
  if (typeof impedance !== "boolean") throw new ValidationError(`${where}.impedance`, "must be true or false", c["impedance"]);
  const impedanceDuration_s = num("impedanceDuration_s", { min: 0, optional: true });
  let waitSteps_s: number[] | undefined;
  if (c["waitSteps_s"] !== undefined) {
    if (!Array.isArray(c["waitSteps_s"])) throw new ValidationError(`${where}.waitSteps_s`, "must be an array of times > 0 (s from now)", c["waitSteps_s"]);
    waitSteps_s = c["waitSteps_s"].map((x: unknown, i: number) => {
      if (typeof x !== "number" || !Number.isFinite(x) || x <= 0) throw new ValidationError(`${where}.waitSteps_s[${i}]`, "must be a time > 0 (s from now)", x);
      return x;
    });
  }
  const total = c["totalBudget_Gy"];
  const totalBudget_Gy = total === undefined || total === null ? undefined : num("totalBudget_Gy", { min: 0, infinite: true });
  const known = ["now_s", "end_s", "minSpacing_s", "spots", "settings", "impedance", "impedanceDuration_s", "waitSteps_s", "totalBudget_Gy"];
  if (options.unknownKeys !== "ignore") for (const key of Object.keys(c)) if (!known.includes(key)) throw new ValidationError(`${where}.${key}`, `is not a constraint (one of ${known.join(", ")})`, c[key]);
  return {
    now_s,
    end_s,
    minSpacing_s,
    spots,
    settings,
    impedance,
    ...(impedanceDuration_s !== undefined ? { impedanceDuration_s } : {}),
    ...(waitSteps_s ? { waitSteps_s } : {}),
    ...(totalBudget_Gy !== undefined ? { totalBudget_Gy } : {}),
  };
}

/** A target from text: `kp` (any parameter name), `law`, `damage`, `thickness@SECONDS`. */
export function parseTarget(text: string): Target {
  if (text === "law") return { kind: "law" };
  if (text === "damage") return { kind: "damage" };
  const m = /^thickness@(.+)$/.exec(text);
  if (m) {
    const at = Number(m[1]);
    if (!Number.isFinite(at)) throw new ValidationError("target", "thickness@SECONDS needs a time in s on the campaign clock", text);
    return { kind: "thickness", at_s: at };
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(text)) throw new ValidationError("target", "must be a parameter name (e.g. kp), law, damage or thickness@SECONDS", text);
  return { kind: "parameter", name: text };
}

/** The default target of a cell: its posterior law's rate parameter (the first after L0). */
export function defaultTarget(cell: LiveCell): Target {
  const law = cell.posterior?.law;
  if (!law || !cell.resume.scales) return { kind: "law" };
  const specs = GROWTH_LAWS[law].parameters(cell.resume.scales);
  return { kind: "parameter", name: specs[Math.min(1, specs.length - 1)].name };
}

/** A candidate with what ranking needs. */
interface Candidate {
  action: Action;
  spot?: SpotState;
  scan?: CandidateScan;
  dose_Gy: number;
  time_s: number;
}

/** The target in the standardised space: its direction u (var = uᵀΣ_z u), the prior precision, extra columns. */
interface TargetModel {
  kind: Target["kind"];
  label: string;
  unit: string;
  /** z-space direction (parameter, thickness, damage) */
  direction?: Float64Array;
  /** prior precision (p or p+1 square) in z units */
  precision?: Float64Array;
  /** the hypothetical damage term's z scale (augmented damage target) */
  damageScale?: number;
  /** laws for the law target */
  laws?: { law: LawName; weight: number; values: Float64Array; covariance: Float64Array; lawIndex: Int32Array; damageIndex: Int32Array; damage: string }[];
  sdBefore?: number;
  median?: number;
}

/** The damage target's augmented model per live cell and scan list (see PlanContext.#augmentedDamage). */
const AUGMENTED_DAMAGE = new WeakMap<LiveCell, { key: string; model: TargetModel }>();

/** Everything a plan computes from its request, reusable for validation. */
export class PlanContext {
  readonly request: PlanRequest;
  readonly constraints: Constraints;
  readonly cell: LiveCell;
  readonly cellData: CellData;
  readonly view: PosteriorView;
  readonly forecaster: ScanForecaster;
  readonly target: TargetModel;
  readonly #jacobians = new Map<string, CandidateJacobian>();
  readonly #qredTimes: Float64Array;
  readonly #qredValues: Float64Array;
  readonly #sharedPrecision: { columns: Int32Array; precision: Float64Array };
  /** the entropy of the law weights the law target works with (what is left to learn), nats */
  get lawEntropy(): number {
    return (this.target.laws ?? []).reduce((h, l) => (l.weight > 0 ? h - l.weight * Math.log(l.weight) : h), 0);
  }
  /** start and end of the last reflectivity scan, s */
  readonly lastStart_s: number;
  readonly lastEnd_s: number;

  constructor(request: PlanRequest) {
    this.request = request;
    this.constraints = request.constraints;
    const { campaign, live } = request;
    const id = request.cell ?? live.cells[0]?.id;
    const cell = live.cells.find((c) => c.id === id);
    if (!cell) throw new ValidationError("cell", `is not a cell of the live diagnosis (${live.cells.map((c) => c.id).join(", ")})`, id);
    const index = campaign.cells.findIndex((c) => c.id === id);
    if (index < 0) throw new ValidationError("cell", `is not a cell of the campaign (${campaign.cells.map((c) => c.id).join(", ")})`, id);
    this.cell = cell;
    this.cellData = campaign.cells[index];
    this.view = posteriorView(cell);
    const input = cellInput(campaign, this.cellData, campaign.manifest.beam.probe, campaign.manifest.beam, { damage: live.options?.damage ?? "auto", cellIndex: index });
    this.forecaster = new ScanForecaster(this.view, input, campaign, index);
    const scans = [...input.series.scans].sort((a, b) => a.time_s - b.time_s);
    this.#qredTimes = Float64Array.from(scans, (s) => s.time_s);
    this.#qredValues = Float64Array.from(scans, (s) => s.qred_C_per_cm2);
    const present = this.cellData.scans.filter((s) => s.data.q.length > 0);
    this.lastStart_s = present.length > 0 ? Math.max(...present.map((s) => s.start_s)) : -Infinity;
    this.lastEnd_s = present.length > 0 ? Math.max(...present.map((s) => s.end_s)) : -Infinity;
    // shared parameters (neither law nor damage): their posterior precision, for the thickness a scan measures
    const lawOrDamage = new Set([...this.view.lawColumns, ...this.view.damageColumns]);
    const shared = Int32Array.from(this.view.names.map((_, j) => j).filter((j) => !lawOrDamage.has(j)));
    const s = shared.length;
    const block = new Float64Array(s * s);
    for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) block[a * s + b] = this.view.correlation[shared[a] * this.view.names.length + shared[b]];
    this.#sharedPrecision = { columns: shared, precision: symmetricInverse(block, s) };
    this.target = this.#targetModel(request.target, input.series.scans);
  }

  /** Reduction charge per area at t: interpolated between the scans, extrapolated from the last two. */
  qredAt(t: number): number {
    const times = this.#qredTimes;
    const values = this.#qredValues;
    const n = times.length;
    if (n === 0) return 0;
    if (n === 1) return values[0];
    let i = 1;
    while (i < n - 1 && times[i] < t) i++;
    const span = times[i] - times[i - 1];
    return span > 0 ? values[i - 1] + ((values[i] - values[i - 1]) * (t - times[i - 1])) / span : values[i];
  }

  #targetModel(target: Target, scans: SeriesInput["scans"]): TargetModel {
    const view = this.view;
    const p = view.names.length;
    const precision = symmetricInverse(view.correlation, p);
    const weighted = (samples: Float64Array): { median: number; sd: number } => weightedSummary(samples, view.weights);
    if (target.kind === "parameter") {
      const j = view.names.indexOf(target.name);
      if (j < 0) throw new ValidationError("target.name", `is not a parameter of the posterior (${view.law} law: ${view.names.join(", ")})`, target.name);
      const direction = new Float64Array(p);
      direction[j] = 1;
      const summary = weighted(column(view, j));
      return { kind: "parameter", label: target.name, unit: "", direction, precision, sdBefore: summary.sd, median: summary.median };
    }
    if (target.kind === "thickness") {
      if (!Number.isFinite(target.at_s)) throw new ValidationError("target.at_s", "must be a time (s)", target.at_s);
      const qred = this.qredAt(target.at_s);
      const g = this.forecaster.thicknessGradient(target.at_s, qred);
      const direction = Float64Array.from(g, (x, j) => x * view.sd[j]);
      const n = view.weights.length;
      const samples = new Float64Array(n);
      for (let i = 0; i < n; i++) samples[i] = this.forecaster.lawThickness(view.draws.subarray(i * p, (i + 1) * p), target.at_s, qred);
      const summary = weighted(samples);
      return { kind: "thickness", label: `L(${target.at_s.toFixed(0)} s)`, unit: "Å", direction, precision, sdBefore: summary.sd, median: summary.median };
    }
    if (target.kind === "damage") {
      const j = view.names.indexOf("damage_rate");
      if (j >= 0) {
        const direction = new Float64Array(p);
        direction[j] = 1;
        const summary = weighted(column(view, j));
        return { kind: "damage", label: "damage_rate", unit: "Å/Gy", direction, precision, sdBefore: summary.sd, median: summary.median };
      }
      // every scan's information is the costly part: kept per live cell (the agent asks again on the same document)
      const key = scans.map((x) => `${x.id}@${x.time_s}:${x.dose_Gy}`).join(",");
      const cached = AUGMENTED_DAMAGE.get(this.cell);
      if (cached?.key === key) return cached.model;
      const model = this.#augmentedDamage(scans);
      AUGMENTED_DAMAGE.set(this.cell, { key, model });
      return model;
    }
    if (target.kind === "law") {
      const laws = this.cell.resume.laws.filter((l) => !l.stale);
      const weights = this.cell.law.weights;
      const sorted = laws.map((l) => ({ l, weight: weights[l.law] ?? 0 })).sort((a, b) => b.weight - a.weight);
      // the heaviest laws; always two (a settled law then gives tiny, honest gains)
      const top = sorted.filter((x, i) => i < 2 || x.weight >= MIN_LAW_WEIGHT).slice(0, TOP_LAWS);
      if (top.length < 2) throw new ValidationError("target", `law: the cell has ${top.length} law fitted; there is nothing to discriminate`, "law");
      const total = top.reduce((a, x) => a + x.weight, 0);
      const scales = view.scales;
      return {
        kind: "law",
        label: "law",
        unit: "",
        laws: top.map(({ l, weight }) => {
          const k = l.names.length;
          const covariance = symmetricInverse(Float64Array.from(l.information), k);
          const lawIndex = Int32Array.from(GROWTH_LAWS[l.law].parameters(scales), (s) => l.names.indexOf(s.name));
          const damageIndex = Int32Array.from(DAMAGE_MODELS[l.damage].parameters({ maxDose: 1, magnitude: 1 }), (s) => l.names.indexOf(s.name));
          return { law: l.law, weight: weight / total, values: Float64Array.from(l.values), covariance, lawIndex, damageIndex, damage: l.damage };
        }),
      };
    }
    throw new ValidationError("target.kind", "must be parameter, law, damage or thickness", (target as { kind: unknown }).kind);
  }

  /**
   * Damage target without a damage term in the posterior: a hypothetical linear β added (see
   * the module comment). The precision of (θ, β) in sd units is the Fisher information of
   * every scan so far (its own Q grid, counting time and dose) plus β's prior: the whole
   * matrix from one linearisation, since β is nearly collinear with growth at one spot and
   * the posterior's own θ block (from draws) next to Fisher cross terms would not be
   * positive definite.
   */
  #augmentedDamage(scans: { time_s: number; dose_Gy?: number; id: string; qred_C_per_cm2: number; data: { q: Float64Array } }[]): TargetModel {
    const view = this.view;
    const p = view.names.length;
    const doses = scans.map((s) => s.dose_Gy);
    if (doses.some((d) => d === undefined) || scans.length === 0) {
      throw new ValidationError("target", "damage: the scans have no doses (a neutron beam, or the dose ledger cannot be computed), so no damage term can be planned for", "damage");
    }
    const thick = this.cell.resume.independent.map((f) => f.thickness);
    const growth = thick.length > 1 ? Math.max(...thick) - Math.min(...thick) : 1;
    const maxDose = Math.max(...(doses as number[]));
    const prior = damagePriorSd(growth, maxDose);
    const exposures = new Map(this.cellData.scans.map((s) => [s.id, s.exposure_s]));
    const q = p + 1;
    const out = new Float64Array(q * q);
    out[p * q + p] = 1;
    for (const scan of scans) {
      const n = scan.data.q.length;
      if (n < 2) continue;
      const setting: ScanSetting = { qMin: scan.data.q[0], qMax: scan.data.q[n - 1], points: n, countTime_s: exposures.get(scan.id) ?? 0 };
      if (!(setting.countTime_s > 0) || !(setting.qMax > setting.qMin)) continue;
      const candidate: CandidateScan = { time_s: scan.time_s, qred_C_per_cm2: scan.qred_C_per_cm2, dose_Gy: scan.dose_Gy as number, setting };
      const jacobian = this.#jacobian(candidate);
      const f = standardisedFisher(jacobian, view.sd, setting.countTime_s, [{ column: Float64Array.from(jacobian.dThickness, (x) => x * candidate.dose_Gy), scale: prior }]);
      for (let i = 0; i < q * q; i++) out[i] += f[i];
    }
    const covariance = symmetricInverse(out, q);
    const direction = new Float64Array(q);
    direction[p] = 1;
    return { kind: "damage", label: "damage_rate (hypothetical linear term)", unit: "Å/Gy", direction, precision: out, damageScale: prior, sdBefore: Math.sqrt(covariance[p * q + p]) * prior, median: 0 };
  }

  /** The candidate scan of a reflectivity action at a spot. */
  candidateScan(action: Extract<Action, { kind: "reflectivity" }>, spot: SpotState): CandidateScan {
    const mid = action.at_s + 0.5 * action.setting.countTime_s;
    const dose = this.forecaster.scanDose(action.setting);
    return { time_s: mid, qred_C_per_cm2: this.qredAt(mid), dose_Gy: spot.dose_Gy + 0.5 * dose, setting: action.setting };
  }

  #jacobian(scan: CandidateScan): CandidateJacobian {
    const key = `${scan.time_s}:${scan.dose_Gy}:${scan.setting.qMin}:${scan.setting.qMax}:${scan.setting.points}`;
    let j = this.#jacobians.get(key);
    if (!j) {
      j = this.forecaster.jacobian(scan);
      this.#jacobians.set(key, j);
    }
    return j;
  }

  /** The Fisher gain (nats) of a candidate scan on the target, with the sd after (parameter, thickness, damage). */
  scanGain(scan: CandidateScan): { gain: number; sdAfter?: number; detail: string } {
    const jacobian = this.#jacobian(scan);
    const target = this.target;
    const view = this.view;
    if (target.kind === "law") return this.#lawGain(scan, jacobian);
    const extra = target.damageScale !== undefined ? [{ column: Float64Array.from(jacobian.dThickness, (x) => x * scan.dose_Gy), scale: target.damageScale }] : [];
    const f = standardisedFisher(jacobian, view.sd, scan.setting.countTime_s, extra);
    const q = target.direction!.length;
    const posterior = new Float64Array(q * q);
    for (let i = 0; i < q * q; i++) posterior[i] = target.precision![i] + f[i];
    const before = quadratic(symmetricInverse(target.precision!, q), target.direction!);
    const after = quadratic(symmetricInverse(posterior, q), target.direction!);
    const gain = Math.max(0.5 * Math.log(before / after), 0);
    return { gain, sdAfter: target.sdBefore! * Math.exp(-gain), detail: "" };
  }

  #lawGain(scan: CandidateScan, jacobian: CandidateJacobian): { gain: number; detail: string } {
    const laws = this.target.laws!;
    const precision = thicknessPrecision(jacobian, this.view, this.#sharedPrecision, scan.setting.countTime_s);
    const noise = precision > 0 ? 1 / precision : Infinity;
    const predictions = laws.map((l) => this.#lawPrediction(l, scan));
    // mutual information of the law and the scan's thickness: H(w) − E_y[H(w | y)], each law's
    // predictive N(μ, s² + σ²), the expectation by Gauss–Hermite quadrature
    const k = laws.length;
    const variances = predictions.map((x) => x.variance + noise);
    const entropy = (w: ArrayLike<number>): number => {
      let h = 0;
      for (let i = 0; i < w.length; i++) if (w[i] > 0) h -= w[i] * Math.log(w[i]);
      return h;
    };
    const prior = laws.map((l) => l.weight);
    const logPost = new Float64Array(k);
    const post = new Float64Array(k);
    let expected = 0;
    for (let a = 0; a < k; a++) {
      for (let n = 0; n < HERMITE_NODES.length; n++) {
        const y = predictions[a].mean + Math.SQRT2 * Math.sqrt(variances[a]) * HERMITE_NODES[n];
        let max = -Infinity;
        for (let b = 0; b < k; b++) {
          logPost[b] = Math.log(prior[b]) - 0.5 * Math.log(variances[b]) - (0.5 * (y - predictions[b].mean) ** 2) / variances[b];
          if (logPost[b] > max) max = logPost[b];
        }
        let total = 0;
        for (let b = 0; b < k; b++) total += (post[b] = Math.exp(logPost[b] - max));
        for (let b = 0; b < k; b++) post[b] /= total;
        expected += (prior[a] * HERMITE_WEIGHTS[n] * entropy(post)) / Math.sqrt(Math.PI);
      }
    }
    const d = entropy(prior) - expected;
    const spread = `${laws[0].law} vs ${laws[1].law} differ by ${Math.abs(predictions[0].mean - predictions[1].mean).toFixed(2)} Å (scan σ ${Math.sqrt(noise).toFixed(2)} Å)`;
    return { gain: Number.isFinite(d) ? Math.max(d, 0) : 0, detail: spread };
  }

  /** A law's predicted observed thickness at a candidate (its joint optimum) and its predictive variance. */
  #lawPrediction(l: NonNullable<TargetModel["laws"]>[number], scan: CandidateScan): { mean: number; variance: number } {
    const law = GROWTH_LAWS[l.law];
    const damage = DAMAGE_MODELS[l.damage as keyof typeof DAMAGE_MODELS];
    const evaluate = (values: Float64Array): number => {
      const lawValues = Array.from(l.lawIndex, (j) => values[j]);
      const damageValues = Array.from(l.damageIndex, (j) => values[j]);
      return law.evaluate(lawValues, scan.time_s, scan.qred_C_per_cm2, this.forecaster.series.thicknessPerCharge) + damage.evaluate(damageValues, scan.dose_Gy);
    };
    const values = Float64Array.from(l.values);
    const mean = evaluate(values);
    const k = values.length;
    const g = new Float64Array(k);
    for (const j of [...l.lawIndex, ...l.damageIndex]) {
      const h = 1e-6 * Math.max(Math.abs(values[j]), 1e-9) + Math.sqrt(Math.max(l.covariance[j * k + j], 0)) * 1e-3;
      values[j] += h;
      g[j] = (evaluate(values) - mean) / h;
      values[j] = l.values[j];
    }
    return { mean, variance: Math.max(quadratic(l.covariance, g), 0) };
  }

  /** The impedance action's gain: the thickness a spectrum reports (C = κ/L), or why it has none. */
  impedanceGain(at_s: number): { gain: number; sdAfter?: number; detail: string } | { refused: string } {
    const records = this.cell.impedance;
    if (records.length < MIN_SPECTRA_FOR_IMPEDANCE) return { refused: `impedance: fewer than ${MIN_SPECTRA_FOR_IMPEDANCE} fitted spectra to relate C to thickness` };
    if (this.target.kind === "law") return { refused: "impedance: the law target needs the scans' curves; a spectrum's thickness is not in the posterior" };
    // κ = C·L fitted on the records (the posterior's median thickness at their times), its scatter as the thickness error
    const view = this.view;
    const p = view.names.length;
    const thickness = records.map((r) => this.forecaster.lawThickness(view.mean, r.time_s, this.qredAt(r.time_s)));
    const kappas = records.map((r, i) => r.C_int_F * thickness[i]);
    const kappa = kappas.reduce((a, b) => a + b, 0) / kappas.length;
    const residuals = records.map((r, i) => kappa / r.C_int_F - thickness[i]);
    const scatter = Math.sqrt(residuals.reduce((a, r) => a + r * r, 0) / Math.max(records.length - 1, 1));
    if (!(scatter > 0)) return { refused: "impedance: the spectra's thickness scatter is zero; no honest error to give it" };
    const target = this.target;
    const qred = this.qredAt(at_s);
    // κ itself is known to (scatter / mean L)/√n relative: a spectrum's thickness carries that scale error too
    const meanThickness = thickness.reduce((a, b) => a + b, 0) / thickness.length;
    const predicted = this.forecaster.lawThickness(view.mean, at_s, qred);
    const sigma = Math.hypot(scatter, (predicted * scatter) / (meanThickness * Math.sqrt(records.length)));
    const g = this.forecaster.thicknessGradient(at_s, qred);
    const q = target.direction!.length;
    const row = new Float64Array(q);
    for (let j = 0; j < p; j++) row[j] = g[j] * view.sd[j];
    const posterior = Float64Array.from(target.precision!);
    for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) posterior[a * q + b] += (row[a] * row[b]) / (sigma * sigma);
    const before = quadratic(symmetricInverse(target.precision!, q), target.direction!);
    const after = quadratic(symmetricInverse(posterior, q), target.direction!);
    const gain = Math.max(0.5 * Math.log(before / after), 0);
    return { gain, sdAfter: target.sdBefore! * Math.exp(-gain), detail: `the posterior does not include impedance: gain from the thickness it reports (C = κ/L calibrated on ${records.length} spectra, σ ${sigma.toFixed(2)} Å with κ's own error)` };
  }

  /**
   * The target's posterior-entropy reduction (nats) by sampling, for validation: data sets
   * simulated from draws (Poisson counts), the other draws importance-reweighted by their
   * likelihood, the Gaussian entropy ½ ln(2πe·var) of the reweighted target; averaged over
   * {@link SAMPLED_DATASETS} data sets. Parameter and thickness targets.
   */
  sampledGain(scan: CandidateScan, options: { datasets?: number; seed?: number } = {}): { gain: number; ess: number } {
    const target = this.target;
    if (target.kind !== "parameter" && target.kind !== "thickness") throw new ValidationError("target", "sampled gains are computed for parameter and thickness targets", target.kind);
    const view = this.view;
    const p = view.names.length;
    const n = view.weights.length;
    const points = scan.setting.points;
    const counts = this.forecaster.countsPerSecond(scan.setting);
    for (let k = 0; k < points; k++) counts[k] *= scan.setting.countTime_s;
    const curves = new Float64Array(n * points);
    const values = new Float64Array(n);
    const j = target.kind === "parameter" ? view.names.indexOf(target.label) : -1;
    const at = (this.request.target as { at_s?: number }).at_s ?? 0;
    for (let i = 0; i < n; i++) {
      const theta = view.draws.subarray(i * p, (i + 1) * p);
      this.forecaster.curve(theta, scan, curves.subarray(i * points, (i + 1) * points));
      values[i] = j >= 0 ? theta[j] : this.forecaster.lawThickness(theta, at, this.qredAt(at));
    }
    const before = weightedSummary(values, view.weights).sd;
    const random = createRandom(options.seed ?? this.request.seed ?? 1);
    const datasets = options.datasets ?? SAMPLED_DATASETS;
    const y = new Float64Array(points);
    const logL = new Float64Array(n);
    const w = new Float64Array(n);
    let total = 0;
    let essTotal = 0;
    for (let m = 0; m < datasets; m++) {
      // the truth: a draw picked by weight; it is left out of the reweighted set
      let u = random.next();
      let truth = 0;
      while (truth < n - 1 && u > view.weights[truth]) u -= view.weights[truth++];
      for (let k = 0; k < points; k++) y[k] = poissonDeviate(Math.max(curves[truth * points + k], 1e-300) * counts[k], () => random.next());
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        if (i === truth) {
          logL[i] = -Infinity;
          continue;
        }
        let s = 0;
        for (let k = 0; k < points; k++) {
          const lambda = Math.max(curves[i * points + k], 1e-300) * counts[k];
          s += y[k] * Math.log(lambda) - lambda;
        }
        logL[i] = s + Math.log(view.weights[i]);
        if (logL[i] > max) max = logL[i];
      }
      let sum = 0;
      for (let i = 0; i < n; i++) {
        w[i] = Math.exp(logL[i] - max);
        sum += w[i];
      }
      let sum2 = 0;
      for (let i = 0; i < n; i++) {
        w[i] /= sum;
        sum2 += w[i] * w[i];
      }
      essTotal += 1 / sum2;
      const after = weightedSummary(values, w).sd;
      total += Math.log(before / after);
    }
    return { gain: total / datasets, ess: essTotal / datasets };
  }
}

/** ½·(a column's) weighted median and sd. */
function weightedSummary(samples: Float64Array, weights: Float64Array): { median: number; sd: number } {
  let mean = 0;
  for (let i = 0; i < samples.length; i++) mean += weights[i] * samples[i];
  let variance = 0;
  for (let i = 0; i < samples.length; i++) variance += weights[i] * (samples[i] - mean) ** 2;
  const order = Array.from(samples.keys()).sort((a, b) => samples[a] - samples[b]);
  let cumulative = 0;
  let median = samples[order[order.length - 1]];
  for (const i of order) {
    cumulative += weights[i];
    if (cumulative >= 0.5) {
      median = samples[i];
      break;
    }
  }
  return { median, sd: Math.sqrt(variance) };
}

function column(view: PosteriorView, j: number): Float64Array {
  const p = view.names.length;
  return Float64Array.from({ length: view.weights.length }, (_, i) => view.draws[i * p + j]);
}

function quadratic(matrix: Float64Array, v: Float64Array): number {
  const q = v.length;
  let s = 0;
  for (let a = 0; a < q; a++) {
    if (v[a] === 0) continue;
    for (let b = 0; b < q; b++) s += v[a] * matrix[a * q + b] * v[b];
  }
  return s;
}

/** A number for a reason line: 3 significant digits, exponent when large or small. */
function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return x.toExponential(1);
  const text = x.toPrecision(3);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** "now", "in 40 min", "in 2.5 h" */
function when(at_s: number, now_s: number): string {
  const dt = at_s - now_s;
  if (dt < 1) return "now";
  if (dt < 5400) return `in ${Math.round(dt / 60)} min`;
  return `in ${(dt / 3600).toFixed(1)} h`;
}

/**
 * Rank the next actions of a cell (see the module comment).
 * @throws ValidationError on constraints, a target or a cell the posterior cannot serve
 */
export function plan(request: PlanRequest): PlanResult {
  // callers in code may carry fields of later versions: only a file (the CLI) is strict about keys
  const constraints = validateConstraints(request.constraints, "constraints", { unknownKeys: "ignore" });
  const liveCell = request.live.cells.find((c) => c.id === (request.cell ?? request.live.cells[0]?.id));
  if (liveCell && !liveCell.posterior) return noPosteriorPlan(request, constraints, liveCell);
  const context = new PlanContext({ ...request, constraints });
  const { now_s, end_s, minSpacing_s } = constraints;
  const target = context.target;
  const doseAware = request.doseAware ?? true;
  const neutron = request.campaign.manifest.beam.probe === "neutron";
  const refused: Record<string, number> = {};
  const refuse = (reason: string): void => {
    refused[reason] = (refused[reason] ?? 0) + 1;
  };
  // times: now, the earliest the spacing allows, now + each wait step
  const spacing = minSpacing_s > 0 ? minSpacing_s : (end_s - now_s) / 8;
  const longest = Math.max(...constraints.settings.map((x) => x.countTime_s));
  const waits =
    constraints.waitSteps_s ??
    [...new Set([...DEFAULT_WAIT_MULTIPLES.map((k) => k * spacing), ...DEFAULT_WAIT_FRACTIONS.map((f) => Math.floor(f * (end_s - now_s - longest)))])].filter((w) => w > 0).sort((a, b) => a - b);
  const earliest = context.lastStart_s + minSpacing_s;
  const times = [...new Set([now_s, ...(earliest > now_s && earliest < end_s ? [earliest] : []), ...waits.map((w) => now_s + w)])].sort((a, b) => a - b);
  const candidates: Candidate[] = [];
  let considered = 0;
  const totalBudget = constraints.totalBudget_Gy ?? Infinity;
  for (const at of times) {
    for (const spot of constraints.spots) {
      for (const setting of constraints.settings) {
        considered++;
        const action: Action = { kind: "reflectivity", at_s: at, spot: spot.id, setting };
        const dose = context.forecaster.scanDose(setting);
        if (at + setting.countTime_s > end_s) {
          refuse("ends after the beam time");
          continue;
        }
        if (at < earliest - 1e-9) {
          refuse("within the minimum spacing of the last scan");
          continue;
        }
        if (spot.dose_Gy + dose > spot.budget_Gy) {
          refuse("over the spot's dose budget");
          continue;
        }
        if (dose > totalBudget) {
          refuse("over the total dose budget");
          continue;
        }
        const scan = context.candidateScan(action, spot);
        candidates.push({ action, spot, scan, dose_Gy: dose, time_s: at - now_s + setting.countTime_s });
      }
    }
  }
  if (constraints.impedance) {
    considered++;
    candidates.push({ action: { kind: "impedance", at_s: now_s }, dose_Gy: 0, time_s: constraints.impedanceDuration_s ?? DEFAULT_IMPEDANCE_DURATION_S });
  }
  for (const w of waits) {
    considered++;
    const until = now_s + w;
    if (until > end_s) {
      refuse("ends after the beam time");
      continue;
    }
    candidates.push({ action: { kind: "wait", until_s: until }, dose_Gy: 0, time_s: w });
  }
  // the scale of dose: what may still be spent
  const defaultDose = context.forecaster.scanDose(constraints.settings[0]);
  const spotRoom = constraints.spots.reduce((a, s) => a + Math.max(s.budget_Gy - s.dose_Gy, 0), 0);
  let doseScale = Math.min(totalBudget, spotRoom);
  let doseScaleText = Number.isFinite(constraints.totalBudget_Gy ?? Infinity) && totalBudget <= spotRoom ? "the total budget left" : "the spots' budgets left";
  if (!Number.isFinite(doseScale)) {
    doseScale = Math.max(defaultDose * Math.max(Math.floor((end_s - now_s) / spacing), 1), 1e-12);
    doseScaleText = "the dose of the default scan at every spacing until the end (no budget)";
  }
  doseScale = Math.max(doseScale, 1e-12);
  const timeScale = end_s - now_s;
  const costModel = neutron
    ? `neutrons: no dose; score = gain / (beam time s / ${fmt(timeScale)} s left); the cost is beam time`
    : doseAware
      ? `score = gain / (dose / D + time / T), D = ${fmt(doseScale)} Gy (${doseScaleText}), T = ${fmt(timeScale)} s (beam time left); time runs from now to the action's end`
      : "Fisher-greedy baseline: score = gain / time (s from now to the action's end), dose ignored";
  const score = (gain: number, dose: number, time: number): number => {
    if (gain <= 0) return 0;
    if (!doseAware || neutron) return gain / Math.max(time, 1e-9);
    return gain / (dose / doseScale + time / timeScale);
  };
  const ranked: RankedAction[] = [];
  const sdText = (before?: number, after?: number): string => (before !== undefined && after !== undefined && before > 0 ? `expected σ(${target.label}) −${(100 * (1 - after / before)).toFixed(0)} %` : "");
  for (const c of candidates) {
    const cost = { dose_Gy: neutron ? 0 : c.dose_Gy, time_s: c.time_s };
    if (c.action.kind === "wait") {
      ranked.push({ action: c.action, gain_nats: 0, cost, score: 0, reason: `wait ${when(c.action.until_s, now_s).replace("in ", "")}: no dose, no information now` });
      continue;
    }
    if (c.action.kind === "impedance") {
      const result = context.impedanceGain(c.action.at_s);
      if ("refused" in result) {
        refuse(result.refused);
        continue;
      }
      ranked.push({
        action: c.action,
        gain_nats: result.gain,
        cost,
        score: score(result.gain, 0, c.time_s),
        reason: `impedance now: no dose; ${target.kind === "damage" ? "the electrode-wide thickness, unexposed: separates damage from growth; " : ""}${result.detail}; ${sdText(target.sdBefore, result.sdAfter) || `${fmt(result.gain)} nats`}`,
        ...(target.sdBefore !== undefined && result.sdAfter !== undefined ? { sdBefore: target.sdBefore, sdAfter: result.sdAfter } : {}),
      });
      continue;
    }
    const action = c.action;
    const spot = c.spot!;
    const result = context.scanGain(c.scan!);
    const where = spot.fresh ? `fresh spot ${spot.id}` : `spot ${spot.id} (${fmt(spot.dose_Gy)} Gy so far)`;
    const why = target.kind === "damage" && spot.fresh ? "separates damage from growth; " : target.kind === "law" ? `${result.detail}; ` : "";
    const setting = `Q ${action.setting.qMin}–${action.setting.qMax} Å⁻¹, ${fmt(action.setting.countTime_s)} s`;
    const effect = sdText(target.sdBefore, result.sdAfter) || `expected law information ${fmt(result.gain)} of ${fmt(context.lawEntropy)} nats`;
    const costText = neutron ? `${fmt(c.time_s)} s of beam time` : `${fmt(c.dose_Gy)} Gy`;
    ranked.push({
      action,
      gain_nats: result.gain,
      cost,
      score: score(result.gain, cost.dose_Gy, c.time_s),
      reason: `${where} ${when(action.at_s, now_s)} (${setting}): ${why}${effect} for ${costText}`,
      ...(target.sdBefore !== undefined && result.sdAfter !== undefined ? { sdBefore: target.sdBefore, sdAfter: result.sdAfter } : {}),
    });
  }
  // ties (equal score): keep fresh spots fresh (they are worth most for damage), then the earlier action
  const freshSpot = new Set(constraints.spots.filter((s) => s.fresh).map((s) => s.id));
  const isFresh = (r: RankedAction): number => (r.action.kind === "reflectivity" && freshSpot.has(r.action.spot) ? 1 : 0);
  const start = (r: RankedAction): number => (r.action.kind === "wait" ? r.action.until_s : r.action.at_s);
  ranked.sort((a, b) => b.score - a.score || b.gain_nats - a.gain_nats || isFresh(a) - isFresh(b) || start(a) - start(b));
  // temporal gating: a recent event puts the best scan at the earliest allowed time first
  const events = cyclerEvents(context.cellData, context.lastEnd_s, now_s);
  const event = gatingEvent(events, now_s);
  if (event) {
    const first = Math.max(now_s, earliest);
    const index = ranked.findIndex((r) => r.action.kind === "reflectivity" && Math.abs(r.action.at_s - first) < 1e-6);
    if (index >= 0) {
      const [gated] = ranked.splice(index, 1);
      gated.reason = `${event.kind} ${Math.round(now_s - event.time_s)} s ago (${event.message}): measure ${first > now_s ? when(first, now_s) : "now"}; ${gated.reason}`;
      ranked.unshift(gated);
    }
  }
  const now: PlanResult["now"] =
    target.kind === "law"
      ? { weights: Object.fromEntries(Object.entries(context.cell.law.weights).map(([k, v]) => [k, v ?? 0])) }
      : { ...(target.median !== undefined ? { median: target.median } : {}), ...(target.sdBefore !== undefined ? { sd: target.sdBefore } : {}) };
  return {
    format: "strata-plan/1",
    cell: context.cell.id,
    target: request.target,
    now,
    costModel: `${costModel}; ${context.forecaster.counting.note}`,
    events,
    actions: ranked.slice(0, request.n ?? DEFAULT_ACTIONS),
    considered,
    refused,
  };
}

/**
 * The plan of a cell without a posterior yet (fewer scans than a growth law needs, or no law
 * fitted): nothing to compute a gain on, so the scans that get one soonest — at the earliest
 * allowed time, the default setting first, exposed spots before fresh ones (kept for damage) —
 * with gain 0 and the reason; budgets and gating as always.
 */
function noPosteriorPlan(request: PlanRequest, constraints: Constraints, cell: LiveCell): PlanResult {
  const { campaign } = request;
  const index = campaign.cells.findIndex((c) => c.id === cell.id);
  if (index < 0) throw new ValidationError("cell", `is not a cell of the campaign (${campaign.cells.map((c) => c.id).join(", ")})`, cell.id);
  const data = campaign.cells[index];
  const present = data.scans.filter((s) => s.data.q.length > 0);
  const lastStart = present.length > 0 ? Math.max(...present.map((s) => s.start_s)) : -Infinity;
  const lastEnd = present.length > 0 ? Math.max(...present.map((s) => s.end_s)) : -Infinity;
  const beam = campaign.manifest.beam;
  const setup = beam.probe === "xray" ? resolveDoseSetup(beam, data.manifestCell, `cells[${index}]`) : undefined;
  const doseOf = (setting: ScanSetting): number => (setup?.ok ? (exposureDose(setup.value, ScanForecaster.grid(setting), setting.countTime_s).dose_Gy ?? 0) : 0);
  const at = Math.max(constraints.now_s, lastStart + constraints.minSpacing_s);
  const refused: Record<string, number> = {};
  const actions: RankedAction[] = [];
  const spots = [...constraints.spots].sort((a, b) => Number(a.fresh) - Number(b.fresh));
  let considered = 0;
  for (const setting of constraints.settings) {
    for (const spot of spots) {
      considered++;
      const dose = doseOf(setting);
      const why = at + setting.countTime_s > constraints.end_s ? "ends after the beam time" : spot.dose_Gy + dose > spot.budget_Gy ? "over the spot's dose budget" : dose > (constraints.totalBudget_Gy ?? Infinity) ? "over the total dose budget" : undefined;
      if (why) {
        refused[why] = (refused[why] ?? 0) + 1;
        continue;
      }
      const where = spot.fresh ? `fresh spot ${spot.id}` : `spot ${spot.id} (${fmt(spot.dose_Gy)} Gy so far)`;
      actions.push({
        action: { kind: "reflectivity", at_s: at, spot: spot.id, setting },
        gain_nats: 0,
        cost: { dose_Gy: dose, time_s: at - constraints.now_s + setting.countTime_s },
        score: 0,
        reason: `${where} ${when(at, constraints.now_s)} (Q ${setting.qMin}–${setting.qMax} Å⁻¹, ${fmt(setting.countTime_s)} s): no posterior yet (${present.length} scan${present.length === 1 ? "" : "s"}; a growth law needs ${MIN_SCANS_FOR_LAWS}): measure to get one, ${fmt(dose)} Gy`,
      });
    }
  }
  const events = cyclerEvents(data, lastEnd, constraints.now_s);
  const event = gatingEvent(events, constraints.now_s);
  if (event && actions.length > 0) actions[0].reason = `${event.kind} ${Math.round(constraints.now_s - event.time_s)} s ago (${event.message}): measure ${when(at, constraints.now_s)}; ${actions[0].reason}`;
  return {
    format: "strata-plan/1",
    cell: cell.id,
    target: request.target,
    now: {},
    costModel: "no posterior yet: no information to weigh; the earliest allowed scans, exposed spots first (fresh ones are kept for damage)",
    events,
    actions: actions.slice(0, request.n ?? DEFAULT_ACTIONS),
    considered,
    refused,
  };
}
