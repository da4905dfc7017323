/**
 * @module confounders/plan
 * Dose prediction of a planned measurement schedule, `strata dose --plan PLAN.json`.
 *
 * Plan format `strata-dose-plan/1` (JSON):
 * ```json
 * {
 *   "format": "strata-dose-plan/1",
 *   "name": "optional label",
 *   "beam": { … as the campaign manifest's beam: probe, energy_keV, flux_per_s, height_mm, width_mm, profile },
 *   "cell": { … as a manifest cell: stack, windows, geometry, spots (optional); id, architecture and electrodeArea_cm2 optional },
 *   "schedule": [ { "spot": "P1", "exposure_s": 300, "qMin": 0.01, "qMax": 0.3, "points": 100 }, … ],
 *   "budget_Gy": 5e5            // one budget for every spot, or per spot: { "P1": 5e5, "P2": 1e6 }
 * }
 * ```
 * The schedule is in time order; each entry is one scan of `points` Q values evenly
 * spaced from `qMin` to `qMax` (Å⁻¹), with equal dwell, for `exposure_s` seconds of
 * open shutter. Beam and cell are validated by the manifest's own rules (errors name
 * `beam.…` and `cell.…`). The dose model is confounders/dose. A spot whose
 * accumulated dose exceeds its budget is flagged `overBudget`; spots without a
 * budget are not judged. Neutron plans give fluence; a budget in Gy does not apply.
 *
 * Units: dose Gy, times s, Q Å⁻¹, fluence per cm².
 */
import { ValidationError } from "../core/errors.ts";
import { checkKnownKeys } from "../core/keys.ts";
import { checkRequestedQ } from "../materials/plausibility.ts";
import { CAMPAIGN_FORMAT, parseManifest, type SpotRole } from "../campaign/manifest.ts";
import type { MaterialsOptions } from "../materials/index.ts";
import { ledgerModel, ledgerRows, resolveDoseSetup, spotTotals, type DoseLedger, type DoseSpotTotal } from "./dose.ts";
import { unavailableError } from "./path.ts";

/** The format string of a plan. */
export const PLAN_FORMAT = "strata-dose-plan/1";

/** One planned exposure. */
export interface PlannedExposure {
  readonly spot: string;
  readonly exposure_s: number;
  readonly qMin: number;
  readonly qMax: number;
  readonly points: number;
}

/** A spot's prediction against its budget. */
export interface PlanSpot extends DoseSpotTotal {
  /** Gy; undefined when the plan gives no budget for the spot (or the beam is neutrons). */
  readonly budget_Gy: number | undefined;
  /** dose / budget. */
  readonly budgetFraction: number | undefined;
  readonly overBudget: boolean;
}

/** The predicted ledger of a plan. */
export interface PlanPrediction extends Omit<DoseLedger, "format" | "spots"> {
  readonly format: "strata-dose-plan-prediction/1";
  readonly name: string;
  readonly spots: readonly PlanSpot[];
  /** True when any spot exceeds its budget. */
  readonly overBudget: boolean;
  readonly notes: readonly string[];
}

/**
 * Predict the dose of a planned schedule.
 * @param json - the parsed plan document (format above)
 * @param source - where it came from (for messages)
 * @param materials - data folder of the element tables
 * @returns per-exposure rows, per-spot totals with budgets and the over-budget flag
 * @throws {ValidationError} for an invalid plan (naming the JSON path), or naming the
 *   correction and field when the dose cannot be computed (e.g. `beam.flux_per_s`)
 * @example
 * const prediction = predictPlan(readJsonFile("plan.json"), "plan.json");
 * if (prediction.overBudget) console.log("OVER BUDGET");
 */
export function predictPlan(json: unknown, source: string, materials?: MaterialsOptions): PlanPrediction {
  const root = object(json, "plan");
  checkKnownKeys(root, "", ["$schema", "format", "name", "description", "notes", "beam", "cell", "schedule", "budget_Gy"]);
  if (root["format"] !== PLAN_FORMAT) throw new ValidationError("format", `must be "${PLAN_FORMAT}"`, root["format"]);
  const name = root["name"] === undefined ? source : string(root["name"], "name");
  const cellJson = object(root["cell"], "cell");
  const warnings: string[] = [];
  let manifest;
  try {
    manifest = parseManifest(
      {
        format: CAMPAIGN_FORMAT,
        name,
        beam: root["beam"],
        t0: "1970-01-01T00:00:00Z",
        cells: [{ id: "plan", architecture: "other", electrodeArea_cm2: 1, ...cellJson }],
        scans: [],
      },
      source,
      warnings,
    );
  } catch (error) {
    if (error instanceof ValidationError) {
      const path = error.path.replace(/^cells\[0\]/, "cell");
      const message = error.message.slice(error.path.length + 2).replace(/ \(got .*\)$/, "");
      throw new ValidationError(path, message, error.value);
    }
    throw error;
  }
  const cell = manifest.cells[0];
  const cellId = typeof cellJson["id"] === "string" ? cellJson["id"] : "plan";
  const declared = new Map<string, SpotRole>(cell.spots.map((s) => [s.id, s.role]));

  const schedule = array(root["schedule"], "schedule").map((entry, i): PlannedExposure => {
    const p = `schedule[${i}]`;
    const o = object(entry, p);
    checkKnownKeys(o, p, ["spot", "exposure_s", "qMin", "qMax", "points", "notes"]);
    const spot = string(o["spot"], `${p}.spot`);
    if (declared.size > 0 && !declared.has(spot)) throw new ValidationError(`${p}.spot`, `is not one of the cell's declared spots (${[...declared.keys()].join(", ")})`, spot);
    const exposure_s = number(o["exposure_s"], `${p}.exposure_s`, 0, false);
    const qMin = number(o["qMin"], `${p}.qMin`, 0, true);
    const qMax = number(o["qMax"], `${p}.qMax`, 0, true);
    if (qMax < qMin) throw new ValidationError(`${p}.qMax`, `must be ≥ qMin (${qMin})`, qMax);
    checkRequestedQ([qMax], `${p}.qMax`, false);
    const points = number(o["points"], `${p}.points`, 1, false);
    if (!Number.isInteger(points)) throw new ValidationError(`${p}.points`, "must be an integer ≥ 1", points);
    return { spot, exposure_s, qMin, qMax, points };
  });

  const setup = resolveDoseSetup(manifest.beam, cell, "cell", materials);
  if (!setup.ok) throw unavailableError(setup.unavailable);
  const exposures = schedule.map((e, k) => ({ scan: `#${k + 1}`, spot: e.spot, q: plannedQ(e), exposure_s: e.exposure_s }));
  const rows = ledgerRows(cellId, setup.value, exposures, declared);
  const totals = spotTotals(rows, cell.spots.map((s) => ({ cell: cellId, spot: s.id, role: s.role })));

  const notes: string[] = [...warnings];
  const budgets = parseBudgets(root["budget_Gy"]);
  if (manifest.beam.probe === "neutron" && budgets.any) notes.push("budget_Gy ignored: a neutron beam's dose is negligible (the plan reports fluence)");
  for (const spot of budgets.perSpot.keys()) {
    if (!totals.some((t) => t.spot === spot)) notes.push(`budget_Gy.${spot}: no such spot in the schedule or the cell's spots`);
  }
  const spots = totals.map((t): PlanSpot => {
    const budget = manifest.beam.probe === "neutron" ? undefined : (budgets.perSpot.get(t.spot) ?? budgets.all);
    const fraction = budget !== undefined && t.dose_Gy !== undefined ? t.dose_Gy / budget : undefined;
    return { ...t, budget_Gy: budget, budgetFraction: fraction, overBudget: fraction !== undefined && fraction > 1 };
  });
  const cells = [{ id: cellId, setup: setup.value }];
  return {
    format: "strata-dose-plan-prediction/1",
    name,
    probe: manifest.beam.probe,
    energy_keV: manifest.beam.energy_keV,
    wavelength_A: manifest.beam.wavelength_A,
    model: [...ledgerModel(manifest.beam.probe, cells), "plan: Q points evenly spaced from qMin to qMax, equal dwell"],
    cells,
    rows,
    spots,
    overBudget: spots.some((s) => s.overBudget),
    notes,
  };
}

/**
 * The Q points of a planned exposure: `points` values evenly spaced from qMin to qMax.
 * @param e - the planned exposure
 * @returns Q (Å⁻¹)
 * @example
 * plannedQ({ spot: "P1", exposure_s: 10, qMin: 0.01, qMax: 0.03, points: 3 }); // [0.01, 0.02, 0.03]
 */
export function plannedQ(e: PlannedExposure): Float64Array {
  const q = new Float64Array(e.points);
  for (let k = 0; k < e.points; k++) q[k] = e.points === 1 ? e.qMin : e.qMin + ((e.qMax - e.qMin) * k) / (e.points - 1);
  return q;
}

function parseBudgets(value: unknown): { all: number | undefined; perSpot: Map<string, number>; any: boolean } {
  const perSpot = new Map<string, number>();
  if (value === undefined) return { all: undefined, perSpot, any: false };
  if (typeof value === "number") return { all: number(value, "budget_Gy", 0, true), perSpot, any: true };
  const o = object(value, "budget_Gy");
  for (const [spot, budget] of Object.entries(o)) perSpot.set(spot, number(budget, `budget_Gy.${spot}`, 0, true));
  return { all: undefined, perSpot, any: perSpot.size > 0 };
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ValidationError(path, value === undefined ? "is required (an object)" : "must be an object", value);
  return value as Record<string, unknown>;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ValidationError(path, value === undefined ? "is required (a list)" : "must be a list", value);
  if (value.length === 0) throw new ValidationError(path, "must have at least one entry");
  return value as unknown[];
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new ValidationError(path, value === undefined ? "is required (a string)" : "must be a non-empty string", value);
  return value;
}

/** A finite number > bound (strict) or ≥ bound. */
function number(value: unknown, path: string, bound: number, strict: boolean): number {
  if (value === undefined) throw new ValidationError(path, "is required (a number)");
  if (typeof value !== "number" || !Number.isFinite(value)) throw new ValidationError(path, "must be a finite number", value);
  if (strict ? !(value > bound) : !(value >= bound)) throw new ValidationError(path, `must be ${strict ? ">" : "≥"} ${bound}`, value);
  return value;
}
