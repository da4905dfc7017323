/**
 * @module autonomy/policies
 * The policies a digital twin (autonomy/twin) can run, all on the same interface: given
 * the campaign measured so far, its live diagnosis and the constraints now, the actions to
 * take, best first, each with a one-line reason. The twin takes the first one its hard
 * budgets allow.
 *
 * - `fixed`: the beamline's schedule — a reflectivity scan every `fixedInterval_s` (20 min)
 *   on the first spot, with the default setting (the same counting time every scan), whatever
 *   the posterior says.
 * - `greedy`: the planner's `plan()` (autonomy/planner) with `doseAware: false` — the
 *   Fisher-greedy baseline ranking by information per beam time, blind to dose.
 * - `strata`: `plan()` with `doseAware: true` — information per Gy, fresh spots allowed,
 *   temporal gating on the cycler record.
 *
 * The planned policies need a posterior: until the live diagnosis has one for the cell
 * (its first posterior needs a few scans), they measure like the fixed schedule but at the
 * minimum spacing (a bootstrap), and say so.
 *
 * Units: time s on the campaign clock, dose Gy, information nats.
 */
import { ValidationError } from "../core/errors.ts";
import type { Campaign } from "../campaign/campaign.ts";
import type { LiveDocument } from "../diagnosis/live.ts";
import { plan } from "./planner.ts";
import type { Action, Constraints, RankedAction, Target } from "./types.ts";

/** The policies of `strata twin`. */
export const POLICY_NAMES = ["fixed", "greedy", "strata"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** What a policy sees when it decides. */
export interface PolicyContext {
  campaign: Campaign;
  /** the live diagnosis now (null before the first scan) */
  live: LiveDocument | null;
  constraints: Constraints;
  target: Target;
  /** start of the last reflectivity scan, s (null: none yet) */
  lastScan_s: number | null;
  /** reflectivity scans measured so far */
  scans: number;
  /** the fixed schedule's interval, s */
  fixedInterval_s: number;
  seed: number;
}

/** A policy's answer: actions best first (each with its reason) and what the planner said, if asked. */
export interface PolicyDecision {
  actions: RankedAction[];
  /** the planner's events seen (temporal gating) and what it considered */
  events?: { time_s: number; kind: string; message: string }[];
  considered?: number;
}

/** Actions asked of the planner at each decision (the twin takes the first its budgets allow). */
export const PLANNED_ACTIONS = 8;

/** A policy. */
export type Policy = (context: PolicyContext) => PolicyDecision;

/** The ranked action of a scan on the first spot with the default setting at `at_s`, costing `dose_Gy`. */
function scheduledScan(context: PolicyContext, at_s: number, reason: string): RankedAction {
  const spot = context.constraints.spots[0];
  const setting = context.constraints.settings[0];
  const action: Action = { kind: "reflectivity", at_s, spot: spot.id, setting };
  return { action, gain_nats: 0, cost: { dose_Gy: 0, time_s: setting.countTime_s }, score: 0, reason };
}

/** The fixed schedule: every `fixedInterval_s` from the first scan, one spot, one setting. */
export const fixedPolicy: Policy = (context) => {
  const { now_s } = context.constraints;
  const at = context.lastScan_s === null ? now_s : Math.max(now_s, context.lastScan_s + context.fixedInterval_s);
  return { actions: [scheduledScan(context, at, `fixed schedule: a scan every ${context.fixedInterval_s / 60} min on ${context.constraints.spots[0].id}`)] };
};

/** A planned policy: plan() with or without dose awareness, after a bootstrap at the minimum spacing. */
function plannedPolicy(doseAware: boolean): Policy {
  return (context) => {
    const cell = context.live?.cells[0];
    if (!context.live || !cell?.posterior) {
      const { now_s, minSpacing_s } = context.constraints;
      const at = context.lastScan_s === null ? now_s : Math.max(now_s, context.lastScan_s + minSpacing_s);
      return { actions: [scheduledScan(context, at, `bootstrap: no posterior yet (${context.scans} scan${context.scans === 1 ? "" : "s"}): a scan at the minimum spacing`)] };
    }
    // a parameter the posterior's law does not have (the law changed): learn the law first
    const target: Target = context.target.kind === "parameter" && !(context.target.name in cell.parameters) ? { kind: "law" } : context.target;
    const note = target === context.target ? "" : ` (${context.target.kind === "parameter" ? context.target.name : ""} not in the ${cell.law.posterior ?? "current"} law: target the law)`;
    try {
      const result = plan({ campaign: context.campaign, live: context.live, constraints: context.constraints, target, n: PLANNED_ACTIONS, doseAware, seed: context.seed });
      return { actions: result.actions.map((a) => ({ ...a, reason: a.reason + note })), events: result.events, considered: result.considered };
    } catch (error) {
      // a target the planner cannot work on now (e.g. the law when one law is fitted): measure at the minimum spacing, and say why
      if (!(error instanceof ValidationError)) throw error;
      const { now_s, minSpacing_s } = context.constraints;
      const at = context.lastScan_s === null ? now_s : Math.max(now_s, context.lastScan_s + minSpacing_s);
      return { actions: [scheduledScan(context, at, `planner declined (${error.message}): a scan at the minimum spacing`)] };
    }
  };
}

/** The policy of a name. */
export function policyOf(name: PolicyName): Policy {
  if (name === "fixed") return fixedPolicy;
  return plannedPolicy(name === "strata");
}
