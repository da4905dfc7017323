/**
 * @module cli/dose
 * `strata dose CAMPAIGN_DIR [--json]`: the dose ledger of a campaign — for every
 * scan, its spot, exposure (s), the absorbed dose in the interphase (Gy), the dose
 * rate (Gy/s) and the accumulated dose of its spot (Gy); neutron campaigns get the
 * fluence (neutrons/cm²) instead. `strata dose --plan PLAN.json [--json]` predicts
 * the dose of a planned schedule (format: confounders/plan) and prints an
 * `OVER BUDGET` line for every spot over its budget (exit code 0; `overBudget` in
 * the JSON). A dose that cannot be computed (no flux, a path material without a
 * composition, …) is one line naming the correction, the field and why, exit code 2.
 *
 * Units: s, Gy, Gy/s, neutrons/cm², degrees, mm.
 */
import type { Command } from "commander";
import type { DoseLedgerRow, DoseSpotTotal, PlanPrediction, DoseLedger } from "../confounders/index.ts";
import { printJson, UsageError } from "./output.ts";
import { DQ_MEASURE_HELP, dqMeasureOption } from "./numbers.ts";

export function registerDose(program: Command): void {
  program
    .command("dose")
    .description("Dose ledger: absorbed dose (Gy) and dose rate in the interphase for every scan and spot of a campaign, accumulated per spot; or --plan to predict a planned schedule against per-spot budgets")
    .argument("[CAMPAIGN_DIR]", "folder holding campaign.json (or the manifest file itself)")
    .option("--json", "print the ledger as JSON")
    .option("--plan <PLAN.json>", "predict the dose of a planned schedule (format strata-dose-plan/1) instead of a campaign")
    .option("--dq-measure <fwhm|sigma>", DQ_MEASURE_HELP)
    .addHelpText(
      "after",
      `
Dose D = N E (1 − e^(−μ t / sin α)) / (ρ A t) in the manifest's interphase layer, per Q
point (α = asin(Qλ/4π), equal dwell), with the footprint, over-illumination and the
attenuation along the cell's beamEntry path; μ is photoabsorption from Henke f2, used
for μ_en (fluorescence escape neglected). Neutron beams: fluence, dose negligible.
Plan format: see src/confounders/plan.ts (strata-dose-plan/1).`,
    )
    .action(async (dir: string | undefined, options: { json?: boolean; plan?: string; dqMeasure?: string }) => {
      const { doseLedger, planDose } = await import("../api/dose.ts");
      const dqMeasure = dqMeasureOption(options.dqMeasure);
      if (options.plan !== undefined) {
        if (dir !== undefined) throw new UsageError(`give either CAMPAIGN_DIR or --plan, not both (got ${dir} and --plan ${options.plan})`);
        const prediction = planDose(options.plan);
        if (options.json) printJson(prediction);
        else process.stdout.write(planText(prediction));
        return;
      }
      if (dir === undefined) throw new UsageError("dose: give CAMPAIGN_DIR or --plan PLAN.json");
      const result = await doseLedger(dqMeasure === undefined ? dir : await (await import("../api/campaign.ts")).loadCampaign(dir, { dqMeasure }));
      if (options.json) printJson(result);
      else process.stdout.write(ledgerText(result.ledger, `campaign "${result.campaign.manifest.name}"`, result.campaign.warnings));
    });
}

/** The ledger as a table with the model statements. */
export function ledgerText(ledger: DoseLedger, title: string, warnings: readonly string[]): string {
  const out: string[] = [];
  const beam = ledger.probe === "xray" ? `X-ray ${num(ledger.energy_keV ?? NaN, 6)} keV` : `neutron ${ledger.wavelength_A !== undefined ? `${num(ledger.wavelength_A, 5)} Å` : ""}`;
  out.push(`dose ledger of ${title}: ${ledger.rows.length} exposure${ledger.rows.length === 1 ? "" : "s"}, ${beam}`);
  for (const line of ledger.model) out.push(`  ${line}`);
  out.push("");
  out.push(...rowTable(ledger.probe, ledger.rows));
  out.push("");
  out.push("per spot");
  out.push(...spotTable(ledger.probe, ledger.spots, undefined).map((l) => `  ${l}`));
  if (warnings.length > 0) {
    out.push("");
    out.push(`warnings (${warnings.length}):`);
    for (const w of warnings) out.push(`  - ${w}`);
  }
  return `${out.join("\n")}\n`;
}

/** The plan prediction as a table, with one `OVER BUDGET` line per spot over its budget. */
export function planText(prediction: PlanPrediction): string {
  const out: string[] = [];
  out.push(`dose prediction of plan "${prediction.name}": ${prediction.rows.length} planned exposure${prediction.rows.length === 1 ? "" : "s"}`);
  for (const line of prediction.model) out.push(`  ${line}`);
  for (const note of prediction.notes) out.push(`  note: ${note}`);
  out.push("");
  out.push(...rowTable(prediction.probe, prediction.rows));
  out.push("");
  out.push("per spot");
  out.push(...spotTable(prediction.probe, prediction.spots, prediction.spots).map((l) => `  ${l}`));
  out.push("");
  const over = prediction.spots.filter((s) => s.overBudget);
  if (over.length === 0) out.push(prediction.probe === "xray" ? "all spots within budget" : "no dose budget applies (neutron beam)");
  for (const s of over) out.push(`OVER BUDGET: spot ${s.spot}: ${num(s.dose_Gy ?? NaN, 4)} Gy > budget ${num(s.budget_Gy ?? NaN, 4)} Gy (${num(100 * (s.budgetFraction ?? NaN), 4)} %)`);
  return `${out.join("\n")}\n`;
}

function rowTable(probe: "xray" | "neutron", rows: readonly DoseLedgerRow[]): string[] {
  if (probe === "xray") {
    return columns(
      ["cell", "scan", "spot", "exposure_s", "dose_Gy", "doseRate_Gy/s", "cumulative_Gy", "alpha_deg", "T_in"],
      rows.map((r) => [r.cell, r.scan, r.spot, num(r.exposure_s, 8), num(r.dose_Gy ?? NaN, 5), num(r.doseRate_Gy_per_s ?? NaN, 5), num(r.cumulativeDose_Gy ?? NaN, 5), `${num(r.alphaMin_deg, 3)}–${num(r.alphaMax_deg, 3)}`, num(r.meanIncidentTransmission, 3)]),
    );
  }
  return columns(
    ["cell", "scan", "spot", "exposure_s", "fluence_n/cm2", "cumulative_n/cm2", "alpha_deg"],
    rows.map((r) => [r.cell, r.scan, r.spot, num(r.exposure_s, 8), num(r.fluence_per_cm2, 5), num(r.cumulativeFluence_per_cm2, 5), `${num(r.alphaMin_deg, 3)}–${num(r.alphaMax_deg, 3)}`]),
  );
}

function spotTable(probe: "xray" | "neutron", spots: readonly DoseSpotTotal[], budgets: readonly { budget_Gy: number | undefined; overBudget: boolean }[] | undefined): string[] {
  if (probe === "neutron") {
    return columns(["cell", "spot", "role", "scans", "exposure_s", "fluence_n/cm2"], spots.map((s) => [s.cell, s.spot, s.role, String(s.scans), num(s.exposure_s, 8), num(s.fluence_per_cm2, 5)]));
  }
  const header = ["cell", "spot", "role", "scans", "exposure_s", "dose_Gy", "maxRate_Gy/s", ...(budgets ? ["budget_Gy", "status"] : [])];
  return columns(
    header,
    spots.map((s, i) => [
      s.cell,
      s.spot,
      s.role,
      String(s.scans),
      num(s.exposure_s, 8),
      num(s.dose_Gy ?? NaN, 5),
      num(s.maxDoseRate_Gy_per_s ?? NaN, 5),
      ...(budgets ? [budgets[i].budget_Gy === undefined ? "-" : num(budgets[i].budget_Gy, 5), budgets[i].budget_Gy === undefined ? "no budget" : budgets[i].overBudget ? "OVER" : "ok"] : []),
    ]),
  );
}

function columns(header: string[], rows: string[][]): string[] {
  const width = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]): string => cells.map((c, j) => c.padEnd(width[j])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

const num = (x: number, digits: number): string => {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "-" : String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e12) return String(x);
  const s = x.toPrecision(digits);
  return s.includes("e") ? s : s.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
};
