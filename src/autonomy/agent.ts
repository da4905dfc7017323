/**
 * @module autonomy/agent
 * The experiment agent of one campaign, shaped like bluesky-adaptive's agents (issue 18): `tell`
 * it a measurement, `ask` it for the next n actions (the planner's ranked actions, each with its
 * expected gain, cost and one-line reason), `report` the state, and — because facilities ask
 * for a person's review of AI-submitted plans — `approve` or `deny` each suggestion.
 *
 * - **Approval gate** (`requireApproval`, default true): a suggestion is born `pending`; it can be
 *   `take`n (handed to the instrument) only once `approved`. Without the gate a pending
 *   suggestion can be taken directly. A `denied` suggestion is never suggested again
 *   identically (same cell, target and action) while the campaign's state (the scans and
 *   spectra present) is the same: `ask` asks the planner for more and skips it.
 * - **Events**: every change is an event (`agent.suggestion`, `agent.decision`, `agent.tell`)
 *   that the methods return and apply; {@link Agent.apply} is idempotent and the state is a
 *   fold of the events, so an agent rebuilt from a log ({@link Agent.fromEvents}) is the one
 *   that wrote it (the service persists them in its event log and rebuilds after a restart).
 * - **Constraints** ({@link defaultConstraints}): from the campaign — the cell's spots (declared,
 *   or seen in its scans) with the dose the live diagnosis's ledger gives them, fresh when never
 *   exposed; now = the latest scan's end; the latest scan's Q range, points and exposure as the
 *   setting; impedance when the manifest names spectra for the cell — merged with the caller's
 *   (their fields win; spots merged by id). Budgets: the manifest declares none, so a spot's
 *   budget is unbounded unless the request's constraints give one.
 *
 * Units: time s on the campaign clock (since t0), dose Gy, Q Å⁻¹, counting time s (a whole
 * scan's exposure, as the dose ledger counts it), information nats.
 */
import { createHash, randomBytes } from "node:crypto";
import { EngineError, ValidationError } from "../core/errors.ts";
import type { Campaign } from "../campaign/campaign.ts";
import type { LiveCell, LiveDocument } from "../diagnosis/live.ts";
import { validateConstraints } from "./planner.ts";
import type { Action, Constraints, PlanRequest, PlanResult, RankedAction, ScanSetting, SpotState, Target } from "./types.ts";

/** The event types the agent writes. */
export const AGENT_EVENTS = { suggestion: "agent.suggestion", decision: "agent.decision", tell: "agent.tell" } as const;
/** How far past now the beam time runs when the caller does not say (s): 12 h. */
export const DEFAULT_HORIZON_S = 12 * 3600;
/** Suggestions an `ask` may return at most. */
export const MAX_ASK = 20;
/** Tells listed by {@link Agent.report}. */
export const REPORTED_TELLS = 10;

export type SuggestionStatus = "pending" | "approved" | "denied" | "taken";

/** One suggestion: a ranked action with its id and status. */
export interface Suggestion extends RankedAction {
  id: string;
  status: SuggestionStatus;
  cell: string;
  target: Target;
  /** the campaign state it was made in (see {@link stateKey}) */
  state: string;
  createdAt: string;
  /** the spots' budgets (Gy, null: none) in force when it was made */
  budgets: Record<string, number | null>;
  decision?: { decision: "approve" | "deny"; by: string; note?: string; at: string };
  takenAt?: string;
}

/** A measurement told to the agent. */
export interface Tell {
  file: string;
  version: number;
  /** "file" (a scan file) or "bluesky" (event-model documents) */
  source: "file" | "bluesky";
  scan?: string;
  cell?: string;
  spot?: string;
  /** the run's uid (bluesky) */
  uid?: string;
  /** the suggestion it carries out */
  suggestion?: string;
  at: string;
}

/** What an `agent.suggestion` event records: the suggestion as it was made. */
export type SuggestionPayload = Omit<Suggestion, "decision" | "takenAt" | "status"> & { status: "pending" };
/** What an `agent.decision` event records ("take": handed to the instrument). */
export interface DecisionPayload {
  suggestion: string;
  decision: "approve" | "deny" | "take";
  by: string;
  note?: string;
  at: string;
}

/** One agent event (what the service appends to its log). */
export type AgentEvent = { type: "agent.suggestion"; payload: SuggestionPayload } | { type: "agent.decision"; payload: DecisionPayload } | { type: "agent.tell"; payload: Tell };

/** The planner's entry point (autonomy/planner's `plan`). */
export type PlanFunction = (request: PlanRequest) => PlanResult;

/** A failed decision: `not-found` (no such suggestion) or `conflict` (already decided, not approved). */
export class AgentError extends EngineError {
  constructor(
    readonly kind: "not-found" | "conflict",
    message: string,
  ) {
    super("validation", message);
  }
}

/** What `ask` needs besides n. */
export interface AskRequest {
  campaign: Campaign;
  live: LiveDocument;
  target: Target;
  /** fields that override {@link defaultConstraints} (spots merged by id) */
  constraints?: ConstraintsOverride;
  cell?: string;
  doseAware?: boolean;
  seed?: number;
}

export interface AskResult {
  suggestions: Suggestion[];
  /** the planner's answer (costModel, events, refused, the target now) */
  plan: PlanResult;
  constraints: Constraints;
  /** the events this ask wrote (new suggestions) */
  events: AgentEvent[];
}

export interface AgentOptions {
  /** the planner (autonomy/planner's `plan`) */
  plan: PlanFunction;
  /** suggestions need a person's approval before they are taken @default true */
  requireApproval?: boolean;
  /** the clock (tests) */
  now?: () => Date;
}

/** JSON with object keys sorted (an identity for actions and targets). */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The campaign's state as far as suggestions go: a hash of the scans and spectra present (id, spot, times). */
export function stateKey(campaign: Campaign): string {
  const parts = campaign.cells.flatMap((c) => [...c.scans.map((s) => `${c.id}/${s.id}/${s.spot}/${s.start_s}/${s.end_s}`), ...c.spectra.map((s) => `${c.id}/eis/${s.file}/${s.start_s}`)]);
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 16);
}

function cellOf(campaign: Campaign, cell: string | undefined): Campaign["cells"][number] {
  const found = cell === undefined ? campaign.cells[0] : campaign.cells.find((c) => c.id === cell);
  if (!found) throw new ValidationError("cell", `is not a cell of the campaign (${campaign.cells.map((c) => JSON.stringify(c.id)).join(", ")})`, cell ?? null);
  return found;
}

function liveCellOf(live: LiveDocument, cell: string): LiveCell | undefined {
  return live.cells.find((c) => c.id === cell);
}

const median = (values: number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * The constraints a campaign implies (see the module header).
 * @param campaign - loaded with presentOnly
 * @param live - its latest live diagnosis (the dose per spot)
 * @param cell - default the first cell
 */
export function defaultConstraints(campaign: Campaign, live: LiveDocument | undefined, cell?: string): Constraints {
  const data = cellOf(campaign, cell);
  const dose = (live && liveCellOf(live, data.id)?.dose_Gy) ?? {};
  const exposed = new Set(data.scans.map((s) => s.spot));
  const ids = data.manifestCell.spots.length > 0 ? data.manifestCell.spots.map((s) => s.id) : [...new Set([...data.scans.map((s) => s.spot), ...Object.keys(dose)])];
  const spots: SpotState[] = ids.map((id) => ({ id, dose_Gy: dose[id] ?? 0, budget_Gy: Infinity, fresh: !exposed.has(id) }));
  const now_s = data.scans.reduce((m, s) => Math.max(m, s.end_s), 0);
  const last = data.scans.reduce<(typeof data.scans)[number] | undefined>((best, s) => (best === undefined || s.end_s > best.end_s ? s : best), undefined);
  const settings: ScanSetting[] = last ? [{ qMin: Math.min(...last.data.q), qMax: Math.max(...last.data.q), points: last.data.q.length, countTime_s: last.exposure_s }] : [];
  const durations = data.scans.map((s) => s.exposure_s);
  const impedance = campaign.manifest.impedance.some((e) => (e as { cell?: string }).cell === undefined || (e as { cell?: string }).cell === data.id);
  const spectraDurations = data.spectra.map((s) => s.end_s - s.start_s).filter((d) => d > 0);
  return {
    now_s,
    end_s: now_s + DEFAULT_HORIZON_S,
    // a scan cannot start before the previous one ends: the usual scan's length
    minSpacing_s: median(durations) ?? 0,
    spots,
    settings,
    impedance,
    ...(spectraDurations.length > 0 ? { impedanceDuration_s: median(spectraDurations)! } : {}),
  };
}

/** What a caller may override: any field; spots by id with any of their fields. */
export type ConstraintsOverride = Partial<Omit<Constraints, "spots">> & { spots?: (Partial<SpotState> & { id: string })[] };

/** Defaults overridden by the caller's fields; spots merged by id (a new id is added, fresh unless said). */
export function mergeConstraints(defaults: Constraints, given: ConstraintsOverride | undefined): Constraints {
  if (!given) return defaults;
  const spots = defaults.spots.map((s) => ({ ...s }));
  for (const [i, spot] of (given.spots ?? []).entries()) {
    if (typeof spot?.id !== "string") throw new ValidationError(`constraints.spots[${i}].id`, "must be a string", spot?.id ?? null);
    const known = spots.find((s) => s.id === spot.id);
    if (known) Object.assign(known, spot);
    else spots.push({ id: spot.id, dose_Gy: spot.dose_Gy ?? 0, budget_Gy: spot.budget_Gy ?? Infinity, fresh: spot.fresh ?? true });
  }
  return { ...defaults, ...given, spots };
}

/**
 * One campaign's agent (see the module header). The methods apply their events and return them;
 * {@link Agent.apply} takes events back from a log (idempotent).
 */
export class Agent {
  readonly requireApproval: boolean;
  private readonly planner: PlanFunction;
  private readonly clock: () => Date;
  private readonly suggestionsById = new Map<string, Suggestion>();
  private readonly tells: Tell[] = [];
  private readonly tellKeys = new Set<string>();
  private lastTarget: Target | undefined;

  constructor(options: AgentOptions) {
    this.planner = options.plan;
    this.requireApproval = options.requireApproval ?? true;
    this.clock = options.now ?? (() => new Date());
  }

  /** An agent whose state is the fold of these events (e.g. read back from the service's log). */
  static fromEvents(events: Iterable<{ type: string; payload: object }>, options: AgentOptions): Agent {
    const agent = new Agent(options);
    for (const event of events) agent.apply(event);
    return agent;
  }

  /** Apply one event (other types are ignored; an event already applied changes nothing). */
  apply(event: { type: string; payload: object }): void {
    if (event.type === AGENT_EVENTS.suggestion) {
      const payload = event.payload as SuggestionPayload;
      if (!this.suggestionsById.has(payload.id)) this.suggestionsById.set(payload.id, { ...payload, status: "pending" });
      this.lastTarget = payload.target;
    } else if (event.type === AGENT_EVENTS.decision) {
      const payload = event.payload as DecisionPayload;
      const suggestion = this.suggestionsById.get(payload.suggestion);
      if (!suggestion) return;
      if (payload.decision === "take") {
        if (suggestion.status !== "taken") Object.assign(suggestion, { status: "taken", takenAt: payload.at });
      } else if (suggestion.status === "pending") {
        suggestion.status = payload.decision === "approve" ? "approved" : "denied";
        suggestion.decision = { decision: payload.decision, by: payload.by, ...(payload.note === undefined ? {} : { note: payload.note }), at: payload.at };
      }
    } else if (event.type === AGENT_EVENTS.tell) {
      const payload = event.payload as Tell;
      const key = `${payload.file}\0${payload.version}`;
      if (this.tellKeys.has(key)) return;
      this.tellKeys.add(key);
      this.tells.push(payload);
    }
  }

  /** Every suggestion, oldest first. */
  get suggestions(): Suggestion[] {
    return [...this.suggestionsById.values()];
  }

  suggestion(id: string): Suggestion | undefined {
    return this.suggestionsById.get(id);
  }

  /**
   * A measurement arrived (its file was ingested): recorded once per file version; a `suggestion`
   * it carries out is taken (refused while it waits for approval).
   * @throws {AgentError} the suggestion is unknown, denied, or pending under the approval gate
   */
  tell(measurement: Omit<Tell, "at">): AgentEvent[] {
    const events: AgentEvent[] = [];
    if (measurement.suggestion !== undefined) events.push(...this.take(measurement.suggestion, "tell"));
    const key = `${measurement.file}\0${measurement.version}`;
    if (!this.tellKeys.has(key)) {
      const event: AgentEvent = { type: "agent.tell", payload: { ...measurement, at: this.clock().toISOString() } };
      this.apply(event);
      events.push(event);
    }
    return events;
  }

  /** The last tells, newest last. */
  get told(): Tell[] {
    return [...this.tells];
  }

  /**
   * The next n actions (see the module header): the planner's ranking without what was denied in
   * this state; an action already suggested in this state (pending, approved or taken) is
   * returned as that suggestion rather than a new one.
   * @throws {ValidationError} n outside 1…MAX_ASK, an unknown cell; the planner's own errors
   */
  ask(n: number, request: AskRequest): AskResult {
    if (!Number.isInteger(n) || n < 1 || n > MAX_ASK) throw new ValidationError("n", `must be an integer from 1 to ${MAX_ASK}`, n);
    const cell = cellOf(request.campaign, request.cell).id;
    // checked as the planner checks a constraints file: one line naming the field
    const constraints = validateConstraints(mergeConstraints(defaultConstraints(request.campaign, request.live, cell), request.constraints));
    const state = stateKey(request.campaign);
    const identity = (action: Action): string => canonical({ cell, target: request.target, action });
    const inState = this.suggestions.filter((s) => s.state === state && s.cell === cell);
    const denied = new Set(inState.filter((s) => s.status === "denied").map((s) => identity(s.action)));
    const earlier = new Map(inState.filter((s) => s.status !== "denied").map((s) => [identity(s.action), s]));
    const plan = this.planner({
      campaign: request.campaign,
      live: request.live,
      cell,
      constraints,
      target: request.target,
      n: n + denied.size,
      ...(request.doseAware === undefined ? {} : { doseAware: request.doseAware }),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
    });
    const budgets = Object.fromEntries(constraints.spots.map((s) => [s.id, Number.isFinite(s.budget_Gy) ? s.budget_Gy : null]));
    const suggestions: Suggestion[] = [];
    const events: AgentEvent[] = [];
    const at = this.clock().toISOString();
    for (const ranked of plan.actions) {
      if (suggestions.length >= n) break;
      const key = identity(ranked.action);
      if (denied.has(key)) continue;
      const seen = earlier.get(key);
      if (seen) {
        if (!suggestions.includes(seen)) suggestions.push(seen);
        continue;
      }
      const payload = { ...ranked, id: `s-${randomBytes(5).toString("hex")}`, status: "pending" as const, cell, target: request.target, state, createdAt: at, budgets };
      const event: AgentEvent = { type: "agent.suggestion", payload };
      this.apply(event);
      events.push(event);
      const made = this.suggestionsById.get(payload.id)!;
      earlier.set(key, made);
      suggestions.push(made);
    }
    this.lastTarget = request.target;
    return { suggestions, plan, constraints, events };
  }

  private decide(id: string, decision: "approve" | "deny", by: string, note: string | undefined): AgentEvent[] {
    const suggestion = this.suggestionsById.get(id);
    if (!suggestion) throw new AgentError("not-found", `suggestion ${JSON.stringify(id)}: no such suggestion`);
    if (typeof by !== "string" || by.trim() === "") throw new ValidationError("by", "must name the person deciding", by ?? null);
    if (suggestion.status !== "pending") throw new AgentError("conflict", `suggestion ${id}: already ${suggestion.status}${suggestion.decision ? ` by ${suggestion.decision.by}` : ""}`);
    const event: AgentEvent = { type: "agent.decision", payload: { suggestion: id, decision, by: by.trim(), ...(note === undefined || note === "" ? {} : { note }), at: this.clock().toISOString() } };
    this.apply(event);
    return [event];
  }

  /** A person approves a pending suggestion. @throws {AgentError} unknown, or not pending */
  approve(id: string, by: string, note?: string): AgentEvent[] {
    return this.decide(id, "approve", by, note);
  }

  /** A person denies a pending suggestion (never suggested again identically in this state). @throws {AgentError} unknown, or not pending */
  deny(id: string, by: string, note?: string): AgentEvent[] {
    return this.decide(id, "deny", by, note);
  }

  /**
   * The suggestion is handed to the instrument.
   * @throws {AgentError} unknown; denied; pending while approval is required; already taken
   */
  take(id: string, by = "agent"): AgentEvent[] {
    const suggestion = this.suggestionsById.get(id);
    if (!suggestion) throw new AgentError("not-found", `suggestion ${JSON.stringify(id)}: no such suggestion`);
    if (suggestion.status === "denied") throw new AgentError("conflict", `suggestion ${id}: denied by ${suggestion.decision?.by ?? "someone"}; it cannot be taken`);
    if (suggestion.status === "taken") throw new AgentError("conflict", `suggestion ${id}: already taken`);
    if (suggestion.status === "pending" && this.requireApproval) throw new AgentError("conflict", `suggestion ${id}: pending — a person must approve it before it is taken`);
    const event: AgentEvent = { type: "agent.decision", payload: { suggestion: id, decision: "take", by, at: this.clock().toISOString() } };
    this.apply(event);
    return [event];
  }

  /**
   * The current state: the target and its posterior now, the dose used per spot against its
   * budget, every suggestion with its status, the last tells.
   */
  report(live?: LiveDocument, cell?: string): AgentReport {
    const target = this.lastTarget ?? null;
    const cellId = cell ?? this.suggestions.at(-1)?.cell ?? live?.cells[0]?.id ?? null;
    const liveCell = live && cellId !== null ? liveCellOf(live, cellId) : undefined;
    const budgets = this.suggestions.at(-1)?.budgets ?? {};
    const doses = liveCell?.dose_Gy ?? {};
    const spots = [...new Set([...Object.keys(doses), ...Object.keys(budgets)])].sort();
    return {
      requireApproval: this.requireApproval,
      cell: cellId,
      target,
      posterior: target && liveCell ? targetSummary(target, liveCell) : null,
      scans: live?.scans ?? null,
      budgets: spots.map((spot) => {
        const dose = doses[spot] ?? 0;
        const budget = budgets[spot] ?? null;
        return { spot, dose_Gy: dose, budget_Gy: budget, used: budget === null || budget <= 0 ? null : dose / budget };
      }),
      suggestions: this.suggestions,
      tells: this.tells.slice(-REPORTED_TELLS),
    };
  }
}

/** What {@link Agent.report} returns. */
export interface AgentReport {
  requireApproval: boolean;
  cell: string | null;
  target: Target | null;
  /** the target's posterior now (interval, or law weights) */
  posterior: { parameter?: string; median?: number; lo95?: number; hi95?: number; unit?: string; weights?: Record<string, number>; law?: string | null; note?: string } | null;
  /** scans in the live diagnosis */
  scans: number | null;
  /** dose per spot, its budget (null: none) and the fraction used */
  budgets: { spot: string; dose_Gy: number; budget_Gy: number | null; used: number | null }[];
  suggestions: Suggestion[];
  tells: Tell[];
}

/** The target's posterior in a live cell: a parameter's interval, the law weights, the latest thickness. */
export function targetSummary(target: Target, cell: LiveCell): NonNullable<AgentReport["posterior"]> {
  if (target.kind === "law") return { weights: cell.law.weights, law: cell.law.best };
  if (target.kind === "parameter") {
    const interval = cell.parameters[target.name];
    return interval ? { parameter: target.name, ...interval } : { parameter: target.name, note: `the posterior (${cell.law.posterior ?? "none"}) has no parameter ${target.name}` };
  }
  if (target.kind === "damage") {
    const name = Object.keys(cell.parameters).find((k) => /damage|^kd$|^beta/i.test(k));
    return name ? { parameter: name, ...cell.parameters[name] } : { note: `no damage term in the posterior (damage model: ${cell.law.damage})` };
  }
  const last = cell.timeline.at(-1);
  return last?.thickness_A ? { parameter: `thickness at ${last.time_s} s (latest scan; the planner forecasts ${target.at_s} s)`, ...last.thickness_A } : { note: "no thickness yet" };
}
