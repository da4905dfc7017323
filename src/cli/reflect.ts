import type { Command } from "commander";
import { ValidationError } from "../core/errors.ts";
import { printColumns, printJson } from "./output.ts";
import { defaultQ } from "./modelCurve.ts";

export function registerReflect(program: Command): void {
  program
    .command("reflect")
    .description("Specular reflectivity of a slab model (X-ray or neutron), optionally resolution-smeared")
    .argument("<MODEL.json>", "model: probe, layers (fronting → backing), scale, background, resolution, q")
    .option("--q <FILE>", "Q values (Å⁻¹) from the first column of a whitespace-separated file")
    .option("--json", "print {\"q\": [...], \"reflectivity\": [...]}")
    .addHelpText(
      "after",
      `
Units: thickness, roughness Å; SLD 10⁻⁶ Å⁻² (isld > 0 absorbs); Q Å⁻¹.
A layer may give "material": {"formula": "LiF", "density": 2.635} instead of sld/isld,
with top-level "energy_keV" (X-rays) or "wavelength_A" (neutrons, default 1.798).
Resolution: {"dqOverQ": 0.05, "measure": "fwhm"} or {"dq": [...], "measure": "sigma"}.
Geometry (operando cell): {"angleOffset_deg", "footprint": {"beamHeight_mm", "sampleLength_mm",
"profile"}, "heightOffset_mm" with "detectorDistance_mm", "attenuation": {"grazing",
"horizontal", "block"} (μ·t sums), "incoherentBackground" (at α = 1°)}.`,
    )
    .action(async (file: string, options: { q?: string; json?: boolean }) => {
      const { reflectModel, reflectivity } = await import("../api/reflectivity.ts");
      const { readColumnFile } = await import("../io/columns.ts");
      const model = reflectModel(file);
      let q = model.q;
      if (options.q !== undefined) {
        if (q) throw new ValidationError("--q", "the model already gives q; use one or the other", options.q);
        q = readColumnFile(options.q).columns[0];
      }
      q ??= defaultQ();
      const curve = reflectivity(model, q);
      if (options.json) printJson(curve);
      else printColumns(["Q (1/angstrom)", "R"], [curve.q, curve.reflectivity]);
    });
}
