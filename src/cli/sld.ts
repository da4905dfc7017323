import type { Command } from "commander";
import { ValidationError } from "../core/errors.ts";
import { checkDensity } from "../materials/index.ts";
import { printJson } from "./output.ts";

function positiveNumber(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new ValidationError(option, "must be a positive number", text);
  return value;
}

export function registerSld(program: Command): void {
  program
    .command("sld")
    .description("X-ray or neutron scattering length density of a material from its formula and mass density")
    .argument("<FORMULA>", "chemical formula, e.g. LiF, Li2CO3, C3H4O3, D2O, H[2]2O, Ca(OH)2")
    .requiredOption("--density <G_PER_CM3>", "mass density (g/cm³)")
    .option("--energy <KEV>", "X-ray photon energy (keV)")
    .option("--wavelength <A>", "wavelength (Å): X-rays, or neutrons with --neutron (default 1.798)")
    .option("--neutron", "neutron SLD instead of X-ray")
    .option("--json", 'print {"sld": …, "isld": …} (10⁻⁶ Å⁻²)')
    .addHelpText("after", "\nSLD in 10⁻⁶ Å⁻²; isld ≥ 0 is absorption. Neutron output adds the incoherent SLD.")
    .action(async (formula: string, options: { density: string; energy?: string; wavelength?: string; neutron?: boolean; json?: boolean }) => {
      const { sld } = await import("../api/materials.ts");
      const density = positiveNumber(options.density, "--density")!;
      checkDensity(density, "--density");
      const energy = positiveNumber(options.energy, "--energy");
      const wavelength = positiveNumber(options.wavelength, "--wavelength");
      // the flags are checked here so that errors name them; the API checks its own options
      if (options.neutron && energy !== undefined) throw new ValidationError("--energy", "is for X-rays; neutrons take --wavelength", options.energy);
      if (!options.neutron && energy === undefined && wavelength === undefined) throw new ValidationError("--energy", "X-ray SLD needs --energy (keV) or --wavelength (Å); add --neutron for neutrons");
      if (energy !== undefined && wavelength !== undefined) throw new ValidationError("--energy", "give --energy or --wavelength, not both", options.energy);
      const result = sld(formula, {
        density,
        probe: options.neutron ? "neutron" : "xray",
        ...(energy !== undefined ? { energy_keV: energy } : {}),
        ...(wavelength !== undefined ? { wavelength_A: wavelength } : {}),
      });
      if (options.json) printJson(result);
      else process.stdout.write(`${Object.entries(result.toJSON()).map(([k, v]) => `${k}\t${v.toPrecision(8)}`).join("\n")}\n`);
    });
}
