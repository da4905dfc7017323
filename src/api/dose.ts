/**
 * @module api/dose
 * The dose ledger: absorbed dose (Gy) and dose rate (Gy/s) in the interphase for every scan
 * and spot of a campaign, accumulated per spot; or a planned schedule (format
 * `strata-dose-plan/1`) predicted against per-spot budgets. Neutron campaigns: fluence
 * (neutrons/cm²).
 */
import { loadCampaign, type Campaign } from "../campaign/campaign.ts";
import { doseLedger as ledgerOf, predictPlan, PLAN_FORMAT, type DoseLedger, type PlanPrediction } from "../confounders/index.ts";
import { readJsonFile } from "../io/json.ts";
import { withUnknownKeyPolicy } from "../core/keys.ts";
import { plainJson } from "./json.ts";

export { PLAN_FORMAT };
export type { DoseLedger, PlanPrediction };

/** A campaign's ledger; `toJSON()` is `strata dose --json`. */
export interface DoseLedgerResult {
  ledger: DoseLedger;
  campaign: Campaign;
  toJSON(): Record<string, unknown>;
}

/** The dose ledger of a campaign (folder, manifest file or loaded campaign). */
export async function doseLedger(campaign: string | Campaign): Promise<DoseLedgerResult> {
  const loaded = typeof campaign === "string" ? await loadCampaign(campaign) : campaign;
  const ledger = ledgerOf(loaded);
  return { ledger, campaign: loaded, toJSON: () => plainJson({ ...ledger, campaign: loaded.manifest.name, warnings: loaded.warnings }) as Record<string, unknown> };
}

/**
 * Predict the dose of a planned schedule (a `strata-dose-plan/1` document, or the path of
 * its JSON file) against the per-spot budgets it declares. `lenient`: unknown keys are
 * warnings (in the prediction's `notes` where they belong to beam or cell) instead of errors.
 */
export function planDose(plan: unknown, source = "plan", options: { lenient?: boolean } = {}): PlanPrediction {
  const json = typeof plan === "string" ? readJsonFile(plan) : plan;
  return withUnknownKeyPolicy(options, () => predictPlan(json, typeof plan === "string" ? plan : source));
}
