import type { Command } from "commander";
import { integerOption } from "./numbers.ts";
import { checkOutputFolder, FORCE_HELP, OUT_HELP, printJson } from "./output.ts";

interface SimulateOptions {
  out: string;
  force?: boolean;
  json?: boolean;
  seed?: string;
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
      const spec = seed === undefined || typeof scenario !== "object" || scenario === null ? scenario : { ...scenario, seed };
      const truth = simulateCampaign(spec, options.out) as { scenario: { seed: unknown }; law: { name: string }; cells: Record<string, { scans: unknown[] }> };
      const scans = Object.values(truth.cells).reduce((a, c) => a + c.scans.length, 0);
      if (options.json) {
        const cells = Object.fromEntries(Object.entries(truth.cells).map(([id, c]) => [id, { scans: c.scans.length }]));
        printJson({ out: options.out, law: truth.law.name, seed: truth.scenario.seed, cells, files: ["campaign.json", "truth.json"] });
      } else process.stdout.write(`wrote a ${truth.law.name}-growth campaign with ${scans} scans to ${options.out} (campaign.json, truth.json)\n`);
    });
}
