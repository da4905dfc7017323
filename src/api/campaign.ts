/**
 * @module api/campaign
 * Campaigns: loading and validating one (campaign.json and every file it names), a plain
 * view of what was read for `strata inspect`, and the simulator. Times in s since the
 * manifest's t0, Q in Å⁻¹, charge in C.
 */
import { loadCampaign, type Campaign, type CellData, type LoadCampaignOptions } from "../campaign/campaign.ts";
import { simulateCampaign } from "../simulation/simulate.ts";
import { inspectionJson } from "../campaign/summary.ts";
import { withUnknownKeyPolicy } from "../core/keys.ts";
import { plainJson } from "./json.ts";

export { loadCampaign, inspectionJson };
export type { Campaign, CellData, LoadCampaignOptions };

/** What `strata inspect` reports of a campaign; `toJSON()` is its `--json` output. */
export interface Inspection {
  campaign: Campaign;
  toJSON(): Record<string, unknown>;
}

/**
 * Load and validate a campaign and tag each scan and spectrum with its electrochemical state.
 * @param dir - folder holding campaign.json, or the manifest file
 * @throws ValidationError / ParseError naming the manifest field or file line
 */
export async function inspectCampaign(dir: string, options: LoadCampaignOptions = {}): Promise<Inspection> {
  const campaign = await loadCampaign(dir, options);
  return { campaign, toJSON: () => plainJson(inspectionJson(campaign)) as Record<string, unknown> };
}

/**
 * Write a synthetic operando campaign (scans with counting noise, cycler record, spectra,
 * campaign.json and truth.json) from a scenario; deterministic given its seed.
 * `lenient`: unknown scenario keys are warnings passed to `warn` instead of errors.
 * @returns the truth written to truth.json
 */
export function simulate(scenario: unknown, dir: string, options: { lenient?: boolean; warn?: (message: string) => void } = {}): Record<string, unknown> {
  return withUnknownKeyPolicy(options, () => simulateCampaign(scenario, dir));
}

