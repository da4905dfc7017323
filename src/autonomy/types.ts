/**
 * @module autonomy/types
 * The shared vocabulary of experiment design (issue 18): what the user wants to learn (a
 * target), what the campaign allows (constraints: spots and their dose budgets, beam time,
 * spacing, Q ranges and counting times, impedance), the actions a planner can propose, and
 * a plan — actions ranked by expected information on the target per unit cost, each with a
 * one-line reason.
 *
 * Units: time s on the campaign clock (seconds since the campaign's t0, as the manifest's
 * scan times), dose Gy (absorbed dose as the dose ledger computes it), thickness Å, Q Å⁻¹,
 * counting time s, information nats.
 */
import type { Campaign } from "../campaign/campaign.ts";
import type { LiveDocument } from "../diagnosis/live.ts";

/** What the user wants to learn. */
export type Target =
  /** a growth-law parameter by its name in the posterior (e.g. "kp", "k", "L0") */
  | { kind: "parameter"; name: string }
  /** which growth law the data support */
  | { kind: "law" }
  /** the beam-damage rate (the damage term's parameter) */
  | { kind: "damage" }
  /** the interphase thickness at a future time */
  | { kind: "thickness"; at_s: number };

/** A sample spot the beam can be put on. */
export interface SpotState {
  id: string;
  /** dose received so far, Gy */
  dose_Gy: number;
  /** hard limit on the spot's total dose, Gy (Infinity: none) */
  budget_Gy: number;
  /** never exposed (a control for damage) */
  fresh: boolean;
}

/** A reflectivity scan setting the planner may choose. */
export interface ScanSetting {
  qMin: number;
  qMax: number;
  points: number;
  countTime_s: number;
}

/** What the campaign allows from now on. */
export interface Constraints {
  /** the campaign clock now, s */
  now_s: number;
  /** when the beam time ends, s */
  end_s: number;
  /** minimum time between the starts of two reflectivity scans, s */
  minSpacing_s: number;
  spots: SpotState[];
  /** the reflectivity settings available (the first is the default) */
  settings: ScanSetting[];
  /** whether an impedance spectrum can be taken (it costs no dose) */
  impedance: boolean;
  /** duration of an impedance spectrum, s */
  impedanceDuration_s?: number;
  /** the latest times at which the planner may propose "wait until" (s from now); default a few steps up to end_s */
  waitSteps_s?: number[];
  /** the total dose the whole campaign may still spend, Gy (Infinity: none) */
  totalBudget_Gy?: number;
}

/** An action a planner can propose. */
export type Action =
  | { kind: "reflectivity"; at_s: number; spot: string; setting: ScanSetting }
  | { kind: "impedance"; at_s: number }
  | { kind: "wait"; until_s: number };

/** What an action costs. */
export interface ActionCost {
  /** absorbed dose at the spot, Gy (0 for impedance and waiting; 0 for neutrons) */
  dose_Gy: number;
  /** beam time used, s */
  time_s: number;
}

/** One ranked action. */
export interface RankedAction {
  action: Action;
  /** expected information on the target, nats */
  gain_nats: number;
  cost: ActionCost;
  /** the ranking score: gain per unit cost (see PlanResult.costModel) */
  score: number;
  /** one line: why this action ("fresh spot P3: separates damage from growth; expected σ(kp) −38 % for 8e5 Gy") */
  reason: string;
  /** the target's posterior sd now and expected after the action (parameter and thickness targets) */
  sdBefore?: number;
  sdAfter?: number;
}

/** What a planner is asked. */
export interface PlanRequest {
  /** the campaign as measured so far (loadCampaign with presentOnly) */
  campaign: Campaign;
  /** the cell's current live diagnosis (its posterior draws) */
  live: LiveDocument;
  /** the cell (default the first) */
  cell?: string;
  constraints: Constraints;
  target: Target;
  /** how many actions to return (default 5) */
  n?: number;
  /** false: the Fisher-greedy baseline that ranks by gain per beam time, blind to dose (default true) */
  doseAware?: boolean;
  /** a seed for any sampling (validation of Fisher gains by posterior entropy) */
  seed?: number;
}

/** A planner's answer: the `strata-plan/1` document. */
export interface PlanResult {
  format: "strata-plan/1";
  cell: string;
  target: Target;
  /** the target's posterior now (median and sd; law targets: the law weights) */
  now: { median?: number; sd?: number; weights?: Record<string, number> };
  /** how score = gain / cost is formed, in one line */
  costModel: string;
  /** the electrochemical events seen since the last measurement (temporal gating) */
  events: { time_s: number; kind: "potential-step" | "current-spike" | "step-end"; message: string }[];
  actions: RankedAction[];
  /** candidate actions considered */
  considered: number;
  /** candidates refused by a constraint, by reason */
  refused: Record<string, number>;
}
