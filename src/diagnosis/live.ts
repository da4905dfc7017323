/**
 * @module diagnosis/live
 * The incremental ("live") diagnosis of `strata serve` (issue 17 part 3): each time scans
 * arrive, the diagnosis is updated from the previous state instead of being recomputed.
 *
 * - Per-scan (independent) fit of a new scan: Levenberg–Marquardt warm-started from the
 *   previous scan's optimum; the global stage runs on it only when its χ² says the warm
 *   start failed (upper-tail p < {@link MISFIT_P}).
 * - Law-constrained joint fits, every law, every update: the χ² of the scans seen before is
 *   replaced by its Gauss–Newton expansion at the previous optimum, (θ−θ₀)ᵀH(θ−θ₀) with
 *   H = JᵀJ (the information matrix, accumulated scan by scan), and LM minimises that plus
 *   the new scans' exact χ²; the χ² at the new optimum is then evaluated exactly (one
 *   evaluation of each scan), so the expansion's drift does not accumulate in the AICc
 *   weights. The contenders (within {@link POLISH_DELTA_IC} of the best: the best and one other
 *   in turn always, more within {@link POLISH_SCAN_EVALUATIONS}) are then polished on every scan
 *   exactly — one damped Gauss–Newton step, the information recomputed — because the expansion
 *   drifts where the χ² is not quadratic (a nested law's extra term near its bound: the mixed
 *   law ended 4.5 in χ² above the parabolic law it nests, weight 2 % instead of the batch's
 *   15 %) and the weights of tied laws are differences of their χ². A full run refits exactly.
 * - Posterior: sequential importance resampling. The previous draws of the posterior law are
 *   reweighted by the new scans' likelihood (one model evaluation of each new scan per draw);
 *   ESS from the weights. Under a growth law the series model has no per-scan parameter (a
 *   scan's thickness is the law's value at its time; roughness, density and the rest of the
 *   stack are shared), so a new scan brings no new dimension and the weight is the exact
 *   likelihood ratio. When the ESS falls below {@link RESAMPLE_ESS_FRACTION} of the draws they
 *   are resampled (systematic). Rejuvenation: every update spends a fixed budget
 *   ({@link REJUVENATION_SCAN_EVALUATIONS} single-scan evaluations) on independence
 *   Metropolis–Hastings moves of the draws, in turn, on the full posterior of every scan seen,
 *   proposed from a multivariate t of the draws' weighted mean and covariance, mixed half and
 *   half with a t around the posterior law's polished optimum (inverse information): the draws
 *   lag behind a posterior the new scans moved (≈ 1 sd along the L0–kp ridge on the example
 *   without it), the optimum does not. Each draw keeps
 *   its log posterior (updated by the reweighting), so a move costs one evaluation of every
 *   scan, not two as an ensemble sampler's restart would (optimize/ensembleSampler evaluates
 *   its walkers' start positions); each move leaves the posterior invariant, so weighted draws
 *   stay properly weighted. When another law leads the posterior's by more than
 *   {@link LAW_CHANGE_DELTA} in AICc, the draws are rebuilt for it by importance sampling
 *   around its joint optimum (while draws × scans ≤ {@link LAW_SWITCH_SCAN_EVALUATIONS}).
 * - Refinement: `update(campaign, { refine: true })` with nothing new spends
 *   {@link REFINEMENT_SCAN_EVALUATIONS} on more moves (the service asks for it when a campaign
 *   has been quiet for service/runner REFINE_AFTER_MS, before its full run).
 * - `needsFull` is raised when the cheap update is not enough: the ESS (weights, distinct
 *   draws) below {@link FULL_ESS_FRACTION} of the draws after rejuvenation; moves accepted less
 *   than {@link REJUVENATION_MIN_ACCEPTANCE} of the time; a law switch too costly for the
 *   cheap update; a new scan the law
 *   cannot reproduce (χ² jump, p < {@link CHI2_JUMP_P}); a second beam spot (a damage term may
 *   now be separable, which only the full run's damage stage tests); a law that became
 *   applicable (charge law once the cycler record arrives); earlier scans whose time, charge
 *   or dose changed. `full(campaign)` runs the batch diagnosis (diagnoseCampaign, the code of
 *   `strata diagnose`) and adopts its fits and posterior.
 * - The first posterior of a cell (when it reaches {@link MIN_SCANS_FOR_LAWS} scans) is the batch
 *   diagnosis of that cell (diagnoseCell) on its scans so far, with a shorter chain
 *   ({@link FIRST_POSTERIOR_MCMC}).
 * - The document's `method`: "sir" (reweighted, with the update's moves), "chain" (the draws
 *   were resampled and moved, rebuilt for another law, or a first chain was run), "full".
 *
 * Deterministic: every random choice is seeded by the seed, the cell's index and the number
 * of scans seen, and the document carries the whole state (draws, weights, fits, information
 * matrices), so {@link LiveDiagnosis.fromDocument} resumes to the same next document.
 *
 * Units: thickness Å, time s since the manifest's t0, charge C, current A, dose Gy,
 * resistance Ω, capacitance F.
 */
import { createRandom, type Random } from "../core/random.ts";
import { choleskyWithJitter, forwardSubstitution, invertMatrix } from "../core/linalg.ts";
import { ValidationError } from "../core/errors.ts";
import { STRATA_VERSION } from "../core/version.ts";
import { GROWTH_LAWS, LAW_NAMES, type LawName, type SeriesScales } from "../models/growthLaws.ts";
import { DAMAGE_MODELS, type DamageName } from "../models/damageModels.ts";
import { levenbergMarquardt } from "../optimize/levenbergMarquardt.ts";
import type { FitObjective } from "../optimize/objective.ts";
import { startingAt } from "../optimize/objective.ts";
import { fitCircuit } from "../fit/circuitObjective.ts";
import { interphaseRC } from "./interphaseCircuit.ts";
import type { Campaign } from "../campaign/campaign.ts";
import { ledgerRows, resolveDoseSetup, scanExposures, type DoseSetup } from "../confounders/index.ts";
import { scanBeam } from "../campaign/manifest.ts";
import { cellInput, diagnoseCampaign } from "./diagnose.ts";
import { isMisfit } from "./misfit.ts";
import {
  chiSquareUpperTail,
  diagnoseCell,
  INDISTINGUISHABLE_DELTA_IC,
  MIN_SCANS_FOR_LAWS,
  trustJson,
  trustOf,
  type CellDiagnosis,
  type CellDiagnosisInput,
  type DiagnoseOptions,
  type QualityFlag,
} from "./diagnoseCell.ts";
import { fitScanFrom, independentSeries, POSTERIOR_MIXING_DEFAULTS, type IndependentScanFit, type LawFit, type SeriesStart } from "./fitSeries.ts";
import { seriesObjective, seriesScales, type SeriesInput, type SeriesObjective, type SeriesScan } from "./seriesModel.ts";

/** Draws of the live posterior (particles); also the most a document carries. */
export const LIVE_DRAWS = 500;
/** Resample and rejuvenate when the weights' ESS falls below this fraction of the draws. */
export const RESAMPLE_ESS_FRACTION = 0.5;
/** After rejuvenation, an ESS below this fraction of the draws sets `needsFull`. */
export const FULL_ESS_FRACTION = 0.2;
/** Rejuvenation budget of one update, in single-scan model evaluations (a move of one draw evaluates every scan once). */
export const REJUVENATION_SCAN_EVALUATIONS = 4000;
/** At most this many sweeps over the draws in one update (the budget buys more when the series is short). */
export const REJUVENATION_MAX_SWEEPS = 2;
/**
 * An update asked to refine (`update(campaign, { refine: true })`) that brings nothing new (no
 * scan, no changed scan) spends this many single-scan evaluations on moves of the draws, at
 * most {@link REFINEMENT_MAX_SWEEPS} sweeps. The service asks for one when a campaign has
 * been quiet (service/runner REFINE_AFTER_MS).
 */
export const REFINEMENT_SCAN_EVALUATIONS = 24000;
export const REFINEMENT_MAX_SWEEPS = 4;
/** Degrees of freedom and scale of the multivariate t (draws' weighted mean and covariance) that proposes the rejuvenation moves. */
export const REJUVENATION_PROPOSAL = { dof: 10, scale: 1.1 } as const;
/** Acceptance of the rejuvenation moves below this (over one update with at least {@link MIN_MOVES_FOR_ACCEPTANCE} proposals) says the posterior is far from the proposal: a full run is due. */
export const REJUVENATION_MIN_ACCEPTANCE = 0.1;
/** Proposals an update needs before its acceptance is judged. */
const MIN_MOVES_FOR_ACCEPTANCE = 20;
/** A law switch (importance sampling of the new law's draws over every scan) is done in the cheap update when draws × scans is at most this; beyond, `needsFull`. */
export const LAW_SWITCH_SCAN_EVALUATIONS = 20000;
/** Degrees of freedom and scale of the multivariate t around a law's optimum (inverse information) that proposes the draws of a law switch. */
const SWITCH_PROPOSAL = { dof: 5, scale: 1.2 } as const;
/** Laws within this ΔAICc of the best have their optimum polished on every scan at each update (beyond it a law's weight is below e⁻⁵ of the best's). */
export const POLISH_DELTA_IC = 10;
/** Damping trials of a polish's Gauss–Newton step. */
export const POLISH_TRIALS = 3;
/** Budget of one update's polishes, in single-scan model evaluations (the best law and one other, in turn, are always polished). */
export const POLISH_SCAN_EVALUATIONS = 2000;
/** A new scan's warm-started fit failed (global stage rerun) when its χ² upper-tail p is below this. */
export const MISFIT_P = 1e-3;
/** The posterior law is behind another by more than this ΔAICc: a full run is due. */
export const LAW_CHANGE_DELTA = INDISTINGUISHABLE_DELTA_IC;
/** A new scan the law fits worse than its own free fit by a χ² difference of upper-tail p below this: a full run is due. */
export const CHI2_JUMP_P = 1e-4;
/** Most points of the decimated current and charge trace. */
export const MAX_TRACE_POINTS = 500;
/** Flags of a batch run that the live update derives again itself (the others are carried until the next full run). */
const RECOMPUTED_CODES: readonly string[] = ["too-few-scans", "untrustworthy", "laws-indistinguishable"];
/** Relative change of an earlier scan's time, charge or dose that counts as a change. */
const SCAN_CHANGE_TOLERANCE = 1e-9;
/** Scans named by the "changed since first seen" reason before it abbreviates (the page shows it as a flag). */
const CHANGED_SCANS_NAMED = 3;
/**
 * The first posterior's chain (batch diagnosis of the first scans) is shorter than a full run's:
 * the live update refines it from the next scan on (reweighting and moves), and it blocks the
 * cell's updates while it runs.
 */
export const FIRST_POSTERIOR_MCMC = { steps: 150, minEss: 150 } as const;
/** Defaults of the full run (those of `strata diagnose`: api/diagnosis DIAGNOSE_DEFAULTS). */
const FULL_MCMC = { walkers: 24, steps: 100, burn: 30, ...POSTERIOR_MIXING_DEFAULTS } as const;

/** Options of a live diagnosis. */
export interface LiveOptions {
  /** seed of every random choice (default 1, as `strata diagnose`) */
  seed?: number;
  /** growth laws compared (default all five) */
  laws?: readonly LawName[];
  /** model beam damage in the full runs when the dose ledger allows it (default) or never */
  damage?: "auto" | "off";
  /** the batch diagnosis's MCMC settings for the first posterior and full runs (default those of `strata diagnose`) */
  mcmc?: Partial<DiagnoseOptions["mcmc"]>;
  /**
   * where a cell's first per-scan fit starts, and the fit of a scan whose warm start misfits
   * (issue 19 part 3; diagnosis/fitSeries seriesPlan): "global" (default) the global stage;
   * "auto" LM from the learned estimator's estimate (and from the nominal values, the better
   * kept) when the cell is in the network's domain, not out of distribution and that fit is no
   * misfit, else the global stage; "ml" is taken as "auto" here, since the live service never
   * refuses a scan (a cell outside the domain, or a misfit, gets the global stage). The first
   * posterior's and the full runs' batch diagnoses start the same way.
   */
  start?: SeriesStart;
}

/** An interval of the live document. */
export interface LiveInterval {
  median: number;
  lo95: number;
  hi95: number;
  unit?: string;
}

/** One cell of a strata-live/1 document. */
export interface LiveCell {
  id: string;
  headline: string;
  law: { best: LawName | null; weights: Partial<Record<LawName, number>>; posterior: LawName | null; damage: DamageName };
  timeline: { scan: string; time_s: number; spot: string; thickness_A: LiveInterval | null; independent_A: { value: number; stderr: number } | null }[];
  parameters: Record<string, LiveInterval>;
  latestScan: { id: string; q: number[]; r: number[]; dr: number[]; fit: number[]; chi2red: number } | null;
  posterior: { ess: number; law: LawName; damage: DamageName; draws: { names: string[]; values: number[][] }; logWeights: number[]; logPosterior: number[] } | null;
  dose_Gy: Record<string, number> | null;
  current: { time_s: number[]; current_A: number[]; charge_C: number[] } | null;
  impedance: { id: string; time_s: number; R_int_ohm: number; C_int_F: number }[];
  quality: { severity: "warning" | "info"; code?: string; message: string }[];
  trust: ReturnType<typeof trustJson>;
  /** what the cheap update did and why a full run is due */
  live: { method: "sir" | "chain" | "full" | "independent"; newScans: string[]; ess: number; resampled: boolean; moved: number; switched?: string; needsFull: string[] };
  /** the engine's state, for {@link LiveDiagnosis.fromDocument} */
  resume: CellStateJson;
}

/** The strata-live/1 document. */
export interface LiveDocument {
  format: "strata-live/1";
  campaign: string | null;
  generated: string;
  /**
   * How this version's posterior was obtained: "sir", the previous draws reweighted by the new
   * scans (with the update's budget of rejuvenation moves); "chain", a chain was run — the
   * first posterior's batch MCMC, or the draws resampled and moved (or rebuilt for another
   * law); "full", the batch diagnosis.
   */
  method: "sir" | "chain" | "full";
  scans: number;
  pending: string[];
  cells: LiveCell[];
  needsFull: boolean;
  seed: number;
  /** the options the document was made with (restored by fromDocument) */
  options: { laws: LawName[]; damage: "auto" | "off"; mcmc: DiagnoseOptions["mcmc"]; start?: SeriesStart };
  software: { name: string; version: string };
  full?: Record<string, unknown>;
}

/** A scan as the state remembers it (to see changes of time, charge or dose). */
interface ScanRecord {
  id: string;
  spot: string;
  time_s: number;
  qred: number;
  dose?: number;
}

/** A law's joint fit, kept as its optimum and information matrix. */
interface LawState {
  law: LawName;
  damage: DamageName;
  names: string[];
  lower: number[];
  upper: number[];
  values: number[];
  /** χ² of every scan seen at the optimum (exact after a full run, then its incremental update) */
  chi2: number;
  /** JᵀJ at the optimum, p×p row-major */
  information: number[];
  k: number;
  n: number;
  converged: boolean;
  /** the incremental update lost this law (a new scan it cannot reproduce, far from its free fit): left out of the comparison until a full run */
  stale?: boolean;
}

/** The particles of the posterior law. */
interface PosteriorState {
  law: LawName;
  damage: DamageName;
  names: string[];
  lower: number[];
  upper: number[];
  draws: number[][];
  logWeights: number[];
  /** each draw's log posterior over every scan seen (prior + likelihood), for the moves' acceptance */
  logPosterior: number[];
  /** the next draw to move (moves go round the draws) */
  cursor: number;
}

/** A spectrum's interphase R and C. */
interface ImpedanceRecord {
  id: string;
  time_s: number;
  R_int_ohm: number;
  C_int_F: number;
}

/** The serialisable state of one cell. */
export interface CellStateJson {
  id: string;
  scans: ScanRecord[];
  independent: IndependentScanFit[];
  scales: SeriesScales | null;
  laws: LawState[];
  posterior: Omit<PosteriorState, "draws" | "logWeights" | "logPosterior" | "names" | "law" | "damage"> | null;
  impedance: ImpedanceRecord[];
  impedanceFailures: { id: string; message: string }[];
  needsFull: string[];
  /** the last full run's quality flags of the kinds the cheap update cannot re-derive */
  fullFlags: QualityFlag[];
  /** spots the last posterior (first or full) saw */
  spotsAtFull: string[];
  /** laws the last full run could fit */
  lawsAtFull: LawName[];
  /** refinements (updates that brought nothing new) since the last new scan */
  refinements?: number;
  /** scans when the first posterior was last attempted without one resulting (retried at twice as many) */
  firstPosteriorTriedAt?: number;
}

interface CellState extends Omit<CellStateJson, "posterior"> {
  posterior: PosteriorState | null;
}

/** A single-scan objective under a law, with the map from the state's parameter order. */
interface ScanObjective {
  series: SeriesObjective;
  /** position in the objective's vector of each state parameter */
  order: Int32Array;
  buffer: Float64Array;
}

/**
 * The live diagnosis of a campaign (see the module comment). One object per campaign; feed
 * it the campaign as files arrive (`loadCampaign(dir, { presentOnly: true })`).
 */
export class LiveDiagnosis {
  readonly #options: Required<Pick<LiveOptions, "seed" | "damage" | "start">> & { laws: LawName[]; mcmc: DiagnoseOptions["mcmc"] };
  #cells = new Map<string, CellState>();
  /** single-scan objectives by law/damage/scan (rebuilt on demand, not part of the state) */
  readonly #objectives = new Map<string, ScanObjective>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: LiveOptions = {}) {
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new ValidationError("seed", "must be an integer", seed);
    this.#options = {
      seed,
      damage: options.damage ?? "auto",
      start: options.start ?? "global",
      laws: options.laws ? [...options.laws] : [...LAW_NAMES],
      mcmc: { ...FULL_MCMC, ...(options.mcmc ?? {}) },
    };
    for (const law of this.#options.laws) if (!LAW_NAMES.includes(law)) throw new ValidationError("laws", `unknown law (expected ${LAW_NAMES.join(", ")})`, law);
  }

  /** True when the cheap updates' diagnostics say a full re-run is due (see the module comment). */
  get needsFull(): boolean {
    return [...this.#cells.values()].some((c) => c.needsFull.length > 0);
  }

  /** Why a full run is due, per cell. */
  get needsFullReasons(): Record<string, string[]> {
    return Object.fromEntries([...this.#cells.values()].filter((c) => c.needsFull.length > 0).map((c) => [c.id, [...c.needsFull]]));
  }

  /**
   * Update with the campaign as it is now (the scans whose files have arrived). With
   * `refine`, a cell whose scans are all known and unchanged spends
   * {@link REFINEMENT_SCAN_EVALUATIONS} on more moves of its draws (the service asks for this
   * when a campaign has been quiet); a cell with new scans is updated as usual.
   * @returns the new strata-live/1 document
   */
  update(campaign: Campaign, options: { refine?: boolean } = {}): Promise<LiveDocument> {
    // one update at a time (an update may await the first posterior's chain)
    const run = this.#queue.then(() => this.#update(campaign, options.refine === true));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #update(campaign: Campaign, refine: boolean): Promise<LiveDocument> {
    const cells: LiveCell[] = [];
    const methods: string[] = [];
    for (const [index, cell] of campaign.cells.entries()) {
      debugTime("start");
      const input = cellInput(campaign, cell, campaign.manifest.beam.probe, campaign.manifest.beam, { damage: this.#options.damage, cellIndex: index });
      debugTime("cellInput");
      const result = await this.#updateCell(campaign, index, input, refine);
      debugTime("document");
      methods.push(result.live.method);
      cells.push(result);
    }
    const method = methods.includes("chain") ? "chain" : "sir";
    return this.#document(campaign, cells, method);
  }

  /**
   * The batch diagnosis (diagnoseCampaign: the code of `strata diagnose`) on the campaign,
   * adopted as the new state: fits, information matrices, and its MCMC chain thinned to
   * {@link LIVE_DRAWS} equally weighted draws.
   */
  async full(campaign: Campaign, options: { signal?: AbortSignal } = {}): Promise<LiveDocument> {
    const signal = options.signal;
    const check = (): void => {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("the full diagnosis was aborted");
    };
    check();
    const diagnosis = await diagnoseCampaign(campaign, { ...this.#diagnoseOptions(this.#options.seed), progress: () => check() });
    check();
    const cells: LiveCell[] = [];
    for (const [index, cell] of campaign.cells.entries()) {
      const input = cellInput(campaign, cell, campaign.manifest.beam.probe, campaign.manifest.beam, { damage: this.#options.damage, cellIndex: index });
      const state = this.#adopt(cell.id, input, diagnosis.cells[index].diagnosis);
      const previous = this.#cells.get(cell.id);
      state.impedance = previous?.impedance ?? [];
      state.impedanceFailures = previous?.impedanceFailures ?? [];
      this.#updateImpedance(state, input, cell.manifestCell.impedanceModel !== undefined);
      this.#cells.set(cell.id, state);
      cells.push(this.#cellDocument(campaign, index, input, state, { method: "full", newScans: [], ess: this.#ess(state), resampled: false, moved: 0, needsFull: [] }));
    }
    return { ...this.#document(campaign, cells, "full"), full: diagnosis.json };
  }

  /** Resume from a stored document: the next update equals the one the uninterrupted object would have made. */
  static fromDocument(doc: LiveDocument, options: LiveOptions = {}): LiveDiagnosis {
    if (doc?.format !== "strata-live/1") throw new ValidationError("format", 'is not "strata-live/1"', doc?.format);
    const stored = doc.options ?? {};
    const live = new LiveDiagnosis({
      seed: options.seed ?? doc.seed,
      ...((options.laws ?? stored.laws) ? { laws: options.laws ?? stored.laws } : {}),
      ...((options.damage ?? stored.damage) ? { damage: options.damage ?? stored.damage } : {}),
      ...((options.start ?? stored.start) ? { start: options.start ?? stored.start } : {}),
      mcmc: { ...(stored.mcmc ?? {}), ...(options.mcmc ?? {}) },
    });
    for (const cell of doc.cells) {
      const r = cell.resume;
      const posterior: PosteriorState | null =
        r.posterior && cell.posterior
          ? { ...r.posterior, law: cell.posterior.law, damage: cell.posterior.damage, names: [...cell.posterior.draws.names], draws: cell.posterior.draws.values.map((row) => [...row]), logWeights: [...cell.posterior.logWeights], logPosterior: [...cell.posterior.logPosterior] }
          : null;
      const restored = structuredClone(r);
      // NaN (an undetermined standard error) is null in JSON
      const nan = (x: number | null | undefined): number => (typeof x === "number" ? x : NaN);
      restored.independent = restored.independent.map((f) => ({ ...f, thicknessStderr: nan(f.thicknessStderr), roughnessStderr: nan(f.roughnessStderr), ...(f.density !== undefined && f.density !== null ? { densityStderr: nan(f.densityStderr) } : {}) }));
      live.#cells.set(cell.id, { ...restored, posterior });
    }
    return live;
  }

  #diagnoseOptions(seed: number): DiagnoseOptions {
    // the batch diagnosis starts as the live fits do, but never refuses ("ml" outside the domain: auto)
    return { mode: "auto", laws: [...this.#options.laws], seed, mcmc: { ...this.#options.mcmc }, damage: this.#options.damage, start: this.#liveStart() };
  }

  async #updateCell(campaign: Campaign, index: number, input: CellDiagnosisInput, refine: boolean): Promise<LiveCell> {
    const series = input.series;
    const id = series.cell;
    let state = this.#cells.get(id);
    if (!state) {
      state = { id, scans: [], independent: [], scales: null, laws: [], posterior: null, impedance: [], impedanceFailures: [], needsFull: [], fullFlags: [], spotsAtFull: [], lawsAtFull: [] };
      this.#cells.set(id, state);
    }
    const seen = new Map(state.scans.map((s) => [s.id, s]));
    const reasons: string[] = [];
    // earlier scans whose time, charge or dose changed (a cycler record that arrived late, a re-written scan)
    const changed = series.scans.filter((scan) => {
      const before = seen.get(scan.id);
      return before !== undefined && !sameScan(before, record(scan));
    });
    if (changed.length > 0) {
      // one reason however many scans (a grown cycler record can move every scan's charge)
      const named = changed.length <= CHANGED_SCANS_NAMED ? changed.map((s) => s.id).join(", ") : `${changed.slice(0, CHANGED_SCANS_NAMED).map((s) => s.id).join(", ")} … ${changed[changed.length - 1].id}`;
      reasons.push(`${changed.length === 1 ? "scan" : `${changed.length} scans`} ${named} changed (time, charge or dose) since first seen`);
    }
    const fresh = series.scans.filter((s) => !seen.has(s.id));
    const seedBase = this.#options.seed + 1000003 * index;
    const laws = this.#options.laws.filter((law) => law !== "charge" || input.hasCharge);
    const retry = state.firstPosteriorTriedAt === undefined || series.scans.length >= 2 * state.firstPosteriorTriedAt;
    const first = !state.posterior && series.scans.length >= MIN_SCANS_FOR_LAWS && laws.length > 0 && retry;
    // per-scan fits of the new scans, each warm-started from the previous scan's optimum (the
    // first posterior's batch diagnosis fits every scan itself)
    debugTime("checks");
    if (!first) {
      for (const scan of fresh) {
        state.independent.push(this.#independentFit(series, scan, state.independent[state.independent.length - 1], seedBase + state.scans.length + 1));
        state.scans.push(record(scan));
      }
    }
    if (fresh.length > 0) delete state.refinements;
    debugTime("independent fit");
    let method: LiveCell["live"]["method"] = "independent";
    let resampled = false;
    let moved = 0;
    let switched: string | undefined;
    if (first) {
      // the first posterior: the batch diagnosis of the cell on its scans so far
      const options = this.#diagnoseOptions(this.#options.seed + index);
      const diagnosis = await diagnoseCell(input, { ...options, mcmc: { ...options.mcmc, ...FIRST_POSTERIOR_MCMC } });
      const adopted = this.#adopt(id, input, diagnosis);
      adopted.impedance = state.impedance;
      adopted.impedanceFailures = state.impedanceFailures;
      if (!adopted.posterior) adopted.firstPosteriorTriedAt = series.scans.length;
      state = adopted;
      this.#cells.set(id, state);
      method = "chain";
    } else if (state.posterior && fresh.length > 0) {
      const step = this.#sequentialUpdate(state, input, fresh, seedBase + state.scans.length, reasons);
      if (step.switched) switched = step.switched;
      // "sir": reweighted (and the budget's moves); "chain": the draws were resampled and moved
      method = step.resampled ? "chain" : "sir";
      resampled = step.resampled;
      moved = step.moved;
    } else if (state.posterior && refine && changed.length === 0) {
      // nothing new and a refinement asked for: more moves of the same draws
      state.refinements = (state.refinements ?? 0) + 1;
      const random = createRandom(`${seedBase}:refine:${state.scans.length}:${state.refinements}`);
      const moves = this.#rejuvenate(state.posterior, series, state.scales!, random, { evaluations: REFINEMENT_SCAN_EVALUATIONS, sweeps: REFINEMENT_MAX_SWEEPS }, laplaceOf(state));
      if (moves.lowAcceptance) reasons.push(moves.lowAcceptance);
      method = "sir";
      moved = moves.moved;
    } else if (state.posterior) method = "sir";
    if (state.posterior) {
      for (const law of laws) if (!state.lawsAtFull.includes(law)) reasons.push(`the ${law} law became applicable (its data arrived) and has no joint fit yet`);
      const spots = [...new Set(series.scans.map((s) => s.spot))];
      if (input.damage?.status === "modelled" && spots.length >= 2 && state.spotsAtFull.length < 2) reasons.push(`scans at a second spot (${spots.join(", ")}): beam damage may now be separable from chemistry, which the full run's damage stage tests`);
    }
    state.needsFull = [...new Set([...state.needsFull, ...reasons])];
    this.#updateImpedance(state, input, campaign.cells[index].manifestCell.impedanceModel !== undefined);
    debugTime("impedance");
    return this.#cellDocument(campaign, index, input, state, { method, newScans: fresh.map((s) => s.id), ess: this.#ess(state), resampled, moved, ...(switched ? { switched } : {}), needsFull: [...state.needsFull] });
  }

  /** The start of a fit that must not be refused: "ml" outside the network's domain falls back like "auto" (then also on a misfit). */
  #liveStart(): SeriesStart {
    return this.#options.start === "ml" ? "auto" : this.#options.start;
  }

  /** A new scan's free fit, LM warm-started from the previous scan's optimum (the first scan's, and a failed warm start's, from the start option: see {@link LiveOptions.start}). */
  #independentFit(series: SeriesInput, scan: SeriesScan, previous: IndependentScanFit | undefined, seed: number): IndependentScanFit {
    const single = { ...series, scans: [scan] };
    if (!previous) return independentSeries(single, { seed, start: this.#liveStart() }).fits[0];
    // LM from the previous scan's optimum, its interphase thickness first profiled (fitSeries)
    const entry = fitScanFrom(single, scan, seriesScales(single, 10), previous);
    const dof = Math.max(entry.points - freeParameterCount(entry), 1);
    if (chiSquareUpperTail(entry.chi2, dof) >= MISFIT_P) return entry;
    // the warm start failed: the start option's fit of this scan (the global stage by default), the better of the two kept
    const global = independentSeries(single, { seed, start: this.#liveStart() }).fits[0];
    return global.chi2 < entry.chi2 ? global : entry;
  }

  /** SIR step, law updates and rejuvenation for new scans. */
  #sequentialUpdate(state: CellState, input: CellDiagnosisInput, fresh: SeriesScan[], seed: number, reasons: string[]): { resampled: boolean; moved: number; switched?: string } {
    const series = input.series;
    const posterior = state.posterior!;
    const scales = state.scales!;
    // (1) every law's joint fit: Gauss–Newton expansion of the old χ² + the new scans exactly;
    // a law that cannot reproduce a new scan which its own free fit reproduces (χ² jump) is stale
    const before = lawComparison(state.laws);
    for (const law of state.laws) {
      if (law.stale) continue;
      this.#updateLaw(law, series, fresh, scales);
      for (const scan of fresh) {
        const jump = this.#chi2Jump(state, law, series, scan, scales);
        if (jump === undefined) continue;
        const isPosterior = law.law === posterior.law && law.damage === posterior.damage;
        const contender = (before.find((c) => c.law === law.law && c.damage === law.damage)?.deltaIC ?? Infinity) <= LAW_CHANGE_DELTA;
        if (isPosterior || contender) reasons.push(`scan ${scan.id}: the ${law.law} law fits it worse than its own free fit (${jump})`);
        if (!isPosterior) law.stale = true;
      }
    }
    // the contenders' optima are then polished on every scan exactly: the expansion drifts where
    // the χ² surface is not quadratic (a nested law's extra term near its bound), and the weights
    // of close laws are differences of their χ²
    // (the best and the next of the others in turn, by the scans' count, always; more of the
    // others while the budget lasts)
    const contenders = lawComparison(state.laws)
      .filter((c) => c.deltaIC <= POLISH_DELTA_IC)
      .map((c) => state.laws.find((l) => l.law === c.law && l.damage === c.damage && !l.stale))
      .filter((l): l is LawState => l !== undefined);
    if (contenders.length > 0) {
      const [best, ...others] = contenders;
      const start = series.scans.length % Math.max(others.length, 1);
      const order = [best, ...others.slice(start), ...others.slice(0, start)];
      let budget = POLISH_SCAN_EVALUATIONS;
      for (const [k, law] of order.entries()) {
        const cost = LiveDiagnosis.polishCost(law.names.length, series.scans.length);
        if (k >= 2 && cost > budget) break;
        this.#polishLaw(law, series, scales);
        budget -= cost;
      }
    }
    debugTime("law fits");
    // (2) the posterior follows the best law: switch when it is behind by more than LAW_CHANGE_DELTA
    const random = createRandom(seed);
    const comparison = lawComparison(state.laws);
    const behind = comparison.find((c) => c.law === posterior.law && c.damage === posterior.damage);
    if (comparison.length > 0 && (!behind || behind.deltaIC > LAW_CHANGE_DELTA)) {
      const target = state.laws.find((l) => l.law === comparison[0].law && l.damage === comparison[0].damage)!;
      const why = `the ${target.law} law is ahead of the posterior's ${posterior.law} law${behind ? ` by ΔAICc ${behind.deltaIC.toFixed(1)}` : ""}`;
      if (posterior.draws.length * series.scans.length <= LAW_SWITCH_SCAN_EVALUATIONS) {
        state.posterior = this.#switchLaw(target, series, scales, random);
        const switched = state.posterior;
        if (kishEss(switched.logWeights) < RESAMPLE_ESS_FRACTION * switched.draws.length) systematicResample(switched, random);
        const moves = this.#rejuvenate(switched, series, scales, random, undefined, laplaceOf(state));
        if (moves.lowAcceptance) reasons.push(moves.lowAcceptance);
        return { resampled: true, moved: moves.moved, switched: why };
      }
      reasons.push(`${why}; switching needs the full run at ${series.scans.length} scans`);
    }
    // (3) reweight the draws by the new scans' likelihood
    const objectives = fresh.map((scan) => this.#scanObjective(series, scan, posterior.law, posterior.damage, scales, posterior.names));
    const theta = new Float64Array(posterior.names.length);
    for (let i = 0; i < posterior.draws.length; i++) {
      const row = posterior.draws[i];
      for (let j = 0; j < theta.length; j++) theta[j] = row[j];
      let add = 0;
      for (const objective of objectives) add += scanLogLikelihood(objective, theta);
      posterior.logWeights[i] = finiteLog(posterior.logWeights[i] + add);
      posterior.logPosterior[i] = finiteLog(posterior.logPosterior[i] + add);
    }
    normaliseLogWeights(posterior.logWeights);
    debugTime("reweight");
    // (4) resample when the weights degenerate; every update then moves draws within its budget
    let resampled = false;
    if (kishEss(posterior.logWeights) < RESAMPLE_ESS_FRACTION * posterior.draws.length) {
      systematicResample(posterior, random);
      resampled = true;
    }
    const moves = this.#rejuvenate(posterior, series, scales, random, undefined, laplaceOf(state));
    debugTime("rejuvenate");
    if (moves.lowAcceptance) reasons.push(moves.lowAcceptance);
    const ess = this.#ess(state);
    if (ess < FULL_ESS_FRACTION * posterior.draws.length) reasons.push(`the posterior's ESS is ${ess.toFixed(0)} of ${posterior.draws.length} draws after rejuvenation`);
    return { resampled, moved: moves.moved };
  }

  /** How much worse than its free fit a law fits a scan, when that is beyond {@link CHI2_JUMP_P}; else undefined. */
  #chi2Jump(state: CellState, law: LawState, series: SeriesInput, scan: SeriesScan, scales: SeriesScales): string | undefined {
    const free = state.independent.find((f) => f.id === scan.id);
    if (!free) return undefined;
    const objective = this.#scanObjective(series, scan, law.law, law.damage, scales, law.names);
    const chi2 = scanChi2(objective, law.values);
    // the free fit has its own thickness, roughness, density and stack: that many more parameters for this scan
    const dof = Math.max(3 + Object.keys(free.nuisance).length, 1);
    const p = chiSquareUpperTail(Math.max(chi2 - free.chi2, 0), dof);
    return p < CHI2_JUMP_P ? `Δχ² = ${(chi2 - free.chi2).toFixed(1)} for ${dof} parameters, p = ${p.toExponential(1)}` : undefined;
  }

  /**
   * Draws of another law's posterior by importance sampling: a multivariate t around its
   * (incremental) optimum with the inverse information as scale, weighted by the full
   * posterior over every scan seen.
   */
  #switchLaw(target: LawState, series: SeriesInput, scales: SeriesScales, random: Random): PosteriorState {
    const p = target.names.length;
    const n = LIVE_DRAWS;
    const information = Float64Array.from(target.information);
    for (let j = 0; j < p; j++) information[j * p + j] += 1e-12 * Math.max(information[j * p + j], 1e-300);
    const covariance = invertMatrix(information, p) ?? Float64Array.from({ length: p * p }, (_, k) => (k % (p + 1) === 0 ? 1 / Math.max(information[k], 1e-300) : 0));
    const scale2 = SWITCH_PROPOSAL.scale ** 2;
    const factor = choleskyWithJitter(covariance.map((c) => c * scale2), p, 1e-300);
    // the inverse of the proposal's scale matrix, for its density: (s²C)⁻¹ = I/s²
    const precision = information.map((x) => x / scale2);
    const posterior: PosteriorState = { law: target.law, damage: target.damage, names: [...target.names], lower: [...target.lower], upper: [...target.upper], draws: [], logWeights: [], logPosterior: [], cursor: 0 };
    const objective = this.#posteriorObjective(posterior, series, scales);
    const z = new Float64Array(p);
    const theta = new Float64Array(p);
    const nu = SWITCH_PROPOSAL.dof;
    for (let i = 0; i < n; i++) {
      random.fillNormal(z);
      let g = 0;
      for (let k = 0; k < nu; k++) g += random.normal() ** 2;
      const w = Math.sqrt(nu / g);
      for (let a = 0; a < p; a++) {
        let sum = 0;
        for (let b = 0; b <= a; b++) sum += factor[a * p + b] * z[b];
        theta[a] = target.values[a] + w * sum;
      }
      let m = 0;
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) m += (theta[a] - target.values[a]) * precision[a * p + b] * (theta[b] - target.values[b]);
      const logQ = -0.5 * (nu + p) * Math.log1p(m / nu);
      const logPi = objective.logPosterior(theta);
      posterior.draws.push(Array.from(theta));
      posterior.logWeights.push(Number.isFinite(logPi) ? logPi - logQ : -Infinity);
      posterior.logPosterior.push(finiteLog(logPi));
    }
    normaliseLogWeights(posterior.logWeights);
    return posterior;
  }

  /**
   * Rejuvenation: independence Metropolis–Hastings moves of the draws, in turn from `cursor`,
   * as many as {@link REJUVENATION_SCAN_EVALUATIONS} allows (at most {@link REJUVENATION_MAX_SWEEPS}
   * sweeps). The proposal is a multivariate t of the draws' weighted mean and covariance; each
   * move evaluates the full posterior (every scan) once, the current draw's log posterior being
   * kept. Each move leaves the posterior invariant, so weighted draws stay properly weighted.
   */
  #rejuvenate(
    posterior: PosteriorState,
    series: SeriesInput,
    scales: SeriesScales,
    random: Random,
    budget: { evaluations: number; sweeps: number } = { evaluations: REJUVENATION_SCAN_EVALUATIONS, sweeps: REJUVENATION_MAX_SWEEPS },
    laplace?: { values: readonly number[]; information: readonly number[] },
  ): { moved: number; proposals: number; lowAcceptance?: string } {
    const p = posterior.names.length;
    const count = posterior.draws.length;
    const scans = Math.max(series.scans.length, 1);
    const proposals = Math.min(Math.floor(budget.evaluations / scans), budget.sweeps * count);
    if (proposals < 1 || count === 0) return { moved: 0, proposals: 0 };
    const objective = this.#posteriorObjective(posterior, series, scales);
    const { mean, covariance } = weightedMoments(posterior);
    const { dof, scale } = REJUVENATION_PROPOSAL;
    // the proposal: a multivariate t of the draws' moments, mixed half and half with a t around
    // the law's polished optimum (inverse information) when the state has it — the draws lag
    // behind a posterior that the new scans moved, the optimum does not
    const components = [tComponent(mean, covariance.map((c) => c * scale * scale), p)];
    if (laplace) {
      const information = Float64Array.from(laplace.information);
      for (let j = 0; j < p; j++) information[j * p + j] += 1e-12 * Math.max(information[j * p + j], 1e-300);
      const inverse = invertMatrix(information, p);
      if (inverse && inverse.every(Number.isFinite)) components.push(tComponent(Float64Array.from(laplace.values), inverse.map((c) => c * scale * scale), p));
    }
    const logMix = Math.log(1 / components.length);
    const logQ = (theta: ArrayLike<number>): number => {
      let max = -Infinity;
      const terms = components.map((component) => {
        let m = 0;
        for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) m += (theta[a] - component.mean[a]) * component.precision[a * p + b] * (theta[b] - component.mean[b]);
        const value = logMix - 0.5 * component.logDet - 0.5 * (dof + p) * Math.log1p(m / dof);
        max = Math.max(max, value);
        return value;
      });
      return max + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - max), 0));
    };
    const z = new Float64Array(p);
    const proposal = new Float64Array(p);
    let accepted = 0;
    const moved = new Set<number>();
    for (let k = 0; k < proposals; k++) {
      const i = (posterior.cursor + k) % count;
      const component = components.length === 1 ? components[0] : components[random.next() < 0.5 ? 0 : 1];
      random.fillNormal(z);
      let g = 0;
      for (let d = 0; d < dof; d++) g += random.normal() ** 2;
      const w = Math.sqrt(dof / g);
      for (let a = 0; a < p; a++) {
        let sum = 0;
        for (let b = 0; b <= a; b++) sum += component.factor[a * p + b] * z[b];
        proposal[a] = component.mean[a] + w * sum;
      }
      const u = random.next();
      const lp = objective.logPosterior(proposal);
      if (!Number.isFinite(lp)) continue;
      const current = posterior.logPosterior[i];
      const logAlpha = lp - logQ(proposal) - (Number.isFinite(current) ? current - logQ(posterior.draws[i]) : -Infinity);
      if (Math.log(u) < logAlpha) {
        posterior.draws[i] = Array.from(proposal);
        posterior.logPosterior[i] = lp;
        accepted++;
        moved.add(i);
      }
    }
    posterior.cursor = (posterior.cursor + proposals) % count;
    const acceptance = accepted / proposals;
    if (process.env["STRATA_LIVE_DEBUG"]) console.error(`rejuvenate: ${proposals} proposals, acceptance ${acceptance.toFixed(2)}`);
    const low = proposals >= MIN_MOVES_FOR_ACCEPTANCE && acceptance < REJUVENATION_MIN_ACCEPTANCE;
    return { moved: moved.size, proposals, ...(low ? { lowAcceptance: `the rejuvenation moves' acceptance is ${acceptance.toFixed(2)} (< ${REJUVENATION_MIN_ACCEPTANCE}): the posterior is far from Gaussian, the batch MCMC is needed` } : {}) };
  }

  /** The posterior over every scan seen, as single-scan objectives summed (bounds and prior of the state). */
  #posteriorObjective(posterior: PosteriorState, series: SeriesInput, scales: SeriesScales): FitObjective {
    const parts = series.scans.map((scan) => this.#scanObjective(series, scan, posterior.law, posterior.damage, scales, posterior.names));
    const lower = Float64Array.from(posterior.lower);
    const upper = Float64Array.from(posterior.upper);
    const first = parts[0];
    const prior = (theta: Float64Array): number => {
      for (let j = 0; j < theta.length; j++) if (!(theta[j] >= lower[j] && theta[j] <= upper[j])) return -Infinity;
      for (let j = 0; j < theta.length; j++) first.buffer[first.order[j]] = theta[j];
      return first.series.objective.logPrior(first.buffer);
    };
    const likelihood = (theta: Float64Array): number => {
      let total = 0;
      for (const part of parts) total += scanLogLikelihood(part, theta);
      return total;
    };
    const nResiduals = parts.reduce((a, part) => a + part.series.objective.nResiduals, 0);
    return {
      names: posterior.names,
      lower,
      upper,
      nResiduals,
      initial: () => Float64Array.from(posterior.draws[0]),
      residuals: (theta, out) => {
        const result = out ?? new Float64Array(nResiduals);
        let offset = 0;
        for (const part of parts) {
          for (let j = 0; j < theta.length; j++) part.buffer[part.order[j]] = theta[j];
          part.series.objective.residuals(part.buffer, result.subarray(offset, offset + part.series.objective.nResiduals));
          offset += part.series.objective.nResiduals;
        }
        return result;
      },
      logPrior: prior,
      logLikelihood: likelihood,
      logPosterior: (theta) => {
        const lp = prior(theta);
        return lp === -Infinity ? -Infinity : lp + likelihood(theta);
      },
    };
  }

  /** One law's incremental joint fit with the new scans. */
  #updateLaw(law: LawState, series: SeriesInput, fresh: SeriesScan[], scales: SeriesScales): void {
    const p = law.names.length;
    const parts = fresh.map((scan) => this.#scanObjective(series, scan, law.law, law.damage, scales, law.names));
    const theta0 = Float64Array.from(law.values);
    const factor = choleskyWithJitter(Float64Array.from(law.information), p, 1e-12 * Math.max(1, ...law.information.filter((_, i) => i % (p + 1) === 0)));
    const newResiduals = parts.reduce((a, part) => a + part.series.objective.nResiduals, 0);
    const lower = Float64Array.from(law.lower);
    const upper = Float64Array.from(law.upper);
    const residuals = (theta: Float64Array, out?: Float64Array): Float64Array => {
      const result = out ?? new Float64Array(p + newResiduals);
      // (θ−θ₀)ᵀ L Lᵀ (θ−θ₀) = |Lᵀ(θ−θ₀)|²
      for (let j = 0; j < p; j++) {
        let sum = 0;
        for (let i = j; i < p; i++) sum += factor[i * p + j] * (theta[i] - theta0[i]);
        result[j] = sum;
      }
      let offset = p;
      for (const part of parts) {
        for (let j = 0; j < p; j++) part.buffer[part.order[j]] = theta[j];
        part.series.objective.residuals(part.buffer, result.subarray(offset, offset + part.series.objective.nResiduals));
        offset += part.series.objective.nResiduals;
      }
      return result;
    };
    const objective: FitObjective = {
      names: law.names,
      lower,
      upper,
      nResiduals: p + newResiduals,
      initial: () => Float64Array.from(theta0),
      residuals,
      logPrior: (theta) => (theta.every((x, j) => x >= lower[j] && x <= upper[j]) ? 0 : -Infinity),
      logLikelihood: (theta) => -0.5 * residuals(theta).reduce((a, r) => a + r * r, 0),
      logPosterior: (theta) => -0.5 * residuals(theta).reduce((a, r) => a + r * r, 0),
    };
    const fit = levenbergMarquardt(startingAt(objective, theta0), { maxEvaluations: 100 * (p + 1), ftol: 1e-10, xtol: 1e-10, refine: false, computeCovariance: false });
    const values = fit.values;
    // information of the new scans at the new optimum (forward differences)
    const information = Float64Array.from(law.information);
    const base = new Float64Array(newResiduals);
    const shifted = new Float64Array(newResiduals);
    const evaluateNew = (theta: Float64Array, out: Float64Array): void => {
      let offset = 0;
      for (const part of parts) {
        for (let j = 0; j < p; j++) part.buffer[part.order[j]] = theta[j];
        part.series.objective.residuals(part.buffer, out.subarray(offset, offset + part.series.objective.nResiduals));
        offset += part.series.objective.nResiduals;
      }
    };
    evaluateNew(values, base);
    const jacobian = new Float64Array(newResiduals * p);
    const trial = Float64Array.from(values);
    for (let j = 0; j < p; j++) {
      const span = Number.isFinite(upper[j] - lower[j]) ? upper[j] - lower[j] : Math.max(Math.abs(values[j]), 1);
      let h = 1e-7 * span;
      if (values[j] + h > upper[j]) h = -h;
      trial[j] = values[j] + h;
      evaluateNew(trial, shifted);
      trial[j] = values[j];
      for (let r = 0; r < newResiduals; r++) jacobian[r * p + j] = (shifted[r] - base[r]) / h;
    }
    for (let a = 0; a < p; a++) {
      for (let b = 0; b <= a; b++) {
        let sum = 0;
        for (let r = 0; r < newResiduals; r++) sum += jacobian[r * p + a] * jacobian[r * p + b];
        information[a * p + b] += sum;
        if (a !== b) information[b * p + a] += sum;
      }
    }
    law.values = Array.from(values);
    // the χ² at the new optimum, exactly (every scan once: the expansion's drift does not accumulate in it)
    law.chi2 = series.scans.reduce((sum, scan) => sum + scanChi2(this.#scanObjective(series, scan, law.law, law.damage, scales, law.names), values), 0);
    law.information = Array.from(information);
    law.n += newResiduals;
    law.converged = fit.converged;
  }

  /**
   * A law's optimum refined on every scan seen (not the expansion): one damped Gauss–Newton
   * step from the incremental optimum (the damping raised until χ² falls, at most
   * {@link POLISH_TRIALS} trials), the information JᵀJ replaced by the exact one.
   * Costs (p + 1 + trials) evaluations of every scan.
   */
  #polishLaw(law: LawState, series: SeriesInput, scales: SeriesScales): void {
    const p = law.names.length;
    const parts = series.scans.map((scan) => this.#scanObjective(series, scan, law.law, law.damage, scales, law.names));
    const nResiduals = parts.reduce((a, part) => a + part.series.objective.nResiduals, 0);
    const evaluate = (theta: ArrayLike<number>, out: Float64Array): number => {
      let offset = 0;
      for (const part of parts) {
        for (let j = 0; j < p; j++) part.buffer[part.order[j]] = theta[j];
        part.series.objective.residuals(part.buffer, out.subarray(offset, offset + part.series.objective.nResiduals));
        offset += part.series.objective.nResiduals;
      }
      let chi2 = 0;
      for (let r = 0; r < nResiduals; r++) chi2 += out[r] * out[r];
      return chi2;
    };
    const values = Float64Array.from(law.values);
    const base = new Float64Array(nResiduals);
    const chi2 = evaluate(values, base);
    if (!Number.isFinite(chi2)) return;
    // forward-difference Jacobian (row-major), gradient Jᵀr and information JᵀJ
    const shifted = new Float64Array(nResiduals);
    const jacobian = new Float64Array(nResiduals * p);
    const steps = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      const span = Number.isFinite(law.upper[j] - law.lower[j]) ? law.upper[j] - law.lower[j] : Math.max(Math.abs(values[j]), 1);
      let h = 1e-7 * span;
      if (values[j] + h > law.upper[j]) h = -h;
      steps[j] = h;
      const kept = values[j];
      values[j] = kept + h;
      evaluate(values, shifted);
      values[j] = kept;
      for (let r = 0; r < nResiduals; r++) jacobian[r * p + j] = (shifted[r] - base[r]) / h;
    }
    const information = new Float64Array(p * p);
    const gradient = new Float64Array(p);
    for (let a = 0; a < p; a++) {
      let g = 0;
      for (let r = 0; r < nResiduals; r++) g += jacobian[r * p + a] * base[r];
      gradient[a] = g;
      for (let b = 0; b <= a; b++) {
        let sum = 0;
        for (let r = 0; r < nResiduals; r++) sum += jacobian[r * p + a] * jacobian[r * p + b];
        information[a * p + b] = sum;
        information[b * p + a] = sum;
      }
    }
    law.information = Array.from(information);
    if (!information.every(Number.isFinite)) return;
    // (JᵀJ + λ·diag(JᵀJ)) δ = −Jᵀr on the free parameters; a parameter the step would take past
    // its bound is held there and the others solved again (an active set: clipping the step
    // alone leaves the others where they assumed it moved, and a law whose extra term rests on
    // its bound — the mixed law's linear rate at 0 — never reaches its optimum); λ raised
    // tenfold until χ² falls
    const delta = new Float64Array(p);
    const trial = new Float64Array(p);
    let lambda = 0;
    for (let attempt = 0; attempt < POLISH_TRIALS; attempt++) {
      // heldAt[j]: the bound a held parameter rests on (NaN: free)
      const heldAt = new Float64Array(p).fill(NaN);
      for (let pass = 0; pass <= p; pass++) {
        const free: number[] = [];
        for (let j = 0; j < p; j++) if (Number.isNaN(heldAt[j])) free.push(j);
        const m = free.length;
        const held = (j: number): boolean => !Number.isNaN(heldAt[j]);
        delta.fill(0);
        for (let j = 0; j < p; j++) if (held(j)) delta[j] = heldAt[j] - values[j];
        if (m > 0) {
          const damped = new Float64Array(m * m);
          const rhs = new Float64Array(m);
          for (let a = 0; a < m; a++) {
            const ja = free[a];
            let g = -gradient[ja];
            for (let j = 0; j < p; j++) if (held(j)) g -= information[ja * p + j] * delta[j];
            rhs[a] = g;
            for (let b = 0; b < m; b++) damped[a * m + b] = information[ja * p + free[b]];
            damped[a * m + a] += lambda * information[ja * p + ja] + 1e-12 * Math.max(information[ja * p + ja], 1e-300);
          }
          const factor = choleskyWithJitter(damped, m, 1e-300);
          forwardSubstitution(factor, m, rhs);
          for (let i = m - 1; i >= 0; i--) {
            let sum = rhs[i];
            for (let k = i + 1; k < m; k++) sum -= factor[k * m + i] * rhs[k];
            rhs[i] = sum / factor[i * m + i];
          }
          for (let a = 0; a < m; a++) delta[free[a]] = rhs[a];
        }
        let newlyHeld = false;
        for (const j of free) {
          if (values[j] + delta[j] > law.upper[j]) heldAt[j] = law.upper[j];
          else if (values[j] + delta[j] < law.lower[j]) heldAt[j] = law.lower[j];
          else continue;
          newlyHeld = true;
        }
        if (!newlyHeld) break;
      }
      for (let j = 0; j < p; j++) trial[j] = Math.min(law.upper[j], Math.max(law.lower[j], values[j] + delta[j]));
      const trialChi2 = evaluate(trial, shifted);
      if (trialChi2 < chi2) {
        law.values = Array.from(trial);
        law.chi2 = trialChi2;
        return;
      }
      lambda = lambda === 0 ? 1e-3 : lambda * 10;
    }
    law.chi2 = chi2;
  }

  /** Evaluations of every scan that a polish of a law with p parameters costs (Jacobian, base and trials). */
  static polishCost(p: number, scans: number): number {
    return (p + 1 + POLISH_TRIALS) * scans;
  }

  /** The single-scan objective of a scan under a law (cached), mapped to the state's parameter order. */
  #scanObjective(series: SeriesInput, scan: SeriesScan, law: LawName, damage: DamageName, scales: SeriesScales, names: readonly string[]): ScanObjective {
    const key = `${law}\u0000${damage}\u0000${scan.id}\u0000${scan.time_s}\u0000${scan.qred_C_per_cm2}\u0000${scan.dose_Gy ?? ""}\u0000${JSON.stringify(scales)}`;
    let cached = this.#objectives.get(key);
    if (!cached) {
      const built = seriesObjective({ ...series, scans: [scan] }, { kind: "law", law, damage }, scales);
      const objectiveNames = built.objective.names;
      const order = Int32Array.from(names, (name) => objectiveNames.indexOf(name));
      if (objectiveNames.length !== names.length || order.some((j) => j < 0)) {
        throw new ValidationError(`cells[${series.cell}].scans.${scan.id}`, `its ${law} model has parameters (${objectiveNames.join(", ")}) other than the series' (${names.join(", ")})`);
      }
      cached = { series: built, order, buffer: new Float64Array(names.length) };
      this.#objectives.set(key, cached);
    }
    return cached;
  }

  /** The state from a batch diagnosis of the cell (first posterior, or a full run). */
  #adopt(id: string, input: CellDiagnosisInput, diagnosis: CellDiagnosis): CellState {
    const detail = diagnosis.detail;
    const series = input.series;
    const state: CellState = {
      id,
      scans: series.scans.map(record),
      independent: detail.independent.map((f) => ({ ...f, nuisance: { ...f.nuisance } })),
      scales: null,
      laws: [],
      posterior: null,
      impedance: [],
      impedanceFailures: [],
      needsFull: [],
      // what the cheap update does not re-derive, as of this batch run
      fullFlags: detail.quality
        .filter((q) => !(q.code !== undefined && RECOMPUTED_CODES.includes(q.code)) && !input.warnings.includes(q.message))
        .map((q) => ({ ...q, message: `${q.message} (as of the last full diagnosis, ${series.scans.length} scans)` })),
      spotsAtFull: [...new Set(series.scans.map((s) => s.spot))],
      lawsAtFull: detail.lawFits.map((f) => f.law),
    };
    const best = detail.best;
    const chain = detail.posterior;
    if (detail.mode !== "joint" || !best || !chain) return state;
    state.scales = { ...best.build.scales };
    state.laws = detail.lawFits.map((f) => lawState(f));
    const names = [...best.series.objective.names];
    const total = chain.keptSteps * chain.walkers;
    const count = Math.min(LIVE_DRAWS, total);
    const draws: number[][] = [];
    const logPosterior: number[] = [];
    for (let d = 0; d < count; d++) {
      const i = Math.floor(((d + 0.5) * total) / count);
      draws.push(Array.from(chain.chain.subarray(i * chain.params, (i + 1) * chain.params)));
      logPosterior.push(finiteLog(chain.logProbabilities[i]));
    }
    state.posterior = {
      law: best.law,
      damage: best.damage,
      names,
      lower: Array.from(best.series.objective.lower),
      upper: Array.from(best.series.objective.upper),
      draws,
      logWeights: draws.map(() => -Math.log(count)),
      logPosterior,
      cursor: 0,
    };
    return state;
  }

  /** ESS of the posterior: the weights' (Kish), at most the number of distinct draws. */
  #ess(state: CellState): number {
    const posterior = state.posterior;
    if (!posterior) return 0;
    const distinct = new Set(posterior.draws.map((d) => d.join(","))).size;
    return Math.min(kishEss(posterior.logWeights), distinct);
  }

  /** Interphase R and C of spectra not fitted yet (the manifest's impedanceModel names the elements). */
  #updateImpedance(state: CellState, input: CellDiagnosisInput, declared: boolean): void {
    const circuit = input.circuit;
    if (!circuit || !declared) return;
    for (const s of input.spectra) {
      if (state.impedance.some((r) => r.id === s.id) || state.impedanceFailures.some((r) => r.id === s.id)) continue;
      try {
        const fit = fitCircuit(circuit.circuit, s.spectrum);
        const rc = interphaseRC(fit, circuit.resistance, circuit.capacitance);
        state.impedance.push({ id: s.id, time_s: s.time_s, R_int_ohm: rc.resistance, C_int_F: rc.capacitance });
      } catch (error) {
        state.impedanceFailures.push({ id: s.id, message: `impedance ${s.id}: circuit fit failed (${(error as Error).message})` });
      }
    }
    state.impedance.sort((a, b) => a.time_s - b.time_s);
  }

  #cellDocument(campaign: Campaign, index: number, input: CellDiagnosisInput, state: CellState, live: LiveCell["live"]): LiveCell {
    const series = input.series;
    const posterior = state.posterior;
    const weights = posterior ? normalisedWeights(posterior.logWeights) : undefined;
    const comparison = lawComparison(state.laws);
    const interphase = series.stack[series.interphase].name;
    // thickness of every scan under the posterior law (zero dose: the chemistry), weighted quantiles
    const byId = new Map(state.independent.map((f) => [f.id, f]));
    let lawThickness: ((scan: SeriesScan) => LiveInterval) | undefined;
    if (posterior && weights) {
      const law = GROWTH_LAWS[posterior.law];
      const columns = (law.parameters(state.scales!)).map((spec) => posterior.names.indexOf(spec.name));
      const values = new Float64Array(columns.length);
      lawThickness = (scan) => {
        const samples = new Float64Array(posterior.draws.length);
        posterior.draws.forEach((row, i) => {
          for (let j = 0; j < columns.length; j++) values[j] = row[columns[j]];
          samples[i] = law.evaluate(values, scan.time_s, scan.qred_C_per_cm2, series.thicknessPerCharge);
        });
        return { ...weightedInterval(samples, weights), unit: "Å" };
      };
    }
    const timeline = series.scans.map((scan) => {
      const f = byId.get(scan.id);
      return {
        scan: scan.id,
        time_s: scan.time_s,
        spot: scan.spot,
        thickness_A: lawThickness ? lawThickness(scan) : f ? { median: f.thickness, lo95: f.thickness - 1.959964 * f.thicknessStderr, hi95: f.thickness + 1.959964 * f.thicknessStderr, unit: "Å" } : null,
        independent_A: f ? { value: f.thickness, stderr: f.thicknessStderr } : null,
      };
    });
    const parameters: Record<string, LiveInterval> = {};
    if (posterior && weights) {
      const specs = [...GROWTH_LAWS[posterior.law].parameters(state.scales!), ...DAMAGE_MODELS[posterior.damage].parameters({ maxDose: 1, magnitude: 1 })];
      const shared = ["interphase_roughness", "interphase_density"];
      for (const name of [...specs.map((s) => s.name), ...shared]) {
        const j = posterior.names.indexOf(name);
        if (j < 0) continue;
        const unit = specs.find((s) => s.name === name)?.unit ?? (name === "interphase_roughness" ? "Å" : "g/cm³");
        parameters[name] = { ...weightedInterval(Float64Array.from(posterior.draws, (row) => row[j]), weights), unit };
      }
    }
    const quality = this.#quality(input, state, comparison);
    const trust = trustJson(trustOf(quality));
    return {
      id: series.cell,
      headline: headline(series.cell, interphase, timeline, comparison, posterior, trust, quality, series.scans.length),
      law: { best: comparison[0]?.law ?? null, weights: Object.fromEntries(comparison.map((c) => [c.law, c.weight])), posterior: posterior?.law ?? null, damage: posterior?.damage ?? "none" },
      timeline,
      parameters,
      latestScan: this.#latestScan(series, state),
      posterior:
        posterior && weights
          ? { ess: this.#ess(state), law: posterior.law, damage: posterior.damage, draws: { names: [...posterior.names], values: posterior.draws.map((row) => [...row]) }, logWeights: [...posterior.logWeights], logPosterior: [...posterior.logPosterior] }
          : null,
      dose_Gy: spotDoses(campaign, index),
      current: currentTrace(input),
      impedance: state.impedance.map((r) => ({ ...r })),
      quality: quality.map((q) => ({ severity: q.level === "info" ? "info" : "warning", ...(q.code ? { code: q.code } : {}), message: q.message })),
      trust,
      live,
      resume: {
        id: state.id,
        scans: state.scans.map((s) => ({ ...s })),
        independent: state.independent.map((f) => ({ ...f, nuisance: { ...f.nuisance } })),
        scales: state.scales ? { ...state.scales } : null,
        laws: state.laws.map((l) => ({ ...l, names: [...l.names], lower: [...l.lower], upper: [...l.upper], values: [...l.values], information: [...l.information] })),
        posterior: posterior ? { lower: [...posterior.lower], upper: [...posterior.upper], cursor: posterior.cursor } : null,
        impedance: state.impedance.map((r) => ({ ...r })),
        impedanceFailures: state.impedanceFailures.map((r) => ({ ...r })),
        needsFull: [...state.needsFull],
        fullFlags: state.fullFlags.map((q) => ({ ...q })),
        spotsAtFull: [...state.spotsAtFull],
        lawsAtFull: [...state.lawsAtFull],
        ...(state.firstPosteriorTriedAt !== undefined ? { firstPosteriorTriedAt: state.firstPosteriorTriedAt } : {}),
        ...(state.refinements !== undefined ? { refinements: state.refinements } : {}),
      },
    };
  }

  /** The quality flags of the live state, as diagnose computes them where the state allows. */
  #quality(input: CellDiagnosisInput, state: CellState, comparison: LawComparison[]): QualityFlag[] {
    const quality: QualityFlag[] = input.warnings.map((message) => ({ level: "warning", message }));
    const n = input.series.scans.length;
    if (n === 0) quality.push({ level: "error", message: "no reflectivity scans with valid points yet: nothing to diagnose" });
    else if (n < MIN_SCANS_FOR_LAWS) {
      quality.push({ level: "error", code: "too-few-scans", message: `${n} scan${n > 1 ? "s are" : " is"} too few to compare growth laws (at least ${MIN_SCANS_FOR_LAWS}): per-scan thicknesses only so far` });
    }
    const misfit = state.independent.filter((f) => isMisfit(f, 3 + Object.keys(f.nuisance).length)).length;
    if (state.independent.length > 0 && misfit > 0.5 * state.independent.length) {
      quality.push({ level: "error", code: "untrustworthy", message: `the fits do not reach the data: ${misfit} of ${state.independent.length} scans are fitted far worse than their error bars allow or leave structured residuals; these numbers are not trustworthy` });
    }
    // the last full run's flags that the cheap update does not re-derive (MCMC mixing, damage design, consistency)
    for (const flag of state.fullFlags) quality.push({ ...flag });
    const rivals = comparison.slice(1).filter((c) => c.deltaIC < INDISTINGUISHABLE_DELTA_IC);
    if (comparison.length > 1 && n >= MIN_SCANS_FOR_LAWS && (rivals.length > 0 || comparison[0].weight < 0.7)) {
      const shown = rivals.length > 0 ? [comparison[0], ...rivals] : comparison.slice(0, 2);
      quality.push({ level: "info", code: "laws-indistinguishable", message: `the data do not single out a law: ${shown.map((c) => `${c.law} ${(100 * c.weight).toFixed(0)} %`).join(", ")}${rivals.length > 0 ? ` (within ΔAICc ${INDISTINGUISHABLE_DELTA_IC} of the best)` : ""}` });
    }
    for (const failure of state.impedanceFailures) quality.push({ level: "warning", message: failure.message });
    if (state.needsFull.length > 0) quality.push({ level: "info", message: `a full re-run is due: ${state.needsFull.join("; ")}` });
    return quality;
  }

  /** The latest scan (by time) with the posterior law's fit at its joint optimum. */
  #latestScan(series: SeriesInput, state: CellState): LiveCell["latestScan"] {
    if (series.scans.length === 0) return null;
    const scan = series.scans.reduce((a, b) => (b.time_s >= a.time_s ? b : a));
    const data = { id: scan.id, q: Array.from(scan.data.q), r: Array.from(scan.data.r), dr: Array.from(scan.data.dr) };
    const posterior = state.posterior;
    const law = posterior ? state.laws.find((l) => l.law === posterior.law && l.damage === posterior.damage) : undefined;
    if (!law || !state.scales) {
      const f = state.independent.find((x) => x.id === scan.id);
      return { ...data, fit: [], chi2red: f ? f.chi2 / Math.max(f.points, 1) : NaN };
    }
    const objective = this.#scanObjective(series, scan, law.law, law.damage, state.scales, law.names);
    for (let j = 0; j < law.values.length; j++) objective.buffer[objective.order[j]] = law.values[j];
    const joint = objective.series.objective;
    const values = joint.valuesAt(objective.buffer);
    const model = objective.series.models[0];
    const fill = model.bind(joint.space);
    const slabs = new Float64Array(model.rows * 4);
    const scalars = new Float64Array(model.scalarCount);
    fill(values, slabs, scalars);
    const curve = objective.series.terms[0].evaluateAt(slabs, scalars[0], scalars[1], scalars);
    const chi2 = scanChi2(objective, law.values);
    return { ...data, fit: Array.from(curve), chi2red: chi2 / Math.max(joint.nResiduals, 1) };
  }

  #document(campaign: Campaign, cells: LiveCell[], method: LiveDocument["method"]): LiveDocument {
    return {
      format: "strata-live/1",
      campaign: (campaign.manifest as { name?: string }).name ?? null,
      generated: new Date().toISOString(),
      method,
      scans: campaign.cells.reduce((a, c) => a + c.scans.length, 0),
      pending: [...(campaign.pending ?? [])],
      cells,
      needsFull: this.needsFull,
      seed: this.#options.seed,
      options: { laws: [...this.#options.laws], damage: this.#options.damage, mcmc: { ...this.#options.mcmc }, start: this.#options.start },
      software: { name: "strata", version: STRATA_VERSION },
    };
  }
}

let debugClock = 0;
/** Section times on stderr when STRATA_LIVE_DEBUG is set (development aid). */
function debugTime(section: string): void {
  if (!process.env["STRATA_LIVE_DEBUG"]) return;
  const now = performance.now();
  if (section !== "start") console.error(`  ${section}: ${(now - debugClock).toFixed(0)} ms`);
  debugClock = now;
}

interface LawComparison {
  law: LawName;
  damage: DamageName;
  deltaIC: number;
  weight: number;
}

/** Akaike weights of the laws' AICc (the best damage variant of each law). */
function lawComparison(all: LawState[]): LawComparison[] {
  const laws = all.filter((l) => !l.stale);
  if (laws.length === 0) return [];
  const aicc = laws.map((l) => l.chi2 + 2 * l.k + (2 * l.k * (l.k + 1)) / Math.max(l.n - l.k - 1, 1));
  const best = Math.min(...aicc);
  const raw = aicc.map((a) => Math.exp(-0.5 * (a - best)));
  const total = raw.reduce((a, b) => a + b, 0);
  return laws.map((l, i) => ({ law: l.law, damage: l.damage, deltaIC: aicc[i] - best, weight: raw[i] / total })).sort((a, b) => a.deltaIC - b.deltaIC);
}

/** A law fit of the batch diagnosis as a live state: optimum, exact χ², information JᵀJ (forward differences over every scan). */
function lawState(f: LawFit): LawState {
  const objective = f.series.objective;
  const p = objective.names.length;
  const values = Float64Array.from(f.fit.values);
  const base = objective.residuals(values);
  const n = base.length;
  const jacobian = new Float64Array(n * p);
  const trial = Float64Array.from(values);
  const shifted = new Float64Array(n);
  for (let j = 0; j < p; j++) {
    const span = Number.isFinite(objective.upper[j] - objective.lower[j]) ? objective.upper[j] - objective.lower[j] : Math.max(Math.abs(values[j]), 1);
    let h = 1e-7 * span;
    if (values[j] + h > objective.upper[j]) h = -h;
    trial[j] = values[j] + h;
    objective.residuals(trial, shifted);
    trial[j] = values[j];
    for (let r = 0; r < n; r++) jacobian[r * p + j] = (shifted[r] - base[r]) / h;
  }
  const information = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      let sum = 0;
      for (let r = 0; r < n; r++) sum += jacobian[r * p + a] * jacobian[r * p + b];
      information[a * p + b] = sum;
      information[b * p + a] = sum;
    }
  }
  return {
    law: f.law,
    damage: f.damage,
    names: [...objective.names],
    lower: Array.from(objective.lower),
    upper: Array.from(objective.upper),
    values: Array.from(values),
    chi2: f.fit.chi2,
    information: Array.from(information),
    k: f.k,
    n: f.n,
    converged: f.fit.converged,
  };
}

function record(scan: SeriesScan): ScanRecord {
  return { id: scan.id, spot: scan.spot, time_s: scan.time_s, qred: scan.qred_C_per_cm2, ...(scan.dose_Gy !== undefined ? { dose: scan.dose_Gy } : {}) };
}

function sameScan(a: ScanRecord, b: ScanRecord): boolean {
  const close = (x: number | undefined, y: number | undefined): boolean => (x === undefined || y === undefined ? x === y : Math.abs(x - y) <= SCAN_CHANGE_TOLERANCE * Math.max(Math.abs(x), Math.abs(y), 1e-300));
  return a.spot === b.spot && close(a.time_s, b.time_s) && close(a.qred, b.qred) && close(a.dose, b.dose);
}

/** log likelihood of one scan at θ (state order); −∞ where the model fails. */
function scanLogLikelihood(part: ScanObjective, theta: ArrayLike<number>): number {
  for (let j = 0; j < part.order.length; j++) part.buffer[part.order[j]] = theta[j];
  try {
    const value = part.series.objective.logLikelihood(part.buffer);
    return Number.isFinite(value) ? value : -Infinity;
  } catch {
    return -Infinity;
  }
}

function scanChi2(part: ScanObjective, theta: ArrayLike<number>): number {
  for (let j = 0; j < part.order.length; j++) part.buffer[part.order[j]] = theta[j];
  const r = part.series.objective.residuals(part.buffer);
  let chi2 = 0;
  for (let i = 0; i < r.length; i++) chi2 += r[i] * r[i];
  return chi2;
}

/**
 * The log of zero as a finite number: documents are JSON, where −∞ would become null. Any
 * weight this small is zero next to a real one (exp underflows), and sums stay there.
 */
const LOG_ZERO = -1e300;

function finiteLog(x: number): number {
  return x > LOG_ZERO ? x : LOG_ZERO;
}

/** Shift log weights so that their log-sum is 0 (normalised); all −∞ become uniform. */
function normaliseLogWeights(logWeights: number[]): void {
  const max = Math.max(...logWeights);
  if (!Number.isFinite(max)) {
    logWeights.fill(-Math.log(logWeights.length));
    return;
  }
  let sum = 0;
  for (const w of logWeights) sum += Math.exp(w - max);
  const shift = max + Math.log(sum);
  for (let i = 0; i < logWeights.length; i++) logWeights[i] = finiteLog(logWeights[i] - shift);
}

function normalisedWeights(logWeights: number[]): Float64Array {
  const max = Math.max(...logWeights);
  const w = Float64Array.from(logWeights, (x) => Math.exp(x - max));
  const total = w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < w.length; i++) w[i] /= total;
  return w;
}

/** Kish's effective sample size (Σw)²/Σw². */
function kishEss(logWeights: number[]): number {
  const w = normalisedWeights(logWeights);
  let sum2 = 0;
  for (const x of w) sum2 += x * x;
  return sum2 > 0 ? 1 / sum2 : 0;
}

/** Systematic resampling: equal weights afterwards. */
function systematicResample(posterior: PosteriorState, random: Random): void {
  const n = posterior.draws.length;
  const w = normalisedWeights(posterior.logWeights);
  const u = random.next() / n;
  const out: number[][] = [];
  const logPosterior: number[] = [];
  let cumulative = w[0];
  let i = 0;
  for (let k = 0; k < n; k++) {
    const target = u + k / n;
    while (target > cumulative && i < n - 1) cumulative += w[++i];
    out.push([...posterior.draws[i]]);
    logPosterior.push(posterior.logPosterior[i]);
  }
  posterior.draws = out;
  posterior.logPosterior = logPosterior;
  posterior.logWeights = out.map(() => -Math.log(n));
}

/** (L·Lᵀ)⁻¹ from a lower Cholesky factor L. */
/** The posterior law's optimum and information, when the state has its joint fit (same parameters, not stale). */
function laplaceOf(state: CellState): { values: number[]; information: number[] } | undefined {
  const posterior = state.posterior;
  if (!posterior) return undefined;
  const law = state.laws.find((l) => l.law === posterior.law && l.damage === posterior.damage && !l.stale);
  if (!law || law.names.length !== posterior.names.length || law.names.some((name, j) => name !== posterior.names[j])) return undefined;
  return { values: law.values, information: law.information };
}

/** A multivariate t component of a proposal: its centre, Cholesky factor, precision and log det of the scale matrix. */
interface TComponent {
  mean: Float64Array;
  factor: Float64Array;
  precision: Float64Array;
  logDet: number;
}

function tComponent(mean: Float64Array, scaleMatrix: Float64Array, p: number): TComponent {
  const factor = choleskyWithJitter(scaleMatrix, p, 1e-300);
  const precision = invertMatrix(scaleMatrix, p) ?? choleskyInverse(factor, p);
  let logDet = 0;
  for (let j = 0; j < p; j++) logDet += 2 * Math.log(factor[j * p + j]);
  return { mean, factor, precision, logDet };
}

function choleskyInverse(factor: Float64Array, p: number): Float64Array {
  const inverseL = new Float64Array(p * p);
  for (let c = 0; c < p; c++) {
    for (let r = 0; r < p; r++) {
      let sum = r === c ? 1 : 0;
      for (let k = 0; k < r; k++) sum -= factor[r * p + k] * inverseL[k * p + c];
      inverseL[r * p + c] = sum / factor[r * p + r];
    }
  }
  const out = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    let sum = 0;
    for (let k = 0; k < p; k++) sum += inverseL[k * p + a] * inverseL[k * p + b];
    out[a * p + b] = sum;
  }
  return out;
}

/** Weighted mean and covariance of the draws (with a small ridge so that it factorises). */
function weightedMoments(posterior: PosteriorState): { mean: Float64Array; covariance: Float64Array } {
  const p = posterior.names.length;
  const w = normalisedWeights(posterior.logWeights);
  const mean = new Float64Array(p);
  posterior.draws.forEach((row, i) => {
    for (let j = 0; j < p; j++) mean[j] += w[i] * row[j];
  });
  const covariance = new Float64Array(p * p);
  posterior.draws.forEach((row, i) => {
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) covariance[a * p + b] += w[i] * (row[a] - mean[a]) * (row[b] - mean[b]);
  });
  for (let j = 0; j < p; j++) {
    const span = Number.isFinite(posterior.upper[j] - posterior.lower[j]) ? posterior.upper[j] - posterior.lower[j] : 1;
    covariance[j * p + j] += Math.max(1e-10 * covariance[j * p + j], (1e-9 * span) ** 2);
  }
  return { mean, covariance };
}

/** Weighted median and central 95 % interval (midpoint rule on the sorted cumulative weights). */
function weightedInterval(samples: Float64Array, weights: Float64Array): LiveInterval {
  const order = Array.from(samples.keys()).sort((a, b) => samples[a] - samples[b]);
  const positions = new Float64Array(order.length);
  let cumulative = 0;
  order.forEach((i, k) => {
    positions[k] = cumulative + 0.5 * weights[i];
    cumulative += weights[i];
  });
  const at = (q: number): number => {
    if (q <= positions[0]) return samples[order[0]];
    for (let k = 1; k < order.length; k++) {
      if (q <= positions[k]) {
        const f = (q - positions[k - 1]) / (positions[k] - positions[k - 1] || 1);
        return samples[order[k - 1]] + f * (samples[order[k]] - samples[order[k - 1]]);
      }
    }
    return samples[order[order.length - 1]];
  };
  return { median: at(0.5), lo95: at(0.025), hi95: at(0.975) };
}

/** Total dose per spot (Gy) from the dose ledger, or null when it cannot be computed. */
function spotDoses(campaign: Campaign, index: number): Record<string, number> | null {
  const cell = campaign.cells[index];
  // each scan at its own beam (a manifest's `beams`): X-ray scans add dose, neutron scans none
  const names = new Map(campaign.manifest.scans.map((s) => [s.id, s.beam]));
  const setups = new Map<string | undefined, DoseSetup | null>();
  const setupOf = (name: string | undefined): DoseSetup | null => {
    if (!setups.has(name)) {
      const { beam } = scanBeam(campaign.manifest, name);
      const setup = beam.probe === "xray" ? resolveDoseSetup(beam, cell.manifestCell, `cells[${index}]`) : undefined;
      setups.set(name, setup?.ok ? setup.value : null);
    }
    return setups.get(name)!;
  };
  const exposures = scanExposures(cell.scans.filter((s) => s.data.q.length > 0)).flatMap((e) => {
    const setup = setupOf(names.get(e.scan));
    return setup ? [{ ...e, setup }] : [];
  });
  if (exposures.length === 0 || [...setups.keys()].some((name) => setups.get(name) === null && scanBeam(campaign.manifest, name).beam.probe === "xray")) return null;
  try {
    const roles = new Map(cell.manifestCell.spots.map((s) => [s.id, s.role]));
    const rows = ledgerRows(cell.id, exposures[0].setup, exposures, roles);
    const out: Record<string, number> = {};
    for (const row of rows) out[row.spot] = (row.doseBefore_Gy ?? 0) + (row.dose_Gy ?? 0);
    return out;
  } catch {
    return null;
  }
}

/** The cycler record decimated to ≤ {@link MAX_TRACE_POINTS}: time (campaign axis), current, charge passed ∫I dt. */
function currentTrace(input: CellDiagnosisInput): LiveCell["current"] {
  const trace = input.trace;
  if (!trace || trace.time_s.length === 0) return null;
  const n = trace.time_s.length;
  const charge = new Float64Array(n);
  for (let i = 1; i < n; i++) charge[i] = charge[i - 1] + 0.5 * (trace.current_A[i - 1] + trace.current_A[i]) * (trace.time_s[i] - trace.time_s[i - 1]);
  const count = Math.min(n, MAX_TRACE_POINTS);
  const picks = Array.from({ length: count }, (_, k) => (count === 1 ? n - 1 : Math.round((k * (n - 1)) / (count - 1))));
  return { time_s: picks.map((i) => trace.time_s[i]), current_A: picks.map((i) => trace.current_A[i]), charge_C: picks.map((i) => charge[i]) };
}

/** One sentence, as diagnose's verdict: what the interphase did and how sure that is. */
function headline(
  cell: string,
  interphase: string,
  timeline: LiveCell["timeline"],
  comparison: LawComparison[],
  posterior: PosteriorState | null,
  trust: ReturnType<typeof trustJson>,
  quality: QualityFlag[],
  scans: number,
): string {
  if (timeline.length === 0) return `Cell ${cell}: no usable scans yet.`;
  const first = timeline[0].thickness_A;
  const last = timeline[timeline.length - 1].thickness_A;
  const hours = (timeline[timeline.length - 1].time_s - timeline[0].time_s) / 3600;
  const fmt = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? "?" : x.toFixed(1));
  const span = `${fmt(first?.median)} → ${fmt(last?.median)} Å over ${hours.toFixed(2)} h (${scans} scan${scans === 1 ? "" : "s"} so far)`;
  if (trust.level === "not trustworthy") {
    const reasons = [...new Set(trust.reasons.map((q) => q.message.split(":")[0]))];
    return `Cell ${cell}: NOT TRUSTWORTHY — ${reasons.join("; ")}. ${posterior ? `Best attempt: ${span}, ${posterior.law} law.` : `Per-scan thicknesses: ${span}.`}`;
  }
  const grew = (last?.median ?? 0) >= (first?.median ?? 0) ? "grew" : "thinned";
  const interval = last ? ` [95 %: ${fmt(last.lo95)}–${fmt(last.hi95)} Å]` : "";
  const lawText = posterior ? `following the ${posterior.law} law (${comparison.map((c) => `${c.law} ${(100 * c.weight).toFixed(0)} %`).slice(0, 2).join(", ")} of the evidence)` : "no growth law yet";
  const flags = quality.filter((q) => q.level !== "info").length;
  return `Cell ${cell}: the ${interphase} ${grew} from ${fmt(first?.median)} Å to ${fmt(last?.median)} Å${interval} over ${hours.toFixed(2)} h, ${lawText}; live, ${scans} scan${scans === 1 ? "" : "s"}.${flags > 0 ? ` ${flags} quality flag${flags === 1 ? "" : "s"}: read them before using these numbers.` : ""}`;
}

/** Free parameters of a scan's free fit: the interphase thickness and roughness, its density when fitted, and the scan's nuisance. */
function freeParameterCount(fit: IndependentScanFit): number {
  return 2 + (fit.density !== undefined ? 1 : 0) + Object.keys(fit.nuisance).length;
}
