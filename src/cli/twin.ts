/**
 * @module cli/twin
 * `strata twin SCENARIO.json --policy fixed|greedy|strata --out DIR`: a simulated beam time
 * (autonomy/twin) — the simulator as hidden truth, a policy choosing the actions, the live
 * diagnosis updated after each — writing OUT/twin.json (strata-twin/1), OUT/diagnosis.json
 * (the final batch diagnosis), OUT/twin.html (the report page) and the grown campaign folder
 * OUT/campaign/. Units: time s, dose Gy.
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { integerOption } from "./numbers.ts";
import { checkOutputFolder, FORCE_HELP, OUT_HELP, printJson, UsageError } from "./output.ts";
import { fanOut, queueStoreOf, seedRange } from "./queued.ts";

interface TwinCliOptions {
  policy: string;
  out: string;
  force?: boolean;
  json?: boolean;
  seed?: string;
  budget?: string;
  verbose?: boolean;
  seeds?: string;
  queue?: string;
  store?: string;
}

export function registerTwin(program: Command): void {
  program
    .command("twin")
    .description("Run a simulated beam time (digital twin): the simulator is the hidden truth, a policy chooses each scan, the posterior is updated after each")
    .argument("<SCENARIO.json>", 'a simulate scenario with a "twin" section: {"beamTime_s", "spots": [{"id", "budget_Gy"}], "settings", "step", "target", ...}')
    .requiredOption("--policy <NAME>", "fixed (a scan every 20 min on one spot), greedy (planner, information per beam time) or strata (planner, information per Gy)")
    .requiredOption("--out <DIR>", OUT_HELP)
    .option("--force", FORCE_HELP)
    .option("--seed <N>", "override the scenario's seed (the truth's noise, the diagnosis's and the planner's draws)")
    .option("--budget <GY>", "the campaign's total dose budget, Gy (overrides twin.totalBudget_Gy)")
    .option("--verbose", "print a line per action on stderr")
    .option("--json", 'print {"out", "policy", "seed", "scans", "totalDose_Gy", "maxSpotDose_Gy", "budgetExceeded", "target"} instead of a sentence')
    .option("--seeds <A-B>", "with --queue: one run per seed A…B, each written to OUT/seed-N/twin.json, with OUT/summary.json")
    .option("--queue <URL>", "hand the runs to `strata worker`s through this job queue (redis://HOST:PORT) and gather them, with a progress line")
    .option("--store <URL>", "with --queue: the shared store the workers use, postgres://… (default $STRATA_STORE)")
    .addHelpText(
      "after",
      `
Writes OUT/twin.json (strata-twin/1: the action log with doses and reasons, refused actions,
the target's interval against the truth, the law identified, information per Gy over time),
OUT/diagnosis.json (the final batch diagnosis), OUT/twin.html and OUT/campaign/.
Reproducible given the seed.`,
    )
    .action(async (file: string, options: TwinCliOptions) => {
      const { readJsonFile } = await import("../io/json.ts");
      const { runTwin } = await import("../autonomy/twin.ts");
      const { POLICY_NAMES } = await import("../autonomy/policies.ts");
      const { twinPage } = await import("../autonomy/twinReport.ts");
      if (!(POLICY_NAMES as readonly string[]).includes(options.policy)) throw new UsageError(`--policy ${options.policy}: must be one of ${POLICY_NAMES.join(", ")}`);
      const seed = options.seed === undefined ? undefined : integerOption(options.seed, "--seed", 0);
      let budget: number | undefined;
      if (options.budget !== undefined) {
        budget = Number(options.budget);
        if (!(Number.isFinite(budget) && budget > 0)) throw new UsageError(`--budget ${options.budget}: must be a dose > 0 Gy`);
      }
      checkOutputFolder(options.out, options.force);
      const spec = readJsonFile(file);
      if (options.seeds !== undefined && options.queue === undefined) throw new UsageError("--seeds: needs --queue (one run per seed, on the workers)");
      if (options.queue !== undefined) {
        if (budget !== undefined) throw new UsageError("--budget: not with --queue (set twin.totalBudget_Gy in the scenario)");
        const seeds = options.seeds !== undefined ? seedRange(options.seeds) : seed !== undefined ? [seed] : [undefined];
        await twinQueued(spec, options.out, options.policy, seeds, { queue: options.queue, store: queueStoreOf(options.store) });
        return;
      }
      const campaignDir = path.join(options.out, "campaign");
      fs.rmSync(campaignDir, { recursive: true, force: true });
      const result = await runTwin(spec, {
        policy: options.policy as (typeof POLICY_NAMES)[number],
        ...(seed !== undefined ? { seed } : {}),
        ...(budget !== undefined ? { budget_Gy: budget } : {}),
        dir: campaignDir,
        ...(options.verbose ? { progress: (line: string) => process.stderr.write(`${line}\n`) } : {}),
      });
      const doc = result.document;
      fs.writeFileSync(path.join(options.out, "twin.json"), `${JSON.stringify(doc, null, 2)}\n`);
      fs.writeFileSync(path.join(options.out, "diagnosis.json"), `${JSON.stringify(result.diagnosis, null, 2)}\n`);
      fs.writeFileSync(path.join(options.out, "twin.html"), twinPage(doc));
      const scans = doc.actions.filter((a) => a.kind === "reflectivity").length;
      if (options.json) {
        printJson({ out: options.out, policy: doc.policy, seed: doc.seed, scans, totalDose_Gy: doc.totalDose_Gy, maxSpotDose_Gy: doc.maxSpotDose_Gy, budgetExceeded: doc.budgetExceeded, target: doc.target });
      } else {
        const t = doc.target;
        const interval = t.median !== null ? `${t.parameter} ${t.median.toPrecision(4)} [${t.lo95!.toPrecision(4)}, ${t.hi95!.toPrecision(4)}] (truth ${t.truth?.toPrecision(4)})` : `${t.parameter ?? t.kind}: no interval (law ${doc.law.identified ?? "none"})`;
        process.stdout.write(`twin (${doc.policy}, seed ${doc.seed}): ${scans} scans, ${doc.totalDose_Gy.toPrecision(3)} Gy in all (max spot ${doc.maxSpotDose_Gy.toPrecision(3)} Gy); ${interval}; law ${doc.law.identified ?? "none"} (truth ${doc.law.truth}); wrote ${options.out} (twin.json, diagnosis.json, twin.html, campaign/)\n`);
      }
    });
}

/** `strata twin --queue [--seeds A-B]`: a job per seed; OUT/seed-N/twin.json and OUT/summary.json; exit 1 when any failed. */
async function twinQueued(spec: unknown, out: string, policy: string, seeds: readonly (number | undefined)[], where: { queue: string; store: string }): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  const summary: Record<string, { twin?: string; scans?: number; totalDose_Gy?: number; error?: string }> = {};
  const { failed, seconds } = await fanOut(
    { ...where, title: "twin --queue" },
    seeds,
    async (client, seed) => ({ kind: "twin", input: await client.store.putBlob(Buffer.from(JSON.stringify(spec))), options: { policy, ...(seed !== undefined ? { seed } : {}) }, label: `${policy} seed ${seed ?? "(scenario's)"}` }),
    (seed, outcome) => {
      const name = `seed-${seed ?? "scenario"}`;
      if (outcome.status === "fulfilled") {
        const doc = outcome.value as { actions?: { kind: string }[]; totalDose_Gy?: number };
        fs.mkdirSync(path.join(out, name), { recursive: true });
        fs.writeFileSync(path.join(out, name, "twin.json"), `${JSON.stringify(doc, null, 2)}\n`);
        summary[name] = { twin: `${name}/twin.json`, scans: (doc.actions ?? []).filter((a) => a.kind === "reflectivity").length, ...(doc.totalDose_Gy !== undefined ? { totalDose_Gy: doc.totalDose_Gy } : {}) };
      } else summary[name] = { error: outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason) };
    },
  );
  fs.writeFileSync(path.join(out, "summary.json"), `${JSON.stringify({ policy, runs: summary, failed, seconds }, null, 2)}\n`);
  for (const [name, s] of Object.entries(summary)) if (s.error) process.stdout.write(`${name}: failed: ${s.error}\n`);
  process.stdout.write(`twin (${policy}): ${seeds.length - failed} of ${seeds.length} runs through the queue in ${seconds.toFixed(1)} s; wrote ${out} (seed-N/twin.json, summary.json)\n`);
  if (failed > 0) process.exitCode = 1;
}
