import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { DIAGNOSE_DEFAULTS } from "../api/diagnosis.ts";
import { ValidationError } from "../core/errors.ts";
import { resolveLaws, type PopulationReasonCode } from "../diagnosis/diagnose.ts";
import { SERIES_STARTS, type SeriesStart } from "../diagnosis/fitSeries.ts";
import type { QualityCode } from "../diagnosis/diagnoseCell.ts";
import { DQ_MEASURE_HELP, dqMeasureOption, integerOption, numberOption } from "./numbers.ts";
import { checkOutputFolder, FORCE_HELP, OUT_HELP, printJson, UsageError } from "./output.ts";
import { progressBar } from "./progress.ts";
import { campaignFolders, fanOut, queueStoreOf } from "./queued.ts";

interface DiagnoseCliOptions {
  out: string;
  mode: string;
  laws?: string;
  seed: string;
  walkers: string;
  steps: string;
  burn: string;
  threads?: string;
  minEss?: string;
  tauFactor?: string;
  mcmcMaxSeconds?: string;
  damage: string;
  start: string;
  dqMeasure?: string;
  json?: boolean;
  force?: boolean;
  strict?: boolean;
  queue?: string;
  store?: string;
}

/**
 * Exit status of a diagnosis written but not trustworthy: a cell's flags say its numbers may
 * be wrong or unsupported (fits that do not reach the data or did not converge, a chain
 * that did not mix, too few scans for a growth law — `NOT_TRUSTWORTHY_CODES`); 2 is bad input.
 */
export const UNTRUSTWORTHY_EXIT_CODE = 3;
/**
 * Exit status under `--strict` of a trustworthy diagnosis whose headline is qualified (laws
 * the data do not tell apart) or that carries warnings: numbers that stand but a conclusion
 * a script should not take unread. Without `--strict` such a diagnosis exits 0.
 */
export const QUALIFIED_EXIT_CODE = 4;

/**
 * What to change on the command line about a library flag or reason, by its code; printed
 * as a hint under the library's own message (which speaks of options, not flags).
 */
const FLAG_ADVICE: Record<QualityCode | PopulationReasonCode, string | undefined> = {
  "population-needs-common-law": "rerun with --laws naming laws every cell supports",
  "population-needs-posteriors": undefined,
  "no-law-applies": "rerun with --laws naming laws this cell supports",
  "charge-law-needs-cycler": undefined,
  untrustworthy: "look at the curves in the report; check the stack, densities and Q units in the manifest; exit status 3",
  "mcmc-time-cap": "rerun with a larger --mcmc-max-seconds",
  "mcmc-not-mixed": "the chain reached its storage cap: the posterior may be multimodal or a parameter unidentified; --tau-factor and --min-ess set the targets",
  "fits-not-converged": "look at the curves in the report; check the stack and Q units in the manifest; exit status 3",
  "too-few-scans": "a growth law needs at least 3 scans of the same cell; exit status 3",
  "laws-indistinguishable": undefined,
};

/** The exit status of a diagnosis that was written; main() returns it (bin/strata.js exits with it). */
function exitWith(code: number): void {
  process.exitCode = code;
}

function hint(code: QualityCode | PopulationReasonCode | undefined): string[] {
  const advice = code === undefined ? undefined : FLAG_ADVICE[code];
  return advice === undefined ? [] : [`  hint: ${advice}`];
}

export function registerDiagnose(program: Command): void {
  program
    .command("diagnose")
    .description("Fit one interface model to a whole operando campaign and write diagnosis.json and report.html")
    .argument("<CAMPAIGN_DIR>", "folder with campaign.json")
    .requiredOption("--out <DIR>", OUT_HELP)
    .option("--force", FORCE_HELP)
    .option("--json", "print the diagnosis (the strata-diagnosis/1 document written to diagnosis.json) instead of the verdicts")
    .option("--mode <independent|joint|auto>", "per-scan fits only, or law-constrained joint fits", "auto")
    .option("--laws <LIST>", "comma-separated laws to compare: linear,parabolic,mixed,logarithmic,charge (default all)")
    .option("--seed <N>", "random seed of the MCMC", "1")
    .option("--walkers <N>", "MCMC walkers (≥ 2; raised to an even number ≥ 2 × parameters + 2)", "24")
    .option("--steps <N>", "MCMC steps kept after burn-in before the first mixing check (the chain is extended until mixed)", String(DIAGNOSE_DEFAULTS.mcmc.steps))
    .option("--burn <N>", "MCMC burn-in steps", String(DIAGNOSE_DEFAULTS.mcmc.burn))
    .option("--threads <N>", "threads for the per-scan and law fits and the MCMC, this one included (default: cores, at most 4)")
    .option("--min-ess <N>", "MCMC runs until every parameter and scan thickness has this effective sample size (default 400; 0: no ESS target)")
    .option("--tau-factor <X>", "... and until the chain is X times its autocorrelation time τ (default 50; 0: no length target)")
    .option("--mcmc-max-seconds <S>", "wall-time cap of each MCMC chain; reaching it unmixed is flagged (default 20)")
    .option("--damage <auto|off>", "model beam damage when the dose ledger can be computed (auto) or never (off)", "auto")
    .option("--start <auto|ml|global>", "where each cell's first scan fit starts: the global stage (global), LM from the learned estimator's estimate (ml; exits 2 outside its domain), or ml when in its domain and not out of distribution and the fit reaches the data, else global (auto)", "global")
    .option("--dq-measure <fwhm|sigma>", DQ_MEASURE_HELP)
    .option("--strict", `also exit ${QUALIFIED_EXIT_CODE} when the diagnosis is trustworthy but qualified (laws the data cannot tell apart) or carries warnings; not trustworthy exits ${UNTRUSTWORTHY_EXIT_CODE} either way`)
    .option("--queue <URL>", "hand the work to `strata worker`s through this job queue (redis://HOST:PORT); CAMPAIGN_DIR may then be a folder of campaign folders, each diagnosed into OUT/NAME/diagnosis.json")
    .option("--store <URL>", "with --queue: the shared store the workers use, postgres://… (default $STRATA_STORE)")
    .action(async (dir: string, options: DiagnoseCliOptions) => {
      const { diagnose } = await import("../api/diagnosis.ts");
      const { populationVerdict, verdict } = await import("../report/diagnosisReport.ts");
      const { trustOf } = await import("../diagnosis/diagnoseCell.ts");
      if (!["independent", "joint", "auto"].includes(options.mode)) throw new ValidationError("--mode", 'must be "independent", "joint" or "auto"', options.mode);
      const laws = resolveLaws(options.laws, "--laws");
      if (options.damage !== "auto" && options.damage !== "off") throw new ValidationError("--damage", 'must be "auto" or "off"', options.damage);
      if (!(SERIES_STARTS as readonly string[]).includes(options.start)) throw new ValidationError("--start", `must be one of ${SERIES_STARTS.join(", ")}`, options.start);
      const start = options.start as SeriesStart;
      // every number is checked before any work starts, so a bad flag never costs a run
      const seed = integerOption(options.seed, "--seed", 0);
      const mcmc = {
        walkers: integerOption(options.walkers, "--walkers", 2),
        steps: integerOption(options.steps, "--steps", 1),
        burn: integerOption(options.burn, "--burn", 0),
        ...(options.threads !== undefined ? { threads: integerOption(options.threads, "--threads", 1) } : {}),
        ...(options.minEss !== undefined ? { minEss: numberOption(options.minEss, "--min-ess", { ge: 0 }) } : {}),
        ...(options.tauFactor !== undefined ? { tauFactor: numberOption(options.tauFactor, "--tau-factor", { ge: 0 }) } : {}),
        ...(options.mcmcMaxSeconds !== undefined ? { maxSeconds: numberOption(options.mcmcMaxSeconds, "--mcmc-max-seconds", { gt: 0 }) } : {}),
      };
      const dqMeasure = dqMeasureOption(options.dqMeasure);
      checkOutputFolder(options.out, options.force);
      if (options.queue !== undefined) {
        if (dqMeasure !== undefined) throw new UsageError("--dq-measure: not with --queue (workers read the manifest's own)");
        // a queued diagnosis runs one MCMC thread unless told otherwise: the workers are the parallelism
        const jobOptions = { mode: options.mode, laws, seed, mcmc: { threads: 1, ...mcmc }, damage: options.damage, start };
        await diagnoseQueued(dir, options.out, { queue: options.queue, store: queueStoreOf(options.store) }, jobOptions);
        return;
      }
      const bar = progressBar("diagnose");
      const started = Date.now();
      const campaign = dqMeasure === undefined ? dir : await (await import("../api/campaign.ts")).loadCampaign(dir, { dqMeasure });
      const diagnosis = await diagnose(campaign, {
        mode: options.mode as "independent" | "joint" | "auto",
        laws,
        seed,
        mcmc,
        damage: options.damage,
        start,
        progress: (stage, fraction) => bar.update(fraction, stage),
      });
      bar.done();
      const files = diagnosis.write(options.out, `Strata diagnosis — ${diagnosis.campaign ?? path.basename(path.resolve(dir))}`);
      const lines: string[] = [];
      for (const cell of diagnosis.cells) {
        lines.push(verdict(cell));
        for (const q of cell.diagnosis.detail.quality) if (q.level !== "info") lines.push(`  ${q.level}: ${q.message}`, ...hint(q.code));
      }
      if (diagnosis.population) {
        lines.push(populationVerdict(diagnosis.population), ...hint(diagnosis.population.code));
        for (const w of [...(diagnosis.population.warnings ?? []), ...(diagnosis.population.sampling?.warnings ?? []), ...(diagnosis.population.skipped ?? [])]) lines.push(`  warning: ${w}`);
      }
      lines.push(`wrote ${files.json} and ${files.report} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (options.json) printJson(diagnosis.toJSON());
      else process.stdout.write(`${lines.join("\n")}\n`);
      // the diagnosis is written either way; a cell whose numbers are not solid is not a success
      const trust = diagnosis.cells.map((cell) => trustOf(cell.diagnosis.detail.quality));
      if (trust.some((t) => !t.trustworthy)) exitWith(UNTRUSTWORTHY_EXIT_CODE);
      else if (options.strict && trust.some((t) => t.qualifications.length > 0 || t.warnings.length > 0)) exitWith(QUALIFIED_EXIT_CODE);
    });
}

/**
 * `strata diagnose --queue`: every campaign of `dir` as a job; OUT/NAME/diagnosis.json per
 * campaign and OUT/summary.json (each campaign's file or reason); exit 3 when any failed.
 */
async function diagnoseQueued(dir: string, out: string, where: { queue: string; store: string }, jobOptions: Record<string, unknown>): Promise<void> {
  const folders = campaignFolders(dir);
  const summary: Record<string, { diagnosis?: string; error?: string }> = {};
  fs.mkdirSync(out, { recursive: true });
  const { failed, seconds } = await fanOut(
    { ...where, title: "diagnose --queue" },
    folders,
    async (client, folder) => ({ kind: "diagnose", input: await client.store.putFolder(folder), options: jobOptions, label: path.basename(path.resolve(folder)) }),
    (folder, outcome) => {
      const name = path.basename(path.resolve(folder));
      if (outcome.status === "fulfilled") {
        const file = path.join(out, name, "diagnosis.json");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `${JSON.stringify(outcome.value, null, 2)}\n`);
        summary[name] = { diagnosis: path.join(name, "diagnosis.json") };
      } else summary[name] = { error: outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason) };
    },
  );
  fs.writeFileSync(path.join(out, "summary.json"), `${JSON.stringify({ campaigns: summary, failed, seconds }, null, 2)}\n`);
  for (const [name, s] of Object.entries(summary)) if (s.error) process.stdout.write(`${name}: failed: ${s.error}\n`);
  process.stdout.write(`diagnosed ${folders.length - failed} of ${folders.length} campaigns through the queue in ${seconds.toFixed(1)} s; wrote ${out} (NAME/diagnosis.json, summary.json)\n`);
  if (failed > 0) exitWith(1);
}
