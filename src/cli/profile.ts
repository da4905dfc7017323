import type { Command } from "commander";
import { integerOption } from "./numbers.ts";
import { printColumns, printJson } from "./output.ts";

export function registerProfile(program: Command): void {
  program
    .command("profile")
    .description("SLD depth profile ρ(z) of a slab model with error-function interfaces")
    .argument("<MODEL.json>", "model as for `strata reflect`")
    .option("--points <N>", "number of depth points", "501")
    .option("--json", 'print {"z": [...], "sld": [...], "isld": [...]}')
    .addHelpText("after", "\nz in Å from the first interface (beam side) into the stack; SLD in 10⁻⁶ Å⁻².")
    .action(async (file: string, options: { points: string; json?: boolean }) => {
      const { sldProfile } = await import("../api/reflectivity.ts");
      const points = integerOption(options.points, "--points", 2, 1_000_000);
      const profile = sldProfile(file, points);
      if (options.json) printJson(profile);
      else printColumns(["z (angstrom)", "SLD (1e-6/angstrom^2)", "iSLD (1e-6/angstrom^2)"], [profile.z, profile.sld, profile.isld]);
    });
}
