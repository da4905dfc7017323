import type { Command } from "commander";

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description("Write a synthetic operando campaign (scans, cycler record, impedance, truth.json) from a scenario")
    .argument("<SCENARIO.json>", '{"seed", "probe", "law": {"name", "parameters"}, "scans": {...}, "impedance": {...}, ...}')
    .requiredOption("--out <DIR>", "folder to write the campaign into")
    .addHelpText(
      "after",
      `
Laws and parameters (t in s since t0, L in Å): linear {L0, k}, parabolic {L0, kp},
mixed {L0, A, B}, logarithmic {L0, a, tau}, charge {L0, f}. Deterministic given "seed".`,
    )
    .action(async (file: string, options: { out: string }) => {
      const { readJsonFile } = await import("../io/json.ts");
      const { simulateCampaign } = await import("../simulation/simulate.ts");
      const truth = simulateCampaign(readJsonFile(file), options.out) as { law: { name: string }; cells: Record<string, { scans: unknown[] }> };
      const scans = Object.values(truth.cells).reduce((a, c) => a + c.scans.length, 0);
      process.stdout.write(`wrote a ${truth.law.name}-growth campaign with ${scans} scans to ${options.out} (campaign.json, truth.json)\n`);
    });
}
