/**
 * @module cli/plan
 * `strata plan CAMPAIGN_DIR --constraints FILE.json [--target kp|law|damage|thickness@SECONDS]
 * [--cell ID] [--n N] [--greedy] [--live LIVE.json] [--save-live FILE] [--json] [--out DIR]`: what to measure next
 * (autonomy/planner). Loads the campaign as measured so far (files not there yet are left
 * out), runs the live diagnosis (the batch diagnosis of `strata diagnose`; or reads a
 * strata-live/1 document with --live; --save-live keeps the one it ran), and prints the ranked actions with their expected
 * gain, dose, time and a one-line reason; `--json` prints the strata-plan/1 document, `--out`
 * writes it to DIR/plan.json. Constraints: a JSON object (autonomy/types Constraints);
 * `now_s` defaults to the end of the cell's last scan and a spot's `dose_Gy` to the dose
 * ledger's. Bad constraints or target → one line naming the field and value, exit 2.
 *
 * Units: time s (campaign clock), dose Gy, Q Å⁻¹, counting time s, information nats.
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ParseError, ValidationError } from "../core/errors.ts";
import type { PlanResult, Target } from "../autonomy/types.ts";
import type { LiveDocument } from "../diagnosis/live.ts";
import { integerOption } from "./numbers.ts";
import { checkOutputFolder, FORCE_HELP, printJson, UsageError } from "./output.ts";
import { progressBar } from "./progress.ts";

interface PlanCliOptions {
  constraints: string;
  target?: string;
  cell?: string;
  n?: string;
  greedy?: boolean;
  live?: string;
  saveLive?: string;
  json?: boolean;
  out?: string;
  force?: boolean;
}

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("What to measure next: rank candidate actions (reflectivity now or later, at which spot, Q range and counting time; impedance; waiting) by expected information on a target per unit dose and beam time, within every budget")
    .argument("<CAMPAIGN_DIR>", "folder holding campaign.json (scans not there yet are left out)")
    .requiredOption("--constraints <FILE.json>", "spots with their doses and budgets (Gy), beam time end, minimum spacing, scan settings, impedance (see src/autonomy/types.ts Constraints)")
    .option("--target <TARGET>", "what to learn: a posterior parameter (kp, k, f, …), law, damage, or thickness@SECONDS (default: the posterior law's rate parameter)")
    .option("--cell <ID>", "the cell to plan for (default the first)")
    .option("--n <N>", "how many actions to print (default 5)")
    .option("--greedy", "the Fisher-greedy baseline: rank by gain per beam time, blind to dose")
    .option("--live <LIVE.json>", "a strata-live/1 document (strata serve) instead of running the diagnosis")
    .option("--save-live <FILE>", "write the live diagnosis's strata-live/1 document to FILE (plan again from it with --live)")
    .option("--json", "print the strata-plan/1 document")
    .option("--out <DIR>", "also write the strata-plan/1 document to DIR/plan.json")
    .option("--force", FORCE_HELP)
    .action(async (dir: string, options: PlanCliOptions) => {
      const n = options.n === undefined ? undefined : integerOption(options.n, "--n", 1, 1000);
      const { parseTarget, defaultTarget, plan, validateConstraints } = await import("../autonomy/planner.ts");
      let target: Target | undefined;
      try {
        target = options.target === undefined ? undefined : parseTarget(options.target);
      } catch (error) {
        if (error instanceof ValidationError) throw new UsageError(`--target ${options.target}: ${error.message}`);
        throw error;
      }
      const raw = readJson(options.constraints);
      // the fields filled in from the campaign may be absent; everything else is checked before any work
      const probe = { now_s: 0, ...(raw as object), spots: Array.isArray((raw as { spots?: unknown }).spots) ? ((raw as { spots: unknown[] }).spots.map((s) => (typeof s === "object" && s !== null ? { dose_Gy: 0, ...s } : s))) : (raw as { spots?: unknown }).spots };
      try {
        validateConstraints(probe, "constraints");
      } catch (error) {
        if (error instanceof ValidationError) throw new UsageError(`${options.constraints}: ${error.message}`);
        throw error;
      }
      if (options.out !== undefined) checkOutputFolder(options.out, options.force);
      const { loadCampaign } = await import("../campaign/campaign.ts");
      const campaign = await loadCampaign(dir, { presentOnly: true });
      const cellId = options.cell ?? campaign.cells[0]?.id;
      const cellData = campaign.cells.find((c) => c.id === cellId);
      if (!cellData) throw new UsageError(`--cell ${options.cell}: is not a cell of the campaign (${campaign.cells.map((c) => c.id).join(", ")})`);
      let live: LiveDocument;
      if (options.live !== undefined) {
        live = readJson(options.live) as LiveDocument;
        if (live?.format !== "strata-live/1") throw new UsageError(`--live ${options.live}: is not a strata-live/1 document (format ${JSON.stringify(live?.format)})`);
      } else {
        const bar = progressBar("plan: live diagnosis");
        bar.update(0, "diagnosis of the scans so far");
        const { LiveDiagnosis } = await import("../diagnosis/live.ts");
        live = await new LiveDiagnosis().full(campaign);
        bar.done();
      }
      if (options.saveLive !== undefined) {
        const { full: _full, ...document } = live;
        fs.writeFileSync(options.saveLive, `${JSON.stringify(document)}\n`);
      }
      const liveCell = live.cells.find((c) => c.id === cellId);
      if (!liveCell) throw new UsageError(`--cell ${cellId}: the live diagnosis has no such cell (${live.cells.map((c) => c.id).join(", ")})`);
      const present = cellData.scans.filter((s) => s.data.q.length > 0);
      const constraints = {
        ...(raw as object),
        now_s: (raw as { now_s?: number }).now_s ?? (present.length > 0 ? Math.max(...present.map((s) => s.end_s)) : 0),
        spots: (raw as { spots: Record<string, unknown>[] }).spots.map((s) => ({ ...s, dose_Gy: s["dose_Gy"] ?? liveCell.dose_Gy?.[s["id"] as string] ?? 0 })),
      };
      try {
        validateConstraints(constraints, "constraints");
      } catch (error) {
        if (error instanceof ValidationError) throw new UsageError(`${options.constraints}: ${error.message} (with now_s and doses filled in from the campaign)`);
        throw error;
      }
      const started = performance.now();
      const result = plan({
        campaign,
        live,
        cell: cellId,
        constraints: constraints as never,
        target: target ?? defaultTarget(liveCell),
        ...(n !== undefined ? { n } : {}),
        doseAware: !options.greedy,
      });
      const elapsed = performance.now() - started;
      if (options.out !== undefined) {
        fs.mkdirSync(options.out, { recursive: true });
        fs.writeFileSync(path.join(options.out, "plan.json"), `${JSON.stringify(result, null, 2)}\n`);
      }
      if (options.json) printJson(result);
      else process.stdout.write(planTable(result, elapsed));
    });
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ParseError(file, `is not JSON (${(error as Error).message})`);
  }
}

/** "kp", "law", "damage", "thickness at 36000 s" */
function targetText(target: Target): string {
  return target.kind === "parameter" ? target.name : target.kind === "thickness" ? `thickness at ${target.at_s} s` : target.kind;
}

/** The plan as a table: rank, action, gain, dose, time, score, then the reasons. */
export function planTable(result: PlanResult, elapsed_ms: number): string {
  const out: string[] = [];
  const now = result.now;
  const state = now.weights
    ? Object.entries(now.weights)
        .sort((a, b) => b[1] - a[1])
        .map(([law, w]) => `${law} ${(100 * w).toFixed(1)} %`)
        .join(", ")
    : `${now.median !== undefined ? now.median.toPrecision(4) : "?"} ± ${now.sd !== undefined ? now.sd.toPrecision(2) : "?"}`;
  out.push(`plan for cell ${result.cell}, target ${targetText(result.target)} (now ${state}); ${result.considered} candidates in ${elapsed_ms.toFixed(0)} ms`);
  out.push(`  ${result.costModel}`);
  for (const e of result.events) out.push(`  event: ${e.message}`);
  const refused = Object.entries(result.refused);
  if (refused.length > 0) out.push(`  refused: ${refused.map(([why, count]) => `${count} ${why}`).join("; ")}`);
  out.push("");
  const rows = result.actions.map((a, i) => {
    const action = a.action;
    const what =
      action.kind === "reflectivity"
        ? `XRR ${action.spot} @ ${action.at_s.toFixed(0)} s, Q ${action.setting.qMin}–${action.setting.qMax} × ${action.setting.points}, ${action.setting.countTime_s} s`
        : action.kind === "impedance"
          ? `EIS @ ${action.at_s.toFixed(0)} s`
          : `wait until ${action.until_s.toFixed(0)} s`;
    return [String(i + 1), what, a.gain_nats.toPrecision(3), a.cost.dose_Gy.toPrecision(3), a.cost.time_s.toFixed(0), a.score.toPrecision(3)];
  });
  const header = ["#", "action", "gain nats", "dose Gy", "time s", "score"];
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]): string => `  ${cells.map((c, j) => (j === 1 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ")}`;
  out.push(line(header));
  for (const r of rows) out.push(line(r));
  out.push("");
  result.actions.forEach((a, i) => out.push(`  ${i + 1}. ${a.reason}`));
  return `${out.join("\n")}\n`;
}
