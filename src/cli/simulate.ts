import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { integerOption } from "./numbers.ts";
import { checkOutputFolder, FORCE_HELP, OUT_HELP, printJson, UsageError } from "./output.ts";
import { fanOut, queueStoreOf, seedRange } from "./queued.ts";

interface SimulateOptions {
  out: string;
  force?: boolean;
  json?: boolean;
  seed?: string;
  seeds?: string;
  queue?: string;
  store?: string;
}

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description("Write a synthetic operando campaign (scans, cycler record, impedance, truth.json) from a scenario")
    .argument("<SCENARIO.json>", '{"seed", "probe", "law": {"name", "parameters"}, "scans": {...}, "impedance": {...}, ...}')
    .requiredOption("--out <DIR>", OUT_HELP)
    .option("--force", FORCE_HELP)
    .option("--seed <N>", "override the scenario's seed")
    .option("--json", 'print {"out", "law", "seed", "cells": {CELL: {"scans"}}, "files"} instead of a sentence')
    .option("--seeds <A-B>", "with --queue: one campaign per seed A…B, each written to OUT/seed-N/ (the same files as --seed N), with OUT/summary.json")
    .option("--queue <URL>", "hand the simulations to `strata worker`s through this job queue (redis://HOST:PORT) and gather them, with a progress line")
    .option("--store <URL>", "with --queue: the shared store the workers use, postgres://… (default $STRATA_STORE)")
    .addHelpText(
      "after",
      `
Laws and parameters (t in s since t0, L in Å): linear {L0, k}, parabolic {L0, kp},
mixed {L0, A, B}, logarithmic {L0, a, tau}, charge {L0, f}. Deterministic given "seed".`,
    )
    .action(async (file: string, options: SimulateOptions) => {
      const { readJsonFile } = await import("../io/json.ts");
      const { simulateCampaign } = await import("../simulation/simulate.ts");
      const seed = options.seed === undefined ? undefined : integerOption(options.seed, "--seed", 0);
      checkOutputFolder(options.out, options.force);
      const scenario = readJsonFile(file);
      if (options.seeds !== undefined && options.queue === undefined) throw new UsageError("--seeds: needs --queue (one campaign per seed, on the workers)");
      if (options.queue !== undefined) {
        if (options.seed !== undefined && options.seeds !== undefined) throw new UsageError("--seed and --seeds: give one");
        const seeds = options.seeds !== undefined ? seedRange(options.seeds) : seed !== undefined ? [seed] : [undefined];
        await simulateQueued(scenario, options.out, seeds, { queue: options.queue, store: queueStoreOf(options.store) }, options.json === true);
        return;
      }
      const spec = seed === undefined || typeof scenario !== "object" || scenario === null ? scenario : { ...scenario, seed };
      const truth = simulateCampaign(spec, options.out) as { scenario: { seed: unknown }; law: { name: string }; cells: Record<string, { scans: unknown[] }> };
      const scans = Object.values(truth.cells).reduce((a, c) => a + c.scans.length, 0);
      if (options.json) {
        const cells = Object.fromEntries(Object.entries(truth.cells).map(([id, c]) => [id, { scans: c.scans.length }]));
        printJson({ out: options.out, law: truth.law.name, seed: truth.scenario.seed, cells, files: ["campaign.json", "truth.json"] });
      } else process.stdout.write(`wrote a ${truth.law.name}-growth campaign with ${scans} scans to ${options.out} (campaign.json, truth.json)\n`);
    });
}

/**
 * `strata simulate --queue [--seeds A-B]`: a `simulate` job per seed; each worker stores its
 * campaign folder as a bundle in the shared store, which is written out as OUT/seed-N/ (byte for
 * byte what `strata simulate --seed N` writes); OUT/summary.json; exit 1 when any failed.
 */
async function simulateQueued(scenario: unknown, out: string, seeds: readonly (number | undefined)[], where: { queue: string; store: string }, json: boolean): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  const bundles: { name: string; bundle: string }[] = [];
  const summary: Record<string, { folder?: string; law?: string; scans?: number; error?: string }> = {};
  const { failed, seconds } = await fanOut(
    { ...where, title: "simulate --queue" },
    seeds,
    async (client, seed) => ({ kind: "simulate", input: await client.store.putBlob(Buffer.from(JSON.stringify(scenario))), options: seed !== undefined ? { seed } : {}, label: `seed ${seed ?? "(scenario's)"}` }),
    (seed, outcome) => {
      const name = `seed-${seed ?? "scenario"}`;
      if (outcome.status === "fulfilled") {
        const { bundle, truth } = outcome.value as { bundle: string; truth: { law: { name: string }; cells: Record<string, { scans: unknown[] }> } };
        bundles.push({ name, bundle });
        summary[name] = { folder: `${name}/`, law: truth.law.name, scans: Object.values(truth.cells).reduce((a, c) => a + c.scans.length, 0) };
      } else summary[name] = { error: outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason) };
    },
  );
  if (bundles.length > 0) {
    const { QueueStore } = await import("../service/queue.ts");
    const store = new QueueStore(where.store);
    try {
      for (const { name, bundle } of bundles) {
        const target = path.join(out, name);
        fs.rmSync(target, { recursive: true, force: true });
        fs.renameSync(await store.materialise(bundle, out), target);
      }
    } finally {
      await store.close();
    }
  }
  const document = { runs: summary, failed, seconds };
  fs.writeFileSync(path.join(out, "summary.json"), `${JSON.stringify(document, null, 2)}\n`);
  if (json) printJson(document);
  else {
    for (const [name, s] of Object.entries(summary)) if (s.error) process.stdout.write(`${name}: failed: ${s.error}\n`);
    process.stdout.write(`simulate: ${seeds.length - failed} of ${seeds.length} campaigns through the queue in ${seconds.toFixed(1)} s; wrote ${out} (seed-N/, summary.json)\n`);
  }
  if (failed > 0) process.exitCode = 1;
}
