/**
 * @module autonomy/twin
 * The digital twin (issue 18 part 4): a simulated beam time in which the simulator is the
 * hidden truth (simulation/scanGenerator: growth law, damage at each spot, the cell's drawn
 * stack, counting noise from flux and counting time, an optional potential step), a policy
 * (autonomy/policies) chooses the actions, and Strata ingests each result and updates its
 * posterior, until the beam time ends.
 *
 * The loop: a campaign folder is grown action by action — the manifest's scan list appended,
 * the scan's `.ort` written, the cycler record extended to the clock, a spectrum written when
 * impedance is measured — then loaded as `strata serve` sees it (`loadCampaign` with
 * `presentOnly`) and the live diagnosis updated (diagnosis/live `update`; its batch `full` run
 * when it asks for one, up to `maxFullRuns`, and always at the end, whose diagnosis is the
 * run's final diagnosis). Between scans the clock advances in steps of at most `replan_s`, and
 * the policy is asked again at each, so a planner watching the cycler record can react to a
 * potential step within that step.
 *
 * Hard budgets: whatever a policy proposes, an exposure that would take a spot past its
 * budget (or the campaign past its total budget, or end after the beam time) is refused and
 * logged, and the next proposal is tried; no spot ever exceeds its budget (doses are the
 * generator's true doses).
 *
 * Units: time s on the campaign clock, dose Gy, thickness Å, Q Å⁻¹, counting time s,
 * information nats.
 */
import fs from "node:fs";
import path from "node:path";
import { ValidationError } from "../core/errors.ts";
import { checkKnownKeys } from "../core/keys.ts";
import { STRATA_VERSION } from "../core/version.ts";
import { loadCampaign, type Campaign } from "../campaign/campaign.ts";
import { LiveDiagnosis, type LiveDocument, type LiveInterval } from "../diagnosis/live.ts";
import { LAW_NAMES, type LawName } from "../models/growthLaws.ts";
import { CYCLER_SAMPLE_S, ScanGenerator, SPECTRUM_DURATION_S, type PotentialStep } from "../simulation/scanGenerator.ts";
import { policyOf, POLICY_NAMES, type PolicyName } from "./policies.ts";
import type { Action, Constraints, RankedAction, ScanSetting, SpotState, Target } from "./types.ts";

/** The growth parameter a twin targets by default: the law's rate. */
export const RATE_PARAMETER: Record<LawName, string> = { linear: "k", parabolic: "kp", mixed: "B", logarithmic: "a", charge: "f" };

/** Defaults of the `twin` section. */
export const TWIN_DEFAULTS = {
  /** the fixed schedule's interval (issue 18: every 20 min) */
  fixedInterval_s: 1200,
  /** first action not before (s) */
  start_s: 600,
  /** minimum spacing of two scans' starts (s) */
  minSpacing_s: 300,
  /** longest clock step between two decisions (s) */
  replan_s: 60,
  /** batch full runs the twin grants the live diagnosis when it asks, besides the final one */
  maxFullRuns: 2,
  /** the batch diagnosis's chain (shorter than `strata diagnose`'s, so that a twin runs in seconds); maxSeconds keeps runs reproducible on a loaded machine */
  mcmc: { walkers: 16, steps: 200, burn: 40, minEss: 200, tauFactor: 50, maxSeconds: 300 },
} as const;

/** The `twin` section of a twin scenario (beside the `strata simulate` scenario's own keys). */
export interface TwinSpec {
  /** when the beam time ends, s */
  beamTime_s: number;
  start_s: number;
  minSpacing_s: number;
  fixedInterval_s: number;
  replan_s: number;
  /** the spots and their dose budgets (Gy); the first is the measured spot of the fixed schedule */
  spots: { id: string; budget_Gy: number; role: "measured" | "fresh" }[];
  /** the reflectivity settings a planner may choose (the first is the fixed schedule's) */
  settings: ScanSetting[];
  impedance: boolean;
  step?: PotentialStep;
  target: Target;
  /** the growth laws compared */
  laws: LawName[];
  maxFullRuns: number;
  mcmc: { walkers: number; steps: number; burn: number; minEss: number; tauFactor: number; maxSeconds: number };
  /** the whole campaign's dose budget, Gy (Infinity: none) */
  totalBudget_Gy: number;
}

/** One action the twin carried out. */
export interface TwinAction {
  n: number;
  kind: Action["kind"];
  /** start and end on the campaign clock, s */
  at_s: number;
  end_s: number;
  scan?: string;
  spot?: string;
  setting?: ScanSetting;
  /** this action's dose, the spot's dose after it, the campaign's total after it, Gy */
  dose_Gy: number;
  spotDose_Gy?: number;
  totalDose_Gy: number;
  reason: string;
  gain_nats: number;
  /** the truth of a scan: chemistry's thickness and the one the beam saw (with damage), Å */
  truth?: { thickness_A: number; observedThickness_A: number };
  /** the target after the update (parameter targets) and the law of the posterior */
  target?: LiveInterval | null;
  law?: string | null;
  method?: string;
}

/** A proposal the twin refused. */
export interface TwinRefusal {
  time_s: number;
  action: Action;
  reason: string;
  /** the same refusal repeated at the following decisions (times) */
  repeated?: number;
}

/** The `strata-twin/1` document (OUT/twin.json). */
export interface TwinDocument {
  format: "strata-twin/1";
  policy: PolicyName;
  seed: number;
  scenario: string;
  beamTime_s: number;
  totalDose_Gy: number;
  maxSpotDose_Gy: number;
  budgetExceeded: boolean;
  budgets: Record<string, { budget_Gy: number; dose_Gy: number; scans: number }>;
  totalBudget_Gy: number | null;
  target: { kind: Target["kind"]; parameter: string | null; truth: number | null; median: number | null; lo95: number | null; hi95: number | null; covered: boolean | null; biasSigma: number | null };
  law: { truth: LawName; identified: string | null; identifiedKinetic: string | null; weights: Record<string, number> };
  damage: { truth_A_per_Gy: number; model: string; posterior: LiveInterval | null };
  step: { at_s: number; deltaV_V: number; factor: number; firstScanAfter_s: number | null; delay_s: number | null } | null;
  actions: TwinAction[];
  refused: TwinRefusal[];
  /** the target's posterior over time: sd, information gained since the first posterior (nats, ln sd₀/sd) and per Gy */
  information: { time_s: number; totalDose_Gy: number; median: number; lo95: number; hi95: number; sd: number; info_nats: number; infoPerGy: number | null }[];
  /** the final posterior's thickness band per scan (for the report page) */
  timeline: { scan: string; spot: string; time_s: number; truth_A: number | null; median: number; lo95: number; hi95: number }[];
  fullRuns: number;
  /** why the run ended before the beam time (null: it ran to the end) */
  stopped: string | null;
  elapsed_s: number;
  software: { name: string; version: string };
}

/** The resolved twin: the simulator's scenario spec and the twin section. */
export interface TwinScenario {
  scenario: Record<string, unknown>;
  twin: TwinSpec;
}

/** Read a twin scenario: a `strata simulate` scenario with a `twin` section. */
export function resolveTwinScenario(spec: unknown, options: { seed?: number; budget_Gy?: number } = {}): TwinScenario {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new ValidationError("scenario", "must be a JSON object", spec);
  const { twin: raw, ...rest } = spec as Record<string, unknown>;
  const scenario: Record<string, unknown> = options.seed === undefined ? rest : { ...rest, seed: options.seed };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ValidationError("twin", "is required: an object with beamTime_s and spots", raw);
  const t = raw as Record<string, unknown>;
  checkKnownKeys(t, "twin", ["beamTime_s", "start_s", "minSpacing_s", "fixedInterval_s", "replan_s", "spots", "settings", "impedance", "step", "target", "laws", "maxFullRuns", "mcmc", "totalBudget_Gy", "notes"]);
  const num = (key: string, fallback: number | undefined, check: (x: number) => boolean, what: string): number => {
    const x = t[key] ?? fallback;
    if (typeof x !== "number" || !Number.isFinite(x) || !check(x)) throw new ValidationError(`twin.${key}`, what, x);
    return x;
  };
  const beamTime_s = num("beamTime_s", undefined, (x) => x > 0, "must be the beam time's end, s > 0");
  const start_s = num("start_s", TWIN_DEFAULTS.start_s, (x) => x >= 0 && x < beamTime_s, "must be a time ≥ 0 s before beamTime_s");
  const minSpacing_s = num("minSpacing_s", TWIN_DEFAULTS.minSpacing_s, (x) => x > 0, "must be > 0 s");
  const fixedInterval_s = num("fixedInterval_s", TWIN_DEFAULTS.fixedInterval_s, (x) => x > 0, "must be > 0 s");
  const replan_s = num("replan_s", TWIN_DEFAULTS.replan_s, (x) => x >= CYCLER_SAMPLE_S, `must be ≥ ${CYCLER_SAMPLE_S} s`);
  const maxFullRuns = num("maxFullRuns", TWIN_DEFAULTS.maxFullRuns, (x) => Number.isInteger(x) && x >= 0, "must be an integer ≥ 0");
  if (!Array.isArray(t["spots"]) || t["spots"].length === 0) throw new ValidationError("twin.spots", "must list at least one spot {id, budget_Gy}", t["spots"]);
  const spots = (t["spots"] as unknown[]).map((s, i): { id: string; budget_Gy: number; role: "measured" | "fresh" } => {
    const o = (s ?? {}) as Record<string, unknown>;
    checkKnownKeys(o, `twin.spots[${i}]`, ["id", "budget_Gy", "role"]);
    if (typeof o["id"] !== "string" || o["id"] === "") throw new ValidationError(`twin.spots[${i}].id`, "must be a spot name", o["id"]);
    const budget = o["budget_Gy"] === undefined || o["budget_Gy"] === null ? Infinity : o["budget_Gy"];
    if (typeof budget !== "number" || !(budget > 0)) throw new ValidationError(`twin.spots[${i}].budget_Gy`, "must be a dose > 0 Gy (or null: none)", o["budget_Gy"]);
    const role = o["role"] ?? "measured";
    if (role !== "measured" && role !== "fresh") throw new ValidationError(`twin.spots[${i}].role`, 'must be "measured" or "fresh"', role);
    return { id: o["id"], budget_Gy: budget, role: role === "fresh" ? "fresh" : "measured" };
  });
  const ids = new Set<string>();
  spots.forEach((s, i) => {
    if (ids.has(s.id)) throw new ValidationError(`twin.spots[${i}].id`, "duplicates another spot", s.id);
    ids.add(s.id);
  });
  const scans = (rest["scans"] ?? {}) as Record<string, number>;
  const defaultSetting: ScanSetting = { qMin: scans["qMin"] ?? 0.01, qMax: scans["qMax"] ?? 0.3, points: scans["points"] ?? 100, countTime_s: scans["exposure_s"] ?? 300 };
  const settings = t["settings"] === undefined ? [defaultSetting] : (t["settings"] as unknown[]);
  if (!Array.isArray(settings) || settings.length === 0) throw new ValidationError("twin.settings", "must list at least one setting {qMin, qMax, points, countTime_s}", t["settings"]);
  settings.forEach((s, i) => {
    const o = (s ?? {}) as Record<string, unknown>;
    checkKnownKeys(o, `twin.settings[${i}]`, ["qMin", "qMax", "points", "countTime_s"]);
    for (const key of ["qMin", "qMax", "points", "countTime_s"]) if (!(typeof o[key] === "number" && (o[key]) > 0)) throw new ValidationError(`twin.settings[${i}].${key}`, "must be a number > 0", o[key]);
    if (!((o["qMax"] as number) > (o["qMin"] as number))) throw new ValidationError(`twin.settings[${i}].qMax`, "must be > qMin", o["qMax"]);
    if (!Number.isInteger(o["points"]) || (o["points"] as number) < 2) throw new ValidationError(`twin.settings[${i}].points`, "must be an integer ≥ 2", o["points"]);
  });
  const law = ((rest["law"] ?? {}) as { name?: LawName }).name;
  const target = (t["target"] ?? (law && law in RATE_PARAMETER ? { kind: "parameter", name: RATE_PARAMETER[law] } : { kind: "law" })) as Target;
  if (!["parameter", "law", "damage", "thickness"].includes(target?.kind)) throw new ValidationError("twin.target.kind", "must be parameter, law, damage or thickness", target?.kind);
  const laws = (t["laws"] ?? LAW_NAMES) as LawName[];
  if (!Array.isArray(laws) || laws.length === 0 || laws.some((l) => !LAW_NAMES.includes(l))) throw new ValidationError("twin.laws", `must list laws among ${LAW_NAMES.join(", ")}`, t["laws"]);
  const step = t["step"] as PotentialStep | undefined;
  if (step !== undefined) checkKnownKeys(step as unknown as Record<string, unknown>, "twin.step", ["at_s", "deltaV_V", "factor"]);
  const totalBudget = options.budget_Gy ?? (t["totalBudget_Gy"] as number | undefined) ?? Infinity;
  if (!(typeof totalBudget === "number" && totalBudget > 0)) throw new ValidationError("twin.totalBudget_Gy", "must be a dose > 0 Gy", totalBudget);
  return {
    scenario,
    twin: {
      beamTime_s,
      start_s,
      minSpacing_s,
      fixedInterval_s,
      replan_s,
      spots,
      settings: settings as ScanSetting[],
      impedance: t["impedance"] === true,
      ...(step ? { step: { at_s: step.at_s, deltaV_V: step.deltaV_V ?? -0.1, factor: step.factor ?? 1 } } : {}),
      target,
      laws: [...laws],
      maxFullRuns,
      mcmc: { ...TWIN_DEFAULTS.mcmc, ...((t["mcmc"] ?? {})) },
      totalBudget_Gy: totalBudget,
    },
  };
}

/** Options of a twin run. */
export interface TwinOptions {
  policy: PolicyName;
  /** the run's seed (the scenario's, the live diagnosis's and the planner's); default the scenario's */
  seed?: number;
  /** the campaign's total dose budget, Gy (overrides twin.totalBudget_Gy) */
  budget_Gy?: number;
  /** where the campaign is grown (OUT/campaign) */
  dir: string;
  /** a line per action (for --verbose) */
  progress?: (line: string) => void;
}

/** What a twin run returns: its document, the final live document (with the batch diagnosis in `full`). */
export interface TwinResult {
  document: TwinDocument;
  live: LiveDocument;
  diagnosis: Record<string, unknown>;
}

/** Tolerance of the budget check on a spot (relative): none beyond rounding. */
const BUDGET_ROUNDING = 1e-12;

/** Run a simulated beam time (see the module comment). */
export async function runTwin(spec: unknown, options: TwinOptions): Promise<TwinResult> {
  const started = Date.now();
  if (!POLICY_NAMES.includes(options.policy)) throw new ValidationError("policy", `must be one of ${POLICY_NAMES.join(", ")}`, options.policy);
  const { scenario, twin } = resolveTwinScenario(spec, { seed: options.seed, budget_Gy: options.budget_Gy });
  const generator = new ScanGenerator(scenario, { spots: twin.spots.map((s) => ({ id: s.id, role: s.role })), step: twin.step });
  const seed = generator.scenario.seed;
  const policy = policyOf(options.policy);
  const live = new LiveDiagnosis({ seed, laws: twin.laws, damage: "auto", mcmc: twin.mcmc });
  const dir = options.dir;
  fs.mkdirSync(path.join(dir, "xrr"), { recursive: true });
  fs.mkdirSync(path.join(dir, "echem"), { recursive: true });
  const scans: { id: string; spot: string; file: string; start_s: number; end_s: number }[] = [];
  const spectra: { file: string; start_s: number; end_s: number }[] = [];
  const truthOf = new Map<string, number>();
  const actions: TwinAction[] = [];
  const refused: TwinRefusal[] = [];
  const information: TwinDocument["information"] = [];
  let now = twin.start_s;
  let totalDose = 0;
  let lastScan: number | null = null;
  let doc: LiveDocument | null = null;
  let fullRuns = 0;
  let firstSd: number | null = null;
  const scanCount = new Map<string, number>();
  const targetName = twin.target.kind === "parameter" ? twin.target.name : twin.target.kind === "damage" ? "damage_rate" : null;

  const writeCampaign = (): void => {
    fs.writeFileSync(path.join(dir, "campaign.json"), `${JSON.stringify(generator.manifest(scans, spectra), null, 2)}\n`);
    fs.writeFileSync(path.join(dir, "echem", `${generator.cell}.bdf.csv`), generator.cyclerCsv(now));
  };
  const load = (): Promise<Campaign> => loadCampaign(dir, { presentOnly: true });
  const constraints = (): Constraints => ({
    now_s: now,
    end_s: twin.beamTime_s,
    minSpacing_s: twin.minSpacing_s,
    spots: twin.spots.map((s): SpotState => ({ id: s.id, dose_Gy: generator.spotDose(s.id), budget_Gy: s.budget_Gy, fresh: generator.spotDose(s.id) === 0 })),
    settings: twin.settings,
    impedance: twin.impedance && generator.scenario.impedance !== undefined,
    impedanceDuration_s: SPECTRUM_DURATION_S,
    // omitted when there is none (the planner reads a missing total budget as none)
    ...(Number.isFinite(twin.totalBudget_Gy) ? { totalBudget_Gy: Math.max(0, twin.totalBudget_Gy - totalDose) } : {}),
  });
  /** Why the twin refuses an action now (undefined: allowed). */
  const refusal = (action: Action): string | undefined => {
    if (action.kind === "reflectivity") {
      const spot = twin.spots.find((s) => s.id === action.spot);
      if (!spot) return `unknown spot ${action.spot}`;
      const start = Math.max(now, action.at_s);
      if (start + action.setting.countTime_s > twin.beamTime_s) return `would end at ${Math.round(start + action.setting.countTime_s)} s, after the beam time (${twin.beamTime_s} s)`;
      if (lastScan !== null && start < lastScan + twin.minSpacing_s - 1e-9) return `closer than the minimum spacing (${twin.minSpacing_s} s) to the last scan`;
      const dose = generator.scanDose(action.setting);
      const after = generator.spotDose(spot.id) + dose;
      if (after > spot.budget_Gy * (1 + BUDGET_ROUNDING)) return `spot ${spot.id} would reach ${after.toPrecision(4)} Gy, over its budget of ${spot.budget_Gy} Gy`;
      if (totalDose + dose > twin.totalBudget_Gy * (1 + BUDGET_ROUNDING)) return `the campaign would reach ${(totalDose + dose).toPrecision(4)} Gy, over its total budget of ${twin.totalBudget_Gy.toPrecision(4)} Gy`;
      return undefined;
    }
    if (action.kind === "impedance") {
      if (!twin.impedance || !generator.scenario.impedance) return "no impedance in this twin";
      if (Math.max(now, action.at_s) + SPECTRUM_DURATION_S > twin.beamTime_s) return "would end after the beam time";
      return undefined;
    }
    return undefined;
  };
  const targetNow = (d: LiveDocument): LiveInterval | null => (targetName ? (d.cells[0]?.parameters[targetName] ?? null) : null);

  writeCampaign();
  const cheapest = Math.min(...twin.settings.map((setting) => generator.scanDose(setting)));
  let stopped: string | null = null;
  while (now < twin.beamTime_s) {
    // nothing affordable is left (every spot or the campaign at its budget, no impedance): the beam time ends here
    const affordable = totalDose + cheapest <= twin.totalBudget_Gy * (1 + BUDGET_ROUNDING) && twin.spots.some((spot) => generator.spotDose(spot.id) + cheapest <= spot.budget_Gy * (1 + BUDGET_ROUNDING));
    if (!affordable && !(twin.impedance && generator.scenario.impedance)) {
      stopped = `stopped at ${Math.round(now)} s: no scan fits the remaining budgets (cheapest setting ${cheapest.toPrecision(3)} Gy)`;
      options.progress?.(stopped);
      break;
    }
    const campaign = await load();
    const decision = policy({ campaign, live: doc, constraints: constraints(), target: twin.target, lastScan_s: lastScan, scans: scans.length, fixedInterval_s: twin.fixedInterval_s, seed });
    let chosen: RankedAction | undefined;
    for (const proposal of decision.actions) {
      const why = refusal(proposal.action);
      if (why === undefined) {
        chosen = proposal;
        break;
      }
      const last = refused[refused.length - 1];
      if (last && last.reason === why && last.action.kind === proposal.action.kind) last.repeated = (last.repeated ?? 1) + 1;
      else refused.push({ time_s: now, action: proposal.action, reason: why });
      if (last?.reason !== why) options.progress?.(`t=${Math.round(now)} s: refused ${proposal.action.kind}${proposal.action.kind === "reflectivity" ? ` on ${proposal.action.spot}` : ""}: ${why}`);
    }
    const action: Action = chosen?.action ?? { kind: "wait", until_s: now + twin.replan_s };
    // a future action: advance the clock by at most replan_s and ask again (the cycler record may show an event meanwhile)
    const startOf = action.kind === "wait" ? action.until_s : action.at_s;
    if (action.kind === "wait" || startOf > now + 1e-9) {
      const next = Math.min(Math.max(startOf, now + CYCLER_SAMPLE_S), now + twin.replan_s, twin.beamTime_s);
      if (action.kind !== "wait" && startOf <= next + 1e-9) now = startOf;
      else {
        now = next;
        writeCampaign();
        continue;
      }
    }
    if (action.kind === "impedance") {
      const index = spectra.length + 1;
      const file = `eis/${generator.cell}_${String(index).padStart(4, "0")}.csv`;
      generator.writeSpectrum(path.join(dir, file), file, now);
      spectra.push({ file, start_s: now, end_s: now + SPECTRUM_DURATION_S });
      now += SPECTRUM_DURATION_S;
      writeCampaign();
      doc = await live.update(await load());
      actions.push({ n: actions.length + 1, kind: "impedance", at_s: now - SPECTRUM_DURATION_S, end_s: now, dose_Gy: 0, totalDose_Gy: totalDose, reason: chosen!.reason, gain_nats: chosen!.gain_nats, target: targetNow(doc), law: doc.cells[0]?.law.posterior ?? null, method: doc.method });
      continue;
    }
    if (action.kind !== "reflectivity") continue;
    const id = `${generator.cell}${String(scans.length + 1).padStart(4, "0")}`;
    const generated = generator.scan({ id, spot: action.spot, start_s: now, ...action.setting });
    fs.writeFileSync(path.join(dir, generated.file), generated.text);
    scans.push({ id, spot: action.spot, file: generated.file, start_s: generated.start_s, end_s: generated.end_s });
    truthOf.set(id, generated.thickness_A);
    scanCount.set(action.spot, (scanCount.get(action.spot) ?? 0) + 1);
    totalDose += generated.dose_Gy;
    lastScan = now;
    now = generated.end_s;
    writeCampaign();
    const campaignNow = await load();
    doc = await live.update(campaignNow);
    let method: string = doc.method;
    if (live.needsFull && fullRuns < twin.maxFullRuns && doc.cells[0]?.posterior) {
      doc = await live.full(campaignNow);
      fullRuns++;
      method = "full";
    }
    const target = targetNow(doc);
    actions.push({
      n: actions.length + 1,
      kind: "reflectivity",
      at_s: generated.start_s,
      end_s: generated.end_s,
      scan: id,
      spot: action.spot,
      setting: action.setting,
      dose_Gy: generated.dose_Gy,
      spotDose_Gy: generated.spotDoseAfter_Gy,
      totalDose_Gy: totalDose,
      reason: chosen!.reason,
      gain_nats: chosen!.gain_nats,
      truth: { thickness_A: generated.thickness_A, observedThickness_A: generated.observedThickness_A },
      target,
      law: doc.cells[0]?.law.posterior ?? null,
      method,
    });
    if (target) {
      const sd = (target.hi95 - target.lo95) / 3.92;
      firstSd ??= sd;
      const info = Math.log(firstSd / sd);
      information.push({ time_s: generated.end_s, totalDose_Gy: totalDose, median: target.median, lo95: target.lo95, hi95: target.hi95, sd, info_nats: info, infoPerGy: totalDose > 0 ? info / totalDose : null });
    }
    options.progress?.(`t=${Math.round(generated.start_s)} s: ${id} on ${action.spot} (${generated.dose_Gy.toPrecision(3)} Gy): ${chosen!.reason}${target ? ` → ${targetName} ${target.median.toPrecision(4)} [${target.lo95.toPrecision(4)}, ${target.hi95.toPrecision(4)}]` : ""}`);
  }
  // the final diagnosis: the batch run on the grown campaign
  const finalCampaign = await load();
  if (scans.length === 0) throw new ValidationError("twin", "no scan was measured in the beam time: nothing to diagnose", twin.beamTime_s);
  const final = await live.full(finalCampaign);
  fullRuns++;
  const cell = final.cells[0];
  const truthLaw = generator.scenario.law;
  const interval = targetName ? (cell?.parameters[targetName] ?? null) : null;
  const truthValue = twin.target.kind === "parameter" ? (truthLaw.parameters[twin.target.name] ?? null) : twin.target.kind === "damage" ? (generator.scenario.damage?.rate_A_per_Gy ?? 0) : null;
  const covered = interval && truthValue !== null ? interval.lo95 <= truthValue && truthValue <= interval.hi95 : null;
  const biasSigma = interval && truthValue !== null ? (interval.median - truthValue) / ((interval.hi95 - interval.lo95) / 3.92) : null;
  const weights = Object.fromEntries(Object.entries(cell?.law.weights ?? {}).map(([k, v]) => [k, v ?? 0]));
  const kinetic = Object.entries(weights).filter(([k]) => k !== "charge").sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const budgets = Object.fromEntries(twin.spots.map((s) => [s.id, { budget_Gy: s.budget_Gy, dose_Gy: generator.spotDose(s.id), scans: scanCount.get(s.id) ?? 0 }]));
  const maxSpotDose = Math.max(0, ...twin.spots.map((s) => generator.spotDose(s.id)));
  const firstAfter = twin.step ? (actions.find((a) => a.kind === "reflectivity" && a.at_s >= twin.step!.at_s)?.at_s ?? null) : null;
  const timelineByScan = new Map((cell?.timeline ?? []).map((t) => [t.scan, t]));
  const document: TwinDocument = {
    format: "strata-twin/1",
    policy: options.policy,
    seed,
    scenario: generator.scenario.name,
    beamTime_s: twin.beamTime_s,
    totalDose_Gy: totalDose,
    maxSpotDose_Gy: maxSpotDose,
    budgetExceeded: twin.spots.some((s) => generator.spotDose(s.id) > s.budget_Gy * (1 + BUDGET_ROUNDING)) || totalDose > twin.totalBudget_Gy * (1 + BUDGET_ROUNDING),
    budgets,
    totalBudget_Gy: Number.isFinite(twin.totalBudget_Gy) ? twin.totalBudget_Gy : null,
    target: { kind: twin.target.kind, parameter: targetName, truth: truthValue, median: interval?.median ?? null, lo95: interval?.lo95 ?? null, hi95: interval?.hi95 ?? null, covered, biasSigma },
    law: { truth: truthLaw.name, identified: cell?.law.posterior ?? null, identifiedKinetic: kinetic, weights },
    damage: { truth_A_per_Gy: generator.scenario.damage?.rate_A_per_Gy ?? 0, model: generator.scenario.damage?.model ?? "none", posterior: cell?.parameters["damage_rate"] ?? null },
    step: twin.step ? { ...twin.step, firstScanAfter_s: firstAfter, delay_s: firstAfter === null ? null : firstAfter - twin.step.at_s } : null,
    actions,
    refused,
    information,
    timeline: scans.flatMap((s) => {
      const t = timelineByScan.get(s.id);
      if (!t?.thickness_A) return [];
      return [{ scan: s.id, spot: s.spot, time_s: t.time_s, truth_A: truthOf.get(s.id) ?? null, median: t.thickness_A.median, lo95: t.thickness_A.lo95, hi95: t.thickness_A.hi95 }];
    }),
    fullRuns,
    stopped,
    elapsed_s: (Date.now() - started) / 1000,
    software: { name: "strata", version: STRATA_VERSION },
  };
  return { document, live: final, diagnosis: final.full ?? {} };
}
